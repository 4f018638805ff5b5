/* CPython layouts (src/agent/pyframe.c) and guarded loads (safe_read.c).
 *
 * What the agent relies on: a guarded load of a bad address fails instead
 * of crashing, faults that are not ours still reach the handler that was
 * there before; the frame walk follows the chain each version builds and
 * refuses garbage; and the offset tables are the ones each installed
 * interpreter's own headers give (checked by compiling offsetof() against
 * them here, at test time), including 3.13's _Py_DebugOffsets read from a
 * real libpython. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pyperf/pyframe.h"
#include "safe_read.h"

/* ---- guarded loads ---- */

Test(safe_read, load_of_unmapped_address_fails_without_crashing)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t v = 7, before;

	cr_assert(p != MAP_FAILED);
	cr_assert_eq(pp_safe__install(), 0);
	before = pp_safe__faults();
	memcpy(p, "abcdefgh", 8);
	cr_expect_eq(pp_safe_load64((uintptr_t)p, &v), 1);
	cr_expect_eq(memcmp(&v, "abcdefgh", 8), 0);

	munmap(p + page, (size_t)page);
	cr_expect_eq(pp_safe_load64((uintptr_t)(p + page), &v), 0, "unmapped page");
	mprotect(p, (size_t)page, PROT_NONE);
	cr_expect_eq(pp_safe_load64((uintptr_t)p, &v), 0, "PROT_NONE page");
	cr_expect_eq(pp_safe__faults() - before, 2);
	cr_expect_eq(pp_safe_load64(0, &v), 0, "NULL");
	cr_expect_eq(pp_safe_load64(0xdead000000000000ull, &v), 0, "kernel half");
	cr_expect_eq(pp_safe__faults() - before, 2, "implausible addresses are not even tried");
	munmap(p, (size_t)page);
}

Test(safe_read, read_stops_at_the_fault)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char buf[64];
	uint32_t w = 0;
	uint8_t b = 0;

	cr_assert(p != MAP_FAILED);
	pp_safe__install();
	memset(p + page - 32, 'x', 32);
	munmap(p + page, (size_t)page);
	cr_expect_eq(pp_safe_read(buf, (uintptr_t)(p + page - 32), 32), 1);
	cr_expect_eq(pp_safe_read(buf, (uintptr_t)(p + page - 32), 40), 0);
	cr_expect_eq(pp_safe_load32((uintptr_t)(p + page - 4), &w), 1);
	cr_expect_eq(w, 0x78787878u);
	cr_expect_eq(pp_safe_load8((uintptr_t)(p + page - 1), &b), 1);
	cr_expect_eq(b, 'x');
	munmap(p, (size_t)page);
}

static sigjmp_buf jump;
static volatile int user_handler_ran;

static void user_segv(int sig)
{
	(void)sig;
	user_handler_ran = 1;
	siglongjmp(jump, 1);
}

Test(safe_read, other_faults_reach_the_previous_handler)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa;
	uint64_t v;

	/* A fresh process: our handler must find the user's below it. */
	pid_t pid = fork();
	if (pid == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = user_segv;
		sa.sa_flags = SA_NODEFER;
		sigaction(SIGSEGV, &sa, NULL);
		if (pp_safe__install() != 0)
			_exit(2);
		if (pp_safe_load64((uintptr_t)p, &v) != 0 || user_handler_ran)
			_exit(3); /* ours: skipped, user's handler not bothered */
		if (sigsetjmp(jump, 1) == 0)
			(void)*p; /* not a guarded load */
		_exit(user_handler_ran ? 0 : 4);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	munmap((void *)p, (size_t)page);
}

Test(safe_read, real_crash_still_crashes_with_sigsegv)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		volatile char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		signal(SIGSEGV, SIG_DFL);
		pp_safe__install();
		(void)*p;
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %#x", status);
}

/* ---- the walk, on frames built by hand for each layout ---- */

#define FAKE_CODE_TYPE 0x5000u

struct fake {
	unsigned char tstate[512], cframe[64];
	unsigned char frames[8][256];
	unsigned char code[4][512];
	unsigned char type_obj[64];
};

static void put64(void *base, uint32_t off, uint64_t v)
{
	memcpy((char *)base + off, &v, 8);
}

static void put32(void *base, uint32_t off, uint32_t v)
{
	memcpy((char *)base + off, &v, 4);
}

/* Builds a chain of NF frames (innermost first) running code objects
 * code[i % 4], the frame at SHIM (if < NF) owned by the C stack. */
static void build(struct fake *f, const struct pp_pylayout *l, int nf, int shim)
{
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < 4; i++) {
		put64(f->code[i], 0, 1);                        /* refcount */
		put64(f->code[i], l->ob_type, (uintptr_t)f->type_obj);
		put64(f->code[i], l->code_filename, 0x1000 + (uint64_t)i);
		put64(f->code[i], l->code_name, 0x2000 + (uint64_t)i);
		put32(f->code[i], l->code_firstlineno, 10u * (unsigned)i + 1);
	}
	for (i = 0; i < nf; i++) {
		unsigned char *fr = f->frames[i];
		uintptr_t code = (uintptr_t)f->code[i % 4];
		put64(fr, l->frame_back, i + 1 < nf ? (uintptr_t)f->frames[i + 1] : 0);
		put64(fr, l->frame_code, code);
		if (l->kind == PP_PYFRAME_OBJECT)
			put32(fr, l->frame_instr, (uint32_t)(i * 3));
		else
			put64(fr, l->frame_instr, code + l->code_adaptive + (uint64_t)i * 6);
		if (l->frame_owner >= 0)
			fr[l->frame_owner] = i == shim ? (unsigned char)l->owner_skip_from : 0;
	}
	if (l->kind == PP_PYFRAME_CFRAME) {
		put64(f->tstate, l->tstate_frame, (uintptr_t)f->cframe);
		put64(f->cframe, l->cframe_current, (uintptr_t)f->frames[0]);
	} else {
		put64(f->tstate, l->tstate_frame, (uintptr_t)f->frames[0]);
	}
}

static const unsigned long versions[] = { 0x030812f0, 0x030912f0, 0x030a0df0,
	0x030b07f0, 0x030c01f0, 0x030d00f0 };

Test(pyframe, walk_follows_each_versions_chain)
{
	size_t v;

	pp_safe__install();
	for (v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		const struct pp_pylayout *l = pp_pylayout__builtin(versions[v]);
		struct fake *f = calloc(1, sizeof(*f));
		struct pp_ring_frame out[8];
		uint32_t flags = 0;
		int n, i, shim = l->frame_owner >= 0 && l->owner_skip_from < 0x100 ? 2 : 99;

		cr_assert_not_null(l, "%#lx", versions[v]);
		build(f, l, 5, shim);
		n = pp_pyframe__walk(l, (uintptr_t)f->type_obj, (uintptr_t)f->tstate, out, 8, &flags);
		cr_expect_eq(n, shim == 2 ? 4 : 5, "%#lx: %d frames", versions[v], n);
		cr_expect_eq(flags, 0);
		for (i = 0; i < n; i++) {
			int fi = shim == 2 && i >= 2 ? i + 1 : i; /* frame index */
			uint32_t fp;
			cr_expect_eq(out[i].code, (uintptr_t)f->code[fi % 4]);
			cr_expect(pp_pyframe__code_fp(l, (uintptr_t)f->type_obj, out[i].code, &fp));
			cr_expect_eq(out[i].fp, fp);
			cr_expect_eq(out[i].fp, pp_pyframe_fingerprint(0x1000 + (uint64_t)(fi % 4),
					0x2000 + (uint64_t)(fi % 4), 10u * (unsigned)(fi % 4) + 1));
			if (l->kind == PP_PYFRAME_OBJECT)
				cr_expect_eq(out[i].offset, fi * 3 * (int)l->lasti_scale);
			else
				cr_expect_eq(out[i].offset, fi * 6);
		}
		/* depth limit: truncated flag */
		flags = 0;
		n = pp_pyframe__walk(l, (uintptr_t)f->type_obj, (uintptr_t)f->tstate, out, 2, &flags);
		cr_expect_eq(n, 2);
		cr_expect_eq(flags, PP_SAMPLE_TRUNCATED);
		/* garbage or unmapped back pointers: the sample is refused */
		put64(f->frames[1], l->frame_back, 0x10);
		flags = 0;
		cr_expect_eq(pp_pyframe__walk(l, (uintptr_t)f->type_obj, (uintptr_t)f->tstate,
					      out, 8, &flags), -1, "garbage back pointer");
		put64(f->frames[1], l->frame_back, 0x7ff000000000ull);
		cr_expect_eq(pp_pyframe__walk(l, (uintptr_t)f->type_obj, (uintptr_t)f->tstate,
					      out, 8, &flags), -1, "unmapped back pointer");
		/* a cycle (the chain caught mid-update) ends at the depth limit
		 * or is refused; either way the walk returns */
		put64(f->frames[1], l->frame_back, (uintptr_t)f->frames[0]);
		flags = 0;
		n = pp_pyframe__walk(l, (uintptr_t)f->type_obj, (uintptr_t)f->tstate, out, 8, &flags);
		cr_expect(n == -1 || (n == 8 && flags == PP_SAMPLE_TRUNCATED), "cycle: %d", n);
		put64(f->frames[0], l->frame_back, (uintptr_t)f->frames[0]);
		cr_expect_eq(pp_pyframe__walk(l, (uintptr_t)f->type_obj, (uintptr_t)f->tstate,
					      out, 8, &flags), -1, "self loop");
		/* a thread with no Python frame */
		put64(f->tstate, l->tstate_frame, 0);
		cr_expect_eq(pp_pyframe__walk(l, (uintptr_t)f->type_obj, (uintptr_t)f->tstate,
					      out, 8, &flags), 0);
		free(f);
	}
}

Test(pyframe, unknown_versions_are_refused_with_a_reason)
{
	struct pp_pylayout l;
	char why[256];

	cr_expect_eq(pp_pylayout__select(0x030712f0, 0, &l, why, sizeof(why)), -1);
	cr_expect(strstr(why, "3.7") != NULL, "%s", why);
	cr_expect_eq(pp_pylayout__select(0x030f00a1, 0, &l, why, sizeof(why)), -1);
	cr_expect_str_eq(why, "CPython 3.15 is not supported for per-function attribution yet");
	/* 3.13 without a _PyRuntime to read */
	cr_expect_eq(pp_pylayout__select(0x030d00f0, 0, &l, why, sizeof(why)), -1);
	cr_expect(strstr(why, "xdebugpy") != NULL, "%s", why);
	cr_expect_eq(pp_pylayout__select(0x030c01f0, 0, &l, why, sizeof(why)), 0);
	cr_expect_eq(l.minor_hex, 0x030c);
}

Test(pyframe, debug_offsets_checked_against_the_builtin_table)
{
	/* A fake 3.13 _Py_DebugOffsets agreeing with the table, then one
	 * field off: refused. */
	struct pp_debug_offsets_map m;
	const struct pp_pylayout *b = pp_pylayout__builtin(0x030d00f0);
	uint64_t *rt = calloc(1, 4096);
	struct pp_pylayout l;
	char why[256];

	pp_safe__install();
	cr_assert_eq(pp_pylayout__debug_offsets_map(0x030d, &m), 0);
	memcpy(rt, "xdebugpy", 8);
#define SET(off, v) rt[(off) / 8] = (v)
	SET(m.version, 0x030d00f0);
	SET(m.free_threaded, 0);
	SET(m.tstate_current_frame, b->tstate_frame);
	SET(m.frame_size, 80);
	SET(m.frame_previous, b->frame_back);
	SET(m.frame_executable, b->frame_code);
	SET(m.frame_instr_ptr, b->frame_instr);
	SET(m.frame_owner, (uint64_t)b->frame_owner);
	SET(m.code_size, 224);
	SET(m.code_filename, b->code_filename);
	SET(m.code_name, 120);
	SET(m.code_qualname, b->code_name);
	SET(m.code_firstlineno, b->code_firstlineno);
	SET(m.code_adaptive, b->code_adaptive);
	SET(m.pyobject_ob_type, 8);
	cr_expect_eq(pp_pylayout__select(0x030d00f0, (uintptr_t)rt, &l, why, sizeof(why)), 0, "%s", why);
	cr_expect_eq(l.frame_instr, b->frame_instr);
	SET(m.version, 0x030d01f0);
	cr_expect_eq(pp_pylayout__select(0x030d00f0, (uintptr_t)rt, &l, why, sizeof(why)), -1);
	SET(m.version, 0x030d00f0);
	SET(m.code_adaptive, b->code_adaptive + 8);
	cr_expect_eq(pp_pylayout__select(0x030d00f0, (uintptr_t)rt, &l, why, sizeof(why)), -1);
	cr_expect(strstr(why, "code_adaptive") != NULL, "%s", why);
	SET(m.code_adaptive, b->code_adaptive);
	SET(m.free_threaded, 1);
	cr_expect_eq(pp_pylayout__select(0x030d00f0, (uintptr_t)rt, &l, why, sizeof(why)), -1);
	cr_expect(strstr(why, "free-threaded") != NULL, "%s", why);
#undef SET
	free(rt);
}

/* ---- the tables against the interpreters installed here ---- */

struct interp {
	char python[PATH_MAX];
	char include[PATH_MAX];
	char libdir[PATH_MAX];
	char ldlibrary[256];
	unsigned long hexversion;
};

static int run_capture(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	return pclose(f) == 0 ? 0 : -1;
}

/* Interpreters: pyenv's versions and python3.X on PATH (not pyenv's
 * shims, which are scripts), 3.8 or later, deduplicated. */
static size_t find_interps(struct interp *out, size_t max)
{
	const char *root = getenv("PYENV_ROOT"), *home = getenv("HOME"), *path = getenv("PATH");
	char pat[PATH_MAX], seen[32][PATH_MAX];
	size_t n = 0, nseen = 0, i, k;
	glob_t g;

	memset(&g, 0, sizeof(g));
	if (root) {
		snprintf(pat, sizeof(pat), "%s/versions/*/bin/python3.[0-9]*", root);
		glob(pat, 0, NULL, &g);
	}
	if (home) {
		snprintf(pat, sizeof(pat), "%s/.pyenv/versions/*/bin/python3.[0-9]*", home);
		glob(pat, g.gl_pathc ? GLOB_APPEND : 0, NULL, &g);
	}
	if (path) {
		char *p = strdup(path), *save = NULL, *d;
		for (d = strtok_r(p, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			if (strstr(d, "shims"))
				continue;
			snprintf(pat, sizeof(pat), "%s/python3.[0-9]*", d);
			glob(pat, g.gl_pathc ? GLOB_APPEND : 0, NULL, &g);
		}
		free(p);
	}
	for (i = 0; i < g.gl_pathc && n < max; i++) {
		const char *py = g.gl_pathv[i];
		char real[PATH_MAX], cmd[PATH_MAX + 512], buf[4 * PATH_MAX];
		int dup = 0;

		if (strlen(py) > 4 && (strstr(py + strlen(py) - 10, "-config") ||
				       strchr(strrchr(py, '/') + 8, 'm')))
			continue;
		if (!realpath(py, real) || access(py, X_OK) != 0)
			continue;
		for (k = 0; k < nseen; k++)
			if (!strcmp(seen[k], real))
				dup = 1;
		if (dup || nseen == 32)
			continue;
		snprintf(seen[nseen++], PATH_MAX, "%s", real);
		snprintf(cmd, sizeof(cmd), "'%s' -c \"import sys, sysconfig; "
			 "print(sys.hexversion); print(sysconfig.get_paths()['include']); "
			 "print(sysconfig.get_config_var('LIBDIR') or ''); "
			 "print(sysconfig.get_config_var('LDLIBRARY') or '')\" 2>/dev/null", py);
		if (run_capture(cmd, buf, sizeof(buf)) != 0)
			continue;
		{
			char *save = NULL, *hex = strtok_r(buf, "\n", &save);
			char *inc = strtok_r(NULL, "\n", &save), *lib = strtok_r(NULL, "\n", &save);
			char *ld = strtok_r(NULL, "\n", &save);
			if (!hex || !inc)
				continue;
			out[n].hexversion = strtoul(hex, NULL, 10);
			if (out[n].hexversion < 0x03080000)
				continue;
			snprintf(out[n].python, PATH_MAX, "%s", py);
			snprintf(out[n].include, PATH_MAX, "%s", inc);
			snprintf(out[n].libdir, PATH_MAX, "%s", lib ? lib : "");
			snprintf(out[n].ldlibrary, sizeof(out[n].ldlibrary), "%s", ld ? ld : "");
			n++;
		}
	}
	globfree(&g);
	return n;
}

/* The same offsetof() program for every version; its output is
 * "name value" lines. */
static const char offsets_src[] =
	"#define Py_BUILD_CORE 1\n"
	"#include <Python.h>\n"
	"#include <stddef.h>\n"
	"#include <stdio.h>\n"
	"#if PY_VERSION_HEX >= 0x030b0000\n"
	"#include \"internal/pycore_frame.h\"\n"
	"#else\n"
	"#include \"frameobject.h\"\n"
	"#endif\n"
	"#if PY_VERSION_HEX >= 0x030d0000\n"
	"#include \"internal/pycore_runtime.h\"\n"
	"#endif\n"
	"#define P(n, e) printf(\"%s %zu\\n\", n, (size_t)(e))\n"
	"int main(void) {\n"
	"  P(\"ob_type\", offsetof(PyObject, ob_type));\n"
	"  P(\"code_filename\", offsetof(PyCodeObject, co_filename));\n"
	"  P(\"code_firstlineno\", offsetof(PyCodeObject, co_firstlineno));\n"
	"#if PY_VERSION_HEX < 0x030b0000\n"
	"  P(\"tstate_frame\", offsetof(PyThreadState, frame));\n"
	"  P(\"frame_back\", offsetof(PyFrameObject, f_back));\n"
	"  P(\"frame_code\", offsetof(PyFrameObject, f_code));\n"
	"  P(\"frame_instr\", offsetof(PyFrameObject, f_lasti));\n"
	"  P(\"code_name\", offsetof(PyCodeObject, co_name));\n"
	"#else\n"
	"  P(\"frame_back\", offsetof(_PyInterpreterFrame, previous));\n"
	"  P(\"frame_owner\", offsetof(_PyInterpreterFrame, owner));\n"
	"  P(\"code_name\", offsetof(PyCodeObject, co_qualname));\n"
	"  P(\"code_adaptive\", offsetof(PyCodeObject, co_code_adaptive));\n"
	"#endif\n"
	"#if PY_VERSION_HEX >= 0x030b0000 && PY_VERSION_HEX < 0x030d0000\n"
	"  P(\"tstate_frame\", offsetof(PyThreadState, cframe));\n"
	"  P(\"cframe_current\", offsetof(_PyCFrame, current_frame));\n"
	"  P(\"frame_code\", offsetof(_PyInterpreterFrame, f_code));\n"
	"  P(\"frame_instr\", offsetof(_PyInterpreterFrame, prev_instr));\n"
	"#endif\n"
	"#if PY_VERSION_HEX >= 0x030c0000\n"
	"  P(\"owner_cstack\", FRAME_OWNED_BY_CSTACK);\n"
	"#endif\n"
	"#if PY_VERSION_HEX >= 0x030d0000\n"
	"  P(\"tstate_frame\", offsetof(PyThreadState, current_frame));\n"
	"  P(\"frame_code\", offsetof(_PyInterpreterFrame, f_executable));\n"
	"  P(\"frame_instr\", offsetof(_PyInterpreterFrame, instr_ptr));\n"
	"  P(\"dbg.version\", offsetof(_Py_DebugOffsets, version));\n"
	"  P(\"dbg.free_threaded\", offsetof(_Py_DebugOffsets, free_threaded));\n"
	"  P(\"dbg.tstate_current_frame\", offsetof(_Py_DebugOffsets, thread_state.current_frame));\n"
	"  P(\"dbg.frame_size\", offsetof(_Py_DebugOffsets, interpreter_frame.size));\n"
	"  P(\"dbg.frame_previous\", offsetof(_Py_DebugOffsets, interpreter_frame.previous));\n"
	"  P(\"dbg.frame_executable\", offsetof(_Py_DebugOffsets, interpreter_frame.executable));\n"
	"  P(\"dbg.frame_instr_ptr\", offsetof(_Py_DebugOffsets, interpreter_frame.instr_ptr));\n"
	"  P(\"dbg.frame_owner\", offsetof(_Py_DebugOffsets, interpreter_frame.owner));\n"
	"  P(\"dbg.code_size\", offsetof(_Py_DebugOffsets, code_object.size));\n"
	"  P(\"dbg.code_filename\", offsetof(_Py_DebugOffsets, code_object.filename));\n"
	"  P(\"dbg.code_name\", offsetof(_Py_DebugOffsets, code_object.name));\n"
	"  P(\"dbg.code_qualname\", offsetof(_Py_DebugOffsets, code_object.qualname));\n"
	"  P(\"dbg.code_firstlineno\", offsetof(_Py_DebugOffsets, code_object.firstlineno));\n"
	"  P(\"dbg.code_adaptive\", offsetof(_Py_DebugOffsets, code_object.co_code_adaptive));\n"
	"  P(\"dbg.pyobject_ob_type\", offsetof(_Py_DebugOffsets, pyobject.ob_type));\n"
	"#endif\n"
	"  return 0;\n"
	"}\n";

static void appendf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	if (used < len)
		vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static int header_offsets(const struct interp *in, const char *tmpdir, char *out, size_t len)
{
	char src[PATH_MAX], exe[PATH_MAX], cmd[4 * PATH_MAX];
	FILE *f;

	snprintf(src, sizeof(src), "%s/offsets.c", tmpdir);
	snprintf(exe, sizeof(exe), "%s/offsets", tmpdir);
	f = fopen(src, "w");
	if (!f)
		return -1;
	fputs(offsets_src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -DPy_BUILD_CORE -I'%s' -I'%s/internal' -o '%s' '%s' 2>&1 && '%s'",
		 in->include, in->include, exe, src, exe);
	return run_capture(cmd, out, len);
}

static long value_of(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtol(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

Test(pyframe, tables_match_each_installed_interpreters_headers)
{
	struct interp in[16];
	size_t n = find_interps(in, 16), i, checked = 0;
	char tmpdir[] = "/tmp/pyperf-test-pyframe.XXXXXX", out[8192], skipped[2048] = "";

	if (n == 0)
		cr_skip_test("no CPython 3.8+ found (pyenv root or PATH)");
	cr_assert_not_null(mkdtemp(tmpdir));
	for (i = 0; i < n; i++) {
		const struct pp_pylayout *l = pp_pylayout__builtin(in[i].hexversion);
		char hdr[PATH_MAX];

		snprintf(hdr, sizeof(hdr), "%s/internal/pycore_frame.h", in[i].include);
		if (in[i].hexversion >= 0x030b0000 && access(hdr, R_OK) != 0) {
			appendf(skipped, sizeof(skipped), " %s (no internal headers)", in[i].python);
			continue;
		}
		if (!l) {
			appendf(skipped, sizeof(skipped), " %s (%#lx: no table, newer than this agent)",
				in[i].python, in[i].hexversion);
			continue;
		}
		if (header_offsets(&in[i], tmpdir, out, sizeof(out)) != 0) {
			cr_expect(0, "%s: offsetof program failed against %s:\n%s", in[i].python,
				in[i].include, out);
			continue;
		}
#define CHECK(field, name) cr_expect_eq((long)l->field, value_of(out, name), \
		"%s: %s table %ld, headers %ld", in[i].python, name, (long)l->field, value_of(out, name))
		CHECK(ob_type, "ob_type");
		CHECK(tstate_frame, "tstate_frame");
		CHECK(frame_back, "frame_back");
		CHECK(frame_code, "frame_code");
		CHECK(frame_instr, "frame_instr");
		CHECK(code_filename, "code_filename");
		CHECK(code_name, "code_name");
		CHECK(code_firstlineno, "code_firstlineno");
		if (l->kind != PP_PYFRAME_OBJECT) {
			CHECK(frame_owner, "frame_owner");
			CHECK(code_adaptive, "code_adaptive");
		}
		if (l->kind == PP_PYFRAME_CFRAME)
			CHECK(cframe_current, "cframe_current");
		if (value_of(out, "owner_cstack") >= 0)
			CHECK(owner_skip_from, "owner_cstack");
#undef CHECK
		if (in[i].hexversion >= 0x030d0000) {
			struct pp_debug_offsets_map m;
			cr_assert_eq(pp_pylayout__debug_offsets_map(
					     (unsigned)(in[i].hexversion >> 16) & 0xffff, &m), 0);
#define DCHECK(f) cr_expect_eq((long)m.f, value_of(out, "dbg." #f), \
		"%s: _Py_DebugOffsets." #f " mirror %ld, headers %ld", in[i].python, (long)m.f, \
		value_of(out, "dbg." #f))
			DCHECK(version); DCHECK(free_threaded); DCHECK(tstate_current_frame);
			DCHECK(frame_size); DCHECK(frame_previous); DCHECK(frame_executable);
			DCHECK(frame_instr_ptr); DCHECK(frame_owner); DCHECK(code_size);
			DCHECK(code_filename); DCHECK(code_name); DCHECK(code_qualname);
			DCHECK(code_firstlineno); DCHECK(code_adaptive); DCHECK(pyobject_ob_type);
#undef DCHECK
		}
		checked++;
	}
	unlink(strcat(strcpy(out, tmpdir), "/offsets.c"));
	unlink(strcat(strcpy(out, tmpdir), "/offsets"));
	rmdir(tmpdir);
	if (checked == 0)
		cr_skip_test("no interpreter with usable headers:%s", skipped);
	else if (skipped[0])
		cr_log_info("skipped:%s", skipped);
}

/* 3.13+: the _Py_DebugOffsets inside a real libpython (initialised at
 * compile time, so no interpreter needs to run) agree with the table. */
Test(pyframe, live_debug_offsets_of_installed_libpython_agree)
{
	struct interp in[16];
	size_t n = find_interps(in, 16), i, checked = 0;

	pp_safe__install();
	for (i = 0; i < n; i++) {
		char lib[2 * PATH_MAX + 2], why[256];
		struct pp_pylayout l;
		void *h, *rt;

		if (in[i].hexversion < 0x030d0000 || !in[i].ldlibrary[0] ||
		    !strstr(in[i].ldlibrary, ".so"))
			continue;
		snprintf(lib, sizeof(lib), "%s/%s", in[i].libdir, in[i].ldlibrary);
		h = dlopen(lib, RTLD_LAZY | RTLD_LOCAL);
		if (!h)
			continue;
		rt = dlsym(h, "_PyRuntime");
		if (rt) {
			cr_expect_eq(pp_pylayout__select(in[i].hexversion, (uintptr_t)rt, &l, why,
							 sizeof(why)), 0, "%s: %s", lib, why);
			checked++;
		}
		dlclose(h);
	}
	if (!checked)
		cr_skip_test("no shared libpython 3.13+ found");
}
