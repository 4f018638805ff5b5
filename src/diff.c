/* diff: statistics, the --fail-if grammar, function matching and the
 * decisions of `pyperf-stat diff` (API and conventions in diff.h; the
 * method, for users, in docs/ci.md).
 *
 * Nothing here prints: cmd_diff.c renders a finished struct pp_diff. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyperf/diff.h"

/* ------------------------------------------------------------ statistics */

/* Continued fraction of the incomplete beta function, by the modified
 * Lentz method (Numerical Recipes in C, 2nd ed., 6.4, betacf). */
static double betacf(double a, double b, double x)
{
	const double fpmin = 1e-300, eps = 1e-15;
	double qab = a + b, qap = a + 1, qam = a - 1;
	double c = 1, d = 1 - qab * x / qap, h, aa, del;
	int m, m2;

	if (fabs(d) < fpmin)
		d = fpmin;
	d = 1 / d;
	h = d;
	for (m = 1; m <= 1000; m++) {
		m2 = 2 * m;
		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1 + aa * d;
		if (fabs(d) < fpmin)
			d = fpmin;
		c = 1 + aa / c;
		if (fabs(c) < fpmin)
			c = fpmin;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1 + aa * d;
		if (fabs(d) < fpmin)
			d = fpmin;
		c = 1 + aa / c;
		if (fabs(c) < fpmin)
			c = fpmin;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

/* The regularized incomplete beta function I_x(a, b). */
static double ibeta(double a, double b, double x)
{
	double bt;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return bt * betacf(a, b, x) / a;
	return 1 - bt * betacf(b, a, 1 - x) / b;
}

double pp_stats__t_p2(double t, double df)
{
	if (isnan(t) || isnan(df) || df <= 0)
		return NAN;
	if (isinf(t))
		return 0;
	if (isinf(df))
		return erfc(fabs(t) / sqrt(2.0));
	/* P(|T| >= t) = I_{df / (df + t^2)}(df / 2, 1 / 2) */
	return ibeta(df / 2, 0.5, df / (df + t * t));
}

double pp_stats__t_crit(double p, double df)
{
	double lo = 0, hi = 1, mid;
	int i;

	if (!(p > 0 && p < 1) || isnan(df) || df <= 0)
		return NAN;
	while (pp_stats__t_p2(hi, df) > p && hi < 1e15)
		hi *= 2;
	/* the p-value falls monotonically with t: bisect to double precision */
	for (i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
		mid = (lo + hi) / 2;
		if (pp_stats__t_p2(mid, df) > p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

void pp_stats__mean_sd(const double *x, size_t n, double *mean, double *sd)
{
	double m = 0, ss = 0;
	size_t i;

	for (i = 0; i < n; i++)
		m += x[i];
	m = n ? m / (double)n : 0;
	/* two passes: no cancellation when the spread is small next to the mean */
	for (i = 0; i < n; i++)
		ss += (x[i] - m) * (x[i] - m);
	*mean = m;
	*sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
}

int pp_stats__welch(double m1, double sd1, size_t n1, double m2, double sd2,
		    size_t n2, struct pp_welch *out)
{
	double v1, v2, se2;

	if (n1 < 2 || n2 < 2 || !(sd1 >= 0) || !(sd2 >= 0))
		return -EINVAL;
	v1 = sd1 * sd1 / (double)n1;
	v2 = sd2 * sd2 / (double)n2;
	se2 = v1 + v2;
	out->se = sqrt(se2);
	if (se2 == 0) {
		/* no spread at all: any difference is certain */
		out->df = (double)(n1 + n2 - 2);
		out->t = m2 == m1 ? 0 : m2 > m1 ? INFINITY : -INFINITY;
		out->p = m2 == m1 ? 1 : 0;
		return 0;
	}
	out->df = se2 * se2 / (v1 * v1 / (double)(n1 - 1) + v2 * v2 / (double)(n2 - 1));
	out->t = (m2 - m1) / out->se;
	out->p = pp_stats__t_p2(out->t, out->df);
	return 0;
}

/* ------------------------------------------------------------ thresholds */

static int thr_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int thr_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static size_t trim_len(const char *s, size_t len)
{
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len;
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* A decimal number without exponent, whatever LC_NUMERIC says. */
static int parse_decimal(const char **sp, double *out)
{
	const char *s = *sp;
	double v = 0, scale = 1;
	int digits = 0;

	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			scale /= 10;
			v += (*s++ - '0') * scale;
			digits++;
		}
	}
	if (!digits)
		return -1;
	*sp = s;
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	double factor;
	int time;
} units[] = {
	{ "", 1, 0 }, { "k", 1e3, 0 }, { "K", 1e3, 0 }, { "M", 1e6, 0 }, { "G", 1e9, 0 },
	{ "ns", 1, 1 }, { "us", 1e3, 1 }, { "ms", 1e6, 1 }, { "s", 1e9, 1 },
};

static int parse_limit(const char *s, struct pp_threshold *t, char *err, size_t errlen)
{
	double v, sign = 1;
	size_t i;

	if (*s == '=')
		return thr_fail(err, errlen, "'%c=' is not a comparison here: use '%c' "
				"(the limit itself never fails)", t->op, t->op);
	if (!*s)
		return thr_fail(err, errlen, "no limit after '%c' (e.g. +5%% or +2ms)", t->op);
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (parse_decimal(&s, &v) < 0)
		return thr_fail(err, errlen, "the limit must be a number, a percentage or a "
				"number with a unit (+5%%, +2ms, +1M)");
	if (*s == '%' && !s[1]) {
		t->relative = 1;
		t->limit = sign * v / 100;
		if (t->limit <= -1)
			return thr_fail(err, errlen, "a change of -100%% or less is impossible");
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(s, units[i].name)) {
			t->limit = sign * v * units[i].factor;
			t->time_unit = units[i].time;
			t->unit_given = *s != '\0';
			return 0;
		}
	}
	return thr_fail(err, errlen, "unknown unit '%s' (expected %%, k, M, G for events, "
			"or ns, us, ms, s for time)", s);
}

int pp_threshold__parse(const char *s, struct pp_threshold *t, char *err, size_t errlen)
{
	const char *p, *op, *ev;
	char *lim;
	size_t len;
	int self = 0, ret;

	memset(t, 0, sizeof(*t));
	if (errlen)
		err[0] = '\0';
	t->text = strdup(s);
	if (!t->text)
		return thr_fail(err, errlen, "out of memory");
	p = skip_space(s);
	if (!strncmp(p, "func:", 5)) {
		const char *pat = p + 5, *end = pat;

		while (*end && *end != ' ' && *end != '\t')
			end++;
		if (end == pat)
			return thr_fail(err, errlen, "'func:' needs a function name or pattern "
					"('func:pkg.mod.f', 'func:*')");
		if (!*end)
			return thr_fail(err, errlen, "'func:%.*s' must be followed by a space "
					"and the event ('func:%.*s task-clock>+5%%')",
					(int)(end - pat), pat, (int)(end - pat), pat);
		t->pattern = strndup(pat, (size_t)(end - pat));
		if (!t->pattern)
			return thr_fail(err, errlen, "out of memory");
		p = skip_space(end);
	}
	if (!strncmp(p, "total:", 6)) {
		t->inclusive = 1;
		p += 6;
	}
	op = strpbrk(p, "<>");
	if (!op)
		return thr_fail(err, errlen, "no comparison: expected EVENT>LIMIT or "
				"EVENT<LIMIT (e.g. 'instructions>+2%%')");
	if (strpbrk(op + 1, "<>"))
		return thr_fail(err, errlen, "more than one comparison ('<' or '>')");
	t->op = *op;
	ev = p;
	len = trim_len(ev, (size_t)(op - ev));
	if (ends_with(ev, len, ":inclusive")) {
		t->inclusive = 1;
		len -= strlen(":inclusive");
	} else if (ends_with(ev, len, ":self")) {
		self = 1;
		len -= strlen(":self");
	}
	if (self && t->inclusive)
		return thr_fail(err, errlen, "'total:' (inclusive) and ':self' contradict "
				"each other");
	if (!len)
		return thr_fail(err, errlen, "no event before '%c'", t->op);
	if (memchr(ev, ' ', len) || memchr(ev, '\t', len))
		return thr_fail(err, errlen, "'%.*s' is not an event name (a space inside; "
				"'func:NAME' comes first)", (int)len, ev);
	if (t->inclusive && !t->pattern)
		return thr_fail(err, errlen, "inclusive ('total:', ':inclusive') applies to "
				"functions: add 'func:NAME '");
	t->event = strndup(ev, len);
	if (!t->event)
		return thr_fail(err, errlen, "out of memory");
	p = skip_space(op + 1);
	lim = strndup(p, trim_len(p, strlen(p)));
	if (!lim)
		return thr_fail(err, errlen, "out of memory");
	ret = parse_limit(lim, t, err, errlen);
	free(lim);
	return ret;
}

void pp_threshold__free(struct pp_threshold *t)
{
	free(t->text);
	free(t->pattern);
	free(t->event);
	memset(t, 0, sizeof(*t));
}

int pp_threshold__match_func(const char *pattern, const char *qualname, const char *file)
{
	char *mod, *dot, *cand;
	const char *base;
	size_t len, i;
	int hit = 0;

	if (!fnmatch(pattern, qualname, 0))
		return 1;
	if (!file || !*file)
		return 0;
	/* "/src/pkg/mod.py" -> "src.pkg.mod"; "pkg/__init__.py" -> "pkg" */
	while (*file == '/' || !strncmp(file, "./", 2))
		file += *file == '/' ? 1 : 2;
	mod = strdup(file);
	if (!mod)
		return 0;
	base = strrchr(mod, '/');
	dot = strrchr(base ? base : mod, '.');
	if (dot && dot != (base ? base + 1 : mod))
		*dot = '\0';
	len = strlen(mod);
	if (ends_with(mod, len, "/__init__"))
		mod[len - strlen("/__init__")] = '\0';
	for (i = 0; mod[i]; i++)
		if (mod[i] == '/')
			mod[i] = '.';
	/* every dotted suffix: "src.pkg.mod", "pkg.mod", "mod" */
	for (i = 0; !hit && mod[i]; i++) {
		if (i && mod[i - 1] != '.')
			continue;
		if (asprintf(&cand, "%s.%s", mod + i, qualname) < 0)
			break;
		hit = !fnmatch(pattern, cand, 0);
		free(cand);
	}
	free(mod);
	return hit;
}

/* ------------------------------------------------------- one comparison */

void pp_diff__estimate(const double *x, size_t n, uint64_t samples, struct pp_diff_est *e)
{
	double mean, sd, floor;

	memset(e, 0, sizeof(*e));
	pp_stats__mean_sd(x, n, &mean, &sd);
	e->mean = mean;
	e->n = n;
	e->samples = samples;
	if (n >= 2) {
		/* Each run's estimate is at least as noisy as its Poisson
		 * sampling: var = mean^2 / (samples per run). */
		floor = samples ? mean * mean * (double)n / (double)samples : 0;
		e->sd = sd * sd >= floor ? sd : sqrt(floor);
		e->se = e->sd / sqrt((double)n);
		e->ci95 = pp_stats__t_crit(0.05, (double)(n - 1)) * e->se;
		e->noise = PP_NOISE_RUNS;
	} else if (samples) {
		e->sd = fabs(mean) / sqrt((double)samples);
		e->se = e->sd;
		e->ci95 = pp_stats__t_crit(0.05, INFINITY) * e->se;
		e->noise = PP_NOISE_SAMPLING;
	} else {
		e->noise = PP_NOISE_NONE;
	}
}

void pp_diff__estimate_summary(double mean, double sd, size_t n, uint64_t samples,
			       struct pp_diff_est *e)
{
	pp_diff__estimate(&mean, 1, samples, e);
	if (n >= 2 && sd >= 0) {
		e->n = n;
		e->sd = sd;
		e->se = sd / sqrt((double)n);
		e->ci95 = pp_stats__t_crit(0.05, (double)(n - 1)) * e->se;
		e->noise = PP_NOISE_RUNS;
	}
}

void pp_diff__compare(const struct pp_diff_est *base, const struct pp_diff_est *new,
		      double alpha, struct pp_diff_cmp *c)
{
	struct pp_welch w;
	double q = 0, se = 0;

	memset(c, 0, sizeof(*c));
	c->base = *base;
	c->new = *new;
	c->delta = new->mean - base->mean;
	if (base->mean != 0)
		c->rel = c->delta / fabs(base->mean);
	else
		c->rel = c->delta > 0 ? INFINITY : c->delta < 0 ? -INFINITY : 0;
	c->p = NAN;
	c->df = NAN;
	if (base->noise == PP_NOISE_RUNS && new->noise == PP_NOISE_RUNS &&
	    !pp_stats__welch(base->mean, base->sd, base->n, new->mean, new->sd, new->n, &w)) {
		c->test = PP_TEST_WELCH;
		c->p = w.p;
		c->df = w.df;
		se = w.se;
		q = se > 0 ? pp_stats__t_crit(alpha, w.df) : 0;
	} else {
		se = sqrt(base->se * base->se + new->se * new->se);
		if (se > 0) {
			c->test = PP_TEST_Z;
			c->df = INFINITY;
			c->p = pp_stats__t_p2(c->delta / se, INFINITY);
			q = pp_stats__t_crit(alpha, INFINITY);
		}
	}
	c->lo = c->delta - q * se;
	c->hi = c->delta + q * se;
	c->rel_lo = base->mean != 0 ? c->lo / fabs(base->mean) : NAN;
	c->rel_hi = base->mean != 0 ? c->hi / fabs(base->mean) : NAN;
	c->significant = c->test == PP_TEST_NONE ? c->delta != 0 : c->p < alpha;
}

/* ---------------------------------------------------------- whole diff */

static int diff_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int diff_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* A function of one side: the profile's functions merged by (qualified
 * name, file), whatever their definition lines. */
struct sfunc {
	const char *qualname, *file, *base;  /* base: last path component */
	int line;
	ssize_t match;     /* entry on the other side */
	int any;           /* has samples of a compared event */
};

struct side {
	const struct pp_report_data *d;
	const struct pp_profile *p;   /* NULL: no attribution */
	int per_run;
	size_t n;                     /* values per quantity: runs, or 1 */
	size_t nev;                   /* compared events */
	size_t ev[PP_PROFILE_MAX_EVENTS];     /* its profile's event index */
	ssize_t row[PP_PROFILE_MAX_EVENTS];   /* the stat row counting it, or -1 */
	struct sfunc *f;
	size_t nf;
	ssize_t *map;                 /* profile function id -> f */
	double *self, *incl;          /* [(f * nev + e) * n + run] */
	uint64_t *kself, *kincl;      /* samples, [f * nev + e] */
	size_t rootlen;               /* common directory of its absolute files */
};

static void side_free(struct side *s)
{
	free(s->f);
	free(s->map);
	free(s->self);
	free(s->incl);
	free(s->kself);
	free(s->kincl);
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int sfunc_cmp(const void *a, const void *b)
{
	const struct sfunc *x = a, *y = b;
	int c = strcmp(x->qualname, y->qualname);

	if (!c)
		c = strcmp(x->file, y->file);
	if (!c)
		c = (x->line > y->line) - (x->line < y->line);
	return c;
}

static ssize_t row_named(const struct pp_report_data *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nrows; i++)
		if (d->rows[i].name && !strcmp(d->rows[i].name, name))
			return (ssize_t)i;
	return -1;
}

/* Merges the profile's functions by (qualname, file) and maps ids. */
static int side_funcs(struct side *s)
{
	const struct pp_profile *p = s->p;
	struct sfunc *all;
	size_t i;
	int ret = -ENOMEM;

	if (!p || !p->nfuncs)
		return 0;
	all = calloc(p->nfuncs, sizeof(*all));
	s->f = calloc(p->nfuncs, sizeof(*s->f));
	s->map = calloc(p->nfuncs, sizeof(*s->map));
	if (!all || !s->f || !s->map)
		goto out;
	for (i = 0; i < p->nfuncs; i++) {
		all[i].qualname = p->funcs[i].qualname ? p->funcs[i].qualname : "";
		all[i].file = p->funcs[i].file ? p->funcs[i].file : "";
		all[i].line = p->funcs[i].firstline;
		/* the profile id, kept through the sort in the match field */
		all[i].match = (ssize_t)i;
	}
	qsort(all, p->nfuncs, sizeof(*all), sfunc_cmp);
	for (i = 0; i < p->nfuncs; i++) {
		if (!s->nf || strcmp(all[i].qualname, s->f[s->nf - 1].qualname) ||
		    strcmp(all[i].file, s->f[s->nf - 1].file)) {
			s->f[s->nf] = all[i];
			s->f[s->nf].base = basename_of(all[i].file);
			s->f[s->nf].match = -1;
			s->nf++;
		}
		s->map[all[i].match] = (ssize_t)s->nf - 1;
	}
	ret = 0;
out:
	free(all);
	return ret;
}

static int is_clock_name(const char *name)
{
	size_t n = strcspn(name, ":");

	return (n == 10 && !strncmp(name, "task-clock", 10)) ||
	       (n == 9 && !strncmp(name, "cpu-clock", 9));
}

/* Fills the per-run (or aggregate) values of every function. */
static int side_values(struct side *s)
{
	const struct pp_profile *p = s->p;
	size_t nev = s->nev, n, r, e, j, cells;

	if (!p || !s->nf)
		return 0;
	n = s->n;
	cells = s->nf * nev;
	s->self = calloc(cells * n + 1, sizeof(double));
	s->incl = calloc(cells * n + 1, sizeof(double));
	s->kself = calloc(cells + 1, sizeof(uint64_t));
	s->kincl = calloc(cells + 1, sizeof(uint64_t));
	if (!s->self || !s->incl || !s->kself || !s->kincl)
		return -ENOMEM;

	if (s->per_run) {
		for (r = 0; r < n; r++) {
			const struct pp_run *run = &s->d->run[r];
			double scale[PP_PROFILE_MAX_EVENTS], rem[PP_PROFILE_MAX_EVENTS];
			uint64_t uns[PP_PROFILE_MAX_EVENTS] = { 0 };

			/* '<not sampled>' is derived below from this run's own
			 * total, whatever the file says: a capture taken after
			 * the report added it holds every run's in one. */
			for (j = 0; j < run->nfuncs; j++)
				if (run->funcs[j].func == PP_FUNC_UNSAMPLED)
					for (e = 0; e < nev; e++)
						uns[e] += run->funcs[j].self[s->ev[e]];
			for (e = 0; e < nev; e++) {
				size_t se = s->ev[e];
				double period = (double)p->ev[se].period;
				double N = (double)(run->samples[se] - (uns[e] < run->samples[se] ?
									  uns[e] : run->samples[se]));
				double total = NAN;

				if (s->row[e] >= 0 && run->values)
					total = run->values[s->row[e]];
				/* As the report does: each sample is worth its
				 * period, scaled down when the samples overshoot
				 * the counted total; what they do not cover is
				 * '<not sampled>'. */
				scale[e] = period;
				rem[e] = 0;
				if (isfinite(total) && total > 0) {
					if (N * period > total)
						scale[e] = total / N;
					else
						rem[e] = total - N * period;
				}
			}
			for (j = 0; j < run->nfuncs; j++) {
				const struct pp_run_func *f = &run->funcs[j];
				size_t fi;

				if (f->func >= p->nfuncs || f->func == PP_FUNC_UNSAMPLED)
					continue;
				fi = (size_t)s->map[f->func];
				for (e = 0; e < nev; e++) {
					size_t c = fi * nev + e, se = s->ev[e];

					s->self[c * n + r] += (double)f->self[se] * scale[e];
					s->incl[c * n + r] += (double)f->total[se] * scale[e];
					s->kself[c] += f->self[se];
					s->kincl[c] += f->total[se];
				}
			}
			if (p->nfuncs <= PP_FUNC_UNSAMPLED)
				continue;
			for (e = 0; e < nev; e++) {
				size_t c = (size_t)s->map[PP_FUNC_UNSAMPLED] * nev + e;
				uint64_t k = (uint64_t)llround(rem[e] / (double)p->ev[s->ev[e]].period);

				s->self[c * n + r] += rem[e];
				s->incl[c * n + r] += rem[e];
				s->kself[c] += k;
				s->kincl[c] += k;
			}
		}
	} else {
		struct pp_func_sum *sums;
		ssize_t ns = pp_profile__sum(p, 0, 0, &sums), i;

		if (ns < 0)
			return (int)ns;
		for (i = 0; i < ns; i++) {
			size_t fi;

			if (sums[i].func >= p->nfuncs)
				continue;
			fi = (size_t)s->map[sums[i].func];
			for (e = 0; e < nev; e++) {
				const struct pp_sampled_event *ev = &p->ev[s->ev[e]];
				size_t c = fi * nev + e;
				double scale = ev->total > 0 && ev->samples > 0 ?
					       ev->total / (double)ev->samples : (double)ev->period;

				s->self[c] += (double)sums[i].self[s->ev[e]] * scale;
				s->incl[c] += (double)sums[i].total[s->ev[e]] * scale;
				s->kself[c] += sums[i].self[s->ev[e]];
				s->kincl[c] += sums[i].total[s->ev[e]];
			}
		}
		free(sums);
	}
	for (j = 0; j < s->nf; j++)
		for (e = 0; e < nev; e++)
			for (r = 0; r < n; r++)
				if (s->kincl[j * nev + e] || s->incl[(j * nev + e) * n + r] != 0)
					s->f[j].any = 1;
	return 0;
}

/* The longest directory prefix ("/a/b/") of every absolute file with
 * samples; relative files print as they are. */
static void side_root(struct side *s)
{
	const char *root = NULL;
	size_t len = 0, i, k;

	for (i = 0; i < s->nf; i++) {
		const char *f = s->f[i].file;

		if (!s->f[i].any || f[0] != '/')
			continue;
		if (!root) {
			root = f;
			len = (size_t)(strrchr(f, '/') - f) + 1;
			continue;
		}
		for (k = 0; k < len && f[k] == root[k]; k++)
			;
		while (k && root[k - 1] != '/')
			k--;
		len = k;
	}
	s->rootlen = len > 1 ? len : 0;
}

/* Path components the two files share at their ends ("a/b/c.py" and
 * "x/b/c.py": 2); files without a name (special rows) share one. */
static int common_tail(const char *a, const char *b)
{
	size_t i = strlen(a), j = strlen(b);
	int n = 0;

	if (!i && !j)
		return 1;
	for (;;) {
		size_t si = i, sj = j;

		while (si && a[si - 1] != '/')
			si--;
		while (sj && b[sj - 1] != '/')
			sj--;
		if (i - si != j - sj || memcmp(a + si, b + sj, i - si) || i == si)
			return n;
		n++;
		if (!si || !sj)
			return n;
		i = si - 1;
		j = sj - 1;
	}
}

struct pair {
	size_t b, n;
	int score, dline;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->score != y->score)
		return y->score - x->score;
	if (x->dline != y->dline)
		return x->dline - y->dline;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return (x->b > y->b) - (x->b < y->b);
}

struct keyed {
	const struct sfunc *f;
	size_t i;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->f->qualname, y->f->qualname);

	return c ? c : strcmp(x->f->base, y->f->base);
}

/* Pairs functions with equal qualified names and file base names; among
 * several candidates the longest shared path tail wins, then the nearest
 * definition line.  Lines never prevent a match. */
static int match_funcs(struct side *b, struct side *n)
{
	struct keyed *kb = calloc(b->nf + 1, sizeof(*kb));
	struct pair *pairs = NULL;
	size_t np = 0, cap = 0, i, j;
	int ret = -ENOMEM;

	if (!kb)
		return -ENOMEM;
	for (i = 0; i < b->nf; i++)
		kb[i] = (struct keyed){ &b->f[i], i };
	qsort(kb, b->nf, sizeof(*kb), keyed_cmp);
	for (i = 0; i < n->nf; i++) {
		struct keyed key = { &n->f[i], i }, *hit;
		size_t lo, hi;

		if (!n->f[i].any)
			continue;
		hit = bsearch(&key, kb, b->nf, sizeof(*kb), keyed_cmp);
		if (!hit)
			continue;
		lo = hi = (size_t)(hit - kb);
		while (lo && !keyed_cmp(&kb[lo - 1], &key))
			lo--;
		while (hi + 1 < b->nf && !keyed_cmp(&kb[hi + 1], &key))
			hi++;
		for (j = lo; j <= hi; j++) {
			const struct sfunc *bf = kb[j].f;

			if (!bf->any)
				continue;
			if (np == cap) {
				struct pair *np2;

				cap = cap ? cap * 2 : 64;
				np2 = realloc(pairs, cap * sizeof(*pairs));
				if (!np2)
					goto out;
				pairs = np2;
			}
			pairs[np++] = (struct pair){
				.b = kb[j].i, .n = i,
				.score = common_tail(bf->file, n->f[i].file),
				.dline = abs(bf->line - n->f[i].line),
			};
		}
	}
	if (np)
		qsort(pairs, np, sizeof(*pairs), pair_cmp);
	for (i = 0; i < np; i++) {
		if (b->f[pairs[i].b].match >= 0 || n->f[pairs[i].n].match >= 0)
			continue;
		b->f[pairs[i].b].match = (ssize_t)pairs[i].n;
		n->f[pairs[i].n].match = (ssize_t)pairs[i].b;
	}
	ret = 0;
out:
	free(pairs);
	free(kb);
	return ret;
}

/* --noise-floor: timings vary between records (a shared machine's speed
 * drifts) more than the runs of one record show; never assume less than
 * FLOOR (a coefficient of variation per run). */
static void apply_floor(struct pp_diff_est *e, double floor)
{
	double sd = floor * fabs(e->mean);

	if (!(floor > 0) || e->sd >= sd)
		return;
	e->sd = sd;
	e->se = sd / sqrt((double)(e->n ? e->n : 1));
	e->ci95 = (e->noise == PP_NOISE_RUNS && e->n >= 2 ?
		   pp_stats__t_crit(0.05, (double)(e->n - 1)) :
		   pp_stats__t_crit(0.05, INFINITY)) * e->se;
	if (e->noise == PP_NOISE_NONE)
		e->noise = PP_NOISE_SAMPLING;
}

static void func_est(const struct side *s, ssize_t fi, size_t e, int incl,
		     const double *zeros, double floor, struct pp_diff_est *out)
{
	size_t c;

	if (fi < 0) {
		pp_diff__estimate(zeros, s->n, 0, out);
		return;
	}
	c = (size_t)fi * s->nev + e;
	/* exact counts carry no sampling error: only the runs' spread */
	pp_diff__estimate((incl ? s->incl : s->self) + c * s->n, s->n,
			  s->p && s->p->exact ? 0 : (incl ? s->kincl : s->kself)[c], out);
	apply_floor(out, floor);
}

static int add_missing(struct pp_diff *d, const char *name, int sampled, int in_base)
{
	struct pp_diff_missing *m = realloc(d->missing, (d->nmissing + 1) * sizeof(*m));

	if (!m)
		return -ENOMEM;
	d->missing = m;
	m = &d->missing[d->nmissing++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->sampled = sampled;
	m->in_base = in_base;
	return 0;
}

/* Sampled events of both sides, in BASE's order; the others are missing. */
static int common_events(struct pp_diff *d, struct side *b, struct side *n)
{
	const struct pp_profile *pb = b->p, *pn = n->p;
	size_t i, j;

	for (i = 0; pb && i < pb->nevents; i++) {
		for (j = 0; pn && j < pn->nevents; j++)
			if (!strcmp(pb->ev[i].name, pn->ev[j].name))
				break;
		if (!pn || j == pn->nevents) {
			if (add_missing(d, pb->ev[i].name, 1, 1) < 0)
				return -ENOMEM;
			continue;
		}
		b->ev[d->nevents] = i;
		n->ev[d->nevents] = j;
		snprintf(d->event[d->nevents], sizeof(d->event[0]), "%s", pb->ev[i].name);
		d->base_period[d->nevents] = pb->ev[i].period;
		d->new_period[d->nevents] = pn->ev[j].period;
		d->nevents++;
	}
	for (j = 0; pn && j < pn->nevents; j++) {
		for (i = 0; pb && i < pb->nevents; i++)
			if (!strcmp(pb->ev[i].name, pn->ev[j].name))
				break;
		if ((!pb || i == pb->nevents) && add_missing(d, pn->ev[j].name, 1, 0) < 0)
			return -ENOMEM;
	}
	b->nev = n->nev = d->nevents;
	for (i = 0; i < d->nevents; i++) {
		ssize_t rb = row_named(b->d, d->event[i]), rn = row_named(n->d, d->event[i]);

		b->row[i] = rb >= 0 && b->d->rows[rb].status == PP_COUNT_OK ? rb : -1;
		n->row[i] = rn >= 0 && n->d->rows[rn].status == PP_COUNT_OK ? rn : -1;
		d->event_clock[i] = is_clock_name(d->event[i]) ||
			(rb >= 0 && b->d->rows[rb].unit && !strcmp(b->d->rows[rb].unit, "msec"));
	}
	return 0;
}

/* One total of one side.  X is scratch for the per-run values. */
static void total_est(const struct side *s, ssize_t row, double *x,
		      struct pp_diff_est *out)
{
	const struct pp_report_data *d = s->d;
	const char *name = row >= 0 ? d->rows[row].name : NULL;
	uint64_t samples = 0;
	size_t r, k = 0, e;

	/* one run: the sampling error of the event, if it was sampled */
	for (e = 0; name && s->p && !s->p->exact && e < s->p->nevents; e++)
		if (!strcmp(s->p->ev[e].name, name))
			samples = s->p->ev[e].samples;
	if (s->per_run) {
		for (r = 0; r < s->n; r++) {
			const struct pp_run *run = &s->d->run[r];
			double v = row < 0 ? run->elapsed_s * 1e9 :
				   run->values ? run->values[row] : NAN;

			if (!isnan(v))
				x[k++] = v;
		}
		if (k) {
			pp_diff__estimate(x, k, k == 1 ? samples : 0, out);
			return;
		}
	}
	if (row >= 0)
		pp_diff__estimate_summary(d->rows[row].value, d->rows[row].stddev,
					  (size_t)d->runs, d->runs == 1 ? samples : 0, out);
	else
		pp_diff__estimate_summary(d->elapsed_s * 1e9, d->elapsed_stddev_s * 1e9,
					  (size_t)d->runs, 0, out);
}

static int compute_totals(struct pp_diff *d, const struct side *b, const struct side *n,
			  double alpha, double time_floor)
{
	const struct pp_report_data *db = b->d, *dn = n->d;
	size_t i, maxn = (b->n > n->n ? b->n : n->n) + 1;
	double *x = calloc(maxn, sizeof(*x));
	struct pp_diff_est eb, en;
	int ret = -ENOMEM;

	d->totals = calloc(db->nrows + 1, sizeof(*d->totals));
	if (!x || !d->totals)
		goto out;
	for (i = 0; i < db->nrows; i++) {
		const struct pp_stat_row *rb = &db->rows[i];
		ssize_t rn = row_named(dn, rb->name);
		struct pp_diff_total *t;

		if (rb->status != PP_COUNT_OK) {
			if (rn >= 0 && dn->rows[rn].status == PP_COUNT_OK &&
			    add_missing(d, rb->name, 0, 0) < 0)
				goto out;
			continue;
		}
		if (rn < 0 || dn->rows[rn].status != PP_COUNT_OK) {
			if (add_missing(d, rb->name, 0, 1) < 0)
				goto out;
			continue;
		}
		t = &d->totals[d->ntotals++];
		snprintf(t->name, sizeof(t->name), "%s", rb->name);
		t->clock = (rb->unit && !strcmp(rb->unit, "msec")) || is_clock_name(rb->name);
		total_est(b, (ssize_t)i, x, &eb);
		total_est(n, rn, x, &en);
		if (t->clock) {
			apply_floor(&eb, time_floor);
			apply_floor(&en, time_floor);
		}
		pp_diff__compare(&eb, &en, alpha, &t->cmp);
	}
	for (i = 0; i < dn->nrows; i++)
		if (dn->rows[i].status == PP_COUNT_OK && row_named(db, dn->rows[i].name) < 0 &&
		    add_missing(d, dn->rows[i].name, 0, 0) < 0)
			goto out;
	{
		struct pp_diff_total *t = &d->totals[d->ntotals++];

		snprintf(t->name, sizeof(t->name), "elapsed");
		t->clock = 1;
		total_est(b, -1, x, &eb);
		total_est(n, -1, x, &en);
		apply_floor(&eb, time_floor);
		apply_floor(&en, time_floor);
		pp_diff__compare(&eb, &en, alpha, &t->cmp);
	}
	ret = 0;
out:
	free(x);
	return ret;
}

static int compute_funcs(struct pp_diff *d, const struct side *b, const struct side *n,
			 double alpha, double time_floor)
{
	size_t maxn = (b->n > n->n ? b->n : n->n) + 1, i, e, k = 0;
	double *zeros = calloc(maxn, sizeof(*zeros));
	struct pp_diff_est eb, en;

	d->funcs = calloc(b->nf + n->nf + 1, sizeof(*d->funcs));
	if (!zeros || !d->funcs) {
		free(zeros);
		return -ENOMEM;
	}
	/* NEW's functions in (qualname, file) order, then the removed ones */
	for (i = 0; i < n->nf + b->nf; i++) {
		int in_new = i < n->nf;
		const struct sfunc *f = in_new ? &n->f[i] : &b->f[i - n->nf];
		ssize_t fb, fn;
		struct pp_diff_func *o;

		if (!f->any || (!in_new && f->match >= 0))
			continue;
		fn = in_new ? (ssize_t)i : -1;
		fb = in_new ? f->match : (ssize_t)(i - n->nf);
		o = &d->funcs[k++];
		o->qualname = f->qualname;
		o->status = fb < 0 ? PP_DIFF_ADDED : fn < 0 ? PP_DIFF_REMOVED : PP_DIFF_BOTH;
		if (fb >= 0) {
			o->base_file = b->f[fb].file;
			o->base_line = b->f[fb].line;
		}
		if (fn >= 0) {
			o->new_file = n->f[fn].file;
			o->new_line = n->f[fn].line;
		}
		/* every absolute file with samples starts with its side's root */
		o->path = fn >= 0 ? n->f[fn].file + (n->f[fn].file[0] == '/' ? n->rootlen : 0)
				  : b->f[fb].file + (b->f[fb].file[0] == '/' ? b->rootlen : 0);
		for (e = 0; e < d->nevents; e++) {
			double floor = d->event_clock[e] ? time_floor : 0;

			func_est(b, fb, e, 0, zeros, floor, &eb);
			func_est(n, fn, e, 0, zeros, floor, &en);
			pp_diff__compare(&eb, &en, alpha, &o->self[e]);
			func_est(b, fb, e, 1, zeros, floor, &eb);
			func_est(n, fn, e, 1, zeros, floor, &en);
			pp_diff__compare(&eb, &en, alpha, &o->incl[e]);
		}
	}
	d->nfuncs = k;
	free(zeros);
	return 0;
}

static int add_check(struct pp_diff *d, size_t *cap, const struct pp_diff_check *c)
{
	if (d->nchecks == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct pp_diff_check *nc = realloc(d->checks, ncap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		d->checks = nc;
		*cap = ncap;
	}
	d->checks[d->nchecks++] = *c;
	return 0;
}

static int crossed(const struct pp_threshold *t, const struct pp_diff_cmp *c)
{
	double v = t->relative ? c->rel : c->delta;

	return t->op == '>' ? v > t->limit : v < t->limit;
}

static int unit_fits(const struct pp_threshold *t, int clock, const char *event,
		     char *err, size_t errlen)
{
	if (t->relative)
		return 0;
	if (clock && !t->time_unit)
		return diff_fail(err, errlen, -EINVAL, "threshold '%s': %s is a time: give "
				 "the limit a unit (ns, us, ms, s) or make it a percentage",
				 t->text, event);
	if (!clock && t->time_unit)
		return diff_fail(err, errlen, -EINVAL, "threshold '%s': %s counts events, "
				 "not time: give a plain number (k, M, G allowed) or a "
				 "percentage", t->text, event);
	return 0;
}

static const char *side_name(int in_base)
{
	return in_base ? "BASE" : "NEW";
}

/* The reason a threshold's event cannot be compared. */
static int missing_event(const struct pp_diff *d, const struct pp_threshold *t,
			 int sampled, char *err, size_t errlen)
{
	char list[512] = "";
	size_t i, len = 0;

	for (i = 0; i < d->nmissing; i++)
		if (!strcmp(d->missing[i].name, t->event) && d->missing[i].sampled == sampled)
			return diff_fail(err, errlen, -ENOENT, "threshold '%s': %s was %s "
					 "only in %s, so it cannot be compared", t->text,
					 t->event, sampled ? "sampled" : "counted",
					 side_name(d->missing[i].in_base));
	if (sampled)
		for (i = 0; i < d->nevents && len < sizeof(list); i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						i ? ", " : "", d->event[i]);
	else
		for (i = 0; i < d->ntotals && len < sizeof(list); i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						i ? ", " : "", d->totals[i].name);
	return diff_fail(err, errlen, -ENOENT, "threshold '%s': no %s event '%s' in "
			 "either profile (%s: %s)", t->text, sampled ? "sampled" : "counted",
			 t->event, sampled ? "sampled in both" : "counted in both",
			 len ? list : "none");
}

static int make_checks(struct pp_diff *d, const struct pp_diff_options *o,
		       char *err, size_t errlen)
{
	size_t cap = 0, ti, i;
	struct pp_diff_check c;

	for (ti = 0; ti < o->nthresholds; ti++) {
		const struct pp_threshold *t = &o->thresholds[ti];

		memset(&c, 0, sizeof(c));
		c.threshold = ti;
		c.func = -1;
		if (!t->pattern) {
			for (i = 0; i < d->ntotals; i++)
				if (!strcmp(d->totals[i].name, t->event))
					break;
			if (i == d->ntotals)
				return missing_event(d, t, 0, err, errlen);
			if (unit_fits(t, d->totals[i].clock, t->event, err, errlen))
				return -EINVAL;
			c.item = i;
			c.cmp = &d->totals[i].cmp;
			if (add_check(d, &cap, &c) < 0)
				return -ENOMEM;
		} else {
			int wild = strpbrk(t->pattern, "*?[") != NULL, matched = 0;
			size_t e;

			for (e = 0; e < d->nevents; e++)
				if (!strcmp(d->event[e], t->event))
					break;
			if (e == d->nevents)
				return missing_event(d, t, 1, err, errlen);
			if (unit_fits(t, d->event_clock[e], t->event, err, errlen))
				return -EINVAL;
			for (i = 0; i < d->nfuncs; i++) {
				const struct pp_diff_func *f = &d->funcs[i];
				const struct pp_diff_cmp *cmp = t->inclusive ? &f->incl[e] : &f->self[e];
				const char *file = f->new_file ? f->new_file : f->base_file;

				if (!pp_threshold__match_func(t->pattern, f->qualname, file))
					continue;
				/* rows that are no function ('<native>', '<not
				 * sampled>' ...) only by their own name */
				if (wild && !*file && f->qualname[0] == '<')
					continue;
				matched = 1;
				/* exact values carry no sampling error to screen */
				if (wild && !d->exact && cmp->base.samples < o->min_samples &&
				    cmp->new.samples < o->min_samples) {
					d->nskipped++;
					continue;
				}
				c.func = (ssize_t)i;
				c.item = e;
				c.cmp = cmp;
				if (add_check(d, &cap, &c) < 0)
					return -ENOMEM;
			}
			if (!matched && !wild)
				return diff_fail(err, errlen, -ENOENT, "threshold '%s': no "
						 "function '%s' with samples in either profile",
						 t->text, t->pattern);
		}
	}
	return 0;
}

static const double *sort_p;

static int p_order(const void *a, const void *b)
{
	double x = sort_p[*(const size_t *)a], y = sort_p[*(const size_t *)b];

	if (x != y)
		return x < y ? -1 : 1;
	return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

/* Holm's step-down correction: the family-wise error rate of all the
 * checks together stays at alpha (Holm 1979, Scand. J. Statist. 6:65). */
static int decide(struct pp_diff *d, const struct pp_diff_options *o)
{
	double *p = calloc(d->nchecks + 1, sizeof(*p)), run = 0;
	size_t *idx = calloc(d->nchecks + 1, sizeof(*idx)), m = 0, i;
	const struct pp_threshold *t;

	if (!p || !idx) {
		free(p);
		free(idx);
		return -ENOMEM;
	}
	for (i = 0; i < d->nchecks; i++) {
		d->checks[i].p_adj = d->checks[i].cmp->p;
		if (!isnan(d->checks[i].cmp->p)) {
			p[i] = d->checks[i].cmp->p;
			idx[m++] = i;
		}
	}
	if (d->correction && m > 1) {
		sort_p = p;
		qsort(idx, m, sizeof(*idx), p_order);
		for (i = 0; i < m; i++) {
			double adj = (double)(m - i) * p[idx[i]];

			if (adj > 1)
				adj = 1;
			if (adj > run)
				run = adj;
			d->checks[idx[i]].p_adj = run;
		}
	}
	for (i = 0; i < d->nchecks; i++) {
		struct pp_diff_check *c = &d->checks[i];

		t = &o->thresholds[c->threshold];
		c->crossed = crossed(t, c->cmp);
		c->significant = isnan(c->p_adj) ? c->cmp->significant : c->p_adj < d->alpha;
		c->failed = c->crossed && c->significant;
		d->nfailed += (size_t)c->failed;
	}
	free(p);
	free(idx);
	return 0;
}

static int side_init(struct side *s, const struct pp_report_data *d)
{
	memset(s, 0, sizeof(*s));
	s->d = d;
	s->p = d->profile;
	s->per_run = d->run != NULL && d->runs >= 1;
	s->n = s->per_run ? (size_t)d->runs : 1;
	return side_funcs(s);
}

int pp_diff__compute(struct pp_diff *d, const struct pp_report_data *base,
		     const struct pp_report_data *new, const struct pp_diff_options *o,
		     char *err, size_t errlen)
{
	struct side b, n;
	int ret;

	memset(d, 0, sizeof(*d));
	memset(&b, 0, sizeof(b));
	memset(&n, 0, sizeof(n));
	if (errlen)
		err[0] = '\0';
	d->alpha = o->alpha > 0 && o->alpha < 0.5 ? o->alpha : 0.01;
	d->correction = !o->no_correction;
	d->noise_floor = o->noise_floor > 0 ? o->noise_floor : 0;
	d->base_runs = (size_t)(base->runs > 0 ? base->runs : 1);
	d->new_runs = (size_t)(new->runs > 0 ? new->runs : 1);
	d->base_per_run = base->run != NULL;
	d->new_per_run = new->run != NULL;
	d->exact = base->profile && new->profile && base->profile->exact &&
		   new->profile->exact;

	ret = side_init(&b, base);
	if (!ret)
		ret = side_init(&n, new);
	if (!ret)
		ret = common_events(d, &b, &n);
	if (!ret)
		ret = side_values(&b);
	if (!ret)
		ret = side_values(&n);
	if (ret)
		goto nomem;
	side_root(&b);
	side_root(&n);
	ret = match_funcs(&b, &n);
	if (!ret)
		ret = compute_totals(d, &b, &n, d->alpha, d->noise_floor);
	if (!ret)
		ret = compute_funcs(d, &b, &n, d->alpha, d->noise_floor);
	if (ret)
		goto nomem;
	ret = make_checks(d, o, err, errlen);
	if (!ret)
		ret = decide(d, o);
	if (ret == -ENOMEM)
		goto nomem;
	goto out;
nomem:
	ret = diff_fail(err, errlen, -ENOMEM, "out of memory");
out:
	side_free(&b);
	side_free(&n);
	return ret;
}

void pp_diff__free(struct pp_diff *d)
{
	free(d->totals);
	free(d->funcs);
	free(d->missing);
	free(d->checks);
	memset(d, 0, sizeof(*d));
}

int pp_diff__same_command(const char *a, const char *b)
{
	for (;;) {
		size_t la, lb;
		const char *wa, *wb;

		a = skip_space(a);
		b = skip_space(b);
		if (!*a || !*b)
			return !*a && !*b;
		la = strcspn(a, " \t");
		lb = strcspn(b, " \t");
		wa = a;
		wb = b;
		/* a path compares by its last component */
		if (memchr(a, '/', la) || memchr(b, '/', lb)) {
			wa = a + la;
			while (wa > a && wa[-1] != '/')
				wa--;
			wb = b + lb;
			while (wb > b && wb[-1] != '/')
				wb--;
		}
		if ((size_t)(a + la - wa) != (size_t)(b + lb - wb) ||
		    memcmp(wa, wb, (size_t)(a + la - wa)))
			return 0;
		a += la;
		b += lb;
	}
}
