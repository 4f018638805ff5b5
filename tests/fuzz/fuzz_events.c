/* Fuzz target "events": pp_evlist__parse on any -e argument.
 *
 * Input: the argument's bytes (a NUL ends it early, as it would in argv).
 * Properties (include/pyperf/events.h, src/events.c): 0 or -EINVAL/-ENOMEM;
 * a failure leaves the list as it was and says why in a NUL-terminated
 * message that fits the buffer, even a tiny one; every event parsed names
 * a leader at or before itself whose leader is itself.  libpfm4 is forced
 * to a real model (Skylake) so that model-specific names encode here as
 * they would on bare metal (DESIGN.md, "Facts measured"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pyperf/events.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("LIBPFM_FORCE_PMU", "skl", 1);
	/* sysfs PMU lookups read the real /sys: the fake trees of the unit
	 * tests belong to those tests */
	unsetenv("PYPERF_SYSFS_ROOT");
	pp_events__init();
	return 0;
}

static void check_list(const struct pp_evlist *l)
{
	size_t i;

	FUZZ_CHECK(l->n <= l->cap);
	for (i = 0; i < l->n; i++) {
		const struct pp_event *e = &l->ev[i];

		FUZZ_CHECK(memchr(e->name, '\0', sizeof(e->name)) != NULL);
		FUZZ_CHECK(e->leader >= 0 && (size_t)e->leader <= i);
		FUZZ_CHECK(l->ev[e->leader].leader == e->leader);
		FUZZ_CHECK(e->unit != NULL);
	}
}

/* Parses SPEC into LIST with an ERRLEN-byte message buffer. */
static void parse_once(struct pp_evlist *list, const char *spec, size_t errlen)
{
	char err[512];
	size_t before = list->n;
	int ret;

	memset(err, 'x', sizeof(err));
	ret = pp_evlist__parse(list, spec, err, errlen);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	if (ret < 0) {
		FUZZ_CHECK(list->n == before);
		FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
		FUZZ_CHECK(errlen == 1 || err[0] != '\0');
		FUZZ_CHECK(errlen == sizeof(err) || err[errlen] == 'x');
	} else {
		FUZZ_CHECK(list->n > before);
	}
	check_list(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_evlist list = { 0 };
	char *spec = malloc(size + 1);

	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	parse_once(&list, spec, 512);
	/* again onto a non-empty list (-e given twice), with a message
	 * buffer too small for any message */
	parse_once(&list, spec, 7);
	pp_evlist__free(&list);
	free(spec);
	return 0;
}
