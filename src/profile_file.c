/* profile_file: the saved-profile format (layout in profile_file.h).
 *
 * The writer builds the whole file in memory, then hands it to
 * pp_file__write_atomic.  The reader takes the whole file into memory and
 * walks it with a cursor that checks every length against what remains
 * before reading, and every count against the bytes that could hold it
 * before allocating, so no input can make it read out of bounds or
 * allocate more than a small multiple of the file's size.
 *
 * Format 1 also knows, after "LOST" and before "END ", the optional section
 * (flags 0, so that readers that predate it skip it):
 *
 *   "RUNS"  each run of -r N, for CI baselines (pyperf-stat diff):
 *           u32 nruns (= META runs), u32 nvalues (= ROWS n), u32 nevents
 *           (= EVNT n, 0 without a profile), then nruns x (f64 elapsed,
 *           nvalues x f64 value (NaN: not counted in that run), nevents x
 *           u64 samples of the run, u64 nfuncs, nfuncs x (u32 func (an id
 *           in FUNC), nevents x u64 self samples, nevents x u64 inclusive
 *           samples)); per event, self <= inclusive <= the run's samples,
 *           and the runs' samples add up to at most the EVNT count. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "pyperf/log.h"
#include "pyperf/profile_file.h"

/* PNG's trick: a high byte first catches 7-bit transfers, "\n" last
 * catches newline translation. */
static const uint8_t magic[8] = { 0x89, 'P', 'Y', 'P', 'E', 'R', 'F', '\n' };

#define HEADER_SIZE   12  /* magic, u32 version */
#define SECTION_HEAD  16  /* tag, u32 flags, u64 length */
#define SEC_REQUIRED  1u  /* flags: readers that do not know the tag refuse */

/* Fuzz harnesses define this (the libFuzzer / OSS-Fuzz convention) so that
 * mutated inputs get past the checksum to the code behind it. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
static const int skip_checksum = 1;
#else
static const int skip_checksum = 0;
#endif

/* Known sections in the order they must appear (rank = index + 1). */
enum sec_id { SEC_META, SEC_ROWS, SEC_EVNT, SEC_FUNC, SEC_STAK, SEC_PROC,
	      SEC_LOST, SEC_EXCT, SEC_RUNS, SEC_END, SEC_NKNOWN };

static const struct {
	char tag[4];
	const char *name;     /* for messages */
} sections[SEC_NKNOWN] = {
	[SEC_META] = { { 'M', 'E', 'T', 'A' }, "meta" },
	[SEC_ROWS] = { { 'R', 'O', 'W', 'S' }, "rows" },
	[SEC_EVNT] = { { 'E', 'V', 'N', 'T' }, "events" },
	[SEC_FUNC] = { { 'F', 'U', 'N', 'C' }, "functions" },
	[SEC_STAK] = { { 'S', 'T', 'A', 'K' }, "stacks" },
	[SEC_PROC] = { { 'P', 'R', 'O', 'C' }, "processes" },
	[SEC_LOST] = { { 'L', 'O', 'S', 'T' }, "lost" },
	[SEC_EXCT] = { { 'E', 'X', 'C', 'T' }, "exact" },
	[SEC_RUNS] = { { 'R', 'U', 'N', 'S' }, "runs" },
	[SEC_END]  = { { 'E', 'N', 'D', ' ' }, "end" },
};

/* ------------------------------------------------------------- UTF-8 */

/* Length of the valid sequence at S (1-4, at most LEFT bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned c = s[0];
	uint32_t cp, min;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int pp_utf8__valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq(u + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

char *pp_utf8__repair(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, o = 0, n;
	char *out = malloc(len * 3 + 1);  /* every byte may become U+FFFD */

	if (!out)
		return NULL;
	while (i < len) {
		n = utf8_seq(u + i, len - i);
		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

/* ------------------------------------------------------------ writer */

struct wbuf {
	uint8_t *b;
	size_t n, cap;
	int err;        /* first error; later writes are dropped */
};

static uint8_t *wb_room(struct wbuf *w, size_t len)
{
	size_t ncap;
	uint8_t *nb;

	if (w->err)
		return NULL;
	if (len > w->cap - w->n) {
		ncap = w->cap ? w->cap : 4096;
		while (ncap - w->n < len) {
			if (ncap > SIZE_MAX / 2) {
				w->err = -ENOMEM;
				return NULL;
			}
			ncap *= 2;
		}
		nb = realloc(w->b, ncap);
		if (!nb) {
			w->err = -ENOMEM;
			return NULL;
		}
		w->b = nb;
		w->cap = ncap;
	}
	w->n += len;
	return w->b + w->n - len;
}

static void put_bytes(struct wbuf *w, const void *p, size_t len)
{
	uint8_t *d = wb_room(w, len);

	if (d && len)
		memcpy(d, p, len);
}

static void put_le(uint8_t *d, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = (uint8_t)(v >> (8 * i));
}

static void put_u8(struct wbuf *w, uint8_t v)
{
	put_bytes(w, &v, 1);
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t *d = wb_room(w, 4);

	if (d)
		put_le(d, v, 4);
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	uint8_t *d = wb_room(w, 8);

	if (d)
		put_le(d, v, 8);
}

static void put_f64(struct wbuf *w, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	put_u64(w, bits);
}

/* S (NULL as "") as valid UTF-8 of at most MAX bytes, cut at a character
 * boundary. */
static void put_str_max(struct wbuf *w, const char *s, size_t max)
{
	char *fixed = NULL;
	size_t len;

	if (!s)
		s = "";
	len = strlen(s);
	if (!pp_utf8__valid(s, len)) {
		fixed = pp_utf8__repair(s);
		if (!fixed) {
			w->err = w->err ? w->err : -ENOMEM;
			return;
		}
		s = fixed;
		len = strlen(s);
	}
	if (len > max) {
		len = max;
		while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	if (len > UINT32_MAX) {
		w->err = w->err ? w->err : -EFBIG;
	} else {
		put_u32(w, (uint32_t)len);
		put_bytes(w, s, len);
	}
	free(fixed);
}

static void put_str(struct wbuf *w, const char *s)
{
	put_str_max(w, s, SIZE_MAX);
}

static void put_optstr(struct wbuf *w, const char *s)
{
	put_u8(w, s != NULL);
	if (s)
		put_str(w, s);
}

/* Starts section ID; returns where its length goes. */
static size_t sec_begin(struct wbuf *w, enum sec_id id)
{
	size_t at;

	put_bytes(w, sections[id].tag, 4);
	put_u32(w, 0);
	at = w->n;
	put_u64(w, 0);
	return at;
}

static void sec_end(struct wbuf *w, size_t at)
{
	if (!w->err)
		put_le(w->b + at, w->n - at - 8, 8);
}

static void write_profile(struct wbuf *w, const struct pp_profile *p)
{
	size_t i, f, e, at;

	at = sec_begin(w, SEC_EVNT);
	put_u64(w, p->nevents);
	for (e = 0; e < p->nevents; e++) {
		put_str_max(w, p->ev[e].name, sizeof(p->ev[e].name) - 1);
		put_u64(w, p->ev[e].period);
		put_u64(w, p->ev[e].samples);
		put_f64(w, p->ev[e].total);
	}
	sec_end(w, at);

	at = sec_begin(w, SEC_FUNC);
	put_u64(w, p->nfuncs);
	for (i = 0; i < p->nfuncs; i++) {
		put_str(w, p->funcs[i].qualname);
		put_str(w, p->funcs[i].file);
		put_u32(w, (uint32_t)p->funcs[i].firstline);
	}
	sec_end(w, at);

	at = sec_begin(w, SEC_STAK);
	put_u64(w, p->nstacks);
	for (i = 0; i < p->nstacks; i++) {
		const struct pp_stack *s = &p->stacks[i];

		put_u32(w, s->pid);
		put_u32(w, s->tid);
		put_u32(w, s->nframes);
		for (f = 0; f < s->nframes; f++) {
			put_u32(w, s->frames[f].func);
			put_u32(w, (uint32_t)s->frames[f].line);
		}
		for (e = 0; e < p->nevents; e++)
			put_u64(w, s->samples[e]);
	}
	sec_end(w, at);

	at = sec_begin(w, SEC_PROC);
	put_u64(w, p->nprocs);
	for (i = 0; i < p->nprocs; i++) {
		put_u32(w, p->procs[i].pid);
		put_str(w, p->procs[i].command);
	}
	sec_end(w, at);

	at = sec_begin(w, SEC_LOST);
	put_u64(w, p->dropped);
	put_u64(w, p->truncated);
	put_u64(w, p->unresolved);
	/* appended later in format 1: readers take it when present */
	put_u64(w, p->agent_cpu_ns);
	put_u64(w, p->folded);
	put_u64(w, p->recovered);
	sec_end(w, at);

	if (p->exact) {
		at = sec_begin(w, SEC_EXCT);
		put_u32(w, (uint32_t)p->calls_event);
		put_u64(w, p->exact_hooks);
		for (e = 0; e < p->nevents; e++)
			put_f64(w, p->exact_cost[e]);
		sec_end(w, at);
	}
}

static void write_runs(struct wbuf *w, const struct pp_report_data *d)
{
	size_t nev = d->profile ? d->profile->nevents : 0;
	size_t i, j, v, e, at;

	at = sec_begin(w, SEC_RUNS);
	put_u32(w, (uint32_t)d->runs);
	put_u32(w, (uint32_t)d->nrows);
	put_u32(w, (uint32_t)nev);
	for (i = 0; i < (size_t)d->runs; i++) {
		const struct pp_run *run = &d->run[i];

		put_f64(w, run->elapsed_s);
		for (v = 0; v < d->nrows; v++)
			put_f64(w, run->values ? run->values[v] : NAN);
		for (e = 0; e < nev; e++)
			put_u64(w, run->samples[e]);
		/* without a profile there are no function ids to refer to */
		put_u64(w, nev ? run->nfuncs : 0);
		for (j = 0; nev && j < run->nfuncs; j++) {
			put_u32(w, run->funcs[j].func);
			for (e = 0; e < nev; e++)
				put_u64(w, run->funcs[j].self[e]);
			for (e = 0; e < nev; e++)
				put_u64(w, run->funcs[j].total[e]);
		}
	}
	sec_end(w, at);
}

static int encode(struct wbuf *w, const struct pp_report_data *d,
		  const char *tool_version, int with_runs)
{
	size_t i, at;
	uint32_t crc;

	put_bytes(w, magic, sizeof(magic));
	put_u32(w, PP_PROFILE_FILE_VERSION);

	at = sec_begin(w, SEC_META);
	put_str(w, tool_version);
	put_str(w, d->command);
	put_u32(w, (uint32_t)d->runs);
	put_f64(w, d->elapsed_s);
	put_f64(w, d->elapsed_stddev_s);
	put_f64(w, d->user_s);
	put_f64(w, d->sys_s);
	put_optstr(w, d->interpreter);
	put_optstr(w, d->attribution_note);
	/* appended later in format 1: readers take it when present */
	put_f64(w, d->cost_per_sample_us);
	sec_end(w, at);

	at = sec_begin(w, SEC_ROWS);
	put_u64(w, d->nrows);
	for (i = 0; i < d->nrows; i++) {
		const struct pp_stat_row *r = &d->rows[i];

		put_str(w, r->name);
		put_str(w, r->unit);
		put_u32(w, r->type);
		put_u64(w, r->config);
		put_u32(w, (uint32_t)r->status);
		put_f64(w, r->value);
		put_f64(w, r->stddev);
		put_u64(w, r->enabled);
		put_u64(w, r->running);
	}
	sec_end(w, at);

	if (d->profile)
		write_profile(w, d->profile);
	if (d->run && with_runs)
		write_runs(w, d);

	/* The checksum covers every byte before it, its own section's
	 * header included. */
	at = sec_begin(w, SEC_END);
	if (!w->err)
		put_le(w->b + at, 4, 8);
	if (w->err)
		return w->err;
	crc = (uint32_t)crc32_z(crc32_z(0, NULL, 0), w->b, w->n);
	put_u32(w, crc);
	return w->err;
}

/* Every function id of D->run names a function of D->profile, and the
 * counts are what the loader accepts. */
static int runs_consistent(const struct pp_report_data *d)
{
	const struct pp_profile *p = d->profile;
	uint64_t sum[PP_PROFILE_MAX_EVENTS] = { 0 };
	size_t i, j, e;

	for (i = 0; d->run && i < (size_t)d->runs; i++) {
		const struct pp_run *run = &d->run[i];

		if (!p)
			continue;
		if (run->nfuncs && !run->funcs)
			return 0;
		for (e = 0; e < p->nevents; e++) {
			if (run->samples[e] > p->ev[e].samples - sum[e])
				return 0;
			sum[e] += run->samples[e];
		}
		for (j = 0; j < run->nfuncs; j++) {
			const struct pp_run_func *f = &run->funcs[j];

			if (f->func >= p->nfuncs)
				return 0;
			for (e = 0; e < p->nevents; e++)
				if (f->self[e] > f->total[e] || f->total[e] > run->samples[e])
					return 0;
		}
	}
	return 1;
}

int pp_profile_file__save(const char *path, const struct pp_report_data *d,
			  const char *tool_version)
{
	struct wbuf w = { 0 };
	int ret, with_runs;

	if (d->runs < 1 || (d->nrows && !d->rows) ||
	    (d->profile && d->profile->nevents > PP_PROFILE_MAX_EVENTS)) {
		pp_log(PP_LOG_ERROR, "cannot save %s: inconsistent report data", path);
		return -EINVAL;
	}
	/* The per-run figures are a bonus for baselines: figures the loader
	 * would refuse must not cost the whole profile. */
	with_runs = runs_consistent(d);
	if (d->run && !with_runs)
		pp_log(PP_LOG_WARN, "%s: the per-run figures do not add up to the "
		       "profile; saved without them (pyperf-stat diff will use the "
		       "means)", path);
	ret = encode(&w, d, tool_version, with_runs);
	if (ret < 0) {
		pp_log(PP_LOG_ERROR, "cannot save %s: %s", path, strerror(-ret));
		goto out;
	}
	if (w.n > PP_PROFILE_FILE_MAX_SIZE) {
		pp_log(PP_LOG_ERROR, "cannot save %s: the profile takes %zu bytes, "
		       "more than the %llu a profile may have", path, w.n,
		       PP_PROFILE_FILE_MAX_SIZE);
		ret = -EFBIG;
		goto out;
	}
	ret = pp_file__write_atomic(path, w.b, w.n);
out:
	free(w.b);
	return ret;
}

/* --------------------------------------------------------- atomic write */

static int write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Makes the rename durable.  Some file systems refuse fsync on a
 * directory (EINVAL); the data itself is already on disk then. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			pp_log(PP_LOG_WARN, "fsync %s: %s", dir, strerror(errno));
		close(fd);
	}
	free(dir);
}

int pp_file__write_atomic(const char *path, const void *buf, size_t len)
{
	static unsigned counter;
	char *tmp = NULL;
	int fd = -1, ret, tries;

	/* mkstemp would create the file 0600; open with 0666 lets the umask
	 * decide, as for any file the user asks for. */
	for (tries = 0; tries < 100; tries++) {
		free(tmp);
		if (asprintf(&tmp, "%s.%d.%u.tmp", path, (int)getpid(),
			     __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED)) < 0) {
			tmp = NULL;
			ret = -ENOMEM;
			goto out;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		ret = -errno;
		pp_log(PP_LOG_ERROR, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	ret = write_all(fd, buf, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret) {
		pp_log(PP_LOG_ERROR, "cannot write %s: %s", tmp, strerror(-ret));
		goto unlink;
	}
	if (rename(tmp, path) < 0) {
		ret = -errno;
		pp_log(PP_LOG_ERROR, "cannot rename %s to %s: %s", tmp, path,
		       strerror(errno));
		goto unlink;
	}
	sync_dir(path);
	goto out;
unlink:
	unlink(tmp);
out:
	free(tmp);
	return ret;
}

/* ------------------------------------------------------------ reader */

struct rd {
	const uint8_t *p;
	size_t left;
	const char *file;    /* for messages */
	const char *sec;     /* section being read */
	const char *what;    /* record kind: "stack", "row" ... */
	uint64_t item;       /* its index */
	char *err;
	size_t errlen;
};

static int fail(struct rd *r, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct rd *r, int ret, const char *fmt, ...)
{
	va_list ap;

	if (r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* "FILE is corrupt (section 'stacks', stack 3: WHY)" */
static int corrupt(struct rd *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int corrupt(struct rd *r, const char *fmt, ...)
{
	char why[256], where[64] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (r->what)
		snprintf(where, sizeof(where), ", %s %" PRIu64, r->what, r->item);
	return fail(r, -EINVAL, "%s is corrupt (section '%s'%s: %s)", r->file,
		    r->sec, where, why);
}

static int need(struct rd *r, size_t n)
{
	if (n <= r->left)
		return 0;
	return corrupt(r, "needs %zu bytes, %zu left", n, r->left);
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int get_u8(struct rd *r, uint8_t *v)
{
	if (need(r, 1))
		return -EINVAL;
	*v = r->p[0];
	r->p++;
	r->left--;
	return 0;
}

static int get_u32(struct rd *r, uint32_t *v)
{
	if (need(r, 4))
		return -EINVAL;
	*v = (uint32_t)get_le(r->p, 4);
	r->p += 4;
	r->left -= 4;
	return 0;
}

static int get_i32(struct rd *r, int32_t *v)
{
	uint32_t u;

	if (get_u32(r, &u))
		return -EINVAL;
	memcpy(v, &u, sizeof(*v));
	return 0;
}

static int get_u64(struct rd *r, uint64_t *v)
{
	if (need(r, 8))
		return -EINVAL;
	*v = get_le(r->p, 8);
	r->p += 8;
	r->left -= 8;
	return 0;
}

static int get_f64(struct rd *r, double *v)
{
	uint64_t bits;

	if (get_u64(r, &bits))
		return -EINVAL;
	memcpy(v, &bits, sizeof(*v));
	return 0;
}

/* A count of records of at least MIN_SIZE bytes each, bounded by what the
 * rest of the section can hold before anything is allocated for them. */
static int get_count(struct rd *r, size_t min_size, uint64_t *n)
{
	if (get_u64(r, n))
		return -EINVAL;
	if (*n > r->left / min_size)
		return corrupt(r, "claims %" PRIu64 " entries, but %zu bytes hold at most %zu",
			       *n, r->left, r->left / min_size);
	return 0;
}

/* A string, checked, as a pointer into the file and a length. */
static int get_str(struct rd *r, const char *field, const char **s, size_t *len)
{
	uint32_t n;

	/* set on every path: gcc -O3 cannot tell corrupt() never returns 0 */
	*s = NULL;
	*len = 0;
	if (get_u32(r, &n) || need(r, n))
		return -EINVAL;
	if (memchr(r->p, '\0', n))
		return corrupt(r, "%s contains a NUL byte", field);
	if (!pp_utf8__valid((const char *)r->p, n))
		return corrupt(r, "%s is not valid UTF-8", field);
	*s = (const char *)r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return 0;
}

/* A copy of a string owned by L (for data and rows). */
static int get_owned(struct rd *r, struct pp_loaded *l, const char *field,
		     char **out)
{
	const char *s;
	size_t len;
	char *c;

	if (get_str(r, field, &s, &len))
		return -EINVAL;
	if (l->nstrs == l->strs_cap) {
		size_t ncap = l->strs_cap ? l->strs_cap * 2 : 16;
		char **n = realloc(l->strs, ncap * sizeof(*n));

		if (!n)
			return fail(r, -ENOMEM, "%s: out of memory", r->file);
		l->strs = n;
		l->strs_cap = ncap;
	}
	c = strndup(s, len);
	if (!c)
		return fail(r, -ENOMEM, "%s: out of memory", r->file);
	l->strs[l->nstrs++] = c;
	*out = c;
	return 0;
}

static int get_optowned(struct rd *r, struct pp_loaded *l, const char *field,
			char **out)
{
	uint8_t present;

	*out = NULL;
	if (get_u8(r, &present))
		return -EINVAL;
	if (present > 1)
		return corrupt(r, "%s: presence flag %u", field, present);
	return present ? get_owned(r, l, field, out) : 0;
}

static int nomem(struct rd *r)
{
	return fail(r, -ENOMEM, "%s: out of memory", r->file);
}

static int read_meta(struct rd *r, struct pp_loaded *l)
{
	struct pp_report_data *d = &l->data;
	char *command, *interp, *note;
	int32_t runs;
	int ret;

	ret = get_owned(r, l, "tool version", &l->tool_version);
	if (!ret)
		ret = get_owned(r, l, "command", &command);
	if (!ret)
		ret = get_i32(r, &runs);
	if (!ret)
		ret = get_f64(r, &d->elapsed_s);
	if (!ret)
		ret = get_f64(r, &d->elapsed_stddev_s);
	if (!ret)
		ret = get_f64(r, &d->user_s);
	if (!ret)
		ret = get_f64(r, &d->sys_s);
	if (!ret)
		ret = get_optowned(r, l, "interpreter", &interp);
	if (!ret)
		ret = get_optowned(r, l, "attribution note", &note);
	if (!ret && r->left >= 8)
		ret = get_f64(r, &d->cost_per_sample_us);
	if (ret)
		return ret;
	if (runs < 1)
		return corrupt(r, "%d runs", runs);
	if (!(d->cost_per_sample_us >= 0 && d->cost_per_sample_us < 1e6))
		return corrupt(r, "cost per sample %g us", d->cost_per_sample_us);
	d->command = command;
	d->runs = runs;
	d->interpreter = interp;
	d->attribution_note = note;
	return 0;
}

static int read_rows(struct rd *r, struct pp_loaded *l)
{
	/* 2 empty strings, type, config, status, value, stddev, enabled, running */
	const size_t min_row = 4 + 4 + 4 + 8 + 4 + 8 + 8 + 8 + 8;
	uint64_t n, i;
	int ret;

	if (get_count(r, min_row, &n))
		return -EINVAL;
	l->rows = calloc(n ? n : 1, sizeof(*l->rows));
	if (!l->rows)
		return nomem(r);
	l->data.rows = l->rows;
	r->what = "row";
	for (i = 0; i < n; i++) {
		struct pp_stat_row *row = &l->rows[i];
		char *name, *unit;
		uint32_t status;

		r->item = i;
		ret = get_owned(r, l, "name", &name);
		if (!ret)
			ret = get_owned(r, l, "unit", &unit);
		if (!ret)
			ret = get_u32(r, &row->type);
		if (!ret)
			ret = get_u64(r, &row->config);
		if (!ret)
			ret = get_u32(r, &status);
		if (!ret)
			ret = get_f64(r, &row->value);
		if (!ret)
			ret = get_f64(r, &row->stddev);
		if (!ret)
			ret = get_u64(r, &row->enabled);
		if (!ret)
			ret = get_u64(r, &row->running);
		if (ret)
			return ret;
		if (status > PP_COUNT_NOT_COUNTED)
			return corrupt(r, "unknown status %" PRIu32, status);
		row->name = name;
		row->unit = unit;
		row->status = (enum pp_count_status)status;
		l->data.nrows = i + 1;
	}
	r->what = NULL;
	return 0;
}

struct load_state {
	uint64_t ev_samples[PP_PROFILE_MAX_EVENTS]; /* as written */
	uint32_t *fmap;       /* function id in the file -> id in the profile */
	uint64_t nfuncs;      /* in the file */
};

static int read_events(struct rd *r, struct pp_loaded *l, struct load_state *st)
{
	struct pp_profile *p = &l->profile;
	uint64_t n, i;
	int ret;

	if (pp_profile__init(p) < 0)
		return nomem(r);
	l->has_profile = 1;
	l->data.profile = p;
	if (get_count(r, 4 + 8 + 8 + 8, &n))
		return -EINVAL;
	if (n > PP_PROFILE_MAX_EVENTS)
		return corrupt(r, "%" PRIu64 " events, at most %d are possible", n,
			       PP_PROFILE_MAX_EVENTS);
	r->what = "event";
	for (i = 0; i < n; i++) {
		char name[sizeof(p->ev[0].name)];
		const char *s;
		size_t len;
		uint64_t period;
		double total;

		r->item = i;
		if (get_str(r, "name", &s, &len))
			return -EINVAL;
		if (len >= sizeof(name))
			return corrupt(r, "name of %zu bytes, at most %zu", len,
				       sizeof(name) - 1);
		memcpy(name, s, len);
		name[len] = '\0';
		ret = get_u64(r, &period);
		if (!ret)
			ret = get_u64(r, &st->ev_samples[i]);
		if (!ret)
			ret = get_f64(r, &total);
		if (ret)
			return ret;
		if (pp_profile__add_event(p, name, period) != (int)i)
			return corrupt(r, "cannot add the event");
		p->ev[i].total = total;
	}
	r->what = NULL;
	return 0;
}

static int read_funcs(struct rd *r, struct pp_loaded *l, struct load_state *st)
{
	uint64_t n, i;

	if (get_count(r, 4 + 4 + 4, &n))
		return -EINVAL;
	st->fmap = malloc((n ? n : 1) * sizeof(*st->fmap));
	if (!st->fmap)
		return nomem(r);
	st->nfuncs = n;
	r->what = "function";
	for (i = 0; i < n; i++) {
		const char *q, *f;
		size_t qlen, flen;
		char *qc, *fc;
		int32_t firstline;
		int64_t id;

		r->item = i;
		if (get_str(r, "qualname", &q, &qlen) || get_str(r, "file", &f, &flen) ||
		    get_i32(r, &firstline))
			return -EINVAL;
		qc = strndup(q, qlen);
		fc = strndup(f, flen);
		id = qc && fc ? pp_profile__intern_func(&l->profile, qc, fc, firstline)
			      : -ENOMEM;
		free(qc);
		free(fc);
		if (id < 0)
			return nomem(r);
		st->fmap[i] = (uint32_t)id;
	}
	r->what = NULL;
	return 0;
}

static int read_stacks(struct rd *r, struct pp_loaded *l, struct load_state *st)
{
	struct pp_profile *p = &l->profile;
	size_t frames_cap = 16, e;
	struct pp_frame *frames = malloc(frames_cap * sizeof(*frames));
	uint64_t n, i, f;
	int ret = -EINVAL;

	if (!frames)
		return nomem(r);
	if (get_count(r, 4 + 4 + 4 + 8 * p->nevents, &n))
		goto out;
	if (n && !p->nevents) {
		corrupt(r, "%" PRIu64 " stacks in a profile without events", n);
		goto out;
	}
	r->what = "stack";
	for (i = 0; i < n; i++) {
		uint32_t pid, tid, nframes;
		uint64_t samples[PP_PROFILE_MAX_EVENTS];
		int any = 0;

		r->item = i;
		if (get_u32(r, &pid) || get_u32(r, &tid) || get_u32(r, &nframes))
			goto out;
		if (nframes > r->left / 8) {
			corrupt(r, "%" PRIu32 " frames, but %zu bytes hold at most %zu",
				nframes, r->left, r->left / 8);
			goto out;
		}
		if (nframes > frames_cap) {
			struct pp_frame *nf = realloc(frames, nframes * sizeof(*nf));

			if (!nf) {
				ret = nomem(r);
				goto out;
			}
			frames = nf;
			frames_cap = nframes;
		}
		for (f = 0; f < nframes; f++) {
			uint32_t func;

			if (get_u32(r, &func) || get_i32(r, &frames[f].line))
				goto out;
			if (func >= st->nfuncs) {
				corrupt(r, "frame %" PRIu64 " calls function %" PRIu32
					" of %" PRIu64, f, func, st->nfuncs);
				goto out;
			}
			frames[f].func = st->fmap[func];
		}
		for (e = 0; e < p->nevents; e++) {
			if (get_u64(r, &samples[e]))
				goto out;
			any |= samples[e] != 0;
		}
		/* A stack with no samples is kept too, as it was written. */
		for (e = 0; e < p->nevents; e++) {
			if ((samples[e] || (!any && e == 0)) &&
			    pp_profile__add_sample(p, (int)e, pid, tid, frames,
						   nframes, samples[e]) < 0) {
				ret = nomem(r);
				goto out;
			}
		}
	}
	r->what = NULL;
	ret = 0;
out:
	free(frames);
	return ret;
}

static int read_procs(struct rd *r, struct pp_loaded *l)
{
	uint64_t n, i;

	if (get_count(r, 4 + 4, &n))
		return -EINVAL;
	r->what = "process";
	for (i = 0; i < n; i++) {
		const char *s;
		size_t len;
		uint32_t pid;
		char *c;
		int ret;

		r->item = i;
		if (get_u32(r, &pid) || get_str(r, "command", &s, &len))
			return -EINVAL;
		c = strndup(s, len);
		ret = c ? pp_profile__add_process(&l->profile, pid, c) : -ENOMEM;
		free(c);
		if (ret < 0)
			return nomem(r);
	}
	r->what = NULL;
	return 0;
}

static int read_lost(struct rd *r, struct pp_loaded *l)
{
	struct pp_profile *p = &l->profile;

	if (get_u64(r, &p->dropped) || get_u64(r, &p->truncated) ||
	    get_u64(r, &p->unresolved))
		return -EINVAL;
	if (r->left && get_u64(r, &p->agent_cpu_ns))
		return -EINVAL;
	if (r->left && get_u64(r, &p->folded))
		return -EINVAL;
	if (r->left && get_u64(r, &p->recovered))
		return -EINVAL;
	return 0;
}

static int read_exact(struct rd *r, struct pp_loaded *l)
{
	struct pp_profile *p = &l->profile;
	uint32_t calls;
	size_t e;

	r->what = "calls event";
	if (get_u32(r, &calls))
		return -EINVAL;
	if (calls >= p->nevents || p->ev[calls].period != 1)
		return corrupt(r, "calls event %" PRIu32 " of %zu", calls, p->nevents);
	r->what = "hooks";
	if (get_u64(r, &p->exact_hooks))
		return -EINVAL;
	r->what = "hook cost";
	for (e = 0; e < p->nevents; e++) {
		if (get_f64(r, &p->exact_cost[e]))
			return -EINVAL;
		if (!(p->exact_cost[e] >= 0 && p->exact_cost[e] < 1e300))
			return corrupt(r, "hook cost %g", p->exact_cost[e]);
	}
	r->what = NULL;
	p->exact = 1;
	p->calls_event = (int)calls;
	return 0;
}

/* One function of a run.  Ids that the FUNC table merged (duplicates)
 * add up, capped at the run's samples so the bounds still hold. */
static int read_run_func(struct rd *r, struct load_state *st, struct pp_run *run,
			 uint32_t *slot, size_t nev)
{
	struct pp_run_func f = { 0 };
	struct pp_run_func *into;
	uint32_t id;
	size_t e;

	if (get_u32(r, &id))
		return -EINVAL;
	if (id >= st->nfuncs)
		return corrupt(r, "function %" PRIu32 " of %" PRIu64, id, st->nfuncs);
	f.func = st->fmap[id];
	for (e = 0; e < nev; e++)
		if (get_u64(r, &f.self[e]))
			return -EINVAL;
	for (e = 0; e < nev; e++) {
		if (get_u64(r, &f.total[e]))
			return -EINVAL;
		if (f.self[e] > f.total[e])
			return corrupt(r, "function %" PRIu32 " has %" PRIu64 " self "
				       "samples of event %zu but %" PRIu64 " inclusive",
				       id, f.self[e], e, f.total[e]);
		if (f.total[e] > run->samples[e])
			return corrupt(r, "function %" PRIu32 " has %" PRIu64 " samples "
				       "of event %zu, the run %" PRIu64, id, f.total[e], e,
				       run->samples[e]);
	}
	if (!slot[f.func]) {
		run->funcs[run->nfuncs] = f;
		slot[f.func] = (uint32_t)++run->nfuncs;
		return 0;
	}
	into = &run->funcs[slot[f.func] - 1];
	for (e = 0; e < nev; e++) {
		into->self[e] += f.self[e];
		into->total[e] += f.total[e];
		if (into->total[e] > run->samples[e])
			into->total[e] = run->samples[e];
		if (into->self[e] > into->total[e])
			into->self[e] = into->total[e];
	}
	return 0;
}

static int read_runs(struct rd *r, struct pp_loaded *l, struct load_state *st)
{
	struct pp_report_data *d = &l->data;
	size_t nev = l->has_profile ? l->profile.nevents : 0;
	uint64_t sum[PP_PROFILE_MAX_EVENTS] = { 0 };
	uint32_t nruns, nvalues, nevents, *slot = NULL;
	struct pp_run *runs;
	uint64_t min_run, nf, i, j;
	size_t v, e;
	int ret = -EINVAL;

	if (get_u32(r, &nruns) || get_u32(r, &nvalues) || get_u32(r, &nevents))
		return -EINVAL;
	if (nruns != (uint32_t)d->runs)
		return corrupt(r, "%" PRIu32 " runs, but 'meta' says %d", nruns, d->runs);
	if (nvalues != d->nrows)
		return corrupt(r, "%" PRIu32 " values per run for %zu rows", nvalues,
			       d->nrows);
	if (nevents != nev)
		return corrupt(r, "%" PRIu32 " events per run for %zu sampled events",
			       nevents, nev);
	/* elapsed, the values, the samples, the function count */
	min_run = 8 + 8 * (uint64_t)nvalues + 8 * (uint64_t)nev + 8;
	if (nruns > r->left / min_run)
		return corrupt(r, "claims %" PRIu32 " runs, but %zu bytes hold at most %"
			       PRIu64, nruns, r->left, r->left / min_run);
	runs = calloc(nruns, sizeof(*runs));
	/* one slot per function of the profile: where it is in this run */
	slot = calloc(l->profile.nfuncs ? l->profile.nfuncs : 1, sizeof(*slot));
	if (!runs || !slot) {
		free(runs);
		free(slot);
		return nomem(r);
	}
	d->run = runs;   /* owned by L from here: pp_loaded__free frees it */
	r->what = "run";
	for (i = 0; i < nruns; i++) {
		struct pp_run *run = &runs[i];

		r->item = i;
		if (get_f64(r, &run->elapsed_s))
			goto out;
		run->values = malloc((nvalues ? nvalues : 1) * sizeof(*run->values));
		if (!run->values) {
			ret = nomem(r);
			goto out;
		}
		for (v = 0; v < nvalues; v++)
			if (get_f64(r, &run->values[v]))
				goto out;
		for (e = 0; e < nev; e++) {
			if (get_u64(r, &run->samples[e]))
				goto out;
			if (run->samples[e] > st->ev_samples[e] - sum[e]) {
				corrupt(r, "the runs have more samples of event %zu than "
					"the %" PRIu64 " of the profile", e, st->ev_samples[e]);
				goto out;
			}
			sum[e] += run->samples[e];
		}
		if (get_count(r, 4 + 16 * nev, &nf))
			goto out;
		if (nf > st->nfuncs) {
			corrupt(r, "%" PRIu64 " functions of %" PRIu64, nf, st->nfuncs);
			goto out;
		}
		run->funcs = malloc((nf ? nf : 1) * sizeof(*run->funcs));
		if (!run->funcs) {
			ret = nomem(r);
			goto out;
		}
		for (j = 0; j < nf; j++) {
			int fret = read_run_func(r, st, run, slot, nev);

			if (fret) {
				ret = fret;
				goto out;
			}
		}
		for (j = 0; j < run->nfuncs; j++)
			slot[run->funcs[j].func] = 0;
	}
	r->what = NULL;
	ret = 0;
out:
	free(slot);
	return ret;
}

static int read_section(struct rd *r, enum sec_id id, struct pp_loaded *l,
			struct load_state *st)
{
	switch (id) {
	case SEC_META: return read_meta(r, l);
	case SEC_ROWS: return read_rows(r, l);
	case SEC_EVNT: return read_events(r, l, st);
	case SEC_FUNC: return read_funcs(r, l, st);
	case SEC_STAK: return read_stacks(r, l, st);
	case SEC_PROC: return read_procs(r, l);
	case SEC_LOST: return read_lost(r, l);
	case SEC_EXCT: return read_exact(r, l);
	case SEC_RUNS: return read_runs(r, l, st);
	default: return 0;
	}
}

/* The tag as text for a message: printable ASCII or \xNN. */
static void tag_text(char *buf, size_t len, const uint8_t *tag)
{
	size_t i, o = 0;

	for (i = 0; i < 4 && o + 5 < len; i++) {
		if (tag[i] >= 0x20 && tag[i] < 0x7f && tag[i] != '\'' && tag[i] != '\\')
			buf[o++] = (char)tag[i];
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", tag[i]);
	}
	buf[o] = '\0';
}

static int parse(struct rd *r, struct pp_loaded *l, struct load_state *st)
{
	const uint8_t *start = r->p;
	int last = -1, ret;
	uint32_t version;

	if (r->left == 0)
		return fail(r, -EINVAL, "%s is empty, not a pyperf-stat profile", r->file);
	if (memcmp(r->p, magic, r->left < sizeof(magic) ? r->left : sizeof(magic)))
		return fail(r, -EINVAL, "%s is not a pyperf-stat profile", r->file);
	if (r->left < HEADER_SIZE)
		return fail(r, -EINVAL, "%s is truncated (header needs %d bytes, %zu there)",
			    r->file, HEADER_SIZE, r->left);
	version = (uint32_t)get_le(r->p + sizeof(magic), 4);
	if (version > PP_PROFILE_FILE_VERSION)
		return fail(r, -ENOTSUP, "%s was written by a newer pyperf-stat (format %"
			    PRIu32 "; this one reads up to %d): upgrade", r->file,
			    version, PP_PROFILE_FILE_VERSION);
	if (version == 0)
		return fail(r, -EINVAL, "%s is corrupt (format version 0)", r->file);
	l->format_version = version;
	r->p += HEADER_SIZE;
	r->left -= HEADER_SIZE;

	for (;;) {
		const uint8_t *head = r->p;
		uint32_t flags;
		uint64_t len;
		struct rd sub;
		int id;

		if (r->left == 0)
			return fail(r, -EINVAL, "%s is truncated (it ends before its "
				    "'end' section)", r->file);
		if (r->left < SECTION_HEAD)
			return fail(r, -EINVAL, "%s is truncated (a section header "
				    "needs %d bytes, %zu left)", r->file, SECTION_HEAD,
				    r->left);
		for (id = 0; id < SEC_NKNOWN; id++)
			if (!memcmp(head, sections[id].tag, 4))
				break;
		flags = (uint32_t)get_le(head + 4, 4);
		len = get_le(head + 8, 8);
		r->p += SECTION_HEAD;
		r->left -= SECTION_HEAD;
		if (id == SEC_NKNOWN) {
			char tag[24];

			tag_text(tag, sizeof(tag), head);
			if (flags & SEC_REQUIRED)
				return fail(r, -ENOTSUP, "%s needs a newer pyperf-stat "
					    "(it has a required section '%s')", r->file, tag);
			if (len > r->left)
				return fail(r, -EINVAL, "%s is truncated (section '%s' "
					    "needs %" PRIu64 " bytes, %zu left)", r->file,
					    tag, len, r->left);
			r->p += len;
			r->left -= len;
			continue;
		}
		if (len > r->left)
			return fail(r, -EINVAL, "%s is truncated (section '%s' needs %"
				    PRIu64 " bytes, %zu left)", r->file,
				    sections[id].name, len, r->left);
		if (id <= last)
			return fail(r, -EINVAL, "%s is corrupt (section '%s' after '%s')",
				    r->file, sections[id].name, sections[last].name);
		if (id != SEC_META && last < SEC_META)
			return fail(r, -EINVAL, "%s is corrupt (section '%s' before 'meta')",
				    r->file, sections[id].name);
		if (id > SEC_EVNT && id != SEC_END && id != SEC_RUNS && !l->has_profile)
			return fail(r, -EINVAL, "%s is corrupt (section '%s' without "
				    "'events')", r->file, sections[id].name);
		last = id;
		sub = *r;
		sub.left = (size_t)len;
		sub.sec = sections[id].name;
		sub.what = NULL;
		if (id == SEC_END) {
			uint32_t crc, want;

			if (get_u32(&sub, &want))
				return -EINVAL;
			crc = (uint32_t)crc32_z(crc32_z(0, NULL, 0), start,
						(size_t)(head - start) + SECTION_HEAD);
			if (crc != want && !skip_checksum)
				return fail(r, -EINVAL, "%s is corrupt (checksum %08" PRIx32
					    ", expected %08" PRIx32 ")", r->file, crc, want);
		} else {
			ret = read_section(&sub, (enum sec_id)id, l, st);
			if (ret)
				return ret;
		}
		if (sub.left)
			return corrupt(&sub, "%zu bytes after its data", sub.left);
		r->p += len;
		r->left -= len;
		if (id == SEC_END)
			break;
	}
	if (r->left)
		return fail(r, -EINVAL, "%s is corrupt (data after the 'end' section: "
			    "%zu bytes)", r->file, r->left);
	return 0;
}

int pp_profile_file__load_mem(const void *buf, size_t len, const char *name,
			      struct pp_loaded *out, char *err, size_t errlen)
{
	struct load_state st = { 0 };
	struct rd r = {
		.p = buf, .left = len, .file = name ? name : "profile",
		.err = err, .errlen = errlen,
	};
	size_t e;
	int ret;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	if (len > PP_PROFILE_FILE_MAX_SIZE)
		return fail(&r, -EFBIG, "%s is %zu bytes, more than the %llu a "
			    "pyperf-stat profile may have", r.file, len,
			    PP_PROFILE_FILE_MAX_SIZE);
	ret = parse(&r, out, &st);
	if (!ret && !out->rows) {
		out->rows = calloc(1, sizeof(*out->rows));
		out->data.rows = out->rows;
		if (!out->rows)
			ret = nomem(&r);
	}
	if (!ret && out->has_profile)
		for (e = 0; e < out->profile.nevents; e++)
			out->profile.ev[e].samples = st.ev_samples[e];
	free(st.fmap);
	if (ret)
		pp_loaded__free(out);
	return ret;
}

/* The whole of FD, at most PP_PROFILE_FILE_MAX_SIZE + 1 bytes. */
static int read_fd(int fd, uint8_t **buf, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	uint8_t *b, *nb;
	ssize_t got;
	struct stat stt;

	/* A regular file is read in one go (one byte more, to see its end);
	 * pipes and devices grow the buffer as they deliver. */
	if (!fstat(fd, &stt) && S_ISREG(stt.st_mode) && stt.st_size > 0 &&
	    (uint64_t)stt.st_size <= PP_PROFILE_FILE_MAX_SIZE)
		cap = (size_t)stt.st_size + 1;
	b = malloc(cap);
	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			cap *= 2;
			nb = realloc(b, cap);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		got = read(fd, b + n, cap - n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			free(b);
			return -errno;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > PP_PROFILE_FILE_MAX_SIZE)
			break;
		/* not a profile (say, /dev/zero): no need to read on; the
		 * parser names the problem from what we have */
		if (n >= sizeof(magic) && memcmp(b, magic, sizeof(magic)) != 0)
			break;
	}
	*buf = b;
	*len = n;
	return 0;
}

int pp_profile_file__load(const char *path, struct pp_loaded *out,
			  char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t len = 0;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return ret;
	}
	/* A regular file's size is known before anything is read. */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size > PP_PROFILE_FILE_MAX_SIZE) {
		snprintf(err, errlen, "%s is %" PRIu64 " bytes, more than the %llu "
			 "a pyperf-stat profile may have", path, (uint64_t)st.st_size,
			 PP_PROFILE_FILE_MAX_SIZE);
		ret = -EFBIG;
		goto out;
	}
	ret = read_fd(fd, &buf, &len);
	if (ret < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		goto out;
	}
	if (len > PP_PROFILE_FILE_MAX_SIZE) {
		snprintf(err, errlen, "%s is more than the %llu bytes a pyperf-stat "
			 "profile may have", path, PP_PROFILE_FILE_MAX_SIZE);
		ret = -EFBIG;
		goto out;
	}
	ret = pp_profile_file__load_mem(buf, len, path, out, err, errlen);
out:
	free(buf);
	close(fd);
	return ret;
}

void pp_loaded__free(struct pp_loaded *l)
{
	/* data.run is const for the report's readers; here it is the array
	 * read_runs allocated, owned by L. */
	struct pp_run *runs = (struct pp_run *)l->data.run;
	size_t i;

	for (i = 0; runs && i < (size_t)l->data.runs; i++) {
		free(runs[i].values);
		free(runs[i].funcs);
	}
	free(runs);

	for (i = 0; i < l->nstrs; i++)
		free(l->strs[i]);
	free(l->strs);
	free(l->rows);
	if (l->has_profile)
		pp_profile__free(&l->profile);
	memset(l, 0, sizeof(*l));
}
