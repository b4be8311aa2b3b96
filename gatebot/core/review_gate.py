"""What a submitted or dismissed pull request review changes, decided from facts alone.

Gate 1 (docs/protocol.md, "Gate 1"): a task in REVIEW whose automated rules passed on the
current head and which has an eligible APPROVED review of that head moves to RDY FOR PROD.
Gate 2 ("Gate 2"): a task in RDY FOR PROD with a second APPROVED review of the same head, by
someone neither a builder nor the gate-1 reviewer, is staged for the landing. Who counts is
``gatebot.core.github_model.decide_approvals``' (builders and bots never do). Pure: the
caller reads the facts again from the forge and carries the step out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gatebot.core.board import Stage
from gatebot.core.github_model import Approvals

Action = Literal["nothing", "rdy-for-prod", "stage"]


@dataclass(frozen=True)
class ReviewFacts:
    """A pull request's task as read after a review event.

    ``stage``: the task's stage (None: no task or no stage label); ``approvals``: who approves
    the current head; ``gate1_green``: gate 1's automated verdict passed on that head;
    ``staged``: a staging commit of that head exists already (the landing is under way).
    """

    stage: Stage | None
    approvals: Approvals
    gate1_green: bool
    staged: bool


@dataclass(frozen=True)
class ReviewStep:
    """The decision: ``action`` (nothing, rdy-for-prod or stage) and why, for people."""

    action: Action
    reason: str


def review_step(facts: ReviewFacts) -> ReviewStep:
    """What the reviews of the current head ask for now (module doc); never a second write.

    A task already moved, or already staged, is ``nothing``: processing the same review
    event twice does nothing the second time.
    """
    if facts.stage is Stage.REVIEW:
        return _gate1(facts)
    if facts.stage is Stage.RDY_FOR_PROD:
        return _gate2(facts)
    stage = facts.stage.value if facts.stage else "no stage"
    return ReviewStep("nothing", f"the task is in {stage}: reviews move only REVIEW and "
                      "RDY FOR PROD")


def _gate1(facts: ReviewFacts) -> ReviewStep:
    found = facts.approvals.gate1
    if found is None:
        return ReviewStep("nothing", "no eligible approval of the current head yet")
    if not facts.gate1_green:
        return ReviewStep("nothing", f"approved by {found.login}, but gate 1's automated "
                          "rules have not passed on the current head")
    return ReviewStep("rdy-for-prod", f"gate 1 approved by {found.login} on the current head")


def _gate2(facts: ReviewFacts) -> ReviewStep:
    found = facts.approvals.gate2
    if found is None:
        return ReviewStep("nothing", "no second eligible approval of the current head yet "
                          "(builders and the gate-1 reviewer do not count)")
    if facts.staged:
        return ReviewStep("nothing", "the current head is staged already")
    return ReviewStep("stage", f"gate 2 approved by {found.login} on the current head: "
                      "staging the landing")


def gate1_passes(green: bool, failed: tuple[str, ...] | None, maintainer_approved: bool) -> bool:
    """Whether gate 1's automated rules count as passed on the head.

    ``green``: gate 1's own verdict passed. Else, when the only rule that failed was
    ``gate-files`` (``failed``, as gatebot published it) and the gate-1 reviewer is a
    maintainer (``maintainer_approved``), the rule's demand is met: a maintainer approved the
    change to the files that define the gates (docs/protocol.md, the ``gate-files`` rule).
    """
    return green or (failed == ("gate-files",) and maintainer_approved)
