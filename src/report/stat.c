/* report/stat.c: the totals, byte for byte as perf stat 6.1 prints them,
 * and the driver that runs one ops table over a pp_report_data.
 *
 * The rules come from Linux 6.1 tools/perf/util/stat-display.c (layout:
 * printout, abs_printout, print_metric_{std,csv,json}, print_footer) and
 * util/stat-shadow.c (which metric goes with which event), and were
 * checked against /usr/bin/perf 6.1 fed fixed counter values by an
 * LD_PRELOAD shim (tests/unit/golden/perf/): the goldens named perf-*
 * are that perf's own output.
 *
 * One deliberate difference: with -r N, perf 6.1 prints the last run's
 * counts (its average went missing in 6.1; 6.2 restored it) while we print
 * the mean over runs that pp_stat_row carries. */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"

/* stat-display.c: the metric column's width in text mode. */
#define METRIC_LEN 35

/* linux/perf_event.h values, spelled out so that this file needs only
 * pp_stat_row's type and config. */
enum {
	TYPE_HARDWARE = 0,
	TYPE_SOFTWARE = 1,
	TYPE_HW_CACHE = 3,
	HW_CPU_CYCLES = 0,
	HW_INSTRUCTIONS = 1,
	HW_CACHE_REFERENCES = 2,
	HW_CACHE_MISSES = 3,
	HW_BRANCH_INSTRUCTIONS = 4,
	HW_BRANCH_MISSES = 5,
	HW_STALLED_FRONTEND = 7,
	HW_STALLED_BACKEND = 8,
	SW_CPU_CLOCK = 0,
	SW_TASK_CLOCK = 1,
	CACHE_L1D = 0, CACHE_L1I = 1, CACHE_LL = 2, CACHE_DTLB = 3, CACHE_ITLB = 4,
	CACHE_READ_MISS = (0 << 8) | (1 << 16),
};

/* ---------------------------------------------------------------- helpers */

void pp_fmt_num(char *buf, size_t len, double v, int prec, int group)
{
	char tmp[512];
	const char *digits, *end;
	size_t n, o = 0, i;

	snprintf(tmp, sizeof(tmp), "%.*f", prec, v);
	if (!group || !isfinite(v)) {
		snprintf(buf, len, "%s", tmp);
		return;
	}
	digits = tmp + (tmp[0] == '-');
	end = digits + strspn(digits, "0123456789");
	n = (size_t)(end - digits);
	if (digits != tmp && o + 1 < len)
		buf[o++] = '-';
	for (i = 0; i < n && o + 1 < len; i++) {
		buf[o++] = digits[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n && o + 1 < len)
			buf[o++] = ',';
	}
	snprintf(buf + o, len - o, "%s", end);
}

int pp_row_is_clock(const struct pp_stat_row *row)
{
	return row->type == TYPE_SOFTWARE &&
	       (row->config == SW_TASK_CLOCK || row->config == SW_CPU_CLOCK);
}

int pp_event_name_is_clock(const char *name)
{
	size_t n;

	if (!strncmp(name, "perf::", 6))
		name += 6;
	n = strcspn(name, ":/");
	return (n == 10 && !strncmp(name, "task-clock", 10)) ||
	       (n == 9 && !strncmp(name, "cpu-clock", 9));
}

/* perf's evsel_context(): shadow stats pair events counted with the same
 * exclude_* bits.  We see only the name, so read its modifiers
 * ("cycles:u", "cpu/cycles/k") the way parse-events.c turns them into
 * exclude_* bits. */
enum { CTX_KERNEL = 1, CTX_USER = 2, CTX_HV = 4, CTX_HOST = 8, CTX_IDLE = 16 };

static int row_ctx(const char *name)
{
	const char *m = strrchr(name, ':'), *slash = strrchr(name, '/');
	int u, k, h, ctx = 0;

	if (slash && (!m || slash > m))
		m = slash;
	if (!m || !m[1] || strspn(m + 1, "ukhIGHpPSDWebR") != strlen(m + 1))
		return 0;
	m++;
	u = !!strchr(m, 'u');
	k = !!strchr(m, 'k');
	h = !!strchr(m, 'h');
	if (u || k || h)
		ctx |= (u ? 0 : CTX_USER) | (k ? 0 : CTX_KERNEL) | (h ? 0 : CTX_HV);
	if (strchr(m, 'G'))
		ctx |= CTX_HOST;
	if (strchr(m, 'I'))
		ctx |= CTX_IDLE;
	return ctx;
}

static int is_hw(const struct pp_stat_row *row, uint64_t config)
{
	return row->type == TYPE_HARDWARE && row->config == config;
}

static int is_cache(const struct pp_stat_row *row, uint64_t config)
{
	return row->type == TYPE_HW_CACHE && row->config == config;
}

static int counted(const struct pp_stat_row *row)
{
	return row->status == PP_COUNT_OK;
}

static double mean_runs(const struct pp_report_data *d)
{
	return d->runs > 1 ? d->runs : 1;
}

/* ------------------------------------------------------ the shadow stats */

/* stat-shadow.c keeps, per kind and context, the average of every counter
 * that was read (not-counted ones add 0, unsupported ones nothing). */
struct shadow {
	double sum;
	int n;
};

typedef int (*kind_fn)(const struct pp_stat_row *row);

static int k_cycles(const struct pp_stat_row *r) { return is_hw(r, HW_CPU_CYCLES); }
static int k_front(const struct pp_stat_row *r) { return is_hw(r, HW_STALLED_FRONTEND); }
static int k_back(const struct pp_stat_row *r) { return is_hw(r, HW_STALLED_BACKEND); }
static int k_branches(const struct pp_stat_row *r) { return is_hw(r, HW_BRANCH_INSTRUCTIONS); }
static int k_refs(const struct pp_stat_row *r) { return is_hw(r, HW_CACHE_REFERENCES); }
static int k_l1d(const struct pp_stat_row *r) { return is_cache(r, CACHE_L1D); }
static int k_l1i(const struct pp_stat_row *r) { return is_cache(r, CACHE_L1I); }
static int k_ll(const struct pp_stat_row *r) { return is_cache(r, CACHE_LL); }
static int k_dtlb(const struct pp_stat_row *r) { return is_cache(r, CACHE_DTLB); }
static int k_itlb(const struct pp_stat_row *r) { return is_cache(r, CACHE_ITLB); }

/* CTX < 0: any context (perf keys STAT_NSECS without it). */
static struct shadow shadow_of(const struct pp_report_data *d, kind_fn kind, int ctx)
{
	struct shadow s = { 0, 0 };
	size_t i;

	for (i = 0; i < d->nrows; i++) {
		const struct pp_stat_row *row = &d->rows[i];

		if (row->status == PP_COUNT_NOT_SUPPORTED || !kind(row))
			continue;
		if (ctx >= 0 && row_ctx(row->name) != ctx)
			continue;
		s.sum += counted(row) ? row->value : 0;
		s.n++;
	}
	return s;
}

static double shadow_avg(struct shadow s)
{
	return s.n ? s.sum / s.n : 0;
}

/* One entry of the metric column; stat-shadow.c's print_metric() args. */
struct metric {
	const char *color;  /* a ratio colour, or NULL */
	const char *fmt;    /* NULL: the metric has no value to show */
	const char *unit;   /* NULL: the event has no metric at all */
	double val;
	char unit_buf[16];
};

static void set(struct metric *m, const char *color, const char *fmt,
		const char *unit, double val)
{
	m->color = color;
	m->fmt = fmt;
	m->unit = unit;
	m->val = val;
}

/* stat-shadow.c get_ratio_color(). */
static const char *ratio_color(const double t[3], double ratio)
{
	if (ratio > t[0])
		return PP_COLOR_RED;
	if (ratio > t[1])
		return PP_COLOR_MAGENTA;
	if (ratio > t[2])
		return PP_COLOR_YELLOW;
	return NULL;
}

static const double grc_frontend[3] = { 50.0, 30.0, 10.0 };
static const double grc_backend[3] = { 75.0, 50.0, 20.0 };
static const double grc_cache[3] = { 20.0, 10.0, 5.0 };

/* "% of all X" for a miss event against its access kind. */
static void miss_metric(const struct pp_report_data *d, struct metric *m,
			kind_fn kind, int ctx, double avg, const char *unit)
{
	struct shadow s = shadow_of(d, kind, ctx);
	double total = shadow_avg(s), ratio = total ? avg / total * 100.0 : 0;

	if (s.n)
		set(m, ratio_color(grc_cache, ratio), "%7.2f%%", unit, ratio);
	else
		set(m, NULL, NULL, unit, 0);
}

/* Fills M[0] (and M[1] for the second line perf prints under
 * instructions when stalled cycles are counted); returns how many. */
static int row_metrics(const struct pp_report_data *d,
		       const struct pp_stat_row *row, struct metric m[2])
{
	int ctx = row_ctx(row->name);
	double avg = row->value, total, ratio;
	struct shadow nsecs = shadow_of(d, pp_row_is_clock, -1);

	memset(m, 0, 2 * sizeof(*m));
	if (is_hw(row, HW_INSTRUCTIONS)) {
		total = shadow_avg(shadow_of(d, k_cycles, ctx));
		if (total)
			set(&m[0], NULL, "%7.2f ", "insn per cycle", avg / total);
		else
			set(&m[0], NULL, NULL, "insn per cycle", 0);
		total = fmax(shadow_avg(shadow_of(d, k_front, ctx)),
			     shadow_avg(shadow_of(d, k_back, ctx)));
		if (total && avg) {
			set(&m[1], NULL, "%7.2f ", "stalled cycles per insn", total / avg);
			return 2;
		}
	} else if (is_hw(row, HW_BRANCH_MISSES)) {
		miss_metric(d, &m[0], k_branches, ctx, avg, "of all branches");
	} else if (is_cache(row, CACHE_L1D | CACHE_READ_MISS)) {
		miss_metric(d, &m[0], k_l1d, ctx, avg, "of all L1-dcache accesses");
	} else if (is_cache(row, CACHE_L1I | CACHE_READ_MISS)) {
		miss_metric(d, &m[0], k_l1i, ctx, avg, "of all L1-icache accesses");
	} else if (is_cache(row, CACHE_DTLB | CACHE_READ_MISS)) {
		miss_metric(d, &m[0], k_dtlb, ctx, avg, "of all dTLB cache accesses");
	} else if (is_cache(row, CACHE_ITLB | CACHE_READ_MISS)) {
		miss_metric(d, &m[0], k_itlb, ctx, avg, "of all iTLB cache accesses");
	} else if (is_cache(row, CACHE_LL | CACHE_READ_MISS)) {
		miss_metric(d, &m[0], k_ll, ctx, avg, "of all LL-cache accesses");
	} else if (is_hw(row, HW_CACHE_MISSES)) {
		struct shadow s = shadow_of(d, k_refs, ctx);

		total = shadow_avg(s);
		ratio = total ? avg * 100 / total : 0;
		if (s.n)
			set(&m[0], NULL, "%8.3f %%", "of all cache refs", ratio);
		else
			set(&m[0], NULL, NULL, "of all cache refs", 0);
	} else if (is_hw(row, HW_STALLED_FRONTEND)) {
		total = shadow_avg(shadow_of(d, k_cycles, ctx));
		ratio = total ? avg / total * 100.0 : 0;
		if (ratio)
			set(&m[0], ratio_color(grc_frontend, ratio), "%7.2f%%",
			    "frontend cycles idle", ratio);
		else
			set(&m[0], NULL, NULL, "frontend cycles idle", 0);
	} else if (is_hw(row, HW_STALLED_BACKEND)) {
		total = shadow_avg(shadow_of(d, k_cycles, ctx));
		ratio = total ? avg / total * 100.0 : 0;
		set(&m[0], ratio_color(grc_backend, ratio), "%7.2f%%",
		    "backend cycles idle", ratio);
	} else if (is_hw(row, HW_CPU_CYCLES)) {
		total = shadow_avg(nsecs);
		if (total)
			set(&m[0], NULL, "%8.3f", "GHz", avg / total);
		else
			set(&m[0], NULL, NULL, "Ghz", 0); /* sic, perf 6.1 */
	} else if (pp_row_is_clock(row)) {
		/* perf divides the msec value by wall ns scaled the same way.
		 * Wall time is a whole number of ns for one run. */
		double wall = d->elapsed_s * 1e9;

		if (d->runs <= 1)
			wall = round(wall);
		if (wall)
			set(&m[0], NULL, "%8.3f", "CPUs utilized",
			    avg * 1e-6 / (wall * 1e-6));
		else
			set(&m[0], NULL, NULL, "CPUs utilized", 0);
	} else if (nsecs.n) {
		/* util/units.c convert_unit_double() */
		char unit = ' ';

		total = shadow_avg(nsecs);
		ratio = 0;
		if (total) {
			ratio = 1000000000.0 * avg / total;
			if (ratio > 1000.0) { ratio /= 1000.0; unit = 'K'; }
			if (ratio > 1000.0) { ratio /= 1000.0; unit = 'M'; }
			if (ratio > 1000.0) { ratio /= 1000.0; unit = 'G'; }
		}
		if (unit != ' ')
			snprintf(m[0].unit_buf, sizeof(m[0].unit_buf), "%c/sec", unit);
		else
			snprintf(m[0].unit_buf, sizeof(m[0].unit_buf), "/sec");
		set(&m[0], NULL, "%8.3f", m[0].unit_buf, ratio);
	} else {
		set(&m[0], NULL, NULL, NULL, 0);
	}
	return 1;
}

/* ---------------------------------------------------- shared row pieces */

/* The counter value as perf prints it: msec for clocks (evsel->scale is
 * 1e-6 there, applied by multiplication as perf does), else the count. */
static double shown_value(const struct pp_stat_row *row)
{
	return pp_row_is_clock(row) ? row->value * 1e-6 : row->value;
}

static const char *row_unit(const struct pp_stat_row *row)
{
	return row->unit ? row->unit : "";
}

static const char *uncounted_label(const struct pp_stat_row *row)
{
	return row->status == PP_COUNT_NOT_SUPPORTED ? "<not supported>" : "<not counted>";
}

/* perf's stddev_stats() is the standard deviation of the mean. */
static double noise_pct(const struct pp_report_data *d, double stddev, double avg)
{
	double sd = stddev / sqrt(mean_runs(d));

	return avg ? 100.0 * sd / avg : 0.0;
}

static double row_noise(const struct pp_report_data *d, const struct pp_stat_row *row)
{
	return counted(row) ? noise_pct(d, row->stddev, row->value) : 0.0;
}

static void row_times(const struct pp_stat_row *row, uint64_t *run, uint64_t *ena)
{
	*run = row->status == PP_COUNT_NOT_SUPPORTED ? 0 : row->running;
	*ena = row->status == PP_COUNT_NOT_SUPPORTED ? 0 : row->enabled;
}

/* CSV and JSON print an integer percentage: perf computes it in u64. */
static double pcnt_running(uint64_t run, uint64_t ena)
{
	return run != ena && ena ? (double)(100 * run / ena) : 100.0;
}

/* -------------------------------------------------------------- text */

static int unit_width(const struct pp_report_data *d)
{
	int w = 4; /* strlen("unit"), builtin-stat.c */
	size_t i;

	for (i = 0; i < d->nrows; i++)
		if ((int)strlen(row_unit(&d->rows[i])) > w)
			w = (int)strlen(row_unit(&d->rows[i]));
	return w;
}

static void text_begin(struct pp_report *r)
{
	const struct pp_report_data *d = r->data;

	fprintf(r->out, "\n Performance counter stats for '%s'", d->command ? d->command : "");
	if (d->runs > 1)
		fprintf(r->out, " (%d runs)", d->runs);
	fprintf(r->out, ":\n\n");
}

/* stat-display.c print_metric_std(); NEWLINE: new_line_std() was called. */
static void text_metric(struct pp_report *r, const struct metric *m, int newline)
{
	FILE *out = r->out;
	const char *color = r->opt->color && m->color ? m->color : NULL;
	int n;

	if (!m->unit || !m->fmt) {
		fprintf(out, "%-*s", METRIC_LEN, "");
		return;
	}
	if (newline)
		fprintf(out, "\n%49s", "");
	n = fprintf(out, " # ");
	/* perf counts the colour escapes into the width, so do we. */
	if (color)
		n += fprintf(out, "%s", color);
	n += fprintf(out, m->fmt, m->val);
	if (color)
		n += fprintf(out, "%s", PP_COLOR_RESET);
	fprintf(out, " %-*s", METRIC_LEN - n - 1, m->unit);
}

static void text_noise(struct pp_report *r, double pct)
{
	if (r->data->runs > 1 && pct)
		fprintf(r->out, "  ( +-%6.2f%% )", pct);
}

static void text_running(struct pp_report *r, uint64_t run, uint64_t ena)
{
	if (run != ena && ena)
		fprintf(r->out, "  (%.2f%%)", 100.0 * run / ena);
}

static void text_counter(struct pp_report *r, const struct pp_stat_row *row)
{
	FILE *out = r->out;
	int uw = unit_width(r->data);
	uint64_t run, ena;
	struct metric m[2];
	char num[128];
	int nm, i;

	row_times(row, &run, &ena);
	if (!counted(row)) {
		fprintf(out, "%18s %-*s %-25s", uncounted_label(row), uw,
			row_unit(row), row->name);
		fprintf(out, "%-*s", METRIC_LEN, "");
	} else {
		pp_fmt_num(num, sizeof(num), shown_value(row),
			   pp_row_is_clock(row) ? 2 : 0, r->opt->big_num);
		fprintf(out, "%18s %-*s %-32s", num, uw, row_unit(row), row->name);
		nm = row_metrics(r->data, row, m);
		for (i = 0; i < nm; i++)
			text_metric(r, &m[i], i > 0);
	}
	text_noise(r, row_noise(r->data, row));
	text_running(r, run, ena);
	fputc('\n', out);
}

/* stat-display.c get_precision(): two digits more than the stddev's
 * first significant one.  perf's lround(inf) for a zero stddev comes out
 * as 0 on x86-64. */
static int elapsed_precision(double sd)
{
	if (sd > 1)
		return 2;
	if (!(sd > 0))
		return 2;
	return (int)lround(ceil(-log10(sd))) + 2;
}

static void text_footer(struct pp_report *r)
{
	const struct pp_report_data *d = r->data;
	FILE *out = r->out;

	fputc('\n', out);
	if (d->runs <= 1) {
		fprintf(out, " %17.9f seconds time elapsed", d->elapsed_s);
		fprintf(out, "\n\n");
		fprintf(out, " %17.9f seconds user\n", d->user_s);
		fprintf(out, " %17.9f seconds sys\n", d->sys_s);
	} else {
		double sd = d->elapsed_stddev_s / sqrt(mean_runs(d));
		int prec = elapsed_precision(sd);

		fprintf(out, " %17.*f +- %.*f seconds time elapsed",
			prec, d->elapsed_s, prec, sd);
		text_noise(r, d->elapsed_s ? 100.0 * sd / d->elapsed_s : 0);
	}
	fprintf(out, "\n\n");
}

static void text_function(struct pp_report *r, const struct pp_func_sum *sum)
{
	pp_func__text_add(r, sum);
}

static void text_end(struct pp_report *r)
{
	text_footer(r);
	if (r->data->profile)
		pp_func__text_end(r);
	if (r->data->attribution_note)
		fprintf(r->out, "pyperf-stat: %s\n\n", r->data->attribution_note);
}

const struct pp_report_ops pp_report_text_ops = {
	.begin = text_begin,
	.counter = text_counter,
	.function = text_function,
	.end = text_end,
};

/* -------------------------------------------------------------- CSV */

static void nop_begin(struct pp_report *r)
{
	(void)r;
}

static void nop_end(struct pp_report *r)
{
	(void)r;
}

/* stat-display.c print_metric_csv(): only the leading digits and dots of
 * the formatted value survive. */
static void csv_metric(struct pp_report *r, const struct metric *m)
{
	const char *sep = r->opt->sep;
	char buf[64], *v, *e;

	if (!m->unit || !m->fmt) {
		fprintf(r->out, "%s%s", sep, sep);
		return;
	}
	snprintf(buf, sizeof(buf), m->fmt, m->val);
	v = buf + strspn(buf, " ");
	e = v + strspn(v, "0123456789.");
	*e = 0;
	fprintf(r->out, "%s%s%s%s", sep, v, sep, m->unit + strspn(m->unit, " "));
}

static void csv_counter(struct pp_report *r, const struct pp_stat_row *row)
{
	const char *sep = r->opt->sep;
	FILE *out = r->out;
	uint64_t run, ena;
	struct metric m[2];
	int nm, i;

	row_times(row, &run, &ena);
	if (counted(row))
		fprintf(out, pp_row_is_clock(row) ? "%.2f" : "%.0f", shown_value(row));
	else
		fputs(uncounted_label(row), out);
	fprintf(out, "%s%s%s%s", sep, row_unit(row), sep, row->name);
	if (r->data->runs > 1)
		fprintf(out, "%s%.2f%%", sep, row_noise(r->data, row));
	fprintf(out, "%s%" PRIu64 "%s%.2f", sep, run, sep, pcnt_running(run, ena));
	if (!counted(row)) {
		fprintf(out, "%s%s", sep, sep);
	} else {
		nm = row_metrics(r->data, row, m);
		for (i = 0; i < nm; i++) {
			if (i > 0) /* new_line_csv(): three empty fields */
				fprintf(out, "\n%s%s%s", sep, sep, sep);
			csv_metric(r, &m[i]);
		}
	}
	fputc('\n', out);
}

static void csv_function(struct pp_report *r, const struct pp_func_sum *sum)
{
	pp_func__csv_row(r, sum);
}

const struct pp_report_ops pp_report_csv_ops = {
	.begin = nop_begin,
	.counter = csv_counter,
	.function = csv_function,
	.end = nop_end,
};

/* -------------------------------------------------------------- JSON */

static void json_metric(struct pp_report *r, const struct metric *m)
{
	fprintf(r->out, "\"metric-value\" : %f, \"metric-unit\" : \"", m->val);
	if (m->unit)
		pp_json_puts(r->out, m->unit);
	else
		fputs("(null)", r->out); /* perf 6.1 hands printf a NULL */
	fputs("\"}", r->out);
}

static void json_counter(struct pp_report *r, const struct pp_stat_row *row)
{
	FILE *out = r->out;
	uint64_t run, ena;
	struct metric m[2];
	int nm, i;

	row_times(row, &run, &ena);
	if (counted(row))
		fprintf(out, "{\"counter-value\" : \"%f\", ", shown_value(row));
	else
		fprintf(out, "{\"counter-value\" : \"%s\", ", uncounted_label(row));
	fputs("\"unit\" : \"", out);
	pp_json_puts(out, row_unit(row));
	fputs("\", \"event\" : \"", out);
	pp_json_puts(out, row->name);
	fputs("\", ", out);
	if (r->data->runs > 1)
		fprintf(out, "\"variance\" : %.2f, ", row_noise(r->data, row));
	fprintf(out, "\"event-runtime\" : %" PRIu64 ", \"pcnt-running\" : %.2f, ",
		run, pcnt_running(run, ena));
	if (!counted(row)) {
		struct metric none = { .unit = "" };

		json_metric(r, &none);
	} else {
		nm = row_metrics(r->data, row, m);
		for (i = 0; i < nm; i++) {
			if (i > 0) /* new_line_json() */
				fputs("\n{", out);
			json_metric(r, &m[i]);
		}
	}
	fputc('\n', out);
}

static void json_function(struct pp_report *r, const struct pp_func_sum *sum)
{
	pp_func__json_row(r, sum);
}

const struct pp_report_ops pp_report_json_ops = {
	.begin = nop_begin,
	.counter = json_counter,
	.function = json_function,
	.end = nop_end,
};

/* ------------------------------------------------------------ the driver */

static const struct pp_report_ops *ops_for(const struct pp_report_options *opt)
{
	if (opt->json)
		return &pp_report_json_ops;
	if (opt->sep)
		return &pp_report_csv_ops;
	return &pp_report_text_ops;
}

static int feed_scope(struct pp_report *r, enum pp_report_scope scope,
		      const struct pp_func_sum *sums, size_t n)
{
	size_t *idx, i, shown = n;

	if (!n)
		return 0;
	idx = malloc(n * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		idx[i] = i;
	pp_func__sort(sums, idx, n, r->opt->sort_event);
	if (r->opt->top > 0 && (size_t)r->opt->top < n)
		shown = (size_t)r->opt->top;
	r->scope = scope;
	r->scope_rows = n;
	for (i = 0; i < shown; i++)
		r->ops->function(r, &sums[idx[i]]);
	free(idx);
	return 0;
}

int pp_report__write_sums(FILE *out, const struct pp_report_data *data,
			  const struct pp_report_options *opt,
			  const struct pp_func_sum *funcs, size_t nfuncs,
			  const struct pp_func_sum *lines, size_t nlines)
{
	struct pp_report_state st = { 0 };
	struct pp_report r = {
		.out = out, .data = data, .opt = opt, .ops = ops_for(opt), .priv = &st,
	};
	locale_t c_locale, old;
	size_t i;
	int err;

	/* printf's decimal point follows LC_NUMERIC: pin it to "C" for
	 * this thread while writing, whatever the program's setlocale(). */
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!c_locale)
		return -errno;
	old = uselocale(c_locale);

	r.ops->begin(&r);
	for (i = 0; i < data->nrows; i++)
		r.ops->counter(&r, &data->rows[i]);
	if (data->profile) {
		err = feed_scope(&r, PP_REPORT_FUNCTIONS, funcs, nfuncs);
		if (!err && opt->lines)
			err = feed_scope(&r, PP_REPORT_LINES, lines, nlines);
		if (err && !st.err)
			st.err = err;
	}
	r.ops->end(&r);

	pp_func__free(&st);
	if (fflush(out) || ferror(out))
		if (!st.err)
			st.err = -EIO;
	uselocale(old);
	freelocale(c_locale);
	return st.err;
}

int pp_report__write(FILE *out, const struct pp_report_data *data,
		     const struct pp_report_options *opt)
{
	struct pp_func_sum *funcs = NULL, *lines = NULL;
	ssize_t nfuncs = 0, nlines = 0;
	unsigned flags = opt->sum_flags & ~(unsigned)PP_SUM_LINES;
	int err;

	if (data->profile) {
		nfuncs = pp_profile__sum(data->profile, flags, opt->sort_event, &funcs);
		if (nfuncs < 0)
			return (int)nfuncs;
		if (opt->lines) {
			nlines = pp_profile__sum(data->profile, flags | PP_SUM_LINES,
						 opt->sort_event, &lines);
			if (nlines < 0) {
				free(funcs);
				return (int)nlines;
			}
		}
	}
	err = pp_report__write_sums(out, data, opt, funcs, (size_t)nfuncs,
				    lines, (size_t)nlines);
	free(funcs);
	free(lines);
	return err;
}
