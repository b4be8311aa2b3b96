"""The merge queue's promises, on random worlds (tests/queuesim.py, driven by hypothesis).

Random queues of 1 to 20 tasks with random bad tasks (bad alone, or bad only with another),
conflicting tasks, flaky check runs and commits on main (code or board only) at random
moments, with the adaptive batch size or a random ``--batch-size``. Whatever happens:

- every good task lands, in queue order, and no bad task does: the landed tasks are exactly
  what a perfect queue lands (``World.expected_landed``);
- every task ends landed, sent back or taken out for its conflict, once;
- every tree placed on main had a green check run of exactly that tree, and really passes;
- each batch costs at most ``1 + b·(⌈log₂ n⌉ + 2) + f·(⌈log₂ n⌉ + 1)`` check runs (``b``
  culprits, ``f`` flaky failures, ``n`` tasks), plus the runs a code commit on main voided
  and one per such commit (gatebot/core/queue.py).
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.queuesim import World, run_bors, run_gatebot, run_github, run_serial


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A random world: queue, bad tasks, bad pairs, conflicts, flaky runs, main's commits."""
    n = draw(st.integers(1, 20))
    queue = tuple(range(1, n + 1))
    tasks = st.sampled_from(queue)
    bad = draw(st.frozensets(tasks, max_size=3))
    pairs = draw(st.lists(st.tuples(tasks, tasks).filter(lambda p: p[0] < p[1]), max_size=2))
    conflicts = draw(st.frozensets(tasks, max_size=2))
    flaky = draw(st.frozensets(st.integers(0, 60), max_size=4))
    moves = draw(st.dictionaries(st.integers(0, 60), st.booleans(), max_size=3))
    return World(queue, bad, tuple(pairs), conflicts, flaky, moves)


@settings(max_examples=300, deadline=None)
@given(worlds(), st.one_of(st.none(), st.integers(1, 10)))
def test_the_queue_lands_every_good_task_and_no_bad_one_within_its_bound(
        world: World, override: int | None) -> None:
    out = run_gatebot(world, override)
    assert tuple(out.landed) == world.expected_landed()
    assert sorted(out.landed + out.sent_back + out.conflicted) == list(world.queue)
    assert set(out.conflicted) == set(world.conflicts)
    assert out.unsafe_landings == []
    for batch in out.batches:
        assert batch.runs <= batch.bound(), batch
    assert len(out.flaky_reported) <= sum(batch.flakes for batch in out.batches)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 8), st.data())
def test_a_culprit_costs_at_most_log2_n_plus_2_extra_runs(n: int, data: st.DataObject) -> None:
    """The issue's goal per bad task, with one bad task (alone or in a pair) and no flake."""
    queue = tuple(range(1, n + 1))
    bad = data.draw(st.sampled_from(queue))
    partner = data.draw(st.one_of(st.none(), st.sampled_from(queue[:bad - 1] or (None,))))
    world = (World(queue, pairs=((partner, bad),)) if partner else World(queue, frozenset({bad})))
    out = run_gatebot(world)
    assert out.sent_back == [bad]
    assert out.runs - 1 <= math.ceil(math.log2(n)) + 2


def test_eight_good_tasks_cost_one_check_run() -> None:
    out = run_gatebot(World(tuple(range(1, 9))))
    assert (out.runs, out.landed) == (1, list(range(1, 9)))  # 0.125 runs per landed task


def test_a_flaky_failure_is_reported_and_lands_nothing_twice() -> None:
    out = run_gatebot(World((1, 2, 3, 4), flaky=frozenset({0})))
    assert out.landed == [1, 2, 3, 4]
    assert out.flaky_reported == [(4,)]  # the last task's tree failed once, passed on retry
    assert out.runs == 4  # the batch, prefixes 2 and 3, the retry of the whole tree


def test_a_board_only_commit_on_main_voids_no_run_and_a_code_commit_does() -> None:
    world = World(tuple(range(1, 9)), bad=frozenset({6}), moves={1: False})
    assert run_gatebot(world).runs == run_gatebot(World(world.queue, world.bad)).runs
    moved = run_gatebot(World(world.queue, world.bad, moves={1: True}))
    assert moved.landed == [1, 2, 3, 4, 5, 7, 8]
    assert moved.batches[0].voided == 1 and moved.runs > run_gatebot(world).runs


def test_the_other_policies_land_the_same_tasks_at_a_higher_cost() -> None:
    world = World(tuple(range(1, 9)), bad=frozenset({3}))
    ours, serial, github, bors = (run_gatebot(world), run_serial(world), run_github(world),
                                  run_bors(world))
    assert ours.landed == serial.landed == github.landed == bors.landed == [1, 2, 4, 5, 6, 7, 8]
    assert (ours.runs, serial.runs, github.runs, bors.runs) == (6, 8, 13, 7)
