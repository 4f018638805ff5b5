/* log: how library code reports problems without printing.
 *
 * Library modules never print and never exit (STYLE.md); they hand messages
 * to a pp_log_fn that cli/ installs and that decides what the user sees. */
#ifndef PYPERF_LOG_H
#define PYPERF_LOG_H

enum pp_log_level { PP_LOG_ERROR, PP_LOG_WARN, PP_LOG_INFO, PP_LOG_DEBUG };

typedef void (*pp_log_fn)(enum pp_log_level level, const char *msg, void *ctx);

void pp_log_set(pp_log_fn fn, void *ctx);
void pp_log(enum pp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
