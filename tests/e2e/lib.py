"""Shared helpers of the end-to-end suites: TAP output, interpreter
discovery, running pyperf-stat, parsing its -x output, and the check
that nothing is left behind in /tmp or /dev/shm.

Standard library only: the runner itself may run under any Python 3.8+.
"""
import atexit
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOADS = os.path.join(HERE, "workloads")


class Skip(Exception):
    """Raised by a case that cannot run here; the message says why."""


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.skipped = 0

    def run(self, name, fn, *args):
        self.n += 1
        before = leftovers()
        try:
            fn(*args)
            after = leftovers() - before
            if after:
                raise AssertionError("left behind: %s" % sorted(after))
            print("ok %d - %s" % (self.n, name))
        except Skip as e:
            self.skipped += 1
            print("ok %d - %s # SKIP %s" % (self.n, name, e))
        except Exception as e:  # a failing case must not stop the others
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            for line in str(e).splitlines() or [repr(e)]:
                print("#   " + line)
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        passed = self.n - self.failed - self.skipped
        print("# %d passed, %d failed, %d skipped" % (passed, self.failed, self.skipped))
        return 1 if self.failed else 0


# Every suite keeps pyperf-stat's state in a directory of its own: the
# collector prefers $XDG_RUNTIME_DIR to /dev/shm, so the check after each
# case is exact even while other pyperf-stat runs come and go in /dev/shm
# (a benchmark, a developer's session). Removed when the suite ends.
RUNTIME_DIR = tempfile.mkdtemp(prefix="pp-e2e-run-")
os.chmod(RUNTIME_DIR, 0o700)
os.environ["XDG_RUNTIME_DIR"] = RUNTIME_DIR
atexit.register(shutil.rmtree, RUNTIME_DIR, True)


def leftovers():
    """What pyperf-stat could leave behind: anything in this suite's
    runtime directory, and its state directories in /tmp (the last
    fallback, used by no one else)."""
    found = set(os.path.join(RUNTIME_DIR, n) for n in os.listdir(RUNTIME_DIR))
    found.update(glob.glob("/tmp/pyperf-stat.*"))
    return found


def interpreters():
    """(label, path or None, reason) for every interpreter the suites cover.

    pyenv's CPython 3.8-3.13 (shared libpython) and Debian's python3.11
    (static); absent ones come back with path None and a reason."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    out = []
    for minor in range(8, 14):
        hits = sorted(glob.glob(os.path.join(root, "versions", "3.%d.*" % minor,
                                             "bin", "python3.%d" % minor)))
        label = "pyenv-3.%d" % minor
        if hits:
            out.append((label, hits[-1], None))
        else:
            out.append((label, None, "CPython 3.%d not installed under %s" % (minor, root)))
    for extra in sorted(glob.glob(os.path.join(root, "versions", "3.1[4-9]*", "bin", "python3.1[4-9]"))):
        out.append(("pyenv-" + os.path.basename(extra)[6:], extra, None))
    system = "/usr/bin/python3.11"
    if os.path.exists(system):
        out.append(("debian-3.11", system, None))
    else:
        out.append(("debian-3.11", None, "Debian's /usr/bin/python3.11 is absent"))
    return out


class Result:
    def __init__(self, proc, report=None):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.report = report if report is not None else proc.stderr

    def __repr__(self):
        return "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (
            self.rc, self.stdout.decode(errors="replace")[-3000:],
            self.stderr.decode(errors="replace")[-3000:])


def run(tool, args, timeout=120, **kw):
    proc = subprocess.run([tool] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          timeout=timeout, **kw)
    return Result(proc)


def parse_csv(text, sep=","):
    """perf stat -x rows -> {event: (value or None, fields)}; other rows ignored."""
    rows = {}
    for line in text.splitlines():
        f = line.split(sep)
        if len(f) < 7 or line.startswith("#"):
            continue
        if f[0] in ("scope",) or f[0] in ("function", "line") and len(f) > 10:
            continue
        try:
            val = float(f[0])
        except ValueError:
            val = None
        rows[f[2]] = (val, f)
    return rows


def workload(name):
    return os.path.join(WORKLOADS, name)


class TempDir:
    """A private temporary directory, removed on exit (tests leave nothing)."""

    def __init__(self, mode=0o700):
        self.mode = mode

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="pp-e2e-")
        os.chmod(self.path, self.mode)
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def check(cond, msg, res=None):
    if not cond:
        raise AssertionError(msg + ("\n" + repr(res) if res is not None else ""))


def nobody_prefix():
    """Command prefix that runs as user nobody, or Skip."""
    if os.geteuid() != 0:
        raise Skip("needs root to switch to user nobody")
    setpriv = shutil.which("setpriv")
    if not setpriv:
        raise Skip("setpriv (util-linux) not installed")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


def find_num(pattern, text):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None
