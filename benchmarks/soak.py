"""The full soak of "Claims that hold under load": 12 agent processes, 30 tasks, one origin.

Run: ``python benchmarks/soak.py [--agents 12] [--tasks 30] [--seed 1] [--budget 1500]
[--keep DIR] [--land serial|queue|both]``.

``--land`` is how approved tasks land: ``serial`` (the default; each by an agent's
``gatebot merge --task N``), ``queue`` (agents only approve; one more process, the lander,
runs ``gatebot queue run``: tests/soak_lander.py) or ``both`` (serial, then queue, same
seed and sizes, one after the other in one run, for a side-by-side comparison).

Drives ``tests.soak.run_soak``: a bare origin with a board of ``--tasks`` tasks,
one clone and one real OS process per agent, each looping on seeded random
choices (claim, heartbeat, build, give back, submit, review, merge, and the
refusal probes), until every task is RELEASED or ``--budget`` seconds pass.
Then every invariant of the issue is checked on the origin's history.

Reports throughput (tasks released per minute of the agents' wall time), the
wall time, gatebot calls and their latency per command, claim races, refusals
by kind, and every violation; writes ``benchmarks/results/soak.json`` (serial), keeping
the throughput of the run it replaces under ``previous``, or with ``queue``/``both``
``benchmarks/results/soak_queue.json`` (each mode's figures under ``modes``, and the queue's
throughput over serial's). Exit 1 when an invariant was violated.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import soak  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "soak.json"
QUEUE_RESULTS = ROOT / "benchmarks" / "results" / "soak_queue.json"
Record = dict[str, Any]


def classify(record: Record) -> str:
    """The kind of a call that did not succeed (``claim-lost``, ``gate1-failed``, …).

    ``*-stale-view`` is an action on a task that moved between the agent's read
    of the board and gatebot's (another agent got there first).
    """
    op, err, failed = record["op"], record["err"], soak.failed_rules(record["out"])
    if record.get("probe"):
        return f"probe:{record['probe']}"
    if record["rc"] not in (0, 1):
        return f"error:{op}"
    kinds = [
        (op == "claim", "claim-lost"),
        (op == "approve" and any(r.startswith("checks.") for r in failed), "gate1-failed"),
        (op == "approve" and "reviewer" in failed, "approve-ineligible"),
        (op == "merge" and "back to REVIEW: failed after integration" in err, "gate2-failed"),
        (op == "merge" and "ESCALATION" in record["out"], "merge-escalated"),
        (op == "queue" and "back to REVIEW: failed after integration" in record["out"],
         "queue-sent-back"),
        (op == "queue", "queue-not-all-landed"),
        ("may not review" in err, f"{op}-ineligible"),
    ]
    return next((kind for hit, kind in kinds if hit), f"{op}-stale-view")


def claim_races(records: Sequence[Record]) -> dict[str, int]:
    """Claim races: attempts on one task whose run times overlap, counted by their winners.

    ``contested`` races had two or more attempts; ``one_winner`` of them exactly one
    success, ``no_winner`` none (all lost to an earlier holder). More winners would
    also be a violation found by ``tests.soak.check_claims``.
    """
    by_task: dict[int, list[Record]] = defaultdict(list)
    for r in records:
        if r["op"] == "claim" and "rc" in r:
            by_task[r["task"]].append(r)
    counts: Counter[str] = Counter()
    for attempts in by_task.values():
        attempts.sort(key=lambda r: r["t0"])
        race, end = [attempts[0]], attempts[0]["t1"]
        for r in [*attempts[1:], None]:
            if r is not None and r["t0"] < end:
                race.append(r)
                end = max(end, r["t1"])
                continue
            if len(race) > 1:
                winners = sum(x["rc"] == 0 for x in race)
                counts["contested"] += 1
                counts[{0: "no_winner", 1: "one_winner"}.get(winners, "several_winners")] += 1
            if r is not None:
                race, end = [r], r["t1"]
    return dict(counts)


def latencies(records: Sequence[Record]) -> dict[str, dict[str, float]]:
    """Per command: calls, median and 90th-percentile seconds of the gatebot process."""
    by_op: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if "rc" in r:
            by_op[r["op"]].append(r["t1"] - r["t0"])
    table = {}
    for op, times in sorted(by_op.items()):
        times.sort()
        table[op] = {"calls": len(times), "median_s": round(statistics.median(times), 2),
                     "p90_s": round(times[int(0.9 * (len(times) - 1))], 2)}
    return table


def summary(cfg: soak.SoakConfig, run: soak.SoakRun) -> dict[str, Any]:
    """The figures of a run: throughput, calls, outcomes, refusals by kind, races, violations."""
    calls = [r for r in run.records if "rc" in r]
    outcomes = Counter(f"{r['op']}:{'ok' if r['rc'] == 0 else 'no'}" for r in calls)
    outcomes.update(f"build:{r['mode']}" for r in run.records if r["op"] == "build")
    released = run.released
    return {
        "config": asdict(cfg), "released": released, "tasks": cfg.tasks,
        "agents_wall_s": run.agents_s, "wall_s_with_setup_and_checks": run.wall_s,
        "tasks_released_per_minute": round(released / (run.agents_s / 60), 2),
        "gatebot_calls": len(calls),
        "steps": sum(r["step"] for r in run.records if r["op"] == "stop"),
        "stops": run.stops, "claim_races": claim_races(run.records),
        "refusals": dict(sorted(Counter(classify(r) for r in calls if r["rc"] != 0).items())),
        "outcomes": dict(sorted(outcomes.items())), "latency": latencies(run.records),
        "violations": run.violations, "held": not run.violations,
    }


def previous(path: Path) -> dict[str, Any] | None:
    """The figures of the run a new report replaces: throughput, load, its claims setting."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    keep = ("tasks_released_per_minute", "agents_wall_s", "load_average_1m_before", "held")
    figures = {k: old[k] for k in keep if k in old}
    shared = old.get("config", {}).get("shared_claims")
    figures["claims"] = ("one claims.directory shared by every clone" if shared
                         else "claim refs on the origin")
    return figures


def parse_args() -> argparse.Namespace:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=12)
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=1500.0, help="seconds for the agents")
    parser.add_argument("--keep", type=Path, help="run in DIR and keep it (default: a temp dir)")
    parser.add_argument("--land", choices=("serial", "queue", "both"), default="serial",
                        help="land with gatebot merge, gatebot queue run, or both in turn")
    parser.add_argument("--output", type=Path,
                        help="the JSON report (default soak.json, or soak_queue.json with "
                             "--land queue/both)")
    return parser.parse_args()


def run_mode(args: argparse.Namespace, land: str) -> tuple[dict[str, Any], list[str]]:
    """One soak run landing by ``land``: its printed and returned figures, and violations."""
    cfg = soak.SoakConfig(agents=args.agents, tasks=args.tasks, seed=args.seed,
                          budget_s=args.budget, land=land)
    load_before = round(os.getloadavg()[0], 2)  # other work on the machine skews the figures
    with tempfile.TemporaryDirectory(prefix="gatebot-soak-") as tmp:
        root = (args.keep / land if args.land == "both" else args.keep) if args.keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        run = soak.run_soak(root, cfg)
        figures = summary(cfg, run)
    print(f"[{land}] {figures['released']}/{cfg.tasks} tasks released in {run.agents_s:.0f} s "
          f"by {cfg.agents} agents{' and the lander' if land == 'queue' else ''}: "
          f"{figures['tasks_released_per_minute']:.2f} tasks/min (wall {run.wall_s:.0f} s "
          f"with setup and checks, {figures['gatebot_calls']} calls)")
    print("claim races:", figures["claim_races"], " stops:", figures["stops"])
    print("refusals:", ", ".join(f"{k} {v}" for k, v in figures["refusals"].items()) or "none")
    for op, row in figures["latency"].items():
        print(f"  {op:<10} {row['calls']:>4} calls  median {row['median_s']:.2f} s  "
              f"p90 {row['p90_s']:.2f} s")
    print(f"violations: {len(run.violations)}")
    for violation in run.violations:
        print(f"  - {violation}")
    return {"load_average_1m_before": load_before, **figures}, run.violations


def main() -> int:
    """Run the soak in each mode asked, print the figures, write the JSON report.

    Returns the exit code: 1 when an invariant was violated in any mode, else 0.
    """
    args = parse_args()
    modes = ("serial", "queue") if args.land == "both" else (args.land,)
    output = args.output or (RESULTS if args.land == "serial" else QUEUE_RESULTS)
    ran = {land: run_mode(args, land) for land in modes}
    cpu = os.times()
    result: dict[str, Any] = {
        "benchmark": f"soak: {args.agents} agent processes, {args.tasks} tasks, one bare origin",
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "cpu_s_children": round(cpu.children_user + cpu.children_system, 1),
    }
    if args.land == "serial":
        result |= ran["serial"][0]
        result["previous"] = previous(output)
    else:
        result["modes"] = {land: figures for land, (figures, _) in ran.items()}
        rates = {land: f["tasks_released_per_minute"] for land, (f, _) in ran.items()}
        if len(rates) == 2 and rates["serial"]:
            result["queue_over_serial"] = round(rates["queue"] / rates["serial"], 2)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"-> {output}")
    return 1 if any(violations for _, violations in ran.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
