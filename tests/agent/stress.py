"""Stress workload for the agent: things that move frames and code objects
around while samples are taken.  Each part prints "ok <part> ..." or
raises; the process must exit 0.  Parts (argv, default all):

  generators   nested generators and generator expressions
  recursion    300-deep recursion held for a while (> depth limit 128)
  exceptions   raise/catch/finally, tracebacks kept and dropped
  threads      200 short-lived threads, 20 at a time
  exec         300 exec()'d code objects, each run and dropped
  syscalls     time.sleep accuracy, a 16 MB pipe transfer between threads,
               subprocess runs, and raw libc read()/nanosleep() through
               ctypes counting EINTR (Python hides EINTR, PEP 475)
"""
import os
import subprocess
import sys
import threading
import time


def spin(n):
    x = 0
    for i in range(n):
        x = i ^ (i >> 2)
    return x


def part_generators():
    def leaf(n):
        for i in range(n):
            yield i * i

    def middle(n):
        for v in leaf(n):
            yield v + 1
        yield from leaf(n // 2)

    total = 0
    for _ in range(40):
        total += sum(middle(20000))
        total += sum(x for x in range(20000) if x % 3)
    print("ok generators", total > 0)


def part_recursion():
    def down(depth):
        if depth == 0:
            return spin(3000000)
        return down(depth - 1) + 1

    down(300)
    print("ok recursion")


def part_exceptions():
    class Boom(Exception):
        pass

    def thrower(i):
        try:
            if i % 2:
                raise Boom(i)
            raise ValueError(i)
        finally:
            spin(50)

    kept = []
    for i in range(60000):
        try:
            thrower(i)
        except (Boom, ValueError) as e:
            if i % 1000 == 0:
                kept.append(e.__traceback__)
    print("ok exceptions", len(kept))


def part_threads():
    done = []
    lock = threading.Lock()

    def work(k):
        spin(20000 + k)
        with lock:
            done.append(k)

    started = 0
    while started < 200:
        batch = [threading.Thread(target=work, args=(started + j,)) for j in range(20)]
        for t in batch:
            t.start()
        for t in batch:
            t.join()
        started += 20
    assert len(done) == 200, len(done)
    print("ok threads", len(done))


def part_exec():
    total = 0
    for i in range(300):
        src = ("def f_%d(n):\n"
               "    x = 0\n"
               "    for i in range(n):\n"
               "        x += i %% %d\n"
               "    return x\n"
               "result = f_%d(20000)\n") % (i, i + 1, i)
        ns = {}
        exec(compile(src, "<exec %d>" % i, "exec"), ns)
        total += ns["result"]
        del ns
    print("ok exec", total > 0)


def part_syscalls():
    import ctypes

    # time.sleep keeps its duration
    worst = 0.0
    for _ in range(20):
        t0 = time.monotonic()
        time.sleep(0.01)
        worst = max(worst, time.monotonic() - t0)
    assert worst < 0.2, worst

    # a pipe between two busy threads: every byte arrives, in order
    r, w = os.pipe()
    payload = bytes(range(256)) * 4096  # 1 MB

    def writer():
        for _ in range(16):
            spin(20000)
            view = memoryview(payload)
            while view:
                view = view[os.write(w, view):]
        os.close(w)

    t = threading.Thread(target=writer)
    t.start()
    got = bytearray()
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        got += chunk
        spin(2000)
    t.join()
    os.close(r)
    assert bytes(got) == payload * 16

    # subprocesses start, run and report their status
    for _ in range(10):
        assert subprocess.run([sys.executable, "-c", "pass"]).returncode == 0
        assert subprocess.run(["true"]).returncode == 0

    # raw system calls: an EINTR here would be our signal's doing
    libc = ctypes.CDLL(None, use_errno=True)

    class timespec(ctypes.Structure):
        _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]

    eintr = 0
    for _ in range(200):
        spin(2000)
        ts = timespec(0, 1000000)
        if libc.nanosleep(ctypes.byref(ts), None) != 0 and ctypes.get_errno() == 4:
            eintr += 1
    r, w = os.pipe()

    def slow_writer():
        for _ in range(50):
            spin(20000)
            os.write(w, b"x")
        os.close(w)

    t = threading.Thread(target=slow_writer)
    t.start()
    buf = ctypes.create_string_buffer(16)
    while True:
        n = libc.read(r, buf, 16)
        if n == 0:
            break
        if n < 0 and ctypes.get_errno() == 4:
            eintr += 1
    t.join()
    os.close(r)
    print("ok syscalls eintr=%d" % eintr)


PARTS = ["generators", "recursion", "exceptions", "threads", "exec", "syscalls"]

if __name__ == "__main__":
    for name in sys.argv[1:] or PARTS:
        globals()["part_" + name]()
