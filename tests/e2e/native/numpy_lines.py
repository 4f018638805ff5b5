"""Ground truth for native attribution: in work(), line A runs the same
numpy call three times, line B once (each on one line, same array, so
the same cache behaviour).  Expected: line A 75% of work()'s samples,
numpy's time charged to the Python line that called it.

Usage: numpy_lines.py [SECONDS]  (about how long work() runs)"""
import sys
import time

import numpy as np

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5
a = np.random.rand(1 << 20)
o = np.empty_like(a)


def work(rounds):
    for _ in range(rounds):
        for _ in range(3): np.sin(a, out=o)  # line A  # noqa: E701
        np.sin(a, out=o)  # line B


def main():
    t0 = time.thread_time()
    work(3)
    per_round = max((time.thread_time() - t0) / 3, 1e-4)
    work(max(1, int(SECONDS / per_round)))


if __name__ == "__main__":
    main()
