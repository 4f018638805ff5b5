"""What the install suites share: the e2e helpers (TAP, Skip, run, check)
and the ground-truth case they run from an installed pyperf-stat.

Standard library only."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from lib import Skip, Tap, check, run, workload  # noqa: E402,F401


def clean_env(**extra):
    """The environment a user's shell would give: no agent override, and
    no LD_LIBRARY_PATH into the build tree (meson test sets one)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYPERF_AGENT_DIR", "LD_LIBRARY_PATH")}
    env.update(extra)
    return env


def function_values(report):
    """{function: first column} of the per-function text table, whose rows
    read "VALUE +- self% total% samples FUNCTION LOCATION"."""
    rows = {}
    for line in report.splitlines():
        f = line.split()
        if len(f) >= 6 and f[2].endswith("%") and f[3].endswith("%") and f[4].isdigit():
            try:
                rows.setdefault(f[5], float(f[0]))
            except ValueError:
                pass
    return rows


def heavy_is_three_quarters(tool, args, cwd, env):
    """Runs `tool -e task-clock ARGS three_to_one.py`: heavy() does three
    times the work of light(), so it must get 75% +- 5 of their sum.
    Returns the report text."""
    res = run(tool, ["-e", "task-clock"] + list(args) + [workload("three_to_one.py")],
              cwd=cwd, env=env, timeout=120)
    report = res.report.decode(errors="replace")
    check(res.rc == 0, "pyperf-stat exited %d" % res.rc, res)
    check("Per-function breakdown" in report, "no per-function table", res)
    rows = function_values(report)
    check("heavy" in rows and "light" in rows, "heavy and light not both in the table", res)
    share = 100.0 * rows["heavy"] / (rows["heavy"] + rows["light"])
    check(70.0 <= share <= 80.0, "heavy got %.1f%% of heavy+light, expected 75 +- 5" % share, res)
    return report
