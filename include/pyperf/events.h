/* events: turn perf-style event strings into perf_event_attr.
 *
 * Accepts perf's syntax (generic names and aliases, modifiers :u :k :h :p
 * :pp :ppp :G :H :I :D, groups "{a,b}:mods", raw "rNNNN",
 * "pmu/config=..,umask=..,period=N/") and libpfm4 names such as
 * "INST_RETIRED:ANY_P", the latter encoded by libpfm4 itself. */
#ifndef PYPERF_EVENTS_H
#define PYPERF_EVENTS_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

#define PP_EVENT_NAME_MAX 256

struct pp_event {
	char name[PP_EVENT_NAME_MAX]; /* as the user typed it: perf prints that */
	struct perf_event_attr attr;  /* type, config, config1/2, exclude_* set */
	int leader;                   /* index of the group leader in the list;
	                                 == own index for a leader or a lone event */
	uint64_t period;              /* "ev/period=N/" when given, else 0 */
	const char *unit;             /* "msec" for task-clock and cpu-clock, else "" */
};

struct pp_evlist {
	struct pp_event *ev;
	size_t n, cap;
};

/* Appends the events of SPEC (one -e argument, comma separated, groups in
 * braces) to LIST.  Returns 0, or -EINVAL with a one-line message in ERR
 * naming the bad token and the closest valid event names. */
int pp_evlist__parse(struct pp_evlist *list, const char *spec,
		     char *err, size_t errlen);

/* Appends perf stat's default events (task-clock, context-switches,
 * cpu-migrations, page-faults, cycles, instructions, cache-references,
 * cache-misses, branches, branch-misses). */
int pp_evlist__add_defaults(struct pp_evlist *list);

void pp_evlist__free(struct pp_evlist *list);

/* Names for "pyperf-stat list": calls FN once per known event with its
 * name, a category ("Hardware event", "Software event", "Hardware cache
 * event", "libpfm4 <pmu>") and a one-line description (may be ""). */
typedef void (*pp_event_list_fn)(const char *name, const char *category,
				 const char *desc, void *ctx);
int pp_events__foreach(pp_event_list_fn fn, void *ctx);

/* Initialise libpfm4 once; safe to call many times. 0 or -errno. */
int pp_events__init(void);

#endif
