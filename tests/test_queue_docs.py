"""The README quotes the merge queue's real-run figures exactly as benchmarks/bench_queue.py wrote them."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_quotes_the_real_queue_runs_row_by_row() -> None:
    """Each real run of queue.json's ``real_runs`` is a row of the README's table, and its load."""
    real = json.loads((ROOT / "benchmarks" / "results" / "queue.json").read_text(
        encoding="utf-8"))["real_runs"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert real["runs"], "bench_queue.py wrote no real run"
    for r in real["runs"]:
        bad = ", ".join(f"#{n}" for n in r["bad_tasks"]) or "none"
        row = (f"| {r['queue']} | {bad} | {r['check_runs']} ({r['simulated_check_runs']}) | "
               f"{r['runs_per_landed']:.3f} | {r['landed']} landed, {r['wall_s']:.1f} s, "
               f"{r['tasks_per_min']:.1f} tasks/min | {r['serial_check_runs']} runs, "
               f"{r['serial_landed']} landed, {r['serial_wall_s']:.1f} s, "
               f"{r['serial_tasks_per_min']:.1f} tasks/min |")
        assert row in readme, f"README should hold the real queue row {row}"
        assert r["check_runs"] == r["simulated_check_runs"]
    assert f"load average {real['load_average_before']:.2f} on {real['cpus']} cores" in readme
