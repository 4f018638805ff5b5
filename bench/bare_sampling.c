/*
 * bare_sampling: what the kernel itself charges for one task-clock sampling
 * event overflow on this machine, with no profiler attached.
 *
 * scripts/bench compiles this with cc into a temporary directory and runs
 * it; it is not part of pyperf-stat.  The same fixed CPU-bound loop runs
 * in rounds, and within each round once under each mode, interleaved:
 *
 *   none     no perf event at all (the baseline)
 *   event    a task-clock sampling event, no ring buffer, no signal:
 *            the timer interrupt and overflow bookkeeping alone
 *   ring     the same event with a mmap'ed ring buffer that receives one
 *            PERF_RECORD_SAMPLE (IP, TID) per overflow, drained by the loop
 *            (perf record's situation)
 *   sigtrap  the same event with sigtrap=1 and an empty SIGTRAP handler
 *            that only counts (pyperf-stat's agent's situation, minus the
 *            agent's own work in the handler)
 *
 * Cost per sample = (CPU time of the mode - CPU time of none) / samples.
 * CPU time is CLOCK_PROCESS_CPUTIME_ID (user + kernel), the clock
 * task-clock also counts, so the samples' kernel time is included, as it
 * is for the agent whose events count kernel time when allowed
 * (exclude_kernel=0; DESIGN.md).
 *
 * Usage: bare_sampling PERIOD_NS WORK_MS ROUNDS
 * Output: one line per round and mode:  MODE CPU_NS SAMPLES
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif

enum mode { M_NONE, M_EVENT, M_RING, M_SIGTRAP, M_COUNT };
static const char *const mode_name[M_COUNT] = { "none", "event", "ring", "sigtrap" };

#define RING_PAGES 64 /* data pages; 256 KiB holds ~8k IP+TID records */
#define DRAIN_EVERY (1u << 16) /* loop iterations between ring drains */

static volatile sig_atomic_t traps;

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == TRAP_PERF)
		traps++;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int open_event(enum mode m, uint64_t period)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.sample_period = period;
	a.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID;
	a.disabled = 1;
	if (m == M_SIGTRAP) {
		a.sigtrap = 1;
		a.remove_on_exec = 1; /* the kernel requires it with sigtrap */
	}
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Counts the samples in the ring and frees their space. */
static uint64_t drain(struct perf_event_mmap_page *meta, size_t data_size)
{
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail, n = 0;
	const char *data = (const char *)meta + meta->data_offset;

	while (tail < head) {
		struct perf_event_header h;
		size_t off = tail % data_size, first = sizeof(h);

		/* a header may wrap around the end of the buffer */
		if (off + first > data_size)
			first = data_size - off;
		memcpy(&h, data + off, first);
		memcpy((char *)&h + first, data, sizeof(h) - first);
		if (h.type == PERF_RECORD_SAMPLE)
			n++;
		if (h.size == 0)
			break;
		tail += h.size;
	}
	__atomic_store_n(&meta->data_tail, head, __ATOMIC_RELEASE);
	return n;
}

/* The work: an integer recurrence the compiler cannot fold away. */
static uint64_t spin(uint64_t iters, struct perf_event_mmap_page *meta,
		     size_t data_size, uint64_t *ring_samples)
{
	volatile uint64_t sink;
	uint64_t x = 88172645463325252ull, i;

	for (i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (meta && (i & (DRAIN_EVERY - 1)) == 0)
			*ring_samples += drain(meta, data_size);
	}
	sink = x;
	(void)sink;
	return x;
}

static int run(enum mode m, uint64_t period, uint64_t iters, uint64_t *cpu, uint64_t *samples)
{
	struct perf_event_mmap_page *meta = NULL;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), data_size = RING_PAGES * page;
	size_t map_size = data_size + page;
	uint64_t t0, ring_samples = 0, count = 0;
	int fd = -1, rc = -1;

	traps = 0;
	if (m != M_NONE) {
		fd = open_event(m, period);
		if (fd < 0) {
			fprintf(stderr, "bare_sampling: perf_event_open (%s): %s\n",
				mode_name[m], strerror(errno));
			return -1;
		}
	}
	if (m == M_RING) {
		meta = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (meta == MAP_FAILED) {
			fprintf(stderr, "bare_sampling: mmap: %s\n", strerror(errno));
			meta = NULL;
			goto out;
		}
	}
	t0 = cpu_ns();
	if (fd >= 0)
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	spin(iters, meta, data_size, &ring_samples);
	if (fd >= 0)
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	*cpu = cpu_ns() - t0;
	if (meta)
		ring_samples += drain(meta, data_size);
	if (fd >= 0 && read(fd, &count, sizeof(count)) != (ssize_t)sizeof(count))
		count = 0;
	switch (m) {
	case M_NONE:
		*samples = 0;
		break;
	case M_EVENT:
		*samples = count / period; /* one overflow per period counted */
		break;
	case M_RING:
		*samples = ring_samples;
		break;
	default:
		*samples = (uint64_t)traps;
	}
	rc = 0;
out:
	if (meta)
		munmap(meta, map_size);
	if (fd >= 0)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	uint64_t period, work_ms, rounds, iters = 1u << 20, cpu, samples, r;
	int m;

	if (argc != 4) {
		fprintf(stderr, "usage: %s PERIOD_NS WORK_MS ROUNDS\n", argv[0]);
		return 2;
	}
	period = strtoull(argv[1], NULL, 10);
	work_ms = strtoull(argv[2], NULL, 10);
	rounds = strtoull(argv[3], NULL, 10);
	if (period == 0 || work_ms == 0 || rounds == 0) {
		fprintf(stderr, "bare_sampling: arguments must be positive\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTRAP, &sa, NULL);

	/* calibrate: iterations for WORK_MS of CPU without any event */
	for (;;) {
		if (run(M_NONE, period, iters, &cpu, &samples) != 0)
			return 1;
		if (cpu >= work_ms * 1000000u / 4)
			break;
		iters *= 2;
	}
	iters = (uint64_t)((double)iters * (double)(work_ms * 1000000u) / (double)cpu);

	for (r = 0; r < rounds; r++)
		for (m = 0; m < M_COUNT; m++) {
			if (run((enum mode)m, period, iters, &cpu, &samples) != 0)
				return 1;
			printf("%s %llu %llu\n", mode_name[m], (unsigned long long)cpu,
			       (unsigned long long)samples);
			fflush(stdout);
		}
	return 0;
}
