/* agent.h: state shared by agent.c (setup, resolver, fork/exec) and
 * handler.c (the signal handlers).  Private to src/agent/. */
#ifndef PYPERF_AGENT_H
#define PYPERF_AGENT_H

#include <signal.h>
#include <stdint.h>

#include "pyperf/pyframe.h"
#include "pyperf/ring.h"

#define PP_AGENT_MAX_EVENTS 16
#define PP_AGENT_MAX_DEPTH 256     /* frames kept on the handler's stack */
#define PP_AGENT_DEFAULT_DEPTH 128
/* --native: frames kept per sample by the frame-pointer walk, how far
 * above the interrupted stack pointer a frame may be, and the bytes of
 * stack copied for the launcher's .eh_frame unwinder (PYPERF_NATIVE_STACK
 * overrides; perf record --call-graph dwarf copies 8 KiB by default). */
#define PP_AGENT_NATIVE_DEPTH 32
#define PP_AGENT_NATIVE_SPAN (8u << 20)
#define PP_AGENT_STACK_BYTES 4096

/* Signal of the pre-5.13 fallback (async-profiler uses SIGPROF too). */
#define PP_FALLBACK_SIGNAL SIGPROF

/* fd -> event index + 1, for the fallback's si_fd; fds beyond are not
 * used for sampling. */
#define PP_FD_TABLE 65536

/* The code set: (code address, fingerprint) pairs seen by the handler and
 * not yet handed to the resolver.  Open addressing, insert-only, lock-free;
 * a slot is claimed by CAS on `key` (a hash of both, never 0) and then
 * filled; `ready` publishes it.  The queue lists claimed slots in claim
 * order so that the resolver does not scan the table. */
#define PP_CODESET_BITS 16
#define PP_CODESET_SIZE (1u << PP_CODESET_BITS)
#define PP_CODESET_PROBES 32

struct pp_codeslot {
	uint64_t key;
	uint64_t code;
	uint32_t fp;
	uint32_t ready;
};

struct pp_agent_state {
	int active;                    /* atomically read by the handlers */
	int fallback;                  /* F_SETOWN_EX mode instead of sigtrap */
	struct pp_pylayout layout;
	uintptr_t code_type;           /* id(types.CodeType) */
	uintptr_t (*gilstate)(void);   /* PyGILState_GetThisThreadState */
	struct pp_ring_hdr *ring;
	unsigned depth;
	unsigned nevents;
	int bare;                      /* PYPERF_AGENT_BARE=1: count, walk nothing
					  (to measure the signal's own cost) */
	int native;                    /* PYPERF_NATIVE=1: walk frame pointers
					  and copy the top of the stack */
	unsigned stack_words;          /* how much (<= PP_RING_MAX_STACK) */
	uint32_t maps_gen;             /* maps snapshots written (atomic) */
	uint64_t clock_period[PP_AGENT_MAX_EVENTS]; /* ns, for task-clock and
					  cpu-clock events; 0 for the others */
	int primary_fd[PP_AGENT_MAX_EVENTS]; /* the calling thread's inherited
					  event (its count covers every thread
					  that inherited it), -1 when none */
};

/* sig_data of events opened on threads that existed before the agent */
#define PP_SIG_SECONDARY 0x10000u

extern struct pp_agent_state pp_agent;
extern struct pp_codeslot pp_codeset[PP_CODESET_SIZE];
extern uint32_t pp_codeq[PP_CODESET_SIZE];  /* slot index + 1, 0 = being written */
extern uint32_t pp_codeq_n;                  /* slots claimed (queue length) */
extern uint8_t pp_fd_event[PP_FD_TABLE];

/* handler.c */
int pp_handler__install(int fallback);   /* 0 or -errno; re-installs on top if replaced */
void pp_handler__thread_ignore(int on);  /* samples on this thread are not recorded */
void pp_handler__forget_tid(void);       /* after fork: the cached tid is the parent's */
void pp_handler__reset_periods(void);    /* after fork and at start: no event, no periods */
uint64_t pp_handler__bench(unsigned iters); /* best cycles per sample, no signal */
void pp_handler__forget_seen(void);      /* with the code set, after fork */

int pp_handler__thread_ignored(void);
void pp_handler__code_seen(uint64_t code, uint32_t fp); /* queue for the resolver */

/* agent.c, for exact.c */
struct perf_event_attr;
void pp_agent__counting_attr(unsigned idx, struct perf_event_attr *a);
void pp_agent__keep(uint64_t code, uint32_t fp); /* a reference, and resolve it */

/* exact.c: --exact (PYPERF_EXACT=1).  The C API it calls, taken once
 * from the bootstrap's addresses. */
struct pp_exact_api {
	void *(*get_code)(void *);              /* PyFrame_GetCode, NULL on 3.8 */
	void (*incref)(void *);
	void (*decref)(void *);
	void *none;                             /* &_Py_NoneStruct */
	void (*set_profile)(void *, void *);    /* PyEval_SetProfile */
	void *(*cfunc_new)(void *, void *, void *); /* PyCFunction_NewEx */
};
int pp_exact__init(unsigned nevents, const struct pp_exact_api *api);
int pp_exact__enabled(void);
void pp_exact__atfork_child(void);
void pp_exact__after_fork(void);
int pp_exact__dump(const char *path, const char *tmp, int force);

/* maps.c: "<id>.maps" snapshots (format there).  Never from a handler. */
int pp_maps_snap__open(const char *path); /* creates it, writes snapshot 1 */
void pp_maps_snap__check(int force);      /* new snapshot if mappings changed */
void pp_maps_snap__forget(void);          /* after fork, in the child */
int pp_maps_snap__write_copy(int fd);     /* the last snapshot as snapshot 1 */
void pp_maps_snap__adopt(int fd);        /* child: FD holds snapshot 1 */

#endif
