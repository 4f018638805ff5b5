#!/usr/bin/env python3
"""End-to-end: `pyperf-stat diff` as a CI gate (issue 7).

Usage: test_diff.py PYPERF_STAT   (TAP on stdout)

Ground truth comes from tests/e2e/workloads/regress.py: with PP_REGRESS=1
slow_path() does twice its work (CPU and page faults), steady() the same.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Skip, Tap, TempDir, check, run, workload  # noqa: E402

TOOL = os.path.abspath(sys.argv[1])
PYTHON = os.path.realpath(sys.executable)
REGRESS = workload("regress.py")

# The false-positive check: a baseline and this many new records of the
# identical workload, each with -r 5 (the workload takes about 0.2 s).
IDENTICAL_RECORDS = 20
RUNS = 5
GATES = ["--fail-if", "func:* task-clock>+10%", "--fail-if", "task-clock>+10%"]

# A +10% gate on timings presupposes a machine whose speed holds between
# records to well within 10%.  A shared machine's does not (other load,
# SMT siblings, frequency): identical records then differ by tens of
# percent, all functions alike, and the runs inside one record cannot
# show it.  docs/ci.md tells users of such machines to give the timings a
# noise floor; when this machine drifted by more than MAX_DRIFT between
# the identical records, the check holds the gates to that advice.
MAX_DRIFT = 1.25
DRIFT_FLOOR = ["--noise-floor", "20%"]


def record(d, name, runs=RUNS, events="task-clock", env=None, script=REGRESS, args=()):
    path = os.path.join(d, name)
    e = dict(os.environ)
    e.pop("PP_REGRESS", None)
    e.update(env or {})
    res = run(TOOL, ["record", "-o", path, "-r", str(runs), "-e", events,
                     "--python", PYTHON, script] + list(args), cwd=d, env=e, timeout=300)
    check(res.rc == 0 and os.path.exists(path), "record %s" % name, res)
    return path


def diff(d, base, new, *opts):
    return run(TOOL, ["diff", base, new] + list(opts), cwd=d, timeout=120)


def json_lines(data):
    return [json.loads(l) for l in data.decode().splitlines() if l.strip()]


def supported():
    """Skips everything, with the reason, when this pyperf-stat has no
    diff subcommand or its -r saves no per-run figures yet."""
    res = run(TOOL, ["diff", "--help"])
    if res.rc != 0 or b"--fail-if" not in res.stdout:
        return "pyperf-stat has no 'diff' subcommand yet (pyperf-stat diff --help: exit %d)" % res.rc
    with TempDir() as d:
        base = record(d, "probe.data", runs=2)
        res = diff(d, base, base, "--json")
        if res.rc != 0:
            return "pyperf-stat diff cannot read a fresh record: %r" % res
        head = json_lines(res.stdout)[0]
        if not head.get("base-per-run"):
            return "pyperf-stat record -r N saves no per-run figures yet"
    return None


def checks(res):
    return [r for r in json_lines(res.stdout) if r["type"] == "check"]


# ---- cases

def regression_is_caught_and_named():
    with TempDir() as d:
        ev = "task-clock,page-faults"
        base = record(d, "base.data", events=ev)
        new = record(d, "new.data", events=ev, env={"PP_REGRESS": "1"})
        gate = ["--fail-if", "func:* page-faults>+20%"]

        # text: exit 1, the regressed function named on a FAIL line
        res = diff(d, base, new, *gate)
        check(res.rc == 1, "a doubled function must fail the gate (exit 1)", res)
        out = res.stdout.decode()
        fails = [l for l in out.splitlines() if l.strip().startswith("FAIL")]
        check(any("slow_path (" in l for l in fails), "slow_path named as failing", res)
        check(not any("steady" in l for l in fails), "steady() did not change", res)

        # JSON: the same decision, per check
        res = diff(d, base, new, "--json", *gate)
        check(res.rc == 1, "--json exit status", res)
        by = {c.get("function"): c for c in checks(res)}
        check(by["slow_path"]["failed"] and by["slow_path"]["change-percent"] > 60,
              "slow_path's page faults doubled: %r" % by.get("slow_path"))
        check("steady" in by and not by["steady"]["failed"],
              "steady checked and not flagged: %r" % by.get("steady"))

        # task-clock: the machine's speed may drift between the two
        # records, but it moves both functions alike; slow_path must
        # grow by about twice as much as steady
        rows = [r for r in json_lines(res.stdout)
                if r["type"] == "function" and r["event"] == "task-clock"]
        f = {r["function"]: r["self"] for r in rows}
        ratio = (f["slow_path"]["new"]["mean"] / f["slow_path"]["base"]["mean"]) / \
                (f["steady"]["new"]["mean"] / f["steady"]["base"]["mean"])
        check(1.5 < ratio < 2.7, "slow_path against steady in task-clock: x%.2f, "
              "expected about 2" % ratio)

        # Markdown, regressions first; JUnit with one failure for slow_path
        junit = os.path.join(d, "junit.xml")
        md = os.path.join(d, "comment.md")
        res = diff(d, base, new, "--markdown", "-o", md, "--junit", junit, *gate)
        check(res.rc == 1, "--markdown exit status", res)
        check(b"FAIL func:* page-faults>+20%: slow_path" in res.stderr,
              "the failure is said on stderr when the report goes to a file", res)
        with open(md) as fh:
            text = fh.read()
        table = [l for l in text.splitlines() if l.startswith("| ")]
        check(table and "❌" in table[1] and "slow_path" in table[1],
              "first threshold row is slow_path's failure:\n" + text)
        suite = ET.parse(junit).getroot()
        failed = [tc.get("name") for tc in suite.iter("testcase")
                  if tc.find("failure") is not None]
        check(len(failed) == 1 and "slow_path" in failed[0],
              "JUnit failures: %r" % failed)
        check(suite.get("failures") == "1", "testsuites failures=1")


def identical_runs_pass():
    """20 records of the identical workload against a baseline: no gate
    may fail.  Prints the noise it saw (docs/ci.md quotes it)."""
    with TempDir() as d:
        base = record(d, "base.data")
        news = [record(d, "new%d.data" % i) for i in range(IDENTICAL_RECORDS)]

        def gate(extra=()):
            failures, means, funcs, worst = [], [], {}, []
            for i, new in enumerate(news):
                res = diff(d, base, new, "--json", *(GATES + list(extra)))
                check(res.rc in (0, 1), "diff %d" % i, res)
                rows = json_lines(res.stdout)
                for r in rows:
                    if r["type"] == "total" and r["event"] == "task-clock":
                        means.append(r["new"]["mean"])
                        base_mean = r["base"]["mean"]
                    if r["type"] == "function" and r["event"] == "task-clock":
                        funcs.setdefault(r["function"], []).append(r["self"]["new"]["mean"])
                    if r["type"] == "check" and r["crossed"]:
                        worst.append((round(r["p-adjusted"], 4), r.get("function", "total"),
                                      round(r["change-percent"], 1)))
                if res.rc == 1:
                    failures.append((i, [(c.get("function", "total"), c["change-percent"])
                                         for c in rows if c["type"] == "check" and c["failed"]]))
            return failures, means + [base_mean], funcs, sorted(worst)[:3]

        failures, means, funcs, worst = gate()
        cv = statistics.stdev(means) / statistics.mean(means)
        drift = max(means) / min(means)
        print("# task-clock of %d identical -r %d records: mean %.1f msec, CV of the "
              "record means %.1f%%, max/min %.2f" % (len(means), RUNS, statistics.mean(means),
                                                     100 * cv, drift))
        for name in ("slow_path", "steady"):
            v = funcs.get(name, [])
            if len(v) > 1:
                print("# %s: CV of the record means %.1f%%" %
                      (name, 100 * statistics.stdev(v) / statistics.mean(v)))
        print("# closest calls (Holm p, where, change %%): %s" % worst)
        if failures and drift > MAX_DRIFT:
            print("# %d of %d diffs failed: the machine's speed drifted x%.2f between "
                  "identical records; again with %s" % (len(failures), len(news), drift,
                                                        " ".join(DRIFT_FLOOR)))
            failures, _, _, worst = gate(DRIFT_FLOOR)
            print("# closest calls with the floor: %s" % worst)
        check(not failures, "false positives on identical runs: %r" % failures[:3])


def bad_baselines_exit_2():
    with TempDir() as d:
        good = record(d, "good.data", runs=2)
        with open(good, "rb") as fh:
            data = fh.read()

        def bad(name, content):
            path = os.path.join(d, name)
            with open(path, "wb") as fh:
                fh.write(content)
            return path

        cases = [
            (bad("empty.data", b""), "is empty"),
            (bad("truncated.data", data[: len(data) // 2]), "is truncated"),
            (bad("newer.data", data[:8] + b"\x63\x00\x00\x00" + data[12:]),
             "written by a newer pyperf-stat"),
            (bad("text.data", b"task-clock 123\n"), "is not a pyperf-stat profile"),
            (os.path.join(d, "missing.data"), "cannot open"),
        ]
        for path, why in cases:
            res = diff(d, path, good)
            check(res.rc == 2, "%s as BASE: exit 2" % os.path.basename(path), res)
            err = res.stderr.decode()
            check(why in err and os.path.basename(path) in err,
                  "%s: the message names the file and says '%s'" % (path, why), res)
            check(len(err.strip().splitlines()) == 1, "one line", res)
            check(not res.stdout, "no report", res)

        other = record(d, "other.data", runs=2, script=workload("three_to_one.py"),
                       args=["0.05"])
        res = diff(d, good, other)
        check(res.rc == 2 and b"--allow-different-command" in res.stderr,
              "another script: exit 2, naming the way out", res)
        res = diff(d, good, other, "--allow-different-command", "-o", os.devnull)
        check(res.rc == 0, "--allow-different-command", res)

        res = diff(d, good, good, "--fail-if", "instructions>+2%")
        check(res.rc == 2 and b"instructions" in res.stderr,
              "a gate on an event neither side counted is an error, not a pass", res)
        res = diff(d, good, good, "--fail-if", "task-clock>>2%")
        check(res.rc == 2 and b"invalid --fail-if" in res.stderr, "bad rule", res)


def outputs_and_identity():
    with TempDir() as d:
        base = record(d, "base.data", runs=3, events="task-clock,page-faults")
        out = os.path.join(d, "out.json")
        res = diff(d, base, base, "--json", "-o", out, *GATES)
        check(res.rc == 0, "a record against itself passes", res)
        check(not res.stdout, "-o: nothing on stdout", res)
        with open(out, "rb") as fh:
            rows = json_lines(fh.read())
        check(rows[0]["type"] == "diff" and rows[-1]["type"] == "summary",
              "JSON lines: diff first, summary last")
        for r in rows:
            if r["type"] == "check":
                check(not r["crossed"] and r["change-percent"] == 0, "identity: %r" % r)
        check(sorted(os.listdir(d)) == ["base.data", "out.json"],
              "no temporary files: %r" % os.listdir(d))


def main():
    tap = Tap()
    why = supported()
    if why:
        print("1..0 # SKIP %s" % why)
        return 0
    tap.run("an injected regression is caught, named, fails with exit 1; the "
            "unchanged function is not flagged", regression_is_caught_and_named)
    tap.run("bad baselines (empty, truncated, newer format, other script) exit 2",
            bad_baselines_exit_2)
    tap.run("a record against itself; JSON lines; -o writes atomically",
            outputs_and_identity)
    tap.run("%d identical -r %d records against a baseline: no false positive"
            % (IDENTICAL_RECORDS, RUNS), identical_runs_pass)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
