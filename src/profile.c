/* profile: interned functions, unique stacks with per-event sample
 * counts, and the per-function / per-line sums that reports print. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pyperf/profile.h"

/* Open-addressing table of uint32 ids; the caller supplies hashing and
 * equality through the id (index into funcs or stacks). */
struct idtab {
	uint32_t *slot;  /* id + 1, 0 = empty */
	size_t cap;      /* power of two */
	size_t used;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	/* fold the high half down: tables mask the low bits, and a product's
	 * low bits depend only on its inputs' low bits */
	return h ^ (h >> 32);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return mix(h, 0);
}

static int idtab_grow(struct idtab *t, uint64_t (*hash)(const void *, uint32_t),
		      const void *ctx)
{
	size_t ncap = t->cap ? t->cap * 2 : 1024, i;
	uint32_t *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->slot[i])
			continue;
		j = hash(ctx, t->slot[i] - 1) & (ncap - 1);
		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = ns;
	t->cap = ncap;
	return 0;
}

static uint64_t func_hash_parts(const char *q, const char *f, int line)
{
	return mix(hash_str(hash_str(0xcbf29ce484222325ULL, q), f), (uint64_t)line);
}

static uint64_t func_hash(const void *ctx, uint32_t id)
{
	const struct pp_profile *p = ctx;
	const struct pp_func *fn = &p->funcs[id];

	return func_hash_parts(fn->qualname, fn->file, fn->firstline);
}

static uint64_t stack_hash_parts(uint32_t pid, uint32_t tid,
				 const struct pp_frame *fr, size_t n)
{
	uint64_t h = mix(mix(0x84222325cbf29ce4ULL, pid), tid);
	size_t i;

	for (i = 0; i < n; i++)
		h = mix(h, ((uint64_t)fr[i].func << 32) | (uint32_t)fr[i].line);
	return mix(h, n);
}

static uint64_t stack_hash(const void *ctx, uint32_t id)
{
	const struct pp_profile *p = ctx;

	return p->stacks[id].hash;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static const char *const special_names[PP_FUNC_FIRST_USER] = {
	[PP_FUNC_UNRESOLVED] = "<unresolved code>",
	[PP_FUNC_TRUNCATED] = "<truncated>",
	[PP_FUNC_NATIVE] = "<native>",
	[PP_FUNC_UNSAMPLED] = "<not sampled>",
};

int pp_profile__init(struct pp_profile *p)
{
	uint32_t i;

	memset(p, 0, sizeof(*p));
	p->calls_event = -1;
	p->func_index = calloc(1, sizeof(struct idtab));
	p->stack_index = calloc(1, sizeof(struct idtab));
	if (!p->func_index || !p->stack_index)
		goto fail;
	for (i = 0; i < PP_FUNC_FIRST_USER; i++)
		if (pp_profile__intern_func(p, special_names[i], "", 0) != i)
			goto fail;
	return 0;
fail:
	pp_profile__free(p);
	return -ENOMEM;
}

void pp_profile__free(struct pp_profile *p)
{
	size_t i;

	for (i = 0; i < p->nfuncs; i++) {
		free(p->funcs[i].qualname);
		free(p->funcs[i].file);
	}
	for (i = 0; i < p->nstacks; i++)
		free(p->stacks[i].samples);
	for (i = 0; i < p->nprocs; i++)
		free(p->procs[i].command);
	if (p->func_index)
		free(((struct idtab *)p->func_index)->slot);
	if (p->stack_index)
		free(((struct idtab *)p->stack_index)->slot);
	free(p->func_index);
	free(p->stack_index);
	free(p->funcs);
	free(p->stacks);
	free(p->procs);
	memset(p, 0, sizeof(*p));
}

/* Room for one more event in every stack (see pp_stack.samples). */
static int widen_stacks(struct pp_profile *p)
{
	size_t i, ev = p->nevents;

	for (i = 0; i < p->nstacks; i++) {
		struct pp_stack *s = &p->stacks[i];
		uint64_t *b = calloc(1, (ev + 1) * sizeof(*b) + s->nframes * sizeof(*s->frames));

		if (!b)
			return -ENOMEM;
		memcpy(b, s->samples, ev * sizeof(*b));
		memcpy(b + ev + 1, s->frames, s->nframes * sizeof(*s->frames));
		free(s->samples);
		s->samples = b;
		s->frames = (struct pp_frame *)(void *)(b + ev + 1);
	}
	return 0;
}

int pp_profile__add_event(struct pp_profile *p, const char *name, uint64_t period)
{
	struct pp_sampled_event *e;

	if (p->nevents >= PP_PROFILE_MAX_EVENTS)
		return -ENOSPC;
	if (p->nstacks && widen_stacks(p) < 0)
		return -ENOMEM;
	e = &p->ev[p->nevents];
	memset(e, 0, sizeof(*e));
	strncpy(e->name, name, sizeof(e->name) - 1);
	e->period = period;
	return (int)p->nevents++;
}

int64_t pp_profile__intern_func(struct pp_profile *p, const char *qualname,
				const char *file, int firstline)
{
	struct idtab *t = p->func_index;
	uint64_t h;
	size_t j;
	struct pp_func *fn;

	if (!qualname)
		qualname = "";
	if (!file)
		file = "";
	if ((t->used + 1) * 2 > t->cap && idtab_grow(t, func_hash, p) < 0)
		return -ENOMEM;
	h = func_hash_parts(qualname, file, firstline);
	for (j = h & (t->cap - 1); t->slot[j]; j = (j + 1) & (t->cap - 1)) {
		fn = &p->funcs[t->slot[j] - 1];
		if (fn->firstline == firstline && !strcmp(fn->qualname, qualname) &&
		    !strcmp(fn->file, file))
			return t->slot[j] - 1;
	}
	if (grow((void **)&p->funcs, &p->funcs_cap, p->nfuncs + 1, sizeof(*p->funcs)) < 0)
		return -ENOMEM;
	fn = &p->funcs[p->nfuncs];
	fn->qualname = strdup(qualname);
	fn->file = strdup(file);
	fn->firstline = firstline;
	if (!fn->qualname || !fn->file) {
		free(fn->qualname);
		free(fn->file);
		return -ENOMEM;
	}
	t->slot[j] = (uint32_t)++p->nfuncs;
	t->used++;
	return (int64_t)p->nfuncs - 1;
}

/* FOLD: 0 as given, 1 innermost frame on thread 0, 2 innermost function
 * only, in no process (see pp_profile.max_stacks). */
static int add_sample(struct pp_profile *p, int event, uint32_t pid, uint32_t tid,
		      const struct pp_frame *frames, size_t nframes, uint64_t n, int fold)
{
	struct idtab *t = p->stack_index;
	struct pp_stack *s;
	struct pp_frame leaf;
	uint64_t h;
	size_t j;

	if (event < 0 || (size_t)event >= p->nevents)
		return -EINVAL;
	if ((t->used + 1) * 2 > t->cap && idtab_grow(t, stack_hash, p) < 0)
		return -ENOMEM;
	h = stack_hash_parts(pid, tid, frames, nframes);
	for (j = h & (t->cap - 1); t->slot[j]; j = (j + 1) & (t->cap - 1)) {
		s = &p->stacks[t->slot[j] - 1];
		if (s->hash == h && s->pid == pid && s->tid == tid && s->nframes == nframes &&
		    !memcmp(s->frames, frames, nframes * sizeof(*frames)))
			goto found;
	}
	if (p->max_stacks && fold < 2 && nframes &&
	    p->nstacks >= (fold ? 2 : 1) * p->max_stacks) {
		/* over the limit: a coarser stack instead, first the innermost
		 * frame on thread 0, past twice the limit its function alone */
		int next = 1;

		leaf = frames[0];
		if (fold || p->nstacks >= 2 * p->max_stacks) {
			leaf.line = 0;
			pid = 0;
			next = 2;
		}
		if (!fold)
			p->folded += n;
		return add_sample(p, event, pid, 0, &leaf, 1, n, next);
	}
	if (grow((void **)&p->stacks, &p->stacks_cap, p->nstacks + 1, sizeof(*p->stacks)) < 0)
		return -ENOMEM;
	s = &p->stacks[p->nstacks];
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->tid = tid;
	s->hash = h;
	s->nframes = (uint32_t)nframes;
	/* a long run keeps one of these per distinct (thread, stack): the
	 * counts of this profile's events only, the frames right after */
	s->samples = calloc(1, p->nevents * sizeof(*s->samples) + nframes * sizeof(*frames));
	if (!s->samples)
		return -ENOMEM;
	s->frames = (struct pp_frame *)(void *)(s->samples + p->nevents);
	if (nframes)
		memcpy(s->frames, frames, nframes * sizeof(*frames));
	t->slot[j] = (uint32_t)++p->nstacks;
	t->used++;
found:
	s->samples[event] += n;
	p->ev[event].samples += n;
	return 0;
}

int pp_profile__add_sample(struct pp_profile *p, int event, uint32_t pid,
			   uint32_t tid, const struct pp_frame *frames,
			   size_t nframes, uint64_t n)
{
	return add_sample(p, event, pid, tid, frames, nframes, n, 0);
}

int pp_profile__set_total(struct pp_profile *p, int event, double total, int runs)
{
	struct pp_sampled_event *ev = &p->ev[event];
	struct pp_frame f = { PP_FUNC_UNSAMPLED, 0 };
	double missing;

	ev->total = total;
	if (!ev->period)
		return 0;
	missing = (total * runs - (double)ev->samples * (double)ev->period) /
		  (double)ev->period;
	if (missing < 1)
		return 0;
	return pp_profile__add_sample(p, event, 0, 0, &f, 1, (uint64_t)llround(missing));
}

int pp_profile__add_hook_cost(struct pp_profile *p)
{
	struct pp_frame f;
	int64_t id;
	size_t e;
	int err = 0;

	if (!p->exact)
		return 0;
	id = pp_profile__intern_func(p, PP_PROFILE_HOOKS, "", 0);
	if (id < 0)
		return (int)id;
	f.func = (uint32_t)id;
	f.line = 0;
	for (e = 0; e < p->nevents && !err; e++)
		if ((int)e != p->calls_event && p->exact_cost[e] >= 1)
			err = pp_profile__add_sample(p, (int)e, 0, 0, &f, 1,
						     (uint64_t)llround(p->exact_cost[e]));
	return err;
}

uint64_t pp_profile__unsampled(const struct pp_profile *p, int event)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < p->nstacks; i++)
		if (p->stacks[i].nframes == 1 &&
		    p->stacks[i].frames[0].func == PP_FUNC_UNSAMPLED)
			n += p->stacks[i].samples[event];
	return n;
}

int pp_profile__add_process(struct pp_profile *p, uint32_t pid, const char *command)
{
	size_t i;
	char *c;

	for (i = 0; i < p->nprocs; i++)
		if (p->procs[i].pid == pid)
			return 0;
	if (grow((void **)&p->procs, &p->procs_cap, p->nprocs + 1, sizeof(*p->procs)) < 0)
		return -ENOMEM;
	c = strdup(command ? command : "");
	if (!c)
		return -ENOMEM;
	p->procs[p->nprocs].pid = pid;
	p->procs[p->nprocs].command = c;
	p->nprocs++;
	return 0;
}

/* ---- sums ---- */

struct sum_key {
	uint32_t func;
	int32_t line;
	uint32_t pid, tid;
};

struct sum_table {
	struct pp_func_sum *rows;
	size_t n, cap;
	struct idtab idx;
};

static uint64_t sum_hash_parts(const struct sum_key *k)
{
	return mix(mix(mix(mix(7, k->func), (uint32_t)k->line), k->pid), k->tid);
}

static uint64_t sum_hash(const void *ctx, uint32_t id)
{
	const struct sum_table *st = ctx;
	const struct pp_func_sum *r = &st->rows[id];
	struct sum_key k = { r->func, r->line, r->pid, r->tid };

	return sum_hash_parts(&k);
}

/* Returns the row for K, creating it, or NULL on ENOMEM. */
static struct pp_func_sum *sum_row(struct sum_table *st, const struct sum_key *k,
				   size_t *index)
{
	struct idtab *t = &st->idx;
	struct pp_func_sum *r;
	size_t j;

	if ((t->used + 1) * 2 > t->cap && idtab_grow(t, sum_hash, st) < 0)
		return NULL;
	for (j = sum_hash_parts(k) & (t->cap - 1); t->slot[j]; j = (j + 1) & (t->cap - 1)) {
		r = &st->rows[t->slot[j] - 1];
		if (r->func == k->func && r->line == k->line && r->pid == k->pid &&
		    r->tid == k->tid) {
			*index = t->slot[j] - 1;
			return r;
		}
	}
	if (grow((void **)&st->rows, &st->cap, st->n + 1, sizeof(*st->rows)) < 0)
		return NULL;
	r = &st->rows[st->n];
	memset(r, 0, sizeof(*r));
	r->func = k->func;
	r->line = k->line;
	r->pid = k->pid;
	r->tid = k->tid;
	t->slot[j] = (uint32_t)++st->n;
	t->used++;
	*index = st->n - 1;
	return r;
}

static int sum_cmp(const void *a, const void *b, void *arg)
{
	const struct pp_func_sum *x = a, *y = b;
	int e = *(const int *)arg;

	if (x->self[e] != y->self[e])
		return x->self[e] < y->self[e] ? 1 : -1;
	if (x->total[e] != y->total[e])
		return x->total[e] < y->total[e] ? 1 : -1;
	if (x->func != y->func)
		return x->func < y->func ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

ssize_t pp_profile__sum(const struct pp_profile *p, unsigned flags,
			int sort_event, struct pp_func_sum **out)
{
	struct sum_table st = { 0 };
	size_t *seen = NULL, seen_cap = 0;
	size_t i, f, e;

	*out = NULL;
	for (i = 0; i < p->nstacks; i++) {
		const struct pp_stack *s = &p->stacks[i];
		size_t nseen = 0;

		if (grow((void **)&seen, &seen_cap, s->nframes + 1, sizeof(*seen)) < 0)
			goto nomem;
		for (f = 0; f < s->nframes; f++) {
			struct sum_key k = {
				.func = s->frames[f].func,
				.line = (flags & PP_SUM_LINES) ? s->frames[f].line : 0,
				.pid = (flags & (PP_SUM_PER_PROCESS | PP_SUM_PER_THREAD)) ? s->pid : 0,
				.tid = (flags & PP_SUM_PER_THREAD) ? s->tid : 0,
			};
			struct pp_func_sum *r;
			size_t idx, k2;
			int dup = 0;

			r = sum_row(&st, &k, &idx);
			if (!r)
				goto nomem;
			if (f == 0)
				for (e = 0; e < p->nevents; e++)
					r->self[e] += s->samples[e];
			/* Inclusive counts a row once per sample, however
			 * deep the recursion. */
			for (k2 = 0; k2 < nseen; k2++)
				if (seen[k2] == idx)
					dup = 1;
			if (dup)
				continue;
			seen[nseen++] = idx;
			for (e = 0; e < p->nevents; e++)
				r->total[e] += s->samples[e];
		}
	}
	free(seen);
	free(st.idx.slot);
	if (sort_event < 0 || (size_t)sort_event >= PP_PROFILE_MAX_EVENTS)
		sort_event = 0;
	if (st.n)
		qsort_r(st.rows, st.n, sizeof(*st.rows), sum_cmp, &sort_event);
	*out = st.rows;
	return (ssize_t)st.n;
nomem:
	free(seen);
	free(st.idx.slot);
	free(st.rows);
	return -ENOMEM;
}
