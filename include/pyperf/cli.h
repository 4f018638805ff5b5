/* cli: the command line, the only place that decides what the user sees
 * and the exit status (STYLE.md). */
#ifndef PYPERF_CLI_H
#define PYPERF_CLI_H

/* Exit statuses of pyperf-stat itself; otherwise it exits with the
 * target's status, or 128+N when the target died of signal N. */
enum {
	PP_EXIT_USAGE = 2,        /* bad option, bad event, missing script */
	PP_EXIT_NOT_EXEC = 126,   /* target found but not executable */
	PP_EXIT_NOT_FOUND = 127,  /* target or interpreter not found */
};

int pp_cli_main(int argc, char **argv);

/* pyperf-stat --check: environment diagnosis on stdout. Returns the exit
 * status (0 when per-function attribution can work here). */
int pp_check_main(const char *agent_dir);

/* Where the agent and its bootstrap live, or NULL (see cli.c). */
const char *pp_cli_agent_dir(void);

#endif
