/* fuzz: what every harness of tests/fuzz shares.
 *
 * A harness is one file defining the two libFuzzer entry points below.
 * The same file links either with libFuzzer (-Dfuzz=true, clang: the
 * fuzz_<target> binaries that scripts/fuzz runs) or with replay.c (every
 * build: the fuzz-replay-<target> tests that run each committed corpus
 * and regression input once).  A harness never prints: a violated
 * property aborts through FUZZ_CHECK, which both drivers report. */
#ifndef PYPERF_FUZZ_H
#define PYPERF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test, not of the input: its failure is
 * a bug, reported as a crash with the condition that failed. */
#define FUZZ_CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: property failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#endif
