/* The state directory's lock, and which leftovers the next run removes
 * (include/pyperf/statedir.h).  A launcher killed by SIGKILL is played
 * here by closing a lock descriptor without removing the directory. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyperf/statedir.h"

static char base[64];
static char paths[16][512];
static size_t npaths;

static void mkdir_base(void)
{
	npaths = 0;
	strcpy(base, "/tmp/pp-statedir-XXXXXX");
	cr_assert_not_null(mkdtemp(base));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static void rm_base(void)
{
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(statedir, .init = mkdir_base, .fini = rm_base);

/* BASE/NAME, valid until the test ends. */
static char *in_base(const char *name)
{
	cr_assert_lt(npaths, sizeof(paths) / sizeof(paths[0]));
	snprintf(paths[npaths], sizeof(paths[0]), "%s/%s", base, name);
	return paths[npaths++];
}

static void touch(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs("x\n", f);
	fclose(f);
}

/* A directory that looks like a killed launcher's, but for what the
 * caller changes afterwards. */
static char *leftover(const char *name)
{
	char *path = in_base(name);

	cr_assert_eq(mkdir(path, 0700), 0, "%s", path);
	chmod(path, 0700);
	touch(path, ".lock");
	touch(path, "123-abc.ring");
	return path;
}

static int exists(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

Test(statedir, created_private_locked_and_marked)
{
	char *path, mark[512];
	struct stat sb;
	int fd;

	cr_assert_eq(pp_statedir__create(base, &path, &fd), 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(lstat(path, &sb), 0);
	cr_assert(S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0700);
	snprintf(mark, sizeof(mark), "%s/.lock", path);
	cr_assert(exists(mark), "the mark is there");
	cr_assert_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC, "the target does not inherit the lock");
	pp_statedir__remove(path, fd);
	cr_assert_not(exists(path));
	cr_assert_eq(entries(base), 0);
	free(path);
}

Test(statedir, stale_removed_live_kept)
{
	char *dead, *live;
	int dead_fd, live_fd;

	cr_assert_eq(pp_statedir__create(base, &dead, &dead_fd), 0);
	cr_assert_eq(pp_statedir__create(base, &live, &live_fd), 0);
	touch(dead, "42-1f.ring");
	touch(dead, "42-1f.codes");
	touch(live, "43-2f.ring");
	close(dead_fd);  /* SIGKILL: the lock goes, the directory stays */

	cr_assert_eq(pp_statedir__clean(base), 1);
	cr_assert_not(exists(dead), "the dead launcher's directory is removed");
	cr_assert(exists(live), "the live one is kept");
	cr_assert_eq(entries(live), 2, "with its files (.lock and the ring)");
	cr_assert_eq(pp_statedir__clean(base), 0, "a second pass finds nothing");

	pp_statedir__remove(live, live_fd);
	cr_assert_eq(entries(base), 0);
	free(dead);
	free(live);
}

Test(statedir, only_ours_removed)
{
	char *keep[8], *gone;
	char *target, mark[512];
	size_t n = 0, i;

	/* Made a moment ago, lock not taken yet; or an older pyperf-stat's. */
	keep[n] = leftover("pyperf-stat.nomark");
	snprintf(mark, sizeof(mark), "%s/.lock", keep[n++]);
	unlink(mark);
	/* Not private. */
	keep[n] = leftover("pyperf-stat.mode55");
	chmod(keep[n++], 0755);
	/* Names mkdtemp would not make. */
	keep[n++] = leftover("pyperf-stat.toolong");
	keep[n++] = leftover("pyperf-stat.ab-cde");
	keep[n++] = leftover("other.abcdef");
	/* The mark is a symlink, not a file. */
	keep[n] = leftover("pyperf-stat.marksl");
	snprintf(mark, sizeof(mark), "%s/.lock", keep[n++]);
	unlink(mark);
	cr_assert_eq(symlink("/etc/hostname", mark), 0);
	/* A symlink to a directory that would pass: never followed. */
	target = leftover("target");
	keep[n] = in_base("pyperf-stat.linked");
	cr_assert_eq(symlink(target, keep[n++]), 0);
	/* Someone else's (needs root to make). */
	if (geteuid() == 0) {
		keep[n] = leftover("pyperf-stat.nobody");
		cr_assert_eq(chown(keep[n++], 65534, 65534), 0);
	}
	gone = leftover("pyperf-stat.killed");

	cr_assert_eq(pp_statedir__clean(base), 1);
	cr_assert_not(exists(gone));
	for (i = 0; i < n; i++)
		cr_assert(exists(keep[i]), "%s kept", keep[i]);
	cr_assert_eq(entries(target), 2, "what the symlink points to is untouched");
	cr_assert_eq(entries(keep[0]), 1, "files of a directory without the mark kept");
}

/* We make no subdirectories, so we never recurse: a stale directory that
 * holds one keeps it, and is marked again for a later run to retry (as
 * when a target that outlived its launcher keeps adding files). */
Test(statedir, never_recurses_and_marks_again)
{
	char *dir = leftover("pyperf-stat.subdir"), sub[512], mark[512];

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	touch(sub, "kept");
	cr_assert_eq(pp_statedir__clean(base), 0);
	cr_assert_eq(entries(sub), 1, "nothing removed inside the subdirectory");
	snprintf(mark, sizeof(mark), "%s/.lock", dir);
	cr_assert(exists(mark), "marked again");
	cr_assert_eq(entries(dir), 2, "the subdirectory and the mark; the ring is gone");
}
