/* profile: aggregated attribution data, independent of how it was collected.
 *
 * The collector feeds resolved samples in (a stack of functions with the
 * sampled line in each, innermost first); reports read unique stacks and
 * per-function / per-line sums out.  Data flows one way: nothing here
 * knows about rings, agents or output formats. */
#ifndef PYPERF_PROFILE_H
#define PYPERF_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PP_PROFILE_MAX_EVENTS 16

/* Special function ids, shown as "<...>" rows. */
enum {
	PP_FUNC_UNRESOLVED = 0, /* "<unresolved code>": code object died unresolved */
	PP_FUNC_TRUNCATED  = 1, /* "<truncated>": stack deeper than the depth limit */
	PP_FUNC_NATIVE     = 2, /* "<native>": thread with no Python frame */
	PP_FUNC_UNSAMPLED  = 3, /* "<not sampled>": counted where no agent ran */
	PP_FUNC_FIRST_USER = 4,
};

struct pp_func {
	char *qualname;
	char *file;
	int firstline;
};

struct pp_frame {
	uint32_t func;  /* index into profile->funcs */
	int32_t line;   /* sampled source line, 0 when unknown */
};

struct pp_stack {
	uint32_t pid, tid;     /* 0 when merged away */
	uint32_t nframes;
	struct pp_frame *frames;                /* innermost first */
	/* one count per event of the profile (nevents, fixed once the first
	 * stack exists); frames live in the same allocation, after them */
	uint64_t *samples;
	uint64_t hash;                          /* of (pid, tid, frames) */
};

struct pp_sampled_event {
	char name[256];
	uint64_t period;     /* events (or ns for clocks) per sample */
	uint64_t samples;    /* samples recorded */
	double total;        /* counted total to scale to, 0 when unknown */
};

struct pp_process {
	uint32_t pid;
	char *command;
};

struct pp_profile {
	struct pp_sampled_event ev[PP_PROFILE_MAX_EVENTS];
	size_t nevents;

	struct pp_func *funcs;
	size_t nfuncs, funcs_cap;
	void *func_index;       /* hash: (qualname, file, firstline) -> id */

	struct pp_stack *stacks;
	size_t nstacks, stacks_cap;
	void *stack_index;      /* hash: (pid, tid, frames) -> stack */

	struct pp_process *procs;
	size_t nprocs, procs_cap;

	/* --exact (include/pyperf/exact.h): every event has period 1 and
	 * holds exact counts; event calls_event holds call counts; the
	 * hooks' own cost, measured and subtracted, is exact_cost[e] in all
	 * over exact_hooks intervals. */
	int exact;
	int calls_event;        /* -1 when not exact */
	uint64_t exact_hooks;
	double exact_cost[PP_PROFILE_MAX_EVENTS];

	uint64_t dropped;       /* samples lost anywhere, for the footer */
	uint64_t truncated;     /* stacks cut at the depth limit */
	uint64_t unresolved;    /* frames whose code object was not resolved */
	uint64_t agent_cpu_ns;  /* CPU time of the agents' own threads (the
				   resolver), over all runs */
	uint64_t recovered;     /* periods in the samples that no signal was
				   raised for (the kernel raises one per long
				   system call; src/agent/handler.c): samples
				   minus recovered = signals taken */

	/* Memory bound: past max_stacks distinct stacks (0: no limit), a new
	 * stack is folded to its innermost frame on thread 0 of its process,
	 * and past twice that to the innermost function alone, so that
	 * memory stays bounded by the limit plus the program's functions
	 * however long the run.  folded counts the samples (in periods)
	 * that went to folded stacks. */
	size_t max_stacks;
	uint64_t folded;
};

int pp_profile__init(struct pp_profile *p);
void pp_profile__free(struct pp_profile *p);

/* Adds a sampled event; returns its index, -ENOSPC or -ENOMEM.  Cheap
 * before the first sample; after, every stack is re-sized. */
int pp_profile__add_event(struct pp_profile *p, const char *name, uint64_t period);

/* Interns a function; returns its id (>= PP_FUNC_FIRST_USER) or -ENOMEM. */
int64_t pp_profile__intern_func(struct pp_profile *p, const char *qualname,
				const char *file, int firstline);

/* Adds N samples of EVENT for the stack FRAMES[0..nframes) (innermost
 * first), folded past max_stacks. 0 or -ENOMEM. */
int pp_profile__add_sample(struct pp_profile *p, int event, uint32_t pid,
			   uint32_t tid, const struct pp_frame *frames,
			   size_t nframes, uint64_t n);

/* Sets EVENT's counted total (mean per run over RUNS runs) and puts the
 * part no sample covered (interpreter start-up before the agent loads,
 * non-Python processes such as a pyenv shim) on a <not sampled> stack,
 * in sample periods, so that every function's estimate stays samples x
 * period and the rows still add up to the total. 0 or -ENOMEM. */
int pp_profile__set_total(struct pp_profile *p, int event, double total, int runs);

/* Exact profiles: puts the hooks' measured cost, taken out of every
 * function, on a "<profiler hooks>" stack, so that the rows still add up
 * to the counted totals.  Call it before pp_profile__set_total. */
#define PP_PROFILE_HOOKS "<profiler hooks>"
int pp_profile__add_hook_cost(struct pp_profile *p);

/* The <not sampled> periods of EVENT: ev[event].samples minus them is
 * what was really sampled. */
uint64_t pp_profile__unsampled(const struct pp_profile *p, int event);

/* Records the command line of a process seen in the samples. */
int pp_profile__add_process(struct pp_profile *p, uint32_t pid, const char *command);

/* Per-function or per-line sums, computed from the stacks. */
struct pp_func_sum {
	uint32_t func;
	int32_t line;                             /* 0 for per-function rows */
	uint32_t pid, tid;                        /* with split options, else 0 */
	uint64_t self[PP_PROFILE_MAX_EVENTS];     /* samples as innermost frame */
	uint64_t total[PP_PROFILE_MAX_EVENTS];    /* samples anywhere on stack */
};

enum {
	PP_SUM_LINES       = 1 << 0, /* one row per (function, line) */
	PP_SUM_PER_THREAD  = 1 << 1,
	PP_SUM_PER_PROCESS = 1 << 2,
};

/* Fills *OUT with a malloc'd array of sums sorted by self samples of
 * SORT_EVENT, descending.  Returns the count or -ENOMEM. */
ssize_t pp_profile__sum(const struct pp_profile *p, unsigned flags,
			int sort_event, struct pp_func_sum **out);

#endif
