/* check: "pyperf-stat --check", what this machine allows and why. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pyperf/cli.h"
#include "pyperf/counter.h"
#include "pyperf/events.h"

static int read_int_file(const char *path, int *out)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%d", out) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static int is_virtual_machine(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];
	int vm = 0;

	if (!f)
		return 0;
	while (!vm && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " hypervisor"))
			vm = 1;
	fclose(f);
	return vm;
}

static const char *paranoid_meaning(int v)
{
	if (v <= -1)
		return "no restrictions";
	if (v == 0)
		return "unprivileged users may count CPU-wide, no raw tracepoints";
	if (v == 1)
		return "unprivileged users may count kernel and user space of their processes";
	if (v == 2)
		return "unprivileged users may count user space only (kernel time is excluded for them)";
	return "unprivileged users may not use perf events at all (Debian's level 3)";
}

/* Sampling with sigtrap (Linux 5.13+) is what the agent uses. */
static int probe_sigtrap(void)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.sample_period = 1000000;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.inherit = 1;
	a.inherit_thread = 1;
	a.remove_on_exec = 1;
	a.sigtrap = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Prints "VERSION" of an interpreter by running it; 0 on success. */
static int interpreter_version(const char *path, int *major, int *minor, char *ver, size_t len)
{
	char cmd[4200];
	FILE *p;
	int ok;

	if (snprintf(cmd, sizeof(cmd), "'%s' -S -c 'import sys;print(\"%%d.%%d.%%d\" %% sys.version_info[:3])' 2>/dev/null",
		     path) >= (int)sizeof(cmd) || strchr(path, '\''))
		return -EINVAL;
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	ok = fgets(ver, (int)len, p) != NULL;
	pclose(p);
	if (!ok || sscanf(ver, "%d.%d", major, minor) != 2)
		return -EINVAL;
	ver[strcspn(ver, "\n")] = 0;
	return 0;
}

static void report_interpreter(const char *path, char seen[][4096], int *nseen)
{
	char real[4096], ver[64];
	int major, minor, i;

	if (!realpath(path, real))
		return;
	for (i = 0; i < *nseen; i++)
		if (!strcmp(seen[i], real))
			return;
	if (*nseen < 64)
		strcpy(seen[(*nseen)++], real);
	if (interpreter_version(path, &major, &minor, ver, sizeof(ver)) < 0) {
		printf("  %-44s (could not run it)\n", path);
		return;
	}
	printf("  %-44s %-8s %s\n", path, ver,
	       major != 3 || minor < 8 ? "counting only (attribution needs CPython 3.8+)" :
	       minor <= 13 ? "per-function attribution supported" :
	       "attribution through _Py_DebugOffsets (3.14+, untested)");
}

/* python3 on PATH may be a script (pyenv's shim) that execs the real
 * interpreter: it works, but its own start-up is counted in the totals. */
static void note_shim(const char *path)
{
	char *copy = strdup(path), *save = NULL, *dir;
	char cand[4096], head[2];

	for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
	     dir = strtok_r(NULL, ":", &save)) {
		FILE *f;

		snprintf(cand, sizeof(cand), "%s/python3", dir);
		if (access(cand, X_OK) != 0)
			continue;
		f = fopen(cand, "re");
		if (f && fread(head, 1, 2, f) == 2 && head[0] == '#' && head[1] == '!')
			printf("  python3 on PATH is %s, a script (a pyenv shim?) that execs the\n"
			       "  real interpreter: its own start-up counts in the totals and shows\n"
			       "  as <not sampled>; --python with the real interpreter avoids it.\n",
			       cand);
		if (f)
			fclose(f);
		break;
	}
	free(copy);
}

static void list_interpreters(void)
{
	static char seen[64][4096];
	const char *path = getenv("PATH");
	const char *root = getenv("PYENV_ROOT");
	char pat[4200], home_root[4096];
	int nseen = 0;
	size_t i;
	glob_t g;

	printf("\nPython interpreters:\n");
	if (path)
		note_shim(path);
	if (path) {
		char *copy = strdup(path), *save = NULL, *dir;

		for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
		     dir = strtok_r(NULL, ":", &save)) {
			if (strstr(dir, "/shims"))
				continue; /* pyenv shims: listed by version below */
			snprintf(pat, sizeof(pat), "%s/python3*", dir);
			if (glob(pat, 0, NULL, &g) != 0)
				continue;
			for (i = 0; i < g.gl_pathc; i++) {
				const char *b = strrchr(g.gl_pathv[i], '/') + 1;

				if (strspn(b + 7, "0123456789.") == strlen(b + 7) &&
				    access(g.gl_pathv[i], X_OK) == 0)
					report_interpreter(g.gl_pathv[i], seen, &nseen);
			}
			globfree(&g);
		}
		free(copy);
	}
	if (!root && getenv("HOME")) {
		snprintf(home_root, sizeof(home_root), "%s/.pyenv", getenv("HOME"));
		root = home_root;
	}
	if (root) {
		snprintf(pat, sizeof(pat), "%s/versions/*/bin/python3.[0-9]*", root);
		if (glob(pat, 0, NULL, &g) == 0) {
			for (i = 0; i < g.gl_pathc; i++)
				if (!strstr(g.gl_pathv[i], "-config") &&
				    !strstr(g.gl_pathv[i], "-gdb"))
					report_interpreter(g.gl_pathv[i], seen, &nseen);
			globfree(&g);
		}
	}
	if (!nseen)
		printf("  none found on PATH or under pyenv\n");
}

int pp_check_main(const char *agent_dir)
{
	struct pp_evlist defaults = { 0 };
	struct utsname u;
	int paranoid = 99, hw_ok = 0, ret, major = 0, minor = 0;
	size_t i;

	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	printf("pyperf-stat environment check\n\n");
	printf("Kernel:                %s %s\n", u.sysname, u.release);
	if (read_int_file("/proc/sys/kernel/perf_event_paranoid", &paranoid) == 0)
		printf("perf_event_paranoid:   %d (%s)%s\n", paranoid, paranoid_meaning(paranoid),
		       geteuid() == 0 ? "; you are root, so it does not restrict you" : "");
	else
		printf("perf_event_paranoid:   unreadable (no perf events in this kernel?)\n");

	pp_events__init();
	if (pp_evlist__add_defaults(&defaults) < 0)
		return 1;
	printf("\nDefault events:\n");
	for (i = 0; i < defaults.n; i++) {
		ret = pp_counter__probe(&defaults.ev[i].attr, NULL);
		if (ret == 0 && defaults.ev[i].attr.type == PERF_TYPE_HARDWARE)
			hw_ok = 1;
		printf("  %-20s %s\n", defaults.ev[i].name,
		       ret == 0 ? "counts" : ret == -EACCES || ret == -EPERM ?
		       "refused (permission)" : "<not supported>");
	}
	pp_evlist__free(&defaults);

	printf("\nHardware PMU:          ");
	if (hw_ok)
		printf("present: cycles, instructions and cache events count\n");
	else if (is_virtual_machine())
		printf("absent. This is a virtual machine whose hypervisor exposes no\n"
		       "                       virtual PMU: hardware events print <not supported>.\n"
		       "                       Software events (task-clock, page-faults) still count\n"
		       "                       and attribution samples task-clock. On KVM/libvirt,\n"
		       "                       '<cpu mode=\"host-passthrough\"/>' or '-cpu host,pmu=on'\n"
		       "                       exposes one; cloud instances need a bare-metal or\n"
		       "                       PMU-enabled instance type.\n");
	else
		printf("absent or not usable by this user (see the events above)\n");

	ret = probe_sigtrap();
	printf("Sampling signals:      %s\n", ret == 0 ? "sigtrap (Linux 5.13+): yes" :
	       "sigtrap unavailable: the agent uses per-thread F_SETOWN_EX signals "
	       "(slower; kernels before 5.13)");
	printf("Attribution agent:     %s\n", agent_dir ? agent_dir :
	       "NOT FOUND: per-function attribution is unavailable (set PYPERF_AGENT_DIR)");
	list_interpreters();
	return agent_dir ? 0 : 1;
}
