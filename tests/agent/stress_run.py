#!/usr/bin/env python3
"""Runs stress.py under every CPython found, through the driver, at 1 kHz
and 10 kHz with sigtrap events and at 10 kHz with the signal fallback.
Fails on a crash, a hang (timeout), a missing "ok" line, EINTR seen in
sigtrap mode, or no truncated stacks for the 300-deep recursion.

usage: stress_run.py DRIVER [PYTHON...]"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ground_truth import find_pythons  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = [("1kHz", ["-p", "1000000"]), ("10kHz", ["-p", "100000"]),
         ("10kHz-fallback", ["-p", "100000", "-F"])]
PARTS = 6


def main(argv):
    driver = os.path.abspath(argv[1])
    pythons = argv[2:] or find_pythons()
    if not pythons:
        return 77
    bad = 0
    for py in pythons:
        for mode, extra in MODES:
            try:
                p = subprocess.run([driver] + extra + ["--", py, os.path.join(HERE, "stress.py")],
                                   capture_output=True, text=True, timeout=600)
                out, err, rc = p.stdout, p.stderr, p.returncode
            except subprocess.TimeoutExpired:
                out, err, rc = "", "TIMEOUT", -1
            oks = re.findall(r"^ok \w+", out, re.M)
            eintr = re.search(r"eintr=(\d+)", out)
            stat = dict(re.findall(r"^stat (\w+) (.*)$", out, re.M))
            problems = []
            if rc != 0 or stat.get("exit") != "0":
                problems.append("exit %s/%s %s" % (rc, stat.get("exit"), err.strip()[-300:]))
            if len(oks) != PARTS:
                problems.append("%d of %d parts ok" % (len(oks), PARTS))
            if eintr and eintr.group(1) != "0" and "fallback" not in mode:
                problems.append("EINTR %s" % eintr.group(1))
            if stat.get("truncated", "0") == "0":
                problems.append("no truncated stack")
            bad += bool(problems)
            print("%-44s %-15s samples=%-6s dropped=%-4s truncated=%-4s unresolved=%-4s eintr=%s %s" % (
                py[-44:], mode, stat.get("samples"), stat.get("dropped"), stat.get("truncated"),
                stat.get("unresolved"), eintr.group(1) if eintr else "?",
                "FAIL: " + "; ".join(problems) if problems else "ok"))
            sys.stdout.flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
