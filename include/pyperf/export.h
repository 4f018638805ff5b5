/* export: the profile in other tools' formats.
 *
 * Collapsed stacks feed flamegraph.pl, inferno, speedscope; pprof files
 * feed `pprof`, Pyroscope, Grafana, and the Go toolchain.  Both read a
 * finished pp_profile (or pp_report_data) and never call back into the
 * collector. */
#ifndef PYPERF_EXPORT_H
#define PYPERF_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pyperf/profile.h"
#include "pyperf/report.h"

/* Brendan Gregg's folded format, one line per unique stack of EVENT:
 *
 *   COMMAND;outer (file:line);...;inner (file:line) SAMPLES
 *
 * Root first.  The root frame is the process's command as recorded by
 * pp_profile__add_process ("pid N" when none was; no root frame when the
 * stack's pid is 0, i.e. merged away).  Like stackcollapse-perf.pl without
 * --pid, processes with the same command (the runs of -r N, the workers of
 * a pool) share one tower, and threads are merged.  A frame reads
 * "qualname (file:line)" with the line sampled in that frame, as py-spy
 * writes it; "(file)" when the line is unknown, the bare name when the
 * file is (<native>, <truncated> ...).  The format has no escapes, so in
 * names ';' becomes U+FF1B (a full-width ';') and control characters
 * (newline, tab ...) a space.  Counts are raw samples: for each event
 * they add up to the sum of the stacks' samples (profile->ev[EVENT].samples).
 * Lines are sorted, so equal profiles give equal files.
 * 0 or -EINVAL (bad EVENT), -ENOMEM, -EIO (OUT reported an error). */
int pp_export__collapsed(FILE *out, const struct pp_profile *p, int event);

/* The file name for EVENT's collapsed stacks when the user asked for
 * BASE: BASE itself for event 0, BASE.<event name> for the others with
 * every byte outside [A-Za-z0-9._+-] replaced by '_' (cycles:u ->
 * BASE.cycles_u), and ".<index>" appended if that name collides with an
 * earlier event's.  Returns the length written, or -ENAMETOOLONG when
 * LEN is too short, -EINVAL for a bad EVENT. */
int pp_export__collapsed_path(char *buf, size_t len, const char *base,
			      const struct pp_profile *p, int event);

/* A gzipped perftools.profiles.Profile (src/export/proto/profile.proto)
 * of D->profile, written atomically to PATH (pp_file__write_atomic):
 *
 *  - one sample_type per sampled event: type = the event's name, unit
 *    "nanoseconds" for task-clock and cpu-clock (with or without
 *    modifiers), "count" otherwise;
 *  - one Sample per unique stack (leaf first), labels "pid" and "tid"
 *    (numbers; absent when 0).  Its value for an event is, like the
 *    report's rows, scaled to the counted total when there is one
 *    (ev.total > 0): samples / ev.samples x ev.total, rounded so that the
 *    values of all samples add up to exactly llround(ev.total); without a
 *    counted total it is samples x period;
 *  - one Location per (function, sampled line), one Function per Python
 *    function (name = system_name = qualname, filename, start_line =
 *    firstline), no Mapping (Python code has no addresses);
 *  - period_type / period of the first event, default_sample_type the
 *    first event, duration_nanos from elapsed_s, and comments: the
 *    command, the interpreter, the attribution note, one line per event
 *    with its raw samples, period and counted total, and lost samples.
 * Strings that are not valid UTF-8 are repaired (pp_utf8__repair).
 * 0 or -EINVAL (no profile, no events), -ENOMEM, or the write's -errno;
 * failures are logged. */
int pp_export__pprof(const char *path, const struct pp_report_data *d);

/* The same Profile, uncompressed, in a malloc'd *OUT of *LEN bytes. */
int pp_export__pprof_encode(const struct pp_report_data *d, uint8_t **out,
			    size_t *len);

#endif
