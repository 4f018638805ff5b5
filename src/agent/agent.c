/* agent.c: the part of the agent that is not a signal handler.
 *
 * Loaded into the target interpreter by bootstrap/sitecustomize.py with
 * ctypes (no Python.h: layouts come from pyframe.c, Python API functions
 * arrive as addresses).  pp_agent_start() creates this process image's
 * files in the state directory ("<id>.ring", "<id>.codes", "<id>.info";
 * <id> = "<pid>-<start time>", so an exec'd image with the same pid gets
 * new ones), installs the handlers and opens the sampling events:
 *
 *   sigtrap mode (default, Linux 5.13+): one event per configured event on
 *   the calling thread with inherit + inherit_thread (threads created later
 *   inherit it) + sigtrap + remove_on_exec, and one per thread that already
 *   exists (they would not inherit it).  The overflow raises SIGTRAP on the
 *   thread that overflowed, with sig_data = event index.
 *
 *   fallback (PYPERF_SIGNAL_FALLBACK=1, for older kernels): one event per
 *   thread, each routed to its own thread with O_ASYNC + F_SETSIG(SIGPROF)
 *   + F_SETOWN_EX(F_OWNER_TID).  New threads need pp_agent_thread_start()
 *   (the bootstrap wraps _thread's thread starters).
 *
 * The resolver thread (a pthread, not a Python thread: invisible to
 * threading.enumerate()) wakes every 50 ms; only when the handlers queued
 * new code objects does it take the GIL and call the bootstrap's resolve
 * callback, which calls pp_agent_take() and writes code records.  It also
 * keeps "<id>.maps" up to date (maps.c) for native symbolization. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "safe_read.h"

#define PP_EXPORT __attribute__((visibility("default")))

/* Indexes of the address array handed over by the bootstrap; keep in step
 * with bootstrap/sitecustomize.py. */
enum {
	API_GILSTATE_GET,      /* PyGILState_GetThisThreadState */
	API_CODE_TYPE,         /* id(types.CodeType) */
	API_RUNTIME,           /* &_PyRuntime, 0 when not exported */
	API_GILSTATE_ENSURE,   /* PyGILState_Ensure */
	API_GILSTATE_RELEASE,  /* PyGILState_Release */
	API_CALL_OBJECT,       /* PyObject_CallObject */
	API_ERR_CLEAR,         /* PyErr_Clear */
	API_INCREF,            /* Py_IncRef */
	API_DECREF,            /* Py_DecRef */
	API_CALLBACK,          /* the resolve callback (a Python callable) */
	API_ADD_AUDIT_HOOK,    /* PySys_AddAuditHook */
	API_TUPLE_GETITEM,     /* PyTuple_GetItem */
	API_SET_PROFILE,       /* PyEval_SetProfile (--exact, 3.8-3.11) */
	API_FRAME_GET_CODE,    /* PyFrame_GetCode (3.9+) */
	API_CFUNC_NEW,         /* PyCFunction_NewEx (--exact, 3.12+) */
	API_NONE,              /* &_Py_NoneStruct */
	API_N
};

#define MAX_RING_KB 16384
#define RESOLVER_PERIOD_MS 50
/* --exact: "<id>.exact" rewritten this often, for targets that die. */
#define EXACT_DUMP_TICKS 20
/* Code objects passed to exec() kept alive until the next resolver pass. */
#define PINS 64

struct ev_cfg {
	uint32_t type;
	uint64_t config, config1, config2, period;
	unsigned flags;      /* bit 0 exclude_user, 1 kernel, 2 hv, 3 idle,
				4 guest, 5 host; bits 8-9 precise_ip */
};

struct ev_fd {
	int fd;
	pid_t tid;
};

static struct {
	char dir[4096];
	char interp[128];
	char id[64];
	char problem[512];
	unsigned long hexversion;
	uint64_t api[API_N];
	struct ev_cfg ev[PP_AGENT_MAX_EVENTS];
	unsigned nev;
	size_t ring_len;
	int ring_fd, codes_fd;
	int started;          /* pp_agent_start succeeded in this image */
	int user_only;        /* kernel time refused: fell back to user only */
	uint32_t taken;       /* code queue entries handed to the resolver */
} st = { .ring_fd = -1, .codes_fd = -1 };

static pthread_mutex_t fds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ev_fd *fds;
static size_t nfds, fds_cap;

static pthread_mutex_t res_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t res_cond = PTHREAD_COND_INITIALIZER;
static pthread_t res_thread;
static int res_running, res_stop;
static pid_t res_tid;
static uint64_t res_cpu_base;   /* CPU ns of this image's earlier resolver threads */

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* Guarded by the GIL: only audit hooks and the resolver touch them. */
static void *pins[PINS];
static unsigned pin_pos;
static int audit_hooked;

static void set_problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void exact_dump(int force);
static void set_problem(const char *fmt, ...)
{
	va_list ap;

	if (st.problem[0])
		return; /* the first reason is the one that matters */
	va_start(ap, fmt);
	vsnprintf(st.problem, sizeof(st.problem), fmt, ap);
	va_end(ap);
}

/* ---- configuration from the environment (written by src/collect.c) ---- */

/* PYPERF_EVENTS: events separated by ';', each
 * "type:config:config1:config2:period:flags", numbers as strtoull base 0. */
static int parse_events(const char *s)
{
	st.nev = 0;
	while (s && *s) {
		struct ev_cfg e;
		char *end;
		uint64_t v[6];
		int i;

		for (i = 0; i < 6; i++) {
			errno = 0;
			v[i] = strtoull(s, &end, 0);
			if (errno || end == s || (i < 5 && *end != ':'))
				return -EINVAL;
			s = end + (i < 5);
		}
		if (*s == ';')
			s++;
		else if (*s)
			return -EINVAL;
		if (st.nev == PP_AGENT_MAX_EVENTS)
			return -E2BIG;
		e.type = (uint32_t)v[0];
		e.config = v[1];
		e.config1 = v[2];
		e.config2 = v[3];
		e.period = v[4] ? v[4] : 1000000;
		e.flags = (unsigned)v[5];
		st.ev[st.nev++] = e;
	}
	return 0;
}

static long env_long(const char *name, long def, long lo, long hi)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return def;
	return v;
}

/* ---- event fds ---- */

static int fds_add(int fd, pid_t tid)
{
	pthread_mutex_lock(&fds_lock);
	if (nfds == fds_cap) {
		size_t cap = fds_cap ? fds_cap * 2 : 64;
		struct ev_fd *n = realloc(fds, cap * sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&fds_lock);
			return -ENOMEM;
		}
		fds = n;
		fds_cap = cap;
	}
	fds[nfds].fd = fd;
	fds[nfds].tid = tid;
	nfds++;
	pthread_mutex_unlock(&fds_lock);
	return 0;
}

static void close_fd_entry(int fd)
{
	if (fd >= 0 && fd < PP_FD_TABLE)
		__atomic_store_n(&pp_fd_event[fd], 0, __ATOMIC_RELAXED);
	close(fd);
}

static void fds_close_tid(pid_t tid)
{
	size_t i = 0;

	pthread_mutex_lock(&fds_lock);
	while (i < nfds) {
		if (fds[i].tid == tid) {
			close_fd_entry(fds[i].fd);
			fds[i] = fds[--nfds];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&fds_lock);
}

static void fds_ioctl_all(unsigned long req)
{
	size_t i;

	pthread_mutex_lock(&fds_lock);
	for (i = 0; i < nfds; i++)
		ioctl(fds[i].fd, req, 0);
	pthread_mutex_unlock(&fds_lock);
}

static const char *event_name(const struct ev_cfg *e, char *buf, size_t len)
{
	snprintf(buf, len, "type %u config %#llx", e->type, (unsigned long long)e->config);
	return buf;
}

/* EVENT IDX as a counter: what the launcher asked for, without sampling
 * (exact.c adds its read format). */
void pp_agent__counting_attr(unsigned idx, struct perf_event_attr *a)
{
	const struct ev_cfg *e = &st.ev[idx];

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = e->type;
	a->config = e->config;
	a->config1 = e->config1;
	a->config2 = e->config2;
	a->exclude_user = !!(e->flags & 1);
	a->exclude_kernel = !!(e->flags & 2) || st.user_only;
	a->exclude_hv = !!(e->flags & 4);
	a->exclude_idle = !!(e->flags & 8);
	a->exclude_guest = !!(e->flags & 16);
	a->exclude_host = !!(e->flags & 32);
	a->precise_ip = (e->flags >> 8) & 3;
}

static int open_one(unsigned idx, pid_t tid, int inherit)
{
	const struct ev_cfg *e = &st.ev[idx];
	struct perf_event_attr a;
	char name[64];
	int fd;

	pp_agent__counting_attr(idx, &a);
	a.sample_period = e->period;
	if (!pp_agent.fallback) {
		/* The kernel requires remove_on_exec with sigtrap (EINVAL
		 * otherwise): the signal must not outlive the handler that
		 * exec discards. */
		a.inherit = inherit;
		a.inherit_thread = inherit;
		a.remove_on_exec = 1;
		a.sigtrap = 1;
		/* the handler tells the calling thread's inherited event
		 * (its count is read back, clock_periods) from the events
		 * of threads that existed before us */
		a.sig_data = idx | (tid || !inherit ? PP_SIG_SECONDARY : 0);
	} else {
		a.disabled = 1;
		a.wakeup_events = 1;
	}
	for (;;) {
		fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd >= 0 || (errno != EACCES && errno != EPERM) || a.exclude_kernel)
			break;
		/* perf_event_paranoid >= 2 without CAP_PERFMON: user time only */
		a.exclude_kernel = 1;
		st.user_only = 1;
	}
	if (fd < 0) {
		int err = errno;
		set_problem("sampling event (%s) could not be opened: %s",
			    event_name(e, name, sizeof(name)), strerror(err));
		return -err;
	}
	if (pp_agent.fallback) {
		struct f_owner_ex owner = { .type = F_OWNER_TID, .pid = tid ? tid : (pid_t)syscall(SYS_gettid) };
		if (fd >= PP_FD_TABLE ||
		    fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK) != 0 ||
		    fcntl(fd, F_SETSIG, PP_FALLBACK_SIGNAL) != 0 ||
		    fcntl(fd, F_SETOWN_EX, &owner) != 0) {
			int err = fd >= PP_FD_TABLE ? EMFILE : errno;
			close(fd);
			set_problem("signal routing for the sampling event failed: %s", strerror(err));
			return -err;
		}
		__atomic_store_n(&pp_fd_event[fd], (uint8_t)(idx + 1), __ATOMIC_RELAXED);
		tid = owner.pid;
	}
	if (fds_add(fd, tid) != 0) {
		close_fd_entry(fd);
		return -ENOMEM;
	}
	if (!pp_agent.fallback && tid == 0 && inherit)
		__atomic_store_n(&pp_agent.primary_fd[idx], fd, __ATOMIC_RELEASE);
	if (pp_agent.fallback)
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	return 0;
}

/* Opens every event on thread TID (0: the calling one).  Returns how many
 * opened. */
static unsigned open_thread(pid_t tid, int inherit)
{
	unsigned i, ok = 0;

	for (i = 0; i < st.nev; i++)
		if (open_one(i, tid, inherit) == 0)
			ok++;
	return ok;
}

/* Threads that exist before the agent starts do not inherit the calling
 * thread's events: give each its own. */
static void open_other_threads(void)
{
	pid_t self = (pid_t)syscall(SYS_gettid);
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid > 0 && tid != self && tid != res_tid)
			open_thread(tid, !pp_agent.fallback);
	}
	closedir(d);
}

/* ---- files in the state directory ---- */

static int path_of(char *buf, size_t len, const char *suffix)
{
	int n = snprintf(buf, len, "%s/%s%s", st.dir, st.id, suffix);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* Room for 250 ms (2.5 of the launcher's drains) of two busy threads
 * sampled at full depth, as a power of two between 1 and 16 MiB.  Clock
 * events have a known rate (period in ns); others are taken as 1 kHz. */
static long ring_kb(void)
{
	double rate = 0, bytes;
	long kb = 1024;
	unsigned i;

	if (pp_exact__enabled())
		return 64; /* no samples: the ring only carries its counters */
	for (i = 0; i < st.nev; i++)
		rate += pp_agent.clock_period[i] ? 1e9 / (double)pp_agent.clock_period[i] : 1000.0;
	bytes = rate * (double)pp_ring_sample_size3(pp_agent.depth,
						  pp_agent.native ? PP_AGENT_NATIVE_DEPTH : 0,
						  pp_agent.stack_words) * 2 * 0.25;
	while (kb < MAX_RING_KB && (double)kb * 1024 < bytes)
		kb *= 2;
	return env_long("PYPERF_RING_KB", kb, 64, 1 << 20);
}

/* Makes a ring file of this image's size, mapped, initialised and
 * flock()ed: at TMP (created, so unlinked on failure), or with TMP NULL
 * an unnamed one in the state directory (O_TMPFILE), for a forked child
 * to link (spare_prepare). */
static int ring_make(const char *tmp, void **mapp, size_t *lenp, int *fdp)
{
	long kb = ring_kb();
	size_t len = PP_RING_HDR_SIZE + (size_t)kb * 1024;
	void *map = MAP_FAILED;
	int fd, err;

	if (tmp)
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	else
		fd = open(st.dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) != 0) {
		err = -errno;
		goto fail;
	}
	/* Reserve the pages now: on a full tmpfs a store into a hole would
	 * raise SIGBUS inside the signal handler. */
	err = posix_fallocate(fd, 0, (off_t)len);
	if (err != 0 && err != EOPNOTSUPP && err != EINVAL) {
		err = -err;
		goto fail;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	err = pp_ring__init(map, len, (uint32_t)getpid(), pp_agent.depth, st.nev);
	if (err)
		goto fail;
	/* Held while this image lives: the launcher takes it to learn that
	 * nothing will be written any more. */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		err = -errno;
		goto fail;
	}
	*mapp = map;
	*lenp = len;
	*fdp = fd;
	return 0;
fail:
	if (map != MAP_FAILED)
		munmap(map, len);
	close(fd);
	if (tmp)
		unlink(tmp);
	return err;
}

static int create_ring(void)
{
	char tmp[4200], path[4200];
	void *map = NULL;
	size_t len = 0;
	int fd = -1, err;

	if (path_of(tmp, sizeof(tmp), ".ring.tmp") || path_of(path, sizeof(path), ".ring"))
		return -ENAMETOOLONG;
	err = ring_make(tmp, &map, &len, &fd);
	if (err)
		return err;
	if (rename(tmp, path) != 0) {
		err = -errno;
		munmap(map, len);
		close(fd);
		unlink(tmp);
		return err;
	}
	pp_agent.ring = map;
	st.ring_len = len;
	st.ring_fd = fd;
	return 0;
}

static void escape_into(FILE *f, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\')
			fputs("\\\\", f);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == 0)
			fputc(' ', f);
		else
			fputc(c, f);
	}
}

/* "<id>.info": key=value lines for the launcher, written to a temporary
 * name and renamed so that it is never seen half written. */
static void write_info(int sampling)
{
	char tmp[4200], path[4200], cmd[8192];
	ssize_t n = 0;
	FILE *f;
	int fd;

	if (path_of(tmp, sizeof(tmp), ".info.tmp") || path_of(path, sizeof(path), ".info"))
		return;
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, cmd, sizeof(cmd));
		close(fd);
	}
	while (n > 0 && cmd[n - 1] == 0)
		n--;
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "pid=%d\nppid=%d\nid=%s\ninterpreter=", (int)getpid(), (int)getppid(), st.id);
	escape_into(f, st.interp, strlen(st.interp));
	fprintf(f, "\nhexversion=%#lx\nmode=%s\nsampling=%d\nuser_only=%d\ndepth=%u\nnative=%d\n",
		st.hexversion, pp_exact__enabled() ? "exact" : pp_agent.fallback ? "fallback" :
		"sigtrap", sampling, st.user_only, pp_agent.depth, pp_agent.native);
	/* The interpreter's own module, where native frame walks stop
	 * (src/collect.c): the executable, or libpython beside it. */
	{
		char exe[4096];
		ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (k > 0) {
			fputs("exe=", f);
			escape_into(f, exe, (size_t)k);
			fputc('\n', f);
		}
	}
	fputs("cmdline=", f);
	if (n > 0)
		escape_into(f, cmd, (size_t)n);
	fputc('\n', f);
	if (st.problem[0]) {
		fputs("problem=", f);
		escape_into(f, st.problem, strlen(st.problem));
		fputc('\n', f);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		unlink(tmp);
}

static int new_id(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(st.id, sizeof(st.id), "%d-%llx", (int)getpid(),
		 (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec);
	return 0;
}

/* ---- the resolver thread ---- */

static void call_resolver(int dump)
{
	int (*ensure)(void) = (int (*)(void))(uintptr_t)st.api[API_GILSTATE_ENSURE];
	void (*release)(int) = (void (*)(int))(uintptr_t)st.api[API_GILSTATE_RELEASE];
	void *(*call)(void *, void *) = (void *(*)(void *, void *))(uintptr_t)st.api[API_CALL_OBJECT];
	void (*clear)(void) = (void (*)(void))(uintptr_t)st.api[API_ERR_CLEAR];
	void (*decref)(void *) = (void (*)(void *))(uintptr_t)st.api[API_DECREF];
	void *cb = (void *)(uintptr_t)st.api[API_CALLBACK];
	void *r;
	int g;

	if (!ensure || !release || !call || !clear || !decref || !cb)
		return;
	g = ensure();
	r = call(cb, NULL);
	if (r)
		decref(r);
	else
		clear();
	if (dump)
		exact_dump(0);
	release(g);
}

static int queue_pending(void)
{
	uint32_t n = __atomic_load_n(&pp_codeq_n, __ATOMIC_ACQUIRE);
	return (n > PP_CODESET_SIZE ? PP_CODESET_SIZE : n) > st.taken;
}

/* This thread's CPU time so far, on top of its predecessors' (the
 * resolver is stopped and started again around every fork). */
static uint64_t resolver_cpu(void)
{
	struct timespec ts;
	uint64_t ns = 0;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (pp_agent.ring)
		__atomic_store_n(&pp_agent.ring->counters[PP_RC_AGENT_CPU_NS], res_cpu_base + ns,
				 __ATOMIC_RELAXED);
	return ns;
}

static void *resolver_main(void *arg)
{
	struct timespec until;
	unsigned tick = 0;

	(void)arg;
	pp_handler__thread_ignore(1);
	__atomic_store_n(&res_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	pthread_mutex_lock(&res_lock);
	while (!res_stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += RESOLVER_PERIOD_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&res_cond, &res_lock, &until);
		if (res_stop)
			break;
		pthread_mutex_unlock(&res_lock);
		/* faulthandler.enable() (pytest does it) or the user may have
		 * put their handlers above ours since: get back on top. */
		pp_safe__install();
		pp_handler__install(pp_agent.fallback);
		tick++;
		if (queue_pending() || (pp_exact__enabled() && tick % EXACT_DUMP_TICKS == 0))
			call_resolver(pp_exact__enabled() && tick % EXACT_DUMP_TICKS == 0);
		pp_maps_snap__check(0);
		resolver_cpu();
		pthread_mutex_lock(&res_lock);
	}
	pthread_mutex_unlock(&res_lock);
	res_cpu_base += resolver_cpu();
	return NULL;
}

PP_EXPORT int pp_agent_resolver_start(void)
{
	sigset_t all, old;
	int err;

	if (!st.started || res_running)
		return 0;
	res_stop = 0;
	res_tid = 0;
	/* The thread takes no asynchronous signals: they stay with the
	 * threads the program expects them on. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGTRAP);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&res_thread, NULL, resolver_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	res_running = 1;
	return 0;
}

/* ---- os.fork() and its "multi-threaded" warning ----
 *
 * The resolver is stopped before every fork so that the child does not
 * inherit a thread's locks half taken, and so that Python 3.12+, which
 * warns from os.fork() when the process has other threads, does not warn
 * because of ours.  But it counts the threads (/proc/self/stat) after
 * running the after_in_parent hooks, where the bootstrap used to restart
 * the resolver: every os.fork() of a single-threaded program was warned
 * about.  So on 3.12+ the bootstrap replaces os.fork with this C function
 * (no Python frame: the warning still names the caller's line), which
 * restarts the resolver once the original has returned. */
static void *orig_fork;
static int fork_wrapping;

#define METH_NOARGS 0x0004 /* Include/methodobject.h */

static void *fork_wrapper(void *self, void *unused)
{
	void *(*call)(void *, void *) = (void *(*)(void *, void *))(uintptr_t)st.api[API_CALL_OBJECT];
	pid_t before = getpid();
	void *r;

	(void)self;
	(void)unused;
	fork_wrapping = 1;
	r = call(orig_fork, NULL);
	fork_wrapping = 0;
	if (getpid() == before)
		pp_agent_resolver_start();
	return r;
}

static struct {
	const char *name;
	void *meth;
	int flags;
	const char *doc;
} fork_def = { "fork", (void *)fork_wrapper, METH_NOARGS,
	       "Fork a child process (os.fork, wrapped by pyperf-stat's agent)." };

/* os.fork's replacement (a new reference), or NULL to keep ORIG. */
PP_EXPORT void *pp_agent_fork_wrapper(void *orig)
{
	void *(*cfunc_new)(void *, void *, void *) =
		(void *(*)(void *, void *, void *))(uintptr_t)st.api[API_CFUNC_NEW];
	void (*incref)(void *) = (void (*)(void *))(uintptr_t)st.api[API_INCREF];
	void *f;

	if (!cfunc_new || !incref || !st.api[API_CALL_OBJECT] || orig_fork)
		return NULL;
	f = cfunc_new(&fork_def, NULL, NULL);
	if (f) {
		incref(orig);
		orig_fork = orig;
	}
	return f;
}

/* From the after_in_parent hook: restart the resolver, unless the
 * wrapper will once os.fork() has returned. */
PP_EXPORT int pp_agent_after_fork_parent(void)
{
	return fork_wrapping ? 0 : pp_agent_resolver_start();
}

/* Stops and joins the resolver thread.  Must be called without the GIL
 * (ctypes.CDLL): the thread may be waiting for it.  Returns once the
 * thread is gone from /proc/self/task too, so that os.fork()'s "process
 * is multi-threaded" warning (3.12+) does not count it. */
PP_EXPORT int pp_agent_resolver_stop(void)
{
	char path[64];
	pid_t tid;
	int i;

	if (!res_running)
		return 0;
	pthread_mutex_lock(&res_lock);
	res_stop = 1;
	pthread_cond_signal(&res_cond);
	pthread_mutex_unlock(&res_lock);
	pthread_join(res_thread, NULL);
	res_running = 0;
	/* at exit and before fork: what was loaded since the last tick */
	pp_maps_snap__check(1);
	tid = __atomic_load_n(&res_tid, __ATOMIC_ACQUIRE);
	if (tid > 0) {
		snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
		for (i = 0; i < 500 && access(path, F_OK) == 0; i++)
			usleep(100);
	}
	return 0;
}

/* ---- fork and exec ---- */

static void spare_adopt(void);
static void spare_drop(void);

/* In the child of any fork(): the events, the ring and the resolver
 * thread all belong to the parent.  Drop our references; the bootstrap's
 * os.register_at_fork(after_in_child=...) hook starts afresh with
 * pp_agent_restart_child().  Only async-signal-safe calls here. */
static void atfork_child(void)
{
	size_t i;

	__atomic_store_n(&pp_agent.active, 0, __ATOMIC_RELEASE);
	pp_handler__forget_tid();
	pp_handler__reset_periods();
	for (i = 0; i < nfds; i++)
		close_fd_entry(fds[i].fd);
	nfds = 0;
	pthread_mutex_init(&fds_lock, NULL);
	pthread_mutex_init(&res_lock, NULL);
	pthread_cond_init(&res_cond, NULL);
	res_running = 0;
	res_tid = 0;
	res_cpu_base = 0;
	if (st.ring_fd >= 0)
		close(st.ring_fd);
	if (st.codes_fd >= 0)
		close(st.codes_fd);
	st.ring_fd = st.codes_fd = -1;
	if (pp_agent.ring)
		munmap(pp_agent.ring, st.ring_len);
	pp_agent.ring = NULL;
	pp_maps_snap__forget();
	pp_exact__atfork_child();
	st.started = 0;
	fork_wrapping = 0;
	spare_adopt();
}

static void register_atfork(void)
{
	pthread_atfork(NULL, spare_drop, atfork_child);
}

/* The code set was the parent's: its entries were resolved under the
 * parent's id.  Clear what the queue says was used (cheaper than the
 * whole table, and it keeps the child's pages shared). */
static void codeset_reset(void)
{
	uint32_t i, n = __atomic_load_n(&pp_codeq_n, __ATOMIC_ACQUIRE);

	if (n > PP_CODESET_SIZE)
		n = PP_CODESET_SIZE;
	for (i = 0; i < n; i++) {
		uint32_t v = pp_codeq[i];
		if (v) {
			memset(&pp_codeset[v - 1], 0, sizeof(pp_codeset[0]));
			pp_codeq[i] = 0;
		}
	}
	__atomic_store_n(&pp_codeq_n, 0, __ATOMIC_RELEASE);
	st.taken = 0;
	pp_handler__forget_seen();
}

/* Sampling on: this thread's events (inherited by the threads it starts),
 * the threads already there, then the ".info" that says so. */
static void sample_from_here(void)
{
	unsigned opened;

	__atomic_store_n(&pp_agent.active, 1, __ATOMIC_RELEASE);
	st.started = 1;
	opened = open_thread(0, !pp_agent.fallback);
	if (opened > 0)
		open_other_threads();
	write_info(opened > 0);
}

/* ---- a forked child's first milliseconds ----
 *
 * A child of fork() inherits no sampling event (inherit_thread keeps them
 * to threads) and must not write into its parent's ring.  Making its own
 * takes about 2 ms (the ring's pages, the maps snapshot), and Python does
 * its own after-fork work before the bootstrap's hook runs: some 4 ms of
 * every child no sample saw (docs/benchmarks.md).  So before os.fork()
 * the parent makes a spare set of unnamed files in the state directory
 * (O_TMPFILE): a ring, a codes file and a maps file holding its latest
 * snapshot.  The child's atfork handler, the first thing to run after
 * fork() returns, links them under its own id and opens its events; the
 * bootstrap's hook then only starts the resolver.  The parent closes its
 * copies once fork() returns, so a spare nobody adopted (fork failed,
 * child killed at once) vanishes with its last descriptor. */
static struct {
	int ready;
	void *ring;
	size_t ring_len;
	int ring_fd, codes_fd, maps_fd;
} spare = { .ring_fd = -1, .codes_fd = -1, .maps_fd = -1 };

static void spare_close(void)
{
	if (spare.ring)
		munmap(spare.ring, spare.ring_len);
	if (spare.ring_fd >= 0)
		close(spare.ring_fd);
	if (spare.codes_fd >= 0)
		close(spare.codes_fd);
	if (spare.maps_fd >= 0)
		close(spare.maps_fd);
	spare.ring = NULL;
	spare.ring_fd = spare.codes_fd = spare.maps_fd = -1;
	spare.ready = 0;
}

/* In the parent after fork() (pthread_atfork): the child has its own
 * descriptors, or there was no child. */
static void spare_drop(void)
{
	if (spare.ready)
		spare_close();
}

/* From the bootstrap's os.register_at_fork(before=...) hook: the spare
 * for the child about to be forked.  Only in sampling mode, once the
 * agent samples here; where the state directory's file system has no
 * O_TMPFILE the child starts as before, from its Python hook. */
PP_EXPORT int pp_agent_fork_prepare(void)
{
	int err;

	if (!st.started || pp_exact__enabled() || spare.ready || !pp_agent.active)
		return 0;
	err = ring_make(NULL, &spare.ring, &spare.ring_len, &spare.ring_fd);
	if (err)
		return err;
	spare.codes_fd = open(st.dir, O_WRONLY | O_TMPFILE | O_APPEND | O_CLOEXEC, 0600);
	spare.maps_fd = open(st.dir, O_WRONLY | O_TMPFILE | O_APPEND | O_CLOEXEC, 0600);
	if (spare.codes_fd < 0 || spare.maps_fd < 0 || pp_maps_snap__write_copy(spare.maps_fd) != 0) {
		err = spare.codes_fd < 0 || spare.maps_fd < 0 ? -errno : -ENOENT;
		spare_close();
		return err;
	}
	spare.ready = 1;
	return 0;
}

/* Gives the unnamed file FD the name "<id>SUFFIX".  Async-signal-safe. */
static int spare_link(int fd, const char *suffix)
{
	char path[4200], proc[64];

	if (path_of(path, sizeof(path), suffix))
		return -ENAMETOOLONG;
	if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0)
		return 0;
	/* AT_EMPTY_PATH wants CAP_DAC_READ_SEARCH; /proc does not */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 ? 0 : -errno;
}

/* In the child, from atfork_child: the spare becomes this image's files
 * and sampling starts.  Without a spare, or if linking fails, nothing
 * changes and pp_agent_restart_child() starts the usual way. */
static void spare_adopt(void)
{
	if (!spare.ready)
		return;
	spare.ready = 0;
	new_id();
	/* the ring last: the launcher finds the others beside it */
	if (spare_link(spare.codes_fd, ".codes") != 0 || spare_link(spare.maps_fd, ".maps") != 0 ||
	    spare_link(spare.ring_fd, ".ring") != 0) {
		char path[4200];
		static const char *const suf[] = { ".codes", ".maps" };
		size_t i;

		for (i = 0; i < 2; i++)
			if (path_of(path, sizeof(path), suf[i]) == 0)
				unlink(path);
		spare_close();
		return;
	}
	((struct pp_ring_hdr *)spare.ring)->pid = (uint32_t)getpid();
	pp_agent.ring = spare.ring;
	st.ring_len = spare.ring_len;
	st.ring_fd = spare.ring_fd;
	st.codes_fd = spare.codes_fd;
	pp_maps_snap__adopt(spare.maps_fd);
	spare.ring = NULL;
	spare.ring_fd = spare.codes_fd = spare.maps_fd = -1;
	codeset_reset();
	st.problem[0] = 0;
	pp_handler__thread_ignore(1);
	sample_from_here();
	pp_handler__thread_ignore(0);
}

/* Before os.exec*(): exec removes sigtrap events (remove_on_exec), but a
 * signal raised during execve itself would reach the new image before it
 * has a handler.  Disabling covers inherited copies too. */
PP_EXPORT void pp_agent_exec_prepare(void)
{
	fds_ioctl_all(PERF_EVENT_IOC_DISABLE);
	pp_maps_snap__check(1);
}

/* From the bootstrap before fork, exec and os._exit: a snapshot when the
 * loader's counters moved since the resolver's last look. */
PP_EXPORT void pp_agent_maps_check(void)
{
	if (st.started)
		pp_maps_snap__check(0);
}

PP_EXPORT void pp_agent_exec_failed(void)
{
	/* the CPU time spent disabled is not periods the kernel dropped */
	pp_handler__forget_tid();
	fds_ioctl_all(PERF_EVENT_IOC_ENABLE);
}

/* ---- keeping short-lived code objects alive ----
 *
 * Module bodies (imports), class bodies and exec()'d code die as soon as
 * they have run, usually long before the resolver's next pass: their
 * samples would stay <unresolved code>.  A C audit hook (PEP 578; no
 * Python call per event) sees every code object given to exec(), which
 * is how importlib runs module code, and keeps the last PINS of them, and
 * the code constants they hold, alive until the resolver has looked. */
static int audit_hook(const char *event, void *args, void *ud)
{
	void *(*getitem)(void *, long) = (void *(*)(void *, long))(uintptr_t)st.api[API_TUPLE_GETITEM];
	void (*incref)(void *) = (void (*)(void *))(uintptr_t)st.api[API_INCREF];
	void (*decref)(void *) = (void (*)(void *))(uintptr_t)st.api[API_DECREF];
	void *code, *old;
	uint64_t type;

	(void)ud;
	if (event[0] != 'e' || strcmp(event, "exec") != 0 || !st.started)
		return 0;
	code = getitem(args, 0);
	if (!code || !pp_safe_load64((uintptr_t)code + pp_agent.layout.ob_type, &type) ||
	    type != pp_agent.code_type)
		return 0;
	incref(code);
	old = pins[pin_pos];
	pins[pin_pos] = code;
	pin_pos = (pin_pos + 1) % PINS;
	if (old)
		decref(old);
	return 0;
}

static void install_audit_hook(void)
{
	int (*add)(int (*)(const char *, void *, void *), void *) =
		(int (*)(int (*)(const char *, void *, void *), void *))(uintptr_t)st.api[API_ADD_AUDIT_HOOK];

	if (audit_hooked || !add || !st.api[API_TUPLE_GETITEM] || !st.api[API_INCREF] ||
	    !st.api[API_DECREF])
		return;
	/* Hooks cannot be removed: one per process, kept across fork. */
	if (add(audit_hook, NULL) == 0)
		audit_hooked = 1;
}

/* Releases the pinned code objects; the resolver calls it after a pass
 * (GIL held). */
PP_EXPORT void pp_agent_unpin(void)
{
	void (*decref)(void *) = (void (*)(void *))(uintptr_t)st.api[API_DECREF];
	unsigned i;

	for (i = 0; i < PINS && decref; i++) {
		void *o = pins[i];
		pins[i] = NULL;
		if (o)
			decref(o);
	}
}

/* ---- for exact.c ---- */

static int exact_init(void)
{
	struct pp_exact_api a = {
		.get_code = (void *(*)(void *))(uintptr_t)st.api[API_FRAME_GET_CODE],
		.incref = (void (*)(void *))(uintptr_t)st.api[API_INCREF],
		.decref = (void (*)(void *))(uintptr_t)st.api[API_DECREF],
		.none = (void *)(uintptr_t)st.api[API_NONE],
		.set_profile = (void (*)(void *, void *))(uintptr_t)st.api[API_SET_PROFILE],
		.cfunc_new = (void *(*)(void *, void *, void *))(uintptr_t)st.api[API_CFUNC_NEW],
	};

	if (!a.incref || !a.decref || !a.none)
		return -EINVAL;
	return pp_exact__init(st.nev, &a);
}

/* A code object exact.c counts in: kept alive for good (its address must
 * not come back as another code object's) and queued for the resolver. */
void pp_agent__keep(uint64_t code, uint32_t fp)
{
	void (*incref)(void *) = (void (*)(void *))(uintptr_t)st.api[API_INCREF];

	incref((void *)(uintptr_t)code);
	pp_handler__code_seen(code, fp);
}

static void exact_dump(int force)
{
	char tmp[4200], path[4200];

	if (!st.started || !pp_exact__enabled() ||
	    path_of(tmp, sizeof(tmp), ".exact.tmp") || path_of(path, sizeof(path), ".exact"))
		return;
	pp_exact__dump(path, tmp, force);
}

/* --exact: writes "<id>.exact" now (at exit, before exec); with the GIL. */
PP_EXPORT void pp_agent_exact_dump(void)
{
	exact_dump(1);
}

/* ---- start ---- */

static int start_image(void)
{
	char tmp[4200];
	int err;

	st.problem[0] = 0;
	new_id();
	err = create_ring();
	if (err) {
		set_problem("cannot create the sample ring in %s: %s", st.dir, strerror(-err));
		write_info(0);
		return err;
	}
	if (path_of(tmp, sizeof(tmp), ".codes") == 0)
		st.codes_fd = open(tmp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	/* Before any event: every sample finds a snapshot (generation >= 1). */
	if (path_of(tmp, sizeof(tmp), ".maps") == 0)
		pp_maps_snap__open(tmp);
	err = pp_safe__install();
	if (err == 0)
		err = pp_handler__install(pp_agent.fallback);
	if (err) {
		set_problem("cannot install signal handlers: %s", strerror(-err));
		write_info(0);
		return err;
	}
	if (pp_exact__enabled()) {
		/* no sampling: the bootstrap installs the hooks (exact.c) */
		__atomic_store_n(&pp_agent.active, 1, __ATOMIC_RELEASE);
		st.started = 1;
		write_info(1);
		return 0;
	}
	sample_from_here();
	return 0;
}

PP_EXPORT int pp_agent_start(const char *state_dir, const char *interp,
			     unsigned long hexversion, const uint64_t *api, unsigned napi)
{
	char why[400];
	unsigned i;
	int err;

	if (st.started)
		return 0;
	pthread_once(&atfork_once, register_atfork);
	snprintf(st.dir, sizeof(st.dir), "%s", state_dir);
	snprintf(st.interp, sizeof(st.interp), "%s", interp ? interp : "");
	st.hexversion = hexversion;
	memset(st.api, 0, sizeof(st.api));
	memcpy(st.api, api, (napi < API_N ? napi : API_N) * sizeof(uint64_t));

	pp_agent.fallback = env_long("PYPERF_SIGNAL_FALLBACK", 0, 0, 1) == 1;
	pp_agent.depth = (unsigned)env_long("PYPERF_DEPTH", PP_AGENT_DEFAULT_DEPTH, 1,
					    PP_AGENT_MAX_DEPTH);
	pp_agent.bare = env_long("PYPERF_AGENT_BARE", 0, 0, 1) == 1;
	pp_agent.native = env_long("PYPERF_NATIVE", 0, 0, 1) == 1;
	pp_agent.stack_words = pp_agent.native ?
		(unsigned)env_long("PYPERF_NATIVE_STACK", PP_AGENT_STACK_BYTES, 0,
				   PP_RING_MAX_STACK * 8) / 8 : 0;
	err = parse_events(getenv("PYPERF_EVENTS"));
	if (err) {
		new_id();
		set_problem("PYPERF_EVENTS is malformed");
		write_info(0);
		return err;
	}
	pp_agent.nevents = st.nev;
	pp_handler__reset_periods();
	for (i = 0; i < st.nev; i++) {
		const struct ev_cfg *e = &st.ev[i];
		pp_agent.clock_period[i] = e->type == PERF_TYPE_SOFTWARE &&
			(e->config == PERF_COUNT_SW_TASK_CLOCK || e->config == PERF_COUNT_SW_CPU_CLOCK) ?
			e->period : 0;
	}
	if (env_long("PYPERF_EXACT", 0, 0, 1) == 1 && !pp_exact__enabled() &&
	    (err = exact_init()) != 0) {
		new_id();
		set_problem("--exact: %s", strerror(-err));
		write_info(0);
		return err;
	}
	pp_agent.code_type = (uintptr_t)st.api[API_CODE_TYPE];
	if (pp_pylayout__select(hexversion, (uintptr_t)st.api[API_RUNTIME], &pp_agent.layout,
				why, sizeof(why)) != 0) {
		/* Reading _PyRuntime needs the fault handler for its guarded
		 * loads; without a layout there is nothing else to do. */
		new_id();
		set_problem("%s", why);
		write_info(0);
		return -ENOTSUP;
	}
	pp_agent.gilstate = (uintptr_t (*)(void))(uintptr_t)st.api[API_GILSTATE_GET];
	if (!pp_agent.gilstate || !pp_agent.code_type) {
		new_id();
		set_problem("the bootstrap passed no PyGILState_GetThisThreadState");
		write_info(0);
		return -EINVAL;
	}
	/* Bind its PLT entries (and pthread_getspecific's) now, outside any
	 * signal handler. */
	(void)pp_agent.gilstate();
	err = start_image();
	if (err)
		return err;
	install_audit_hook();
	return pp_agent_resolver_start();
}

/* After os.fork() in the child (os.register_at_fork(after_in_child)). */
PP_EXPORT int pp_agent_restart_child(void)
{
	int err;

	if (!st.dir[0] || !pp_agent.gilstate)
		return 0;
	if (!st.started) {
		/* no spare was adopted (spare_adopt) */
		codeset_reset();
		err = start_image();
		if (err)
			return err;
		pp_exact__after_fork();
	}
	return pp_agent_resolver_start();
}

PP_EXPORT const char *pp_agent_problem(void)
{
	return st.problem[0] ? st.problem : NULL;
}

PP_EXPORT const char *pp_agent_id(void)
{
	return st.id;
}

PP_EXPORT int pp_agent_codes_fd(void)
{
	return st.codes_fd;
}

/* Hands the resolver up to MAX new (code, fingerprint) pairs whose code
 * object is alive and still the one the handler saw: readable, a code
 * object, refcount plausible (a freed object reads 0 or an allocator's
 * pointer there) and the same fingerprint.  Each returned code object got
 * a Py_IncRef so that it cannot die before the caller takes its own
 * reference; the caller drops that one with Py_DecRef.  Must be called
 * with the GIL held (ctypes.PyDLL): only a GIL holder frees objects, so
 * the check stays true until we return. */
PP_EXPORT int pp_agent_take(uint64_t *ptrs, uint32_t *fps, int max)
{
	void (*incref)(void *) = (void (*)(void *))(uintptr_t)st.api[API_INCREF];
	uint32_t n_q = __atomic_load_n(&pp_codeq_n, __ATOMIC_ACQUIRE);
	int n = 0;

	if (!st.started || !incref)
		return 0;
	if (n_q > PP_CODESET_SIZE)
		n_q = PP_CODESET_SIZE;
	while (n < max && st.taken < n_q) {
		uint32_t v = __atomic_load_n(&pp_codeq[st.taken], __ATOMIC_ACQUIRE);
		const struct pp_codeslot *s;
		uint64_t refcnt;
		uint32_t fp;

		if (v == 0)
			break; /* claimed, not yet queued: next time */
		s = &pp_codeset[v - 1];
		if (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE))
			break;
		st.taken++;
		if (!pp_safe_load64(s->code, &refcnt) || refcnt == 0 || refcnt > (1ull << 40))
			continue;
		if (!pp_pyframe__code_fp(&pp_agent.layout, pp_agent.code_type, s->code, &fp) ||
		    fp != s->fp)
			continue;
		incref((void *)(uintptr_t)s->code);
		ptrs[n] = s->code;
		fps[n] = s->fp;
		n++;
	}
	return n;
}

/* Samples on the calling thread are not recorded (the bootstrap's own
 * work); they are counted as PP_RC_IGNORED. */
PP_EXPORT void pp_agent_thread_ignore(int on)
{
	pp_handler__thread_ignore(on);
}

/* Fallback mode: a new thread opens its own events, and closes them when
 * it ends (the fds would otherwise outlive it). */
PP_EXPORT int pp_agent_thread_start(void)
{
	if (!st.started || !pp_agent.fallback)
		return 0;
	return open_thread(0, 0) > 0 ? 0 : -1;
}

PP_EXPORT void pp_agent_thread_stop(void)
{
	if (!st.started || !pp_agent.fallback)
		return;
	fds_close_tid((pid_t)syscall(SYS_gettid));
}

PP_EXPORT uint64_t pp_agent_counter(int which)
{
	if (!pp_agent.ring || which < 0 || which >= PP_RC_NCOUNTERS)
		return 0;
	return __atomic_load_n(&pp_agent.ring->counters[which], __ATOMIC_RELAXED);
}

/* Cycles of the handler's work per sample on this thread (best batch). */
PP_EXPORT uint64_t pp_agent_bench(unsigned iters)
{
	if (!st.started)
		return 0;
	return pp_handler__bench(iters);
}

/* Handler time histogram bucket B (ring.h), for overhead.py. */
PP_EXPORT uint64_t pp_agent_hist(int b)
{
	if (!pp_agent.ring || b < 0 || b >= 64)
		return 0;
	return __atomic_load_n(&pp_agent.ring->handler_hist[b], __ATOMIC_RELAXED);
}

PP_EXPORT int pp_agent_sampling(void)
{
	return st.started && nfds > 0;
}
