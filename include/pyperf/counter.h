/* counter: counting events on a child process, exactly as perf stat does.
 *
 * One fd per event, opened on the child before it execs (disabled,
 * enable_on_exec, inherit) and read after it has been reaped, so inherited
 * counts of every thread and child process are folded in by the kernel.
 * Values are scaled by time_enabled / time_running when multiplexed.
 *
 * All kernel access goes through struct pp_sysops so that tests can
 * simulate a PMU (this project's machines have none). */
#ifndef PYPERF_COUNTER_H
#define PYPERF_COUNTER_H

#include <stdint.h>
#include <sys/types.h>

#include "pyperf/events.h"

struct pp_sysops {
	int (*perf_event_open)(struct perf_event_attr *attr, pid_t pid, int cpu,
			       int group_fd, unsigned long flags);
	ssize_t (*read)(int fd, void *buf, size_t len);
	int (*close)(int fd);
};

/* The real kernel. */
extern const struct pp_sysops pp_sysops_kernel;

enum pp_count_status {
	PP_COUNT_OK,
	PP_COUNT_NOT_SUPPORTED, /* open failed: ENOENT, EOPNOTSUPP, ... */
	PP_COUNT_NOT_COUNTED,   /* opened but never ran (time_running == 0) */
};

struct pp_count {
	enum pp_count_status status;
	int open_errno;         /* why NOT_SUPPORTED */
	uint64_t raw;           /* value as read */
	uint64_t enabled, running;
	double scaled;          /* raw * enabled / running */
};

struct pp_counter {
	const struct pp_evlist *evlist;
	const struct pp_sysops *ops;
	int *fd;                /* one per event, -1 when not open */
	struct pp_count *count; /* one per event, filled by pp_counter__read */
	int user_only;          /* exclude_kernel was forced by paranoia */
};

/* Opens every event of EVLIST on PID (which must not have exec'd yet).
 * Events the kernel refuses with ENOENT/EOPNOTSUPP/ENODEV/EINVAL become
 * NOT_SUPPORTED; EACCES/EPERM on kernel counting is retried user-only
 * (like perf's fallback) and sets user_only.  Returns 0, or -errno when
 * nothing could be opened at all or the error is fatal (EMFILE). */
int pp_counter__open(struct pp_counter *c, const struct pp_evlist *evlist,
		     pid_t pid, const struct pp_sysops *ops);

/* Reads and scales every counter into c->count. */
int pp_counter__read(struct pp_counter *c);

void pp_counter__close(struct pp_counter *c);

/* Opens ATTR on the calling process user-only, then closes it: tells
 * whether this machine can count (or sample) the event. 0 or -errno. */
int pp_counter__probe(const struct perf_event_attr *attr, const struct pp_sysops *ops);

/* Whether a perf_event_open errno means "this machine has no such event"
 * (printed <not supported>) rather than a refusal or a resource limit. */
int pp_counter__errno_unsupported(int err);

#endif
