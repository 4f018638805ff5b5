/* report/: what the totals part (stat.c) and the per-function part
 * (func.c) share.  Not installed; only src/report/ includes it. */
#ifndef PYPERF_REPORT_PRIV_H
#define PYPERF_REPORT_PRIV_H

#include <stddef.h>
#include <stdio.h>

#include "pyperf/report.h"

/* perf's util/color.h escapes, used by the text format when opt->color. */
#define PP_COLOR_RED     "\033[31m"
#define PP_COLOR_GREEN   "\033[32m"
#define PP_COLOR_YELLOW  "\033[33m"
#define PP_COLOR_MAGENTA "\033[35m"
#define PP_COLOR_RESET   "\033[m"
/* SGR bold and faint: the per-function table's top row and <...> rows. */
#define PP_COLOR_BOLD    "\033[1m"
#define PP_COLOR_DIM     "\033[2m"

/* r->priv of every format. */
struct pp_report_state {
	int err;                         /* first -errno met while writing */
	/* text: per-function rows are buffered so that columns can be sized */
	struct pp_func_sum *rows[PP_REPORT_NSCOPES];
	size_t nrows[PP_REPORT_NSCOPES], cap[PP_REPORT_NSCOPES];
	size_t avail[PP_REPORT_NSCOPES]; /* rows before the top-N cut */
};

/* --- numbers, locale-independent once pp_report__write runs ------------ */

/* Writes V with PREC decimals into BUF, grouping the integer part's
 * digits by three with ',' when GROUP (perf -B in an en_US locale). */
void pp_fmt_num(char *buf, size_t len, double v, int prec, int group);

/* --- event identity --------------------------------------------------- */

/* task-clock or cpu-clock: perf's evsel__is_clock(). */
int pp_row_is_clock(const struct pp_stat_row *row);
/* For a sampled event, known only by name: a clock (values in ns)? */
int pp_event_name_is_clock(const char *name);

/* --- escaping ---------------------------------------------------------- */

/* JSON string body (no quotes): ", \ and control characters escaped,
 * invalid UTF-8 replaced by \ufffd. */
void pp_json_puts(FILE *out, const char *s);
/* CSV field: quoted (quotes doubled) when it holds SEP, a quote, CR or LF. */
void pp_csv_puts(FILE *out, const char *s, const char *sep);
/* Copy of S safe for a terminal table: control characters and invalid
 * UTF-8 become '?'.  Sets *WIDTH to its column count (code points). */
char *pp_text_clean(const char *s, size_t *width);

/* --- per-function part (func.c), called by the ops of stat.c ---------- */

void pp_func__text_add(struct pp_report *r, const struct pp_func_sum *sum);
void pp_func__text_end(struct pp_report *r);
void pp_func__csv_row(struct pp_report *r, const struct pp_func_sum *sum);
void pp_func__json_row(struct pp_report *r, const struct pp_func_sum *sum);
void pp_func__free(struct pp_report_state *st);

/* Sorts INDEX[0..n) (into SUMS) by self samples of SORT_EVENT, descending;
 * ties by inclusive samples, then by id, line, pid, tid, so that the
 * order never depends on the input's. */
void pp_func__sort(const struct pp_func_sum *sums, size_t *index, size_t n,
		   int sort_event);

#endif
