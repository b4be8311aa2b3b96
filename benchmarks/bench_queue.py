"""Benchmark the merge queue's cost: check runs per landed task, gatebot beside three policies.

    python benchmarks/bench_queue.py [--out FILE]

For queues of 4, 8 and 16 approved tasks with 0, 1 and 2 bad tasks (a bad task fails the
checks of any tree that holds it), every placement of the bad tasks in the queue is landed,
in one run, by four policies simulated on the same worlds (tests/queuesim.py):

- ``gatebot``: gatebot's queue (gatebot/core/queue.py): adaptive batches of up to 8, a red
  batch bisected on prefixes, each green prefix landed at once, a culprit sent back only when
  the same tree fails twice (the retry that tells a real failure from a flaky one is counted);
- ``bors``: bors-ng's policy: batches of up to 8, a red batch split in halves, each tested
  again, down to single tasks (no retry: a flaky failure of a single task sends it back);
- ``bors_retry``: the same with gatebot's rule that a failure must repeat on the same tree
  before a task goes back (a red single task is run once more): bors made as safe as gatebot;
- ``github``: GitHub's merge queue policy: every entry tested in its own merge group (main,
  every entry ahead, the entry); the first failing entry is dropped, those ahead land, every
  group behind it is rebuilt and tested again (no bisection, no retry);
- ``serial``: one task at a time, one check run each, on main as it is then.

The figure is total check runs over total landed tasks, over every placement. For gatebot it
also records the most extra runs one bad task cost (runs beyond the same queue with no bad
task, per bad task) against the bound ⌈log₂ N⌉ + 2 for a batch of N. Beside them, each policy
on a queue of good tasks whose first check run fails once, spuriously (``flaky_first_run``):
how many runs it spends and how many good tasks it sends back. Commits on main and random
flaky runs are the hypothesis tests' part (tests/core/test_queue_sim.py).
Counting runs needs no clock: the figures are exact and the same on every machine.

Beside the simulation, ``real_runs`` lands a few of the same worlds for real: ``gatebot queue
run`` as a process on a real repository with a bare origin and one real nox check (the
repositories of tests/queue_repos.py), counting the check runs it reports and its wall time,
next to the simulated gatebot's runs for the same world and to the wall time of landing the
same queue one task at a time with ``gatebot merge --task N`` (``--no-real`` skips them).
Wall times depend on the machine's load, recorded beside them.

Goals (issue 12): ≤ 0.4 runs per landed task with no bad task at N = 8; ≤ ⌈log₂ N⌉ + 2
extra runs per bad task. Prints a table and writes benchmarks/results/queue.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.queuesim import (  # noqa: E402 - the repository root is on the path only now
    Outcome,
    World,
    run_bors,
    run_gatebot,
    run_github,
    run_serial,
)

REAL_WORLDS = ((8, ()), (8, (6,)), (8, (2, 7)), (4, (3,)), (16, (11,)))
"""Real runs: (queue size, the bad tasks' numbers)."""
SUMMARY = re.compile(r"queue run: (\d+) landed, (\d+) sent back.*; (\d+) check runs")

RESULTS = ROOT / "benchmarks" / "results" / "queue.json"
SIZES = (4, 8, 16)
BAD_COUNTS = (0, 1, 2)
POLICIES: dict[str, Callable[[World], Outcome]] = {
    "gatebot": run_gatebot, "bors": run_bors, "bors_retry": partial(run_bors, retry=True),
    "github": run_github, "serial": run_serial,
}


def worlds(size: int, bad: int) -> list[World]:
    """Every placement of ``bad`` bad tasks in a queue of ``size`` tasks."""
    queue = tuple(range(1, size + 1))
    return [World(queue, frozenset(placed)) for placed in itertools.combinations(queue, bad)]


def runs_per_landed(policy: Callable[[World], Outcome], cases: list[World]) -> float:
    """Check runs over landed tasks, summed over ``cases``; raises if a policy landed wrongly."""
    runs = landed = 0
    for world in cases:
        out = policy(world)
        if tuple(out.landed) != world.expected_landed() or out.unsafe_landings:
            raise AssertionError(f"{policy} landed {out.landed} in {world}")
        runs, landed = runs + out.runs, landed + len(out.landed)
    return round(runs / landed, 3)


def extra_runs_per_bad(size: int, bad: int) -> int:
    """The most extra check runs gatebot spent per bad task, over every placement."""
    clean = run_gatebot(World(tuple(range(1, size + 1)))).runs
    return max(math.ceil((run_gatebot(w).runs - clean) / bad) for w in worlds(size, bad))


def flaky_first_run(size: int) -> dict[str, dict[str, float]]:
    """Each policy on ``size`` good tasks whose first check run fails once, spuriously."""
    world = World(tuple(range(1, size + 1)), flaky=frozenset({0}))
    figures = {}
    for name, policy in POLICIES.items():
        out = policy(world)
        figures[name] = {"runs_per_landed": round(out.runs / max(1, len(out.landed)), 3),
                         "good_tasks_sent_back": len(out.sent_back)}
    return figures


def _real_repo(tmp: str, size: int, bad: tuple[int, ...]) -> Path:
    from tests.queue_repos import queue_of  # noqa: PLC0415 - only for the real runs
    from tests.repos import GIT_ENV  # noqa: PLC0415

    os.environ.update({**GIT_ENV, "HOME": tmp})  # as the tests: no one's git identity
    return queue_of(Path(tmp), {n: ("a bad part\n" if n in bad else f"part {n}\n")
                                for n in range(1, size + 1)}).path


def _serial_wall(size: int, bad: tuple[int, ...]) -> tuple[float, int]:
    """Seconds to land the queue one task at a time (``gatebot merge --task N``); releases.

    The releases are counted on the origin's main after the last merge.
    """
    from tests.repos import git, run_process  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-serial-") as tmp:
        path = _real_repo(tmp, size, bad)
        start = time.perf_counter()
        for number in range(1, size + 1):
            run_process(path, "merge", "--task", str(number), "--as", "rev-b",
                        env={"PYTHONPATH": str(ROOT), "HOME": tmp})
        wall = time.perf_counter() - start
        releases = git(path, "log", "--first-parent", "--format=%H",
                       "--grep=^Gatebot-Event: released$", "origin/main").split()
        return wall, len(releases)


def real_run(size: int, bad: tuple[int, ...]) -> dict[str, object]:
    """``gatebot queue run`` on a real repository holding ``size`` tasks, ``bad`` failing.

    Beside it: the simulated run of the same world, and serial landing of the same queue.
    """
    from tests.repos import run_process  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        path = _real_repo(tmp, size, bad)
        start = time.perf_counter()
        done = run_process(path, "queue", "run", "--as", "rev-b",
                           env={"PYTHONPATH": str(ROOT), "HOME": tmp})
        wall = time.perf_counter() - start
    found = SUMMARY.search(done.stdout)
    if found is None:
        raise AssertionError(f"no summary in: {done.stdout}{done.stderr}")
    landed, sent_back, runs = (int(x) for x in found.groups())
    simulated = run_gatebot(World(tuple(range(1, size + 1)), frozenset(bad)))
    serial, serial_landed = _serial_wall(size, bad)
    return {"queue": size, "bad_tasks": list(bad), "landed": landed, "sent_back": sent_back,
            "check_runs": runs, "runs_per_landed": round(runs / max(1, landed), 3),
            "simulated_check_runs": simulated.runs, "serial_check_runs": size,
            "wall_s": round(wall, 1), "tasks_per_min": round(60 * landed / wall, 1),
            "serial_wall_s": round(serial, 1),
            "serial_landed": serial_landed,
            "serial_tasks_per_min": round(60 * serial_landed / serial, 1)}


def measure() -> dict[str, object]:
    """Every figure: runs per landed task per policy, gatebot's extra runs per bad task."""
    table = {f"n{size}": {f"bad{bad}": {name: runs_per_landed(policy, worlds(size, bad))
                                        for name, policy in POLICIES.items()}
                          for bad in BAD_COUNTS}
             for size in SIZES}
    extra = {f"n{size}": {f"bad{bad}": extra_runs_per_bad(size, bad) for bad in BAD_COUNTS if bad}
             for size in SIZES}
    bound = {f"n{size}": math.ceil(math.log2(min(size, 8))) + 2 for size in SIZES}
    return {"runs_per_landed": table, "gatebot_extra_runs_per_bad_max": extra,
            "bound_extra_runs_per_bad": bound,
            "flaky_first_run": {f"n{size}": flaky_first_run(size) for size in SIZES},
            "goals": {"n8_bad0_runs_per_landed_at_most": 0.4,
                      "n8_bad0_met": table["n8"]["bad0"]["gatebot"] <= 0.4,
                      "extra_per_bad_met": all(v <= bound[n] for n, row in extra.items()
                                               for v in row.values())}}


def show(results: dict[str, object]) -> None:
    """Print the table: one line per queue size and bad count, one column per policy."""
    table = results["runs_per_landed"]
    assert isinstance(table, dict)
    print(f"{'queue':>6} {'bad':>4} " + " ".join(f"{name:>10}" for name in POLICIES))
    for size_key, row in table.items():
        for bad_key, cells in row.items():
            print(f"{size_key[1:]:>6} {bad_key[3:]:>4} "
                  + " ".join(f"{cells[name]:>10.3f}" for name in POLICIES))
    flaky = results["flaky_first_run"]
    assert isinstance(flaky, dict)
    for size_key, cells in flaky.items():
        print(f"{size_key[1:]:>6} good tasks, first run flaky: "
              + " ".join(f"{name} {c['runs_per_landed']:.3f} runs/landed, "
                         f"{c['good_tasks_sent_back']} good sent back;"
                         for name, c in cells.items()))
    print("gatebot's extra runs per bad task (max):", results["gatebot_extra_runs_per_bad_max"],
          "bound:", results["bound_extra_runs_per_bad"])


def main() -> None:
    """Measure, print, write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-real", action="store_true", help="Skip the real runs.")
    args = parser.parse_args()
    results = measure()
    show(results)
    if not args.no_real:
        load = os.getloadavg()[0]
        real = [real_run(size, bad) for size, bad in REAL_WORLDS]
        results["real_runs"] = {"load_average_before": round(load, 2),
                                "load_average_after": round(os.getloadavg()[0], 2),
                                "cpus": os.cpu_count(), "runs": real}
        for row in real:
            print(f"real: queue {row['queue']} bad {row['bad_tasks']}: {row['check_runs']} check "
                  f"runs (simulated {row['simulated_check_runs']}, serial {row['serial_check_runs']})"
                  f", {row['landed']} landed, {row['runs_per_landed']} runs/landed, "
                  f"{row['wall_s']} s ({row['tasks_per_min']} tasks/min; serial "
                  f"{row['serial_wall_s']} s, {row['serial_tasks_per_min']} tasks/min)")
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
