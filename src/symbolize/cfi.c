/* cfi.c: the .eh_frame call frame information of a module, for two uses:
 * where an unnamed function starts (so that a stripped module's samples
 * group by function), and one unwind step from a sampled register state
 * over a copy of the stack (include/pyperf/symbolize.h).
 *
 * x86-64 only.  .eh_frame is always there (C++ exceptions and
 * pthread_cancel need it; `strip` keeps it), unlike frame pointers.  The
 * FDE is found through .eh_frame_hdr's sorted table (encoding
 * DW_EH_PE_datarel|sdata4, what GNU ld, gold and lld write).  Only the
 * rules an unwinder of ordinary compiled code needs are interpreted: the
 * CFA as RSP or RBP plus an offset, the return address and RBP saved at
 * CFA plus an offset.  Anything else (DWARF expressions, PLT entries,
 * signal frames) makes the step fail, and the caller stops there.
 *
 * The input is a file the target could have written: every read is
 * bounds-checked against its section, every loop bounded.  Format:
 * the LSB "Exception Frames" chapter and the DWARF 4 standard, 6.4. */
#include <string.h>

#include "priv.h"

#define DW_EH_PE_omit 0xff
#define DW_CFA_STATE_STACK 16
#define MAX_CFA_OPS 100000

enum { REG_RBP = 6, REG_RSP = 7, REG_RA = 16 };

/* ---------------------------------------------------------- reading */

struct rd {
	const unsigned char *p, *end;
	uint64_t vaddr;            /* address of *p */
	int bad;
};

static void rd_skip(struct rd *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		r->p = r->end;
		return;
	}
	r->p += n;
	r->vaddr += n;
}

static uint64_t rd_u(struct rd *r, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	rd_skip(r, n);
	return v;
}

static int64_t rd_s(struct rd *r, size_t n)
{
	uint64_t v = rd_u(r, n);

	if (n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~(uint64_t)0 << (8 * n);
	return (int64_t)v;
}

static uint64_t rd_uleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;

	for (;;) {
		uint64_t b = rd_u(r, 1);

		if (r->bad)
			return 0;
		if (shift < 64)
			v |= (b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
		if (shift > 70) {
			r->bad = 1;
			return 0;
		}
	}
}

static int64_t rd_sleb(struct rd *r)
{
	uint64_t v = 0, b;
	unsigned shift = 0;

	do {
		b = rd_u(r, 1);
		if (r->bad)
			return 0;
		if (shift < 64)
			v |= (b & 0x7f) << shift;
		shift += 7;
		if (shift > 70) {
			r->bad = 1;
			return 0;
		}
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	return (int64_t)v;
}

/* A DW_EH_PE_* encoded value.  DATAREL: the base for DW_EH_PE_datarel. */
static uint64_t rd_enc(struct rd *r, unsigned enc, uint64_t datarel)
{
	uint64_t field = r->vaddr, v;

	if (enc == DW_EH_PE_omit)
		return 0;
	switch (enc & 0x0f) {
	case 0x00: v = rd_u(r, 8); break;
	case 0x01: v = rd_uleb(r); break;
	case 0x02: v = rd_u(r, 2); break;
	case 0x03: v = rd_u(r, 4); break;
	case 0x04: v = rd_u(r, 8); break;
	case 0x09: v = (uint64_t)rd_sleb(r); break;
	case 0x0a: v = (uint64_t)rd_s(r, 2); break;
	case 0x0b: v = (uint64_t)rd_s(r, 4); break;
	case 0x0c: v = (uint64_t)rd_s(r, 8); break;
	default: r->bad = 1; return 0;
	}
	switch (enc & 0x70) {
	case 0x00: return v;
	case 0x10: return v + field;     /* pcrel */
	case 0x30: return v + datarel;   /* datarel */
	default: r->bad = 1; return 0;
	}
}

/* A reader over .eh_frame starting at address VADDR, or bad. */
static struct rd at_vaddr(const struct pp_sect *s, uint64_t vaddr)
{
	struct rd r = { NULL, NULL, vaddr, 1 };

	if (s->p && vaddr >= s->vaddr && vaddr - s->vaddr < s->len) {
		r.p = s->p + (vaddr - s->vaddr);
		r.end = s->p + s->len;
		r.bad = 0;
	}
	return r;
}

/* ---------------------------------------------------------- CIE/FDE */

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra_reg;
	unsigned fde_enc;
	int has_aug_len;
	struct rd insns;           /* initial instructions */
};

struct fde {
	uint64_t start, end;
	struct rd insns;
};

/* The entry at R: its length, with R limited to it.  0 for a terminator
 * or a malformed length. */
static int entry(struct rd *r)
{
	uint64_t len = rd_u(r, 4);

	if (len == 0xffffffffu)
		len = rd_u(r, 8);
	if (r->bad || len == 0 || len > (uint64_t)(r->end - r->p))
		return 0;
	r->end = r->p + len;
	return 1;
}

static int parse_cie(const struct pp_elf_obj *o, uint64_t vaddr, struct cie *c)
{
	struct rd r = at_vaddr(&o->eh_frame, vaddr);
	const char *aug;
	size_t augn, i;
	unsigned version;

	memset(c, 0, sizeof(*c));
	c->fde_enc = 0; /* absptr */
	if (r.bad || !entry(&r) || rd_u(&r, 4) != 0)
		return -1;
	version = (unsigned)rd_u(&r, 1);
	if (r.bad || (version != 1 && version != 3))
		return -1;
	aug = (const char *)r.p;
	augn = strnlen(aug, (size_t)(r.end - r.p));
	if (augn == (size_t)(r.end - r.p))
		return -1;
	rd_skip(&r, augn + 1);
	if (augn && (aug[0] != 'z' || strstr(aug, "eh")))
		return -1; /* "eh" (pre-2000 GCC) or no 'z': sizes unknown */
	c->code_align = rd_uleb(&r);
	c->data_align = rd_sleb(&r);
	c->ra_reg = version == 1 ? rd_u(&r, 1) : rd_uleb(&r);
	if (augn) {
		uint64_t alen = rd_uleb(&r);
		struct rd a = r;

		if (r.bad || alen > (uint64_t)(r.end - r.p))
			return -1;
		a.end = r.p + alen;
		c->has_aug_len = 1;
		for (i = 1; i < augn && !a.bad; i++) {
			if (aug[i] == 'R') {
				c->fde_enc = (unsigned)rd_u(&a, 1);
			} else if (aug[i] == 'P') {
				unsigned enc = (unsigned)rd_u(&a, 1);
				rd_enc(&a, enc & 0x7f, 0); /* the personality: skipped */
			} else if (aug[i] == 'L') {
				rd_u(&a, 1);
			} else if (aug[i] != 'S' && aug[i] != 'B') {
				break; /* unknown: the length lets us skip the rest */
			}
		}
		if (a.bad)
			return -1;
		rd_skip(&r, (size_t)alen);
	}
	if (r.bad || c->code_align == 0)
		return -1;
	c->insns = r;
	return 0;
}

static int parse_fde(const struct pp_elf_obj *o, uint64_t vaddr, struct cie *c, struct fde *f)
{
	struct rd r = at_vaddr(&o->eh_frame, vaddr);
	uint64_t field, cie_off;

	if (r.bad || !entry(&r))
		return -1;
	field = r.vaddr;
	cie_off = rd_u(&r, 4);
	if (r.bad || cie_off == 0 || cie_off > field)
		return -1;
	if (parse_cie(o, field - cie_off, c) != 0)
		return -1;
	f->start = rd_enc(&r, c->fde_enc, 0);
	f->end = f->start + rd_enc(&r, c->fde_enc & 0x0f, 0);
	if (c->has_aug_len)
		rd_skip(&r, (size_t)rd_uleb(&r));
	if (r.bad || f->end < f->start)
		return -1;
	f->insns = r;
	return 0;
}

/* The FDE for VADDR through .eh_frame_hdr's binary search table. */
static int find_fde(const struct pp_elf_obj *o, uint64_t vaddr, struct cie *c, struct fde *f)
{
	const struct pp_sect *h = &o->eh_frame_hdr;
	struct rd r = at_vaddr(h, h->vaddr);
	uint64_t count, lo = 0, hi;
	unsigned ptr_enc, cnt_enc, tab_enc;
	const unsigned char *tab;

	if (r.bad || !o->eh_frame.p || rd_u(&r, 1) != 1)
		return 0;
	ptr_enc = (unsigned)rd_u(&r, 1);
	cnt_enc = (unsigned)rd_u(&r, 1);
	tab_enc = (unsigned)rd_u(&r, 1);
	rd_enc(&r, ptr_enc, h->vaddr);
	count = rd_enc(&r, cnt_enc, h->vaddr);
	if (r.bad || tab_enc != 0x3b || count == 0 || count > (uint64_t)(r.end - r.p) / 8)
		return 0;
	tab = r.p;
	/* entries: (start, fde), each an int32 relative to the header */
	hi = count;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		struct rd e = { tab + mid * 8, tab + mid * 8 + 4, 0, 0 };
		uint64_t start = h->vaddr + (uint64_t)rd_s(&e, 4);

		if (start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	{
		struct rd e = { tab + (lo - 1) * 8 + 4, tab + (lo - 1) * 8 + 8, 0, 0 };
		uint64_t fde = h->vaddr + (uint64_t)rd_s(&e, 4);

		if (parse_fde(o, fde, c, f) != 0 || vaddr < f->start || vaddr >= f->end)
			return 0;
	}
	return 1;
}

int pp_cfi__fde_range(const struct pp_elf_obj *o, uint64_t vaddr, uint64_t *start,
		      uint64_t *end)
{
	struct cie c;
	struct fde f;

	if (!o || !find_fde(o, vaddr, &c, &f))
		return 0;
	*start = f.start;
	*end = f.end;
	return 1;
}

/* ------------------------------------------------------------- rules */

enum rule_kind { R_SAME, R_UNDEF, R_OFFSET, R_OTHER };

struct rule {
	enum rule_kind kind;
	int64_t off;
};

struct state {
	uint64_t cfa_reg;
	int64_t cfa_off;
	int cfa_expr;
	struct rule bp, ra;
};

static struct rule *rule_for(struct state *s, uint64_t reg, uint64_t ra_reg)
{
	if (reg == REG_RBP)
		return &s->bp;
	if (reg == ra_reg)
		return &s->ra;
	return NULL; /* a register we do not track */
}

static struct rule initial_rule(const struct state *initial, uint64_t reg, uint64_t ra_reg)
{
	return reg == REG_RBP ? initial->bp : reg == ra_reg ? initial->ra : (struct rule){ R_SAME, 0 };
}

/* Runs the instructions of R while the location stays <= PC (all of them
 * for the CIE's initial instructions: PC = UINT64_MAX).  0, or -1 on a
 * malformed or unsupported instruction. */
static int run(struct rd r, const struct cie *c, uint64_t loc, uint64_t pc, struct state *s,
	       const struct state *initial)
{
	struct state stack[DW_CFA_STATE_STACK];
	unsigned depth = 0, ops = 0;

	while (r.p < r.end && !r.bad) {
		unsigned op = (unsigned)rd_u(&r, 1);
		uint64_t reg, adv = 0;
		struct rule *x;

		if (++ops > MAX_CFA_OPS)
			return -1;
		switch (op & 0xc0) {
		case 0x40:
			adv = (op & 0x3f) * c->code_align;
			goto advance;
		case 0x80:
			x = rule_for(s, op & 0x3f, c->ra_reg);
			reg = rd_uleb(&r);
			if (x) {
				x->kind = R_OFFSET;
				x->off = (int64_t)reg * c->data_align;
			}
			continue;
		case 0xc0:
			x = rule_for(s, op & 0x3f, c->ra_reg);
			if (x)
				*x = initial_rule(initial, op & 0x3f, c->ra_reg);
			continue;
		}
		switch (op) {
		case 0x00: /* nop */
			break;
		case 0x01: /* set_loc */
			{
				uint64_t to = rd_enc(&r, c->fde_enc, 0);
				if (to > pc)
					return 0;
				loc = to;
			}
			break;
		case 0x02: adv = rd_u(&r, 1) * c->code_align; goto advance;
		case 0x03: adv = rd_u(&r, 2) * c->code_align; goto advance;
		case 0x04: adv = rd_u(&r, 4) * c->code_align; goto advance;
		case 0x05: /* offset_extended */
		case 0x11: /* offset_extended_sf */
		case 0x2f: /* GNU_negative_offset_extended */
			reg = rd_uleb(&r);
			{
				int64_t off = op == 0x11 ? rd_sleb(&r) * c->data_align
					    : (int64_t)rd_uleb(&r) * c->data_align;
				x = rule_for(s, reg, c->ra_reg);
				if (x) {
					x->kind = R_OFFSET;
					x->off = op == 0x2f ? -off : off;
				}
			}
			break;
		case 0x06: /* restore_extended */
			reg = rd_uleb(&r);
			x = rule_for(s, reg, c->ra_reg);
			if (x)
				*x = initial_rule(initial, reg, c->ra_reg);
			break;
		case 0x07: /* undefined */
		case 0x08: /* same_value */
			x = rule_for(s, rd_uleb(&r), c->ra_reg);
			if (x)
				x->kind = op == 0x07 ? R_UNDEF : R_SAME;
			break;
		case 0x09: /* register */
			x = rule_for(s, rd_uleb(&r), c->ra_reg);
			rd_uleb(&r);
			if (x)
				x->kind = R_OTHER;
			break;
		case 0x0a: /* remember_state */
			if (depth == DW_CFA_STATE_STACK)
				return -1;
			stack[depth++] = *s;
			break;
		case 0x0b: /* restore_state */
			if (depth == 0)
				return -1;
			*s = stack[--depth]; /* the CFA rule too (DWARF 4, 6.4.2.4) */
			break;
		case 0x0c: /* def_cfa */
			s->cfa_reg = rd_uleb(&r);
			s->cfa_off = (int64_t)rd_uleb(&r);
			s->cfa_expr = 0;
			break;
		case 0x0d: /* def_cfa_register */
			s->cfa_reg = rd_uleb(&r);
			s->cfa_expr = 0;
			break;
		case 0x0e: /* def_cfa_offset */
			s->cfa_off = (int64_t)rd_uleb(&r);
			break;
		case 0x0f: /* def_cfa_expression */
			rd_skip(&r, (size_t)rd_uleb(&r));
			s->cfa_expr = 1;
			break;
		case 0x10: /* expression */
		case 0x16: /* val_expression */
			x = rule_for(s, rd_uleb(&r), c->ra_reg);
			rd_skip(&r, (size_t)rd_uleb(&r));
			if (x)
				x->kind = R_OTHER;
			break;
		case 0x12: /* def_cfa_sf */
			s->cfa_reg = rd_uleb(&r);
			s->cfa_off = rd_sleb(&r) * c->data_align;
			s->cfa_expr = 0;
			break;
		case 0x13: /* def_cfa_offset_sf */
			s->cfa_off = rd_sleb(&r) * c->data_align;
			break;
		case 0x14: /* val_offset */
		case 0x15: /* val_offset_sf */
			x = rule_for(s, rd_uleb(&r), c->ra_reg);
			if (op == 0x14)
				rd_uleb(&r);
			else
				rd_sleb(&r);
			if (x)
				x->kind = R_OTHER;
			break;
		case 0x2e: /* GNU_args_size */
			rd_uleb(&r);
			break;
		default:
			return -1;
		}
		continue;
advance:
		if (loc + adv > pc)
			return 0;
		loc += adv;
	}
	return r.bad ? -1 : 0;
}

int pp_cfi__row(const struct pp_elf_obj *o, uint64_t vaddr, struct pp_cfi_row *row)
{
	struct state init, s;
	struct cie c;
	struct fde f;

	if (!o || !find_fde(o, vaddr, &c, &f))
		return 0;
	memset(&init, 0, sizeof(init));
	init.bp.kind = R_SAME;
	init.ra.kind = R_SAME;
	if (run(c.insns, &c, 0, UINT64_MAX, &init, &init) != 0)
		return -1;
	s = init;
	if (run(f.insns, &c, f.start, vaddr, &s, &init) != 0)
		return -1;
	if (s.cfa_expr || (s.cfa_reg != REG_RSP && s.cfa_reg != REG_RBP))
		return -1;
	memset(row, 0, sizeof(*row));
	row->cfa_reg = (int)s.cfa_reg;
	row->cfa_off = s.cfa_off;
	if (s.ra.kind == R_OFFSET) {
		row->ra_saved = 1;
		row->ra_off = s.ra.off;
	} else if (s.ra.kind != R_UNDEF) {
		return -1;
	}
	if (s.bp.kind == R_OFFSET) {
		row->bp_saved = 1;
		row->bp_off = s.bp.off;
	} else if (s.bp.kind == R_OTHER) {
		row->bp_saved = 2; /* somewhere we do not follow: unknown */
	}
	return 1;
}
