/* The sample ring (include/pyperf/ring.h, src/agent/ring.c): what the
 * launcher relies on is that every record a producer published arrives
 * once, intact and in each producer's order, whatever mix of threads and
 * signal handlers wrote it, that a full ring drops and counts instead of
 * overwriting, and that a consumer in another process sees it all. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pyperf/ring.h"

static struct pp_ring_hdr *new_ring(size_t data_size)
{
	size_t len = PP_RING_HDR_SIZE + data_size;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert(m != MAP_FAILED);
	cr_assert_eq(pp_ring__init(m, len, 1234, 128, 1), 0);
	cr_assert_eq(((struct pp_ring_hdr *)m)->data_size, data_size);
	return m;
}

static void free_ring(struct pp_ring_hdr *h)
{
	munmap(h, PP_RING_HDR_SIZE + h->data_size);
}

/* A record of NFRAMES frames identifying its producer and sequence; the
 * frames carry a checksum pattern so that torn records show. */
static int produce(struct pp_ring_hdr *h, uint32_t producer, uint32_t seq, unsigned nframes)
{
	uint32_t len = (uint32_t)pp_ring_sample_size(nframes);
	struct pp_ring_sample *s = pp_ring__reserve(h, len);
	unsigned i;

	if (!s)
		return 0;
	s->tid = producer;
	s->event = (uint16_t)(seq & 0xffff);
	s->nframes = (uint16_t)nframes;
	s->flags = seq;
	s->ip = ((uint64_t)producer << 32) | seq;
	for (i = 0; i < nframes; i++) {
		s->frames[i].code = s->ip + i;
		s->frames[i].fp = seq ^ i;
		s->frames[i].offset = (int32_t)i;
	}
	pp_ring__publish(s, len);
	return 1;
}

static int intact(const struct pp_ring_sample *s)
{
	unsigned i;

	if (s->ip != (((uint64_t)s->tid << 32) | s->flags) || s->event != (s->flags & 0xffff))
		return 0;
	for (i = 0; i < s->nframes; i++)
		if (s->frames[i].code != s->ip + i || s->frames[i].fp != (s->flags ^ i) ||
		    s->frames[i].offset != (int32_t)i)
			return 0;
	return 1;
}

#define MAXP 16

struct check {
	uint32_t next[MAXP];   /* next expected seq per producer (0 = none yet) */
	long got, torn, reordered;
};

static int check_cb(const struct pp_ring_sample *s, void *arg)
{
	struct check *c = arg;

	c->got++;
	if (!intact(s) || s->tid >= MAXP) {
		c->torn++;
		return 0;
	}
	/* Drops leave gaps, never reorderings. */
	if (s->flags < c->next[s->tid])
		c->reordered++;
	c->next[s->tid] = s->flags + 1;
	return 0;
}

Test(ring, records_arrive_in_order_and_intact)
{
	struct pp_ring_hdr *h = new_ring(1 << 16);
	struct check c = { 0 };
	uint32_t i;

	for (i = 0; i < 100; i++)
		cr_assert(produce(h, 1, i, i % 7));
	cr_assert_eq(pp_ring_consume(h, check_cb, &c), 100);
	cr_expect_eq(c.torn, 0);
	cr_expect_eq(c.reordered, 0);
	cr_expect_eq(c.next[1], 100);
	cr_expect_eq(pp_ring_consume(h, check_cb, &c), 0, "consumed records are gone");
	free_ring(h);
}

Test(ring, unpublished_record_stops_the_consumer_until_published)
{
	struct pp_ring_hdr *h = new_ring(1 << 14);
	struct check c = { 0 };
	uint32_t len = (uint32_t)pp_ring_sample_size(2);
	struct pp_ring_sample *held;

	cr_assert(produce(h, 0, 0, 1));
	held = pp_ring__reserve(h, len);   /* reserved, not yet published */
	cr_assert_not_null(held);
	cr_assert(produce(h, 0, 2, 1));
	cr_expect_eq(pp_ring_consume(h, check_cb, &c), 1);
	held->tid = 0;
	held->flags = 1;
	held->event = 1;
	held->nframes = 2;
	held->ip = 1;
	held->frames[0] = (struct pp_ring_frame){ 1, 1, 0 };
	held->frames[1] = (struct pp_ring_frame){ 2, 0, 1 };
	pp_ring__publish(held, len);
	cr_expect_eq(pp_ring_consume(h, check_cb, &c), 2);
	cr_expect_eq(c.torn, 0);
	cr_expect_eq(c.next[0], 3);
	free_ring(h);
}

Test(ring, full_ring_drops_and_counts)
{
	struct pp_ring_hdr *h = new_ring(8192);
	struct check c = { 0 };
	uint32_t len = (uint32_t)pp_ring_sample_size(5); /* 112 bytes */
	long ok = 0, i;

	for (i = 0; i < 1000; i++)
		ok += produce(h, 2, (uint32_t)i, 5);
	cr_expect_eq(ok, 8192 / len, "as many as fit: %ld", ok);
	cr_expect_eq(h->counters[PP_RC_LOST_FULL], (uint64_t)(1000 - ok));
	cr_expect_eq(pp_ring_consume(h, check_cb, &c), ok);
	cr_expect_eq(c.torn, 0);
	/* room again after consuming */
	cr_expect(produce(h, 2, 5000, 5));
	free_ring(h);
}

Test(ring, wraparound_with_mixed_sizes)
{
	struct pp_ring_hdr *h = new_ring(4096);
	struct check c = { 0 };
	uint32_t seq = 0;
	long total = 0;
	int lap;

	/* Many laps of a small ring; sizes chosen so that records often
	 * would straddle the end and padding records are needed. */
	for (lap = 0; lap < 2000; lap++) {
		int k;
		for (k = 0; k < 5; k++)
			if (produce(h, 3, seq, (unsigned)((seq * 7) % 23)))
				seq++;
		total += pp_ring_consume(h, check_cb, &c);
	}
	cr_expect_eq(total, (long)seq);
	cr_expect_eq(c.torn, 0);
	cr_expect_eq(c.reordered, 0);
	cr_expect_gt(h->head, (uint64_t)100 * 4096, "wrapped many times");
	cr_expect_eq(h->counters[PP_RC_LOST_FULL], 0);
	free_ring(h);
}

Test(ring, oversized_record_is_refused)
{
	struct pp_ring_hdr *h = new_ring(4096);

	cr_expect_null(pp_ring__reserve(h, 4096));
	cr_expect_null(pp_ring__reserve(h, 12)); /* not a multiple of 8 */
	cr_expect_eq(h->counters[PP_RC_LOST_FULL], 2);
	free_ring(h);
}

/* ---- concurrency: producer threads and signal handlers, consumer in a
 * forked process ---- */

static struct pp_ring_hdr *shared_ring;
static atomic_int stop_producing;
static __thread uint32_t tls_id, tls_seq;
static __thread volatile int tls_in_producer;

struct prod_stat {
	long produced, dropped;
};
static struct prod_stat stats[MAXP];

static void *producer_thread(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;

	tls_id = id;
	while (!atomic_load(&stop_producing)) {
		/* The handler shares this thread's sequence: block it while
		 * we take a number so that both stay ordered. */
		sigset_t s, old;
		uint32_t seq;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &s, &old);
		seq = tls_seq++;
		if (produce(shared_ring, id, seq, seq % 13))
			stats[id].produced++;
		else
			stats[id].dropped++;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	return NULL;
}

/* Signal producers use their own ids (id + MAXP/2) so that a handler
 * interrupting a thread between reserve and publish is exercised. */
static void on_usr1(int sig)
{
	uint32_t id = tls_id + MAXP / 2;

	(void)sig;
	if (tls_id == 0 || id >= MAXP)
		return;
	if (produce(shared_ring, id, (uint32_t)stats[id].produced + (uint32_t)stats[id].dropped,
		    3))
		stats[id].produced++;
	else
		stats[id].dropped++;
}

static void *raw_producer(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg, seq = 0;

	tls_id = id;
	while (!atomic_load(&stop_producing)) {
		if (produce(shared_ring, id, seq, seq % 9))
			stats[id].produced++;
		else
			stats[id].dropped++;
		seq++;
	}
	return NULL;
}

struct consumer_result {
	long got, torn, reordered;
	int done;
};

Test(ring, concurrent_threads_and_signal_handlers_with_consumer_in_another_process)
{
	struct consumer_result *res = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_t th[4], raw[2];
	struct sigaction sa;
	long produced = 0, dropped = 0;
	int i, status;
	pid_t child;

	cr_assert(res != MAP_FAILED);
	memset(stats, 0, sizeof(stats));
	shared_ring = new_ring(1 << 16);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);

	child = fork();
	cr_assert(child >= 0);
	if (child == 0) {
		struct check c = { 0 };
		for (;;) {
			int done = __atomic_load_n(&res->done, __ATOMIC_ACQUIRE);
			long n = pp_ring_consume(shared_ring, check_cb, &c);
			if (n < 0)
				_exit(3);
			if (done && n == 0)
				break;
			if (n == 0)
				usleep(100);
		}
		res->got = c.got;
		res->torn = c.torn;
		res->reordered = c.reordered;
		_exit(0);
	}

	atomic_store(&stop_producing, 0);
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, producer_thread, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < 2; i++)
		pthread_create(&raw[i], NULL, raw_producer, (void *)(uintptr_t)(i + 5));
	for (i = 0; i < 3000; i++) {
		pthread_kill(th[i % 4], SIGUSR1);
		pthread_kill(raw[i % 2], SIGUSR1);
		if (i % 100 == 0)
			usleep(500);
	}
	atomic_store(&stop_producing, 1);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++)
		pthread_join(raw[i], NULL);
	__atomic_store_n(&res->done, 1, __ATOMIC_RELEASE);
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "consumer failed");

	for (i = 0; i < MAXP; i++) {
		produced += stats[i].produced;
		dropped += stats[i].dropped;
	}
	cr_expect_gt(stats[1 + MAXP / 2].produced + stats[5 + MAXP / 2].produced, 0,
		     "signal handlers produced");
	cr_expect_eq(res->got, produced, "consumed %ld of %ld", res->got, produced);
	cr_expect_eq(res->torn, 0);
	cr_expect_eq(res->reordered, 0);
	cr_expect_eq(shared_ring->counters[PP_RC_LOST_FULL], (uint64_t)dropped);
	signal(SIGUSR1, SIG_DFL);
	free_ring(shared_ring);
	munmap(res, 4096);
}
