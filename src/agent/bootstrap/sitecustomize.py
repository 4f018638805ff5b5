# pyperf-stat bootstrap.
#
# The launcher puts this directory first on PYTHONPATH, so every Python
# process of the target imports this file as "sitecustomize" during
# startup.  It must leave the program exactly as it would run without us:
#
#  - our directory leaves sys.path (sys.path[0], sys.argv, __main__ and
#    __file__ are never touched);
#  - the sitecustomize we shadow (Debian ships one, users write their own)
#    is executed as "sitecustomize", its errors reported by site.py as
#    usual;
#  - nothing of ours ever raises into the program: a failure writes one
#    line to "<pid>.problem" in the state directory and we go quiet.
#
# Then, when PYPERF_STATE_DIR is set, it loads the agent (PYPERF_AGENT_LIB)
# with ctypes, hands it the addresses it needs, and arranges resolution of
# sampled code objects (names, files, line tables) while they are alive:
# from the agent's resolver thread, before fork and exec, at os._exit and
# at exit.  Syntax stays Python 2 compatible so that a stray PYTHONPATH
# never breaks an old interpreter.
import os
import sys


def _pyperf_unshadow():
    here = os.path.dirname(os.path.abspath(__file__))
    real = os.path.normcase(os.path.realpath(here))
    keep = []
    for entry in sys.path:
        try:
            same = os.path.normcase(os.path.realpath(entry or os.curdir)) == real
        except Exception:
            same = False
        if same and entry:
            sys.path_importer_cache.pop(entry, None)
        else:
            keep.append(entry)
    sys.path[:] = keep
    return here


def _pyperf_problem(state_dir, msg):
    try:
        path = os.path.join(state_dir, "%d.problem" % os.getpid())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, (msg.replace("\n", " ") + "\n").encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except Exception:
        pass


class _PyperfAgent(object):
    """Everything that lives as long as the process: the library, buffers
    for pp_agent_take, the resolve callback the agent calls."""

    BATCH = 256

    def __init__(self, state_dir, lib_path):
        import ctypes

        self.ctypes = ctypes
        self.state_dir = state_dir
        # PyDLL keeps the GIL during calls: pp_agent_take relies on it.
        # CDLL releases it: pp_agent_resolver_stop joins a thread that
        # may be waiting for the GIL.
        self.pydll = ctypes.PyDLL(lib_path)
        self.cdll = ctypes.CDLL(lib_path)
        # Our own handle on the C API, so that setting argtypes does not
        # touch the ctypes.pythonapi objects the program may use.
        self.capi = ctypes.PyDLL(None)
        self.decref = self.capi.Py_DecRef
        self.decref.argtypes = [ctypes.c_void_p]
        self.decref.restype = None
        self.py_object = ctypes.py_object
        self.cast = ctypes.cast

        P = self.pydll
        P.pp_agent_start.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                                     ctypes.POINTER(ctypes.c_uint64), ctypes.c_uint]
        P.pp_agent_start.restype = ctypes.c_int
        P.pp_agent_problem.restype = ctypes.c_char_p
        P.pp_agent_codes_fd.restype = ctypes.c_int
        P.pp_agent_take.argtypes = [ctypes.POINTER(ctypes.c_uint64),
                                    ctypes.POINTER(ctypes.c_uint32), ctypes.c_int]
        P.pp_agent_take.restype = ctypes.c_int
        P.pp_agent_thread_ignore.argtypes = [ctypes.c_int]
        P.pp_agent_thread_ignore.restype = None
        for name in ("pp_agent_restart_child", "pp_agent_resolver_start",
                     "pp_agent_thread_start", "pp_agent_fork_prepare",
                     "pp_agent_after_fork_parent"):
            getattr(P, name).restype = ctypes.c_int
        for name in ("pp_agent_exec_prepare", "pp_agent_exec_failed",
                     "pp_agent_thread_stop", "pp_agent_unpin", "pp_agent_maps_check"):
            getattr(P, name).restype = None
        self.cdll.pp_agent_resolver_stop.restype = ctypes.c_int

        self.ptrs = (ctypes.c_uint64 * self.BATCH)()
        self.fps = (ctypes.c_uint32 * self.BATCH)()
        self.old = sys.version_info < (3, 11)
        self.func_type = type(_pyperf_unshadow)
        self.exact = os.environ.get("PYPERF_EXACT") == "1"
        self.scan_budget = 0.05  # seconds of gc scans for 3.8-3.10 qualnames
        # The agent's thread calls this with the GIL held; it must never
        # raise (the C side would only clear the error).
        self.callback = self.resolve_quietly

    def address(self, name):
        try:
            return self.ctypes.cast(getattr(self.capi, name), self.ctypes.c_void_p).value or 0
        except Exception:
            return 0

    def start(self):
        ctypes = self.ctypes
        try:
            runtime = ctypes.addressof(ctypes.c_char.in_dll(self.capi, "_PyRuntime"))
        except Exception:
            runtime = 0
        api = (ctypes.c_uint64 * 16)()
        api[0] = self.address("PyGILState_GetThisThreadState")
        api[1] = id(type(_pyperf_unshadow.__code__))
        api[2] = runtime
        api[3] = self.address("PyGILState_Ensure")
        api[4] = self.address("PyGILState_Release")
        api[5] = self.address("PyObject_CallObject")
        api[6] = self.address("PyErr_Clear")
        api[7] = self.address("Py_IncRef")
        api[8] = self.address("Py_DecRef")
        api[9] = id(self.callback)
        api[10] = self.address("PySys_AddAuditHook")
        api[11] = self.address("PyTuple_GetItem")
        api[12] = self.address("PyEval_SetProfile")
        api[13] = self.address("PyFrame_GetCode")
        api[14] = self.address("PyCFunction_NewEx")
        api[15] = id(None)
        v = sys.version_info
        interp = "CPython %d.%d.%d" % (v[0], v[1], v[2])
        if v[3] != "final":
            interp += {"alpha": "a", "beta": "b", "candidate": "rc"}.get(v[3], v[3]) + str(v[4])
        rc = self.pydll.pp_agent_start(self.state_dir.encode("utf-8", "surrogateescape"),
                                       interp.encode("ascii"), sys.hexversion, api, 16)
        return rc

    # ---- --exact ----

    CALIBRATION = (7, 1000)  # batches, calls per batch

    def start_exact(self):
        """Counters read at every call and return (src/agent/exact.c):
        install the hooks, measure their cost on an empty function, then
        count for real.  Returns an error message or None."""
        ctypes = self.ctypes
        P = self.pydll
        P.pp_exact_calibrate.argtypes = [ctypes.c_uint64]
        P.pp_exact_calibrate.restype = ctypes.c_int
        P.pp_exact_begin.restype = None
        P.pp_agent_exact_dump.restype = None
        P.pp_exact_install_thread.restype = ctypes.c_int
        if sys.version_info >= (3, 12):
            mon = sys.monitoring
            tool = None
            for i in (4, 3, 5):  # not DEBUGGER, COVERAGE or PROFILER (cProfile's)
                if mon.get_tool(i) is None:
                    tool = i
                    break
            if tool is None:
                return "--exact: no free sys.monitoring tool id"
            P.pp_exact_callable.argtypes = [ctypes.c_int]
            P.pp_exact_callable.restype = ctypes.py_object
            start, resume, leave = [P.pp_exact_callable(k) for k in range(3)]
            mon.use_tool_id(tool, "pyperf-stat")
            E = mon.events
            for ev, cb in ((E.PY_START, start), (E.PY_RESUME, resume), (E.PY_THROW, resume),
                           (E.PY_RETURN, leave), (E.PY_YIELD, leave), (E.PY_UNWIND, leave)):
                mon.register_callback(tool, ev, cb)
            mon.set_events(tool, E.PY_START | E.PY_RESUME | E.PY_THROW | E.PY_RETURN
                           | E.PY_YIELD | E.PY_UNWIND)
        else:
            if P.pp_exact_install_thread() != 0:
                return "--exact: PyEval_SetProfile not found"
            self.hook_thread_starts(P.pp_exact_install_thread, None)
        batches, calls = self.CALIBRATION
        empty = _pyperf_empty
        for _ in range(batches):
            for _ in range(calls):
                empty()
            P.pp_exact_calibrate(id(empty.__code__))
        P.pp_exact_begin()
        return None

    def exact_dump(self):
        if self.exact:
            self.quietly(self.pydll.pp_agent_exact_dump)

    # ---- resolution ----

    def resolve_quietly(self):
        try:
            self.resolve()
        except BaseException:
            pass

    def resolve_here(self):
        """Resolve from a program thread (fork, exec, exit); snapshot the
        mappings too when libraries were loaded since the last one."""
        self.quietly(self.resolve)
        self.quietly(self.pydll.pp_agent_maps_check)

    def resolve(self):
        fd = self.pydll.pp_agent_codes_fd()
        if fd < 0:
            return
        take = self.pydll.pp_agent_take
        while True:
            n = take(self.ptrs, self.fps, self.BATCH)
            if n <= 0:
                # Everything sampled so far is described: code objects
                # kept alive for us may go.
                self.pydll.pp_agent_unpin()
                return
            items = []
            for i in range(n):
                p = self.ptrs[i]
                # pp_agent_take validated the object and took a reference
                # for us; take our own, then drop the agent's.
                code = self.cast(p, self.py_object).value
                self.decref(p)
                items.append((p, self.fps[i], code))
            data = b"".join(self.describe(items))
            while data:
                data = data[os.write(fd, data):]

    def describe(self, items):
        names = self.old_qualnames([c for _, _, c in items]) if self.old else {}
        out = []
        for p, fp, code in items:
            if self.old:
                qual = names.get(id(code)) or code.co_name
            else:
                qual = code.co_qualname
            ranges = self.line_ranges(code)
            out.append(("%x\t%x\t%d\t" % (p, fp, code.co_firstlineno)).encode("ascii")
                       + _pyperf_escape(qual) + b"\t" + _pyperf_escape(code.co_filename) + b"\t"
                       + ";".join(["%d,%d,%d" % r for r in ranges]).encode("ascii") + b"\n")
        return out

    def old_qualnames(self, codes):
        """3.8-3.10 code objects have no co_qualname: find the function
        objects that run them, in one pass over the gc-tracked objects,
        while that stays cheap."""
        want = {}
        for c in codes:
            if not c.co_name.startswith("<"):
                want[id(c)] = c
        if not want or self.scan_budget <= 0:
            return {}
        import gc
        import time
        t0 = time.time()
        found = {}
        ft = self.func_type
        for o in gc.get_objects():
            if type(o) is ft:
                c = o.__code__
                if id(c) in want and want[id(c)] is c and id(c) not in found:
                    found[id(c)] = o.__qualname__
        self.scan_budget -= time.time() - t0
        return found

    def line_ranges(self, code):
        """(start, end, line) in bytes of bytecode, the unit the handler
        records, adjacent ranges of one line merged."""
        raw = []
        if hasattr(code, "co_lines"):
            for start, end, line in code.co_lines():
                if line is not None and end > start:
                    raw.append((start, end, line))
        else:
            # co_lnotab (3.8, 3.9): pairs of (bytecode increment, signed
            # line increment); a line starts where bytes advance.
            tab = code.co_lnotab
            line = code.co_firstlineno
            addr = 0
            starts = []
            last = None
            for i in range(0, len(tab) - 1, 2):
                binc, linc = tab[i], tab[i + 1]
                if binc:
                    if line != last:
                        starts.append((addr, line))
                        last = line
                    addr += binc
                line += linc - 256 if linc >= 128 else linc
            if line != last:
                starts.append((addr, line))
            end = len(code.co_code)
            for i, (s, ln) in enumerate(starts):
                e = starts[i + 1][0] if i + 1 < len(starts) else end
                if e > s:
                    raw.append((s, e, ln))
        merged = []
        for r in raw:
            if merged and merged[-1][2] == r[2] and merged[-1][1] == r[0]:
                merged[-1] = (merged[-1][0], r[1], r[2])
            else:
                merged.append(r)
        return merged

    # ---- process events ----

    def quietly(self, fn):
        """FN's time is the agent's, not the program's: not sampled."""
        try:
            self.pydll.pp_agent_thread_ignore(1)
            try:
                fn()
            finally:
                self.pydll.pp_agent_thread_ignore(0)
        except BaseException:
            pass

    def before_fork(self):
        self.quietly(self.cdll.pp_agent_resolver_stop)
        self.resolve_here()
        # the child's files, ready for it to sample from its first
        # instruction (agent.c, "a forked child's first milliseconds")
        self.quietly(self.pydll.pp_agent_fork_prepare)

    def after_fork_parent(self):
        # not when os.fork is our wrapper: it restarts the resolver after
        # the original returns (agent.c, "os.fork() and its warning")
        try:
            self.pydll.pp_agent_after_fork_parent()
        except BaseException:
            pass

    def wrap_fork(self):
        """3.12+: os.fork replaced by the agent's C wrapper."""
        if sys.version_info < (3, 12) or not hasattr(os, "fork"):
            return
        ctypes = self.ctypes
        wrap = self.pydll.pp_agent_fork_wrapper
        wrap.argtypes = [ctypes.py_object]
        wrap.restype = ctypes.c_void_p
        p = wrap(os.fork)
        if p:
            # the wrapper's reference becomes this object's
            f = ctypes.cast(p, ctypes.py_object).value
            self.decref(p)
            os.fork = f

    def after_fork_child(self):
        try:
            if self.pydll.pp_agent_restart_child() != 0:
                msg = self.pydll.pp_agent_problem()
                _pyperf_problem(self.state_dir, (msg or b"agent restart failed").decode("utf-8", "replace"))
        except BaseException:
            pass

    def at_exit(self):
        self.quietly(self.cdll.pp_agent_resolver_stop)
        self.exact_dump()
        self.resolve_here()

    def hook_process_exits(self):
        """os._exit (multiprocessing's fork children leave through it,
        skipping atexit) and os.execv/execve (the other exec* call them):
        resolve first; before exec also silence the events."""
        agent = self
        orig_exit = os._exit

        def _exit(status):
            agent.exact_dump()
            agent.resolve_here()
            return orig_exit(status)

        def wrap_exec(orig):
            def exec_(*args, **kwargs):
                agent.exact_dump()
                agent.resolve_here()
                try:
                    agent.pydll.pp_agent_exec_prepare()
                except BaseException:
                    pass
                try:
                    return orig(*args, **kwargs)
                except BaseException:
                    try:
                        agent.pydll.pp_agent_exec_failed()
                    except BaseException:
                        pass
                    raise
            return _pyperf_like(exec_, orig)

        os._exit = _pyperf_like(_exit, orig_exit)
        for name in ("execv", "execve"):
            if hasattr(os, name):
                setattr(os, name, wrap_exec(getattr(os, name)))

    def hook_thread_starts(self, on_start, on_stop):
        """Calls ON_START in every new thread before its function, ON_STOP
        (if any) after: the fallback mode opens per-thread events, --exact
        before 3.12 installs its profile function.  threading takes its
        starter from _thread when it is imported (after us)."""
        import _thread

        def wrap(orig):
            def start(function, *args, **kwargs):
                def run(*a, **k):
                    try:
                        on_start()
                    except BaseException:
                        pass
                    try:
                        return function(*a, **k)
                    finally:
                        if on_stop is not None:
                            try:
                                on_stop()
                            except BaseException:
                                pass
                return orig(run, *args, **kwargs)
            return _pyperf_like(start, orig)

        threading = sys.modules.get("threading")
        for name in ("start_new_thread", "start_joinable_thread"):
            if hasattr(_thread, name):
                orig = getattr(_thread, name)
                setattr(_thread, name, wrap(orig))
                # a .pth file (setuptools' distutils hack) may have
                # imported threading already: it holds the original
                if threading is not None and getattr(threading, "_" + name, None) is orig:
                    setattr(threading, "_" + name, getattr(_thread, name))


def _pyperf_empty():
    """--exact calibrates on calls of this."""


def _pyperf_like(wrapper, orig):
    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        try:
            setattr(wrapper, attr, getattr(orig, attr))
        except Exception:
            pass
    return wrapper


def _pyperf_escape(s):
    return (s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r").encode("utf-8", "backslashreplace"))


def _pyperf_main():
    state_dir = os.environ.get("PYPERF_STATE_DIR")
    if not state_dir or not os.path.isdir(state_dir):
        return
    impl = getattr(getattr(sys, "implementation", None), "name", "python2")
    if impl != "cpython":
        _pyperf_problem(state_dir, "%s is not supported for per-function attribution (CPython is)" % impl)
        return
    if sys.version_info < (3, 8):
        _pyperf_problem(state_dir, "CPython %d.%d is not supported for per-function attribution "
                        "(3.8 or later is)" % sys.version_info[:2])
        return
    if hasattr(sys, "getobjects"):
        _pyperf_problem(state_dir, "CPython built with Py_TRACE_REFS is not supported for "
                        "per-function attribution")
        return
    lib = os.environ.get("PYPERF_AGENT_LIB")
    if not lib:
        _pyperf_problem(state_dir, "PYPERF_AGENT_LIB is not set")
        return
    try:
        agent = _PyperfAgent(state_dir, lib)
    except Exception as e:
        _pyperf_problem(state_dir, "cannot load the agent %s: %s" % (lib, e))
        return
    if agent.start() != 0:
        # The agent wrote the reason into its .info file; keep a copy
        # where the launcher looks first.
        msg = agent.pydll.pp_agent_problem()
        _pyperf_problem(state_dir, (msg or b"the agent did not start").decode("utf-8", "replace"))
        return
    import atexit
    atexit.register(agent.at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=agent.before_fork,
                            after_in_parent=agent.after_fork_parent,
                            after_in_child=agent.after_fork_child)
        try:
            agent.wrap_fork()
        except Exception:
            pass
    agent.hook_process_exits()
    if os.environ.get("PYPERF_SIGNAL_FALLBACK") == "1":
        agent.hook_thread_starts(agent.pydll.pp_agent_thread_start,
                                 agent.pydll.pp_agent_thread_stop)
    if agent.exact:
        try:
            why = agent.start_exact()
        except Exception as e:
            why = "--exact: %s" % e
        if why:
            _pyperf_problem(state_dir, why)
    # Keeps the agent (and the callback the C side holds by address)
    # alive for the life of the process.
    _PyperfAgent.instance = agent
    # Sampling started inside this module's code, which dies when the
    # import ends: describe what was seen so far while it is alive.
    agent.resolve_here()


def _pyperf_shadowed():
    """The sitecustomize that site.py would have imported without us."""
    try:
        import importlib.machinery
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    except Exception:
        return None
    if spec is None or spec.loader is None or not spec.origin:
        return None
    if os.path.realpath(spec.origin) == os.path.realpath(__file__):
        return None
    return spec


def _pyperf_chain(spec):
    """Run it, as site.py would have."""
    import importlib.util
    mod = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = mod
    spec.loader.exec_module(mod)  # its exceptions are site.py's to report


try:
    _pyperf_unshadow()
except Exception:
    pass
# Looked up before sampling starts (the search is our work); run after
# (its code is the program's).
_pyperf_spec = _pyperf_shadowed() if sys.version_info >= (3, 4) else None
try:
    _pyperf_main()
except Exception:
    pass
if _pyperf_spec is not None:
    _pyperf_chain(_pyperf_spec)
