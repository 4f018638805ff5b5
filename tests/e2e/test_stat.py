#!/usr/bin/env python3
"""End-to-end: pyperf-stat counts a Python run like perf stat (issue 3).

Usage: test_stat.py PYPERF_STAT   (TAP on stdout; meson runs it)

Every case uses software events, which count on machines without a PMU.
Cases that depend on an interpreter run under each one found and skip,
saying why, for those that are absent."""
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (Skip, Tap, TempDir, check, interpreters, nobody_prefix,  # noqa: E402
                 parse_csv, run, workload)

TOOL = os.path.abspath(sys.argv[1])
SW = "task-clock,page-faults,context-switches"


def counted(res, event):
    rows = parse_csv(res.report.decode())
    check(event in rows, "no %s row in -x output" % event, res)
    return rows[event][0]


# ---- per interpreter ----

def exit_status_passthrough(py):
    for code in (0, 3):
        res = run(TOOL, ["-x,", "--python", py, workload("exit_with.py"), str(code)])
        check(res.rc == code, "exit status %d expected" % code, res)
        check(counted(res, "task-clock") is not None, "totals printed", res)
    res = run(TOOL, ["-x,", "--python", py, workload("exit_with.py"), "term"])
    check(res.rc == 128 + signal.SIGTERM, "death by SIGTERM gives 143", res)
    check(counted(res, "task-clock") is not None, "report printed after the target was killed", res)


def stdout_byte_for_byte(py):
    direct = subprocess.run([py, workload("stdout.py")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    res = run(TOOL, ["--python", py, workload("stdout.py")])
    check(res.rc == 0, "runs", res)
    check(res.stdout == direct.stdout, "stdout differs from a direct run", res)
    check(res.stderr.startswith(direct.stderr), "the target's stderr comes first, unchanged", res)


def argv_env_cwd_stdin(py):
    env = dict(os.environ, PP_E2E_MARK="mark-42")
    with TempDir() as d:
        args = [workload("argv_env.py"), "a b", "--flag", "-e", "x"]
        direct = subprocess.run([py] + args, stdout=subprocess.PIPE, input=b"from stdin",
                                cwd=d, env=env)
        res = subprocess.run([TOOL, "--python", py] + args, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, input=b"from stdin", cwd=d, env=env)
        check(res.returncode == 0, "runs: %r" % res.stderr)
        check(res.stdout == direct.stdout,
              "argv, sys.path[0], __main__, __file__, cwd, environment or stdin differ:\n"
              "direct: %r\nwith pyperf-stat: %r" % (direct.stdout, res.stdout))


def busy_half_second(py):
    res = run(TOOL, ["-x,", "-e", SW, "--python", py, workload("busy.py"), "0.5"])
    check(res.rc == 0, "runs", res)
    ms = counted(res, "task-clock")
    check(400 <= ms <= 700, "task-clock %.1f ms for a 0.5 s busy loop" % ms, res)


def page_faults_grow(py):
    small = run(TOOL, ["-x,", "-e", "page-faults", "--python", py, workload("alloc.py"), "16"])
    big = run(TOOL, ["-x,", "-e", "page-faults", "--python", py, workload("alloc.py"), "256"])
    a, b = counted(small, "page-faults"), counted(big, "page-faults")
    # 240 MiB more touched memory is at least 61440 more 4 KiB pages; allow
    # for huge pages folding some of them.
    check(b - a > 20000, "page-faults %d (16 MiB) vs %d (256 MiB)" % (a, b), big)


def child_process_counted(py):
    res = run(TOOL, ["-x,", "-e", SW, "--python", py, workload("child.py")])
    check(res.rc == 0, "runs", res)
    ms = counted(res, "task-clock")
    check(ms >= 350, "the child's 0.4 s of CPU is in task-clock (%.1f ms)" % ms, res)


# ---- once ----

def default_python3():
    py = shutil.which("python3")
    if not py:
        raise Skip("python3 not on PATH")
    return py


def perf_or_skip():
    perf = shutil.which("perf")
    if not perf:
        raise Skip("perf (linux-perf) not installed")
    probe = subprocess.run([perf, "stat", "-e", "task-clock", "true"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    if probe.returncode != 0:
        raise Skip("perf stat does not run here: %s" % probe.stderr.decode()[:200])
    return perf


def csv_matches_perf():
    perf = perf_or_skip()
    events = "task-clock,page-faults,cycles,instructions"
    cmd = [sys.executable, "-c", "pass"]
    ours = run(TOOL, ["-x,", "--no-attribution", "-e", events, "--"] + cmd)
    theirs = subprocess.run([perf, "stat", "-x,", "-e", events] + cmd, stderr=subprocess.PIPE)
    ol = [l.split(",") for l in ours.report.decode().splitlines() if l]
    tl = [l.split(",") for l in theirs.stderr.decode().splitlines() if l]
    check(len(ol) == len(tl), "row count differs from perf:\n%r\n%r" % (ol, tl), ours)
    for o, t in zip(ol, tl):
        check(len(o) == len(t), "field count differs: %r vs perf %r" % (o, t))
        check(o[1:3] == t[1:3], "unit/event differ: %r vs perf %r" % (o, t))
        if t[0].startswith("<"):
            check(o[0] == t[0], "%r vs perf %r" % (o, t))
    # software counts of the same command agree with perf's
    po = parse_csv(ours.report.decode())
    pt = parse_csv(theirs.stderr.decode())
    a, b = po["page-faults"][0], pt["page-faults"][0]
    check(abs(a - b) <= 0.2 * b, "page-faults %d vs perf %d" % (a, b))


def json_keys_match_perf():
    perf = perf_or_skip()
    cmd = ["--", sys.executable, "-c", "pass"]
    ours = run(TOOL, ["-j", "--no-attribution", "-e", "task-clock,cycles"] + cmd)
    theirs = subprocess.run([perf, "stat", "-j", "-e", "task-clock,cycles"] + cmd[1:],
                            stderr=subprocess.PIPE)
    ol = [json.loads(l) for l in ours.report.decode().splitlines() if l.strip()]
    tl = [json.loads(l) for l in theirs.stderr.decode().splitlines() if l.strip()]
    check([list(o) for o in ol] == [list(t) for t in tl],
          "keys differ:\n%r\n%r" % (ol, tl))
    check([o["event"] for o in ol] == ["task-clock", "cycles"], "events", ours)


def text_layout_matches_perf():
    perf = perf_or_skip()
    cmd = ["--", sys.executable, "-c", "pass"]
    ours = run(TOOL, ["--no-attribution", "-e", "task-clock,cycles"] + cmd)
    theirs = subprocess.run([perf, "stat", "-e", "task-clock,cycles"] + cmd[1:],
                            stderr=subprocess.PIPE)

    def shape(text):
        # digits vary run to run, and so does the width of a number's
        # integer part (task-clock here is close to 100 ms: 99.87 in one
        # run, 100.12 in the other); the layout must not
        return [re.sub(r"[0-9]", "9", re.sub(r"[0-9]+(?=\.[0-9])", "9", l))
                for l in text.splitlines()]
    o = shape(ours.report.decode())
    t = shape(theirs.stderr.decode())
    # perf prints a fixed number of digits, so only the numbers' widths move
    check(o[:6] == t[:6] or [l.replace(" ", "") for l in o[:6]] == [l.replace(" ", "") for l in t[:6]],
          "header and rows differ from perf:\n%s\n---\n%s" % ("\n".join(o[:8]), "\n".join(t[:8])))


def repeat_prints_noise():
    py = default_python3()
    res = run(TOOL, ["-r", "3", "-e", "task-clock", "--no-attribution", py, workload("busy.py"), "0.05"])
    text = res.report.decode()
    check(res.rc == 0 and "(3 runs)" in text, "-r 3 header", res)
    check(re.search(r"\( \+- *[0-9.]+% \)", text), "( +- x.xx% ) column", res)
    check("seconds time elapsed" in text, "footer", res)


def output_file():
    py = default_python3()
    with TempDir() as d:
        out = os.path.join(d, "report.csv")
        res = run(TOOL, ["-x,", "-o", out, "-e", "task-clock", py, workload("busy.py"), "0.05"])
        check(res.rc == 0, "runs", res)
        check(b"task-clock" not in res.stderr, "report went to the file, not stderr", res)
        with open(out) as f:
            check("task-clock" in f.read(), "report in %s" % out)
        check(os.listdir(d) == ["report.csv"], "no temporary file left: %r" % os.listdir(d))


def missing_script():
    res = run(TOOL, ["/nonexistent/script.py"])
    check(res.rc == 2 and b"cannot open script '/nonexistent/script.py'" in res.stderr,
          "missing script: exit 2 and names it", res)


def interpreter_not_found():
    res = run(TOOL, ["--python", "/nonexistent/python9", workload("busy.py")])
    check(res.rc == 127 and b"interpreter '/nonexistent/python9' not found" in res.stderr,
          "exit 127", res)
    env = dict(os.environ, PATH="/nonexistent")
    res = run(TOOL, [workload("busy.py")], env=env)
    check(res.rc == 127 and b"python3 not found on PATH" in res.stderr, "no python3 on PATH", res)


def command_not_found():
    res = run(TOOL, ["--", "no-such-command-pp"])
    check(res.rc == 127 and b"no-such-command-pp': command not found" in res.stderr, "exit 127", res)


def not_executable():
    with TempDir() as d:
        bad = os.path.join(d, "garbage")
        with open(bad, "wb") as f:
            f.write(b"\x7fELF\x00garbage that is no executable")
        os.chmod(bad, 0o755)
        res = run(TOOL, ["--", bad])
        check(res.rc == 126 and b"cannot run" in res.stderr, "exit 126", res)


def unknown_event():
    res = run(TOOL, ["-e", "instrutions", workload("busy.py")])
    check(res.rc == 2, "exit 2 before running", res)
    check(b"instructions" in res.stderr, "suggests the closest event", res)
    check(b"about to" not in res.stdout, "the target did not run", res)


def too_many_open_files():
    py = default_python3()

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (9, 9))
    res = run(TOOL, ["--no-attribution", py, workload("busy.py"), "0.01"], preexec_fn=limit)
    check(res.rc != 0 and b"too many open files" in res.stderr and b"ulimit -n" in res.stderr,
          "EMFILE names the cause and the fix", res)


def unprivileged_user():
    prefix = nobody_prefix()
    py = "/usr/bin/python3.11" if os.path.exists("/usr/bin/python3.11") else None
    if not py:
        raise Skip("no interpreter readable by nobody (/usr/bin/python3.11)")
    with TempDir(0o755) as d:
        script = os.path.join(d, "busy.py")
        shutil.copy(workload("busy.py"), script)
        os.chmod(script, 0o644)
        res = run(prefix[0], prefix[1:] + [TOOL, "-x,", "-e", SW, "--python", py, script, "0.2"],
                  cwd=d)
        check(res.rc == 0, "runs as nobody", res)
        ms = counted(res, "task-clock")
        check(ms is not None and ms >= 150, "task-clock counts as nobody", res)
        os.chmod(script, 0o600)
        res = run(prefix[0], prefix[1:] + [TOOL, "--python", py, script], cwd=d)
        check(res.rc == 2 and b"cannot read script" in res.stderr, "unreadable script", res)


def sigterm_forwarded():
    py = default_python3()
    p = subprocess.Popen([TOOL, "-x,", "-e", "task-clock", py, workload("sleeper.py")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        check(p.stdout.readline() == b"ready\n", "target started")
        time.sleep(0.2)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check(p.returncode == 143, "target died of the forwarded SIGTERM: %d %r" % (p.returncode, err))
    check(b"task-clock" in err, "report still printed: %r" % err)


def help_version_man_agree():
    res = run(TOOL, ["--help"])
    check(res.rc == 0, "--help", res)
    helptext = res.stdout.decode()
    man = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "docs", "pyperf-stat.1.in")
    with open(man) as f:
        mantext = f.read()
    help_opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", helptext))
    man_opts = set(o.replace("\\-", "-") for o in re.findall(r"\\-\\-[a-z](?:[a-z]|\\-)+", mantext))
    man_opts = set(re.sub(r"\\", "", o) for o in man_opts)
    check(help_opts == man_opts, "--help and the man page list different options:\n"
          "only in --help: %s\nonly in man: %s" % (sorted(help_opts - man_opts),
                                                   sorted(man_opts - help_opts)))
    ver = run(TOOL, ["--version"]).stdout.decode().split()
    check(ver[0] == "pyperf-stat" and re.match(r"^\d+\.\d+\.\d+$", ver[1]), "--version: %r" % ver)


def list_and_check():
    res = run(TOOL, ["list"])
    check(res.rc == 0 and b"task-clock" in res.stdout and b"instructions" in res.stdout, "list", res)
    res = run(TOOL, ["--check"])
    check(b"perf_event_paranoid" in res.stdout and b"Python interpreters" in res.stdout, "--check", res)


def main():
    tap = Tap()
    for label, py, why in interpreters():
        for case in (exit_status_passthrough, stdout_byte_for_byte, argv_env_cwd_stdin,
                     busy_half_second, page_faults_grow, child_process_counted):
            name = "%s %s" % (case.__name__, label)
            if py is None:
                tap.run(name, lambda w=why: (_ for _ in ()).throw(Skip(w)))
            else:
                tap.run(name, case, py)
    for case in (csv_matches_perf, json_keys_match_perf, text_layout_matches_perf,
                 repeat_prints_noise, output_file, missing_script, interpreter_not_found,
                 command_not_found, not_executable, unknown_event, too_many_open_files,
                 unprivileged_user, sigterm_forwarded, help_version_man_agree, list_and_check):
        tap.run(case.__name__, case)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
