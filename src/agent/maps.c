/* maps.c: snapshots of this process's executable mappings, for the
 * launcher's native symbolization (src/symbolize.c).
 *
 * A sampled native address means nothing without the mappings as they
 * were when it was sampled: libraries come and go with dlopen/dlclose,
 * and the process may be gone before the launcher looks.  So the agent
 * appends snapshots to "<id>.maps" in the state directory:
 *
 *   @ GEN
 *   b LO HI BUILD-ID        one per loaded ELF object (dl_iterate_phdr):
 *                           its PT_LOAD extent in memory and its GNU
 *                           build-id from the PT_NOTE in memory, in hex
 *   <lines of /proc/self/maps with x permission, verbatim>
 *   @.
 *
 * GEN counts snapshots from 1; after writing one the agent publishes GEN
 * in pp_agent.maps_gen, which the signal handler copies into every sample
 * (src/agent/handler.c).  A sample with generation G was taken after
 * snapshot G was written and before snapshot G + 1: its address is in
 * snapshot G, or, when a library was loaded in between, in a later one.
 *
 * When: at start (before any event is opened), then from the resolver
 * thread every RESOLVER_PERIOD_MS when dl_iterate_phdr's load/unload
 * counters moved, and every FULL_CHECK_TICKS ticks anyway (executable
 * mappings made without the loader: JITs, libffi closures), and at exit,
 * fork and exec (pp_agent_maps_check from the bootstrap).  A snapshot
 * identical to the previous one is not written.  Never in a signal
 * handler: this reads files and allocates. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

/* Every this many checks, read /proc/self/maps even if the loader's
 * counters did not move (~1 s at the resolver's 50 ms). */
#define FULL_CHECK_TICKS 20
/* Bounds: a maps file larger than this is cut (a process with 64 MiB of
 * mappings text has far bigger problems), build-ids longer than this
 * are not recorded. */
#define MAX_MAPS_BYTES (64u << 20)
#define MAX_BUILD_ID 64

static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static int maps_fd = -1;
static unsigned long long seen_adds, seen_subs;
static unsigned ticks;
static uint64_t last_hash;
static uint32_t gen;
/* The last snapshot's lines, for a forked child's first snapshot
 * (pp_maps_snap__write_copy). */
static char *last_body;
static size_t last_len;

struct buf {
	char *p;
	size_t n, cap;
	int failed;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		char *p;

		while (cap < b->n + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

static int counters_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	unsigned long long *c = arg;

	if (size < offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs))
		return 1;
	c[0] = info->dlpi_adds;
	c[1] = info->dlpi_subs;
	return 1; /* the counters are the same in every entry: stop */
}

/* Whether [vaddr, vaddr + len) lies in a loaded segment's file bytes: a
 * PT_NOTE outside one would not be mapped. */
static int in_load(const struct dl_phdr_info *info, ElfW(Addr) vaddr, ElfW(Xword) len)
{
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
		    vaddr + len <= ph->p_vaddr + ph->p_filesz && vaddr + len >= vaddr)
			return 1;
	}
	return 0;
}

/* The GNU build-id in the object's PT_NOTE segments, as mapped. */
static size_t build_id(const struct dl_phdr_info *info, const unsigned char **out)
{
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p, *end;

		if (ph->p_type != PT_NOTE || ph->p_memsz > (1u << 20) ||
		    !in_load(info, ph->p_vaddr, ph->p_memsz))
			continue;
		p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
			size_t name = (nh->n_namesz + 3u) & ~3u, desc = (nh->n_descsz + 3u) & ~3u;
			const unsigned char *np = p + sizeof(*nh);

			if (name > (size_t)(end - np) || desc > (size_t)(end - np) - name)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(np, "GNU", 4) && nh->n_descsz > 0 && nh->n_descsz <= MAX_BUILD_ID) {
				*out = np + name;
				return nh->n_descsz;
			}
			p = np + name + desc;
		}
	}
	return 0;
}

static int objects_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct buf *b = arg;
	const unsigned char *id = NULL;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	char line[64 + 2 * MAX_BUILD_ID];
	size_t n, i, len;
	int k;

	(void)size;
	for (k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < lo)
			lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
			hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	n = build_id(info, &id);
	if (!n || lo >= hi)
		return 0;
	len = (size_t)snprintf(line, sizeof(line), "b %lx %lx ", (unsigned long)lo, (unsigned long)hi);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%02x", id[i]);
	line[len++] = '\n';
	buf_add(b, line, len);
	return 0;
}

/* Appends the lines of /proc/self/maps that map something executable. */
static int read_exec_maps(struct buf *out)
{
	struct buf all = { 0 };
	char chunk[16384];
	ssize_t r;
	size_t pos = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((r = read(fd, chunk, sizeof(chunk))) > 0 && all.n < MAX_MAPS_BYTES)
		buf_add(&all, chunk, (size_t)r);
	close(fd);
	if (all.failed) {
		free(all.p);
		return -ENOMEM;
	}
	while (pos < all.n) {
		char *nl = memchr(all.p + pos, '\n', all.n - pos);
		size_t end = nl ? (size_t)(nl - all.p) : all.n;
		const char *sp = memchr(all.p + pos, ' ', end - pos);

		/* "start-end perms ...": x is the third permission letter */
		if (nl && sp && (size_t)(all.p + end - sp) > 4 && sp[3] == 'x')
			buf_add(out, all.p + pos, end - pos + 1);
		pos = end + 1;
	}
	free(all.p);
	return 0;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Appends snapshot GEN holding BODY to FD in one write: the launcher
 * sees it whole or waits for its "@." line.  0, or -1 when out of memory. */
static int write_snapshot(int fd, uint32_t g, const char *body, size_t len)
{
	struct buf rec = { 0 };
	char head[32];
	int n = snprintf(head, sizeof(head), "@ %u\n", g);

	buf_add(&rec, head, (size_t)n);
	buf_add(&rec, body, len);
	buf_add(&rec, "@.\n", 3);
	if (!rec.failed)
		write_all(fd, rec.p, rec.n);
	free(rec.p);
	return rec.failed ? -1 : 0;
}

static void snapshot_locked(int force)
{
	unsigned long long c[2] = { 0, 0 };
	struct buf b = { 0 };
	uint64_t h;

	if (maps_fd < 0)
		return;
	dl_iterate_phdr(counters_cb, c);
	ticks++;
	if (!force && gen > 0 && c[0] == seen_adds && c[1] == seen_subs &&
	    ticks % FULL_CHECK_TICKS != 0)
		return;
	seen_adds = c[0];
	seen_subs = c[1];
	dl_iterate_phdr(objects_cb, &b);
	if (read_exec_maps(&b) != 0 || b.failed)
		goto out;
	h = fnv1a(b.p, b.n);
	if (gen > 0 && h == last_hash)
		goto out;
	if (write_snapshot(maps_fd, gen + 1, b.p, b.n) == 0) {
		last_hash = h;
		gen++;
		__atomic_store_n(&pp_agent.maps_gen, gen, __ATOMIC_RELEASE);
		free(last_body);
		last_body = b.p;
		last_len = b.n;
		b.p = NULL;
	}
out:
	free(b.p);
}

void pp_maps_snap__check(int force)
{
	pthread_mutex_lock(&maps_lock);
	snapshot_locked(force);
	pthread_mutex_unlock(&maps_lock);
}

int pp_maps_snap__open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&maps_lock);
	if (maps_fd >= 0)
		close(maps_fd);
	maps_fd = fd;
	gen = 0;
	ticks = 0;
	last_hash = 0;
	__atomic_store_n(&pp_agent.maps_gen, 0, __ATOMIC_RELEASE);
	snapshot_locked(1);
	pthread_mutex_unlock(&maps_lock);
	return 0;
}

/* In the child of fork(): the file is the parent's.  Async-signal-safe. */
void pp_maps_snap__forget(void)
{
	if (maps_fd >= 0)
		close(maps_fd);
	maps_fd = -1;
	pthread_mutex_init(&maps_lock, NULL);
}

/* Writes the last snapshot into FD as snapshot 1: what a child forked
 * now starts with (its mappings are its parent's).  -ENOENT when there
 * is no snapshot yet. */
int pp_maps_snap__write_copy(int fd)
{
	int err = 0;

	pthread_mutex_lock(&maps_lock);
	if (!last_body || gen == 0)
		err = -ENOENT;
	else if (write_snapshot(fd, 1, last_body, last_len) != 0)
		err = -ENOMEM;
	pthread_mutex_unlock(&maps_lock);
	return err;
}

/* In the child of fork(), after pp_maps_snap__forget(): FD holds snapshot
 * 1 (pp_maps_snap__write_copy in the parent) and is this image's file
 * from now on.  Async-signal-safe. */
void pp_maps_snap__adopt(int fd)
{
	maps_fd = fd;
	gen = 1;
	ticks = 0;
	__atomic_store_n(&pp_agent.maps_gen, 1, __ATOMIC_RELEASE);
}
