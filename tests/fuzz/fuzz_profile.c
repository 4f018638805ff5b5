/* Fuzz target "profile": a saved profile (`pyperf-stat report FILE`) is
 * untrusted input.  The input is loaded with pp_profile_file__load_mem
 * and, when accepted, rendered through everything `report` can write:
 * perf stat's text, -x CSV and -j JSON with and without --lines,
 * --per-thread and --per-process, then the collapsed stacks of every
 * event, pprof and the HTML page, all to /dev/null or memory.
 *
 * Mutations rarely keep the CRC-32 of the "END " section right, so an
 * input ending in such a section that the loader refuses is loaded a
 * second time with the checksum recomputed: the code behind the check
 * is fuzzed too, and the same happens in the replay of every build
 * (tests/fuzz/replay.c), where src/profile_file.c checks checksums.
 *
 * Properties (include/pyperf/profile_file.h): 0 or one of the documented
 * errors with a message; an accepted profile is self-consistent (stacks
 * name known functions, events within PP_PROFILE_MAX_EVENTS); every
 * writer returns 0 on it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz.h"
#include "pyperf/export.h"
#include "pyperf/export_html.h"
#include "pyperf/profile_file.h"
#include "pyperf/report.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

static void check_loaded(const struct pp_loaded *l)
{
	const struct pp_profile *p = l->data.profile;
	size_t i, f;

	FUZZ_CHECK(l->data.rows != NULL);
	FUZZ_CHECK(l->data.runs >= 1);
	FUZZ_CHECK(l->data.command != NULL);
	FUZZ_CHECK(!p == !l->has_profile);
	if (!p)
		return;
	FUZZ_CHECK(p == &l->profile);
	FUZZ_CHECK(p->nevents <= PP_PROFILE_MAX_EVENTS);
	FUZZ_CHECK(p->nfuncs >= PP_FUNC_FIRST_USER);
	for (i = 0; i < p->nstacks; i++)
		for (f = 0; f < p->stacks[i].nframes; f++)
			FUZZ_CHECK(p->stacks[i].frames[f].func < p->nfuncs);
}

static void render(const struct pp_report_data *d)
{
	static const char *const seps[] = { NULL, ",", ";" };
	const struct pp_profile *p = d->profile;
	size_t fmt, v, e;
	uint8_t *buf;
	size_t len;
	int ret;

	for (fmt = 0; fmt < 3; fmt++)
		for (v = 0; v < 2; v++) {
			struct pp_report_options o = {
				.sep = fmt == 1 ? seps[1 + v] : NULL,
				.json = fmt == 2,
				.top = v ? 0 : 20,
				.lines = (int)v,
				.sort_event = v && p && p->nevents ? (int)p->nevents - 1 : 0,
				.sum_flags = v ? PP_SUM_PER_THREAD | PP_SUM_PER_PROCESS : 0,
				.color = fmt == 0 && v,
				.cwd = v ? "/" : NULL,
				.big_num = (int)v,
			};

			ret = pp_report__write(devnull, d, &o);
			FUZZ_CHECK(ret == 0 || ret == -ENOMEM);
		}
	for (e = 0; p && e < p->nevents; e++) {
		ret = pp_export__collapsed(devnull, p, (int)e);
		FUZZ_CHECK(ret == 0 || ret == -ENOMEM);
	}
	if (p) {
		ret = pp_export__pprof_encode(d, &buf, &len);
		FUZZ_CHECK(ret == 0 || ret == -ENOMEM);
		if (ret == 0)
			free(buf);
	}
	ret = pp_export__html(devnull, d);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM);
	fflush(devnull);
	clearerr(devnull);
}

/* 0 when accepted; the error otherwise. */
static int load_and_render(const uint8_t *data, size_t size)
{
	struct pp_loaded l;
	char err[512];
	int ret;

	err[0] = 'x';
	ret = pp_profile_file__load_mem(data, size, "fuzz.data", &l, err, sizeof(err));
	if (ret == 0) {
		check_loaded(&l);
		render(&l.data);
	} else {
		FUZZ_CHECK(ret == -EINVAL || ret == -ENOTSUP || ret == -EFBIG ||
			   ret == -ENOMEM);
		FUZZ_CHECK(err[0] != '\0' && err[0] != 'x');
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	}
	pp_loaded__free(&l);
	return ret;
}

/* The "END " section is tag, u32 flags, u64 length 4, u32 CRC-32 of
 * everything before the CRC (profile_file.h). */
#define END_SIZE 20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;
	uint32_t crc;

	if (load_and_render(data, size) == 0 || size < END_SIZE ||
	    memcmp(data + size - END_SIZE, "END ", 4) ||
	    memcmp(data + size - END_SIZE + 8, "\4\0\0\0\0\0\0\0", 8))
		return 0;
	crc = (uint32_t)crc32_z(crc32_z(0, NULL, 0), data, size - 4);
	fixed = malloc(size);
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	fixed[size - 4] = (uint8_t)crc;
	fixed[size - 3] = (uint8_t)(crc >> 8);
	fixed[size - 2] = (uint8_t)(crc >> 16);
	fixed[size - 1] = (uint8_t)(crc >> 24);
	if (memcmp(fixed, data, size))
		load_and_render(fixed, size);
	free(fixed);
	return 0;
}
