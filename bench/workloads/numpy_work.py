"""numpy workload: the time is in numpy's C loops, called from Python.

Ground truth by construction: heavy() makes three times the numpy calls
light() makes on arrays of the same size, in alternating rounds; heavy's
share of the time spent in heavy() + light() (native time included) is
75%.  Element-wise operations only, so no BLAS threads are involved.

Usage: numpy_work.py [SCALE]   (SCALE 1.0 ~ 0.5 s here); exits 3 when
numpy is not importable.
"""
import os
import sys

try:
    import numpy as np
except ImportError:
    print("numpy is not importable by " + sys.executable, file=sys.stderr)
    sys.exit(3)

ROUNDS = 10  # heavy and light alternate, so slow drifts hit both alike
REPS = 250  # light's numpy passes per round at SCALE 1.0
SIZE = 10000


def heavy(a, b, reps):
    acc = 0.0
    for _ in range(3 * reps):
        acc += float(np.sqrt(a * a + b * b).sum())
    return acc


def light(a, b, reps):
    acc = 0.0
    for _ in range(reps):
        acc += float(np.sqrt(a * a + b * b).sum())
    return acc


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    pidfile = os.environ.get("PYPERF_BENCH_PIDFILE")
    if pidfile:
        with open(pidfile, "a") as f:
            f.write("%d\n" % os.getpid())
    reps = max(1, int(REPS * scale))
    a = np.linspace(0.0, 1.0, SIZE)
    b = np.linspace(1.0, 2.0, SIZE)
    check = 0.0
    for _ in range(ROUNDS):
        check += heavy(a, b, reps) + light(a, b, reps)
    assert check > 0.0
    print("numpy ok", ROUNDS * reps * 4)


if __name__ == "__main__":
    main()
