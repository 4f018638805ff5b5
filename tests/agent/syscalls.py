"""Ground truth, long system calls: in_kernel() spends its time in the
kernel, in mmap(MAP_POPULATE) calls that each zero 64 MiB and munmaps
that free them, several sampling periods per call; in_python() runs a
pure-Python loop.  The kernel raises one sampling signal per event and
return to user space, so without weighting in_kernel() got one sample per
system call instead of one per period (src/agent/handler.c,
clock_periods).  Prints "truth X", the CPU-time share of in_kernel()
that the workload measured itself with thread_time()."""
import mmap
import sys
import time

SIZE = 64 << 20
MAP_POPULATE = getattr(mmap, "MAP_POPULATE", 0x8000)  # 3.10+ name it; Linux's value
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 6


def in_kernel():
    m = mmap.mmap(-1, SIZE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_POPULATE)
    m.close()


def in_python(seconds):
    t0 = time.thread_time()
    x = 0
    while time.thread_time() - t0 < seconds:
        for i in range(2000):
            x = i ^ (i >> 3)
    return x


def main():
    tk = tp = 0.0
    for _ in range(ROUNDS):
        t0 = time.thread_time()
        for _ in range(4):
            in_kernel()
        t1 = time.thread_time()
        # as much time in Python as the round spent in the kernel
        in_python(t1 - t0)
        tk += t1 - t0
        tp += time.thread_time() - t1
    sys.stderr.write("truth %.2f\n" % (100.0 * tk / (tk + tp)))


if __name__ == "__main__":
    main()
