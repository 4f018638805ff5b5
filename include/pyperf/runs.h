/* runs: each run's figures of -r N, captured as deltas of the cumulative
 * profile, so that baselines carry mean and spread per total and per
 * function (pp_report_data.run). */
#ifndef PYPERF_RUNS_H
#define PYPERF_RUNS_H

#include <stddef.h>

#include "pyperf/profile.h"
#include "pyperf/report.h"

struct pp_runs {
	struct pp_run *run;
	size_t n, cap;
	uint64_t *cum_self, *cum_total;   /* per function id x event, so far */
	size_t cum_funcs;
	uint64_t cum_samples[PP_PROFILE_MAX_EVENTS];
};

/* Appends a run: VALUES (one per stat row, NaN when not counted) and the
 * samples P gained since the previous capture. 0 or -ENOMEM. */
int pp_runs__capture(struct pp_runs *r, const struct pp_profile *p,
		     const double *values, size_t nvalues, double elapsed_s);

void pp_runs__free(struct pp_runs *r);

#endif
