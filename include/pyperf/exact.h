/* exact: the launcher's reading of --exact data.
 *
 * With --exact the agent (src/agent/exact.c) reads each thread's counters
 * at every Python call and return and keeps, per calling-context node
 * (parent node, code object, thread), the calls, the intervals charged
 * and the raw counter deltas.  It writes them as "<id>.exact":
 *
 *   pyperf-exact 1
 *   events N
 *   cost C0 ... C(N-1)       hook cost per interval, event units (%.17g)
 *   problem TEXT             optional: a thread could not count
 *   calibration K            batches the costs are the median of
 *   multiplexed 0|1          a counter group did not run all the time
 *   lost L                   events not recorded (tables full)
 *   truncated T              calls flattened at the depth limit
 *   nodes M
 *   IDX PARENT TID CODE FP CALLS HOOKS V0 ... V(N-1)     M lines, IDX 1..M
 *   end
 *
 * CODE and FP in hex (the agent's code records resolve them), the rest
 * decimal; PARENT < IDX (0: outermost).  This module parses that and
 * applies the correction; src/collect.c turns nodes into profile stacks. */
#ifndef PYPERF_EXACT_H
#define PYPERF_EXACT_H

#include <stddef.h>
#include <stdint.h>

#include "pyperf/profile.h"

/* The name of the pseudo-event that holds call counts in an exact
 * profile (pp_profile.calls_event). */
#define PP_EXACT_CALLS "calls"

/* Calling-context nodes a process keeps (the agent) and a file may list
 * (the parser). */
#define PP_EXACT_MAX_NODES (4u << 20)

struct pp_exact_node {
	uint32_t parent;        /* node index (1-based), 0 for none */
	uint32_t tid;
	uint64_t code;
	uint32_t fp;
	uint64_t calls;
	uint64_t hooks;
	uint64_t v[PP_PROFILE_MAX_EVENTS];
};

struct pp_exact_dump {
	unsigned nevents;
	double cost[PP_PROFILE_MAX_EVENTS];
	unsigned calibration;
	int multiplexed;
	uint64_t lost, truncated;
	char problem[256];
	struct pp_exact_node *nodes;  /* nodes[i - 1] is node i */
	size_t n;
};

/* Parses BUF[0..len) (NUL-terminated at len). 0, -EINVAL when malformed,
 * -ENOMEM. On error *OUT holds nothing to free. */
int pp_exact__parse(const char *buf, size_t len, struct pp_exact_dump *out);

/* Node I's (1-based) own value of EVENT with the hooks' cost taken out:
 * raw - cost x intervals, never below 0. */
uint64_t pp_exact__value(const struct pp_exact_dump *d, size_t i, unsigned event);

void pp_exact__free(struct pp_exact_dump *d);

#endif
