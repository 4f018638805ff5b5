/* exact.c: --exact, counters read at every Python call and return.
 *
 * Instead of sampling, every thread reads its own counter group (opened
 * on the thread at its first event: pid 0, no inherit, PERF_FORMAT_GROUP,
 * one read() for all events) whenever a Python function starts, resumes,
 * returns, yields or unwinds.  The difference between two reads belongs
 * to the function on top of that thread's shadow stack.  Hooks:
 *
 *   3.12+   sys.monitoring (PEP 669): three C callables made here with
 *           PyCFunction_NewEx, registered by the bootstrap for PY_START,
 *           PY_RESUME/PY_THROW and PY_RETURN/PY_YIELD/PY_UNWIND on a tool
 *           id of their own, so that cProfile (PROFILER_ID) still works;
 *   3.8-3.11  PyEval_SetProfile (what sys.setprofile installs, minus the
 *           Python call), per thread: the bootstrap installs it on the
 *           main thread and at the start of every thread _thread starts.
 *
 * Values are kept per calling-context node (parent node, code object,
 * thread), so the launcher rebuilds whole call paths: self and inclusive
 * figures, flame graphs and the per-thread split work as they do for
 * samples.  A node's calls count PY_START (CALL before 3.12) only.
 *
 * Every interval between two reads holds one hook's worth of our own work
 * (the end of one hook, the interpreter's dispatch to the next, its start).
 * pp_exact_calibrate() measures that cost on an empty Python function at
 * start-up; nodes carry how many intervals they were charged, and the
 * launcher subtracts cost x intervals (src/exact.c).
 *
 * Everything here runs with the GIL held: hooks, calibration, the dump and
 * the reset after fork.  "<id>.exact" is rewritten whole (temporary name,
 * rename) at exit, before exec, and every second from the resolver, so
 * that a killed process still leaves its last second's figures. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "pyperf/exact.h"
#include "safe_read.h"

#define PP_EXPORT __attribute__((visibility("default")))

#define MAX_STACK 100000        /* shadow stack entries per thread */
#define CALIB_BATCHES 8

/* PyTrace_* (Include/cpython/pystate.h), stable since 2.x */
enum { TRACE_CALL = 0, TRACE_RETURN = 3 };
/* METH_FASTCALL (Include/methodobject.h) */
#define METH_FASTCALL 0x0080

enum ev_kind { EV_EXIT, EV_START, EV_RESUME };

struct node {
	uint32_t parent;        /* 0: a thread's outermost call */
	uint32_t tid;
	uint32_t fp;
	uint32_t depth;         /* path length, 1 for an outermost call */
	uint64_t code;
	uint64_t calls;
	uint64_t hooks;         /* intervals charged to this node */
	uint64_t v[PP_AGENT_MAX_EVENTS];
};

struct thread {
	int fd[PP_AGENT_MAX_EVENTS];  /* fd[0] leads the group */
	unsigned nev;
	int state;                    /* 0 not opened, 1 counting, -1 failed */
	pid_t tid;
	uint64_t last[PP_AGENT_MAX_EVENTS];
	uint32_t *stack;              /* node indexes */
	unsigned depth, cap;
};

/* PyMethodDef, stable ABI */
struct method_def {
	const char *name;
	void *meth;
	int flags;
	const char *doc;
};

static struct {
	struct pp_exact_api api;
	int on;                 /* PYPERF_EXACT=1 and the counters can be read */
	int paused;             /* after fork, until pp_exact__after_fork() */
	unsigned nev;
	struct node *nodes;     /* nodes[0] is the root, never charged */
	size_t n, cap;
	uint32_t *hash;         /* node index, 0 = empty */
	size_t hash_cap;
	uint64_t lost_nodes;    /* events not recorded: table full */
	uint64_t truncated;     /* calls flattened at the depth limit */
	int multiplexed;        /* a group did not run all the time */
	char problem[256];
	double cost[PP_AGENT_MAX_EVENTS];
	double calib[CALIB_BATCHES][PP_AGENT_MAX_EVENTS];
	unsigned ncalib;
	uint64_t dumped_hooks;  /* sum of hooks at the last dump */
	uint64_t hooks;
} ex;

static pthread_key_t thread_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static __thread struct thread *self;

/* ---- counters ---- */

static void thread_close(struct thread *t)
{
	unsigned i;

	for (i = 0; i < t->nev; i++)
		if (t->fd[i] >= 0)
			close(t->fd[i]);
	t->nev = 0;
	t->state = 0;
}

static void thread_free(void *arg)
{
	struct thread *t = arg;

	if (self == t)
		self = NULL;
	thread_close(t);
	free(t->stack);
	free(t);
}

static void make_key(void)
{
	pthread_key_create(&thread_key, thread_free);
}

static int thread_open(struct thread *t)
{
	struct perf_event_attr a;
	unsigned i;

	t->tid = (pid_t)syscall(SYS_gettid);
	for (i = 0; i < ex.nev; i++) {
		int fd;

		pp_agent__counting_attr(i, &a);
		a.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
				PERF_FORMAT_TOTAL_TIME_RUNNING;
		a.disabled = 0;
		fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, i ? t->fd[0] : -1,
				  PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (!ex.problem[0])
				snprintf(ex.problem, sizeof(ex.problem),
					 "--exact: event %u cannot be counted on a thread: %s",
					 i, strerror(errno));
			t->nev = i;
			thread_close(t);
			t->state = -1;
			return -1;
		}
		t->fd[i] = fd;
		t->nev = i + 1;
	}
	t->state = 1;
	return 0;
}

/* One read() for the whole group: {nr, enabled, running, values[nr]}. */
static int thread_read(struct thread *t, uint64_t *v)
{
	uint64_t buf[3 + PP_AGENT_MAX_EVENTS];
	ssize_t want = (ssize_t)((3 + t->nev) * sizeof(uint64_t));

	if (read(t->fd[0], buf, sizeof(buf)) != want || buf[0] != t->nev)
		return -1;
	if (buf[2] < buf[1])
		ex.multiplexed = 1;
	memcpy(v, &buf[3], t->nev * sizeof(uint64_t));
	return 0;
}

static struct thread *thread_get(void)
{
	struct thread *t = self;

	if (t)
		return t->state >= 0 ? t : NULL;
	pthread_once(&key_once, make_key);
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	self = t;
	pthread_setspecific(thread_key, t);
	if (thread_open(t) != 0 || thread_read(t, t->last) != 0) {
		t->state = -1;
		return NULL;
	}
	return t;
}

/* ---- calling-context nodes ---- */

static uint64_t node_hash(uint32_t parent, uint64_t code, uint32_t tid)
{
	uint64_t h = (code ^ ((uint64_t)parent << 32) ^ tid) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static int rehash(size_t cap)
{
	uint32_t *h = calloc(cap, sizeof(*h));
	size_t i;

	if (!h)
		return -1;
	for (i = 1; i < ex.n; i++) {
		const struct node *n = &ex.nodes[i];
		size_t j = node_hash(n->parent, n->code, n->tid) & (cap - 1);

		while (h[j])
			j = (j + 1) & (cap - 1);
		h[j] = (uint32_t)i;
	}
	free(ex.hash);
	ex.hash = h;
	ex.hash_cap = cap;
	return 0;
}

/* The node of CODE called from PARENT on thread TID, created on first
 * sight (with a reference that keeps CODE, and so its address, ours).
 * 0 when the table is full or memory is short. */
static uint32_t node_get(uint32_t parent, uint64_t code, uint32_t tid)
{
	size_t j;
	struct node *n;
	uint32_t fp;

	if ((!ex.hash_cap || ex.n * 2 >= ex.hash_cap) && ex.n < PP_EXACT_MAX_NODES &&
	    rehash(ex.hash_cap ? ex.hash_cap * 2 : 4096) != 0)
		return 0;
	if (!ex.hash_cap)
		return 0;
	for (j = node_hash(parent, code, tid) & (ex.hash_cap - 1); ex.hash[j];
	     j = (j + 1) & (ex.hash_cap - 1)) {
		n = &ex.nodes[ex.hash[j]];
		if (n->code == code && n->parent == parent && n->tid == tid)
			return ex.hash[j];
	}
	if (ex.n >= PP_EXACT_MAX_NODES ||
	    !pp_pyframe__code_fp(&pp_agent.layout, pp_agent.code_type, code, &fp))
		return 0;
	if (ex.n == ex.cap) {
		size_t cap = ex.cap * 2;
		struct node *m = realloc(ex.nodes, cap * sizeof(*m));

		if (!m)
			return 0;
		ex.nodes = m;
		ex.cap = cap;
	}
	n = &ex.nodes[ex.n];
	memset(n, 0, sizeof(*n));
	n->parent = parent;
	n->tid = tid;
	n->code = code;
	n->fp = fp;
	n->depth = parent ? ex.nodes[parent].depth + 1 : 1;
	pp_agent__keep(code, fp);
	ex.hash[j] = (uint32_t)ex.n; /* the empty slot the search ended on */
	return (uint32_t)ex.n++;
}

static void push(struct thread *t, uint32_t idx)
{
	if (t->depth == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 256;
		uint32_t *s;

		if (cap > MAX_STACK || !(s = realloc(t->stack, cap * sizeof(*s)))) {
			ex.lost_nodes++;
			return;
		}
		t->stack = s;
		t->cap = cap;
	}
	t->stack[t->depth++] = idx;
}

/* ---- the hook ---- */

static void on_event(uint64_t code, enum ev_kind kind)
{
	uint64_t v[PP_AGENT_MAX_EVENTS];
	struct thread *t;
	unsigned i;

	if (!ex.on || ex.paused || pp_handler__thread_ignored())
		return;
	t = thread_get();
	if (!t || thread_read(t, v) != 0)
		return;
	ex.hooks++;
	if (t->depth) {
		struct node *n = &ex.nodes[t->stack[t->depth - 1]];

		for (i = 0; i < t->nev; i++)
			n->v[i] += v[i] - t->last[i];
		n->hooks++;
	}
	memcpy(t->last, v, t->nev * sizeof(v[0]));

	if (kind != EV_EXIT) {
		uint32_t parent = t->depth ? t->stack[t->depth - 1] : 0, idx;

		/* Deeper than --depth: flatten onto the deepest kept node,
		 * as samples are cut at the same depth. */
		while (parent && ex.nodes[parent].depth >= pp_agent.depth)
			parent = ex.nodes[parent].parent;
		if (t->depth && parent != t->stack[t->depth - 1])
			ex.truncated += kind == EV_START;
		idx = node_get(parent, code, (uint32_t)t->tid);
		if (!idx) {
			ex.lost_nodes++;
			return;
		}
		if (kind == EV_START)
			ex.nodes[idx].calls++;
		push(t, idx);
		return;
	}
	/* The returning function is normally on top.  Hooks installed while
	 * frames were running see returns they never saw start: ignore those,
	 * and unwind past entries whose exit was missed (bounded search). */
	for (i = t->depth; i > 0 && t->depth - i < 8; i--) {
		if (ex.nodes[t->stack[i - 1]].code == code) {
			t->depth = i - 1;
			return;
		}
	}
}

/* Whether a PyTrace_CALL for FRAME resumes a generator or coroutine (not
 * a call).  3.8-3.10: f_lasti is -1 until the frame first runs.  3.11:
 * the hook runs at the frame's (PyFrameObject.f_frame, after PyObject_HEAD
 * and f_back) RESUME instruction, whose oparg is 0 at the start of the
 * function and 1-3 after a yield or await (RESUME_QUICK once quickened). */
#define F_FRAME_311 24
#define RESUME_311 151
#define RESUME_QUICK_311 150

static int is_resume(void *frame)
{
	const struct pp_pylayout *l = &pp_agent.layout;
	uint64_t w, iframe, instr;

	if (l->kind == PP_PYFRAME_OBJECT)
		return pp_safe_load64((uintptr_t)frame + l->frame_instr, &w) &&
		       (int32_t)(uint32_t)w != -1;
	if (l->minor_hex != 0x030b)
		return 0;
	return pp_safe_load64((uintptr_t)frame + F_FRAME_311, &iframe) &&
	       pp_safe_load64(iframe + l->frame_instr, &instr) && instr &&
	       pp_safe_load64(instr, &w) &&
	       ((w & 0xff) == RESUME_311 || (w & 0xff) == RESUME_QUICK_311) && (w >> 8 & 0xff);
}

/* 3.8-3.11: Py_tracefunc */
static int profile_hook(void *obj, void *frame, int what, void *arg)
{
	uint64_t code = 0;

	(void)obj;
	(void)arg;
	if (what != TRACE_CALL && what != TRACE_RETURN)
		return 0;
	if (ex.api.get_code) {
		/* 3.9+: a new reference to a code object the frame holds */
		void *c = ex.api.get_code(frame);

		if (!c)
			return 0;
		code = (uint64_t)(uintptr_t)c;
		ex.api.decref(c);
	} else if (!pp_safe_load64((uintptr_t)frame + pp_agent.layout.frame_code, &code)) {
		return 0;
	}
	if (what == TRACE_RETURN) {
		on_event(code, EV_EXIT);
		return 0;
	}
	on_event(code, is_resume(frame) ? EV_RESUME : EV_START);
	return 0;
}

/* 3.12+: sys.monitoring callbacks, METH_FASTCALL; args[0] is the code. */
static void *mon_result(void)
{
	ex.api.incref(ex.api.none);
	return ex.api.none;
}

static void *mon_start(void *mod, void *const *args, ssize_t nargs)
{
	(void)mod;
	if (nargs >= 1)
		on_event((uint64_t)(uintptr_t)args[0], EV_START);
	return mon_result();
}

static void *mon_resume(void *mod, void *const *args, ssize_t nargs)
{
	(void)mod;
	if (nargs >= 1)
		on_event((uint64_t)(uintptr_t)args[0], EV_RESUME);
	return mon_result();
}

static void *mon_exit(void *mod, void *const *args, ssize_t nargs)
{
	(void)mod;
	if (nargs >= 1)
		on_event((uint64_t)(uintptr_t)args[0], EV_EXIT);
	return mon_result();
}

static struct method_def mon_defs[3] = {
	{ "pyperf_exact_start", (void *)mon_start, METH_FASTCALL, NULL },
	{ "pyperf_exact_resume", (void *)mon_resume, METH_FASTCALL, NULL },
	{ "pyperf_exact_exit", (void *)mon_exit, METH_FASTCALL, NULL },
};

/* ---- set-up (agent.c) ---- */

int pp_exact__init(unsigned nev, const struct pp_exact_api *api)
{
	ex.api = *api;
	ex.nev = nev;
	ex.cap = 1024;
	ex.n = 1;
	ex.nodes = calloc(ex.cap, sizeof(*ex.nodes));
	if (!ex.nodes)
		return -ENOMEM;
	ex.on = 1;
	return 0;
}

int pp_exact__enabled(void)
{
	return ex.on;
}

static void reset_nodes(void)
{
	ex.n = 1;
	if (ex.hash)
		memset(ex.hash, 0, ex.hash_cap * sizeof(*ex.hash));
	ex.hooks = ex.dumped_hooks = 0;
	ex.lost_nodes = ex.truncated = 0;
}

/* In the child of fork(): the thread's counters count the parent's
 * thread, the nodes are the parent's.  Async-signal-safe; events are
 * ignored until pp_exact__after_fork(). */
void pp_exact__atfork_child(void)
{
	if (!ex.on)
		return;
	ex.paused = 1;
	if (self)
		thread_close(self);
}

/* In the child, with the GIL: start the table afresh, keeping the path
 * the forking thread is in (its functions return here too). */
void pp_exact__after_fork(void)
{
	struct thread *t = self;
	uint64_t codes[256];
	unsigned i, n = 0;

	if (!ex.on)
		return;
	if (t)
		for (i = 0; i < t->depth && n < 256; i++)
			codes[n++] = ex.nodes[t->stack[i]].code;
	reset_nodes();
	if (t) {
		t->depth = 0;
		if (thread_open(t) == 0 && thread_read(t, t->last) == 0) {
			uint32_t parent = 0;
			for (i = 0; i < n; i++) {
				parent = node_get(parent, codes[i], (uint32_t)t->tid);
				if (!parent)
					break;
				push(t, parent);
			}
		} else {
			t->state = -1;
		}
	}
	ex.paused = 0;
}

/* ---- what the bootstrap calls (ctypes.PyDLL: with the GIL) ---- */

/* 3.8-3.11: installs the profile function on the calling thread. */
PP_EXPORT int pp_exact_install_thread(void)
{
	if (!ex.on || !ex.api.set_profile)
		return -1;
	ex.api.set_profile((void *)profile_hook, NULL);
	return 0;
}

/* 3.12+: the callable for sys.monitoring callbacks of KIND (0 start, 1
 * resume/throw, 2 return/yield/unwind), a new reference. */
PP_EXPORT void *pp_exact_callable(int kind)
{
	if (!ex.on || !ex.api.cfunc_new || kind < 0 || kind > 2)
		return NULL;
	return ex.api.cfunc_new(&mon_defs[kind], NULL, NULL);
}

/* Calibration: the bootstrap calls an empty function many times, then
 * this with its code object's address, a few times over.  The cost of one
 * interval is what the empty function's node was charged per interval; the
 * median of the batches is kept, and the table is cleared so that nothing
 * of the calibration remains.  Returns the batches done. */
PP_EXPORT int pp_exact_calibrate(uint64_t code)
{
	uint64_t v[PP_AGENT_MAX_EVENTS] = { 0 }, hooks = 0;
	size_t i;
	unsigned e;

	if (!ex.on)
		return -1;
	for (i = 1; i < ex.n; i++) {
		struct node *n = &ex.nodes[i];

		if (n->code != code)
			continue;
		hooks += n->hooks;
		for (e = 0; e < ex.nev; e++)
			v[e] += n->v[e];
		/* the next batch starts from zero */
		n->hooks = 0;
		memset(n->v, 0, sizeof(n->v));
	}
	if (hooks && ex.ncalib < CALIB_BATCHES) {
		for (e = 0; e < ex.nev; e++)
			ex.calib[ex.ncalib][e] = (double)v[e] / (double)hooks;
		ex.ncalib++;
	}
	return (int)ex.ncalib;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Ends calibration: keeps the medians and starts counting for real. */
PP_EXPORT void pp_exact_begin(void)
{
	double col[CALIB_BATCHES];
	unsigned e, b;

	for (e = 0; e < ex.nev && ex.ncalib; e++) {
		for (b = 0; b < ex.ncalib; b++)
			col[b] = ex.calib[b][e];
		qsort(col, ex.ncalib, sizeof(col[0]), cmp_double);
		ex.cost[e] = ex.ncalib % 2 ? col[ex.ncalib / 2] :
			(col[ex.ncalib / 2 - 1] + col[ex.ncalib / 2]) / 2;
	}
	reset_nodes();
	if (self)
		self->depth = 0;
}

/* "<id>.exact" (format in src/exact.c), rewritten whole.  With the GIL. */
int pp_exact__dump(const char *path, const char *tmp, int force)
{
	FILE *f;
	size_t i;
	unsigned e;

	if (!ex.on || ex.paused || (!force && ex.hooks == ex.dumped_hooks))
		return 0;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "pyperf-exact 1\nevents %u\ncost", ex.nev);
	for (e = 0; e < ex.nev; e++)
		fprintf(f, " %.17g", ex.cost[e]);
	if (ex.problem[0])
		fprintf(f, "\nproblem %s", ex.problem);
	fprintf(f, "\ncalibration %u\nmultiplexed %d\nlost %llu\ntruncated %llu\nnodes %zu\n",
		ex.ncalib, ex.multiplexed, (unsigned long long)ex.lost_nodes,
		(unsigned long long)ex.truncated, ex.n - 1);
	for (i = 1; i < ex.n; i++) {
		const struct node *n = &ex.nodes[i];

		fprintf(f, "%zu %u %u %llx %x %llu %llu", i, n->parent, n->tid,
			(unsigned long long)n->code, n->fp, (unsigned long long)n->calls,
			(unsigned long long)n->hooks);
		for (e = 0; e < ex.nev; e++)
			fprintf(f, " %llu", (unsigned long long)n->v[e]);
		fputc('\n', f);
	}
	fputs("end\n", f);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int err = -errno;
		unlink(tmp);
		return err;
	}
	ex.dumped_hooks = ex.hooks;
	return 0;
}
