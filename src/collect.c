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
 *   <id>.info   key=value lines (pid, interpreter, exe, cmdline, problem, ...);
 *   <id>.maps   snapshots of the executable mappings (src/agent/maps.c),
 *               for native symbolization (src/symbolize/);
 *   <id>.exact  --exact: counts per calling-context node, rewritten whole
 *               (format in include/pyperf/exact.h);
 *   <pid>.problem  one line from a bootstrap that could not start.
 *
 * A sample is added to the profile once every frame's (code, fingerprint)
 * has a record; until then it waits (bounded), because the resolver
 * writes records after the samples that name them.  When a writer is gone
 * and its last records are read, its waiting samples are added with
 * <unresolved code> for what never resolved, and its files are removed so
 * that long runs with many short processes do not fill the tmpfs.
 *
 * Native code.  A sample's interrupted IP matters in two cases: with
 * --native (cfg->native), where the function it lies in becomes the
 * innermost frame, under the Python line that called it (with the callers
 * that unwinding can prove in between, see native_frames()); and for threads
 * without a Python thread state (started by native code: OpenBLAS
 * workers), which are reported under "<native thread: MODULE>".  The IP
 * is looked up in the maps snapshot of the sample's generation; a sample
 * whose snapshot has not arrived yet waits like one whose code records
 * have not, for at most NATIVE_WAIT_POLLS. */
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
#include "pyperf/exact.h"
#include "pyperf/log.h"
#include "pyperf/ring.h"
#include "pyperf/statedir.h"
#include "pyperf/symbolize.h"

/* Waiting samples: at most this many bytes of records held. */
#define PENDING_MAX_BYTES (64u << 20)
/* A sample waits at most this many polls (~30 s) for its code records. */
#define PENDING_MAX_POLLS 300
/* ... and this many (~1.5 s; the agent re-reads its maps every second)
 * for the maps snapshot that holds its native IP, or for its thread to
 * show which library it belongs to. */
#define NATIVE_WAIT_POLLS 15
/* Bounds on what a .maps file may make us hold: a line (the partial
 * buffer), build-id lines per snapshot, snapshots per process. */
#define MAPS_MAX_PARTIAL (1u << 20)
#define MAPS_MAX_IDS 65536
#define MAPS_MAX_SNAPSHOTS 100000
/* An .exact file: 4 Mi nodes of a few events is well under this. */
#define EXACT_MAX_BYTES (1u << 30)

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

/* What a thread without a Python thread state is shown as. */
struct tid_label {
	uint32_t tid;
	int64_t func;                    /* "<native thread: MODULE>" */
	const struct pp_profile *func_for;
	char *name, *path;
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
	uint64_t codes_gen;              /* bumps when records, maps snapshots
					    or thread labels arrive */
	int info_read, sampling;
	char *interp, *command, *problem, *exe;
	uint64_t lost_full, lost_unreadable;
	/* .maps */
	int maps_fd;
	char *maps_partial;
	size_t nmaps_partial;
	struct pp_addrspace *as;
	struct pp_maps snap;             /* snapshot being read */
	struct pp_build_id_range *ids;
	size_t nids, ids_cap;
	uint32_t snap_gen;               /* 0: not inside a snapshot */
	struct tid_label *labels;
	size_t nlabels, labels_cap;
};

struct pending {
	uint32_t inst;
	uint32_t late;                   /* retried once past NATIVE_WAIT_POLLS */
	uint64_t gen;                    /* inst codes_gen when last tried */
	uint64_t born;                   /* poll number */
	struct pp_ring_sample *rec;      /* a copy of the ring record */
	size_t size;
};

struct pp_collect {
	struct pp_collect_config cfg;
	struct pp_event *events;
	char *dir;
	int dir_lock;                    /* held while we live (src/statedir.c) */
	char **env;
	struct inst *insts;
	size_t ninsts, insts_cap;
	struct pending *pend;
	size_t npend, pend_cap;
	size_t pend_bytes;
	struct pp_symbolizer *sym;       /* created at first need */
	uint64_t polls;
	char *problem;                   /* first bootstrap problem */
	char *boot_file;                 /* the bootstrap's sitecustomize.py */
	char *interp;
	uint64_t truncated, unresolved, dropped, agent_cpu_ns, recovered;
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

/* The whole of PATH (at most MAX bytes), NUL-terminated, in a buffer
 * the size of the file: MAX is a bound, not an allocation. */
static char *read_small_file(const char *path, size_t max)
{
	struct stat sb;
	size_t cap, n = 0;
	char *buf;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	cap = fstat(fd, &sb) == 0 && sb.st_size > 0 && (uint64_t)sb.st_size < max ?
	      (size_t)sb.st_size : max;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	/* a file being rewritten by rename is replaced whole, never grows
	 * under us; read until its end or the cap */
	while (n < cap && (got = read(fd, buf + n, cap - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			free(buf);
			return NULL;
		}
		n += (size_t)got;
	}
	close(fd);
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

	c->env = calloc(10, sizeof(char *));
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
	c->env[i++] = env_pair("PYPERF_NATIVE", c->cfg.native ? "1" : "0", NULL, NULL);
	c->env[i++] = env_pair("PYPERF_EXACT", c->cfg.exact ? "1" : "0", NULL, NULL);
	c->boot_file = malloc(strlen(boot) + sizeof("/sitecustomize.py"));
	if (!c->boot_file)
		return -ENOMEM;
	sprintf(c->boot_file, "%s/sitecustomize.py", boot);
	for (i = 0; i < 8; i++)
		if (!c->env[i])
			return -ENOMEM;
	return 0;
}

int pp_collect__prepare(struct pp_collect **out, const struct pp_collect_config *cfg)
{
	struct pp_collect *c;
	char agent[PATH_MAX];
	const char *base;
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
	c->dir_lock = -1;
	c->cfg = *cfg;
	c->events = calloc(cfg->nevents ? cfg->nevents : 1, sizeof(*c->events));
	if (!c->events)
		goto fail;
	if (cfg->nevents)
		memcpy(c->events, cfg->events, cfg->nevents * sizeof(*c->events));
	c->cfg.events = c->events;
	c->cfg.agent_dir = NULL;
	/* What runs killed by SIGKILL left in the same place goes first. */
	base = state_base();
	pp_statedir__clean(base);
	err = pp_statedir__create(base, &c->dir, &c->dir_lock);
	if (err)
		goto fail;
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
	in->maps_fd = -1;
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
		else if (!strcmp(line, "exe") && !in->exe)
			in->exe = strdup(eq);
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

static int open_in(struct pp_collect *c, struct inst *in, const char *suffix)
{
	char name[128], *path;
	int fd = -1;

	snprintf(name, sizeof(name), "%s%s", in->id, suffix);
	path = path_in(c, name);
	if (path)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	return fd;
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
			in->codes_fd = open_in(c, in, ".codes");
		else if (in->maps_fd < 0 && !in->ring_done && !strcmp(n + len, ".maps"))
			in->maps_fd = open_in(c, in, ".maps");
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

/* CPython 3.13's _Py_InitCleanup shim (Python/specialize.c), pushed
 * between a call site and the __init__ it specialises: a code object
 * named "__init__" in a file named "__init__". Not user code, so the
 * caller links straight to the real __init__. */
static int is_interpreter_shim(const struct code_rec *r)
{
	return r->firstline <= 1 && !strcmp(r->qualname, "__init__") &&
	       !strcmp(r->file, "__init__");
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
			int r = pp_profile__add_event(p, c->events[i].name, c->cfg.exact ? 1 :
						      event_period(&c->events[i]));
			if (r < 0)
				return r;
		}
		if (c->cfg.exact) {
			int r = pp_profile__add_event(p, PP_EXACT_CALLS, 1);
			if (r < 0)
				return r;
			p->exact = 1;
			p->calls_event = r;
		}
	}
	c->events_added = 1;
	return 0;
}

/* ---- maps snapshots ---- */

static void snap_reset(struct inst *in)
{
	pp_maps__free(&in->snap);
	in->nids = 0;
	in->snap_gen = 0;
}

/* One line of "<id>.maps" (format: src/agent/maps.c), without '\n'. */
static int maps_line(struct inst *in, const char *line, size_t len)
{
	if (len >= 2 && line[0] == '@' && line[1] == ' ') {
		char num[16];
		unsigned long g;

		snap_reset(in);
		if (len - 2 >= sizeof(num))
			return 0;
		memcpy(num, line + 2, len - 2);
		num[len - 2] = 0;
		g = strtoul(num, NULL, 10);
		if (g > pp_addrspace__latest(in->as) && g <= UINT32_MAX &&
		    g < MAPS_MAX_SNAPSHOTS)
			in->snap_gen = (uint32_t)g;
		return 0;
	}
	if (!in->snap_gen)
		return 0; /* outside a snapshot we accept: ignore */
	if (len == 2 && line[0] == '@' && line[1] == '.') {
		int err = 0;

		if (!in->as)
			err = pp_addrspace__new(&in->as);
		if (!err)
			err = pp_addrspace__add(in->as, in->snap_gen, &in->snap, in->ids, in->nids);
		snap_reset(in);
		in->codes_gen++;
		return err;
	}
	if (line[0] == 'b') {
		struct pp_build_id_range r;

		if (in->nids < MAPS_MAX_IDS && pp_build_id_range__parse(line, len, &r) == 0) {
			if (grow((void **)&in->ids, &in->ids_cap, in->nids + 1, sizeof(*in->ids)))
				return -ENOMEM;
			in->ids[in->nids++] = r;
		}
		return 0;
	}
	return pp_maps__parse(line, len, &in->snap, PP_MAPS_EXEC_ONLY) < 0 ? -ENOMEM : 0;
}

/* Reads the complete lines appended to .maps since last time. */
static int read_maps(struct inst *in)
{
	char buf[65536];
	ssize_t n;

	if (in->maps_fd < 0)
		return 0;
	while ((n = read(in->maps_fd, buf, sizeof(buf))) > 0) {
		char *all, *p, *nl;
		int err = 0;

		if (in->nmaps_partial > MAPS_MAX_PARTIAL) {
			/* a line that long is not one of ours: drop it */
			in->nmaps_partial = 0;
			snap_reset(in);
		}
		all = realloc(in->maps_partial, in->nmaps_partial + (size_t)n + 1);
		if (!all)
			return -ENOMEM;
		memcpy(all + in->nmaps_partial, buf, (size_t)n);
		in->nmaps_partial += (size_t)n;
		in->maps_partial = all;
		p = all;
		while (!err && (nl = memchr(p, '\n', in->nmaps_partial - (size_t)(p - all))) != NULL) {
			err = maps_line(in, p, (size_t)(nl - p));
			p = nl + 1;
		}
		in->nmaps_partial -= (size_t)(p - all);
		memmove(all, p, in->nmaps_partial);
		if (err)
			return err;
	}
	return 0;
}

/* ---- native frames ---- */

static struct pp_symbolizer *symbolizer(struct pp_collect *c)
{
	if (!c->sym && pp_symbolizer__new(&c->sym, NULL) != 0)
		return NULL;
	return c->sym;
}

static int64_t intern_native(struct pp_profile *p, const struct pp_symbol *sym)
{
	char name[512];

	pp_symbol__format(sym, name, sizeof(name));
	return pp_profile__intern_func(p, name, sym->path, 0);
}

/* Interned "name" (or module+0xoffset) of ADDR in M. */
static int64_t native_func(struct pp_collect *c, struct pp_profile *p, const struct pp_map *m,
			   uint64_t addr)
{
	struct pp_symbol sym;
	struct pp_symbolizer *s = symbolizer(c);

	if (!s)
		return -ENOMEM;
	if (pp_symbolizer__lookup(s, m, addr, &sym) < 0)
		return -ENOMEM;
	return intern_native(p, &sym);
}

static int64_t unknown_func(struct pp_profile *p, uint64_t addr)
{
	struct pp_symbol sym;

	memset(&sym, 0, sizeof(sym));
	sym.module = "[unknown]";
	sym.path = "";
	sym.offset = addr;
	return intern_native(p, &sym);
}

/* Whether M is the interpreter (libpython, or the executable that has
 * it built in): native frame walks stop there, the Python frames take
 * over. */
static int is_interpreter(const struct inst *in, const struct pp_map *m)
{
	const char *mod = pp_map__module(m);

	return !strncmp(mod, "libpython", 9) || (in->exe && m->path && !strcmp(m->path, in->exe));
}

/* The C library and the loader: a thread seen there first has not shown
 * yet what it belongs to. */
static int is_system(const char *mod)
{
	return !strncmp(mod, "libc.so", 7) || !strncmp(mod, "libc-", 5) ||
	       !strncmp(mod, "libpthread", 10) || !strncmp(mod, "ld-linux", 8) ||
	       !strncmp(mod, "ld-", 3) || !strncmp(mod, "librt", 5) ||
	       !strncmp(mod, "libdl", 5) || !strcmp(mod, "[vdso]");
}

/* What the unwinder may read of the target's stack: the words the agent
 * copied from the interrupted RSP up, and the frame-pointer pairs. */
struct stack_view {
	const struct pp_ring_sample *s;
	const uint64_t *words, *pairs;
};

static int stack_read(void *ctx, uint64_t addr, uint64_t *out)
{
	const struct stack_view *v = ctx;
	const struct pp_ring_sample *s = v->s;
	unsigned i;

	if (addr & 7)
		return 0;
	if (s->nstack && addr >= s->sp && (addr - s->sp) / 8 < s->nstack) {
		*out = v->words[(addr - s->sp) / 8];
		return 1;
	}
	for (i = 0; i < s->nnative; i++) {
		if (addr == v->pairs[2 * i] + 8) {
			*out = v->pairs[2 * i + 1];
			return 1;
		}
		if (addr == v->pairs[2 * i] && i + 1 < s->nnative) {
			*out = v->pairs[2 * i + 2];
			return 1;
		}
	}
	return 0;
}

/* The native frames of sample S into OUT (innermost first), at most MAX:
 * the function of the interrupted IP, then its callers as far as they can
 * be proved, up to the interpreter (whose frames the Python ones stand
 * for).  Each step uses the module's .eh_frame rules over the stack the
 * agent copied (and the frame-pointer pairs it found); where a module has
 * no unwind entry for the address, the frame-pointer rule.  A return
 * address is kept only if it lies in an executable file mapping right
 * after a call instruction; the first step that fails ends the walk. */
static int native_frames(struct pp_collect *c, struct pp_profile *p, const struct inst *in,
			 const struct pp_ring_sample *s, const struct pp_map *leaf,
			 struct pp_frame *out, unsigned max)
{
	struct stack_view v = { s, pp_ring_sample_stack(s), pp_ring_sample_native(s) };
	struct pp_unwind_regs regs = { s->ip, s->sp, s->bp };
	struct pp_symbolizer *sym = symbolizer(c);
	const struct pp_map *m = leaf;
	unsigned k = 0;
	int64_t f;

	if (!sym)
		return -ENOMEM;
	f = leaf ? native_func(c, p, leaf, s->ip) : unknown_func(p, s->ip);
	if (f < 0)
		return (int)f;
	out[k].func = (uint32_t)f;
	out[k++].line = 0;
	if (!leaf || is_interpreter(in, leaf) || (s->sp == 0 && s->nnative == 0))
		return (int)k;
	while (k < max) {
		uint64_t target, ra, bp;
		int r = pp_symbolizer__unwind(sym, m, &regs, k == 1, stack_read, &v);

		if (r == 0) {
			/* no unwind entry: the frame-pointer rule */
			if (regs.bp < regs.sp || !stack_read(&v, regs.bp + 8, &ra) ||
			    !stack_read(&v, regs.bp, &bp))
				break;
			regs.sp = regs.bp + 16;
			regs.ip = ra;
			regs.bp = bp;
		} else if (r < 0) {
			break;
		}
		m = pp_addrspace__find(in->as, regs.ip, s->maps_gen);
		if (!m || m->kind == PP_MAP_ANON || !(m->prot & PP_MAP_X) ||
		    is_interpreter(in, m) || !pp_symbolizer__after_call(sym, m, regs.ip, &target))
			break;
		/* ip - 1: the call belongs to the caller even when it is the
		 * last instruction of its function */
		f = native_func(c, p, m, regs.ip - 1);
		if (f < 0)
			return (int)f;
		out[k].func = (uint32_t)f;
		out[k++].line = 0;
	}
	return (int)k;
}

static struct tid_label *label_find(struct inst *in, uint32_t tid)
{
	size_t i;

	for (i = 0; i < in->nlabels; i++)
		if (in->labels[i].tid == tid)
			return &in->labels[i];
	return NULL;
}

/* "<native thread: MODULE>" for a thread without a Python thread state:
 * the first library other than libc and the loader that its samples are
 * in (what started the thread: OpenBLAS's workers spin in OpenBLAS).
 * Returns the function id, 0 to wait for a telling sample (unless
 * FORCE), or -errno. */
static int64_t thread_label(struct inst *in, struct pp_profile *p, uint32_t tid,
			    const struct pp_map *m, int force)
{
	struct tid_label *l = label_find(in, tid);
	const char *mod = m ? pp_map__module(m) : "[unknown]";
	char name[300];

	if (!l) {
		if (!force && is_system(mod))
			return 0;
		if (grow((void **)&in->labels, &in->labels_cap, in->nlabels + 1, sizeof(*in->labels)))
			return -ENOMEM;
		l = &in->labels[in->nlabels];
		memset(l, 0, sizeof(*l));
		l->tid = tid;
		l->func = -1;
		l->name = strdup(mod);
		l->path = strdup(m && m->path ? m->path : "");
		if (!l->name || !l->path) {
			free(l->name);
			free(l->path);
			return -ENOMEM;
		}
		in->nlabels++;
		in->codes_gen++; /* the thread's waiting samples can go now */
	}
	if (l->func_for != p || l->func < 0) {
		snprintf(name, sizeof(name), "<native thread: %s>", l->name);
		l->func = pp_profile__intern_func(p, name, l->path, 0);
		l->func_for = p;
	}
	return l->func;
}

/* ---- samples ---- */

/* Adds sample S if every frame resolves, or FORCE is set (unresolved
 * frames become <unresolved code>).  WAIT_NATIVE: the sample is young
 * enough to wait for a maps snapshot or a thread label.  1 added, 0 not
 * yet, -errno. */
static int add_sample(struct pp_collect *c, struct pp_profile *p, struct inst *in,
		      const struct pp_ring_sample *s, int force, int wait_native)
{
	struct pp_frame out[PP_RING_MAX_DEPTH + PP_RING_MAX_NATIVE + 3];
	const struct pp_map *leaf = NULL;
	unsigned i, k = 0, unresolved = 0, n = s->nframes;
	int no_tstate, need_ip, err;
	int64_t label = 0;

	if (s->event >= c->cfg.nevents || s->event >= p->nevents || n > PP_RING_MAX_DEPTH ||
	    s->nnative > PP_RING_MAX_NATIVE || s->nstack > PP_RING_MAX_STACK)
		return 1; /* not ours to count: drop silently */
	for (i = 0; i < n; i++) {
		if (!code_find(in, s->frames[i].code, s->frames[i].fp) && !force)
			return 0;
	}
	/* Threads of the target's own: the main thread (pid) without a
	 * state is interpreter start-up or shutdown, "<native>" as before. */
	no_tstate = n == 0 && (s->flags & PP_SAMPLE_NO_TSTATE) && s->tid != in->pid;
	need_ip = c->cfg.native || no_tstate;
	if (need_ip) {
		int settle = force || !wait_native;

		leaf = in->as ? pp_addrspace__find(in->as, s->ip, s->maps_gen) : NULL;
		if (!settle && (!in->as || s->maps_gen > pp_addrspace__latest(in->as) || !leaf))
			return 0;
		if (no_tstate) {
			label = thread_label(in, p, s->tid, leaf, settle);
			if (label <= 0)
				return (int)label;
		}
	}
	if (c->cfg.native) {
		int r = native_frames(c, p, in, s, leaf, out, PP_RING_MAX_NATIVE + 1);
		if (r < 0)
			return r;
		k = (unsigned)r;
	}
	for (i = 0; i < n; i++) {
		struct code_rec *r = code_find(in, s->frames[i].code, s->frames[i].fp);
		if (!r) {
			out[k].func = PP_FUNC_UNRESOLVED;
			out[k].line = 0;
			unresolved++;
		} else if (is_interpreter_shim(r)) {
			continue;
		} else {
			int64_t f = func_of(p, r);
			if (f < 0)
				return (int)f;
			out[k].func = (uint32_t)f;
			out[k].line = line_for(r, s->frames[i].offset);
		}
		k++;
	}
	if (n == 0) {
		out[k].func = no_tstate ? (uint32_t)label : PP_FUNC_NATIVE;
		out[k++].line = 0;
	} else if (s->flags & PP_SAMPLE_TRUNCATED) {
		out[k].func = PP_FUNC_TRUNCATED;
		out[k++].line = 0;
		c->truncated++;
	}
	c->unresolved += unresolved;
	err = pp_profile__add_sample(p, (int)s->event, in->pid, s->tid, out, k,
				     s->periods >= 1 && s->periods <= PP_RING_MAX_PERIODS ? s->periods : 1);
	return err < 0 ? err : 1;
}

static int pend_add(struct pp_collect *c, size_t inst, const struct pp_ring_sample *s)
{
	size_t size = pp_ring_sample_size3(s->nframes, s->nnative, s->nstack);
	struct pending *q;

	if (grow((void **)&c->pend, &c->pend_cap, c->npend + 1, sizeof(*c->pend)))
		return -ENOMEM;
	q = &c->pend[c->npend];
	q->rec = malloc(size);
	if (!q->rec)
		return -ENOMEM;
	memcpy(q->rec, s, size);
	q->size = size;
	q->inst = (uint32_t)inst;
	q->late = 0;
	q->gen = c->insts[inst].codes_gen;
	q->born = c->polls;
	c->npend++;
	c->pend_bytes += size;
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
			    c->pend_bytes > PENDING_MAX_BYTES;
		int young = c->polls - q->born < NATIVE_WAIT_POLLS;
		int r = 0;

		if (!err && (force || q->gen != in->codes_gen || (!young && !q->late))) {
			q->gen = in->codes_gen;
			q->late = !young;
			r = add_sample(c, p, in, q->rec, force, young);
			if (r < 0)
				err = r;
		}
		if (r == 1) {
			c->pend_bytes -= q->size;
			free(q->rec);
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
	int r = add_sample(d->c, d->p, in, s, 0, 1);

	if (r == 0)
		r = pend_add(d->c, d->inst, s);
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

/* ---- --exact ---- */

/* The function of node I (1-based) of D, or -1 for the bootstrap's own
 * code (our at-exit work, the wrappers around fork, exec and threads),
 * which is left out of every path. */
static int64_t exact_func(struct pp_collect *c, struct pp_profile *p, struct inst *in,
			  const struct pp_exact_node *n)
{
	struct code_rec *r = code_find(in, n->code, n->fp);

	if (!r) {
		c->unresolved++;
		return PP_FUNC_UNRESOLVED;
	}
	if (!strcmp(r->file, c->boot_file) || is_interpreter_shim(r))
		return -1;
	return func_of(p, r);
}

/* Adds a finished process's "<id>.exact" to P: one stack per node (its
 * path to the outermost call), its own corrected values, its calls. */
static int read_exact(struct pp_collect *c, struct pp_profile *p, struct inst *in)
{
	struct pp_frame path[PP_RING_MAX_DEPTH + 2];
	struct pp_exact_dump d;
	char name[128], *file, *buf;
	int64_t *func = NULL;
	size_t i, len;
	unsigned e;
	int err;

	snprintf(name, sizeof(name), "%s.exact", in->id);
	file = path_in(c, name);
	buf = file ? read_small_file(file, EXACT_MAX_BYTES) : NULL;
	free(file);
	if (!buf)
		return 0; /* killed before its first write, or not exact */
	len = strlen(buf);
	err = pp_exact__parse(buf, len, &d);
	free(buf);
	if (err) {
		pp_log(PP_LOG_WARN, "process %u: malformed %s.exact: its exact counts are lost",
		       in->pid, in->id);
		return err == -ENOMEM ? err : 0;
	}
	if (d.nevents + 1 != p->nevents || p->calls_event < 0) {
		pp_exact__free(&d);
		return 0;
	}
	if ((d.problem[0] || d.multiplexed) && !c->problem)
		c->problem = strdup(d.problem[0] ? d.problem :
				    "--exact: the counters were multiplexed (more events than "
				    "the PMU counts at once): exact values are too low; "
				    "count fewer events with -e");
	func = calloc(d.n + 1, sizeof(*func));
	if (!func) {
		pp_exact__free(&d);
		return -ENOMEM;
	}
	for (i = 1; i <= d.n; i++) {
		func[i] = exact_func(c, p, in, &d.nodes[i - 1]);
		if (func[i] < -1) {
			err = (int)func[i];
			goto out;
		}
	}
	for (i = 1; i <= d.n && !err; i++) {
		const struct pp_exact_node *n = &d.nodes[i - 1];
		size_t k = 0, j;

		if (func[i] < 0)
			continue;
		for (j = i; j && k < sizeof(path) / sizeof(path[0]); j = d.nodes[j - 1].parent) {
			if (func[j] < 0)
				continue;
			path[k].func = (uint32_t)func[j];
			path[k++].line = 0;
		}
		for (e = 0; e < d.nevents && !err; e++) {
			uint64_t v = pp_exact__value(&d, i, e);

			p->exact_cost[e] += (double)n->v[e] - (double)v;
			if (v)
				err = pp_profile__add_sample(p, (int)e, in->pid, n->tid, path, k, v);
		}
		if (!err && n->calls)
			err = pp_profile__add_sample(p, p->calls_event, in->pid, n->tid, path, k,
						     n->calls);
		p->exact_hooks += n->hooks;
	}
	c->truncated += d.truncated;
	p->dropped += d.lost;
out:
	free(func);
	pp_exact__free(&d);
	return err;
}

/* The writer is gone once its flock() is free: the ring will not grow. */
static int writer_gone(struct inst *in)
{
	return in->ring_fd >= 0 && flock(in->ring_fd, LOCK_EX | LOCK_NB) == 0;
}

static void unlink_inst_files(struct pp_collect *c, const struct inst *in)
{
	static const char *const suf[] = { ".ring", ".codes", ".info", ".maps", ".exact" };
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
		const uint64_t *k = in->ring->counters;

		in->lost_full += k[PP_RC_LOST_FULL];
		in->lost_unreadable += k[PP_RC_LOST_UNREADABLE];
		c->agent_cpu_ns += k[PP_RC_AGENT_CPU_NS];
		c->recovered += k[PP_RC_RECOVERED];
		pp_log(PP_LOG_DEBUG, "process %u: %llu samples, %llu lost (ring full), %llu "
		       "unreadable frame chains, %llu without Python frames, %llu on the "
		       "agent's own work, %llu while not sampling, %llu periods added "
		       "for signals the kernel did not raise", in->pid,
		       (unsigned long long)k[PP_RC_SAMPLES], (unsigned long long)k[PP_RC_LOST_FULL],
		       (unsigned long long)k[PP_RC_LOST_UNREADABLE],
		       (unsigned long long)k[PP_RC_NATIVE], (unsigned long long)k[PP_RC_IGNORED],
		       (unsigned long long)k[PP_RC_INACTIVE],
		       (unsigned long long)k[PP_RC_RECOVERED]);
		munmap(in->ring, in->ring_len);
		in->ring = NULL;
	}
	if (in->ring_fd >= 0)
		close(in->ring_fd);
	if (in->codes_fd >= 0)
		close(in->codes_fd);
	if (in->maps_fd >= 0)
		close(in->maps_fd);
	in->ring_fd = in->codes_fd = in->maps_fd = -1;
	in->ring_done = 1;
	free(in->partial);
	in->partial = NULL;
	in->npartial = 0;
	/* Its samples are all in: the mappings are not needed any more. */
	free(in->maps_partial);
	in->maps_partial = NULL;
	in->nmaps_partial = 0;
	snap_reset(in);
	pp_addrspace__free(in->as);
	in->as = NULL;
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
		/* Records and maps first: they resolve samples already in the
		 * ring. */
		if ((err = read_codes(in)) || (err = read_maps(in)) || (err = drain_ring(c, p, i)))
			return err;
		if (gone && in->ring) {
			/* Nothing more will come: last records, last samples, and
			 * the waiting ones are final. */
			if ((err = read_codes(in)) || (err = read_maps(in)) ||
			    (err = drain_ring(c, p, i)) || (err = pend_retry(c, p, i)) ||
			    (c->cfg.exact && (err = read_exact(c, p, in))))
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
	if (!c->dir)
		return;
	pp_statedir__remove(c->dir, c->dir_lock);
	c->dir_lock = -1;
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
	p->agent_cpu_ns += c->agent_cpu_ns;
	p->recovered += c->recovered;
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
		if (in->maps_fd >= 0)
			close(in->maps_fd);
		free(in->maps_partial);
		snap_reset(in);
		free(in->ids);
		pp_addrspace__free(in->as);
		for (k = 0; k < in->nlabels; k++) {
			free(in->labels[k].name);
			free(in->labels[k].path);
		}
		free(in->labels);
		free(in->exe);
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
		free(c->pend[i].rec);
	free(c->pend);
	pp_symbolizer__free(c->sym);
	remove_dir(c);
	if (c->env)
		for (i = 0; c->env[i]; i++)
			free(c->env[i]);
	free(c->env);
	free(c->events);
	free(c->problem);
	free(c->boot_file);
	free(c->interp);
	free(c);
}
