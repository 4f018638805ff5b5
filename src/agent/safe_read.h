/* safe_read: loads that may fault without killing the process.
 *
 * Each guarded load is one inline `mov` whose address, together with the
 * address to resume at, is recorded in the section pp_safe_extable (the
 * Linux kernel's exception-table idea; async-profiler's safeAccess does
 * the same with one out-of-line function).  The SIGSEGV/SIGBUS handler
 * installed by pp_safe__install() looks the faulting RIP up in that table
 * and, when it is one of ours, resumes after the load with the "ok" flag
 * still 0; every other fault goes to the handler that was there before.
 *
 * Async-signal-safe.  x86-64 only. */
#ifndef PYPERF_AGENT_SAFE_READ_H
#define PYPERF_AGENT_SAFE_READ_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__x86_64__)
#error "pyperf-stat's agent supports x86-64 only"
#endif

/* Addresses outside the user half of the address space, or in the first
 * page, are refused without touching them: garbage pointers are common
 * and a refused load is cheaper than a fault. */
static inline int pp_safe_plausible(uintptr_t addr)
{
	return addr >= 4096 && addr < ((uintptr_t)1 << 47) - 8;
}

/* Reads the 8 bytes at ADDR (any alignment) into *OUT; 1 on success, 0 on
 * a fault or an implausible address. */
static inline __attribute__((always_inline)) int pp_safe_load64(uintptr_t addr, uint64_t *out)
{
	uint64_t v;
	int ok;

	if (!pp_safe_plausible(addr))
		return 0;
	/* Relative entries (.long target - .) keep the table position
	 * independent: no text relocations in the shared object. */
	__asm__ volatile(
		"	xorl %k1, %k1\n"
		"1:	movq (%2), %0\n"
		"	movl $1, %k1\n"
		"2:\n"
		"	.pushsection pp_safe_extable, \"a\"\n"
		"	.balign 4\n"
		"	.long 1b - .\n"
		"	.long 2b - .\n"
		"	.popsection\n"
		: "=&r"(v), "=&r"(ok)
		: "r"(addr)
		: "memory");
	*out = v;
	return ok;
}

static inline int pp_safe_load_ptr(uintptr_t addr, uintptr_t *out)
{
	uint64_t v = 0;
	int ok = pp_safe_load64(addr, &v);
	*out = (uintptr_t)v;
	return ok;
}

/* 32-bit and 8-bit fields are read through the aligned 8-byte word that
 * holds them: a struct field never straddles its object's end that way. */
static inline int pp_safe_load32(uintptr_t addr, uint32_t *out)
{
	uint64_t v;
	uintptr_t base = addr & ~(uintptr_t)7;
	unsigned shift = (unsigned)(addr - base) * 8;

	if ((addr & 3) != 0 || !pp_safe_load64(base, &v))
		return 0;
	*out = (uint32_t)(v >> shift);
	return 1;
}

static inline int pp_safe_load8(uintptr_t addr, uint8_t *out)
{
	uint64_t v;
	uintptr_t base = addr & ~(uintptr_t)7;

	if (!pp_safe_load64(base, &v))
		return 0;
	*out = (uint8_t)(v >> ((addr - base) * 8));
	return 1;
}

/* Copies N bytes from SRC into DST; 0 as soon as a word faults. */
int pp_safe_read(void *dst, uintptr_t src, size_t n);

/* Installs the SIGSEGV and SIGBUS handlers (once; later calls re-install
 * them on top when someone else replaced them, chaining to that one).
 * 0 or -errno. */
int pp_safe__install(void);

/* Faults recognised and skipped so far (for tests and the footer). */
uint64_t pp_safe__faults(void);

#endif
