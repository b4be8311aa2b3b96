"""A simulated world for the merge queue: tasks, checks that fail, flaky runs, main moving.

Used by tests/core/test_queue_sim.py (properties, with hypothesis) and by
benchmarks/bench_queue.py (check runs per landed task, side by side with serial landing and
GitHub's merge queue policy). The world is pure data; the runners count check runs.

The model:
- a tree is main's tasks plus the tree's tasks; its checks *really* fail when it holds a
  ``bad`` task, or both tasks of one of the ``pairs`` (bad only in combination);
- a task in ``conflicts`` conflicts whatever the base: its merge fails before any check runs;
- check run number ``i`` (0-based, counting every run) in ``flaky`` fails spuriously, unless
  it re-runs a tree that was already run on the same main (a flaky failure does not repeat
  on retry of the same tree);
- before check run number ``i`` in ``moves``, someone else commits to main: ``True`` a code
  change (every run on the old main is void), ``False`` a board-only commit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from gatebot.core.queue import (
    Bisection,
    CheckRun,
    Done,
    Land,
    RunChecks,
    SendBack,
    Tree,
    batch_size,
)


@dataclass(frozen=True)
class World:
    """The facts a runner cannot see: which tasks fail, which runs flake, when main moves."""

    queue: Tree
    bad: frozenset[int] = frozenset()
    pairs: tuple[tuple[int, int], ...] = ()
    conflicts: frozenset[int] = frozenset()
    flaky: frozenset[int] = frozenset()
    moves: Mapping[int, bool] = field(default_factory=dict)

    def fails(self, tasks: Tree) -> bool:
        """True when checks on a tree holding ``tasks`` really fail."""
        held = set(tasks)
        return bool(held & self.bad) or any(a in held and b in held for a, b in self.pairs)

    def expected_landed(self) -> Tree:
        """What a perfect queue lands: in queue order, each task that merges and keeps main green."""
        landed: list[int] = []
        for task in self.queue:
            if task not in self.conflicts and not self.fails((*landed, task)):
                landed.append(task)
        return tuple(landed)


@dataclass
class BatchCost:
    """One batch's figures, for the bound: size after conflicts, runs, culprits, flakes, voids."""

    size: int
    runs: int = 0
    culprits: int = 0
    flakes: int = 0
    voided: int = 0
    code_moves: int = 0

    def bound(self) -> int:
        """The check runs the strategy promises at most (gatebot/core/queue.py's doc)."""
        log = math.ceil(math.log2(self.size)) if self.size > 1 else 0
        return (1 + self.culprits * (log + 2) + self.flakes * (log + 1)
                + self.voided + self.code_moves)


@dataclass
class Outcome:
    """What a runner did: landed in order, sent back, conflicted, check runs, flaky reports."""

    landed: list[int] = field(default_factory=list)
    sent_back: list[int] = field(default_factory=list)
    conflicted: list[int] = field(default_factory=list)
    runs: int = 0
    flaky_reported: list[Tree] = field(default_factory=list)
    batches: list[BatchCost] = field(default_factory=list)
    main_versions: int = 0  # foreign code commits on main so far
    tested: dict[tuple[int, Tree], list[bool]] = field(default_factory=dict)
    unsafe_landings: list[Tree] = field(default_factory=list)
    moves_done: set[int] = field(default_factory=set)

    def key(self, tree: Tree) -> tuple[int, Tree]:
        """A tree's identity: the code on main (foreign commits and landed tasks) plus ``tree``."""
        return self.main_versions, (*self.landed, *tree)

    def check(self, world: World, tree: Tree) -> bool:
        """Run the checks once on main + ``tree``: True when green."""
        key = self.key(tree)
        flake = self.runs in world.flaky and key not in self.tested
        passed = not world.fails(key[1]) and not flake
        self.runs += 1
        self.tested.setdefault(key, []).append(passed)
        return passed

    def land(self, world: World, tasks: Tree) -> None:
        """Fast-forward main to main + ``tasks``; record it unsafe unless that tree ran green."""
        if world.fails((*self.landed, *tasks)) or True not in self.tested.get(self.key(tasks), []):
            self.unsafe_landings.append((*self.landed, *tasks))
        self.landed.extend(tasks)


def _move_main(world: World, out: Outcome, cost: BatchCost, state: Bisection) -> Bisection | None:
    """Someone else commits to main before this run, if the world says so: the new state."""
    code = world.moves.get(out.runs)
    if code is None or out.runs in out.moves_done:
        return None
    out.moves_done.add(out.runs)
    if code:
        out.main_versions += 1
        cost.voided += len(state.runs)
        cost.code_moves += 1
    return state.main_moved(code_changed=code)


def _test(world: World, out: Outcome, cost: BatchCost, state: Bisection, tree: Tree) -> Bisection:
    conflicting = [t for t in tree if t in world.conflicts]
    if conflicting:  # the integration failed to merge: taken out before any check runs
        out.conflicted.append(conflicting[0])
        cost.size -= 1
        return state.taken_out(conflicting[0])
    moved = _move_main(world, out, cost, state)
    if moved is not None:
        return moved  # rebuild on the new tip: ask the bisection again
    passed = out.check(world, tree)
    cost.runs += 1
    if not passed and not world.fails((*out.landed, *tree)):
        cost.flakes += 1
    return state.record(CheckRun(tree, passed))


def run_gatebot(world: World, override: int | None = None) -> Outcome:
    """Land ``world.queue`` with gatebot's queue: adaptive batches, prefix bisection."""
    out = Outcome()
    queue = list(world.queue)
    while queue:
        size = batch_size(len(queue), override)
        batch, queue = tuple(queue[:size]), queue[size:]
        cost = BatchCost(len(batch))
        out.batches.append(cost)
        state = Bisection(batch)
        while not isinstance(step := state.step(), Done):
            if isinstance(step, RunChecks):
                state = _test(world, out, cost, state, step.tree)
            elif isinstance(step, Land):
                out.land(world, step.tasks)
                out.flaky_reported.extend(step.flaky)
                state = state.landed(step.tasks)
            elif isinstance(step, SendBack):
                out.sent_back.append(step.task)
                cost.culprits += 1
                state = state.sent_back(step.task)
    return out


def run_serial(world: World) -> Outcome:
    """Land one task at a time: one check run per task on main + task (a red task goes back)."""
    out = Outcome()
    for task in world.queue:
        if task in world.conflicts:
            out.conflicted.append(task)
        elif out.check(world, (task,)):
            out.land(world, (task,))
        else:
            out.sent_back.append(task)
    return out


def run_github(world: World) -> Outcome:
    """GitHub's merge queue policy: every entry is tested in its own merge group (main, every
    entry ahead, the entry); the first failing group's entry is dropped, the entries ahead of
    it land, and every group behind it is rebuilt and tested again. No bisection, no retry."""
    out = Outcome()
    entries = [t for t in world.queue if t not in world.conflicts]
    out.conflicted = [t for t in world.queue if t in world.conflicts]
    while entries:
        results = [out.check(world, tuple(entries[:i + 1])) for i in range(len(entries))]
        failed = results.index(False) if False in results else len(entries)
        if failed:
            out.land(world, tuple(entries[:failed]))
        if failed < len(entries):
            out.sent_back.append(entries[failed])
        entries = entries[failed + 1:]
    return out


def run_bors(world: World, size: int = 8, *, retry: bool = False) -> Outcome:
    """bors-ng's policy: batches of up to ``size``; a red batch is split in halves, each tested
    again as its own batch (first half first), down to single tasks, which go back when red.

    ``retry``: a red single task is tested once more first and lands if green (gatebot's rule
    that a failure must repeat on the same tree), which bors-ng itself does not do.
    """
    out = Outcome()
    entries = [t for t in world.queue if t not in world.conflicts]
    out.conflicted = [t for t in world.queue if t in world.conflicts]

    def attempt(batch: Tree) -> None:
        if out.check(world, batch) or (retry and len(batch) == 1 and out.check(world, batch)):
            out.land(world, batch)
        elif len(batch) == 1:
            out.sent_back.append(batch[0])
        else:
            attempt(batch[:len(batch) // 2])
            attempt(batch[len(batch) // 2:])

    for start in range(0, len(entries), size):
        attempt(tuple(entries[start:start + size]))
    return out
