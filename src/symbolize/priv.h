/* priv.h: what elf.c (symbol tables) and cfi.c (.eh_frame) share.
 * Private to src/symbolize/. */
#ifndef PYPERF_SYMBOLIZE_PRIV_H
#define PYPERF_SYMBOLIZE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "pyperf/symbolize.h"

struct pp_sym {
	uint64_t addr, size;
	uint32_t name;           /* offset in strs */
	uint8_t src;             /* enum pp_sym_source */
};

struct pp_range {
	uint64_t lo, hi;
};

struct pp_seg {
	uint64_t off, vaddr, filesz;
};

/* A section's bytes inside the object's file image, and its address. */
struct pp_sect {
	const unsigned char *p;  /* NULL when absent */
	size_t len;
	uint64_t vaddr;
};

/* One ELF file (or the vdso), shared by every process that maps it. */
struct pp_elf_obj {
	char *path;                  /* key: path and build-id (or dev/ino) */
	uint8_t build_id[PP_BUILD_ID_MAX];
	uint8_t build_id_len;
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	int readable;                /* file opened and it is the one mapped */
	struct pp_seg *segs;
	size_t nsegs;
	struct pp_sym *syms;
	size_t nsyms;
	char *strs;
	size_t strs_len, strs_cap;
	struct pp_range *xsec;       /* executable sections, sorted */
	size_t nxsec;
	unsigned char *map;          /* the file image: call-site checks, CFI */
	size_t map_len;
	int map_is_malloc;
	struct pp_sect eh_frame, eh_frame_hdr;
};

/* cfi.c */

/* The FDE covering VADDR: its [start, end).  1 found, 0 not. */
int pp_cfi__fde_range(const struct pp_elf_obj *o, uint64_t vaddr, uint64_t *start,
		      uint64_t *end);

/* The unwind rules at VADDR: CFA = reg + offset, the return address and
 * RBP saved at CFA + offset (or RBP unchanged). */
struct pp_cfi_row {
	int cfa_reg;              /* DWARF number: 6 rbp, 7 rsp */
	int64_t cfa_off;
	int ra_saved;             /* 1: at CFA + ra_off; 0: undefined (outermost) */
	int64_t ra_off;
	int bp_saved;             /* 1: at CFA + bp_off; 0: unchanged */
	int64_t bp_off;
};

/* 1 rules found, 0 no FDE covers VADDR, -1 an FDE does but its rules are
 * beyond this interpreter (expressions, other CFA registers). */
int pp_cfi__row(const struct pp_elf_obj *o, uint64_t vaddr, struct pp_cfi_row *row);

#endif
