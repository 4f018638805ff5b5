/* collect.c: the launcher's side of attribution (include/pyperf/collect.h).
 *
 * The state directory holds, per Python process image of the target (see
 * src/agent/agent.c; <id> = "<pid>-<start time>"):
 *
 *   <id>.ring   samples: include/pyperf/ring.h, flock()ed by the writer
 *               while it lives, so a successful flock here means "final";
 *   <id>.codes  code records appended by the bootstrap's resolver, one per
 *               line: "ptr\tfp\tfirstline\tqualname\tfile\tranges\n",
 *               ptr and fp in hex, strings with \\ \t \n \r escaped,
 *               ranges "start,end,line;..." in bytes of bytecode;
 *   <id>.info   key=value lines (pid, interpreter, cmdline, problem, ...);
 *   <pid>.problem  one line from a bootstrap that could not start.
 *
 * A sample is added to the profile once every frame's (code, fingerprint)
 * has a record; until then it waits (bounded), because the resolver
 * writes records after the samples that name them.  When a writer is gone
 * and its last records are read, its waiting samples are added with
 * <unresolved code> for what never resolved, and its files are removed so
 * that long runs with many short processes do not fill the tmpfs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyperf/collect.h"
#include "pyperf/log.h"
#include "pyperf/ring.h"

/* Waiting samples: at most this many frames held (16 bytes each). */
#define PENDING_MAX_FRAMES (4u << 20)
/* A sample waits at most this many polls (~30 s) for its code records. */
#define PENDING_MAX_POLLS 300

/* Default sampling periods when the event has none: 1 ms of task-clock
 * or cpu-clock keeps the cost near 2-3% on a VM (DESIGN.md); other events
 * get a prime so that they do not beat with loops. */
#define DEFAULT_CLOCK_PERIOD_NS 1000000ull
#define DEFAULT_PERIOD 1000003ull

struct range {
	uint32_t start, end;
	int32_t line;
};

struct code_rec {
	uint64_t ptr;
	uint32_t fp;
	int firstline;
	char *qualname, *file;
	struct range *r;
	size_t nr;
	int64_t func;                    /* id in func_for, or -1 */
	const struct pp_profile *func_for;
};

struct inst {
	char *id;
	uint32_t pid;
	int ring_fd;
	struct pp_ring_hdr *ring;
	size_t ring_len;
	int ring_done;                   /* writer gone, drained, unmapped */
	int codes_fd;
	char *partial;                   /* unterminated tail of .codes */
	size_t npartial;
	struct code_rec *codes;
	size_t ncodes, codes_cap;
	uint32_t *hash;                  /* code index + 1, open addressing */
	size_t hash_cap;
	uint64_t codes_gen;              /* bumps when records arrive */
	int info_read, sampling;
	char *interp, *command, *problem;
	uint64_t lost_full, lost_unreadable;
};

struct pending {
	uint32_t inst, tid;
	uint16_t event, nframes;
	uint32_t flags;
	uint64_t gen;                    /* inst codes_gen when last tried */
	uint64_t born;                   /* poll number */
	struct pp_ring_frame *frames;
};

struct pp_collect {
	struct pp_collect_config cfg;
	struct pp_event *events;
	char *dir;
	char **env;
	struct inst *insts;
	size_t ninsts, insts_cap;
	struct pending *pend;
	size_t npend, pend_cap;
	size_t pend_frames;
	uint64_t polls;
	char *problem;                   /* first bootstrap problem */
	char *interp;
	uint64_t truncated, unresolved, dropped;
	int events_added;
	int finished;
};

/* ---- small helpers ---- */

static int grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*ptr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*ptr = n;
	*cap = ncap;
	return 0;
}

/* Undoes the agent's and bootstrap's escaping in place. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*d++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s == 'r' ? '\r' : *s;
		} else {
			*d++ = *s;
		}
	}
	*d = 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a > b && !strcmp(s + a - b, suf);
}

static char *path_in(const struct pp_collect *c, const char *name)
{
	size_t n = strlen(c->dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", c->dir, name);
	return p;
}

static char *read_small_file(const char *path, size_t max)
{
	char *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	n = read(fd, buf, max);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

/* ---- prepare / env ---- */

static const char *state_base(void)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat sb;

	if (x && *x == '/' && stat(x, &sb) == 0 && S_ISDIR(sb.st_mode) && access(x, W_OK | X_OK) == 0)
		return x;
	if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK | X_OK) == 0)
		return "/dev/shm";
	return "/tmp";
}

static uint64_t event_period(const struct pp_event *e)
{
	if (e->attr.sample_period && !e->attr.freq)
		return e->attr.sample_period;
	if (e->period)
		return e->period;
	if (e->attr.type == PERF_TYPE_SOFTWARE &&
	    (e->attr.config == PERF_COUNT_SW_TASK_CLOCK || e->attr.config == PERF_COUNT_SW_CPU_CLOCK))
		return DEFAULT_CLOCK_PERIOD_NS;
	return DEFAULT_PERIOD;
}

/* PYPERF_EVENTS, parsed by src/agent/agent.c: events separated by ';',
 * each "type:config:config1:config2:period:flags" where flags bits are
 * 0 exclude_user, 1 exclude_kernel, 2 exclude_hv, 3 exclude_idle,
 * 4 exclude_guest, 5 exclude_host, 8-9 precise_ip. */
static char *events_env(const struct pp_collect_config *cfg)
{
	size_t i, cap = 32 + cfg->nevents * 128, len;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	len = (size_t)snprintf(s, cap, "PYPERF_EVENTS=");
	for (i = 0; i < cfg->nevents; i++) {
		const struct perf_event_attr *a = &cfg->events[i].attr;
		unsigned flags = a->exclude_user | a->exclude_kernel << 1 | a->exclude_hv << 2 |
				 a->exclude_idle << 3 | a->exclude_guest << 4 | a->exclude_host << 5 |
				 (unsigned)a->precise_ip << 8;

		if (cfg->user_only)
			flags |= 2;
		len += (size_t)snprintf(s + len, cap - len, "%s%u:%#llx:%#llx:%#llx:%llu:%#x",
					i ? ";" : "", a->type, (unsigned long long)a->config,
					(unsigned long long)a->config1, (unsigned long long)a->config2,
					(unsigned long long)event_period(&cfg->events[i]), flags);
	}
	return s;
}

static char *env_pair(const char *name, const char *a, const char *b, const char *c)
{
	size_t n = strlen(name) + strlen(a) + (b ? strlen(b) : 0) + (c ? strlen(c) : 0) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s=%s%s%s", name, a, b ? b : "", c ? c : "");
	return s;
}

static int build_env(struct pp_collect *c, const char *agent_dir)
{
	const char *old = getenv("PYTHONPATH");
	char depth[32], boot[PATH_MAX + 16];
	size_t i = 0;

	c->env = calloc(8, sizeof(char *));
	if (!c->env)
		return -ENOMEM;
	snprintf(boot, sizeof(boot), "%s/bootstrap", agent_dir);
	if (old && *old)
		c->env[i++] = env_pair("PYTHONPATH", boot, ":", old);
	else
		c->env[i++] = env_pair("PYTHONPATH", boot, NULL, NULL);
	c->env[i++] = env_pair("PYPERF_STATE_DIR", c->dir, NULL, NULL);
	c->env[i++] = env_pair("PYPERF_AGENT_LIB", agent_dir, "/libpyperf-agent.so", NULL);
	c->env[i++] = events_env(&c->cfg);
	snprintf(depth, sizeof(depth), "%d", c->cfg.depth_limit > 0 ? c->cfg.depth_limit : 128);
	c->env[i++] = env_pair("PYPERF_DEPTH", depth, NULL, NULL);
	c->env[i++] = env_pair("PYPERF_SIGNAL_FALLBACK", c->cfg.signal_fallback ? "1" : "0", NULL, NULL);
	for (i = 0; i < 6; i++)
		if (!c->env[i])
			return -ENOMEM;
	return 0;
}

int pp_collect__prepare(struct pp_collect **out, const struct pp_collect_config *cfg)
{
	struct pp_collect *c;
	char tmpl[PATH_MAX], agent[PATH_MAX];
	int err = -ENOMEM;

	*out = NULL;
	if (!cfg || !cfg->agent_dir || cfg->nevents > PP_PROFILE_MAX_EVENTS)
		return -EINVAL;
	/* The target may chdir: hand it absolute paths. */
	if (!realpath(cfg->agent_dir, agent))
		return -errno;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->events = calloc(cfg->nevents ? cfg->nevents : 1, sizeof(*c->events));
	if (!c->events)
		goto fail;
	if (cfg->nevents)
		memcpy(c->events, cfg->events, cfg->nevents * sizeof(*c->events));
	c->cfg.events = c->events;
	c->cfg.agent_dir = NULL;
	snprintf(tmpl, sizeof(tmpl), "%s/pyperf-stat.XXXXXX", state_base());
	if (!mkdtemp(tmpl)) {
		err = -errno;
		goto fail;
	}
	c->dir = strdup(tmpl);
	if (!c->dir) {
		rmdir(tmpl);
		goto fail;
	}
	err = build_env(c, agent);
	if (err)
		goto fail;
	*out = c;
	return 0;
fail:
	pp_collect__free(c);
	return err;
}

char *const *pp_collect__env(struct pp_collect *c)
{
	return c ? c->env : NULL;
}

/* ---- instances ---- */

static struct inst *inst_get(struct pp_collect *c, const char *id, size_t *idx)
{
	struct inst *in;
	size_t i;

	for (i = 0; i < c->ninsts; i++) {
		if (!strcmp(c->insts[i].id, id)) {
			*idx = i;
			return &c->insts[i];
		}
	}
	if (grow((void **)&c->insts, &c->insts_cap, c->ninsts + 1, sizeof(*c->insts)))
		return NULL;
	in = &c->insts[c->ninsts];
	memset(in, 0, sizeof(*in));
	in->id = strdup(id);
	if (!in->id)
		return NULL;
	in->pid = (uint32_t)strtoul(id, NULL, 10);
	in->ring_fd = -1;
	in->codes_fd = -1;
	*idx = c->ninsts++;
	return in;
}

static void read_info(struct pp_collect *c, struct inst *in)
{
	char name[128], *path, *buf, *line, *save = NULL;

	snprintf(name, sizeof(name), "%s.info", in->id);
	path = path_in(c, name);
	buf = path ? read_small_file(path, 64 * 1024) : NULL;
	free(path);
	if (!buf)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq++ = 0;
		unescape(eq);
		if (!strcmp(line, "interpreter") && !in->interp)
			in->interp = strdup(eq);
		else if (!strcmp(line, "cmdline") && !in->command)
			in->command = strdup(eq);
		else if (!strcmp(line, "problem") && !in->problem)
			in->problem = strdup(eq);
		else if (!strcmp(line, "sampling"))
			in->sampling = atoi(eq);
	}
	free(buf);
	in->info_read = 1;
	if (in->interp && !c->interp && in->sampling)
		c->interp = strdup(in->interp);
}

static int attach_ring(struct pp_collect *c, struct inst *in)
{
	char name[128], *path;
	struct stat sb;
	void *map;
	int fd;

	snprintf(name, sizeof(name), "%s.ring", in->id);
	path = path_in(c, name);
	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	if (fstat(fd, &sb) != 0 || sb.st_size < (off_t)PP_RING_HDR_SIZE) {
		close(fd);
		return 0;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return 0;
	}
	if (pp_ring_check(map, (size_t)sb.st_size) != 0) {
		munmap(map, (size_t)sb.st_size);
		close(fd);
		return 0;
	}
	in->ring = map;
	in->ring_len = (size_t)sb.st_size;
	in->ring_fd = fd;
	return 0;
}

static void open_codes(struct pp_collect *c, struct inst *in)
{
	char name[128], *path;

	snprintf(name, sizeof(name), "%s.codes", in->id);
	path = path_in(c, name);
	if (path)
		in->codes_fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
}

static void scan_dir(struct pp_collect *c)
{
	DIR *d = opendir(c->dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		char id[96];
		struct inst *in;
		size_t idx, len;

		if (n[0] == '.' || has_suffix(n, ".tmp"))
			continue;
		if (has_suffix(n, ".problem")) {
			if (!c->problem) {
				char *p = path_in(c, n), *text = p ? read_small_file(p, 1024) : NULL;
				free(p);
				if (text) {
					text[strcspn(text, "\n")] = 0;
					c->problem = text;
				}
			}
			continue;
		}
		len = strcspn(n, ".");
		if (len == 0 || len >= sizeof(id) || n[len] != '.')
			continue;
		memcpy(id, n, len);
		id[len] = 0;
		in = inst_get(c, id, &idx);
		if (!in)
			break;
		if (!in->info_read && !strcmp(n + len, ".info"))
			read_info(c, in);
		else if (!in->ring && !in->ring_done && !strcmp(n + len, ".ring"))
			attach_ring(c, in);
		else if (in->codes_fd < 0 && !in->ring_done && !strcmp(n + len, ".codes"))
			open_codes(c, in);
	}
	closedir(d);
}

/* ---- code records ---- */

static uint64_t code_hash(uint64_t ptr, uint32_t fp)
{
	uint64_t h = (ptr ^ ((uint64_t)fp << 29)) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 31);
}

static struct code_rec *code_find(const struct inst *in, uint64_t ptr, uint32_t fp)
{
	size_t mask, i;

	if (!in->hash_cap)
		return NULL;
	mask = in->hash_cap - 1;
	for (i = code_hash(ptr, fp) & mask;; i = (i + 1) & mask) {
		uint32_t v = in->hash[i];
		if (v == 0)
			return NULL;
		if (in->codes[v - 1].ptr == ptr && in->codes[v - 1].fp == fp)
			return &in->codes[v - 1];
	}
}

static int hash_insert(struct inst *in, size_t idx)
{
	size_t mask, i;

	if ((in->ncodes + 1) * 2 > in->hash_cap) {
		size_t cap = in->hash_cap ? in->hash_cap * 2 : 256, k;
		uint32_t *h = calloc(cap, sizeof(*h));
		if (!h)
			return -ENOMEM;
		free(in->hash);
		in->hash = h;
		in->hash_cap = cap;
		for (k = 0; k < idx; k++) {
			for (i = code_hash(in->codes[k].ptr, in->codes[k].fp) & (cap - 1); h[i];
			     i = (i + 1) & (cap - 1))
				;
			h[i] = (uint32_t)k + 1;
		}
	}
	mask = in->hash_cap - 1;
	for (i = code_hash(in->codes[idx].ptr, in->codes[idx].fp) & mask; in->hash[i];
	     i = (i + 1) & mask)
		;
	in->hash[i] = (uint32_t)idx + 1;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int parse_ranges(struct code_rec *r, char *s)
{
	size_t cap = 0;

	while (*s) {
		struct range g;
		char *end;

		g.start = (uint32_t)strtoul(s, &end, 10);
		if (*end != ',')
			break;
		g.end = (uint32_t)strtoul(end + 1, &end, 10);
		if (*end != ',')
			break;
		g.line = (int32_t)strtol(end + 1, &end, 10);
		if (grow((void **)&r->r, &cap, r->nr + 1, sizeof(*r->r)))
			return -ENOMEM;
		r->r[r->nr++] = g;
		s = *end == ';' ? end + 1 : end;
		if (*end != ';')
			break;
	}
	if (r->nr > 1)
		qsort(r->r, r->nr, sizeof(*r->r), range_cmp);
	return 0;
}

/* One "ptr\tfp\tfirstline\tqualname\tfile\tranges" line. */
static int parse_code_line(struct inst *in, char *line)
{
	char *f[6], *save = NULL;
	struct code_rec r;
	int i;

	for (i = 0; i < 6; i++) {
		f[i] = strtok_r(i ? NULL : line, "\t", &save);
		if (!f[i] && i < 5)
			return 0; /* malformed: skip */
	}
	memset(&r, 0, sizeof(r));
	r.ptr = strtoull(f[0], NULL, 16);
	r.fp = (uint32_t)strtoul(f[1], NULL, 16);
	r.firstline = atoi(f[2]);
	unescape(f[3]);
	unescape(f[4]);
	r.func = -1;
	/* The same (code, fingerprint) twice is the same function (a code
	 * object recompiled at a reused address with the same names): keep
	 * the first. */
	if (code_find(in, r.ptr, r.fp))
		return 0;
	r.qualname = strdup(f[3]);
	r.file = strdup(f[4]);
	if (!r.qualname || !r.file || (f[5] && parse_ranges(&r, f[5])) ||
	    grow((void **)&in->codes, &in->codes_cap, in->ncodes + 1, sizeof(*in->codes))) {
		free(r.qualname);
		free(r.file);
		free(r.r);
		return -ENOMEM;
	}
	in->codes[in->ncodes] = r;
	if (hash_insert(in, in->ncodes))
		return -ENOMEM;
	in->ncodes++;
	in->codes_gen++;
	return 0;
}

/* Reads the complete lines appended to .codes since last time. */
static int read_codes(struct inst *in)
{
	char buf[65536];
	ssize_t n;
	int err = 0;

	if (in->codes_fd < 0)
		return 0;
	while ((n = read(in->codes_fd, buf, sizeof(buf))) > 0) {
		char *all = realloc(in->partial, in->npartial + (size_t)n + 1), *p, *nl;
		if (!all)
			return -ENOMEM;
		memcpy(all + in->npartial, buf, (size_t)n);
		in->npartial += (size_t)n;
		all[in->npartial] = 0;
		in->partial = all;
		p = all;
		while (!err && (nl = memchr(p, '\n', in->npartial - (size_t)(p - all))) != NULL) {
			*nl = 0;
			err = parse_code_line(in, p);
			p = nl + 1;
		}
		in->npartial -= (size_t)(p - all);
		memmove(all, p, in->npartial);
		if (err)
			return err;
	}
	return 0;
}

static int32_t line_for(const struct code_rec *r, int32_t off)
{
	size_t lo = 0, hi = r->nr;

	if (off < 0)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if ((uint32_t)off < r->r[mid].start)
			hi = mid;
		else if ((uint32_t)off >= r->r[mid].end)
			lo = mid + 1;
		else
			return r->r[mid].line;
	}
	return 0;
}

static int64_t func_of(struct pp_profile *p, struct code_rec *r)
{
	if (r->func_for != p || r->func < 0) {
		r->func = pp_profile__intern_func(p, r->qualname, r->file, r->firstline);
		r->func_for = p;
	}
	return r->func;
}

/* ---- samples ---- */

static int ensure_events(struct pp_collect *c, struct pp_profile *p)
{
	size_t i;

	if (c->events_added)
		return 0;
	if (p->nevents == 0) {
		for (i = 0; i < c->cfg.nevents; i++) {
			int r = pp_profile__add_event(p, c->events[i].name,
						      event_period(&c->events[i]));
			if (r < 0)
				return r;
		}
	}
	c->events_added = 1;
	return 0;
}

/* Adds the sample if every frame resolves, or FORCE is set (unresolved
 * frames become <unresolved code>).  1 added, 0 not yet, -errno. */
static int add_sample(struct pp_collect *c, struct pp_profile *p, struct inst *in,
		      unsigned event, uint32_t tid, uint32_t flags,
		      const struct pp_ring_frame *fr, unsigned n, int force)
{
	struct pp_frame out[PP_RING_MAX_DEPTH + 1];
	unsigned i, k = 0, unresolved = 0;
	int err;

	if (event >= c->cfg.nevents || event >= p->nevents || n > PP_RING_MAX_DEPTH)
		return 1; /* not ours to count: drop silently */
	for (i = 0; i < n; i++) {
		struct code_rec *r = code_find(in, fr[i].code, fr[i].fp);
		if (!r) {
			if (!force)
				return 0;
			out[k].func = PP_FUNC_UNRESOLVED;
			out[k].line = 0;
			unresolved++;
		} else {
			int64_t f = func_of(p, r);
			if (f < 0)
				return (int)f;
			out[k].func = (uint32_t)f;
			out[k].line = line_for(r, fr[i].offset);
		}
		k++;
	}
	if (n == 0) {
		out[k].func = PP_FUNC_NATIVE;
		out[k++].line = 0;
	} else if (flags & PP_SAMPLE_TRUNCATED) {
		out[k].func = PP_FUNC_TRUNCATED;
		out[k++].line = 0;
		c->truncated++;
	}
	c->unresolved += unresolved;
	err = pp_profile__add_sample(p, (int)event, in->pid, tid, out, k, 1);
	return err < 0 ? err : 1;
}

static int pend_add(struct pp_collect *c, size_t inst, unsigned event, uint32_t tid,
		    uint32_t flags, const struct pp_ring_frame *fr, unsigned n)
{
	struct pending *q;

	if (grow((void **)&c->pend, &c->pend_cap, c->npend + 1, sizeof(*c->pend)))
		return -ENOMEM;
	q = &c->pend[c->npend];
	q->frames = malloc((size_t)n * sizeof(*fr));
	if (!q->frames)
		return -ENOMEM;
	memcpy(q->frames, fr, (size_t)n * sizeof(*fr));
	q->inst = (uint32_t)inst;
	q->tid = tid;
	q->event = (uint16_t)event;
	q->nframes = (uint16_t)n;
	q->flags = flags;
	q->gen = c->insts[inst].codes_gen;
	q->born = c->polls;
	c->npend++;
	c->pend_frames += n;
	return 0;
}

#define FORCE_NONE (SIZE_MAX - 1)
#define FORCE_ALL SIZE_MAX

/* Retries waiting samples.  FORCE_INST: add those of that instance (or of
 * all: FORCE_ALL; FORCE_NONE) whatever resolves; samples waiting too long,
 * or beyond the memory bound, are forced too. */
static int pend_retry(struct pp_collect *c, struct pp_profile *p, size_t force_inst)
{
	size_t i, j = 0;
	int err = 0;

	for (i = 0; i < c->npend; i++) {
		struct pending *q = &c->pend[i];
		struct inst *in = &c->insts[q->inst];
		int force = force_inst == FORCE_ALL || force_inst == q->inst ||
			    c->polls - q->born > PENDING_MAX_POLLS ||
			    c->pend_frames > PENDING_MAX_FRAMES;
		int r = 0;

		if (!err && (force || q->gen != in->codes_gen)) {
			q->gen = in->codes_gen;
			r = add_sample(c, p, in, q->event, q->tid, q->flags, q->frames,
				       q->nframes, force);
			if (r < 0)
				err = r;
		}
		if (r == 1) {
			c->pend_frames -= q->nframes;
			free(q->frames);
		} else {
			c->pend[j++] = *q;
		}
	}
	c->npend = j;
	return err;
}

struct drain_ctx {
	struct pp_collect *c;
	struct pp_profile *p;
	size_t inst;
	int err;
};

static int on_sample(const struct pp_ring_sample *s, void *arg)
{
	struct drain_ctx *d = arg;
	struct inst *in = &d->c->insts[d->inst];
	int r = add_sample(d->c, d->p, in, s->event, s->tid, s->flags, s->frames, s->nframes, 0);

	if (r == 0)
		r = pend_add(d->c, d->inst, s->event, s->tid, s->flags, s->frames, s->nframes);
	if (r < 0) {
		d->err = r;
		return 1; /* leave it in the ring; try again next poll */
	}
	return 0;
}

static int drain_ring(struct pp_collect *c, struct pp_profile *p, size_t idx)
{
	struct inst *in = &c->insts[idx];
	struct drain_ctx d = { c, p, idx, 0 };

	if (!in->ring)
		return 0;
	if (pp_ring_consume(in->ring, on_sample, &d) < 0) {
		/* A corrupt ring cannot be read further; what is left is lost. */
		pp_log(PP_LOG_DEBUG, "ring of process %u is corrupt", in->pid);
		in->lost_full += 1;
		in->ring_done = 1;
	}
	return d.err;
}

/* The writer is gone once its flock() is free: the ring will not grow. */
static int writer_gone(struct inst *in)
{
	return in->ring_fd >= 0 && flock(in->ring_fd, LOCK_EX | LOCK_NB) == 0;
}

static void unlink_inst_files(struct pp_collect *c, const struct inst *in)
{
	static const char *const suf[] = { ".ring", ".codes", ".info" };
	char name[128], *path;
	size_t i;

	for (i = 0; i < sizeof(suf) / sizeof(suf[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", in->id, suf[i]);
		path = path_in(c, name);
		if (path)
			unlink(path);
		free(path);
	}
}

static void retire(struct pp_collect *c, struct inst *in)
{
	if (in->ring) {
		in->lost_full += in->ring->counters[PP_RC_LOST_FULL];
		in->lost_unreadable += in->ring->counters[PP_RC_LOST_UNREADABLE];
		munmap(in->ring, in->ring_len);
		in->ring = NULL;
	}
	if (in->ring_fd >= 0)
		close(in->ring_fd);
	if (in->codes_fd >= 0)
		close(in->codes_fd);
	in->ring_fd = in->codes_fd = -1;
	in->ring_done = 1;
	free(in->partial);
	in->partial = NULL;
	in->npartial = 0;
	unlink_inst_files(c, in);
}

static int poll_all(struct pp_collect *c, struct pp_profile *p, int final)
{
	size_t i;
	int err;

	err = ensure_events(c, p);
	if (err)
		return err;
	c->polls++;
	scan_dir(c);
	for (i = 0; i < c->ninsts; i++) {
		struct inst *in = &c->insts[i];
		int gone;

		if (in->ring_done)
			continue;
		if (!in->info_read)
			read_info(c, in);
		gone = final || writer_gone(in);
		/* Records first: they resolve samples already in the ring. */
		if ((err = read_codes(in)) || (err = drain_ring(c, p, i)))
			return err;
		if (gone && in->ring) {
			/* Nothing more will come: last records, last samples, and
			 * the waiting ones are final. */
			if ((err = read_codes(in)) || (err = drain_ring(c, p, i)) ||
			    (err = pend_retry(c, p, i)))
				return err;
			retire(c, in);
		}
	}
	return pend_retry(c, p, final ? FORCE_ALL : FORCE_NONE);
}

int pp_collect__poll(struct pp_collect *c, struct pp_profile *p)
{
	if (!c || !p)
		return -EINVAL;
	if (c->finished)
		return 0;
	return poll_all(c, p, 0);
}

static void remove_dir(struct pp_collect *c)
{
	DIR *d;
	struct dirent *de;

	if (!c->dir)
		return;
	d = opendir(c->dir);
	if (d) {
		while ((de = readdir(d)) != NULL) {
			char *path;
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			path = path_in(c, de->d_name);
			if (path)
				unlink(path);
			free(path);
		}
		closedir(d);
	}
	rmdir(c->dir);
	free(c->dir);
	c->dir = NULL;
}

int pp_collect__finish(struct pp_collect *c, struct pp_profile *p)
{
	size_t i;
	int err;

	if (!c || !p)
		return -EINVAL;
	if (c->finished)
		return 0;
	err = poll_all(c, p, 1);
	for (i = 0; i < c->ninsts; i++) {
		struct inst *in = &c->insts[i];

		if (in->ring)
			retire(c, in);
		p->dropped += in->lost_full + in->lost_unreadable;
		if (in->command && in->sampling)
			pp_profile__add_process(p, in->pid, in->command);
	}
	p->truncated += c->truncated;
	p->unresolved += c->unresolved;
	c->finished = 1;
	remove_dir(c);
	return err;
}

int pp_collect__agents(const struct pp_collect *c)
{
	size_t i;
	int n = 0;

	for (i = 0; c && i < c->ninsts; i++)
		if (c->insts[i].sampling)
			n++;
	return n;
}

const char *pp_collect__interpreter(const struct pp_collect *c)
{
	size_t i;

	if (!c)
		return NULL;
	if (c->interp)
		return c->interp;
	for (i = 0; i < c->ninsts; i++)
		if (c->insts[i].interp)
			return c->insts[i].interp;
	return NULL;
}

const char *pp_collect__problem(const struct pp_collect *c)
{
	size_t i;

	if (!c)
		return NULL;
	if (c->problem)
		return c->problem;
	for (i = 0; i < c->ninsts; i++)
		if (c->insts[i].problem)
			return c->insts[i].problem;
	return NULL;
}

void pp_collect__free(struct pp_collect *c)
{
	size_t i, k;

	if (!c)
		return;
	for (i = 0; i < c->ninsts; i++) {
		struct inst *in = &c->insts[i];

		if (in->ring)
			munmap(in->ring, in->ring_len);
		if (in->ring_fd >= 0)
			close(in->ring_fd);
		if (in->codes_fd >= 0)
			close(in->codes_fd);
		for (k = 0; k < in->ncodes; k++) {
			free(in->codes[k].qualname);
			free(in->codes[k].file);
			free(in->codes[k].r);
		}
		free(in->codes);
		free(in->hash);
		free(in->partial);
		free(in->id);
		free(in->interp);
		free(in->command);
		free(in->problem);
	}
	free(c->insts);
	for (i = 0; i < c->npend; i++)
		free(c->pend[i].frames);
	free(c->pend);
	remove_dir(c);
	if (c->env)
		for (i = 0; c->env[i]; i++)
			free(c->env[i]);
	free(c->env);
	free(c->events);
	free(c->problem);
	free(c->interp);
	free(c);
}
