/* fakepmu: an LD_PRELOAD shim that makes perf stat print fixed numbers,
 * so that its output can serve as golden files for test_report.c on
 * machines without a PMU (this project's VMs have none).
 *
 *   FAKEPMU  "CFG=v:e:r/v:e:r...,sCFG=...,CFG=ENOENT": per hardware
 *            (CFG) or software (sCFG) event config, the value,
 *            time_enabled and time_running read back, one triple per run
 *            of -r; ENOENT makes the open fail (<not supported>).  A faked
 *            event is opened as a software dummy so that perf's ioctls and
 *            closes still work.
 *   FAKECLK  "w0,w1,...": wall time of each run in ns (perf 6.1 reads
 *            CLOCK_MONOTONIC three times per run; the third closes it).
 *   FAKERU   "user_us:sys_us": the rusage wait4() reports.
 *
 * Used by gen.sh only; not part of the build. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 4096

struct fake {
	int used, key, run;
	uint64_t read_format;
};
static struct fake fds[MAXFD];
static int opens[64];

/* The spec of KEY (config, +32 for software) in FAKEPMU, or NULL. */
static const char *spec_for(int key)
{
	static char buf[4096];
	const char *s = getenv("FAKEPMU"), *p;
	char name[16];

	if (!s)
		return NULL;
	snprintf(name, sizeof(name), "%s%d=", key >= 32 ? "s" : "", key & 31);
	for (p = s; (p = strstr(p, name)); p++) {
		if (p == s || p[-1] == ',') {
			size_t n;

			p += strlen(name);
			n = strcspn(p, ",");
			memcpy(buf, p, n);
			buf[n] = 0;
			return buf;
		}
	}
	return NULL;
}

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (nr == __NR_perf_event_open) {
		struct perf_event_attr *attr = (void *)a[0];
		int key = -1;

		if (attr->type == PERF_TYPE_HARDWARE && attr->config < 32)
			key = (int)attr->config;
		if (attr->type == PERF_TYPE_SOFTWARE && attr->config < 32)
			key = 32 + (int)attr->config;
		if (key >= 0 && spec_for(key)) {
			struct perf_event_attr copy = *attr;
			long fd;

			if (!strcmp(spec_for(key), "ENOENT")) {
				errno = ENOENT;
				return -1;
			}
			copy.type = PERF_TYPE_SOFTWARE;
			copy.config = PERF_COUNT_SW_DUMMY;
			fd = real(nr, &copy, a[1], a[2], a[3], a[4]);
			if (fd >= 0 && fd < MAXFD)
				fds[fd] = (struct fake){ 1, key, opens[key]++, attr->read_format };
			return fd;
		}
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int close(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "close");
	if (fd >= 0 && fd < MAXFD)
		fds[fd].used = 0;
	return real(fd);
}

ssize_t read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	ssize_t r;

	if (!real)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	r = real(fd, buf, n);
	if (r > 0 && fd >= 0 && fd < MAXFD && fds[fd].used &&
	    !(fds[fd].read_format & PERF_FORMAT_GROUP)) {
		const struct fake *f = &fds[fd];
		const char *p = spec_for(f->key);
		unsigned long long v = 0, e = 0, ru = 0;
		uint64_t *q = buf;
		int i = 0;

		for (i = 0; i < f->run && strchr(p, '/'); i++)
			p = strchr(p, '/') + 1;
		sscanf(p, "%llu:%llu:%llu", &v, &e, &ru);
		i = 0;
		q[i++] = v;
		if (f->read_format & PERF_FORMAT_TOTAL_TIME_ENABLED)
			q[i++] = e;
		if (f->read_format & PERF_FORMAT_TOTAL_TIME_RUNNING)
			q[i++] = ru;
	}
	return r;
}

int clock_gettime(clockid_t c, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	static int calls;
	const char *s = getenv("FAKECLK"), *p;
	unsigned long long w, t;
	int run, phase, i;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	if (c != CLOCK_MONOTONIC || !s || strcmp(program_invocation_short_name, "perf"))
		return real(c, ts);
	run = calls / 3;
	phase = calls % 3;
	calls++;
	for (p = s, i = 0; i < run && strchr(p, ','); i++)
		p = strchr(p, ',') + 1;
	w = strtoull(p, NULL, 10);
	t = 1000000000000ULL + run * 100000000000ULL + (phase == 2 ? w : 0);
	ts->tv_sec = t / 1000000000ULL;
	ts->tv_nsec = t % 1000000000ULL;
	return 0;
}

pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	static pid_t (*real)(pid_t, int *, int, struct rusage *);
	const char *s = getenv("FAKERU");
	pid_t r;

	if (!real)
		real = (pid_t (*)(pid_t, int *, int, struct rusage *))dlsym(RTLD_NEXT, "wait4");
	r = real(pid, status, options, ru);
	if (r > 0 && ru && s) {
		unsigned long long u = 0, y = 0;

		sscanf(s, "%llu:%llu", &u, &y);
		ru->ru_utime.tv_sec = u / 1000000;
		ru->ru_utime.tv_usec = u % 1000000;
		ru->ru_stime.tv_sec = y / 1000000;
		ru->ru_stime.tv_usec = y % 1000000;
	}
	return r;
}
