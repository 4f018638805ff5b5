"""Scale workload: many threads, many processes, many distinct functions.

The main process generates FUNCS distinct functions at run time
(compile() of generated source: one code object per function, each with
its own name f_00000, f_00001, ..., its own line and its own constant),
forks PROCS child processes (multiprocessing, fork: a pre-fork server's
workers) and runs THREADS Python threads; every thread and child calls
the functions round-robin from its own starting point, so each function
runs in every process.  The main process does as much work as all the
children together (its threads share one GIL, the children share the
rest of the machine), so on two CPUs both halves end at about the same
time.

Fixed work, not a fixed duration: the same SCALE does the same calls with
or without a profiler, so the wall times compare.

Usage: scale.py [SCALE] [THREADS] [PROCS] [FUNCS]
       (defaults 1.0 64 20 10000; SCALE 1.0 ~ 60 s on the 2-CPU VM the
       figures in docs/benchmarks.md come from)
"""
import multiprocessing
import os
import sys
import threading

CALLS = 290000  # calls per child at SCALE 1.0 (each ~10 µs of CPU here)
ITERS = 60  # loop iterations per call


def record_pid():
    pidfile = os.environ.get("PYPERF_BENCH_PIDFILE")
    if pidfile:
        with open(pidfile, "a") as f:
            f.write("%d\n" % os.getpid())


def make_functions(nfuncs):
    """nfuncs distinct functions from one generated source file."""
    src = []
    for i in range(nfuncs):
        src.append("def f_%05d(n):\n"
                   "    acc = %d\n"
                   "    for i in range(n):\n"
                   "        acc = (acc * 31 + i) & 0xFFFF\n"
                   "    return acc\n" % (i, i))
    ns = {}
    exec(compile("\n".join(src), "<scale-generated>", "exec"), ns)
    return [ns["f_%05d" % i] for i in range(nfuncs)]


def worker(funcs, start, calls, out, slot):
    n = len(funcs)
    acc = 0
    for j in range(calls):
        acc ^= funcs[(start + j) % n](ITERS)
    out[slot] = acc


def child(funcs, start, calls):
    record_pid()
    worker(funcs, start, calls, [0], 0)


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    nthreads = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    nprocs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    nfuncs = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    record_pid()
    per_child = max(1, int(CALLS * scale))
    # the main process does what all the children do together
    per_thread = max(1, per_child * max(1, nprocs) // max(1, nthreads))
    funcs = make_functions(nfuncs)
    # forked before any thread starts (forking a threaded process is unsafe)
    ctx = multiprocessing.get_context("fork")
    children = [ctx.Process(target=child, name="child%d" % i,
                            args=(funcs, i * nfuncs // max(1, nprocs), per_child))
                for i in range(nprocs)]
    for c in children:
        c.start()
    out = [0] * nthreads
    threads = [threading.Thread(target=worker, name="worker%d" % t,
                                args=(funcs, t * nfuncs // max(1, nthreads), per_thread, out, t))
               for t in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in children:
        c.join()
    failed = [c.name for c in children if c.exitcode != 0]
    if failed:
        sys.exit("scale: %s failed" % ", ".join(failed))
    print("scale ok: %d threads, %d processes, %d functions" % (nthreads, nprocs, nfuncs))


if __name__ == "__main__":
    main()
