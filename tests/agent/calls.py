"""Ground truth for --exact: known call counts, and heavy() doing three
times the work of light() per call.

    heavy: ROUNDS calls       light: ROUNDS calls
    ping:  PINGS calls        fact:  FACT_CALLS calls (recursive)
    gen:   GENS calls (each generator yields YIELDS times: resumes are
           not calls)
    Box.__init__: BOXES calls   twice: ROUNDS calls (a lambda-free method)

PYPERF_TEST_DOUBLE=light doubles light()'s calls (an injected regression
for the CI gate tests).  Prints "truth X" (heavy's share of the CPU time
of heavy + light, measured with thread_time) and "calls NAME=N ..." on
stderr."""
import os
import sys
import time

ROUNDS = 30
N = int(sys.argv[1]) if len(sys.argv) > 1 else 40000
PINGS = 1000
FACT_DEPTH = 20
FACT_ROUNDS = 5
GENS = 10
YIELDS = 50
BOXES = 7


def heavy(n):
    x = 0
    for i in range(3 * n):
        x = i ^ (i >> 3)
    return x


def light(n):
    x = 0
    for i in range(n):
        x = i ^ (i >> 3)
    return x


def ping():
    return 1


def fact(k):
    return 1 if k <= 1 else k * fact(k - 1)


def gen(k):
    for i in range(k):
        yield i


class Box:
    def __init__(self, v):
        self.v = v

    def twice(self):
        return 2 * self.v


def main():
    lights = ROUNDS * (2 if os.environ.get("PYPERF_TEST_DOUBLE") == "light" else 1)
    th = tl = 0.0
    for r in range(ROUNDS):
        t0 = time.thread_time()
        heavy(N)
        th += time.thread_time() - t0
    for r in range(lights):
        t0 = time.thread_time()
        light(N)
        tl += time.thread_time() - t0
    for _ in range(PINGS):
        ping()
    for _ in range(FACT_ROUNDS):
        fact(FACT_DEPTH)
    total = 0
    for _ in range(GENS):
        for v in gen(YIELDS):
            total += v
    boxes = [Box(i) for i in range(BOXES)]
    for r in range(ROUNDS):
        boxes[r % BOXES].twice()
    sys.stderr.write("truth %.2f\n" % (100.0 * th / (th + tl)))
    sys.stderr.write("calls heavy=%d light=%d ping=%d fact=%d gen=%d Box.__init__=%d "
                     "Box.twice=%d main=1\n" % (ROUNDS, lights, PINGS, FACT_DEPTH * FACT_ROUNDS,
                                                GENS, BOXES, ROUNDS))


if __name__ == "__main__":
    main()
