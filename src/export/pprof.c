/* export/pprof: perftools.profiles.Profile, gzipped (contents in export.h).
 *
 * The protobuf wire format is written by hand (varints and
 * length-delimited fields, https://protobuf.dev/programming-guides/encoding/)
 * against the field numbers of src/export/proto/profile.proto; proto3
 * scalars equal to 0 are left out, repeated scalars are packed. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pyperf/export.h"
#include "pyperf/log.h"
#include "pyperf/profile_file.h"

/* Field numbers, from profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_NUM = 3,
	LOCATION_ID = 1, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4, FUNCTION_START_LINE = 5,
};

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

/* ------------------------------------------------------------ encoder */

struct pb {
	uint8_t *b;
	size_t n, cap;
	int err;
};

static void pb_raw(struct pb *w, const void *p, size_t len)
{
	if (w->err)
		return;
	if (len > w->cap - w->n) {
		size_t ncap = w->cap ? w->cap : 256;
		uint8_t *nb;

		while (ncap - w->n < len)
			ncap *= 2;
		nb = realloc(w->b, ncap);
		if (!nb) {
			w->err = -ENOMEM;
			return;
		}
		w->b = nb;
		w->cap = ncap;
	}
	if (len)
		memcpy(w->b + w->n, p, len);
	w->n += len;
}

static void pb_varint(struct pb *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	pb_raw(w, b, n);
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >>= 7)
		n++;
	return n;
}

static void pb_key(struct pb *w, unsigned field, unsigned wire)
{
	pb_varint(w, (uint64_t)field << 3 | wire);
}

/* uint64 / int64 (two's complement, as protobuf encodes negative int64). */
static void pb_uint(struct pb *w, unsigned field, uint64_t v)
{
	if (!v)
		return;
	pb_key(w, field, WIRE_VARINT);
	pb_varint(w, v);
}

static void pb_bytes(struct pb *w, unsigned field, const void *p, size_t len)
{
	pb_key(w, field, WIRE_LEN);
	pb_varint(w, len);
	pb_raw(w, p, len);
}

/* Appends the message SUB as field FIELD of W and empties SUB for reuse. */
static void pb_msg(struct pb *w, unsigned field, struct pb *sub)
{
	if (sub->err && !w->err)
		w->err = sub->err;
	pb_bytes(w, field, sub->b, sub->n);
	sub->n = 0;
}

static void pb_packed(struct pb *w, unsigned field, const uint64_t *v, size_t n)
{
	size_t len = 0, i;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		len += varint_len(v[i]);
	pb_key(w, field, WIRE_LEN);
	pb_varint(w, len);
	for (i = 0; i < n; i++)
		pb_varint(w, v[i]);
}

/* ------------------------------------------------------- string table */

struct strtab {
	char **s;           /* repaired copies, index = string table index */
	size_t n, cap;
	uint32_t *slot;     /* open addressing, index + 1, 0 = empty */
	size_t nslots;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int strtab_rehash(struct strtab *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 256, i, j;
	uint32_t *slot = calloc(ns, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		for (j = hash_str(t->s[i]) & (ns - 1); slot[j]; j = (j + 1) & (ns - 1))
			;
		slot[j] = (uint32_t)i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslots = ns;
	return 0;
}

/* The string table index of S (NULL as ""), or -ENOMEM. */
static int64_t strtab_id(struct strtab *t, const char *s)
{
	char *fixed = NULL;
	size_t j;

	if (!s)
		s = "";
	if (!pp_utf8__valid(s, strlen(s))) {
		fixed = pp_utf8__repair(s);
		if (!fixed)
			return -ENOMEM;
		s = fixed;
	}
	if ((t->n + 1) * 2 > t->nslots && strtab_rehash(t) < 0)
		goto nomem;
	for (j = hash_str(s) & (t->nslots - 1); t->slot[j]; j = (j + 1) & (t->nslots - 1)) {
		if (!strcmp(t->s[t->slot[j] - 1], s)) {
			free(fixed);
			return t->slot[j] - 1;
		}
	}
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		char **n = realloc(t->s, ncap * sizeof(*n));

		if (!n)
			goto nomem;
		t->s = n;
		t->cap = ncap;
	}
	if (!fixed)
		fixed = strdup(s);
	if (!fixed)
		return -ENOMEM;
	t->s[t->n] = fixed;
	t->slot[j] = (uint32_t)++t->n;
	return (int64_t)t->n - 1;
nomem:
	free(fixed);
	return -ENOMEM;
}

static void strtab_free(struct strtab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->slot);
}

/* ---------------------------------------------------------- locations */

/* (function, line) -> location id, in order of first use. */
struct loctab {
	uint64_t *key;      /* func << 32 | line, by id - 1 */
	size_t n, cap;
	uint32_t *slot;     /* id, 0 = empty */
	size_t nslots;
};

static uint64_t hash_u64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return v;
}

static int loctab_rehash(struct loctab *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 1024, i, j;
	uint32_t *slot = calloc(ns, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		for (j = hash_u64(t->key[i]) & (ns - 1); slot[j]; j = (j + 1) & (ns - 1))
			;
		slot[j] = (uint32_t)i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslots = ns;
	return 0;
}

/* The location id (>= 1) of FR, or 0 on ENOMEM. */
static uint64_t loctab_id(struct loctab *t, const struct pp_frame *fr)
{
	uint64_t key = (uint64_t)fr->func << 32 | (uint32_t)fr->line;
	size_t j;

	if ((t->n + 1) * 2 > t->nslots && loctab_rehash(t) < 0)
		return 0;
	for (j = hash_u64(key) & (t->nslots - 1); t->slot[j]; j = (j + 1) & (t->nslots - 1))
		if (t->key[t->slot[j] - 1] == key)
			return t->slot[j];
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		uint64_t *n = realloc(t->key, ncap * sizeof(*n));

		if (!n)
			return 0;
		t->key = n;
		t->cap = ncap;
	}
	t->key[t->n] = key;
	t->slot[j] = (uint32_t)++t->n;
	return t->n;
}

/* ------------------------------------------------------------ profile */

static const char *unit_of(const char *event)
{
	static const char *const clocks[] = { "task-clock", "cpu-clock" };
	size_t i, n;

	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		n = strlen(clocks[i]);
		if (!strncmp(event, clocks[i], n) && (!event[n] || event[n] == ':'))
			return "nanoseconds";
	}
	return "count";
}

static int64_t clamp_i64(long double v)
{
	if (!(v > 0))
		return 0;
	if (v >= (long double)INT64_MAX)
		return INT64_MAX;
	return (int64_t)v;
}

/* Per-event state of the value computation (export.h): the values of
 * stacks 0..i are llround(total x cum / samples), so they add up to
 * llround(total) however the shares round. */
struct scale {
	int by_total;
	long double total, samples;
	uint64_t cum;        /* samples of the stacks so far */
	int64_t emitted;     /* sum of the values so far */
};

static int64_t scale_value(struct scale *sc, uint64_t samples, uint64_t period)
{
	int64_t upto, v;

	if (!sc->by_total) {
		if (period && samples > (uint64_t)INT64_MAX / period)
			return INT64_MAX;
		return (int64_t)(samples * period);
	}
	sc->cum += samples;
	upto = clamp_i64(roundl(sc->total * (long double)sc->cum / sc->samples));
	v = upto - sc->emitted;
	if (v < 0)
		v = 0;
	sc->emitted += v;
	return v;
}

struct enc {
	struct pb out, sub, sub2;
	struct strtab str;
	struct loctab loc;
	uint64_t *ids;       /* scratch: a sample's location ids or values */
	size_t ids_cap;
	int err;
};

static int64_t sid(struct enc *x, const char *s)
{
	int64_t id = strtab_id(&x->str, s);

	if (id < 0) {
		x->err = -ENOMEM;
		return 0;
	}
	return id;
}

static int grow_ids(struct enc *x, size_t need)
{
	uint64_t *n;

	if (need <= x->ids_cap)
		return 0;
	n = realloc(x->ids, need * sizeof(*n));
	if (!n)
		return x->err = -ENOMEM;
	x->ids = n;
	x->ids_cap = need;
	return 0;
}

static void value_type(struct enc *x, unsigned field, const char *type,
		       const char *unit)
{
	pb_uint(&x->sub, VALUETYPE_TYPE, (uint64_t)sid(x, type));
	pb_uint(&x->sub, VALUETYPE_UNIT, (uint64_t)sid(x, unit));
	pb_msg(&x->out, field, &x->sub);
}

static void label_num(struct enc *x, const char *key, uint64_t num)
{
	if (!num)
		return;
	pb_uint(&x->sub2, LABEL_KEY, (uint64_t)sid(x, key));
	pb_uint(&x->sub2, LABEL_NUM, num);
	pb_msg(&x->sub, SAMPLE_LABEL, &x->sub2);
}

static void comment(struct enc *x, const char *text)
{
	x->ids[0] = (uint64_t)sid(x, text);
	pb_packed(&x->out, PROFILE_COMMENT, x->ids, 1);
}

static void samples(struct enc *x, const struct pp_profile *p, uint8_t *used)
{
	struct scale sc[PP_PROFILE_MAX_EVENTS];
	size_t i, f, e;

	for (e = 0; e < p->nevents; e++) {
		const struct pp_sampled_event *ev = &p->ev[e];

		memset(&sc[e], 0, sizeof(sc[e]));
		sc[e].by_total = ev->total > 0 && ev->samples > 0;
		sc[e].total = ev->total;
		sc[e].samples = (long double)ev->samples;
	}
	for (i = 0; i < p->nstacks && !x->err; i++) {
		const struct pp_stack *st = &p->stacks[i];
		int any = 0;

		for (e = 0; e < p->nevents; e++)
			any |= st->samples[e] != 0;
		if (!any)
			continue;
		if (grow_ids(x, st->nframes + p->nevents + 1))
			return;
		for (f = 0; f < st->nframes; f++) {
			if (st->frames[f].func >= p->nfuncs) {
				x->err = -EINVAL;
				return;
			}
			x->ids[f] = loctab_id(&x->loc, &st->frames[f]);
			if (!x->ids[f]) {
				x->err = -ENOMEM;
				return;
			}
			used[st->frames[f].func] = 1;
		}
		pb_packed(&x->sub, SAMPLE_LOCATION_ID, x->ids, st->nframes);
		for (e = 0; e < p->nevents; e++)
			x->ids[e] = (uint64_t)scale_value(&sc[e], st->samples[e],
							  p->ev[e].period);
		pb_packed(&x->sub, SAMPLE_VALUE, x->ids, p->nevents);
		label_num(x, "pid", st->pid);
		label_num(x, "tid", st->tid);
		pb_msg(&x->out, PROFILE_SAMPLE, &x->sub);
	}
}

static void locations_and_functions(struct enc *x, const struct pp_profile *p,
				    const uint8_t *used)
{
	size_t i;

	for (i = 0; i < x->loc.n; i++) {
		uint64_t key = x->loc.key[i];

		pb_uint(&x->sub2, LINE_FUNCTION_ID, (key >> 32) + 1);
		pb_uint(&x->sub2, LINE_LINE, (uint64_t)(int64_t)(int32_t)(uint32_t)key);
		pb_uint(&x->sub, LOCATION_ID, i + 1);
		pb_msg(&x->sub, LOCATION_LINE, &x->sub2);
		pb_msg(&x->out, PROFILE_LOCATION, &x->sub);
	}
	for (i = 0; i < p->nfuncs; i++) {
		const struct pp_func *fn = &p->funcs[i];
		uint64_t name;

		if (!used[i])
			continue;
		name = (uint64_t)sid(x, fn->qualname);
		pb_uint(&x->sub, FUNCTION_ID, i + 1);
		pb_uint(&x->sub, FUNCTION_NAME, name);
		pb_uint(&x->sub, FUNCTION_SYSTEM_NAME, name);
		pb_uint(&x->sub, FUNCTION_FILENAME, (uint64_t)sid(x, fn->file));
		pb_uint(&x->sub, FUNCTION_START_LINE, (uint64_t)(int64_t)fn->firstline);
		pb_msg(&x->out, PROFILE_FUNCTION, &x->sub);
	}
}

static void comments(struct enc *x, const struct pp_report_data *d,
		     const struct pp_profile *p)
{
	char buf[512];
	size_t e;

	if (d->command)
		comment(x, d->command);
	if (d->interpreter)
		comment(x, d->interpreter);
	if (d->attribution_note)
		comment(x, d->attribution_note);
	for (e = 0; e < p->nevents; e++) {
		const struct pp_sampled_event *ev = &p->ev[e];

		if (ev->total > 0)
			snprintf(buf, sizeof(buf), "%s: %" PRIu64 " samples, period %"
				 PRIu64 ", counted %.0f", ev->name, ev->samples,
				 ev->period, ev->total);
		else
			snprintf(buf, sizeof(buf), "%s: %" PRIu64 " samples, period %"
				 PRIu64, ev->name, ev->samples, ev->period);
		comment(x, buf);
	}
	if (p->dropped || p->truncated || p->unresolved) {
		snprintf(buf, sizeof(buf), "lost: %" PRIu64 " samples dropped, %" PRIu64
			 " stacks truncated, %" PRIu64 " frames unresolved",
			 p->dropped, p->truncated, p->unresolved);
		comment(x, buf);
	}
}

int pp_export__pprof_encode(const struct pp_report_data *d, uint8_t **out,
			    size_t *len)
{
	const struct pp_profile *p = d->profile;
	struct enc x = { 0 };
	struct pb head = { 0 };
	uint8_t *used = NULL;
	size_t e, i;
	int ret;

	*out = NULL;
	*len = 0;
	if (!p || !p->nevents || p->nevents > PP_PROFILE_MAX_EVENTS)
		return -EINVAL;
	used = calloc(p->nfuncs ? p->nfuncs : 1, 1);
	if (!used || grow_ids(&x, 16) || sid(&x, "") != 0) {
		ret = -ENOMEM;
		goto out;
	}

	/* Samples first: they decide which locations and functions exist;
	 * the fields are concatenated in field order afterwards. */
	for (e = 0; e < p->nevents; e++)
		value_type(&x, PROFILE_SAMPLE_TYPE, p->ev[e].name, unit_of(p->ev[e].name));
	samples(&x, p, used);
	locations_and_functions(&x, p, used);
	head = x.out;
	memset(&x.out, 0, sizeof(x.out));

	if (d->elapsed_s > 0 && isfinite(d->elapsed_s))
		pb_uint(&x.out, PROFILE_DURATION_NANOS,
			(uint64_t)clamp_i64(roundl((long double)d->elapsed_s * 1e9L)));
	value_type(&x, PROFILE_PERIOD_TYPE, p->ev[0].name, unit_of(p->ev[0].name));
	pb_uint(&x.out, PROFILE_PERIOD, (uint64_t)clamp_i64((long double)p->ev[0].period));
	comments(&x, d, p);
	pb_uint(&x.out, PROFILE_DEFAULT_SAMPLE_TYPE, (uint64_t)sid(&x, p->ev[0].name));

	/* The string table (field 6) goes between the functions (5) and the
	 * scalars (10...): complete now that every field has asked for its
	 * strings. */
	for (i = 0; i < x.str.n; i++)
		pb_bytes(&head, PROFILE_STRING_TABLE, x.str.s[i], strlen(x.str.s[i]));
	pb_raw(&head, x.out.b, x.out.n);

	ret = x.err ? x.err : head.err ? head.err : x.out.err ? x.out.err :
	      x.sub.err ? x.sub.err : x.sub2.err;
	if (!ret) {
		*out = head.b;
		*len = head.n;
		head.b = NULL;
	}
out:
	free(head.b);
	free(x.out.b);
	free(x.sub.b);
	free(x.sub2.b);
	free(x.ids);
	free(x.loc.key);
	free(x.loc.slot);
	strtab_free(&x.str);
	free(used);
	return ret;
}

/* RAW gzipped (deflate with a gzip header: windowBits 15 + 16, zlib.h). */
static int gzip(const uint8_t *raw, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream zs;
	size_t cap, chunk;
	uint8_t *b, *nb;
	int zr;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = len / 4 + 1024;
	b = malloc(cap);
	if (!b) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)raw;
	do {
		if (zs.total_out == cap) {
			nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				deflateEnd(&zs);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		/* avail_in and avail_out are uInt: feed at most 1 GiB at a time */
		chunk = len - (size_t)(zs.next_in - raw);
		zs.avail_in = (uInt)(chunk < (1u << 30) ? chunk : (1u << 30));
		chunk = cap - zs.total_out;
		zs.next_out = b + zs.total_out;
		zs.avail_out = (uInt)(chunk < (1u << 30) ? chunk : (1u << 30));
		zr = deflate(&zs, zs.next_in + zs.avail_in == raw + len ? Z_FINISH
									  : Z_NO_FLUSH);
	} while (zr == Z_OK || zr == Z_BUF_ERROR);
	if (zr != Z_STREAM_END) {
		free(b);
		deflateEnd(&zs);
		return -EIO;
	}
	*out = b;
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return 0;
}

int pp_export__pprof(const char *path, const struct pp_report_data *d)
{
	uint8_t *raw = NULL, *gz = NULL;
	size_t rawlen, gzlen;
	int ret;

	ret = pp_export__pprof_encode(d, &raw, &rawlen);
	if (ret == -EINVAL) {
		pp_log(PP_LOG_ERROR, "cannot write %s: no sampled events to export", path);
		goto out;
	}
	if (!ret)
		ret = gzip(raw, rawlen, &gz, &gzlen);
	if (ret) {
		pp_log(PP_LOG_ERROR, "cannot write %s: %s", path, strerror(-ret));
		goto out;
	}
	ret = pp_file__write_atomic(path, gz, gzlen);
out:
	free(raw);
	free(gz);
	return ret;
}
