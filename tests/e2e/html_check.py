#!/usr/bin/env python3
"""End-to-end: the --html page in a real browser.

Usage: html_check.py GEN_SAMPLE [--screenshots DIR] [--pyperf-stat BIN] [PAGE.html ...]
(TAP on stdout; meson runs it)

GEN_SAMPLE (tests/e2e/html/gen_sample.c) writes pages for synthetic
profiles; each is checked as a file (one data block that parses back, no
remote resource, names decoded as the profile had them) and then opened
in headless Chromium, driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: standard library only, no port, no extra
package).  The browser part asserts that

  - frames were drawn: the page writes data-rendered="N frames" on <body>;
  - no script error and no console error or warning: Runtime.exceptionThrown,
    Runtime.consoleAPICalled and Log.entryAdded are all recorded;
  - no network request other than the page itself: Network.requestWillBeSent;
  - hovering a frame shows its function, file:line, samples, estimated
    value and share as the data says; clicking zooms; Escape zooms out;
    the event selector and the search box work; hostile names stay text;
  - a 10,000-function profile with a 3,000-deep recursion draws no more
    frames per row than the canvas has pixels.

A screenshot of every page is taken (Page.captureScreenshot, the
protocol's --screenshot) and kept with --screenshots DIR.  Pages named on
the command line get the generic checks.  With --pyperf-stat, the real
binary's --html output for a workload whose function heavy() does three
times the work of light() is checked the same way, and for that ratio.

Without Chromium (Debian package "chromium") the browser cases skip,
saying so."""
import argparse
import base64
import fcntl
import glob
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lib import Skip, Tap, TempDir, check  # noqa: E402

WIDTH, HEIGHT = 1200, 800
DATA_OPEN = '<script type="application/json" id="pp-data">'


# ---- the file ------------------------------------------------------------

def page_data(html):
    """The embedded JSON, after checking the HTML parser ends its block
    exactly at its own </script>."""
    check(html.count(DATA_OPEN) == 1, "expected exactly one data block")
    start = html.index(DATA_OPEN) + len(DATA_OPEN)
    end = html.find("</", start)
    check(html[end:end + 9].lower() == "</script>",
          "data block ended early by %r" % html[end:end + 30])
    check("<!--" not in html[start:end], "'<!--' inside the data block")
    return json.loads(html[start:end])


REMOTE = [
    re.compile(r"""\b(?:src|href|srcset|action|poster|data|formaction)\s*=\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"""url\(\s*["']?\s*(?:https?:)?//""", re.I),
    re.compile(r"@import", re.I),
    re.compile(r"<(?:link|iframe|img|object|embed)\b", re.I),
    re.compile(r"<script[^>]*\bsrc\s*=", re.I),
]


def check_file(path):
    with open(path, "rb") as f:
        raw = f.read()
    html = raw.decode("utf-8")  # strict: the page must be valid UTF-8
    check(html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>"),
          "not one complete HTML document")
    for pat in REMOTE:
        m = pat.search(html)
        check(not m, "remote resource reference: %r" % (m and html[max(0, m.start() - 20):m.end() + 40]))
    data = page_data(html)
    tree = data["tree"]
    n = len(tree["parent"])
    check(tree["parent"][0] == -1 and all(0 <= p < i for i, p in enumerate(tree["parent"]) if i),
          "parent array is not a pre-order tree")
    check(len(tree["func"]) == n and all(len(s) == n for s in tree["samples"]), "ragged tree arrays")
    check(len(tree["samples"]) == len(data["events"]), "one count array per event")
    return html, data


def node_path(data, path):
    """Index of the node reached from the root by the qualnames in PATH."""
    t, funcs = data["tree"], data["funcs"]
    cur = 0
    for name in path:
        kids = [i for i in range(1, len(t["parent"]))
                if t["parent"][i] == cur and funcs[t["func"][i]][0] == name]
        check(len(kids) == 1, "no single node %r under %d" % (name, cur))
        cur = kids[0]
    return cur


def matched_share(data, ev, pattern):
    """What the page's search must report: samples under frames whose name
    or file matches, a match inside a match counted once."""
    t, funcs = data["tree"], data["funcs"]
    rx = re.compile(pattern, re.I)
    match = [bool(rx.search(f[0]) or rx.search(f[1])) for f in funcs]
    counts = t["samples"][ev]
    inside = [False] * len(counts)
    s = 0
    for i in range(1, len(counts)):
        inside[i] = inside[t["parent"][i]]
        if match[t["func"][i]] and not inside[i]:
            s += counts[i]
            inside[i] = True
    return 100.0 * s / counts[0]


def est_text(data, ev, samples):
    """The tooltip's estimated value, as the page formats it."""
    e = data["events"][ev]
    v = e["total"] * samples / e["samples"] if e["total"] else samples * e["period"]
    if e["clock"]:
        whole, frac = ("%.2f" % (v / 1e6)).split(".")
        return "{:,}.{} msec".format(int(whole), frac)
    return "{:,} {}".format(int(round(v)), e["name"])


# ---- Chromium over the DevTools protocol ----------------------------------

def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


class Browser:
    """Headless Chromium speaking CDP on fds 3 (in) and 4 (out)."""

    def __init__(self, exe, tmp):
        self.tmp = tmp
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.replies = {}
        home = os.path.join(tmp, "home")
        os.mkdir(home)
        env = dict(os.environ, HOME=home, TMPDIR=tmp, XDG_CONFIG_HOME=home,
                   XDG_CACHE_HOME=home, XDG_RUNTIME_DIR=tmp)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        to_r, self.to_w = os.pipe()        # both ends close-on-exec
        self.from_r, from_w = os.pipe()

        def child():
            # move both ends out of the way first: one may already be 3 or 4
            a = fcntl.fcntl(to_r, fcntl.F_DUPFD_CLOEXEC, 10)
            b = fcntl.fcntl(from_w, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.log_path = os.path.join(tmp, "chromium.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-extensions",
             "--disable-default-apps", "--mute-audio", "--password-store=basic",
             "--use-mock-keychain", "--enable-logging=stderr", "--v=0",
             "--window-size=%d,%d" % (WIDTH, HEIGHT),
             "--user-data-dir=" + os.path.join(tmp, "profile"),
             "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            env=env, close_fds=False, preexec_fn=child)
        os.close(to_r)
        os.close(from_w)

    def log_tail(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read()[-3000:].decode(errors="replace")

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.to_w, data):]
        return self.next_id

    def pump(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("Chromium did not answer in time\n" + self.log_tail())
        r, _, _ = select.select([self.from_r], [], [], left)
        if not r:
            return
        chunk = os.read(self.from_r, 1 << 20)
        if not chunk:
            raise AssertionError("Chromium closed the pipe (exit %s)\n%s"
                                 % (self.proc.poll(), self.log_tail()))
        self.buf += chunk
        while b"\0" in self.buf:
            raw, self.buf = self.buf.split(b"\0", 1)
            msg = json.loads(raw)
            if "id" in msg:
                self.replies[msg["id"]] = msg
            else:
                self.events.append(msg)

    def call(self, method, params=None, session=None, timeout=60):
        mid = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while mid not in self.replies:
            self.pump(deadline)
        msg = self.replies.pop(mid)
        if "error" in msg:
            raise AssertionError("%s: %s" % (method, msg["error"]))
        return msg.get("result", {})

    def wait_event(self, method, session, timeout=120):
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for ev in self.events[seen:]:
                if ev["method"] == method and ev.get("sessionId") == session:
                    return ev
            seen = len(self.events)
            self.pump(deadline)

    def close(self):
        try:
            if self.proc.poll() is None:
                self.send("Browser.close")
                self.proc.wait(timeout=20)
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_w)
        os.close(self.from_r)
        self.log.close()


class Page:
    """One tab with the page at PATH loaded; every problem it reports is kept."""

    def __init__(self, browser, path):
        self.b = browser
        self.url = "file://" + os.path.abspath(path)
        tid = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.target = tid
        self.s = browser.call("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
        for m in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
            self.cmd(m)
        self.cmd("Emulation.setDeviceMetricsOverride",
                 {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
        self.first_event = len(browser.events)
        t0 = time.monotonic()
        self.cmd("Page.navigate", {"url": self.url})
        browser.wait_event("Page.loadEventFired", self.s)
        self.load_s = time.monotonic() - t0

    def cmd(self, method, params=None, timeout=60):
        return self.b.call(method, params, self.s, timeout)

    def js(self, expr):
        r = self.cmd("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                          "awaitPromise": True})
        if "exceptionDetails" in r:
            raise AssertionError("evaluating %s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def settle(self):
        """Lets timers (the search box's debounce) and a frame run."""
        self.js("new Promise(r => setTimeout(() => requestAnimationFrame(() => r(1)), 250))")

    def mouse(self, kind, x, y):
        self.cmd("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                              "clickCount": 1 if kind != "mouseMoved" else 0})

    def key(self, key, code=None, vk=0):
        for kind in ("keyDown", "keyUp"):
            self.cmd("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": code or key,
                                                "windowsVirtualKeyCode": vk})

    def frame_centre(self, name):
        r = self.js("(function(){var f = ppFlame.frameRect(%s); if (!f) return null;"
                    "var b = document.getElementById('fg').getBoundingClientRect();"
                    "return {x: b.left + f.x + Math.min(f.w / 2, 40), y: b.top + f.y + f.h / 2, w: f.w};})()"
                    % json.dumps(name))
        check(r is not None, "frame %r is not drawn" % name)
        return r

    def rendered(self):
        r = self.js("document.body.dataset.rendered")
        check(r is not None, "the page never marked itself rendered")
        return int(r.split()[0])

    def screenshot(self, path):
        png = base64.b64decode(self.cmd("Page.captureScreenshot", {"format": "png"})["data"])
        check(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000, "empty screenshot")
        with open(path, "wb") as f:
            f.write(png)

    def problems(self):
        """Script errors, console errors/warnings and requests, so far."""
        out = []
        for ev in self.b.events[self.first_event:]:
            if ev.get("sessionId") != self.s:
                continue
            m, p = ev["method"], ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append("uncaught: %s %s" % (d.get("text"), d.get("exception", {}).get("description", "")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                out.append("console.%s: %s" % (p["type"], [a.get("value", a.get("description"))
                                                            for a in p.get("args", [])]))
            elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append("log %s: %s" % (p["entry"]["level"], p["entry"]["text"]))
            elif m == "Network.requestWillBeSent" and p["request"]["url"] != self.url:
                out.append("network request: %s" % p["request"]["url"][:200])
        return out

    def close(self):
        self.b.call("Target.closeTarget", {"targetId": self.target})


def shared_tmp():
    found = set()
    for d in ("/tmp", "/dev/shm"):
        for pat in (".org.chromium.*", ".com.google.Chrome.*", "chromium*", "scoped_dir*"):
            found.update(glob.glob(os.path.join(d, pat)))
    return found


class Session:
    """A browser and scratch directory for one case; checks on exit that
    the page reported no problem and that nothing was left behind."""

    def __init__(self, args):
        self.args = args

    def __enter__(self):
        exe = chromium_path()
        if not exe:
            raise Skip("Chromium not installed (apt-get install chromium)")
        self.before = shared_tmp()
        self.tmp = tempfile.mkdtemp(prefix="pp-html-")
        self.browser = Browser(exe, self.tmp)
        self.pages = []
        return self

    def open(self, path):
        p = Page(self.browser, path)
        self.pages.append(p)
        return p

    def shot(self, page, name):
        d = self.args.screenshots or self.tmp
        page.screenshot(os.path.join(d, name + ".png"))

    def __exit__(self, exc_type, *rest):
        try:
            if exc_type is None:
                for p in self.pages:
                    probs = p.problems()
                    check(not probs, "the page reported problems:\n" + "\n".join(probs))
        finally:
            self.browser.close()
            shutil.rmtree(self.tmp, ignore_errors=True)
        left = shared_tmp() - self.before
        if exc_type is None:
            check(not left, "Chromium left behind: %s" % sorted(left))


# ---- the cases -----------------------------------------------------------

# The hostile names gen_sample.c gives functions, as the page must show them.
HOSTILE = [
    b"</script><script>alert(1)</script>",
    b"<img src=x onerror=alert(2)>",
    b"say \"hi\" 'there' \\ back\nslash\ttab",
    b"caf\xe9_\xff\xfe_bad",
    b"na\xc3\xafve_\xe2\x9c\x93_\xf0\x9f\x94\xa5",
    b"<!-- not a comment -->",
    b"fetch_https://example.com/x.js",
]


def generate(gen, kind, out):
    proc = subprocess.run([gen, kind, out], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(proc.returncode == 0, "%s %s failed: %s" % (gen, kind, proc.stderr.decode(errors="replace")))


def file_basic(gen):
    with TempDir() as d:
        out = os.path.join(d, "basic.html")
        generate(gen, "basic", out)
        html, data = check_file(out)
    names = {f[0] for f in data["funcs"]}
    for raw in HOSTILE:
        want = raw.decode("utf-8", "replace")
        check(want in names, "name %r does not come back as %r" % (raw, want))
    check(re.search(r"<title>pyperf-stat: python3 main\.py --name '&lt;/script&gt;' \"&lt;b&gt;\"</title>", html),
          "title not escaped")
    heavy = node_path(data, ["<module>", "run", "heavy"])
    light = node_path(data, ["<module>", "run", "light"])
    s = data["tree"]["samples"][0]
    check(s[heavy] == 3 * s[light], "heavy is not three times light: %d, %d" % (s[heavy], s[light]))
    check(s[0] == data["events"][0]["samples"], "root is not the event's sample count")


def browser_basic(gen, args):
    with Session(args) as S:
        out = os.path.join(S.tmp, "basic.html")
        generate(gen, "basic", out)
        _, data = check_file(out)
        p = S.open(out)
        check(p.rendered() >= 15, "too few frames drawn: %s" % p.rendered())
        check(p.js("document.scripts.length") == 2 and p.js("document.images.length") == 0,
              "a name turned into markup")
        check(p.js("document.title").startswith("pyperf-stat: python3 main.py --name '</script>'"),
              "title %r" % p.js("document.title"))
        S.shot(p, "basic")

        # tooltip: function, file:line, samples, estimate, share of total
        heavy = node_path(data, ["<module>", "run", "heavy"])
        n = data["tree"]["samples"][0][heavy]
        c = p.frame_centre("heavy")
        p.mouse("mouseMoved", c["x"], c["y"])
        tip = p.js("document.getElementById('tip').hidden ? null : document.getElementById('tip').innerText")
        check(tip is not None, "no tooltip on hover")
        total = data["tree"]["samples"][0][0]
        for want in ("heavy", "/srv/app/work.py:3", "{:,}".format(n), est_text(data, 0, n),
                     "%.2f%%" % (100.0 * n / total)):
            check(want in tip, "tooltip lacks %r:\n%s" % (want, tip))
        S.shot(p, "basic-hover")

        # hostile names are shown as text, exactly
        c = p.frame_centre("</script><script>alert(1)</script>")
        p.mouse("mouseMoved", c["x"], c["y"])
        check(p.js("document.querySelector('#tip .fn').textContent") == "</script><script>alert(1)</script>",
              "a hostile name is not shown verbatim")

        # click zooms: heavy then spans the canvas; Escape zooms out to run
        c = p.frame_centre("heavy")
        p.mouse("mousePressed", c["x"], c["y"])
        p.mouse("mouseReleased", c["x"], c["y"])
        check(p.js("document.body.dataset.zoom") == str(heavy), "click did not zoom into heavy")
        check(abs(p.frame_centre("heavy")["w"] - p.js("ppFlame.width()")) < 1, "zoomed frame is not full width")
        S.shot(p, "basic-zoom")
        p.js("document.getElementById('fg').focus()")
        p.key("Escape", vk=27)
        run = node_path(data, ["<module>", "run"])
        check(p.js("document.body.dataset.zoom") == str(run), "Escape did not zoom out one level")
        p.key("Home", vk=36)
        check(p.js("document.body.dataset.zoom") == "0", "Home did not reset the zoom")

        # '/' focuses the search box; the share matches the data's
        p.js("document.activeElement.blur()")
        p.key("/", "Slash", 191)
        check(p.js("document.activeElement.id") == "search", "'/' did not focus the search box")
        p.cmd("Input.insertText", {"text": "fib"})
        p.settle()
        want = matched_share(data, 0, "fib")
        got = p.js("document.body.dataset.matched")
        check(got is not None and abs(float(got) - want) < 0.01, "search share %s, want %.2f" % (got, want))
        check(("Matched: %.2f%%" % want) in p.js("document.getElementById('matched').textContent"),
              "matched share not shown")
        S.shot(p, "basic-search")

        # the event selector switches the widths
        p.js("var s = document.getElementById('event'); s.value = '1';"
             "s.dispatchEvent(new Event('change'))")
        check(p.js("document.body.dataset.event") == "cycles:u", "event not switched")
        check(p.rendered() > 5, "nothing drawn for cycles:u")
        light = node_path(data, ["<module>", "run", "light"])
        nl = data["tree"]["samples"][1][light]
        c = p.frame_centre("light")
        p.mouse("mouseMoved", c["x"], c["y"])
        tip = p.js("document.getElementById('tip').innerText")
        check(est_text(data, 1, nl) in tip, "cycles estimate %r not in:\n%s" % (est_text(data, 1, nl), tip))
        p.js("document.getElementById('invert').click()")
        check(p.rendered() > 5, "nothing drawn in the flame layout")
        S.shot(p, "basic-flame")


def browser_big(gen, args):
    with Session(args) as S:
        out = os.path.join(S.tmp, "big.html")
        generate(gen, "big", out)
        _, data = check_file(out)
        check(len(data["funcs"]) == 10000, "expected 10,000 functions")
        p = S.open(out)
        print("# big: %d nodes, %.1f MB, loaded and drawn in %.2f s"
              % (len(data["tree"]["parent"]), os.path.getsize(out) / 1e6, p.load_s))
        check(p.rendered() > 100, "too few frames drawn")
        check(p.js("ppFlame.maxRowFrames()") <= p.js("ppFlame.width()"),
              "more frames in a row than pixels: small frames were not merged")
        S.shot(p, "big")
        # into the 3,000-deep recursion and down it with the keyboard
        name = data["funcs"][data["tree"]["func"][node_path(data, ["mod1.Class1.method_1"])]][0]
        c = p.frame_centre(name)
        p.mouse("mousePressed", c["x"], c["y"])
        p.mouse("mouseReleased", c["x"], c["y"])
        check(p.rendered() > 3000, "the deep recursion is not drawn: %d" % p.rendered())
        p.js("document.getElementById('fg').focus()")
        for _ in range(50):
            p.key("ArrowDown", vk=40)
        p.key("Enter", vk=13)
        z = int(p.js("document.body.dataset.zoom"))
        depth, n = 0, z
        while n > 0:
            n, depth = data["tree"]["parent"][n], depth + 1
        check(depth >= 3, "arrow keys and Enter did not zoom deeper (depth %d)" % depth)
        S.shot(p, "big-deep")
        p.key("Home", vk=36)
        p.js("document.getElementById('search').value = 'method_7';"
             "document.getElementById('search').dispatchEvent(new Event('input'))")
        p.settle()
        want = matched_share(data, 0, "method_7")
        got = float(p.js("document.body.dataset.matched"))
        check(abs(got - want) < 0.01, "search share %.2f, want %.2f" % (got, want))


def browser_empty(gen, args):
    with Session(args) as S:
        out = os.path.join(S.tmp, "empty.html")
        generate(gen, "empty", out)
        _, data = check_file(out)
        check(data["events"] == [] and data["tree"]["parent"] == [-1], "not empty")
        p = S.open(out)
        check(p.rendered() == 0, "frames drawn for an empty profile")
        check(data["note"] in p.js("document.getElementById('empty').textContent"),
              "the attribution note is not shown")
        S.shot(p, "empty")


def browser_given(path, args):
    with Session(args) as S:
        _, data = check_file(path)
        p = S.open(path)
        print("# %s: %d nodes, %.1f MB, loaded and drawn in %.2f s"
              % (path, len(data["tree"]["parent"]), os.path.getsize(path) / 1e6, p.load_s))
        if data["events"] and data["tree"]["samples"][0][0]:
            check(p.rendered() > 0, "no frames drawn")
        S.shot(p, os.path.splitext(os.path.basename(path))[0])


def real_pyperf_stat(tool, args):
    helptext = subprocess.run([tool, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
    if b"--html" not in helptext:
        raise Skip("%s has no --html option yet" % tool)
    with Session(args) as S:
        out = os.path.join(S.tmp, "real.html")
        proc = subprocess.run([tool, "--html", out, "-e", "task-clock", sys.executable,
                               os.path.join(HERE, "html", "three_to_one.py")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        check(proc.returncode == 0, "pyperf-stat failed: %s" % proc.stderr.decode(errors="replace"))
        _, data = check_file(out)
        t, funcs = data["tree"], data["funcs"]

        def inclusive(name):
            # the outermost frames of NAME, wherever they are in the tree
            fid = [i for i, f in enumerate(funcs) if f[0] == name]
            check(fid, "%s() not in the profile" % name)
            inside = [False] * len(t["parent"])
            s = 0
            for i in range(1, len(t["parent"])):
                inside[i] = inside[t["parent"][i]]
                if t["func"][i] in fid and not inside[i]:
                    s += t["samples"][0][i]
                    inside[i] = True
            return s

        ratio = inclusive("heavy") / max(inclusive("light"), 1)
        check(2.2 < ratio < 4.0, "heavy/light = %.2f, the workload does 3x the work" % ratio)
        p = S.open(out)
        check(p.rendered() > 0, "no frames drawn")
        S.shot(p, "real")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gen_sample")
    ap.add_argument("pages", nargs="*")
    ap.add_argument("--screenshots", help="keep the screenshots in this directory")
    ap.add_argument("--pyperf-stat", dest="tool")
    args = ap.parse_args()
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
    gen = os.path.abspath(args.gen_sample)

    tap = Tap()
    tap.run("file: one document, data parses back, hostile names decoded", file_basic, gen)
    tap.run("browser: basic page renders, tooltip, zoom, keys, search, events", browser_basic, gen, args)
    tap.run("browser: 10,000 functions and a 3,000-deep recursion", browser_big, gen, args)
    tap.run("browser: no profile", browser_empty, gen, args)
    for page in args.pages:
        tap.run("browser: %s" % page, browser_given, page, args)

    def no_tool():
        raise Skip("no --pyperf-stat given")
    if args.tool:
        tap.run("pyperf-stat --html: heavy() three times light()", real_pyperf_stat, args.tool, args)
    else:
        tap.run("pyperf-stat --html: heavy() three times light()", no_tool)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
