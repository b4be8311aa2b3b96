"""Benchmark (c): wall time of ``gatebot --help`` against a bare ``python -c pass``.

Run: ``python benchmarks/bench_startup.py [--runs 30]``. Both are measured in
the same run, interleaved, and the medians compared; the goal is a ``--help``
under 0.15 s (importing PyGithub alone costs about 0.2 s, so every command
imports what it needs when it runs). Writes ``benchmarks/results/startup.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "startup.json"


def wall(argv: list[str]) -> float:
    """Seconds of wall time to run ``argv`` to completion."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def imported_modules() -> list[str]:
    """The heavy libraries that importing ``gatebot.cli`` loads (should be none)."""
    code = "import sys; from gatebot import cli; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    heavy = ("pydantic", "rich", "github", "jinja2", "markdown_it", "lizard", "nox")
    return [m for m in out if m.split(".")[0] in heavy]


def main() -> None:
    """Measure, print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    help_argv = [sys.executable, "-m", "gatebot", "--help"]
    bare_argv = [sys.executable, "-c", "pass"]
    wall(help_argv)  # warm the file cache
    helps, bares = [], []
    for _ in range(args.runs):
        helps.append(wall(help_argv))
        bares.append(wall(bare_argv))
    result = {
        "runs": args.runs,
        "gatebot_help_median_s": round(statistics.median(helps), 4),
        "python_bare_median_s": round(statistics.median(bares), 4),
        "gatebot_own_cost_s": round(statistics.median(helps) - statistics.median(bares), 4),
        "goal_s": 0.15,
        "heavy_modules_imported_by_cli": imported_modules(),
    }
    result["meets_goal"] = result["gatebot_help_median_s"] < 0.15
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
