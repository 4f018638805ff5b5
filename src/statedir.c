/* statedir.c: the state directory's lock, and removing stale ones
 * (include/pyperf/statedir.h says which directories count as stale).
 *
 * Everything in a directory that is not ours to trust is done relative
 * to descriptors: fstatat(AT_SYMLINK_NOFOLLOW), openat(O_NOFOLLOW) and
 * unlinkat, so a name swapped for a symlink is never followed.  The checks
 * that decide are made once the candidate's lock is held, on the
 * directory that was opened, not on its name. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyperf/log.h"
#include "pyperf/statedir.h"

#define PREFIX "pyperf-stat."
/* Outside the agents' names ("<pid>-<start>.ring", "<pid>.problem"), and
 * skipped by the collector, which ignores names starting with a dot. */
#define LOCK_NAME ".lock"
/* A removal that keeps finding new files gives up after this many tries:
 * a target that outlived its launcher may still start Pythons. */
#define REMOVE_TRIES 3

/* "pyperf-stat." and the six characters mkdtemp put in for XXXXXX. */
static int state_name(const char *n)
{
	size_t i, len = strlen(PREFIX);

	if (strncmp(n, PREFIX, len) || strlen(n) != len + 6)
		return 0;
	for (i = len; n[i]; i++)
		if (!isalnum((unsigned char)n[i]))
			return 0;
	return 1;
}

static int ours(const struct stat *sb, mode_t type, mode_t perm)
{
	return (sb->st_mode & S_IFMT) == type && sb->st_uid == geteuid() &&
	       (perm == (mode_t)-1 || (sb->st_mode & 07777) == perm);
}

/* Unlinks everything but subdirectories (we make none, and never
 * recurse) in the directory open as FD. */
static void remove_files(int fd)
{
	struct dirent *de;
	DIR *d;
	int scan = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (scan < 0)
		return;
	d = fdopendir(scan);
	if (!d) {
		close(scan);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(fd, de->d_name, 0);
	closedir(d);
}

/* Empties the directory open as FD, then removes NAME (relative to
 * PARENT), which names it.  0 or -errno. */
static int remove_dir_at(int parent, const char *name, int fd)
{
	int tries, mark;

	for (tries = 0; tries < REMOVE_TRIES; tries++) {
		remove_files(fd);
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0)
			return 0;
		if (errno != ENOTEMPTY && errno != EEXIST)
			return -errno;
	}
	/* Still filling: marked again, so that a later run, once our lock
	 * is released, removes what is left. */
	mark = openat(fd, LOCK_NAME, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (mark >= 0)
		close(mark);
	return -ENOTEMPTY;
}

int pp_statedir__create(const char *base, char **path, int *lock_fd)
{
	char tmpl[PATH_MAX];
	int fd, mark;

	*path = NULL;
	*lock_fd = -1;
	if (snprintf(tmpl, sizeof(tmpl), "%s/" PREFIX "XXXXXX", base) >= (int)sizeof(tmpl))
		return -ENAMETOOLONG;
	if (!mkdtemp(tmpl))
		return -errno;
	*path = strdup(tmpl);
	if (!*path) {
		rmdir(tmpl);
		return -ENOMEM;
	}
	/* The lock before the mark: a directory with ".lock" has been locked
	 * since before anyone could see the mark, so a lock that another run
	 * can take means its launcher is gone.  Blocking: a concurrent
	 * pp_statedir__clean() that opened this directory holds the lock
	 * only while it looks for the mark.  O_CLOEXEC: the target must not
	 * inherit the lock and keep a dead launcher's directory alive. */
	fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		pp_log(PP_LOG_DEBUG, "cannot lock %s (%s): a SIGKILL would leave it behind",
		       tmpl, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	mark = openat(fd, LOCK_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (mark >= 0)
		close(mark);
	*lock_fd = fd;
	return 0;
}

void pp_statedir__remove(const char *path, int lock_fd)
{
	int fd = lock_fd;

	if (fd < 0)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		remove_dir_at(AT_FDCWD, path, fd);
	else
		rmdir(path);
	if (fd >= 0)
		close(fd);
}

/* Removes BASE/NAME (BASE open as PARENT) if it is stale.  1 if removed. */
static int remove_if_stale(int parent, const char *base, const char *name)
{
	struct stat sb, now, mark;
	int fd, removed = 0;

	if (fstatat(parent, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !ours(&sb, S_IFDIR, 0700))
		return 0;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* Held: its launcher lives (or another run is removing it). */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		goto out;
	/* Checked again on what is locked.  st_nlink 0: another run removed
	 * it between our readdir and our lock. */
	if (fstat(fd, &sb) < 0 || !ours(&sb, S_IFDIR, 0700) || sb.st_nlink == 0 ||
	    fstatat(fd, LOCK_NAME, &mark, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !ours(&mark, S_IFREG, (mode_t)-1))
		goto out;
	/* ... and NAME must still be that directory. */
	if (fstatat(parent, name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	    now.st_dev != sb.st_dev || now.st_ino != sb.st_ino)
		goto out;
	if (remove_dir_at(parent, name, fd) == 0) {
		pp_log(PP_LOG_DEBUG, "removed %s/%s, left by a pyperf-stat that was killed", base,
		       name);
		removed = 1;
	}
out:
	close(fd);
	return removed;
}

int pp_statedir__clean(const char *base)
{
	struct dirent *de;
	DIR *d;
	int fd, n = 0;

	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (state_name(de->d_name))
			n += remove_if_stale(fd, base, de->d_name);
	closedir(d);
	return n;
}
