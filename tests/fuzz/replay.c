/* replay: runs a harness once on every file it is given, in any build.
 *
 * Usage: fuzz-replay-TARGET PATH...   (a PATH is a file or a directory
 * whose files are taken in name order; a directory that does not exist
 * holds nothing, since git keeps no empty tests/fuzz/regressions/TARGET)
 *
 * TAP on stdout, one case per file.  A harness reports a bug by crashing
 * (FUZZ_CHECK aborts; ASan and UBSan builds also stop at memory errors):
 * the "# running" line before the crash names the input, and the missing
 * cases fail the test under meson.  This is how every crash the fuzzer
 * finds stays fixed: its input goes to tests/fuzz/regressions/TARGET. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

struct paths {
	char **v;
	size_t n, cap;
};

static void add(struct paths *p, const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *s = malloc(len);

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
	}
	if (!s || !p->v) {
		fprintf(stderr, "replay: out of memory\n");
		exit(1);
	}
	snprintf(s, len, "%s%s%s", dir, *dir && *name ? "/" : "", name);
	p->v[p->n++] = s;
}

static void collect(struct paths *p, const char *path)
{
	struct dirent **ents;
	struct stat st;
	int n, i;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return;
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (!S_ISDIR(st.st_mode)) {
		add(p, path, "");
		return;
	}
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.')
			add(p, path, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		if (n == 0)
			break;
		*len += n;
	}
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct paths p = { 0 };
	size_t i;
	int a, failed = 0;

	for (a = 1; a < argc; a++)
		collect(&p, argv[a]);
	if (p.n == 0) {
		fprintf(stderr, "replay: no input found in the paths given\n");
		return 1;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	printf("1..%zu\n", p.n);
	for (i = 0; i < p.n; i++) {
		size_t len;
		uint8_t *data = slurp(p.v[i], &len);

		if (!data) {
			printf("not ok %zu - %s # cannot read: %s\n", i + 1, p.v[i],
			       strerror(errno));
			failed = 1;
			free(p.v[i]);
			continue;
		}
		printf("# running %s\n", p.v[i]);
		fflush(stdout);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		printf("ok %zu - %s\n", i + 1, p.v[i]);
		fflush(stdout);
		free(p.v[i]);
	}
	free(p.v);
	return failed;
}
