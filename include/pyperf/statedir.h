/* statedir: the launcher's private state directory, and removing the ones
 * that killed launchers left behind.
 *
 * The directory is "BASE/pyperf-stat.XXXXXX", made by mkdtemp (mode 0700).
 * Its launcher holds an exclusive flock() on the directory itself for as
 * long as it lives, and puts the empty file ".lock" in only once it holds
 * that lock.  Nothing runs after SIGKILL, so a killed launcher's directory
 * stays; the next pp_statedir__clean() in the same BASE removes it when
 *  - its name is "pyperf-stat." and six characters of mkdtemp's alphabet,
 *  - it is a directory, not a symlink, owned by us, mode 0700,
 *  - it holds ".lock", a regular file owned by us,
 *  - and its lock can be taken: the launcher that made it is gone.
 * The lock alone decides.  A target that outlives its launcher keeps
 * running: its ring stays mapped and its open files stay valid after the
 * removal, and a Python it starts later finds no directory and does not
 * load the agent (src/agent/bootstrap/sitecustomize.py).
 * A directory without ".lock" is never removed: one being made right now,
 * one whose launcher could not take the lock, one of an older
 * pyperf-stat, or not ours.  One that keeps filling while it is removed
 * is marked again, for a later run. */
#ifndef PYPERF_STATEDIR_H
#define PYPERF_STATEDIR_H

/* Makes a locked state directory in BASE.  *path (malloc'ed) names it;
 * *lock_fd, an O_DIRECTORY descriptor of it, holds the lock until
 * pp_statedir__remove() closes it, or is -1 when no lock could be taken
 * (the directory then works, but a SIGKILL leaves it for good).
 * 0 or -errno. */
int pp_statedir__create(const char *base, char **path, int *lock_fd);

/* Removes the files in PATH, then PATH itself, then closes LOCK_FD
 * (-1: none), releasing the lock last. */
void pp_statedir__remove(const char *path, int lock_fd);

/* Removes the stale state directories in BASE (see above).  Returns how
 * many it removed. */
int pp_statedir__clean(const char *base);

#endif
