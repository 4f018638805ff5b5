/* report/func.c: the per-function (and per-line) breakdown that follows
 * perf's totals.
 *
 * A function's figure for an event is its share of that event's samples
 * times the counted total (DESIGN.md decision 1), so that the rows add up
 * to what perf stat prints above them; without a counted total it is
 * samples x period.  Beside it the text table prints the sampling error of
 * that share, about 1/sqrt(samples) (DESIGN.md decision 2). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"

/* Rows resting on fewer samples of the sort event than this are flagged. */
#define FEW_SAMPLES 10

/* util/color.h: perf report colours a percentage red from 5%, green from
 * 0.5%. */
#define MIN_RED   5.0
#define MIN_GREEN 0.5

/* ----------------------------------------------------------- escaping */

/* Length of the valid UTF-8 sequence at S (1-4), or 0 when invalid:
 * overlong forms, surrogates and code points past U+10FFFF included. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void pp_json_puts(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0) {
			fputs("\\ufffd", out);
			p++;
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, out);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':  fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
		p++;
	}
}

void pp_csv_puts(FILE *out, const char *s, const char *sep)
{
	const char *p;

	if (!(*sep && strstr(s, sep)) && !strpbrk(s, "\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (p = s; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

char *pp_text_clean(const char *s, size_t *width)
{
	const unsigned char *p = (const unsigned char *)s;
	char *buf = malloc(strlen(s) + 1), *o = buf;
	size_t w = 0;

	if (!buf)
		return NULL;
	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			*o++ = '?';
			p++;
		} else {
			memcpy(o, p, n);
			o += n;
			p += n;
		}
		w++;
	}
	*o = 0;
	*width = w;
	return buf;
}

/* ------------------------------------------------------- row contents */

static const char *const special_names[PP_FUNC_FIRST_USER] = {
	[PP_FUNC_UNRESOLVED] = "<unresolved code>",
	[PP_FUNC_TRUNCATED] = "<truncated>",
	[PP_FUNC_NATIVE] = "<native>",
	[PP_FUNC_UNSAMPLED] = "<not sampled>",
};

struct row_id {
	const char *name;
	const char *file;  /* "" when none */
	int line;          /* definition line (functions), sampled line (lines) */
};

static struct row_id row_id(const struct pp_report *r, const struct pp_func_sum *s)
{
	const struct pp_profile *p = r->data->profile;
	struct row_id id = { "<unknown>", "", 0 };

	if (s->func == PP_FUNC_UNSAMPLED && p->exact) {
		/* start-up, our hooks' cost, time outside any Python call */
		id.name = "<not in a Python call>";
	} else if (s->func < PP_FUNC_FIRST_USER) {
		id.name = special_names[s->func];
	} else if (s->func < p->nfuncs) {
		const struct pp_func *f = &p->funcs[s->func];

		id.name = f->qualname ? f->qualname : "?";
		id.file = f->file ? f->file : "";
		id.line = f->firstline;
	}
	if (r->scope == PP_REPORT_LINES)
		id.line = s->line;
	return id;
}

/* Whether event E of the profile counts time (ns): then it prints in
 * msec like perf's task-clock.  A totals row of the same name knows for
 * sure; else the name does. */
static int event_is_clock(const struct pp_report *r, size_t e)
{
	const char *name = r->data->profile->ev[e].name;
	size_t i;

	for (i = 0; i < r->data->nrows; i++)
		if (r->data->rows[i].name && !strcmp(r->data->rows[i].name, name))
			return pp_row_is_clock(&r->data->rows[i]);
	return pp_event_name_is_clock(name);
}

/* The estimated amount of event E behind SAMPLES of its samples, in the
 * event's unit (ns for clocks). */
static double estimate(const struct pp_report *r, size_t e, uint64_t samples)
{
	const struct pp_sampled_event *ev = &r->data->profile->ev[e];

	if (ev->total > 0 && ev->samples > 0)
		return ev->total * ((double)samples / (double)ev->samples);
	return (double)samples * (double)ev->period;
}

static double share(const struct pp_report *r, size_t e, uint64_t samples)
{
	uint64_t all = r->data->profile->ev[e].samples;

	return all ? 100.0 * (double)samples / (double)all : 0.0;
}

static size_t sort_event(const struct pp_report *r)
{
	const struct pp_profile *p = r->data->profile;
	int e = r->opt->sort_event;

	return e >= 0 && (size_t)e < p->nevents ? (size_t)e : 0;
}

static int split(const struct pp_report *r)
{
	return !!(r->opt->sum_flags & (PP_SUM_PER_THREAD | PP_SUM_PER_PROCESS));
}

/* ------------------------------------------------------------ metrics */

/* perf stat's # metrics, per row, from the row's own self estimates.  A
 * sampled event is known only by its name (pp_sampled_event has no attr),
 * so events pair by name: the part before any ':' modifiers names the
 * event, and both events of a ratio must carry the same modifiers, as
 * perf's stat-shadow pairs them. */
enum metric_kind { M_IPC, M_MPKI, M_CACHE, M_BRANCH, M_SHARE };

static const struct metric_def {
	const char *num[2], *den[2];  /* accepted names, NULL-padded */
	double scale;
	const char *fmt;
} metric_defs[] = {
	[M_IPC]    = { { "instructions" }, { "cycles", "cpu-cycles" }, 1,
		       "%.2f insn per cycle" },
	[M_MPKI]   = { { "cache-misses" }, { "instructions" }, 1000, "%.2f MPKI" },
	[M_CACHE]  = { { "cache-misses" }, { "cache-references" }, 100,
		       "%.2f%% of cache refs" },
	[M_BRANCH] = { { "branch-misses" }, { "branches", "branch-instructions" }, 100,
		       "%.2f%% branch miss" },
};
#define NRATIOS (sizeof(metric_defs) / sizeof(metric_defs[0]))

/* A metric needs this many self samples behind each estimate it uses. */
#define METRIC_MIN_SAMPLES 10

struct metric {
	enum metric_kind kind;
	size_t num, den;       /* event indexes; den unused for M_SHARE */
};

struct metric_set {
	size_t n;
	struct metric m[NRATIOS];
};

static int name_is(const char *name, const char *const names[2])
{
	size_t n = strcspn(name, ":"), i;

	for (i = 0; i < 2 && names[i]; i++)
		if (strlen(names[i]) == n && !strncmp(name, names[i], n))
			return 1;
	return 0;
}

static int same_modifiers(const char *a, const char *b)
{
	return !strcmp(a + strcspn(a, ":"), b + strcspn(b, ":"));
}

/* The ratios the sampled events allow, in perf's order; else the share
 * of the first event. */
static void metric_set(const struct pp_profile *p, struct metric_set *ms)
{
	size_t k, a, b;

	ms->n = 0;
	for (k = 0; k < NRATIOS; k++) {
		int found = 0;

		for (a = 0; a < p->nevents && !found; a++)
			for (b = 0; b < p->nevents && !found; b++)
				if (a != b && !(p->exact && ((int)a == p->calls_event ||
							       (int)b == p->calls_event)) &&
				    name_is(p->ev[a].name, metric_defs[k].num) &&
				    name_is(p->ev[b].name, metric_defs[k].den) &&
				    same_modifiers(p->ev[a].name, p->ev[b].name)) {
					ms->m[ms->n++] = (struct metric){ k, a, b };
					found = 1;
				}
	}
	if (!ms->n && p->nevents)
		ms->m[ms->n++] = (struct metric){ M_SHARE, 0, 0 };
}

/* The metric's text for row S into BUF, or "" when its samples are too
 * few to mean anything. */
static void metric_text(const struct pp_report *r, const struct metric *m,
			const struct pp_func_sum *s, char *buf, size_t len)
{
	const struct pp_profile *p = r->data->profile;
	double num, den;

	buf[0] = 0;
	if (s->self[m->num] < METRIC_MIN_SAMPLES)
		return;
	if (m->kind == M_SHARE) {
		snprintf(buf, len, "%.1f%% of %s", share(r, m->num, s->self[m->num]),
			 p->ev[m->num].name);
		return;
	}
	if (s->self[m->den] < METRIC_MIN_SAMPLES)
		return;
	num = estimate(r, m->num, s->self[m->num]);
	den = estimate(r, m->den, s->self[m->den]);
	if (den > 0)
		snprintf(buf, len, metric_defs[m->kind].fmt,
			 metric_defs[m->kind].scale * num / den);
}

/* --------------------------------------------------------------- sort */

struct sort_ctx {
	const struct pp_func_sum *sums;
	int e;
};

static int sum_order(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct pp_func_sum *x = &c->sums[*(const size_t *)a];
	const struct pp_func_sum *y = &c->sums[*(const size_t *)b];

	if (x->self[c->e] != y->self[c->e])
		return x->self[c->e] > y->self[c->e] ? -1 : 1;
	if (x->total[c->e] != y->total[c->e])
		return x->total[c->e] > y->total[c->e] ? -1 : 1;
	if (x->func != y->func)
		return x->func < y->func ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return 0;
}

void pp_func__sort(const struct pp_func_sum *sums, size_t *index, size_t n,
		   int sort_event)
{
	struct sort_ctx c = { sums, sort_event };

	if (c.e < 0 || c.e >= PP_PROFILE_MAX_EVENTS)
		c.e = 0;
	qsort_r(index, n, sizeof(*index), sum_order, &c);
}

/* ---------------------------------------------------- CSV and JSON rows */

static const char *scope_name(const struct pp_report *r)
{
	return r->scope == PP_REPORT_LINES ? "line" : "function";
}

/* msec to the ns, or a whole count. */
static void fmt_amount(char *buf, size_t len, const struct pp_report *r,
		       size_t e, uint64_t samples)
{
	double v = estimate(r, e, samples);

	if (event_is_clock(r, e))
		snprintf(buf, len, "%.6f", v * 1e-6);
	else
		snprintf(buf, len, "%.0f", v);
}

void pp_func__csv_row(struct pp_report *r, const struct pp_func_sum *sum)
{
	const struct pp_profile *p = r->data->profile;
	const char *sep = r->opt->sep;
	struct row_id id = row_id(r, sum);
	char self[64], total[64];
	size_t e;

	for (e = 0; e < p->nevents; e++) {
		fmt_amount(self, sizeof(self), r, e, sum->self[e]);
		fmt_amount(total, sizeof(total), r, e, sum->total[e]);
		fprintf(r->out, "%s%s", scope_name(r), sep);
		pp_csv_puts(r->out, id.name, sep);
		fputs(sep, r->out);
		pp_csv_puts(r->out, id.file, sep);
		fprintf(r->out, "%s%d%s", sep, id.line, sep);
		pp_csv_puts(r->out, p->ev[e].name, sep);
		fprintf(r->out, "%s%s%s%s%s%.2f%s%s%s%.2f%s%" PRIu64,
			sep, event_is_clock(r, e) ? "msec" : "",
			sep, self, sep, share(r, e, sum->self[e]),
			sep, total, sep, share(r, e, sum->total[e]),
			sep, sum->self[e]);
		if (split(r))
			fprintf(r->out, "%s%" PRIu32 "%s%" PRIu32, sep, sum->pid, sep, sum->tid);
		fputc('\n', r->out);
	}
}

void pp_func__json_row(struct pp_report *r, const struct pp_func_sum *sum)
{
	const struct pp_profile *p = r->data->profile;
	struct row_id id = row_id(r, sum);
	char self[64], total[64];
	FILE *out = r->out;
	size_t e;

	for (e = 0; e < p->nevents; e++) {
		fmt_amount(self, sizeof(self), r, e, sum->self[e]);
		fmt_amount(total, sizeof(total), r, e, sum->total[e]);
		fprintf(out, "{\"scope\" : \"%s\", \"function\" : \"", scope_name(r));
		pp_json_puts(out, id.name);
		fputs("\", \"file\" : \"", out);
		pp_json_puts(out, id.file);
		fprintf(out, "\", \"line\" : %d, \"event\" : \"", id.line);
		pp_json_puts(out, p->ev[e].name);
		fprintf(out, "\", \"unit\" : \"%s\", \"self\" : %s, \"self-percent\" : %.2f, "
			"\"total\" : %s, \"total-percent\" : %.2f, \"samples\" : %" PRIu64,
			event_is_clock(r, e) ? "msec" : "", self, share(r, e, sum->self[e]),
			total, share(r, e, sum->total[e]), sum->self[e]);
		if (split(r))
			fprintf(out, ", \"pid\" : %" PRIu32 ", \"tid\" : %" PRIu32,
				sum->pid, sum->tid);
		fputs("}\n", out);
	}
}

/* --------------------------------------------------------------- text */

static void fail(struct pp_report *r, int err)
{
	struct pp_report_state *st = r->priv;

	if (!st->err)
		st->err = err;
}

void pp_func__text_add(struct pp_report *r, const struct pp_func_sum *sum)
{
	struct pp_report_state *st = r->priv;
	size_t s = r->scope < PP_REPORT_NSCOPES ? r->scope : 0;

	if (st->nrows[s] == st->cap[s]) {
		size_t ncap = st->cap[s] ? 2 * st->cap[s] : 64;
		struct pp_func_sum *n = realloc(st->rows[s], ncap * sizeof(*n));

		if (!n) {
			fail(r, -ENOMEM);
			return;
		}
		st->rows[s] = n;
		st->cap[s] = ncap;
	}
	st->rows[s][st->nrows[s]++] = *sum;
	st->avail[s] = r->scope_rows > st->nrows[s] ? r->scope_rows : st->nrows[s];
}

void pp_func__free(struct pp_report_state *st)
{
	size_t s;

	for (s = 0; s < PP_REPORT_NSCOPES; s++) {
		free(st->rows[s]);
		st->rows[s] = NULL;
		st->nrows[s] = st->cap[s] = 0;
	}
}

/* FILE relative to CWD when that is shorter, into BUF. */
static const char *rel_path(const char *file, const char *cwd, char *buf, size_t len)
{
	size_t cl, i, k = 0, ups = 0, o = 0;

	if (!cwd || cwd[0] != '/' || file[0] != '/')
		return file;
	cl = strlen(cwd);
	while (cl > 1 && cwd[cl - 1] == '/')
		cl--;
	/* K: the last '/' up to which FILE and CWD agree */
	for (i = 0; i < cl && file[i] == cwd[i]; i++)
		if (cwd[i] == '/')
			k = i;
	if (i == cl && cl == 1)
		k = 0;                  /* cwd is "/" */
	else if (i == cl && file[cl] == '/')
		k = cl;                 /* FILE is under CWD */
	for (i = k + 1; i < cl; i++)
		if (cwd[i] != '/' && cwd[i - 1] == '/')
			ups++;
	for (i = 0; i < ups && o + 3 < len; i++) {
		memcpy(buf + o, "../", 3);
		o += 3;
	}
	snprintf(buf + o, len - o, "%s", file + k + 1);
	return strlen(buf) < strlen(file) ? buf : file;
}

/* One cell of the table: its text and how many columns it takes. */
struct cell {
	char *text;
	size_t width;
	const char *color;
};

enum align { RIGHT, LEFT };

/* Row 0 holds the titles. */
struct table {
	size_t ncols, nrows;   /* nrows counts the title row */
	enum align *align;
	size_t *width;
	struct cell *cells;    /* nrows x ncols */
	const char **mark;     /* per row: trailing note, or NULL */
	struct metric_set ms;  /* the # columns */
};

static struct cell *cell(const struct table *t, size_t row, size_t col)
{
	return &t->cells[row * t->ncols + col];
}

static int put(struct table *t, size_t row, size_t col, const char *text,
	       const char *color)
{
	struct cell *c = cell(t, row, col);

	c->text = pp_text_clean(text, &c->width);
	c->color = color;
	return c->text ? 0 : -ENOMEM;
}

static void table_free(struct table *t)
{
	size_t i;

	if (t->cells)
		for (i = 0; i < t->nrows * t->ncols; i++)
			free(t->cells[i].text);
	free(t->cells);
	free(t->align);
	free(t->width);
	free(t->mark);
}

static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

/* Columns are separated by two spaces.  A row ends without trailing
 * spaces unless a mark follows, which is aligned past the last column. */
static void table_print(FILE *out, const struct table *t, int color)
{
	size_t r, c, spaces;

	for (r = 0; r < t->nrows; r++) {
		spaces = 0;
		fputc(' ', out);
		for (c = 0; c < t->ncols; c++) {
			const struct cell *x = cell(t, r, c);

			if (c)
				spaces += 2;
			if (t->align[c] == RIGHT)
				spaces += t->width[c] - x->width;
			if (x->width) {
				pad(out, spaces);
				spaces = 0;
				if (color && x->color)
					fprintf(out, "%s%s%s", x->color, x->text, PP_COLOR_RESET);
				else
					fputs(x->text, out);
			}
			if (t->align[c] == LEFT)
				spaces += t->width[c] - x->width;
		}
		if (t->mark[r]) {
			pad(out, spaces);
			fprintf(out, "  %s", t->mark[r]);
		}
		fputc('\n', out);
	}
}

static const char *percent_color(double pct)
{
	if (pct >= MIN_RED)
		return PP_COLOR_RED;
	if (pct >= MIN_GREEN)
		return PP_COLOR_GREEN;
	return NULL;
}

/* Columns per event: value, +-error, self%, total%, samples; in an exact
 * profile value, self%, total%, and one calls column after the events.
 * Then '#' and one column per metric. */
#define EVENT_COLS 5
#define EXACT_COLS 3

static int is_calls(const struct pp_profile *p, size_t e)
{
	return p->exact && (int)e == p->calls_event;
}

static size_t event_cols(const struct pp_profile *p)
{
	size_t n = 0, e;

	for (e = 0; e < p->nevents; e++)
		n += is_calls(p, e) ? 1 : p->exact ? EXACT_COLS : EVENT_COLS;
	return n;
}

static size_t metric_cols(const struct table *t)
{
	return t->ms.n ? 1 + t->ms.n : 0;
}

static int put_titles(struct pp_report *r, struct table *t, size_t ids)
{
	const struct pp_profile *p = r->data->profile;
	char buf[300];
	size_t e, c, col = 0;

	for (e = 0; e < p->nevents; e++) {
		if (is_calls(p, e)) {
			if (put(t, 0, col++, "calls", NULL))
				return -ENOMEM;
			continue;
		}
		snprintf(buf, sizeof(buf), "%s%s", p->ev[e].name,
			 event_is_clock(r, e) ? " msec" : "");
		if (put(t, 0, col++, buf, NULL) ||
		    (!p->exact && put(t, 0, col++, "+-", NULL)) ||
		    put(t, 0, col++, "self%", NULL) || put(t, 0, col++, "total%", NULL) ||
		    (!p->exact && put(t, 0, col++, "samples", NULL)))
			return -ENOMEM;
	}
	if (ids && put(t, 0, col++, "pid", NULL))
		return -ENOMEM;
	if (ids > 1 && put(t, 0, col++, "tid", NULL))
		return -ENOMEM;
	if (put(t, 0, col, "function", NULL) || put(t, 0, col + 1, "location", NULL))
		return -ENOMEM;
	t->align[col] = t->align[col + 1] = LEFT;
	col += 2;
	if (t->ms.n && put(t, 0, col, "#", NULL))
		return -ENOMEM;
	for (c = 1; c < metric_cols(t); c++)
		if (put(t, 0, col + c, "", NULL))
			return -ENOMEM;
	return 0;
}

static int put_row(struct pp_report *r, struct table *t, size_t row,
		   const struct pp_func_sum *s, size_t ids)
{
	const struct pp_profile *p = r->data->profile;
	struct row_id id = row_id(r, s);
	size_t e, m, col = 0;
	char buf[4200], path[4096];
	/* With opt->color (table_print decides): <...> rows faint, the top
	 * row's name bold. */
	const char *dim = s->func < PP_FUNC_FIRST_USER ? PP_COLOR_DIM : NULL;
	const char *name_color = dim ? dim : row == 1 ? PP_COLOR_BOLD : NULL;
	int err = 0, any = 0;

	for (e = 0; e < p->nevents && !err; e++) {
		int clock = event_is_clock(r, e);
		double v = estimate(r, e, s->self[e]), self_pct = share(r, e, s->self[e]);

		if (is_calls(p, e)) {
			pp_fmt_num(buf, sizeof(buf), (double)s->self[e], 0, 1);
			err |= put(t, row, col++, buf, dim);
			continue;
		}
		/* Our own table, not perf's: counts always grouped by three
		 * (pp_fmt_num never asks the locale); clocks in msec with two
		 * decimals, ungrouped, as perf's msec column reads. */
		pp_fmt_num(buf, sizeof(buf), clock ? v * 1e-6 : v, clock ? 2 : 0, !clock);
		err |= put(t, row, col++, buf, dim);
		if (!p->exact) {
			if (s->self[e])
				snprintf(buf, sizeof(buf), "%.1f%%", 100.0 / sqrt((double)s->self[e]));
			else
				snprintf(buf, sizeof(buf), "-");
			err |= put(t, row, col++, buf, dim);
		}
		snprintf(buf, sizeof(buf), "%.2f%%", self_pct);
		err |= put(t, row, col++, buf, dim ? dim : percent_color(self_pct));
		snprintf(buf, sizeof(buf), "%.2f%%", share(r, e, s->total[e]));
		err |= put(t, row, col++, buf, dim);
		if (!p->exact) {
			snprintf(buf, sizeof(buf), "%" PRIu64, s->self[e]);
			err |= put(t, row, col++, buf, dim);
		}
	}
	if (ids) {
		snprintf(buf, sizeof(buf), "%" PRIu32, s->pid);
		err |= put(t, row, col++, buf, dim);
	}
	if (ids > 1) {
		snprintf(buf, sizeof(buf), "%" PRIu32, s->tid);
		err |= put(t, row, col++, buf, dim);
	}
	err |= put(t, row, col, id.name, name_color);
	buf[0] = 0;
	if (id.file[0]) {
		const char *f = rel_path(id.file, r->opt->cwd, path, sizeof(path));

		if (id.line > 0)
			snprintf(buf, sizeof(buf), "%s:%d", f, id.line);
		else
			snprintf(buf, sizeof(buf), "%s", f);
	}
	err |= put(t, row, col + 1, buf, dim);
	/* perf's "# metric" comes after what the row names */
	col += 2;
	for (m = 0; m < t->ms.n; m++) {
		metric_text(r, &t->ms.m[m], s, buf, sizeof(buf));
		any |= !!buf[0];
		err |= put(t, row, col + 1 + m, buf, dim);
	}
	if (t->ms.n)
		err |= put(t, row, col, any ? "#" : "", dim);
	if (!p->exact && s->total[sort_event(r)] < FEW_SAMPLES)
		t->mark[row] = "(few samples)";
	return err ? -ENOMEM : 0;
}

static int build_table(struct pp_report *r, size_t scope, struct table *t)
{
	const struct pp_report_state *st = r->priv;
	const struct pp_profile *p = r->data->profile;
	size_t ids = (size_t)split(r) + !!(r->opt->sum_flags & PP_SUM_PER_THREAD);
	size_t i, c;

	memset(t, 0, sizeof(*t));
	t->nrows = st->nrows[scope] + 1;
	metric_set(p, &t->ms);
	t->ncols = event_cols(p) + metric_cols(t) + ids + 2;
	t->align = calloc(t->ncols, sizeof(*t->align));
	t->width = calloc(t->ncols, sizeof(*t->width));
	t->cells = calloc(t->nrows * t->ncols, sizeof(*t->cells));
	t->mark = calloc(t->nrows, sizeof(*t->mark));
	if (!t->align || !t->width || !t->cells || !t->mark)
		return -ENOMEM;
	if (put_titles(r, t, ids))
		return -ENOMEM;
	for (i = 1; i < t->nrows; i++)
		if (put_row(r, t, i, &st->rows[scope][i - 1], ids))
			return -ENOMEM;
	for (c = 0; c < t->ncols; c++)
		for (i = 0; i < t->nrows; i++)
			if (cell(t, i, c)->width > t->width[c])
				t->width[c] = cell(t, i, c)->width;
	return 0;
}

/* The rest of the header line of an exact profile. */
static void exact_header(struct pp_report *r)
{
	const struct pp_profile *p = r->data->profile;
	char num[64];
	size_t e;
	int first = 1;

	fputs(" (exact:", r->out);
	for (e = 0; e < p->nevents; e++) {
		if (is_calls(p, e))
			continue;
		fprintf(r->out, "%s %s", first ? "" : ",", p->ev[e].name);
		first = 0;
	}
	fputs(" read at every Python call and return", r->out);
	if (p->calls_event >= 0) {
		pp_fmt_num(num, sizeof(num), (double)p->ev[p->calls_event].samples, 0, 1);
		fprintf(r->out, "; %s calls", num);
	}
	if (r->data->interpreter)
		fprintf(r->out, "; interpreter %s", r->data->interpreter);
	fputs(")\n\n", r->out);
}

/* Footer of an exact profile: what the hooks cost and what was taken
 * out, and how many events were lost. */
static void exact_footer(struct pp_report *r)
{
	const struct pp_profile *p = r->data->profile;
	FILE *out = r->out;
	size_t e;

	fprintf(out, " Hooks: %" PRIu64 " intervals;", p->exact_hooks);
	for (e = 0; e < p->nevents; e++) {
		double per, all = p->ev[e].total > 0 ? p->ev[e].total * (r->data->runs > 0 ?
			r->data->runs : 1) :
			(double)p->ev[e].samples + p->exact_cost[e];

		if (is_calls(p, e))
			continue;
		per = p->exact_hooks ? p->exact_cost[e] / (double)p->exact_hooks : 0;
		if (event_is_clock(r, e))
			fprintf(out, " %s subtracted %.2f msec (%.1f%%, %.0f ns per interval);",
				p->ev[e].name, p->exact_cost[e] * 1e-6,
				all > 0 ? 100.0 * p->exact_cost[e] / all : 0.0, per);
		else
			fprintf(out, " %s subtracted %.0f (%.1f%%, %.1f per interval);",
				p->ev[e].name, p->exact_cost[e],
				all > 0 ? 100.0 * p->exact_cost[e] / all : 0.0, per);
	}
	fprintf(out, " %" PRIu64 " lost; %" PRIu64 " calls past --depth",
		p->dropped, p->truncated);
	if (p->unresolved)
		fprintf(out, "; %" PRIu64 " unresolved", p->unresolved);
}

static void text_header(struct pp_report *r)
{
	const struct pp_profile *p = r->data->profile;
	FILE *out = r->out;
	char num[64];
	size_t e;

	fputs(" Per-function breakdown", out);
	if (r->data->command) {
		char *cmd;
		size_t w;

		cmd = pp_text_clean(r->data->command, &w);
		if (!cmd) {
			fail(r, -ENOMEM);
			return;
		}
		fprintf(out, " of '%s'", cmd);
		free(cmd);
	}
	if (p->exact) {
		exact_header(r);
		return;
	}
	fputs(" (sampled:", out);
	for (e = 0; e < p->nevents; e++) {
		const struct pp_sampled_event *ev = &p->ev[e];

		if (event_is_clock(r, e))
			fprintf(out, "%s %s every %.2f msec", e ? ";" : "", ev->name,
				(double)ev->period * 1e-6);
		else {
			pp_fmt_num(num, sizeof(num), (double)ev->period, 0, 1);
			fprintf(out, "%s %s every %s", e ? ";" : "", ev->name, num);
		}
		pp_fmt_num(num, sizeof(num), (double)ev->samples, 0, 1);
		fprintf(out, ", %s samples", num);
		if (!(ev->total > 0))
			fputs(", not scaled to a count", out);
	}
	if (!p->nevents)
		fputs(" nothing", out);
	if (r->data->interpreter)
		fprintf(out, "; interpreter %s", r->data->interpreter);
	fputs(")\n\n", out);
}

static void text_table(struct pp_report *r, enum pp_report_scope scope)
{
	const struct pp_report_state *st = r->priv;
	struct table t;
	int err;

	r->scope = scope; /* row_id() reads it */
	if (!st->nrows[scope]) {
		fputs(" (no samples)\n", r->out);
		return;
	}
	err = build_table(r, scope, &t);
	if (err)
		fail(r, err);
	else
		table_print(r->out, &t, r->opt->color);
	table_free(&t);
}

/* The profiler's share of the measured time, in percent, or -1 when the
 * cost of a sample is unknown or there is no time to compare with.
 *
 * Every sample taken, dropped ones included (the kernel took the overflow
 * and the agent may have walked the stack before the record was lost),
 * costs the target about cost_per_sample_us of CPU time.  The samples are
 * those of all runs, so the time they are set against is that of all
 * runs too: the counted task-clock (or cpu-clock), the CPU time the target
 * used, which is what samples are spent in and which counts multithreaded
 * targets right; without one, the wall time.  The measured time already
 * holds the overhead, so this is the share of it spent in the profiler:
 *
 *     (samples x cost_us x 1e-6 + agent thread CPU s) / (time_s per run x runs)  */
static double overhead_pct(const struct pp_report *r, uint64_t samples)
{
	const struct pp_report_data *d = r->data;
	double time_s = d->elapsed_s;
	int runs = d->runs > 0 ? d->runs : 1;
	size_t i;

	if (!(d->cost_per_sample_us > 0))
		return -1;
	for (i = 0; i < d->nrows; i++)
		if (pp_row_is_clock(&d->rows[i]) && d->rows[i].status == PP_COUNT_OK &&
		    d->rows[i].value > 0) {
			time_s = d->rows[i].value * 1e-9;
			break;
		}
	if (!(time_s > 0))
		return -1;
	/* the agent's resolver thread runs beside the program: its CPU time
	 * is overhead too */
	return 100.0 * ((double)samples * d->cost_per_sample_us * 1e-6 +
			(double)d->profile->agent_cpu_ns * 1e-9) / (time_s * runs);
}

static void text_footer(struct pp_report *r)
{
	const struct pp_report_state *st = r->priv;
	const struct pp_profile *p = r->data->profile;
	FILE *out = r->out;
	uint64_t taken = p->dropped;
	double pct;
	size_t e;

	if (p->exact) {
		exact_footer(r);
		goto rows;
	}
	fputs(" Samples:", out);
	for (e = 0; e < p->nevents; e++) {
		/* samples really taken: <not sampled> holds a remainder of the
		 * counted total, in periods, not samples. Plain digits, like
		 * the dropped count, for whoever parses this line. */
		uint64_t n = p->ev[e].samples - pp_profile__unsampled(p, (int)e);

		fprintf(out, "%s %" PRIu64 " %s", e ? "," : "", n, p->ev[e].name);
		taken += n;
	}
	if (!p->nevents)
		fputs(" none", out);
	fprintf(out, "; %" PRIu64 " dropped; %" PRIu64 " truncated stacks",
		p->dropped, p->truncated);
	if (p->folded)
		fprintf(out, "; %" PRIu64 " folded past the stack limit", p->folded);
	/* periods the kernel raised no signal for: no handler ran for them */
	if (p->recovered) {
		fprintf(out, "; %" PRIu64 " periods inside long system calls", p->recovered);
		taken = taken > p->recovered ? taken - p->recovered : 0;
	}
	if (p->unresolved)
		fprintf(out, "; %" PRIu64 " unresolved frames", p->unresolved);
	pct = overhead_pct(r, taken);
	if (pct >= 0.05)
		fprintf(out, "; estimated profiler overhead %.1f%% (~%.3g us per sample",
			pct, r->data->cost_per_sample_us);
	else if (pct >= 0)
		fprintf(out, "; estimated profiler overhead <0.1%% (~%.3g us per sample",
			r->data->cost_per_sample_us);
	if (pct >= 0 && p->agent_cpu_ns)
		fprintf(out, ", agent thread %.2f msec", (double)p->agent_cpu_ns * 1e-6);
	if (pct >= 0)
		fputc(')', out);
rows:
	if (st->avail[PP_REPORT_FUNCTIONS] > st->nrows[PP_REPORT_FUNCTIONS])
		fprintf(out, "; top %zu of %zu functions", st->nrows[PP_REPORT_FUNCTIONS],
			st->avail[PP_REPORT_FUNCTIONS]);
	if (r->opt->lines && st->avail[PP_REPORT_LINES] > st->nrows[PP_REPORT_LINES])
		fprintf(out, "; top %zu of %zu lines", st->nrows[PP_REPORT_LINES],
			st->avail[PP_REPORT_LINES]);
	fputs("\n\n", out);
}

void pp_func__text_end(struct pp_report *r)
{
	text_header(r);
	text_table(r, PP_REPORT_FUNCTIONS);
	if (r->opt->lines) {
		fputs("\n Per-line breakdown:\n\n", r->out);
		text_table(r, PP_REPORT_LINES);
	}
	fputc('\n', r->out);
	text_footer(r);
}
