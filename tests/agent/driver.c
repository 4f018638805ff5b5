/* driver: runs a command the way the launcher does, as far as attribution
 * goes (collect env, poll every 100 ms, finish after wait), and prints the
 * profile in a line format that tests/agent/ground_truth.py reads:
 *
 *   func <self> <total> <qualname>\t<file>\t<firstline>
 *   line <self> <qualname>\t<line>
 *   thread <tid> <self> <qualname>
 *   proc <pid> <command>
 *   stat <name> <value>
 *
 * Build (not part of meson: a tool for the agent's own tests):
 *   cc -std=gnu11 -O1 -g -Iinclude -Ibuild/ -o build/driver tests/agent/driver.c \
 *      build/src/libpyperf.a -lpfm -lelf -lm -pthread
 * Usage: driver [-e EVENT] [-p PERIOD] [-d DEPTH] [-F] [-a AGENT_DIR] -- CMD...
 * The counted totals are not this driver's business (the launcher's). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pyperf/collect.h"
#include "pyperf/events.h"
#include "pyperf/profile.h"

extern char **environ;

static void print_sums(struct pp_profile *p, unsigned flags, const char *tag)
{
	struct pp_func_sum *s = NULL;
	ssize_t n = pp_profile__sum(p, flags, 0, &s), i;

	for (i = 0; i < n; i++) {
		const struct pp_func *f = &p->funcs[s[i].func];
		if (!strcmp(tag, "func"))
			printf("func %llu %llu %s\t%s\t%d\n", (unsigned long long)s[i].self[0],
			       (unsigned long long)s[i].total[0], f->qualname, f->file ? f->file : "",
			       f->firstline);
		else if (!strcmp(tag, "line"))
			printf("line %llu %s\t%d\n", (unsigned long long)s[i].self[0], f->qualname,
			       s[i].line);
		else
			printf("thread %u %llu %s\n", s[i].tid, (unsigned long long)s[i].self[0],
			       f->qualname);
	}
	free(s);
}

int main(int argc, char **argv)
{
	const char *event = "task-clock", *agent_dir = "build-agent/src/agent";
	unsigned long long period = 1000000;
	struct pp_collect_config cfg = { 0 };
	struct pp_evlist list = { 0 };
	struct pp_collect *c = NULL;
	struct pp_profile prof;
	char err[256];
	int opt, status = 0, depth = 128, fallback = 0, ret;
	pid_t pid;
	size_t i, nenv = 0;
	char **env;
	char *const *extra;

	while ((opt = getopt(argc, argv, "e:p:d:Fa:")) != -1) {
		switch (opt) {
		case 'e': event = optarg; break;
		case 'p': period = strtoull(optarg, NULL, 0); break;
		case 'd': depth = atoi(optarg); break;
		case 'F': fallback = 1; break;
		case 'a': agent_dir = optarg; break;
		default: return 2;
		}
	}
	if (optind >= argc)
		return 2;
	if (pp_evlist__parse(&list, event, err, sizeof(err)) != 0) {
		fprintf(stderr, "driver: %s\n", err);
		return 2;
	}
	for (i = 0; i < list.n; i++) {
		list.ev[i].attr.sample_period = period;
		list.ev[i].period = period;
	}
	cfg.agent_dir = agent_dir;
	cfg.events = list.ev;
	cfg.nevents = list.n;
	cfg.depth_limit = depth;
	cfg.signal_fallback = fallback;
	cfg.user_only = geteuid() != 0;
	ret = pp_collect__prepare(&c, &cfg);
	if (ret < 0) {
		fprintf(stderr, "driver: prepare: %s\n", strerror(-ret));
		return 1;
	}
	pp_profile__init(&prof);

	extra = pp_collect__env(c);
	while (environ[nenv])
		nenv++;
	env = calloc(nenv + 16, sizeof(char *));
	for (i = 0; extra[i]; i++)
		env[i] = extra[i];
	for (size_t k = 0; k < nenv; k++) {
		size_t j, len = strcspn(environ[k], "=");
		int dup = 0;
		for (j = 0; extra[j]; j++)
			if (!strncmp(extra[j], environ[k], len + 1))
				dup = 1;
		if (!dup)
			env[i++] = environ[k];
	}
	env[i] = NULL;

	pid = fork();
	if (pid == 0) {
		execvpe(argv[optind], argv + optind, env);
		_exit(127);
	}
	free(env);
	for (;;) {
		struct timespec tick = { 0, 100 * 1000 * 1000 };
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		nanosleep(&tick, NULL);
		ret = pp_collect__poll(c, &prof);
		if (ret < 0)
			fprintf(stderr, "driver: poll: %s\n", strerror(-ret));
	}
	ret = pp_collect__finish(c, &prof);
	if (ret < 0)
		fprintf(stderr, "driver: finish: %s\n", strerror(-ret));

	print_sums(&prof, 0, "func");
	print_sums(&prof, PP_SUM_LINES, "line");
	print_sums(&prof, PP_SUM_PER_THREAD, "thread");
	if (getenv("DRIVER_STACKS")) {
		/* stacks with an unresolved frame, innermost first */
		for (i = 0; i < prof.nstacks; i++) {
			const struct pp_stack *st = &prof.stacks[i];
			uint32_t k;
			int has = 0;
			for (k = 0; k < st->nframes; k++)
				has |= st->frames[k].func == PP_FUNC_UNRESOLVED;
			if (!has)
				continue;
			printf("ustack %llu tid %u:", (unsigned long long)st->samples[0], st->tid);
			for (k = 0; k < st->nframes && k < 8; k++)
				printf(" %s:%d", prof.funcs[st->frames[k].func].qualname, st->frames[k].line);
			printf("\n");
		}
	}
	for (i = 0; i < prof.nprocs; i++)
		printf("proc %u %s\n", prof.procs[i].pid, prof.procs[i].command);
	printf("stat samples %llu\n", (unsigned long long)(prof.nevents ? prof.ev[0].samples : 0));
	printf("stat dropped %llu\n", (unsigned long long)prof.dropped);
	printf("stat truncated %llu\n", (unsigned long long)prof.truncated);
	printf("stat unresolved %llu\n", (unsigned long long)prof.unresolved);
	printf("stat agents %d\n", pp_collect__agents(c));
	printf("stat interpreter %s\n", pp_collect__interpreter(c) ? pp_collect__interpreter(c) : "-");
	printf("stat problem %s\n", pp_collect__problem(c) ? pp_collect__problem(c) : "-");
	printf("stat exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	pp_collect__free(c);
	pp_profile__free(&prof);
	pp_evlist__free(&list);
	return 0;
}
