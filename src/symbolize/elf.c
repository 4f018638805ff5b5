/* elf.c: ELF symbol tables for native addresses
 * (include/pyperf/symbolize.h).
 *
 * Files are the ones the agent's snapshots name, checked against the
 * build-id the agent read from memory, so that a library replaced on disk
 * since it was mapped is not used for names (its addresses fall back to
 * module+offset, or to a debug file of the same build).  Symbols come
 * from .symtab, else from a separate debug file (by build-id under each
 * debug root, then by .gnu_debuglink as GDB searches), and .dynsym; they
 * are loaded once per (path, build-id) for the whole session, whatever
 * the number of processes that map the file. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>

#include "priv.h"

struct pp_symbolizer {
	char **debug_dirs;
	struct pp_elf_obj **objs;
	size_t nobjs, cap;
	struct pp_elf_obj *vdso;
	int vdso_tried;
};

static int elf_ready(void)
{
	static int ok = -1;

	if (ok < 0)
		ok = elf_version(EV_CURRENT) != EV_NONE;
	return ok;
}

int pp_symbolizer__new(struct pp_symbolizer **out, const char *const *debug_dirs)
{
	static const char *const sys_dirs[] = { "/usr/lib/debug", NULL };
	struct pp_symbolizer *s;
	size_t n = 0, i;

	*out = NULL;
	if (!debug_dirs)
		debug_dirs = sys_dirs;
	while (debug_dirs[n])
		n++;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->debug_dirs = calloc(n + 1, sizeof(char *));
	if (!s->debug_dirs) {
		free(s);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		s->debug_dirs[i] = strdup(debug_dirs[i]);
		if (!s->debug_dirs[i]) {
			pp_symbolizer__free(s);
			return -ENOMEM;
		}
	}
	*out = s;
	return 0;
}

static void obj_free(struct pp_elf_obj *o)
{
	if (!o)
		return;
	if (o->map) {
		if (o->map_is_malloc)
			free(o->map);
		else
			munmap(o->map, o->map_len);
	}
	free(o->path);
	free(o->segs);
	free(o->syms);
	free(o->strs);
	free(o->xsec);
	free(o);
}

void pp_symbolizer__free(struct pp_symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nobjs; i++)
		obj_free(s->objs[i]);
	free(s->objs);
	obj_free(s->vdso);
	for (i = 0; s->debug_dirs && s->debug_dirs[i]; i++)
		free(s->debug_dirs[i]);
	free(s->debug_dirs);
	free(s);
}

size_t pp_symbolizer__loaded(const struct pp_symbolizer *s)
{
	return s ? s->nobjs : 0;
}

static uint32_t add_str(struct pp_elf_obj *o, const char *str)
{
	size_t n = strlen(str) + 1;
	uint32_t at;

	if (o->strs_len + n > UINT32_MAX)
		return UINT32_MAX;
	if (o->strs_len + n > o->strs_cap) {
		size_t cap = o->strs_cap ? o->strs_cap : 4096;
		char *p;

		while (cap < o->strs_len + n)
			cap *= 2;
		p = realloc(o->strs, cap);
		if (!p)
			return UINT32_MAX;
		o->strs = p;
		o->strs_cap = cap;
	}
	at = (uint32_t)o->strs_len;
	memcpy(o->strs + at, str, n);
	o->strs_len += n;
	return at;
}

static int in_xsec(const struct pp_elf_obj *o, uint64_t a, struct pp_range *which)
{
	size_t i;

	for (i = 0; i < o->nxsec; i++) {
		if (a >= o->xsec[i].lo && a < o->xsec[i].hi) {
			if (which)
				*which = o->xsec[i];
			return 1;
		}
	}
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct pp_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Executable sections (for symbols without a size, and to tell code
 * from data), from a file or from its debug file (whose NOBITS .text
 * keeps the addresses). */
static int read_xsec(Elf *e, struct pp_elf_obj *o)
{
	Elf_Scn *scn = NULL;
	size_t cap = o->nxsec;

	if (o->nxsec)
		return 0;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR) || sh.sh_size == 0 ||
		    sh.sh_addr + sh.sh_size < sh.sh_addr)
			continue;
		if (o->nxsec == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct pp_range *r = realloc(o->xsec, ncap * sizeof(*r));
			if (!r)
				return -ENOMEM;
			o->xsec = r;
			cap = ncap;
		}
		o->xsec[o->nxsec].lo = sh.sh_addr;
		o->xsec[o->nxsec].hi = sh.sh_addr + sh.sh_size;
		o->nxsec++;
	}
	if (o->nxsec > 1)
		qsort(o->xsec, o->nxsec, sizeof(*o->xsec), range_cmp);
	return 0;
}

/* Function symbols of every SHT_SYMTAB (SYMTAB_SRC) or SHT_DYNSYM
 * section.  Returns 1 when a table of that kind was present. */
static int read_syms(Elf *e, struct pp_elf_obj *o, Elf64_Word type, uint8_t src)
{
	Elf_Scn *scn = NULL;
	size_t cap = o->nsyms;
	int found = 0;

	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || sh.sh_entsize == 0)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		found = 1;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym sy;
			const char *name;
			int t;

			if (!gelf_getsym(d, (int)i, &sy))
				break;
			t = GELF_ST_TYPE(sy.st_info);
			if (sy.st_shndx == SHN_UNDEF || sy.st_shndx >= SHN_LORESERVE || sy.st_value == 0)
				continue;
			if (t != STT_FUNC && t != STT_GNU_IFUNC &&
			    !(t == STT_NOTYPE && in_xsec(o, sy.st_value, NULL)))
				continue;
			name = elf_strptr(e, sh.sh_link, sy.st_name);
			if (!name || !name[0] || name[0] == '$' || !strncmp(name, ".L", 2))
				continue;
			if (o->nsyms == cap) {
				size_t ncap = cap ? cap * 2 : 1024;
				struct pp_sym *v = realloc(o->syms, ncap * sizeof(*v));
				if (!v)
					return -ENOMEM;
				o->syms = v;
				cap = ncap;
			}
			o->syms[o->nsyms].addr = sy.st_value;
			o->syms[o->nsyms].size = sy.st_size;
			o->syms[o->nsyms].src = src;
			o->syms[o->nsyms].name = add_str(o, name);
			if (o->syms[o->nsyms].name == UINT32_MAX)
				return -ENOMEM;
			o->nsyms++;
		}
	}
	return found;
}

static size_t read_build_id(Elf *e, uint8_t *out)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((const char *)d->d_buf + noff, "GNU", 4) &&
			    nh.n_descsz > 0 && nh.n_descsz <= PP_BUILD_ID_MAX) {
				memcpy(out, (const char *)d->d_buf + doff, nh.n_descsz);
				return nh.n_descsz;
			}
		}
	}
	return 0;
}

/* .gnu_debuglink: file name and CRC-32 of the debug file. */
static int read_debuglink(Elf *e, char *name, size_t len, uint32_t *crc)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return 0;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		const char *sn;
		Elf_Data *d;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		sn = elf_strptr(e, shstrndx, sh.sh_name);
		if (!sn || strcmp(sn, ".gnu_debuglink") != 0)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || d->d_size < 8)
			return 0;
		n = strnlen(d->d_buf, d->d_size);
		if (n == 0 || n >= len || n + 1 + 4 > d->d_size)
			return 0;
		memcpy(name, d->d_buf, n);
		name[n] = 0;
		/* the CRC is the 4-byte aligned word after the name */
		memcpy(crc, (const char *)d->d_buf + ((n + 4) & ~(size_t)3), 4);
		return strchr(name, '/') == NULL;
	}
	return 0;
}

static int read_segs(Elf *e, struct pp_elf_obj *o)
{
	size_t n, i;

	if (elf_getphdrnum(e, &n) != 0)
		return 0;
	free(o->segs);
	o->segs = calloc(n ? n : 1, sizeof(*o->segs));
	o->nsegs = 0;
	if (!o->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		o->segs[o->nsegs].off = ph.p_offset;
		o->segs[o->nsegs].vaddr = ph.p_vaddr;
		o->segs[o->nsegs].filesz = ph.p_filesz;
		o->nsegs++;
	}
	return 0;
}

/* .eh_frame and .eh_frame_hdr, inside O's file image (for cfi.c). */
static void read_cfi_sects(Elf *e, struct pp_elf_obj *o)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!o->map || elf_getshdrstrndx(e, &shstrndx) != 0)
		return;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		struct pp_sect *to = NULL;
		const char *sn;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
			continue;
		sn = elf_strptr(e, shstrndx, sh.sh_name);
		if (!sn)
			continue;
		if (!strcmp(sn, ".eh_frame"))
			to = &o->eh_frame;
		else if (!strcmp(sn, ".eh_frame_hdr"))
			to = &o->eh_frame_hdr;
		if (!to || sh.sh_offset > o->map_len || sh.sh_size > o->map_len - sh.sh_offset)
			continue;
		to->p = o->map + sh.sh_offset;
		to->len = sh.sh_size;
		to->vaddr = sh.sh_addr;
	}
}

static int sym_cmp(const void *a, const void *b)
{
	const struct pp_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address: the better source, then the larger size first */
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

static void sort_syms(struct pp_elf_obj *o)
{
	size_t i, j = 0;

	if (o->nsyms == 0)
		return;
	qsort(o->syms, o->nsyms, sizeof(*o->syms), sym_cmp);
	for (i = 0; i < o->nsyms; i++)
		if (j == 0 || o->syms[j - 1].addr != o->syms[i].addr)
			o->syms[j++] = o->syms[i];
	o->nsyms = j;
}

/* Opens PATH as ELF; *FD and the Elf handle to be released by the caller. */
static Elf *open_elf(const char *path, int *fd, struct stat *sb)
{
	Elf *e;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	if (fstat(*fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
		close(*fd);
		*fd = -1;
		return NULL;
	}
	e = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(*fd);
		*fd = -1;
		return NULL;
	}
	return e;
}

static uint32_t file_crc(int fd)
{
	unsigned char buf[65536];
	uLong crc = crc32(0L, Z_NULL, 0);
	ssize_t n;
	off_t off = 0;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, (uInt)n);
		off += n;
	}
	return (uint32_t)crc;
}

/* Merges the .symtab of a separate debug file into O, if DEBUG is one
 * whose build-id is ID (when LEN > 0) or whose CRC-32 is CRC (else).
 * Returns 1 when used. */
static int try_debug_file(struct pp_elf_obj *o, const char *debug, const uint8_t *id,
			  size_t len, uint32_t crc, const struct stat *self)
{
	uint8_t got[PP_BUILD_ID_MAX];
	struct stat sb;
	int fd, used = 0;
	Elf *e = open_elf(debug, &fd, &sb);

	if (!e)
		return 0;
	if (self && sb.st_dev == self->st_dev && sb.st_ino == self->st_ino)
		goto out; /* the debuglink names the file itself */
	if (len ? read_build_id(e, got) != len || memcmp(got, id, len) : file_crc(fd) != crc)
		goto out;
	if (read_xsec(e, o) < 0 || read_syms(e, o, SHT_SYMTAB, PP_SYM_DEBUG) <= 0)
		goto out;
	if (o->nsegs == 0)
		read_segs(e, o);
	used = 1;
out:
	elf_end(e);
	close(fd);
	return used;
}

static int find_by_build_id(struct pp_symbolizer *s, struct pp_elf_obj *o, const uint8_t *id,
			    size_t len)
{
	char path[PATH_MAX], hex[2 * PP_BUILD_ID_MAX + 1];
	size_t i, k;

	if (len < 2)
		return 0;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	for (k = 0; s->debug_dirs[k]; k++) {
		int n = snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", s->debug_dirs[k],
				 hex, hex + 2);
		if (n > 0 && (size_t)n < sizeof(path) && try_debug_file(o, path, id, len, 0, NULL))
			return 1;
	}
	return 0;
}

/* GDB's search order for a debug link: beside the file, in .debug/ beside
 * it, and under each debug root with the file's directory appended. */
static int find_by_debuglink(struct pp_symbolizer *s, struct pp_elf_obj *o, const char *file,
			     const char *name, uint32_t crc, const struct stat *self)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const char *slash = strrchr(file, '/');
	size_t k;
	int n;

	if (!slash || (size_t)(slash - file) >= sizeof(dir))
		return 0;
	memcpy(dir, file, (size_t)(slash - file));
	dir[slash - file] = 0;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n > 0 && (size_t)n < sizeof(path) && try_debug_file(o, path, NULL, 0, crc, self))
		return 1;
	n = snprintf(path, sizeof(path), "%s/.debug/%s", dir, name);
	if (n > 0 && (size_t)n < sizeof(path) && try_debug_file(o, path, NULL, 0, crc, self))
		return 1;
	for (k = 0; s->debug_dirs[k]; k++) {
		n = snprintf(path, sizeof(path), "%s%s/%s", s->debug_dirs[k], dir, name);
		if (n > 0 && (size_t)n < sizeof(path) && try_debug_file(o, path, NULL, 0, crc, self))
			return 1;
	}
	return 0;
}

/* Loads the symbols of the file M maps.  Always returns an object (one
 * with no symbols when the file cannot be used), or NULL for ENOMEM. */
static struct pp_elf_obj *obj_load(struct pp_symbolizer *s, const struct pp_map *m)
{
	struct pp_elf_obj *o = calloc(1, sizeof(*o));
	uint8_t id[PP_BUILD_ID_MAX];
	char link[256];
	uint32_t crc = 0;
	struct stat sb;
	size_t idlen = 0;
	int fd = -1, have_symtab, mismatch;
	Elf *e = NULL;

	if (!o)
		return NULL;
	o->path = strdup(m->path);
	if (!o->path) {
		free(o);
		return NULL;
	}
	memcpy(o->build_id, m->build_id, m->build_id_len);
	o->build_id_len = m->build_id_len;
	o->dev_major = m->dev_major;
	o->dev_minor = m->dev_minor;
	o->ino = m->inode;
	if (!elf_ready())
		return o;
	if (!m->deleted)
		e = open_elf(m->path, &fd, &sb);
	if (e) {
		idlen = read_build_id(e, id);
		/* Is this file the one that was mapped?  The build-id the agent
		 * read from memory says; without one, the inode does. */
		if (m->build_id_len)
			mismatch = idlen != m->build_id_len || memcmp(id, m->build_id, idlen);
		else
			mismatch = m->inode && (sb.st_ino != m->inode ||
						major(sb.st_dev) != m->dev_major ||
						minor(sb.st_dev) != m->dev_minor);
		if (mismatch) {
			elf_end(e);
			close(fd);
			e = NULL;
		}
	}
	if (e) {
		o->readable = 1;
		if (read_segs(e, o) < 0 || read_xsec(e, o) < 0)
			goto nomem;
		have_symtab = read_syms(e, o, SHT_SYMTAB, PP_SYM_SYMTAB);
		if (have_symtab < 0 || read_syms(e, o, SHT_DYNSYM, PP_SYM_DYNSYM) < 0)
			goto nomem;
		if (!have_symtab && !find_by_build_id(s, o, id, idlen) &&
		    read_debuglink(e, link, sizeof(link), &crc))
			find_by_debuglink(s, o, m->path, link, crc, &sb);
		if (sb.st_size > 0 && (uint64_t)sb.st_size < ((uint64_t)1 << 32)) {
			void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (p != MAP_FAILED) {
				o->map = p;
				o->map_len = (size_t)sb.st_size;
			}
		}
		read_cfi_sects(e, o);
		elf_end(e);
		close(fd);
	} else if (m->build_id_len) {
		/* Deleted or replaced since it was mapped: a debug file of
		 * the same build still names its functions. */
		find_by_build_id(s, o, m->build_id, m->build_id_len);
	}
	sort_syms(o);
	return o;
nomem:
	elf_end(e);
	close(fd);
	obj_free(o);
	return NULL;
}

/* The vdso is the kernel's, the same image in every process: ours. */
static struct pp_elf_obj *vdso_obj(struct pp_symbolizer *s)
{
	const unsigned char *base;
	size_t len = 0;
	Elf *e;

	if (s->vdso_tried)
		return s->vdso;
	s->vdso_tried = 1;
	base = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (!base || !elf_ready() || memcmp(base, ELFMAG, SELFMAG) != 0 ||
	    base[EI_CLASS] != ELFCLASS64)
		return NULL;
	{
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(const void *)base;
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(const void *)(base + eh->e_phoff);
		int i;

		for (i = 0; i < eh->e_phnum; i++)
			if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > len)
				len = ph[i].p_offset + ph[i].p_filesz;
		if (eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize > len)
			len = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	}
	if (len == 0 || len > (1u << 20))
		return NULL;
	s->vdso = calloc(1, sizeof(*s->vdso));
	if (!s->vdso)
		return NULL;
	s->vdso->map = malloc(len);
	s->vdso->path = strdup("[vdso]");
	if (!s->vdso->map || !s->vdso->path) {
		obj_free(s->vdso);
		s->vdso = NULL;
		return NULL;
	}
	memcpy(s->vdso->map, base, len);
	s->vdso->map_len = len;
	s->vdso->map_is_malloc = 1;
	e = elf_memory((char *)s->vdso->map, len);
	if (e) {
		if (read_segs(e, s->vdso) == 0 && read_xsec(e, s->vdso) == 0 &&
		    read_syms(e, s->vdso, SHT_DYNSYM, PP_SYM_DYNSYM) >= 0)
			s->vdso->readable = 1;
		read_cfi_sects(e, s->vdso);
		elf_end(e);
	}
	sort_syms(s->vdso);
	return s->vdso;
}

static struct pp_elf_obj *obj_for(struct pp_symbolizer *s, const struct pp_map *m)
{
	struct pp_elf_obj *o;
	size_t i;

	if (m->kind == PP_MAP_SPECIAL && m->path && !strcmp(m->path, "[vdso]"))
		return vdso_obj(s);
	if (m->kind != PP_MAP_FILE || !m->path)
		return NULL;
	for (i = 0; i < s->nobjs; i++) {
		o = s->objs[i];
		if (strcmp(o->path, m->path) != 0)
			continue;
		if (m->build_id_len ? (o->build_id_len == m->build_id_len &&
				       !memcmp(o->build_id, m->build_id, m->build_id_len))
				    : (o->build_id_len == 0 && o->ino == m->inode &&
				       o->dev_major == m->dev_major && o->dev_minor == m->dev_minor))
			return o;
	}
	if (s->nobjs == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct pp_elf_obj **v = realloc(s->objs, cap * sizeof(*v));
		if (!v)
			return NULL;
		s->objs = v;
		s->cap = cap;
	}
	o = obj_load(s, m);
	if (o)
		s->objs[s->nobjs++] = o;
	return o;
}

static int to_vaddr(const struct pp_elf_obj *o, uint64_t foff, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; o && i < o->nsegs; i++) {
		if (foff >= o->segs[i].off && foff - o->segs[i].off < o->segs[i].filesz) {
			*vaddr = foff - o->segs[i].off + o->segs[i].vaddr;
			return 1;
		}
	}
	*vaddr = foff;
	return 0;
}

static const struct pp_sym *sym_at(const struct pp_elf_obj *o, uint64_t vaddr)
{
	size_t lo = 0, hi = o->nsyms, i, k;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	i = lo - 1;
	/* a symbol may sit inside a larger one: look a few back for a
	 * covering one before calling the address unnamed */
	for (k = 0; k < 4 && k <= i; k++) {
		const struct pp_sym *y = &o->syms[i - k];

		if (y->size > 0) {
			if (vaddr - y->addr < y->size)
				return y;
		} else if (k == 0) {
			struct pp_range r;
			uint64_t next = i + 1 < o->nsyms ? o->syms[i + 1].addr : UINT64_MAX;

			/* no size (assembly): up to the next symbol, within
			 * the same executable section */
			if (in_xsec(o, y->addr, &r) && vaddr < r.hi && vaddr < next)
				return y;
		}
	}
	return NULL;
}

int pp_symbolizer__lookup(struct pp_symbolizer *s, const struct pp_map *m, uint64_t addr,
			  struct pp_symbol *out)
{
	struct pp_elf_obj *o;
	const struct pp_sym *y;
	uint64_t foff;

	memset(out, 0, sizeof(*out));
	out->module = pp_map__module(m);
	out->path = m->path ? m->path : "";
	if (m->kind == PP_MAP_ANON || (m->kind == PP_MAP_SPECIAL && strcmp(m->path, "[vdso]"))) {
		out->offset = addr;
		return 0;
	}
	foff = addr - m->start + m->offset;
	o = obj_for(s, m);
	if (!o) {
		out->offset = foff;
		return m->kind == PP_MAP_FILE ? -ENOMEM : 0;
	}
	to_vaddr(o, foff, &out->offset);
	out->readable = o->readable || o->nsyms > 0;
	y = sym_at(o, out->offset);
	if (y) {
		out->name = o->strs + y->name;
		out->start = y->addr;
		out->start_known = 1;
		out->sym_offset = out->offset - y->addr;
		out->source = y->src;
	} else {
		uint64_t start, end;

		/* No name, but the unwind table knows where the function
		 * starts: all its addresses then make one row. */
		if (pp_cfi__fde_range(o, out->offset, &start, &end) == 1) {
			out->start = start;
			out->start_known = 1;
			out->sym_offset = out->offset - start;
		}
	}
	return 0;
}

int pp_symbol__format(const struct pp_symbol *sym, char *buf, size_t len)
{
	if (sym->name)
		return snprintf(buf, len, "%s", sym->name);
	return snprintf(buf, len, "%s+%#llx", sym->module,
			(unsigned long long)(sym->start_known ? sym->start : sym->offset));
}

int pp_symbolizer__unwind(struct pp_symbolizer *s, const struct pp_map *m,
			  struct pp_unwind_regs *r, int leaf, pp_unwind_read_fn read, void *ctx)
{
	struct pp_elf_obj *o;
	struct pp_cfi_row row;
	uint64_t pc = leaf ? r->ip : r->ip - 1, vaddr, cfa, ra, bp = r->bp;
	int k;

	if (pc < m->start || pc >= m->end)
		return 0;
	o = obj_for(s, m);
	if (!o)
		return 0;
	to_vaddr(o, pc - m->start + m->offset, &vaddr);
	k = pp_cfi__row(o, vaddr, &row);
	if (k <= 0)
		return k;
	cfa = (row.cfa_reg == 7 ? r->sp : r->bp) + (uint64_t)row.cfa_off;
	if (!row.ra_saved || cfa <= r->sp)
		return -1;
	if (!read(ctx, cfa + (uint64_t)row.ra_off, &ra))
		return -1;
	if (row.bp_saved == 1 && !read(ctx, cfa + (uint64_t)row.bp_off, &bp))
		return -1;
	if (row.bp_saved == 2)
		bp = 0;
	r->ip = ra;
	r->sp = cfa;
	r->bp = bp;
	return 1;
}

/* Length of an FF /2 (call r/m64) instruction from its ModRM byte on,
 * ModRM and SIB included, or 0 when MODRM is not a /2. */
static unsigned call_rm_len(const unsigned char *p, size_t avail)
{
	unsigned mod, rm, len = 2;

	if (avail < 1 || ((p[0] >> 3) & 7) != 2)
		return 0;
	mod = p[0] >> 6;
	rm = p[0] & 7;
	if (mod == 3)
		return 2;
	if (rm == 4) {
		if (avail < 2)
			return 0;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;
	} else if (mod == 0 && rm == 5) {
		len += 4; /* RIP-relative */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

int pp_symbolizer__after_call(struct pp_symbolizer *s, const struct pp_map *m, uint64_t addr,
			      uint64_t *target)
{
	struct pp_elf_obj *o;
	uint64_t foff, va;
	const unsigned char *p;
	unsigned k;

	*target = 0;
	if (!(m->prot & PP_MAP_X) || addr <= m->start || addr > m->end)
		return 0;
	o = obj_for(s, m);
	if (!o || !o->map)
		return 0;
	/* in a vdso the mapping offset is the image offset */
	foff = addr - m->start + m->offset;
	if (foff < 7 || foff > o->map_len)
		return 0;
	p = o->map + foff;
	if (p[-5] == 0xe8) {
		int32_t rel;

		memcpy(&rel, p - 4, 4);
		if (to_vaddr(o, foff, &va))
			*target = va + (uint64_t)(int64_t)rel;
		return 1;
	}
	for (k = 2; k <= 7; k++)
		if (p[-(int)k] == 0xff && call_rm_len(p - k + 1, k - 1) == k)
			return 1;
	return 0;
}
