"""A thread that never had a Python thread state (as OpenBLAS's workers)
burns CPU in libpp_busy.so while the main thread runs Python.  Expected:
its samples under "<native thread: libpp_busy.so>", about as many as its
CPU time (printed as "thread_cpu_expected SECONDS" on stderr, measured
by running the same work on the main thread first), and none dropped.

Usage: native_thread.py LIBPP_BUSY [SECONDS]"""
import ctypes
import sys
import time

busy = ctypes.CDLL(sys.argv[1])
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
busy.pp_busy_outer.argtypes = [ctypes.c_long]
busy.pp_spin_start.argtypes = [ctypes.c_long]
busy.pp_spin_start.restype = ctypes.c_void_p
busy.pp_spin_join.argtypes = [ctypes.c_void_p]


def python_loop(seconds):
    x = 0
    t0 = time.thread_time()
    while time.thread_time() - t0 < seconds:
        for i in range(20000):
            x ^= i
    return x


def main():
    n = 4000000
    t0 = time.thread_time()
    busy.pp_busy_outer(n)
    n = int(n * SECONDS / max(time.thread_time() - t0, 1e-4))
    t0 = time.thread_time()
    busy.pp_busy_outer(n // 4)
    expected = 4 * (time.thread_time() - t0)
    handle = busy.pp_spin_start(n)
    python_loop(SECONDS)
    busy.pp_spin_join(handle)
    sys.stderr.write("thread_cpu_expected %.4f\n" % expected)


if __name__ == "__main__":
    main()
