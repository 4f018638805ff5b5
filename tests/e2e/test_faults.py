#!/usr/bin/env python3
"""End-to-end: faults pyperf-stat must survive, and what it leaves behind
(issue 8; docs/reliability.md lists every case with what happens).

Usage: test_faults.py PYPERF_STAT   (TAP on stdout; meson runs it)

The target is killed, crashes, gets Ctrl-C from a terminal (a pty here),
cannot load the agent, or runs where perf_event_open is denied; the
launcher runs under valgrind; its temporary state, its -o files and the
environment its children see are checked.  After every case nothing may
be left behind (lib.py's check of the suite's own $XDG_RUNTIME_DIR;
state_dir_private looks at the default, /dev/shm).  Cases that need root
(mounting a tmpfs), a C compiler, valgrind or an interpreter that is
absent skip, saying why."""
import errno
import glob
import os
import pty
import re
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (HERE, Skip, Tap, TempDir, check, interpreters,  # noqa: E402
                 run, workload)

TOOL = os.path.abspath(sys.argv[1])
FAULTS = workload("faults.py")

# What the launcher adds to the target's environment (src/collect.c,
# build_env); test env_seen_by_non_python_child keeps this list honest.
AGENT_ENV = {"PYTHONPATH", "PYPERF_STATE_DIR", "PYPERF_AGENT_LIB", "PYPERF_EVENTS",
             "PYPERF_DEPTH", "PYPERF_SIGNAL_FALLBACK", "PYPERF_NATIVE", "PYPERF_EXACT"}


# ---- helpers ----

def any_python():
    """Debian's python3.11 when present (a real binary, not a pyenv shim),
    else the first interpreter found."""
    found = [p for _, p, _ in interpreters() if p]
    system = [p for p in found if p.startswith("/usr/bin/")]
    if not found:
        raise Skip("no Python interpreter found")
    return (system or found)[0]


def text(res):
    return res.stderr.decode(errors="replace")


def check_report(res, what, function="spin"):
    """The totals, and the per-function table naming FUNCTION, were printed."""
    err = text(res)
    check(re.search(r"[0-9.]+ msec task-clock", err), "%s: no task-clock total" % what, res)
    if function:
        check(re.search(r"^ +[0-9.]+ .* %s +\S*faults\.py:" % function, err, re.M),
              "%s: no per-function row for %s()" % (what, function), res)


def read_ready(stream, timeout=30):
    """PID from the target's "ready PID" line (tests/e2e/workloads/faults.py)."""
    r, _, _ = select.select([stream], [], [], timeout)
    check(r, "the target never said it was ready")
    line = stream.readline().split()
    check(len(line) == 2 and line[0] == b"ready", "unexpected first line %r" % line)
    return int(line[1])


class Proc:
    """pyperf-stat started in the background; .finish() collects it."""

    def __init__(self, args, **kw):
        self.p = subprocess.Popen([TOOL] + args, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, **kw)

    def finish(self, timeout=60):
        try:
            out, err = self.p.communicate(timeout=timeout)
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()
        return Res(self.p.returncode, out, err)


class Res:
    def __init__(self, rc, stdout, stderr):
        self.rc, self.stdout, self.stderr, self.report = rc, stdout, stderr, stderr

    def __repr__(self):
        return "exit %s\n--- stdout\n%s\n--- stderr\n%s" % (
            self.rc, self.stdout.decode(errors="replace")[-2000:],
            self.stderr.decode(errors="replace")[-3000:])


def run_in_pty(argv, env=None, timeout=60):
    """Runs ARGV as the foreground job of a new terminal (a pty), types
    Ctrl-C once the target says it is ready, and returns (exit status as
    a shell reports it, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(argv[0], argv, env or os.environ)
        finally:
            os._exit(127)
    shown, sent = b"", False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError as e:   # EIO: every writer closed the terminal
                    if e.errno != errno.EIO:
                        raise
                    break
                if not chunk:
                    break
                shown += chunk
            if not sent and re.search(rb"ready \d+", shown):
                time.sleep(0.5)        # let it spin: samples to report
                os.write(fd, b"\x03")  # the terminal's VINTR
                sent = True
    finally:
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    check(sent, "the target never said it was ready:\n%s" % shown.decode(errors="replace"))
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
    return code, shown.decode(errors="replace")


def need_root(what):
    if os.geteuid() != 0:
        raise Skip("needs root to %s" % what)


class Tmpfs:
    """A tmpfs mounted with OPTIONS on a fresh private directory."""

    def __init__(self, options):
        self.options = options

    def __enter__(self):
        need_root("mount a tmpfs")
        self.dir = tempfile.mkdtemp(prefix="pp-e2e-")
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", self.options, "none", self.dir],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if res.returncode != 0:
            os.rmdir(self.dir)
            raise Skip("cannot mount a tmpfs here: %s" % res.stdout.decode().strip())
        return self.dir

    def __exit__(self, *exc):
        subprocess.run(["umount", self.dir])
        shutil.rmtree(self.dir, ignore_errors=True)


def state_dirs(base):
    return sorted(os.path.join(base, n) for n in os.listdir(base) if n.startswith("pyperf-stat."))


def build_deny_perf(d):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        raise Skip("no C compiler to build tests/e2e/deny_perf.c")
    exe = os.path.join(d, "deny_perf")
    res = subprocess.run([cc, "-O2", "-o", exe, os.path.join(HERE, "deny_perf.c")],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(res.returncode == 0, "deny_perf.c does not build:\n" + res.stdout.decode())
    probe = subprocess.run([exe, "true"], stderr=subprocess.PIPE)
    if probe.returncode != 0:
        raise Skip("seccomp filters are not available: %s" % probe.stderr.decode().strip())
    return exe


# ---- the target dies ----

def sigkill_target_midway():
    py = any_python()
    p = Proc(["-e", "task-clock", "--", py, FAULTS, "wait"])
    pid = read_ready(p.p.stdout)
    time.sleep(0.8)
    os.kill(pid, signal.SIGKILL)
    res = p.finish()
    check(res.rc == 137, "exit 128 + SIGKILL", res)
    check_report(res, "after SIGKILL")
    check("pyperf-stat: the target was killed by signal 9 (SIGKILL)" in text(res),
          "the report says why the run ended", res)


def segv_midway(py):
    res = run(TOOL, ["-e", "task-clock", "--", py, FAULTS, "segv-ctypes"],
              preexec_fn=no_core)
    check(res.rc == 139, "exit 128 + SIGSEGV (the agent's fault handler passes the "
          "target's own faults on)", res)
    check_report(res, "after SIGSEGV")
    check("pyperf-stat: the target crashed with signal 11 (SIGSEGV)" in text(res),
          "the report says why the run ended", res)


def segv_sent_to_itself():
    res = run(TOOL, ["-e", "task-clock", "--", any_python(), FAULTS, "segv-kill"],
              preexec_fn=no_core)
    check(res.rc == 139, "exit 128 + SIGSEGV", res)
    check_report(res, "after kill(getpid(), SIGSEGV)")
    check("crashed with signal 11 (SIGSEGV)" in text(res), "the cause", res)


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# ---- signals ----

def ctrl_c_caught_by_target():
    code, shown = run_in_pty([TOOL, "-e", "task-clock", "--", any_python(), FAULTS,
                              "sigint-catch"])
    check(code == 0, "the target caught KeyboardInterrupt and exited 0; got %d:\n%s"
          % (code, shown))
    check(shown.count("caught") == 1, "one SIGINT reached the target, once:\n" + shown)
    check("Traceback" not in shown, "no second SIGINT interrupted its handler:\n" + shown)
    check(re.search(r"[0-9.]+ msec task-clock", shown), "report printed:\n" + shown)


def ctrl_c_not_caught():
    code, shown = run_in_pty([TOOL, "-e", "task-clock", "--", any_python(), FAULTS, "sigint"])
    check(code == 130, "exit 130 as without pyperf-stat; got %d:\n%s" % (code, shown))
    check("KeyboardInterrupt" in shown, "the target's own traceback:\n" + shown)
    check(re.search(r"[0-9.]+ msec task-clock", shown), "report printed:\n" + shown)
    check("killed by signal 2 (SIGINT)" in shown, "the cause:\n" + shown)


def forwarded(sig, want_rc, want_text):
    def case():
        p = Proc(["-e", "task-clock", "--", any_python(), FAULTS, "wait"], preexec_fn=no_core)
        read_ready(p.p.stdout)
        time.sleep(0.5)
        p.p.send_signal(sig)
        res = p.finish()
        check(res.rc == want_rc, "exit %d" % want_rc, res)
        check_report(res, "after %s sent to pyperf-stat" % signal.Signals(sig).name)
        check(want_text in text(res), "the cause: %r" % want_text, res)
    return case


# ---- the agent cannot load ----

NO_AGENT = "no Python process loaded the agent"


def no_agent(flag):
    def case():
        res = run(TOOL, ["-e", "task-clock", "--", any_python(), flag, workload("busy.py"), "0.1"])
        check(res.rc == 0, "the target ran", res)
        check_report(res, "python " + flag, function=None)
        notes = [l for l in text(res).splitlines() if NO_AGENT in l]
        check(len(notes) == 1 and "-I or -S" in notes[0], "one line says why", res)
    return case


def no_ctypes():
    with TempDir() as d:
        with open(os.path.join(d, "ctypes.py"), "w") as f:
            f.write('raise ImportError("no ctypes in this interpreter")\n')
        env = dict(os.environ, PYTHONPATH=d)
        res = run(TOOL, ["-e", "task-clock", "--", any_python(), workload("busy.py"), "0.1"],
                  env=env)
    check(res.rc == 0, "the target ran", res)
    check_report(res, "without ctypes", function=None)
    notes = [l for l in text(res).splitlines() if "cannot load the agent" in l]
    check(len(notes) == 1 and "no ctypes in this interpreter" in notes[0],
          "one line names the agent and the ImportError", res)


def state_dir_noexec():
    # The agent is loaded from the install directory, never from the
    # state directory, whose files are only mapped read-write: noexec
    # must change nothing.
    with Tmpfs("noexec,mode=0700") as base:
        env = dict(os.environ, XDG_RUNTIME_DIR=base)
        res = run(TOOL, ["-e", "task-clock", "--", any_python(), FAULTS, "segv-kill"],
                  env=env, preexec_fn=no_core)
        check(res.rc == 139, "ran to its crash", res)
        check_report(res, "noexec state directory")
        check(state_dirs(base) == [], "state directory removed: %r" % state_dirs(base))


def state_dir_full():
    # 32 KiB: the directory is made, the agent's ring (64 KiB at least) is not.
    with Tmpfs("size=32k,mode=0700") as base:
        env = dict(os.environ, XDG_RUNTIME_DIR=base)
        res = run(TOOL, ["-e", "task-clock", "--", any_python(), workload("busy.py"), "0.1"],
                  env=env)
        check(res.rc == 0, "the target ran unharmed", res)
        check_report(res, "full state directory", function=None)
        check("No space left on device" in text(res), "says the ring did not fit", res)
        check(state_dirs(base) == [], "state directory removed: %r" % state_dirs(base))


# ---- perf_event_open denied (seccomp) ----

def seccomp_in_target():
    with TempDir() as d:
        deny = build_deny_perf(d)
        res = run(TOOL, ["-e", "task-clock", "--", deny, any_python(), workload("busy.py"), "0.1"])
    check(res.rc == 0, "the target ran", res)
    check_report(res, "perf_event_open denied inside the target", function=None)
    check(re.search(r"could not be opened: Operation not permitted|seccomp", text(res)),
          "one line says the agent's events were refused", res)


def seccomp_everywhere():
    with TempDir() as d:
        deny = build_deny_perf(d)
        res = run(deny, [TOOL, "-e", "task-clock", "--", any_python(), workload("busy.py"),
                         "0.1"])
    check(res.rc == 0, "the target still runs when nothing can be counted", res)
    check("<not supported>" in text(res) and "task-clock" in text(res),
          "rows print <not supported>", res)
    check("seccomp" in text(res),
          "the message names the seccomp filter, not perf_event_paranoid", res)


def paranoid_3():
    """perf_event_paranoid=3 (Debian, Android): EACCES for every event,
    simulated by an LD_PRELOAD library since mainline kernels treat 3 as 2."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise Skip("no C compiler to build tests/e2e/eacces_perf.c")
    with TempDir() as d:
        so = os.path.join(d, "eacces_perf.so")
        b = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", so,
                            os.path.join(HERE, "eacces_perf.c"), "-ldl"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        check(b.returncode == 0, "eacces_perf.c does not build:\n" + b.stdout.decode())
        env = dict(os.environ, LD_PRELOAD=so)
        # an ASan build wants its runtime first in the library list; the
        # preloaded library only replaces syscall(), which ASan does not
        # intercept
        asan = os.environ.get("ASAN_OPTIONS")
        env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
        res = run(TOOL, ["-e", "task-clock", "--", any_python(), workload("busy.py"), "0.1"],
                  env=env)
    check(res.rc == 0, "the target still runs when nothing can be counted", res)
    check("<not supported>" in text(res) and "task-clock" in text(res),
          "rows print <not supported>", res)
    check("perf_event_paranoid" in text(res) and "seccomp filter" not in text(res),
          "the message names perf_event_paranoid and what to do", res)


# ---- temporary state ----

def state_dir_private():
    """In the default place (/dev/shm, else /tmp), found by the target's
    pid among the files of the agent, since other runs may share it."""
    env = dict(os.environ)
    env.pop("XDG_RUNTIME_DIR", None)
    p = Proc(["-e", "task-clock", "--", any_python(), FAULTS, "wait"], env=env)
    try:
        pid = read_ready(p.p.stdout)
    except Exception:
        p.p.kill()
        p.finish()
        raise
    try:
        time.sleep(0.3)
        mine = [d for base in ("/dev/shm", "/tmp") if os.path.isdir(base)
                for d in state_dirs(base)
                if any(n.startswith("%d-" % pid) for n in _listdir(d))]
        check(len(mine) == 1, "one state directory holds the target's files: %r" % mine)
        st = os.lstat(mine[0])
        check(stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700,
              "%s: mode %o, not 0700" % (mine[0], stat.S_IMODE(st.st_mode)))
        check(st.st_uid == os.geteuid(), "owned by uid %d" % st.st_uid)
        names = _listdir(mine[0])
        check(any(n.endswith(".ring") for n in names), "the agent's ring is there: %r" % names)
    finally:
        os.kill(pid, signal.SIGTERM)
        res = p.finish()
    check(res.rc == 143, "ended by SIGTERM", res)
    check(not os.path.exists(mine[0]), "%s removed at the end" % mine[0])


def _listdir(d):
    try:
        return os.listdir(d)
    except OSError:
        return []


def sigkill_pyperf_stat():
    """Nothing runs after SIGKILL: the state directory stays, and the
    target, like perf stat's workload, runs on.  Here we check that it
    does run on unharmed and that what remains is one private directory."""
    with TempDir() as base:
        env = dict(os.environ, XDG_RUNTIME_DIR=base)
        p = Proc(["-e", "task-clock", "--", any_python(), workload("sleeper.py"), "1.5"], env=env)
        check(p.p.stdout.readline() == b"ready\n", "target started")
        time.sleep(0.3)
        target = [int(t) for t in os.listdir("/proc") if t.isdigit() and
                  _ppid(int(t)) == p.p.pid]
        p.p.kill()
        p.p.wait()
        check(len(target) == 1, "one child: %r" % target)
        deadline = time.monotonic() + 20
        while os.path.exists("/proc/%d" % target[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        check(not os.path.exists("/proc/%d" % target[0]), "the target finished by itself")
        p.p.stdout.close()
        p.p.stderr.close()
        left = state_dirs(base)
        check(len(left) <= 1, "at most one directory remains: %r" % left)
        for d in left:
            check(stat.S_IMODE(os.lstat(d).st_mode) == 0o700, "and it is private")
            print("# after SIGKILL of pyperf-stat: %s remains (%d bytes)" % (
                os.path.basename(d), sum(os.path.getsize(os.path.join(d, n))
                                         for n in os.listdir(d))))


def stale_state_dir_removed():
    """A run removes what a launcher killed by SIGKILL left in the same
    place, and nothing of a run that is alive: while a live session runs,
    another is killed; the next run removes the killed one's directory,
    though its target still runs and samples, and keeps the live one's."""
    py = any_python()
    with TempDir() as base:
        env = dict(os.environ, XDG_RUNTIME_DIR=base)
        live = Proc(["-e", "task-clock", "--", py, workload("sleeper.py"), "30"], env=env)
        killed, orphan = None, None
        try:
            check(live.p.stdout.readline() == b"ready\n", "the live session's target started")
            live_dir = state_dirs(base)
            check(len(live_dir) == 1, "one directory for the live session: %r" % live_dir)
            killed = Proc(["-e", "task-clock", "--", py, FAULTS, "wait"], env=env)
            orphan = read_ready(killed.p.stdout)
            killed_dir = [d for d in state_dirs(base) if d not in live_dir]
            check(len(killed_dir) == 1, "one more directory: %r" % state_dirs(base))
            killed.p.kill()
            killed.p.wait()
            check(os.path.isdir(killed_dir[0]) and os.listdir(killed_dir[0]),
                  "SIGKILL left %s and its files" % killed_dir[0])
            check(_alive(orphan), "the killed launcher's target runs on")

            res = run(TOOL, ["-e", "task-clock", "--", py, workload("busy.py"), "0.1"], env=env)
            check(res.rc == 0, "the next run", res)
            check(not os.path.exists(killed_dir[0]), "the next run removed %s" % killed_dir[0], res)
            check(state_dirs(base) == live_dir, "the live session's directory is kept: %r"
                  % state_dirs(base), res)
            check(any(n.endswith(".ring") for n in os.listdir(live_dir[0])),
                  "with the files its agent writes: %r" % os.listdir(live_dir[0]))
            check(_alive(orphan), "the orphaned target is unharmed by the removal")
        finally:
            if orphan and _alive(orphan):
                os.kill(orphan, signal.SIGKILL)
            if killed and killed.p.poll() is None:
                killed.p.kill()
            if killed:
                killed.finish()
            live.p.terminate()
            res = live.finish()
        check(res.rc == 143, "the live session ends normally (SIGTERM forwarded)", res)
        check(re.search(r"[0-9.]+ msec task-clock", text(res)), "with its report", res)
        check(state_dirs(base) == [], "and removes its directory: %r" % state_dirs(base))
        deadline = time.monotonic() + 20
        while _alive(orphan) and time.monotonic() < deadline:
            time.sleep(0.1)


def _alive(pid):
    """PID runs (a zombie waiting for init to reap it does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


# ---- files written ----

def output_readonly_dir():
    with Tmpfs("ro,mode=0755") as d:
        out = os.path.join(d, "report.txt")
        for args in (["-o", out], ["--save", out], ["record", "-o", out]):
            cmd = args[:1] if args[0] == "record" else []
            rest = args[1:] if cmd else args
            res = run(TOOL, cmd + rest + ["-e", "task-clock", "--", any_python(),
                                          workload("busy.py"), "0.05"])
            check(res.rc != 0, "%s: fails" % " ".join(args), res)
            check(("cannot write '%s'" % out) in text(res) or
                  ("cannot save the profile to '%s'" % out) in text(res),
                  "%s: says which file" % " ".join(args), res)
            check(os.listdir(d) == [], "%s: nothing written: %r" % (" ".join(args), os.listdir(d)))


def output_disk_full():
    """A full file system: the old file stays whole, no temporary remains,
    and the message says the disk is full."""
    with Tmpfs("size=16k,mode=0755") as d:
        out = os.path.join(d, "report.txt")
        with open(out, "w") as f:
            f.write("old report\n")
        with open(os.path.join(d, "fill"), "wb") as f:
            try:
                f.write(b"\0" * (64 << 10))
                f.flush()
            except OSError:
                pass
        for args in (["-o", out], ["--save", out]):
            res = run(TOOL, args + ["-e", "task-clock", "--", any_python(), workload("busy.py"),
                                    "0.05"])
            check(res.rc != 0, "%s: fails" % args[0], res)
            check(sorted(os.listdir(d)) == ["fill", "report.txt"],
                  "%s: no temporary left: %r" % (args[0], os.listdir(d)))
            with open(out) as f:
                check(f.read() == "old report\n", "%s: the old file is untouched" % args[0])
            check("No space left on device" in text(res), "%s: names ENOSPC" % args[0], res)


def profile_size_bounded():
    with TempDir() as d:
        big = os.path.join(d, "big.data")
        with open(big, "wb") as f:
            f.truncate((512 << 20) + 1)  # sparse: PP_PROFILE_FILE_MAX_SIZE + 1
        res = run(TOOL, ["report", big])
        check(res.rc == 2 and b"more than" in res.stderr, "a file over the limit is refused", res)
    # A stream that never ends is not a profile, and its first bytes say so.
    p = subprocess.Popen([TOOL, "report", "/dev/zero"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=120)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = Res(p.returncode, out, err)
    check(p.returncode == 2 and b"not a pyperf-stat profile" in err,
          "report /dev/zero: refused by its first bytes", res)
    # ru_maxrss covers every child so far: the largest before this one was
    # an interpreter (tens of MB), far below the 512 MiB read otherwise.
    check(ru.ru_maxrss < 256 << 10, "report /dev/zero peaked at %d MiB" % (ru.ru_maxrss >> 10), res)


# ---- environment ----

def env_seen_by_non_python_child():
    user_path = "/nonexistent/user-site"
    env = dict((k, v) for k, v in os.environ.items()
               if not k.startswith("PYPERF_") and k != "PYTHONPATH")
    env["PYTHONPATH"] = user_path
    res = run(TOOL, ["-e", "task-clock", "--", "sh", "-c", "env"], env=env)
    check(res.rc == 0, "runs", res)
    seen = dict(l.split("=", 1) for l in res.stdout.decode().splitlines() if "=" in l)
    added = {k for k in seen if k not in env or seen[k] != env[k]}
    check(added == AGENT_ENV, "variables a non-Python child sees changed: %s (documented: %s)"
          % (sorted(added), sorted(AGENT_ENV)), res)
    check(seen["PYTHONPATH"].endswith(":" + user_path), "the user's PYTHONPATH comes last", res)
    check(seen["PYTHONPATH"].split(":")[0].endswith("/bootstrap"), "ours first", res)
    check(not os.path.exists(seen["PYPERF_STATE_DIR"]), "the state directory it names is gone")
    # The bootstrap must not break an interpreter the agent does not
    # support that a non-Python child starts (Python 2 syntax, old 3.x).
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    olds = sorted(p for v in ("2.7", "3.6", "3.7") for p in
                  glob.glob(os.path.join(root, "versions", v + ".*", "bin",
                                                       "python" + v)))
    for old in olds:
        res = run(TOOL, ["-e", "task-clock", "--", "sh", "-c",
                         '"$0" -c "import sys; sys.stdout.write(\'old ok\\n\')"', old])
        check(res.rc == 0 and res.stdout == b"old ok\n", "%s under sh runs unharmed" % old, res)
    if not olds:
        print("# no Python 2.7/3.6/3.7 under %s: old grandchildren not tried" % root)


# ---- valgrind ----

def valgrind_clean():
    vg = shutil.which("valgrind")
    if not vg:
        raise Skip("valgrind not installed")
    ldd = subprocess.run(["ldd", TOOL], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if b"libasan" in ldd.stdout or b"libtsan" in ldd.stdout:
        raise Skip("this pyperf-stat is built with a sanitizer, which valgrind cannot run")
    # --vgdb=no: no gdbserver pipes in /tmp (they stay when valgrind is killed)
    res = run(vg, ["--vgdb=no", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite,indirect",
                   "--trace-children=no", TOOL, "-e", "task-clock", "--",
                   any_python(), workload("busy.py"), "0.2"], timeout=300)
    check(res.rc == 0, "exit 0 under valgrind (99: memcheck found errors)", res)
    check(b"ERROR SUMMARY: 0 errors" in res.stderr, "ERROR SUMMARY: 0", res)
    check(b"definitely lost: 0 bytes" in res.stderr or b"All heap blocks were freed" in res.stderr,
          "no leak", res)
    check_report(res, "under valgrind", function=None)


def main():
    tap = Tap()
    for label, py, why in interpreters():
        name = "segv_midway %s" % label
        if py is None:
            tap.run(name, lambda w=why: (_ for _ in ()).throw(Skip(w)))
        else:
            tap.run(name, segv_midway, py)
    cases = [
        ("sigkill_target_midway", sigkill_target_midway),
        ("segv_sent_to_itself", segv_sent_to_itself),
        ("ctrl_c_caught_by_target", ctrl_c_caught_by_target),
        ("ctrl_c_not_caught", ctrl_c_not_caught),
        ("sigint_sent_to_pyperf_stat", forwarded(signal.SIGINT, 130, "killed by signal 2 (SIGINT)")),
        ("sighup_forwarded", forwarded(signal.SIGHUP, 129,
                                       "killed by signal 1 (SIGHUP) (sent to pyperf-stat and forwarded)")),
        ("sigquit_forwarded", forwarded(signal.SIGQUIT, 131, "signal 3 (SIGQUIT)")),
        ("agent_not_loaded_python_I", no_agent("-I")),
        ("agent_not_loaded_python_S", no_agent("-S")),
        ("agent_not_loaded_no_ctypes", no_ctypes),
        ("state_dir_noexec", state_dir_noexec),
        ("state_dir_full", state_dir_full),
        ("seccomp_in_target", seccomp_in_target),
        ("seccomp_everywhere", seccomp_everywhere),
        ("state_dir_private", state_dir_private),
        ("sigkill_pyperf_stat", sigkill_pyperf_stat),
        ("stale_state_dir_removed", stale_state_dir_removed),
        ("output_readonly_dir", output_readonly_dir),
        ("output_disk_full", output_disk_full),
        ("profile_size_bounded", profile_size_bounded),
        ("paranoid_3", paranoid_3),
        ("env_seen_by_non_python_child", env_seen_by_non_python_child),
        ("valgrind_clean", valgrind_clean),
    ]
    only = sys.argv[2:]
    for name, case in cases:
        if not only or name in only:
            tap.run(name, case)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
