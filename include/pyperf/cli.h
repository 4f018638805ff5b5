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

/* One line on stderr, "pyperf-stat: " first: how every subcommand tells
 * the user about errors and hints. */
void pp_cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses and validates ARGV exactly as pp_cli_main would, then stops:
 * resolves no target, runs nothing, prints nothing.  Returns what the
 * real command would exit with for a usage error (PP_EXIT_USAGE), 1 when
 * /dev/null cannot be opened, else 0.  For the fuzz harness; may be
 * called any number of times. */
int pp_cli__parse_only(int argc, char **argv);

/* pyperf-stat --check: environment diagnosis on stdout. Returns the exit
 * status (0 when per-function attribution can work here). */
int pp_check_main(const char *agent_dir);

/* Where the agent and its bootstrap live, or NULL (see cli.c). */
const char *pp_cli_agent_dir(void);

#endif
