#!/usr/bin/env python3
"""Ground-truth checks of the agent: workloads with a known 3:1 split, run
under every CPython found, through tests/agent/driver (collect + agent, no
counting).  Prints one row per interpreter and exits 1 when a share is
off by more than the tolerance, 77 when nothing could run.

usage: ground_truth.py DRIVER [--fallback] [--period NS] [--tol POINTS]
                       [--only NAME] [PYTHON...]
"""
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def find_pythons():
    """pyenv's versions and pythons on PATH, 3.8 or later, deduplicated by
    the real executable (pyenv's shims are scripts, not interpreters)."""
    roots = [os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv")]
    cands = []
    for root in roots:
        if root:
            cands += sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3.*")))
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if "shims" in d:
            continue
        cands += sorted(glob.glob(os.path.join(d, "python3.*")))
    seen, out = set(), []
    for c in cands:
        if not re.search(r"python3\.\d+$", c) or not os.access(c, os.X_OK):
            continue
        real = os.path.realpath(c)
        if real in seen:
            continue
        try:
            v = subprocess.run([c, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
                               capture_output=True, text=True, timeout=30).stdout.split()
        except Exception:
            continue
        if len(v) == 2 and (int(v[0]), int(v[1])) >= (3, 8):
            seen.add(real)
            out.append(c)
    return out


def run(driver, python, args, extra):
    cmd = [driver] + extra + ["--", python] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    funcs, lines, threads, procs, stat = {}, {}, [], [], {}
    for ln in p.stdout.splitlines():
        kind, _, rest = ln.partition(" ")
        if kind == "func":
            s, t, name = rest.split(" ", 2)
            q = name.split("\t")[0]
            funcs[q] = funcs.get(q, 0) + int(s)
        elif kind == "line":
            s, name = rest.split(" ", 1)
            q, line = name.split("\t")
            lines[(q, int(line))] = lines.get((q, int(line)), 0) + int(s)
        elif kind == "thread":
            tid, s, q = rest.split(" ", 2)
            threads.append((int(tid), int(s), q))
        elif kind == "proc":
            procs.append(rest)
        elif kind == "stat":
            k, _, v = rest.partition(" ")
            stat[k] = v
    m = re.search(r"^truth ([\d.]+)$", p.stderr, re.M)
    return {"funcs": funcs, "lines": lines, "threads": threads, "procs": procs,
            "stat": stat, "stderr": p.stderr, "rc": p.returncode,
            "truth": float(m.group(1)) if m else None}


def st_exit(r):
    return r["stat"].get("exit", "?")


def share(a, b):
    return 100.0 * a / (a + b) if a + b else float("nan")


def case_split(r):
    f = r["funcs"]
    return share(f.get("heavy", 0), f.get("light", 0)), ""


def case_fib(r):
    f = r["funcs"]
    return share(f.get("fib_heavy", 0), f.get("fib_light", 0)), ""


def case_threads(r):
    f = r["funcs"]
    per = {}
    for tid, s, q in r["threads"]:
        per.setdefault(tid, {})[q] = s
    purity = []
    for want in ("heavy", "light"):
        tid = max(per, key=lambda t: per[t].get(want, 0)) if per else None
        if tid is None:
            purity.append(0.0)
            continue
        own = sum(v for q, v in per[tid].items() if q != "<native>")
        purity.append(100.0 * per[tid].get(want, 0) / own if own else 0.0)
    note = "purity %.0f/%.0f%%" % tuple(purity)
    return share(f.get("heavy", 0), f.get("light", 0)), note if min(purity) >= 95 else "IMPURE " + note


def case_co(r):
    f = r["funcs"]
    return share(f.get("heavy_co", 0), f.get("light_co", 0)), ""


def case_mp(r):
    f = r["funcs"]
    n = len(r["procs"])
    return share(f.get("heavy", 0), f.get("light", 0)), "%d pids" % n if n >= 2 else "ONE PID"


def case_lines(r):
    ln = r["lines"]
    return share(ln.get(("work", 11), 0), ln.get(("work", 12), 0)), ""


CASES = [
    ("split", ["split.py"], case_split),
    ("fib", ["fib.py"], case_fib),
    ("threads", ["threads.py"], case_threads),
    ("asyncio", ["coroutines.py"], case_co),
    ("mp-fork", ["mp_child.py", "fork"], case_mp),
    ("mp-spawn", ["mp_child.py", "spawn"], case_mp),
    ("lines", ["lines.py"], case_lines),
]


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    driver = os.path.abspath(argv[1])
    extra, tol, only, pythons = [], 3.0, None, []
    it = iter(argv[2:])
    for a in it:
        if a == "--fallback":
            extra.append("-F")
        elif a == "--period":
            extra += ["-p", next(it)]
        elif a == "--tol":
            tol = float(next(it))
        elif a == "--only":
            only = next(it).split(",")
        else:
            pythons.append(a)
    pythons = pythons or find_pythons()
    if not pythons:
        print("no CPython 3.8+ found: skipped")
        return 77
    cases = [c for c in CASES if not only or c[0] in only]
    print("sampled self share of the heavy side, %; in brackets the CPU-time split the")
    print("workload measured itself (time.thread_time); '!' = more than %.0f points from 75" % tol)
    print("%-28s " % "interpreter" + " ".join("%-12s" % c[0] for c in cases))
    bad = 0
    for py in pythons:
        cells, notes = [], []
        for name, args, fn in cases:
            r = run(driver, py, [os.path.join(HERE, args[0])] + args[1:], extra)
            val, note = fn(r)
            ok = abs(val - 75.0) <= tol and not note.startswith(("IMPURE", "ONE"))
            bad += not ok
            if r["truth"] is not None:
                cells.append("%4.1f%s(%4.1f)" % (val, " " if ok else "!", r["truth"]))
            else:
                cells.append("%4.1f%s" % (val, " " if ok else "!"))
            if r["rc"] != 0 or st_exit(r) != "0":
                notes.append("%s: exit %s %s" % (name, st_exit(r), r["stderr"].strip()[-200:]))
                bad += 1
            st = r["stat"]
            extra_note = []
            if note:
                extra_note.append(note)
            for k in ("dropped", "unresolved", "truncated"):
                if st.get(k, "0") != "0":
                    extra_note.append("%s=%s" % (k, st[k]))
            if st.get("problem", "-") != "-":
                extra_note.append("problem: " + st["problem"])
            if extra_note:
                notes.append("%s: %s" % (name, ", ".join(extra_note)))
        label = py.replace(os.path.expanduser("~/.pyenv/versions/"), "pyenv ")
        print("%-28s " % label[-28:] + " ".join("%-12s" % c for c in cells))
        for n in notes:
            print("    " + n)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
