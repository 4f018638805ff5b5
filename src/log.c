#include <stdarg.h>
#include <stdio.h>

#include "pyperf/log.h"

static pp_log_fn log_fn;
static void *log_ctx;

void pp_log_set(pp_log_fn fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
}

void pp_log(enum pp_log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_fn(level, buf, log_ctx);
}
