"""Threaded workload: two Python threads run at the same time.

Ground truth by construction: thread "heavy" runs three times as many
iterations of the same float loop as thread "light"; both need the GIL,
so heavy's share of the CPU time spent in heavy() + light() is 75%
(a wall-clock sampler that counts time spent waiting for the GIL sees
less: heavy runs alone after light finishes).

Usage: threads.py [SCALE] [THREADS]   (SCALE 1.0 ~ 0.5 s here; THREADS
pairs of heavy+light threads, default 1 pair = 2 threads)
"""
import os
import sys
import threading

ITERS = 700000  # light's iterations at SCALE 1.0


def heavy(n, out, i):
    x, acc = 0.5, 0.0
    for _ in range(3 * n):
        x = x * 1.0000001 + 0.25
        acc += x * x / (x + 1.0)
    out[i] = acc


def light(n, out, i):
    x, acc = 0.5, 0.0
    for _ in range(n):
        x = x * 1.0000001 + 0.25
        acc += x * x / (x + 1.0)
    out[i] = acc


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    pairs = int(sys.argv[2]) // 2 if len(sys.argv) > 2 else 1
    pidfile = os.environ.get("PYPERF_BENCH_PIDFILE")
    if pidfile:
        with open(pidfile, "a") as f:
            f.write("%d\n" % os.getpid())
    n = max(1, int(ITERS * scale))
    out = [0.0] * (2 * pairs)
    threads = []
    for p in range(max(1, pairs)):
        threads.append(threading.Thread(target=heavy, args=(n, out, 2 * p), name="heavy%d" % p))
        threads.append(threading.Thread(target=light, args=(n, out, 2 * p + 1), name="light%d" % p))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(v > 0.0 for v in out)
    print("threads ok", len(threads))


if __name__ == "__main__":
    main()
