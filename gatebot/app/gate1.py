"""Gate 1 decisions on the board: approve (REVIEW → RDY FOR PROD) and reject (→ READY).

SPEC §3 (who may review), §4.4 (one board commit per transition, re-applied
when the base moved), §5.2. The approval is bound to the head SHA through the
board commit's ``Gatebot-Head`` trailer and the archive entry's ``Head`` field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gatebot.app.context import Context
from gatebot.app.transitions import now as clock
from gatebot.core import records, timings
from gatebot.core.board import Task
from gatebot.core.change import Change
from gatebot.core.protocol import Contributor, Identity, cannot_review
from gatebot.core.verdict import Verdict

CO_AUTHOR = re.compile(r"(?im)^co-authored-by:[ \t]*([^<\n]*?)[ \t]*<([^<>\s]+)>[ \t]*$")
"""A ``Co-authored-by: Name <email>`` trailer line: (name, email)."""


def builders(ctx: Context, task: Task | None, change: Change) -> list[Contributor]:
    """The builders of the change (SPEC §3): claimants and every author and committer.

    Claimants come from the board commits of ``claimed`` and ``submitted``
    events — the name each acted as and the git identity it acted from
    (``Gatebot-Actor-Git``), so claiming under a second name hides no one —
    and the task's ``Assignee``/``Built by`` fields (extra exclusion is safe;
    the derived ``Cannot review`` line is never read). Commits are
    ``merge_base..head``; each ``Co-authored-by: Name <email>`` trailer names a
    builder too (GitHub's convention for a commit written together).
    """
    people: list[Contributor] = []
    if task is not None:
        for event in ctx.forge.events(task.number, change.base):
            actor = event.actor
            if event.event in ("claimed", "submitted") and actor:
                who = event.identity()
                people.append(Contributor(actor, "claimant"))
                if who.git:
                    people.append(Contributor(who.git_name, "claimant (git)", who.git_email))
        for name in task.field_list("Assignee") + task.field_list("Built by"):
            people.append(Contributor(name, "claimant"))
    for commit in ctx.git.commits(f"{change.merge_base}..{change.head}"):
        short = commit.sha[:7]
        people.append(Contributor(commit.author.name, f"author of {short}", commit.author.email))
        people.append(
            Contributor(commit.committer.name, f"committer of {short}", commit.committer.email)
        )
        people += [Contributor(name, f"co-author of {short}", email)
                   for name, email in CO_AUTHOR.findall(commit.message)]
    return people


def builder_names(people: Sequence[Contributor]) -> list[str]:
    """Distinct builder names, claimants first, for the ``Built by`` field."""
    return list(dict.fromkeys(p.name for p in people if p.name))


def approve(
    ctx: Context, verdict: Verdict, task_number: int, people: Sequence[Contributor],
    branch: str | None = None, *, identity: Identity | None = None,
) -> str:
    """Record the gate-1 approval of ``verdict.head`` by ``verdict.actor``; return the record.

    The record holds the approver whole: ``Gatebot-Actor`` (the name it acted
    as) and ``Gatebot-Actor-Git`` (``identity``'s git ``Name <email>``), which
    gate 2 reads back to refuse the same person under another name.

    Moves the task REVIEW → RDY FOR PROD (``gatebot.core.transitions.approve``).
    Raises ``Refused`` when the task is not in REVIEW at the base tip (or in
    RDY FOR PROD with an approval standing for this head).
    """
    from gatebot.core import transitions  # noqa: PLC0415 - gate 2 approves nothing

    actor = verdict.actor or ""
    coverage = next((r.summary.split()[0] for r in verdict.rules if r.id == "coverage"
                     and r.summary.split()[0].endswith("%")), "n/a")
    facts = transitions.ApprovalFacts(
        actor, verdict.head, verdict.base, tuple(r.id for r in verdict.rules),
        tuple(r.id for r in verdict.rules if r.id.startswith("checks.") and r.status == "pass"),
        coverage, cannot_review(people, [actor]), tuple(builder_names(people)), branch,
        identity.git if identity else "", timings.format_check_durations(
            {r.id.removeprefix("checks."): r.duration_s for r in verdict.rules
             if r.id.startswith("checks.") and r.log_path is not None}))  # for the audit
    now = clock()  # the approvals standing are read at the tip the approval is recorded on
    return ctx.forge.apply(task_number, lambda state: transitions.approve(state, facts, now),
                           history=True)


def check_approvable(ctx: Context, task: Task, head: str) -> None:
    """Refuse (``Refused``, exit 1) unless ``task`` may be approved at gate 1 for ``head``.

    It must be in REVIEW, or in RDY FOR PROD with no standing approval for
    ``head`` (a new push voided it). Cheap: callers ask before any check runs.
    """
    from gatebot.core import transitions  # noqa: PLC0415 - gate 2 approves nothing

    standing = approval_for(ctx, task.number)
    transitions.approvable(task, head, standing[0] if standing else None)


def reject(ctx: Context, verdict: Verdict, task_number: int, reason: str) -> str:
    """Move the task back to READY and archive why (``rejected``); return the record.

    Allowed from REVIEW and RDY FOR PROD. Raises ``Refused`` otherwise.
    """
    from gatebot.core import transitions  # noqa: PLC0415 - gate 2 rejects nothing

    failed = [r.id for r in verdict.failed()]
    now = clock()
    return ctx.forge.apply(task_number, lambda state: transitions.reject(
        state.task, verdict.actor or "", now, reason=reason, failed=failed, head=verdict.head))


def voided(ctx: Context, task_number: int, head: str) -> bool:
    """Whether a task in RDY FOR PROD lost its approval: none stands, or it is for another head.

    A new push voids an approval (SPEC §3); the task may then be approved
    again at gate 1 from RDY FOR PROD, with no detour through READY.
    """
    standing = approval_for(ctx, task_number)
    return standing is None or standing[0] != head


def approval_for(ctx: Context, task_number: int) -> tuple[str, str] | None:
    """The standing gate-1 approval of a task as ``(head SHA, reviewer)``, or None.

    See ``standing_approval`` for the whole approval (with the branch).
    """
    found = standing_approval(ctx, task_number)
    return None if found is None else (found.head, found.reviewer.actor)


def standing_approval(ctx: Context, task_number: int, tip: str | None = None
                      ) -> records.Approval | None:
    """The standing gate-1 approval of a task (``Forge.approvals``), or None.

    The newest gate event decides (``gatebot.core.records.standing_approval``);
    binding to the current head is the caller's check.
    """
    return records.standing(ctx.forge.approvals(task_number, tip))
