#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pyperf/profile.h"

static struct pp_profile p;

static void setup(void)
{
	cr_assert_eq(pp_profile__init(&p), 0);
	cr_assert_eq(pp_profile__add_event(&p, "task-clock", 1000000), 0);
	cr_assert_eq(pp_profile__add_event(&p, "page-faults", 100), 1);
}

static void teardown(void)
{
	pp_profile__free(&p);
}

TestSuite(profile, .init = setup, .fini = teardown);

static const struct pp_func_sum *row_of(const struct pp_func_sum *s, ssize_t n,
					uint32_t func, int32_t line)
{
	for (ssize_t i = 0; i < n; i++)
		if (s[i].func == func && s[i].line == line)
			return &s[i];
	return NULL;
}

Test(profile, special_functions_come_first)
{
	cr_assert_str_eq(p.funcs[PP_FUNC_UNRESOLVED].qualname, "<unresolved code>");
	cr_assert_str_eq(p.funcs[PP_FUNC_TRUNCATED].qualname, "<truncated>");
	cr_assert_str_eq(p.funcs[PP_FUNC_NATIVE].qualname, "<native>");
}

Test(profile, functions_are_interned_by_name_file_and_line)
{
	int64_t a = pp_profile__intern_func(&p, "f", "a.py", 1);
	int64_t b = pp_profile__intern_func(&p, "f", "a.py", 1);
	int64_t c = pp_profile__intern_func(&p, "f", "b.py", 1);
	int64_t d = pp_profile__intern_func(&p, "f", "a.py", 9);

	cr_assert_geq(a, PP_FUNC_FIRST_USER);
	cr_assert_eq(a, b);
	cr_assert_neq(a, c);
	cr_assert_neq(a, d);
	/* enough to force the table to grow several times */
	for (int i = 0; i < 10000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fn%d", i);
		cr_assert_geq(pp_profile__intern_func(&p, name, "x.py", i), 0);
	}
	cr_assert_eq(pp_profile__intern_func(&p, "f", "a.py", 1), a);
	cr_assert_eq(p.nfuncs, PP_FUNC_FIRST_USER + 3 + 10000);
}

/* main -> heavy (3 samples), main -> light (1 sample): 75% / 25% self,
 * main 100% inclusive, 0% self. */
Test(profile, self_and_inclusive_sums)
{
	uint32_t main_f = (uint32_t)pp_profile__intern_func(&p, "main", "s.py", 1);
	uint32_t heavy = (uint32_t)pp_profile__intern_func(&p, "heavy", "s.py", 5);
	uint32_t light = (uint32_t)pp_profile__intern_func(&p, "light", "s.py", 9);
	struct pp_frame h[] = { { heavy, 6 }, { main_f, 2 } };
	struct pp_frame l[] = { { light, 10 }, { main_f, 3 } };
	struct pp_func_sum *s;
	ssize_t n;

	cr_assert_eq(pp_profile__add_sample(&p, 0, 1, 1, h, 2, 2), 0);
	cr_assert_eq(pp_profile__add_sample(&p, 0, 1, 1, h, 2, 1), 0);
	cr_assert_eq(pp_profile__add_sample(&p, 0, 1, 1, l, 2, 1), 0);
	cr_assert_eq(pp_profile__add_sample(&p, 1, 1, 1, l, 2, 5), 0);
	cr_assert_eq(p.nstacks, 2, "identical stacks are merged");
	cr_assert_eq(p.ev[0].samples, 4);
	cr_assert_eq(p.ev[1].samples, 5);

	n = pp_profile__sum(&p, 0, 0, &s);
	cr_assert_eq(n, 3);
	cr_assert_eq(s[0].func, heavy, "sorted by self samples of event 0");
	cr_assert_eq(s[0].self[0], 3);
	cr_assert_eq(row_of(s, n, light, 0)->self[0], 1);
	cr_assert_eq(row_of(s, n, light, 0)->self[1], 5);
	cr_assert_eq(row_of(s, n, main_f, 0)->self[0], 0);
	cr_assert_eq(row_of(s, n, main_f, 0)->total[0], 4);
	cr_assert_eq(row_of(s, n, main_f, 0)->total[1], 5);
	free(s);

	n = pp_profile__sum(&p, 0, 1, &s);
	cr_assert_eq(s[0].func, light, "sorted by page-faults");
	free(s);
}

Test(profile, recursion_counts_once_in_inclusive)
{
	uint32_t fib = (uint32_t)pp_profile__intern_func(&p, "fib", "s.py", 1);
	struct pp_frame st[] = { { fib, 2 }, { fib, 3 }, { fib, 3 }, { fib, 3 } };
	struct pp_func_sum *s;
	ssize_t n;

	pp_profile__add_sample(&p, 0, 1, 1, st, 4, 10);
	n = pp_profile__sum(&p, 0, 0, &s);
	cr_assert_eq(n, 1);
	cr_assert_eq(s[0].self[0], 10);
	cr_assert_eq(s[0].total[0], 10, "inclusive never exceeds all samples");
	free(s);

	/* per line the call-site line 3 appears once, line 2 is the self line */
	n = pp_profile__sum(&p, PP_SUM_LINES, 0, &s);
	cr_assert_eq(n, 2);
	cr_assert_eq(row_of(s, n, fib, 2)->self[0], 10);
	cr_assert_eq(row_of(s, n, fib, 3)->self[0], 0);
	cr_assert_eq(row_of(s, n, fib, 3)->total[0], 10);
	free(s);
}

Test(profile, per_thread_and_per_process_split_rows)
{
	uint32_t f = (uint32_t)pp_profile__intern_func(&p, "work", "s.py", 1);
	struct pp_frame st[] = { { f, 2 } };
	struct pp_func_sum *s;
	ssize_t n;

	pp_profile__add_sample(&p, 0, 10, 10, st, 1, 1);
	pp_profile__add_sample(&p, 0, 10, 11, st, 1, 2);
	pp_profile__add_sample(&p, 0, 20, 20, st, 1, 4);

	n = pp_profile__sum(&p, 0, 0, &s);
	cr_assert_eq(n, 1);
	cr_assert_eq(s[0].self[0], 7);
	cr_assert_eq(s[0].pid, 0);
	free(s);

	n = pp_profile__sum(&p, PP_SUM_PER_PROCESS, 0, &s);
	cr_assert_eq(n, 2);
	cr_assert_eq(s[0].pid, 20);
	cr_assert_eq(s[0].self[0], 4);
	cr_assert_eq(s[1].self[0], 3);
	free(s);

	n = pp_profile__sum(&p, PP_SUM_PER_THREAD, 0, &s);
	cr_assert_eq(n, 3);
	cr_assert_eq(s[2].tid, 10);
	cr_assert_eq(s[2].pid, 10);
	free(s);
}

Test(profile, bad_event_index_is_rejected)
{
	struct pp_frame st[] = { { PP_FUNC_NATIVE, 0 } };

	cr_assert_eq(pp_profile__add_sample(&p, 5, 1, 1, st, 1, 1), -EINVAL);
	cr_assert_eq(pp_profile__add_sample(&p, -1, 1, 1, st, 1, 1), -EINVAL);
}

Test(profile, events_are_bounded)
{
	for (int i = 2; i < PP_PROFILE_MAX_EVENTS; i++)
		cr_assert_eq(pp_profile__add_event(&p, "x", 1), i);
	cr_assert_eq(pp_profile__add_event(&p, "x", 1), -ENOSPC);
}

/* Past max_stacks distinct stacks, new ones fold to their innermost frame
 * on thread 0 of their process, past twice the limit to the innermost
 * function alone: the table stays bounded, no sample is lost, and every
 * function keeps its self samples. */
Test(profile, stacks_fold_past_the_limit)
{
	struct pp_profile p;
	struct pp_func_sum *sums;
	uint64_t total = 0, self_f5 = 0;
	ssize_t n, i;
	uint32_t k;

	cr_assert_eq(pp_profile__init(&p), 0);
	cr_assert_eq(pp_profile__add_event(&p, "task-clock", 1000000), 0);
	p.max_stacks = 8;
	for (k = 0; k < 1000; k++) {
		char name[32];
		struct pp_frame fr[2];
		int64_t id;

		snprintf(name, sizeof(name), "f%u", k % 10);
		id = pp_profile__intern_func(&p, name, "/src/x.py", 1);
		cr_assert_geq(id, 0);
		fr[0].func = (uint32_t)id;
		fr[0].line = (int32_t)(k % 7) + 2;  /* many lines: many stacks */
		fr[1].func = (uint32_t)pp_profile__intern_func(&p, "main", "/src/x.py", 50);
		fr[1].line = 60;
		cr_assert_eq(pp_profile__add_sample(&p, 0, 1 + k % 3, 100 + k, fr, 2, 1), 0);
		total++;
		if (k % 10 == 5)
			self_f5++;
	}
	/* the limit, twice it for the folded level, plus one per function */
	cr_expect_leq(p.nstacks, 2 * 8 + 10, "%zu stacks", p.nstacks);
	cr_expect_eq(p.ev[0].samples, total);
	cr_expect_eq(p.folded, total - 8, "every sample past the first 8 stacks folded");
	n = pp_profile__sum(&p, 0, 0, &sums);
	cr_assert_gt(n, 0);
	for (i = 0; i < n; i++)
		if (!strcmp(p.funcs[sums[i].func].qualname, "f5"))
			cr_expect_eq(sums[i].self[0], self_f5);
	free(sums);
	pp_profile__free(&p);
}
