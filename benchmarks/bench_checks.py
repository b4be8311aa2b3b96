"""Benchmark gatebot.adapters.checks.run_checks: parallel (jobs=4) against sequential (jobs=1).

Run: ``python benchmarks/bench_checks.py``. Builds a tiny project in a temp dir whose
noxfile has four sessions (``python=False``: no virtualenv): two burn ~1.5 s of CPU
in a child process, two sleep ~1.5 s. Prints the wall times and writes them, with
the ratio sequential/parallel, to ``benchmarks/results/checks.json``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
from gatebot.adapters.checks import plan_checks, run_checks

WORK_S = 1.5
SESSIONS = ("cpu_a", "cpu_b", "sleep_a", "sleep_b")
RESULTS = Path(__file__).parent / "results" / "checks.json"

NOXFILE = f"""
import sys
import nox

BURN = "import time\\nend = time.process_time() + {WORK_S}\\nwhile time.process_time() < end: pass"
NAP = "import time; time.sleep({WORK_S})"


@nox.session(python=False)
def cpu_a(session):
    session.run(sys.executable, "-c", BURN)


@nox.session(python=False)
def cpu_b(session):
    session.run(sys.executable, "-c", BURN)


@nox.session(python=False)
def sleep_a(session):
    session.run(sys.executable, "-c", NAP)


@nox.session(python=False)
def sleep_b(session):
    session.run(sys.executable, "-c", NAP)
"""


def timed_run(root: Path, jobs: int) -> tuple[float, dict[str, object]]:
    """Run the four sessions with ``jobs`` workers; return wall seconds and the figures."""
    log_dir = root / f"logs-jobs{jobs}"
    specs = plan_checks(root, nox_wanted=SESSIONS, log_dir=log_dir, timeout_s=120)
    assert [s.name for s in specs] == list(SESSIONS), specs
    started = time.perf_counter()
    results = run_checks(specs, root, log_dir, jobs=jobs)
    wall = time.perf_counter() - started
    bad = [(r.name, r.status, r.message) for r in results if r.status != "pass"]
    assert not bad, f"checks did not pass: {bad}"
    return wall, {
        "jobs": jobs,
        "wall_s": round(wall, 3),
        "checks_s": {r.name: round(r.duration_s, 3) for r in results},
    }


def main() -> None:
    """Run jobs=4 and jobs=1 in one run; print and write the ratio."""
    load_before = round(os.getloadavg()[0], 2)  # other work on the machine skews the figures
    with tempfile.TemporaryDirectory(prefix="gatebot-bench-") as tmp:
        root = Path(tmp)
        (root / "noxfile.py").write_text(NOXFILE)
        timed_run(root, 4)  # warm-up: imports and file caches, not measured
        parallel_s, parallel = timed_run(root, 4)
        sequential_s, sequential = timed_run(root, 1)
    ratio = sequential_s / parallel_s
    figures = {
        "benchmark": "run_checks: 4 nox sessions (2 x CPU, 2 x sleep), each ~1.5 s of work",
        "work_per_session_s": WORK_S,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m_before": load_before,
        "parallel": parallel,
        "sequential": sequential,
        "ratio_sequential_over_parallel": round(ratio, 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"jobs=4: {parallel['wall_s']} s wall")
    print(f"jobs=1: {sequential['wall_s']} s wall")
    print(f"sequential/parallel: {ratio:.2f}x  ({os.cpu_count()} CPUs)  -> {RESULTS}")


if __name__ == "__main__":
    main()
