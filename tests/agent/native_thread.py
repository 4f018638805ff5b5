"""A thread that never had a Python thread state (as OpenBLAS workers)
burns CPU in C while the main thread runs Python: its samples must be
recorded as <native> work, not dropped.  Compiles a small C spinner with
cc at run time (exit 77 without a compiler).  Expected: <native> about as
many samples as python_loop (both ~1 s of CPU)."""
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile

SRC = r'''
#include <pthread.h>
#include <time.h>
static volatile unsigned long sink;
static void *spin(void *arg) {
    struct timespec t0, t;
    double limit = *(double *)arg;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 100000; i++) sink += i;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    } while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < limit);
    return 0;
}
static double secs;
int start_spinner(double s, pthread_t *out) { secs = s; return pthread_create(out, 0, spin, &secs); }
int join_spinner(pthread_t *t) { return pthread_join(*t, 0); }
'''


def python_loop(n):
    x = 0
    for i in range(n):
        x = i ^ (i >> 3)
    return x


def main():
    cc = shutil.which("cc")
    if not cc:
        print("no C compiler: skipped")
        return 77
    d = tempfile.mkdtemp(prefix="pyperf-native-")
    try:
        src, lib = os.path.join(d, "spin.c"), os.path.join(d, "spin.so")
        with open(src, "w") as f:
            f.write(SRC)
        subprocess.check_call([cc, "-O1", "-shared", "-fPIC", "-pthread", "-o", lib, src])
        # CDLL releases the GIL around calls; the spinner thread itself
        # never touches Python.
        spin = ctypes.CDLL(lib)
        spin.start_spinner.argtypes = [ctypes.c_double, ctypes.c_void_p]
        handle = ctypes.create_string_buffer(64)
        assert spin.start_spinner(1.0, handle) == 0
        t0 = __import__("time").thread_time()
        while __import__("time").thread_time() - t0 < 1.0:
            python_loop(200000)
        spin.join_spinner(handle)
    finally:
        shutil.rmtree(d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
