"""Start-up only: does nothing but note its pid (for the perf map
cleanup after `python -X perf`), so what a tool costs once per process
shows alone."""
import os

pidfile = os.environ.get("PYPERF_BENCH_PIDFILE")
if pidfile:
    with open(pidfile, "a") as f:
        f.write("%d\n" % os.getpid())
