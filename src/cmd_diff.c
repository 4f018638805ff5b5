/* cmd_diff: `pyperf-stat diff BASE NEW [options]`.
 *
 * Option parsing, loading and checking the two profiles, and the four
 * renderings of a struct pp_diff (text, JSON lines, Markdown, JUnit XML)
 * through one small ops table so that they stay in step (STYLE.md).  The
 * exit status is decided here: 0 every threshold holds, 1 one was
 * crossed, 2 usage errors and inputs that cannot be read or compared.
 * Formats are described in docs/ci.md. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyperf/cli.h"
#include "pyperf/diff.h"
#include "pyperf/log.h"
#include "pyperf/profile_file.h"

enum { EXIT_HOLDS = 0, EXIT_CROSSED = 1, EXIT_ERROR = 2 };

#define DEFAULT_ALPHA 0.01
#define DEFAULT_MIN_SAMPLES 10
#define DEFAULT_TOP 20

/* room for any cell: a function name, a path and a line, or numbers */
#define CELL 1024

static void log_to_stderr(enum pp_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= PP_LOG_WARN)
		pp_cli_say("%s%s", level == PP_LOG_ERROR ? "error: " : "warning: ", msg);
}

static const char usage_text[] =
"Usage: pyperf-stat diff BASE NEW [options]\n"
"\n"
"Compares two saved profiles (pyperf-stat record -o FILE, or --save FILE),\n"
"best recorded with -r 5 or more: per total and per function, the change,\n"
"each side's mean +- 95% confidence interval, and whether the change is\n"
"outside the run-to-run noise (Welch's t-test).  See docs/ci.md.\n"
"\n"
"Thresholds (repeatable; the exit status is 1 when one is crossed by more\n"
"than the noise):\n"
"      --fail-if RULE        'EVENT>LIMIT' on a program total, e.g.\n"
"                            'instructions>+2%', 'elapsed>+50ms';\n"
"                            'func:NAME EVENT>LIMIT' on one function\n"
"                            ('func:pkg.mod.f task-clock>+5%'), 'func:*'\n"
"                            on every function; self samples unless\n"
"                            'total:EVENT' or 'EVENT:inclusive'; '<' for\n"
"                            decreases; LIMIT: +N%, or +N with a unit\n"
"                            (k, M, G; ns, us, ms, s for clocks)\n"
"      --alpha A             significance level (default 0.01)\n"
"      --no-correction       test each check at alpha (default: Holm's\n"
"                            correction over all checks of the run)\n"
"      --min-samples N       'func:*' skips functions with fewer samples\n"
"                            on both sides (default 10)\n"
"      --noise-floor PCT     assume timings vary at least PCT from run to\n"
"                            run (shared machines drift between records\n"
"                            more than within one; default 0%)\n"
"\n"
"Output (stdout unless -o):\n"
"      --json                one JSON object per line\n"
"      --markdown            Markdown tables for a pull-request comment\n"
"      --junit FILE          also write JUnit XML: one testcase per check\n"
"  -o, --output FILE         write the comparison to FILE (atomically)\n"
"      --top N               functions per table (default 20, 0 = all)\n"
"      --allow-different-command\n"
"                            compare profiles of different commands\n"
"  -h, --help                show this help and exit\n"
"\n"
"Exit status: 0 every threshold holds, 1 one was crossed, 2 usage error or\n"
"unreadable, damaged or incomparable input.\n";

/* ------------------------------------------------------------ context */

enum fmt { FMT_TEXT, FMT_JSON, FMT_MARKDOWN, FMT_JUNIT };

struct ctx {
	const char *base_path, *new_path;
	const struct pp_report_data *base, *new;
	const struct pp_threshold *thr;
	size_t nthr;
	const struct pp_diff *d;
	uint64_t min_samples;
	int top;
};

struct out {
	FILE *f;
	const struct ctx *c;
};

struct diff_ops {
	void (*begin)(struct out *o);
	void (*totals)(struct out *o);
	void (*functions)(struct out *o, size_t event);
	void (*checks)(struct out *o);
	void (*end)(struct out *o);
};

/* --------------------------------------------------------- numbers */

/* Rounds V at PREC decimals so that a tiny negative never prints "-0.00". */
static double unsign0(double v, int prec)
{
	return fabs(v) < 0.5 * pow(10, -prec) ? 0 : v;
}

/* A count, digits grouped by three with ',' as perf stat prints them in
 * an en_US locale (never taken from the locale here). */
static void fmt_count(char *buf, size_t n, double v, const char *sign)
{
	char digits[64];
	size_t len, i, o = 0, lead;

	snprintf(digits, sizeof(digits), "%.0f", fabs(unsign0(v, 0)));
	len = strlen(digits);
	lead = len % 3 ? len % 3 : 3;
	if (v < 0 && unsign0(v, 0) != 0)
		sign = "-";
	o = (size_t)snprintf(buf, n, "%s", sign);
	for (i = 0; i < len && o + 2 < n; i++) {
		if (i && i >= lead && (i - lead) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o < n ? o : n - 1] = '\0';
}

static void fmt_value(char *buf, size_t n, double v, int clock)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else if (clock)
		snprintf(buf, n, "%.2f msec", unsign0(v / 1e6, 2));
	else if (fabs(v) >= 100)
		fmt_count(buf, n, v, "");
	else
		snprintf(buf, n, "%.2f", unsign0(v, 2));
}

static void fmt_delta(char *buf, size_t n, double v, int clock)
{
	if (clock)
		snprintf(buf, n, "%+.2f msec", unsign0(v / 1e6, 2));
	else if (fabs(v) >= 100)
		fmt_count(buf, n, v, "+");
	else
		snprintf(buf, n, "%+.2f", unsign0(v, 2));
}

/* The 95% band of one side, relative to its mean ("+-1.2%"). */
static void fmt_band(char *buf, size_t n, const struct pp_diff_est *e, const char *pm)
{
	if (e->noise == PP_NOISE_NONE || e->mean == 0)
		snprintf(buf, n, "%s", "");
	else
		snprintf(buf, n, "%s%.1f%%", pm, unsign0(100 * e->ci95 / fabs(e->mean), 1));
}

static void fmt_rel(char *buf, size_t n, const struct pp_diff_cmp *c,
		    enum pp_diff_status st)
{
	if (st == PP_DIFF_ADDED)
		snprintf(buf, n, "added");
	else if (isinf(c->rel) && c->rel > 0)
		snprintf(buf, n, "from 0");
	else if (st == PP_DIFF_REMOVED)
		snprintf(buf, n, "removed");
	else if (isinf(c->rel))
		snprintf(buf, n, "-inf");
	else
		snprintf(buf, n, "%+.2f%%", unsign0(100 * c->rel, 2));
}

/* The confidence interval of the change, in % of the base mean when
 * there is one (and not ABSOLUTE), else in the value's unit. */
static void fmt_ci(char *buf, size_t n, const struct pp_diff_cmp *c, int clock,
		   int absolute, const char *open, const char *sep, const char *close)
{
	char lo[48], hi[48];

	if (c->test == PP_TEST_NONE) {
		snprintf(buf, n, "%s", "");
	} else if (!isnan(c->rel_lo) && !absolute) {
		snprintf(buf, n, "%s%+.1f%%%s%+.1f%%%s", open, unsign0(100 * c->rel_lo, 1),
			 sep, unsign0(100 * c->rel_hi, 1), close);
	} else {
		fmt_delta(lo, sizeof(lo), c->lo, clock);
		fmt_delta(hi, sizeof(hi), c->hi, clock);
		snprintf(buf, n, "%s%s%s%s%s", open, lo, sep, hi, close);
	}
}

static void fmt_p(char *buf, size_t n, double p)
{
	if (isnan(p))
		snprintf(buf, n, "n/a");
	else if (p < 0.0001)
		snprintf(buf, n, "<0.0001");
	else
		snprintf(buf, n, "%.4f", p);
}

static void fmt_limit(char *buf, size_t n, const struct pp_threshold *t, int clock)
{
	if (t->relative)
		snprintf(buf, n, "%+g%%", unsign0(100 * t->limit, 6));
	else
		fmt_delta(buf, n, t->limit, clock);
}

/* The change a check looks at, with its interval and its p-value (after
 * the correction, when ADJUSTED). */
static void fmt_check_change(char *buf, size_t n, const struct pp_diff *d,
			     const struct pp_diff_check *k, const struct pp_threshold *t,
			     int clock, int adjusted)
{
	const struct pp_diff_cmp *c = k->cmp;
	enum pp_diff_status status = k->func >= 0 ? d->funcs[k->func].status : PP_DIFF_BOTH;
	char v[64], ci[160], p[32], lim[48];

	if (t->relative)
		fmt_rel(v, sizeof(v), c, status);
	else
		fmt_delta(v, sizeof(v), c->delta, clock);
	fmt_ci(ci, sizeof(ci), c, clock, !t->relative, "[", ", ", "]");
	fmt_p(p, sizeof(p), k->p_adj);
	fmt_limit(lim, sizeof(lim), t, clock);
	snprintf(buf, n, "%s%s%s (limit %c%s), %sp %s", v, ci[0] ? " " : "", ci, t->op, lim,
		 adjusted ? "Holm " : "", p);
}

/* Were the checks' p-values adjusted? */
static int adjusted(const struct pp_diff *d)
{
	return d->correction && d->nchecks > 1;
}

static int check_clock(const struct pp_diff *d, const struct pp_diff_check *k)
{
	return k->func < 0 ? d->totals[k->item].clock : d->event_clock[k->item];
}

/* "slow (regress.py:8)" or "total" */
static void fmt_target(char *buf, size_t n, const struct pp_diff *d,
		       const struct pp_diff_check *k)
{
	const struct pp_diff_func *f;

	if (k->func < 0) {
		snprintf(buf, n, "%s total", d->totals[k->item].name);
		return;
	}
	f = &d->funcs[k->func];
	if (f->path[0])
		snprintf(buf, n, "%s (%s:%d)", f->qualname, f->path,
			 f->status == PP_DIFF_REMOVED ? f->base_line : f->new_line);
	else
		snprintf(buf, n, "%s", f->qualname);
}

static void fmt_location(char *buf, size_t n, const struct pp_diff_func *f)
{
	if (!f->path[0])
		snprintf(buf, n, "%s", "");
	else if (f->status == PP_DIFF_REMOVED)
		snprintf(buf, n, "%s:%d", f->path, f->base_line);
	else if (f->status == PP_DIFF_BOTH && f->base_line != f->new_line)
		snprintf(buf, n, "%s:%d (was %d)", f->path, f->new_line, f->base_line);
	else
		snprintf(buf, n, "%s:%d", f->path, f->new_line);
}

/* ---------------------------------------------------------- ordering */

/* Did a check on this row fail?  FUNC -1 with ITEM a total. */
static int row_failed(const struct pp_diff *d, ssize_t func, size_t item)
{
	size_t i;

	for (i = 0; i < d->nchecks; i++)
		if (d->checks[i].failed && d->checks[i].func == func && d->checks[i].item == item)
			return 1;
	return 0;
}

static const char *verdict(const struct pp_diff_cmp *c, int failed)
{
	if (failed)
		return "FAIL";
	if (c->significant && c->delta > 0)
		return "worse";
	if (c->significant && c->delta < 0)
		return "better";
	return "same";
}

struct frow {
	size_t i;
	int group;
	const struct pp_diff_cmp *c;
	const struct pp_diff_func *f;
};

static int frow_cmp(const void *a, const void *b)
{
	const struct frow *x = a, *y = b;
	double kx, ky;
	int c;

	if (x->group != y->group)
		return x->group - y->group;
	/* regressions by how much they cost, improvements by how much they
	 * save, the rest by size */
	if (x->group <= 1) {
		kx = -x->c->delta;
		ky = -y->c->delta;
	} else if (x->group == 2) {
		kx = x->c->delta;
		ky = y->c->delta;
	} else {
		kx = -fmax(x->c->base.mean, x->c->new.mean);
		ky = -fmax(y->c->base.mean, y->c->new.mean);
	}
	if (kx != ky)
		return kx < ky ? -1 : 1;
	c = strcmp(x->f->qualname, y->f->qualname);
	if (!c)
		c = strcmp(x->f->path, y->f->path);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The functions of EVENT with samples on either side, regressions first;
 * returns how many (ROWS is malloc'd). */
static size_t sorted_funcs(const struct pp_diff *d, size_t event, struct frow **rows)
{
	size_t i, n = 0;

	*rows = calloc(d->nfuncs + 1, sizeof(**rows));
	if (!*rows)
		return 0;
	for (i = 0; i < d->nfuncs; i++) {
		const struct pp_diff_cmp *c = &d->funcs[i].self[event];
		struct frow *r;

		if (c->base.mean == 0 && c->new.mean == 0 && !row_failed(d, (ssize_t)i, event))
			continue;
		r = &(*rows)[n++];
		r->i = i;
		r->c = c;
		r->f = &d->funcs[i];
		r->group = row_failed(d, (ssize_t)i, event) ? 0 :
			   c->significant && c->delta > 0 ? 1 :
			   c->significant && c->delta < 0 ? 2 : 3;
	}
	qsort(*rows, n, sizeof(**rows), frow_cmp);
	return n;
}

/* ------------------------------------------------------------ tables */

#define MAXCOLS 12

struct table {
	size_t ncols;
	const int *right;        /* per column: right-aligned */
	char **cells;            /* nrows x ncols */
	size_t nrows, cap;
	int oom;
};

static void table_row(struct table *t, const char *const *cells)
{
	size_t j;

	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **nc = realloc(t->cells, ncap * t->ncols * sizeof(*nc));

		if (!nc) {
			t->oom = 1;
			return;
		}
		t->cells = nc;
		t->cap = ncap;
	}
	for (j = 0; j < t->ncols; j++)
		t->cells[t->nrows * t->ncols + j] = strdup(cells[j] ? cells[j] : "");
	t->nrows++;
}

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* Display width: code points (names may be UTF-8). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void table_text(FILE *f, const struct table *t)
{
	size_t w[MAXCOLS] = { 0 }, i, j, k;

	for (i = 0; i < t->nrows; i++)
		for (j = 0; j < t->ncols; j++)
			if (width(t->cells[i * t->ncols + j]) > w[j])
				w[j] = width(t->cells[i * t->ncols + j]);
	for (i = 0; i < t->nrows; i++) {
		size_t last = t->ncols;

		/* no trailing blanks: stop at the last non-empty cell */
		while (last && !t->cells[i * t->ncols + last - 1][0])
			last--;
		fputs("  ", f);
		for (j = 0; j < last; j++) {
			const char *c = t->cells[i * t->ncols + j];
			size_t pad = w[j] - width(c);

			if (!w[j])
				continue;
			fputs("  ", f);
			if (t->right[j])
				for (k = 0; k < pad; k++)
					fputc(' ', f);
			fputs(c, f);
			if (!t->right[j] && j + 1 < last)
				for (k = 0; k < pad; k++)
					fputc(' ', f);
		}
		fputc('\n', f);
	}
}

/* Markdown text, in a code span when CODE (a '`' inside becomes '\'').
 * Outside one, the characters that would start emphasis, a link or an
 * HTML tag ("<not sampled>", "__init__") are escaped; in a table cell
 * '|' always is (GFM); nothing may break the line. */
static void md_text(FILE *f, const char *s, int code, int cell)
{
	int empty = !*s;

	if (code && !empty)
		fputc('`', f);
	for (; *s; s++) {
		if (*s == '|' && cell)
			fputs("\\|", f);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else if (*s == '`')
			fputs(code ? "'" : "\\`", f);
		else if (!code && strchr("\\*_[]<>~", *s))
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
	if (code && !empty)
		fputc('`', f);
}

/* Where a check looked, as Markdown: "`work` (`main.py:14`)". */
static void md_target(char *buf, size_t n, const struct pp_diff *d,
		      const struct pp_diff_check *k)
{
	const struct pp_diff_func *f;
	char *q = NULL;
	size_t len;
	FILE *m;

	if (k->func < 0) {
		snprintf(buf, n, "total");
		return;
	}
	f = &d->funcs[k->func];
	m = open_memstream(&q, &len);
	if (!m) {
		snprintf(buf, n, "?");
		return;
	}
	md_text(m, f->qualname, 1, 1);
	if (f->path[0]) {
		char where[CELL];

		snprintf(where, sizeof(where), "%s:%d", f->path,
			 f->status == PP_DIFF_REMOVED ? f->base_line : f->new_line);
		fputs(" (", m);
		md_text(m, where, 1, 1);
		fputc(')', m);
	}
	if (fclose(m) == 0)
		snprintf(buf, n, "%s", q);
	free(q);
}

static void table_markdown(FILE *f, const struct table *t, const int *code)
{
	size_t i, j;

	for (i = 0; i < t->nrows; i++) {
		fputc('|', f);
		for (j = 0; j < t->ncols; j++) {
			const char *c = t->cells[i * t->ncols + j];

			fputc(' ', f);
			/* code 2: the cell is Markdown already */
			if (i && code[j] == 2)
				fputs(c, f);
			else
				md_text(f, c, i && code[j], 1);
			fputs(" |", f);
		}
		fputc('\n', f);
		if (i == 0) {
			fputc('|', f);
			for (j = 0; j < t->ncols; j++)
				fputs(t->right[j] ? "--:|" : "---|", f);
			fputc('\n', f);
		}
	}
}

/* ------------------------------------------------------ shared pieces */

static int confidence_pct(const struct pp_diff *d)
{
	return (int)lround(100 * (1 - d->alpha));
}

static const char *event_unit(int clock)
{
	return clock ? "msec" : "";
}

/* How the noise was judged, in one sentence. */
static void method_text(char *buf, size_t n, const struct ctx *c, const char *alpha)
{
	const struct pp_diff *d = c->d;
	size_t checks = d->nchecks;

	if (d->base_runs >= 2 && d->new_runs >= 2 && d->base_per_run && d->new_per_run)
		snprintf(buf, n, "Welch's t-test over %zu + %zu runs, two-sided, %s %g%s",
			 d->base_runs, d->new_runs, alpha, d->alpha,
			 !d->correction || checks < 2 ? "" : ", Holm-corrected over the checks");
	else if (d->base_runs < 2 || d->new_runs < 2)
		snprintf(buf, n, "a side has a single run, so run-to-run noise is unknown: "
			 "sampling error only (Poisson, 1/sqrt(samples)), two-sided, %s %g; "
			 "record with -r 5 or more", alpha, d->alpha);
	else
		snprintf(buf, n, "%s holds no per-run figures: totals by Welch's t-test "
			 "from their spread, functions by sampling error only, two-sided, "
			 "%s %g", !d->base_per_run ? "BASE" : "NEW", alpha, d->alpha);
	if (d->noise_floor > 0) {
		size_t len = strlen(buf);

		snprintf(buf + len, n - len, "; timings vary at least %g%% per run "
			 "(--noise-floor)", 100 * d->noise_floor);
	}
}

static void missing_text(char *buf, size_t n, const struct ctx *c)
{
	const struct pp_diff *d = c->d;
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < d->nmissing && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s (%s only in %s)",
					i ? ", " : "", d->missing[i].name,
					d->missing[i].sampled ? "sampled" : "counted",
					d->missing[i].in_base ? c->base_path : c->new_path);
}

/* -------------------------------------------------------------- text */

static const int text_right[] = { 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0 };

static void cmp_cells(char cells[][CELL], const struct pp_diff_cmp *c, int clock,
		      enum pp_diff_status st, int failed, const char *pm)
{
	fmt_value(cells[0], CELL, st == PP_DIFF_ADDED ? NAN : c->base.mean, clock);
	fmt_band(cells[1], CELL, &c->base, pm);
	fmt_value(cells[2], CELL, st == PP_DIFF_REMOVED ? NAN : c->new.mean, clock);
	fmt_band(cells[3], CELL, &c->new, pm);
	fmt_delta(cells[4], CELL, c->delta, clock);
	fmt_rel(cells[5], CELL, c, st);
	fmt_ci(cells[6], CELL, c, clock, 0, "[", ", ", "]");
	fmt_p(cells[7], CELL, c->p);
	snprintf(cells[8], CELL, "%s", verdict(c, failed));
}

static void text_begin(struct out *o)
{
	const struct ctx *c = o->c;
	char m[512], miss[1024];

	if (pp_diff__same_command(c->base->command ? c->base->command : "",
				  c->new->command ? c->new->command : ""))
		fprintf(o->f, "\n pyperf-stat diff of '%s':\n\n", c->new->command ? c->new->command : "");
	else
		fprintf(o->f, "\n pyperf-stat diff of '%s' and '%s':\n\n",
			c->base->command ? c->base->command : "",
			c->new->command ? c->new->command : "");
	fprintf(o->f, "   base   %s (%d run%s)\n", c->base_path, c->base->runs,
		c->base->runs == 1 ? "" : "s");
	fprintf(o->f, "   new    %s (%d run%s)\n", c->new_path, c->new->runs,
		c->new->runs == 1 ? "" : "s");
	method_text(m, sizeof(m), c, "alpha");
	fprintf(o->f, "   noise  %s\n", m);
	missing_text(miss, sizeof(miss), c);
	if (miss[0])
		fprintf(o->f, "   not compared: %s\n", miss);
}

static void text_totals(struct out *o)
{
	const struct pp_diff *d = o->c->d;
	static const char *const head[] = { "base", "+-95%", "new", "+-95%", "change", "",
					    NULL, "p", "", "event" };
	struct table t = { .ncols = 10, .right = text_right };
	char ci[32], cells[10][CELL];
	const char *row[10];
	size_t i, j;

	snprintf(ci, sizeof(ci), "%d%% CI", confidence_pct(d));
	for (j = 0; j < 10; j++)
		row[j] = head[j] ? head[j] : ci;
	table_row(&t, row);
	for (i = 0; i < d->ntotals; i++) {
		const struct pp_diff_total *tot = &d->totals[i];

		cmp_cells(cells, &tot->cmp, tot->clock, PP_DIFF_BOTH,
			  row_failed(d, -1, i), "+-");
		snprintf(cells[9], CELL, "%s", tot->name);
		for (j = 0; j < 10; j++)
			row[j] = cells[j];
		table_row(&t, row);
	}
	fprintf(o->f, "\n Totals (mean +- 95%% CI of each side; change with its %d%% CI):\n\n",
		confidence_pct(d));
	table_text(o->f, &t);
	table_free(&t);
}

static void text_functions(struct out *o, size_t e)
{
	const struct ctx *c = o->c;
	const struct pp_diff *d = c->d;
	static const char *const head[] = { "base", "+-95%", "new", "+-95%", "change", "",
					    NULL, "p", "", "function", "location" };
	struct table t = { .ncols = 11, .right = text_right };
	char ci[32], cells[11][CELL];
	const char *row[11];
	struct frow *rows;
	size_t n = sorted_funcs(d, e, &rows), shown, i, j;

	shown = c->top > 0 && (size_t)c->top < n ? (size_t)c->top : n;
	snprintf(ci, sizeof(ci), "%d%% CI", confidence_pct(d));
	for (j = 0; j < 11; j++)
		row[j] = head[j] ? head[j] : ci;
	table_row(&t, row);
	for (i = 0; i < shown; i++) {
		const struct pp_diff_func *f = rows[i].f;

		cmp_cells(cells, rows[i].c, d->event_clock[e], f->status,
			  rows[i].group == 0, "+-");
		snprintf(cells[9], CELL, "%s", f->qualname);
		fmt_location(cells[10], CELL, f);
		for (j = 0; j < 11; j++)
			row[j] = cells[j];
		table_row(&t, row);
	}
	fprintf(o->f, "\n Functions by %s self%s%s (", d->event[e],
		d->event_clock[e] ? ", " : "", event_unit(d->event_clock[e]));
	if (shown < n)
		fprintf(o->f, "top %zu of %zu, ", shown, n);
	fprintf(o->f, "regressions first):\n\n");
	table_text(o->f, &t);
	table_free(&t);
	free(rows);
}

/* Checks one line each, but a wildcard rule's passing functions on one. */
static void text_checks(struct out *o)
{
	const struct ctx *c = o->c;
	const struct pp_diff *d = c->d;
	size_t ti, i, w = 0;

	if (!c->nthr)
		return;
	for (ti = 0; ti < c->nthr; ti++)
		if (strlen(c->thr[ti].text) > w)
			w = strlen(c->thr[ti].text);
	fprintf(o->f, "\n Thresholds (%s %g%s):\n\n", "alpha", d->alpha,
		d->correction && d->nchecks > 1 ? ", Holm-corrected over the checks" : "");
	for (ti = 0; ti < c->nthr; ti++) {
		const struct pp_threshold *t = &c->thr[ti];
		int wild = t->pattern && strpbrk(t->pattern, "*?[");
		size_t quiet = 0, nchecks = 0, pass;

		/* failed checks first, then those past the limit but within the
		 * noise; a wildcard's other functions on one line */
		for (pass = 0; pass < 2; pass++) {
			for (i = 0; i < d->nchecks; i++) {
				const struct pp_diff_check *k = &d->checks[i];
				char target[CELL], change[CELL];

				if (k->threshold != ti || (size_t)!k->failed != pass)
					continue;
				nchecks++;
				if (wild && !k->crossed) {
					quiet++;
					continue;
				}
				fmt_target(target, sizeof(target), d, k);
				fmt_check_change(change, sizeof(change), d, k, t, check_clock(d, k),
						 adjusted(d));
				fprintf(o->f, "   %-4s  %-*s  %s%s%s%s\n", k->failed ? "FAIL" : "ok",
					(int)w, t->text, k->func >= 0 ? target : "",
					k->func >= 0 ? ": " : "", change, k->crossed && !k->failed ?
					": past the limit, within the noise" : "");
			}
		}
		if (wild && (quiet || !nchecks))
			fprintf(o->f, "   %-4s  %-*s  %zu %sfunction%s within the limit\n", "ok",
				(int)w, t->text, quiet, nchecks > quiet ? "other " : "",
				quiet == 1 ? "" : "s");
	}
	if (d->nskipped)
		fprintf(o->f, "   (%zu function%s with fewer than %" PRIu64 " samples on "
			"both sides not checked by wildcard rules)\n", d->nskipped,
			d->nskipped == 1 ? "" : "s", c->min_samples);
	if (d->nfailed)
		fprintf(o->f, "\n %zu of %zu check%s failed: exit status 1\n", d->nfailed,
			d->nchecks, d->nchecks == 1 ? "" : "s");
	else
		fprintf(o->f, "\n All %zu check%s hold.\n", d->nchecks,
			d->nchecks == 1 ? "" : "s");
}

static void text_end(struct out *o)
{
	fputc('\n', o->f);
}

static const struct diff_ops text_ops = {
	text_begin, text_totals, text_functions, text_checks, text_end,
};

/* -------------------------------------------------------------- JSON */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.10g", unsign0(v, 10));
	else
		fputs("null", f);
}

/* values in the unit the report uses: msec for clocks */
static double shown(double v, int clock)
{
	return clock ? v / 1e6 : v;
}

static const char *noise_name(enum pp_noise n)
{
	return n == PP_NOISE_RUNS ? "runs" : n == PP_NOISE_SAMPLING ? "sampling" : "none";
}

static void json_est(FILE *f, const struct pp_diff_est *e, int clock)
{
	fputs("{\"mean\" : ", f);
	json_num(f, shown(e->mean, clock));
	fputs(", \"ci95\" : ", f);
	json_num(f, shown(e->ci95, clock));
	fprintf(f, ", \"runs\" : %zu, \"samples\" : %" PRIu64 ", \"noise\" : \"%s\"}",
		e->n, e->samples, noise_name(e->noise));
}

static void json_cmp(FILE *f, const struct pp_diff_cmp *c, int clock)
{
	fputs("\"base\" : ", f);
	json_est(f, &c->base, clock);
	fputs(", \"new\" : ", f);
	json_est(f, &c->new, clock);
	fputs(", \"change\" : ", f);
	json_num(f, shown(c->delta, clock));
	fputs(", \"change-percent\" : ", f);
	json_num(f, 100 * c->rel);
	fputs(", \"ci-low\" : ", f);
	json_num(f, shown(c->lo, clock));
	fputs(", \"ci-high\" : ", f);
	json_num(f, shown(c->hi, clock));
	fputs(", \"ci-low-percent\" : ", f);
	json_num(f, 100 * c->rel_lo);
	fputs(", \"ci-high-percent\" : ", f);
	json_num(f, 100 * c->rel_hi);
	fputs(", \"p\" : ", f);
	json_num(f, c->p);
	fprintf(f, ", \"test\" : \"%s\", \"significant\" : %s",
		c->test == PP_TEST_WELCH ? "welch" : c->test == PP_TEST_Z ? "z" : "none",
		c->significant ? "true" : "false");
}

static void json_begin(struct out *o)
{
	const struct ctx *c = o->c;
	const struct pp_diff *d = c->d;
	size_t i;

	fputs("{\"type\" : \"diff\", \"base\" : ", o->f);
	json_str(o->f, c->base_path);
	fputs(", \"new\" : ", o->f);
	json_str(o->f, c->new_path);
	fputs(", \"base-command\" : ", o->f);
	json_str(o->f, c->base->command);
	fputs(", \"new-command\" : ", o->f);
	json_str(o->f, c->new->command);
	fprintf(o->f, ", \"base-runs\" : %d, \"new-runs\" : %d, \"base-per-run\" : %s, "
		"\"new-per-run\" : %s, \"alpha\" : ", c->base->runs, c->new->runs,
		d->base_per_run ? "true" : "false", d->new_per_run ? "true" : "false");
	json_num(o->f, d->alpha);
	fprintf(o->f, ", \"correction\" : \"%s\", \"confidence-percent\" : %d, "
		"\"noise-floor-percent\" : ", d->correction ? "holm" : "none", confidence_pct(d));
	json_num(o->f, 100 * d->noise_floor);
	fputs("}\n", o->f);
	for (i = 0; i < d->nmissing; i++) {
		fputs("{\"type\" : \"missing\", \"event\" : ", o->f);
		json_str(o->f, d->missing[i].name);
		fprintf(o->f, ", \"kind\" : \"%s\", \"only-in\" : \"%s\"}\n",
			d->missing[i].sampled ? "sampled" : "counted",
			d->missing[i].in_base ? "base" : "new");
	}
}

static void json_totals(struct out *o)
{
	const struct pp_diff *d = o->c->d;
	size_t i;

	for (i = 0; i < d->ntotals; i++) {
		fputs("{\"type\" : \"total\", \"event\" : ", o->f);
		json_str(o->f, d->totals[i].name);
		fprintf(o->f, ", \"unit\" : \"%s\", ", event_unit(d->totals[i].clock));
		json_cmp(o->f, &d->totals[i].cmp, d->totals[i].clock);
		fputs("}\n", o->f);
	}
}

static const char *status_name(enum pp_diff_status s)
{
	return s == PP_DIFF_ADDED ? "added" : s == PP_DIFF_REMOVED ? "removed" : "changed";
}

/* Every function (no --top cut: this is for programs), regressions first. */
static void json_functions(struct out *o, size_t e)
{
	const struct pp_diff *d = o->c->d;
	int clock = d->event_clock[e];
	struct frow *rows;
	size_t n = sorted_funcs(d, e, &rows), i;

	for (i = 0; i < n; i++) {
		const struct pp_diff_func *f = rows[i].f;

		fputs("{\"type\" : \"function\", \"function\" : ", o->f);
		json_str(o->f, f->qualname);
		fputs(", \"file\" : ", o->f);
		json_str(o->f, f->path);
		fputs(", \"base-file\" : ", o->f);
		if (f->base_file)
			json_str(o->f, f->base_file);
		else
			fputs("null", o->f);
		fputs(", \"new-file\" : ", o->f);
		if (f->new_file)
			json_str(o->f, f->new_file);
		else
			fputs("null", o->f);
		fprintf(o->f, ", \"base-line\" : %d, \"new-line\" : %d, \"status\" : \"%s\", "
			"\"event\" : ", f->base_line, f->new_line, status_name(f->status));
		json_str(o->f, d->event[e]);
		fprintf(o->f, ", \"unit\" : \"%s\", \"verdict\" : \"%s\", \"self\" : {",
			event_unit(clock), verdict(rows[i].c, rows[i].group == 0));
		json_cmp(o->f, &f->self[e], clock);
		fputs("}, \"inclusive\" : {", o->f);
		json_cmp(o->f, &f->incl[e], clock);
		fputs("}}\n", o->f);
	}
	free(rows);
}

static void json_checks(struct out *o)
{
	const struct ctx *c = o->c;
	const struct pp_diff *d = c->d;
	size_t i;

	for (i = 0; i < d->nchecks; i++) {
		const struct pp_diff_check *k = &d->checks[i];
		const struct pp_threshold *t = &c->thr[k->threshold];
		int clock = check_clock(d, k);

		fputs("{\"type\" : \"check\", \"threshold\" : ", o->f);
		json_str(o->f, t->text);
		if (k->func >= 0) {
			const struct pp_diff_func *f = &d->funcs[k->func];

			fputs(", \"target\" : \"function\", \"function\" : ", o->f);
			json_str(o->f, f->qualname);
			fputs(", \"file\" : ", o->f);
			json_str(o->f, f->path);
			fprintf(o->f, ", \"line\" : %d, \"event\" : ",
				f->status == PP_DIFF_REMOVED ? f->base_line : f->new_line);
			json_str(o->f, d->event[k->item]);
			fprintf(o->f, ", \"kind\" : \"%s\"", t->inclusive ? "inclusive" : "self");
		} else {
			fputs(", \"target\" : \"total\", \"event\" : ", o->f);
			json_str(o->f, d->totals[k->item].name);
		}
		fprintf(o->f, ", \"op\" : \"%c\", \"limit\" : ", t->op);
		json_num(o->f, t->relative ? 100 * t->limit : shown(t->limit, clock));
		fprintf(o->f, ", \"limit-unit\" : \"%s\", \"change\" : ",
			t->relative ? "%" : event_unit(clock));
		json_num(o->f, shown(k->cmp->delta, clock));
		fputs(", \"change-percent\" : ", o->f);
		json_num(o->f, 100 * k->cmp->rel);
		fputs(", \"p\" : ", o->f);
		json_num(o->f, k->cmp->p);
		fputs(", \"p-adjusted\" : ", o->f);
		json_num(o->f, k->p_adj);
		fprintf(o->f, ", \"crossed\" : %s, \"significant\" : %s, \"failed\" : %s}\n",
			k->crossed ? "true" : "false", k->significant ? "true" : "false",
			k->failed ? "true" : "false");
	}
}

static void json_end(struct out *o)
{
	const struct pp_diff *d = o->c->d;

	fprintf(o->f, "{\"type\" : \"summary\", \"checks\" : %zu, \"failed\" : %zu, "
		"\"skipped-few-samples\" : %zu, \"exit-status\" : %d}\n", d->nchecks,
		d->nfailed, d->nskipped, d->nfailed ? EXIT_CROSSED : EXIT_HOLDS);
}

static const struct diff_ops json_ops = {
	json_begin, json_totals, json_functions, json_checks, json_end,
};

/* ---------------------------------------------------------- Markdown */

static const int md_right[] = { 0, 0, 0, 1, 1, 1, 0, 1 };

static void md_begin(struct out *o)
{
	const struct ctx *c = o->c;
	const struct pp_diff *d = c->d;
	char m[512], miss[1024];

	if (!c->nthr)
		fprintf(o->f, "## pyperf-stat diff\n\n");
	else if (d->nfailed)
		fprintf(o->f, "## pyperf-stat diff: ❌ %zu of %zu check%s failed\n\n",
			d->nfailed, d->nchecks, d->nchecks == 1 ? "" : "s");
	else
		fprintf(o->f, "## pyperf-stat diff: ✅ all %zu check%s hold\n\n", d->nchecks,
			d->nchecks == 1 ? "" : "s");
	fputs("Command ", o->f);
	md_text(o->f, c->new->command ? c->new->command : "", 1, 0);
	fputs("; base ", o->f);
	md_text(o->f, c->base_path, 1, 0);
	fprintf(o->f, " (%d run%s), new ", c->base->runs, c->base->runs == 1 ? "" : "s");
	md_text(o->f, c->new_path, 1, 0);
	fprintf(o->f, " (%d run%s).  ", c->new->runs, c->new->runs == 1 ? "" : "s");
	method_text(m, sizeof(m), c, "α =");
	fprintf(o->f, "Noise: %s.\n", m);
	missing_text(miss, sizeof(miss), c);
	if (miss[0]) {
		fputs("Not compared: ", o->f);
		md_text(o->f, miss, 0, 0);
		fputs(".\n", o->f);
	}
	if (c->nthr) {
		static const int code[] = { 0, 1, 2, 0, 0, 0, 0, 0 };
		struct table t = { .ncols = 8, .right = md_right };
		const char *row[8] = { "", "threshold", "where", "base", "new", "change",
				       NULL, "p" };
		char ci[32], cells[8][CELL], band[64];
		size_t pass, i, j, ti;

		snprintf(ci, sizeof(ci), "%d%% CI", confidence_pct(d));
		row[6] = ci;
		table_row(&t, row);
		/* failed checks first, then each rule's passing ones */
		for (pass = 0; pass < 2; pass++) {
			for (ti = 0; ti < c->nthr; ti++) {
				const struct pp_threshold *th = &c->thr[ti];
				int wild = th->pattern && strpbrk(th->pattern, "*?[");
				size_t quiet = 0, nk = 0;

				for (i = 0; i < d->nchecks; i++) {
					const struct pp_diff_check *k = &d->checks[i];
					int clock = check_clock(d, k);

					if (k->threshold != ti)
						continue;
					nk++;
					if ((size_t)k->failed != 1 - pass)
						continue;
					if (pass && wild && !k->crossed) {
						quiet++;
						continue;
					}
					snprintf(cells[0], CELL, "%s", k->failed ? "❌ FAIL" :
						 k->crossed ? "✅ ok (noise)" : "✅ ok");
					snprintf(cells[1], CELL, "%s", th->text);
					md_target(cells[2], CELL, d, k);
					fmt_value(cells[3], CELL, k->cmp->base.mean, clock);
					fmt_band(band, sizeof(band), &k->cmp->base, " ±");
					strcat(cells[3], band);
					fmt_value(cells[4], CELL, k->cmp->new.mean, clock);
					fmt_band(band, sizeof(band), &k->cmp->new, " ±");
					strcat(cells[4], band);
					if (th->relative)
						fmt_rel(cells[5], CELL, k->cmp, k->func >= 0 ?
							d->funcs[k->func].status : PP_DIFF_BOTH);
					else
						fmt_delta(cells[5], CELL, k->cmp->delta, clock);
					fmt_ci(cells[6], CELL, k->cmp, clock, !th->relative, "",
					       " … ", "");
					fmt_p(cells[7], CELL, k->p_adj);
					for (j = 0; j < 8; j++)
						row[j] = cells[j];
					table_row(&t, row);
				}
				if (pass && (quiet || !nk)) {
					snprintf(cells[0], CELL, "✅ ok");
					snprintf(cells[1], CELL, "%s", th->text);
					snprintf(cells[2], CELL, "%zu %sfunction%s within the limit",
						 quiet, nk > quiet ? "other " : "", quiet == 1 ? "" : "s");
					for (j = 3; j < 8; j++)
						cells[j][0] = '\0';
					for (j = 0; j < 8; j++)
						row[j] = cells[j];
					table_row(&t, row);
				}
			}
		}
		fputs("\n", o->f);
		table_markdown(o->f, &t, code);
		table_free(&t);
		if (d->nskipped)
			fprintf(o->f, "\n%zu function%s with fewer than %" PRIu64 " samples on "
				"both sides not checked by wildcard rules.\n", d->nskipped,
				d->nskipped == 1 ? "" : "s", c->min_samples);
	}
}

static void md_totals(struct out *o)
{
	const struct pp_diff *d = o->c->d;
	static const int code[] = { 0, 1, 0, 0, 0, 0, 0, 0 };
	static const int right[] = { 0, 0, 1, 1, 1, 1, 0, 1 };
	struct table t = { .ncols = 8, .right = right };
	const char *row[8] = { "", "event", "base", "new", "change", "", NULL, "p" };
	char ci[32], cells[10][CELL], c8[8][CELL];
	size_t i, j;

	snprintf(ci, sizeof(ci), "%d%% CI", confidence_pct(d));
	row[6] = ci;
	table_row(&t, row);
	for (i = 0; i < d->ntotals; i++) {
		const struct pp_diff_total *tot = &d->totals[i];

		cmp_cells(cells, &tot->cmp, tot->clock, PP_DIFF_BOTH, row_failed(d, -1, i), " ±");
		fmt_ci(cells[6], CELL, &tot->cmp, tot->clock, 0, "", " … ", "");
		snprintf(c8[0], CELL, "%s%.500s", row_failed(d, -1, i) ? "❌ " : "", cells[8]);
		snprintf(c8[1], CELL, "%s", tot->name);
		snprintf(c8[2], CELL, "%.500s%.500s", cells[0], cells[1]);
		snprintf(c8[3], CELL, "%.500s%.500s", cells[2], cells[3]);
		snprintf(c8[4], CELL, "%s", cells[4]);
		snprintf(c8[5], CELL, "%s", cells[5]);
		snprintf(c8[6], CELL, "%s", cells[6]);
		snprintf(c8[7], CELL, "%s", cells[7]);
		for (j = 0; j < 8; j++)
			row[j] = c8[j];
		table_row(&t, row);
	}
	fputs("\n### Totals\n\n", o->f);
	table_markdown(o->f, &t, code);
	table_free(&t);
}

static void md_functions(struct out *o, size_t e)
{
	const struct ctx *c = o->c;
	const struct pp_diff *d = c->d;
	static const int code[] = { 0, 1, 1, 0, 0, 0, 0, 0, 0 };
	static const int right[] = { 0, 0, 0, 1, 1, 1, 1, 0, 1 };
	struct table t = { .ncols = 9, .right = right };
	const char *row[9] = { "", "function", "location", "base", "new", "change", "",
			       NULL, "p" };
	char ci[32], cells[10][CELL], c9[9][CELL];
	struct frow *rows;
	size_t n = sorted_funcs(d, e, &rows), shown_n, i, j;

	shown_n = c->top > 0 && (size_t)c->top < n ? (size_t)c->top : n;
	snprintf(ci, sizeof(ci), "%d%% CI", confidence_pct(d));
	row[7] = ci;
	table_row(&t, row);
	for (i = 0; i < shown_n; i++) {
		const struct pp_diff_func *f = rows[i].f;

		cmp_cells(cells, rows[i].c, d->event_clock[e], f->status, rows[i].group == 0, " ±");
		fmt_ci(cells[6], CELL, rows[i].c, d->event_clock[e], 0, "", " … ", "");
		snprintf(c9[0], CELL, "%s%.500s", rows[i].group == 0 ? "❌ " : "", cells[8]);
		snprintf(c9[1], CELL, "%s", f->qualname);
		fmt_location(c9[2], CELL, f);
		snprintf(c9[3], CELL, "%.500s%.500s", cells[0], cells[1]);
		snprintf(c9[4], CELL, "%.500s%.500s", cells[2], cells[3]);
		snprintf(c9[5], CELL, "%s", cells[4]);
		snprintf(c9[6], CELL, "%s", cells[5]);
		snprintf(c9[7], CELL, "%s", cells[6]);
		snprintf(c9[8], CELL, "%s", cells[7]);
		for (j = 0; j < 9; j++)
			row[j] = c9[j];
		table_row(&t, row);
	}
	fprintf(o->f, "\n### Functions by `%s` self", d->event[e]);
	if (shown_n < n)
		fprintf(o->f, " (top %zu of %zu)", shown_n, n);
	fputs("\n\n", o->f);
	table_markdown(o->f, &t, code);
	table_free(&t);
	free(rows);
}

static void md_checks(struct out *o)
{
	(void)o;   /* the threshold table leads the comment (md_begin) */
}

static void md_end(struct out *o)
{
	fputs("\n<sub>pyperf-stat diff; values are means per run, ± their 95% "
	      "confidence interval.</sub>\n", o->f);
}

static const struct diff_ops md_ops = {
	md_begin, md_totals, md_functions, md_checks, md_end,
};

/* ------------------------------------------------------------ JUnit */

/* XML text: the five entities, and characters XML 1.0 forbids as '?'. */
static void xml_str(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			fputc(ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r' ? '?' : ch, f);
		}
	}
}

static void junit_begin(struct out *o)
{
	const struct ctx *c = o->c;
	const struct pp_diff *d = c->d;
	size_t tests = d->nchecks, ti, i;

	/* a rule that checked nothing still shows, as one passing testcase */
	for (ti = 0; ti < c->nthr; ti++) {
		for (i = 0; i < d->nchecks; i++)
			if (d->checks[i].threshold == ti)
				break;
		tests += i == d->nchecks;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", o->f);
	fprintf(o->f, "<testsuites name=\"pyperf-stat diff\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"0\">\n", tests, d->nfailed);
	fputs("  <testsuite name=\"pyperf-stat diff: ", o->f);
	xml_str(o->f, c->new->command);
	fprintf(o->f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n",
		tests, d->nfailed);
	fputs("    <properties>\n      <property name=\"base\" value=\"", o->f);
	xml_str(o->f, c->base_path);
	fputs("\"/>\n      <property name=\"new\" value=\"", o->f);
	xml_str(o->f, c->new_path);
	fprintf(o->f, "\"/>\n      <property name=\"alpha\" value=\"%g\"/>\n"
		"      <property name=\"correction\" value=\"%s\"/>\n    </properties>\n",
		d->alpha, d->correction ? "holm" : "none");
}

static void junit_nothing(struct out *o)
{
	(void)o;
}

static void junit_nothing_e(struct out *o, size_t e)
{
	(void)o;
	(void)e;
}

static void junit_checks(struct out *o)
{
	const struct ctx *c = o->c;
	const struct pp_diff *d = c->d;
	size_t ti, i;

	for (ti = 0; ti < c->nthr; ti++) {
		const struct pp_threshold *t = &c->thr[ti];
		int any = 0;

		for (i = 0; i < d->nchecks; i++) {
			const struct pp_diff_check *k = &d->checks[i];
			char target[CELL], change[CELL], base[64], nw[64], bb[32], nb[32];
			int clock = check_clock(d, k);

			if (k->threshold != ti)
				continue;
			any = 1;
			fmt_target(target, sizeof(target), d, k);
			fmt_check_change(change, sizeof(change), d, k, t, clock, adjusted(d));
			fprintf(o->f, "    <testcase classname=\"pyperf-stat.%s\" name=\"",
				k->func < 0 ? "totals" : "functions");
			xml_str(o->f, t->text);
			if (k->func >= 0) {
				fputs(" :: ", o->f);
				xml_str(o->f, target);
			}
			fputs("\">\n", o->f);
			fmt_value(base, sizeof(base), k->cmp->base.mean, clock);
			fmt_band(bb, sizeof(bb), &k->cmp->base, " +-");
			fmt_value(nw, sizeof(nw), k->cmp->new.mean, clock);
			fmt_band(nb, sizeof(nb), &k->cmp->new, " +-");
			if (k->failed) {
				fputs("      <failure type=\"threshold\" message=\"", o->f);
				xml_str(o->f, target);
				fputs(": ", o->f);
				xml_str(o->f, change);
				fputs("\">", o->f);
			} else {
				fputs("      <system-out>", o->f);
			}
			fprintf(o->f, "%s %s: base %s%s (%zu run%s), new %s%s (%zu run%s); ",
				k->func < 0 ? d->totals[k->item].name : d->event[k->item],
				k->func < 0 ? "total" : t->inclusive ? "inclusive" : "self",
				base, bb, k->cmp->base.n, k->cmp->base.n == 1 ? "" : "s",
				nw, nb, k->cmp->new.n, k->cmp->new.n == 1 ? "" : "s");
			xml_str(o->f, change);
			fputs(k->failed ? "</failure>\n" : "</system-out>\n", o->f);
			fputs("    </testcase>\n", o->f);
		}
		if (!any) {
			fputs("    <testcase classname=\"pyperf-stat.functions\" name=\"", o->f);
			xml_str(o->f, t->text);
			fputs("\">\n      <system-out>no function with enough samples to "
			      "check</system-out>\n    </testcase>\n", o->f);
		}
	}
}

static void junit_end(struct out *o)
{
	fputs("  </testsuite>\n</testsuites>\n", o->f);
}

static const struct diff_ops junit_ops = {
	junit_begin, junit_nothing, junit_nothing_e, junit_checks, junit_end,
};

/* ----------------------------------------------------------- writing */

/* Renders the whole comparison with OPS into a malloc'd buffer. */
static int render(const struct diff_ops *ops, const struct ctx *c, char **buf, size_t *len)
{
	struct out o = { NULL, c };
	size_t e;

	*buf = NULL;
	*len = 0;
	o.f = open_memstream(buf, len);
	if (!o.f)
		return -errno;
	ops->begin(&o);
	ops->totals(&o);
	for (e = 0; e < c->d->nevents; e++)
		ops->functions(&o, e);
	ops->checks(&o);
	ops->end(&o);
	if (ferror(o.f)) {
		fclose(o.f);
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	if (fclose(o.f) != 0) {
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* To PATH atomically, or to stdout when PATH is NULL.  0 or -errno,
 * after saying why. */
static int emit(const struct diff_ops *ops, const struct ctx *c, const char *path)
{
	char *buf;
	size_t len;
	int ret = render(ops, c, &buf, &len);

	if (ret < 0) {
		pp_cli_say("cannot render the comparison: %s", strerror(-ret));
		return ret;
	}
	if (path) {
		/* pp_file__write_atomic says why through the log */
		ret = pp_file__write_atomic(path, buf, len);
	} else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
		ret = -EIO;
		pp_cli_say("cannot write the comparison: %s", strerror(errno));
	}
	free(buf);
	return ret;
}

/* ------------------------------------------------------------ options */

enum {
	OPT_JSON = 1000,
	OPT_MARKDOWN,
	OPT_JUNIT,
	OPT_FAIL_IF,
	OPT_ALPHA,
	OPT_NO_CORRECTION,
	OPT_MIN_SAMPLES,
	OPT_NOISE_FLOOR,
	OPT_TOP,
	OPT_ALLOW_DIFFERENT,
};

static const struct option long_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "markdown", no_argument, NULL, OPT_MARKDOWN },
	{ "junit", required_argument, NULL, OPT_JUNIT },
	{ "fail-if", required_argument, NULL, OPT_FAIL_IF },
	{ "alpha", required_argument, NULL, OPT_ALPHA },
	{ "no-correction", no_argument, NULL, OPT_NO_CORRECTION },
	{ "min-samples", required_argument, NULL, OPT_MIN_SAMPLES },
	{ "noise-floor", required_argument, NULL, OPT_NOISE_FLOOR },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "allow-different-command", no_argument, NULL, OPT_ALLOW_DIFFERENT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	const char *output, *junit;
	enum fmt fmt;
	struct pp_threshold *thr;
	size_t nthr;
	double alpha;
	int no_correction;
	uint64_t min_samples;
	double noise_floor;
	int top;
	int allow_different;
	const char *base, *new;
};

/* A decimal in C notation, whatever LC_NUMERIC says (the command runs
 * in the C locale: pp_cmd_diff). */
static int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end || !isfinite(*out) ? -1 : 0;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (*s == '-')
		return -1;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || *out > max ? -1 : 0;
}

/* 0 to go on, or an exit status (-1 for --help: exit 0). */
static int parse_args(struct opts *o, int argc, char **argv)
{
	char err[256];
	unsigned long v;
	int ch, nfmt = 0;

	memset(o, 0, sizeof(*o));
	o->alpha = DEFAULT_ALPHA;
	o->min_samples = DEFAULT_MIN_SAMPLES;
	o->top = DEFAULT_TOP;
	opterr = 0;
	optind = 0;   /* glibc: a full re-initialisation */
	while ((ch = getopt_long(argc, argv, "o:h", long_options, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o->output = optarg;
			break;
		case OPT_JSON:
			o->fmt = FMT_JSON;
			nfmt++;
			break;
		case OPT_MARKDOWN:
			o->fmt = FMT_MARKDOWN;
			nfmt++;
			break;
		case OPT_JUNIT:
			o->junit = optarg;
			break;
		case OPT_FAIL_IF: {
			struct pp_threshold *nt = realloc(o->thr, (o->nthr + 1) * sizeof(*nt));

			if (!nt) {
				pp_cli_say("out of memory");
				return EXIT_ERROR;
			}
			o->thr = nt;
			if (pp_threshold__parse(optarg, &o->thr[o->nthr], err, sizeof(err)) < 0) {
				pp_threshold__free(&o->thr[o->nthr]);
				pp_cli_say("invalid --fail-if '%s': %s", optarg, err);
				fputs("Try 'pyperf-stat diff --help'.\n", stderr);
				return EXIT_ERROR;
			}
			o->nthr++;
			break;
		}
		case OPT_ALPHA: {
			double a;

			if (parse_double(optarg, &a) < 0 || !(a > 0 && a < 0.5)) {
				pp_cli_say("invalid --alpha '%s': expected a significance level between "
				    "0 and 0.5, such as 0.01", optarg);
				return EXIT_ERROR;
			}
			o->alpha = a;
			break;
		}
		case OPT_NO_CORRECTION:
			o->no_correction = 1;
			break;
		case OPT_NOISE_FLOOR: {
			char num[64];
			double f;
			size_t len = strlen(optarg);

			/* "20%" or "20" */
			if (len && optarg[len - 1] == '%')
				len--;
			snprintf(num, sizeof(num), "%.*s", (int)len, optarg);
			if (len >= sizeof(num) || parse_double(num, &f) < 0 || f < 0 || f > 1000) {
				pp_cli_say("invalid --noise-floor '%s': expected a percentage such as 10%%",
				    optarg);
				return EXIT_ERROR;
			}
			o->noise_floor = f / 100;
			break;
		}
		case OPT_MIN_SAMPLES:
			if (parse_ulong(optarg, ULONG_MAX, &v) < 0) {
				pp_cli_say("invalid --min-samples '%s': expected a number of samples", optarg);
				return EXIT_ERROR;
			}
			o->min_samples = v;
			break;
		case OPT_TOP:
			if (parse_ulong(optarg, INT_MAX, &v) < 0) {
				pp_cli_say("invalid --top '%s': expected a number of rows (0 = all)", optarg);
				return EXIT_ERROR;
			}
			o->top = (int)v;
			break;
		case OPT_ALLOW_DIFFERENT:
			o->allow_different = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			if (optopt == 'o')
				pp_cli_say("option -o needs a file name");
			else if (optopt && optopt < 256)
				pp_cli_say("unknown option -%c", optopt);
			else
				pp_cli_say("unknown or incomplete option '%s'", argv[optind - 1]);
			fputs("Try 'pyperf-stat diff --help'.\n", stderr);
			return EXIT_ERROR;
		}
	}
	if (nfmt > 1) {
		pp_cli_say("--json and --markdown choose different formats: give one of them");
		return EXIT_ERROR;
	}
	if (argc - optind != 2) {
		pp_cli_say("diff compares two saved profiles: pyperf-stat diff BASE NEW [options] "
		    "(got %d file%s)", argc - optind, argc - optind == 1 ? "" : "s");
		fputs("Try 'pyperf-stat diff --help'.\n", stderr);
		return EXIT_ERROR;
	}
	o->base = argv[optind];
	o->new = argv[optind + 1];
	return 0;
}

static void opts_free(struct opts *o)
{
	size_t i;

	for (i = 0; i < o->nthr; i++)
		pp_threshold__free(&o->thr[i]);
	free(o->thr);
}

/* One line per failed check on stderr, for CI logs that show no report. */
static void say_verdict(const struct ctx *c)
{
	const struct pp_diff *d = c->d;
	size_t i;

	for (i = 0; i < d->nchecks; i++) {
		const struct pp_diff_check *k = &d->checks[i];
		char target[CELL], change[CELL];

		if (!k->failed)
			continue;
		fmt_target(target, sizeof(target), d, k);
		fmt_check_change(change, sizeof(change), d, k, &c->thr[k->threshold],
				 check_clock(d, k), adjusted(d));
		pp_cli_say("FAIL %s: %s: %s", c->thr[k->threshold].text, target, change);
	}
	if (c->nthr)
		pp_cli_say("%zu of %zu check%s failed", d->nfailed, d->nchecks,
		    d->nchecks == 1 ? "" : "s");
}

static int run(struct opts *o)
{
	struct pp_loaded base, nw;
	struct pp_diff d;
	struct pp_diff_options dopt = { 0 };
	struct ctx c = { 0 };
	const struct diff_ops *ops;
	char err[1024], miss[1024];
	int ret = EXIT_ERROR, loaded = 0;

	memset(&d, 0, sizeof(d));
	if (pp_profile_file__load(o->base, &base, err, sizeof(err)) < 0) {
		pp_cli_say("BASE: %s", err);
		pp_loaded__free(&base);
		return EXIT_ERROR;
	}
	if (pp_profile_file__load(o->new, &nw, err, sizeof(err)) < 0) {
		pp_cli_say("NEW: %s", err);
		pp_loaded__free(&base);
		pp_loaded__free(&nw);
		return EXIT_ERROR;
	}
	loaded = 1;
	if (!o->allow_different &&
	    !pp_diff__same_command(base.data.command ? base.data.command : "",
				   nw.data.command ? nw.data.command : "")) {
		pp_cli_say("%s ran '%s' but %s ran '%s': compare runs of the same command, or "
		    "pass --allow-different-command", o->base, base.data.command, o->new,
		    nw.data.command);
		goto out;
	}
	if (base.data.profile && nw.data.profile &&
	    !base.data.profile->exact != !nw.data.profile->exact) {
		pp_cli_say("%s was recorded %s but %s %s: record both the same way",
			   o->base, base.data.profile->exact ? "with --exact" : "by sampling",
			   o->new, nw.data.profile->exact ? "with --exact" : "by sampling");
		goto out;
	}
	dopt.alpha = o->alpha;
	dopt.no_correction = o->no_correction;
	dopt.min_samples = o->min_samples;
	dopt.noise_floor = o->noise_floor;
	dopt.thresholds = o->thr;
	dopt.nthresholds = o->nthr;
	if (pp_diff__compute(&d, &base.data, &nw.data, &dopt, err, sizeof(err)) < 0) {
		pp_cli_say("%s", err);
		goto out;
	}
	c.base_path = o->base;
	c.new_path = o->new;
	c.base = &base.data;
	c.new = &nw.data;
	c.thr = o->thr;
	c.nthr = o->nthr;
	c.d = &d;
	c.min_samples = o->min_samples;
	c.top = o->top;
	missing_text(miss, sizeof(miss), &c);
	if (miss[0])
		pp_cli_say("warning: not compared: %s", miss);

	ops = o->fmt == FMT_JSON ? &json_ops : o->fmt == FMT_MARKDOWN ? &md_ops : &text_ops;
	if (emit(ops, &c, o->output) < 0)
		goto out;
	if (o->junit && emit(&junit_ops, &c, o->junit) < 0)
		goto out;
	if (o->output || o->fmt != FMT_TEXT)
		say_verdict(&c);
	ret = d.nfailed ? EXIT_CROSSED : EXIT_HOLDS;
out:
	pp_diff__free(&d);
	if (loaded) {
		pp_loaded__free(&base);
		pp_loaded__free(&nw);
	}
	return ret;
}

int pp_cmd_diff(int argc, char **argv)
{
	locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0), old = (locale_t)0;
	struct opts o;
	int ret;

	/* numbers in every format are written and read the C way */
	if (c_locale)
		old = uselocale(c_locale);
	pp_log_set(log_to_stderr, NULL);
	ret = parse_args(&o, argc, argv);
	if (ret == 0)
		ret = run(&o);
	else if (ret < 0)
		ret = EXIT_HOLDS;
	opts_free(&o);
	if (c_locale) {
		uselocale(old);
		freelocale(c_locale);
	}
	return ret;
}
