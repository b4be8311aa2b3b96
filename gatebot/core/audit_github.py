"""The audit's facts from GitHub (github forge): label events and reviews as ``AuditEvent`` s.

Pure: the adapter (``gatebot.adapters.github.audit``) reads the issues gatebot handled, their
events and the task pull requests' reviews; this module turns them into the same
``AuditEvent`` values the git history gives, so ``core.audit.build_report`` makes the same
figures and the same ``gatebot.audit/1`` JSON. An event's ``sha`` is the URL it came from
(``…/issues/7#event-42``, ``…/pull/9#pullrequestreview-5``): the report's ``sources``.

How a label event reads (the github forge's transitions, docs/protocol.md "GitHub mode"):
the stage label moving ``(from, to)`` is the event of ``core.audit.MOVES`` with that move
(none → ``status:ready`` is ``added``); the ``stale`` label is a stale claim; the
``escalated`` label is a conflict escalation when the issue moves from ``status:rdy-for-prod``
to ``status:review`` within ``PAIRED`` of it (that move is then not also a send-back), else a
refused push. A claim's actor is the account assigned with it; an approval's is the author of
the latest approving review of the task's pull request (no bot, not its author) at the time;
a release's the latest other approver (gate 2), else the label's actor. A pull request merged
on GitHub whose task has no release counts as released at ``merged_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from gatebot.core.archive import ArchiveEntry
from gatebot.core.audit import MOVES, AuditEvent, History, Ignored

STAGES_BY_LABEL = {"status:ready": "READY", "status:in-progress": "IN-PROGRESS",
                   "status:review": "REVIEW", "status:rdy-for-prod": "RDY FOR PROD",
                   "status:released": "RELEASED"}
PAIRED = timedelta(minutes=2)
SAME_EVENT = timedelta(hours=1)
_BY_MOVE = {move: name for name, move in MOVES.items()
            if name not in ("force-released", "added")}


@dataclass(frozen=True)
class IssueEvent:
    """One event of an issue as GitHub lists it (``GET …/issues/{n}/events``).

    ``event`` is GitHub's (``labeled``, ``unlabeled``, ``assigned`` …); ``label`` and
    ``assignee`` are logins/names where the event has them; ``url`` links the event.
    """

    issue: int
    id: int
    event: str
    time: datetime
    actor: str
    url: str
    label: str = ""
    assignee: str = ""


@dataclass(frozen=True)
class Review:
    """A submitted pull request review: reviewer login, ``state``, time, URL, bot or not."""

    reviewer: str
    state: str
    time: datetime
    url: str
    bot: bool = False


@dataclass(frozen=True)
class PullRecord:
    """A task's pull request: number, task, URL, author, merge (time, by) and its reviews."""

    number: int
    task: int
    url: str
    author: str
    merged_at: datetime | None = None
    merged_by: str = ""
    reviews: tuple[Review, ...] = field(default=(), hash=False)


def approvers(pulls: Sequence[PullRecord], task: int, moment: datetime) -> list[Review]:
    """Approving reviews of ``task``'s pull requests up to ``moment``, oldest first.

    Reviews by bots and by the pull request's author are left out (they never count).
    """
    found = [r for p in pulls if p.task == task for r in p.reviews
             if r.state == "APPROVED" and r.time <= moment and not r.bot and r.reviewer != p.author]
    return sorted(found, key=lambda r: r.time)


def _gate_actor(pulls: Sequence[PullRecord], task: int, moment: datetime,
                exclude: str) -> Review | None:
    """The latest approving review up to ``moment`` whose author is not ``exclude``."""
    found = [r for r in approvers(pulls, task, moment) if r.reviewer != exclude]
    return found[-1] if found else None


@dataclass
class _Issue:
    """Replay state of one issue: its stage, labels, last gate-1 reviewer, its events."""

    number: int
    pulls: Sequence[PullRecord]
    stage: str | None = None
    labels: set[str] = field(default_factory=set)
    gate1: str = ""
    claim: tuple[str, datetime] | None = None
    out: list[AuditEvent] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)

    def emit(self, item: IssueEvent, name: str, actor: str, *,
             trailers: Mapping[str, str] | None = None,
             entries: tuple[ArchiveEntry, ...] = ()) -> None:
        """Append the ``AuditEvent`` ``name`` of ``item`` (its URL is the source)."""
        extra = dict(trailers or {})
        if "critical" in self.labels:
            extra["Gatebot-Priority"] = "critical"
        self.out.append(AuditEvent(item.url, item.time, name, self.number, actor, extra,
                                   entries))
        if name == "claimed":
            self.claim = (actor, item.time)

    def stale_entry(self) -> ArchiveEntry:
        """The stale claim as the sweep's archive entry would name it: holder and start.

        The heartbeat is in the claim comment, which GitHub's events do not keep: ``unknown``.
        """
        holder, started = self.claim or ("unknown", None)
        fields = {"Session": holder, "Heartbeat": "unknown"}
        if started is not None:
            fields["Started"] = started.strftime("%Y-%m-%dT%H:%M:%SZ")
        return ArchiveEntry(f"#{self.number}", self.number, "stale", fields)


def _assignee_after(events: Sequence[IssueEvent], start: int) -> str:
    """The account assigned next after ``events[start]`` (before the next stage label)."""
    for item in events[start + 1:]:
        if item.event == "labeled" and item.label in STAGES_BY_LABEL:
            return ""
        if item.event == "assigned" and item.assignee:
            return item.assignee
    return ""


def _escalation_move(events: Sequence[IssueEvent], start: int) -> int | None:
    """The index of the RDY FOR PROD → REVIEW move paired with the escalation at ``start``."""
    label_time = events[start].time
    for k in range(start + 1, len(events)):
        item = events[k]
        if item.time - label_time > PAIRED:
            return None
        if item.event == "labeled" and item.label == "status:review":
            return k
    return None


def _stage_move(state: _Issue, events: Sequence[IssueEvent], k: int, paired: set[int]) -> None:
    """Apply stage label ``events[k]``: the audit event its move is (or an ``Ignored``)."""
    item = events[k]
    target, source = STAGES_BY_LABEL[item.label], state.stage
    state.stage = target
    if k in paired:
        return
    if source is None and target == "READY":
        state.emit(item, "added", item.actor)
        return
    name = _BY_MOVE.get((source, target))
    if name is None:
        if source != target:
            state.ignored.append(Ignored(item.url, f"label move {source or 'none'} → {target} "
                                         "is no transition gatebot makes", item.time))
        return
    state.emit(item, name, _actor(state, events, k, name))


def _actor(state: _Issue, events: Sequence[IssueEvent], k: int, name: str) -> str:
    """Who acted: the claimant, the gate-1 or gate-2 reviewer, else the label's actor."""
    item = events[k]
    if name == "claimed":
        return _assignee_after(events, k) or item.actor
    if name == "approved":
        review = _gate_actor(state.pulls, state.number, item.time, "")
        state.gate1 = review.reviewer if review else item.actor
        return state.gate1
    if name == "released":
        review = _gate_actor(state.pulls, state.number, item.time, state.gate1)
        return review.reviewer if review else item.actor
    return item.actor


def issue_events(number: int, events: Sequence[IssueEvent], pulls: Sequence[PullRecord]
                 ) -> tuple[list[AuditEvent], list[Ignored]]:
    """The audit events of issue ``number`` from its GitHub events (module doc for the rules)."""
    ordered = sorted(events, key=lambda e: (e.time, e.id))
    state = _Issue(number, pulls)
    paired: set[int] = set()
    for k, item in enumerate(ordered):
        if item.event == "unlabeled":
            state.labels.discard(item.label)
            if STAGES_BY_LABEL.get(item.label) == state.stage and item.label not in state.labels:
                state.stage = None
            continue
        if item.event != "labeled":
            continue
        state.labels.add(item.label)
        if item.label in STAGES_BY_LABEL:
            _stage_move(state, ordered, k, paired)
        elif item.label == "stale":
            state.emit(item, "stale", item.actor, entries=(state.stale_entry(),))
        elif item.label == "escalated":
            move = _escalation_move(ordered, k) if state.stage == "RDY FOR PROD" else None
            if move is not None:
                paired.add(move)
            kept = {} if move is not None else {"Gatebot-Approval": "kept"}
            state.emit(item, "escalated", item.actor, trailers=kept)
    return state.out, state.ignored


def merged_releases(pulls: Iterable[PullRecord], released: set[int]) -> list[AuditEvent]:
    """A ``released`` event for each pull request merged on GitHub whose task has no release."""
    found = []
    merged = [p for p in pulls if p.merged_at is not None]
    for pull in sorted(merged, key=lambda p: (p.merged_at, p.number)):
        if pull.merged_at is None or pull.task in released:
            continue
        gate1 = approvers([pull], pull.task, pull.merged_at)
        first = gate1[0].reviewer if gate1 else ""
        review = _gate_actor([pull], pull.task, pull.merged_at, first)
        found.append(AuditEvent(pull.url, pull.merged_at, "released", pull.task,
                                review.reviewer if review else pull.merged_by))
        released.add(pull.task)
    return found


def github_history(events: Mapping[int, Sequence[IssueEvent]], pulls: Sequence[PullRecord]
                   ) -> tuple[list[AuditEvent], list[Ignored]]:
    """Every issue's audit events (oldest first) and the label moves left out."""
    found: list[AuditEvent] = []
    ignored: list[Ignored] = []
    for number in sorted(events):
        made, skipped = issue_events(number, events[number], pulls)
        found += made
        ignored += skipped
    released = {e.task for e in found if e.event == "released" and e.task is not None}
    found += merged_releases(pulls, released)
    return sorted(found, key=lambda e: e.time), ignored


def merge(git: History, found: Sequence[AuditEvent], ignored: Sequence[Ignored]) -> History:
    """``git``'s history with GitHub's events added: ``forge`` becomes ``github``.

    A GitHub event is dropped when git holds the same event of the same task within
    ``SAME_EVENT`` (a release commit and its ``status:released`` label): git's commit is kept.
    A pull request merged on GitHub is dropped when git released that task at any time.
    """
    seen: dict[tuple[int | None, str], list[datetime]] = {}
    for event in git.events:
        seen.setdefault((event.task, event.event), []).append(event.time)
    kept = []
    for event in found:
        times = seen.get((event.task, event.event), [])
        if "/pull/" in event.sha and event.event == "released" and times:
            continue
        if any(abs(t - event.time) <= SAME_EVENT for t in times):
            continue
        kept.append(event)
    events = sorted((*git.events, *kept), key=lambda e: e.time)
    return replace(git, events=tuple(events), ignored=(*git.ignored, *ignored), forge="github")
