"""Ground truth: heavy() does three times the work of light().
Expected self share of heavy among the two: 75%."""
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 600000


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


def main():
    th = tl = 0.0
    for _ in range(6):
        t0 = time.thread_time()
        heavy(N)
        t1 = time.thread_time()
        light(N)
        th += t1 - t0
        tl += time.thread_time() - t1
    # the split the workload itself measured (CPU time), for reference
    sys.stderr.write("truth %.2f\n" % (100.0 * th / (th + tl)))


if __name__ == "__main__":
    main()
