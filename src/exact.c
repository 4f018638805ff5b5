/* exact.c: parsing "<id>.exact" (include/pyperf/exact.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyperf/exact.h"

struct cursor {
	const char *p, *end;
};

/* The next line, without its newline; NULL at the end. */
static const char *next_line(struct cursor *c, size_t *len)
{
	const char *s = c->p, *nl;

	if (s >= c->end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(c->end - s));
	if (!nl)
		return NULL; /* every line ends with a newline, "end" too */
	*len = (size_t)(nl - s);
	c->p = nl + 1;
	return s;
}

/* "KEY value" where value is an unsigned number. */
static int keyed_u64(struct cursor *c, const char *key, uint64_t max, uint64_t *v)
{
	size_t len, k = strlen(key);
	const char *s = next_line(c, &len);
	char num[32], *end;

	if (!s || len <= k + 1 || len - k - 1 >= sizeof(num) || memcmp(s, key, k) || s[k] != ' ')
		return -EINVAL;
	memcpy(num, s + k + 1, len - k - 1);
	num[len - k - 1] = 0;
	if (num[0] < '0' || num[0] > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(num, &end, 10);
	return errno || *end || *v > max ? -EINVAL : 0;
}

/* Reads N unsigned numbers (BASE 10 or 16) separated by single spaces from
 * the NUL-terminated S; 0 when exactly N were there. */
static int numbers(const char *s, uint64_t *out, size_t n, const int *base)
{
	size_t i;
	char *end;

	for (i = 0; i < n; i++) {
		/* digits only: no sign, no "0x", no spaces strtoull would take */
		size_t len = strspn(s, base[i] == 16 ? "0123456789abcdef" : "0123456789");

		if (!len)
			return -EINVAL;
		errno = 0;
		out[i] = strtoull(s, &end, base[i]);
		if (errno || end != s + len)
			return -EINVAL;
		s = end;
		if (i + 1 < n) {
			if (*s != ' ')
				return -EINVAL;
			s++;
		}
	}
	return *s ? -EINVAL : 0;
}

static int parse_node(const char *s, size_t len, size_t idx, unsigned nev,
		      struct pp_exact_node *n)
{
	static const int base[7 + PP_PROFILE_MAX_EVENTS] = { 10, 10, 10, 16, 16, 10, 10,
		10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 };
	uint64_t v[7 + PP_PROFILE_MAX_EVENTS];
	char line[7 * 21 + PP_PROFILE_MAX_EVENTS * 21 + 1];
	unsigned e;

	if (len >= sizeof(line))
		return -EINVAL;
	memcpy(line, s, len);
	line[len] = 0;
	if (numbers(line, v, 7 + nev, base) || v[0] != idx || v[1] >= idx ||
	    v[2] > UINT32_MAX || v[4] > UINT32_MAX)
		return -EINVAL;
	memset(n, 0, sizeof(*n));
	n->parent = (uint32_t)v[1];
	n->tid = (uint32_t)v[2];
	n->code = v[3];
	n->fp = (uint32_t)v[4];
	n->calls = v[5];
	n->hooks = v[6];
	for (e = 0; e < nev; e++)
		n->v[e] = v[7 + e];
	return 0;
}

static int parse_costs(const char *s, size_t len, struct pp_exact_dump *d)
{
	char line[64 * PP_PROFILE_MAX_EVENTS + 8], *p, *end;
	unsigned e;

	if (len >= sizeof(line) || len < 4 || memcmp(s, "cost", 4))
		return -EINVAL;
	memcpy(line, s, len);
	line[len] = 0;
	p = line + 4;
	for (e = 0; e < d->nevents; e++) {
		if (*p != ' ')
			return -EINVAL;
		p++;
		d->cost[e] = strtod(p, &end);
		if (end == p || !isfinite(d->cost[e]) || d->cost[e] < 0)
			return -EINVAL;
		p = end;
	}
	return *p ? -EINVAL : 0;
}

int pp_exact__parse(const char *buf, size_t len, struct pp_exact_dump *out)
{
	struct cursor c = { buf, buf + len };
	struct pp_exact_dump d;
	const char *s;
	size_t l, i;
	uint64_t v;
	int err = -EINVAL;

	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	s = next_line(&c, &l);
	if (!s || l != 14 || memcmp(s, "pyperf-exact 1", 14))
		return -EINVAL;
	if (keyed_u64(&c, "events", PP_PROFILE_MAX_EVENTS, &v))
		return -EINVAL;
	d.nevents = (unsigned)v;
	s = next_line(&c, &l);
	if (!s || parse_costs(s, l, &d))
		return -EINVAL;
	if (c.p + 8 <= c.end && !memcmp(c.p, "problem ", 8)) {
		s = next_line(&c, &l);
		if (!s)
			return -EINVAL;
		l -= 8;
		if (l >= sizeof(d.problem))
			l = sizeof(d.problem) - 1;
		memcpy(d.problem, s + 8, l);
		d.problem[l] = 0;
	}
	if (keyed_u64(&c, "calibration", 1000, &v))
		return -EINVAL;
	d.calibration = (unsigned)v;
	if (keyed_u64(&c, "multiplexed", 1, &v))
		return -EINVAL;
	d.multiplexed = (int)v;
	if (keyed_u64(&c, "lost", UINT64_MAX, &d.lost) ||
	    keyed_u64(&c, "truncated", UINT64_MAX, &d.truncated) ||
	    keyed_u64(&c, "nodes", PP_EXACT_MAX_NODES, &v))
		return -EINVAL;
	/* every node line takes at least 16 bytes: no allocation the input
	 * cannot back */
	if (v > (uint64_t)(c.end - c.p) / 16)
		return -EINVAL;
	d.n = (size_t)v;
	d.nodes = calloc(d.n ? d.n : 1, sizeof(*d.nodes));
	if (!d.nodes)
		return -ENOMEM;
	for (i = 0; i < d.n; i++) {
		s = next_line(&c, &l);
		if (!s || parse_node(s, l, i + 1, d.nevents, &d.nodes[i]))
			goto fail;
	}
	s = next_line(&c, &l);
	if (!s || l != 3 || memcmp(s, "end", 3) || c.p != c.end)
		goto fail;
	*out = d;
	return 0;
fail:
	free(d.nodes);
	return err;
}

uint64_t pp_exact__value(const struct pp_exact_dump *d, size_t i, unsigned event)
{
	const struct pp_exact_node *n = &d->nodes[i - 1];
	double v = (double)n->v[event] - d->cost[event] * (double)n->hooks;

	return v > 0 ? (uint64_t)llround(v) : 0;
}

void pp_exact__free(struct pp_exact_dump *d)
{
	free(d->nodes);
	memset(d, 0, sizeof(*d));
}
