/* events: perf-style event strings -> perf_event_attr (include/pyperf/events.h).
 *
 * What one -e argument may hold, mirroring perf 6.1 (tools/perf/util/
 * parse-events.l and .y) wherever a user could notice a difference:
 *
 *   spec   := item (',' item)*
 *   item   := event | '{' event (',' event)* '}' [':' mods]
 *   event  := symbol [':' mods]              generic, software, cache, rHEX
 *           | symbol '/' terms '/' [[':'] mods]   e.g. task-clock/period=500000/
 *           | pmu '/' terms '/' [[':'] mods]      a PMU under sysfs
 *           | libpfm4 name                    e.g. INST_RETIRED:ANY_P, perf::cycles
 *   mods   := letters of "u k h G H I p pp ppp D"
 *   terms  := term (',' term)*,  term := key ['=' value]
 *
 * The scanner makes one left-to-right pass with explicit state and never
 * recurses on its input (the only nesting is a sysfs event alias, expanded
 * exactly once), every token is bounded by PP_EVENT_NAME_MAX, and every
 * failure leaves the list as it was.
 *
 * PYPERF_SYSFS_ROOT, read at parse time, replaces "/sys" when looking up
 * PMUs: tests point it at a fake tree, and it lets one check an event list
 * against a copy of another machine's sysfs. */
#include "pyperf/events.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* After linux/perf_event.h (via events.h): libpfm4's own copy of the perf
 * ABI then steps aside. */
#include <perfmon/pfmlib_perf_event.h>

#define EVLIST_MAX     4096 /* events in one list: far beyond any PMU */
#define PMU_NAME_MAX   64
#define TERM_KEY_MAX   64
#define SYSFS_FILE_MAX 4096
#define MODS_MAX       16   /* "ukhGHIDppp" is the longest valid string */
#define DIST_MAX_LEN   64   /* names compared for suggestions */
#define QUOTE_MAX      120  /* how much of the user's text an error echoes */

/* ---- tables -------------------------------------------------------- */

struct symbol {
	const char *name;
	uint32_t type;
	uint64_t config;
	const char *desc;
};

/* perf 6.1 tools/perf/util/parse-events.c event_symbols_hw/_sw: the first
 * name of each pair is perf's canonical one, the second its alias. */
static const struct symbol hw_symbols[] = {
	{ "cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, "CPU cycles" },
	{ "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, "CPU cycles" },
	{ "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, "instructions retired" },
	{ "cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES,
	  "cache accesses (usually the last level cache)" },
	{ "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES,
	  "cache misses (usually the last level cache)" },
	{ "branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS,
	  "branch instructions retired" },
	{ "branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS,
	  "branch instructions retired" },
	{ "branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, "mispredicted branches" },
	{ "bus-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES, "bus cycles" },
	{ "stalled-cycles-frontend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND,
	  "cycles stalled in the front end" },
	{ "idle-cycles-frontend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND,
	  "cycles stalled in the front end" },
	{ "stalled-cycles-backend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND,
	  "cycles stalled in the back end" },
	{ "idle-cycles-backend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND,
	  "cycles stalled in the back end" },
	{ "ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES,
	  "reference cycles, independent of frequency scaling" },
};

static const struct symbol sw_symbols[] = {
	{ "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK,
	  "per-CPU high resolution timer (msec)" },
	{ "task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, "CPU time of the task (msec)" },
	{ "page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, "page faults" },
	{ "faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, "page faults" },
	{ "context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, "context switches" },
	{ "cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, "context switches" },
	{ "cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS,
	  "moves of the task to another CPU" },
	{ "migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS,
	  "moves of the task to another CPU" },
	{ "minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN, "page faults without I/O" },
	{ "major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ, "page faults needing I/O" },
	{ "alignment-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS,
	  "unaligned accesses fixed up by the kernel" },
	{ "emulation-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS,
	  "instructions emulated by the kernel" },
	{ "dummy", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_DUMMY, "placeholder that counts nothing" },
	{ "bpf-output", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT, "output of BPF programs" },
	{ "cgroup-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CGROUP_SWITCHES,
	  "context switches to a task of another cgroup" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define ALIASES 5

/* Hardware cache events: names and the combinations perf accepts, from
 * perf 6.1 tools/perf/util/evsel.c (evsel__hw_cache, _op, _result and
 * evsel__hw_cache_stat).  The first name of each row is the one perf
 * lists; the rest are accepted aliases.  Matching is case-sensitive, as
 * in perf's lexer. */
static const char *const cache_types[PERF_COUNT_HW_CACHE_MAX][ALIASES] = {
	[PERF_COUNT_HW_CACHE_L1D] = { "L1-dcache", "l1-d", "l1d", "L1-data" },
	[PERF_COUNT_HW_CACHE_L1I] = { "L1-icache", "l1-i", "l1i", "L1-instruction" },
	[PERF_COUNT_HW_CACHE_LL] = { "LLC", "L2" },
	[PERF_COUNT_HW_CACHE_DTLB] = { "dTLB", "d-tlb", "Data-TLB" },
	[PERF_COUNT_HW_CACHE_ITLB] = { "iTLB", "i-tlb", "Instruction-TLB" },
	[PERF_COUNT_HW_CACHE_BPU] = { "branch", "branches", "bpu", "btb", "bpc" },
	[PERF_COUNT_HW_CACHE_NODE] = { "node" },
};

static const char *const cache_type_desc[PERF_COUNT_HW_CACHE_MAX] = {
	"L1 data cache", "L1 instruction cache", "last level cache", "data TLB",
	"instruction TLB", "branch prediction unit", "local memory (NUMA node)",
};

/* [0] singular (used before "-misses"), [1] plural (used alone). */
static const char *const cache_ops[PERF_COUNT_HW_CACHE_OP_MAX][ALIASES] = {
	[PERF_COUNT_HW_CACHE_OP_READ] = { "load", "loads", "read" },
	[PERF_COUNT_HW_CACHE_OP_WRITE] = { "store", "stores", "write" },
	[PERF_COUNT_HW_CACHE_OP_PREFETCH] = { "prefetch", "prefetches", "speculative-read",
					      "speculative-load" },
};

static const char *const cache_results[PERF_COUNT_HW_CACHE_RESULT_MAX][ALIASES] = {
	[PERF_COUNT_HW_CACHE_RESULT_ACCESS] = { "refs", "Reference", "ops", "access" },
	[PERF_COUNT_HW_CACHE_RESULT_MISS] = { "misses", "miss" },
};

#define OP(x) (1u << PERF_COUNT_HW_CACHE_OP_##x)
static const unsigned cache_ops_ok[PERF_COUNT_HW_CACHE_MAX] = {
	[PERF_COUNT_HW_CACHE_L1D] = OP(READ) | OP(WRITE) | OP(PREFETCH),
	[PERF_COUNT_HW_CACHE_L1I] = OP(READ) | OP(PREFETCH),
	[PERF_COUNT_HW_CACHE_LL] = OP(READ) | OP(WRITE) | OP(PREFETCH),
	[PERF_COUNT_HW_CACHE_DTLB] = OP(READ) | OP(WRITE) | OP(PREFETCH),
	[PERF_COUNT_HW_CACHE_ITLB] = OP(READ),
	[PERF_COUNT_HW_CACHE_BPU] = OP(READ),
	[PERF_COUNT_HW_CACHE_NODE] = OP(READ) | OP(WRITE) | OP(PREFETCH),
};
#undef OP

#define MOD_LETTERS "ukhGHIpD"
#define MOD_VALID   "u k h G H I p pp ppp D"

/* ---- small helpers ------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Copies at most QUOTE_MAX bytes of S[0..LEN) for an error message,
 * replacing what a terminal should not see. */
static const char *quote(char *buf, size_t size, const char *s, size_t len)
{
	size_t i, n = len < QUOTE_MAX ? len : QUOTE_MAX;

	if (n > size - 4)
		n = size - 4;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n < len)
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
	return buf;
}

static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s))
		(*s)++, (*len)--;
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* Decimal or 0x-hex, as perf's lexer takes numbers; no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int base = 10, digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2, base = 16;
	for (; *s; s++, digits++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -ERANGE;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (!digits)
		return -EINVAL;
	*out = v;
	return 0;
}

static const char *sysfs_root(void)
{
	const char *r = getenv("PYPERF_SYSFS_ROOT");

	return r && *r ? r : "/sys";
}

/* Reads a small sysfs file into BUF, trailing whitespace removed.
 * Returns its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)got < size - 1) {
		n = read(fd, buf + got, size - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			got = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += n;
	}
	while (got > 0 && isspace((unsigned char)buf[got - 1]))
		got--;
	buf[got] = '\0';
out:
	close(fd);
	return got;
}

/* PMU names, term keys: they become path components, so no '/' and no
 * leading '.' ("..", hidden files). */
static int safe_component(const char *s, size_t max)
{
	size_t i;

	if (!s[0] || s[0] == '.')
		return 0;
	for (i = 0; s[i]; i++) {
		if (i >= max)
			return 0;
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return 0;
	}
	return 1;
}

/* ---- libpfm4 ------------------------------------------------------- */

static pthread_once_t pfm_once = PTHREAD_ONCE_INIT;
static int pfm_status = -ENODEV;

static void pfm_init_once(void)
{
	/* libpfm4 4.13 treats a *set but empty* LIBPFM_FORCE_PMU as a
	 * zero-length prefix matching every PMU, and forces the first one in
	 * its table (netburst): the generic perf PMU then vanishes.  meson's
	 * test env sets it empty to mean "not forced", so hide it while
	 * initialising. */
	const char *force = getenv("LIBPFM_FORCE_PMU");
	int hide = force && !*force;
	int ret;

	if (hide)
		unsetenv("LIBPFM_FORCE_PMU");
	ret = pfm_initialize();
	if (hide)
		setenv("LIBPFM_FORCE_PMU", "", 1);
	switch (ret) {
	case PFM_SUCCESS:
		pfm_status = 0;
		break;
	case PFM_ERR_NOMEM:
		pfm_status = -ENOMEM;
		break;
	case PFM_ERR_NOTSUPP:
		pfm_status = -EOPNOTSUPP;
		break;
	default:
		pfm_status = -ENODEV;
		break;
	}
}

int pp_events__init(void)
{
	pthread_once(&pfm_once, pfm_init_once);
	return pfm_status;
}

static int pfm_encode(const char *str, struct perf_event_attr *attr)
{
	pfm_perf_encode_arg_t arg;

	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr); /* libpfm4 copies min(its size, ours) */
	memset(&arg, 0, sizeof(arg));
	arg.attr = attr;
	arg.size = sizeof(arg);
	return pfm_get_os_event_encoding(str, PFM_PLM0 | PFM_PLM3,
					 PFM_OS_PERF_EVENT_EXT, &arg);
}

/* ---- walking every known name -------------------------------------- */

typedef void (*name_fn)(const char *name, const char *category,
			const char *desc, void *ctx);

static void walk_builtin(name_fn fn, void *ctx)
{
	char name[96], desc[128];
	size_t i;
	int t, op;

	for (i = 0; i < NELEM(hw_symbols); i++)
		fn(hw_symbols[i].name, "Hardware event", hw_symbols[i].desc, ctx);
	for (i = 0; i < NELEM(sw_symbols); i++)
		fn(sw_symbols[i].name, "Software event", sw_symbols[i].desc, ctx);
	for (t = 0; t < PERF_COUNT_HW_CACHE_MAX; t++) {
		for (op = 0; op < PERF_COUNT_HW_CACHE_OP_MAX; op++) {
			if (!(cache_ops_ok[t] & (1u << op)))
				continue;
			/* perf's evsel__hw_cache_type_op_res_name() spelling */
			snprintf(name, sizeof(name), "%s-%s", cache_types[t][0], cache_ops[op][1]);
			snprintf(desc, sizeof(desc), "%s %s accesses", cache_type_desc[t],
				 cache_ops[op][0]);
			fn(name, "Hardware cache event", desc, ctx);
			snprintf(name, sizeof(name), "%s-%s-%s", cache_types[t][0],
				 cache_ops[op][0], cache_results[PERF_COUNT_HW_CACHE_RESULT_MISS][0]);
			snprintf(desc, sizeof(desc), "%s %s misses", cache_type_desc[t],
				 cache_ops[op][0]);
			fn(name, "Hardware cache event", desc, ctx);
		}
	}
}

/* libpfm4's events of every PMU present (or forced).  QUALIFIED gives
 * "pmu::EVENT" as "list" shows it; otherwise the bare event name, which is
 * what people type and misspell. */
static void walk_pfm(name_fn fn, void *ctx, int qualified)
{
	char name[256], cat[96], desc[512];
	pfm_pmu_t pmu;

	if (pp_events__init() != 0)
		return;
	pfm_for_all_pmus(pmu) {
		pfm_pmu_info_t pinfo;
		int i;

		memset(&pinfo, 0, sizeof(pinfo));
		pinfo.size = sizeof(pinfo);
		if (pfm_get_pmu_info(pmu, &pinfo) != PFM_SUCCESS || !pinfo.is_present)
			continue;
		snprintf(cat, sizeof(cat), "libpfm4 %s", pinfo.name);
		for (i = pinfo.first_event; i != -1; i = pfm_get_event_next(i)) {
			pfm_event_info_t einfo;
			char *nl;

			memset(&einfo, 0, sizeof(einfo));
			einfo.size = sizeof(einfo);
			if (pfm_get_event_info(i, PFM_OS_NONE, &einfo) != PFM_SUCCESS || !einfo.name)
				continue;
			if (qualified)
				snprintf(name, sizeof(name), "%s::%s", pinfo.name, einfo.name);
			else
				snprintf(name, sizeof(name), "%s", einfo.name);
			snprintf(desc, sizeof(desc), "%s", einfo.desc ? einfo.desc : "");
			while ((nl = strpbrk(desc, "\r\n")))
				*nl = ' ';
			fn(name, cat, desc, ctx);
		}
	}
}

int pp_events__foreach(pp_event_list_fn fn, void *ctx)
{
	if (!fn)
		return -EINVAL;
	walk_builtin(fn, ctx);
	walk_pfm(fn, ctx, 1); /* without libpfm4 the generic names still list */
	return 0;
}

/* ---- suggestions ---------------------------------------------------- */

/* Optimal string alignment distance (Damerau-Levenshtein with adjacent
 * transpositions), case-insensitive: "instrutions" -> "instructions" 1,
 * "cycels" -> "cycles" 1. */
static int osa_distance(const char *a, const char *b)
{
	int d[DIST_MAX_LEN + 1][DIST_MAX_LEN + 1];
	size_t n = strlen(a), m = strlen(b), i, j;

	if (n > DIST_MAX_LEN || m > DIST_MAX_LEN)
		return INT_MAX;
	for (i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (i = 1; i <= n; i++) {
		for (j = 1; j <= m; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			int cost = ca != cb;
			int v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[n][m];
}

struct suggest {
	const char *query;
	int limit;
	int n;
	struct {
		char name[128];
		int dist;
	} best[3];
};

static void suggest_one(const char *name, const char *category, const char *desc, void *ctx)
{
	struct suggest *s = ctx;
	int d, i, pos;

	(void)category;
	(void)desc;
	if (strlen(name) >= sizeof(s->best[0].name))
		return;
	d = osa_distance(s->query, name);
	/* "cache-ref", "stalled-cycles": a prefix of a real name counts as
	 * just close enough, ranked after true near-misses */
	if (d > s->limit && strlen(s->query) >= 4 &&
	    !strncasecmp(name, s->query, strlen(s->query)))
		d = s->limit;
	if (d > s->limit)
		return;
	for (i = 0; i < s->n; i++)
		if (!strcasecmp(s->best[i].name, name))
			return; /* "cycles" is both ours and libpfm4's */
	for (pos = s->n; pos > 0 && s->best[pos - 1].dist > d; pos--)
		;
	if (pos >= 3)
		return;
	if (s->n < 3)
		s->n++;
	memmove(&s->best[pos + 1], &s->best[pos], (size_t)(s->n - 1 - pos) * sizeof(s->best[0]));
	snprintf(s->best[pos].name, sizeof(s->best[pos].name), "%s", name);
	s->best[pos].dist = d;
}

/* Names of the PMUs libpfm4 sees ("perf, perf_raw, skl"), for telling
 * people why a model-specific name is unknown.  0 without libpfm4. */
static int pfm_pmus_here(char *buf, size_t size)
{
	pfm_pmu_t pmu;
	size_t len = 0;
	int n = 0;

	buf[0] = '\0';
	if (pp_events__init() != 0)
		return 0;
	pfm_for_all_pmus(pmu) {
		pfm_pmu_info_t pinfo;
		int w;

		memset(&pinfo, 0, sizeof(pinfo));
		pinfo.size = sizeof(pinfo);
		if (pfm_get_pmu_info(pmu, &pinfo) != PFM_SUCCESS || !pinfo.is_present)
			continue;
		w = snprintf(buf + len, size - len, "%s%s", n ? ", " : "", pinfo.name);
		if (w < 0 || (size_t)w >= size - len) {
			buf[len] = '\0';
			break;
		}
		len += (size_t)w;
		n++;
	}
	return n;
}

/* "unknown event 'TOKEN': did you mean 'a', 'b' or 'c'?", comparing the
 * event part of TOKEN (no "pmu::" prefix, no ":mods" suffix). */
static int fail_unknown(const char *token, char *err, size_t errlen)
{
	char q[DIST_MAX_LEN + 1], tq[QUOTE_MAX + 4], pmus[160];
	const char *p = strstr(token, "::");
	struct suggest s;
	size_t len;

	p = p ? p + 2 : token;
	len = strcspn(p, ":/");
	if (len > DIST_MAX_LEN)
		len = DIST_MAX_LEN;
	memcpy(q, p, len);
	q[len] = '\0';
	quote(tq, sizeof(tq), token, strlen(token));

	memset(&s, 0, sizeof(s));
	s.query = q;
	s.limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	if (len) {
		walk_builtin(suggest_one, &s);
		walk_pfm(suggest_one, &s, 0);
	}
	switch (s.n) {
	case 0:
		if (pfm_pmus_here(pmus, sizeof(pmus)) && strpbrk(token, ":ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
			return fail(err, errlen, "unknown event '%s' (libpfm4 PMUs here: %s; "
				    "LIBPFM_FORCE_PMU=<pmu> encodes another model's events; "
				    "see 'pyperf-stat list')", tq, pmus);
		return fail(err, errlen, "unknown event '%s' (see 'pyperf-stat list')", tq);
	case 1:
		return fail(err, errlen, "unknown event '%s': did you mean '%s'?", tq,
			    s.best[0].name);
	case 2:
		return fail(err, errlen, "unknown event '%s': did you mean '%s' or '%s'?", tq,
			    s.best[0].name, s.best[1].name);
	default:
		return fail(err, errlen, "unknown event '%s': did you mean '%s', '%s' or '%s'?",
			    tq, s.best[0].name, s.best[1].name, s.best[2].name);
	}
}

/* ---- modifiers ------------------------------------------------------ */

struct mods {
	int eu, ek, eh, eG, eH, eI, precise, pinned;
	int exclude;    /* a u/k/h has been seen: unlisted levels are excluded */
	int exclude_GH; /* same for G/H */
};

static void mods_from_attr(struct mods *m, const struct perf_event_attr *a)
{
	memset(m, 0, sizeof(*m));
	m->eu = a->exclude_user;
	m->ek = a->exclude_kernel;
	m->eh = a->exclude_hv;
	m->eG = a->exclude_guest;
	m->eH = a->exclude_host;
	m->eI = a->exclude_idle;
	m->precise = a->precise_ip;
	m->pinned = a->pinned;
}

static void mods_to_attr(const struct mods *m, struct perf_event_attr *a)
{
	a->exclude_user = m->eu;
	a->exclude_kernel = m->ek;
	a->exclude_hv = m->eh;
	a->exclude_guest = m->eG;
	a->exclude_host = m->eH;
	a->exclude_idle = m->eI;
	a->precise_ip = m->precise;
	a->pinned = m->pinned;
}

static int mods_check(const char *s, const char *where, char *err, size_t errlen)
{
	char seen[128] = { 0 }, tq[QUOTE_MAX + 4];
	int np = 0;
	const char *p;

	quote(tq, sizeof(tq), where, strlen(where));
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= 0x80 || !strchr(MOD_LETTERS, c)) {
			if (c > 0x20 && c < 0x7f)
				return fail(err, errlen, "unknown modifier '%c' in '%s' (valid: %s)",
					    c, tq, MOD_VALID);
			return fail(err, errlen, "unknown modifier (byte 0x%02x) in '%s' (valid: %s)",
				    c, tq, MOD_VALID);
		}
		if (c == 'p')
			np++;
		else if (seen[c]++)
			return fail(err, errlen, "repeated modifier '%c' in '%s'", c, tq);
	}
	if (np > 3)
		return fail(err, errlen, "too many 'p' in '%s' (precise levels are p, pp, ppp)", tq);
	return 0;
}

/* perf 6.1 parse-events.c get_event_modifier(): the first of u/k/h
 * excludes every privilege level, then each one listed is let back in
 * (so "uk" counts user and kernel, not hypervisor); G/H work the same way
 * for guest and host.  Unlike perf, u and p do not also set exclude_guest:
 * this tool runs no guests, and some PMUs (msr) reject the bit, which perf
 * papers over with a retry that callers of this module would not have. */
static int mods_apply(struct mods *m, const char *s, const char *where,
		      char *err, size_t errlen)
{
	char tq[QUOTE_MAX + 4];
	int rc = mods_check(s, where, err, errlen);

	if (rc)
		return rc;
	for (; *s; s++) {
		switch (*s) {
		case 'u':
		case 'k':
		case 'h':
			if (!m->exclude)
				m->exclude = m->eu = m->ek = m->eh = 1;
			if (*s == 'u')
				m->eu = 0;
			else if (*s == 'k')
				m->ek = 0;
			else
				m->eh = 0;
			break;
		case 'G':
		case 'H':
			if (!m->exclude_GH)
				m->exclude_GH = m->eG = m->eH = 1;
			if (*s == 'G')
				m->eG = 0;
			else
				m->eH = 0;
			break;
		case 'I':
			m->eI = 1;
			break;
		case 'p':
			m->precise++;
			break;
		case 'D':
			m->pinned = 1;
			break;
		}
	}
	if (m->precise > 3)
		return fail(err, errlen, "too many 'p' in '%s' (precise levels are p, pp, ppp)",
			    quote(tq, sizeof(tq), where, strlen(where)));
	return 0;
}

/* ---- symbols: generic, software, cache, raw ------------------------- */

/* Matches one alias of TABLE at the start of S, ending at '\0' or '-'. */
static int match_alias(const char *s, const char *const table[][ALIASES], int rows,
		       int *row, size_t *used)
{
	int r, a;

	for (r = 0; r < rows; r++) {
		for (a = 0; a < ALIASES && table[r][a]; a++) {
			size_t l = strlen(table[r][a]);

			if (!strncmp(s, table[r][a], l) && (s[l] == '\0' || s[l] == '-')) {
				*row = r;
				*used = l;
				return 1;
			}
		}
	}
	return 0;
}

/* "type[-op|-result][-op|-result]" in either order, perf's
 * parse_events_add_cache(); op defaults to load, result to access.
 * 1 matched, 0 not a cache name, <0 error. */
static int lookup_cache(const char *s, struct perf_event_attr *attr, char *err, size_t errlen)
{
	int type, op = -1, res = -1, v, parts;
	size_t used;
	const char *p;

	if (!match_alias(s, cache_types, PERF_COUNT_HW_CACHE_MAX, &type, &used))
		return 0;
	p = s + used;
	for (parts = 0; *p; parts++) {
		if (parts == 2)
			return 0;
		p++; /* the '-' */
		if (op < 0 && match_alias(p, cache_ops, PERF_COUNT_HW_CACHE_OP_MAX, &v, &used))
			op = v;
		else if (res < 0 && match_alias(p, cache_results, PERF_COUNT_HW_CACHE_RESULT_MAX,
						&v, &used))
			res = v;
		else
			return 0;
		p += used;
	}
	if (op < 0)
		op = PERF_COUNT_HW_CACHE_OP_READ;
	if (res < 0)
		res = PERF_COUNT_HW_CACHE_RESULT_ACCESS;
	if (!(cache_ops_ok[type] & (1u << op)))
		return fail(err, errlen, "invalid cache event '%s': %s has no %s events",
			    s, cache_types[type][0], cache_ops[op][0]);
	attr->type = PERF_TYPE_HW_CACHE;
	attr->config = (uint64_t)type | ((uint64_t)op << 8) | ((uint64_t)res << 16);
	return 1;
}

/* 1 found (ATTR filled), 0 unknown, <0 error with message. */
static int lookup_symbol(const char *s, struct perf_event_attr *attr, char *err, size_t errlen)
{
	char tq[QUOTE_MAX + 4];
	size_t i, n;
	uint64_t v;

	memset(attr, 0, sizeof(*attr));
	for (i = 0; i < NELEM(hw_symbols); i++) {
		if (!strcmp(s, hw_symbols[i].name)) {
			attr->type = hw_symbols[i].type;
			attr->config = hw_symbols[i].config;
			return 1;
		}
	}
	for (i = 0; i < NELEM(sw_symbols); i++) {
		if (!strcmp(s, sw_symbols[i].name)) {
			attr->type = sw_symbols[i].type;
			attr->config = sw_symbols[i].config;
			return 1;
		}
	}
	/* rNNNN: 'r' and 1-16 hex digits (perf's lexer: r[0-9a-fA-F]+).
	 * 'r' then a digit but not hex ("r0x10") is a raw event gone wrong;
	 * 'r' then letters ("rdtsc") may be anything else. */
	if (s[0] == 'r' && s[1]) {
		n = strspn(s + 1, "0123456789abcdefABCDEF");
		if (!s[1 + n]) {
			char hex[24];

			if (n > 16)
				return fail(err, errlen,
					    "bad raw event '%s': more than 16 hex digits",
					    quote(tq, sizeof(tq), s, strlen(s)));
			snprintf(hex, sizeof(hex), "0x%s", s + 1);
			if (parse_u64(hex, &v))
				return fail(err, errlen, "bad raw event '%s'", s);
			attr->type = PERF_TYPE_RAW;
			attr->config = v;
			return 1;
		}
		if (isdigit((unsigned char)s[1]))
			return fail(err, errlen,
				    "bad raw event '%s': expected 'r' and 1 to 16 hex digits, e.g. r00c0",
				    quote(tq, sizeof(tq), s, strlen(s)));
	}
	return lookup_cache(s, attr, err, errlen);
}

/* ---- PMU terms: "pmu/key=value,key/" -------------------------------- */

struct terms_ctx {
	struct pp_event *ev;
	const char *token; /* for messages */
	const char *pmu;   /* sysfs PMU name (pmu_name), or NULL after a symbol */
	char pmu_name[PMU_NAME_MAX + 1];
	char dir[PATH_MAX]; /* <root>/bus/event_source/devices/<pmu> */
};

/* "config1:0-7,32-35" -> which config word, and the mask of its bits. */
static int parse_format(const char *s, int *which, uint64_t *mask)
{
	const char *p;

	if (!strncmp(s, "config1:", 8))
		*which = 1, p = s + 8;
	else if (!strncmp(s, "config2:", 8))
		*which = 2, p = s + 8;
	else if (!strncmp(s, "config:", 7))
		*which = 0, p = s + 7;
	else
		return -EINVAL;
	*mask = 0;
	for (;;) {
		char *end;
		unsigned long lo, hi;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		lo = strtoul(p, &end, 10);
		hi = lo;
		p = end;
		if (*p == '-') {
			if (!isdigit((unsigned char)p[1]))
				return -EINVAL;
			hi = strtoul(p + 1, &end, 10);
			p = end;
		}
		if (lo > hi || hi > 63)
			return -EINVAL;
		*mask |= (hi == 63 ? ~0ULL : (1ULL << (hi + 1)) - 1) & ~((1ULL << lo) - 1);
		if (!*p)
			return 0;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
}

/* Spreads VAL over the bits of MASK, lowest first, as perf's
 * pmu_format_value() does.  -ERANGE when VAL does not fit. */
static int pack_format(uint64_t mask, uint64_t val, uint64_t *out, uint64_t *max)
{
	int bit, used = 0;

	*out = 0;
	for (bit = 0; bit < 64; bit++) {
		if (!(mask & (1ULL << bit)))
			continue;
		if (val & (1ULL << used))
			*out |= 1ULL << bit;
		used++;
	}
	*max = used == 64 ? ~0ULL : (1ULL << used) - 1;
	return val > *max ? -ERANGE : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "config, config1, config2, period, name" plus the PMU's format terms. */
static void valid_terms(const struct terms_ctx *tc, char *buf, size_t size)
{
	char names[32][TERM_KEY_MAX + 1], *sorted[32], path[PATH_MAX + 16];
	size_t n = 0, i, len;
	struct dirent *de;
	DIR *d;

	snprintf(buf, size, "config, config1, config2, period, name");
	if (!tc->pmu)
		return;
	snprintf(path, sizeof(path), "%s/format", tc->dir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && n < NELEM(names)) {
		if (!safe_component(de->d_name, TERM_KEY_MAX))
			continue;
		memcpy(names[n], de->d_name, strlen(de->d_name) + 1); /* <= TERM_KEY_MAX */
		sorted[n] = names[n];
		n++;
	}
	closedir(d);
	qsort(sorted, n, sizeof(sorted[0]), cmp_str);
	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, ", %s", sorted[i]);
	}
	len = strlen(buf);
	if (snprintf(buf + len, size - len, " or an event of %s/events", tc->dir) < 0)
		buf[len] = '\0';
}

static int apply_terms(struct terms_ctx *tc, char *terms, int allow_alias,
		       char *err, size_t errlen);

static int apply_term(struct terms_ctx *tc, char *key, char *val, int allow_alias,
		      char *err, size_t errlen)
{
	struct perf_event_attr *attr = &tc->ev->attr;
	char tq[QUOTE_MAX + 4], vq[QUOTE_MAX + 4], path[PATH_MAX + 2 * TERM_KEY_MAX];
	char buf[SYSFS_FILE_MAX], valid[1024];
	uint64_t v = 1, packed, max;
	__u64 *word;
	ssize_t n;
	int which, rc;

	quote(tq, sizeof(tq), tc->token, strlen(tc->token));
	if (!safe_component(key, TERM_KEY_MAX))
		return fail(err, errlen, "bad term '%s' in '%s'",
			    quote(vq, sizeof(vq), key, strlen(key)), tq);
	if (!strcmp(key, "name")) {
		if (!val || !*val || strlen(val) >= sizeof(tc->ev->name))
			return fail(err, errlen, "term 'name' needs a value of 1 to %zu characters in '%s'",
				    sizeof(tc->ev->name) - 1, tq);
		snprintf(tc->ev->name, sizeof(tc->ev->name), "%s", val);
		return 0;
	}
	if (val) {
		rc = parse_u64(val, &v);
		if (rc)
			return fail(err, errlen, "bad number '%s' for term '%s' in '%s' (decimal or 0x hex)",
				    quote(vq, sizeof(vq), val, strlen(val)), key, tq);
	}
	if (!strcmp(key, "period")) {
		if (!val)
			return fail(err, errlen, "term 'period' needs a value in '%s'", tq);
		if (!v)
			return fail(err, errlen, "period must be greater than 0 in '%s'", tq);
		tc->ev->period = v;
		attr->sample_period = v;
		return 0;
	}
	word = !strcmp(key, "config") ? &attr->config :
	       !strcmp(key, "config1") ? &attr->config1 :
	       !strcmp(key, "config2") ? &attr->config2 : NULL;
	if (word) {
		if (!val)
			return fail(err, errlen, "term '%s' needs a value in '%s'", key, tq);
		*word = v;
		return 0;
	}
	if (!tc->pmu)
		goto unknown;

	snprintf(path, sizeof(path), "%s/format/%s", tc->dir, key);
	n = read_small(path, buf, sizeof(buf));
	if (n >= 0) {
		if (parse_format(buf, &which, &max))
			return fail(err, errlen, "cannot parse %s: '%s'", path,
				    quote(vq, sizeof(vq), buf, (size_t)n));
		if (pack_format(max, v, &packed, &max))
			return fail(err, errlen, "value 0x%llx too big for term '%s' of PMU '%s' "
				    "(max 0x%llx) in '%s'", (unsigned long long)v, key, tc->pmu,
				    (unsigned long long)max, tq);
		word = which == 0 ? &attr->config : which == 1 ? &attr->config1 : &attr->config2;
		*word |= packed; /* perf ORs repeated terms too */
		return 0;
	}
	if (!val && allow_alias) {
		/* An event alias, "msr/tsc/": its file holds terms, expanded
		 * once and never again (aliases do not name aliases). */
		snprintf(path, sizeof(path), "%s/events/%s", tc->dir, key);
		n = read_small(path, buf, sizeof(buf));
		if (n >= 0)
			return apply_terms(tc, buf, 0, err, errlen);
	}
unknown:
	valid_terms(tc, valid, sizeof(valid));
	return fail(err, errlen, "unknown term '%s' in '%s' (valid: %s)", key, tq, valid);
}

/* TERMS is modified in place (split at commas). */
static int apply_terms(struct terms_ctx *tc, char *terms, int allow_alias,
		       char *err, size_t errlen)
{
	char tq[QUOTE_MAX + 4];
	char *p = terms;
	const char *s;
	size_t len;

	len = strlen(terms);
	s = terms;
	trim(&s, &len);
	if (!len)
		return 0; /* "msr//" is the PMU's event 0, as in perf */
	for (;;) {
		char *comma = strchr(p, ',');
		char *key, *val, *eq;
		size_t klen;
		int rc;

		if (comma)
			*comma = '\0';
		s = p;
		len = strlen(p);
		trim(&s, &len);
		key = (char *)s;
		key[len] = '\0';
		if (!len)
			return fail(err, errlen, "empty term in '%s'",
				    quote(tq, sizeof(tq), tc->token, strlen(tc->token)));
		eq = strchr(key, '=');
		val = NULL;
		if (eq) {
			*eq = '\0';
			s = eq + 1;
			len = strlen(s);
			trim(&s, &len);
			val = (char *)s;
			val[len] = '\0';
			klen = strlen(key);
			while (klen && isspace((unsigned char)key[klen - 1]))
				key[--klen] = '\0';
			if (!*val)
				return fail(err, errlen, "term '%s' needs a value in '%s'", key,
					    quote(tq, sizeof(tq), tc->token, strlen(tc->token)));
		}
		rc = apply_term(tc, key, val, allow_alias, err, errlen);
		if (rc)
			return rc;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* "head/terms/mods" */
static int parse_slash(struct pp_event *ev, char *buf, struct mods *m,
		       char *err, size_t errlen)
{
	char tq[QUOTE_MAX + 4], hq[QUOTE_MAX + 4], tbuf[SYSFS_FILE_MAX], path[PATH_MAX];
	char *first = strchr(buf, '/'), *last = strrchr(buf, '/'), *mods;
	struct terms_ctx tc;
	ssize_t n;
	uint64_t type;
	int rc;

	quote(tq, sizeof(tq), buf, strlen(buf));
	if (first == last)
		return fail(err, errlen, "missing closing '/' in '%s'", tq);
	if (memchr(first + 1, '/', (size_t)(last - first - 1)))
		return fail(err, errlen, "unexpected '/' in the terms of '%s'", tq);
	if (first == buf)
		return fail(err, errlen, "missing PMU or event name before '/' in '%s'", tq);

	memset(&tc, 0, sizeof(tc));
	tc.ev = ev;
	tc.token = buf;
	*first = '\0';
	*last = '\0';
	mods = last + 1;
	if (*mods == ':')
		mods++;

	rc = lookup_symbol(buf, &ev->attr, err, errlen);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		if (!safe_component(buf, PMU_NAME_MAX)) {
			rc = fail(err, errlen, "bad PMU name '%s' in '%s'",
				  quote(hq, sizeof(hq), buf, strlen(buf)), tq);
			goto out;
		}
		memcpy(tc.pmu_name, buf, strlen(buf) + 1);
		tc.pmu = tc.pmu_name;
		if (snprintf(tc.dir, sizeof(tc.dir), "%s/bus/event_source/devices/%s",
			     sysfs_root(), buf) >= (int)sizeof(tc.dir) - 64) {
			rc = fail(err, errlen, "PYPERF_SYSFS_ROOT is too long");
			goto out;
		}
		snprintf(path, sizeof(path), "%.*s/type", PATH_MAX - 64, tc.dir);
		n = read_small(path, tbuf, sizeof(tbuf));
		if (n == -ENOENT || n == -ENOTDIR) {
			rc = fail(err, errlen, "PMU '%s' not found on this machine (no %s) in '%s'",
				  buf, tc.dir, tq);
			goto out;
		}
		if (n < 0 || parse_u64(tbuf, &type) || type > UINT32_MAX) {
			rc = fail(err, errlen, "cannot read the type of PMU '%s' from %s/type",
				  buf, tc.dir);
			goto out;
		}
		ev->attr.type = (uint32_t)type;
	}
	/* apply_terms may quote the token: give it back its slashes */
	*first = '/';
	*last = '\0';
	snprintf(tbuf, sizeof(tbuf), "%s", first + 1);
	*last = '/';
	rc = apply_terms(&tc, tbuf, 1, err, errlen);
	if (rc)
		goto out;
	mods_from_attr(m, &ev->attr);
	rc = mods_apply(m, mods, buf, err, errlen);
out:
	*first = '/';
	*last = '/';
	return rc;
}

/* Characters of libpfm4 event strings ("skl::INST_RETIRED:ANY_P:c=2"). */
static int pfm_chars(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_:=.-", *s))
			return 0;
	return 1;
}

static int all_mod_letters(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr(MOD_LETTERS, *s))
			return 0;
	return 1;
}

/* libpfm4 names.  libpfm4 has modifiers of its own (":u", ":k", ":c=2",
 * ":precise=2"), so the whole token goes to libpfm4 first and wins:
 * "INST_RETIRED:ANY_P:u" is libpfm4's u.  Only when libpfm4 refuses the
 * token, and its last ':' field consists of perf modifier letters
 * ("INST_RETIRED:ANY_P:uk", "perf::cycles:pp"), is that field taken as
 * perf modifiers over libpfm4's encoding of the rest. */
static int parse_pfm(struct pp_event *ev, const char *buf, struct mods *m,
		     char *err, size_t errlen)
{
	char tq[QUOTE_MAX + 4], prefix[PP_EVENT_NAME_MAX];
	const char *last;
	int ret, ret2;

	if (!pfm_chars(buf) || pp_events__init() != 0)
		return fail_unknown(buf, err, errlen);
	ret = pfm_encode(buf, &ev->attr);
	if (ret == PFM_SUCCESS) {
		mods_from_attr(m, &ev->attr);
		goto ok;
	}
	last = strrchr(buf, ':');
	if (last && last > buf && last[-1] != ':' && all_mod_letters(last + 1)) {
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(last - buf), buf);
		ret2 = pfm_encode(prefix, &ev->attr);
		if (ret2 == PFM_SUCCESS) {
			mods_from_attr(m, &ev->attr);
			ret = mods_apply(m, last + 1, buf, err, errlen);
			if (ret)
				return ret;
			goto ok;
		}
	}
	if (ret == PFM_ERR_NOTFOUND || !strchr(buf, ':'))
		return fail_unknown(buf, err, errlen);
	return fail(err, errlen, "cannot encode '%s' with libpfm4: %s",
		    quote(tq, sizeof(tq), buf, strlen(buf)), pfm_strerror(ret));
ok:
	if (!ev->attr.freq)
		ev->period = ev->attr.sample_period; /* libpfm4's ":period=N" */
	return 0;
}

/* "symbol[:mods]" or a libpfm4 name. */
static int parse_plain(struct pp_event *ev, const char *buf, struct mods *m,
		       char *err, size_t errlen)
{
	char base[PP_EVENT_NAME_MAX];
	size_t blen = strcspn(buf, ":");
	int rc;

	memcpy(base, buf, blen);
	base[blen] = '\0';
	rc = lookup_symbol(base, &ev->attr, err, errlen);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return parse_pfm(ev, buf, m, err, errlen);
	mods_from_attr(m, &ev->attr);
	if (!buf[blen])
		return 0;
	rc = mods_apply(m, buf + blen + 1, buf, err, errlen);
	if (rc && pfm_chars(buf) && pp_events__init() == 0) {
		/* "instructions:precise=2" is libpfm4's spelling */
		struct perf_event_attr attr;

		if (pfm_encode(buf, &attr) == PFM_SUCCESS) {
			ev->attr = attr;
			mods_from_attr(m, &ev->attr);
			return 0;
		}
	}
	return rc;
}

/* One event of TOK[0..LEN), with the group's modifiers GMODS ("" if
 * none) applied over its own. */
static int parse_event(struct pp_event *ev, const char *tok, size_t len,
		       const char *gmods, const char *group, char *err, size_t errlen)
{
	char buf[PP_EVENT_NAME_MAX], tq[QUOTE_MAX + 4];
	struct mods m;
	size_t i;
	int rc;

	trim(&tok, &len);
	memset(ev, 0, sizeof(*ev));
	if (!len)
		return fail(err, errlen, "empty event in '%s'",
			    quote(tq, sizeof(tq), group, strlen(group)));
	if (len >= sizeof(buf))
		return fail(err, errlen, "event '%s' is too long (at most %zu characters)",
			    quote(tq, sizeof(tq), tok, len), sizeof(buf) - 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tok[i];

		if (c < 0x20 || c >= 0x7f)
			return fail(err, errlen, "invalid byte 0x%02x in event '%s'", c,
				    quote(tq, sizeof(tq), tok, len));
	}
	memcpy(buf, tok, len);
	buf[len] = '\0';
	memcpy(ev->name, buf, len + 1);

	if (strchr(buf, '/'))
		rc = parse_slash(ev, buf, &m, err, errlen);
	else
		rc = parse_plain(ev, buf, &m, err, errlen);
	if (rc)
		return rc;
	if (*gmods) {
		rc = mods_apply(&m, gmods, group, err, errlen);
		if (rc)
			return rc;
	}
	mods_to_attr(&m, &ev->attr);
	ev->attr.size = sizeof(ev->attr);
	ev->unit = (ev->attr.type == PERF_TYPE_SOFTWARE &&
		    (ev->attr.config == PERF_COUNT_SW_CPU_CLOCK ||
		     ev->attr.config == PERF_COUNT_SW_TASK_CLOCK)) ? "msec" : "";
	return 0;
}

/* ---- the list -------------------------------------------------------- */

static int evlist_push(struct pp_evlist *list, const struct pp_event *ev,
		       char *err, size_t errlen)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct pp_event *p;

		if (list->n >= EVLIST_MAX)
			return fail(err, errlen, "too many events (at most %d)", EVLIST_MAX);
		if (cap > EVLIST_MAX)
			cap = EVLIST_MAX;
		p = realloc(list->ev, cap * sizeof(*p));
		if (!p) {
			fail(err, errlen, "out of memory");
			return -ENOMEM;
		}
		list->ev = p;
		list->cap = cap;
	}
	list->ev[list->n] = *ev;
	list->n++;
	return 0;
}

/* Where the event starting at S ends: the next ',' or '}' outside
 * "pmu/.../" (whose terms hold commas), or '\0'.  A '{' met on the way is
 * returned too, for the caller to reject. */
static size_t event_end(const char *s)
{
	size_t i;
	int in_terms = 0;

	for (i = 0; s[i]; i++) {
		if (s[i] == '/')
			in_terms = !in_terms;
		else if (!in_terms && (s[i] == ',' || s[i] == '{' || s[i] == '}'))
			break;
	}
	return i;
}

/* The group "{a,b}:mods" at *SP; leaves *SP after it.  SQ is the whole
 * spec, quoted for messages. */
static int parse_group(struct pp_evlist *list, const char **sp, const char *sq,
		       char *err, size_t errlen)
{
	char gtext[QUOTE_MAX + 4], gmods[MODS_MAX + 1];
	const char *s = *sp, *body = s + 1, *p, *m;
	struct pp_event ev;
	size_t glen, mlen, k;
	int leader = (int)list->n, rc;

	/* Find the group's end first: its modifiers come after it. */
	for (p = body;;) {
		p += event_end(p);
		if (*p != ',')
			break;
		p++;
	}
	if (*p == '{')
		return fail(err, errlen, "nested groups are not supported in '%s'", sq);
	if (*p != '}')
		return fail(err, errlen, "unbalanced braces: missing '}' in '%s'", sq);
	glen = (size_t)(p - body);
	for (k = 0; k < glen && isspace((unsigned char)body[k]); k++)
		;
	if (k == glen)
		return fail(err, errlen, "empty group in '%s'", sq);

	m = p + 1;
	mlen = 0;
	if (*m == ':') {
		m++;
		mlen = strcspn(m, ",{}");
		while (mlen && isspace((unsigned char)m[mlen - 1]))
			mlen--;
	}
	quote(gtext, sizeof(gtext), s, (size_t)(m + mlen - s));
	if (mlen > MODS_MAX)
		return fail(err, errlen, "bad group modifiers in '%s' (valid: %s)", gtext,
			    MOD_VALID);
	memcpy(gmods, m, mlen);
	gmods[mlen] = '\0';
	rc = mods_check(gmods, gtext, err, errlen);
	if (rc)
		return rc;

	for (p = body;; p++) {
		size_t elen = event_end(p);

		rc = parse_event(&ev, p, elen, gmods, gtext, err, errlen);
		if (rc)
			return rc;
		ev.leader = leader;
		rc = evlist_push(list, &ev, err, errlen);
		if (rc)
			return rc;
		p += elen;
		if (*p != ',')
			break;
	}

	for (s = m + mlen; isspace((unsigned char)*s); s++)
		;
	if (*s == '{' || *s == '}')
		return fail(err, errlen, "unbalanced braces: unexpected '%c' in '%s'", *s, sq);
	if (*s && *s != ',') {
		char c[2] = { *s, '\0' };

		return fail(err, errlen, "unexpected '%s' after group in '%s'",
			    quote(gtext, sizeof(gtext), c, 1), sq);
	}
	*sp = s;
	return 0;
}

int pp_evlist__parse(struct pp_evlist *list, const char *spec,
		     char *err, size_t errlen)
{
	char sq[QUOTE_MAX + 4];
	struct pp_event ev;
	size_t n0, len;
	const char *s;
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!list || !spec)
		return fail(err, errlen, "no event list");
	n0 = list->n;
	quote(sq, sizeof(sq), spec, strlen(spec));
	s = spec;
	len = strlen(s);
	trim(&s, &len);
	if (!len)
		return fail(err, errlen, "empty event list");

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '{') {
			rc = parse_group(list, &s, sq, err, errlen);
		} else {
			len = event_end(s);
			if (s[len] == '}' || s[len] == '{') {
				rc = fail(err, errlen, "unbalanced braces: unexpected '%c' in '%s'",
					  s[len], sq);
				goto out;
			}
			rc = parse_event(&ev, s, len, "", spec, err, errlen);
			if (!rc) {
				ev.leader = (int)list->n;
				rc = evlist_push(list, &ev, err, errlen);
			}
			s += len;
		}
		if (rc || !*s)
			break;
		s++; /* ',' */
		while (isspace((unsigned char)*s))
			s++;
		if (!*s) {
			rc = fail(err, errlen, "empty event at the end of '%s'", sq);
			break;
		}
	}
out:
	if (rc)
		list->n = n0; /* all or nothing */
	return rc;
}

int pp_evlist__add_defaults(struct pp_evlist *list)
{
	char err[256];

	return pp_evlist__parse(list, "task-clock,context-switches,cpu-migrations,page-faults,"
				"cycles,instructions,cache-references,cache-misses,"
				"branches,branch-misses", err, sizeof(err));
}

void pp_evlist__free(struct pp_evlist *list)
{
	if (!list)
		return;
	free(list->ev);
	memset(list, 0, sizeof(*list));
}
