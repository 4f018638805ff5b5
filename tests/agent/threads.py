"""Ground truth, threads: one thread runs heavy() (3 units), another
light() (1 unit), the main thread waits.  Expected: heavy 75% of the two,
and each thread's samples all in its own function."""
import sys
import threading
import time

CPU = {}

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1200000


def heavy(n):
    t0 = time.thread_time()
    x = 0
    for i in range(3 * n):
        x = i ^ (i >> 3)
    CPU["heavy"] = time.thread_time() - t0
    return x


def light(n):
    t0 = time.thread_time()
    x = 0
    for i in range(n):
        x = i ^ (i >> 3)
    CPU["light"] = time.thread_time() - t0
    return x


def main():
    a = threading.Thread(target=heavy, args=(N,), name="heavy")
    b = threading.Thread(target=light, args=(N,), name="light")
    a.start()
    b.start()
    a.join()
    b.join()
    sys.stderr.write("truth %.2f\n" % (100.0 * CPU["heavy"] / (CPU["heavy"] + CPU["light"])))


if __name__ == "__main__":
    main()
