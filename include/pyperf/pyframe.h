/* pyframe: CPython's frame and code-object layouts, as data.
 *
 * The agent never includes Python.h (DESIGN.md, decision 3): one build
 * serves every interpreter.  Hand tables hold the offsets of 3.8 ... 3.13
 * (x86-64, release builds, taken from each version's own headers, which
 * tests/unit/test_pyframe.c re-checks with offsetof at test time); 3.13
 * and later publish `_Py_DebugOffsets` at the start of `_PyRuntime`, which
 * is read, cross-checked against the 3.13 table, and used alone for 3.14.
 *
 * pp_pyframe__walk and pp_pyframe__code_fp run inside the agent's signal
 * handler: guarded loads only (src/agent/safe_read.h). */
#ifndef PYPERF_PYFRAME_H
#define PYPERF_PYFRAME_H

#include <stddef.h>
#include <stdint.h>

#include "pyperf/ring.h"

enum pp_pyframe_kind {
	PP_PYFRAME_OBJECT = 1,  /* 3.8-3.10: tstate->frame, PyFrameObject.f_back */
	PP_PYFRAME_CFRAME = 2,  /* 3.11-3.12: tstate->cframe->current_frame */
	PP_PYFRAME_DIRECT = 3,  /* 3.13+: tstate->current_frame */
};

struct pp_pylayout {
	unsigned minor_hex;         /* 0x030c for 3.12 */
	int kind;                   /* enum pp_pyframe_kind */
	uint32_t tstate_frame;      /* frame / cframe / current_frame in PyThreadState */
	uint32_t cframe_current;    /* current_frame in _PyCFrame (CFRAME only) */
	uint32_t frame_back;        /* f_back / previous */
	uint32_t frame_code;        /* f_code / f_executable */
	uint32_t frame_instr;       /* f_lasti (int) / prev_instr / instr_ptr */
	int32_t frame_owner;        /* owner (char), -1 when there is none */
	uint32_t owner_skip_from;   /* frames with owner >= this are C-stack shims */
	uint32_t lasti_scale;       /* bytes per f_lasti unit (OBJECT only) */
	uint64_t code_tag_mask;     /* tag bits of f_executable (_PyStackRef, 3.14) */
	uint32_t code_filename;
	uint32_t code_name;         /* co_qualname (3.11+) or co_name */
	uint32_t code_firstlineno;  /* int */
	uint32_t code_adaptive;     /* co_code_adaptive (3.11+) */
	uint32_t ob_type;
};

/* The built-in table for HEXVERSION's minor version (3.8 ... 3.13), or
 * NULL. */
const struct pp_pylayout *pp_pylayout__builtin(unsigned long hexversion);

/* Picks the layout for HEXVERSION.  RUNTIME is the address of _PyRuntime
 * (needed from 3.13 on, may be 0 before).  0, or -1 with a one-line reason
 * for the user in WHY. */
int pp_pylayout__select(unsigned long hexversion, uintptr_t runtime,
			struct pp_pylayout *out, char *why, size_t whylen);

/* Parses the _Py_DebugOffsets at RUNTIME (3.13 or 3.14 struct) into OUT.
 * 0, or -1 with a reason. */
int pp_pylayout__from_debug_offsets(unsigned long hexversion, uintptr_t runtime,
				    struct pp_pylayout *out, char *why, size_t whylen);

/* Byte offsets of the fields of _Py_DebugOffsets that we read, for the
 * struct of MINOR_HEX (0x030d, 0x030e); tests compare them to CPython's
 * headers.  0, or -1 for an unknown struct. */
struct pp_debug_offsets_map {
	uint32_t version, free_threaded;
	uint32_t tstate_current_frame;
	uint32_t frame_size, frame_previous, frame_executable, frame_instr_ptr, frame_owner;
	uint32_t code_size, code_filename, code_name, code_qualname, code_firstlineno,
		 code_adaptive;
	uint32_t pyobject_ob_type;
};
int pp_pylayout__debug_offsets_map(unsigned minor_hex, struct pp_debug_offsets_map *out);

/* 32-bit identity of a code object beyond its address: co_filename and
 * co_qualname (co_name before 3.11) pointers and co_firstlineno.  Freed
 * and reused code addresses almost never keep all three. */
static inline uint32_t pp_pyframe_fingerprint(uint64_t filename, uint64_t name, uint32_t firstlineno)
{
	uint64_t h = filename * 0x9e3779b97f4a7c15ull;
	h ^= (name + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
	h ^= (uint64_t)firstlineno * 0x165667b19e3779f9ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* Reads the fingerprint of the code object at CODE, checking that its
 * ob_type is CODE_TYPE.  1 on success, 0 when unreadable or not code. */
int pp_pyframe__code_fp(const struct pp_pylayout *l, uintptr_t code_type,
			uintptr_t code, uint32_t *fp);

/* Reads the frame chain of TSTATE into OUT[0..max), innermost first.
 * Returns the number of frames (0 when the thread runs no Python code),
 * or -1 when the chain could not be read.  Sets PP_SAMPLE_TRUNCATED in
 * *FLAGS when frames were left out. */
int pp_pyframe__walk(const struct pp_pylayout *l, uintptr_t code_type, uintptr_t tstate,
		     struct pp_ring_frame *out, unsigned max, uint32_t *flags);

#endif
