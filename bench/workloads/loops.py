"""Loop-heavy numeric workload: pure-Python float loops, no calls inside.

Ground truth by construction: heavy() runs the same loop body three times
as many iterations as light(), in alternating rounds; heavy's share of the
time spent in heavy() + light() is 75%.

Usage: loops.py [SCALE]   (SCALE 1.0 ~ 0.5 s on CPython 3.11 here)
"""
import os
import sys

ROUNDS = 10  # heavy and light alternate, so slow drifts hit both alike
ITERS = 70000  # light's iterations per round at SCALE 1.0


def heavy(n):
    x, acc = 0.5, 0.0
    for _ in range(3 * n):
        x = x * 1.0000001 + 0.25
        acc += x * x / (x + 1.0)
    return acc


def light(n):
    x, acc = 0.5, 0.0
    for _ in range(n):
        x = x * 1.0000001 + 0.25
        acc += x * x / (x + 1.0)
    return acc


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    pidfile = os.environ.get("PYPERF_BENCH_PIDFILE")
    if pidfile:
        with open(pidfile, "a") as f:
            f.write("%d\n" % os.getpid())
    n = max(1, int(ITERS * scale))
    check = 0.0
    for _ in range(ROUNDS):
        check += heavy(n) + light(n)
    assert check > 0.0
    print("loops ok", ROUNDS * n * 4)


if __name__ == "__main__":
    main()
