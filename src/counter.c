/* counter: counting groups on the target, the way perf stat opens them.
 *
 * Mirrors tools/perf/builtin-stat.c + util/evsel.c: each event is opened
 * on the forked child before it execs, disabled with enable_on_exec on
 * group leaders, inherit=1 so threads and child processes fold their
 * counts into ours when they exit, and read_format TOTAL_TIME_ENABLED |
 * TOTAL_TIME_RUNNING so multiplexed counters can be scaled. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pyperf/counter.h"
#include "pyperf/log.h"

static int kernel_perf_event_open(struct perf_event_attr *attr, pid_t pid,
				  int cpu, int group_fd, unsigned long flags)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

const struct pp_sysops pp_sysops_kernel = {
	.perf_event_open = kernel_perf_event_open,
	.read = read,
	.close = close,
};

/* Errors after which perf stat prints "<not supported>" and goes on. */
int pp_counter__errno_unsupported(int err)
{
	switch (err) {
	case ENOENT:     /* no such generic event on this PMU / no PMU */
	case EOPNOTSUPP: /* e.g. sampling/precise not available */
	case ENODEV:     /* PMU absent (VM without vPMU) */
	case EINVAL:     /* config this PMU does not understand */
	case ENXIO:
	case E2BIG:
		return 1;
	}
	return 0;
}

static void attr_for_counting(struct perf_event_attr *attr, int is_leader)
{
	attr->size = sizeof(*attr);
	attr->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
			    PERF_FORMAT_TOTAL_TIME_RUNNING;
	attr->inherit = 1;
	attr->sample_period = 0;
	attr->freq = 0;
	/* Group members follow their leader; only leaders start on exec. */
	attr->disabled = is_leader;
	attr->enable_on_exec = is_leader;
}

static int open_one(struct pp_counter *c, size_t i, pid_t pid)
{
	const struct pp_event *ev = &c->evlist->ev[i];
	struct perf_event_attr attr = ev->attr;
	int is_leader = ev->leader == (int)i;
	int group_fd = -1;
	int fd;

	if (!is_leader) {
		group_fd = c->fd[ev->leader];
		if (group_fd < 0) {
			/* perf: a member of a failed group is not counted */
			c->count[i].status = PP_COUNT_NOT_SUPPORTED;
			c->count[i].open_errno = c->count[ev->leader].open_errno;
			return 0;
		}
	}
	attr_for_counting(&attr, is_leader);
	if (c->user_only) {
		attr.exclude_kernel = 1;
		attr.exclude_hv = 1;
	}
	fd = c->ops->perf_event_open(&attr, pid, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM) && !attr.exclude_kernel) {
		/* perf_event_paranoid >= 2 lets unprivileged users count only
		 * user space: fall back like perf does, and say so once. */
		attr.exclude_kernel = 1;
		attr.exclude_hv = 1;
		fd = c->ops->perf_event_open(&attr, pid, -1, group_fd,
					     PERF_FLAG_FD_CLOEXEC);
		if (fd >= 0 && !c->user_only) {
			c->user_only = 1;
			pp_log(PP_LOG_INFO, "kernel counting not allowed "
			       "(perf_event_paranoid): counting user space only");
		}
	}
	if (fd >= 0) {
		c->fd[i] = fd;
		return 0;
	}
	c->count[i].open_errno = errno;
	c->count[i].status = PP_COUNT_NOT_SUPPORTED;
	if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
		return -errno;
	/* Anything else (pp_counter__errno_unsupported(), or a refusal even for
	 * user space) leaves this one event "<not supported>". */
	return 0;
}

int pp_counter__open(struct pp_counter *c, const struct pp_evlist *evlist,
		     pid_t pid, const struct pp_sysops *ops)
{
	size_t i, opened = 0, refused = 0;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	c->evlist = evlist;
	c->ops = ops ? ops : &pp_sysops_kernel;
	c->fd = malloc(sizeof(*c->fd) * (evlist->n ? evlist->n : 1));
	c->count = calloc(evlist->n ? evlist->n : 1, sizeof(*c->count));
	if (!c->fd || !c->count) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < evlist->n; i++)
		c->fd[i] = -1;

	for (i = 0; i < evlist->n; i++) {
		ret = open_one(c, i, pid);
		if (ret < 0)
			goto out;
		if (c->fd[i] >= 0)
			opened++;
		else if (c->count[i].open_errno == EACCES ||
			 c->count[i].open_errno == EPERM)
			refused++;
	}
	if (evlist->n && !opened && refused)
		ret = -EACCES;
out:
	if (ret < 0 && ret != -EACCES)
		pp_counter__close(c);
	return ret;
}

int pp_counter__read(struct pp_counter *c)
{
	size_t i;

	for (i = 0; i < c->evlist->n; i++) {
		struct pp_count *k = &c->count[i];
		uint64_t buf[3];
		ssize_t n;

		if (c->fd[i] < 0)
			continue;
		n = c->ops->read(c->fd[i], buf, sizeof(buf));
		if (n != (ssize_t)sizeof(buf)) {
			k->status = PP_COUNT_NOT_COUNTED;
			continue;
		}
		k->raw = buf[0];
		k->enabled = buf[1];
		k->running = buf[2];
		if (!k->running) {
			/* opened, but the PMU never scheduled it */
			k->status = PP_COUNT_NOT_COUNTED;
			k->scaled = 0;
			continue;
		}
		k->status = PP_COUNT_OK;
		k->scaled = (double)k->raw;
		if (k->running < k->enabled)
			k->scaled = (double)k->raw * ((double)k->enabled /
						      (double)k->running);
	}
	return 0;
}

void pp_counter__close(struct pp_counter *c)
{
	size_t i;

	if (c->fd && c->evlist) {
		for (i = 0; i < c->evlist->n; i++)
			if (c->fd[i] >= 0)
				c->ops->close(c->fd[i]);
	}
	free(c->fd);
	free(c->count);
	c->fd = NULL;
	c->count = NULL;
}

int pp_counter__probe(const struct perf_event_attr *in, const struct pp_sysops *ops)
{
	struct perf_event_attr attr = *in;
	int fd;

	if (!ops)
		ops = &pp_sysops_kernel;
	attr.size = sizeof(attr);
	attr.disabled = 1;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	fd = ops->perf_event_open(&attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ops->close(fd);
	return 0;
}
