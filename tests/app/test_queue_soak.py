"""A short soak that lands through ``gatebot queue run``: the soak's invariants hold in queue mode.

Four real agent processes build, submit and approve four tasks over one bare origin (each
agent's first build poisoned: its own tree passes, only the integration with main fails); none
of them runs ``gatebot merge``. The lander process (tests/soak_lander.py) lands
every task with ``gatebot queue run``. The run fails if the queue landed nothing, if anything
else landed, or if any invariant of tests/soak.py broke (a task landed twice, a tree on main's
first-parent chain that fails the check or a ``Gatebot-Tested-in`` that names no landing's
last tree, a lost board commit or archive entry).
"""

from __future__ import annotations

from pathlib import Path

from tests import soak as s

QUEUE = s.SoakConfig(agents=4, tasks=4, seed=11, budget_s=900.0, give_up=0.0, land="queue",
                     first_builds=("poisoned",) * 4)
"""As the serial short soak (tests/app/test_soak.py), the lander added; every agent's first build
is poisoned, so that whichever agent builds first, a poisoned build meets the queue."""


def test_a_short_soak_through_the_merge_queue_holds(tmp_path: Path) -> None:
    run = s.run_soak(tmp_path, QUEUE)
    assert run.violations == []
    assert run.stops == {"all-released": QUEUE.processes}, (
        f"the soak did not finish: processes stopped {run.stops} with {run.released} of "
        f"{QUEUE.tasks} tasks released (budget {QUEUE.budget_s:.0f} s)")
    assert run.released == QUEUE.tasks
    releases = [c for c in s.history(run.soak.origin) if c.event == "released"]
    assert sorted(c.task or 0 for c in releases) == list(range(1, QUEUE.tasks + 1))
    assert {c.trailers["Gatebot-Actor"] for c in releases} == {s.LANDER}  # only the queue landed
    calls = [r for r in run.records if "rc" in r]
    # a probe's `gatebot merge` after the lander landed the task says "already merged" (exit 0)
    assert not [r for r in calls if r["op"] == "merge" and r["rc"] == 0
                and "is already merged" not in r["err"]]
    queue_runs = [r for r in calls if r["op"] == "queue"]
    assert all(r["agent"] == s.LANDER for r in queue_runs)
    # the poisoned build passes gate 1 on its own tree: only the queue's check run catches it
    assert any("back to REVIEW: failed after integration" in r["out"] for r in queue_runs)
    assert "gate2" in {r.get("why") for r in calls if r["op"] == "reject" and r["rc"] == 0}
