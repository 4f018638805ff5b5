/* Unit tests of symbolize (include/pyperf/symbolize.h): the /proc maps
 * parser on valid and hostile text, the address space history, and
 * symbol lookup on libraries built here with cc (with .symtab; stripped
 * to .dynsym; with no symbols at all; with a separate debug file found by
 * build-id or by .gnu_debuglink), the vdso, and one-step .eh_frame
 * unwinding of this test's own stack.  The libraries go into a private
 * temporary directory removed by each test. */

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <gelf.h>
#include <libelf.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pyperf/symbolize.h"

/* ---------------------------------------------------------------- maps */

static const char valid_maps[] =
	"55d0c0a00000-55d0c0a22000 r--p 00000000 fe:00 18500                      /usr/bin/python3.11\n"
	"55d0c0a22000-55d0c0c5c000 r-xp 00022000 fe:00 18500                      /usr/bin/python3.11\n"
	"55d0c1000000-55d0c1200000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n"
	"7f0000100000-7f0000101000 r-xp 00000000 00:00 0\n"
	"7f1000000000-7f1000010000 r-xp 00001000 08:01 4242                       /tmp/x/lib with space.so\n"
	"7f2000000000-7f2000010000 r-xp 00002000 08:01 4343                       /opt/gone.so (deleted)\n"
	"7f3000000000-7f3000010000 rw-s 00000000 00:01 99                         /memfd:ring (deleted)\n"
	"7ffc8a5f0000-7ffc8a5f2000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

Test(maps, parses_every_kind)
{
	struct pp_maps m = { 0 };
	long n = pp_maps__parse(valid_maps, strlen(valid_maps), &m, 0);

	cr_assert_eq(n, 10, "parsed %ld", n);
	cr_expect_eq(m.malformed, 0);
	cr_expect_eq(m.v[1].start, 0x55d0c0a22000ull);
	cr_expect_eq(m.v[1].end, 0x55d0c0c5c000ull);
	cr_expect_eq(m.v[1].offset, 0x22000ull);
	cr_expect_eq(m.v[1].prot, PP_MAP_R | PP_MAP_X);
	cr_expect_eq(m.v[1].dev_major, 0xfe);
	cr_expect_eq(m.v[1].inode, 18500);
	cr_expect_eq(m.v[1].kind, PP_MAP_FILE);
	cr_expect_str_eq(m.v[1].path, "/usr/bin/python3.11");
	cr_expect_str_eq(pp_map__module(&m.v[1]), "python3.11");
	cr_expect_eq(m.v[2].kind, PP_MAP_SPECIAL);
	cr_expect_str_eq(pp_map__module(&m.v[2]), "[heap]");
	cr_expect_eq(m.v[3].kind, PP_MAP_ANON, "trailing blank: anonymous");
	cr_expect_null(m.v[3].path);
	cr_expect_str_eq(pp_map__module(&m.v[3]), "[anon]");
	cr_expect_eq(m.v[4].kind, PP_MAP_ANON);
	cr_expect_str_eq(m.v[5].path, "/tmp/x/lib with space.so");
	cr_expect_str_eq(pp_map__module(&m.v[5]), "lib with space.so");
	cr_expect(m.v[6].deleted);
	cr_expect_str_eq(m.v[6].path, "/opt/gone.so");
	cr_expect_eq(m.v[7].prot, PP_MAP_R | PP_MAP_W | PP_MAP_SHARED);
	cr_expect(m.v[7].deleted);
	cr_expect_str_eq(pp_map__module(&m.v[8]), "[vdso]");
	cr_expect_eq(m.v[9].end, 0xffffffffff601000ull, "last line without newline");
	pp_maps__free(&m);
}

Test(maps, exec_only)
{
	struct pp_maps m = { 0 };

	cr_assert_eq(pp_maps__parse(valid_maps, strlen(valid_maps), &m, PP_MAPS_EXEC_ONLY), 6);
	for (size_t i = 0; i < m.n; i++)
		cr_expect(m.v[i].prot & PP_MAP_X);
	pp_maps__free(&m);
}

Test(maps, malformed_lines_are_skipped_and_counted)
{
	static const char *bad[] = {
		"",                                                   /* empty: not counted */
		"zz-10 r-xp 0 0:0 0",                                 /* bad hex */
		"10-20 r-xp 0 0:0",                                   /* no inode */
		"20-10 r-xp 0 0:0 0 /x",                              /* start > end */
		"10-10 r-xp 0 0:0 0 /x",                              /* empty */
		"10-20 rwzp 0 0:0 0 /x",                              /* perms */
		"10-20 r-x 0 0:0 0 /x",                               /* short perms */
		"10000000000000000-10000000000000001 r-xp 0 0:0 0",   /* 17 digits */
		"10-20 r-xp 0 0:0 123456789012345678901 /x",          /* 21-digit inode */
		"10-20 r-xp 0 0:0 12x /x",                            /* junk after inode */
		"10-20 r-xp 0 000000000:0 0 /x",                      /* 9-digit major */
		"10-20",
		"-",
	};
	struct pp_maps m = { 0 };
	char buf[4096];
	size_t i, len = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", bad[i]);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "30-40 r-xp 0 0:0 0 /ok\n");
	cr_assert_eq(pp_maps__parse(buf, len, &m, 0), 1);
	cr_expect_str_eq(m.v[0].path, "/ok");
	cr_expect_eq(m.malformed, sizeof(bad) / sizeof(bad[0]) - 1);
	pp_maps__free(&m);
}

Test(maps, huge_lines_and_nul_bytes)
{
	size_t big = PP_MAPS_MAX_LINE + 100, len;
	char *buf = malloc(big + 200);
	struct pp_maps m = { 0 };

	cr_assert(buf);
	len = (size_t)sprintf(buf, "10-20 r-xp 0 0:0 0 /");
	memset(buf + len, 'a', big);
	len += big;
	buf[len++] = '\n';
	len += (size_t)sprintf(buf + len, "30-40 r-xp 0 0:0 0 /ok\n50-60 r-xp 0 0:0 0 /n");
	buf[len++] = '\0';
	buf[len++] = 'x';
	cr_assert_eq(pp_maps__parse(buf, len, &m, 0), 1);
	cr_expect_eq(m.malformed, 2);
	pp_maps__free(&m);
	free(buf);
}

Test(maps, never_reads_past_len)
{
	/* The buffer ends in the middle of a number, exactly at the end of
	 * a heap block (valgrind / ASan would see a read past it). */
	static const char text[] = "10-20 r-xp 00000000 00:00 12";
	char *buf = malloc(sizeof(text) - 1);
	struct pp_maps m = { 0 };
	size_t cut;

	cr_assert(buf);
	memcpy(buf, text, sizeof(text) - 1);
	for (cut = 0; cut <= sizeof(text) - 1; cut++) {
		char *tail = malloc(cut ? cut : 1);
		memcpy(tail, buf, cut);
		cr_expect_geq(pp_maps__parse(tail, cut, &m, 0), 0);
		free(tail);
	}
	cr_expect_eq(m.n, 2, "only the prefixes that end in an inode parse: %zu", m.n);
	pp_maps__free(&m);
	free(buf);
}

Test(maps, build_id_lines)
{
	struct pp_build_id_range r;
	const char *ok = "b 7f00 7f80 49daf84ed369fe589b73ea876f2591cd4c3588bb";

	cr_assert_eq(pp_build_id_range__parse(ok, strlen(ok), &r), 0);
	cr_expect_eq(r.lo, 0x7f00);
	cr_expect_eq(r.hi, 0x7f80);
	cr_expect_eq(r.len, 20);
	cr_expect_eq(r.id[0], 0x49);
	cr_expect_eq(r.id[19], 0xbb);
	cr_expect_eq(pp_build_id_range__parse("b 10 20 abc", 11, &r), -EINVAL, "odd digits");
	cr_expect_eq(pp_build_id_range__parse("b 20 10 ab", 10, &r), -EINVAL, "lo >= hi");
	cr_expect_eq(pp_build_id_range__parse("b 10 20 ", 8, &r), -EINVAL, "no id");
	cr_expect_eq(pp_build_id_range__parse("b 10 20 zz", 10, &r), -EINVAL);
}

/* ----------------------------------------------------------- addrspace */

static void add_snapshot(struct pp_addrspace *as, uint32_t gen, const char *text,
			 const struct pp_build_id_range *ids, size_t nids)
{
	struct pp_maps m = { 0 };

	cr_assert_geq(pp_maps__parse(text, strlen(text), &m, PP_MAPS_EXEC_ONLY), 0);
	cr_assert_eq(pp_addrspace__add(as, gen, &m, ids, nids), 0);
	cr_expect_eq(m.n, 0, "the snapshot's mappings were taken");
}

Test(addrspace, history_of_dlopen_and_dlclose)
{
	struct pp_addrspace *as;
	struct pp_build_id_range id = { 0x1000, 0x3000, { 0xab, 0xcd }, 2 };
	const struct pp_map *m;

	cr_assert_eq(pp_addrspace__new(&as), 0);
	cr_expect_null(pp_addrspace__find(as, 0x1000, 1));
	add_snapshot(as, 1, "1000-2000 r-xp 0 8:1 1 /lib/a.so\n", &id, 1);
	/* gen 2: b.so loaded */
	add_snapshot(as, 2, "1000-2000 r-xp 0 8:1 1 /lib/a.so\n5000-6000 r-xp 0 8:1 2 /lib/b.so\n",
		     NULL, 0);
	/* gen 4: b.so closed, c.so at the same address */
	add_snapshot(as, 4, "1000-2000 r-xp 0 8:1 1 /lib/a.so\n5000-6000 r-xp 0 8:1 3 /lib/c.so\n",
		     NULL, 0);
	cr_expect_eq(pp_addrspace__latest(as), 4);
	cr_expect_eq(pp_addrspace__add(as, 3, &(struct pp_maps){ 0 }, NULL, 0), -EINVAL);

	m = pp_addrspace__find(as, 0x1800, 1);
	cr_assert_not_null(m);
	cr_expect_str_eq(m->path, "/lib/a.so");
	cr_expect_eq(m->build_id_len, 2, "build-id given to the mapping in its range");
	cr_expect_eq(m->build_id[1], 0xcd);
	/* a sample of generation 1 in b.so: loaded after snapshot 1 */
	m = pp_addrspace__find(as, 0x5800, 1);
	cr_assert_not_null(m);
	cr_expect_str_eq(m->path, "/lib/b.so");
	m = pp_addrspace__find(as, 0x5800, 2);
	cr_expect_str_eq(m->path, "/lib/b.so");
	m = pp_addrspace__find(as, 0x5800, 3);
	cr_expect_str_eq(m->path, "/lib/c.so", "gen 3: b.so gone by snapshot 4? the later one");
	m = pp_addrspace__find(as, 0x5800, 4);
	cr_expect_str_eq(m->path, "/lib/c.so");
	m = pp_addrspace__find(as, 0x5800, 0);
	cr_expect_str_eq(m->path, "/lib/c.so", "gen 0: the latest");
	cr_expect_null(pp_addrspace__find(as, 0x9000, 4));
	pp_addrspace__free(as);
}

/* ------------------------------------------------- libraries built here */

static char tmpdir[64];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = 0;
}

static const char lib_src[] =
	"static volatile unsigned long sink;\n"
	"__attribute__((noinline)) static void pp_t_static(long n)\n"
	"{ for (long i = 0; i < n; i++) sink = sink * 31 + (unsigned long)i; }\n"
	"__attribute__((visibility(\"default\"))) void pp_t_exported(long n)\n"
	"{ pp_t_static(n); sink++; }\n";

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void need_tools(void)
{
	if (system("command -v cc >/dev/null && command -v strip >/dev/null && "
		   "command -v objcopy >/dev/null") != 0)
		cr_skip_test("cc, strip and objcopy are needed to build test libraries");
}

/* Builds DIR/libt.so (FLAGS added) and returns its path in OUT. */
static void build_lib(char *out, size_t len, const char *name, const char *flags)
{
	char src[128];
	FILE *f;

	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/pp-symbolize-XXXXXX");
		cr_assert_not_null(mkdtemp(tmpdir));
	}
	snprintf(src, sizeof(src), "%s/t.c", tmpdir);
	f = fopen(src, "w");
	cr_assert_not_null(f);
	fputs(lib_src, f);
	fclose(f);
	snprintf(out, len, "%s/%s", tmpdir, name);
	sh("cc -shared -fPIC -O1 -g -Wl,--build-id=sha1 %s -o '%s' '%s'", flags, out, src);
}

/* The ELF address of NAME in PATH's .symtab, or 0. */
static uint64_t symtab_addr(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY);
	Elf *e;
	Elf_Scn *scn = NULL;
	uint64_t found = 0;

	cr_assert_geq(fd, 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && (scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sy;
			const char *n;
			if (gelf_getsym(d, (int)i, &sy) && (n = elf_strptr(e, sh.sh_link, sy.st_name)) &&
			    !strcmp(n, name))
				found = sy.st_value;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return found;
}

static size_t file_build_id(const char *path, uint8_t *id)
{
	char cmd[600], line[512];
	FILE *p;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "readelf -n '%s' | sed -n 's/.*Build ID: //p'", path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	if (fgets(line, sizeof(line), p))
		for (n = 0; n < PP_BUILD_ID_MAX && sscanf(line + 2 * n, "%2hhx", &id[n]) == 1; n++)
			;
	pclose(p);
	return n;
}

/* A mapping of PATH's text as a loader would make it: the whole file at
 * BASE, offset 0 (so that file offset = ELF address for these libs). */
static struct pp_map fake_map(const char *path, uint64_t base, int with_build_id)
{
	struct pp_map m;
	struct stat sb;

	memset(&m, 0, sizeof(m));
	cr_assert_eq(stat(path, &sb), 0);
	m.start = base;
	m.end = base + (((uint64_t)sb.st_size + 4095) & ~4095ull);
	m.prot = PP_MAP_R | PP_MAP_X;
	m.kind = PP_MAP_FILE;
	m.inode = sb.st_ino;
	m.dev_major = major(sb.st_dev);
	m.dev_minor = minor(sb.st_dev);
	m.path = (char *)path;
	if (with_build_id)
		m.build_id_len = (uint8_t)file_build_id(path, m.build_id);
	return m;
}

#define BASE 0x7f0000000000ull

static void lookup(struct pp_symbolizer *s, const struct pp_map *m, uint64_t vaddr,
		   struct pp_symbol *sym, char *buf, size_t len)
{
	cr_assert_eq(pp_symbolizer__lookup(s, m, m->start + vaddr, sym), 0);
	pp_symbol__format(sym, buf, len);
}

Test(symbols, symtab_dynsym_and_nothing, .fini = cleanup)
{
	char full[256], dyn[256], none[256], name[256];
	struct pp_symbolizer *s;
	struct pp_symbol sym;
	struct pp_map m;
	uint64_t st, ex;

	need_tools();
	build_lib(full, sizeof(full), "libfull.so", "");
	st = symtab_addr(full, "pp_t_static");
	ex = symtab_addr(full, "pp_t_exported");
	cr_assert(st && ex);
	snprintf(dyn, sizeof(dyn), "%s/libdyn.so", tmpdir);
	sh("strip --strip-all -o '%s' '%s'", dyn, full);
	build_lib(none, sizeof(none), "libnone.so.1", "-fvisibility=hidden");
	sh("strip --strip-all '%s'", none);

	cr_assert_eq(pp_symbolizer__new(&s, (const char *const[]){ NULL }), 0);
	/* .symtab: the static function by name */
	m = fake_map(full, BASE, 1);
	lookup(s, &m, st + 2, &sym, name, sizeof(name));
	cr_expect_str_eq(name, "pp_t_static");
	cr_expect_eq(sym.source, PP_SYM_SYMTAB);
	cr_expect_eq(sym.start, st);
	cr_expect_eq(sym.sym_offset, 2);
	cr_expect_str_eq(sym.module, "libfull.so");
	/* .dynsym only: the exported one still named, the static one is
	 * module+START (its .eh_frame entry), the same for all its addresses */
	m = fake_map(dyn, BASE, 1);
	lookup(s, &m, ex, &sym, name, sizeof(name));
	cr_expect_str_eq(name, "pp_t_exported");
	cr_expect_eq(sym.source, PP_SYM_DYNSYM);
	lookup(s, &m, st + 2, &sym, name, sizeof(name));
	cr_expect_null(sym.name);
	cr_expect(sym.start_known, "the unwind table gives the function's start");
	{
		char want[64], other[256];
		snprintf(want, sizeof(want), "libdyn.so+%#llx", (unsigned long long)st);
		cr_expect_str_eq(name, want);
		lookup(s, &m, st + 5, &sym, other, sizeof(other));
		cr_expect_str_eq(other, want, "one row per unnamed function");
	}
	/* no symbols at all: module+0x..., never ?? */
	m = fake_map(none, BASE, 1);
	lookup(s, &m, st + 2, &sym, name, sizeof(name));
	cr_expect_null(sym.name);
	cr_expect(!strncmp(name, "libnone.so.1+0x", 15), "%s", name);
	cr_expect_null(strstr(name, "??"));
	/* an address no unwind entry covers (the ELF header): the address */
	lookup(s, &m, 0x10, &sym, name, sizeof(name));
	cr_expect_str_eq(name, "libnone.so.1+0x10");
	cr_expect_eq(pp_symbolizer__loaded(s), 3);
	/* the same (path, build-id) again: the cached table */
	m = fake_map(full, BASE + 0x100000, 1);
	lookup(s, &m, st, &sym, name, sizeof(name));
	cr_expect_str_eq(name, "pp_t_static");
	cr_expect_eq(pp_symbolizer__loaded(s), 3, "loaded once per (path, build-id)");
	pp_symbolizer__free(s);
}

Test(symbols, debug_file_by_build_id, .fini = cleanup)
{
	char lib[256], dbg[512], dir[256], name[256], hex[2 * PP_BUILD_ID_MAX + 1];
	uint8_t id[PP_BUILD_ID_MAX];
	struct pp_symbolizer *s;
	struct pp_symbol sym;
	struct pp_map m;
	size_t n, i;
	uint64_t st;

	need_tools();
	build_lib(lib, sizeof(lib), "libdbg.so", "");
	st = symtab_addr(lib, "pp_t_static");
	n = file_build_id(lib, id);
	cr_assert_eq(n, 20);
	for (i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
	snprintf(dir, sizeof(dir), "%s/debug/.build-id/%.2s", tmpdir, hex);
	sh("mkdir -p '%s'", dir);
	snprintf(dbg, sizeof(dbg), "%s/%s.debug", dir, hex + 2);
	sh("objcopy --only-keep-debug '%s' '%s' && strip --strip-all '%s'", lib, dbg, lib);

	snprintf(dir, sizeof(dir), "%s/debug", tmpdir);
	cr_assert_eq(pp_symbolizer__new(&s, (const char *const[]){ dir, NULL }), 0);
	m = fake_map(lib, BASE, 1);
	lookup(s, &m, st + 1, &sym, name, sizeof(name));
	cr_expect_str_eq(name, "pp_t_static");
	cr_expect_eq(sym.source, PP_SYM_DEBUG);
	pp_symbolizer__free(s);

	/* without the debug root: not found */
	cr_assert_eq(pp_symbolizer__new(&s, (const char *const[]){ NULL }), 0);
	m = fake_map(lib, BASE, 1);
	lookup(s, &m, st + 1, &sym, name, sizeof(name));
	cr_expect_null(sym.name);
	pp_symbolizer__free(s);
}

Test(symbols, debug_file_by_debuglink_with_crc, .fini = cleanup)
{
	char lib[256], other[256], name[256];
	struct pp_symbolizer *s;
	struct pp_symbol sym;
	struct pp_map m;
	uint64_t st;

	need_tools();
	build_lib(lib, sizeof(lib), "liblink.so", "");
	st = symtab_addr(lib, "pp_t_static");
	sh("cd '%s' && objcopy --only-keep-debug liblink.so liblink.debug && "
	   "strip --strip-all liblink.so && objcopy --add-gnu-debuglink=liblink.debug liblink.so",
	   tmpdir);
	cr_assert_eq(pp_symbolizer__new(&s, (const char *const[]){ NULL }), 0);
	m = fake_map(lib, BASE, 1);
	lookup(s, &m, st + 1, &sym, name, sizeof(name));
	cr_expect_str_eq(name, "pp_t_static", "found beside the file");
	cr_expect_eq(sym.source, PP_SYM_DEBUG);
	pp_symbolizer__free(s);

	/* a debug file of another build under that name: its CRC differs */
	build_lib(other, sizeof(other), "libother.so", "-DOTHER=1 -O0");
	sh("cd '%s' && objcopy --only-keep-debug libother.so liblink.debug", tmpdir);
	cr_assert_eq(pp_symbolizer__new(&s, (const char *const[]){ NULL }), 0);
	m = fake_map(lib, BASE, 1);
	lookup(s, &m, st + 1, &sym, name, sizeof(name));
	cr_expect_null(sym.name, "a debug file with the wrong CRC is not used: %s", name);
	pp_symbolizer__free(s);
}

Test(symbols, replaced_file_is_not_trusted, .fini = cleanup)
{
	char lib[256], name[256];
	struct pp_symbolizer *s;
	struct pp_symbol sym;
	struct pp_map m;
	uint64_t st;

	need_tools();
	build_lib(lib, sizeof(lib), "librepl.so", "");
	st = symtab_addr(lib, "pp_t_static");
	cr_assert_eq(pp_symbolizer__new(&s, (const char *const[]){ NULL }), 0);
	m = fake_map(lib, BASE, 1);
	m.build_id[0] ^= 0xff; /* what was mapped is another build */
	lookup(s, &m, st + 1, &sym, name, sizeof(name));
	cr_expect_null(sym.name);
	cr_expect(!sym.readable);
	cr_expect(!strncmp(name, "librepl.so+0x", 13), "%s", name);
	/* without a build-id, the inode decides */
	m = fake_map(lib, BASE, 0);
	m.inode++;
	lookup(s, &m, st + 1, &sym, name, sizeof(name));
	cr_expect_null(sym.name);
	/* deleted: module+offset */
	m = fake_map(lib, BASE, 0);
	m.deleted = 1;
	m.inode = 1;
	lookup(s, &m, st + 1, &sym, name, sizeof(name));
	cr_expect(!strncmp(name, "librepl.so+0x", 13), "%s", name);
	pp_symbolizer__free(s);
}

/* ------------------------------------------------- this process: vdso */

static char *read_self_maps(size_t *len)
{
	char *buf = malloc(1 << 20);
	int fd = open("/proc/self/maps", O_RDONLY);
	ssize_t n, total = 0;

	cr_assert(buf && fd >= 0);
	while ((n = read(fd, buf + total, (1 << 20) - (size_t)total)) > 0)
		total += n;
	close(fd);
	*len = (size_t)total;
	return buf;
}

Test(symbols, vdso_and_anonymous)
{
	struct pp_maps maps = { 0 };
	struct pp_symbolizer *s;
	struct pp_symbol sym;
	size_t len, i, named = 0;
	char *text = read_self_maps(&len), name[256];

	cr_assert_gt(pp_maps__parse(text, len, &maps, PP_MAPS_EXEC_ONLY), 0);
	cr_assert_eq(pp_symbolizer__new(&s, NULL), 0);
	for (i = 0; i < maps.n; i++) {
		const struct pp_map *m = &maps.v[i];
		uint64_t a;

		if (!m->path || strcmp(m->path, "[vdso]"))
			continue;
		for (a = m->start; a < m->end; a += 8) {
			cr_assert_eq(pp_symbolizer__lookup(s, m, a, &sym), 0);
			pp_symbol__format(&sym, name, sizeof(name));
			cr_assert_str_eq(sym.module, "[vdso]");
			if (sym.name && strstr(sym.name, "gettimeofday"))
				named++;
		}
	}
	cr_expect_gt(named, 0, "the vdso's functions are named");
	{
		struct pp_map anon = { .start = 0x1000, .end = 0x2000, .prot = PP_MAP_X,
				       .kind = PP_MAP_ANON };
		cr_assert_eq(pp_symbolizer__lookup(s, &anon, 0x1234, &sym), 0);
		pp_symbol__format(&sym, name, sizeof(name));
		cr_expect_str_eq(name, "[anon]+0x1234");
	}
	pp_symbolizer__free(s);
	pp_maps__free(&maps);
	free(text);
}

/* ----------------------------------------- unwinding this test's stack */

struct captured {
	uint64_t ip, sp, bp;
	uint64_t stack[1024];
	size_t n;
};

static int read_captured(void *ctx, uint64_t addr, uint64_t *out)
{
	const struct captured *c = ctx;

	if (addr < c->sp || (addr - c->sp) / 8 >= c->n || (addr & 7))
		return 0;
	*out = c->stack[(addr - c->sp) / 8];
	return 1;
}

static volatile int keep;

/* Reading the raw stack above us is what the agent does; ASan would see
 * its redzones, so it is told not to look here. */
__attribute__((noinline, no_sanitize("address"))) static void capture_inner(struct captured *c)
{
	uint64_t ip, sp, bp;

	/* one asm block: the IP is where RSP and RBP were read */
	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
			 : "=r"(ip), "=r"(sp), "=r"(bp));
	c->ip = ip;
	c->sp = sp;
	c->bp = bp;
	c->n = 1024;
	for (size_t i = 0; i < c->n; i++)
		c->stack[i] = ((const volatile uint64_t *)sp)[i];
	keep++;
}

__attribute__((noinline)) static void capture_outer(struct captured *c)
{
	capture_inner(c);
	keep++; /* no tail call */
}

Test(unwind, eh_frame_steps_through_this_stack)
{
	static struct captured c;
	struct pp_maps maps = { 0 };
	struct pp_symbolizer *s;
	struct pp_unwind_regs r;
	size_t len, i;
	char *text, name[256];
	const char *want[] = { "capture_inner", "capture_outer" };
	int step, found_outer = 0;

	capture_outer(&c);
	text = read_self_maps(&len);
	cr_assert_gt(pp_maps__parse(text, len, &maps, PP_MAPS_EXEC_ONLY), 0);
	cr_assert_eq(pp_symbolizer__new(&s, NULL), 0);
	r.ip = c.ip;
	r.sp = c.sp;
	r.bp = c.bp;
	for (step = 0; step < 4; step++) {
		const struct pp_map *m = NULL;
		struct pp_symbol sym;
		uint64_t target;

		uint64_t pc = step ? r.ip - 1 : r.ip;

		for (i = 0; i < maps.n; i++)
			if (pc >= maps.v[i].start && pc < maps.v[i].end)
				m = &maps.v[i];
		cr_assert_not_null(m, "step %d: %#llx is mapped", step, (unsigned long long)r.ip);
		cr_assert_eq(pp_symbolizer__lookup(s, m, pc, &sym), 0);
		pp_symbol__format(&sym, name, sizeof(name));
		/* gcc may name them capture_inner.constprop.0 and the like */
		if (step < 2)
			cr_expect(!strncmp(name, want[step], strlen(want[step])), "frame %d: %s",
				  step, name);
		if (step == 1) {
			found_outer = 1;
			cr_expect_eq(pp_symbolizer__after_call(s, m, r.ip, &target), 1,
				     "a return address follows a call");
		}
		if (step == 2)
			break;
		cr_assert_eq(pp_symbolizer__unwind(s, m, &r, step == 0, read_captured, &c), 1,
			     "step %d from %s", step, name);
	}
	cr_expect(found_outer);
	/* no copied stack: the step fails, it does not guess */
	{
		struct captured empty = c;
		const struct pp_map *m = NULL;

		empty.n = 0;
		r.ip = c.ip;
		r.sp = c.sp;
		r.bp = c.bp;
		for (i = 0; i < maps.n; i++)
			if (r.ip >= maps.v[i].start && r.ip < maps.v[i].end)
				m = &maps.v[i];
		cr_expect_eq(pp_symbolizer__unwind(s, m, &r, 1, read_captured, &empty), -1);
	}
	pp_symbolizer__free(s);
	pp_maps__free(&maps);
	free(text);
}
