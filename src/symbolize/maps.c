/* maps.c: /proc/<pid>/maps text, and one process image's mappings over
 * time (include/pyperf/symbolize.h).
 *
 * The parser treats its input as hostile (the snapshot file lives in a
 * directory the target can write, and the fuzzer feeds it anything):
 * every number has a digit limit, every line a length limit, every list a
 * count limit, and nothing is read past LEN. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pyperf/symbolize.h"

/* ------------------------------------------------------------ maps */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A hex number of 1..MAXD digits at *P (before END); advances *P. */
static int scan_hex(const char **p, const char *end, unsigned maxd, uint64_t *out)
{
	uint64_t v = 0;
	unsigned n = 0;
	int d;

	while (*p < end && (d = hexval(**p)) >= 0) {
		if (++n > maxd)
			return -1;
		v = v << 4 | (uint64_t)d;
		(*p)++;
	}
	*out = v;
	return n ? 0 : -1;
}

static int scan_dec(const char **p, const char *end, unsigned maxd, uint64_t *out)
{
	uint64_t v = 0;
	unsigned n = 0;

	while (*p < end && **p >= '0' && **p <= '9') {
		if (++n > maxd)
			return -1;
		v = v * 10 + (uint64_t)(**p - '0');
		(*p)++;
	}
	*out = v;
	return n ? 0 : -1;
}

static int expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -1;
	(*p)++;
	return 0;
}

/* One line, without its newline.  0 parsed into *M (path malloc'd),
 * 1 skipped by FLAGS, -1 malformed, -ENOMEM. */
static int parse_line(const char *p, const char *end, struct pp_map *m, unsigned flags)
{
	static const char deleted[] = " (deleted)";
	const size_t dlen = sizeof(deleted) - 1;
	uint64_t maj, min;
	const char *path;
	size_t plen;

	memset(m, 0, sizeof(*m));
	if (scan_hex(&p, end, 16, &m->start) || expect(&p, end, '-') ||
	    scan_hex(&p, end, 16, &m->end) || expect(&p, end, ' '))
		return -1;
	if (end - p < 5 || p[4] != ' ')
		return -1;
	if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
	    (p[2] != 'x' && p[2] != '-') || (p[3] != 'p' && p[3] != 's'))
		return -1;
	m->prot = (p[0] == 'r' ? PP_MAP_R : 0) | (p[1] == 'w' ? PP_MAP_W : 0) |
		  (p[2] == 'x' ? PP_MAP_X : 0) | (p[3] == 's' ? PP_MAP_SHARED : 0);
	p += 5;
	if (scan_hex(&p, end, 16, &m->offset) || expect(&p, end, ' ') ||
	    scan_hex(&p, end, 8, &maj) || expect(&p, end, ':') ||
	    scan_hex(&p, end, 8, &min) || expect(&p, end, ' ') ||
	    scan_dec(&p, end, 20, &m->inode))
		return -1;
	if (m->start >= m->end)
		return -1;
	if (p < end && *p != ' ')
		return -1;
	if ((flags & PP_MAPS_EXEC_ONLY) && !(m->prot & PP_MAP_X))
		return 1;
	m->dev_major = (uint32_t)maj;
	m->dev_minor = (uint32_t)min;
	while (p < end && *p == ' ')
		p++;
	path = p;
	plen = (size_t)(end - p);
	if (plen == 0) {
		m->kind = PP_MAP_ANON;
		return 0;
	}
	if (memchr(path, 0, plen))
		return -1;
	if (plen > dlen && !memcmp(path + plen - dlen, deleted, dlen)) {
		m->deleted = 1;
		plen -= dlen;
	}
	m->kind = path[0] == '/' ? PP_MAP_FILE : PP_MAP_SPECIAL;
	m->path = strndup(path, plen);
	return m->path ? 0 : -ENOMEM;
}

long pp_maps__parse(const char *buf, size_t len, struct pp_maps *out, unsigned flags)
{
	const char *p = buf, *end = buf + len;
	long added = 0;

	if (!buf)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct pp_map m;
		int r;

		if (le - p > PP_MAPS_MAX_LINE || out->n >= PP_MAPS_MAX_ENTRIES) {
			out->malformed++;
		} else if (le > p) {
			r = parse_line(p, le, &m, flags);
			if (r == -ENOMEM)
				return -ENOMEM;
			if (r < 0) {
				out->malformed++;
			} else if (r == 0) {
				if (out->n == out->cap) {
					size_t cap = out->cap ? out->cap * 2 : 64;
					struct pp_map *v = realloc(out->v, cap * sizeof(*v));
					if (!v) {
						free(m.path);
						return -ENOMEM;
					}
					out->v = v;
					out->cap = cap;
				}
				out->v[out->n++] = m;
				added++;
			}
		}
		p = le + (nl != NULL);
	}
	return added;
}

void pp_maps__free(struct pp_maps *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

const char *pp_map__module(const struct pp_map *m)
{
	const char *s;

	if (!m || !m->path || !m->path[0])
		return "[anon]";
	s = strrchr(m->path, '/');
	return s && s[1] ? s + 1 : m->path;
}

int pp_build_id_range__parse(const char *line, size_t len, struct pp_build_id_range *out)
{
	const char *p = line, *end = line + len;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (expect(&p, end, 'b') || expect(&p, end, ' ') || scan_hex(&p, end, 16, &out->lo) ||
	    expect(&p, end, ' ') || scan_hex(&p, end, 16, &out->hi) || expect(&p, end, ' '))
		return -EINVAL;
	while (p + 1 < end && n < PP_BUILD_ID_MAX) {
		int a = hexval(p[0]), b = hexval(p[1]);
		if (a < 0 || b < 0)
			return -EINVAL;
		out->id[n++] = (uint8_t)(a << 4 | b);
		p += 2;
	}
	if (p != end || n == 0 || out->lo >= out->hi)
		return -EINVAL;
	out->len = (uint8_t)n;
	return 0;
}

/* ------------------------------------------------------- addrspace */

struct as_entry {
	struct pp_map m;
	uint32_t first, last;    /* generations it was seen in */
};

struct pp_addrspace {
	struct as_entry *e;
	size_t n, cap;
	uint32_t latest;
	size_t *alive;           /* entries with last == latest */
	size_t nalive, alive_cap;
	/* lookup index, rebuilt by every add: entries by start address, and
	 * the largest end among order[0..i] */
	size_t *order;
	uint64_t *maxend;
};

int pp_addrspace__new(struct pp_addrspace **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void pp_addrspace__free(struct pp_addrspace *as)
{
	size_t i;

	if (!as)
		return;
	for (i = 0; i < as->n; i++)
		free(as->e[i].m.path);
	free(as->e);
	free(as->alive);
	free(as->order);
	free(as->maxend);
	free(as);
}

uint32_t pp_addrspace__latest(const struct pp_addrspace *as)
{
	return as ? as->latest : 0;
}

static int same_map(const struct pp_map *a, const struct pp_map *b)
{
	return a->start == b->start && a->end == b->end && a->offset == b->offset &&
	       a->inode == b->inode && a->prot == b->prot && a->deleted == b->deleted &&
	       a->build_id_len == b->build_id_len &&
	       !memcmp(a->build_id, b->build_id, a->build_id_len) &&
	       ((!a->path && !b->path) || (a->path && b->path && !strcmp(a->path, b->path)));
}

static int by_start(const void *a, const void *b, void *arg)
{
	const struct as_entry *e = arg;
	uint64_t x = e[*(const size_t *)a].m.start, y = e[*(const size_t *)b].m.start;

	return (x > y) - (x < y);
}

/* Sorts the entries by start for pp_addrspace__find's binary search. */
static int index_rebuild(struct pp_addrspace *as)
{
	size_t *order = realloc(as->order, (as->n ? as->n : 1) * sizeof(*order));
	uint64_t *maxend;
	size_t i;

	if (!order)
		return -ENOMEM;
	as->order = order;
	maxend = realloc(as->maxend, (as->n ? as->n : 1) * sizeof(*maxend));
	if (!maxend)
		return -ENOMEM;
	as->maxend = maxend;
	for (i = 0; i < as->n; i++)
		order[i] = i;
	qsort_r(order, as->n, sizeof(*order), by_start, as->e);
	for (i = 0; i < as->n; i++) {
		uint64_t end = as->e[order[i]].m.end;
		maxend[i] = i && maxend[i - 1] > end ? maxend[i - 1] : end;
	}
	return 0;
}

int pp_addrspace__add(struct pp_addrspace *as, uint32_t gen, struct pp_maps *m,
		      const struct pp_build_id_range *ids, size_t nids)
{
	size_t *alive, nalive = 0, i, k;
	int err = 0;

	if (gen <= as->latest)
		return -EINVAL;
	alive = malloc((m->n ? m->n : 1) * sizeof(*alive));
	if (!alive)
		return -ENOMEM;
	for (i = 0; i < m->n; i++) {
		struct pp_map *x = &m->v[i];

		for (k = 0; k < nids && x->kind == PP_MAP_FILE; k++) {
			if (x->start >= ids[k].lo && x->start < ids[k].hi) {
				memcpy(x->build_id, ids[k].id, ids[k].len);
				x->build_id_len = ids[k].len;
				break;
			}
		}
		for (k = 0; k < as->nalive; k++) {
			struct as_entry *e = &as->e[as->alive[k]];
			if (e->last == as->latest && same_map(&e->m, x))
				break;
		}
		if (k < as->nalive) {
			as->e[as->alive[k]].last = gen;
			alive[nalive++] = as->alive[k];
			free(x->path);
			continue;
		}
		if (as->n == as->cap) {
			size_t cap = as->cap ? as->cap * 2 : 64;
			struct as_entry *v = realloc(as->e, cap * sizeof(*v));
			if (!v) {
				/* keep what is added; the rest of M is freed */
				for (; i < m->n; i++)
					free(m->v[i].path);
				err = -ENOMEM;
				break;
			}
			as->e = v;
			as->cap = cap;
		}
		as->e[as->n].m = *x;
		as->e[as->n].first = as->e[as->n].last = gen;
		alive[nalive++] = as->n++;
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
	free(as->alive);
	as->alive = alive;
	as->nalive = nalive;
	as->alive_cap = nalive;
	as->latest = gen;
	if (index_rebuild(as) != 0) {
		/* without an index find() sees nothing: drop the order */
		free(as->order);
		free(as->maxend);
		as->order = NULL;
		as->maxend = NULL;
		return -ENOMEM;
	}
	return err;
}

const struct pp_map *pp_addrspace__find(const struct pp_addrspace *as, uint64_t addr,
					uint32_t gen)
{
	const struct as_entry *best = NULL;
	uint64_t best_rank = UINT64_MAX;
	size_t lo = 0, hi, i;

	if (!as || !as->order)
		return NULL;
	if (gen == 0 || gen > as->latest)
		gen = as->latest;
	/* hi: the entries starting at or below ADDR are order[0..hi) */
	hi = as->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (as->e[as->order[mid]].m.start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* back from there while some entry so far may still reach ADDR */
	for (i = lo; i > 0 && as->maxend[i - 1] > addr; i--) {
		const struct as_entry *e = &as->e[as->order[i - 1]];
		uint64_t rank;

		if (addr < e->m.start || addr >= e->m.end)
			continue;
		if (e->first <= gen && gen <= e->last)
			return &e->m;
		/* later snapshots first (mapped after snapshot GEN was taken,
		 * before the sample), then earlier ones */
		if (e->first > gen)
			rank = e->first - gen;
		else
			rank = ((uint64_t)1 << 32) + (gen - e->last);
		if (rank < best_rank) {
			best_rank = rank;
			best = e;
		}
	}
	return best ? &best->m : NULL;
}

