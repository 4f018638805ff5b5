/* Fuzz target "cli": pyperf-stat's command line, through
 * pp_cli__parse_only (src/cli.c), which parses and validates exactly as
 * the real command does but runs nothing and prints nothing.
 *
 * Input: the arguments after argv[0], separated by NUL bytes (the one
 * byte an argument cannot hold; one trailing NUL is ignored), at most
 * MAX_ARGS of them; the empty input is no argument at all.  Properties:
 * the exit status is 0, 1 or 2 (PP_EXIT_USAGE); the arguments are not
 * written to; and the same command line parsed twice gives the same
 * answer (getopt keeps state between calls: include/pyperf/cli.h says
 * pp_cli__parse_only may be called any number of times). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pyperf/cli.h"
#include "pyperf/events.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("LIBPFM_FORCE_PMU", "skl", 1);
	unsetenv("POSIXLY_CORRECT"); /* getopt's ordering must be the user's */
	pp_events__init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *copy[MAX_ARGS + 2];
	char *buf = malloc(size + 1), *keep = malloc(size + 1), *p, *end;
	int argc = 0, i, first, again;

	if (!buf || !keep)
		goto out;
	memcpy(buf, data, size);
	buf[size] = '\0';
	memcpy(keep, buf, size + 1);
	argv[argc++] = "pyperf-stat";
	for (p = buf, end = buf + size; size && argc <= MAX_ARGS; p += strlen(p) + 1) {
		argv[argc++] = p;
		if (p + strlen(p) >= end)
			break;
	}
	argv[argc] = NULL;
	/* getopt_long permutes argv (report mode): keep the pointers to
	 * compare the strings, and parse a fresh copy the second time */
	memcpy(copy, argv, sizeof(argv[0]) * (size_t)(argc + 1));

	first = pp_cli__parse_only(argc, argv);
	FUZZ_CHECK(first == 0 || first == 1 || first == 2);
	FUZZ_CHECK(memcmp(buf, keep, size + 1) == 0);
	again = pp_cli__parse_only(argc, copy);
	FUZZ_CHECK(again == first);
	/* what getopt did to argv is a permutation */
	for (i = 0; i < argc; i++) {
		int j = 0;

		while (j < argc && argv[j] != copy[i])
			j++;
		FUZZ_CHECK(j < argc);
	}
out:
	free(buf);
	free(keep);
	return 0;
}
