"""Gate work on a pull request, for ``gatebot gate`` and the github forge.

``gate_one``: after the automated rules ran on a push (or a review arrived), publish gate 1's
verdict with what the reviews mean, and move the task REVIEW → RDY FOR PROD when the verdict
passes and an eligible reviewer approved the current head (docs/protocol.md, "Gate 1").
``gate_two_reviewer``: the approval that lets gate 2 land the change, or why there is none.
Reads: the pull request, its commits, its reviews, the task's issue, the bot's account, the
sticky comment; a second run on the same head and verdict writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from github.Issue import Issue

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.identity import (
    PullFacts,
    approvals,
    bot_identity,
    head_approved,
    read_pull,
)
from gatebot.adapters.github.identity import claimants as claimants_of
from gatebot.adapters.github.labels import issue_stage, read_task_issue, set_stage
from gatebot.adapters.github.verdicts import Publication, Published, publish
from gatebot.core.board import Stage
from gatebot.core.gate1_runs import RunIds
from gatebot.core.github_model import Approvals, Person, task_of_pull
from gatebot.core.verdict import Verdict

REVIEWS_HEADING = "### Reviews"


@dataclass(frozen=True)
class GateOutcome:
    """What ``gate_one`` did.

    The task (None: the pull request names none), the approvals, whether the task moved to
    RDY FOR PROD, and how the verdict was published.
    """

    task: int | None
    approvals: Approvals
    moved: bool
    published: Published


def approvals_text(found: Approvals) -> str:
    """Markdown lines on the reviews: who counts for which gate, whose approval does not."""
    lines = []
    if found.gate1:
        lines.append(f"- Gate 1 approved by @{found.gate1.login} on this head")
    if found.gate2:
        lines.append(f"- Gate 2 approved by @{found.gate2.login} on this head")
    lines += [f"- @{login} {why}" for login, why in found.not_counted]
    return "\n".join(lines)


def reviews_section(found: Approvals, head: str) -> str:
    """The sticky comment's review notes of ``head``: a heading naming it and ``approvals_text``.

    "" when there is nothing to say. The heading names the head SHA because the section
    outlives a push: a later verdict keeps it until the reviews of the new head are written.
    """
    notes = approvals_text(found)
    return f"{REVIEWS_HEADING} of {head[:12]}\n{notes}\n" if notes else ""


def _task_issue(conn: Connection, facts: PullFacts) -> Issue | None:
    number = task_of_pull(facts.branch, facts.body)
    if number is None:
        return None
    return read_task_issue(conn, number)


def gate_one(conn: Connection, number: int, verdict: Verdict, markdown: str, *,
             log_url: str | None = None, pusher: Person | None = None,
             runs: RunIds | None = None, base: str = "") -> GateOutcome:
    """Publish gate 1 on pull request ``number`` and move its task when approved (module doc).

    ``verdict.head`` must be the pull request's head; ``markdown`` is the verdict's summary
    (the review notes are appended); ``runs`` and ``base`` as ``Publication`` has them. Raises ``EnvironmentProblem`` (exit 2) on GitHub errors,
    ``BoardError`` (exit 2) when the task has two stage labels.
    """
    facts = read_pull(conn, number)
    issue = _task_issue(conn, facts)
    with translated(conn.secrets, "reading who held the task"):
        claimants = claimants_of(issue, history=head_approved(facts)) if issue else ()
    found = approvals(facts, claimants, pusher)
    done = publish(conn, Publication(number, "gate-1", verdict, markdown, log_url,
                                     reviews_section(found, facts.head),
                                     (pusher,) if pusher else (), runs, base),
                   bot_identity(conn))
    moved = bool(issue and verdict.verdict == "pass" and verdict.head == facts.head
                 and found.gate1 and issue_stage(issue) is Stage.REVIEW)
    if moved and issue is not None:
        set_stage(conn, issue, Stage.RDY_FOR_PROD)
    return GateOutcome(issue.number if issue else None, found, moved, done)
