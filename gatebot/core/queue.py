"""The merge queue, pure: the order, the batch size, and how a red batch finds its culprit.

Which tasks wait in what order, how many go in one batch, and how a red batch finds its
culprit with as few check runs as possible (docs/queue.md).

Nothing here reads or writes anything. A runner (the command) gathers the facts, asks
``Bisection.step`` what to do next, does it (builds a tree, runs the checks, lands, sends back)
and tells the bisection what happened; the simulator in tests/queuesim.py is such a runner.

Terms. The *base* is the tip of main the batch is built on, known green (every commit on
main's first-parent chain passed its checks). A *tree* is the base with tasks merged
``--no-ff`` in queue order: ``(3, 5)`` is base + #3 + #5. A *check run* is one run of the
required checks on one tree: green or red. Check runs are the cost this module minimises.

The strategy, for a batch ``t1..tn`` (conflicting tasks were taken out before any run):

1. Test the whole batch. Green: land it (main fast-forwards to the batch's last release).
2. Red: bisect the *prefixes*. Keep ``hi``, the shortest prefix seen red (the base, prefix
   0, is green). Test prefix ``hi // 2``; green → land it at once (a tested tree may go on
   main: the known-green prefix is never tested again) and go on with the rest relative to
   the new base; red → it is the new ``hi``.
3. When ``hi`` is 1 the culprit is the first task left: the tree base + culprit failed once.
   Retry that same tree: red again → the failure is real, the culprit goes back to REVIEW;
   green → the failure was flaky: report it and land the tree (it passed).
4. The tasks after a culprit have no valid run left (every run held the culprit): test
   them as a new batch on the new base.

Green results are trusted, red ones only when they repeat on the same tree, so a flaky
failure never sends a good task back and a tree lands only after a green run of exactly
that tree. "Bad only in combination" needs nothing special: the prefix that first turns
red names the later task of the pair, which goes back; the earlier one lands.

Bound (checked by tests/core/test_queue_sim.py): a batch of ``n`` tasks with ``b`` real
culprits and ``f`` flaky failures, main not moving, costs at most
``1 + b·(⌈log₂ n⌉ + 2) + f·(⌈log₂ n⌉ + 1)`` check runs: one run for the batch; per culprit
at most ⌈log₂ n⌉ bisection runs, one retry that confirms it and one run of the tasks after
it; per flaky failure at most the bisection and retry it misled. With no bad task and no
flake: one run per batch (8 tasks: 0.125 runs per landed task). A commit on main that
changes code voids the runs of the batch in progress (they tested another base) and costs at
most those runs plus one; a board-only commit voids nothing. Compare: serial landing costs n runs; GitHub's merge queue tests each
entry with everything ahead (n runs) and retests every entry behind a dropped one; bors
halves a failed batch and retests both halves, so a culprit costs about 2·log₂ n runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

QUEUE_STAGING = "gatebot/staging/queue/"
"""The merge queue's staging branches on GitHub: ``gatebot/staging/queue/<k>``, one per test.

Each holds the release commits of one prefix of the batch, chained on the base tip; ``k``
counts up (each push makes a new ref, never a forced one)."""

MAX_BATCH = 8
"""The largest adaptive batch (issue 12): 8 tasks, 0.125 check runs each when all are good."""

Tree = tuple[int, ...]
"""Task numbers merged on the base in queue order: ``()`` is the base itself."""


@dataclass(frozen=True)
class Candidate:
    """A task that may be queued (a RDY FOR PROD task, as the forge has it).

    ``head``: its branch's head SHA now; ``approved_head``: the head SHA its standing approval
    names (None: no standing approval); ``approved_at``: the approval's place in approval order
    (smaller is earlier: a timestamp or a sequence number); ``critical``: an emergency task
    (``🚨 CRITICAL`` in the title or ``**Priority**: critical``).
    """

    number: int
    head: str
    approved_head: str | None
    approved_at: float
    critical: bool = False

    @property
    def approval_stands(self) -> bool:
        """True when the approval was given on the head the branch has now (a push voids it)."""
        return self.approved_head is not None and self.approved_head == self.head


def queue_order(candidates: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """The queue: candidates whose approval stands on their current head, in landing order.

    ``critical`` tasks first, then approval order (the task number breaks ties). Candidates
    are RDY FOR PROD tasks: the caller filters the stage.
    """
    waiting = [c for c in candidates if c.approval_stands]
    return tuple(sorted(waiting, key=lambda c: (not c.critical, c.approved_at, c.number)))


def batch_size(queued: int, override: int | None = None) -> int:
    """How many tasks the next batch takes from a queue of ``queued`` (≥ 0) tasks.

    Adaptive: as many as wait, at most ``MAX_BATCH`` (1 while one task waits, 8 while eight
    or more do). ``override`` (``--batch-size N``, N ≥ 1) replaces the cap. Raises
    ``ValueError`` for an override below 1.
    """
    if override is not None and override < 1:
        raise ValueError(f"batch size must be at least 1, not {override}: pass --batch-size 1 or more")
    cap = MAX_BATCH if override is None else override
    return max(0, min(queued, cap))


def next_batch(queue: Sequence[Candidate], override: int | None = None) -> tuple[Candidate, ...]:
    """The tasks of the next batch, taken from the head of ``queue`` (``queue_order``'s).

    A critical task at the head goes alone; otherwise the first ``batch_size`` tasks,
    stopping before any critical one.
    """
    if not queue:
        return ()
    if queue[0].critical:
        return (queue[0],)
    size = batch_size(len(queue), override)
    taken: list[Candidate] = []
    for candidate in queue[:size]:
        if candidate.critical:
            break
        taken.append(candidate)
    return tuple(taken)


def plan_batches(queue: Sequence[Candidate], override: int | None = None
                 ) -> tuple[tuple[Candidate, ...], ...]:
    """The batches the queue would go in if every batch were green, in order."""
    batches: list[tuple[Candidate, ...]] = []
    rest = tuple(queue)
    while rest:
        batch = next_batch(rest, override)
        batches.append(batch)
        rest = rest[len(batch):]
    return tuple(batches)


@dataclass(frozen=True)
class CheckRun:
    """One check run: the ``tree`` tested (relative to the bisection's base) and its result."""

    tree: Tree
    passed: bool


@dataclass(frozen=True)
class RunChecks:
    """Decision: build ``tree`` on the base and run the checks on it once.

    ``retry``: the same tree failed once already; this run tells a real failure from a flaky
    one.
    """

    tree: Tree
    retry: bool = False


@dataclass(frozen=True)
class Land:
    """Decision: ``tasks`` (a prefix of the batch) passed on exactly this tree: land them.

    Each is its own release commit; main is fast-forwarded to the last. ``flaky``: trees
    among them that failed once and passed on retry, for the escalation and the audit.
    """

    tasks: Tree
    flaky: tuple[Tree, ...] = ()


@dataclass(frozen=True)
class SendBack:
    """Decision: ``task`` is the culprit: send it back to REVIEW with the failing checks named.

    The base passed and ``tree`` (base + ``task``) failed twice.
    """

    task: int
    tree: Tree


@dataclass(frozen=True)
class Done:
    """Decision: every task of the batch has landed or gone back."""


Step = RunChecks | Land | SendBack | Done


@dataclass(frozen=True)
class Bisection:
    """The state of one batch on one base: its undecided tasks and the check runs so far.

    ``tasks``: still undecided, in queue order; ``runs``: check runs of trees on the current
    base, oldest first; ``flaky``: trees that failed once and then passed.

    Immutable: each ``record``/``landed``/``sent_back``/``taken_out``/``main_moved`` returns
    the next state. ``step`` is a pure function of the state.
    """

    tasks: Tree
    runs: tuple[CheckRun, ...] = ()
    flaky: tuple[Tree, ...] = field(default=())

    @classmethod
    def resumed(cls, tasks: Tree, runs: Sequence[CheckRun]) -> Bisection:
        """The state of batch ``tasks`` after ``runs`` (oldest first), as a step function reads it.

        A runner that keeps no memory between invocations (``gatebot queue run --forge
        github``: one step per GitHub Actions job) reads the check runs back and replays them
        here. Runs whose tree is not a prefix of ``tasks`` (they held a task that left the
        batch) are dropped, as ``taken_out`` would have dropped them.
        """
        state = cls(tasks)
        for run in runs:
            if run.tree and run.tree == tasks[:len(run.tree)]:
                state = state.record(run)
        return state

    def step(self) -> Step:
        """The next thing to do (see the module's doc for the strategy and its bound)."""
        if not self.tasks:
            return Done()
        green = self._longest_green_prefix()
        if green:
            return Land(self.tasks[:green], tuple(t for t in self.flaky
                                                   if len(t) <= green and t == self.tasks[:len(t)]))
        red = self._shortest_red_prefix()
        if red is None:
            return RunChecks(self.tasks)
        if red > 1:
            return RunChecks(self.tasks[:red // 2])
        failures = sum(1 for run in self.runs if run.tree == self.tasks[:1] and not run.passed)
        if failures >= 2:
            return SendBack(self.tasks[0], self.tasks[:1])
        return RunChecks(self.tasks[:1], retry=True)

    def record(self, run: CheckRun) -> Bisection:
        """The state after ``run``; a green run of a tree that failed before marks it flaky."""
        flaky = self.flaky
        if run.passed and any(r.tree == run.tree and not r.passed for r in self.runs):
            flaky = (*flaky, run.tree)
        return replace(self, runs=(*self.runs, run), flaky=flaky)

    def landed(self, tasks: Tree) -> Bisection:
        """The state after ``tasks`` (a prefix of ``self.tasks``) landed.

        Main is the new base: every run and flaky tree is re-expressed relative to it.
        Raises ``ValueError`` when ``tasks`` is not a prefix of the batch.
        """
        if tasks != self.tasks[:len(tasks)]:
            raise ValueError(f"tasks {tasks} are not a prefix of the batch {self.tasks}")
        cut = len(tasks)

        def keep(tree: Tree) -> bool:
            return len(tree) > cut and tree[:cut] == tasks

        return Bisection(self.tasks[cut:],
                         tuple(CheckRun(r.tree[cut:], r.passed) for r in self.runs if keep(r.tree)),
                         tuple(t[cut:] for t in self.flaky if keep(t)))

    def sent_back(self, task: int) -> Bisection:
        """The state after ``task`` left the batch (sent back): every run that held it is void."""
        return self.taken_out(task)

    def taken_out(self, task: int) -> Bisection:
        """The state after ``task`` left the batch (its merge conflicted, or it went back)."""
        return Bisection(tuple(t for t in self.tasks if t != task),
                         tuple(r for r in self.runs if task not in r.tree),
                         tuple(t for t in self.flaky if task not in t))

    def main_moved(self, *, code_changed: bool) -> Bisection:
        """The state after someone else committed to main.

        A board-only commit (no file outside the board files changed) leaves every tree's
        code as it was: the runs stand. A code change voids them: the trees are rebuilt on
        the new tip and tested again.
        """
        return self if not code_changed else Bisection(self.tasks)

    def _longest_green_prefix(self) -> int:
        return max((len(r.tree) for r in self.runs
                    if r.passed and r.tree and r.tree == self.tasks[:len(r.tree)]), default=0)

    def _shortest_red_prefix(self) -> int | None:
        return min((len(r.tree) for r in self.runs
                    if not r.passed and r.tree and r.tree == self.tasks[:len(r.tree)]), default=None)


def queue_branch(k: int) -> str:
    """Staging branch ``k`` of the merge queue (``QUEUE_STAGING`` + ``k``); ``ValueError`` below 1."""
    if k < 1:
        raise ValueError(f"queue staging branches count from 1, not {k}")
    return f"{QUEUE_STAGING}{k}"


def queue_attempt(branch: str) -> int | None:
    """``k`` of a queue staging branch name (``refs/heads/`` allowed); None for any other name."""
    rest = branch.removeprefix("refs/heads/")
    if not rest.startswith(QUEUE_STAGING):
        return None
    k = rest.removeprefix(QUEUE_STAGING)
    return int(k) if k.isdigit() and k[0] != "0" else None
