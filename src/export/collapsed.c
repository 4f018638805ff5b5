/* export/collapsed: folded stacks for flame graphs (format in export.h).
 *
 * Every stack is rendered to its folded text, the texts are sorted, and
 * equal neighbours (stacks that differ only in tid, or in pid between
 * processes with the same command) are merged into one line. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pyperf/export.h"

struct sbuf {
	char *b;
	size_t n, cap;
	int err;
};

static void sb_add(struct sbuf *s, const char *p, size_t len)
{
	if (s->err)
		return;
	if (len + 1 > s->cap - s->n) {
		size_t ncap = s->cap ? s->cap : 256;
		char *nb;

		while (ncap - s->n < len + 1)
			ncap *= 2;
		nb = realloc(s->b, ncap);
		if (!nb) {
			s->err = -ENOMEM;
			return;
		}
		s->b = nb;
		s->cap = ncap;
	}
	memcpy(s->b + s->n, p, len);
	s->n += len;
	s->b[s->n] = '\0';
}

static void sb_str(struct sbuf *s, const char *p)
{
	sb_add(s, p, strlen(p));
}

/* NAME with the separators of the format made harmless: ';' splits
 * frames, newline splits records, and the count follows the last space,
 * which names may contain. */
static void sb_name(struct sbuf *s, const char *name)
{
	const char *run = name;

	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;

		if (c != ';' && c >= 0x20 && c != 0x7f)
			continue;
		sb_add(s, run, (size_t)(name - run));
		sb_str(s, c == ';' ? "\xef\xbc\x9b" : " ");
		run = name + 1;
	}
	sb_str(s, run);
}

static void sb_frame(struct sbuf *s, const struct pp_profile *p,
		     const struct pp_frame *fr)
{
	const struct pp_func *fn;
	char line[16];

	if (fr->func >= p->nfuncs) {  /* not from pp_profile: keep going */
		sb_str(s, "<bad function>");
		return;
	}
	fn = &p->funcs[fr->func];
	sb_name(s, fn->qualname);
	if (!fn->file[0])
		return;
	sb_str(s, " (");
	sb_name(s, fn->file);
	if (fr->line > 0) {
		snprintf(line, sizeof(line), ":%" PRId32, fr->line);
		sb_str(s, line);
	}
	sb_str(s, ")");
}

static void sb_root(struct sbuf *s, const struct pp_profile *p, uint32_t pid)
{
	char buf[32];
	size_t i;

	for (i = 0; i < p->nprocs; i++) {
		if (p->procs[i].pid == pid && p->procs[i].command[0]) {
			sb_name(s, p->procs[i].command);
			return;
		}
	}
	snprintf(buf, sizeof(buf), "pid %" PRIu32, pid);
	sb_str(s, buf);
}

struct line {
	char *text;
	uint64_t count;
};

static int line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->text, ((const struct line *)b)->text);
}

int pp_export__collapsed(FILE *out, const struct pp_profile *p, int event)
{
	struct line *lines = NULL;
	size_t nlines = 0, i, j, f;
	int ret = 0;

	if (event < 0 || (size_t)event >= p->nevents)
		return -EINVAL;
	lines = calloc(p->nstacks ? p->nstacks : 1, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	for (i = 0; i < p->nstacks; i++) {
		const struct pp_stack *st = &p->stacks[i];
		struct sbuf s = { 0 };

		if (!st->samples[event])
			continue;
		if (st->pid)
			sb_root(&s, p, st->pid);
		for (f = st->nframes; f-- > 0;) {
			if (s.n)
				sb_str(&s, ";");
			sb_frame(&s, p, &st->frames[f]);
		}
		if (!s.n)
			sb_str(&s, "<no frames>");
		if (s.err) {
			free(s.b);
			ret = -ENOMEM;
			goto out;
		}
		lines[nlines].text = s.b;
		lines[nlines].count = st->samples[event];
		nlines++;
	}
	qsort(lines, nlines, sizeof(*lines), line_cmp);
	for (i = 0; i < nlines; i = j) {
		uint64_t count = lines[i].count;

		for (j = i + 1; j < nlines && !strcmp(lines[i].text, lines[j].text); j++)
			count += lines[j].count;
		fprintf(out, "%s %" PRIu64 "\n", lines[i].text, count);
	}
	if (fflush(out) == EOF || ferror(out))
		ret = -EIO;
out:
	for (i = 0; i < nlines; i++)
		free(lines[i].text);
	free(lines);
	return ret;
}

static void sanitize(char *dst, size_t len, const char *name)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++) {
		char c = name[i];

		dst[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			 c == '+' || c == '-' ? c : '_';
	}
	dst[i] = '\0';
}

int pp_export__collapsed_path(char *buf, size_t len, const char *base,
			      const struct pp_profile *p, int event)
{
	char name[sizeof(p->ev[0].name)], other[sizeof(name)];
	int e, collides = 0, n;

	if (event < 0 || (size_t)event >= p->nevents)
		return -EINVAL;
	if (event == 0) {
		n = snprintf(buf, len, "%s", base);
	} else {
		sanitize(name, sizeof(name), p->ev[event].name);
		for (e = 1; e < event; e++) {
			sanitize(other, sizeof(other), p->ev[e].name);
			collides |= !strcmp(name, other);
		}
		n = collides ? snprintf(buf, len, "%s.%s.%d", base, name, event)
			     : snprintf(buf, len, "%s.%s", base, name);
	}
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}
