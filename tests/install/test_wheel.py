#!/usr/bin/env python3
"""Install: the wheel that `pip install .` builds (meson-python) holds the
C binary as its `pyperf-stat` script plus the agent, is tagged for any
Python 3 on this platform, and works installed into a fresh venv of
another interpreter, profiling a target run by a third one (issue 10).

Builds with pyenv's CPython 3.12 where present; needs PyPI (for
meson-python) and `python -m venv`, and skips, saying why, without them.
Everything, pip's cache and temporary files included, lives in one
temporary directory removed at the end.

Usage: test_wheel.py SOURCE_DIR VERSION   (TAP on stdout)"""
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Skip, Tap, check, clean_env, heavy_is_three_quarters, run  # noqa: E402
from lib import interpreters  # noqa: E402

SOURCE, VERSION = os.path.abspath(sys.argv[1]), sys.argv[2]


def version_of(python):
    out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         stdout=subprocess.PIPE, timeout=60).stdout
    return out.decode().strip()


def vtuple(python):
    return tuple(int(x) for x in version_of(python).split("."))


def pick_interpreters():
    """(builder, installer, target): three interpreters, as distinct as
    this machine allows, the builder >= 3.10 (meson-python's need)."""
    found = [(label, path) for label, path, _ in interpreters() if path]
    if sys.executable and all(os.path.realpath(p) != os.path.realpath(sys.executable) for _, p in found):
        found.append(("this", sys.executable))
    by_label = dict(found)
    builder = by_label.get("pyenv-3.12") or next(
        (p for _, p in reversed(found) if vtuple(p) >= (3, 10)), None)
    if not builder:
        raise Skip("no Python >= 3.10 to build the wheel with")
    others = [p for _, p in found if version_of(p) != version_of(builder)]
    if not others:
        raise Skip("only one Python version here: cannot show the wheel serves another")
    target = by_label.get("debian-3.11") if "debian-3.11" in by_label and \
        version_of(by_label["debian-3.11"]) != version_of(builder) else others[0]
    installer = next((p for p in reversed(others) if vtuple(p) >= (3, 8)
                      and version_of(p) != version_of(target)), target)
    return builder, installer, target


class Wheel:
    def __init__(self, tmp):
        self.tmp = tmp
        self.env = clean_env(PIP_CACHE_DIR=os.path.join(tmp, "pip-cache"),
                             TMPDIR=os.path.join(tmp, "tmp"),
                             PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
        os.makedirs(self.env["TMPDIR"])
        self.builder = self.installer = self.target = None
        self.path = None
        self.venv = None

    def sh(self, cmd, timeout=600, **kw):
        proc = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=timeout, **kw)
        return proc.returncode, proc.stdout.decode(errors="replace")

    def venv_of(self, python, name):
        d = os.path.join(self.tmp, name)
        rc, out = self.sh([python, "-m", "venv", d], timeout=300)
        if rc != 0:
            raise Skip("%s -m venv is unavailable: %s" % (python, out.strip().splitlines()[-1:]))
        return d


def builds(w):
    w.builder, w.installer, w.target = pick_interpreters()
    venv = w.venv_of(w.builder, "build-venv")
    pip = os.path.join(venv, "bin", "pip")
    rc, out = w.sh([pip, "download", "--no-deps", "-d", os.path.join(w.tmp, "probe"), "meson-python"],
                   timeout=180)
    if rc != 0:
        raise Skip("PyPI is unreachable (pip download meson-python failed): %s"
                   % out.strip().splitlines()[-1:])
    # build-dir keeps meson-python's build out of the source tree
    dist = os.path.join(w.tmp, "dist")
    rc, out = w.sh([pip, "wheel", "--no-deps", "-w", dist,
                    "-Cbuild-dir=" + os.path.join(w.tmp, "mesonpy-build"), SOURCE])
    check(rc == 0, "pip wheel with %s failed:\n%s" % (w.builder, out[-4000:]))
    wheels = os.listdir(dist)
    check(len(wheels) == 1 and wheels[0].endswith(".whl"), "pip wheel made %r" % wheels)
    w.path = os.path.join(dist, wheels[0])


def built(w):
    if not w.path:
        raise Skip("no wheel (see the first case)")


def tagged_for_any_python(w):
    """No Python ABI inside (the agent includes no Python.h), so the tag
    must be py3-none-<this platform>: a cp312 tag would refuse 3.11."""
    built(w)
    plat = "linux_" + platform.machine()
    name = "pyperf_stat-%s-py3-none-%s.whl" % (VERSION, plat)
    check(os.path.basename(w.path) == name, "wheel is %s, expected %s" % (os.path.basename(w.path), name))
    with zipfile.ZipFile(w.path) as z:
        meta = z.read("pyperf_stat-%s.dist-info/WHEEL" % VERSION).decode()
    check("Tag: py3-none-%s" % plat in meta and "Root-Is-Purelib: false" in meta, "WHEEL says:\n" + meta)


def carries_binary_and_agent(w):
    built(w)
    data = "pyperf_stat-%s.data/" % VERSION
    with zipfile.ZipFile(w.path) as z:
        names = set(z.namelist())
        meta = z.read("pyperf_stat-%s.dist-info/METADATA" % VERSION).decode()
        script = z.read(data + "scripts/pyperf-stat")[:4] if data + "scripts/pyperf-stat" in names else b""
    for want in ("lib/pyperf-stat/libpyperf-agent.so", "lib/pyperf-stat/bootstrap/sitecustomize.py",
                 "share/man/man1/pyperf-stat.1", "share/bash-completion/completions/pyperf-stat",
                 "share/zsh/site-functions/_pyperf-stat"):
        check(data + "data/" + want in names, "wheel lacks %s: %s" % (want, sorted(names)))
    check(script == b"\x7fELF", "the pyperf-stat script is not the C binary")
    stray = [n for n in names if not n.startswith((data, "pyperf_stat-%s.dist-info/" % VERSION))]
    check(not stray, "files outside the wheel's data and metadata: %r" % stray)
    check(re.search(r"^Version: %s$" % re.escape(VERSION), meta, re.M),
          "METADATA does not carry the meson project version %s" % VERSION)


def installs_into_another_interpreters_venv(w):
    built(w)
    w.venv = w.venv_of(w.installer, "run-venv")
    rc, out = w.sh([os.path.join(w.venv, "bin", "pip"), "install", "--no-index", "--no-deps", w.path])
    check(rc == 0, "pip install into a %s venv failed:\n%s" % (version_of(w.installer), out[-3000:]))
    tool = os.path.join(w.venv, "bin", "pyperf-stat")
    res = run(tool, ["--version"], env=w.env)
    check(res.rc == 0 and res.stdout.decode().strip() == "pyperf-stat " + VERSION, "--version", res)
    res = run(tool, ["--check"], env=w.env)
    text = res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace")
    line = next((l for l in text.splitlines() if l.startswith("Attribution agent:")), ":")
    check(os.path.realpath(line.split(":", 1)[1].strip()) ==
          os.path.realpath(os.path.join(w.venv, "lib", "pyperf-stat")),
          "--check does not name the venv's agent", res)


def profiles_a_third_interpreter(w):
    if not w.venv:
        raise Skip("not installed (see above)")
    tool = os.path.join(w.venv, "bin", "pyperf-stat")
    report = heavy_is_three_quarters(tool, ["--python", w.target], w.tmp, w.env)
    want = version_of(w.target)
    check(re.search(r"interpreter CPython %s\.\d+" % re.escape(want), report),
          "the report does not name the target interpreter %s:\n%s" % (want, report[-2000:]))
    print("# built with %s, installed for %s, target %s" % (
        version_of(w.builder), version_of(w.installer), want))


def main():
    tap = Tap()
    tmp = tempfile.mkdtemp(prefix="pp-install-")
    try:
        w = Wheel(tmp)
        tap.run("pip wheel builds pyperf-stat with meson-python", builds, w)
        tap.run("the wheel is tagged py3-none-<platform>", tagged_for_any_python, w)
        tap.run("the wheel carries the binary, agent, man page, completions", carries_binary_and_agent, w)
        tap.run("installed into another interpreter's venv, it finds its agent",
                installs_into_another_interpreters_venv, w)
        tap.run("from the venv: heavy gets 75% +- 5 under a third interpreter",
                profiles_a_third_interpreter, w)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
