/* diff: two saved runs compared, for CI performance gates.
 *
 * `pyperf-stat diff BASE NEW` loads two profiles (profile_file.h), pairs
 * their totals by event and their functions by (qualified name, file),
 * estimates each side's mean and run-to-run noise from the per-run
 * figures of -r N (pp_report_data.run), and decides for every --fail-if
 * threshold whether the change crossed it by more than the noise.  The
 * arithmetic lives here; options, output formats and the exit status in
 * cmd_diff.c.  docs/ci.md describes the method for users.
 *
 * Values are per run: ns for clocks, events otherwise. */
#ifndef PYPERF_DIFF_H
#define PYPERF_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pyperf/profile.h"
#include "pyperf/report.h"

/* ------------------------------------------------------------ statistics */

/* Two-sided p-value of Student's t with DF degrees of freedom, P(|T| >=
 * |t|).  DF may be fractional (Welch); INFINITY gives the normal
 * distribution.  NaN when DF <= 0. */
double pp_stats__t_p2(double t, double df);

/* The two-sided critical value: q >= 0 with P(|T| >= q) = P (0 < P < 1).
 * 1.96 for P = 0.05 and DF = INFINITY. */
double pp_stats__t_crit(double p, double df);

/* Mean and sample standard deviation (n - 1; 0 when N < 2) of X[0..N). */
void pp_stats__mean_sd(const double *x, size_t n, double *mean, double *sd);

struct pp_welch {
	double t;    /* (m2 - m1) / se; +-INFINITY when se is 0 and the means differ */
	double df;   /* Welch-Satterthwaite degrees of freedom */
	double se;   /* standard error of m2 - m1 */
	double p;    /* two-sided */
};

/* Welch's unequal-variances t-test from summary statistics: means,
 * sample standard deviations, counts (each >= 2).  0 or -EINVAL. */
int pp_stats__welch(double m1, double sd1, size_t n1, double m2, double sd2,
		    size_t n2, struct pp_welch *out);

/* ------------------------------------------------------------ thresholds */

/* One --fail-if rule (grammar in docs/ci.md):
 *
 *   RULE   := [ "func:" PATTERN " " ] [ "total:" ] EVENT [ ":inclusive" | ":self" ]
 *             OP LIMIT
 *   OP     := ">" | "<"
 *   LIMIT  := [ "+" | "-" ] NUMBER ( "%" | UNIT )
 *   UNIT   := "" | "k" | "M" | "G"           (events)
 *           | "ns" | "us" | "ms" | "s"       (clocks: task-clock, elapsed)
 *
 * Without func: the rule is on the program total of EVENT ("elapsed" is
 * the wall time); with it, on every function PATTERN matches (an fnmatch
 * pattern over the qualified name, optionally prefixed by its module
 * path: "f", "Class.*", "pkg.mod.f"; "*" is every function, but not the
 * rows that are none, such as "<native>", which match their own name
 * only).  Functions are measured by their self samples unless "total:"
 * or ":inclusive". */
struct pp_threshold {
	char *text;       /* the rule as given, for messages */
	char *pattern;    /* function pattern, or NULL for a program total */
	char *event;      /* as typed: "task-clock", "cycles:u", "elapsed" */
	int inclusive;
	int op;           /* '>' or '<' */
	int relative;     /* LIMIT is a fraction of the base mean */
	double limit;     /* +0.02 for +2%; absolute: ns with a time unit, else events */
	int time_unit;    /* an absolute LIMIT carried a time unit */
	int unit_given;   /* an absolute LIMIT carried any unit */
};

/* Parses S into *T (freed with pp_threshold__free, also after a failure).
 * 0, or -EINVAL with a one-line reason in ERR. */
int pp_threshold__parse(const char *s, struct pp_threshold *t, char *err,
			size_t errlen);
void pp_threshold__free(struct pp_threshold *t);

/* 1 when PATTERN matches the function QUALNAME defined in FILE. */
int pp_threshold__match_func(const char *pattern, const char *qualname,
			     const char *file);

/* ------------------------------------------------------- one comparison */

enum pp_noise {
	PP_NOISE_NONE,      /* one counted value: nothing known about noise */
	PP_NOISE_SAMPLING,  /* one run (or no per-run data): Poisson error of the samples */
	PP_NOISE_RUNS,      /* measured over the runs */
};

/* One side's estimate of a quantity. */
struct pp_diff_est {
	double mean;        /* per run */
	double sd;          /* per-run standard deviation the test uses */
	double se;          /* standard error of the mean */
	double ci95;        /* half-width of the 95% confidence interval of the mean */
	size_t n;           /* runs */
	uint64_t samples;   /* samples behind it, over all runs; 0 for counted values */
	enum pp_noise noise;
};

/* From per-run values X[0..N) (N >= 1) estimated from SAMPLES samples in
 * all (0 for counted values).  With N >= 2 the noise is measured, but
 * never taken below the Poisson variance of the samples (mean^2 / samples
 * per run): five runs can underestimate it by chance.  With N = 1 it is
 * the sampling error alone, mean / sqrt(SAMPLES), or unknown. */
void pp_diff__estimate(const double *x, size_t n, uint64_t samples,
		       struct pp_diff_est *e);

/* The same from a mean and a standard deviation over N runs (a total
 * saved without per-run figures): measured when N >= 2, else as above. */
void pp_diff__estimate_summary(double mean, double sd, size_t n, uint64_t samples,
			       struct pp_diff_est *e);

enum pp_test {
	PP_TEST_NONE,   /* no noise known on either side */
	PP_TEST_WELCH,  /* both sides measured over >= 2 runs */
	PP_TEST_Z,      /* a side with one run: normal approximation */
};

struct pp_diff_cmp {
	struct pp_diff_est base, new;
	double delta;             /* new.mean - base.mean */
	double rel;               /* delta / base.mean; +INFINITY from 0, 0 when both are 0 */
	double lo, hi;            /* (1 - alpha) confidence interval of delta */
	double rel_lo, rel_hi;    /* the same over base.mean; NaN when base.mean is 0 */
	double p;                 /* two-sided p-value; NaN with PP_TEST_NONE */
	double df;                /* INFINITY for the z-test */
	enum pp_test test;
	int significant;          /* p < alpha; with no test, delta != 0 */
};

void pp_diff__compare(const struct pp_diff_est *base, const struct pp_diff_est *new,
		      double alpha, struct pp_diff_cmp *out);

/* ---------------------------------------------------------- whole diff */

struct pp_diff_total {
	char name[256];           /* event as typed, or "elapsed" */
	int clock;                /* ns, shown in msec */
	struct pp_diff_cmp cmp;
};

enum pp_diff_status { PP_DIFF_BOTH, PP_DIFF_ADDED, PP_DIFF_REMOVED };

struct pp_diff_func {
	const char *qualname;
	const char *path;         /* file for display: relative to its side's common root */
	const char *base_file, *new_file;  /* as recorded; NULL where absent */
	int base_line, new_line;           /* definition lines (0 where absent) */
	enum pp_diff_status status;
	struct pp_diff_cmp self[PP_PROFILE_MAX_EVENTS];   /* per pp_diff.event */
	struct pp_diff_cmp incl[PP_PROFILE_MAX_EVENTS];
};

/* One threshold applied to one total or one function. */
struct pp_diff_check {
	size_t threshold;         /* index into the options' thresholds */
	ssize_t func;             /* index into funcs, or -1 for a total */
	size_t item;              /* index into totals, or into event for a function */
	const struct pp_diff_cmp *cmp;
	int crossed;              /* the estimate is past the limit */
	double p_adj;             /* Holm-adjusted p (or p), NaN without a test */
	int significant;          /* outside the noise, after the correction */
	int failed;               /* crossed && significant */
};

/* An event compared on one side only. */
struct pp_diff_missing {
	char name[256];
	int sampled;              /* 1: a sampled event, 0: a counted total */
	int in_base;              /* present (and counted) in BASE, not in NEW */
};

struct pp_diff_options {
	double alpha;             /* significance level, 0 < alpha < 0.5 (0.01) */
	int no_correction;        /* test each check at alpha, without Holm */
	uint64_t min_samples;     /* wildcard rules skip functions with fewer
				   * samples on both sides (10) */
	double noise_floor;       /* timings: the least run-to-run variation
				   * (coefficient of variation) assumed on
				   * each side, for machines whose speed
				   * drifts between records (0: none) */
	const struct pp_threshold *thresholds;
	size_t nthresholds;
};

struct pp_diff {
	double alpha;
	int correction;           /* Holm over the checks */
	double noise_floor;       /* as in the options */
	size_t base_runs, new_runs;
	int base_per_run, new_per_run;   /* each run's figures were saved */
	int exact;                /* both sides --exact: counts, not samples */

	size_t nevents;           /* sampled in both */
	char event[PP_PROFILE_MAX_EVENTS][256];
	int event_clock[PP_PROFILE_MAX_EVENTS];
	uint64_t base_period[PP_PROFILE_MAX_EVENTS], new_period[PP_PROFILE_MAX_EVENTS];

	struct pp_diff_total *totals;
	size_t ntotals;
	struct pp_diff_func *funcs;
	size_t nfuncs;
	struct pp_diff_missing *missing;
	size_t nmissing;
	struct pp_diff_check *checks;
	size_t nchecks;
	size_t nfailed;           /* checks that failed */
	size_t nskipped;          /* functions wildcard rules skipped (few samples) */
};

/* Compares BASE with NEW; D's names point into them, so they must outlive
 * it.  0, or a negative errno with a one-line reason
 * in ERR: -ENOENT when a threshold names an event or a function neither
 * side has (or only one), -EINVAL when its unit does not fit the event,
 * -ENOMEM.  Free *D with pp_diff__free, also after a failure. */
int pp_diff__compute(struct pp_diff *d, const struct pp_report_data *base,
		     const struct pp_report_data *new, const struct pp_diff_options *o,
		     char *err, size_t errlen);
void pp_diff__free(struct pp_diff *d);

/* 1 when two command lines run the same thing: the same words, where a
 * word with a '/' on either side compares by its last component (a
 * checkout elsewhere, an interpreter by its full path). */
int pp_diff__same_command(const char *a, const char *b);

/* --------------------------------------------------- the subcommand */

/* `pyperf-stat diff BASE NEW [options]` (cmd_diff.c), ARGV[0] being
 * "diff".  Writes the comparison to stdout (or -o FILE) and returns the
 * exit status: 0 every threshold holds, 1 one was crossed, 2 a usage
 * error or an input that cannot be read or compared. */
int pp_cmd_diff(int argc, char **argv);

#endif
