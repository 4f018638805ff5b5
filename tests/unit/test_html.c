/* --html: one self-contained file, its data block parses back to the
 * profile it was made from, and no function name can break out of it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pyperf/export_html.h"

/* ---- a small JSON reader, strict enough to reject what JSON.parse does */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	double num;
	char *str;             /* J_STR: decoded UTF-8 */
	size_t n;              /* J_ARR / J_OBJ members */
	struct jval **items;
	char **keys;           /* J_OBJ */
};

struct jparser {
	const char *s;
	int err;
};

static void jfree(struct jval *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		jfree(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

static void ws(struct jparser *p)
{
	while (*p->s == ' ' || *p->s == '\n' || *p->s == '\r' || *p->s == '\t')
		p->s++;
}

static void put_utf8(char **o, unsigned cp)
{
	unsigned char *u = (unsigned char *)*o;

	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xc0 | cp >> 6);
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xe0 | cp >> 12);
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*u++ = (unsigned char)(0xf0 | cp >> 18);
		*u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)u;
}

static int hex4(const char *s, unsigned *cp)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*cp = v;
	return 0;
}

static char *jstring(struct jparser *p)
{
	const char *q;
	char *out, *o;

	if (*p->s != '"')
		goto bad;
	p->s++;
	/* decoding never lengthens: \uXXXX (6) is at most 4 bytes */
	for (q = p->s; *q && *q != '"'; q++)
		if (*q == '\\' && q[1])
			q++;
	out = o = malloc((size_t)(q - p->s) + 1);
	while (*p->s != '"') {
		unsigned char c = (unsigned char)*p->s;
		unsigned cp, lo;

		if (!c || c < 0x20) {
			free(out);
			goto bad;
		}
		if (c != '\\') {
			*o++ = *p->s++;
			continue;
		}
		p->s++;
		switch (*p->s++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (hex4(p->s, &cp) < 0)
				goto bad_free;
			p->s += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->s[0] != '\\' || p->s[1] != 'u' || hex4(p->s + 2, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					goto bad_free;
				p->s += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				goto bad_free;
			}
			put_utf8(&o, cp);
			break;
		default:
			goto bad_free;
		}
		continue;
bad_free:
		free(out);
		goto bad;
	}
	p->s++;
	*o = '\0';
	return out;
bad:
	p->err = 1;
	return NULL;
}

static struct jval *jparse_value(struct jparser *p, int depth);

static struct jval *jcontainer(struct jparser *p, int depth, int obj)
{
	struct jval *v = calloc(1, sizeof(*v));
	char close = obj ? '}' : ']';

	v->type = obj ? J_OBJ : J_ARR;
	p->s++;
	ws(p);
	if (*p->s == close) {
		p->s++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct jval *item;

		ws(p);
		if (obj) {
			key = jstring(p);
			ws(p);
			if (!key || *p->s != ':') {
				free(key);
				p->err = 1;
				return v;
			}
			p->s++;
		}
		item = jparse_value(p, depth + 1);
		v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
		if (obj)
			v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
		v->items[v->n] = item;
		if (obj)
			v->keys[v->n] = key;
		v->n++;
		if (p->err)
			return v;
		ws(p);
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s == close) {
			p->s++;
			return v;
		}
		p->err = 1;
		return v;
	}
}

static struct jval *jparse_value(struct jparser *p, int depth)
{
	struct jval *v;
	char *end;

	ws(p);
	if (depth > 64) {
		p->err = 1;
		return NULL;
	}
	if (*p->s == '{' || *p->s == '[')
		return jcontainer(p, depth, *p->s == '{');
	v = calloc(1, sizeof(*v));
	if (*p->s == '"') {
		v->type = J_STR;
		v->str = jstring(p);
	} else if (!strncmp(p->s, "null", 4)) {
		v->type = J_NULL;
		p->s += 4;
	} else if (!strncmp(p->s, "true", 4) || !strncmp(p->s, "false", 5)) {
		v->type = J_BOOL;
		v->num = *p->s == 't';
		p->s += *p->s == 't' ? 4 : 5;
	} else if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9')) {
		/* strtod runs in the "C" locale here (see the locale test) */
		v->type = J_NUM;
		v->num = strtod(p->s, &end);
		if (end == p->s)
			p->err = 1;
		p->s = end;
	} else {
		p->err = 1;
	}
	return v;
}

/* The whole text must be one value. */
static struct jval *jparse(const char *s)
{
	struct jparser p = { s, 0 };
	struct jval *v = jparse_value(&p, 0);

	ws(&p);
	if (p.err || *p.s) {
		jfree(v);
		return NULL;
	}
	return v;
}

static const struct jval *jget(const struct jval *v, const char *key)
{
	size_t i;

	cr_assert(v && v->type == J_OBJ, "not an object looking for \"%s\"", key);
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return v->items[i];
	cr_assert_fail("no key \"%s\"", key);
	return NULL;
}

/* ---- producing pages ------------------------------------------------ */

static char *render(const struct pp_report_data *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	cr_assert_eq(pp_export__html(f, d), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(strlen(buf), len, "the page has a NUL byte");
	return buf;
}

static const char data_open[] = "<script type=\"application/json\" id=\"pp-data\">";

/* The JSON between the data block's tags (malloc'd), checking that the
 * HTML parser would end the block exactly there. */
static char *data_block(const char *html)
{
	const char *a = strstr(html, data_open), *b;
	char *json;

	cr_assert(a, "no data block");
	cr_assert_null(strstr(a + 1, data_open), "two data blocks");
	a += strlen(data_open);
	b = strstr(a, "</");
	cr_assert(b && !strncasecmp(b, "</script>", 9),
		  "the data block is ended early by \"%.20s\"", b ? b : "(nothing)");
	json = strndup(a, (size_t)(b - a));
	cr_assert_null(strstr(json, "<!--"), "\"<!--\" inside the data block");
	return json;
}

static struct jval *page_data(const char *html)
{
	char *json = data_block(html);
	struct jval *v = jparse(json);

	cr_assert(v, "the embedded JSON does not parse:\n%.400s", json);
	free(json);
	return v;
}

static uint32_t intern(struct pp_profile *p, const char *q, const char *file, int line)
{
	int64_t id = pp_profile__intern_func(p, q, file, line);

	cr_assert_geq(id, PP_FUNC_FIRST_USER);
	return (uint32_t)id;
}

/* Adds SAMPLES of EVENT to the stack OUTER[0..n) given outermost first. */
static void add_stack(struct pp_profile *p, int event, const uint32_t *outer, size_t n,
		      uint64_t samples, uint32_t tid)
{
	struct pp_frame fr[32];
	size_t i;

	for (i = 0; i < n; i++) {
		fr[i].func = outer[n - 1 - i];
		fr[i].line = (int32_t)i + 1;
	}
	cr_assert_eq(pp_profile__add_sample(p, event, 1, tid, fr, n, samples), 0);
}

/* main -> run -> {heavy 300, light 100}, main -> 20 self;
 * recursion fib -> fib -> fib 7; one thread with main -> run -> heavy too,
 * which merges with the first. */
static void sample_profile(struct pp_profile *p, struct pp_report_data *d)
{
	uint32_t m, run, heavy, light, fib, s[4];
	int cl, cy;

	cr_assert_eq(pp_profile__init(p), 0);
	m = intern(p, "main", "/app/m.py", 1);
	run = intern(p, "run", "/app/m.py", 10);
	heavy = intern(p, "heavy", "/app/w.py", 3);
	light = intern(p, "light", "/app/w.py", 30);
	fib = intern(p, "fib", "/app/f.py", 7);
	intern(p, "never_sampled", "/app/x.py", 1);
	cl = pp_profile__add_event(p, "task-clock", 1000000);
	cy = pp_profile__add_event(p, "cycles:u", 2000);
	cr_assert(cl == 0 && cy == 1);
	s[0] = m; s[1] = run; s[2] = heavy;
	add_stack(p, cl, s, 3, 200, 1);
	add_stack(p, cl, s, 3, 100, 2);
	add_stack(p, cy, s, 3, 5, 1);
	s[2] = light;
	add_stack(p, cl, s, 3, 100, 1);
	add_stack(p, cy, s, 3, 50, 1);
	add_stack(p, cl, s, 1, 20, 1);
	s[0] = fib; s[1] = fib; s[2] = fib;
	add_stack(p, cl, s, 3, 7, 1);
	p->ev[cl].total = 4.27e8 + 0.25;

	memset(d, 0, sizeof(*d));
	d->command = "python3 m.py";
	d->runs = 1;
	d->profile = p;
	d->interpreter = "CPython 3.12.1 (/usr/bin/python3.12)";
}

/* ---- the page is one file that fetches nothing ----------------------- */

/* The value of every src=, href=, url( and @import is not remote. */
static void assert_no_remote(const char *html)
{
	static const char *const attrs[] = { "src=", "href=", "url(", "@import", "srcset=",
					     "action=", "poster=", "data=" };
	size_t i;

	for (i = 0; i < sizeof(attrs) / sizeof(*attrs); i++) {
		const char *a = html;
		size_t n = strlen(attrs[i]);

		while ((a = strcasestr(a, attrs[i]))) {
			const char *v = a + n;

			while (*v == ' ' || *v == '"' || *v == '\'')
				v++;
			cr_assert(strncasecmp(v, "http://", 7) && strncasecmp(v, "https://", 8) &&
				  strncmp(v, "//", 2),
				  "remote resource: %.60s", a);
			a = v;
		}
	}
	cr_assert_null(strcasestr(html, "<link"), "a <link> element");
	cr_assert_null(strcasestr(html, "<iframe"), "an <iframe>");
	cr_assert_null(strcasestr(html, "<img"), "an <img> element in the markup");
	cr_assert_null(strcasestr(html, "<script src"), "an external script");
}

Test(html, one_file_without_remote_resources)
{
	struct pp_profile p;
	struct pp_report_data d;
	char *html, *last;

	sample_profile(&p, &d);
	/* names that look like resources must stay text inside the data */
	intern(&p, "https://cdn.example.com/x.js", "http://x", 1);
	html = render(&d);
	cr_assert(!strncmp(html, "<!DOCTYPE html>", 15));
	last = strstr(html, "</html>");
	cr_assert(last && !strcmp(last, "</html>\n"), "the page does not end with </html>");
	cr_assert_null(strstr(html, "@PP_"), "a template marker was left in");
	cr_assert(strstr(html, "Content-Security-Policy"), "no CSP forbidding fetches");
	assert_no_remote(html);
	free(html);
	pp_profile__free(&p);
}

/* ---- the data parses back to the profile ----------------------------- */

/* The node of the tree at PATH (names from the root), or -1. */
static long node_at(const struct jval *funcs, const struct jval *parent,
		    const struct jval *func, const char *const *path, size_t depth)
{
	long cur = 0;
	size_t d, i;

	for (d = 0; d < depth; d++) {
		long found = -1;

		for (i = 1; i < parent->n; i++) {
			const struct jval *fn;

			if ((long)parent->items[i]->num != cur)
				continue;
			fn = funcs->items[(size_t)func->items[i]->num];
			if (!strcmp(fn->items[0]->str, path[d])) {
				cr_assert_eq(found, -1, "two children named %s", path[d]);
				found = (long)i;
			}
		}
		if (found < 0)
			return -1;
		cur = found;
	}
	return cur;
}

Test(html, data_parses_back_as_a_merged_call_tree)
{
	struct pp_profile p;
	struct pp_report_data d;
	char *html;
	struct jval *v;
	const struct jval *ev, *funcs, *tree, *parent, *func, *samples, *e0, *e1;
	static const struct {
		const char *path[4];
		size_t depth;
		double clock, cycles;
	} nodes[] = {
		{ { NULL }, 0, 427, 55 },
		{ { "main" }, 1, 420, 55 },
		{ { "main", "run" }, 2, 400, 55 },
		{ { "main", "run", "heavy" }, 3, 300, 5 },   /* two threads merged */
		{ { "main", "run", "light" }, 3, 100, 50 },
		{ { "fib" }, 1, 7, 0 },
		{ { "fib", "fib", "fib" }, 3, 7, 0 },        /* recursion nests */
	};
	size_t i;

	sample_profile(&p, &d);
	html = render(&d);
	v = page_data(html);

	cr_assert_str_eq(jget(v, "command")->str, "python3 m.py");
	cr_assert_str_eq(jget(v, "interpreter")->str, "CPython 3.12.1 (/usr/bin/python3.12)");
	ev = jget(v, "events");
	cr_assert_eq(ev->n, 2);
	cr_assert_str_eq(jget(ev->items[0], "name")->str, "task-clock");
	cr_assert_str_eq(jget(ev->items[0], "unit")->str, "msec");
	cr_assert_eq(jget(ev->items[0], "clock")->num, 1);
	cr_assert_eq(jget(ev->items[0], "period")->num, 1000000);
	cr_assert_eq(jget(ev->items[0], "samples")->num, 427);
	cr_assert_eq(jget(ev->items[0], "total")->num, 427000000);
	cr_assert_str_eq(jget(ev->items[1], "name")->str, "cycles:u");
	cr_assert_str_eq(jget(ev->items[1], "unit")->str, "");
	cr_assert_eq(jget(ev->items[1], "clock")->num, 0);
	cr_assert_eq(jget(ev->items[1], "total")->type, J_NULL, "unknown total must be null");

	funcs = jget(v, "funcs");
	cr_assert_eq(funcs->n, 5, "only the sampled functions are listed");
	for (i = 0; i < funcs->n; i++) {
		cr_assert_eq(funcs->items[i]->n, 3);
		cr_assert_str_neq(funcs->items[i]->items[0]->str, "never_sampled");
	}
	tree = jget(v, "tree");
	parent = jget(tree, "parent");
	func = jget(tree, "func");
	samples = jget(tree, "samples");
	cr_assert_eq(parent->n, 8, "root + main, run, heavy, light, fib x3");
	cr_assert_eq(func->n, parent->n);
	cr_assert_eq(samples->n, 2);
	e0 = samples->items[0];
	e1 = samples->items[1];
	cr_assert(e0->n == parent->n && e1->n == parent->n);
	cr_assert_eq(parent->items[0]->num, -1);
	for (i = 1; i < parent->n; i++)
		cr_assert_lt(parent->items[i]->num, (double)i, "not in pre-order at node %zu", i);
	for (i = 0; i < sizeof(nodes) / sizeof(*nodes); i++) {
		long n = node_at(funcs, parent, func, nodes[i].path, nodes[i].depth);

		cr_assert_geq(n, 0, "no node for case %zu", i);
		cr_assert_eq(e0->items[n]->num, nodes[i].clock, "task-clock of case %zu", i);
		cr_assert_eq(e1->items[n]->num, nodes[i].cycles, "cycles of case %zu", i);
	}
	/* siblings by name, as flamegraph.pl draws them: fib before main */
	cr_assert_lt(node_at(funcs, parent, func, nodes[5].path, 1),
		     node_at(funcs, parent, func, nodes[1].path, 1));

	jfree(v);
	free(html);
	pp_profile__free(&p);
}

Test(html, no_profile_still_makes_a_page)
{
	struct pp_report_data d = {
		.command = "python3 -I x.py",
		.runs = 1,
		.attribution_note = "no Python process loaded the agent",
	};
	char *html = render(&d);
	struct jval *v = page_data(html);
	const struct jval *tree = jget(v, "tree");

	cr_assert_eq(jget(v, "events")->n, 0);
	cr_assert_eq(jget(tree, "parent")->n, 1);
	cr_assert_eq(jget(tree, "samples")->n, 0);
	cr_assert_str_eq(jget(v, "note")->str, "no Python process loaded the agent");
	cr_assert_eq(jget(v, "interpreter")->type, J_NULL);
	jfree(v);
	free(html);
}

/* ---- hostile names ---------------------------------------------------- */

static const struct {
	const char *name;       /* as the code object carries it */
	const char *decoded;    /* what JSON.parse must give back */
} nasty[] = {
	{ "</script><script>alert(1)</script>", "</script><script>alert(1)</script>" },
	{ "</SCRIPT >", "</SCRIPT >" },
	{ "<!-- <script>", "<!-- <script>" },
	{ "say \"hi\" 'x' \\", "say \"hi\" 'x' \\" },
	{ "two\nlines\r\ttab", "two\nlines\r\ttab" },
	{ "ctl\x01\x1f\x7f", "ctl\x01\x1f\x7f" },
	{ "a&amp;b<>", "a&amp;b<>" },
	{ "caf\xe9", "caf\xef\xbf\xbd" },                          /* Latin-1 */
	{ "over\xc0\xaflong", "over\xef\xbf\xbd\xef\xbf\xbdlong" },
	{ "surr\xed\xa0\x80", "surr\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "cut\xe2\x9c", "cut\xef\xbf\xbd\xef\xbf\xbd" },
	{ "big\xf4\x90\x80\x80", "big\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "ok_na\xc3\xafve_\xe2\x9c\x93_\xf0\x9f\x94\xa5", "ok_na\xc3\xafve_\xe2\x9c\x93_\xf0\x9f\x94\xa5" },
	{ "ls\xe2\x80\xa8ps\xe2\x80\xa9", "ls\xe2\x80\xa8ps\xe2\x80\xa9" },
	{ "", "" },
};

Test(html, hostile_names_stay_inside_the_data)
{
	struct pp_profile p;
	struct pp_report_data d;
	uint32_t ids[sizeof(nasty) / sizeof(*nasty)];
	char *html, *json;
	struct jval *v;
	const struct jval *funcs;
	size_t i, k;

	cr_assert_eq(pp_profile__init(&p), 0);
	cr_assert_eq(pp_profile__add_event(&p, "task-clock", 1000), 0);
	for (i = 0; i < sizeof(nasty) / sizeof(*nasty); i++) {
		/* the file carries the hostile text too */
		ids[i] = intern(&p, nasty[i].name, nasty[i].name, (int)i + 1);
		add_stack(&p, 0, &ids[i], 1, i + 1, 1);
	}
	memset(&d, 0, sizeof(d));
	d.command = "python3 '</title><script>alert(3)</script>' \xff";
	d.profile = &p;
	d.interpreter = "</script>\"";
	html = render(&d);

	json = data_block(html);
	cr_assert_null(strchr(json, '<'), "a raw '<' in the data block");
	cr_assert(strstr(json, "\"two\\nlines\\r\\ttab\""), "CR, LF and tab not escaped");
	cr_assert(strstr(json, "\\u2028") && strstr(json, "\\u2029"));
	free(json);
	cr_assert_null(strstr(html, "alert(1)</script>"));
	cr_assert_null(strstr(html, "\xff"), "invalid UTF-8 written raw");
	cr_assert(strstr(html, "<title>pyperf-stat: python3 '&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;' &#xfffd;</title>"),
		  "title not escaped");

	v = page_data(html);
	cr_assert_str_eq(jget(v, "interpreter")->str, "</script>\"");
	cr_assert_str_eq(jget(v, "command")->str,
			 "python3 '</title><script>alert(3)</script>' \xef\xbf\xbd");
	funcs = jget(v, "funcs");
	cr_assert_eq(funcs->n, sizeof(nasty) / sizeof(*nasty));
	for (i = 0; i < sizeof(nasty) / sizeof(*nasty); i++) {
		int found = 0;

		for (k = 0; k < funcs->n; k++) {
			const struct jval *f = funcs->items[k];

			if ((size_t)f->items[2]->num != i + 1)
				continue;
			found = 1;
			cr_assert_str_eq(f->items[0]->str, nasty[i].decoded, "name of case %zu", i);
			cr_assert_str_eq(f->items[1]->str, nasty[i].decoded, "file of case %zu", i);
		}
		cr_assert(found, "case %zu missing", i);
	}
	jfree(v);
	free(html);
	pp_profile__free(&p);
}

/* ---- the numbers do not follow the locale ---------------------------- */

Test(html, numbers_ignore_lc_numeric)
{
	static const char *const comma_locales[] = { "de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "C.UTF-8" };
	struct pp_profile p;
	struct pp_report_data d;
	char *html;
	struct jval *v;
	size_t i;

	for (i = 0; i < sizeof(comma_locales) / sizeof(*comma_locales); i++)
		if (setlocale(LC_NUMERIC, comma_locales[i]))
			break;
	sample_profile(&p, &d);
	html = render(&d);
	setlocale(LC_NUMERIC, "C");
	v = page_data(html);
	cr_assert_eq(jget(jget(v, "events")->items[0], "total")->num, 427000000);
	jfree(v);
	free(html);
	pp_profile__free(&p);
}

/* ---- errors ----------------------------------------------------------- */

Test(html, write_error_is_reported)
{
	struct pp_profile p;
	struct pp_report_data d;
	FILE *full = fopen("/dev/full", "w");

	if (!full)
		cr_skip_test("/dev/full is absent");
	sample_profile(&p, &d);
	cr_assert_eq(pp_export__html(full, &d), -EIO);
	fclose(full);
	pp_profile__free(&p);
}

/* A deep recursion and many functions: iterative, and every function
 * that has samples is there once. */
Test(html, deep_and_wide_profiles)
{
	enum { NF = 2000, DEPTH = 5000 };
	struct pp_profile p;
	struct pp_report_data d = { .command = "x", .runs = 1 };
	struct pp_frame *fr = calloc(DEPTH, sizeof(*fr));
	char q[32], *html;
	struct jval *v;
	const struct jval *tree;
	size_t i;

	cr_assert(fr);
	cr_assert_eq(pp_profile__init(&p), 0);
	cr_assert_eq(pp_profile__add_event(&p, "cycles", 100), 0);
	for (i = 0; i < NF; i++) {
		snprintf(q, sizeof(q), "f%zu", i);
		fr[0].func = intern(&p, q, "w.py", 1);
		cr_assert_eq(pp_profile__add_sample(&p, 0, 1, 1, fr, 1, 1), 0);
	}
	for (i = 0; i < DEPTH; i++)
		fr[i].func = PP_FUNC_FIRST_USER;
	cr_assert_eq(pp_profile__add_sample(&p, 0, 1, 1, fr, DEPTH, 5), 0);
	d.profile = &p;
	html = render(&d);
	v = page_data(html);
	tree = jget(v, "tree");
	cr_assert_eq(jget(v, "funcs")->n, NF);
	cr_assert_eq(jget(tree, "parent")->n, 1 + NF - 1 + DEPTH);
	cr_assert_eq(jget(tree, "samples")->items[0]->items[0]->num, NF + 5);
	jfree(v);
	free(html);
	free(fr);
	pp_profile__free(&p);
}
