"""The lifecycle's transitions as pure decisions: facts in, a ``Transition`` or ``Refused`` out.

Each function takes the task as the forge has it now (``Task``: stage and
fields), who acts and the facts the command gathered before (the clock's
reading, the head SHA, the rules' results), and returns what should happen:
the new stage, the fields to set, the archive entry and what to record with
it. It never reads or writes anything: the forge (``gatebot.ports.Forge``)
records the decision — the local forge as one board commit, the github forge
as labels and a comment — and, when it lost a race, asks the decision again
on the task as it is then.

Stages and who may move them (``ALLOWED``): READY → IN-PROGRESS by anyone
(``claim``); IN-PROGRESS → REVIEW by the holder (``submit``); IN-PROGRESS →
READY by the holder or a maintainer with force (``release``); REVIEW (or RDY
FOR PROD whose approval a push voided) → RDY FOR PROD by an eligible reviewer
(``approve``; eligibility is ``gatebot.core.protocol.review_eligibility``);
REVIEW/RDY FOR PROD → READY (``reject``); RDY FOR PROD → REVIEW after a failed
landing or an escalation (``send_back``); RDY FOR PROD → RELEASED only in the
release commit itself (gate 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from gatebot.core.archive import ArchiveEntry, tests_field
from gatebot.core.board import Board, Stage, Task, title_problem
from gatebot.core.preconditions import holder, require, require_stage, stamp
from gatebot.core.records import BoardEvent, standing_approval
from gatebot.core.timings import CHECK_DURATIONS
from gatebot.errors import Refused, UsageError

EventName = Literal["added", "claimed", "submitted", "unclaimed", "force-released", "approved",
                    "rejected", "merge-failed", "escalated", "stale", "released"]

ALLOWED: Mapping[EventName, tuple[tuple[Stage, ...], Stage | None]] = {
    "claimed": ((Stage.READY,), Stage.IN_PROGRESS),
    "submitted": ((Stage.IN_PROGRESS,), Stage.REVIEW),
    "unclaimed": ((Stage.IN_PROGRESS,), Stage.READY),
    "force-released": ((Stage.IN_PROGRESS,), Stage.READY),
    "approved": ((Stage.REVIEW, Stage.RDY_FOR_PROD), Stage.RDY_FOR_PROD),
    "rejected": ((Stage.REVIEW, Stage.RDY_FOR_PROD), Stage.READY),
    "merge-failed": ((Stage.RDY_FOR_PROD,), Stage.REVIEW),
    "escalated": ((Stage.RDY_FOR_PROD,), Stage.REVIEW),
    "released": ((Stage.RDY_FOR_PROD,), Stage.RELEASED),
}
"""Event → (the stages a task may be in, the stage it moves to) for the moving events.

``escalated`` moves only when the landing sends the task back (a conflict);
an escalation that keeps the approval (``flag_escalation``) moves nothing.
"""


@dataclass(frozen=True)
class Transition:
    """A decided change of one task, ready for a forge to record atomically.

    ``stage``: the stage it moves to (None: it stays); ``fields``: board
    fields to set (``Assignee``, ``Built by``, ``Labels``…; a field set to
    ``None`` clears it); ``entries``: archive entries (docs/protocol.md
    "Archive"); ``record``: ``Gatebot-*`` keys recorded with the event beside
    ``Gatebot-Task`` and ``Gatebot-Event`` (``Gatebot-Actor``, ``Gatebot-Head``…);
    ``subject``: a one-line summary (the board commit's subject); ``at``: when
    it was decided (the archive file is that UTC day's).
    """

    number: int
    event: EventName
    subject: str
    at: datetime
    stage: Stage | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    entries: tuple[ArchiveEntry, ...] = ()
    record: Mapping[str, str] = field(default_factory=dict)

    @property
    def trailers(self) -> dict[str, str]:
        """Everything recorded with it: ``Gatebot-Task``, ``Gatebot-Event``, then ``record``."""
        return {"Gatebot-Task": f"#{self.number}", "Gatebot-Event": self.event, **self.record}


@dataclass(frozen=True)
class TaskState:
    """A task as the forge has it at one snapshot: its stage and fields, and its history.

    ``history``: the events recorded for it, newest first — filled only when
    the decision asks for it (``Forge.apply(..., history=True)``), else empty.
    """

    task: Task
    history: tuple[BoardEvent, ...] = ()


@dataclass(frozen=True)
class NewTask:
    """A task to add to READY: its ``title`` and fields (``Built by``, ``Files``…)."""

    title: str
    fields: Mapping[str, str]
    actor: str
    stage: Stage = Stage.READY


def _actor_record(actor: str, git_identity: str = "") -> dict[str, str]:
    return {"Gatebot-Actor": actor, **({"Gatebot-Actor-Git": git_identity} if git_identity else {})}


def new_task(title: str, files: Sequence[str], critical: bool, actor: str) -> NewTask:
    """A READY task titled ``title``; ``UsageError`` for an empty title or one not UTF-8."""
    problem = title_problem(title)
    if problem:
        raise UsageError(f"task add: {problem}", "pass a title of UTF-8 text, e.g. "
                         "gatebot task add \"Rate limiter\"")
    fields = {"Built by": "None yet", "Cannot review": "None"}
    if critical:
        fields = {"Priority": "critical", **fields}
    if files:
        fields["Files"] = ", ".join(files)
    return NewTask(title, fields, actor)


def opened(task: Task, now: datetime) -> Transition | None:
    """A task whose issue was just opened, with no stage yet → READY (``added``).

    None when it has a stage already (added with ``gatebot task add``, labelled by hand, or
    the same event processed before): nothing to record.
    """
    if task.stage is not None:
        return None
    return Transition(task.number, "added", f"gatebot: #{task.number} ready", now,
                      stage=Stage.READY)


def claimable(task: Task) -> None:
    """Refuse (``Refused``) unless ``task`` is READY.

    "task #4 is claimed by X since T" when IN-PROGRESS, "task #4 is in S,
    not READY" in any other stage.
    """
    if task.stage is Stage.IN_PROGRESS:
        raise Refused(f"task #{task.number} is claimed by {holder(task)}")
    require_stage(task, Stage.READY)


def claim(task: Task, actor: str, now: datetime, files: Sequence[str], estimate: int | None,
          *, git_identity: str = "") -> Transition:
    """READY → IN-PROGRESS for ``actor``; every claimant, past ones too, is a builder.

    Raises ``Refused`` as ``claimable`` does.
    """
    claimable(task)
    builders = ", ".join(dict.fromkeys([*task.field_list("Built by"), actor]))
    fields = {"Assignee": actor, "Started": stamp(now), "Built by": builders,
              "Cannot review": builders}
    if files:
        fields["Files"] = ", ".join(files)
    entry = ArchiveEntry(task.title, task.number, "claimed", {
        "Session": actor, "Started": stamp(now), "Files": ", ".join(files) or "-",
        "Status": "Moved to IN-PROGRESS", **({"Estimate": f"{estimate}min"} if estimate else {}),
    })
    return Transition(task.number, "claimed", f"gatebot: claim #{task.number}", now,
                      Stage.IN_PROGRESS, fields, (entry,), _actor_record(actor, git_identity))


def submit(task: Task, actor: str, now: datetime, branch: str | None, *,
           git_identity: str = "") -> Transition:
    """IN-PROGRESS → REVIEW by the holder, recording ``branch``; ``Refused`` otherwise."""
    require_stage(task, Stage.IN_PROGRESS)
    assignees = [a.casefold() for a in task.field_list("Assignee")]
    require(not assignees or actor.casefold() in assignees,
            f"task #{task.number} is claimed by {holder(task)}, not {actor}")
    entry = ArchiveEntry(task.title, task.number, "submitted", {
        "Session": actor, "Started": task.fields.get("Started", "unknown"),
        "Completed": stamp(now), "Status": "Moved to REVIEW",
        **({"Branch": branch} if branch else {}),
    })
    return Transition(task.number, "submitted", f"gatebot: submit #{task.number}", now,
                      Stage.REVIEW, {"Branch": branch} if branch else {}, (entry,),
                      _actor_record(actor, git_identity))


def release(task: Task, actor: str, now: datetime, *, force: bool, maintainer: bool,
            reason: str | None = None, heartbeat: str | None = None) -> Transition:
    """IN-PROGRESS → READY by the holder, or by a maintainer with ``force`` (``force-released``).

    ``heartbeat``: the claim record's last heartbeat, archived with a forced
    release. Raises ``Refused`` when the task is not in IN-PROGRESS or
    ``actor`` neither holds it nor may force it.
    """
    require_stage(task, Stage.IN_PROGRESS)
    own = actor.casefold() in [h.casefold() for h in task.field_list("Assignee")]
    require(own or (force and maintainer), f"task #{task.number} is claimed by {holder(task)}",
            "its holder, or a maintainer with --force, can release it")
    entries = () if own else (ArchiveEntry(task.title, task.number, "force-released", {
        "Session": actor, "Holder": ", ".join(task.field_list("Assignee")) or "unknown",
        "Since": task.fields.get("Started", "unknown"), "Completed": stamp(now),
        "Status": "Moved to READY", "Reason": reason or "released by a maintainer",
        **({"Heartbeat": heartbeat} if heartbeat else {}),
    }),)
    event: EventName = "force-released" if force and maintainer else "unclaimed"
    return Transition(task.number, event, f"gatebot: release #{task.number}", now, Stage.READY,
                      {"Assignee": "None"}, entries, {"Gatebot-Actor": actor})


@dataclass(frozen=True)
class ApprovalFacts:
    """What gate 1 knows when a reviewer approves (gathered before anything is written).

    ``head``/``base``: the head SHA approved and the base tip it was judged
    against; ``rules``: rule ids judged; ``checks_passed``: the ``checks.*``
    that passed; ``coverage``: e.g. ``91.2%`` or ``n/a``; ``cannot_review``:
    the derived field (builders then reviewers); ``built_by``: builder names;
    ``branch``/``git_identity``: recorded when given; ``check_durations``: each check's
    seconds as ``timings.format_check_durations`` writes them (``tests=41.2s``), recorded
    when given for ``gatebot audit``'s slowest checks.
    """

    actor: str
    head: str
    base: str
    rules: tuple[str, ...]
    checks_passed: tuple[str, ...]
    coverage: str
    cannot_review: str
    built_by: tuple[str, ...]
    branch: str | None = None
    git_identity: str = ""
    check_durations: str = ""


def approvable(task: Task, head: str, standing_head: str | None) -> None:
    """Refuse (``Refused``) unless ``task`` may be approved at gate 1 for ``head``.

    It must be in REVIEW, or in RDY FOR PROD whose standing approval is not
    for ``head`` (a new push voided it; ``standing_head`` None: none stands).
    """
    if task.stage is Stage.RDY_FOR_PROD and standing_head == head:
        raise Refused(f"task #{task.number} is in RDY FOR PROD, not REVIEW: already approved "
                      f"at gate 1 for {head[:12]}", "a new push voids the approval; until then "
                      "there is nothing to approve")
    require_stage(task, Stage.REVIEW, Stage.RDY_FOR_PROD)


def standing_head(history: Sequence[BoardEvent]) -> str | None:
    """The head SHA of the standing gate-1 approval in ``history`` (newest first), or None."""
    event = standing_approval(history)
    return None if event is None else event.trailers.get("Gatebot-Head", "")


def approve(state: TaskState, facts: ApprovalFacts, now: datetime) -> Transition:
    """REVIEW → RDY FOR PROD: ``Reviewed by (REVIEW)``, ``Cannot review``, an ``approved`` entry.

    Whether an approval already stands for the head is read from
    ``state.history`` (the same snapshot as the stage: of two reviewers
    approving one head at once, the second is refused). Drops the ``escalated`` label (re-approved after
    a fix) and fills an empty ``Built by``. Raises ``Refused`` as
    ``approvable`` does.
    """
    task = state.task
    approvable(task, facts.head, standing_head(state.history))
    actor = facts.actor
    fields = {"Reviewed by (REVIEW)": f"{actor} ✅", "Cannot review": facts.cannot_review}
    if "escalated" in task.field_list("Labels"):
        rest = [x for x in task.field_list("Labels") if x != "escalated"]
        fields["Labels"] = ", ".join(rest) or "None"
    if not task.field_list("Built by"):
        fields["Built by"] = ", ".join(facts.built_by) or "None yet"
    entry = ArchiveEntry(task.title, task.number, "approved", {
        "Session": actor, "Completed": stamp(now), "Status": "Moved to RDY FOR PROD",
        "Tests": tests_field(list(facts.checks_passed)), "Coverage": facts.coverage,
        "Reviewed by": actor, "Head": facts.head, "Base": facts.base,
    })
    record = {"Gatebot-Gate": "review", "Gatebot-Head": facts.head, "Gatebot-Actor": actor,
              "Gatebot-Coverage": facts.coverage, "Gatebot-Rules": ", ".join(facts.rules)}
    if facts.git_identity:
        record["Gatebot-Actor-Git"] = facts.git_identity
    if facts.branch:
        record["Gatebot-Branch"] = facts.branch
    if facts.check_durations:
        record[CHECK_DURATIONS] = facts.check_durations
    return Transition(task.number, "approved", f"gatebot: approve #{task.number} (gate 1)", now,
                      Stage.RDY_FOR_PROD, fields, (entry,), record)


def reject(task: Task, actor: str, now: datetime, *, reason: str, failed: Sequence[str],
           head: str) -> Transition:
    """REVIEW or RDY FOR PROD → READY with why (``rejected``); ``Refused`` from elsewhere."""
    require_stage(task, Stage.REVIEW, Stage.RDY_FOR_PROD)
    entry = ArchiveEntry(task.title, task.number, "rejected", {
        "Session": actor, "Completed": stamp(now), "Status": "Moved to READY", "Reason": reason,
        "Failed rules": ", ".join(failed) or "none", "Head": head,
    })
    return Transition(task.number, "rejected", f"gatebot: reject #{task.number} (gate 1)", now,
                      Stage.READY, {"Reviewed by (REVIEW)": "None"}, (entry,),
                      {"Gatebot-Gate": "review", "Gatebot-Head": head, "Gatebot-Actor": actor})


def _with_label(task: Task, label: str) -> str:
    return ", ".join([x for x in task.field_list("Labels") if x != label] + [label])


def send_back(task: Task, actor: str, now: datetime, *, event: Literal["merge-failed",
              "escalated"], reason: str, details: Mapping[str, str], head: str,
              label: str | None = None) -> Transition:
    """RDY FOR PROD → REVIEW after a failed landing: the gate-1 approval is void now.

    ``label`` (``escalated``) is added to ``Labels``. ``Refused`` when the
    task is not in RDY FOR PROD.
    """
    require_stage(task, Stage.RDY_FOR_PROD)
    fields = {"Reviewed by (REVIEW)": "None"}
    if label:
        fields["Labels"] = _with_label(task, label)
    entry = ArchiveEntry(task.title, task.number, event, {
        "Session": actor, "Completed": stamp(now), "Status": "Moved to REVIEW",
        "Reason": reason, **details, "Head": head,
    })
    return Transition(task.number, event, f"gatebot: task #{task.number} back to REVIEW "
                      f"({event})", now, Stage.REVIEW, fields, (entry,),
                      {"Gatebot-Head": head, "Gatebot-Actor": actor})


def flag_escalation(task: Task, actor: str, now: datetime, *, situation: str, title: str,
                    head: str) -> Transition:
    """Label the task ``escalated`` where it stands; its approvals stand (``Approval: kept``)."""
    entry = ArchiveEntry(task.title, task.number, "escalated", {
        "Session": actor, "Completed": stamp(now),
        "Status": f"Stays in {task.stage or 'its section'}", "Reason": situation,
        "Escalation": title, "Head": head,
    })
    return Transition(task.number, "escalated", f"gatebot: escalate #{task.number}", now, None,
                      {"Labels": _with_label(task, "escalated")}, (entry,),
                      {"Gatebot-Approval": "kept", "Gatebot-Head": head, "Gatebot-Actor": actor})


@dataclass(frozen=True)
class BoardState:
    """Every task as the forge has it at one snapshot, and the stale claims it already flagged.

    ``stale_flags``: the keys (``gatebot.core.claims.flag_key``) of claim
    lapses recorded before, so a sweep records each lapse once.
    """

    board: Board
    stale_flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StaleClaim:
    """A claim whose heartbeat lapsed: task, holder, times (board stamps), files and its key."""

    number: int
    title: str
    session: str
    started: str
    heartbeat: str
    files: tuple[str, ...]
    key: str


def stale(state: BoardState, claims: Sequence[StaleClaim], now: datetime) -> list[Transition]:
    """One ``stale`` transition per lapse not flagged yet: the ``stale`` label and an entry.

    The claim is kept (until ``gatebot release --force``); a task off the
    board gets the archive entry alone. Raises ``Refused`` when another sweep
    recorded every one of them already.
    """
    fresh = [c for c in claims if c.key not in state.stale_flags]
    if not fresh:
        raise Refused("another sweep recorded these claims already")
    on_board = {t.number: t for t in state.board.tasks}
    labelled: set[int] = set()
    decided = []
    for claim_ in fresh:
        task, fields = on_board.get(claim_.number), {}
        if task is not None and claim_.number not in labelled:
            labelled.add(claim_.number)
            if "stale" not in task.field_list("Labels"):
                fields = {"Labels": ", ".join([*task.field_list("Labels"), "stale"])}
        entry = ArchiveEntry(claim_.title, claim_.number, "stale", {
            "Session": claim_.session, "Started": claim_.started, "Heartbeat": claim_.heartbeat,
            "Files": ", ".join(claim_.files) or "-",
            "Status": "STALE: claim kept until gatebot release --force", "Flag": claim_.key,
        })
        decided.append(Transition(claim_.number, "stale", f"gatebot: stale claim on "
                                  f"#{claim_.number}", now, None, fields, (entry,)))
    return decided
