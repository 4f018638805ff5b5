/* launcher: fork, cork, count, exec, wait. See include/pyperf/launcher.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pyperf/launcher.h"
#include "pyperf/log.h"

extern char **environ;

/* Signals pyperf-stat takes over while the target runs. */
static const int handled_signals[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void handled_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]); i++)
		sigaddset(set, handled_signals[i]);
}

static sigset_t orig_mask;
static int orig_mask_saved;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the child: wait for the parent's go, set up the environment, exec.
 * Only async-signal-safe calls from here on (we forked a threaded parent
 * in principle), and _exit on every path. */
static void child_exec(const struct pp_launch *l, int cork_fd, int err_fd,
		       const sigset_t *oldmask)
{
	char c;
	int err;
	ssize_t n;
	size_t i;

	do
		n = read(cork_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127); /* the parent gave up before starting us */
	close(cork_fd);

	for (i = 0; l->extra_env && l->extra_env[i]; i++)
		putenv(l->extra_env[i]);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execv(l->path, l->argv);
	err = errno;
	if (write(err_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* Waits for the exec to happen (err pipe closed by O_CLOEXEC) or fail
 * (the child wrote errno). Returns 0 or the child's exec errno. */
static int wait_exec(int err_fd)
{
	int err = 0;
	ssize_t n;

	do
		n = read(err_fd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(err) ? err : 0;
}

static void drain(const struct pp_launch *l)
{
	if (l->collect && l->profile) {
		int ret = pp_collect__poll(l->collect, l->profile);

		if (ret < 0)
			pp_log(PP_LOG_DEBUG, "draining samples: %s", strerror(-ret));
	}
}

/* Waits for PID while draining samples every 100 ms and forwarding the
 * signals that would end us. */
static void wait_target(const struct pp_launch *l, pid_t pid,
			struct pp_launch_result *res)
{
	const struct timespec tick = { 0, 100 * 1000 * 1000 };
	sigset_t set;

	handled_set(&set);
	for (;;) {
		pid_t w = wait4(pid, &res->wait_status, WNOHANG, &res->ru);
		siginfo_t si;
		int sig;

		if (w == pid)
			return;
		if (w < 0 && errno != EINTR) {
			pp_log(PP_LOG_ERROR, "waiting for the target: %s", strerror(errno));
			res->wait_status = 0;
			return;
		}
		sig = sigtimedwait(&set, &si, &tick);
		if (sig < 0) {
			drain(l);
			continue;
		}
		switch (sig) {
		case SIGCHLD:
			break;
		case SIGINT:
			/* From the terminal (SI_KERNEL) it went to the whole
			 * foreground group: the target has it already and
			 * decides what to do.  Sent to us alone by kill(2)
			 * (si_code <= 0): pass it on. */
			if (si.si_code <= 0)
				kill(pid, sig);
			break;
		default:
			res->forwarded_signal = sig;
			kill(pid, sig);
			break;
		}
	}
}

int pp_launch__run(const struct pp_launch *l, struct pp_launch_result *res)
{
	int cork[2] = { -1, -1 }, errp[2] = { -1, -1 };
	sigset_t set, oldmask;
	double t0 = 0;
	pid_t pid = -1;
	int ret = 0;
	char go = 'x';

	memset(res, 0, sizeof(*res));
	handled_set(&set);
	sigprocmask(SIG_BLOCK, &set, &oldmask);
	/* With -r N the signals are still blocked from the previous run:
	 * the target must get the mask pyperf-stat itself was started with. */
	if (!orig_mask_saved) {
		orig_mask = oldmask;
		orig_mask_saved = 1;
	}

	if (pipe2(cork, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (pid == 0) {
		close(cork[1]);
		close(errp[0]);
		child_exec(l, cork[0], errp[1], &orig_mask);
	}
	close(cork[0]);
	cork[0] = -1;
	close(errp[1]);
	errp[1] = -1;

	ret = pp_counter__open(&res->counter, l->evlist, pid, l->ops);
	if (ret == -EACCES) {
		/* nothing may be counted: still run, every row prints
		 * <not supported>, and the caller explains why */
		res->counter_errno = EACCES;
		ret = 0;
	} else if (ret < 0) {
		res->counter_errno = -ret;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
		goto out;
	}

	t0 = now_s();
	if (write(cork[1], &go, 1) != 1) {
		ret = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
		goto out;
	}
	close(cork[1]);
	cork[1] = -1;
	res->exec_errno = wait_exec(errp[0]);

	wait_target(l, pid, res);
	res->elapsed_s = now_s() - t0;
	pid = -1;
	if (res->counter.fd)
		pp_counter__read(&res->counter);
out:
	if (cork[0] >= 0)
		close(cork[0]);
	if (cork[1] >= 0)
		close(cork[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	/* The handled signals stay blocked: one that arrives now, after the
	 * target is gone, must not kill pyperf-stat before the report is
	 * written.  The process exits right after the report. */
	return ret;
}

void pp_launch_result__free(struct pp_launch_result *res)
{
	pp_counter__close(&res->counter);
}

int pp_launch__exit_code(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return 1;
}
