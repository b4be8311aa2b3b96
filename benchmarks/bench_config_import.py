"""Benchmark: what reading the configuration costs a command's start-up, beside a baseline tree.

Run: ``python benchmarks/bench_config_import.py --baseline /path/to/other/checkout [--runs 20]``.
For this tree and the baseline (another checkout of gatebot, e.g. a ``git worktree`` of an
older commit), interleaved in one run: the median of ``-X importtime``'s cumulative time of
``gatebot.config``, of the whole ``python -X importtime -m gatebot --help`` (the sum of its
top-level imports), and the number of modules loaded by ``gatebot --help`` and by a real
``gatebot merge`` of an approved task without checks (the case tests/app/test_merge_overhead.py
pins). Times are noisy on a shared machine: compare the two columns, not runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
DUMP = "import atexit, json, sys\natexit.register(lambda: open({!r}, 'w').write(json.dumps(list(sys.modules))))\n"


def importtime(tree: Path, *args: str) -> dict[str, int]:
    """Cumulative microseconds of each top-level import of ``python -X importtime ARGS``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    err = subprocess.run([sys.executable, "-X", "importtime", *args], env=env, cwd=tree,
                         capture_output=True, text=True, check=True).stderr
    found: dict[str, int] = {}
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _self, cumulative, name = line.removeprefix("import time:").split("|")
            if cumulative.strip().isdigit():
                found[name.rstrip().removeprefix(" ")] = int(cumulative)
    return found


def top_level_total(found: dict[str, int]) -> int:
    """The sum of the imports that no other import started (names without indentation)."""
    return sum(us for name, us in found.items() if not name.startswith("  "))


def merge_modules(tree: Path, tmp: Path) -> int:
    """Modules a real ``gatebot merge`` of an approved task without checks had loaded."""
    site, dump = tmp / "site", tmp / "modules.json"
    site.mkdir()
    (site / "sitecustomize.py").write_text(DUMP.format(str(dump)), encoding="utf-8")
    code = ("import os; from pathlib import Path; from tests.repos import GIT_ENV, make_repo, "
            "run_process; os.environ.update(GIT_ENV); "
            f"os.environ['HOME'] = {str(tmp)!r}; "
            "from tests.app.test_merge import approved_branch; "
            f"repo = make_repo(Path({str(tmp)!r})); approved_branch(repo); "
            f"result = run_process(repo.path, 'merge', '--task', '4', '--as', 'rev-b', "
            f"env={{'PYTHONPATH': {os.pathsep.join((str(site), str(tree)))!r}}}); "
            "assert result.returncode == 0, result.stderr")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-c", code], env=env, cwd=tree, check=True)
    return len(json.loads(dump.read_text(encoding="utf-8")))


def help_modules(tree: Path) -> int:
    """Modules ``gatebot --help`` had loaded."""
    code = ("import sys, runpy; sys.argv = ['gatebot', '--help']\ntry:\n"
            "    runpy.run_module('gatebot', run_name='__main__')\nexcept SystemExit:\n"
            "    print(len(sys.modules), file=sys.stderr)")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    err = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stderr
    return int(err.split()[-1])


def main() -> None:
    """Measure both trees, interleaved, and print the medians side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    trees = {"baseline": args.baseline.resolve(), "this tree": HERE}
    config: dict[str, list[int]] = {name: [] for name in trees}
    whole: dict[str, list[int]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, tree in trees.items():
            config[name].append(importtime(tree, "-c", "import gatebot.config")["gatebot.config"])
            whole[name].append(top_level_total(importtime(tree, "-m", "gatebot", "--help")))
    for name, tree in trees.items():
        with tempfile.TemporaryDirectory() as tmp:
            merged = merge_modules(tree, Path(tmp))
        print(f"{name:>10}: import gatebot.config {statistics.median(config[name]) / 1000:.1f} ms,"
              f" gatebot --help imports {statistics.median(whole[name]) / 1000:.1f} ms,"
              f" modules: --help {help_modules(tree)}, merge {merged}")


if __name__ == "__main__":
    main()
