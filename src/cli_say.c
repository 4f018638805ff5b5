/* The one way the command-line tools speak to the user outside the
 * report: a line on stderr, "pyperf-stat: " first. */
#include <stdarg.h>
#include <stdio.h>

#include "pyperf/cli.h"

void pp_cli_say(const char *fmt, ...)
{
	va_list ap;

	fputs("pyperf-stat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
