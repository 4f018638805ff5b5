/* Fuzz target "maps": /proc/<pid>/maps text and the agent's "<id>.maps"
 * snapshots (format: src/agent/maps.c), which live in a directory the
 * target can write, through the parser and the address-space history of
 * include/pyperf/symbolize.h.
 *
 * The input is taken twice:
 *  1. whole, as /proc/self/maps, by pp_maps__parse with and without
 *     PP_MAPS_EXEC_ONLY;
 *  2. line by line as a snapshot file, the way src/collect.c reads one
 *     ("@ GEN" opens a snapshot, "b LO HI ID" lines give build-ids, maps
 *     lines follow, "@." adds it to a pp_addrspace), then every mapping
 *     added is looked up again by address.
 * Properties: mappings are non-empty ranges; a path is there exactly when
 * the kind says so and is NUL-free text; EXEC_ONLY keeps only executable
 * ones; a build-id range is non-empty with 1..PP_BUILD_ID_MAX bytes;
 * every address of every snapshot is found, in a mapping that holds it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pyperf/symbolize.h"

/* As src/collect.c bounds them; small enough that a fuzzed input cannot
 * spend its time in bookkeeping. */
#define MAX_IDS 256
#define MAX_SNAPSHOTS 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check_maps(const struct pp_maps *m, size_t from, unsigned flags)
{
	size_t i;

	FUZZ_CHECK(m->n <= m->cap || (m->n == 0 && m->v == NULL));
	for (i = from; i < m->n; i++) {
		const struct pp_map *x = &m->v[i];
		const char *mod = pp_map__module(x);

		FUZZ_CHECK(x->start < x->end);
		FUZZ_CHECK((x->kind == PP_MAP_ANON) == (x->path == NULL));
		if (x->kind == PP_MAP_FILE)
			FUZZ_CHECK(x->path[0] == '/');
		if (x->kind == PP_MAP_SPECIAL)
			FUZZ_CHECK(x->path[0] != '/');
		if (x->path)
			FUZZ_CHECK(strlen(x->path) <= PP_MAPS_MAX_LINE);
		if (flags & PP_MAPS_EXEC_ONLY)
			FUZZ_CHECK(x->prot & PP_MAP_X);
		FUZZ_CHECK(x->build_id_len == 0);
		FUZZ_CHECK(mod != NULL && mod[0] != '\0');
	}
}

static void parse_whole(const uint8_t *data, size_t size, unsigned flags)
{
	struct pp_maps m = { 0 };
	long added = pp_maps__parse((const char *)data, size, &m, flags);

	FUZZ_CHECK(added == -ENOMEM || (added >= 0 && (size_t)added == m.n));
	check_maps(&m, 0, flags);
	pp_maps__free(&m);
}

struct snap {
	struct pp_addrspace *as;
	struct pp_maps maps;
	struct pp_build_id_range ids[MAX_IDS];
	size_t nids;
	uint32_t gen;
	size_t nsnaps;
};

/* Adds the open snapshot, then finds each of its mappings by address. */
static void close_snapshot(struct snap *s)
{
	size_t i, n = s->maps.n;
	uint64_t *starts = malloc((n ? n : 1) * 2 * sizeof(*starts));
	int ret;

	if (!starts)
		return;
	for (i = 0; i < n; i++) {
		starts[2 * i] = s->maps.v[i].start;
		starts[2 * i + 1] = s->maps.v[i].end - 1;
	}
	ret = pp_addrspace__add(s->as, s->gen, &s->maps, s->ids, s->nids);
	FUZZ_CHECK(ret == 0 || ret == -ENOMEM);
	FUZZ_CHECK(s->maps.n == 0);
	if (ret == 0) {
		FUZZ_CHECK(pp_addrspace__latest(s->as) == s->gen);
		for (i = 0; i < 2 * n; i++) {
			const struct pp_map *m = pp_addrspace__find(s->as, starts[i], s->gen);

			FUZZ_CHECK(m != NULL);
			FUZZ_CHECK(m->start <= starts[i] && starts[i] < m->end);
			FUZZ_CHECK(m->build_id_len <= PP_BUILD_ID_MAX);
		}
	}
	free(starts);
	s->nids = 0;
	s->gen = 0;
	s->nsnaps++;
}

static void snapshot_line(struct snap *s, const char *line, size_t len)
{
	if (len >= 2 && line[0] == '@' && line[1] == ' ') {
		char num[16];
		unsigned long g;

		pp_maps__free(&s->maps);
		s->nids = 0;
		s->gen = 0;
		if (len - 2 >= sizeof(num) || s->nsnaps >= MAX_SNAPSHOTS)
			return;
		memcpy(num, line + 2, len - 2);
		num[len - 2] = '\0';
		g = strtoul(num, NULL, 10);
		if (g > pp_addrspace__latest(s->as) && g <= UINT32_MAX)
			s->gen = (uint32_t)g;
		return;
	}
	if (!s->gen)
		return;
	if (len == 2 && line[0] == '@' && line[1] == '.') {
		close_snapshot(s);
		return;
	}
	if (len && line[0] == 'b') {
		struct pp_build_id_range r;

		if (pp_build_id_range__parse(line, len, &r) == 0) {
			FUZZ_CHECK(r.lo < r.hi);
			FUZZ_CHECK(r.len >= 1 && r.len <= PP_BUILD_ID_MAX);
			if (s->nids < MAX_IDS)
				s->ids[s->nids++] = r;
		}
		return;
	}
	{
		size_t before = s->maps.n;
		long added = pp_maps__parse(line, len, &s->maps, PP_MAPS_EXEC_ONLY);

		FUZZ_CHECK(added == -ENOMEM || (added >= 0 && added <= 1));
		check_maps(&s->maps, before, PP_MAPS_EXEC_ONLY);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct snap s;

	parse_whole(data, size, 0);
	parse_whole(data, size, PP_MAPS_EXEC_ONLY);

	memset(&s, 0, sizeof(s));
	if (pp_addrspace__new(&s.as) != 0)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		/* only complete lines, as the launcher reads them */
		if (!nl)
			break;
		snapshot_line(&s, p, (size_t)(le - p));
		p = le + 1;
	}
	pp_maps__free(&s.maps);
	pp_addrspace__free(s.as);
	return 0;
}
