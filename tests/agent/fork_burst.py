"""Ground truth, short forked children: the parent forks CHILDREN
children with os.fork(); each runs work() for MS milliseconds of CPU
time and reports its whole CPU time (time.process_time(): everything
since fork() returned in the child) on a pipe before os._exit().  A child
is sampled from its first instruction after fork() when the parent has
prepared its files (src/agent/agent.c, "a forked child's first
milliseconds"), so its samples cover nearly all of that time.  Prints
"children N cpu_ms X": their CPU time summed."""
import os
import sys
import time

CHILDREN = int(sys.argv[1]) if len(sys.argv) > 1 else 10
MS = float(sys.argv[2]) if len(sys.argv) > 2 else 40.0


def work(ms):
    t0 = time.thread_time()
    x = 0
    while (time.thread_time() - t0) * 1000.0 < ms:
        for i in range(500):
            x = i ^ (i >> 3)
    return x


def main():
    total = 0.0
    for _ in range(CHILDREN):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            work(MS)
            os.write(w, b"%f" % (time.process_time() * 1000.0))
            os._exit(0)
        os.close(w)
        data = b""
        while True:
            chunk = os.read(r, 64)
            if not chunk:
                break
            data += chunk
        os.close(r)
        os.waitpid(pid, 0)
        total += float(data or b"0")
    sys.stderr.write("children %d cpu_ms %.3f\n" % (CHILDREN, total))


if __name__ == "__main__":
    main()
