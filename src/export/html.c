/* export/html.c: --html FILE, a self-contained interactive flame graph.
 *
 * The page (flamegraph.html.in: markup, CSS and JS, all ours and all
 * inline) is compiled in as pp_flamegraph_html[]; this file only merges
 * the profile's stacks into a call tree and writes it, as JSON, where the
 * template says @PP_DATA@.  Everything the page shows is computed there
 * from the tree, so that the C side stays small and the tree is the one
 * format to keep stable.
 *
 * The JSON sits inside <script type="application/json">, whose content
 * the HTML parser ends at the first "</script" and treats "<!--"
 * specially; every '<', '>' and '&' in a string is therefore written as
 * \u003c, \u003e, \u0026, so no function name (a Python qualname can be
 * anything a code object carries) can end the block early. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pyperf/export_html.h"

/* pp_flamegraph_html[]: flamegraph.html.in as a NUL-terminated byte
 * array, generated at build time (src/meson.build). */
#include "flamegraph_html.h"

#define NO_FUNC UINT32_MAX /* the root: "all" */

struct node {
	uint32_t func;
	uint32_t parent;
};

/* The merged call tree: one node per (parent, function), so that
 * recursion nests and a node's count is inclusive without double
 * counting.  Node 0 is the root. */
struct tree {
	const struct pp_profile *p;
	size_t nev;
	struct node *nodes;
	uint64_t *counts;        /* nodes x nev, inclusive samples */
	size_t n, cap;
	uint32_t *slot;          /* (parent, func) -> node + 1; 0 = empty */
	size_t slot_cap;
};

static uint64_t key_hash(uint32_t parent, uint32_t func)
{
	uint64_t h = ((uint64_t)parent << 32 | func) * 0x9e3779b97f4a7c15ULL;

	return h ^ (h >> 29);
}

static int tree_rehash(struct tree *t)
{
	size_t ncap = t->slot_cap ? t->slot_cap * 2 : 1024, i;
	uint32_t *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (i = 1; i < t->n; i++) {
		size_t j = key_hash(t->nodes[i].parent, t->nodes[i].func) & (ncap - 1);

		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = (uint32_t)i + 1;
	}
	free(t->slot);
	t->slot = ns;
	t->slot_cap = ncap;
	return 0;
}

static int tree_reserve(struct tree *t)
{
	size_t ncap;
	struct node *nn;
	uint64_t *nc;

	if (t->n < t->cap)
		return 0;
	ncap = t->cap ? t->cap * 2 : 256;
	nn = realloc(t->nodes, ncap * sizeof(*nn));
	if (!nn)
		return -ENOMEM;
	t->nodes = nn;
	nc = realloc(t->counts, ncap * t->nev * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	t->counts = nc;
	t->cap = ncap;
	return 0;
}

/* The child of PARENT for FUNC, created with zero counts; -ENOMEM. */
static int64_t tree_child(struct tree *t, uint32_t parent, uint32_t func)
{
	size_t j;

	if ((t->n + 1) * 2 > t->slot_cap && tree_rehash(t) < 0)
		return -ENOMEM;
	for (j = key_hash(parent, func) & (t->slot_cap - 1); t->slot[j];
	     j = (j + 1) & (t->slot_cap - 1)) {
		const struct node *nd = &t->nodes[t->slot[j] - 1];

		if (nd->parent == parent && nd->func == func)
			return t->slot[j] - 1;
	}
	if (t->n >= UINT32_MAX - 1 || tree_reserve(t) < 0)
		return -ENOMEM;
	t->nodes[t->n].func = func;
	t->nodes[t->n].parent = parent;
	memset(&t->counts[t->n * t->nev], 0, t->nev * sizeof(*t->counts));
	t->slot[j] = (uint32_t)++t->n;
	return (int64_t)t->n - 1;
}

static void tree_add(struct tree *t, size_t node, const uint64_t *samples)
{
	size_t e;

	for (e = 0; e < t->nev; e++)
		t->counts[node * t->nev + e] += samples[e];
}

static int tree_build(struct tree *t, const struct pp_profile *p)
{
	size_t i, e;

	memset(t, 0, sizeof(*t));
	t->p = p;
	t->nev = p ? p->nevents : 0;
	if (!t->nev)
		t->nev = 1; /* keeps the arithmetic simple; counts stay 0 */
	if (tree_reserve(t) < 0)
		return -ENOMEM;
	t->nodes[0].func = NO_FUNC;
	t->nodes[0].parent = NO_FUNC;
	memset(t->counts, 0, t->nev * sizeof(*t->counts));
	t->n = 1;
	if (!p)
		return 0;
	for (i = 0; i < p->nstacks; i++) {
		const struct pp_stack *s = &p->stacks[i];
		uint32_t cur = 0, f;
		int any = 0;

		for (e = 0; e < p->nevents; e++)
			any |= s->samples[e] != 0;
		if (!any)
			continue;
		tree_add(t, 0, s->samples);
		for (f = s->nframes; f-- > 0;) {
			int64_t c = tree_child(t, cur, s->frames[f].func);

			if (c < 0)
				return (int)c;
			cur = (uint32_t)c;
			tree_add(t, cur, s->samples);
		}
	}
	return 0;
}

static void tree_free(struct tree *t)
{
	free(t->nodes);
	free(t->counts);
	free(t->slot);
}

/* Siblings in flamegraph.pl's order: by name, so that the layout does not
 * depend on which event is shown and two runs line up side by side. */
static int child_cmp(const void *a, const void *b, void *arg)
{
	const struct tree *t = arg;
	uint32_t fa = t->nodes[*(const uint32_t *)a].func;
	uint32_t fb = t->nodes[*(const uint32_t *)b].func;
	const struct pp_func *x, *y;
	int c;

	if (fa == fb)
		return 0;
	x = &t->p->funcs[fa];
	y = &t->p->funcs[fb];
	c = strcmp(x->qualname, y->qualname);
	if (!c)
		c = strcmp(x->file, y->file);
	if (!c && x->firstline != y->firstline)
		c = x->firstline < y->firstline ? -1 : 1;
	if (!c)
		c = fa < fb ? -1 : 1;
	return c;
}

/* ORDER[0..n): the nodes in pre-order (a parent before its children,
 * siblings sorted), which lets the page rebuild the tree from the parent
 * array alone.  Iterative: Python stacks can be deeper than ours. */
static int tree_preorder(const struct tree *t, uint32_t *order)
{
	size_t *start = calloc(t->n + 2, sizeof(*start));
	uint32_t *kids = malloc(t->n * sizeof(*kids));
	uint32_t *todo = malloc(t->n * sizeof(*todo));
	size_t i, ntodo = 0, nout = 0;
	int ret = -ENOMEM;

	if (!start || !kids || !todo)
		goto out;
	/* children by parent (CSR): count at k + 2, sum, then fill by
	 * advancing start[k + 1], which leaves the children of k in
	 * kids[start[k] .. start[k + 1]) */
	for (i = 1; i < t->n; i++)
		start[t->nodes[i].parent + 2]++;
	for (i = 2; i < t->n + 2; i++)
		start[i] += start[i - 1];
	for (i = 1; i < t->n; i++)
		kids[start[t->nodes[i].parent + 1]++] = (uint32_t)i;
	for (i = 0; i < t->n; i++)
		if (start[i + 1] - start[i] > 1)
			qsort_r(&kids[start[i]], start[i + 1] - start[i], sizeof(*kids),
				child_cmp, (void *)t);
	todo[ntodo++] = 0;
	while (ntodo) {
		uint32_t nd = todo[--ntodo];
		size_t k;

		order[nout++] = nd;
		for (k = start[nd + 1]; k-- > start[nd];)
			todo[ntodo++] = kids[k];
	}
	ret = 0;
out:
	free(start);
	free(kids);
	free(todo);
	return ret;
}

/* ---- escaping ------------------------------------------------------- */

/* Decodes one UTF-8 sequence at S (not at its NUL) and returns the bytes
 * consumed.  A byte that does not start a well-formed sequence (overlong
 * forms, surrogates and code points past U+10FFFF included) gives one
 * U+FFFD and is consumed alone: the page shows where the damage was. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		goto bad;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return len;
bad:
	*cp = 0xfffd;
	return 1;
}

/* A JSON string, quotes included.  Besides what JSON requires, '<', '>'
 * and '&' are escaped (see the top of the file) and so are U+2028/2029,
 * which older JavaScript parsers took for line ends. */
static void json_str(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	putc('"', out);
	while (*s) {
		uint32_t cp;
		size_t len = utf8_next(s, &cp);

		switch (cp) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		case '<': case '>': case '&': case 0x7f:
		case 0x2028: case 0x2029: case 0xfffd:
			fprintf(out, "\\u%04" PRIx32, cp);
			break;
		default:
			if (cp < 0x20)
				fprintf(out, "\\u%04" PRIx32, cp);
			else
				fwrite(s, 1, len, out);
		}
		s += len;
	}
	putc('"', out);
}

/* Text for an HTML element (the <title>): markup characters as
 * references, control characters as spaces, invalid UTF-8 as U+FFFD. */
static void html_text(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	while (*s) {
		uint32_t cp;
		size_t len = utf8_next(s, &cp);

		if (cp == '&')
			fputs("&amp;", out);
		else if (cp == '<')
			fputs("&lt;", out);
		else if (cp == '>')
			fputs("&gt;", out);
		else if (cp < 0x20 || cp == 0x7f)
			putc(' ', out);
		else if (cp == 0xfffd)
			fputs("&#xfffd;", out);
		else
			fwrite(s, 1, len, out);
		s += len;
	}
}

/* ---- the data block ------------------------------------------------- */

/* perf's evsel__is_clock(): task-clock and cpu-clock count nanoseconds
 * and are printed in msec; a modifier (":u") does not change that. */
static int is_clock(const char *name)
{
	size_t n = strcspn(name, ":/");

	return (n == 10 && !strncmp(name, "task-clock", n)) ||
	       (n == 9 && !strncmp(name, "cpu-clock", n));
}

static void json_events(FILE *out, const struct pp_profile *p)
{
	size_t e;

	fputs("\"events\":[", out);
	for (e = 0; p && e < p->nevents; e++) {
		const struct pp_sampled_event *ev = &p->ev[e];
		int clock = is_clock(ev->name);

		fputs(e ? ",\n{\"name\":" : "\n{\"name\":", out);
		json_str(out, ev->name);
		fprintf(out, ",\"unit\":\"%s\",\"clock\":%s,\"period\":%" PRIu64
			",\"samples\":%" PRIu64 ",\"total\":",
			clock ? "msec" : "", clock ? "true" : "false",
			ev->period, ev->samples);
		/* %.0f prints no radix character, so LC_NUMERIC cannot
		 * reach it; a total is a count (or ns) anyway. */
		if (isfinite(ev->total) && ev->total > 0)
			fprintf(out, "%.0f}", ev->total);
		else
			fputs("null}", out);
	}
	fputs("],\n", out);
}

static int json_tree(FILE *out, const struct tree *t)
{
	const struct pp_profile *p = t->p;
	size_t nfuncs = p ? p->nfuncs : 0, nused = 0, i, e;
	uint32_t *order = malloc(t->n * sizeof(*order));
	uint32_t *newidx = malloc(t->n * sizeof(*newidx));
	int64_t *fmap = malloc((nfuncs ? nfuncs : 1) * sizeof(*fmap));
	int ret;

	ret = -ENOMEM;
	if (!order || !newidx || !fmap)
		goto out;
	ret = tree_preorder(t, order);
	if (ret < 0)
		goto out;
	for (i = 0; i < t->n; i++)
		newidx[order[i]] = (uint32_t)i;
	for (i = 0; i < nfuncs; i++)
		fmap[i] = -1;

	/* only the functions the tree uses, in order of appearance */
	fputs("\"funcs\":[", out);
	for (i = 1; i < t->n; i++) {
		uint32_t f = t->nodes[order[i]].func;
		const struct pp_func *fn = &p->funcs[f];

		if (fmap[f] >= 0)
			continue;
		fmap[f] = (int64_t)nused;
		fputs(nused++ ? ",\n[" : "\n[", out);
		json_str(out, fn->qualname);
		putc(',', out);
		json_str(out, fn->file);
		fprintf(out, ",%d]", fn->firstline);
	}
	fputs("],\n\"tree\":{\"parent\":[-1", out);
	for (i = 1; i < t->n; i++)
		fprintf(out, i % 32 ? ",%" PRIu32 : ",\n%" PRIu32,
			newidx[t->nodes[order[i]].parent]);
	fputs("],\n\"func\":[-1", out);
	for (i = 1; i < t->n; i++)
		fprintf(out, i % 32 ? ",%" PRId64 : ",\n%" PRId64,
			fmap[t->nodes[order[i]].func]);
	fputs("],\n\"samples\":[", out);
	for (e = 0; p && e < p->nevents; e++) {
		fputs(e ? ",\n[" : "\n[", out);
		for (i = 0; i < t->n; i++)
			fprintf(out, i ? (i % 32 ? ",%" PRIu64 : ",\n%" PRIu64) : "%" PRIu64,
				t->counts[order[i] * t->nev + e]);
		putc(']', out);
	}
	fputs("]}", out);
	ret = 0;
out:
	free(order);
	free(newidx);
	free(fmap);
	return ret;
}

static int json_data(FILE *out, const struct pp_report_data *d, const struct tree *t)
{
	const struct pp_profile *p = d->profile;

	fputs("{\"format\":\"pyperf-stat-flamegraph\",\"version\":1,\n\"command\":", out);
	json_str(out, d->command);
	fputs(",\n\"interpreter\":", out);
	if (d->interpreter)
		json_str(out, d->interpreter);
	else
		fputs("null", out);
	fputs(",\n\"note\":", out);
	if (d->attribution_note)
		json_str(out, d->attribution_note);
	else
		fputs("null", out);
	fprintf(out, ",\n\"dropped\":%" PRIu64 ",\"truncated\":%" PRIu64
		",\"unresolved\":%" PRIu64 ",\n",
		p ? p->dropped : 0, p ? p->truncated : 0, p ? p->unresolved : 0);
	json_events(out, p);
	if (json_tree(out, t) < 0)
		return -ENOMEM;
	fputs("}", out);
	return 0;
}

int pp_export__html(FILE *out, const struct pp_report_data *d)
{
	static const char data_mark[] = "@PP_DATA@", title_mark[] = "@PP_TITLE@";
	const char *tpl = (const char *)pp_flamegraph_html, *at;
	struct tree t;
	int ret;

	ret = tree_build(&t, d->profile);
	if (ret < 0)
		goto out;
	while ((at = strchr(tpl, '@'))) {
		fwrite(tpl, 1, (size_t)(at - tpl), out);
		if (!strncmp(at, data_mark, sizeof(data_mark) - 1)) {
			ret = json_data(out, d, &t);
			if (ret < 0)
				goto out;
			tpl = at + sizeof(data_mark) - 1;
		} else if (!strncmp(at, title_mark, sizeof(title_mark) - 1)) {
			fputs("pyperf-stat: ", out);
			html_text(out, d->command);
			tpl = at + sizeof(title_mark) - 1;
		} else {
			putc('@', out);
			tpl = at + 1;
		}
	}
	fputs(tpl, out);
	ret = fflush(out) || ferror(out) ? -EIO : 0;
out:
	tree_free(&t);
	return ret;
}
