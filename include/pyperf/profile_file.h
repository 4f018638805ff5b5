/* profile_file: a finished run saved to disk and loaded back.
 *
 * `pyperf-stat record -o FILE` (or `--save FILE`) writes everything every
 * report needs: the counted totals, the command, the interpreter, and the
 * whole aggregated profile.  `pyperf-stat report FILE` loads it and renders
 * any format without the target.
 *
 * On-disk layout (all integers little-endian, doubles as their IEEE-754
 * bits in a u64, strings a u32 byte length then that many bytes of UTF-8
 * with no NUL and no terminator):
 *
 *   header   magic "\x89PYPERF\n" (8 bytes), u32 format version
 *   section  u8 tag[4] (ASCII), u32 flags, u64 length, length bytes
 *   ...      sections in the order below, each known one at most once
 *   "END "   u32 CRC-32 (zlib's) of every byte before it (this section's
 *            header included); nothing may follow
 *
 * Sections of format 1 (flags bit 0 "required": a reader that does not
 * know the tag must refuse the file; unknown sections without it are
 * skipped, so later versions can add e.g. per-run data for CI baselines
 * without locking out older readers):
 *
 *   "META"  str tool version, str command, i32 runs (>= 1), f64 elapsed,
 *           f64 elapsed stddev, f64 user, f64 sys, optstr interpreter,
 *           optstr attribution note        (optstr: u8 present, then str)
 *   "ROWS"  u64 n, then n x (str name, str unit, u32 type, u64 config,
 *           u32 status, f64 value, f64 stddev, u64 enabled, u64 running)
 *   "EVNT"  u64 n (<= PP_PROFILE_MAX_EVENTS), then n x (str name (< 256
 *           bytes), u64 period, u64 samples, f64 total).  Present iff the
 *           run has a profile; the sections below need it.
 *   "FUNC"  u64 n, then n x (str qualname, str file, i32 firstline);
 *           a function's id is its position.  The writer puts the three
 *           special functions first, so ids survive a round trip; the
 *           reader interns every entry (pp_profile__intern_func) and maps
 *           the ids, so duplicates merge rather than confuse.
 *   "STAK"  u64 n, then n x (u32 pid, u32 tid, u32 nframes, nframes x
 *           (u32 func, i32 line) innermost first, nevents x u64 samples);
 *           func < the number of functions; stacks equal after mapping
 *           merge (their samples add up)
 *   "PROC"  u64 n, then n x (u32 pid, str command)
 *   "LOST"  u64 dropped, u64 truncated, u64 unresolved [, u64 CPU ns of the
 *           agents' resolver threads [, u64 samples folded past the stack
 *           limit [, u64 periods no signal was raised for (pp_profile.
 *           recovered)]]: added later, optional]
 *   "EXCT"  present iff the profile is exact (--exact): u32 index of the
 *           "calls" event (its period is 1), u64 hook intervals, nevents x
 *           f64 hook cost taken out (event units)
 *
 * The format version changes only when an older reader would misread a
 * newer file; adding a section does not change it. */
#ifndef PYPERF_PROFILE_FILE_H
#define PYPERF_PROFILE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "pyperf/profile.h"
#include "pyperf/report.h"

#define PP_PROFILE_FILE_VERSION 1

/* The loader refuses larger files (a profile of a long run with a million
 * unique stacks is a few hundred MB at most). */
#define PP_PROFILE_FILE_MAX_SIZE (512ull << 20)

/* A loaded file: owns the report data, its rows and strings, and the
 * profile data.profile points to (NULL when the run had none).  Since
 * data.profile points into the struct, it stays where it was loaded:
 * pass it by pointer, do not copy it. */
struct pp_loaded {
	struct pp_report_data data;
	uint32_t format_version;
	char *tool_version;       /* of the pyperf-stat that wrote the file */

	/* owned storage behind data */
	struct pp_stat_row *rows;
	struct pp_profile profile;
	int has_profile;
	char **strs;              /* every string data and rows point to */
	size_t nstrs, strs_cap;
};

/* Writes D (and D->profile when not NULL) to PATH atomically: a temporary
 * file in the same directory, fsync'd, then renamed over PATH; on error no
 * file is left behind and PATH is untouched.  Strings that are not valid
 * UTF-8 (a Latin-1 file name, a command-line argument) are written with
 * each bad byte replaced by U+FFFD.  Failures are also logged through
 * pp_log.  0 or -errno (-EFBIG: larger than the loader accepts). */
int pp_profile_file__save(const char *path, const struct pp_report_data *d,
			  const char *tool_version);

/* Loads PATH into *OUT, which the caller frees with pp_loaded__free (also
 * after a failure, when it is harmless).  The file is untrusted input:
 * every length and index is checked.  0, or -errno with a one-line
 * message naming PATH in ERR:
 *   -EINVAL     not a profile, corrupt, or checksum mismatch
 *   -ENOTSUP    written by a newer pyperf-stat
 *   -EFBIG      larger than PP_PROFILE_FILE_MAX_SIZE
 *   -ENOMEM, or what open/read said */
int pp_profile_file__load(const char *path, struct pp_loaded *out,
			  char *err, size_t errlen);

/* The same from memory (fuzzing, tests); NAME stands for the file in
 * messages.  BUF is not kept. */
int pp_profile_file__load_mem(const void *buf, size_t len, const char *name,
			      struct pp_loaded *out, char *err, size_t errlen);

void pp_loaded__free(struct pp_loaded *l);

/* Writes LEN bytes of BUF to PATH the way __save does (temporary file,
 * fsync, rename, directory fsync).  0 or -errno, logged. */
int pp_file__write_atomic(const char *path, const void *buf, size_t len);

/* UTF-8 as every saved and exported string must be: strict (no overlong
 * forms, surrogates, or code points past U+10FFFF). */
int pp_utf8__valid(const char *s, size_t len);

/* A malloc'd copy of the NUL-terminated S with every byte that does not
 * start a valid sequence replaced by U+FFFD; NULL on ENOMEM. */
char *pp_utf8__repair(const char *s);

#endif
