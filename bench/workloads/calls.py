"""Call-heavy workload: recursive fib, many small Python calls.

Ground truth by construction: heavy() makes exactly three times the calls
light() makes, to a copy of the same recursive function, in alternating
rounds; so heavy's share of the time spent in heavy() + light() is 75%.

Usage: calls.py [SCALE]   (SCALE 1.0 ~ 0.5 s on CPython 3.11 here)
"""
import os
import sys

DEPTH = 20  # fib(20) = 21891 calls
ROUNDS = 10  # heavy and light alternate, so slow drifts hit both alike
REPS = 8  # light_fib(DEPTH) calls per round at SCALE 1.0


def heavy_fib(n):
    return n if n < 2 else heavy_fib(n - 1) + heavy_fib(n - 2)


def light_fib(n):
    return n if n < 2 else light_fib(n - 1) + light_fib(n - 2)


def heavy(rounds):
    total = 0
    for _ in range(3 * rounds):
        total += heavy_fib(DEPTH)
    return total


def light(rounds):
    total = 0
    for _ in range(rounds):
        total += light_fib(DEPTH)
    return total


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    pidfile = os.environ.get("PYPERF_BENCH_PIDFILE")
    if pidfile:
        with open(pidfile, "a") as f:
            f.write("%d\n" % os.getpid())
    reps = max(1, int(REPS * scale))
    check = 0
    for _ in range(ROUNDS):
        check += heavy(reps)
        check += light(reps)
    assert check == ROUNDS * reps * 4 * 6765, check
    print("calls ok", ROUNDS * reps * 4)


if __name__ == "__main__":
    main()
