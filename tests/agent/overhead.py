#!/usr/bin/env python3
"""Cost of the agent per sample and in CPU time, measured inside one
process so that a noisy machine (other tenants, frequency changes) hits
both sides alike: identical chunks of work (fib, ~30-frame stacks)
alternate with the sampling events disabled and enabled, and the CPU time
of each chunk is compared (median of per-pair ratios).

  bare   sigtrap events and a handler that returns at once
         (PYPERF_AGENT_BARE=1): what the kernel and the signal cost
  agent  the full handler: thread state, frame walk, ring, code set

The handler's own time comes from its rdtsc histogram in the ring header
(median) and its cycle sum (mean), converted with the TSC rate from
/proc/cpuinfo.

usage: overhead.py DRIVER PYTHON [PERIOD_NS ...]"""
import os
import re
import subprocess
import sys

PROBE = r'''
import ctypes, os, sys, time
a = ctypes.CDLL(os.environ["PYPERF_AGENT_LIB"])
a.pp_agent_counter.restype = a.pp_agent_hist.restype = ctypes.c_uint64
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
def deep(d):
    return fib(17) if d == 0 else deep(d - 1)
def chunk():
    t0 = time.thread_time()
    deep(12)
    return time.thread_time() - t0
for _ in range(20):
    chunk()
pairs, on_time, n0 = [], 0.0, a.pp_agent_counter(0)
for i in range(int(sys.argv[1])):
    a.pp_agent_exec_prepare()         # events disabled
    off = chunk()
    s0 = a.pp_agent_counter(0)
    a.pp_agent_exec_failed()          # events enabled
    on = chunk()
    a.pp_agent_exec_prepare()
    pairs.append((off, on, a.pp_agent_counter(0) - s0))
a.pp_agent_exec_failed()
ratios = sorted(on / off for off, on, _ in pairs)
samples = sum(s for _, _, s in pairs)
on_total = sum(on for _, on, _ in pairs)
print("RESULT %.5f %d %.6f %d %d %d" % (ratios[len(ratios) // 2], samples, on_total,
      a.pp_agent_counter(0), a.pp_agent_counter(9), a.pp_agent_counter(8)))
print("HIST " + " ".join(str(a.pp_agent_hist(b)) for b in range(64)))
'''


def tsc_hz():
    with open("/proc/cpuinfo") as f:
        return float(re.search(r"cpu MHz\s*:\s*([\d.]+)", f.read()).group(1)) * 1e6


def median_cycles(hist):
    total, acc = sum(hist), 0
    for b, n in enumerate(hist):
        acc += n
        if total and acc * 2 >= total:
            lz, frac = divmod(b, 4)
            return (4 + frac) << (lz - 2) if lz >= 2 else b
    return 0


def run(driver, python, period, bare, pairs):
    env = dict(os.environ)
    if bare:
        env["PYPERF_AGENT_BARE"] = "1"
    p = subprocess.run([driver, "-p", str(period), "--", python, "-c", PROBE, str(pairs)],
                       env=env, capture_output=True, text=True)
    m = re.search(r"RESULT (\S+) (\d+) (\S+) (\d+) (\d+) (\d+)", p.stdout)
    h = re.search(r"HIST ([\d ]+)", p.stdout)
    if not m:
        raise SystemExit("probe failed: " + p.stdout[-500:] + p.stderr[-500:])
    ratio, samples, on_total, n, frames, cycles = m.groups()
    return (float(ratio), int(samples), float(on_total), int(n), int(frames), int(cycles),
            [int(x) for x in h.group(1).split()])


def main(argv):
    driver, python = argv[1], argv[2]
    periods = [int(x) for x in argv[3:]] or [1000000, 500000, 100000]
    hz = tsc_hz()
    print(python)
    for period in periods:
        pairs = 150
        rb, sb, tb = run(driver, python, period, True, pairs)[:3]
        ra, sa, ta, n, frames, cycles, hist = run(driver, python, period, False, pairs)
        # per sample: the extra CPU of an "on" chunk over its share
        per_bare = (rb - 1) * tb / rb / max(sb, 1) * 1e6
        per_agent = (ra - 1) * ta / ra / max(sa, 1) * 1e6
        print("  %7d ns (%5.0f Hz): CPU +%.1f%% bare, +%.1f%% agent; per sample %.1f us bare, "
              "%.1f us agent; handler %.2f us mean, ~%.2f us median, %.1f frames" % (
                  period, 1e9 / period, 100 * (rb - 1), 100 * (ra - 1), per_bare, per_agent,
                  cycles / hz / max(n, 1) * 1e6, median_cycles(hist) / hz * 1e6,
                  frames / max(n, 1)))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
