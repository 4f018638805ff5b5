/* launcher: runs the target the way perf stat's workload does.
 *
 * fork; the child waits on a cork pipe while the parent opens the counters
 * on it; then the child execs and the counters start (enable_on_exec).
 * The target keeps the user's stdin/stdout/stderr, environment (plus the
 * collector's variables) and working directory.  Signals that would end
 * pyperf-stat (SIGTERM, SIGHUP, SIGQUIT) are forwarded to the target;
 * SIGINT reaches the target from the terminal and pyperf-stat waits for it,
 * so the report is printed however the target ends. */
#ifndef PYPERF_LAUNCHER_H
#define PYPERF_LAUNCHER_H

#include <sys/resource.h>
#include <sys/types.h>

#include "pyperf/collect.h"
#include "pyperf/counter.h"
#include "pyperf/profile.h"

struct pp_launch {
	const char *path;               /* file to execute: execv(), never a
	                                   shell fallback on ENOEXEC */
	char *const *argv;
	char *const *extra_env;         /* "NAME=value" added, or NULL */
	const struct pp_evlist *evlist;
	const struct pp_sysops *ops;    /* NULL: the kernel */
	struct pp_collect *collect;     /* NULL: totals only */
	struct pp_profile *profile;     /* where collect drains to */
};

struct pp_launch_result {
	int wait_status;         /* as waitpid reports it */
	int exec_errno;          /* nonzero: the target could not be executed */
	double elapsed_s;
	struct rusage ru;        /* of the target and its reaped children */
	struct pp_counter counter; /* counts read after the target exited */
	int counter_errno;       /* why no counter could be opened, or 0 */
	int forwarded_signal;    /* signal pyperf-stat got and forwarded, or 0 */
};

/* Runs the target to completion.  Returns 0 when it ran (whatever its
 * exit status), or -errno when it could not be started (fork failed,
 * counters hit a resource limit: the fd table, memory). */
int pp_launch__run(const struct pp_launch *l, struct pp_launch_result *res);

void pp_launch_result__free(struct pp_launch_result *res);

/* The exit status pyperf-stat should return for WAIT_STATUS: the target's
 * own, or 128+N when it died of signal N. */
int pp_launch__exit_code(int wait_status);

#endif
