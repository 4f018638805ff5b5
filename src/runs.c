#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pyperf/runs.h"

static int grow_cum(struct pp_runs *r, size_t nfuncs)
{
	size_t per = PP_PROFILE_MAX_EVENTS, ncap = r->cum_funcs ? r->cum_funcs : 256;
	uint64_t *s, *t;

	if (nfuncs <= r->cum_funcs)
		return 0;
	while (ncap < nfuncs)
		ncap *= 2;
	s = realloc(r->cum_self, ncap * per * sizeof(*s));
	if (!s)
		return -ENOMEM;
	r->cum_self = s;
	t = realloc(r->cum_total, ncap * per * sizeof(*t));
	if (!t)
		return -ENOMEM;
	r->cum_total = t;
	memset(s + r->cum_funcs * per, 0, (ncap - r->cum_funcs) * per * sizeof(*s));
	memset(t + r->cum_funcs * per, 0, (ncap - r->cum_funcs) * per * sizeof(*t));
	r->cum_funcs = ncap;
	return 0;
}

int pp_runs__capture(struct pp_runs *r, const struct pp_profile *p,
		     const double *values, size_t nvalues, double elapsed_s)
{
	struct pp_func_sum *sums = NULL;
	struct pp_run *run;
	ssize_t n = 0, i;
	size_t e, per = PP_PROFILE_MAX_EVENTS;

	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 8;
		struct pp_run *nr = realloc(r->run, ncap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		r->run = nr;
		r->cap = ncap;
	}
	run = &r->run[r->n];
	memset(run, 0, sizeof(*run));
	run->elapsed_s = elapsed_s;
	run->values = malloc((nvalues ? nvalues : 1) * sizeof(double));
	if (!run->values)
		return -ENOMEM;
	if (nvalues)
		memcpy(run->values, values, nvalues * sizeof(double));
	for (e = 0; e < p->nevents; e++) {
		run->samples[e] = p->ev[e].samples - r->cum_samples[e];
		r->cum_samples[e] = p->ev[e].samples;
	}

	if (p->nstacks) {
		n = pp_profile__sum(p, 0, 0, &sums);
		if (n < 0 || grow_cum(r, p->nfuncs) < 0)
			goto nomem;
		run->funcs = calloc((size_t)n ? (size_t)n : 1, sizeof(*run->funcs));
		if (!run->funcs)
			goto nomem;
	}
	for (i = 0; i < n; i++) {
		uint64_t *cs = r->cum_self + (size_t)sums[i].func * per;
		uint64_t *ct = r->cum_total + (size_t)sums[i].func * per;
		struct pp_run_func *f = &run->funcs[run->nfuncs];
		int any = 0;

		for (e = 0; e < p->nevents; e++) {
			f->self[e] = sums[i].self[e] - cs[e];
			f->total[e] = sums[i].total[e] - ct[e];
			cs[e] = sums[i].self[e];
			ct[e] = sums[i].total[e];
			any |= f->self[e] || f->total[e];
		}
		if (any) {
			f->func = sums[i].func;
			run->nfuncs++;
		}
	}
	free(sums);
	r->n++;
	return 0;
nomem:
	free(sums);
	free(run->values);
	free(run->funcs);
	return -ENOMEM;
}

void pp_runs__free(struct pp_runs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->run[i].values);
		free(r->run[i].funcs);
	}
	free(r->run);
	free(r->cum_self);
	free(r->cum_total);
	memset(r, 0, sizeof(*r));
}
