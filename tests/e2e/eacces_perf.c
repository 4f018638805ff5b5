/* eacces_perf.so: an LD_PRELOAD library under which perf_event_open fails
 * with EACCES, the answer of a kernel with perf_event_paranoid=3 (Debian's
 * and Android's patch: no perf events at all for unprivileged users).
 * Mainline kernels, this machine's among them, treat 3 as 2, so the
 * sysctl cannot reproduce it; and unlike a seccomp filter (deny_perf.c)
 * this leaves no trace in /proc/self/status, as the real setting does
 * not.  Built by tests/e2e/test_faults.py with cc -shared. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>

long syscall(long number, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;
	int i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_perf_event_open) {
		errno = EACCES;
		return -1;
	}
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
