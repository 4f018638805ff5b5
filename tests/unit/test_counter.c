/* counter through a simulated kernel: this project's machines have no
 * hardware PMU, so these are the tests of the hardware paths. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "pyperf/counter.h"

/* What the fake kernel answers for one (type, config). */
struct fake_event {
	uint32_t type;
	uint64_t config;
	int err;               /* errno for every open, 0 = opens */
	int err_kernel;        /* errno only when exclude_kernel == 0 */
	uint64_t val, ena, run;
};

static struct fake_event *fake_table;
static size_t fake_n;
static struct perf_event_attr opened_attr[32];
static int opened_group_fd[32];
static int nopen, nclose, nread;

static int fake_open(struct perf_event_attr *a, pid_t pid, int cpu, int group_fd,
		     unsigned long flags)
{
	size_t i;

	(void)pid; (void)cpu; (void)flags;
	for (i = 0; i < fake_n; i++) {
		if (fake_table[i].type != a->type || fake_table[i].config != a->config)
			continue;
		if (fake_table[i].err) {
			errno = fake_table[i].err;
			return -1;
		}
		if (fake_table[i].err_kernel && !a->exclude_kernel) {
			errno = fake_table[i].err_kernel;
			return -1;
		}
		opened_attr[nopen] = *a;
		opened_group_fd[nopen] = group_fd;
		nopen++;
		return 100 + (int)i; /* fd encodes the table row */
	}
	errno = ENOENT;
	return -1;
}

static ssize_t fake_read(int fd, void *buf, size_t len)
{
	struct fake_event *e = &fake_table[fd - 100];
	uint64_t v[3] = { e->val, e->ena, e->run };

	nread++;
	cr_assert_eq(len, sizeof(v));
	memcpy(buf, v, sizeof(v));
	return sizeof(v);
}

static int fake_close(int fd)
{
	cr_assert_geq(fd, 100);
	nclose++;
	return 0;
}

static const struct pp_sysops fake_ops = { fake_open, fake_read, fake_close };

static struct pp_evlist make_list(struct pp_event *ev, size_t n)
{
	struct pp_evlist l = { ev, n, n };

	return l;
}

static struct pp_event ev_of(const char *name, uint32_t type, uint64_t config, int leader)
{
	struct pp_event e;

	memset(&e, 0, sizeof(e));
	strcpy(e.name, name);
	e.attr.type = type;
	e.attr.config = config;
	e.leader = leader;
	e.unit = "";
	return e;
}

static void reset(struct fake_event *t, size_t n)
{
	fake_table = t;
	fake_n = n;
	nopen = nclose = nread = 0;
}

Test(counter, values_read_and_flags_as_perf_stat_sets_them)
{
	struct fake_event t[] = {
		{ PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 0, 0, 1000, 50, 50 },
		{ PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 0, 0, 123456, 9, 9 },
	};
	struct pp_event ev[] = {
		ev_of("instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 0),
		ev_of("task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 1),
	};
	struct pp_evlist l = make_list(ev, 2);
	struct pp_counter c;

	reset(t, 2);
	cr_assert_eq(pp_counter__open(&c, &l, 42, &fake_ops), 0);
	cr_assert_eq(pp_counter__read(&c), 0);
	cr_assert_eq(c.count[0].status, PP_COUNT_OK);
	cr_assert_eq(c.count[0].raw, 1000);
	cr_assert_float_eq(c.count[0].scaled, 1000.0, 1e-9);
	cr_assert_float_eq(c.count[1].scaled, 123456.0, 1e-9);
	for (int i = 0; i < 2; i++) {
		cr_assert(opened_attr[i].inherit, "counts must follow threads and children");
		cr_assert(opened_attr[i].disabled && opened_attr[i].enable_on_exec,
			  "counting starts at exec");
		cr_assert_eq(opened_attr[i].read_format,
			     PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING);
		cr_assert_eq(opened_attr[i].sample_period, 0);
	}
	cr_assert_eq(c.user_only, 0);
	pp_counter__close(&c);
	cr_assert_eq(nclose, 2);
}

Test(counter, multiplexed_counts_are_scaled_by_enabled_over_running)
{
	struct fake_event t[] = {
		{ PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0, 0, 3000, 1000, 250 },
	};
	struct pp_event ev[] = { ev_of("cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0) };
	struct pp_evlist l = make_list(ev, 1);
	struct pp_counter c;

	reset(t, 1);
	cr_assert_eq(pp_counter__open(&c, &l, 42, &fake_ops), 0);
	pp_counter__read(&c);
	cr_assert_eq(c.count[0].status, PP_COUNT_OK);
	cr_assert_float_eq(c.count[0].scaled, 12000.0, 1e-9);
	cr_assert_eq(c.count[0].enabled, 1000);
	cr_assert_eq(c.count[0].running, 250);
	pp_counter__close(&c);
}

Test(counter, never_scheduled_is_not_counted)
{
	struct fake_event t[] = {
		{ PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, 0, 0, 0, 1000, 0 },
	};
	struct pp_event ev[] = { ev_of("cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, 0) };
	struct pp_evlist l = make_list(ev, 1);
	struct pp_counter c;

	reset(t, 1);
	cr_assert_eq(pp_counter__open(&c, &l, 42, &fake_ops), 0);
	pp_counter__read(&c);
	cr_assert_eq(c.count[0].status, PP_COUNT_NOT_COUNTED);
	pp_counter__close(&c);
}

/* ENOENT (no such event / no PMU, as on this VM), EOPNOTSUPP and ENODEV
 * all print <not supported> and the run goes on. */
Test(counter, unsupported_errnos_become_not_supported)
{
	int errs[] = { ENOENT, EOPNOTSUPP, ENODEV, EINVAL };

	for (size_t k = 0; k < sizeof(errs) / sizeof(errs[0]); k++) {
		struct fake_event t[] = {
			{ PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, errs[k], 0, 0, 0, 0 },
			{ PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 0, 0, 77, 5, 5 },
		};
		struct pp_event ev[] = {
			ev_of("cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0),
			ev_of("page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 1),
		};
		struct pp_evlist l = make_list(ev, 2);
		struct pp_counter c;

		reset(t, 2);
		cr_assert_eq(pp_counter__open(&c, &l, 42, &fake_ops), 0, "errno %d", errs[k]);
		pp_counter__read(&c);
		cr_assert_eq(c.count[0].status, PP_COUNT_NOT_SUPPORTED);
		cr_assert_eq(c.count[0].open_errno, errs[k]);
		cr_assert_eq(c.count[1].status, PP_COUNT_OK);
		cr_assert_eq(c.count[1].raw, 77);
		cr_assert_eq(nread, 1, "unopened counters are not read");
		pp_counter__close(&c);
	}
}

/* perf_event_paranoid 2 for a non-root user: kernel counting is refused
 * with EACCES; like perf, retry user-only and say so. */
Test(counter, eacces_on_kernel_counting_falls_back_to_user_only)
{
	struct fake_event t[] = {
		{ PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 0, EACCES, 500, 1, 1 },
	};
	struct pp_event ev[] = { ev_of("instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 0) };
	struct pp_evlist l = make_list(ev, 1);
	struct pp_counter c;

	reset(t, 1);
	cr_assert_eq(pp_counter__open(&c, &l, 42, &fake_ops), 0);
	cr_assert_eq(c.user_only, 1);
	cr_assert(opened_attr[0].exclude_kernel && opened_attr[0].exclude_hv);
	pp_counter__read(&c);
	cr_assert_eq(c.count[0].raw, 500);
	pp_counter__close(&c);
}

/* paranoid 3: nothing at all may be opened. */
Test(counter, refused_everywhere_returns_eacces)
{
	struct fake_event t[] = {
		{ PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, EACCES, 0, 0, 0, 0 },
		{ PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, EACCES, 0, 0, 0, 0 },
	};
	struct pp_event ev[] = {
		ev_of("task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 0),
		ev_of("cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 1),
	};
	struct pp_evlist l = make_list(ev, 2);
	struct pp_counter c;

	reset(t, 2);
	cr_assert_eq(pp_counter__open(&c, &l, 42, &fake_ops), -EACCES);
	cr_assert_eq(c.count[0].status, PP_COUNT_NOT_SUPPORTED);
	pp_counter__close(&c);
}

/* Out of file descriptors is fatal and closes what was opened. */
Test(counter, emfile_is_fatal_and_closes_everything)
{
	struct fake_event t[] = {
		{ PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 0, 0, 1, 1, 1 },
		{ PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 0, 0, 1, 1, 1 },
		{ PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, EMFILE, 0, 0, 0, 0 },
	};
	struct pp_event ev[] = {
		ev_of("task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 0),
		ev_of("page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 1),
		ev_of("cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 2),
	};
	struct pp_evlist l = make_list(ev, 3);
	struct pp_counter c;

	reset(t, 3);
	cr_assert_eq(pp_counter__open(&c, &l, 42, &fake_ops), -EMFILE);
	cr_assert_eq(nopen, 2);
	cr_assert_eq(nclose, 2, "every opened fd is closed on the error path");
	cr_assert_null(c.fd);
}

/* {cycles,instructions}: members open against the leader's fd and are
 * not enabled on exec themselves; a failed leader takes its group down. */
Test(counter, groups_open_members_on_the_leader)
{
	struct fake_event t[] = {
		{ PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0, 0, 10, 1, 1 },
		{ PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 0, 0, 20, 1, 1 },
	};
	struct pp_event ev[] = {
		ev_of("cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0),
		ev_of("instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 0),
	};
	struct pp_evlist l = make_list(ev, 2);
	struct pp_counter c;

	reset(t, 2);
	cr_assert_eq(pp_counter__open(&c, &l, 42, &fake_ops), 0);
	cr_assert_eq(opened_group_fd[0], -1);
	cr_assert_eq(opened_group_fd[1], c.fd[0]);
	cr_assert(opened_attr[0].enable_on_exec);
	cr_assert(!opened_attr[1].enable_on_exec && !opened_attr[1].disabled);
	pp_counter__close(&c);

	t[0].err = ENOENT;
	reset(t, 2);
	cr_assert_eq(pp_counter__open(&c, &l, 42, &fake_ops), 0);
	cr_assert_eq(nopen, 0, "members of a failed group are not opened");
	cr_assert_eq(c.count[1].status, PP_COUNT_NOT_SUPPORTED);
	pp_counter__close(&c);
}
