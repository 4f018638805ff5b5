"""multiprocessing workload: a child process does most of the work.

Ground truth by construction: a multiprocessing child runs heavy(), three
times the iterations of the same float loop that the parent runs in
light() meanwhile; heavy's share of the CPU time spent in heavy() +
light() across both processes is 75%.  A tool that does not follow child
processes sees light() only.

Usage: mp.py [SCALE] [START_METHOD]   (SCALE 1.0 ~ 0.5 s of CPU here;
START_METHOD fork, spawn or forkserver, default: the platform's)
"""
import multiprocessing
import os
import sys

ITERS = 700000  # light's iterations at SCALE 1.0


def record_pid():
    pidfile = os.environ.get("PYPERF_BENCH_PIDFILE")
    if pidfile:
        with open(pidfile, "a") as f:
            f.write("%d\n" % os.getpid())


def heavy(n):
    record_pid()
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
    method = sys.argv[2] if len(sys.argv) > 2 else None
    record_pid()
    n = max(1, int(ITERS * scale))
    ctx = multiprocessing.get_context(method)
    child = ctx.Process(target=heavy, args=(n,), name="heavy")
    child.start()
    assert light(n) > 0.0
    child.join()
    if child.exitcode != 0:
        sys.exit("child failed: %s" % child.exitcode)
    print("mp ok")


if __name__ == "__main__":
    main()
