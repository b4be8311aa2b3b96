"""Gate 1 decisions on the board: approve (REVIEW → RDY FOR PROD) and reject (→ READY).

SPEC §3 (who may review), §4.4 (one board commit per transition, re-applied
when the base moved), §5.2. The approval is bound to the head SHA through the
board commit's ``Gatebot-Head`` trailer and the archive entry's ``Head`` field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gatebot.adapters.local import BoardEvent, Reader, require
from gatebot.app.context import Context
from gatebot.app.transitions import now as clock
from gatebot.app.transitions import read_board, stamp, with_archive
from gatebot.core import archive
from gatebot.core.board import Stage, Task
from gatebot.core.facts import Change
from gatebot.core.protocol import Contributor, Identity, cannot_review
from gatebot.core.verdict import Verdict
from gatebot.errors import Refused


def builders(ctx: Context, task: Task | None, change: Change) -> list[Contributor]:
    """The builders of the change (SPEC §3): claimants and every author and committer.

    Claimants come from the board commits of ``claimed`` and ``submitted``
    events — the name each acted as and the git identity it acted from
    (``Gatebot-Actor-Git``), so claiming under a second name hides no one —
    and the task's ``Assignee``/``Built by`` fields (extra exclusion is safe;
    the derived ``Cannot review`` line is never read). Commits are
    ``merge_base..head``.
    """
    people: list[Contributor] = []
    if task is not None:
        for event in ctx.forge.events(task.number, change.base):
            actor = event.trailers.get("Gatebot-Actor")
            if event.event in ("claimed", "submitted") and actor:
                who = Identity.parse(actor, event.trailers.get("Gatebot-Actor-Git", ""))
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
    return people


def builder_names(people: Sequence[Contributor]) -> list[str]:
    """Distinct builder names, claimants first, for the ``Built by`` field."""
    return list(dict.fromkeys(p.name for p in people if p.name))


def _entry(task: Task, event: str, fields: Mapping[str, str]) -> archive.ArchiveEntry:
    return archive.ArchiveEntry(task.title, task.number, event, dict(fields))


def approve(
    ctx: Context, verdict: Verdict, task_number: int, people: Sequence[Contributor],
    branch: str | None = None, *, identity: Identity | None = None,
) -> str:
    """Record the gate-1 approval of ``verdict.head`` by ``verdict.actor``; return the commit.

    The board commit records the approver whole: ``Gatebot-Actor`` (the name
    it acted as) and ``Gatebot-Actor-Git`` (``identity``'s git ``Name <email>``),
    which gate 2 reads back to refuse the same person under another name.

    Moves the task REVIEW → RDY FOR PROD with ``Reviewed by (REVIEW)`` and
    ``Cannot review`` (and ``Built by`` when empty), plus an ``approved``
    archive entry, as one board commit. Raises ``Refused`` when the task is
    not in REVIEW at the base tip.
    """
    actor = verdict.actor or ""
    coverage = next((r.summary.split()[0] for r in verdict.rules if r.id == "coverage"
                     and r.summary.split()[0].endswith("%")), "n/a")
    ran = [r.id for r in verdict.rules if r.id.startswith("checks.") and r.status == "pass"]

    def edit(read: Reader) -> dict[str, str]:
        board = read_board(ctx, read)
        task = board.task(task_number)
        check_approvable(ctx, task, verdict.head)
        fields = {"Reviewed by (REVIEW)": f"{actor} ✅",
                  "Cannot review": cannot_review(people, [actor])}
        if "escalated" in task.field_list("Labels"):  # re-approved after a fix
            rest = [x for x in task.field_list("Labels") if x != "escalated"]
            fields["Labels"] = ", ".join(rest) or "None"
        if not task.field_list("Built by"):
            fields["Built by"] = ", ".join(builder_names(people)) or "None yet"
        now = clock()
        entry = _entry(task, "approved", {
            "Session": actor, "Completed": stamp(now),
            "Status": "Moved to RDY FOR PROD", "Tests": archive.tests_field(ran),
            "Coverage": coverage,
            "Reviewed by": actor, "Head": verdict.head, "Base": verdict.base,
        })
        return with_archive(ctx, read, board.move(task_number, Stage.RDY_FOR_PROD, fields),
                            [entry], now)

    trailers = {"Gatebot-Task": f"#{task_number}", "Gatebot-Event": "approved",
                "Gatebot-Gate": "review", "Gatebot-Head": verdict.head,
                "Gatebot-Actor": actor, "Gatebot-Coverage": coverage,
                "Gatebot-Rules": ", ".join(r.id for r in verdict.rules)}
    if identity is not None and identity.git:
        trailers["Gatebot-Actor-Git"] = identity.git
    if branch:
        trailers["Gatebot-Branch"] = branch
    return ctx.forge.transact(edit, f"gatebot: approve #{task_number} (gate 1)", trailers)


def check_approvable(ctx: Context, task: Task, head: str) -> None:
    """Refuse (``Refused``, exit 1) unless ``task`` may be approved at gate 1 for ``head``.

    It must be in REVIEW, or in RDY FOR PROD with no standing approval for
    ``head`` (a new push voided it). Cheap: callers ask before any check runs.
    """
    stage = task.stage
    if stage is Stage.RDY_FOR_PROD and not voided(ctx, task.number, head):
        raise Refused(f"task #{task.number} is in RDY FOR PROD, not REVIEW: already approved "
                      f"at gate 1 for {head[:12]}", "a new push voids the approval; until then "
                      "there is nothing to approve")
    require(stage in (Stage.REVIEW, Stage.RDY_FOR_PROD),
            f"task #{task.number} is in {stage or 'no stage'}, not REVIEW")


def reject(ctx: Context, verdict: Verdict, task_number: int, reason: str) -> str:
    """Move the task back to READY and archive why (``rejected``); return the board commit.

    Allowed from REVIEW and RDY FOR PROD. Raises ``Refused`` otherwise.
    """
    actor = verdict.actor or ""

    def edit(read: Reader) -> dict[str, str]:
        board = read_board(ctx, read)
        task = board.task(task_number)
        require(task.stage in (Stage.REVIEW, Stage.RDY_FOR_PROD),
                f"task #{task_number} is in {task.stage or 'no stage'}, not REVIEW")
        now = clock()
        failed = ", ".join(r.id for r in verdict.failed()) or "none"
        entry = _entry(task, "rejected", {
            "Session": actor, "Completed": stamp(now),
            "Status": "Moved to READY", "Reason": reason, "Failed rules": failed,
            "Head": verdict.head,
        })
        moved = board.move(task_number, Stage.READY, {"Reviewed by (REVIEW)": "None"})
        return with_archive(ctx, read, moved, [entry], now)

    trailers = {"Gatebot-Task": f"#{task_number}", "Gatebot-Event": "rejected",
                "Gatebot-Gate": "review", "Gatebot-Head": verdict.head, "Gatebot-Actor": actor}
    return ctx.forge.transact(edit, f"gatebot: reject #{task_number} (gate 1)", trailers)


def voided(ctx: Context, task_number: int, head: str) -> bool:
    """Whether a task in RDY FOR PROD lost its approval: none stands, or it is for another head.

    A new push voids an approval (SPEC §3); the task may then be approved
    again at gate 1 from RDY FOR PROD, with no detour through READY.
    """
    standing = approval_for(ctx, task_number)
    return standing is None or standing[0] != head


def approval_for(ctx: Context, task_number: int) -> tuple[str, str] | None:
    """The standing gate-1 approval of a task as ``(head SHA, reviewer)``, or None.

    See ``standing_approval`` for the whole board event (with the branch).
    """
    event = standing_approval(ctx, task_number)
    if event is None:
        return None
    return event.trailers.get("Gatebot-Head", ""), event.trailers.get("Gatebot-Actor", "")


def approver(event: BoardEvent) -> Identity:
    """The gate-1 reviewer recorded in an ``approved`` board commit, whole.

    From ``Gatebot-Actor`` and ``Gatebot-Actor-Git``; an approval recorded
    before identities were (no ``Gatebot-Actor-Git``) has only the name.
    """
    return Identity.parse(event.trailers.get("Gatebot-Actor", ""),
                          event.trailers.get("Gatebot-Actor-Git", ""))


def standing_approval(
    ctx: Context, task_number: int, tip: str | None = None
) -> BoardEvent | None:
    """The board commit of the standing gate-1 approval of a task, or None.

    The newest gate event decides: an approval followed by a rejection or a
    failed merge no longer stands. Binding to the current head is the caller's
    check (SPEC §3: a new push voids it).
    """
    for event in ctx.forge.events(task_number, tip):
        if event.event == "escalated" and event.trailers.get("Gatebot-Approval") == "kept":
            continue  # a refused push: the code passed, the approval stands
        if event.event in ("rejected", "merge-failed", "escalated"):
            return None
        if event.event == "approved":
            return event
    return None
