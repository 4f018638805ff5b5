/* handler.c: the sampling signal handlers.
 *
 * Signal-handler code.  Rules obeyed by everything reachable from
 * on_sigtrap() and on_fallback(): no malloc, no stdio, no locks, no dlsym,
 * no Python API except PyGILState_GetThisThreadState (a thread-local read,
 * called once at start so that its PLT entries are bound); no system calls
 * except one gettid() per thread, cached, and for clock events one
 * clock_gettime() per signal and, when it says periods were skipped, one
 * read() of the event's count (clock_periods); preallocated buffers only (the
 * ring, the code set, a bounded frame array on the stack); errno saved and
 * restored; shared data touched with atomics only.  Interpreter memory is
 * read through guarded loads (safe_read.h), via pyframe.c; with --native
 * so is the thread's stack (fp_walk, stack_readable).
 *
 * Which signals are ours: SIGTRAP with si_code TRAP_PERF (sigtrap events,
 * Linux 5.13+), or in the fallback SIGPROF with si_code POLL_IN..POLL_HUP
 * and an si_fd we opened.  Anything else goes to the previous handler. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <x86intrin.h>

#include "agent.h"
#include "safe_read.h"

#ifndef TRAP_PERF
#define TRAP_PERF 6  /* asm-generic/siginfo.h, Linux 5.13 */
#endif

struct pp_agent_state pp_agent;
struct pp_codeslot pp_codeset[PP_CODESET_SIZE];
uint32_t pp_codeq[PP_CODESET_SIZE];
uint32_t pp_codeq_n;
uint8_t pp_fd_event[PP_FD_TABLE];

static struct sigaction prev_trap, prev_fallback;
static __thread pid_t tls_tid;
static __thread int tls_ignore;
/* clock_periods(): the thread's CPU time at its last signal of each event,
 * valid where its bit in tls_cpu_seen is set */
static __thread uint64_t tls_last_cpu[PP_AGENT_MAX_EVENTS];
static __thread uint32_t tls_cpu_seen;

void pp_handler__thread_ignore(int on)
{
	tls_ignore = on;
}

int pp_handler__thread_ignored(void)
{
	return tls_ignore;
}

void pp_handler__forget_tid(void)
{
	tls_tid = 0;
	tls_cpu_seen = 0;
}

/* Per event, for clock_periods(): signals of the primary event (the
 * calling thread's inherited one), periods added to them, threads that
 * took one.  Reset at start and in a forked child. */
static uint64_t prim_signals[PP_AGENT_MAX_EVENTS];
static uint64_t prim_added[PP_AGENT_MAX_EVENTS];
static uint64_t prim_threads[PP_AGENT_MAX_EVENTS];

void pp_handler__reset_periods(void)
{
	unsigned i;

	for (i = 0; i < PP_AGENT_MAX_EVENTS; i++) {
		__atomic_store_n(&pp_agent.primary_fd[i], -1, __ATOMIC_RELAXED);
		__atomic_store_n(&prim_signals[i], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&prim_added[i], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&prim_threads[i], 0, __ATOMIC_RELAXED);
	}
}

/* How many sampling periods this signal stands for.
 *
 * The kernel raises one signal per event at the thread's next return to
 * user space, and drops the overflows that come while it is still pending
 * (kernel/events/core.c, __perf_event_overflow: event->pending_work).  A
 * system call that runs for several periods (fork of a large process,
 * munmap of a large mapping, a long read) thus gives one signal for all
 * of them: a C loop reading 16 MiB from /dev/urandom 20 times got 20
 * signals for 1.5 s of task-clock here.
 *
 * For task-clock and cpu-clock the period is CPU time, and the thread's
 * CPU clock says how many periods went by since its previous signal of
 * the event: floor(delta / period).  After a signal delivered late by d
 * the next comes early by d, so lateness alone never adds a period.  But
 * a thread's signals follow its own CPU time only while its events stay
 * its own, and the kernel swaps the perf contexts of threads that
 * inherited the same events at a context switch (perf_event_context_
 * sched_out: a period begun on one thread ends on another); with 64
 * threads yielding, the thread clocks alone invented 19% more periods
 * than there were.  (Preventing the swap, with an event that is not
 * inherited, made every switch reschedule the events: 1.4 times the run
 * time on the scale workload, against 1.07.)  So the periods a thread's
 * clock proposes are granted only up to what the event's own count says
 * is missing: its periods so far, minus the signals taken and the
 * periods already added, minus one per thread for the partial period
 * each leaves.  The count is read from the primary event, which covers
 * every thread that inherited it; events opened on threads that existed
 * before the agent (rare) and the fallback's per-thread events, which
 * nothing covers, are weighed by the thread clock in the fallback (its
 * events are never swapped: not inherited) and not at all otherwise. */
static uint32_t clock_periods(unsigned event, int secondary)
{
	struct timespec ts;
	uint64_t period, now, last, n, count, due, had, added, extra;
	int first, fd;

	if (event >= PP_AGENT_MAX_EVENTS || (period = pp_agent.clock_period[event]) == 0)
		return 1;
	first = !(tls_cpu_seen & (1u << event));
	if (!secondary) {
		__atomic_fetch_add(&prim_signals[event], 1, __ATOMIC_RELAXED);
		if (first)
			__atomic_fetch_add(&prim_threads[event], 1, __ATOMIC_RELAXED);
	}
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 1;
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	last = tls_last_cpu[event];
	tls_last_cpu[event] = now;
	tls_cpu_seen |= 1u << event;
	if (first)
		return 1;
	n = now > last ? (now - last) / period : 0;
	if (n <= 1)
		return 1;
	if (n > PP_RING_MAX_PERIODS)
		n = PP_RING_MAX_PERIODS;
	if (pp_agent.fallback)
		return (uint32_t)n;
	fd = __atomic_load_n(&pp_agent.primary_fd[event], __ATOMIC_ACQUIRE);
	if (secondary || fd < 0 || read(fd, &count, sizeof(count)) != (ssize_t)sizeof(count))
		return 1;
	due = count / period;
	/* two threads granting at once must not both take the same deficit */
	added = __atomic_load_n(&prim_added[event], __ATOMIC_RELAXED);
	do {
		had = __atomic_load_n(&prim_signals[event], __ATOMIC_RELAXED) + added +
		      __atomic_load_n(&prim_threads[event], __ATOMIC_RELAXED);
		if (due <= had)
			return 1;
		extra = due - had < n - 1 ? due - had : n - 1;
	} while (!__atomic_compare_exchange_n(&prim_added[event], &added, added + extra, 0,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 1 + (uint32_t)extra;
}

/* si_perf_data: the word after si_addr in the _sigfault union
 * (asm-generic/siginfo.h); glibc 2.36 does not name it. */
static unsigned long si_perf_data(const siginfo_t *si)
{
	unsigned long v;
	memcpy(&v, (const char *)&si->si_addr + sizeof(void *), sizeof(v));
	return v;
}

static uint64_t codeset_key(uint64_t code, uint32_t fp)
{
	uint64_t h = (code ^ ((uint64_t)fp << 32 | fp)) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 31;
	return h | 1;
}

/* Keys seen recently, direct-mapped: most frames of a sample were in the
 * previous one, and 32 KiB stay in cache where the 1.5 MiB set would
 * not.  A hint only: a racy overwrite just sends us to the set. */
#define SEEN_SIZE 4096
static uint64_t seen[SEEN_SIZE];

void pp_handler__forget_seen(void)
{
	memset(seen, 0, sizeof(seen));
}

static void codeset_insert(struct pp_ring_hdr *ring, uint64_t code, uint32_t fp)
{
	uint64_t key = codeset_key(code, fp);
	uint64_t *hint = &seen[key & (SEEN_SIZE - 1)];
	uint32_t i, idx = (uint32_t)(key >> 17);

	if (__atomic_load_n(hint, __ATOMIC_RELAXED) == key)
		return;
	__atomic_store_n(hint, key, __ATOMIC_RELAXED);

	for (i = 0; i < PP_CODESET_PROBES; i++, idx++) {
		struct pp_codeslot *s = &pp_codeset[idx & (PP_CODESET_SIZE - 1)];
		uint64_t cur = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);
		uint32_t q;

		if (cur == key)
			return;
		if (cur != 0)
			continue;
		if (!__atomic_compare_exchange_n(&s->key, &cur, key, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (cur == key)
				return;
			continue;
		}
		s->code = code;
		s->fp = fp;
		__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
		q = __atomic_fetch_add(&pp_codeq_n, 1, __ATOMIC_ACQ_REL);
		if (q < PP_CODESET_SIZE)
			__atomic_store_n(&pp_codeq[q], (idx & (PP_CODESET_SIZE - 1)) + 1,
					 __ATOMIC_RELEASE);
		return;
	}
	pp_ring__count(ring, PP_RC_CODES_OVERFLOW, 1);
}

static void sample(unsigned event, int secondary, const ucontext_t *uc);

void pp_handler__code_seen(uint64_t code, uint32_t fp)
{
	if (pp_agent.ring)
		codeset_insert(pp_agent.ring, code, fp);
}

/* Diagnostic counters (samples, frames, cycles, histogram): a relaxed
 * load and store, no lock prefix.  Two threads sampled at the same
 * instant may lose one increment; the counts that matter to the report
 * (drops) use pp_ring__count. */
static inline void diag_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* Quarter-octave buckets: 4 * log2(cycles), up to 2^16 cycles. */
static unsigned hist_bucket(uint64_t c)
{
	unsigned lz = 63u - (unsigned)__builtin_clzll(c | 4), b;

	b = 4 * lz + (unsigned)((c >> (lz - 2)) & 3);
	return b > 63 ? 63 : b;
}

/* The handler's work without the signal, for measuring it (overhead.py):
 * ITERS samples of the calling thread, recorded with an event index no
 * consumer counts.  Returns the fastest per-sample time of batches of 100
 * in TSC cycles (the minimum filters out preemption by other tasks). */
uint64_t pp_handler__bench(unsigned iters)
{
	ucontext_t uc;
	uint64_t best = UINT64_MAX;
	unsigned i, k;

	memset(&uc, 0, sizeof(uc));
	for (i = 0; i < iters; i += 100) {
		uint64_t t0 = __rdtsc(), dt;
		for (k = 0; k < 100; k++)
			sample(0xffff, 0, &uc);
		dt = (__rdtsc() - t0) / 100;
		if (dt < best)
			best = dt;
	}
	return best;
}

/* --native: the frame-pointer chain that starts at the interrupted RBP,
 * as (frame address, return address) pairs.  Code built without frame
 * pointers (CPython, numpy, OpenBLAS here) uses RBP as an ordinary
 * register, so these are candidates only: a frame must lie above the
 * interrupted stack pointer and within PP_AGENT_NATIVE_SPAN of it, 8-byte
 * aligned, each next one strictly above the last, and every load is
 * guarded.  The consumer decides what to believe (src/collect.c). */
static unsigned fp_walk(const ucontext_t *uc, uint64_t *out, unsigned max)
{
	uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
	uintptr_t lo = sp, hi = sp + PP_AGENT_NATIVE_SPAN;
	unsigned n = 0;

	if (sp == 0 || hi < sp)
		return 0;
	while (n < max) {
		uint64_t next, ra;

		if (fp < lo || fp > hi - 16 || (fp & 7))
			break;
		if (!pp_safe_load64(fp, &next) || !pp_safe_load64(fp + 8, &ra) ||
		    !pp_safe_plausible((uintptr_t)ra))
			break;
		out[2 * n] = fp;
		out[2 * n + 1] = ra;
		n++;
		lo = fp + 16;
		fp = (uintptr_t)next;
	}
	return n;
}

/* How many words from SP up (at most MAX) can be read: one guarded load
 * per page, since a page is readable as a whole or not at all. */
static unsigned stack_readable(uintptr_t sp, unsigned max)
{
	uintptr_t p = sp, end = sp + (uintptr_t)max * 8;
	uint64_t probe;

	if ((sp & 7) || !pp_safe_plausible(sp) || end < sp)
		return 0;
	while (p < end) {
		uintptr_t next = (p | 4095) + 1;

		if (!pp_safe_load64(p, &probe))
			break;
		p = next < end ? next : end;
	}
	return (unsigned)((p - sp) / 8);
}

static void sample(unsigned event, int secondary, const ucontext_t *uc)
{
	struct pp_ring_frame frames[PP_AGENT_MAX_DEPTH];
	uint64_t native[2 * PP_AGENT_NATIVE_DEPTH];
	unsigned nnative = 0, nstack = 0;
	uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	struct pp_ring_hdr *ring;
	struct pp_ring_sample *rec;
	uint64_t t0 = __rdtsc();
	uintptr_t tstate;
	uint32_t flags = 0, len, periods;
	int n = 0, i;

	if (!__atomic_load_n(&pp_agent.active, __ATOMIC_ACQUIRE))
		return;
	ring = pp_agent.ring;
	diag_add(&ring->counters[PP_RC_SAMPLES], 1);
	periods = pp_agent.bare ? 1 : clock_periods(event, secondary);
	if (tls_ignore) {
		pp_ring__count(ring, PP_RC_IGNORED, periods);
		return;
	}
	if ((event >= pp_agent.nevents && event != 0xffff) || pp_agent.bare)
		return;
	/* Where our record will most likely go: start fetching those lines
	 * for writing now, they are cold (the ring is larger than caches)
	 * and the walk gives the fetches time. */
	{
		uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
		const char *p = (const char *)pp_ring_data(ring) + (head & (ring->data_size - 1));
		__builtin_prefetch(p, 1);
		__builtin_prefetch(p + 64, 1);
		__builtin_prefetch(p + 128, 1);
		__builtin_prefetch(p + 192, 1);
		__builtin_prefetch(p + 256, 1);
		__builtin_prefetch(p + 320, 1);
		__builtin_prefetch(p + 384, 1);
		__builtin_prefetch(p + 448, 1);
	}
	tstate = pp_agent.gilstate ? pp_agent.gilstate() : 0;
	if (tstate == 0) {
		flags |= PP_SAMPLE_NO_TSTATE;
	} else {
		n = pp_pyframe__walk(&pp_agent.layout, pp_agent.code_type, tstate,
				     frames, pp_agent.depth, &flags);
		if (n < 0) {
			pp_ring__count(ring, PP_RC_LOST_UNREADABLE, periods);
			return;
		}
	}
	if (tls_tid == 0)
		tls_tid = (pid_t)syscall(SYS_gettid);
	if (pp_agent.native) {
		nnative = fp_walk(uc, native, PP_AGENT_NATIVE_DEPTH);
		nstack = stack_readable(sp, pp_agent.stack_words);
	}

	len = (uint32_t)pp_ring_sample_size3((unsigned)n, nnative, nstack);
	rec = pp_ring__reserve(ring, len);
	if (rec) {
		rec->tid = (uint32_t)tls_tid;
		rec->event = (uint16_t)event;
		rec->nframes = (uint16_t)n;
		rec->flags = flags;
		rec->ip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
		rec->nnative = (uint16_t)nnative;
		rec->nstack = (uint16_t)nstack;
		rec->maps_gen = __atomic_load_n(&pp_agent.maps_gen, __ATOMIC_ACQUIRE);
		rec->sp = pp_agent.native ? (uint64_t)sp : 0;
		rec->bp = pp_agent.native ? (uint64_t)uc->uc_mcontext.gregs[REG_RBP] : 0;
		rec->periods = periods;
		rec->pad1 = 0;
		memcpy(rec->frames, frames, (size_t)n * sizeof(frames[0]));
		memcpy(&rec->frames[n], native, (size_t)nnative * 2 * sizeof(native[0]));
		/* stack_readable() proved every page of it readable */
		memcpy((uint64_t *)(void *)&rec->frames[n] + 2 * nnative, (const void *)sp,
		       (size_t)nstack * 8);
		pp_ring__publish(rec, len);
		if (periods > 1)
			pp_ring__count(ring, PP_RC_RECOVERED, periods - 1);
		if (n == 0)
			pp_ring__count(ring, PP_RC_NATIVE, 1);
		if (flags & PP_SAMPLE_TRUNCATED)
			pp_ring__count(ring, PP_RC_TRUNCATED, 1);
		diag_add(&ring->counters[PP_RC_FRAMES], (uint64_t)n);
	} else if (periods > 1) {
		pp_ring__count(ring, PP_RC_LOST_FULL, periods - 1);
	}
	/* Even a dropped sample's code objects are worth resolving: the
	 * next sample in them may make it. */
	for (i = 0; i < n; i++)
		codeset_insert(ring, frames[i].code, frames[i].fp);
	t0 = __rdtsc() - t0;
	diag_add(&ring->counters[PP_RC_HANDLER_CYCLES], t0);
	diag_add(&ring->handler_hist[hist_bucket(t0)], 1);
}

static void chain(const struct sigaction *prev, int sig, siginfo_t *si, void *uc)
{
	if (prev->sa_flags & SA_SIGINFO) {
		if (prev->sa_sigaction)
			prev->sa_sigaction(sig, si, uc);
	} else if (prev->sa_handler == SIG_DFL) {
		/* Default action of SIGTRAP/SIGPROF: terminate (SIGTRAP with a
		 * core).  Re-deliver it as if we had never been there. */
		signal(sig, SIG_DFL);
		raise(sig);
	} else if (prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
	}
}

static void on_sigtrap(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	if (si->si_code == TRAP_PERF)
		sample((unsigned)(si_perf_data(si) & 0xffff),
		       (si_perf_data(si) & PP_SIG_SECONDARY) != 0, uc);
	else
		chain(&prev_trap, sig, si, uc);
	errno = saved;
}

static void on_fallback(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	/* F_SETSIG signals carry the poll band as si_code (POLL_IN = 1 ...
	 * POLL_HUP = 6) and the fd; kill()/tgkill() give si_code <= 0 and
	 * setitimer's SIGPROF gives SI_KERNEL (0x80).  One queued for an fd
	 * that its thread closed on the way out is still ours: drop it (the
	 * default action would kill the process). */
	if (si->si_code >= POLL_IN && si->si_code <= POLL_HUP) {
		unsigned ev = si->si_fd >= 0 && si->si_fd < PP_FD_TABLE ?
			__atomic_load_n(&pp_fd_event[si->si_fd], __ATOMIC_RELAXED) : 0;
		if (ev)
			sample(ev - 1u, 1, uc);
		else if (__atomic_load_n(&pp_agent.active, __ATOMIC_ACQUIRE))
			pp_ring__count(pp_agent.ring, PP_RC_INACTIVE, 1);
	} else {
		chain(&prev_fallback, sig, si, uc);
	}
	errno = saved;
}

static int install(int sig, void (*fn)(int, siginfo_t *, void *), struct sigaction *prev)
{
	struct sigaction cur, sa;

	if (sigaction(sig, NULL, &cur) != 0)
		return -errno;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == fn)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	/* RESTART: an interrupted read() or write() carries on instead of
	 * failing with EINTR in the target.  Both sampling signals are
	 * blocked while either handler runs: one sample at a time per
	 * thread keeps the stack use bounded. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTRAP);
	sigaddset(&sa.sa_mask, PP_FALLBACK_SIGNAL);
	*prev = cur;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (sigaction(sig, &sa, NULL) != 0)
		return -errno;
	return 0;
}

int pp_handler__install(int fallback)
{
	if (fallback)
		return install(PP_FALLBACK_SIGNAL, on_fallback, &prev_fallback);
	return install(SIGTRAP, on_sigtrap, &prev_trap);
}
