/* safe_read.c: the fault handler behind the guarded loads of safe_read.h.
 *
 * Signal-handler code.  Rules: no malloc, no stdio, no locks, no dlsym;
 * errno saved and restored; the only system calls are the ones needed to
 * hand a fault that is not ours to the default action (sigaction, raise),
 * after which the process is dying anyway.
 *
 * A fault at one of our guarded loads (its RIP is in pp_safe_extable)
 * resumes after the load, which then reports failure.  Any other fault is
 * chained to the handler that was installed before ours, so faulthandler
 * and user handlers keep working.  Two guards keep a real crash a crash:
 * a handler we chained to that re-raises into us (faulthandler does: it
 * restores its predecessor, i.e. us, and raises) gets the default action,
 * and so does the same fault coming back after a chained handler returned
 * without fixing it (a disabled faulthandler just returns). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "safe_read.h"

struct pp_extable_entry {
	int32_t insn;    /* relative to &entry->insn */
	int32_t resume;  /* relative to &entry->resume */
};

extern const struct pp_extable_entry __start_pp_safe_extable[]
	__attribute__((weak, visibility("hidden")));
extern const struct pp_extable_entry __stop_pp_safe_extable[]
	__attribute__((weak, visibility("hidden")));

static struct sigaction prev_segv, prev_bus;
static uint64_t faults;
static __thread int chain_depth;
static __thread uintptr_t last_rip, last_addr;

static uintptr_t extable_resume(uintptr_t rip)
{
	const struct pp_extable_entry *e;

	for (e = __start_pp_safe_extable; e && e < __stop_pp_safe_extable; e++) {
		if ((uintptr_t)&e->insn + (intptr_t)e->insn == rip)
			return (uintptr_t)&e->resume + (intptr_t)e->resume;
	}
	return 0;
}

/* The default action for SIG: make it the disposition, and either let the
 * faulting instruction run again (a real fault) or re-send the signal (it
 * came from kill/raise and would not come back by itself). */
static void die_by_default(int sig, const siginfo_t *si)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void chain(int sig, siginfo_t *si, void *uc, uintptr_t rip)
{
	const struct sigaction *prev = sig == SIGBUS ? &prev_bus : &prev_segv;

	if (chain_depth > 0 ||
	    (si->si_code > 0 && rip == last_rip && (uintptr_t)si->si_addr == last_addr)) {
		die_by_default(sig, si);
		return;
	}
	last_rip = rip;
	last_addr = (uintptr_t)si->si_addr;
	if (prev->sa_flags & SA_SIGINFO) {
		chain_depth++;
		prev->sa_sigaction(sig, si, uc);
		chain_depth--;
	} else if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN) {
		/* SIG_IGN does not survive a synchronous fault either: the
		 * kernel forces the default action. */
		die_by_default(sig, si);
	} else {
		chain_depth++;
		prev->sa_handler(sig);
		chain_depth--;
	}
}

static void fault_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	uintptr_t resume;
	int saved = errno;

	if (si->si_code > 0 && (resume = extable_resume(rip)) != 0) {
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)resume;
		__atomic_fetch_add(&faults, 1, __ATOMIC_RELAXED);
	} else {
		chain(sig, si, ucv, rip);
	}
	errno = saved;
}

static int install_one(int sig, struct sigaction *prev)
{
	struct sigaction cur, sa;

	if (sigaction(sig, NULL, &cur) != 0)
		return -errno;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == fault_handler)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	/* NODEFER: a fault inside a handler we chained to must reach us
	 * (and then the default action) instead of being blocked. ONSTACK:
	 * a stack overflow must still find a stack (faulthandler's). */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	*prev = cur;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (sigaction(sig, &sa, NULL) != 0)
		return -errno;
	return 0;
}

int pp_safe__install(void)
{
	int err = install_one(SIGSEGV, &prev_segv);

	if (err == 0)
		err = install_one(SIGBUS, &prev_bus);
	return err;
}

uint64_t pp_safe__faults(void)
{
	return __atomic_load_n(&faults, __ATOMIC_RELAXED);
}

int pp_safe_read(void *dst, uintptr_t src, size_t n)
{
	unsigned char *d = dst;
	uint64_t v;

	while (n >= 8) {
		if (!pp_safe_load64(src, &v))
			return 0;
		memcpy(d, &v, 8);
		d += 8, src += 8, n -= 8;
	}
	while (n > 0) {
		uint8_t b;
		if (!pp_safe_load8(src, &b))
			return 0;
		*d++ = b, src++, n--;
	}
	return 1;
}
