/*
 * switch_sampling: how many task-clock overflows the kernel signals when
 * threads keep switching, with no profiler but the kernel's own timer.
 *
 * scripts/bench --at-scale compiles this with cc into a temporary
 * directory; it is not part of pyperf-stat.  THREADS threads take turns
 * on one mutex (a GIL-like pattern: tens of thousands of context switches
 * a second on two CPUs), each until it has used SECONDS of CPU time.
 *
 *   sigtrap THREADS SECONDS PERIOD_NS
 *       An inherited task-clock sampling event with sigtrap, as the
 *       agent opens it (src/agent/agent.c), and a SIGTRAP handler that
 *       only counts.  Prints
 *       "signals N periods P": signals taken, and the event's own count
 *       (all threads, read from the parent event) divided by PERIOD_NS.
 *   plain THREADS SECONDS
 *       The same work without any event, for `perf stat` and
 *       `perf record -c PERIOD_NS` to run on (perf record's ring buffer
 *       has no pending-signal limit: what it misses, the timer missed).
 */
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t turn = PTHREAD_MUTEX_INITIALIZER;
static double seconds;
static volatile long signals;

static double thread_cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	volatile unsigned long x = 0;
	double t0 = thread_cpu();

	(void)arg;
	while (thread_cpu() - t0 < seconds) {
		pthread_mutex_lock(&turn);
		for (int i = 0; i < 20000; i++)
			x += (unsigned long)i;
		pthread_mutex_unlock(&turn);
	}
	return NULL;
}

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	__atomic_fetch_add(&signals, 1, __ATOMIC_RELAXED);
}

static int open_event(struct perf_event_attr *a)
{
	return (int)syscall(SYS_perf_event_open, a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

int main(int argc, char **argv)
{
	pthread_t t[256];
	long period = 0;
	int n, i, fd = -1, sigtrap;

	if (argc < 4 || (strcmp(argv[1], "sigtrap") && strcmp(argv[1], "plain"))) {
		fprintf(stderr, "usage: switch_sampling sigtrap|plain THREADS SECONDS [PERIOD_NS]\n");
		return 2;
	}
	sigtrap = !strcmp(argv[1], "sigtrap");
	n = atoi(argv[2]);
	seconds = atof(argv[3]);
	if (n < 1 || n > 256 || !(seconds > 0) || (sigtrap && (argc < 5 || (period = atol(argv[4])) <= 0))) {
		fprintf(stderr, "switch_sampling: bad arguments\n");
		return 2;
	}
	if (sigtrap) {
		struct sigaction sa;
		struct perf_event_attr a;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_trap;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigaction(SIGTRAP, &sa, NULL);
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = PERF_TYPE_SOFTWARE;
		a.config = PERF_COUNT_SW_TASK_CLOCK;
		a.sample_period = (uint64_t)period;
		a.inherit = a.inherit_thread = a.remove_on_exec = a.sigtrap = 1;
		fd = open_event(&a);
		if (fd < 0) {
			perror("switch_sampling: perf_event_open");
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	if (sigtrap) {
		uint64_t count = 0;

		if (read(fd, &count, sizeof(count)) != (ssize_t)sizeof(count)) {
			perror("switch_sampling: read");
			return 1;
		}
		printf("signals %ld periods %.1f\n", signals, (double)count / (double)period);
	}
	return 0;
}
