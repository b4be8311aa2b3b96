"""Benchmark ``gatebot review`` on the default scope: old debt next to a one-line edit.

    python benchmarks/bench_review_scope.py [--repeat N] [--out FILE]

A fresh repository (a bare origin and a clone) holds on ``main`` a 2,000-line
Python file with 15 old functions of 100 lines among short ones. A task branch
edits one line (no line added) inside a short function. ``gatebot review`` runs
as a real process (``python -m gatebot``) with no checks configured; each run is
timed from start to exit, in wall and in CPU seconds (after an untimed first run that writes the bytecode caches,
under a temporary ``PYTHONPYCACHEPREFIX``, as an installed gatebot has them). The same review with ``--all`` is timed beside it: it
fails on the old functions and the file's length, which the default scope
leaves alone because the change did not add them.

Prints a table and writes the figures to ``benchmarks/results/review_scope.json``.
Goal: the default-scope review passes in under 0.5 s (wall on an idle machine; the CPU
time, which the machine's load does not stretch, is recorded beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "review_scope.json"
ROOT = Path(__file__).resolve().parent.parent
CONFIG = """\
min_coverage = 0
disabled_rules = ["tests-present"]   # a one-line edit of source, no test: not what is measured
[checks]
nox_sessions = []
required = []
"""
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "GIT_CONFIG_NOSYSTEM": "1", "NO_COLOR": "1",
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
    "PYTHONPATH": str(ROOT),
}


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; return stdout."""
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, capture_output=True, text=True,
                          check=True).stdout


def function(name: str, span: int) -> str:
    """A documented function of ``span`` lines."""
    body = "".join(f"    x{i} = {i}\n" for i in range(span - 2))
    return f'def {name}():\n    """{name}."""\n{body}'


def big_file() -> str:
    """2,000 lines: a module docstring, 15 functions of 100 lines, short ones, then comments."""
    parts = ['"""An old module."""\n']
    parts += [f"\n\n{function(f'long_{n}', 100)}" for n in range(15)]
    n = 0
    while sum(p.count("\n") for p in parts) < 1990:
        parts.append(f"\n\n{function(f'short_{n}', 5)}")
        n += 1
    text = "".join(parts)
    return text + "".join(f"# {i}\n" for i in range(2000 - text.count("\n")))


def build(tmp: Path) -> Path:
    """The origin, a clone with the old file on main, and the task branch with the edit."""
    origin, work = tmp / "origin.git", tmp / "work"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp, "clone", "-q", str(origin), str(work))
    git(work, "checkout", "-q", "-b", "main")
    (work / "app").mkdir()
    text = big_file()
    assert text.count("\n") == 2000
    (work / "app" / "big.py").write_text(text, encoding="utf-8")
    (work / ".gatebot.toml").write_text(CONFIG, encoding="utf-8")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "old code")
    git(work, "push", "-q", "origin", "main")
    git(work, "checkout", "-q", "-b", "task/1-edit")
    old = '    """short_3."""\n    x0 = 0\n'
    assert text.count(old) == 1
    (work / "app" / "big.py").write_text(text.replace(old, '    """short_3."""\n    x0 = 10\n'),
                                         encoding="utf-8")
    git(work, "commit", "-q", "-am", "one-line edit in a short function")
    return work


def children_cpu_s() -> float:
    """CPU seconds (user + system) of this process's reaped children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def review(work: Path, *args: str) -> tuple[float, float, int, dict[str, object]]:
    """Run ``gatebot review --format json ARGS``: wall and CPU seconds, exit code, verdict.

    The CPU seconds are gatebot's and its git processes' (the machine's load
    stretches the wall time, not the CPU time).
    """
    start, cpu = time.perf_counter(), children_cpu_s()
    done = subprocess.run([sys.executable, "-m", "gatebot", "review", "--format", "json", *args],
                          cwd=work, env=ENV, capture_output=True, text=True, check=False)
    elapsed, cpu = time.perf_counter() - start, children_cpu_s() - cpu
    return elapsed, cpu, done.returncode, json.loads(done.stdout)


def measure(work: Path, repeat: int, *args: str) -> dict[str, object]:
    """Time ``repeat`` reviews after an untimed one; medians and maxima, the verdict's rules."""
    review(work, *args)  # writes the bytecode caches, as an installed gatebot has them
    runs = [review(work, *args) for _ in range(repeat)]
    times, cpus = [r[0] for r in runs], [r[1] for r in runs]
    _, _, code, verdict = runs[-1]
    rules = verdict["rules"]
    assert isinstance(rules, list)
    return {
        "exit_code": code, "verdict": verdict["verdict"], "runs": repeat,
        "median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
        "cpu_median_s": round(statistics.median(cpus), 3), "cpu_max_s": round(max(cpus), 3),
        "rules": {r["id"]: f"{r['status']}: {r['summary']}" for r in rules},
    }


def main() -> None:
    """Build the repository, time both reviews and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        ENV["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")  # nothing written in the tree
        work = build(Path(tmp))
        default = measure(work, args.repeat)
        everything = measure(work, args.repeat, "--all")
    figures = {
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
        "file_lines": 2000, "old_long_functions": 15, "goal_s": 0.5,
        "cpu_note": "CPU seconds are gatebot's own and its git processes' (user + system): the "
        "machine is shared, and its load stretches the wall time but hardly the CPU time, "
        "the figure to compare across runs",
        "default_scope": default, "all": everything,
    }
    for label, run in (("default scope", default), ("--all", everything)):
        print(f"{label}: {run['verdict']} (exit {run['exit_code']}), median {run['median_s']:.3f} s"
              f" wall, {run['cpu_median_s']:.3f} s CPU; max {run['max_s']:.3f} s of {run['runs']}")
        for rule, summary in run["rules"].items():  # type: ignore[attr-defined]
            print(f"  {rule}: {summary}")
    print(f"load average (1, 5, 15 min) before: {load_before}, after: {os.getloadavg()}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
