#!/usr/bin/env python3
"""End-to-end: saved profiles, report, and exports from real runs (issue 5).

Usage: test_export.py PYPERF_STAT   (TAP on stdout)"""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Skip, Tap, TempDir, check, run, workload  # noqa: E402

TOOL = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO = os.path.join(ROOT, "src", "export", "proto", "profile.proto")


def python():
    py = shutil.which("python3")
    if not py:
        raise Skip("python3 not on PATH")
    return py


def record(d, extra=()):
    data = os.path.join(d, "run.data")
    res = run(TOOL, ["record", "-o", data, "-e", "task-clock,page-faults", "-F", "2000"]
              + list(extra) + ["--python", python(), workload("three_to_one.py")], cwd=d)
    check(res.rc == 0 and os.path.exists(data), "record", res)
    check(b"Performance counter stats" not in res.stderr, "record prints no report", res)
    return data


def json_rows(text):
    return [json.loads(l) for l in text.splitlines() if l.strip().startswith("{")]


def report_matches_original_run():
    with TempDir() as d:
        first = os.path.join(d, "first.txt")
        data = os.path.join(d, "run.data")
        res = run(TOOL, ["--save", data, "-o", first, "--top", "0", "--python", python(),
                         workload("three_to_one.py")], cwd=d)
        check(res.rc == 0, "run", res)
        again = run(TOOL, ["report", data, "--top", "0"], cwd=d)
        check(again.rc == 0, "report", again)
        with open(first, "rb") as f:
            original = f.read()
        check(original == again.stderr,
              "report FILE differs from the original run's report:\n%s\n---\n%s"
              % (original.decode()[-1500:], again.stderr.decode()[-1500:]))
        for fmt in (["-j"], ["-x;"]):
            a = run(TOOL, ["report", data, "--top", "0"] + fmt, cwd=d)
            check(a.rc == 0 and a.stderr, "report %s" % fmt, a)


def collapsed_sums_equal_samples():
    with TempDir() as d:
        data = record(d)
        folded = os.path.join(d, "stacks.folded")
        res = run(TOOL, ["report", data, "-j", "--top", "0", "--collapsed", folded], cwd=d)
        check(res.rc == 0, "report", res)
        rows = [r for r in json_rows(res.stderr.decode()) if r.get("scope") == "function"]
        for event, path in (("task-clock", folded), ("page-faults", folded + ".page-faults")):
            check(os.path.exists(path), "collapsed file for %s: %s" % (event, os.listdir(d)))
            with open(path) as f:
                total = sum(int(l.rsplit(" ", 1)[1]) for l in f if l.strip())
            sampled = sum(r["samples"] for r in rows if r["event"] == event)
            check(total == sampled and total > 0,
                  "%s: collapsed stacks sum to %d, report's self samples to %d" % (event, total, sampled))


def pprof_decodes_with_protoc():
    protoc = shutil.which("protoc")
    if not protoc:
        raise Skip("protoc (Debian protobuf-compiler) not installed")
    with TempDir() as d:
        data = record(d)
        pb = os.path.join(d, "run.pb.gz")
        res = run(TOOL, ["report", data, "-j", "--top", "0", "--pprof", pb], cwd=d)
        check(res.rc == 0, "report", res)
        with gzip.open(pb) as f:
            raw = f.read()
        dec = subprocess.run([protoc, "--decode", "perftools.profiles.Profile",
                              "--proto_path", os.path.dirname(PROTO), os.path.basename(PROTO)],
                             input=raw, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check(dec.returncode == 0, "protoc --decode: %s" % dec.stderr.decode())
        text = dec.stdout.decode()
        strings = re.findall(r'^string_table: "(.*)"$', text, re.M)
        check("task-clock" in strings and "page-faults" in strings, "sample types: %r" % strings[:10])
        check("heavy" in strings and any(s.endswith("three_to_one.py") for s in strings),
              "function and file names in the string table")
        # per-event totals equal the report's counted totals
        values = [list(map(int, re.findall(r"value: (-?\d+)", blk)))
                  for blk in re.findall(r"sample \{(.*?)\n\}", text, re.S)]
        sums = [sum(v[i] for v in values) for i in range(2)]
        totals = {r["event"]: float(r["counter-value"]) for r in json_rows(res.stderr.decode())
                  if "counter-value" in r}
        check(abs(sums[0] - totals["task-clock"] * 1e6) <= 1e6,
              "task-clock: pprof %d ns vs counted %.3f msec" % (sums[0], totals["task-clock"]))
        check(abs(sums[1] - totals["page-faults"]) <= 1,
              "page-faults: pprof %d vs counted %.0f" % (sums[1], totals["page-faults"]))


def malformed_files_fail_clearly():
    with TempDir() as d:
        data = record(d)
        with open(data, "rb") as f:
            good = f.read()
        cases = {
            "empty": (b"", b"not a pyperf-stat profile"),
            "text": (b"hello world\n" * 10, b"not a pyperf-stat profile"),
            "truncated": (good[:len(good) // 2], b"truncated"),
            "newer": (good[:8] + b"\x63\x00\x00\x00" + good[12:], b"newer"),
        }
        for name, (blob, expect) in cases.items():
            path = os.path.join(d, name + ".data")
            with open(path, "wb") as f:
                f.write(blob)
            res = run(TOOL, ["report", path], cwd=d)
            check(res.rc == 2 and expect in res.stderr.lower() and len(res.stderr.splitlines()) == 1,
                  "%s file: exit 2 and one line containing %r" % (name, expect), res)
        res = run(TOOL, ["report", os.path.join(d, "missing.data")], cwd=d)
        check(res.rc == 2 and b"missing.data" in res.stderr, "missing file", res)


def main():
    tap = Tap()
    for case in (report_matches_original_run, collapsed_sums_equal_samples,
                 pprof_decodes_with_protoc, malformed_files_fail_clearly):
        tap.run(case.__name__, case)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
