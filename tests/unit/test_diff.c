/* pyperf-stat diff: the threshold grammar, the statistics, function
 * matching, the decisions, and the four output formats of a fixed pair of
 * hand-built profiles (golden outputs). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyperf/diff.h"
#include "pyperf/profile_file.h"

/* ------------------------------------------------------------ fixtures */

static char dir[64];

static void mkdir_tmp(void)
{
	strcpy(dir, "/tmp/pp-diff-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chdir(dir), 0);
}

static void rm_tmp(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	if (chdir("/") != 0)
		return;
	rmdir(dir);
}

TestSuite(diff, .init = mkdir_tmp, .fini = rm_tmp);

/* A side of a comparison built by hand: up to 4 runs, up to 6 functions
 * with per-run self (and inclusive) samples of task-clock sampled every
 * 1 ms, counted task-clock, instructions and page-faults per run. */
#define MAXRUNS 4
#define MAXF 6

struct fx_func {
	const char *qualname, *file;
	int line;
	uint64_t self[MAXRUNS];
	uint64_t incl[MAXRUNS];   /* 0: same as self */
};

struct fx {
	const char *command;
	int runs;
	double task_clock_ms[MAXRUNS];
	double instructions[MAXRUNS];
	double faults[MAXRUNS];
	double elapsed[MAXRUNS];
	struct fx_func f[MAXF];
	int per_run;           /* save each run's figures (RUNS) */
};

struct built {
	struct pp_profile p;
	struct pp_stat_row rows[3];
	struct pp_run run[MAXRUNS];
	struct pp_run_func funcs[MAXRUNS][MAXF];
	double values[MAXRUNS][3];
	struct pp_report_data d;
};

static void mean_sd(const double *x, int n, double *m, double *sd)
{
	pp_stats__mean_sd(x, (size_t)n, m, sd);
}

/* Builds the report data a `-r RUNS` recording of FX would save. */
static void build(struct built *b, const struct fx *fx)
{
	double tc[MAXRUNS], ins[MAXRUNS], pf[MAXRUNS], el[MAXRUNS];
	uint32_t ids[MAXF];
	int r, i, caller = -1;

	memset(b, 0, sizeof(*b));
	cr_assert_eq(pp_profile__init(&b->p), 0);
	cr_assert_eq(pp_profile__add_event(&b->p, "task-clock", 1000000), 0);
	for (r = 0; r < fx->runs; r++) {
		tc[r] = fx->task_clock_ms[r] * 1e6;
		ins[r] = fx->instructions[r];
		pf[r] = fx->faults[r];
		el[r] = fx->elapsed[r];
		b->values[r][0] = tc[r];
		b->values[r][1] = ins[r];
		b->values[r][2] = pf[r];
		b->run[r].elapsed_s = el[r];
		b->run[r].values = b->values[r];
	}
	/* a function with inclusive samples only is every other one's caller */
	for (i = 0; i < MAXF && fx->f[i].qualname; i++) {
		int64_t id = pp_profile__intern_func(&b->p, fx->f[i].qualname, fx->f[i].file,
						     fx->f[i].line);

		cr_assert_geq(id, 0);
		ids[i] = (uint32_t)id;
		if (!fx->f[i].self[0] && fx->f[i].incl[0])
			caller = (int)i;
	}
	for (i = 0; i < MAXF && fx->f[i].qualname; i++) {
		const struct fx_func *f = &fx->f[i];
		struct pp_frame fr[2] = { { ids[i], f->line + 1 }, { 0, 0 } };

		if (caller >= 0)
			fr[1] = (struct pp_frame){ ids[caller], fx->f[caller].line + 1 };
		for (r = 0; r < fx->runs; r++) {
			struct pp_run_func *rf = &b->funcs[r][b->run[r].nfuncs];
			uint64_t incl = f->incl[r] ? f->incl[r] : f->self[r];

			if (!incl)
				continue;
			rf->func = ids[i];
			rf->self[0] = f->self[r];
			rf->total[0] = incl;
			b->run[r].nfuncs++;
			b->run[r].funcs = b->funcs[r];
			b->run[r].samples[0] += f->self[r];
			if (f->self[r])
				cr_assert_eq(pp_profile__add_sample(&b->p, 0, 1, 1, fr,
								    caller >= 0 ? 2 : 1,
								    f->self[r]), 0);
		}
	}
	b->rows[0] = (struct pp_stat_row){ .name = "task-clock", .unit = "msec", .type = 1,
					   .config = 1, .status = PP_COUNT_OK };
	b->rows[1] = (struct pp_stat_row){ .name = "instructions", .unit = "", .type = 0,
					   .config = 1, .status = PP_COUNT_OK };
	b->rows[2] = (struct pp_stat_row){ .name = "page-faults", .unit = "", .type = 1,
					   .config = 2, .status = PP_COUNT_OK };
	mean_sd(tc, fx->runs, &b->rows[0].value, &b->rows[0].stddev);
	mean_sd(ins, fx->runs, &b->rows[1].value, &b->rows[1].stddev);
	mean_sd(pf, fx->runs, &b->rows[2].value, &b->rows[2].stddev);
	b->p.ev[0].total = b->rows[0].value;
	b->d.command = fx->command;
	b->d.runs = fx->runs;
	b->d.rows = b->rows;
	b->d.nrows = 3;
	mean_sd(el, fx->runs, &b->d.elapsed_s, &b->d.elapsed_stddev_s);
	b->d.profile = &b->p;
	b->d.run = fx->per_run ? b->run : NULL;
}

static void unbuild(struct built *b)
{
	pp_profile__free(&b->p);
}

static void save(const char *name, const struct fx *fx)
{
	struct built b;

	build(&b, fx);
	cr_assert_eq(pp_profile_file__save(name, &b.d, "0.1.0"), 0);
	unbuild(&b);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	cr_assert_not_null(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return b;
}

static int diff_cmd(const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"diff";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return pp_cmd_diff(argc, argv);
}

/* The pair of the golden outputs: work() doubles (its definition moved
 * down 4 lines and the checkout moved), helper() is unchanged within its
 * noise, old() was removed and fresh() added; instructions grow 30%,
 * page-faults do not move, elapsed grows 100 ms. */
static const struct fx golden_base = {
	.command = "python3 app/main.py",
	.runs = 3,
	.task_clock_ms = { 200, 205, 195 },
	.instructions = { 1.00e9, 1.01e9, 0.99e9 },
	.faults = { 1000, 1000, 1000 },
	.elapsed = { 0.30, 0.31, 0.29 },
	.f = {
		{ "work", "/ci/base/app/main.py", 10, { 100, 102, 98 } },
		{ "helper", "/ci/base/app/util.py", 3, { 50, 50, 50 } },
		{ "old", "/ci/base/app/util.py", 20, { 10, 12, 8 } },
		{ "<module>", "/ci/base/app/main.py", 1, { 0, 0, 0 }, { 160, 164, 156 } },
	},
	.per_run = 1,
};

static const struct fx golden_new = {
	.command = "python3 app/main.py",
	.runs = 3,
	.task_clock_ms = { 315, 320, 310 },
	.instructions = { 1.30e9, 1.31e9, 1.29e9 },
	.faults = { 1000, 1000, 1000 },
	.elapsed = { 0.40, 0.41, 0.39 },
	.f = {
		{ "work", "/home/ci/new/app/main.py", 14, { 200, 204, 196 } },
		{ "helper", "/home/ci/new/app/util.py", 3, { 50, 52, 48 } },
		{ "fresh", "/home/ci/new/app/util.py", 30, { 20, 20, 20 } },
		{ "<module>", "/home/ci/new/app/main.py", 1, { 0, 0, 0 }, { 270, 276, 264 } },
	},
	.per_run = 1,
};

/* ---------------------------------------------------- threshold grammar */

struct good_rule {
	const char *text;
	const char *pattern, *event;
	int inclusive, op, relative;
	double limit;
	int time_unit;
};

Test(diff, threshold_grammar_accepts)
{
	static const struct good_rule cases[] = {
		{ "instructions>+2%", NULL, "instructions", 0, '>', 1, 0.02, 0 },
		{ "func:pkg.mod.f instructions>+5%", "pkg.mod.f", "instructions", 0, '>', 1, 0.05, 0 },
		{ "func:* task-clock>+10%", "*", "task-clock", 0, '>', 1, 0.10, 0 },
		{ "func:f total:task-clock>+5%", "f", "task-clock", 1, '>', 1, 0.05, 0 },
		{ "func:f task-clock:inclusive>+5%", "f", "task-clock", 1, '>', 1, 0.05, 0 },
		{ "func:Klass.* cycles:u:self > 3%", "Klass.*", "cycles:u", 0, '>', 1, 0.03, 0 },
		{ "  task-clock >  +10%  ", NULL, "task-clock", 0, '>', 1, 0.10, 0 },
		{ "task-clock>+2ms", NULL, "task-clock", 0, '>', 0, 2e6, 1 },
		{ "elapsed>50ms", NULL, "elapsed", 0, '>', 0, 5e7, 1 },
		{ "elapsed>0.25s", NULL, "elapsed", 0, '>', 0, 2.5e8, 1 },
		{ "task-clock>+750us", NULL, "task-clock", 0, '>', 0, 7.5e5, 1 },
		{ "instructions<-1.5M", NULL, "instructions", 0, '<', 0, -1.5e6, 0 },
		{ "instructions>2G", NULL, "instructions", 0, '>', 0, 2e9, 0 },
		{ "page-faults>+100", NULL, "page-faults", 0, '>', 0, 100, 0 },
		{ "page-faults>+1.5k", NULL, "page-faults", 0, '>', 0, 1500, 0 },
		{ "task-clock<-20%", NULL, "task-clock", 0, '<', 1, -0.20, 0 },
		{ "func:outer.<locals>.inner task-clock>+1%", "outer.<locals>.inner", "task-clock",
		  0, '>', 1, 0.01, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct good_rule *c = &cases[i];
		struct pp_threshold t;
		char err[256];

		cr_assert_eq(pp_threshold__parse(c->text, &t, err, sizeof(err)), 0, "'%s': %s",
			     c->text, err);
		cr_assert_str_eq(t.text, c->text);
		if (c->pattern)
			cr_assert_str_eq(t.pattern, c->pattern, "'%s'", c->text);
		else
			cr_assert_null(t.pattern, "'%s'", c->text);
		cr_assert_str_eq(t.event, c->event, "'%s'", c->text);
		cr_assert_eq(t.inclusive, c->inclusive, "'%s'", c->text);
		cr_assert_eq(t.op, c->op, "'%s'", c->text);
		cr_assert_eq(t.relative, c->relative, "'%s'", c->text);
		cr_assert_float_eq(t.limit, c->limit, 1e-9 * fabs(c->limit) + 1e-12, "'%s': %g",
				   c->text, t.limit);
		cr_assert_eq(t.time_unit, c->time_unit, "'%s'", c->text);
		pp_threshold__free(&t);
	}
}

Test(diff, threshold_grammar_refuses_with_reasons)
{
	static const struct { const char *text, *why; } cases[] = {
		{ "", "no comparison" },
		{ "task-clock", "no comparison: expected EVENT>LIMIT" },
		{ "task-clock>", "no limit after '>'" },
		{ "task-clock>=5%", "'>=' is not a comparison here: use '>'" },
		{ "task-clock<=5%", "'<=' is not a comparison here: use '<'" },
		{ "task-clock>five%", "the limit must be a number" },
		{ "task-clock>+5parsecs", "unknown unit 'parsecs'" },
		{ "task-clock>+5%x", "unknown unit '%x'" },
		{ "task-clock>1e3", "unknown unit 'e3'" },
		{ "func:f", "'func:f' must be followed by a space and the event" },
		{ "func: task-clock>1%", "'func:' needs a function name or pattern" },
		{ ">5%", "no event before '>'" },
		{ "a<b>5%", "more than one comparison" },
		{ "total:task-clock>+5%", "inclusive ('total:', ':inclusive') applies to functions" },
		{ "task-clock:inclusive>+5%", "applies to functions" },
		{ "func:f total:task-clock:self>1%", "contradict" },
		{ "task-clock<-100%", "-100% or less is impossible" },
		{ "my event>5%", "'my event' is not an event name" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pp_threshold t;
		char err[256] = "";

		cr_assert_eq(pp_threshold__parse(cases[i].text, &t, err, sizeof(err)), -EINVAL,
			     "'%s' was accepted", cases[i].text);
		cr_assert_not_null(strstr(err, cases[i].why), "'%s': '%s' lacks '%s'",
				   cases[i].text, err, cases[i].why);
		cr_assert_null(strchr(err, '\n'));
		pp_threshold__free(&t);
	}
}

Test(diff, function_patterns)
{
	static const struct { const char *pat, *q, *file; int hit; } cases[] = {
		{ "f", "f", "/src/pkg/mod.py", 1 },
		{ "pkg.mod.f", "f", "/src/pkg/mod.py", 1 },
		{ "mod.f", "f", "/src/pkg/mod.py", 1 },
		{ "src.pkg.mod.f", "f", "/src/pkg/mod.py", 1 },
		{ "kg.mod.f", "f", "/src/pkg/mod.py", 0 },     /* whole components only */
		{ "pkg.f", "f", "/src/pkg/mod.py", 0 },
		{ "pkg.K.m", "K.m", "pkg/__init__.py", 1 },    /* a package's __init__ */
		{ "K.*", "K.m", "x.py", 1 },
		{ "pkg.*", "K.m", "./pkg/x.py", 1 },
		{ "*", "<native>", "", 1 },
		{ "<native>", "<native>", "", 1 },
		{ "x.<native>", "<native>", "", 0 },
		{ "g", "f", "/src/g.py", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(pp_threshold__match_func(cases[i].pat, cases[i].q, cases[i].file),
			     cases[i].hit, "'%s' vs %s in %s", cases[i].pat, cases[i].q,
			     cases[i].file);
}

/* ---------------------------------------------------------- statistics */

Test(diff, t_distribution_matches_closed_forms)
{
	/* df = 2: P(|T| >= t) = 1 - t / sqrt(2 + t^2) */
	cr_assert_float_eq(pp_stats__t_p2(1.0, 2), 0.42264973081037427, 1e-12);
	cr_assert_float_eq(pp_stats__t_p2(-2.5, 2), 0.1296117202215108, 1e-12);
	/* df = 1 (Cauchy): 1 - 2 atan(t) / pi */
	cr_assert_float_eq(pp_stats__t_p2(2.0, 1), 0.2951672353008665, 1e-12);
	/* df = 4, from its closed form (hand-computed, see the Welch test) */
	cr_assert_float_eq(pp_stats__t_p2(3.6742346141747673, 4), 0.02131164112875661, 1e-12);
	/* the normal */
	cr_assert_float_eq(pp_stats__t_p2(1.959963984540054, INFINITY), 0.05, 1e-12);
	cr_assert_eq(pp_stats__t_p2(INFINITY, 3), 0);
	cr_assert_eq(pp_stats__t_p2(0, 3), 1);
	cr_assert(isnan(pp_stats__t_p2(1, 0)));
	/* critical values: tables' t(0.975, df) */
	cr_assert_float_eq(pp_stats__t_crit(0.05, 1), 12.706204736174696, 1e-9);
	cr_assert_float_eq(pp_stats__t_crit(0.05, 2), 4.302652729911275, 1e-9);
	cr_assert_float_eq(pp_stats__t_crit(0.05, INFINITY), 1.959963984540054, 1e-9);
	cr_assert_float_eq(pp_stats__t_crit(0.01, INFINITY), 2.5758293035489004, 1e-9);
	cr_assert(isnan(pp_stats__t_crit(0, 3)));
}

Test(diff, welch_against_hand_computed_values)
{
	static const double a1[] = { 27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9,
				     22.6, 23.1, 19.6, 19.0, 21.7, 21.4 };
	static const double a2[] = { 27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8,
				     20.2, 21.9, 22.1, 22.9, 20.5, 24.4 };
	static const double x[] = { 1, 2, 3 }, y[] = { 4, 5, 6 };
	struct pp_welch w;
	double m1, s1, m2, s2;

	/* {1,2,3} vs {4,5,6}: means 2 and 5, variances 1: se^2 = 2/3,
	 * t = 3 / sqrt(2/3), df = (2/3)^2 / (2 (1/3)^2 / 2) = 4 */
	pp_stats__mean_sd(x, 3, &m1, &s1);
	pp_stats__mean_sd(y, 3, &m2, &s2);
	cr_assert_float_eq(m1, 2, 1e-15);
	cr_assert_float_eq(s1, 1, 1e-15);
	cr_assert_eq(pp_stats__welch(m1, s1, 3, m2, s2, 3, &w), 0);
	cr_assert_float_eq(w.t, 3.6742346141747673, 1e-12);
	cr_assert_float_eq(w.df, 4, 1e-12);
	cr_assert_float_eq(w.p, 0.02131164112875661, 1e-12);

	/* unequal sizes and variances: n 3, var 1 against n 5, var 4:
	 * df = (1/3 + 4/5)^2 / ((1/3)^2 / 2 + (4/5)^2 / 4) = 5.95876... */
	cr_assert_eq(pp_stats__welch(0, 1, 3, 1, 2, 5, &w), 0);
	cr_assert_float_eq(w.df, 5.9587628865979365, 1e-12);
	cr_assert_float_eq(w.se, sqrt(1.0 / 3 + 4.0 / 5), 1e-15);

	/* Welch's test article's example 1 (Wikipedia): t 2.46, df 24.99,
	 * p 0.021 */
	pp_stats__mean_sd(a1, 15, &m1, &s1);
	pp_stats__mean_sd(a2, 15, &m2, &s2);
	cr_assert_eq(pp_stats__welch(m1, s1, 15, m2, s2, 15, &w), 0);
	cr_assert_float_eq(w.t, 2.455356398286006, 1e-9);
	cr_assert_float_eq(w.df, 24.98852929023142, 1e-9);
	cr_assert_float_eq(w.p, 0.021, 0.0005, "p %g", w.p);

	/* no spread: equal is certain, different is certain */
	cr_assert_eq(pp_stats__welch(5, 0, 3, 5, 0, 3, &w), 0);
	cr_assert_eq(w.p, 1);
	cr_assert_eq(pp_stats__welch(5, 0, 3, 6, 0, 3, &w), 0);
	cr_assert_eq(w.p, 0);
	cr_assert_eq(pp_stats__welch(5, 1, 1, 6, 1, 3, &w), -EINVAL);
}

Test(diff, estimates_and_their_noise)
{
	static const double runs[] = { 100e6, 102e6, 98e6 }, flat[] = { 50e6, 50e6, 50e6 };
	struct pp_diff_est e;

	/* measured: sd 2e6 over 3 runs; the Poisson floor of 300 samples in
	 * 3 runs (100 per run: 10% of 100e6) is larger and wins */
	pp_diff__estimate(runs, 3, 300, &e);
	cr_assert_eq(e.noise, PP_NOISE_RUNS);
	cr_assert_float_eq(e.mean, 100e6, 1);
	cr_assert_float_eq(e.sd, 10e6, 1);
	cr_assert_float_eq(e.se, 10e6 / sqrt(3), 1);
	cr_assert_float_eq(e.ci95, 4.302652729911275 * 10e6 / sqrt(3), 10);
	/* a counted value has no floor */
	pp_diff__estimate(runs, 3, 0, &e);
	cr_assert_float_eq(e.sd, 2e6, 1);
	pp_diff__estimate(flat, 3, 0, &e);
	cr_assert_eq(e.sd, 0);
	/* one run: the sampling error alone, or nothing */
	pp_diff__estimate(runs, 1, 400, &e);
	cr_assert_eq(e.noise, PP_NOISE_SAMPLING);
	cr_assert_float_eq(e.se, 100e6 / 20, 1);
	pp_diff__estimate(runs, 1, 0, &e);
	cr_assert_eq(e.noise, PP_NOISE_NONE);
	cr_assert_eq(e.se, 0);
	/* summary statistics of a total saved without per-run figures */
	pp_diff__estimate_summary(100, 2, 5, 0, &e);
	cr_assert_eq(e.noise, PP_NOISE_RUNS);
	cr_assert_float_eq(e.se, 2 / sqrt(5), 1e-12);
}

Test(diff, compare_single_runs_falls_back_to_sampling)
{
	static const double b = 100e6, n = 130e6;
	struct pp_diff_est eb, en;
	struct pp_diff_cmp c;

	/* 100 and 169 samples: relative errors 10% and 7.7% */
	pp_diff__estimate(&b, 1, 100, &eb);
	pp_diff__estimate(&n, 1, 169, &en);
	pp_diff__compare(&eb, &en, 0.01, &c);
	cr_assert_eq(c.test, PP_TEST_Z);
	cr_assert_float_eq(c.rel, 0.30, 1e-12);
	cr_assert_float_eq(c.p, erfc(30e6 / sqrt(1e14 + 1e14) / sqrt(2)), 1e-12);
	cr_assert_eq(c.significant, 0, "p %g", c.p);
	/* nothing known on either side: any difference counts */
	pp_diff__estimate(&b, 1, 0, &eb);
	pp_diff__estimate(&n, 1, 0, &en);
	pp_diff__compare(&eb, &en, 0.01, &c);
	cr_assert_eq(c.test, PP_TEST_NONE);
	cr_assert(isnan(c.p));
	cr_assert_eq(c.significant, 1);
}

/* ----------------------------------------------------------- the diff */

static int compute(struct pp_diff *d, const struct fx *a, const struct fx *b,
		   const char *const *rules, char *err, size_t errlen)
{
	struct pp_threshold t[8];
	struct pp_diff_options o = { .alpha = 0.01, .min_samples = 10, .thresholds = t };
	struct built x, y;
	size_t n = 0, i;
	int ret;

	for (; rules && rules[n]; n++)
		cr_assert_eq(pp_threshold__parse(rules[n], &t[n], err, errlen), 0, "%s", err);
	o.nthresholds = n;
	build(&x, a);
	build(&y, b);
	ret = pp_diff__compute(d, &x.d, &y.d, &o, err, errlen);
	/* the names D holds point into the profiles: copy what the tests
	 * look at before they go */
	for (i = 0; i < n; i++)
		pp_threshold__free(&t[i]);
	if (ret == 0)
		for (i = 0; i < d->nfuncs; i++) {
			d->funcs[i].qualname = strdup(d->funcs[i].qualname);
			d->funcs[i].path = strdup(d->funcs[i].path);
			d->funcs[i].base_file = NULL;
			d->funcs[i].new_file = NULL;
		}
	unbuild(&x);
	unbuild(&y);
	return ret;
}

static void free_diff(struct pp_diff *d)
{
	for (size_t i = 0; i < d->nfuncs; i++) {
		free((char *)d->funcs[i].qualname);
		free((char *)d->funcs[i].path);
	}
	pp_diff__free(d);
}

static const struct pp_diff_func *func(const struct pp_diff *d, const char *q)
{
	for (size_t i = 0; i < d->nfuncs; i++)
		if (!strcmp(d->funcs[i].qualname, q))
			return &d->funcs[i];
	return NULL;
}

Test(diff, matching_survives_moved_checkouts_and_shifted_lines)
{
	static const struct fx a = {
		.command = "python3 x.py", .runs = 2,
		.task_clock_ms = { 100, 100 }, .instructions = { 1, 1 }, .faults = { 1, 1 },
		.elapsed = { 1, 1 }, .per_run = 1,
		.f = {
			{ "f", "/ci/1/src/app.py", 10, { 30, 30 } },
			{ "util", "/ci/1/src/a/util.py", 5, { 20, 20 } },
			{ "util", "/ci/1/src/b/util.py", 5, { 10, 10 } },
			{ "<module>", "/ci/1/src/a/__init__.py", 1, { 4, 4 } },
			{ "<module>", "/ci/1/src/b/__init__.py", 1, { 6, 6 } },
		},
	};
	static const struct fx b = {
		.command = "python3 x.py", .runs = 2,
		.task_clock_ms = { 100, 100 }, .instructions = { 1, 1 }, .faults = { 1, 1 },
		.elapsed = { 1, 1 }, .per_run = 1,
		.f = {
			{ "f", "/home/me/proj/src/app.py", 14, { 30, 30 } },
			{ "util", "/home/me/proj/src/b/util.py", 9, { 10, 10 } },
			{ "util", "/home/me/proj/src/a/util.py", 2, { 20, 20 } },
			{ "<module>", "/home/me/proj/src/b/__init__.py", 1, { 6, 6 } },
			{ "<module>", "/home/me/proj/src/a/__init__.py", 3, { 4, 4 } },
		},
	};
	struct pp_diff d;
	char err[256];
	size_t i;

	cr_assert_eq(compute(&d, &a, &b, NULL, err, sizeof(err)), 0, "%s", err);
	/* five functions plus '<not sampled>', all matched, none changed */
	cr_assert_eq(d.nfuncs, 6);
	for (i = 0; i < d.nfuncs; i++) {
		const struct pp_diff_func *f = &d.funcs[i];

		cr_assert_eq(f->status, PP_DIFF_BOTH, "%s %s", f->qualname, f->path);
		cr_assert_float_eq(f->self[0].delta, 0, 1e-6, "%s %s: %g", f->qualname,
				   f->path, f->self[0].delta);
	}
	cr_assert_str_eq(func(&d, "f")->path, "app.py");
	cr_assert_eq(func(&d, "f")->base_line, 10);
	cr_assert_eq(func(&d, "f")->new_line, 14);
	free_diff(&d);
}

Test(diff, added_and_removed_functions)
{
	static const struct fx a = {
		.command = "python3 x.py", .runs = 4,
		.task_clock_ms = { 1000, 1000, 1000, 1000 }, .instructions = { 1, 1, 1, 1 },
		.faults = { 1, 1, 1, 1 }, .elapsed = { 1, 1, 1, 1 }, .per_run = 1,
		.f = { { "keep", "/s/x.py", 1, { 500, 500, 500, 500 } },
		       { "gone", "/s/x.py", 9, { 400, 420, 380, 400 } } },
	};
	static const struct fx b = {
		.command = "python3 x.py", .runs = 4,
		.task_clock_ms = { 1000, 1000, 1000, 1000 }, .instructions = { 1, 1, 1, 1 },
		.faults = { 1, 1, 1, 1 }, .elapsed = { 1, 1, 1, 1 }, .per_run = 1,
		.f = { { "keep", "/s/x.py", 1, { 500, 500, 500, 500 } },
		       { "new_one", "/s/x.py", 9, { 400, 420, 380, 400 } } },
	};
	static const char *const rules[] = { "func:* task-clock>+10%", NULL };
	struct pp_diff d;
	const struct pp_diff_func *f;
	char err[256];

	cr_assert_eq(compute(&d, &a, &b, rules, err, sizeof(err)), 0, "%s", err);
	f = func(&d, "gone");
	cr_assert_not_null(f);
	cr_assert_eq(f->status, PP_DIFF_REMOVED);
	cr_assert_float_eq(f->self[0].rel, -1, 1e-12);
	f = func(&d, "new_one");
	cr_assert_eq(f->status, PP_DIFF_ADDED);
	cr_assert(isinf(f->self[0].rel) && f->self[0].rel > 0);
	cr_assert_eq(func(&d, "keep")->status, PP_DIFF_BOTH);
	/* a new function of 400 ms where there was none is a regression */
	cr_assert_eq(d.nfailed, 1);
	for (size_t i = 0; i < d.nchecks; i++)
		if (d.checks[i].failed)
			cr_assert_str_eq(d.funcs[d.checks[i].func].qualname, "new_one");
	free_diff(&d);
}

Test(diff, identical_inputs_flag_nothing)
{
	static const char *const rules[] = {
		"func:* task-clock>+10%", "func:* task-clock<-10%", "func:work total:task-clock>+1%",
		"task-clock>+1%", "instructions>+0%", "page-faults>+0", "elapsed>+1ms",
		"instructions<-0.5%", NULL,
	};
	struct pp_diff d;
	char err[256];
	size_t i;

	cr_assert_eq(compute(&d, &golden_base, &golden_base, rules, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_gt(d.nchecks, 8);
	cr_assert_eq(d.nfailed, 0);
	for (i = 0; i < d.nchecks; i++) {
		cr_assert_eq(d.checks[i].crossed, 0, "check %zu", i);
		cr_assert_float_eq(d.checks[i].cmp->delta, 0, 1e-6);
	}
	for (i = 0; i < d.ntotals; i++)
		cr_assert_eq(d.totals[i].cmp.significant, 0, "%s", d.totals[i].name);
	free_diff(&d);
}

Test(diff, injected_regression_is_flagged_and_the_rest_is_not)
{
	static const char *const rules[] = { "func:* task-clock>+10%", "instructions>+2%",
					     "page-faults>+0%", NULL };
	struct pp_diff d;
	char err[256];
	size_t i, failed_work = 0;

	cr_assert_eq(compute(&d, &golden_base, &golden_new, rules, err, sizeof(err)), 0,
		     "%s", err);
	for (i = 0; i < d.nchecks; i++) {
		const struct pp_diff_check *c = &d.checks[i];

		if (c->func >= 0 && !strcmp(d.funcs[c->func].qualname, "work")) {
			cr_assert(c->failed);
			failed_work++;
			cr_assert_float_eq(c->cmp->rel, 1.0, 1e-9);
		}
		if (c->func >= 0 && !strcmp(d.funcs[c->func].qualname, "helper"))
			cr_assert_not(c->failed, "helper did not change");
		if (c->func < 0 && !strcmp(d.totals[c->item].name, "page-faults"))
			cr_assert_not(c->failed);
		if (c->func < 0 && !strcmp(d.totals[c->item].name, "instructions")) {
			cr_assert(c->failed);
			cr_assert_float_eq(c->cmp->rel, 0.30, 1e-9);
		}
	}
	cr_assert_eq(failed_work, 1);
	free_diff(&d);
}

Test(diff, per_run_values_scale_to_each_runs_total)
{
	static const struct fx a = {
		.command = "c", .runs = 2, .task_clock_ms = { 100, 60 },
		.instructions = { 1, 1 }, .faults = { 1, 1 }, .elapsed = { 1, 1 }, .per_run = 1,
		/* run 0: 80 samples of 1 ms under 100 ms counted: 20 ms not
		 * sampled; run 1: 80 samples under 60 ms: scaled by 0.75 */
		.f = { { "f", "/x.py", 1, { 40, 40 } }, { "g", "/x.py", 5, { 40, 40 } } },
	};
	struct pp_diff d;
	const struct pp_diff_func *ns;
	char err[256];

	cr_assert_eq(compute(&d, &a, &a, NULL, err, sizeof(err)), 0, "%s", err);
	/* f: 40 ms and 30 ms */
	cr_assert_float_eq(func(&d, "f")->self[0].base.mean, 35e6, 1);
	ns = func(&d, "<not sampled>");
	cr_assert_not_null(ns);
	cr_assert_float_eq(ns->self[0].base.mean, 10e6, 1);   /* 20 and 0 ms */
	free_diff(&d);
}

Test(diff, thresholds_that_cannot_be_checked)
{
	static const struct { const char *rule, *why; int ret; } cases[] = {
		{ "cycles>+1%", "no counted event 'cycles' in either profile (counted in both: "
		  "task-clock, instructions, page-faults, elapsed)", -ENOENT },
		{ "func:* instructions>+1%", "no sampled event 'instructions' in either profile "
		  "(sampled in both: task-clock)", -ENOENT },
		{ "func:nowhere task-clock>+1%", "no function 'nowhere' with samples", -ENOENT },
		{ "task-clock>+5", "task-clock is a time: give the limit a unit", -EINVAL },
		{ "instructions>+5ms", "instructions counts events, not time", -EINVAL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *rules[] = { cases[i].rule, NULL };
		struct pp_diff d;
		char err[512] = "";

		cr_assert_eq(compute(&d, &golden_base, &golden_new, rules, err, sizeof(err)),
			     cases[i].ret, "%s: %s", cases[i].rule, err);
		cr_assert_not_null(strstr(err, cases[i].why), "'%s' lacks '%s'", err, cases[i].why);
		pp_diff__free(&d);
	}
}

Test(diff, same_command)
{
	cr_assert(pp_diff__same_command("python3 /ci/a/bench.py --n 3", "python3 /w/b/bench.py --n 3"));
	cr_assert(pp_diff__same_command("python3  x.py", "python3 x.py"));
	cr_assert_not(pp_diff__same_command("python3 bench.py", "python3 other.py"));
	cr_assert_not(pp_diff__same_command("python3 bench.py --n 3", "python3 bench.py --n 4"));
	cr_assert_not(pp_diff__same_command("python3 bench.py", "python3 bench.py x"));
	cr_assert(pp_diff__same_command("/usr/bin/python3 ./x.py", "python3 x.py"));
	cr_assert_not(pp_diff__same_command("python3.12 x.py", "python3 x.py"));
}

/* ------------------------------------------------------ the subcommand */

Test(diff, exit_statuses)
{
	static const struct fx other = {
		.command = "python3 other.py", .runs = 1, .task_clock_ms = { 1 },
		.instructions = { 1 }, .faults = { 1 }, .elapsed = { 1 },
	};
	FILE *f;

	save("base.ppstat", &golden_base);
	save("new.ppstat", &golden_new);
	save("other.ppstat", &other);
	{
		const char *a[] = { "base.ppstat", "new.ppstat", "-o", "out", NULL };
		cr_assert_eq(diff_cmd(a), 0, "no thresholds: nothing to fail");
	}
	{
		const char *a[] = { "base.ppstat", "new.ppstat", "-o", "out", "--fail-if",
				    "page-faults>+1%", NULL };
		cr_assert_eq(diff_cmd(a), 0);
	}
	{
		const char *a[] = { "base.ppstat", "new.ppstat", "-o", "out", "--fail-if",
				    "page-faults>+1%", "--fail-if", "instructions>+2%", NULL };
		cr_assert_eq(diff_cmd(a), 1);
	}
	{
		const char *a[] = { "base.ppstat", "base.ppstat", "-o", "out", "--fail-if",
				    "instructions>+2%", NULL };
		cr_assert_eq(diff_cmd(a), 0, "a profile against itself");
	}
	{
		const char *a[] = { "base.ppstat", "other.ppstat", "-o", "out", NULL };
		cr_assert_eq(diff_cmd(a), 2, "another command");
	}
	{
		const char *a[] = { "base.ppstat", "other.ppstat", "-o", "out",
				    "--allow-different-command", NULL };
		cr_assert_eq(diff_cmd(a), 0);
	}
	{
		const char *a[] = { "base.ppstat", "missing.ppstat", NULL };
		cr_assert_eq(diff_cmd(a), 2);
	}
	{
		const char *a[] = { "base.ppstat", NULL };
		cr_assert_eq(diff_cmd(a), 2);
	}
	{
		const char *a[] = { "base.ppstat", "new.ppstat", "--fail-if", "x>", NULL };
		cr_assert_eq(diff_cmd(a), 2);
	}
	{
		const char *a[] = { "base.ppstat", "new.ppstat", "--json", "--markdown", NULL };
		cr_assert_eq(diff_cmd(a), 2);
	}
	{
		const char *a[] = { "base.ppstat", "new.ppstat", "--alpha", "0.7", NULL };
		cr_assert_eq(diff_cmd(a), 2);
	}
	{
		const char *a[] = { "base.ppstat", "new.ppstat", "--fail-if", "cycles>+1%", NULL };
		cr_assert_eq(diff_cmd(a), 2, "a threshold on an event neither side counted");
	}
	/* a damaged baseline */
	f = fopen("bad.ppstat", "w");
	fputs("not a profile", f);
	fclose(f);
	{
		const char *a[] = { "bad.ppstat", "new.ppstat", NULL };
		cr_assert_eq(diff_cmd(a), 2);
	}
	{
		const char *a[] = { "--help", NULL };
		int saved = dup(1), null = open("/dev/null", O_WRONLY);

		/* the usage goes to stdout, where the TAP stream is */
		fflush(stdout);
		dup2(null, 1);
		cr_assert_eq(diff_cmd(a), 0);
		fflush(stdout);
		dup2(saved, 1);
		close(saved);
		close(null);
	}
}

Test(diff, output_is_written_atomically_and_junit_alongside)
{
	const char *a[] = { "base.ppstat", "new.ppstat", "-o", "report.md", "--markdown",
			    "--junit", "junit.xml", "--fail-if", "instructions>+2%", NULL };
	char *md, *xml;

	save("base.ppstat", &golden_base);
	save("new.ppstat", &golden_new);
	cr_assert_eq(diff_cmd(a), 1);
	md = slurp("report.md");
	xml = slurp("junit.xml");
	cr_assert_not_null(strstr(md, "## pyperf-stat diff: ❌ 1 of 1 check failed"));
	cr_assert_not_null(strstr(xml, "<failure type=\"threshold\""));
	free(md);
	free(xml);
	/* nothing else: no temporary files left */
	{
		DIR *d = opendir(".");
		struct dirent *e;
		int n = 0;

		while ((e = readdir(d)))
			n += e->d_name[0] != '.';
		closedir(d);
		cr_assert_eq(n, 4);
	}
}

/* ------------------------------------------------------ golden outputs */

static void expect_output(const char *const *extra, const char *want, int status)
{
	const char *a[24] = { "base.ppstat", "new.ppstat", "-o", "out",
			      "--fail-if", "func:* task-clock>+10%",
			      "--fail-if", "func:helper task-clock>+5%",
			      "--fail-if", "instructions>+2%",
			      "--fail-if", "page-faults>+0%",
			      "--fail-if", "elapsed>+50ms" };
	size_t n = 14, i;
	char *got;

	for (i = 0; extra[i]; i++)
		a[n++] = extra[i];
	a[n] = NULL;
	save("base.ppstat", &golden_base);
	save("new.ppstat", &golden_new);
	cr_assert_eq(diff_cmd(a), status);
	got = slurp(extra[0] && !strcmp(extra[0], "--junit") ? extra[1] : "out");
	if (strcmp(got, want)) {
		fprintf(stderr, "---- got\n%s---- want\n%s----\n", got, want);
		cr_assert_fail("output differs from the golden one");
	}
	free(got);
}

/* Hand-checked: see golden_base and golden_new for where each number
 * comes from (e.g. instructions: 1e9 +- 1e7 over 3 runs, a 95% band of
 * t(0.975, 2) 1e7 / sqrt(3) = 2.5%; Welch df 4, 99% CI +30% +- 3.76%). */
static const char golden_text[] =
	"\n"
	" pyperf-stat diff of 'python3 app/main.py':\n"
	"\n"
	"   base   base.ppstat (3 runs)\n"
	"   new    new.ppstat (3 runs)\n"
	"   noise  Welch's t-test over 3 + 3 runs, two-sided, alpha 0.01, Holm-corrected "
	"over the checks\n"
	"\n"
	" Totals (mean +- 95% CI of each side; change with its 99% CI):\n"
	"\n"
	"             base  +-95%             new  +-95%         change        "
	"   99% CI                  p         event\n"
	"      200.00 msec  +-6.2%    315.00 msec  +-3.9%  +115.00 msec  +57.50% "
	" [+48.1%, +66.9%]  <0.0001  worse  task-clock\n"
	"    1,000,000,000  +-2.5%  1,300,000,000  +-1.9%  +300,000,000  +30.00% "
	" [+26.2%, +33.8%]  <0.0001  FAIL   instructions\n"
	"            1,000  +-0.0%          1,000  +-0.0%         +0.00   +0.00% "
	" [+0.0%, +0.0%]     1.0000  same   page-faults\n"
	"      300.00 msec  +-8.3%    400.00 msec  +-6.2%  +100.00 msec  +33.33% "
	" [+20.8%, +45.9%]   0.0003  FAIL   elapsed\n"
	"\n"
	" Functions by task-clock self, msec (regressions first):\n"
	"\n"
	"           base  +-95%            new  +-95%          change          "
	"  99% CI                          p        function       location\n"
	"    100.00 msec  +-24.8%  200.00 msec  +-17.6%  +100.00 msec  +100.00% "
	" [+50.3%, +149.7%]          0.0009  FAIL  work           main.py:14 (was "
	"10)\n"
	"     50.00 msec  +-35.1%   50.00 msec  +-35.1%    +0.00 msec    +0.00% "
	" [-53.2%, +53.2%]           1.0000  same  helper         util.py:3\n"
	"     40.00 msec  +-39.3%   45.00 msec  +-37.0%    +5.00 msec   +12.50% "
	" [-48.9%, +73.9%]           0.4009  same  <not sampled>\n"
	"              -            20.00 msec  +-55.5%   +20.00 msec     added "
	" [-5.63 msec, +45.63 msec]  0.0163  same  fresh          util.py:30\n"
	"     10.00 msec  +-78.6%            -            -10.00 msec   removed "
	" [-281.2%, +81.2%]          0.0318  same  old            util.py:20\n"
	"\n"
	" Thresholds (alpha 0.01, Holm-corrected over the checks):\n"
	"\n"
	"   FAIL  func:* task-clock>+10%      work (main.py:14): +100.00% [+50.3%, "
	"+149.7%] (limit >+10%), Holm p 0.0056\n"
	"   ok    func:* task-clock>+10%      fresh (util.py:30): added [-5.63 "
	"msec, +45.63 msec] (limit >+10%), Holm p 0.0813: past the limit, within "
	"the noise\n"
	"   ok    func:* task-clock>+10%      2 other functions within the limit\n"
	"   ok    func:helper task-clock>+5%  helper (util.py:3): +0.00% [-53.2%, "
	"+53.2%] (limit >+5%), Holm p 1.0000\n"
	"   FAIL  instructions>+2%            +30.00% [+26.2%, +33.8%] (limit >+2%), "
	"Holm p <0.0001\n"
	"   ok    page-faults>+0%             +0.00% [+0.0%, +0.0%] (limit >+0%), "
	"Holm p 1.0000\n"
	"   FAIL  elapsed>+50ms               +100.00 msec [+62.41 msec, +137.59 "
	"msec] (limit >+50.00 msec), Holm p 0.0018\n"
	"   (1 function with fewer than 10 samples on both sides not checked by "
	"wildcard rules)\n"
	"\n"
	" 3 of 8 checks failed: exit status 1\n"
	"\n";

static const char golden_json[] =
	"{\"type\" : \"diff\", \"base\" : \"base.ppstat\", \"new\" : \"new.ppstat\", "
	"\"base-command\" : \"python3 app/main.py\", \"new-command\" : \"python3 "
	"app/main.py\", \"base-runs\" : 3, \"new-runs\" : 3, \"base-per-run\" : "
	"true, \"new-per-run\" : true, \"alpha\" : 0.01, \"correction\" : \"holm\", "
	"\"confidence-percent\" : 99, \"noise-floor-percent\" : 0}\n"
	"{\"type\" : \"total\", \"event\" : \"task-clock\", \"unit\" : \"msec\", "
	"\"base\" : {\"mean\" : 200, \"ci95\" : 12.42068856, \"runs\" : 3, \"samples\" "
	": 0, \"noise\" : \"runs\"}, \"new\" : {\"mean\" : 315, \"ci95\" : 12.42068856, "
	"\"runs\" : 3, \"samples\" : 0, \"noise\" : \"runs\"}, \"change\" : 115, "
	"\"change-percent\" : 57.5, \"ci-low\" : 96.2038614, \"ci-high\" : 133.7961386, "
	"\"ci-low-percent\" : 48.1019307, \"ci-high-percent\" : 66.8980693, \"p\" "
	": 9.44968661e-06, \"test\" : \"welch\", \"significant\" : true}\n"
	"{\"type\" : \"total\", \"event\" : \"instructions\", \"unit\" : \"\", "
	"\"base\" : {\"mean\" : 1000000000, \"ci95\" : 24841377.12, \"runs\" : "
	"3, \"samples\" : 0, \"noise\" : \"runs\"}, \"new\" : {\"mean\" : 1300000000, "
	"\"ci95\" : 24841377.12, \"runs\" : 3, \"samples\" : 0, \"noise\" : \"runs\"}, "
	"\"change\" : 300000000, \"change-percent\" : 30, \"ci-low\" : 262407722.8, "
	"\"ci-high\" : 337592277.2, \"ci-low-percent\" : 26.24077228, \"ci-high-percent\" "
	": 33.75922772, \"p\" : 3.275986386e-06, \"test\" : \"welch\", \"significant\" "
	": true}\n"
	"{\"type\" : \"total\", \"event\" : \"page-faults\", \"unit\" : \"\", \"base\" "
	": {\"mean\" : 1000, \"ci95\" : 0, \"runs\" : 3, \"samples\" : 0, \"noise\" "
	": \"runs\"}, \"new\" : {\"mean\" : 1000, \"ci95\" : 0, \"runs\" : 3, \"samples\" "
	": 0, \"noise\" : \"runs\"}, \"change\" : 0, \"change-percent\" : 0, \"ci-low\" "
	": 0, \"ci-high\" : 0, \"ci-low-percent\" : 0, \"ci-high-percent\" : 0, "
	"\"p\" : 1, \"test\" : \"welch\", \"significant\" : false}\n"
	"{\"type\" : \"total\", \"event\" : \"elapsed\", \"unit\" : \"msec\", \"base\" "
	": {\"mean\" : 300, \"ci95\" : 24.84137712, \"runs\" : 3, \"samples\" : "
	"0, \"noise\" : \"runs\"}, \"new\" : {\"mean\" : 400, \"ci95\" : 24.84137712, "
	"\"runs\" : 3, \"samples\" : 0, \"noise\" : \"runs\"}, \"change\" : 100, "
	"\"change-percent\" : 33.33333333, \"ci-low\" : 62.40772279, \"ci-high\" "
	": 137.5922772, \"ci-low-percent\" : 20.80257426, \"ci-high-percent\" : "
	"45.8640924, \"p\" : 0.0002552167494, \"test\" : \"welch\", \"significant\" "
	": true}\n"
	"{\"type\" : \"function\", \"function\" : \"work\", \"file\" : \"main.py\", "
	"\"base-file\" : \"/ci/base/app/main.py\", \"new-file\" : \"/home/ci/new/app/main.py\", "
	"\"base-line\" : 10, \"new-line\" : 14, \"status\" : \"changed\", \"event\" "
	": \"task-clock\", \"unit\" : \"msec\", \"verdict\" : \"FAIL\", \"self\" "
	": {\"base\" : {\"mean\" : 100, \"ci95\" : 24.84137712, \"runs\" : 3, \"samples\" "
	": 300, \"noise\" : \"runs\"}, \"new\" : {\"mean\" : 200, \"ci95\" : 35.13101243, "
	"\"runs\" : 3, \"samples\" : 600, \"noise\" : \"runs\"}, \"change\" : 100, "
	"\"change-percent\" : 100, \"ci-low\" : 50.27145311, \"ci-high\" : 149.7285469, "
	"\"ci-low-percent\" : 50.27145311, \"ci-high-percent\" : 149.7285469, \"p\" "
	": 0.0009388638813, \"test\" : \"welch\", \"significant\" : true}, \"inclusive\" "
	": {\"base\" : {\"mean\" : 100, \"ci95\" : 24.84137712, \"runs\" : 3, \"samples\" "
	": 300, \"noise\" : \"runs\"}, \"new\" : {\"mean\" : 200, \"ci95\" : 35.13101243, "
	"\"runs\" : 3, \"samples\" : 600, \"noise\" : \"runs\"}, \"change\" : 100, "
	"\"change-percent\" : 100, \"ci-low\" : 50.27145311, \"ci-high\" : 149.7285469, "
	"\"ci-low-percent\" : 50.27145311, \"ci-high-percent\" : 149.7285469, \"p\" "
	": 0.0009388638813, \"test\" : \"welch\", \"significant\" : true}}\n"
	"{\"type\" : \"function\", \"function\" : \"helper\", \"file\" : \"util.py\", "
	"\"base-file\" : \"/ci/base/app/util.py\", \"new-file\" : \"/home/ci/new/app/util.py\", "
	"\"base-line\" : 3, \"new-line\" : 3, \"status\" : \"changed\", \"event\" "
	": \"task-clock\", \"unit\" : \"msec\", \"verdict\" : \"same\", \"self\" "
	": {\"base\" : {\"mean\" : 50, \"ci95\" : 17.56550621, \"runs\" : 3, \"samples\" "
	": 150, \"noise\" : \"runs\"}, \"new\" : {\"mean\" : 50, \"ci95\" : 17.56550621, "
	"\"runs\" : 3, \"samples\" : 150, \"noise\" : \"runs\"}, \"change\" : 0, "
	"\"change-percent\" : 0, \"ci-low\" : -26.58175413, \"ci-high\" : 26.58175413, "
	"\"ci-low-percent\" : -53.16350827, \"ci-high-percent\" : 53.16350827, "
	"\"p\" : 1, \"test\" : \"welch\", \"significant\" : false}, \"inclusive\" "
	": {\"base\" : {\"mean\" : 50, \"ci95\" : 17.56550621, \"runs\" : 3, \"samples\" "
	": 150, \"noise\" : \"runs\"}, \"new\" : {\"mean\" : 50, \"ci95\" : 17.56550621, "
	"\"runs\" : 3, \"samples\" : 150, \"noise\" : \"runs\"}, \"change\" : 0, "
	"\"change-percent\" : 0, \"ci-low\" : -26.58175413, \"ci-high\" : 26.58175413, "
	"\"ci-low-percent\" : -53.16350827, \"ci-high-percent\" : 53.16350827, "
	"\"p\" : 1, \"test\" : \"welch\", \"significant\" : false}}\n"
	"{\"type\" : \"function\", \"function\" : \"<not sampled>\", \"file\" : "
	"\"\", \"base-file\" : \"\", \"new-file\" : \"\", \"base-line\" : 0, \"new-line\" "
	": 0, \"status\" : \"changed\", \"event\" : \"task-clock\", \"unit\" : "
	"\"msec\", \"verdict\" : \"same\", \"self\" : {\"base\" : {\"mean\" : 40, "
	"\"ci95\" : 15.71106638, \"runs\" : 3, \"samples\" : 120, \"noise\" : \"runs\"}, "
	"\"new\" : {\"mean\" : 45, \"ci95\" : 16.66410237, \"runs\" : 3, \"samples\" "
	": 135, \"noise\" : \"runs\"}, \"change\" : 5, \"change-percent\" : 12.5, "
	"\"ci-low\" : -19.56516891, \"ci-high\" : 29.56516891, \"ci-low-percent\" "
	": -48.91292227, \"ci-high-percent\" : 73.91292227, \"p\" : 0.4009127157, "
	"\"test\" : \"welch\", \"significant\" : false}, \"inclusive\" : {\"base\" "
	": {\"mean\" : 40, \"ci95\" : 15.71106638, \"runs\" : 3, \"samples\" : "
	"120, \"noise\" : \"runs\"}, \"new\" : {\"mean\" : 45, \"ci95\" : 16.66410237, "
	"\"runs\" : 3, \"samples\" : 135, \"noise\" : \"runs\"}, \"change\" : 5, "
	"\"change-percent\" : 12.5, \"ci-low\" : -19.56516891, \"ci-high\" : 29.56516891, "
	"\"ci-low-percent\" : -48.91292227, \"ci-high-percent\" : 73.91292227, "
	"\"p\" : 0.4009127157, \"test\" : \"welch\", \"significant\" : false}}\n"
	"{\"type\" : \"function\", \"function\" : \"fresh\", \"file\" : \"util.py\", "
	"\"base-file\" : null, \"new-file\" : \"/home/ci/new/app/util.py\", \"base-line\" "
	": 0, \"new-line\" : 30, \"status\" : \"added\", \"event\" : \"task-clock\", "
	"\"unit\" : \"msec\", \"verdict\" : \"same\", \"self\" : {\"base\" : {\"mean\" "
	": 0, \"ci95\" : 0, \"runs\" : 3, \"samples\" : 0, \"noise\" : \"runs\"}, "
	"\"new\" : {\"mean\" : 20, \"ci95\" : 11.10940158, \"runs\" : 3, \"samples\" "
	": 60, \"noise\" : \"runs\"}, \"change\" : 20, \"change-percent\" : null, "
	"\"ci-low\" : -5.625834954, \"ci-high\" : 45.62583495, \"ci-low-percent\" "
	": null, \"ci-high-percent\" : null, \"p\" : 0.01626124632, \"test\" : "
	"\"welch\", \"significant\" : false}, \"inclusive\" : {\"base\" : {\"mean\" "
	": 0, \"ci95\" : 0, \"runs\" : 3, \"samples\" : 0, \"noise\" : \"runs\"}, "
	"\"new\" : {\"mean\" : 20, \"ci95\" : 11.10940158, \"runs\" : 3, \"samples\" "
	": 60, \"noise\" : \"runs\"}, \"change\" : 20, \"change-percent\" : null, "
	"\"ci-low\" : -5.625834954, \"ci-high\" : 45.62583495, \"ci-low-percent\" "
	": null, \"ci-high-percent\" : null, \"p\" : 0.01626124632, \"test\" : "
	"\"welch\", \"significant\" : false}}\n"
	"{\"type\" : \"function\", \"function\" : \"old\", \"file\" : \"util.py\", "
	"\"base-file\" : \"/ci/base/app/util.py\", \"new-file\" : null, \"base-line\" "
	": 20, \"new-line\" : 0, \"status\" : \"removed\", \"event\" : \"task-clock\", "
	"\"unit\" : \"msec\", \"verdict\" : \"same\", \"self\" : {\"base\" : {\"mean\" "
	": 10, \"ci95\" : 7.855533191, \"runs\" : 3, \"samples\" : 30, \"noise\" "
	": \"runs\"}, \"new\" : {\"mean\" : 0, \"ci95\" : 0, \"runs\" : 3, \"samples\" "
	": 0, \"noise\" : \"runs\"}, \"change\" : -10, \"change-percent\" : -100, "
	"\"ci-low\" : -28.12020167, \"ci-high\" : 8.120201669, \"ci-low-percent\" "
	": -281.2020167, \"ci-high-percent\" : 81.20201669, \"p\" : 0.03175416345, "
	"\"test\" : \"welch\", \"significant\" : false}, \"inclusive\" : {\"base\" "
	": {\"mean\" : 10, \"ci95\" : 7.855533191, \"runs\" : 3, \"samples\" : "
	"30, \"noise\" : \"runs\"}, \"new\" : {\"mean\" : 0, \"ci95\" : 0, \"runs\" "
	": 3, \"samples\" : 0, \"noise\" : \"runs\"}, \"change\" : -10, \"change-percent\" "
	": -100, \"ci-low\" : -28.12020167, \"ci-high\" : 8.120201669, \"ci-low-percent\" "
	": -281.2020167, \"ci-high-percent\" : 81.20201669, \"p\" : 0.03175416345, "
	"\"test\" : \"welch\", \"significant\" : false}}\n"
	"{\"type\" : \"check\", \"threshold\" : \"func:* task-clock>+10%\", \"target\" "
	": \"function\", \"function\" : \"fresh\", \"file\" : \"util.py\", \"line\" "
	": 30, \"event\" : \"task-clock\", \"kind\" : \"self\", \"op\" : \">\", "
	"\"limit\" : 10, \"limit-unit\" : \"%\", \"change\" : 20, \"change-percent\" "
	": null, \"p\" : 0.01626124632, \"p-adjusted\" : 0.08130623162, \"crossed\" "
	": true, \"significant\" : false, \"failed\" : false}\n"
	"{\"type\" : \"check\", \"threshold\" : \"func:* task-clock>+10%\", \"target\" "
	": \"function\", \"function\" : \"helper\", \"file\" : \"util.py\", \"line\" "
	": 3, \"event\" : \"task-clock\", \"kind\" : \"self\", \"op\" : \">\", "
	"\"limit\" : 10, \"limit-unit\" : \"%\", \"change\" : 0, \"change-percent\" "
	": 0, \"p\" : 1, \"p-adjusted\" : 1, \"crossed\" : false, \"significant\" "
	": false, \"failed\" : false}\n"
	"{\"type\" : \"check\", \"threshold\" : \"func:* task-clock>+10%\", \"target\" "
	": \"function\", \"function\" : \"work\", \"file\" : \"main.py\", \"line\" "
	": 14, \"event\" : \"task-clock\", \"kind\" : \"self\", \"op\" : \">\", "
	"\"limit\" : 10, \"limit-unit\" : \"%\", \"change\" : 100, \"change-percent\" "
	": 100, \"p\" : 0.0009388638813, \"p-adjusted\" : 0.005633183288, \"crossed\" "
	": true, \"significant\" : true, \"failed\" : true}\n"
	"{\"type\" : \"check\", \"threshold\" : \"func:* task-clock>+10%\", \"target\" "
	": \"function\", \"function\" : \"old\", \"file\" : \"util.py\", \"line\" "
	": 20, \"event\" : \"task-clock\", \"kind\" : \"self\", \"op\" : \">\", "
	"\"limit\" : 10, \"limit-unit\" : \"%\", \"change\" : -10, \"change-percent\" "
	": -100, \"p\" : 0.03175416345, \"p-adjusted\" : 0.1270166538, \"crossed\" "
	": false, \"significant\" : false, \"failed\" : false}\n"
	"{\"type\" : \"check\", \"threshold\" : \"func:helper task-clock>+5%\", "
	"\"target\" : \"function\", \"function\" : \"helper\", \"file\" : \"util.py\", "
	"\"line\" : 3, \"event\" : \"task-clock\", \"kind\" : \"self\", \"op\" "
	": \">\", \"limit\" : 5, \"limit-unit\" : \"%\", \"change\" : 0, \"change-percent\" "
	": 0, \"p\" : 1, \"p-adjusted\" : 1, \"crossed\" : false, \"significant\" "
	": false, \"failed\" : false}\n"
	"{\"type\" : \"check\", \"threshold\" : \"instructions>+2%\", \"target\" "
	": \"total\", \"event\" : \"instructions\", \"op\" : \">\", \"limit\" : "
	"2, \"limit-unit\" : \"%\", \"change\" : 300000000, \"change-percent\" "
	": 30, \"p\" : 3.275986386e-06, \"p-adjusted\" : 2.620789109e-05, \"crossed\" "
	": true, \"significant\" : true, \"failed\" : true}\n"
	"{\"type\" : \"check\", \"threshold\" : \"page-faults>+0%\", \"target\" "
	": \"total\", \"event\" : \"page-faults\", \"op\" : \">\", \"limit\" : "
	"0, \"limit-unit\" : \"%\", \"change\" : 0, \"change-percent\" : 0, \"p\" "
	": 1, \"p-adjusted\" : 1, \"crossed\" : false, \"significant\" : false, "
	"\"failed\" : false}\n"
	"{\"type\" : \"check\", \"threshold\" : \"elapsed>+50ms\", \"target\" : "
	"\"total\", \"event\" : \"elapsed\", \"op\" : \">\", \"limit\" : 50, \"limit-unit\" "
	": \"msec\", \"change\" : 100, \"change-percent\" : 33.33333333, \"p\" "
	": 0.0002552167494, \"p-adjusted\" : 0.001786517246, \"crossed\" : true, "
	"\"significant\" : true, \"failed\" : true}\n"
	"{\"type\" : \"summary\", \"checks\" : 8, \"failed\" : 3, \"skipped-few-samples\" "
	": 1, \"exit-status\" : 1}\n";

static const char golden_markdown[] =
	"## pyperf-stat diff: ❌ 3 of 8 checks failed\n"
	"\n"
	"Command `python3 app/main.py`; base `base.ppstat` (3 runs), new `new.ppstat` "
	"(3 runs).  Noise: Welch's t-test over 3 + 3 runs, two-sided, α = 0.01, "
	"Holm-corrected over the checks.\n"
	"\n"
	"|  | threshold | where | base | new | change | 99% CI | p |\n"
	"|---|---|---|--:|--:|--:|---|--:|\n"
	"| ❌ FAIL | `func:* task-clock>+10%` | `work` (`main.py:14`) | 100.00 msec "
	"±24.8% | 200.00 msec ±17.6% | +100.00% | +50.3% … +149.7% | 0.0056 |\n"
	"| ❌ FAIL | `instructions>+2%` | total | 1,000,000,000 ±2.5% | 1,300,000,000 "
	"±1.9% | +30.00% | +26.2% … +33.8% | \\<0.0001 |\n"
	"| ❌ FAIL | `elapsed>+50ms` | total | 300.00 msec ±8.3% | 400.00 msec ±6.2% "
	"| +100.00 msec | +62.41 msec … +137.59 msec | 0.0018 |\n"
	"| ✅ ok (noise) | `func:* task-clock>+10%` | `fresh` (`util.py:30`) | 0.00 "
	"msec | 20.00 msec ±55.5% | added | -5.63 msec … +45.63 msec | 0.0813 |\n"
	"| ✅ ok | `func:* task-clock>+10%` | 2 other functions within the limit "
	"|  |  |  |  |  |\n"
	"| ✅ ok | `func:helper task-clock>+5%` | `helper` (`util.py:3`) | 50.00 "
	"msec ±35.1% | 50.00 msec ±35.1% | +0.00% | -53.2% … +53.2% | 1.0000 |\n"
	"| ✅ ok | `page-faults>+0%` | total | 1,000 ±0.0% | 1,000 ±0.0% | +0.00% "
	"| +0.0% … +0.0% | 1.0000 |\n"
	"\n"
	"1 function with fewer than 10 samples on both sides not checked by wildcard rules.\n"
	"\n"
	"### Totals\n"
	"\n"
	"|  | event | base | new | change |  | 99% CI | p |\n"
	"|---|---|--:|--:|--:|--:|---|--:|\n"
	"| worse | `task-clock` | 200.00 msec ±6.2% | 315.00 msec ±3.9% | +115.00 "
	"msec | +57.50% | +48.1% … +66.9% | \\<0.0001 |\n"
	"| ❌ FAIL | `instructions` | 1,000,000,000 ±2.5% | 1,300,000,000 ±1.9% "
	"| +300,000,000 | +30.00% | +26.2% … +33.8% | \\<0.0001 |\n"
	"| same | `page-faults` | 1,000 ±0.0% | 1,000 ±0.0% | +0.00 | +0.00% | "
	"+0.0% … +0.0% | 1.0000 |\n"
	"| ❌ FAIL | `elapsed` | 300.00 msec ±8.3% | 400.00 msec ±6.2% | +100.00 "
	"msec | +33.33% | +20.8% … +45.9% | 0.0003 |\n"
	"\n"
	"### Functions by `task-clock` self\n"
	"\n"
	"|  | function | location | base | new | change |  | 99% CI | p |\n"
	"|---|---|---|--:|--:|--:|--:|---|--:|\n"
	"| ❌ FAIL | `work` | `main.py:14 (was 10)` | 100.00 msec ±24.8% | 200.00 "
	"msec ±17.6% | +100.00 msec | +100.00% | +50.3% … +149.7% | 0.0009 |\n"
	"| same | `helper` | `util.py:3` | 50.00 msec ±35.1% | 50.00 msec ±35.1% "
	"| +0.00 msec | +0.00% | -53.2% … +53.2% | 1.0000 |\n"
	"| same | `<not sampled>` |  | 40.00 msec ±39.3% | 45.00 msec ±37.0% | "
	"+5.00 msec | +12.50% | -48.9% … +73.9% | 0.4009 |\n"
	"| same | `fresh` | `util.py:30` | - | 20.00 msec ±55.5% | +20.00 msec "
	"| added | -5.63 msec … +45.63 msec | 0.0163 |\n"
	"| same | `old` | `util.py:20` | 10.00 msec ±78.6% | - | -10.00 msec | "
	"removed | -281.2% … +81.2% | 0.0318 |\n"
	"\n"
	"<sub>pyperf-stat diff; values are means per run, ± their 95% confidence "
	"interval.</sub>\n";

static const char golden_junit[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<testsuites name=\"pyperf-stat diff\" tests=\"8\" failures=\"3\" errors=\"0\">\n"
	"  <testsuite name=\"pyperf-stat diff: python3 app/main.py\" tests=\"8\" "
	"failures=\"3\" errors=\"0\" skipped=\"0\">\n"
	"    <properties>\n"
	"      <property name=\"base\" value=\"base.ppstat\"/>\n"
	"      <property name=\"new\" value=\"new.ppstat\"/>\n"
	"      <property name=\"alpha\" value=\"0.01\"/>\n"
	"      <property name=\"correction\" value=\"holm\"/>\n"
	"    </properties>\n"
	"    <testcase classname=\"pyperf-stat.functions\" name=\"func:* task-clock&gt;+10% "
	":: fresh (util.py:30)\">\n"
	"      <system-out>task-clock self: base 0.00 msec (3 runs), new 20.00 "
	"msec +-55.5% (3 runs); added [-5.63 msec, +45.63 msec] (limit &gt;+10%), "
	"Holm p 0.0813</system-out>\n"
	"    </testcase>\n"
	"    <testcase classname=\"pyperf-stat.functions\" name=\"func:* task-clock&gt;+10% "
	":: helper (util.py:3)\">\n"
	"      <system-out>task-clock self: base 50.00 msec +-35.1% (3 runs), new "
	"50.00 msec +-35.1% (3 runs); +0.00% [-53.2%, +53.2%] (limit &gt;+10%), "
	"Holm p 1.0000</system-out>\n"
	"    </testcase>\n"
	"    <testcase classname=\"pyperf-stat.functions\" name=\"func:* task-clock&gt;+10% "
	":: work (main.py:14)\">\n"
	"      <failure type=\"threshold\" message=\"work (main.py:14): +100.00% "
	"[+50.3%, +149.7%] (limit &gt;+10%), Holm p 0.0056\">task-clock self: base "
	"100.00 msec +-24.8% (3 runs), new 200.00 msec +-17.6% (3 runs); +100.00% "
	"[+50.3%, +149.7%] (limit &gt;+10%), Holm p 0.0056</failure>\n"
	"    </testcase>\n"
	"    <testcase classname=\"pyperf-stat.functions\" name=\"func:* task-clock&gt;+10% "
	":: old (util.py:20)\">\n"
	"      <system-out>task-clock self: base 10.00 msec +-78.6% (3 runs), new "
	"0.00 msec (3 runs); removed [-281.2%, +81.2%] (limit &gt;+10%), Holm p "
	"0.1270</system-out>\n"
	"    </testcase>\n"
	"    <testcase classname=\"pyperf-stat.functions\" name=\"func:helper task-clock&gt;+5% "
	":: helper (util.py:3)\">\n"
	"      <system-out>task-clock self: base 50.00 msec +-35.1% (3 runs), new "
	"50.00 msec +-35.1% (3 runs); +0.00% [-53.2%, +53.2%] (limit &gt;+5%), "
	"Holm p 1.0000</system-out>\n"
	"    </testcase>\n"
	"    <testcase classname=\"pyperf-stat.totals\" name=\"instructions&gt;+2%\">\n"
	"      <failure type=\"threshold\" message=\"instructions total: +30.00% "
	"[+26.2%, +33.8%] (limit &gt;+2%), Holm p &lt;0.0001\">instructions total: "
	"base 1,000,000,000 +-2.5% (3 runs), new 1,300,000,000 +-1.9% (3 runs); "
	"+30.00% [+26.2%, +33.8%] (limit &gt;+2%), Holm p &lt;0.0001</failure>\n"
	"    </testcase>\n"
	"    <testcase classname=\"pyperf-stat.totals\" name=\"page-faults&gt;+0%\">\n"
	"      <system-out>page-faults total: base 1,000 +-0.0% (3 runs), new 1,000 "
	"+-0.0% (3 runs); +0.00% [+0.0%, +0.0%] (limit &gt;+0%), Holm p 1.0000</system-out>\n"
	"    </testcase>\n"
	"    <testcase classname=\"pyperf-stat.totals\" name=\"elapsed&gt;+50ms\">\n"
	"      <failure type=\"threshold\" message=\"elapsed total: +100.00 msec "
	"[+62.41 msec, +137.59 msec] (limit &gt;+50.00 msec), Holm p 0.0018\">elapsed "
	"total: base 300.00 msec +-8.3% (3 runs), new 400.00 msec +-6.2% (3 runs); "
	"+100.00 msec [+62.41 msec, +137.59 msec] (limit &gt;+50.00 msec), Holm "
	"p 0.0018</failure>\n"
	"    </testcase>\n"
	"  </testsuite>\n"
	"</testsuites>\n";

Test(diff, golden_text)
{
	const char *extra[] = { NULL };

	expect_output(extra, golden_text, 1);
}

Test(diff, golden_json)
{
	const char *extra[] = { "--json", NULL };

	expect_output(extra, golden_json, 1);
}

Test(diff, golden_markdown)
{
	const char *extra[] = { "--markdown", NULL };

	expect_output(extra, golden_markdown, 1);
}

Test(diff, golden_junit)
{
	const char *extra[] = { "--junit", "junit.xml", NULL };

	expect_output(extra, golden_junit, 1);
}
