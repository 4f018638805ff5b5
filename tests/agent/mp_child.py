"""Ground truth, multiprocessing: a child process (start method from
argv[1]: fork or spawn) runs heavy() (3 units) while the parent runs
light() (1 unit).  Expected over both processes: heavy 75%, and samples
from two pids."""
import multiprocessing
import sys
import time

N = int(sys.argv[2]) if len(sys.argv) > 2 else 1200000


def heavy(n, cpu=None):
    t0 = time.thread_time()
    x = 0
    for i in range(3 * n):
        x = i ^ (i >> 3)
    if cpu is not None:
        cpu.value = time.thread_time() - t0
    return x


def light(n):
    x = 0
    for i in range(n):
        x = i ^ (i >> 3)
    return x


def main(method):
    ctx = multiprocessing.get_context(method)
    cpu = ctx.Value("d", 0.0)
    p = ctx.Process(target=heavy, args=(N, cpu))
    p.start()
    t0 = time.thread_time()
    light(N)
    tl = time.thread_time() - t0
    p.join()
    sys.stderr.write("truth %.2f\n" % (100.0 * cpu.value / (cpu.value + tl)))
    sys.exit(p.exitcode)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fork")
