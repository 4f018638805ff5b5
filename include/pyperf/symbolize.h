/* symbolize: native addresses of a sampled process to function names.
 *
 * Three layers, each usable alone (tests/unit/test_symbolize.c):
 *
 *   pp_maps       a parser for /proc/<pid>/maps text, bounded in every
 *                 dimension because the text comes from files the target
 *                 could have written (it is fuzzed);
 *   pp_addrspace  one process image's mappings over time: the snapshots
 *                 the agent wrote (src/agent/maps.c), so that an address
 *                 sampled before a dlclose, or in a library loaded after
 *                 the last snapshot, still finds its file;
 *   pp_symbolizer ELF symbol tables (.symtab, .dynsym, and separate debug
 *                 files found by build-id or .gnu_debuglink), loaded once
 *                 per (path, build-id) and shared by every process.
 *
 * Nothing here touches the target: everything is read from the snapshots
 * and from the files they name.  An address that no symbol covers is
 * shown as "module+0xoffset" (module = the file's base name), never "??". */
#ifndef PYPERF_SYMBOLIZE_H
#define PYPERF_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

/* ---- /proc/<pid>/maps ---- */

#define PP_MAPS_MAX_LINE 8192         /* longer lines are skipped */
#define PP_MAPS_MAX_ENTRIES (1u << 20) /* per pp_maps */
#define PP_BUILD_ID_MAX 64

enum {
	PP_MAP_R = 1 << 0,
	PP_MAP_W = 1 << 1,
	PP_MAP_X = 1 << 2,
	PP_MAP_SHARED = 1 << 3,
};

enum pp_map_kind {
	PP_MAP_FILE,     /* path is a file (possibly deleted) */
	PP_MAP_ANON,     /* no path */
	PP_MAP_SPECIAL,  /* "[vdso]", "[heap]", "[anon:name]", ... */
};

struct pp_map {
	uint64_t start, end;      /* [start, end) */
	uint64_t offset;          /* file offset of start */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	unsigned prot;            /* PP_MAP_* */
	enum pp_map_kind kind;
	int deleted;              /* the kernel said " (deleted)" */
	char *path;               /* without " (deleted)"; NULL for anonymous */
	uint8_t build_id[PP_BUILD_ID_MAX];
	uint8_t build_id_len;     /* 0: unknown */
};

struct pp_maps {
	struct pp_map *v;
	size_t n, cap;
	size_t malformed;         /* lines skipped: syntax, bounds, too long */
};

enum {
	PP_MAPS_EXEC_ONLY = 1 << 0, /* keep only mappings with x permission */
};

/* Parses BUF[0..len) (no NUL needed; a last line without '\n' counts)
 * and appends the mappings to OUT.  Returns how many were added, or
 * -ENOMEM; malformed lines are skipped and counted, never fatal. */
long pp_maps__parse(const char *buf, size_t len, struct pp_maps *out, unsigned flags);
void pp_maps__free(struct pp_maps *m);

/* Base name of a mapping, as shown to users: "libc.so.6", "[vdso]",
 * "[anon]" for anonymous memory. */
const char *pp_map__module(const struct pp_map *m);

/* ---- one process image's mappings over time ---- */

struct pp_addrspace;

int pp_addrspace__new(struct pp_addrspace **out);
void pp_addrspace__free(struct pp_addrspace *as);

/* Adds snapshot GEN (increasing; gaps allowed).  Takes the mappings out
 * of M (M is left empty).  IDS, when not NULL, are the "b LO HI ID" lines
 * of the snapshot, already split: every mapping within [lo, hi) gets that
 * build-id.  0 or -ENOMEM. */
struct pp_build_id_range {
	uint64_t lo, hi;
	uint8_t id[PP_BUILD_ID_MAX];
	uint8_t len;
};
int pp_addrspace__add(struct pp_addrspace *as, uint32_t gen, struct pp_maps *m,
		      const struct pp_build_id_range *ids, size_t nids);

/* Highest generation added, 0 when none. */
uint32_t pp_addrspace__latest(const struct pp_addrspace *as);

/* The mapping that held ADDR for a sample of generation GEN (taken after
 * snapshot GEN was written, before the next): the one in snapshot GEN,
 * else the closest later one (mapped after snapshot GEN), else the
 * closest earlier one.  GEN 0 means the latest.  NULL when no snapshot
 * has ADDR. */
const struct pp_map *pp_addrspace__find(const struct pp_addrspace *as, uint64_t addr,
					uint32_t gen);

/* Parses "b LO HI HEX" (without the newline); 0 or -EINVAL. */
int pp_build_id_range__parse(const char *line, size_t len, struct pp_build_id_range *out);

/* ---- ELF symbols ---- */

struct pp_symbolizer;

/* DEBUG_DIRS: NULL-terminated roots of separate debug files (each holds
 * .build-id/xx/yyyy.debug and mirrors of library directories), or NULL
 * for the system's ("/usr/lib/debug").  0 or -ENOMEM. */
int pp_symbolizer__new(struct pp_symbolizer **out, const char *const *debug_dirs);
void pp_symbolizer__free(struct pp_symbolizer *s);

enum pp_sym_source {
	PP_SYM_NONE,      /* no symbol covers the address */
	PP_SYM_SYMTAB,    /* the file's own .symtab */
	PP_SYM_DEBUG,     /* .symtab of a separate debug file */
	PP_SYM_DYNSYM,    /* .dynsym only */
};

struct pp_symbol {
	const char *name;     /* function, or NULL (source PP_SYM_NONE) */
	const char *module;   /* pp_map__module() */
	const char *path;     /* the mapping's path, "" for anonymous */
	uint64_t offset;      /* ELF virtual address within the module (what
				 objdump and addr2line take); the file offset
				 when the file could not be read; the address
				 itself for anonymous memory */
	uint64_t start;       /* start of the function: the symbol's, or for
				 an unnamed one the .eh_frame entry's */
	int start_known;
	uint64_t sym_offset;  /* offset - start */
	enum pp_sym_source source;
	int readable;         /* the module's ELF file was found and matched */
};

/* Resolves ADDR, which lies in M.  Strings point into S or M and live as
 * long as both.  0, or -ENOMEM (then OUT still names module+offset). */
int pp_symbolizer__lookup(struct pp_symbolizer *s, const struct pp_map *m, uint64_t addr,
			  struct pp_symbol *out);

/* "name"; for an unnamed function that the module's .eh_frame delimits,
 * "module+0xSTART" (its start, so that all its samples make one row);
 * else "module+0xOFFSET" (the address itself).  Returns what snprintf
 * returns. */
int pp_symbol__format(const struct pp_symbol *sym, char *buf, size_t len);

/* For frame-pointer walks: whether the instruction just before ADDR (a
 * return address in M) is a call, read from the module's file.  1 yes,
 * 0 no or unknown (file unreadable).  For a direct call, *TARGET gets the
 * callee's ELF virtual address, else 0. */
int pp_symbolizer__after_call(struct pp_symbolizer *s, const struct pp_map *m, uint64_t addr,
			      uint64_t *target);

/* One unwind step with the module's .eh_frame: from the state R of a
 * frame whose code is in M (LEAF: R->ip is the interrupted instruction;
 * else a return address, looked up at ip - 1) to its caller's.  READ
 * gives the stack words that were copied (1) or says they were not (0).
 * Returns 1 stepped (R is the caller's: ip = return address, sp = CFA,
 * bp restored), 0 no unwind entry covers the address, -1 the entry's
 * rules are beyond this unwinder, the stack needed was not copied, or
 * this is the outermost frame. */
struct pp_unwind_regs {
	uint64_t ip, sp, bp;
};
typedef int (*pp_unwind_read_fn)(void *ctx, uint64_t addr, uint64_t *out);
int pp_symbolizer__unwind(struct pp_symbolizer *s, const struct pp_map *m,
			  struct pp_unwind_regs *r, int leaf, pp_unwind_read_fn read, void *ctx);

/* ELF objects loaded so far (files opened, for tests). */
size_t pp_symbolizer__loaded(const struct pp_symbolizer *s);

#endif
