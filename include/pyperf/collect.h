/* collect: the launcher's side of attribution.
 *
 * Prepares a private 0700 directory and the environment that makes every
 * Python process of the target load the agent (src/agent/), drains the
 * agents' rings while the target runs, resolves code objects with the
 * tables the agents wrote, and feeds resolved samples into a pp_profile.
 * Removes everything it created on every path. */
#ifndef PYPERF_COLLECT_H
#define PYPERF_COLLECT_H

#include <stdint.h>

#include "pyperf/events.h"
#include "pyperf/profile.h"

struct pp_collect_config {
	const char *agent_dir;        /* holds libpyperf-agent.so and bootstrap/ */
	const struct pp_event *events; /* events to sample, with attr.sample_period set */
	size_t nevents;
	int depth_limit;              /* frames kept per sample */
	int user_only;                /* exclude_kernel (paranoid) */
	int signal_fallback;          /* force the pre-5.13 F_SETOWN_EX path */
	int native;                   /* --native: native frames as children of
	                                 the Python line that called them */
	int exact;                    /* --exact: counters read at every call
	                                 and return instead of sampling */
};

struct pp_collect;

/* Creates the state directory. 0 or -errno. */
int pp_collect__prepare(struct pp_collect **out, const struct pp_collect_config *cfg);

/* NULL-terminated "NAME=value" strings to add to the target's environment
 * (owned by C). */
char *const *pp_collect__env(struct pp_collect *c);

/* Drains what the agents wrote so far into P. Called about every 100 ms
 * while the target runs. 0 or -errno. */
int pp_collect__poll(struct pp_collect *c, struct pp_profile *p);

/* Final drain after the target exited; resolves what is left and removes
 * the directory. 0 or -errno. */
int pp_collect__finish(struct pp_collect *c, struct pp_profile *p);

/* How many processes loaded the agent, and the interpreter it saw first
 * ("CPython 3.12.1"), or NULL. */
int pp_collect__agents(const struct pp_collect *c);
const char *pp_collect__interpreter(const struct pp_collect *c);
/* A one-line reason when an agent refused its interpreter, else NULL. */
const char *pp_collect__problem(const struct pp_collect *c);

/* Removes the directory if still there and frees C. */
void pp_collect__free(struct pp_collect *c);

#endif
