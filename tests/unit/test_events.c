/* Unit tests for events: perf-style event strings -> perf_event_attr.
 *
 * Expected encodings come from perf 6.1 itself (`perf stat -vv -e SPEC
 * true` on this machine prints the attr it built) and from the kernel ABI
 * in linux/perf_event.h; libpfm4 cases from libpfm4 4.13's own encoder.
 * PMU terms go through a fake sysfs tree (PYPERF_SYSFS_ROOT) because this
 * machine has no "cpu" PMU. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyperf/events.h"

/* attr bits a case expects set; every one not listed must be clear */
enum {
	EU = 1 << 0,     /* exclude_user */
	EK = 1 << 1,     /* exclude_kernel */
	EH = 1 << 2,     /* exclude_hv */
	EGUEST = 1 << 3, /* exclude_guest */
	EHOST = 1 << 4,  /* exclude_host */
	EIDLE = 1 << 5,  /* exclude_idle */
	PIN = 1 << 6,    /* pinned */
};

static unsigned flags_of(const struct perf_event_attr *a)
{
	return (a->exclude_user ? EU : 0) | (a->exclude_kernel ? EK : 0) |
	       (a->exclude_hv ? EH : 0) | (a->exclude_guest ? EGUEST : 0) |
	       (a->exclude_host ? EHOST : 0) | (a->exclude_idle ? EIDLE : 0) |
	       (a->pinned ? PIN : 0);
}

struct ev_case {
	const char *spec;
	uint32_t type;
	uint64_t config;
	unsigned flags;
	int precise;
	uint64_t period;
	const char *unit;
	const char *name;    /* NULL: the spec itself */
	uint64_t config1;
	unsigned ignore;     /* flags left to the environment */
};

static void check_one(const struct ev_case *c)
{
	struct pp_evlist l = { 0 };
	char err[512] = "";
	const struct pp_event *e;
	int rc = pp_evlist__parse(&l, c->spec, err, sizeof(err));

	cr_assert_eq(rc, 0, "'%s': rc %d: %s", c->spec, rc, err);
	cr_assert_eq(l.n, 1, "'%s': %zu events", c->spec, l.n);
	e = &l.ev[0];
	cr_expect_str_eq(e->name, c->name ? c->name : c->spec);
	cr_expect_eq(e->attr.type, c->type, "'%s': type %u, want %u", c->spec, e->attr.type, c->type);
	cr_expect_eq(e->attr.config, c->config, "'%s': config %#llx, want %#llx", c->spec,
		     (unsigned long long)e->attr.config, (unsigned long long)c->config);
	cr_expect_eq(e->attr.config1, c->config1, "'%s': config1 %#llx, want %#llx", c->spec,
		     (unsigned long long)e->attr.config1, (unsigned long long)c->config1);
	cr_expect_eq(flags_of(&e->attr) & ~c->ignore, c->flags, "'%s': flags %#x, want %#x",
		     c->spec, flags_of(&e->attr), c->flags);
	cr_expect_eq(e->attr.precise_ip, (unsigned)c->precise, "'%s': precise_ip %u", c->spec,
		     (unsigned)e->attr.precise_ip);
	cr_expect_eq(e->period, c->period, "'%s': period %llu", c->spec,
		     (unsigned long long)e->period);
	cr_expect_eq(e->attr.sample_period, c->period, "'%s': sample_period %llu", c->spec,
		     (unsigned long long)e->attr.sample_period);
	cr_expect_str_eq(e->unit, c->unit ? c->unit : "", "'%s': unit '%s'", c->spec, e->unit);
	cr_expect_eq(e->attr.size, sizeof(struct perf_event_attr));
	cr_expect_eq(e->leader, 0);
	pp_evlist__free(&l);
}

/* Criterion runs each case in a fresh process that cannot see the
 * parent's memory: the parameters are indexes into the tables below, in
 * memory from cr_malloc (shared with the workers), not pointers. */
static void free_params(struct criterion_test_params *p)
{
	cr_free(p->params);
}

static size_t *index_array(size_t n)
{
	size_t *ix = cr_malloc(n * sizeof(*ix));
	size_t i;

	for (i = 0; ix && i < n; i++)
		ix[i] = i;
	return ix;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define INDEX_PARAMS(table) \
	cr_make_param_array(size_t, index_array(NELEM(table)), NELEM(table), free_params)

#define EV(spec_, type_, config_, ...) \
	{ .spec = spec_, .type = type_, .config = config_, __VA_ARGS__ }
#define HW PERF_TYPE_HARDWARE
#define SW PERF_TYPE_SOFTWARE
#define HWC PERF_TYPE_HW_CACHE
#define RAW PERF_TYPE_RAW
#define MISS(x) ((x) | (PERF_COUNT_HW_CACHE_RESULT_MISS << 16))
#define STORE(x) ((x) | (PERF_COUNT_HW_CACHE_OP_WRITE << 8))
#define PREF(x) ((x) | (PERF_COUNT_HW_CACHE_OP_PREFETCH << 8))

/* ---- perf's own names: generic, software, cache, raw, modifiers ------- */

static const struct ev_case valid_cases[] = {
	/* generic hardware names and their aliases */
	EV("cycles", HW, PERF_COUNT_HW_CPU_CYCLES),
	EV("cpu-cycles", HW, PERF_COUNT_HW_CPU_CYCLES),
	EV("instructions", HW, PERF_COUNT_HW_INSTRUCTIONS),
	EV("cache-references", HW, PERF_COUNT_HW_CACHE_REFERENCES),
	EV("cache-misses", HW, PERF_COUNT_HW_CACHE_MISSES),
	EV("branches", HW, PERF_COUNT_HW_BRANCH_INSTRUCTIONS),
	EV("branch-instructions", HW, PERF_COUNT_HW_BRANCH_INSTRUCTIONS),
	EV("branch-misses", HW, PERF_COUNT_HW_BRANCH_MISSES),
	EV("bus-cycles", HW, PERF_COUNT_HW_BUS_CYCLES),
	EV("stalled-cycles-frontend", HW, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND),
	EV("idle-cycles-frontend", HW, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND),
	EV("stalled-cycles-backend", HW, PERF_COUNT_HW_STALLED_CYCLES_BACKEND),
	EV("idle-cycles-backend", HW, PERF_COUNT_HW_STALLED_CYCLES_BACKEND),
	EV("ref-cycles", HW, PERF_COUNT_HW_REF_CPU_CYCLES),
	/* software */
	EV("cpu-clock", SW, PERF_COUNT_SW_CPU_CLOCK, .unit = "msec"),
	EV("task-clock", SW, PERF_COUNT_SW_TASK_CLOCK, .unit = "msec"),
	EV("page-faults", SW, PERF_COUNT_SW_PAGE_FAULTS),
	EV("faults", SW, PERF_COUNT_SW_PAGE_FAULTS),
	EV("context-switches", SW, PERF_COUNT_SW_CONTEXT_SWITCHES),
	EV("cs", SW, PERF_COUNT_SW_CONTEXT_SWITCHES),
	EV("cpu-migrations", SW, PERF_COUNT_SW_CPU_MIGRATIONS),
	EV("migrations", SW, PERF_COUNT_SW_CPU_MIGRATIONS),
	EV("minor-faults", SW, PERF_COUNT_SW_PAGE_FAULTS_MIN),
	EV("major-faults", SW, PERF_COUNT_SW_PAGE_FAULTS_MAJ),
	EV("alignment-faults", SW, PERF_COUNT_SW_ALIGNMENT_FAULTS),
	EV("emulation-faults", SW, PERF_COUNT_SW_EMULATION_FAULTS),
	EV("dummy", SW, PERF_COUNT_SW_DUMMY),
	EV("bpf-output", SW, PERF_COUNT_SW_BPF_OUTPUT),
	EV("cgroup-switches", SW, PERF_COUNT_SW_CGROUP_SWITCHES),
	/* hardware cache: id | op << 8 | result << 16 */
	EV("L1-dcache-loads", HWC, PERF_COUNT_HW_CACHE_L1D),
	EV("L1-dcache-load-misses", HWC, MISS(PERF_COUNT_HW_CACHE_L1D)),
	EV("L1-dcache-stores", HWC, STORE(PERF_COUNT_HW_CACHE_L1D)),
	EV("L1-dcache-store-misses", HWC, MISS(STORE(PERF_COUNT_HW_CACHE_L1D))),
	EV("L1-dcache-prefetches", HWC, PREF(PERF_COUNT_HW_CACHE_L1D)),
	EV("L1-dcache-prefetch-misses", HWC, MISS(PREF(PERF_COUNT_HW_CACHE_L1D))),
	EV("L1-icache-loads", HWC, PERF_COUNT_HW_CACHE_L1I),
	EV("L1-icache-load-misses", HWC, MISS(PERF_COUNT_HW_CACHE_L1I)),
	EV("LLC-loads", HWC, PERF_COUNT_HW_CACHE_LL),
	EV("LLC-load-misses", HWC, MISS(PERF_COUNT_HW_CACHE_LL)),
	EV("LLC-stores", HWC, STORE(PERF_COUNT_HW_CACHE_LL)),
	EV("LLC-store-misses", HWC, MISS(STORE(PERF_COUNT_HW_CACHE_LL))),
	EV("dTLB-loads", HWC, PERF_COUNT_HW_CACHE_DTLB),
	EV("dTLB-load-misses", HWC, MISS(PERF_COUNT_HW_CACHE_DTLB)),
	EV("dTLB-stores", HWC, STORE(PERF_COUNT_HW_CACHE_DTLB)),
	EV("iTLB-loads", HWC, PERF_COUNT_HW_CACHE_ITLB),
	EV("iTLB-load-misses", HWC, MISS(PERF_COUNT_HW_CACHE_ITLB)),
	EV("branch-loads", HWC, PERF_COUNT_HW_CACHE_BPU),
	EV("branch-load-misses", HWC, MISS(PERF_COUNT_HW_CACHE_BPU)),
	EV("node-loads", HWC, PERF_COUNT_HW_CACHE_NODE),
	EV("node-load-misses", HWC, MISS(PERF_COUNT_HW_CACHE_NODE)),
	EV("node-stores", HWC, STORE(PERF_COUNT_HW_CACHE_NODE)),
	/* perf's cache aliases, as perf 6.1 encodes them */
	EV("l1d-misses", HWC, MISS(PERF_COUNT_HW_CACHE_L1D)),
	EV("L1-dcache-misses-load", HWC, MISS(PERF_COUNT_HW_CACHE_L1D)),
	EV("L1-dcache-speculative-read-misses", HWC, MISS(PREF(PERF_COUNT_HW_CACHE_L1D))),
	EV("L2-read-refs", HWC, PERF_COUNT_HW_CACHE_LL),
	EV("LLC", HWC, PERF_COUNT_HW_CACHE_LL),
	EV("d-tlb-store-miss", HWC, MISS(STORE(PERF_COUNT_HW_CACHE_DTLB))),
	/* modifiers: the first of u/k/h excludes all levels, each listed
	 * one is let back in (perf's get_event_modifier) */
	EV("cycles:u", HW, 0, .flags = EK | EH),
	EV("cycles:k", HW, 0, .flags = EU | EH),
	EV("cycles:h", HW, 0, .flags = EU | EK),
	EV("cycles:uk", HW, 0, .flags = EH),
	EV("cycles:ku", HW, 0, .flags = EH),
	EV("cycles:ukh", HW, 0),
	EV("cycles:G", HW, 0, .flags = EHOST),
	EV("cycles:H", HW, 0, .flags = EGUEST),
	EV("cycles:GH", HW, 0),
	EV("cycles:I", HW, 0, .flags = EIDLE),
	EV("cycles:D", HW, 0, .flags = PIN),
	EV("cycles:p", HW, 0, .flags = 0, .precise = 1),
	EV("cycles:pp", HW, 0, .flags = 0, .precise = 2),
	EV("cycles:ppp", HW, 0, .flags = 0, .precise = 3),
	EV("cycles:upp", HW, 0, .flags = EK | EH, .precise = 2),
	EV("instructions:uDI", HW, 1, .flags = EK | EH | PIN | EIDLE),
	EV("cycles:", HW, 0), /* perf accepts an empty modifier */
	EV("task-clock:u", SW, PERF_COUNT_SW_TASK_CLOCK, .flags = EK | EH, .unit = "msec"),
	EV("L1-dcache-load-misses:k", HWC, MISS(PERF_COUNT_HW_CACHE_L1D), .flags = EU | EH),
	/* raw */
	EV("r00c0", RAW, 0xc0),
	EV("rC0", RAW, 0xc0),
	EV("r1a2b3c:k", RAW, 0x1a2b3c, .flags = EU | EH),
	EV("rffffffffffffffff", RAW, 0xffffffffffffffffULL),
	/* generic names with terms */
	EV("task-clock/period=500000/", SW, PERF_COUNT_SW_TASK_CLOCK, .period = 500000, .unit = "msec"),
	EV("cycles/period=1000/", HW, 0, .period = 1000),
	EV("cycles/period=0x10/", HW, 0, .period = 16),
	EV("cycles/period=1000/u", HW, 0, .flags = EK | EH, .period = 1000),
	EV("cycles/period=1000/:u", HW, 0, .flags = EK | EH, .period = 1000),
	EV("cs/ period=7 /k", SW, PERF_COUNT_SW_CONTEXT_SWITCHES, .flags = EU | EH, .period = 7),
	EV("cpu-clock/period=1000,name=tick/", SW, PERF_COUNT_SW_CPU_CLOCK, .period = 1000,
	   .unit = "msec", .name = "tick"),
	EV("  cs  ", SW, PERF_COUNT_SW_CONTEXT_SWITCHES, .name = "cs"),
};

ParameterizedTestParameters(events, valid)
{
	return INDEX_PARAMS(valid_cases);
}

ParameterizedTest(size_t *i, events, valid)
{
	check_one(&valid_cases[*i]);
}

/* ---- several events and groups --------------------------------------- */

struct exp_ev {
	const char *name;
	uint32_t type;
	uint64_t config;
	unsigned flags;
	int precise;
	int leader;
};

struct multi_case {
	const char *spec;
	size_t n;
	struct exp_ev ev[4];
};

static void check_multi(const struct multi_case *c)
{
	struct pp_evlist l = { 0 };
	char err[512] = "";
	size_t i;
	int rc = pp_evlist__parse(&l, c->spec, err, sizeof(err));

	cr_assert_eq(rc, 0, "'%s': rc %d: %s", c->spec, rc, err);
	cr_assert_eq(l.n, c->n, "'%s': %zu events, want %zu", c->spec, l.n, c->n);
	for (i = 0; i < c->n; i++) {
		const struct pp_event *e = &l.ev[i];
		const struct exp_ev *x = &c->ev[i];

		cr_expect_str_eq(e->name, x->name, "'%s' #%zu", c->spec, i);
		cr_expect_eq(e->attr.type, x->type, "'%s' #%zu type %u", c->spec, i, e->attr.type);
		cr_expect_eq(e->attr.config, x->config, "'%s' #%zu config %#llx", c->spec, i,
			     (unsigned long long)e->attr.config);
		cr_expect_eq(flags_of(&e->attr), x->flags, "'%s' #%zu flags %#x, want %#x",
			     c->spec, i, flags_of(&e->attr), x->flags);
		cr_expect_eq(e->attr.precise_ip, (unsigned)x->precise, "'%s' #%zu precise %u",
			     c->spec, i, (unsigned)e->attr.precise_ip);
		cr_expect_eq(e->leader, x->leader, "'%s' #%zu leader %d, want %d", c->spec, i,
			     e->leader, x->leader);
	}
	pp_evlist__free(&l);
}

static const struct multi_case multi_cases[] = {
	{ "cycles,instructions", 2,
	  { { "cycles", HW, 0, 0, 0, 0 }, { "instructions", HW, 1, 0, 0, 1 } } },
	{ "{cycles,instructions}", 2,
	  { { "cycles", HW, 0, 0, 0, 0 }, { "instructions", HW, 1, 0, 0, 0 } } },
	{ "{cycles}", 1, { { "cycles", HW, 0, 0, 0, 0 } } },
	/* group modifiers apply to every member; names stay as typed */
	{ "{cycles,instructions}:u", 2,
	  { { "cycles", HW, 0, EK | EH, 0, 0 }, { "instructions", HW, 1, EK | EH, 0, 0 } } },
	{ "cs,{cycles,instructions}:u,faults", 4,
	  { { "cs", SW, 3, 0, 0, 0 },
	    { "cycles", HW, 0, EK | EH, 0, 1 },
	    { "instructions", HW, 1, EK | EH, 0, 1 },
	    { "faults", SW, 2, 0, 0, 3 } } },
	/* over a member's own u/k/h the group's letters add levels back,
	 * as in perf: cycles:k + u counts user and kernel */
	{ "{cycles:k,instructions}:u", 2,
	  { { "cycles:k", HW, 0, EH, 0, 0 }, { "instructions", HW, 1, EK | EH, 0, 0 } } },
	{ "{cycles:p,instructions}:p", 2,
	  { { "cycles:p", HW, 0, 0, 2, 0 }, { "instructions", HW, 1, 0, 1, 0 } } },
	{ "{task-clock/period=1000/,cs}:D", 2,
	  { { "task-clock/period=1000/", SW, 1, PIN, 0, 0 }, { "cs", SW, 3, PIN, 0, 0 } } },
	{ " cs , faults ", 2,
	  { { "cs", SW, 3, 0, 0, 0 }, { "faults", SW, 2, 0, 0, 1 } } },
	{ "{cs},{faults,cycles}", 3,
	  { { "cs", SW, 3, 0, 0, 0 }, { "faults", SW, 2, 0, 0, 1 },
	    { "cycles", HW, 0, 0, 0, 1 } } },
};

ParameterizedTestParameters(events, multi)
{
	return INDEX_PARAMS(multi_cases);
}

ParameterizedTest(size_t *i, events, multi)
{
	check_multi(&multi_cases[*i]);
}

/* ---- errors ------------------------------------------------------------ */

struct err_case {
	const char *spec;
	const char *want; /* substring of the message */
};

static void check_error(const struct err_case *c)
{
	struct pp_evlist l = { 0 };
	char err[512] = "";
	int rc = pp_evlist__parse(&l, c->spec, err, sizeof(err));

	cr_assert_eq(rc, -EINVAL, "'%s': rc %d, want -EINVAL (%s)", c->spec, rc, err);
	cr_expect_eq(l.n, 0, "'%s': a failed parse left %zu events", c->spec, l.n);
	cr_expect(strstr(err, c->want) != NULL, "'%s': message \"%s\" lacks \"%s\"", c->spec,
		  err, c->want);
	cr_expect(strchr(err, '\n') == NULL, "'%s': message is not one line", c->spec);
	pp_evlist__free(&l);
}

static const struct err_case invalid_cases[] = {
	{ "instrutions", "unknown event 'instrutions': did you mean 'instructions'?" },
	{ "cycels", "did you mean 'cycles'" },
	{ "cache-miss", "did you mean 'cache-misses'" },
	{ "LLC-load-mises", "did you mean 'LLC-load-misses'" },
	{ "instrutions:u", "unknown event 'instrutions:u': did you mean 'instructions'?" },
	{ "task-clok", "did you mean 'task-clock'" },
	{ "cache-ref", "did you mean 'cache-references'?" },
	{ "stalled-cycles", "did you mean 'stalled-cycles-frontend' or 'stalled-cycles-backend'?" },
	{ "cpu-", "did you mean 'cpu-cycles', 'cpu-clock' or 'cpu-migrations'?" },
	{ "zzzzzzzzzz", "unknown event 'zzzzzzzzzz'" },
	{ "", "empty event list" },
	{ "   ", "empty event list" },
	{ "cycles,,instructions", "empty event" },
	{ "cycles,", "empty event" },
	{ ",cycles", "empty event" },
	{ "{cycles", "unbalanced braces" },
	{ "cycles}", "unbalanced braces" },
	{ "cycles{", "unbalanced braces" },
	{ "{cycles,{instructions}}", "nested groups" },
	{ "{}", "empty group" },
	{ "{cycles}x", "unexpected 'x' after group" },
	{ "{cycles}:q", "unknown modifier 'q' in '{cycles}:q'" },
	{ "{cycles:pp}:pp", "too many 'p'" },
	{ "{cycles,bogus}", "unknown event 'bogus'" },
	{ "cycles:q", "unknown modifier 'q' in 'cycles:q' (valid: u k h G H I p pp ppp D)" },
	{ "cycles:uu", "repeated modifier 'u'" },
	{ "cycles:pppp", "too many 'p'" },
	{ "r0x10", "bad raw event 'r0x10'" },
	{ "r12g", "bad raw event 'r12g'" },
	{ "r12345678901234567", "more than 16 hex digits" },
	{ "rxyz", "unknown event 'rxyz'" },
	{ "task-clock/period=0/", "period must be greater than 0" },
	{ "task-clock/period=abc/", "bad number 'abc' for term 'period'" },
	{ "task-clock/period=-5/", "bad number '-5'" },
	{ "task-clock/period=99999999999999999999/", "bad number" },
	{ "task-clock/period/", "term 'period' needs a value" },
	{ "task-clock/period=/", "term 'period' needs a value" },
	{ "task-clock/foo=1/", "unknown term 'foo'" },
	{ "task-clock/period=1", "missing closing '/'" },
	{ "task-clock/a/b/", "unexpected '/'" },
	{ "/period=1/", "missing PMU or event name" },
	{ "cycles/period=1/q", "unknown modifier 'q'" },
	{ "iTLB-stores", "iTLB has no store events" },
	{ "L1-icache-stores", "L1-icache has no store events" },
	{ ".hidden/event=1/", "bad PMU name" },
	{ "nosuchpmu/event=1/", "PMU 'nosuchpmu' not found on this machine" },
	{ "cycles\x01", "invalid byte 0x01" },
	{ "cycles\xff", "invalid byte 0xff" },
	{ "INST_RETIRED:BOGUS_UMASK_ZZ", "INST_RETIRED:BOGUS_UMASK_ZZ" },
};

ParameterizedTestParameters(events, invalid)
{
	return INDEX_PARAMS(invalid_cases);
}

ParameterizedTest(size_t *i, events, invalid)
{
	check_error(&invalid_cases[*i]);
}

Test(events, too_long_event_is_refused)
{
	char spec[600];
	struct err_case c = { spec, "too long" };

	memset(spec, 'a', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = '\0';
	check_error(&c);
}

Test(events, failed_parse_leaves_list_unchanged)
{
	struct pp_evlist l = { 0 };
	char err[256];

	cr_assert_eq(pp_evlist__parse(&l, "cs", err, sizeof(err)), 0);
	cr_assert_eq(pp_evlist__parse(&l, "faults,{cycles,bogus}", err, sizeof(err)), -EINVAL);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.ev[0].name, "cs");
	/* appending keeps leaders as indexes into the whole list */
	cr_assert_eq(pp_evlist__parse(&l, "{faults,cycles}", err, sizeof(err)), 0);
	cr_assert_eq(l.n, 3);
	cr_expect_eq(l.ev[1].leader, 1);
	cr_expect_eq(l.ev[2].leader, 1);
	pp_evlist__free(&l);
}

Test(events, error_buffer_may_be_small_or_absent)
{
	struct pp_evlist l = { 0 };
	char err[8];

	cr_expect_eq(pp_evlist__parse(&l, "bogus", NULL, 0), -EINVAL);
	memset(err, 'x', sizeof(err));
	cr_expect_eq(pp_evlist__parse(&l, "bogus", err, sizeof(err)), -EINVAL);
	cr_expect_eq(strnlen(err, sizeof(err)), sizeof(err) - 1, "message not terminated");
	cr_expect_eq(pp_evlist__parse(NULL, "cs", err, sizeof(err)), -EINVAL);
	cr_expect_eq(pp_evlist__parse(&l, NULL, err, sizeof(err)), -EINVAL);
	cr_expect_eq(l.n, 0);
	pp_evlist__free(&l);
}

/* Hostile input must give 0 or -EINVAL with a terminated one-line
 * message, never a crash; a fixed seed keeps the test repeatable (the
 * real fuzzing lives in tests/fuzz). */
Test(events, random_input_never_crashes)
{
	static const char alphabet[] = "{},:/=upkDGHIr0x1cC-_.aAyz \t\x01\xff";
	unsigned seed = 12345;
	char spec[96], err[256];
	int i;

	for (i = 0; i < 1500; i++) {
		struct pp_evlist l = { 0 };
		size_t len, k;
		int rc;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % (sizeof(spec) - 1);
		for (k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			spec[k] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		spec[len] = '\0';
		err[0] = '\0';
		rc = pp_evlist__parse(&l, spec, err, sizeof(err));
		cr_assert(rc == 0 || rc == -EINVAL, "rc %d for input #%d", rc, i);
		if (rc)
			cr_assert(err[0] && !strchr(err, '\n'), "bad message for input #%d", i);
		pp_evlist__free(&l);
	}
}

/* ---- defaults, free ----------------------------------------------------- */

Test(events, defaults_are_perf_stat_plus_cache_events)
{
	static const char *const want[] = {
		"task-clock", "context-switches", "cpu-migrations", "page-faults", "cycles",
		"instructions", "cache-references", "cache-misses", "branches", "branch-misses",
	};
	struct pp_evlist l = { 0 };
	size_t i;

	cr_assert_eq(pp_evlist__add_defaults(&l), 0);
	cr_assert_eq(l.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < l.n; i++) {
		cr_expect_str_eq(l.ev[i].name, want[i]);
		cr_expect_eq(l.ev[i].leader, (int)i);
		cr_expect_eq(l.ev[i].attr.size, sizeof(struct perf_event_attr));
	}
	cr_expect_str_eq(l.ev[0].unit, "msec");
	cr_expect_eq(l.ev[0].attr.type, PERF_TYPE_SOFTWARE);
	cr_expect_eq(l.ev[5].attr.type, PERF_TYPE_HARDWARE);
	cr_expect_eq(l.ev[5].attr.config, PERF_COUNT_HW_INSTRUCTIONS);
	pp_evlist__free(&l);
}

Test(events, free_zeroes_the_list)
{
	struct pp_evlist l = { 0 };
	char err[256];

	cr_assert_eq(pp_evlist__parse(&l, "cs,faults", err, sizeof(err)), 0);
	pp_evlist__free(&l);
	cr_expect_null(l.ev);
	cr_expect_eq(l.n, 0);
	cr_expect_eq(l.cap, 0);
	pp_evlist__free(&l); /* twice is harmless */
	pp_evlist__free(NULL);
}

/* ---- libpfm4 ------------------------------------------------------------ */

/* libpfm4's perf PMU with default privilege PLM0|PLM3.  libpfm4 excludes
 * the guest by default; whether it sets exclude_hv depends on the PMU it
 * detects (it does natively here, not under valgrind's CPUID), so EH is
 * left out of the comparison where libpfm4 decides it. */
static const struct ev_case libpfm_cases[] = {
	EV("perf::instructions", HW, PERF_COUNT_HW_INSTRUCTIONS, .flags = EGUEST, .ignore = EH),
	EV("perf::cycles", HW, PERF_COUNT_HW_CPU_CYCLES, .flags = EGUEST, .ignore = EH),
	EV("perf::task-clock", SW, PERF_COUNT_SW_TASK_CLOCK, .flags = EGUEST, .ignore = EH,
	   .unit = "msec"),
	EV("perf::PERF_COUNT_HW_CACHE_MISSES", HW, PERF_COUNT_HW_CACHE_MISSES, .flags = EGUEST,
	   .ignore = EH),
	/* libpfm4's own u wins over perf's reading of the last field */
	EV("perf::instructions:u", HW, 1, .flags = EK | EGUEST, .ignore = EH),
	EV("perf::instructions:precise=2", HW, 1, .flags = EGUEST, .ignore = EH, .precise = 2),
	/* refused by libpfm4, so "uk" and "pp" are perf modifiers */
	EV("perf::instructions:uk", HW, 1, .flags = EH | EGUEST),
	EV("perf::cycles:pp", HW, 0, .flags = EGUEST, .ignore = EH, .precise = 2),
	/* perf rejects this; libpfm4 reads its own u and k */
	EV("cycles:u:k", HW, 0, .flags = EGUEST, .ignore = EH),
};

ParameterizedTestParameters(libpfm, generic)
{
	return INDEX_PARAMS(libpfm_cases);
}

ParameterizedTest(size_t *i, libpfm, generic)
{
	cr_assert_eq(pp_events__init(), 0, "libpfm4 did not initialise");
	check_one(&libpfm_cases[*i]);
}

/* meson's test env sets LIBPFM_FORCE_PMU to the empty string, which
 * libpfm4 4.13 takes as "force the first PMU in the table" (netburst),
 * losing the perf PMU. */
Test(libpfm, empty_force_variable_means_not_forced)
{
	struct ev_case c = EV("perf::instructions", HW, 1, .flags = EGUEST, .ignore = EH);

	setenv("LIBPFM_FORCE_PMU", "", 1);
	cr_assert_eq(pp_events__init(), 0);
	check_one(&c);
	cr_expect_str_eq(getenv("LIBPFM_FORCE_PMU"), "", "the variable was not restored");
}

/* Criterion runs every test in its own process, so forcing a PMU here
 * does not leak into the other tests. */
Test(libpfm, forced_skylake)
{
	static const struct ev_case cases[] = {
		EV("INST_RETIRED:ANY_P", RAW, 0xc0, .flags = EGUEST),
		EV("skl::INST_RETIRED:ANY_P", RAW, 0xc0, .flags = EGUEST),
		EV("INST_RETIRED:ANY_P:c=2", RAW, 0x20000c0, .flags = EGUEST),
		EV("INST_RETIRED:ANY_P:u", RAW, 0xc0, .flags = EK | EGUEST),
		EV("INST_RETIRED:ANY_P:uk", RAW, 0xc0, .flags = EH | EGUEST),
		EV("INST_RETIRED:ANY_P:pp", RAW, 0xc0, .flags = EGUEST, .precise = 2),
		EV("INST_RETIRED:ANY_P:period=1000", RAW, 0xc0, .flags = EGUEST, .period = 1000),
	};
	static const struct err_case errors[] = {
		{ "INST_RETIRD:ANY_P", "did you mean 'INST_RETIRED'?" },
		{ "INST_RETIRED:FOO", "cannot encode 'INST_RETIRED:FOO' with libpfm4" },
	};
	size_t i;

	setenv("LIBPFM_FORCE_PMU", "skl", 1);
	cr_assert_eq(pp_events__init(), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_one(&cases[i]);
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		check_error(&errors[i]);
}

Test(libpfm, unknown_model_event_names_the_pmus_seen)
{
	struct err_case c = { "INST_RETIRED:ANY_P", "LIBPFM_FORCE_PMU" };
	struct pp_evlist l = { 0 };
	char err[512];

	cr_assert_eq(pp_events__init(), 0);
	/* skip where the host really is an Intel model that has this event */
	if (pp_evlist__parse(&l, c.spec, err, sizeof(err)) == 0) {
		pp_evlist__free(&l);
		cr_skip_test("this CPU's libpfm4 PMU knows INST_RETIRED:ANY_P");
	}
	check_error(&c);
}

/* ---- listing ------------------------------------------------------------ */

struct seen {
	const char *name, *category;
	int found, count, desc_ok;
};

static void collect(const char *name, const char *category, const char *desc, void *ctx)
{
	struct seen *s;

	for (s = ctx; s->name; s++) {
		s->count++;
		if (!strcmp(name, s->name) && !strcmp(category, s->category)) {
			s->found++;
			s->desc_ok = desc && *desc && !strchr(desc, '\n');
		}
	}
}

Test(events, foreach_lists_generic_and_libpfm4_names)
{
	struct seen want[] = {
		{ .name = "task-clock", .category = "Software event" },
		{ .name = "instructions", .category = "Hardware event" },
		{ .name = "cycles", .category = "Hardware event" },
		{ .name = "L1-dcache-load-misses", .category = "Hardware cache event" },
		{ .name = "LLC-loads", .category = "Hardware cache event" },
		{ .name = "perf::INSTRUCTIONS", .category = "libpfm4 perf" },
		{ .name = NULL },
	};
	size_t i;

	cr_assert_eq(pp_events__foreach(collect, want), 0);
	for (i = 0; want[i].name; i++) {
		cr_expect_eq(want[i].found, 1, "'%s' (%s) listed %d times", want[i].name,
			     want[i].category, want[i].found);
		cr_expect(want[i].desc_ok, "'%s' has no one-line description", want[i].name);
	}
	cr_expect_eq(pp_events__foreach(NULL, NULL), -EINVAL);
}

Test(events, foreach_lists_forced_pmu)
{
	struct seen want[] = {
		{ .name = "skl::INST_RETIRED", .category = "libpfm4 skl" },
		{ .name = NULL },
	};

	setenv("LIBPFM_FORCE_PMU", "skl", 1);
	cr_assert_eq(pp_events__foreach(collect, want), 0);
	cr_expect_eq(want[0].found, 1);
}

/* ---- PMU terms through a fake sysfs ------------------------------------ */

static char fake_root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bus/event_source/devices/%s", fake_root, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f, "cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *rel)
{
	char path[256], *p;

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	for (p = path + strlen(fake_root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
}

/* Formats as on Intel (arch/x86/events/intel/core.c) and AMD
 * (arch/x86/events/amd/core.c, event split over two ranges). */
static void fake_sysfs_setup(void)
{
	snprintf(fake_root, sizeof(fake_root), "/tmp/pyperf-test-sysfs-XXXXXX");
	cr_assert_not_null(mkdtemp(fake_root));
	mkdirs("bus/event_source/devices/cpu/format");
	mkdirs("bus/event_source/devices/cpu/events");
	put("cpu/type", "4\n");
	put("cpu/format/event", "config:0-7\n");
	put("cpu/format/umask", "config:8-15\n");
	put("cpu/format/edge", "config:18\n");
	put("cpu/format/any", "config:21\n");
	put("cpu/format/inv", "config:23\n");
	put("cpu/format/cmask", "config:24-31\n");
	put("cpu/format/ldlat", "config1:0-15\n");
	put("cpu/events/inst_retired.any", "event=0xc0,umask=0x01\n");
	put("cpu/events/nested", "event=0x3c,inst_retired.any\n");
	mkdirs("bus/event_source/devices/amdlike/format");
	put("amdlike/type", "11\n");
	put("amdlike/format/event", "config:0-7,32-35\n");
	put("amdlike/format/umask", "config:8-15\n");
	mkdirs("bus/event_source/devices/badfmt/format");
	put("badfmt/type", "12\n");
	put("badfmt/format/event", "config:zz\n");
	mkdirs("bus/event_source/devices/notype");
	setenv("PYPERF_SYSFS_ROOT", fake_root, 1);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void fake_sysfs_teardown(void)
{
	unsetenv("PYPERF_SYSFS_ROOT");
	if (fake_root[0])
		nftw(fake_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const struct ev_case sysfs_valid_cases[] = {
	EV("cpu/event=0xc0,umask=0x01/", 4, 0x1c0),
	EV("cpu/event=0x3c,cmask=1,inv,edge/", 4, 0x3c | 1 << 24 | 1 << 23 | 1 << 18),
	EV("cpu/inst_retired.any/", 4, 0x1c0),
	EV("cpu/inst_retired.any,period=100003/u", 4, 0x1c0, .flags = EK | EH, .period = 100003),
	EV("cpu/event=0xc0,umask=0x01/:k", 4, 0x1c0, .flags = EU | EH),
	EV("cpu/event=0xcd,umask=0x1,ldlat=3/pp", 4, 0x1cd, .flags = 0, .precise = 2, .config1 = 3),
	EV("cpu/config=0x1234,config1=5/", 4, 0x1234, .config1 = 5),
	EV("cpu/ event=0xc0 , umask=1 /", 4, 0x1c0),
	EV("cpu/event=0xc0,umask=0x01,name=retired/", 4, 0x1c0, .name = "retired"),
	EV("cpu//", 4, 0),
	EV("amdlike/event=0x1c0,umask=2/", 11, 0xc0 | 0x200 | 1ULL << 32),
};

ParameterizedTestParameters(sysfs, valid)
{
	return INDEX_PARAMS(sysfs_valid_cases);
}

ParameterizedTest(size_t *i, sysfs, valid, .init = fake_sysfs_setup,
		  .fini = fake_sysfs_teardown)
{
	check_one(&sysfs_valid_cases[*i]);
}

static const struct err_case sysfs_invalid_cases[] = {
	{ "cpu/umask=0x100/", "value 0x100 too big for term 'umask' of PMU 'cpu' (max 0xff)" },
	{ "cpu/foo=1/", "unknown term 'foo'" },
	{ "cpu/foo=1/", "cmask" }, /* the valid terms are listed */
	{ "cpu/event=zz/", "bad number 'zz'" },
	{ "cpu/event=1,,umask=1/", "empty term" },
	{ "cpu/event=0xc0", "missing closing '/'" },
	{ "cpu/nested/", "unknown term 'inst_retired.any'" }, /* aliases expand once */
	{ "cpu/name=/", "needs a value" },
	{ "nope/event=1/", "PMU 'nope' not found on this machine" },
	{ "notype/event=1/", "PMU 'notype' not found on this machine" },
	{ "badfmt/event=1/", "cannot parse" },
	{ "{cpu/event=0xc0,umask=0x01/,cycles", "unbalanced braces" },
};

ParameterizedTestParameters(sysfs, invalid)
{
	return INDEX_PARAMS(sysfs_invalid_cases);
}

ParameterizedTest(size_t *i, sysfs, invalid, .init = fake_sysfs_setup,
		  .fini = fake_sysfs_teardown)
{
	check_error(&sysfs_invalid_cases[*i]);
}

Test(sysfs, commas_inside_terms_do_not_split_events, .init = fake_sysfs_setup,
     .fini = fake_sysfs_teardown)
{
	struct multi_case c = {
		"{cpu/event=0xc0,umask=0x01/,cycles}:u,cpu/event=0x3c/", 3,
		{ { "cpu/event=0xc0,umask=0x01/", 4, 0x1c0, EK | EH, 0, 0 },
		  { "cycles", HW, 0, EK | EH, 0, 0 },
		  { "cpu/event=0x3c/", 4, 0x3c, 0, 0, 2 } },
	};

	check_multi(&c);
}

/* ---- the real sysfs ------------------------------------------------------ */

static int have_pmu(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", name);
	return access(path, R_OK) == 0;
}

Test(sysfs, real_cpu_pmu)
{
	struct ev_case c = EV("cpu/event=0xc0,umask=0x01/", 4, 0x1c0);

	if (!have_pmu("cpu"))
		cr_skip_test("no /sys/bus/event_source/devices/cpu on this machine (no hardware PMU)");
	check_one(&c);
}

Test(sysfs, real_cpu_pmu_absent_is_a_clear_error)
{
	struct err_case c = { "cpu/event=0xc0,umask=0x01/", "PMU 'cpu' not found on this machine" };

	if (have_pmu("cpu"))
		cr_skip_test("this machine has a cpu PMU");
	check_error(&c);
}

Test(sysfs, real_software_pmu)
{
	struct ev_case c = EV("software/config=3/", SW, PERF_COUNT_SW_CONTEXT_SWITCHES);

	if (!have_pmu("software"))
		cr_skip_test("no /sys/bus/event_source/devices/software");
	check_one(&c);
}
