/* libpp_busy.so: native work for tests/e2e/test_native.py, loaded with
 * ctypes (no Python.h: one build serves every interpreter).
 *
 * Built with frame pointers and without inlining, so that under --native
 * the walk from pp_busy_inner reaches pp_busy_outer. */
#include <pthread.h>
#include <stdlib.h>

static volatile unsigned long sink;

__attribute__((noinline)) void pp_busy_inner(long n)
{
	unsigned long x = sink;
	long i;

	for (i = 0; i < n; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

/* N iterations of pp_busy_inner's loop, in chunks so that the inner
 * function is re-entered often. */
__attribute__((noinline)) void pp_busy_outer(long n)
{
	while (n > 0) {
		long k = n < 100000 ? n : 100000;
		pp_busy_inner(k);
		n -= k;
	}
	sink += 1;
}

/* A thread that never had a Python thread state, as OpenBLAS's workers. */
struct spin {
	pthread_t t;
	long n;
};

__attribute__((noinline)) static void spin_work(long n)
{
	pp_busy_outer(n);
}

static void *spin_main(void *arg)
{
	spin_work(((struct spin *)arg)->n);
	return NULL;
}

void *pp_spin_start(long n)
{
	struct spin *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	s->n = n;
	if (pthread_create(&s->t, NULL, spin_main, s) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

void pp_spin_join(void *arg)
{
	struct spin *s = arg;

	if (s) {
		pthread_join(s->t, NULL);
		free(s);
	}
}
