/* Fuzz target "exact": the "<id>.exact" files of --exact (format in
 * include/pyperf/exact.h), which the target's processes write into the
 * state directory and src/collect.c reads back.
 * Properties: a parse either fails with nothing to free or gives node
 * parents that point backwards, at most PP_PROFILE_MAX_EVENTS events and
 * finite non-negative costs; every corrected value is at most the raw
 * one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pyperf/exact.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_exact_dump d;
	char *buf = malloc(size + 1);
	size_t i;
	unsigned e;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	if (pp_exact__parse(buf, size, &d) == 0) {
		FUZZ_CHECK(d.nevents <= PP_PROFILE_MAX_EVENTS);
		for (e = 0; e < d.nevents; e++)
			FUZZ_CHECK(isfinite(d.cost[e]) && d.cost[e] >= 0);
		for (i = 1; i <= d.n; i++) {
			FUZZ_CHECK(d.nodes[i - 1].parent < i);
			for (e = 0; e < d.nevents; e++)
				FUZZ_CHECK(pp_exact__value(&d, i, e) <= d.nodes[i - 1].v[e] ||
					   d.nodes[i - 1].v[e] > (1ull << 53));
		}
		pp_exact__free(&d);
	} else {
		FUZZ_CHECK(d.nodes == NULL && d.n == 0);
	}
	free(buf);
	return 0;
}
