"""The lifecycle's transitions as pure decisions (``gatebot.core.transitions``): no I/O.

Which stage may move to which, by whom, with which fields: every decision
either refuses or moves a task from a stage ``ALLOWED`` lists to the one it
names, and records who acted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatebot.core import transitions as tr
from gatebot.core.board import Stage, Task
from gatebot.core.records import BoardEvent, approvals, standing_approval
from gatebot.errors import Refused, UsageError

NOW = datetime(2025, 11, 1, 10, 0, tzinfo=UTC)
FACTS = tr.ApprovalFacts("rev", "h" * 40, "b" * 40, ("file-length", "checks.tests"),
                         ("checks.tests",), "91%", "ann, rev", ("ann",))


def task(stage: Stage | None, **fields: str) -> Task:
    return Task(4, "Rate limiter", stage, fields)


DECISIONS: dict[str, Callable[[Task], tr.Transition]] = {
    "claimed": lambda t: tr.claim(t, "bob", NOW, ["src/*.py"], 30),
    "submitted": lambda t: tr.submit(t, "ann", NOW, "task/4-x"),
    "unclaimed": lambda t: tr.release(t, "ann", NOW, force=False, maintainer=False),
    "force-released": lambda t: tr.release(t, "max", NOW, force=True, maintainer=True),
    "approved": lambda t: tr.approve(tr.TaskState(t), FACTS, NOW),
    "rejected": lambda t: tr.reject(t, "rev", NOW, reason="no", failed=["docstrings"],
                                    head="h" * 40),
    "merge-failed": lambda t: tr.send_back(t, "cid", NOW, event="merge-failed", reason="red",
                                           details={}, head="h" * 40),
}


@given(st.sampled_from(sorted(DECISIONS)), st.sampled_from([None, *Stage]),
       st.sampled_from(["ann", "bob", ""]))
def test_a_decision_moves_only_from_the_stages_it_allows(event: str, stage: Stage | None,
                                                         assignee: str) -> None:
    before, after = tr.ALLOWED[event]  # type: ignore[index]
    current = task(stage, Assignee=assignee or "None")
    try:
        decided = DECISIONS[event](current)
    except Refused as refusal:
        assert "task #4" in refusal.message
        return
    assert stage in before
    assert decided.stage is after
    assert decided.event == event
    assert decided.trailers["Gatebot-Task"] == "#4"
    assert decided.trailers["Gatebot-Event"] == event
    assert [e.event for e in decided.entries] in ([], [event])


def test_claim_makes_every_claimant_a_builder_and_archives_the_estimate() -> None:
    decided = tr.claim(task(Stage.READY, **{"Built by": "ann"}), "bob", NOW, ["src/*.py"], 30,
                       git_identity="Bob <bob@x.org>")
    assert decided.fields == {"Assignee": "bob", "Started": "2025-11-01T10:00:00Z",
                              "Built by": "ann, bob", "Cannot review": "ann, bob",
                              "Files": "src/*.py"}
    assert decided.entries[0].fields["Estimate"] == "30min"
    assert decided.record == {"Gatebot-Actor": "bob", "Gatebot-Actor-Git": "Bob <bob@x.org>"}


def test_a_claimed_task_names_its_holder_and_since_when() -> None:
    held = task(Stage.IN_PROGRESS, Assignee="ann", Started="2025-11-01T09:00:00Z")
    with pytest.raises(Refused, match=r"task #4 is claimed by ann since 2025-11-01T09:00:00Z"):
        tr.claim(held, "bob", NOW, [], None)
    with pytest.raises(Refused, match="task #4 is in REVIEW, not READY"):
        tr.claimable(task(Stage.REVIEW))


def test_only_the_holder_submits() -> None:
    with pytest.raises(Refused, match="claimed by ann, not bob"):
        tr.submit(task(Stage.IN_PROGRESS, Assignee="ann"), "bob", NOW, None)
    assert tr.submit(task(Stage.IN_PROGRESS, Assignee="ANN"), "ann", NOW, None).fields == {}


def test_release_by_another_needs_a_maintainer_with_force() -> None:
    held = task(Stage.IN_PROGRESS, Assignee="ann", Started="T0")
    with pytest.raises(Refused, match="claimed by ann") as caught:
        tr.release(held, "bob", NOW, force=True, maintainer=False)
    assert "maintainer with --force" in caught.value.hint
    forced = tr.release(held, "max", NOW, force=True, maintainer=True, reason="gone",
                        heartbeat="2025-11-01T09:30:00Z")
    assert forced.event == "force-released"
    assert forced.entries[0].fields["Holder"] == "ann"
    assert forced.entries[0].fields["Heartbeat"] == "2025-11-01T09:30:00Z"
    own = tr.release(held, "ann", NOW, force=False, maintainer=False)
    assert (own.event, own.entries, own.fields) == ("unclaimed", (), {"Assignee": "None"})


def test_an_approval_standing_for_the_head_refuses_a_second_one() -> None:
    ready = task(Stage.RDY_FOR_PROD, Labels="escalated, ui")
    approved = BoardEvent("a1", {"Gatebot-Event": "approved", "Gatebot-Head": "h" * 40})
    with pytest.raises(Refused, match="already approved at gate 1 for hhhhhhhhhhhh"):
        tr.approve(tr.TaskState(ready, (approved,)), FACTS, NOW)
    older = BoardEvent("a0", {"Gatebot-Event": "approved", "Gatebot-Head": "0" * 40})
    decided = tr.approve(tr.TaskState(ready, (older,)), FACTS, NOW)  # a push voided it
    assert decided.fields["Labels"] == "ui"
    assert decided.fields["Built by"] == "ann"
    assert decided.record["Gatebot-Rules"] == "file-length, checks.tests"
    assert decided.entries[0].fields["Tests"] == "✅ All pass (checks.tests)"


def test_an_escalation_keeps_the_stage_and_the_approval() -> None:
    decided = tr.flag_escalation(task(Stage.RDY_FOR_PROD, Labels="escalated"), "cid", NOW,
                                 situation="push refused", title="Push refused",
                                 head="h" * 40)
    assert decided.stage is None
    assert decided.fields == {"Labels": "escalated"}
    assert decided.record["Gatebot-Approval"] == "kept"


def test_a_new_task_needs_a_title() -> None:
    with pytest.raises(UsageError):
        tr.new_task("  ", [], False, "ann")
    assert tr.new_task("Fix", ["a.py"], True, "ann").fields == {
        "Priority": "critical", "Built by": "None yet", "Cannot review": "None",
        "Files": "a.py"}


def _event(sha: str, event: str, **more: str) -> BoardEvent:
    return BoardEvent(sha, {"Gatebot-Event": event, **more})


def test_the_newest_gate_event_decides_whether_an_approval_stands() -> None:
    approved = _event("a1", "approved", **{"Gatebot-Head": "h1", "Gatebot-Actor": "rev",
                                           "Gatebot-Actor-Git": "Rev <r@x.org>",
                                           "Gatebot-Rules": "a, b"})
    kept = _event("e1", "escalated", **{"Gatebot-Approval": "kept"})
    assert standing_approval([kept, approved]) == approved
    assert standing_approval([_event("r1", "rejected"), approved]) is None
    assert standing_approval([_event("c1", "claimed")]) is None
    (only,) = approvals([kept, approved])
    assert (only.reviewer.git_email, only.head, only.rules, only.standing) == (
        "r@x.org", "h1", ("a", "b"), True)
    assert not approvals([_event("m1", "merge-failed"), approved])[0].standing


def _lapse(number: int, session: str, key: str) -> tr.StaleClaim:
    return tr.StaleClaim(number, "Rate limiter", session, "T0", "T1", ("a.py",), key)


def test_a_sweep_records_each_lapse_once_and_labels_a_task_once() -> None:
    from gatebot.core.board import Board  # noqa: PLC0415

    board = Board.parse("# TODO\n\n## 🔨 IN-PROGRESS\n\n### #4 Rate limiter\n"
                        "**Assignee**: ann, bob\n**Labels**: ui\n")
    lapses = [_lapse(4, "ann", "k1"), _lapse(4, "bob", "k2"), _lapse(9, "cid", "k3"),
              _lapse(4, "old", "k0")]
    decided = tr.stale(tr.BoardState(board, frozenset({"k0"})), lapses, NOW)
    assert [(t.number, dict(t.fields)) for t in decided] == [
        (4, {"Labels": "ui, stale"}), (4, {}), (9, {})]
    assert [t.entries[0].fields["Flag"] for t in decided] == ["k1", "k2", "k3"]
    assert all(t.stage is None and t.trailers["Gatebot-Event"] == "stale" for t in decided)
    with pytest.raises(Refused, match="another sweep recorded these claims already"):
        tr.stale(tr.BoardState(board, frozenset({"k0", "k1", "k2", "k3"})), lapses, NOW)
