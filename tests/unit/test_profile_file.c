#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyperf/profile_file.h"

/* ------------------------------------------------------------ fixtures */

static char dir[64];

static void mkdir_tmp(void)
{
	strcpy(dir, "/tmp/pp-profile-file-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
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
		if (unlink(path) < 0)
			rmdir(path);
	}
	closedir(d);
	rmdir(dir);
}

TestSuite(profile_file, .init = mkdir_tmp, .fini = rm_tmp);

static char *tmp_path(const char *name)
{
	static char path[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	return path[i];
}

/* Entries of the temporary directory: a failed or finished save leaves
 * exactly what it promises. */
static int dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	cr_assert_not_null(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spit(const char *path, const void *b, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* A run as the collector would hand it over: three events (one counted
 * total unknown), two processes with two threads, names in several
 * scripts, a stack without frames, and every lost-sample counter set. */
struct sample {
	const char *funcs[4];  /* innermost first, "qualname|file|firstline" */
	int lines[4];
	uint32_t pid, tid;
	int event;
	uint64_t n;
};

static const struct sample samples[] = {
	{ { "work|/src/app.py|10", "main|/src/app.py|1" }, { 12, 3 }, 100, 100, 0, 700 },
	{ { "work|/src/app.py|10", "main|/src/app.py|1" }, { 12, 3 }, 100, 100, 1, 5 },
	{ { "work|/src/app.py|10", "main|/src/app.py|1" }, { 14, 3 }, 100, 101, 0, 100 },
	{ { "Klasse.método|/src/ünï.py|5", "<module>|/src/ünï.py|1" }, { 6, 9 }, 100, 101, 2, 42 },
	{ { "日本語.関数|/データ/x.py|77", "🐍.run|/src/🐍.py|2", "<module>|/src/🐍.py|1" },
	  { 78, 3, 20 }, 200, 200, 0, 3 },
	{ { "odd;name\nwith newline|/src/a;b.py|1" }, { 2 }, 200, 201, 1, 9 },
	{ { "<native>||0" }, { 0 }, 200, 202, 0, 11 },
	{ { "<truncated>||0", "deep|/src/deep.py|1" }, { 0, 500 }, 300, 300, 2, 1 },
	{ { NULL }, { 0 }, 300, 300, 1, 2 },   /* no frames at all */
	{ { "neg|/src/neg.py|-4" }, { -1 }, 0, 0, 0, 1 }, /* merged pid/tid */
};

static struct pp_frame frame_of(struct pp_profile *p, const char *spec, int line)
{
	const char *bar1 = strchr(spec, '|'), *bar2 = strchr(bar1 + 1, '|');
	char *q = strndup(spec, (size_t)(bar1 - spec));
	char *f = strndup(bar1 + 1, (size_t)(bar2 - bar1 - 1));
	int64_t id;

	id = pp_profile__intern_func(p, q, f, atoi(bar2 + 1));
	free(q);
	free(f);
	cr_assert_geq(id, 0);
	return (struct pp_frame){ .func = (uint32_t)id, .line = line };
}

static void build_profile(struct pp_profile *p)
{
	size_t i, n;

	cr_assert_eq(pp_profile__init(p), 0);
	cr_assert_eq(pp_profile__add_event(p, "task-clock", 1000000), 0);
	cr_assert_eq(pp_profile__add_event(p, "cycles:u", 2000003), 1);
	cr_assert_eq(pp_profile__add_event(p, "cache-misses", 1009), 2);
	p->ev[0].total = 819e6;
	p->ev[1].total = 0;   /* unknown */
	p->ev[2].total = 44123.5;
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const struct sample *s = &samples[i];
		struct pp_frame fr[4];

		for (n = 0; n < 4 && s->funcs[n]; n++)
			fr[n] = frame_of(p, s->funcs[n], s->lines[n]);
		cr_assert_eq(pp_profile__add_sample(p, s->event, s->pid, s->tid, fr, n,
						    s->n), 0);
	}
	cr_assert_eq(pp_profile__add_process(p, 100, "python3 app.py --n=3"), 0);
	cr_assert_eq(pp_profile__add_process(p, 200, "python3 -c 'import x; x.run()'"), 0);
	cr_assert_eq(pp_profile__add_process(p, 300, ""), 0);
	p->dropped = 17;
	p->truncated = 1;
	p->unresolved = 1ull << 40;
	p->agent_cpu_ns = 123456789;
	p->folded = 5;
	p->recovered = 3111;
}

static struct pp_stat_row rows[] = {
	{ "task-clock", "msec", 1, 1, PP_COUNT_OK, 819234567.25, 1234.5, 820000000, 820000000 },
	{ "cycles:u", "", 0, 0, PP_COUNT_OK, 3.5e9, 0.0, 820000000, 410000000 },
	{ "cache-misses", "", 0, 3, PP_COUNT_NOT_COUNTED, 0, 0, 820000000, 0 },
	{ "branch-misses", "", 0, 5, PP_COUNT_NOT_SUPPORTED, NAN, -0.0, 0, 0 },
};

/* The three runs of build_data's -r 3, each with its own totals and
 * per-function samples; filled by fill_runs once the profile's function
 * ids are known.  The samples add up to at most the profile's. */
static double run_values[3][4] = {
	{ 819e6, 3.4e9, NAN, NAN },
	{ 820e6, 3.6e9, NAN, NAN },
	{ 818.7e6, 3.5e9, 12.0, NAN },
};
static struct pp_run_func run_funcs[3][2];
static struct pp_run runs[3];

static int fill_runs(const struct pp_profile *p)
{
	static const uint64_t samples[3][3] = { { 300, 5, 20 }, { 300, 6, 13 }, { 215, 5, 10 } };
	int64_t work = -1, main_ = -1;
	size_t i, e;

	for (i = 0; i < p->nfuncs; i++) {
		if (!strcmp(p->funcs[i].qualname, "work"))
			work = (int64_t)i;
		if (!strcmp(p->funcs[i].qualname, "main"))
			main_ = (int64_t)i;
	}
	if (work < 0 || main_ < 0)
		return 0;   /* not build_profile's: no runs */
	memset(runs, 0, sizeof(runs));
	memset(run_funcs, 0, sizeof(run_funcs));
	for (i = 0; i < 3; i++) {
		runs[i].elapsed_s = 1.2 + 0.01 * (double)i;
		runs[i].values = run_values[i];
		for (e = 0; e < 3; e++)
			runs[i].samples[e] = samples[i][e];
		run_funcs[i][0].func = (uint32_t)work;
		run_funcs[i][0].self[0] = 200 + i;
		run_funcs[i][0].total[0] = 200 + i;
		run_funcs[i][0].self[1] = 1;
		run_funcs[i][0].total[1] = 2;
		run_funcs[i][1].func = (uint32_t)main_;
		run_funcs[i][1].total[0] = 200 + i;
		run_funcs[i][1].total[1] = 2 + i;
		runs[i].funcs = run_funcs[i];
		runs[i].nfuncs = i == 2 ? 1 : 2;  /* main has no samples in run 2 */
	}
	return 1;
}

static void build_data(struct pp_report_data *d, const struct pp_profile *p)
{
	memset(d, 0, sizeof(*d));
	d->command = "python3 ünïcødé.py ☃ 🐍 'a b'";
	d->runs = 3;
	d->rows = rows;
	d->nrows = sizeof(rows) / sizeof(rows[0]);
	d->elapsed_s = 1.234567891;
	d->elapsed_stddev_s = 0.0123;
	d->user_s = 0.75;
	d->sys_s = 0.0625;
	d->profile = p;
	d->interpreter = "CPython 3.12.1 (/usr/bin/python3.12)";
	d->attribution_note = NULL;
	if (p && fill_runs(p))
		d->run = runs;
}

/* Doubles compare by bits: NaN and -0.0 must survive too. */
static void assert_same_double(double a, double b, const char *what)
{
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "%s: %g vs %g", what, a, b);
}

static void assert_same_str(const char *a, const char *b, const char *what)
{
	if (!a || !b)
		cr_assert_eq(a, b, "%s: one is NULL", what);
	else
		cr_assert_str_eq(a, b, "%s", what);
}

static void assert_same_profile(const struct pp_profile *a, const struct pp_profile *b)
{
	size_t i, e;

	cr_assert_eq(a->nevents, b->nevents);
	for (e = 0; e < a->nevents; e++) {
		cr_assert_str_eq(a->ev[e].name, b->ev[e].name);
		cr_assert_eq(a->ev[e].period, b->ev[e].period);
		cr_assert_eq(a->ev[e].samples, b->ev[e].samples);
		assert_same_double(a->ev[e].total, b->ev[e].total, "ev.total");
	}
	cr_assert_eq(a->nfuncs, b->nfuncs);
	for (i = 0; i < a->nfuncs; i++) {
		cr_assert_str_eq(a->funcs[i].qualname, b->funcs[i].qualname);
		cr_assert_str_eq(a->funcs[i].file, b->funcs[i].file);
		cr_assert_eq(a->funcs[i].firstline, b->funcs[i].firstline);
	}
	cr_assert_eq(a->nstacks, b->nstacks);
	for (i = 0; i < a->nstacks; i++) {
		const struct pp_stack *x = &a->stacks[i], *y = &b->stacks[i];

		cr_assert_eq(x->pid, y->pid, "stack %zu", i);
		cr_assert_eq(x->tid, y->tid, "stack %zu", i);
		cr_assert_eq(x->nframes, y->nframes, "stack %zu", i);
		cr_assert_eq(memcmp(x->frames, y->frames, x->nframes * sizeof(*x->frames)), 0,
			     "stack %zu", i);
		cr_assert_eq(memcmp(x->samples, y->samples, sizeof(x->samples)), 0,
			     "stack %zu", i);
	}
	cr_assert_eq(a->nprocs, b->nprocs);
	for (i = 0; i < a->nprocs; i++) {
		cr_assert_eq(a->procs[i].pid, b->procs[i].pid);
		cr_assert_str_eq(a->procs[i].command, b->procs[i].command);
	}
	cr_assert_eq(a->dropped, b->dropped);
	cr_assert_eq(a->truncated, b->truncated);
	cr_assert_eq(a->unresolved, b->unresolved);
	cr_assert_eq(a->agent_cpu_ns, b->agent_cpu_ns);
	cr_assert_eq(a->folded, b->folded);
	cr_assert_eq(a->recovered, b->recovered);
}

static void assert_same_data(const struct pp_report_data *a, const struct pp_report_data *b)
{
	size_t i;

	assert_same_str(a->command, b->command, "command");
	cr_assert_eq(a->runs, b->runs);
	cr_assert_eq(a->nrows, b->nrows);
	for (i = 0; i < a->nrows; i++) {
		const struct pp_stat_row *x = &a->rows[i], *y = &b->rows[i];

		cr_assert_str_eq(x->name, y->name);
		cr_assert_str_eq(x->unit, y->unit);
		cr_assert_eq(x->type, y->type);
		cr_assert_eq(x->config, y->config);
		cr_assert_eq(x->status, y->status);
		assert_same_double(x->value, y->value, "value");
		assert_same_double(x->stddev, y->stddev, "stddev");
		cr_assert_eq(x->enabled, y->enabled);
		cr_assert_eq(x->running, y->running);
	}
	assert_same_double(a->elapsed_s, b->elapsed_s, "elapsed");
	assert_same_double(a->elapsed_stddev_s, b->elapsed_stddev_s, "elapsed stddev");
	assert_same_double(a->user_s, b->user_s, "user");
	assert_same_double(a->sys_s, b->sys_s, "sys");
	assert_same_str(a->interpreter, b->interpreter, "interpreter");
	assert_same_str(a->attribution_note, b->attribution_note, "note");
	cr_assert_eq(!a->profile, !b->profile);
	if (a->profile)
		assert_same_profile(a->profile, b->profile);
	cr_assert_eq(!a->run, !b->run);
	for (i = 0; a->run && i < (size_t)a->runs; i++) {
		const struct pp_run *x = &a->run[i], *y = &b->run[i];
		size_t nev = a->profile ? a->profile->nevents : 0;

		assert_same_double(x->elapsed_s, y->elapsed_s, "run elapsed");
		for (size_t v = 0; v < a->nrows; v++)
			assert_same_double(x->values[v], y->values[v], "run value");
		cr_assert_eq(memcmp(x->samples, y->samples, nev * sizeof(x->samples[0])), 0,
			     "run %zu samples", i);
		cr_assert_eq(x->nfuncs, nev ? y->nfuncs : 0, "run %zu", i);
		for (size_t f = 0; f < y->nfuncs; f++) {
			cr_assert_eq(x->funcs[f].func, y->funcs[f].func);
			cr_assert_eq(memcmp(x->funcs[f].self, y->funcs[f].self,
					    nev * sizeof(uint64_t)), 0);
			cr_assert_eq(memcmp(x->funcs[f].total, y->funcs[f].total,
					    nev * sizeof(uint64_t)), 0);
		}
	}
}

/* A valid saved file in memory. */
static uint8_t *valid_file(size_t *len)
{
	struct pp_profile p;
	struct pp_report_data d;
	const char *path = tmp_path("valid.ppstat");
	uint8_t *b;

	build_profile(&p);
	build_data(&d, &p);
	cr_assert_eq(pp_profile_file__save(path, &d, "0.1.0"), 0);
	pp_profile__free(&p);
	b = slurp(path, len);
	unlink(path);
	return b;
}

static int load_buf(const void *b, size_t len, char *err, size_t errlen)
{
	struct pp_loaded l;
	int ret = pp_profile_file__load_mem(b, len, "prof.ppstat", &l, err, errlen);

	pp_loaded__free(&l);
	return ret;
}

/* Offset of the payload of section TAG (after its 16-byte header). */
static size_t section(const uint8_t *b, size_t len, const char *tag, uint64_t *seclen)
{
	size_t at = 12;

	while (at + 16 <= len) {
		uint64_t n = 0;

		for (int i = 0; i < 8; i++)
			n |= (uint64_t)b[at + 8 + i] << (8 * i);
		if (!memcmp(b + at, tag, 4)) {
			if (seclen)
				*seclen = n;
			return at + 16;
		}
		at += 16 + n;
	}
	cr_assert_fail("no section %s", tag);
	return 0;
}

static void put_le(uint8_t *d, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		d[i] = (uint8_t)(v >> (8 * i));
}

/* CRC-32 (IEEE, reflected, as zlib's crc32), bit by bit: independent of
 * the implementation under test. */
static uint32_t crc32_ref(const uint8_t *b, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *b++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

/* Recomputes the checksum in the 'END ' section after an edit. */
static void fix_crc(uint8_t *b, size_t len)
{
	size_t end = section(b, len, "END ", NULL);

	put_le(b + end, crc32_ref(b, end), 4);
}

static void expect_error(const uint8_t *b, size_t len, int want, const char *substr)
{
	char err[512] = "";
	int ret = load_buf(b, len, err, sizeof(err));

	cr_assert_eq(ret, want, "ret %d (%s), want %d", ret, err, want);
	cr_assert_not_null(strstr(err, substr), "'%s' lacks '%s'", err, substr);
	cr_assert_null(strchr(err, '\n'), "one line: '%s'", err);
}

/* ----------------------------------------------------------- round trip */

Test(profile_file, round_trip_keeps_every_field_and_stack)
{
	struct pp_profile p;
	struct pp_report_data d;
	struct pp_loaded l;
	char err[256] = "";
	const char *a = tmp_path("a.ppstat"), *b = tmp_path("b.ppstat");
	uint8_t *fa, *fb;
	size_t la, lb;

	build_profile(&p);
	build_data(&d, &p);
	cr_assert_eq(pp_profile_file__save(a, &d, "0.1.0+git"), 0);
	cr_assert_eq(pp_profile_file__load(a, &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(err, "");
	cr_assert_eq(l.format_version, PP_PROFILE_FILE_VERSION);
	cr_assert_str_eq(l.tool_version, "0.1.0+git");
	assert_same_data(&d, &l.data);

	/* Saving what was loaded gives the same bytes. */
	cr_assert_eq(pp_profile_file__save(b, &l.data, l.tool_version), 0);
	fa = slurp(a, &la);
	fb = slurp(b, &lb);
	cr_assert_eq(la, lb);
	cr_assert_eq(memcmp(fa, fb, la), 0);
	free(fa);
	free(fb);
	pp_loaded__free(&l);
	pp_profile__free(&p);
	cr_assert_eq(dir_entries(), 2, "temporary files left behind");
}

Test(profile_file, loaded_profile_behaves_like_the_original)
{
	struct pp_profile p;
	struct pp_report_data d;
	struct pp_loaded l;
	struct pp_func_sum *s1, *s2;
	struct pp_frame fr[2];
	char err[256];
	ssize_t n1, n2;
	size_t nstacks;

	build_profile(&p);
	build_data(&d, &p);
	cr_assert_eq(pp_profile_file__save(tmp_path("x"), &d, "v"), 0);
	cr_assert_eq(pp_profile_file__load(tmp_path("x"), &l, err, sizeof(err)), 0, "%s", err);

	/* The same sums... */
	n1 = pp_profile__sum(&p, PP_SUM_LINES | PP_SUM_PER_THREAD, 0, &s1);
	n2 = pp_profile__sum(&l.profile, PP_SUM_LINES | PP_SUM_PER_THREAD, 0, &s2);
	cr_assert_gt(n1, 0);
	cr_assert_eq(n1, n2);
	cr_assert_eq(memcmp(s1, s2, (size_t)n1 * sizeof(*s1)), 0);
	free(s1);
	free(s2);

	/* ...and the indexes work: known functions and stacks are found. */
	fr[0] = frame_of(&l.profile, "work|/src/app.py|10", 12);
	fr[1] = frame_of(&l.profile, "main|/src/app.py|1", 3);
	cr_assert_eq(fr[0].func, frame_of(&p, "work|/src/app.py|10", 12).func);
	nstacks = l.profile.nstacks;
	cr_assert_eq(pp_profile__add_sample(&l.profile, 0, 100, 100, fr, 2, 1), 0);
	cr_assert_eq(l.profile.nstacks, nstacks);
	cr_assert_eq(l.profile.stacks[0].samples[0], 701);
	pp_loaded__free(&l);
	pp_profile__free(&p);
}

Test(profile_file, run_without_profile_round_trips)
{
	struct pp_report_data d;
	struct pp_loaded l;
	char err[256];

	build_data(&d, NULL);
	d.profile = NULL;
	d.interpreter = NULL;
	d.attribution_note = "no CPython found in the target";
	d.nrows = 0;
	d.runs = 1;
	cr_assert_eq(pp_profile_file__save(tmp_path("np"), &d, ""), 0);
	cr_assert_eq(pp_profile_file__load(tmp_path("np"), &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(l.data.profile);
	cr_assert_not_null(l.data.rows, "rows is never NULL, even when empty");
	assert_same_data(&d, &l.data);
	pp_loaded__free(&l);
}

Test(profile_file, invalid_utf8_is_saved_repaired)
{
	struct pp_profile p;
	struct pp_report_data d;
	struct pp_loaded l;
	struct pp_frame fr;
	char err[256];

	cr_assert_eq(pp_profile__init(&p), 0);
	cr_assert_eq(pp_profile__add_event(&p, "task-clock", 1000), 0);
	fr = frame_of(&p, "f|/home/caf\xe9.py|1", 2);   /* a Latin-1 path */
	cr_assert_eq(pp_profile__add_sample(&p, 0, 1, 1, &fr, 1, 4), 0);
	build_data(&d, &p);
	d.command = "python3 caf\xe9.py \xff";
	cr_assert_eq(pp_profile_file__save(tmp_path("u"), &d, "v"), 0);
	cr_assert_eq(pp_profile_file__load(tmp_path("u"), &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(l.profile.funcs[fr.func].file, "/home/caf\xef\xbf\xbd.py");
	cr_assert_str_eq(l.data.command, "python3 caf\xef\xbf\xbd.py \xef\xbf\xbd");
	cr_assert_eq(l.profile.stacks[0].samples[0], 4);
	pp_loaded__free(&l);
	pp_profile__free(&p);
}

/* ---------------------------------------------------------- atomic save */

Test(profile_file, save_replaces_an_existing_file)
{
	struct pp_report_data d;
	struct pp_loaded l;
	char err[256];

	build_data(&d, NULL);
	d.profile = NULL;
	spit(tmp_path("r"), "old contents", 12);
	cr_assert_eq(pp_profile_file__save(tmp_path("r"), &d, "v"), 0);
	cr_assert_eq(pp_profile_file__load(tmp_path("r"), &l, err, sizeof(err)), 0, "%s", err);
	pp_loaded__free(&l);
	cr_assert_eq(dir_entries(), 1);
}

Test(profile_file, failed_save_leaves_nothing_behind)
{
	struct pp_report_data d;

	build_data(&d, NULL);
	d.profile = NULL;
	cr_assert_eq(pp_profile_file__save(tmp_path("no/such/dir/f"), &d, "v"), -ENOENT);
	/* rename onto a directory fails after the data was written */
	cr_assert_eq(mkdir(tmp_path("isdir"), 0700), 0);
	cr_assert_lt(pp_profile_file__save(tmp_path("isdir"), &d, "v"), 0);
	cr_assert_eq(dir_entries(), 1, "only the directory");
}

/* ----------------------------------------------------- malformed inputs */

Test(profile_file, empty_file)
{
	char err[256];
	struct pp_loaded l;

	spit(tmp_path("empty"), "", 0);
	cr_assert_eq(pp_profile_file__load(tmp_path("empty"), &l, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "/empty is empty"), "%s", err);
	pp_loaded__free(&l);
}

Test(profile_file, missing_file)
{
	char err[256];
	struct pp_loaded l;

	cr_assert_eq(pp_profile_file__load(tmp_path("nope"), &l, err, sizeof(err)), -ENOENT);
	cr_assert_not_null(strstr(err, "cannot open"), "%s", err);
	pp_loaded__free(&l);
}

Test(profile_file, wrong_magic)
{
	static const char perf_data[] = "PERFILE2\x68\0\0\0\0\0\0\0";
	static const char text[] = "task-clock 123\n";

	expect_error((const uint8_t *)perf_data, sizeof(perf_data) - 1, -EINVAL,
		     "prof.ppstat is not a pyperf-stat profile");
	expect_error((const uint8_t *)text, 3, -EINVAL, "is not a pyperf-stat profile");
}

Test(profile_file, newer_format_version)
{
	size_t len;
	uint8_t *b = valid_file(&len);

	put_le(b + 8, 3, 4);
	expect_error(b, len, -ENOTSUP, "prof.ppstat was written by a newer pyperf-stat "
		     "(format 3; this one reads up to 1): upgrade");
	free(b);
}

Test(profile_file, truncated_at_every_offset)
{
	size_t len, cut;
	uint8_t *b = valid_file(&len);

	expect_error(b, 0, -EINVAL, "is empty");
	for (cut = 1; cut < len; cut++) {
		/* a copy of exactly CUT bytes, so that valgrind and ASan see
		 * any read past the end */
		uint8_t *c = malloc(cut);

		memcpy(c, b, cut);
		expect_error(c, cut, -EINVAL, "is truncated");
		free(c);
	}
	free(b);
}

Test(profile_file, truncated_file_names_section_and_sizes)
{
	size_t len, stak;
	uint64_t seclen;
	uint8_t *b = valid_file(&len);
	char want[128];

	stak = section(b, len, "STAK", &seclen);
	snprintf(want, sizeof(want), "prof.ppstat is truncated (section 'stacks' needs "
		 "%llu bytes, 17 left)", (unsigned long long)seclen);
	expect_error(b, stak + 17, -EINVAL, want);
	free(b);
}

Test(profile_file, huge_counts_fail_before_allocating)
{
	size_t len, at;
	uint8_t *b = valid_file(&len);

	at = section(b, len, "STAK", NULL);
	put_le(b + at, 1ull << 40, 8);
	expect_error(b, len, -EINVAL, "section 'stacks': claims 1099511627776 entries");
	put_le(b + at, UINT64_MAX, 8);
	expect_error(b, len, -EINVAL, "claims 18446744073709551615 entries");
	free(b);

	b = valid_file(&len);
	at = section(b, len, "STAK", NULL);
	put_le(b + at + 8 + 8, 0xffffffff, 4);  /* nframes of stack 0 */
	expect_error(b, len, -EINVAL, "section 'stacks', stack 0: 4294967295 frames");
	free(b);

	b = valid_file(&len);
	at = section(b, len, "FUNC", NULL);
	put_le(b + at, 1ull << 40, 8);
	expect_error(b, len, -EINVAL, "section 'functions': claims");
	free(b);

	b = valid_file(&len);
	at = section(b, len, "EVNT", NULL);
	put_le(b + at, 17, 8);
	expect_error(b, len, -EINVAL, "section 'events': claims 17");
	free(b);
}

Test(profile_file, string_length_past_the_section)
{
	size_t len, at;
	uint8_t *b = valid_file(&len);

	at = section(b, len, "PROC", NULL);
	put_le(b + at + 8 + 4, 0x7fffffff, 4);  /* command of process 0 */
	expect_error(b, len, -EINVAL, "section 'processes', process 0: needs 2147483647 bytes");
	free(b);
}

static void patch_string(uint8_t *b, size_t len, const char *s, size_t off, uint8_t v)
{
	uint8_t *at = memmem(b, len, s, strlen(s));

	cr_assert_not_null(at, "%s", s);
	at[off] = v;
}

Test(profile_file, bad_utf8_names_the_section)
{
	char want[128];
	size_t len;
	uint8_t *b = valid_file(&len);

	patch_string(b, len, "método", 2, 0xff);
	snprintf(want, sizeof(want), "section 'functions', function %d: qualname is not "
		 "valid UTF-8", PP_FUNC_FIRST_USER + 2);   /* after work and main */
	expect_error(b, len, -EINVAL, want);
	free(b);

	b = valid_file(&len);
	patch_string(b, len, "\xe6\x97\xa5", 0, 0xc0);  /* overlong lead byte */
	expect_error(b, len, -EINVAL, "qualname is not valid UTF-8");
	free(b);

	b = valid_file(&len);
	patch_string(b, len, "/usr/bin/python3.12", 0, 0xed); /* "\xed/u": bad */
	expect_error(b, len, -EINVAL, "section 'meta': interpreter is not valid UTF-8");
	free(b);

	b = valid_file(&len);
	patch_string(b, len, "msec", 1, 0);
	expect_error(b, len, -EINVAL, "section 'rows', row 0: unit contains a NUL byte");
	free(b);
}

Test(profile_file, frame_function_out_of_range)
{
	size_t len, at;
	uint8_t *b = valid_file(&len);

	at = section(b, len, "STAK", NULL);
	put_le(b + at + 8 + 12, 0xfffffff0, 4);  /* stack 0, frame 0 */
	expect_error(b, len, -EINVAL, "stack 0: frame 0 calls function 4294967280 of");
	free(b);
}

Test(profile_file, unknown_status_and_runs)
{
	size_t len, at;
	uint8_t *b = valid_file(&len);

	at = section(b, len, "ROWS", NULL);
	/* row 0: u64 n, str "task-clock", str "msec", type, config, status */
	put_le(b + at + 8 + 4 + 10 + 4 + 4 + 4 + 8, 9, 4);
	expect_error(b, len, -EINVAL, "row 0: unknown status 9");
	free(b);

	b = valid_file(&len);
	at = section(b, len, "META", NULL);
	at += 4 + 5;  /* tool version "0.1.0" */
	at += 4 + strlen("python3 ünïcødé.py ☃ 🐍 'a b'");
	put_le(b + at, 0, 4);
	expect_error(b, len, -EINVAL, "section 'meta': 0 runs");
	free(b);
}

Test(profile_file, checksum_catches_flipped_bits)
{
	size_t len, at;
	uint8_t *b = valid_file(&len);

	at = section(b, len, "LOST", NULL);
	b[at] ^= 0x01;   /* dropped 17 -> 16: still parses */
	expect_error(b, len, -EINVAL, "is corrupt (checksum");
	fix_crc(b, len);
	expect_error(b, len, 0, "");
	free(b);
}

Test(profile_file, unknown_sections_are_skipped_unless_required)
{
	size_t len, end, n;
	uint8_t *b = valid_file(&len), *c;
	static const uint8_t extra[] = "XTRA\0\0\0\0\x05\0\0\0\0\0\0\0hello";
	struct pp_loaded l;
	char err[256];

	/* a later version's section before 'END ' */
	end = section(b, len, "RUNS", NULL) - 16;
	n = len + sizeof(extra) - 1;
	c = malloc(n);
	memcpy(c, b, end);
	memcpy(c + end, extra, sizeof(extra) - 1);
	memcpy(c + end + sizeof(extra) - 1, b + end, len - end);
	fix_crc(c, n);
	cr_assert_eq(pp_profile_file__load_mem(c, n, "x", &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l.profile.dropped, 17);
	pp_loaded__free(&l);

	c[end + 4] = 1;  /* flags: required */
	fix_crc(c, n);
	expect_error(c, n, -ENOTSUP, "needs a newer pyperf-stat (it has a required "
		     "section 'XTRA')");
	free(c);
	free(b);
}

Test(profile_file, sections_out_of_order_or_trailing)
{
	size_t len;
	uint8_t *b = valid_file(&len), *c;

	/* the 'END ' section twice */
	c = malloc(len + 20);
	memcpy(c, b, len);
	memcpy(c + len, b + len - 20, 20);
	expect_error(c, len + 20, -EINVAL, "data after the 'end' section: 20 bytes");
	/* a stray byte */
	expect_error(c, len + 1, -EINVAL, "data after the 'end' section: 1 bytes");
	free(c);

	/* 'stacks' renamed 'meta' */
	memcpy(b + section(b, len, "STAK", NULL) - 16, "META", 4);
	expect_error(b, len, -EINVAL, "section 'meta' after 'functions'");
	free(b);
}

Test(profile_file, larger_than_the_limit)
{
	static const uint8_t small[16] = { 0x89, 'P', 'Y', 'P', 'E', 'R', 'F', '\n', 1 };
	struct pp_loaded l;
	char err[256];
	int fd;

	/* the memory loader trusts the length it is given, and must refuse
	 * before reading any of it */
	expect_error(small, PP_PROFILE_FILE_MAX_SIZE + 1, -EFBIG,
		     "prof.ppstat is 536870913 bytes, more than the 536870912");

	/* a sparse file: no disk space, but fstat says 513 MiB */
	fd = open(tmp_path("big"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, small, sizeof(small)), (ssize_t)sizeof(small));
	cr_assert_eq(ftruncate(fd, (off_t)PP_PROFILE_FILE_MAX_SIZE + (1 << 20)), 0);
	close(fd);
	cr_assert_eq(pp_profile_file__load(tmp_path("big"), &l, err, sizeof(err)), -EFBIG);
	cr_assert_not_null(strstr(err, "is 537919488 bytes, more than the 536870912"),
			   "%s", err);
	pp_loaded__free(&l);
}

Test(profile_file, every_single_byte_corruption_fails_cleanly)
{
	size_t len, i;
	uint8_t *b = valid_file(&len);
	char err[512];

	/* With the checksum, any change must be refused; the point is that
	 * the parser reaches every field first and never crashes or leaks. */
	for (i = 0; i < len; i++) {
		static const uint8_t flips[] = { 0xff, 0x80, 0x01 };

		for (size_t k = 0; k < sizeof(flips); k++) {
			b[i] ^= flips[k];
			err[0] = '\0';
			cr_assert_lt(load_buf(b, len, err, sizeof(err)), 0, "byte %zu", i);
			cr_assert_neq(err[0], '\0', "byte %zu: no message", i);
			b[i] ^= flips[k];
		}
	}
	free(b);
}

Test(profile_file, utf8_validation_is_strict)
{
	static const struct { const char *s; int ok; } cases[] = {
		{ "", 1 }, { "ascii", 1 }, { "é", 1 }, { "日本", 1 }, { "🐍", 1 },
		{ "\xc3", 0 },                 /* cut short */
		{ "\xc0\xaf", 0 },             /* overlong '/' */
		{ "\xe0\x80\xaf", 0 },         /* overlong, 3 bytes */
		{ "\xed\xa0\x80", 0 },         /* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", 0 },     /* U+110000 */
		{ "\xf4\x8f\xbf\xbf", 1 },     /* U+10FFFF */
		{ "\x80", 0 }, { "a\xffz", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(pp_utf8__valid(cases[i].s, strlen(cases[i].s)), cases[i].ok,
			     "case %zu", i);
}

/* ------------------------------------------------------- per-run data */

/* Offset of run RUN's function count in the RUNS section of a valid_file()
 * (3 runs, 4 values, 3 events). */
static size_t run_nfuncs_at(const uint8_t *b, size_t len, int run)
{
	size_t at = section(b, len, "RUNS", NULL) + 12;
	int i;

	for (i = 0;; i++) {
		uint64_t nf = 0;

		at += 8 + 4 * 8 + 3 * 8;
		if (i == run)
			return at;
		for (int k = 0; k < 8; k++)
			nf |= (uint64_t)b[at + k] << (8 * k);
		at += 8 + nf * (4 + 2 * 3 * 8);
	}
}

Test(profile_file, runs_section_is_optional_and_round_trips)
{
	size_t len, at;
	uint8_t *b = valid_file(&len);
	struct pp_loaded l;
	char err[256];

	at = section(b, len, "RUNS", NULL);
	cr_assert_eq(b[at - 12] | b[at - 11] | b[at - 10] | b[at - 9], 0,
		     "RUNS must not be marked required: older readers skip it");
	cr_assert_eq(load_buf(b, len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pp_profile_file__load_mem(b, len, "x", &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(l.data.run);
	cr_assert_eq(l.data.run[1].samples[0], 300);
	cr_assert_eq(l.data.run[2].nfuncs, 1);
	cr_assert_eq(l.data.run[2].funcs[0].self[0], 202);
	cr_assert_str_eq(l.profile.funcs[l.data.run[2].funcs[0].func].qualname, "work");
	cr_assert(isnan(l.data.run[0].values[2]));
	cr_assert_eq(l.data.run[2].values[2], 12.0);
	pp_loaded__free(&l);

	/* What a reader that predates RUNS sees: an unknown, optional
	 * section, skipped; the rest of the file is unchanged. */
	memcpy(b + at - 16, "RUNX", 4);
	fix_crc(b, len);
	cr_assert_eq(pp_profile_file__load_mem(b, len, "x", &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(l.data.run);
	cr_assert_eq(l.data.runs, 3);
	pp_loaded__free(&l);
	free(b);
}

Test(profile_file, file_without_runs_loads_without_run_data)
{
	struct pp_profile p;
	struct pp_report_data d;
	struct pp_loaded l;
	char err[256];

	build_profile(&p);
	build_data(&d, &p);
	d.run = NULL;
	cr_assert_eq(pp_profile_file__save(tmp_path("nr"), &d, "v"), 0);
	cr_assert_eq(pp_profile_file__load(tmp_path("nr"), &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(l.data.run);
	assert_same_data(&d, &l.data);
	pp_loaded__free(&l);
	pp_profile__free(&p);
}

Test(profile_file, runs_without_profile_round_trip)
{
	static double v[2][4] = { { 1e6, 2, NAN, NAN }, { 1.1e6, 3, NAN, NAN } };
	struct pp_run r[2] = { { .elapsed_s = 0.5, .values = v[0] },
			       { .elapsed_s = 0.25, .values = v[1] } };
	struct pp_report_data d;
	struct pp_loaded l;
	char err[256];

	build_data(&d, NULL);
	d.profile = NULL;
	d.runs = 2;
	d.run = r;
	cr_assert_eq(pp_profile_file__save(tmp_path("rp"), &d, "v"), 0);
	cr_assert_eq(pp_profile_file__load(tmp_path("rp"), &l, err, sizeof(err)), 0, "%s", err);
	assert_same_data(&d, &l.data);
	pp_loaded__free(&l);
}

static void save_loads_without_runs(const struct pp_report_data *d, const char *name)
{
	struct pp_loaded l;
	char err[256];

	cr_assert_eq(pp_profile_file__save(tmp_path(name), d, "v"), 0);
	cr_assert_eq(pp_profile_file__load(tmp_path(name), &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(l.data.run, "%s: inconsistent per-run figures were saved", name);
	cr_assert_not_null(l.data.profile);
	pp_loaded__free(&l);
}

Test(profile_file, inconsistent_runs_are_left_out_not_the_profile)
{
	struct pp_profile p;
	struct pp_report_data d;

	build_profile(&p);
	build_data(&d, &p);
	run_funcs[0][0].func = (uint32_t)p.nfuncs;            /* no such function */
	save_loads_without_runs(&d, "i1");
	fill_runs(&p);
	run_funcs[1][0].self[0] = run_funcs[1][0].total[0] + 1; /* self > inclusive */
	save_loads_without_runs(&d, "i2");
	fill_runs(&p);
	runs[2].samples[0] = 1000;                               /* more than recorded */
	save_loads_without_runs(&d, "i3");
	pp_profile__free(&p);
}

Test(profile_file, corrupt_runs_are_refused)
{
	char want[128];
	size_t len, at, runs_at;
	uint8_t *b = valid_file(&len);

	runs_at = section(b, len, "RUNS", NULL);
	put_le(b + runs_at, 4, 4);
	fix_crc(b, len);
	expect_error(b, len, -EINVAL, "section 'runs': 4 runs, but 'meta' says 3");
	put_le(b + runs_at, 3, 4);
	put_le(b + runs_at + 4, 5, 4);
	fix_crc(b, len);
	expect_error(b, len, -EINVAL, "section 'runs': 5 values per run for 4 rows");
	put_le(b + runs_at + 4, 4, 4);
	put_le(b + runs_at + 8, 2, 4);
	fix_crc(b, len);
	expect_error(b, len, -EINVAL, "section 'runs': 2 events per run for 3 sampled events");
	free(b);

	/* function id past the FUNC table */
	b = valid_file(&len);
	at = run_nfuncs_at(b, len, 1);
	put_le(b + at + 8, 0x7fffffff, 4);
	fix_crc(b, len);
	expect_error(b, len, -EINVAL, "section 'runs', run 1: function 2147483647 of");
	free(b);

	/* self above inclusive */
	b = valid_file(&len);
	at = run_nfuncs_at(b, len, 0);
	put_le(b + at + 8 + 4, 999, 8);
	fix_crc(b, len);
	snprintf(want, sizeof(want), "run 0: function %d has 999 self samples of event 0 "
		 "but 200 inclusive", PP_FUNC_FIRST_USER);   /* work */
	expect_error(b, len, -EINVAL, want);
	free(b);

	/* inclusive above the run's samples */
	b = valid_file(&len);
	at = run_nfuncs_at(b, len, 2);
	put_le(b + at + 8 + 4 + 3 * 8, 216, 8);
	put_le(b + at + 8 + 4, 216, 8);
	fix_crc(b, len);
	snprintf(want, sizeof(want), "run 2: function %d has 216 samples of event 0, "
		 "the run 215", PP_FUNC_FIRST_USER);
	expect_error(b, len, -EINVAL, want);
	free(b);

	/* runs with more samples than the profile */
	b = valid_file(&len);
	at = run_nfuncs_at(b, len, 2);
	put_le(b + at - 24, 216, 8);
	fix_crc(b, len);
	expect_error(b, len, -EINVAL, "run 2: the runs have more samples of event 0 than the 815");
	free(b);

	/* counts that could not fit */
	b = valid_file(&len);
	at = run_nfuncs_at(b, len, 0);
	put_le(b + at, 1ull << 40, 8);
	fix_crc(b, len);
	expect_error(b, len, -EINVAL, "run 0: claims 1099511627776 entries");
	free(b);

	b = valid_file(&len);
	runs_at = section(b, len, "RUNS", NULL);
	put_le(b + runs_at + 4, 0xffffffff, 4);
	fix_crc(b, len);
	expect_error(b, len, -EINVAL, "4294967295 values per run");
	free(b);
}

Test(profile_file, runs_need_the_function_table)
{
	static double v[1][4] = { { 1e6, 2, NAN, NAN } };
	static struct pp_run_func f = { .func = 3 };
	struct pp_run r = { .elapsed_s = 0.5, .values = v[0], .funcs = &f, .nfuncs = 1 };
	struct pp_report_data d;
	struct pp_loaded l;
	char err[256];

	/* a run without a profile: its functions have nothing to refer to
	 * and are not written */
	build_data(&d, NULL);
	d.profile = NULL;
	d.runs = 1;
	d.run = &r;
	cr_assert_eq(pp_profile_file__save(tmp_path("nf"), &d, "v"), 0);
	cr_assert_eq(pp_profile_file__load(tmp_path("nf"), &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l.data.run[0].nfuncs, 0);
	pp_loaded__free(&l);
}

/* Files larger than the reader's first buffer (64 KiB) were read past
 * the end of it (a heap overflow that aborted `report` on real runs). */
Test(profile_file, large_file_loads)
{
	struct pp_profile p;
	struct pp_report_data d;
	struct pp_loaded l;
	char err[256] = "", name[64];
	const char *a = tmp_path("big.ppstat");
	size_t i, len;
	uint8_t *raw;

	cr_assert_eq(pp_profile__init(&p), 0);
	cr_assert_eq(pp_profile__add_event(&p, "task-clock", 1000000), 0);
	for (i = 0; i < 20000; i++) {
		struct pp_frame f;
		int64_t id;

		snprintf(name, sizeof(name), "generated_%zu", i);
		id = pp_profile__intern_func(&p, name, "/src/generated.py", (int)i + 1);
		cr_assert_geq(id, 0);
		f.func = (uint32_t)id;
		f.line = (int32_t)i + 2;
		cr_assert_eq(pp_profile__add_sample(&p, 0, 1, 1, &f, 1, i + 1), 0);
	}
	memset(&d, 0, sizeof(d));
	d.command = "python3 generated.py";
	d.runs = 1;
	d.profile = &p;
	cr_assert_eq(pp_profile_file__save(a, &d, "test"), 0);
	raw = slurp(a, &len);
	free(raw);
	cr_assert_gt(len, 4u << 16, "the file is larger than the first buffer (%zu)", len);
	cr_assert_eq(pp_profile_file__load(a, &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l.profile.nstacks, p.nstacks);
	cr_assert_eq(l.profile.ev[0].samples, p.ev[0].samples);
	pp_loaded__free(&l);
	pp_profile__free(&p);
}

/* An exact profile keeps its calls event and hook cost (EXCT). */
Test(profile_file, exact_profile_round_trips)
{
	struct pp_profile p;
	struct pp_report_data d;
	struct pp_loaded l;
	char err[256] = "";
	const char *a = tmp_path("exact.ppstat");
	struct pp_frame f;
	int64_t id;

	cr_assert_eq(pp_profile__init(&p), 0);
	cr_assert_eq(pp_profile__add_event(&p, "task-clock", 1), 0);
	cr_assert_eq(pp_profile__add_event(&p, "calls", 1), 1);
	p.exact = 1;
	p.calls_event = 1;
	p.exact_hooks = 4053;
	p.exact_cost[0] = 5601234.5;
	id = pp_profile__intern_func(&p, "ping", "/src/calls.py", 42);
	f.func = (uint32_t)id;
	f.line = 0;
	cr_assert_eq(pp_profile__add_sample(&p, 0, 1, 1, &f, 1, 440000), 0);
	cr_assert_eq(pp_profile__add_sample(&p, 1, 1, 1, &f, 1, 1000), 0);
	memset(&d, 0, sizeof(d));
	d.command = "python3 calls.py";
	d.runs = 1;
	d.profile = &p;
	cr_assert_eq(pp_profile_file__save(a, &d, "test"), 0);
	cr_assert_eq(pp_profile_file__load(a, &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l.profile.exact, 1);
	cr_assert_eq(l.profile.calls_event, 1);
	cr_assert_eq(l.profile.exact_hooks, 4053);
	cr_assert_float_eq(l.profile.exact_cost[0], 5601234.5, 1e-9);
	cr_assert_eq(l.profile.ev[1].samples, 1000);
	pp_loaded__free(&l);
	pp_profile__free(&p);
}
