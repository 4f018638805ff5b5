/* report: everything the user reads, in perf stat's formats.
 *
 * One ops table per output format (text, CSV, JSON) so that they stay in
 * step (STYLE.md).  The report never calls back into the collector: it
 * reads a finished pp_report_data and writes to a FILE. */
#ifndef PYPERF_REPORT_H
#define PYPERF_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "pyperf/counter.h"
#include "pyperf/profile.h"

/* Per-run figures of -r N, for CI baselines and diff: the mean and
 * spread of every total and every function come from these. */
struct pp_run_func {
	uint32_t func;                           /* id in the profile */
	uint64_t self[PP_PROFILE_MAX_EVENTS];    /* self samples in this run */
	uint64_t total[PP_PROFILE_MAX_EVENTS];   /* inclusive samples in this run */
};

struct pp_run {
	double elapsed_s;
	double *values;          /* one per stat row, scaled; NaN when not counted */
	uint64_t samples[PP_PROFILE_MAX_EVENTS]; /* all samples of each event */
	struct pp_run_func *funcs;
	size_t nfuncs;
};

/* One counted event, over all runs of -r N. */
struct pp_stat_row {
	const char *name;        /* as typed: "task-clock", "cycles:u" */
	const char *unit;        /* "msec" for clocks, else "" */
	uint32_t type;           /* perf_event_attr.type, for the # metrics */
	uint64_t config;         /* perf_event_attr.config */
	enum pp_count_status status;
	double value;            /* scaled, mean over runs (ns for clocks) */
	double stddev;           /* standard deviation of value over runs: the
				  * sample one (n - 1), as perf's stats.c keeps
				  * it; the report divides by sqrt(runs) */
	uint64_t enabled;        /* time_enabled, mean over runs (ns) */
	uint64_t running;        /* time_running, mean over runs (ns) */
};

struct pp_report_data {
	const char *command;     /* "python3 script.py a b", as perf quotes it */
	int runs;                /* -r N; 1 by default */

	struct pp_stat_row *rows;
	size_t nrows;

	double elapsed_s;        /* wall time, mean over runs */
	double elapsed_stddev_s; /* over runs (runs > 1), sample stddev (n - 1) */
	double user_s, sys_s;    /* rusage of the target (printed when runs == 1) */

	/* Each run's figures (runs entries), or NULL. */
	const struct pp_run *run;

	/* Attribution; NULL when nothing was sampled. */
	const struct pp_profile *profile;
	const char *interpreter;  /* "CPython 3.12.1 (/usr/bin/python3.12)", or NULL */
	const char *attribution_note; /* one line why attribution is missing, or NULL */

	/* What one sample costs the target (agent stack walk, kernel
	 * overflow handling), in us; 0 when unknown.  The text footer
	 * turns it into an estimated profiler overhead. */
	double cost_per_sample_us;
};

struct pp_report_options {
	const char *sep;         /* -x SEP; NULL for text */
	int json;                /* -j */
	int top;                 /* rows per table; 0 = all */
	int lines;               /* --lines */
	int sort_event;          /* index into profile->ev */
	unsigned sum_flags;      /* PP_SUM_PER_THREAD | PP_SUM_PER_PROCESS */
	int color;               /* text only: colour escapes */
	const char *cwd;         /* paths print relative to it when shorter */
	int big_num;             /* text: group digits by three with ',', as
				  * perf does (its default -B) in an en_US
				  * locale; 0 prints what perf prints in the
				  * C locale.  Never taken from LC_NUMERIC. */
};

/* What ->function is being fed: per-function rows, then (--lines)
 * per-line rows.  A per-line row may carry line 0 (line unknown), so the
 * scope, not sum->line, tells them apart. */
enum pp_report_scope {
	PP_REPORT_FUNCTIONS,
	PP_REPORT_LINES,
	PP_REPORT_NSCOPES,
};

struct pp_report;

struct pp_report_ops {
	void (*begin)(struct pp_report *r);
	void (*counter)(struct pp_report *r, const struct pp_stat_row *row);
	void (*function)(struct pp_report *r, const struct pp_func_sum *sum);
	void (*end)(struct pp_report *r);
};

struct pp_report {
	FILE *out;
	const struct pp_report_data *data;
	const struct pp_report_options *opt;
	const struct pp_report_ops *ops;
	void *priv;              /* the format's own state */
	enum pp_report_scope scope; /* of the sums ->function gets */
	size_t scope_rows;       /* rows of this scope before the top-N cut */
};

/* Run through pp_report__write*(), which also pins numbers to the C
 * locale and sorts and cuts the per-function rows. */
extern const struct pp_report_ops pp_report_text_ops;
extern const struct pp_report_ops pp_report_csv_ops;
extern const struct pp_report_ops pp_report_json_ops;

/* Writes the whole report (totals, then per-function tables) to OUT in
 * the format OPT selects.  0 or -errno. */
int pp_report__write(FILE *out, const struct pp_report_data *data,
		     const struct pp_report_options *opt);

/* The same, with the per-function sums (pp_profile__sum without
 * PP_SUM_LINES) and, for opt->lines, the per-line sums (with it) given
 * rather than computed from data->profile, which still supplies the
 * events, functions and footer counts.  Rows are sorted here by self
 * samples of opt->sort_event and cut to opt->top.  Numbers are written in
 * the C locale whatever the caller's setlocale().  0 or -errno (-EIO
 * when OUT reported an error). */
int pp_report__write_sums(FILE *out, const struct pp_report_data *data,
			  const struct pp_report_options *opt,
			  const struct pp_func_sum *funcs, size_t nfuncs,
			  const struct pp_func_sum *lines, size_t nlines);

#endif
