#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pyperf/export.h"

/* ------------------------------------------------------------ the run */

/* Ground truth: which stack got how many samples of which event.  Event 0
 * has no counted total (values are samples x period), event 1 does (the
 * values must add up to it exactly), event 2 sampled nothing. */
enum { TASK, CYCLES, INSNS };

static const struct {
	const char *funcs[3];   /* innermost first: "qualname|file|firstline" */
	int lines[3];
	uint32_t pid, tid;
	uint64_t n[3];
} stacks[] = {
	{ { "work|/w/app.py|10", "main|/w/app.py|1" }, { 12, 5 }, 10, 10, { 6, 1, 0 } },
	{ { "work|/w/app.py|10", "main|/w/app.py|1" }, { 12, 5 }, 10, 11, { 4, 1, 0 } },
	{ { "helper|/w/lib.py|20", "main|/w/app.py|1" }, { 21, 5 }, 10, 10, { 2, 0, 0 } },
	{ { "f;g\nh|/w/odd;name.py|2", "<module>|/w/odd;name.py|1" }, { 4, 3 }, 20, 20,
	  { 1, 1, 0 } },
	{ { "<native>||0" }, { 0 }, 30, 31, { 3, 0, 0 } },
	{ { "work|/w/app.py|10" }, { 13 }, 0, 0, { 1, 0, 0 } },
};

#define NSTACKS (sizeof(stacks) / sizeof(stacks[0]))

static struct pp_profile prof;
static struct pp_report_data data;
static char dir[64];

static uint32_t func_id(const char *spec)
{
	const char *b1 = strchr(spec, '|'), *b2 = strchr(b1 + 1, '|');
	char *q = strndup(spec, (size_t)(b1 - spec));
	char *f = strndup(b1 + 1, (size_t)(b2 - b1 - 1));
	int64_t id = pp_profile__intern_func(&prof, q, f, atoi(b2 + 1));

	free(q);
	free(f);
	cr_assert_geq(id, 0);
	return (uint32_t)id;
}

static void setup(void)
{
	size_t i, n, e;

	cr_assert_eq(pp_profile__init(&prof), 0);
	cr_assert_eq(pp_profile__add_event(&prof, "task-clock", 1000000), TASK);
	cr_assert_eq(pp_profile__add_event(&prof, "cycles", 1000), CYCLES);
	cr_assert_eq(pp_profile__add_event(&prof, "instructions:u", 2000), INSNS);
	prof.ev[CYCLES].total = 1000000.4;
	for (i = 0; i < NSTACKS; i++) {
		struct pp_frame fr[3];

		for (n = 0; n < 3 && stacks[i].funcs[n]; n++)
			fr[n] = (struct pp_frame){ func_id(stacks[i].funcs[n]), stacks[i].lines[n] };
		for (e = 0; e < 3; e++)
			if (stacks[i].n[e])
				cr_assert_eq(pp_profile__add_sample(&prof, (int)e, stacks[i].pid,
								    stacks[i].tid, fr, n,
								    stacks[i].n[e]), 0);
	}
	cr_assert_eq(pp_profile__add_process(&prof, 10, "python3 app.py"), 0);
	cr_assert_eq(pp_profile__add_process(&prof, 20, "python3 -c 'a; b'"), 0);
	prof.dropped = 2;

	data = (struct pp_report_data){
		.command = "python3 app.py",
		.runs = 1,
		.elapsed_s = 1.5,
		.profile = &prof,
		.interpreter = "CPython 3.12.1 (/usr/bin/python3.12)",
	};
	strcpy(dir, "/tmp/pp-export-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	pp_profile__free(&prof);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
	rmdir(dir);
}

TestSuite(export, .init = setup, .fini = teardown);

/* --------------------------------------------------------- collapsed */

static char *collapsed(int event, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	*ret = pp_export__collapsed(f, &prof, event);
	fclose(f);
	return buf;
}

Test(export, collapsed_stacks_root_first_with_sampled_lines)
{
	int ret;
	char *out = collapsed(TASK, &ret);

	cr_assert_eq(ret, 0);
	/* Sorted; the two threads of pid 10 share one line (6 + 4); the
	 * stack merged away from its pid has no root; ';' and the newline
	 * in names cannot split frames or lines. */
	cr_assert_str_eq(out,
		"pid 30;<native> 3\n"
		"python3 -c 'a\xef\xbc\x9b b';<module> (/w/odd\xef\xbc\x9bname.py:3);"
		"f\xef\xbc\x9bg h (/w/odd\xef\xbc\x9bname.py:4) 1\n"
		"python3 app.py;main (/w/app.py:5);helper (/w/lib.py:21) 2\n"
		"python3 app.py;main (/w/app.py:5);work (/w/app.py:12) 10\n"
		"work (/w/app.py:13) 1\n");
	free(out);
}

Test(export, collapsed_counts_add_up_to_the_samples_of_each_event)
{
	for (int e = 0; e < 3; e++) {
		int ret, lines = 0;
		char *out = collapsed(e, &ret), *line, *save = NULL;
		uint64_t sum = 0;

		cr_assert_eq(ret, 0);
		for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *sp = strrchr(line, ' ');

			cr_assert_not_null(sp, "%s", line);
			sum += strtoull(sp + 1, NULL, 10);
			lines++;
		}
		cr_assert_eq(sum, prof.ev[e].samples, "event %d", e);
		cr_assert_eq(lines, e == TASK ? 5 : e == CYCLES ? 2 : 0);
		free(out);
	}
	cr_assert_eq(prof.ev[TASK].samples, 17);
}

Test(export, collapsed_rejects_bad_event_and_reports_write_errors)
{
	FILE *full = fopen("/dev/full", "w");
	int ret;

	cr_assert_eq(pp_export__collapsed(stdout, &prof, 3), -EINVAL);
	cr_assert_eq(pp_export__collapsed(stdout, &prof, -1), -EINVAL);
	free(collapsed(INSNS, &ret));
	cr_assert_eq(ret, 0);
	if (!full)
		cr_skip_test("no /dev/full to provoke a write error");
	cr_assert_eq(pp_export__collapsed(full, &prof, TASK), -EIO);
	fclose(full);
}

Test(export, collapsed_file_names_per_event)
{
	char buf[64];

	cr_assert_eq(pp_export__collapsed_path(buf, sizeof(buf), "out.folded", &prof, 0), 10);
	cr_assert_str_eq(buf, "out.folded");
	cr_assert_gt(pp_export__collapsed_path(buf, sizeof(buf), "out.folded", &prof, 2), 0);
	cr_assert_str_eq(buf, "out.folded.instructions_u");
	cr_assert_eq(pp_export__collapsed_path(buf, 12, "out.folded", &prof, 1), -ENAMETOOLONG);
	cr_assert_eq(pp_export__collapsed_path(buf, sizeof(buf), "x", &prof, 3), -EINVAL);

	/* names that sanitize alike stay apart */
	cr_assert_eq(pp_profile__add_event(&prof, "instructions/u", 1), 3);
	cr_assert_gt(pp_export__collapsed_path(buf, sizeof(buf), "x", &prof, 3), 0);
	cr_assert_str_eq(buf, "x.instructions_u.3");
	cr_assert_eq(pp_profile__add_event(&prof, "cpu/event=0x3c,umask=0/", 1), 4);
	cr_assert_gt(pp_export__collapsed_path(buf, sizeof(buf), "x", &prof, 4), 0);
	cr_assert_str_eq(buf, "x.cpu_event_0x3c_umask_0_");
}

/* -------------------------------------------------------------- pprof */

/* What protoc's text output says, reduced to what the checks need. */
struct decoded {
	char *str[256];
	size_t nstr;
	int64_t st_type[8], st_unit[8];
	size_t nst;
	struct { uint64_t loc[8]; size_t nloc; int64_t val[8]; size_t nval;
		 int64_t label_key[4], label_num[4]; size_t nlabel;
		 int64_t pid, tid; } sample[64];
	size_t nsample;
	struct { uint64_t id, func; int64_t line; } loc[64];
	size_t nloc;
	struct { uint64_t id; int64_t name, system_name, filename, start_line; } fn[64];
	size_t nfn;
	int64_t duration, period, pt_type, pt_unit, default_type;
	int64_t comment[16];
	size_t ncomment;
};

static const char *str_at(const struct decoded *d, int64_t i)
{
	cr_assert(i >= 0 && (size_t)i < d->nstr, "string index %" PRId64 " of %zu", i, d->nstr);
	return d->str[i];
}

/* protoc's text format escapes: \n \t \" \\ ... and octal \NNN. */
static char *unquote(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	cr_assert_eq(*s++, '"', "%s", s);
	while (*s && *s != '"') {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		if (*s >= '0' && *s <= '7') {
			int v = 0;

			for (int k = 0; k < 3 && *s >= '0' && *s <= '7'; k++)
				v = v * 8 + (*s++ - '0');
			*o++ = (char)v;
			continue;
		}
		switch (*s) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		default: *o++ = *s; break;
		}
		s++;
	}
	*o = '\0';
	return out;
}

static void parse_text(FILE *f, struct decoded *d)
{
	char line[4096], path[4][32] = { "" };
	int depth = 0;
	int64_t label_key = 0, label_num = 0;

	memset(d, 0, sizeof(*d));
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *colon, *v;

		while (*s == ' ')
			s++;
		s[strcspn(s, "\n")] = '\0';
		if (!strcmp(s, "}")) {
			cr_assert_gt(depth, 0);
			depth--;
			if (depth == 1 && !strcmp(path[0], "sample") && !strcmp(path[1], "label")) {
				typeof(d->sample[0]) *sm = &d->sample[d->nsample - 1];

				cr_assert_lt(sm->nlabel, 4);
				sm->label_key[sm->nlabel] = label_key;
				sm->label_num[sm->nlabel++] = label_num;
				label_key = label_num = 0;
			}
			continue;
		}
		if (s[strlen(s) - 1] == '{') {
			cr_assert_lt(depth, 4);
			sscanf(s, "%31s", path[depth]);
			if (depth == 0 && !strcmp(path[0], "sample"))
				cr_assert_lt(d->nsample++, 64);
			if (depth == 0 && !strcmp(path[0], "location"))
				cr_assert_lt(d->nloc++, 64);
			if (depth == 0 && !strcmp(path[0], "function"))
				cr_assert_lt(d->nfn++, 64);
			if (depth == 0 && !strcmp(path[0], "sample_type"))
				cr_assert_lt(d->nst++, 8);
			depth++;
			continue;
		}
		colon = strchr(s, ':');
		cr_assert_not_null(colon, "unexpected line '%s'", s);
		*colon = '\0';
		v = colon + 2;
		if (depth == 0) {
			if (!strcmp(s, "string_table")) {
				cr_assert_lt(d->nstr, 256);
				d->str[d->nstr++] = unquote(v);
			} else if (!strcmp(s, "duration_nanos")) {
				d->duration = strtoll(v, NULL, 10);
			} else if (!strcmp(s, "period")) {
				d->period = strtoll(v, NULL, 10);
			} else if (!strcmp(s, "comment")) {
				d->comment[d->ncomment++] = strtoll(v, NULL, 10);
			} else if (!strcmp(s, "default_sample_type")) {
				d->default_type = strtoll(v, NULL, 10);
			}
		} else if (depth == 1 && !strcmp(path[0], "sample_type")) {
			if (!strcmp(s, "type"))
				d->st_type[d->nst - 1] = strtoll(v, NULL, 10);
			else
				d->st_unit[d->nst - 1] = strtoll(v, NULL, 10);
		} else if (depth == 1 && !strcmp(path[0], "period_type")) {
			if (!strcmp(s, "type"))
				d->pt_type = strtoll(v, NULL, 10);
			else
				d->pt_unit = strtoll(v, NULL, 10);
		} else if (depth == 1 && !strcmp(path[0], "sample")) {
			typeof(d->sample[0]) *sm = &d->sample[d->nsample - 1];

			if (!strcmp(s, "location_id"))
				sm->loc[sm->nloc++] = strtoull(v, NULL, 10);
			else if (!strcmp(s, "value"))
				sm->val[sm->nval++] = strtoll(v, NULL, 10);
		} else if (depth == 2 && !strcmp(path[1], "label")) {
			if (!strcmp(s, "key"))
				label_key = strtoll(v, NULL, 10);
			else if (!strcmp(s, "num"))
				label_num = strtoll(v, NULL, 10);
		} else if (depth == 1 && !strcmp(path[0], "location")) {
			if (!strcmp(s, "id"))
				d->loc[d->nloc - 1].id = strtoull(v, NULL, 10);
		} else if (depth == 2 && !strcmp(path[0], "location")) {
			if (!strcmp(s, "function_id"))
				d->loc[d->nloc - 1].func = strtoull(v, NULL, 10);
			else if (!strcmp(s, "line"))
				d->loc[d->nloc - 1].line = strtoll(v, NULL, 10);
		} else if (depth == 1 && !strcmp(path[0], "function")) {
			typeof(d->fn[0]) *fn = &d->fn[d->nfn - 1];

			if (!strcmp(s, "id"))
				fn->id = strtoull(v, NULL, 10);
			else if (!strcmp(s, "name"))
				fn->name = strtoll(v, NULL, 10);
			else if (!strcmp(s, "system_name"))
				fn->system_name = strtoll(v, NULL, 10);
			else if (!strcmp(s, "filename"))
				fn->filename = strtoll(v, NULL, 10);
			else if (!strcmp(s, "start_line"))
				fn->start_line = strtoll(v, NULL, 10);
		}
	}
	cr_assert_eq(depth, 0);
	/* labels name their keys by string index; the table comes last */
	for (size_t i = 0; i < d->nsample; i++) {
		for (size_t k = 0; k < d->sample[i].nlabel; k++) {
			const char *key;

			cr_assert_lt(d->sample[i].label_key[k], (int64_t)d->nstr);
			key = str_at(d, d->sample[i].label_key[k]);
			if (!strcmp(key, "pid"))
				d->sample[i].pid = d->sample[i].label_num[k];
			else if (!strcmp(key, "tid"))
				d->sample[i].tid = d->sample[i].label_num[k];
		}
	}
}

static void free_decoded(struct decoded *d)
{
	for (size_t i = 0; i < d->nstr; i++)
		free(d->str[i]);
}

#define PROTO_DIR "../../src/export/proto"

/* Writes the profile with pp_export__pprof and decodes it with gzip and
 * protoc, neither of which shares code with the writer. */
static void export_and_decode(struct decoded *d)
{
	char path[128], cmd[512];
	FILE *f;

	if (system("protoc --version >/dev/null 2>&1") != 0)
		cr_skip_test("protoc not found (Debian: protobuf-compiler): cannot decode "
			     "the pprof output independently");
	if (system("gzip --version >/dev/null 2>&1") != 0)
		cr_skip_test("gzip not found");
	cr_assert_eq(access(PROTO_DIR "/profile.proto", R_OK), 0,
		     "run from tests/unit: " PROTO_DIR "/profile.proto not found");
	snprintf(path, sizeof(path), "%s/out.pb.gz", dir);
	cr_assert_eq(pp_export__pprof(path, &data), 0);
	snprintf(cmd, sizeof(cmd), "gzip -dc %s | protoc --proto_path=" PROTO_DIR
		 " --decode perftools.profiles.Profile profile.proto", path);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	parse_text(f, d);
	cr_assert_eq(pclose(f), 0, "%s failed", cmd);
}

static const char *fn_name(const struct decoded *d, uint64_t loc_id, int64_t *line,
			   const char **file, int64_t *start)
{
	for (size_t i = 0; i < d->nloc; i++) {
		if (d->loc[i].id != loc_id)
			continue;
		*line = d->loc[i].line;
		for (size_t k = 0; k < d->nfn; k++) {
			if (d->fn[k].id == d->loc[i].func) {
				*file = str_at(d, d->fn[k].filename);
				*start = d->fn[k].start_line;
				cr_assert_eq(d->fn[k].system_name, d->fn[k].name);
				return str_at(d, d->fn[k].name);
			}
		}
	}
	cr_assert_fail("location %" PRIu64 " has no function", loc_id);
	return NULL;
}

Test(export, pprof_sample_types_and_totals_match_the_report)
{
	struct decoded d;
	int64_t sum[3] = { 0 };

	export_and_decode(&d);
	cr_assert_geq(d.nstr, 1);
	cr_assert_str_eq(str_at(&d, 0), "");
	cr_assert_eq(d.nst, 3);
	cr_assert_str_eq(str_at(&d, d.st_type[0]), "task-clock");
	cr_assert_str_eq(str_at(&d, d.st_unit[0]), "nanoseconds");
	cr_assert_str_eq(str_at(&d, d.st_type[1]), "cycles");
	cr_assert_str_eq(str_at(&d, d.st_unit[1]), "count");
	cr_assert_str_eq(str_at(&d, d.st_type[2]), "instructions:u");
	cr_assert_str_eq(str_at(&d, d.st_unit[2]), "count");

	cr_assert_eq(d.nsample, NSTACKS, "one sample per stack with samples");
	for (size_t i = 0; i < d.nsample; i++) {
		cr_assert_eq(d.sample[i].nval, 3);
		for (int e = 0; e < 3; e++)
			sum[e] += d.sample[i].val[e];
	}
	/* no counted total: samples x period */
	cr_assert_eq(sum[TASK], 17 * 1000000);
	/* counted total: the values add up to it exactly, whatever the
	 * rounding of 1000000.4 / 3 per sample */
	cr_assert_eq(sum[CYCLES], 1000000);
	cr_assert_eq(sum[INSNS], 0);

	cr_assert_str_eq(str_at(&d, d.pt_type), "task-clock");
	cr_assert_str_eq(str_at(&d, d.pt_unit), "nanoseconds");
	cr_assert_eq(d.period, 1000000);
	cr_assert_str_eq(str_at(&d, d.default_type), "task-clock");
	cr_assert_eq(d.duration, 1500000000);
	cr_assert_geq(d.ncomment, 3);
	cr_assert_str_eq(str_at(&d, d.comment[0]), "python3 app.py");
	cr_assert_str_eq(str_at(&d, d.comment[1]), "CPython 3.12.1 (/usr/bin/python3.12)");
	free_decoded(&d);
}

Test(export, pprof_stacks_functions_files_and_lines)
{
	struct decoded d;
	int64_t work_self = 0, main_total = 0, cycles_work = 0;
	int seen_odd = 0, seen_native = 0;

	export_and_decode(&d);
	for (size_t i = 0; i < d.nsample; i++) {
		const typeof(d.sample[0]) *sm = &d.sample[i];
		const char *file, *leaf;
		int64_t line, start;

		cr_assert_geq(sm->nloc, 1);
		leaf = fn_name(&d, sm->loc[0], &line, &file, &start);
		if (!strcmp(leaf, "work")) {
			cr_assert_str_eq(file, "/w/app.py");
			cr_assert_eq(start, 10);
			cr_assert(line == 12 || line == 13);
			work_self += sm->val[TASK];
			cycles_work += sm->val[CYCLES];
			if (line == 12) {
				cr_assert_eq(sm->pid, 10);
				cr_assert(sm->tid == 10 || sm->tid == 11);
			} else {
				cr_assert_eq(sm->pid, 0, "pid 0 is no label");
				cr_assert_eq(sm->nloc, 1);
			}
		} else if (!strcmp(leaf, "f;g\nh")) {
			cr_assert_str_eq(file, "/w/odd;name.py");
			cr_assert_eq(line, 4);
			cr_assert_eq(sm->nloc, 2);
			cr_assert_str_eq(fn_name(&d, sm->loc[1], &line, &file, &start), "<module>");
			cr_assert_eq(line, 3);
			cr_assert_eq(start, 1);
			seen_odd = 1;
		} else if (!strcmp(leaf, "<native>")) {
			cr_assert_str_eq(file, "");
			cr_assert_eq(sm->pid, 30);
			cr_assert_eq(sm->tid, 31);
			cr_assert_eq(sm->val[TASK], 3 * 1000000);
			seen_native = 1;
		}
		/* the root of pid 10's stacks */
		if (sm->pid == 10) {
			cr_assert_eq(sm->nloc, 2);
			cr_assert_str_eq(fn_name(&d, sm->loc[1], &line, &file, &start), "main");
			cr_assert_eq(line, 5);
			main_total += sm->val[TASK];
		}
	}
	cr_assert_eq(work_self, 11 * 1000000);
	cr_assert_eq(main_total, 12 * 1000000);
	/* 2 of the 3 cycles samples, scaled to the counted total */
	cr_assert_geq(cycles_work, 666666);
	cr_assert_leq(cycles_work, 666668);
	cr_assert(seen_odd && seen_native);
	free_decoded(&d);
}

Test(export, pprof_is_gzip_written_atomically)
{
	char path[128];
	unsigned char magic[2];
	FILE *f;
	DIR *dd;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "%s/p.pb.gz", dir);
	cr_assert_eq(pp_export__pprof(path, &data), 0);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(magic, 1, 2, f), 2);
	fclose(f);
	cr_assert_eq(magic[0], 0x1f);
	cr_assert_eq(magic[1], 0x8b);
	dd = opendir(dir);
	while ((e = readdir(dd)))
		n += e->d_name[0] != '.';
	closedir(dd);
	cr_assert_eq(n, 1, "no temporary file left");
}

Test(export, pprof_needs_a_profile)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/none.pb.gz", dir);
	data.profile = NULL;
	cr_assert_eq(pp_export__pprof(path, &data), -EINVAL);
	cr_assert_eq(access(path, F_OK), -1);
}

Test(export, pprof_encoding_is_deterministic)
{
	uint8_t *a, *b;
	size_t la, lb;

	cr_assert_eq(pp_export__pprof_encode(&data, &a, &la), 0);
	cr_assert_eq(pp_export__pprof_encode(&data, &b, &lb), 0);
	cr_assert_eq(la, lb);
	cr_assert_eq(memcmp(a, b, la), 0);
	free(a);
	free(b);
}
