/* cli: option parsing, target resolution, runs, and the report's
 * destination.  Everything the user reads that is not the report itself
 * (errors, hints) is printed from here, on stderr, prefixed
 * "pyperf-stat: ". */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pp_config.h"
#include "pyperf/cli.h"
#include "pyperf/collect.h"
#include "pyperf/diff.h"
#include "pyperf/counter.h"
#include "pyperf/events.h"
#include "pyperf/export.h"
#include "pyperf/export_html.h"
#include "pyperf/launcher.h"
#include "pyperf/log.h"
#include "pyperf/profile.h"
#include "pyperf/profile_file.h"
#include "pyperf/report.h"
#include "pyperf/runs.h"

/* Default sampling rate: see docs/design.md ("Sampling rate") for the
 * measurement behind it. */
#define DEFAULT_FREQ_HZ 1000
#define DEFAULT_DEPTH 128
#define DEFAULT_TOP 20
/* What one sample costs the target: kernel overflow and signal delivery
 * plus the agent's handler, measured by scripts/bench on the project's
 * KVM machines (docs/benchmarks.md); bare metal is several times cheaper,
 * so the report's overhead figure is an upper estimate there. */
#define COST_PER_SAMPLE_US 20.0

/* Nominal events per second used to turn -F HZ into a fixed period for
 * counting (non-clock) events: fixed periods keep "samples x period" an
 * unbiased estimate, which the kernel's frequency mode would not. */
#define NOMINAL_EVENTS_PER_SEC 3e9

/* Distinct stacks the launcher keeps before folding new ones (see
 * pp_profile.max_stacks): with folded ones at most twice this many, a few
 * hundred bytes each, so the launcher stays under about 400 MB however
 * long the run.  85 threads calling 10,000 functions at 10 kHz reach it
 * in under a minute (scripts/bench --at-scale); at 1 kHz they do not. */
#define MAX_STACKS (1u << 19)

enum { MODE_STAT, MODE_RECORD, MODE_REPORT };

#define DEFAULT_RECORD_FILE "pyperf.data"

struct options {
	struct pp_evlist events;
	int events_given;
	const char *sep;
	int json;
	int repeat;
	const char *output;
	const char *save;        /* --save FILE, or record's -o */
	const char *collapsed;
	const char *pprof;
	const char *html;
	int mode;                /* MODE_STAT, MODE_RECORD, MODE_REPORT */
	long freq;
	uint64_t period;
	const char *python;
	int top;
	const char *sort;
	int lines;
	int per_thread;
	int per_process;
	int no_attribution;
	int depth;
	int signal_fallback;
	int native;
	int exact;
	int color;           /* -1 auto */
	int verbose;
};

static int verbose;

static void log_to_stderr(enum pp_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == PP_LOG_DEBUG && verbose < 2)
		return;
	if (level == PP_LOG_INFO && verbose < 1)
		return;
	fprintf(stderr, "pyperf-stat: %s%s\n",
		level == PP_LOG_ERROR ? "error: " :
		level == PP_LOG_WARN ? "warning: " : "", msg);
}

static const char usage_text[] =
"Usage: pyperf-stat [options] [--] SCRIPT.py [ARGS...]\n"
"       pyperf-stat [options] -- COMMAND [ARGS...]\n"
"       pyperf-stat list\n"
"       pyperf-stat --check\n"
"\n"
"Runs a Python script (with python3 from PATH, --python, or its #! line)\n"
"or any command, and prints perf stat's counter totals followed by the\n"
"same counters per Python function.  The report goes to stderr.\n"
"\n"
"Counting (as perf stat):\n"
"  -e, --event EVENTS        events to count, comma separated, repeatable:\n"
"                            perf names (cycles, task-clock, cache-misses:u,\n"
"                            {cycles,instructions}, r00c0, pmu/config=../)\n"
"                            or libpfm4 names (INST_RETIRED:ANY_P)\n"
"  -r, --repeat N            run N times; print mean and ( +- x.xx% )\n"
"  -x, --field-separator SEP CSV output with SEP between fields\n"
"  -j, --json                one JSON object per line\n"
"  -o, --output FILE         write the report to FILE instead of stderr\n"
"\n"
"Attribution (per Python function and line):\n"
"  -F, --freq HZ             samples per second of each sampled event\n"
"                            (default 1000)\n"
"  -c, --count PERIOD        sample every PERIOD events (ns for clocks)\n"
"      --top N               functions shown (default 20, 0 = all)\n"
"      --sort EVENT          sort by this sampled event (default: the first)\n"
"      --lines               break each function down by source line\n"
"      --per-thread          one row per function and thread\n"
"      --per-process         one row per function and process\n"
"      --native              show native functions (C extensions, numpy,\n"
"                            libpython) under the Python line calling them\n"
"      --depth N             Python frames kept per sample (default 128)\n"
"      --exact               read the counters at every Python call and\n"
"                            return instead of sampling: exact per-function\n"
"                            counts and call counts, at a higher cost\n"
"      --no-attribution      count totals only; do not load the agent\n"
"      --signal-fallback     use per-thread F_SETOWN_EX signals instead of\n"
"                            sigtrap (what kernels before 5.13 need)\n"
"\n"
"Saving and exporting:\n"
"      --save FILE           also save the profile to FILE (see report)\n"
"      --collapsed FILE      folded stacks for flamegraph.pl / speedscope\n"
"                            (FILE for the first sampled event, FILE.EVENT\n"
"                            for the others)\n"
"      --pprof FILE          gzipped pprof profile.proto, one sample type\n"
"                            per event (go tool pprof, Pyroscope, Parca)\n"
"      --html FILE           self-contained interactive flame graph\n"
"\n"
"Other:\n"
"      --python PATH         interpreter for SCRIPT (default: python3 on PATH)\n"
"      --color WHEN          auto, always or never (NO_COLOR is honoured)\n"
"      --check               diagnose this machine and exit\n"
"  -v, --verbose             say more about what happens (twice: debug)\n"
"  -h, --help                show this help and exit\n"
"  -V, --version             show the version and exit\n"
"\n"
"Commands:\n"
"  list                      list the events this machine knows\n"
"  record [-o FILE] [options] SCRIPT.py [ARGS...]\n"
"                            run and save the profile to FILE (default\n"
"                            pyperf.data) without printing the report\n"
"  report [FILE] [options]   print the report of a saved profile; takes\n"
"                            the report and export options above\n"
"  diff BASE NEW [options]   compare two saved profiles; --fail-if RULE\n"
"                            fails on regressions (pyperf-stat diff --help)\n"
"\n"
"Exit status: the target's own, 128+N when it died of signal N, 2 on a\n"
"usage error, 126/127 when the target cannot be run.\n"
"See pyperf-stat(1) and docs/ for more.\n";

enum {
	OPT_PYTHON = 1000,
	OPT_TOP,
	OPT_SORT,
	OPT_LINES,
	OPT_PER_THREAD,
	OPT_PER_PROCESS,
	OPT_DEPTH,
	OPT_NO_ATTRIBUTION,
	OPT_SIGNAL_FALLBACK,
	OPT_COLOR,
	OPT_CHECK,
	OPT_SAVE,
	OPT_COLLAPSED,
	OPT_PPROF,
	OPT_HTML,
	OPT_NATIVE,
	OPT_EXACT,
};

static const struct option long_options[] = {
	{ "event", required_argument, NULL, 'e' },
	{ "repeat", required_argument, NULL, 'r' },
	{ "field-separator", required_argument, NULL, 'x' },
	{ "json", no_argument, NULL, 'j' },
	{ "output", required_argument, NULL, 'o' },
	{ "freq", required_argument, NULL, 'F' },
	{ "count", required_argument, NULL, 'c' },
	{ "python", required_argument, NULL, OPT_PYTHON },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "lines", no_argument, NULL, OPT_LINES },
	{ "per-thread", no_argument, NULL, OPT_PER_THREAD },
	{ "per-process", no_argument, NULL, OPT_PER_PROCESS },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "no-attribution", no_argument, NULL, OPT_NO_ATTRIBUTION },
	{ "signal-fallback", no_argument, NULL, OPT_SIGNAL_FALLBACK },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "colour", required_argument, NULL, OPT_COLOR },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "collapsed", required_argument, NULL, OPT_COLLAPSED },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "native", no_argument, NULL, OPT_NATIVE },
	{ "exact", no_argument, NULL, OPT_EXACT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Parses a whole decimal number in [min, max]; 0 or -EINVAL. */
static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int bad_number(const char *opt, const char *val, const char *what)
{
	pp_cli_say("invalid %s '%s': expected %s", opt, val, what);
	return PP_EXIT_USAGE;
}

/* ---- locating things ---- */

static char exe_dir[PATH_MAX];

static const char *self_dir(void)
{
	ssize_t n;
	char *slash;

	if (exe_dir[0])
		return exe_dir;
	n = readlink("/proc/self/exe", exe_dir, sizeof(exe_dir) - 1);
	if (n <= 0)
		return NULL;
	exe_dir[n] = 0;
	slash = strrchr(exe_dir, '/');
	if (slash)
		*slash = 0;
	return exe_dir;
}

static int has_agent(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/libpyperf-agent.so", dir) >= (int)sizeof(path))
		return 0;
	if (access(path, R_OK) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/bootstrap/sitecustomize.py", dir);
	return access(path, R_OK) == 0;
}

/* The agent's directory: $PYPERF_AGENT_DIR, else beside the binary in a
 * build tree (src/agent/), else the libdir relative to the binary (an
 * install prefix, moved or not, or a wheel's environment), else the
 * configured install libdir.  The binary's own prefix comes before the
 * configured one so that a staged or venv copy never loads another
 * install's agent. */
const char *pp_cli_agent_dir(void)
{
	static char found[PATH_MAX];
	static const char *const rel[] = { "agent", PP_AGENT_RELDIR };
	const char *env = getenv("PYPERF_AGENT_DIR");
	const char *dir = self_dir();
	size_t i;

	if (env && *env)
		return has_agent(env) ? env : NULL;
	if (found[0])
		return found;
	for (i = 0; dir && i < sizeof(rel) / sizeof(rel[0]); i++) {
		if ((size_t)snprintf(found, sizeof(found), "%s/%s", dir, rel[i]) < sizeof(found) &&
		    has_agent(found))
			return found;
	}
	if (has_agent(PP_LIBDIR) &&
	    (size_t)snprintf(found, sizeof(found), "%s", PP_LIBDIR) < sizeof(found))
		return found;
	found[0] = 0;
	return NULL;
}

/* Looks NAME up in PATH like execvp would; returns a malloc'd path. */
static char *which(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	const char *p, *colon;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = colon + 1) {
		size_t len;
		struct stat st;

		colon = strchr(p, ':');
		len = colon ? (size_t)(colon - p) : strlen(p);
		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)len,
			     len ? p : ".", name) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0 && stat(buf, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return strdup(buf);
		if (!colon)
			return NULL;
	}
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Whether PATH starts with the LEN bytes MAGIC. */
static int starts_with_bytes(const char *path, const char *magic, size_t len)
{
	char buf[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || len > sizeof(buf)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	n = read(fd, buf, len);
	close(fd);
	return n == (ssize_t)len && !memcmp(buf, magic, len);
}

static int has_shebang(const char *path)
{
	return starts_with_bytes(path, "#!", 2);
}

static int is_elf(const char *path)
{
	return starts_with_bytes(path, "\177ELF", 4);
}

static char **copy_argv(int argc, char **argv, const char *argv0)
{
	char **av = calloc((size_t)argc + 2, sizeof(*av));
	int i, off = argv0 ? 1 : 0;

	if (!av)
		return NULL;
	if (argv0)
		av[0] = (char *)argv0;
	for (i = 0; i < argc; i++)
		av[i + off] = argv[i];
	return av;
}

/* Builds the argv to exec from the user's positional arguments:
 *  - with --python, the first argument is a script for that interpreter;
 *  - an executable file with a #! line, an ELF binary, or any executable
 *    that is not *.py runs as the kernel would run it;
 *  - any other existing file is a Python script for python3 from PATH;
 *  - a missing path (with a slash, or *.py) is an error; a bare name is a
 *    command from PATH ("-- python3.12 -m mod").
 * Returns 0, or an exit status after saying why. */
static int resolve_target(const struct options *o, int argc, char **argv,
			  char ***out_argv, char **out_path)
{
	static char dot[PATH_MAX];
	const char *t = argv[0], *py;
	struct stat st;
	char *found;
	int exists = stat(t, &st) == 0;

	if (!o->python && !exists && !strchr(t, '/') && !ends_with(t, ".py")) {
		*out_path = which(t);
		if (!*out_path) {
			pp_cli_say("cannot run '%s': command not found", t);
			return PP_EXIT_NOT_FOUND;
		}
		*out_argv = copy_argv(argc, argv, NULL);
		return *out_argv ? 0 : 1;
	}
	if (!exists) {
		pp_cli_say("cannot open script '%s': %s", t, strerror(errno));
		return PP_EXIT_USAGE;
	}
	if (S_ISDIR(st.st_mode)) {
		pp_cli_say("'%s' is a directory: give a script or, after --, a command", t);
		return PP_EXIT_USAGE;
	}
	if (access(t, R_OK) != 0 && !(access(t, X_OK) == 0 && is_elf(t))) {
		pp_cli_say("cannot read script '%s': %s (check its permissions)",
			t, strerror(errno));
		return PP_EXIT_USAGE;
	}
	if (!o->python && access(t, X_OK) == 0 &&
	    (has_shebang(t) || is_elf(t) || !ends_with(t, ".py"))) {
		/* argv[0] as a path, like a shell would show it */
		if (!strchr(t, '/')) {
			snprintf(dot, sizeof(dot), "./%s", t);
			t = dot;
		}
		*out_path = strdup(t);
		*out_argv = copy_argv(argc - 1, argv + 1, t);
		return *out_argv && *out_path ? 0 : 1;
	}

	py = o->python ? o->python : "python3";
	found = which(py);
	if (!found) {
		if (o->python)
			pp_cli_say("interpreter '%s' not found or not executable", py);
		else
			pp_cli_say("python3 not found on PATH: install Python 3 "
				"or give one with --python PATH");
		return PP_EXIT_NOT_FOUND;
	}
	*out_path = found;
	*out_argv = copy_argv(argc, argv, py);
	return *out_argv ? 0 : 1;
}

static char *join_argv(char *const *av)
{
	size_t len = 1, i;
	char *s;

	for (i = 0; av[i]; i++)
		len += strlen(av[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = 0;
	for (i = 0; av[i]; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, av[i]);
	}
	return s;
}

/* ---- sampling set-up ---- */

static int is_clock(const struct perf_event_attr *a)
{
	return a->type == PERF_TYPE_SOFTWARE &&
	       (a->config == PERF_COUNT_SW_TASK_CLOCK ||
		a->config == PERF_COUNT_SW_CPU_CLOCK);
}

/* Events that make no sense to sample for attribution. */
static int samplable(const struct perf_event_attr *a)
{
	if (a->type != PERF_TYPE_SOFTWARE)
		return 1;
	switch (a->config) {
	case PERF_COUNT_SW_DUMMY:
	case PERF_COUNT_SW_CPU_MIGRATIONS:
	case PERF_COUNT_SW_CONTEXT_SWITCHES:
		return 0;
	}
	return 1;
}

static uint64_t default_period(const struct options *o, const struct pp_event *ev)
{
	long hz = o->freq ? o->freq : DEFAULT_FREQ_HZ;

	if (ev->period)
		return ev->period;
	if (o->period)
		return o->period;
	if (is_clock(&ev->attr))
		return (uint64_t)(1e9 / (double)hz);
	if (ev->attr.type == PERF_TYPE_SOFTWARE)
		return 100; /* page faults and friends: rare events */
	if (ev->attr.type == PERF_TYPE_HARDWARE &&
	    (ev->attr.config == PERF_COUNT_HW_CACHE_MISSES ||
	     ev->attr.config == PERF_COUNT_HW_BRANCH_MISSES))
		return (uint64_t)(NOMINAL_EVENTS_PER_SEC / 1000.0 / (double)hz) + 1;
	if (ev->attr.type == PERF_TYPE_HW_CACHE)
		return (uint64_t)(NOMINAL_EVENTS_PER_SEC / 100.0 / (double)hz) + 1;
	return (uint64_t)(NOMINAL_EVENTS_PER_SEC / (double)hz);
}

/* Picks the events to sample: those of -e that can be sampled, or by
 * default task-clock plus cycles, instructions and cache-misses where
 * this machine has them.  Returns how many were put in OUT. */
static size_t pick_sampled(const struct options *o, struct pp_event *out,
			   size_t max, size_t *count_index)
{
	static const char *const wanted[] = { "task-clock", "cycles",
		"instructions", "cache-misses" };
	size_t n = 0, i, w;

	for (i = 0; i < o->events.n && n < max; i++) {
		const struct pp_event *ev = &o->events.ev[i];
		int want = 0;

		if (o->events_given) {
			/* --exact counts: context switches per function make sense */
			want = o->exact || samplable(&ev->attr);
		} else {
			for (w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++)
				if (!strcmp(ev->name, wanted[w]))
					want = 1;
		}
		if (!want || pp_counter__probe(&ev->attr, NULL) < 0)
			continue;
		out[n] = *ev;
		out[n].attr.sample_period = default_period(o, ev);
		out[n].period = out[n].attr.sample_period;
		count_index[n] = i;
		n++;
	}
	return n;
}

/* None of the chosen events can be sampled here (hardware events on a
 * machine without a PMU): attribute task-clock instead, as DESIGN.md's
 * "degrade, never fail silently" asks, and say so. It is not counted, so
 * its estimates are samples x period. Returns 1, or 0 if even that fails. */
static size_t fallback_task_clock(const struct options *o, struct pp_event *out,
				  size_t *count_index)
{
	struct pp_evlist tc = { 0 };
	char err[256];
	size_t n = 0;

	if (pp_evlist__parse(&tc, "task-clock", err, sizeof(err)) == 0 && tc.n == 1 &&
	    pp_counter__probe(&tc.ev[0].attr, NULL) == 0) {
		out[0] = tc.ev[0];
		out[0].attr.sample_period = default_period(o, &tc.ev[0]);
		out[0].period = out[0].attr.sample_period;
		count_index[0] = SIZE_MAX;
		n = 1;
		if (!o->sep && !o->json)
			pp_cli_say("none of the events can be sampled here: the per-function "
				"breakdown samples task-clock instead");
	}
	pp_evlist__free(&tc);
	return n;
}

/* ---- statistics over runs ---- */

struct run_stats {
	double *sum, *sumsq, *ena, *run;
	int *status;
	double el_sum, el_sumsq, user, sys;
	int runs;
};

static void stats_add(struct run_stats *s, const struct pp_launch_result *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pp_count *k = r->counter.count ? &r->counter.count[i] : NULL;
		int st = k ? (int)k->status : PP_COUNT_NOT_SUPPORTED;

		/* A counter that failed in any run reports that. */
		if (st > s->status[i])
			s->status[i] = st;
		if (!k || k->status != PP_COUNT_OK)
			continue;
		s->sum[i] += k->scaled;
		s->sumsq[i] += k->scaled * k->scaled;
		s->ena[i] += (double)k->enabled;
		s->run[i] += (double)k->running;
	}
	s->el_sum += r->elapsed_s;
	s->el_sumsq += r->elapsed_s * r->elapsed_s;
	s->user = (double)r->ru.ru_utime.tv_sec + r->ru.ru_utime.tv_usec / 1e6;
	s->sys = (double)r->ru.ru_stime.tv_sec + r->ru.ru_stime.tv_usec / 1e6;
	s->runs++;
}

static double sample_stddev(double sum, double sumsq, int n)
{
	double mean, var;

	if (n < 2)
		return 0;
	mean = sum / n;
	var = (sumsq - n * mean * mean) / (n - 1);
	return var > 0 ? sqrt(var) : 0;
}

/* ---- output ---- */

/* Renders FN into memory, then writes PATH through a temporary sibling
 * renamed into place only when complete (pp_file__write_atomic), so that
 * a full disk reports ENOSPC rather than what stdio makes of it, and no
 * reader ever sees half a file. 0 or -errno, after saying why. */
static int write_atomically(const char *path, int (*fn)(FILE *, const void *),
			    const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int ret;

	if (!mem) {
		ret = -errno;
		pp_cli_say("cannot write '%s': %s", path, strerror(errno));
		return ret;
	}
	ret = fn(mem, arg);
	if (fclose(mem) != 0 && !ret)
		ret = -ENOMEM;
	if (!ret)
		ret = pp_file__write_atomic(path, buf, len);
	if (ret)
		pp_cli_say("cannot write '%s': %s", path, strerror(-ret));
	free(buf);
	return ret;
}

struct report_job {
	const struct pp_report_data *d;
	struct pp_report_options ro;
};

static int report_to(FILE *out, const void *arg)
{
	const struct report_job *j = arg;

	return pp_report__write(out, j->d, &j->ro);
}

/* stderr is unbuffered: a table of thousands of rows would be a write()
 * per padding byte.  Render into memory, then write it at once. */
static int report_to_stderr(const struct report_job *j)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int ret;

	if (!mem) {
		ret = report_to(stderr, j);
		fflush(stderr);
		return ret;
	}
	ret = report_to(mem, j);
	if (fclose(mem) != 0 && ret == 0)
		ret = -ENOMEM;
	if (buf && len)
		fwrite(buf, 1, len, stderr);
	fflush(stderr);
	free(buf);
	return ret;
}

static int write_report(const struct options *o, const struct pp_report_data *d)
{
	struct report_job j = { .d = d };
	char cwd[PATH_MAX];
	int i;

	j.ro.sep = o->sep;
	j.ro.json = o->json;
	j.ro.top = o->top;
	j.ro.lines = o->lines;
	j.ro.sum_flags = (o->per_thread ? PP_SUM_PER_THREAD : 0) |
			 (o->per_process ? PP_SUM_PER_PROCESS : 0);
	j.ro.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : NULL;
	if (o->sort && d->profile) {
		for (i = 0; i < (int)d->profile->nevents; i++)
			if (!strcmp(d->profile->ev[i].name, o->sort))
				j.ro.sort_event = i;
	}
	j.ro.color = o->color >= 0 ? o->color :
		     (!o->output && !o->sep && !o->json && isatty(STDERR_FILENO));
	if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
		j.ro.color = 0;
	if (o->output)
		return write_atomically(o->output, report_to, &j);
	return report_to_stderr(&j);
}

struct collapsed_job {
	const struct pp_profile *p;
	int event;
};

static int collapsed_to(FILE *out, const void *arg)
{
	const struct collapsed_job *j = arg;

	return pp_export__collapsed(out, j->p, j->event);
}

static int html_to(FILE *out, const void *arg)
{
	return pp_export__html(out, arg);
}

/* The report, the saved profile and the exports the options ask for.
 * 0, or -1 when any of them could not be written (each said why). */
static int emit(const struct options *o, const struct pp_report_data *d)
{
	const struct pp_profile *p = d->profile;
	int failed = 0, ret;
	size_t e;

	if (o->mode != MODE_RECORD && write_report(o, d) < 0)
		failed = 1;
	if (o->save) {
		ret = pp_profile_file__save(o->save, d, PP_VERSION);
		if (ret < 0) {
			pp_cli_say("cannot save the profile to '%s': %s", o->save, strerror(-ret));
			failed = 1;
		} else if (o->mode == MODE_RECORD) {
			char what[64];

			/* samples really taken: <not sampled> is a remainder */
			if (p && p->exact && p->calls_event >= 0)
				snprintf(what, sizeof(what), "exact counts of %llu calls",
					 (unsigned long long)p->ev[p->calls_event].samples);
			else
				snprintf(what, sizeof(what), "%llu samples", p ?
					 (unsigned long long)(p->ev[0].samples -
							      pp_profile__unsampled(p, 0)) : 0ULL);
			fprintf(stderr, "pyperf-stat: saved the profile of '%s' to %s "
				"(%s); read it with: pyperf-stat report %s\n",
				d->command, o->save, what, o->save);
		}
	}
	if ((o->collapsed || o->pprof || o->html) && !p) {
		pp_cli_say("no per-function samples were collected: %s%s%s not written",
			o->collapsed ? "--collapsed " : "", o->pprof ? "--pprof " : "",
			o->html ? "--html" : "");
		return -1;
	}
	for (e = 0; o->collapsed && e < p->nevents; e++) {
		struct collapsed_job j = { p, (int)e };
		char path[PATH_MAX];

		if (pp_export__collapsed_path(path, sizeof(path), o->collapsed, p, (int)e) < 0 ||
		    write_atomically(path, collapsed_to, &j) < 0)
			failed = 1;
	}
	if (o->pprof) {
		ret = pp_export__pprof(o->pprof, d);
		if (ret < 0) {
			pp_cli_say("cannot write '%s': %s", o->pprof, strerror(-ret));
			failed = 1;
		}
	}
	if (o->html && write_atomically(o->html, html_to, d) < 0)
		failed = 1;
	return failed ? -1 : 0;
}

/* ---- subcommands ---- */

static void list_one(const char *name, const char *category, const char *desc,
		     void *ctx)
{
	const char **last = ctx;

	if (!*last || strcmp(*last, category)) {
		printf("\n%s:\n", category);
		*last = category;
	}
	if (desc && *desc)
		printf("  %-40s %s\n", name, desc);
	else
		printf("  %s\n", name);
}

static int cmd_list(void)
{
	const char *last = NULL;
	int ret;

	pp_events__init();
	ret = pp_events__foreach(list_one, &last);
	if (ret < 0) {
		pp_cli_say("cannot list events: %s", strerror(-ret));
		return 1;
	}
	printf("\nEvents marked here may still be <not supported> by this "
	       "machine's PMU: see pyperf-stat --check.\n");
	return 0;
}

/* ---- the main command ---- */

static int parse_options(struct options *o, int argc, char **argv, int *first_pos,
			 int mode)
{
	char err[512];
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->repeat = 1;
	o->top = DEFAULT_TOP;
	o->depth = DEFAULT_DEPTH;
	o->color = -1;
	o->mode = mode;
	opterr = 0;
	optind = 1;
	/* "+": options stop at the script, whose own options are its own;
	 * report takes its FILE anywhere. */
	while ((c = getopt_long(argc, argv, mode == MODE_REPORT ? "e:r:x:jo:F:c:vhV" :
				"+e:r:x:jo:F:c:vhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (pp_evlist__parse(&o->events, optarg, err, sizeof(err)) < 0) {
				pp_cli_say("%s", err);
				return PP_EXIT_USAGE;
			}
			o->events_given = 1;
			break;
		case 'r':
			if (parse_long(optarg, 1, 100000, &v) < 0)
				return bad_number("--repeat", optarg, "a number of runs >= 1");
			o->repeat = (int)v;
			break;
		case 'x':
			if (!*optarg) {
				pp_cli_say("-x needs a non-empty separator");
				return PP_EXIT_USAGE;
			}
			o->sep = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'F':
			if (parse_long(optarg, 1, 100000, &v) < 0)
				return bad_number("--freq", optarg, "samples per second, 1 to 100000");
			o->freq = v;
			break;
		case 'c':
			if (parse_long(optarg, 1, LONG_MAX, &v) < 0)
				return bad_number("--count", optarg, "a period >= 1");
			o->period = (uint64_t)v;
			break;
		case OPT_PYTHON:
			o->python = optarg;
			break;
		case OPT_TOP:
			if (parse_long(optarg, 0, INT_MAX, &v) < 0)
				return bad_number("--top", optarg, "a number of rows (0 = all)");
			o->top = (int)v;
			break;
		case OPT_SORT:
			o->sort = optarg;
			break;
		case OPT_LINES:
			o->lines = 1;
			break;
		case OPT_PER_THREAD:
			o->per_thread = 1;
			break;
		case OPT_PER_PROCESS:
			o->per_process = 1;
			break;
		case OPT_DEPTH:
			if (parse_long(optarg, 1, 1024, &v) < 0)
				return bad_number("--depth", optarg, "1 to 1024 frames");
			o->depth = (int)v;
			break;
		case OPT_NO_ATTRIBUTION:
			o->no_attribution = 1;
			break;
		case OPT_SIGNAL_FALLBACK:
			o->signal_fallback = 1;
			break;
		case OPT_COLOR:
			if (!strcmp(optarg, "always"))
				o->color = 1;
			else if (!strcmp(optarg, "never"))
				o->color = 0;
			else if (!strcmp(optarg, "auto"))
				o->color = -1;
			else {
				pp_cli_say("invalid --color '%s': expected auto, always or never", optarg);
				return PP_EXIT_USAGE;
			}
			break;
		case OPT_CHECK:
			*first_pos = -1;
			return 0;
		case OPT_SAVE:
			o->save = optarg;
			break;
		case OPT_COLLAPSED:
			o->collapsed = optarg;
			break;
		case OPT_PPROF:
			o->pprof = optarg;
			break;
		case OPT_HTML:
			o->html = optarg;
			break;
		case OPT_NATIVE:
			o->native = 1;
			break;
		case OPT_EXACT:
			o->exact = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			*first_pos = -2;
			return 0;
		case 'V':
			printf("pyperf-stat %s\n", PP_VERSION);
			*first_pos = -2;
			return 0;
		case '?':
		default:
			if (optopt && optopt < 256 && strchr("erxoFc", optopt))
				pp_cli_say("option -%c needs an argument", optopt);
			else if (optopt)
				pp_cli_say("unknown option -%c", optopt);
			else
				pp_cli_say("unknown or incomplete option '%s'", argv[optind - 1]);
			fputs("Try 'pyperf-stat --help'.\n", stderr);
			return PP_EXIT_USAGE;
		}
	}
	if (o->sep && o->json) {
		pp_cli_say("-x and -j choose different formats: give one of them");
		return PP_EXIT_USAGE;
	}
	if (mode == MODE_RECORD) {
		/* perf record's -o names the data file */
		o->save = o->output ? o->output : o->save ? o->save : DEFAULT_RECORD_FILE;
		o->output = NULL;
	}
	if (mode == MODE_REPORT && (o->events_given || o->repeat != 1 || o->python ||
				    o->freq || o->period || o->no_attribution || o->exact)) {
		pp_cli_say("report renders a saved profile: -e, -r, -F, -c, --python, "
			"--exact and --no-attribution apply when recording it");
		return PP_EXIT_USAGE;
	}
	if (o->exact && (o->freq || o->period || o->native || o->signal_fallback ||
			 o->lines || o->no_attribution)) {
		pp_cli_say("--exact counts every call instead of sampling: it cannot be "
			"combined with %s", o->freq ? "-F" : o->period ? "-c" : o->native ?
			"--native" : o->signal_fallback ? "--signal-fallback" : o->lines ?
			"--lines (exact counts are per function)" : "--no-attribution");
		return PP_EXIT_USAGE;
	}
	*first_pos = optind;
	return 0;
}

/* Whether this process runs under a seccomp filter ("Seccomp: 2" in
 * /proc/self/status), which refuses perf_event_open whatever
 * perf_event_paranoid says. */
static int under_seccomp_filter(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int filtered = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8))
			filtered = atoi(line + 8) == 2;
	fclose(f);
	return filtered;
}

/* Explains the rows that print <not supported>, once. */
static void hint_unsupported(const struct options *o, const struct run_stats *s,
			     int counter_errno, int user_only)
{
	size_t i, hw_missing = 0;

	if (o->sep || o->json)
		return; /* don't break parsers reading stderr */
	if (counter_errno == EACCES) {
		if (under_seccomp_filter())
			pp_cli_say("perf_event_open is blocked by a seccomp filter (Docker's "
				"default profile does this): allow it, e.g. docker run "
				"--security-opt seccomp=unconfined, or see 'pyperf-stat --check'");
		else
			pp_cli_say("the kernel refused every counter (perf_event_paranoid is "
				"too strict for this user): run 'sysctl kernel.perf_event_paranoid=2' "
				"as root, or see 'pyperf-stat --check'");
		return;
	}
	for (i = 0; i < o->events.n; i++) {
		uint32_t t = o->events.ev[i].attr.type;

		if (s->status[i] == PP_COUNT_NOT_SUPPORTED && t != PERF_TYPE_SOFTWARE)
			hw_missing++;
	}
	if (hw_missing)
		fprintf(stderr, "pyperf-stat: %zu hardware event%s <not supported>: this "
			"machine exposes no hardware PMU (typical of virtual machines); "
			"software events still count. 'pyperf-stat --check' tells more.\n",
			hw_missing, hw_missing == 1 ? " is" : "s are");
	if (user_only)
		fprintf(stderr, "pyperf-stat: counting user space only "
			"(perf_event_paranoid forbids kernel counting for this user).\n");
}

/* Why the target ended, when a signal ended it: the report above shows
 * what was collected up to then. */
static void say_death(int sig, int core, int forwarded)
{
	const char *abbrev = sigabbrev_np(sig);

	fprintf(stderr, "pyperf-stat: the target %s signal %d (SIG%s)%s%s; the "
		"report covers the run up to then\n",
		sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGHUP ?
		"was killed by" : "crashed with", sig, abbrev ? abbrev : "?",
		core ? ", core dumped" : "",
		forwarded == sig ? " (sent to pyperf-stat and forwarded)" : "");
}

static int run_stat(struct options *o, const char *target_path, char **target_argv)
{
	struct pp_event sampled[PP_PROFILE_MAX_EVENTS];
	size_t count_index[PP_PROFILE_MAX_EVENTS];
	struct pp_collect_config cc = { 0 };
	struct pp_collect *collect = NULL;
	struct pp_profile profile;
	struct run_stats st = { 0 };
	struct pp_report_data d = { 0 };
	struct pp_stat_row *rows = NULL;
	struct pp_launch_result res;
	struct pp_runs runs = { 0 };
	double *run_values = NULL, last_elapsed = 0;
	int last_status = 0, forwarded = 0;
	char *command = NULL;
	const char *agent_dir = NULL;
	int have_profile = 0, exit_code = 0, counter_errno = 0, user_only = 0;
	int ran = 0, r, ret;
	size_t nsampled = 0, i;
	char interp[256];

	memset(&profile, 0, sizeof(profile));
	if (pp_profile__init(&profile) < 0)
		goto nomem;
	profile.max_stacks = MAX_STACKS;
	have_profile = 1;

	if (!o->no_attribution) {
		agent_dir = pp_cli_agent_dir();
		if (!agent_dir)
			pp_cli_say("warning: the attribution agent (libpyperf-agent.so) was not "
				"found next to pyperf-stat or in %s: counting totals only "
				"(set PYPERF_AGENT_DIR, or reinstall)", PP_LIBDIR);
	}
	if (agent_dir) {
		nsampled = pick_sampled(o, sampled, PP_PROFILE_MAX_EVENTS - !!o->exact, count_index);
		if (!nsampled)
			nsampled = fallback_task_clock(o, sampled, count_index);
		if (o->sort) {
			for (i = 0; i < nsampled; i++)
				if (!strcmp(sampled[i].name, o->sort))
					break;
			if (i == nsampled) {
				pp_cli_say("--sort %s: not a sampled event (sampled here: %s%s%s)",
					o->sort, nsampled ? sampled[0].name : "none",
					nsampled > 1 ? ", " : "", nsampled > 1 ? sampled[1].name : "");
				exit_code = PP_EXIT_USAGE;
				goto out;
			}
		}
		cc.agent_dir = agent_dir;
		cc.events = sampled;
		cc.nevents = nsampled;
		cc.depth_limit = o->depth;
		cc.signal_fallback = o->signal_fallback;
		cc.native = o->native;
		cc.exact = o->exact;
		cc.user_only = geteuid() != 0;
		if (nsampled) {
			ret = pp_collect__prepare(&collect, &cc);
			if (ret < 0) {
				pp_cli_say("warning: cannot prepare attribution (%s): counting "
					"totals only", strerror(-ret));
				collect = NULL;
			}
		}
	}

	st.sum = calloc(o->events.n + 1, sizeof(double));
	st.sumsq = calloc(o->events.n + 1, sizeof(double));
	st.ena = calloc(o->events.n + 1, sizeof(double));
	st.run = calloc(o->events.n + 1, sizeof(double));
	st.status = calloc(o->events.n + 1, sizeof(int));
	rows = calloc(o->events.n + 1, sizeof(*rows));
	run_values = calloc(o->events.n + 1, sizeof(double));
	command = join_argv(target_argv);
	if (!st.sum || !st.sumsq || !st.ena || !st.run || !st.status || !rows ||
	    !run_values || !command)
		goto nomem;

	for (r = 0; r < o->repeat; r++) {
		struct pp_launch l = {
			.path = target_path,
			.argv = target_argv,
			.extra_env = collect ? pp_collect__env(collect) : NULL,
			.evlist = &o->events,
			.collect = collect,
			.profile = &profile,
		};

		ret = pp_launch__run(&l, &res);
		if (ret < 0) {
			if (res.counter_errno == EMFILE || res.counter_errno == ENFILE)
				pp_cli_say("too many open files to open %zu counters: raise "
					"the limit (ulimit -n) or count fewer events with -e",
					o->events.n);
			else
				pp_cli_say("cannot start the target: %s", strerror(-ret));
			pp_launch_result__free(&res);
			exit_code = 1;
			goto out;
		}
		if (res.exec_errno) {
			int e = res.exec_errno;

			if (e == ENOENT)
				pp_cli_say("cannot run '%s': command not found", target_argv[0]);
			else
				pp_cli_say("cannot run '%s': %s%s", target_argv[0], strerror(e),
					e == EACCES ? " (is it executable? for a script, "
					"try pyperf-stat SCRIPT.py)" : "");
			pp_launch_result__free(&res);
			exit_code = e == ENOENT ? PP_EXIT_NOT_FOUND : PP_EXIT_NOT_EXEC;
			goto out;
		}
		stats_add(&st, &res, o->events.n);
		/* Per-run figures for baselines: this run's samples are the
		 * profile's growth since the previous run. The last run is
		 * captured after the collector's final drain, below. */
		for (i = 0; i < o->events.n; i++)
			run_values[i] = res.counter.count &&
					res.counter.count[i].status == PP_COUNT_OK ?
					res.counter.count[i].scaled : NAN;
		last_elapsed = res.elapsed_s;
		if (r + 1 < o->repeat) {
			if (collect)
				pp_collect__poll(collect, &profile);
			if (pp_runs__capture(&runs, &profile, run_values, o->events.n,
					     res.elapsed_s) < 0) {
				pp_launch_result__free(&res);
				goto nomem;
			}
		}
		if (res.counter_errno)
			counter_errno = res.counter_errno;
		if (res.counter.user_only)
			user_only = 1;
		exit_code = pp_launch__exit_code(res.wait_status);
		last_status = res.wait_status;
		forwarded = res.forwarded_signal;
		if (res.forwarded_signal && verbose)
			pp_cli_say("forwarded signal %d to the target", res.forwarded_signal);
		if (WIFSIGNALED(res.wait_status) && o->repeat > 1) {
			/* perf stat stops repeating when the workload dies */
			pp_launch_result__free(&res);
			ran++;
			break;
		}
		pp_launch_result__free(&res);
		ran++;
	}

	for (i = 0; i < o->events.n; i++) {
		const struct pp_event *ev = &o->events.ev[i];
		struct pp_stat_row *row = &rows[i];
		int nok = st.runs;

		row->name = ev->name;
		row->unit = ev->unit ? ev->unit : "";
		row->type = ev->attr.type;
		row->config = ev->attr.config;
		row->status = (enum pp_count_status)st.status[i];
		if (nok > 0 && row->status == PP_COUNT_OK) {
			row->value = st.sum[i] / nok;
			row->stddev = sample_stddev(st.sum[i], st.sumsq[i], nok);
			row->enabled = (uint64_t)(st.ena[i] / nok);
			row->running = (uint64_t)(st.run[i] / nok);
		}
	}

	d.command = command;
	d.runs = st.runs;
	d.rows = rows;
	d.nrows = o->events.n;
	d.elapsed_s = st.runs ? st.el_sum / st.runs : 0;
	d.elapsed_stddev_s = sample_stddev(st.el_sum, st.el_sumsq, st.runs);
	d.user_s = st.user;
	d.sys_s = st.sys;
	d.cost_per_sample_us = COST_PER_SAMPLE_US;

	if (collect) {
		const char *problem, *interp_name;

		ret = pp_collect__finish(collect, &profile);
		if (ret < 0)
			pp_cli_say("warning: collecting samples: %s", strerror(-ret));
		/* the last run's samples, before <not sampled> is added below */
		if (runs.n < (size_t)st.runs &&
		    pp_runs__capture(&runs, &profile, run_values, o->events.n,
				     last_elapsed) < 0)
			goto nomem;
		problem = pp_collect__problem(collect);
		interp_name = pp_collect__interpreter(collect);
		if (interp_name) {
			snprintf(interp, sizeof(interp), "%s", interp_name);
			d.interpreter = interp;
		}
		if (pp_profile__add_hook_cost(&profile) < 0)
			goto nomem;
		/* Scale every sampled event to its counted total; what the
		 * samples do not cover becomes the <not sampled> row. */
		for (i = 0; i < profile.nevents && i < nsampled; i++) {
			size_t ci = count_index[i];

			if (ci >= o->events.n || rows[ci].status != PP_COUNT_OK)
				continue;
			if (pp_profile__set_total(&profile, (int)i, rows[ci].value, st.runs) < 0)
				goto nomem;
		}
		if (pp_collect__agents(collect) > 0 && profile.nevents) {
			d.profile = &profile;
		} else {
			d.attribution_note = problem ? problem :
				"no Python process loaded the agent, so there is no "
				"per-function breakdown (was the target Python, run "
				"without -I or -S?)";
		}
		if (problem && d.profile)
			d.attribution_note = problem;
	} else if (!o->no_attribution && agent_dir && !nsampled) {
		d.attribution_note = "none of the events can be sampled here: no "
				     "per-function breakdown";
	}

	if (ran && runs.n < (size_t)st.runs &&
	    pp_runs__capture(&runs, &profile, run_values, o->events.n, last_elapsed) < 0)
		goto nomem;
	d.run = runs.n == (size_t)st.runs ? runs.run : NULL;

	if (ran && emit(o, &d) < 0 && exit_code == 0)
		exit_code = 1;
	if (ran)
		hint_unsupported(o, &st, counter_errno, user_only);
	/* The text report carries the note itself; with -x/-j into a file,
	 * stderr is free to say it. */
	if (ran && d.attribution_note && (o->sep || o->json) && o->output)
		pp_cli_say("%s", d.attribution_note);
	if (ran && WIFSIGNALED(last_status) && (o->output || (!o->sep && !o->json)))
		say_death(WTERMSIG(last_status), WCOREDUMP(last_status), forwarded);
out:
	if (collect)
		pp_collect__free(collect);
	if (have_profile)
		pp_profile__free(&profile);
	free(st.sum);
	free(st.sumsq);
	free(st.ena);
	free(st.run);
	free(st.status);
	free(rows);
	free(run_values);
	pp_runs__free(&runs);
	free(command);
	return exit_code;
nomem:
	pp_cli_say("out of memory");
	exit_code = 1;
	goto out;
}

/* pyperf-stat report [FILE] [options] */
static int cmd_report(struct options *o, int argc, char **argv, int first)
{
	const char *path = DEFAULT_RECORD_FILE;
	struct pp_loaded loaded;
	char err[512];
	int ret, i;

	if (argc - first > 1) {
		pp_cli_say("report takes one saved profile, got %d arguments", argc - first);
		return PP_EXIT_USAGE;
	}
	if (first < argc)
		path = argv[first];
	ret = pp_profile_file__load(path, &loaded, err, sizeof(err));
	if (ret < 0) {
		pp_cli_say("%s", err);
		return PP_EXIT_USAGE;
	}
	if (o->sort) {
		const struct pp_profile *p = loaded.data.profile;

		for (i = 0; p && i < (int)p->nevents; i++)
			if (!strcmp(p->ev[i].name, o->sort))
				break;
		if (!p || i == (int)p->nevents) {
			pp_cli_say("--sort %s: not a sampled event of %s", o->sort, path);
			pp_loaded__free(&loaded);
			return PP_EXIT_USAGE;
		}
	}
	ret = emit(o, &loaded.data) < 0 ? 1 : 0;
	pp_loaded__free(&loaded);
	return ret;
}

int pp_cli_main(int argc, char **argv)
{
	struct options o;
	char **target_argv = NULL, *target_path = NULL;
	int first = 0, ret, mode = MODE_STAT;

	pp_log_set(log_to_stderr, NULL);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return cmd_list();
	if (argc >= 2 && !strcmp(argv[1], "diff"))
		return pp_cmd_diff(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "record"))
		mode = MODE_RECORD;
	else if (argc >= 2 && !strcmp(argv[1], "report"))
		mode = MODE_REPORT;
	if (mode != MODE_STAT) {
		argc--;
		argv++;
	}

	if (pp_events__init() < 0 && verbose)
		pp_cli_say("libpfm4 could not initialise: only perf's generic event names work");
	ret = parse_options(&o, argc, argv, &first, mode);
	verbose = o.verbose;
	if (ret)
		goto out;
	if (first == -2)
		goto out;
	if (first == -1) {
		ret = pp_check_main(pp_cli_agent_dir());
		goto out;
	}
	if (mode == MODE_REPORT) {
		ret = cmd_report(&o, argc, argv, first);
		goto out;
	}
	if (first >= argc) {
		pp_cli_say("no script or command given");
		fputs("Usage: pyperf-stat [options] [--] SCRIPT.py [ARGS...]\n"
		      "Try 'pyperf-stat --help'.\n", stderr);
		ret = PP_EXIT_USAGE;
		goto out;
	}
	if (!o.events_given && pp_evlist__add_defaults(&o.events) < 0) {
		pp_cli_say("out of memory");
		ret = 1;
		goto out;
	}
	ret = resolve_target(&o, argc - first, argv + first, &target_argv, &target_path);
	if (ret)
		goto out;
	ret = run_stat(&o, target_path, target_argv);
out:
	free(target_path);
	free(target_argv);
	pp_evlist__free(&o.events);
	return ret;
}

/* pyperf-stat's command line checked and nothing else, for the fuzz
 * harness (tests/fuzz/fuzz_cli.c): the subcommand, every option through
 * parse_options() and the operands each mode needs, as pp_cli_main would,
 * but no target is resolved, no file read, nothing run.  What
 * parse_options() prints (errors, --help, --version) goes to /dev/null:
 * glibc's stdout and stderr are ordinary variables a program may assign
 * (glibc manual, "Standard Streams"), and ASan's reports, written to
 * fd 2, still reach the fuzzer. */
int pp_cli__parse_only(int argc, char **argv)
{
	static char *reset_argv[] = { "pyperf-stat", NULL };
	FILE *out = stdout, *err = stderr, *null;
	struct options o;
	int first = 0, ret, mode = MODE_STAT;

	if (argc >= 2 && !strcmp(argv[1], "list"))
		return 0;
	if (argc >= 2 && !strcmp(argv[1], "record"))
		mode = MODE_RECORD;
	else if (argc >= 2 && !strcmp(argv[1], "report"))
		mode = MODE_REPORT;
	if (mode != MODE_STAT) {
		argc--;
		argv++;
	}
	null = fopen("/dev/null", "w");
	if (!null)
		return 1;
	/* parse_options() sets optind = 1, which glibc takes as "go on", not
	 * "start again": a scan that stopped inside "-vx" would resume in the
	 * previous argv, and the first call's ordering ('+' or not) would
	 * stick.  optind = 0 and one empty scan in this mode start afresh. */
	optind = 0;
	(void)getopt_long(1, reset_argv, mode == MODE_REPORT ? "" : "+", long_options, NULL);
	stdout = null;
	stderr = null;
	pp_events__init();
	ret = parse_options(&o, argc, argv, &first, mode);
	stdout = out;
	stderr = err;
	fclose(null);
	if (!ret && first >= 0) {
		if (mode == MODE_REPORT && argc - first > 1)
			ret = PP_EXIT_USAGE;  /* cmd_report: one saved profile */
		else if (mode != MODE_REPORT && first >= argc)
			ret = PP_EXIT_USAGE;  /* no script or command given */
	}
	pp_evlist__free(&o.events);
	return ret;
}
