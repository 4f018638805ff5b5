/* gen_sample: writes a --html page for a synthetic profile, for
 * tests/e2e/html_check.py (and for looking at by hand).
 *
 *   gen_sample KIND OUT.html
 *
 * KIND:
 *   basic  two events (task-clock with a counted total, cycles without);
 *          main -> run -> heavy does three times the samples of
 *          main -> run -> light; plus functions with hostile names
 *   big    10,000 distinct functions in 20,000 stacks up to 300 deep, and
 *          one recursion 3,000 frames deep
 *   empty  no profile at all, with the note that says why */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyperf/export_html.h"

#define CHECK(x) do { if ((x) < 0) { fprintf(stderr, "gen_sample: %s failed\n", #x); exit(1); } } while (0)

static uint32_t fn(struct pp_profile *p, const char *q, const char *file, int line)
{
	int64_t id = pp_profile__intern_func(p, q, file, line);

	CHECK(id);
	return (uint32_t)id;
}

/* Adds N samples of EVENT to the stack NAMES[0..n), outermost first. */
static void add(struct pp_profile *p, int event, const uint32_t *outer_first,
		size_t n, uint64_t samples)
{
	struct pp_frame fr[64];
	size_t i;

	for (i = 0; i < n; i++) {
		fr[i].func = outer_first[n - 1 - i];
		fr[i].line = 10 + (int)i;
	}
	CHECK(pp_profile__add_sample(p, event, 1234, 1234, fr, n, samples));
}

static void basic(struct pp_profile *p)
{
	uint32_t mainf = fn(p, "<module>", "/srv/app/main.py", 1);
	uint32_t run = fn(p, "run", "/srv/app/main.py", 20);
	uint32_t heavy = fn(p, "heavy", "/srv/app/work.py", 3);
	uint32_t light = fn(p, "light", "/srv/app/work.py", 12);
	uint32_t fib = fn(p, "Solver.fib", "/srv/app/work.py", 30);
	uint32_t script = fn(p, "</script><script>alert(1)</script>", "/srv/app/evil.py", 1);
	uint32_t img = fn(p, "<img src=x onerror=alert(2)>", "/srv/app/evil.py", 5);
	uint32_t quotes = fn(p, "say \"hi\" 'there' \\ back\nslash\ttab", "/srv/app/q\"uote.py", 7);
	uint32_t latin1 = fn(p, "caf\xe9_\xff\xfe_bad", "/srv/app/\xc3\x28.py", 9);
	uint32_t unicode = fn(p, "na\xc3\xafve_\xe2\x9c\x93_\xf0\x9f\x94\xa5", "/srv/app/u.py", 11);
	uint32_t comment = fn(p, "<!-- not a comment -->", "/srv/app/evil.py", 9);
	uint32_t link = fn(p, "fetch_https://example.com/x.js", "/srv/app/net.py", 2);
	char longname[600];
	uint32_t lng, st[16];
	int cl, cy, i;

	memset(longname, 'L', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	lng = fn(p, longname, "/srv/app/long.py", 1);

	cl = pp_profile__add_event(p, "task-clock", 1000000); /* 1 ms */
	cy = pp_profile__add_event(p, "cycles:u", 100003);
	CHECK(cl);
	CHECK(cy);

	st[0] = mainf; st[1] = run;
	st[2] = heavy;
	add(p, cl, st, 3, 3000);
	add(p, cy, st, 3, 2000);
	st[2] = light;
	add(p, cl, st, 3, 1000);
	add(p, cy, st, 3, 4000);
	st[2] = fib;
	for (i = 3; i < 12; i++) {
		st[i] = fib;
		add(p, cl, st, (size_t)i + 1, 40);
	}
	st[2] = script; st[3] = img;
	add(p, cl, st, 4, 300);
	add(p, cy, st, 4, 300);
	st[2] = quotes; st[3] = latin1; st[4] = unicode;
	add(p, cl, st, 5, 200);
	st[2] = comment; st[3] = link;
	add(p, cl, st, 4, 150);
	st[2] = lng;
	add(p, cl, st, 3, 250);
	st[0] = PP_FUNC_NATIVE;
	add(p, cl, st, 1, 120);
	add(p, cy, st, 1, 500);
	st[0] = mainf; st[1] = PP_FUNC_UNRESOLVED;
	add(p, cl, st, 2, 30);
	/* counted by the counter part; samples are scaled to these */
	p->ev[cl].total = 5.5e9;  /* ns */
	p->dropped = 17;
	CHECK(pp_profile__add_process(p, 1234, "python3 main.py"));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: deterministic, so the page is the same every run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

/* Callee number C of function F in a fixed call graph: each function
 * calls a few others, so stacks share prefixes as real ones do. */
static uint32_t callee(uint32_t f, uint32_t c, uint32_t nfuncs)
{
	return (uint32_t)(((uint64_t)f * 2654435761u + c * 7919u + 1) % nfuncs);
}

static void big(struct pp_profile *p)
{
	enum { NFUNCS = 10000, NSTACKS = 20000, MAXD = 300, RECURSE = 3000 };
	struct pp_frame *fr = calloc(RECURSE + 1, sizeof(*fr));
	uint32_t *ids = malloc(NFUNCS * sizeof(*ids));
	char q[64], f[64];
	int cl, cy;
	size_t i, d, n;

	if (!fr || !ids)
		exit(1);
	cl = pp_profile__add_event(p, "task-clock", 1000000);
	cy = pp_profile__add_event(p, "cycles", 1000003);
	CHECK(cl);
	CHECK(cy);
	for (i = 0; i < NFUNCS; i++) {
		snprintf(q, sizeof(q), "mod%zu.Class%zu.method_%zu", i % 97, i % 13, i);
		snprintf(f, sizeof(f), "/srv/big/mod%zu.py", i % 97);
		ids[i] = fn(p, q, f, (int)(i % 500) + 1);
	}
	for (i = 0; i < NSTACKS; i++) {
		uint32_t k = rnd(4);

		/* mostly shallow, one in sixteen up to MAXD deep */
		n = 1 + rnd(rnd(16) ? 30 : MAXD);
		for (d = 0; d < n; d++) {
			uint32_t r = rnd(16);

			/* the first callee is the usual one */
			if (d)
				k = callee(k, r < 10 ? 0 : r < 14 ? 1 : r, NFUNCS);
			fr[n - 1 - d].func = ids[k];
			fr[n - 1 - d].line = (int32_t)d;
		}
		CHECK(pp_profile__add_sample(p, (int)(i % 3 == 0), 1, 1, fr, n, 1 + rnd(20)));
	}
	/* every function is on some stack */
	for (i = 0; i < NFUNCS; i++) {
		fr[0].func = ids[i];
		fr[1].func = ids[0];
		CHECK(pp_profile__add_sample(p, cl, 1, 1, fr, 2, 1));
	}
	for (d = 0; d < RECURSE; d++) {
		fr[d].func = ids[7];
		fr[d].line = 1;
	}
	fr[RECURSE].func = ids[1];
	CHECK(pp_profile__add_sample(p, cl, 1, 2, fr, RECURSE + 1, 5000));
	p->ev[cl].total = 0; /* no counted total: samples x period */
	free(fr);
	free(ids);
}

int main(int argc, char **argv)
{
	struct pp_profile prof;
	struct pp_report_data d;
	FILE *out;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_sample basic|big|empty OUT.html\n");
		return 2;
	}
	memset(&d, 0, sizeof(d));
	d.runs = 1;
	CHECK(pp_profile__init(&prof));
	if (!strcmp(argv[1], "basic")) {
		basic(&prof);
		d.command = "python3 main.py --name '</script>' \"<b>\"";
		d.interpreter = "CPython 3.12.1 (/usr/bin/python3.12)";
		d.profile = &prof;
	} else if (!strcmp(argv[1], "big")) {
		big(&prof);
		d.command = "python3 big.py";
		d.interpreter = "CPython 3.11.7 (/usr/bin/python3.11)";
		d.profile = &prof;
	} else if (!strcmp(argv[1], "empty")) {
		d.command = "python3 -I script.py";
		d.attribution_note = "no Python process loaded the agent (was the target run with -I?)";
	} else {
		fprintf(stderr, "gen_sample: unknown kind '%s'\n", argv[1]);
		return 2;
	}
	out = fopen(argv[2], "w");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	ret = pp_export__html(out, &d);
	if (fclose(out) && !ret)
		ret = -errno;
	pp_profile__free(&prof);
	if (ret < 0) {
		fprintf(stderr, "gen_sample: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
