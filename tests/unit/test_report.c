/* report: what the user reads.
 *
 * Totals: golden/perf-*.txt are perf stat 6.1's own output for fixed
 * counter values (golden/perf/gen.sh feeds them to perf through an
 * LD_PRELOAD shim); each test hands the same values to pp_report__write
 * and must get those bytes back.
 *
 * Per-function tables: golden/func-*.txt, checked by hand against the
 * sums below (PP_UPDATE_GOLDEN=1 rewrites them, never the perf ones). */
#include <criterion/criterion.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyperf/profile.h"
#include "pyperf/report.h"

#define T 100000000ULL /* time_enabled/running of hardware events, ns */
#define C 168150000ULL /* task-clock, ns; software events' times */

/* ------------------------------------------------------------ helpers */

static char *render_sums(const struct pp_report_data *d, const struct pp_report_options *o,
			 const struct pp_func_sum *f, size_t nf,
			 const struct pp_func_sum *l, size_t nl, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	cr_assert(out);
	*err = pp_report__write_sums(out, d, o, f, nf, l, nl);
	fclose(out);
	return buf;
}

static char *render(const struct pp_report_data *d, const struct pp_report_options *o)
{
	int err;
	char *s = render_sums(d, o, NULL, 0, NULL, 0, &err);

	cr_assert_eq(err, 0, "pp_report__write_sums: %d", err);
	return s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Compares GOT with golden/NAME, pointing at the first differing line. */
static void check_golden(const char *name, char *got)
{
	char path[256];
	char *want;
	const char *a, *b;
	int line = 1;

	snprintf(path, sizeof(path), "golden/%s", name);
	if (getenv("PP_UPDATE_GOLDEN") && strncmp(name, "perf-", 5)) {
		FILE *f = fopen(path, "wb");

		cr_assert(f);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(path);
	cr_assert(want, "missing %s (run from tests/unit)", path);
	for (a = got, b = want; *a && *a == *b; a++, b++)
		if (*a == '\n')
			line++;
	if (*a || *b) {
		const char *ga = a, *gb = b;

		while (ga > got && ga[-1] != '\n')
			ga--;
		while (gb > want && gb[-1] != '\n')
			gb--;
		cr_assert_fail("%s differs at line %d:\n got: %.*s\nwant: %.*s", name, line,
			(int)strcspn(ga, "\n"), ga, (int)strcspn(gb, "\n"), gb);
	}
	free(want);
	free(got);
}

/* What perf does to a multiplexed count: (u64)(val * ena / run). */
static double scaled(double v, double ena, double run)
{
	return (double)(uint64_t)(v * ena / run);
}

/* Mean and sample standard deviation of N runs, as pp_stat_row holds them. */
static void runs_stat(const double *v, int n, double *mean, double *sd)
{
	double m = 0, ss = 0;
	int i;

	for (i = 0; i < n; i++)
		m += v[i];
	m /= n;
	for (i = 0; i < n; i++)
		ss += (v[i] - m) * (v[i] - m);
	*mean = m;
	*sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
}

#define OK PP_COUNT_OK
#define NS PP_COUNT_NOT_SUPPORTED
#define NC PP_COUNT_NOT_COUNTED

static struct pp_stat_row row(const char *name, uint32_t type, uint64_t config,
			      enum pp_count_status st, double value,
			      uint64_t ena, uint64_t run)
{
	struct pp_stat_row r = {
		.name = name, .unit = "", .type = type, .config = config,
		.status = st, .value = value, .enabled = ena, .running = run,
	};

	if (type == 1 && config <= 1)
		r.unit = "msec";
	return r;
}

/* perf stat's default set with the first four software events counted. */
static void sw4(struct pp_stat_row *r)
{
	r[0] = row("task-clock", 1, 1, OK, C, C, C);
	r[1] = row("context-switches", 1, 3, OK, 87, C, C);
	r[2] = row("cpu-migrations", 1, 4, OK, 28, C, C);
	r[3] = row("page-faults", 1, 2, OK, 9766, C, C);
}

static const char *const hw6[6] = {
	"cycles", "instructions", "cache-references", "cache-misses",
	"branches", "branch-misses",
};

static struct pp_report_data data1(struct pp_stat_row *rows, size_t n)
{
	struct pp_report_data d = {
		.command = "python3 -c pass", .runs = 1, .rows = rows, .nrows = n,
		.elapsed_s = 0.242944363, .user_s = 0.116989, .sys_s = 0.057338,
	};
	return d;
}

static const struct pp_report_options text = { 0 };
static const struct pp_report_options csv = { .sep = "," };
static const struct pp_report_options csvsemi = { .sep = ";" };
static const struct pp_report_options json = { .json = 1 };

static void check_formats(const char *cas, const struct pp_report_data *d, int semi)
{
	char name[64];

	snprintf(name, sizeof(name), "perf-%s.text.txt", cas);
	check_golden(name, render(d, &text));
	snprintf(name, sizeof(name), "perf-%s.csv.txt", cas);
	check_golden(name, render(d, &csv));
	if (semi) {
		snprintf(name, sizeof(name), "perf-%s.csvsemi.txt", cas);
		check_golden(name, render(d, &csvsemi));
	}
	snprintf(name, sizeof(name), "perf-%s.json.txt", cas);
	check_golden(name, render(d, &json));
}

/* ------------------------------------------------- totals, as perf 6.1 */

Test(totals, default_events_without_pmu)
{
	struct pp_stat_row r[10];
	struct pp_report_data d;
	int i;

	sw4(r);
	for (i = 0; i < 6; i++)
		r[4 + i] = row(hw6[i], 0, (uint64_t)i, NS, 0, 0, 0);
	d = data1(r, 10);
	check_formats("default", &d, 1);
}

Test(totals, every_metric_column)
{
	static const double v[6] = { 1234567890, 2345678901, 12345678, 1234567, 456789012, 3456789 };
	struct pp_stat_row r[10];
	struct pp_report_data d;
	int i;

	sw4(r);
	for (i = 0; i < 6; i++)
		r[4 + i] = row(hw6[i], 0, (uint64_t)i, OK, v[i], T, T);
	d = data1(r, 10);
	check_formats("metrics", &d, 0);
}

Test(totals, multiplexed_counters_show_running_share)
{
	static const double v[6] = { 1234567890, 2345678901, 12345678, 1234567, 456789012, 3456789 };
	static const uint64_t run[6] = { 75500000, 75500000, 50123456, 50123456, 24987654, 24987654 };
	struct pp_stat_row r[10];
	struct pp_report_data d;
	int i;

	sw4(r);
	for (i = 0; i < 6; i++)
		r[4 + i] = row(hw6[i], 0, (uint64_t)i, OK, scaled(v[i], T, run[i]), T, run[i]);
	d = data1(r, 10);
	check_formats("mux", &d, 0);
}

Test(totals, not_counted_and_not_supported)
{
	struct pp_stat_row r[10];
	struct pp_report_data d;

	sw4(r);
	r[4] = row("cycles", 0, 0, OK, 1234567890, T, T);
	r[5] = row("instructions", 0, 1, NC, 0, T, 0);       /* enabled, never ran */
	r[6] = row("cache-references", 0, 2, NC, 0, 0, 0);   /* never enabled */
	r[7] = row("cache-misses", 0, 3, OK, 1234567, T, T); /* against 0 refs */
	r[8] = row("branches", 0, 4, NS, 0, 0, 0);
	r[9] = row("branch-misses", 0, 5, OK, 3456789, T, T);
	d = data1(r, 10);
	check_formats("notcounted", &d, 0);
}

Test(totals, stalled_cycles_add_a_second_metric_line)
{
	struct pp_stat_row r[5];
	struct pp_report_data d;

	r[0] = row("task-clock", 1, 1, OK, C, C, C);
	r[1] = row("cycles", 0, 0, OK, 1234567890, T, T);
	r[2] = row("instructions", 0, 1, OK, 2345678901, T, T);
	r[3] = row("stalled-cycles-frontend", 0, 7, OK, 234567890, T, T);
	r[4] = row("stalled-cycles-backend", 0, 8, NS, 0, 0, 0);
	d = data1(r, 5);
	check_formats("stalled", &d, 0);
}

Test(totals, no_clock_means_no_rate_metrics)
{
	struct pp_stat_row r[2];
	struct pp_report_data d;

	r[0] = row("page-faults", 1, 2, OK, 9766, T, T);
	r[1] = row("cycles", 0, 0, OK, 1000, T, T);
	d = data1(r, 2);
	check_formats("noclock", &d, 0);
}

Test(totals, metrics_pair_events_with_the_same_modifiers)
{
	struct pp_stat_row r[6];
	struct pp_report_data d;

	r[0] = row("task-clock:u", 1, 1, OK, C, C, C);
	r[1] = row("cycles:u", 0, 0, OK, 1234567890, T, T);
	r[2] = row("instructions", 0, 1, OK, 2345678901, T, T); /* no plain cycles */
	r[3] = row("cache-references:u", 0, 2, OK, 1000, T, T);
	r[4] = row("cache-misses:u", 0, 3, OK, 10, T, T);
	r[5] = row("page-faults:k", 1, 2, OK, 9766, C, C);
	d = data1(r, 6);
	check_golden("perf-modifiers.text.txt", render(&d, &text));
}

Test(totals, repeated_runs_show_noise)
{
	static const double runs[10][5] = {
		{ 170150000, 166150000, 169150000, 167150000, 168150000 },
		{ 89, 85, 88, 86, 87 },
		{ 28, 28, 28, 28, 28 },
		{ 9770, 9760, 9800, 9734, 9766 },
		{ 1244567890, 1224567890, 1236567890, 1232567890, 1234567890 },
		{ 2345678902, 2345678900, 2345678901, 2345678901, 2345678901 },
		{ 12345678, 12345678, 12345678, 12345678, 12345678 },
		{ 0 }, { 0 },
		{ 3556789, 3356789, 3456789, 3456789, 3456789 },
	};
	static const double walls[5] = { 0.252944363, 0.232944363, 0.262944363,
					 0.222944363, 0.242944363 };
	static const char *const names[4] = {
		"task-clock", "context-switches", "cpu-migrations", "page-faults",
	};
	static const uint64_t sw_config[4] = { 1, 3, 4, 2 };
	struct pp_stat_row r[10];
	struct pp_report_data d;
	int i;

	for (i = 0; i < 10; i++) {
		if (i < 4)
			r[i] = row(names[i], 1, sw_config[i], OK, 0, T, T);
		else
			r[i] = row(hw6[i - 4], 0, (uint64_t)(i - 4), OK, 0, T, T);
		runs_stat(runs[i], 5, &r[i].value, &r[i].stddev);
	}
	r[7] = row("cache-misses", 0, 3, NC, 0, T, 0);
	r[8] = row("branches", 0, 4, NS, 0, 0, 0);
	d = data1(r, 10);
	d.runs = 5;
	runs_stat(walls, 5, &d.elapsed_s, &d.elapsed_stddev_s);
	check_formats("r5", &d, 1);
}

Test(totals, identical_runs_print_no_noise)
{
	struct pp_stat_row r[1] = { row("task-clock", 1, 1, OK, C, C, C) };
	struct pp_report_data d = data1(r, 1);

	d.runs = 3;
	check_golden("perf-sd0.text.txt", render(&d, &text));
}

/* perf's -B in an en_US locale; ours never asks the locale. */
Test(totals, big_num_groups_digits)
{
	struct pp_stat_row r[3];
	struct pp_report_data d;
	struct pp_report_options o = { .big_num = 1 };
	char *s;

	r[0] = row("task-clock", 1, 1, OK, 1234567890123.0, T, T);
	r[1] = row("cycles", 0, 0, OK, 1234567890, T, T);
	r[2] = row("page-faults", 1, 2, OK, 999, T, T);
	d = data1(r, 3);
	s = render(&d, &o);
	cr_expect(strstr(s, "      1,234,567.89 msec task-clock "), "%s", s);
	cr_expect(strstr(s, "     1,234,567,890      cycles "), "%s", s);
	cr_expect(strstr(s, "               999      page-faults "), "%s", s);
	free(s);
}

/* perf colours a high miss ratio (and counts the escapes into the column
 * width, so the row is shorter by their length); never without opt->color. */
Test(totals, colour_only_when_asked)
{
	struct pp_stat_row r[3];
	struct pp_report_data d;
	struct pp_report_options o = { .color = 1 };
	char *s;

	r[0] = row("task-clock", 1, 1, OK, C, C, C);
	r[1] = row("branches", 0, 4, OK, 1000000, T, T);
	r[2] = row("branch-misses", 0, 5, OK, 150000, T, T); /* 15%: magenta */
	d = data1(r, 3);
	s = render(&d, &o);
	cr_expect(strstr(s, "branch-misses                    # \033[35m  15.00%\033[m"
			 " of all branches\n"), "%s", s);
	free(s);
	s = render(&d, &text);
	cr_expect_eq(strchr(s, '\033'), NULL, "%s", s);
	cr_expect(strstr(s, "branch-misses                    #   15.00% of all branches        \n"),
		  "%s", s);
	free(s);
}

/* A German LC_NUMERIC turns printf's "0.692" into "0,692": the report
 * must not follow it.  Needs localedef and the de_DE source (skips
 * otherwise). */
Test(totals, numbers_ignore_lc_numeric)
{
	char dir[] = "/tmp/pp-locale-XXXXXX", cmd[512], probe[32];
	struct pp_stat_row r[10];
	struct pp_report_data d;
	int i;

	cr_assert(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
	if (system(cmd) != 0 && access(strcat(strcpy(probe, dir), "/de_DE.UTF-8"), F_OK)) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		cr_assert_eq(system(cmd), 0);
		cr_skip_test("localedef cannot build de_DE here");
	}
	setenv("LOCPATH", dir, 1);
	if (!setlocale(LC_ALL, "de_DE.UTF-8")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		cr_assert_eq(system(cmd), 0);
		cr_skip_test("de_DE.UTF-8 did not load");
	}
	snprintf(probe, sizeof(probe), "%.3f", 0.5);
	cr_expect_str_eq(probe, "0,500", "the locale should change printf");

	sw4(r);
	for (i = 0; i < 6; i++)
		r[4 + i] = row(hw6[i], 0, (uint64_t)i, NS, 0, 0, 0);
	d = data1(r, 10);
	check_formats("default", &d, 1);
	snprintf(probe, sizeof(probe), "%.3f", 0.5);
	cr_expect_str_eq(probe, "0,500", "the caller's locale is restored");

	setlocale(LC_ALL, "C");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(totals, write_error_is_reported)
{
	struct pp_stat_row r[1] = { row("task-clock", 1, 1, OK, C, C, C) };
	struct pp_report_data d = data1(r, 1);
	FILE *full = fopen("/dev/full", "w");

	if (!full)
		cr_skip_test("no /dev/full");
	cr_expect_eq(pp_report__write(full, &d, &text), -EIO);
	fclose(full);
}

/* --------------------------------------------------- per-function part */

enum { F_MAIN = PP_FUNC_FIRST_USER, F_COMPUTE, F_HELPER, F_INNER, NFUNCS };

static struct pp_func funcs[NFUNCS] = {
	[PP_FUNC_UNRESOLVED] = { "<unresolved code>", "", 0 },
	[PP_FUNC_TRUNCATED] = { "<truncated>", "", 0 },
	[PP_FUNC_NATIVE] = { "<native>", "", 0 },
	[F_MAIN] = { "<module>", "/home/u/proj/app.py", 1 },
	[F_COMPUTE] = { "compute", "/home/u/proj/app.py", 10 },
	[F_HELPER] = { "Model.helper", "/home/u/proj/lib/util.py", 20 },
	[F_INNER] = { "JSONDecoder.raw_decode.<locals>.inner",
		      "/usr/lib/python3.11/json/decoder.py", 337 },
};

/* task-clock every 1 ms, and instructions; totals as counted above. */
static struct pp_profile profile(size_t nevents)
{
	struct pp_profile p = { .nevents = nevents, .funcs = funcs, .nfuncs = NFUNCS,
				.dropped = 2, .truncated = 1 };

	strcpy(p.ev[0].name, "task-clock");
	p.ev[0].period = 1000000;
	p.ev[0].samples = 523;
	p.ev[0].total = C;
	strcpy(p.ev[1].name, "instructions");
	p.ev[1].period = 1000003;
	p.ev[1].samples = 812;
	p.ev[1].total = 2345678901.0;
	return p;
}

/* Self samples add up to the events' samples: 523 and 812. */
static const struct pp_func_sum fsums[] = {
	{ .func = F_HELPER,    .self = { 96, 200 },  .total = { 96, 200 } },
	{ .func = F_MAIN,      .self = { 0, 0 },     .total = { 520, 800 } },
	{ .func = F_COMPUTE,   .self = { 377, 550 }, .total = { 473, 750 } },
	{ .func = F_INNER,     .self = { 5, 10 },    .total = { 5, 10 } },
	{ .func = PP_FUNC_NATIVE, .self = { 42, 50 }, .total = { 42, 50 } },
	{ .func = PP_FUNC_UNRESOLVED, .self = { 3, 2 }, .total = { 3, 2 } },
};
#define NF (sizeof(fsums) / sizeof(fsums[0]))

static const struct pp_func_sum lsums[] = {
	{ .func = F_COMPUTE, .line = 12, .self = { 300, 450 }, .total = { 396, 650 } },
	{ .func = F_COMPUTE, .line = 13, .self = { 77, 100 }, .total = { 77, 100 } },
	{ .func = F_HELPER,  .line = 22, .self = { 96, 200 }, .total = { 96, 200 } },
	{ .func = F_MAIN,    .line = 30, .self = { 0, 0 },    .total = { 520, 800 } },
	{ .func = F_INNER,   .line = 340, .self = { 5, 10 },  .total = { 5, 10 } },
	{ .func = PP_FUNC_NATIVE, .line = 0, .self = { 42, 50 }, .total = { 42, 50 } },
	{ .func = PP_FUNC_UNRESOLVED, .line = 0, .self = { 3, 2 }, .total = { 3, 2 } },
};
#define NL (sizeof(lsums) / sizeof(lsums[0]))

/* The same functions split over two threads of one process and a child. */
static const struct pp_func_sum tsums[] = {
	{ .func = F_COMPUTE, .pid = 4242, .tid = 4242, .self = { 200 }, .total = { 250 } },
	{ .func = F_COMPUTE, .pid = 4242, .tid = 4250, .self = { 177 }, .total = { 223 } },
	{ .func = F_HELPER,  .pid = 4242, .tid = 4250, .self = { 96 }, .total = { 96 } },
	{ .func = F_MAIN,    .pid = 4242, .tid = 4242, .self = { 0 }, .total = { 250 } },
	{ .func = F_MAIN,    .pid = 4242, .tid = 4250, .self = { 0 }, .total = { 270 } },
	{ .func = PP_FUNC_NATIVE, .pid = 4300, .tid = 4300, .self = { 50 }, .total = { 50 } },
};
#define NT (sizeof(tsums) / sizeof(tsums[0]))

static struct pp_report_data with_profile(struct pp_stat_row *r, const struct pp_profile *p)
{
	struct pp_report_data d;

	r[0] = row("task-clock", 1, 1, OK, C, C, C);
	r[1] = row("instructions", 0, 1, OK, 2345678901, T, T);
	d = data1(r, 2);
	d.profile = p;
	d.interpreter = "CPython 3.11.2";
	return d;
}

static char *render_f(const struct pp_report_data *d, const struct pp_report_options *o,
		      const struct pp_func_sum *f, size_t nf,
		      const struct pp_func_sum *l, size_t nl)
{
	int err;
	char *s = render_sums(d, o, f, nf, l, nl, &err);

	cr_assert_eq(err, 0, "pp_report__write_sums: %d", err);
	return s;
}

Test(functions, text_one_event)
{
	struct pp_stat_row r[2];
	struct pp_profile p = profile(1);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options o = { .cwd = "/home/u/proj" };

	check_golden("func-one-event.text.txt", render_f(&d, &o, fsums, NF, NULL, 0));
}

/* Periods inside long system calls: counted in the footer, and not
 * charged to the overhead estimate (no handler ran for them). */
Test(functions, footer_counts_periods_inside_long_system_calls)
{
	struct pp_stat_row r[2];
	struct pp_profile p = profile(1);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options o = { .cwd = "/home/u/proj" };
	double plain, weighed;
	char *a, *b, *at;

	d.cost_per_sample_us = 100;
	a = render_f(&d, &o, fsums, NF, NULL, 0);
	p.recovered = 400;
	b = render_f(&d, &o, fsums, NF, NULL, 0);
	cr_assert_null(strstr(a, "long system calls"), "%s", a);
	cr_assert_not_null(strstr(b, "; 400 periods inside long system calls;"), "%s", b);
	at = strstr(a, "estimated profiler overhead ");
	cr_assert(at && sscanf(at, "estimated profiler overhead %lf%%", &plain) == 1, "%s", a);
	at = strstr(b, "estimated profiler overhead ");
	cr_assert(at && sscanf(at, "estimated profiler overhead %lf%%", &weighed) == 1, "%s", b);
	/* 523 samples + 2 dropped at 100 us in 168.15 ms: 31.2%; without the
	 * 400 that no signal was raised for, 125 signals: 7.4% */
	cr_assert_float_eq(plain, 31.2, 0.051, "%s", a);
	cr_assert_float_eq(weighed, 7.4, 0.051, "%s", b);
	free(a);
	free(b);
}

Test(functions, text_two_events_and_lines)
{
	struct pp_stat_row r[2];
	struct pp_profile p = profile(2);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options o = { .cwd = "/home/u/proj/lib", .lines = 1, .big_num = 1 };

	check_golden("func-lines.text.txt", render_f(&d, &o, fsums, NF, lsums, NL));
}

Test(functions, text_sorted_by_second_event_top3)
{
	struct pp_stat_row r[2];
	struct pp_profile p = profile(2);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options o = { .top = 3, .sort_event = 1 };

	check_golden("func-top3.text.txt", render_f(&d, &o, fsums, NF, NULL, 0));
}

Test(functions, text_per_thread)
{
	struct pp_stat_row r[2];
	struct pp_profile p = profile(1);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options o = { .sum_flags = PP_SUM_PER_THREAD, .cwd = "/home/u/proj" };

	check_golden("func-threads.text.txt", render_f(&d, &o, tsums, NT, NULL, 0));
}

/* Hardware events sampled: the # columns show IPC and MPKI per function.
 * Periods fit the counted totals exactly, so by hand (self samples):
 *   compute  600 cycles, 800 instructions, 120 misses: 600e6, 1.6e9, 240e3
 *            -> 2.67 insn per cycle, 0.15 MPKI
 *   helper   300, 150, 350: 300e6, 300e6, 700e3 -> 1.00, 2.33
 *   <native>  95,  45,  25:  95e6,  90e6,  50e3 -> 0.95, 0.56
 *   inner      5,   5,   5: under 10 samples -> blank
 * Overhead: (1000 + 1000 + 500 + 2 dropped) x 2 us / 168.15 ms of
 * task-clock = 2.98%. */
static const struct pp_func_sum hsums[] = {
	{ .func = F_COMPUTE, .self = { 600, 800, 120 }, .total = { 600, 800, 120 } },
	{ .func = F_HELPER,  .self = { 300, 150, 350 }, .total = { 300, 150, 350 } },
	{ .func = PP_FUNC_NATIVE, .self = { 95, 45, 25 }, .total = { 95, 45, 25 } },
	{ .func = F_INNER,   .self = { 5, 5, 5 }, .total = { 5, 5, 5 } },
	{ .func = F_MAIN,    .self = { 0, 0, 0 }, .total = { 905, 955, 475 } },
};
#define NH (sizeof(hsums) / sizeof(hsums[0]))

static struct pp_profile hw_profile(const char *const names[3])
{
	static const uint64_t period[3] = { 1000000, 2000000, 2000 };
	static const uint64_t samples[3] = { 1000, 1000, 500 };
	struct pp_profile p = { .nevents = 3, .funcs = funcs, .nfuncs = NFUNCS,
				.dropped = 2, .truncated = 1 };
	int e;

	for (e = 0; e < 3; e++) {
		strcpy(p.ev[e].name, names[e]);
		p.ev[e].period = period[e];
		p.ev[e].samples = samples[e];
		p.ev[e].total = (double)(period[e] * samples[e]);
	}
	return p;
}

static struct pp_report_data hw_data(struct pp_stat_row *r, const struct pp_profile *p)
{
	struct pp_report_data d;

	r[0] = row("task-clock", 1, 1, OK, C, C, C);
	r[1] = row(p->ev[0].name, 0, 0, OK, p->ev[0].total, T, T);
	r[2] = row(p->ev[1].name, 0, 1, OK, p->ev[1].total, T, T);
	r[3] = row(p->ev[2].name, 0, 3, OK, p->ev[2].total, T, T);
	d = data1(r, 4);
	d.profile = p;
	d.interpreter = "CPython 3.11.2";
	d.cost_per_sample_us = 2;
	return d;
}

Test(functions, text_ipc_and_mpki)
{
	static const char *const names[3] = { "cycles", "instructions", "cache-misses" };
	struct pp_stat_row r[4];
	struct pp_profile p = hw_profile(names);
	struct pp_report_data d = hw_data(r, &p);
	struct pp_report_options o = { .cwd = "/home/u/proj" };
	char *s = render_f(&d, &o, hsums, NH, NULL, 0);

	cr_expect_eq(strchr(s, '\033'), NULL, "no escapes without opt->color");
	check_golden("func-ipc.text.txt", s);
}

/* Whether the first line of S holding KEY ends with TAIL. */
static int ends_with_on_line(const char *s, const char *key, const char *tail)
{
	const char *k = strstr(s, key), *eol;
	size_t n = strlen(tail);

	if (!k)
		return 0;
	eol = k + strcspn(k, "\n");
	return (size_t)(eol - k) >= n && !strncmp(eol - n, tail, n);
}

/* Ratios pair events by name with the same modifiers, as perf does. */
Test(functions, metrics_pair_same_modifiers)
{
	static const char *const same[3] = { "cpu-cycles:u", "instructions:u", "cache-misses:u" };
	static const char *const mixed[3] = { "cycles", "instructions:u", "branch-misses" };
	struct pp_stat_row r[4];
	struct pp_profile p = hw_profile(same);
	struct pp_report_data d = hw_data(r, &p);
	struct pp_report_options o = { 0 };
	char *s = render_f(&d, &o, hsums, NH, NULL, 0);

	cr_expect(ends_with_on_line(s, "  compute  ", "  #  2.67 insn per cycle  0.15 MPKI"), "%s", s);
	free(s);

	p = hw_profile(mixed);
	d = hw_data(r, &p);
	d.cost_per_sample_us = 0;
	s = render_f(&d, &o, hsums, NH, NULL, 0);
	/* nothing pairs: the share of the first event instead */
	cr_expect(ends_with_on_line(s, "  compute  ", "  #  60.0% of cycles"), "%s", s);
	cr_expect_eq(strstr(s, "insn per cycle"), NULL, "%s", s);
	cr_expect_eq(strstr(s, "overhead"), NULL, "%s", s);
	free(s);
}

/* Bold top row name, faint <...> rows, red/green shares: only with color. */
Test(functions, text_colour)
{
	struct pp_stat_row r[2];
	struct pp_profile p = profile(1);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options o = { .cwd = "/home/u/proj", .color = 1 };

	check_golden("func-colour.text.txt", render_f(&d, &o, fsums, NF, NULL, 0));
}

Test(functions, csv_and_json)
{
	struct pp_stat_row r[2];
	struct pp_profile p = profile(2);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options c = { .sep = ",", .lines = 1 };
	struct pp_report_options j = { .json = 1, .lines = 1 };

	check_golden("func-lines.csv.txt", render_f(&d, &c, fsums, NF, lsums, NL));
	check_golden("func-lines.json.txt", render_f(&d, &j, fsums, NF, lsums, NL));
}

Test(functions, csv_and_json_per_thread)
{
	struct pp_stat_row r[2];
	struct pp_profile p = profile(1);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options c = { .sep = ";", .sum_flags = PP_SUM_PER_THREAD };
	struct pp_report_options j = { .json = 1, .sum_flags = PP_SUM_PER_THREAD };

	check_golden("func-threads.csv.txt", render_f(&d, &c, tsums, NT, NULL, 0));
	check_golden("func-threads.json.txt", render_f(&d, &j, tsums, NT, NULL, 0));
}

/* The estimates add up to the counted totals the report prints above. */
Test(functions, estimates_add_up_to_the_counted_total)
{
	struct pp_stat_row r[2];
	struct pp_profile p = profile(2);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options o = { .sep = "," };
	char *s = render_f(&d, &o, fsums, NF, NULL, 0), *line, *save = NULL;
	double sum[2] = { 0, 0 };

	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* scope,function,file,line,event,unit,self,... */
		char *f[12], *rest = line;
		int n = 0;

		while (n < 12 && (f[n] = strsep(&rest, ",")))
			n++;
		if (n < 7 || strcmp(f[0], "function"))
			continue;
		sum[strcmp(f[4], "task-clock") ? 1 : 0] += strtod(f[6], NULL);
	}
	cr_expect(fabs(sum[0] - C * 1e-6) < 1e-5, "task-clock %f msec", sum[0]);
	cr_expect(fabs(sum[1] - 2345678901.0) < 4, "instructions %f", sum[1]);
	free(s);
}

Test(functions, json_escapes_strange_names)
{
	struct pp_func weird[PP_FUNC_FIRST_USER + 1] = {
		[PP_FUNC_FIRST_USER] = { "we\"ird\\na\nme\t\x01\x7f caf\xc3\xa9 \xff\xc0\xaf \xed\xa0\x80",
					 "/tmp/o\"dd\\dir/x.py", 7 },
	};
	struct pp_func_sum s = { .func = PP_FUNC_FIRST_USER, .self = { 1 }, .total = { 1 } };
	struct pp_stat_row r[2];
	struct pp_profile p = profile(1);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options j = { .json = 1 };
	struct pp_report_options c = { .sep = "," };
	struct pp_report_options t = { 0 };
	char *out, *last;

	p.funcs = weird;
	p.nfuncs = PP_FUNC_FIRST_USER + 1;
	p.ev[0].samples = 1;
	out = render_f(&d, &j, &s, 1, NULL, 0);
	last = strrchr(out, '{');
	cr_expect_str_eq(last,
		"{\"scope\" : \"function\", \"function\" : "
		"\"we\\\"ird\\\\na\\nme\\t\\u0001\\u007f caf\xc3\xa9 \\ufffd\\ufffd\\ufffd "
		"\\ufffd\\ufffd\\ufffd\", \"file\" : \"/tmp/o\\\"dd\\\\dir/x.py\", \"line\" : 7, "
		"\"event\" : \"task-clock\", \"unit\" : \"msec\", \"self\" : 168.150000, "
		"\"self-percent\" : 100.00, \"total\" : 168.150000, \"total-percent\" : 100.00, "
		"\"samples\" : 1}\n");
	free(out);

	out = render_f(&d, &c, &s, 1, NULL, 0);
	cr_expect(strstr(out, "\nfunction,\"we\"\"ird\\na\nme\t\x01\x7f caf\xc3\xa9 \xff\xc0\xaf "
			 "\xed\xa0\x80\",\"/tmp/o\"\"dd\\dir/x.py\",7,task-clock,msec,"
			 "168.150000,100.00,168.150000,100.00,1\n"), "%s", out);
	free(out);

	/* text keeps the table on one line per row */
	out = render_f(&d, &t, &s, 1, NULL, 0);
	cr_expect(strstr(out, "  we\"ird\\na?me??? caf\xc3\xa9 ??? ???  /tmp/o\"dd\\dir/x.py:7       (few samples)\n"),
		  "%s", out);
	free(out);
}

Test(functions, csv_quotes_fields_holding_the_separator)
{
	struct pp_func f[PP_FUNC_FIRST_USER + 1] = {
		[PP_FUNC_FIRST_USER] = { "a;b,c", "/x;y/z.py", 3 },
	};
	struct pp_func_sum s = { .func = PP_FUNC_FIRST_USER, .self = { 1 }, .total = { 1 } };
	struct pp_stat_row r[2];
	struct pp_profile p = profile(1);
	struct pp_report_data d = with_profile(r, &p);
	struct pp_report_options o = { .sep = ";" };
	char *out;

	p.funcs = f;
	p.nfuncs = PP_FUNC_FIRST_USER + 1;
	out = render_f(&d, &o, &s, 1, NULL, 0);
	cr_expect(strstr(out, "\nfunction;\"a;b,c\";\"/x;y/z.py\";3;task-clock;msec;"), "%s", out);
	free(out);
}

Test(functions, note_when_nothing_was_sampled)
{
	struct pp_stat_row r[1] = { row("task-clock", 1, 1, OK, C, C, C) };
	struct pp_report_data d = data1(r, 1);
	char *s;

	d.attribution_note = "no agent loaded: python3.7 is older than 3.8";
	s = render(&d, &text);
	cr_expect(strstr(s, "       0.057338000 seconds sys\n\n\n"
			 "pyperf-stat: no agent loaded: python3.7 is older than 3.8\n\n"), "%s", s);
	cr_expect_eq(strstr(s, "Per-function"), NULL);
	free(s);
}

/* pp_report__write gets its sums from pp_profile__sum. */
Test(functions, write_sums_the_profile)
{
	struct pp_frame stack1[2] = { { F_COMPUTE, 12 }, { F_MAIN, 30 } };
	struct pp_frame stack2[2] = { { F_HELPER, 22 }, { F_MAIN, 30 } };
	struct pp_stat_row r[2];
	struct pp_profile p;
	struct pp_report_data d;
	struct pp_report_options o = { .json = 1, .lines = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int64_t id;
	int i;

	cr_assert_eq(pp_profile__init(&p), 0);
	cr_assert_eq(pp_profile__add_event(&p, "task-clock", 1000000), 0);
	for (i = PP_FUNC_FIRST_USER; i < NFUNCS; i++) {
		id = pp_profile__intern_func(&p, funcs[i].qualname, funcs[i].file,
					     funcs[i].firstline);
		cr_assert_eq(id, i);
	}
	cr_assert_eq(pp_profile__add_sample(&p, 0, 1, 1, stack1, 2, 3), 0);
	cr_assert_eq(pp_profile__add_sample(&p, 0, 1, 1, stack2, 2, 1), 0);
	p.ev[0].total = 4000000;
	d = with_profile(r, &p);
	out = open_memstream(&buf, &len);
	cr_assert(out);
	cr_assert_eq(pp_report__write(out, &d, &o), 0);
	fclose(out);
	pp_profile__free(&p);
	check_golden("func-from-profile.json.txt", buf);
}
