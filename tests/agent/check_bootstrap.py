#!/usr/bin/env python3
"""The bootstrap leaves programs as they were (tests/agent, through the
driver, for every CPython found plus older ones to prove they are left
alone).  Prints one line per check; exits 1 on a failure.

usage: check_bootstrap.py DRIVER [PYTHON...]"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ground_truth import find_pythons  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FAILS = []

OBSERVE = r'''
import sys, os, threading, json
print("OBS " + json.dumps({
    "path": sys.path, "argv": sys.argv, "file": __file__,
    "main": sys.modules["__main__"].__file__,
    "threads": [t.name for t in threading.enumerate()],
    "sitecustomize": getattr(sys.modules.get("sitecustomize"), "__file__", None),
}))
'''


def driver_run(driver, argv, env=None, cwd=None, extra=()):
    agent_dir = os.path.join(os.path.dirname(driver), "src", "agent")
    p = subprocess.run([driver, "-a", agent_dir] + list(extra) + ["--"] + argv, capture_output=True, text=True,
                       env=env, cwd=cwd, timeout=300)
    stat = dict(re.findall(r"^stat (\w+) (.*)$", p.stdout, re.M))
    return p, stat


def check(name, ok, detail=""):
    print("%-4s %s %s" % ("ok" if ok else "FAIL", name, detail if not ok else ""))
    if not ok:
        FAILS.append(name)


def observe(out):
    import json
    m = re.search(r"^OBS (.*)$", out, re.M)
    return json.loads(m.group(1)) if m else None


def transparency(driver, py, tmp):
    script = os.path.join(tmp, "observe.py")
    with open(script, "w") as f:
        f.write(OBSERVE)
    plain = subprocess.run([py, script, "a", "b"], capture_output=True, text=True, cwd=tmp)
    p, stat = driver_run(driver, [py, script, "a", "b"], cwd=tmp)
    a, b = observe(plain.stdout), observe(p.stdout)
    check("%s: sys.path, argv, __file__, __main__, threads unchanged" % py,
          a is not None and b is not None and all(a[k] == b[k] for k in
                                                  ("path", "argv", "file", "main", "threads")),
          "\n  plain %s\n  agent %s" % (a, b))
    check("%s: agent loaded" % py, stat.get("agents") == "1", str(stat))
    check("%s: stderr empty" % py, p.stderr == "", p.stderr[-300:])
    # Without one of its own, the interpreter has no sitecustomize module
    # and ours stays in sys.modules (importlib re-inserts it after exec).
    if a and b and a["sitecustomize"]:
        check("%s: the distribution's sitecustomize still runs" % py,
              a["sitecustomize"] == b["sitecustomize"], "%s vs %s" % (a["sitecustomize"],
                                                                       b["sitecustomize"]))


def user_sitecustomize(driver, py, tmp):
    d = os.path.join(tmp, "usersite")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "sitecustomize.py"), "w") as f:
        f.write("import os\nos.environ['USER_SITECUSTOMIZE_RAN'] = '1'\n")
    env = dict(os.environ, PYTHONPATH=d)
    code = ("import os, sys; print('RAN', os.environ.get('USER_SITECUSTOMIZE_RAN'), "
            "sys.modules['sitecustomize'].__file__)")
    p, stat = driver_run(driver, [py, "-c", code], env=env)
    check("%s: user's sitecustomize on PYTHONPATH runs as sitecustomize" % py,
          "RAN 1 " + os.path.join(d, "sitecustomize.py") in p.stdout and stat.get("agents") == "1",
          p.stdout[-300:] + p.stderr[-300:])
    with open(os.path.join(d, "sitecustomize.py"), "w") as f:
        f.write("raise RuntimeError('boom from user sitecustomize')\n")
    plain = subprocess.run([py, "-c", "print('after')"], capture_output=True, text=True, env=env)
    p, stat = driver_run(driver, [py, "-c", "print('after')"], env=env)
    check("%s: its error is reported by site.py as without us" % py,
          plain.stderr == p.stderr and "after" in p.stdout and stat.get("agents") == "1",
          "plain %r agent %r" % (plain.stderr, p.stderr))


def no_state_dir(driver, py, tmp):
    boot = os.path.join(os.path.dirname(os.path.abspath(driver)), "src", "agent", "bootstrap")
    env = dict(os.environ, PYTHONPATH=boot)
    env.pop("PYPERF_STATE_DIR", None)
    script = os.path.join(tmp, "observe.py")
    a = observe(subprocess.run([py, script], capture_output=True, text=True, cwd=tmp).stdout)
    q = subprocess.run([py, script], capture_output=True, text=True, cwd=tmp, env=env)
    b = observe(q.stdout)
    check("%s: stray PYTHONPATH without PYPERF_STATE_DIR does nothing" % py,
          a and b and a["path"] == b["path"] and q.stderr == "" and "ctypes" not in q.stdout,
          "%s %s %r" % (a, b, q.stderr))


def isolated(driver, py):
    p, stat = driver_run(driver, [py, "-I", "-c", "pass"])
    check("%s: -I runs without the agent" % py, stat.get("agents") == "0" and p.stderr == "",
          str(stat) + p.stderr)


def fork_warning(driver, py):
    code = ("import os, sys, time\n"
            "x = sum(range(3000000))\n"
            "pid = os.fork()\n"
            "if pid == 0:\n    sum(range(3000000)); os._exit(0)\n"
            "os.waitpid(pid, 0)\nprint('forked')\n")
    p, stat = driver_run(driver, [py, "-W", "error::DeprecationWarning", "-c", code])
    check("%s: os.fork() sees no extra thread (3.12+ warning)" % py,
          "forked" in p.stdout and p.stderr == "" and stat.get("agents") == "2",
          p.stderr[-300:] + str(stat))


def crash_with_faulthandler(driver, py):
    code = ("import faulthandler, ctypes\nfaulthandler.enable()\n"
            "x = sum(range(2000000))\nctypes.string_at(0)\n")
    p, stat = driver_run(driver, [py, "-c", code])
    check("%s: a real crash still gets faulthandler's traceback and SIGSEGV" % py,
          "Fatal Python error: Segmentation fault" in p.stderr and stat.get("exit") == "139",
          p.stderr[-300:] + str(stat))


def exec_chain(driver, py):
    code = ("import os, sys\nx = sum(range(3000000))\n"
            "os.execv(sys.executable, [sys.executable, '-c', 'x = sum(range(3000000)); print(\"exec ok\")'])\n")
    p, stat = driver_run(driver, [py, "-c", code])
    check("%s: os.execv into Python: both images sampled" % py,
          "exec ok" in p.stdout and stat.get("agents") == "2" and stat.get("exit") == "0",
          p.stdout[-200:] + p.stderr[-300:] + str(stat))


def pool(driver, py):
    code = ("import multiprocessing as mp\n"
            "def f(n):\n    return sum(i * i for i in range(n))\n"
            "if __name__ == '__main__':\n"
            "    with mp.get_context('fork').Pool(4) as p:\n"
            "        print('pool', len(p.map(f, [200000] * 64)))\n")
    p, stat = driver_run(driver, [py, "-c", code])
    check("%s: multiprocessing fork Pool" % py,
          "pool 64" in p.stdout and stat.get("exit") == "0" and int(stat.get("agents", 0)) >= 5,
          p.stderr[-300:] + str(stat))


def old_pythons(driver):
    roots = [os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv")]
    olds = []
    for r in roots:
        if r:
            olds += glob.glob(os.path.join(r, "versions", "*", "bin", "python2.7"))
            olds += glob.glob(os.path.join(r, "versions", "*", "bin", "python3.[67]"))
    for py in sorted(set(olds)):
        p, stat = driver_run(driver, [py, "-c", "print('hello')"])
        want_problem = "python3." in py
        check("%s: left alone%s" % (py, ", with a reason" if want_problem else ""),
              "hello" in p.stdout and p.stderr == "" and stat.get("agents") == "0" and
              (not want_problem or "not supported" in stat.get("problem", "")),
              p.stderr[-300:] + str(stat))


def hardware_event(driver, py):
    p, stat = driver_run(driver, [py, "-c", "x = sum(range(1000000))"],
                         extra=("-e", "instructions"))
    check("%s: an event that cannot be opened gives a reason, no crash" % py,
          stat.get("exit") == "0" and "could not be opened" in stat.get("problem", ""),
          p.stderr[-300:] + str(stat))


def main(argv):
    driver = os.path.abspath(argv[1])
    pythons = argv[2:] or find_pythons()
    tmp = tempfile.mkdtemp(prefix="pyperf-check-")
    try:
        for py in pythons:
            transparency(driver, py, tmp)
            user_sitecustomize(driver, py, tmp)
            no_state_dir(driver, py, tmp)
            isolated(driver, py)
            fork_warning(driver, py)
            crash_with_faulthandler(driver, py)
            exec_chain(driver, py)
            pool(driver, py)
            hardware_event(driver, py)
        old_pythons(driver)
    finally:
        shutil.rmtree(tmp)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
