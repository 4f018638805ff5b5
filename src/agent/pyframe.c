/* pyframe.c: CPython layouts as data, and the frame walk.
 *
 * Offsets are x86-64, release builds (no Py_TRACE_REFS), from each
 * version's Include/cpython/ headers and Include/internal/pycore_frame.h;
 * tests/unit/test_pyframe.c recompiles offsetof() against every installed
 * interpreter's headers and compares.  DESIGN.md, "The in-process
 * sampler, measured", lists the same numbers for 3.11-3.13. */
#include <stdio.h>
#include <string.h>

#include "pyperf/pyframe.h"
#include "safe_read.h"

#define NO_OWNER (-1)
#define NO_SKIP 0x100u

static const struct pp_pylayout builtin[] = {
	/* 3.8, 3.9: PyThreadState.frame 24; PyFrameObject f_back 24, f_code
	 * 32, f_lasti 104 (bytes); PyCodeObject co_firstlineno 40,
	 * co_filename 104, co_name 112. */
	{ .minor_hex = 0x0308, .kind = PP_PYFRAME_OBJECT, .tstate_frame = 24,
	  .frame_back = 24, .frame_code = 32, .frame_instr = 104,
	  .frame_owner = NO_OWNER, .owner_skip_from = NO_SKIP, .lasti_scale = 1,
	  .code_filename = 104, .code_name = 112, .code_firstlineno = 40, .ob_type = 8 },
	{ .minor_hex = 0x0309, .kind = PP_PYFRAME_OBJECT, .tstate_frame = 24,
	  .frame_back = 24, .frame_code = 32, .frame_instr = 104,
	  .frame_owner = NO_OWNER, .owner_skip_from = NO_SKIP, .lasti_scale = 1,
	  .code_filename = 104, .code_name = 112, .code_firstlineno = 40, .ob_type = 8 },
	/* 3.10: f_lasti 96, counted in code units (2 bytes, bpo-27129). */
	{ .minor_hex = 0x030a, .kind = PP_PYFRAME_OBJECT, .tstate_frame = 24,
	  .frame_back = 24, .frame_code = 32, .frame_instr = 96,
	  .frame_owner = NO_OWNER, .owner_skip_from = NO_SKIP, .lasti_scale = 2,
	  .code_filename = 104, .code_name = 112, .code_firstlineno = 40, .ob_type = 8 },
	/* 3.11: tstate->cframe 56, cframe->current_frame 8; frame f_code 32,
	 * previous 48, prev_instr 56, owner 69 (no C-stack owner yet);
	 * co_firstlineno 72, co_filename 112, co_qualname 128,
	 * co_code_adaptive 184. */
	{ .minor_hex = 0x030b, .kind = PP_PYFRAME_CFRAME, .tstate_frame = 56,
	  .cframe_current = 8, .frame_back = 48, .frame_code = 32, .frame_instr = 56,
	  .frame_owner = 69, .owner_skip_from = NO_SKIP,
	  .code_filename = 112, .code_name = 128, .code_firstlineno = 72,
	  .code_adaptive = 184, .ob_type = 8 },
	/* 3.12: cframe 56, current_frame 0; f_code 0, previous 8,
	 * prev_instr 56, owner 70, FRAME_OWNED_BY_CSTACK = 3;
	 * co_firstlineno 68, co_code_adaptive 192. */
	{ .minor_hex = 0x030c, .kind = PP_PYFRAME_CFRAME, .tstate_frame = 56,
	  .cframe_current = 0, .frame_back = 8, .frame_code = 0, .frame_instr = 56,
	  .frame_owner = 70, .owner_skip_from = 3,
	  .code_filename = 112, .code_name = 128, .code_firstlineno = 68,
	  .code_adaptive = 192, .ob_type = 8 },
	/* 3.13: tstate->current_frame 72; f_executable 0, previous 8,
	 * instr_ptr 56, owner 70 (CSTACK 3); co_code_adaptive 200. */
	{ .minor_hex = 0x030d, .kind = PP_PYFRAME_DIRECT, .tstate_frame = 72,
	  .frame_back = 8, .frame_code = 0, .frame_instr = 56,
	  .frame_owner = 70, .owner_skip_from = 3,
	  .code_filename = 112, .code_name = 128, .code_firstlineno = 68,
	  .code_adaptive = 200, .ob_type = 8 },
};

const struct pp_pylayout *pp_pylayout__builtin(unsigned long hexversion)
{
	unsigned minor = (unsigned)(hexversion >> 16) & 0xffff;
	size_t i;

	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (builtin[i].minor_hex == minor)
			return &builtin[i];
	return NULL;
}

/* ---- _Py_DebugOffsets ----
 *
 * Only the leading part we read is mirrored; every field is a uint64_t.
 * 3.13: Include/internal/pycore_runtime.h.  3.14: the struct moved to
 * Include/internal/pycore_debug_offsets.h and grew (interpreter_state
 * threads_main, code_object_generation, tlbc_generation;
 * interpreter_frame stackpointer, tlbc_index; code_object co_tlbc). */
struct dbg_head {
	char cookie[8];
	uint64_t version;
	uint64_t free_threaded;
	uint64_t runtime_state[3];
};

struct dbg_313 {
	struct dbg_head h;
	uint64_t interpreter_state[13];
	struct { uint64_t size, prev, next, interp, current_frame, thread_id,
		 native_thread_id, datastack_chunk, status; } thread_state;
	struct { uint64_t size, previous, executable, instr_ptr, localsplus,
		 owner; } interpreter_frame;
	struct { uint64_t size, filename, name, qualname, linetable, firstlineno,
		 argcount, localsplusnames, localspluskinds, co_code_adaptive; } code_object;
	struct { uint64_t size, ob_type; } pyobject;
};

struct dbg_314 {
	struct dbg_head h;
	uint64_t interpreter_state[16];
	struct { uint64_t size, prev, next, interp, current_frame, thread_id,
		 native_thread_id, datastack_chunk, status; } thread_state;
	struct { uint64_t size, previous, executable, instr_ptr, localsplus,
		 owner, stackpointer, tlbc_index; } interpreter_frame;
	struct { uint64_t size, filename, name, qualname, linetable, firstlineno,
		 argcount, localsplusnames, localspluskinds, co_code_adaptive,
		 co_tlbc; } code_object;
	struct { uint64_t size, ob_type; } pyobject;
};

#define MAP_FIELDS(T, m) do { \
	m->version = offsetof(T, h.version); \
	m->free_threaded = offsetof(T, h.free_threaded); \
	m->tstate_current_frame = offsetof(T, thread_state.current_frame); \
	m->frame_size = offsetof(T, interpreter_frame.size); \
	m->frame_previous = offsetof(T, interpreter_frame.previous); \
	m->frame_executable = offsetof(T, interpreter_frame.executable); \
	m->frame_instr_ptr = offsetof(T, interpreter_frame.instr_ptr); \
	m->frame_owner = offsetof(T, interpreter_frame.owner); \
	m->code_size = offsetof(T, code_object.size); \
	m->code_filename = offsetof(T, code_object.filename); \
	m->code_name = offsetof(T, code_object.name); \
	m->code_qualname = offsetof(T, code_object.qualname); \
	m->code_firstlineno = offsetof(T, code_object.firstlineno); \
	m->code_adaptive = offsetof(T, code_object.co_code_adaptive); \
	m->pyobject_ob_type = offsetof(T, pyobject.ob_type); \
} while (0)

int pp_pylayout__debug_offsets_map(unsigned minor_hex, struct pp_debug_offsets_map *m)
{
	memset(m, 0, sizeof(*m));
	if (minor_hex == 0x030d)
		MAP_FIELDS(struct dbg_313, m);
	else if (minor_hex == 0x030e)
		MAP_FIELDS(struct dbg_314, m);
	else
		return -1;
	return 0;
}

static int rd(uintptr_t base, uint32_t off, uint64_t *v)
{
	return pp_safe_load64(base + off, v);
}

int pp_pylayout__from_debug_offsets(unsigned long hexversion, uintptr_t runtime,
				    struct pp_pylayout *out, char *why, size_t whylen)
{
	unsigned minor = (unsigned)(hexversion >> 16) & 0xffff;
	struct pp_debug_offsets_map m;
	uint64_t cookie = 0, version = 0, ft = 0, cur, fsize, prev, exe, instr, owner;
	uint64_t csize, fname, qname, first, adaptive, obtype;

	if (pp_pylayout__debug_offsets_map(minor, &m) != 0) {
		snprintf(why, whylen, "no _Py_DebugOffsets layout for CPython %u.%u",
			 minor >> 8, minor & 0xff);
		return -1;
	}
	if (!runtime || !rd(runtime, 0, &cookie) || memcmp(&cookie, "xdebugpy", 8) != 0) {
		snprintf(why, whylen, "_PyRuntime has no \"xdebugpy\" debug offsets");
		return -1;
	}
	if (!rd(runtime, m.version, &version) || version != hexversion) {
		snprintf(why, whylen, "_Py_DebugOffsets version %#llx differs from sys.hexversion %#lx",
			 (unsigned long long)version, hexversion);
		return -1;
	}
	if (!rd(runtime, m.free_threaded, &ft) || ft != 0) {
		snprintf(why, whylen, "free-threaded CPython is not supported for per-function attribution yet");
		return -1;
	}
	if (!rd(runtime, m.tstate_current_frame, &cur) || !rd(runtime, m.frame_size, &fsize) ||
	    !rd(runtime, m.frame_previous, &prev) || !rd(runtime, m.frame_executable, &exe) ||
	    !rd(runtime, m.frame_instr_ptr, &instr) || !rd(runtime, m.frame_owner, &owner) ||
	    !rd(runtime, m.code_size, &csize) || !rd(runtime, m.code_filename, &fname) ||
	    !rd(runtime, m.code_qualname, &qname) || !rd(runtime, m.code_firstlineno, &first) ||
	    !rd(runtime, m.code_adaptive, &adaptive) || !rd(runtime, m.pyobject_ob_type, &obtype)) {
		snprintf(why, whylen, "_Py_DebugOffsets unreadable");
		return -1;
	}
	/* Sanity: every field inside its struct, the object header as in
	 * any GIL build. */
	if (cur > 4096 || fsize > 4096 || prev >= fsize || exe >= fsize || instr >= fsize ||
	    owner >= fsize || csize > 4096 || fname >= csize || qname >= csize ||
	    first >= csize || adaptive > csize || obtype != 8) {
		snprintf(why, whylen, "_Py_DebugOffsets hold implausible offsets");
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->minor_hex = minor;
	out->kind = PP_PYFRAME_DIRECT;
	out->tstate_frame = (uint32_t)cur;
	out->frame_back = (uint32_t)prev;
	out->frame_code = (uint32_t)exe;
	out->frame_instr = (uint32_t)instr;
	out->frame_owner = (int32_t)owner;
	/* 3.13: FRAME_OWNED_BY_CSTACK = 3; 3.14: FRAME_OWNED_BY_INTERPRETER
	 * = 3 and CSTACK = 4 (pycore_interpframe_structs.h): skip both. */
	out->owner_skip_from = 3;
	/* 3.14 stores f_executable as a _PyStackRef whose low bits are
	 * tags (pycore_stackref.h); objects are 16-byte aligned. */
	out->code_tag_mask = minor >= 0x030e ? 7 : 0;
	out->code_filename = (uint32_t)fname;
	out->code_name = (uint32_t)qname;
	out->code_firstlineno = (uint32_t)first;
	out->code_adaptive = (uint32_t)adaptive;
	out->ob_type = (uint32_t)obtype;
	return 0;
}

static int same_layout(const struct pp_pylayout *a, const struct pp_pylayout *b,
		       char *why, size_t whylen)
{
#define CMP(f) if (a->f != b->f) { \
		snprintf(why, whylen, "_Py_DebugOffsets disagree with the built-in table: " \
			 #f " %lld vs %lld", (long long)a->f, (long long)b->f); \
		return -1; }
	CMP(tstate_frame) CMP(frame_back) CMP(frame_code) CMP(frame_instr)
	CMP(frame_owner) CMP(code_filename) CMP(code_name) CMP(code_firstlineno)
	CMP(code_adaptive) CMP(ob_type)
#undef CMP
	return 0;
}

int pp_pylayout__select(unsigned long hexversion, uintptr_t runtime,
			struct pp_pylayout *out, char *why, size_t whylen)
{
	unsigned major = (unsigned)(hexversion >> 24) & 0xff;
	unsigned minor = (unsigned)(hexversion >> 16) & 0xff;
	const struct pp_pylayout *b = pp_pylayout__builtin(hexversion);
	char sub[160];

	if (major != 3 || minor < 8) {
		snprintf(why, whylen, "CPython %u.%u is not supported for per-function attribution (3.8 or later is)",
			 major, minor);
		return -1;
	}
	if (minor > 14) {
		snprintf(why, whylen, "CPython %u.%u is not supported for per-function attribution yet",
			 major, minor);
		return -1;
	}
	if (minor >= 13) {
		if (pp_pylayout__from_debug_offsets(hexversion, runtime, out, sub, sizeof(sub)) != 0) {
			snprintf(why, whylen, "CPython %u.%u: %s; per-function attribution disabled",
				 major, minor, sub);
			return -1;
		}
		if (b && same_layout(out, b, sub, sizeof(sub)) != 0) {
			snprintf(why, whylen, "CPython %u.%u: %s; per-function attribution disabled",
				 major, minor, sub);
			return -1;
		}
		return 0;
	}
	*out = *b;
	return 0;
}

/* ---- signal-handler code below ----
 *
 * Runs in the SIGTRAP/SIGPROF handler on the sampled thread.  Rules: no
 * malloc, stdio, locks, syscalls, dlsym or Python API; every load of
 * interpreter memory goes through safe_read.h; bounded loops. */

int pp_pyframe__code_fp(const struct pp_pylayout *l, uintptr_t code_type,
			uintptr_t code, uint32_t *fp)
{
	uint64_t type, fname, name;
	uint32_t first;

	if (!pp_safe_load64(code + l->ob_type, &type) || type != code_type ||
	    !pp_safe_load64(code + l->code_filename, &fname) ||
	    !pp_safe_load64(code + l->code_name, &name) ||
	    !pp_safe_load32(code + l->code_firstlineno, &first))
		return 0;
	*fp = pp_pyframe_fingerprint(fname, name, first);
	return 1;
}

/* Extra hops allowed past skipped shim frames and at the depth limit. */
#define WALK_SLACK 64

int pp_pyframe__walk(const struct pp_pylayout *l, uintptr_t code_type, uintptr_t tstate,
		     struct pp_ring_frame *out, unsigned max, uint32_t *flags)
{
	uintptr_t f = 0, code, next;
	unsigned n = 0, hops = 0;

	if (l->kind == PP_PYFRAME_CFRAME) {
		uintptr_t cf;
		if (!pp_safe_load_ptr(tstate + l->tstate_frame, &cf))
			return -1;
		if (cf == 0)
			return 0;
		if (!pp_safe_load_ptr(cf + l->cframe_current, &f))
			return -1;
	} else if (!pp_safe_load_ptr(tstate + l->tstate_frame, &f)) {
		return -1;
	}

	while (f != 0) {
		uint32_t fp;
		int64_t off;

		if (++hops > max + WALK_SLACK)
			return -1; /* a cycle: the chain is being rewritten */
		if (!pp_safe_load_ptr(f + l->frame_back, &next))
			return -1;
		if (l->frame_owner >= 0) {
			uint8_t owner;
			if (!pp_safe_load8(f + (uint32_t)l->frame_owner, &owner))
				return -1;
			if (owner >= l->owner_skip_from)
				goto next;
		}
		if (!pp_safe_load_ptr(f + l->frame_code, &code))
			return -1;
		code &= ~(uintptr_t)l->code_tag_mask;
		/* The code object's fields span up to three cache lines and the
		 * next frame is another: start all misses now so that they
		 * overlap (prefetches never fault). */
		__builtin_prefetch((const void *)(code + l->ob_type));
		__builtin_prefetch((const void *)(code + l->code_firstlineno));
		__builtin_prefetch((const void *)(code + l->code_name));
		__builtin_prefetch((const void *)(next + l->frame_back));
		if (!pp_pyframe__code_fp(l, code_type, code, &fp)) {
			/* 3.13+ frames may execute non-code objects (None for
			 * interpreter-owned frames); before, a frame without a
			 * code object means we read garbage. */
			if (l->kind == PP_PYFRAME_DIRECT)
				goto next;
			return -1;
		}
		if (n == max) {
			*flags |= PP_SAMPLE_TRUNCATED;
			break;
		}
		if (l->kind == PP_PYFRAME_OBJECT) {
			uint32_t lasti;
			if (!pp_safe_load32(f + l->frame_instr, &lasti))
				return -1;
			off = (int64_t)(int32_t)lasti * l->lasti_scale;
		} else {
			uintptr_t instr;
			if (!pp_safe_load_ptr(f + l->frame_instr, &instr))
				return -1;
			off = (int64_t)(instr - (code + l->code_adaptive));
		}
		/* Before the first instruction (f_lasti -1, prev_instr one unit
		 * before the start) counts as the first one. */
		if (off < 0 && off >= -2)
			off = 0;
		if (off < 0 || off > (1 << 30))
			off = -1;
		out[n].code = code;
		out[n].fp = fp;
		out[n].offset = (int32_t)off;
		n++;
next:
		if (next == f)
			return -1;
		f = next;
	}
	return (int)n;
}
