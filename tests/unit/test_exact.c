/* Unit tests of src/exact.c: the "<id>.exact" format the agent writes
 * (include/pyperf/exact.h) and the correction of each node's values. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pyperf/exact.h"

static const char good[] =
	"pyperf-exact 1\n"
	"events 2\n"
	"cost 1500.5 20\n"
	"calibration 7\n"
	"multiplexed 0\n"
	"lost 3\n"
	"truncated 4\n"
	"nodes 3\n"
	"1 0 100 7f00aa 1234abcd 1 5 100000 5000\n"
	"2 1 100 7f00bb ffffffff 30 60 20000 90\n"
	"3 0 101 7f00cc 0 2 1 1000 10\n"
	"end\n";

static int parse(const char *s, struct pp_exact_dump *d)
{
	return pp_exact__parse(s, strlen(s), d);
}

Test(exact, parses_every_field)
{
	struct pp_exact_dump d;

	cr_assert_eq(parse(good, &d), 0);
	cr_expect_eq(d.nevents, 2);
	cr_expect_float_eq(d.cost[0], 1500.5, 1e-9);
	cr_expect_float_eq(d.cost[1], 20.0, 1e-9);
	cr_expect_eq(d.calibration, 7);
	cr_expect_eq(d.multiplexed, 0);
	cr_expect_eq(d.lost, 3);
	cr_expect_eq(d.truncated, 4);
	cr_assert_eq(d.n, 3);
	cr_expect_eq(d.nodes[1].parent, 1);
	cr_expect_eq(d.nodes[1].tid, 100);
	cr_expect_eq(d.nodes[1].code, 0x7f00bb);
	cr_expect_eq(d.nodes[1].fp, 0xffffffffu);
	cr_expect_eq(d.nodes[1].calls, 30);
	cr_expect_eq(d.nodes[1].hooks, 60);
	cr_expect_eq(d.nodes[1].v[0], 20000);
	cr_expect_eq(d.nodes[1].v[1], 90);
	cr_expect_str_empty(d.problem);
	pp_exact__free(&d);
}

/* raw - cost x intervals, rounded, never below zero */
Test(exact, value_takes_the_hooks_cost_out)
{
	struct pp_exact_dump d;

	cr_assert_eq(parse(good, &d), 0);
	cr_expect_eq(pp_exact__value(&d, 1, 0), 92498);  /* 100000 - 1500.5 x 5, rounded */
	cr_expect_eq(pp_exact__value(&d, 1, 1), 5000 - 100);
	cr_expect_eq(pp_exact__value(&d, 2, 0), 0);               /* 20000 < 90030 */
	cr_expect_eq(pp_exact__value(&d, 2, 1), 0);               /* 90 < 1200 */
	cr_expect_eq(pp_exact__value(&d, 3, 0), 0);
	pp_exact__free(&d);
}

Test(exact, problem_line)
{
	struct pp_exact_dump d;
	const char *s =
		"pyperf-exact 1\nevents 1\ncost 0\nproblem --exact: no counter here\n"
		"calibration 0\nmultiplexed 1\nlost 0\ntruncated 0\nnodes 0\nend\n";

	cr_assert_eq(parse(s, &d), 0);
	cr_expect_str_eq(d.problem, "--exact: no counter here");
	cr_expect_eq(d.multiplexed, 1);
	cr_expect_eq(d.n, 0);
	pp_exact__free(&d);
}

/* Each malformed variant of GOOD is refused whole. */
Test(exact, refuses_malformed_input)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "pyperf-exact 1", "pyperf-exact 2" },       /* other version */
		{ "events 2", "events 17" },                  /* too many events */
		{ "cost 1500.5 20", "cost 1500.5" },          /* a cost missing */
		{ "cost 1500.5 20", "cost 1500.5 -1" },       /* negative */
		{ "cost 1500.5 20", "cost nan 20" },
		{ "multiplexed 0", "multiplexed 2" },
		{ "nodes 3", "nodes 4" },                     /* fewer lines */
		{ "nodes 3", "nodes 99999999999" },
		{ "2 1 100", "2 2 100" },                     /* parent not before */
		{ "2 1 100", "5 1 100" },                     /* index out of order */
		{ "3 0 101 7f00cc 0 2 1 1000 10", "3 0 101 7f00cc 0 2 1 1000" },
		{ "3 0 101 7f00cc 0 2 1 1000 10", "3 0 101 7f00cc 0 2 1 1000 10 1" },
		{ "1 0 100 7f00aa", "1 0 100 0x7f00aa" },
		{ "1 0 100 7f00aa 1234abcd", "1 0 100 7f00aa 1234abcd0" }, /* fp > 32 bits */
		{ "1 0 100", "1 0 -100" },
		{ "1 0 100", "1 0  100" },                    /* two spaces */
		{ "end\n", "end" },                           /* no newline */
		{ "end\n", "end\njunk\n" },                   /* data after it */
		{ "end\n", "" },                              /* cut short */
	};
	size_t i;

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char buf[1024];
		const char *at = strstr(good, edits[i].from);
		struct pp_exact_dump d;
		size_t k;

		cr_assert(at, "edit %zu applies", i);
		k = (size_t)(at - good);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)k, good, edits[i].to,
			 at + strlen(edits[i].from));
		cr_expect_eq(parse(buf, &d), -EINVAL, "edit %zu: %s -> %s", i, edits[i].from,
			     edits[i].to);
		cr_expect_null(d.nodes);
	}
}

Test(exact, empty_and_binary_input)
{
	struct pp_exact_dump d;
	static const char zeros[64];

	cr_expect_eq(pp_exact__parse("", 0, &d), -EINVAL);
	cr_expect_eq(pp_exact__parse(zeros, sizeof(zeros), &d), -EINVAL);
	cr_expect_eq(parse("pyperf-exact 1\n", &d), -EINVAL);
}
