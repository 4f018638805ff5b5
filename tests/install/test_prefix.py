#!/usr/bin/env python3
"""Install: `meson install --destdir` stages the whole install in a
temporary directory, a prefix moved from where it was configured for, and
pyperf-stat run from there finds its agent, profiles a ground-truth
workload, and comes with its man page and shell completions (issue 10).

Usage: test_prefix.py MESON BUILD_DIR VERSION   (TAP on stdout)"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import HERE, Skip, Tap, check, clean_env, heavy_is_three_quarters, run  # noqa: E402

MESON, BUILD, VERSION = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]


class Staged:
    """The install's paths under DESTDIR, from the build's own options."""

    def __init__(self, destdir):
        out = subprocess.run([MESON, "introspect", "--buildoptions", BUILD],
                             stdout=subprocess.PIPE, check=True).stdout
        opts = {o["name"]: o["value"] for o in json.loads(out)}
        prefix = opts["prefix"]

        def under(name, *rest):
            d = opts[name] if os.path.isabs(opts[name]) else os.path.join(prefix, opts[name])
            return os.path.join(destdir + d, *rest)

        self.root = destdir
        self.tool = under("bindir", "pyperf-stat")
        self.agent = under("libdir", "pyperf-stat")
        self.man = under("mandir", "man1", "pyperf-stat.1")
        self.bash = under("datadir", "bash-completion", "completions", "pyperf-stat")
        self.zsh_dir = under("datadir", "zsh", "site-functions")


def installs_everything(st):
    proc = subprocess.run([MESON, "install", "-C", BUILD, "--no-rebuild", "--destdir", st.root],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    check(proc.returncode == 0, "meson install failed:\n" + proc.stdout.decode(errors="replace")[-3000:])
    for path in (st.tool, os.path.join(st.agent, "libpyperf-agent.so"),
                 os.path.join(st.agent, "bootstrap", "sitecustomize.py"),
                 st.man, st.bash, os.path.join(st.zsh_dir, "_pyperf-stat")):
        check(os.path.isfile(path), "not installed: " + os.path.relpath(path, st.root))
    check(os.access(st.tool, os.X_OK), "the binary is not executable")


def installed(st):
    if not os.path.isfile(st.tool):
        raise AssertionError("nothing installed (see the first case)")


def version_is_the_project_version(st):
    installed(st)
    res = run(st.tool, ["--version"], env=clean_env())
    check(res.rc == 0 and res.stdout.decode().strip() == "pyperf-stat " + VERSION,
          "--version does not print the meson project version " + VERSION, res)


def finds_its_own_agent(st):
    """The staged prefix is not the configured one: the binary must find
    the agent relative to itself, not at the configured libdir."""
    installed(st)
    res = run(st.tool, ["--check"], env=clean_env())
    text = res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace")
    line = next((l for l in text.splitlines() if l.startswith("Attribution agent:")), "")
    where = line.split(":", 1)[1].strip() if line else ""
    check(where and os.path.realpath(where) == os.path.realpath(st.agent),
          "--check does not name the staged agent %s" % st.agent, res)


def ground_truth_from_prefix(st):
    installed(st)
    if not shutil.which("python3"):
        raise Skip("python3 not on PATH")
    with tempfile.TemporaryDirectory(prefix="pp-install-") as cwd:
        heavy_is_three_quarters(st.tool, [], cwd, clean_env())


def man_page_renders(st):
    installed(st)
    if not shutil.which("man"):
        raise Skip("man (man-db) not installed")
    proc = subprocess.run(["man", "-P", "cat", "-l", st.man], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=clean_env(MANWIDTH="80"), timeout=60)
    text = proc.stdout.decode(errors="replace")
    check(proc.returncode == 0 and "PYPERF-STAT(1)" in text and "SYNOPSIS" in text
          and "--event" in text.replace("\u2010", "-"),
          "man -l did not render the page:\n" + text[:500] + proc.stderr.decode(errors="replace"))


def bash_complete(st, work, with_lib, words):
    env = clean_env(PATH=os.path.dirname(st.tool) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run(["bash", "--norc", "--noprofile", os.path.join(HERE, "complete.bash"),
                           st.bash, with_lib] + words, cwd=work, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60)
    return proc.stdout.decode().splitlines()


BASH_CASES = [
    # (words, candidates that must be offered, candidates that must not)
    (["pyperf-stat", "--vers"], ["--version"], []),
    (["pyperf-stat", "-e", "task-cl"], ["task-clock"], []),
    (["pyperf-stat", "-e", "task-clock,page-f"], ["task-clock,page-faults"], []),
    (["pyperf-stat", "--event=page-f"], ["page-faults"], []),
    (["pyperf-stat", "--sort", "task-c"], ["task-clock"], []),
    (["pyperf-stat", "--color", "a"], ["auto", "always"], ["never"]),
    (["pyperf-stat", "rec"], ["record"], []),
    (["pyperf-stat", ""], ["list", "record", "report", "work.py"], ["notes.txt"]),
    (["pyperf-stat", "record", "-o", "out.data", "w"], ["work.py"], []),
    (["pyperf-stat", "work.py", "n"], ["notes.txt"], []),
    (["pyperf-stat", "record", "--d"], ["--depth"], []),
]


def bash_completion(st, with_lib):
    installed(st)
    if with_lib == "yes" and not os.path.exists("/usr/share/bash-completion/bash_completion"):
        raise Skip("bash-completion not installed")
    with tempfile.TemporaryDirectory(prefix="pp-install-") as work:
        for name in ("work.py", "notes.txt"):
            open(os.path.join(work, name), "w").close()
        for words, want, unwanted in BASH_CASES:
            got = bash_complete(st, work, with_lib, words)
            check(all(w in got for w in want) and not any(u in got for u in unwanted),
                  "bash: %r offered %r, expected %r and none of %r" % (" ".join(words), got, want, unwanted))
        # a libpfm4 name: bash inserts only what follows the last ':'
        got = bash_complete(st, work, with_lib, ["pyperf-stat", "-e", "perf::CYC"])
        check("CYCLES" in got, "bash: perf::CYC offered %r" % got)


ZSH_CASES = [
    # (line, matches that must be offered, line after TAB or None)
    ("pyperf-stat --vers", ["--version"], "pyperf-stat --version "),
    ("pyperf-stat -e task-cl", ["task-clock"], "pyperf-stat -e task-clock,"),
    ("pyperf-stat -e task-clock,page-f", ["page-faults"], "pyperf-stat -e task-clock,page-faults,"),
    ("pyperf-stat --sort task-c", ["task-clock"], "pyperf-stat --sort task-clock "),
    ("pyperf-stat rec", ["record"], "pyperf-stat record "),
    ("pyperf-stat ", ["list", "record", "report", "work.py"], None),
    ("pyperf-stat record -e page-f", ["page-faults"], None),
]


def zsh_completion(st):
    installed(st)
    zsh = shutil.which("zsh")
    if not zsh:
        raise Skip("zsh not installed")
    env = clean_env(PATH=os.path.dirname(st.tool) + os.pathsep + os.environ.get("PATH", ""))
    for line, want, after in ZSH_CASES:
        with tempfile.TemporaryDirectory(prefix="pp-install-") as work:
            for name in ("work.py", "notes.txt"):
                open(os.path.join(work, name), "w").close()
            proc = subprocess.run([zsh, "-f", os.path.join(HERE, "complete.zsh"), st.zsh_dir, work, line],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            if proc.returncode == 77:
                raise Skip("zsh has no zsh/zpty module")
            out = proc.stdout.decode(errors="replace").splitlines()
            matches = [l[6:] for l in out if l.startswith("match ")]
            buffer = next((l[7:] for l in out if l.startswith("buffer ")), None)
            check(all(w in matches for w in want) and "notes.txt" not in matches
                  and (after is None or buffer == after),
                  "zsh: %r offered %r and left %r; expected %r and %r\n%s" % (
                      line, matches, buffer, want, after, proc.stderr.decode(errors="replace")))


def main():
    tap = Tap()
    destdir = tempfile.mkdtemp(prefix="pp-install-")
    try:
        st = Staged(destdir)
        tap.run("meson install --destdir: binary, agent, man page, completions", installs_everything, st)
        tap.run("--version prints the meson project version", version_is_the_project_version, st)
        tap.run("the moved prefix's binary finds its own agent", finds_its_own_agent, st)
        tap.run("from the prefix: heavy gets 75% +- 5 of task-clock", ground_truth_from_prefix, st)
        tap.run("man -l renders the installed page", man_page_renders, st)
        tap.run("bash completion (plain bash)", bash_completion, st, "no")
        tap.run("bash completion (with bash-completion)", bash_completion, st, "yes")
        tap.run("zsh completion", zsh_completion, st)
    finally:
        shutil.rmtree(destdir, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
