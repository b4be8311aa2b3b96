"""The merge queue's order, batch size and the bisection's single steps (gatebot/core/queue.py)."""

from __future__ import annotations

import pytest

from gatebot.core.queue import (
    Bisection,
    Candidate,
    CheckRun,
    Done,
    Land,
    RunChecks,
    SendBack,
    batch_size,
    next_batch,
    plan_batches,
    queue_order,
)


def candidate(number: int, at: float, *, critical: bool = False, pushed: bool = False,
              approved: bool = True) -> Candidate:
    head = f"{number:040x}"
    approved_head = None if not approved else ("0" * 40 if pushed else head)
    return Candidate(number, head, approved_head, at, critical)


def test_the_queue_is_approval_order_with_critical_tasks_first() -> None:
    tasks = [candidate(1, 30), candidate(2, 10), candidate(3, 20, critical=True), candidate(4, 10)]
    assert [c.number for c in queue_order(tasks)] == [3, 2, 4, 1]


def test_a_push_after_the_approval_or_no_approval_keeps_a_task_out() -> None:
    tasks = [candidate(1, 1, pushed=True), candidate(2, 2, approved=False), candidate(3, 3)]
    assert [c.number for c in queue_order(tasks)] == [3]


@pytest.mark.parametrize(("queued", "override", "size"),
                         [(0, None, 0), (1, None, 1), (3, None, 3), (8, None, 8), (30, None, 8),
                          (30, 12, 12), (5, 2, 2), (1, 4, 1)])
def test_the_batch_grows_with_the_queue_up_to_8_unless_overridden(
        queued: int, override: int | None, size: int) -> None:
    assert batch_size(queued, override) == size


def test_a_batch_size_below_1_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="--batch-size 1 or more"):
        batch_size(4, 0)


def test_a_critical_task_goes_alone_and_stops_the_batch_before_it() -> None:
    queue = (candidate(1, 1), candidate(2, 2), candidate(3, 3, critical=True), candidate(4, 4))
    assert [c.number for c in next_batch(queue)] == [1, 2]
    ordered = queue_order(queue)
    assert [[c.number for c in b] for b in plan_batches(ordered)] == [[3], [1, 2, 4]]
    assert [[c.number for c in b] for b in plan_batches(ordered, 2)] == [[3], [1, 2], [4]]
    assert next_batch(()) == ()


def test_a_red_batch_of_8_is_bisected_on_prefixes_landing_each_green_one() -> None:
    state = Bisection((1, 2, 3, 4, 5, 6, 7, 8))
    assert state.step() == RunChecks((1, 2, 3, 4, 5, 6, 7, 8))
    state = state.record(CheckRun((1, 2, 3, 4, 5, 6, 7, 8), passed=False))
    assert state.step() == RunChecks((1, 2, 3, 4))
    state = state.record(CheckRun((1, 2, 3, 4), passed=True))
    assert state.step() == Land((1, 2, 3, 4))
    state = state.landed((1, 2, 3, 4))
    assert state.runs == (CheckRun((5, 6, 7, 8), passed=False),)  # on the new base
    assert state.step() == RunChecks((5, 6))
    state = state.record(CheckRun((5, 6), passed=False))
    assert state.step() == RunChecks((5,))
    state = state.record(CheckRun((5,), passed=False))
    assert state.step() == RunChecks((5,), retry=True)
    state = state.record(CheckRun((5,), passed=False))
    assert state.step() == SendBack(5, (5,))
    state = state.sent_back(5)
    assert state == Bisection((6, 7, 8))  # every run held #5: the rest is tested afresh
    assert state.step() == RunChecks((6, 7, 8))
    assert state.record(CheckRun((6, 7, 8), passed=True)).landed((6, 7, 8)).step() == Done()


def test_a_failure_that_does_not_repeat_on_retry_is_flaky_and_lands() -> None:
    state = Bisection((1,)).record(CheckRun((1,), passed=False))
    assert state.step() == RunChecks((1,), retry=True)
    state = state.record(CheckRun((1,), passed=True))
    assert state.step() == Land((1,), flaky=((1,),))


def test_landing_what_is_not_a_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="not a prefix"):
        Bisection((1, 2, 3)).landed((2,))


def test_main_moving_keeps_the_runs_for_a_board_commit_and_voids_them_for_code() -> None:
    state = Bisection((1, 2)).record(CheckRun((1, 2), passed=False))
    assert state.main_moved(code_changed=False) == state
    assert state.main_moved(code_changed=True) == Bisection((1, 2))


def test_a_conflicting_task_is_taken_out_with_the_runs_that_held_it() -> None:
    state = Bisection((1, 2, 3)).record(CheckRun((1, 2, 3), passed=False))
    assert state.taken_out(2) == Bisection((1, 3))
