"""The audit report (SPEC §12) from the board's history: pure, no I/O.

Facts come in as ``AuditEvent`` values — one per board or release commit that
gatebot made on the base's first-parent chain, with its ``Gatebot-*`` trailers
and the archive entries that commit added — and as ``Ignored`` commits the
reader refused to trust. The local forge reads them from ``git log``; a
github forge can supply the same events from the PRs and label events it
handled. ``build_report`` turns them into one ``AuditReport`` (schema
``gatebot.audit/1``) in which every figure names the commits it came from.

Definitions (also in ``docs``/README): the period is ``[since, until)`` in UTC;
an event counts when its commit time falls inside it. A landing attempt is a
release, a send-back after integration (``merge-failed``), a conflict
escalation or a refused push; gate 1 is reviewed when approved or rejected.
Durations run from the task's latest ``claimed`` (or latest ``submitted``)
commit before its release, in hours; p90 is the nearest-rank percentile.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from gatebot.core.archive import ArchiveEntry
from gatebot.core.timings import CHECK_DURATIONS, parse_check_durations

SCHEMA: Literal["gatebot.audit/1"] = "gatebot.audit/1"
EVENTS = ("added", "claimed", "submitted", "approved", "rejected", "released", "merge-failed",
          "escalated", "stale", "force-released", "unclaimed")
OPEN_STAGES = ("READY", "IN-PROGRESS", "REVIEW", "RDY FOR PROD")
STAGES = (*OPEN_STAGES, "RELEASED")
# where an event moves a task (None: it stays), and where it must have come from
MOVES: Mapping[str, tuple[str | None, str | None]] = {
    "added": (None, "READY"), "claimed": ("READY", "IN-PROGRESS"),
    "submitted": ("IN-PROGRESS", "REVIEW"), "approved": ("REVIEW", "RDY FOR PROD"),
    "rejected": ("REVIEW", "READY"), "released": ("RDY FOR PROD", "RELEASED"),
    "merge-failed": ("RDY FOR PROD", "REVIEW"), "unclaimed": ("IN-PROGRESS", "READY"),
    "force-released": ("IN-PROGRESS", "READY"),
}
HISTOGRAM_EDGES_H = (0.0, 1.0, 2.0, 4.0, 8.0, 24.0, 72.0, 168.0)
EscalationKind = Literal["conflict", "red_after_integration", "push_refused", "stale_claim"]


@dataclass(frozen=True)
class AuditEvent:
    """One board or release commit gatebot made: the fact every figure is counted from.

    ``time`` is the commit time (aware, UTC); ``event`` one of ``EVENTS``;
    ``task`` the task number (None for an ``added`` commit written before
    ``task add`` recorded the number, as ``#new``); ``actor`` the ``Gatebot-Actor`` trailer;
    ``entries`` the archive entries the commit added (SPEC §4.3).
    """

    sha: str
    time: datetime
    event: str
    task: int | None
    actor: str = ""
    trailers: Mapping[str, str] = field(default_factory=dict, hash=False)
    entries: tuple[ArchiveEntry, ...] = ()

    @property
    def escalation(self) -> EscalationKind | None:
        """The kind of escalation this event is, or None (SPEC §9)."""
        if self.event == "merge-failed":
            return "red_after_integration"
        if self.event == "stale":
            return "stale_claim"
        if self.event == "escalated":
            kept = self.trailers.get("Gatebot-Approval") == "kept"
            return "push_refused" if kept else "conflict"
        return None


@dataclass(frozen=True)
class Ignored:
    """A commit the audit did not trust, and why (e.g. trailers from a task branch).

    ``time`` is its commit time; None counts it in every period.
    """

    sha: str
    reason: str
    time: datetime | None = None


@dataclass(frozen=True)
class History:
    """Everything an audit reads: events oldest first (some may predate the period).

    ``initial_stages`` is each task's stage just before the oldest event
    (from TODO.md there), for the open-tasks-per-day figure. ``forge`` is
    ``local`` or ``github``; ``base`` the base branch and ``tip`` its SHA.
    """

    events: tuple[AuditEvent, ...]
    ignored: tuple[Ignored, ...] = ()
    initial_stages: Mapping[int, str] = field(default_factory=dict, hash=False)
    base: str = "main"
    tip: str = ""
    forge: str = "local"


# -- the figures model (its JSON dump is `gatebot audit --format json`) --------------------------
class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Figure(_Model):
    """A count and the SHAs of the commits it counts (``git show SHA`` checks each)."""

    value: int
    sources: list[str]


class Rate(_Model):
    """``numerator / denominator`` as a percentage (None when nothing was attempted)."""

    percent: float | None
    numerator: int
    denominator: int
    sources: list[str]


class Bucket(_Model):
    """A histogram bin ``[low_h, high_h)`` in hours (``high_h`` None: no upper bound)."""

    low_h: float
    high_h: float | None
    count: int


class Durations(_Model):
    """Durations in hours over ``count`` releases; None figures when there are none."""

    count: int
    median_h: float | None
    mean_h: float | None
    p90_h: float | None
    max_h: float | None
    histogram: list[Bucket]
    sources: list[str]


class Counts(_Model):
    """Events in the period, one ``Figure`` each (``landed`` = auto-merged releases)."""

    added: Figure
    claimed: Figure
    submitted: Figure
    approved: Figure
    rejected: Figure
    landed: Figure
    sent_back: Figure
    released_critical: Figure
    unclaimed: Figure
    force_released: Figure


class Escalations(_Model):
    """Escalations by kind; ``tasks`` counts distinct tasks escalated.

    ``flaky``: releases whose tree failed a check once and passed on retry of the same tree
    (the ``Gatebot-Flaky`` trailer ``gatebot queue run`` writes); reported, not in ``total``.
    """

    conflict: Figure
    red_after_integration: Figure
    push_refused: Figure
    stale_claim: Figure
    total: Figure
    tasks: Figure
    flaky: Figure


class RuleFailure(_Model):
    """How often a rule failed at a gate (``review`` = gate 1, ``release`` = gate 2)."""

    rule: str
    gate: Literal["review", "release"]
    count: int
    sources: list[str]


class CheckTiming(_Model):
    """One check's recorded run times in the period, in seconds (``Gatebot-Check-Durations``).

    ``runs`` counts the commits that recorded it; ``sources`` are their SHAs.
    """

    check: str
    runs: int
    median_s: float
    max_s: float
    sources: list[str]


class StaleClaim(_Model):
    """A claim a sweep found stale: who, which task, since when, how long without heartbeat."""

    task: int
    session: str
    started: str
    heartbeat: str
    lapsed_h: float | None
    source: str


class ForcedRelease(_Model):
    """A claim a maintainer released with ``--force``."""

    task: int
    holder: str
    by: str
    since: str
    reason: str
    source: str


class ReviewerLoad(_Model):
    """Approvals of one reviewer per gate, and the builders whose work they landed."""

    reviewer: str
    gate1: Figure
    gate2: Figure
    builders_landed: list[str]


class Day(_Model):
    """One UTC day: releases, escalations, and open tasks per stage at its end."""

    date: date
    landed: int
    escalated: int
    open: dict[str, int]


class Success(_Model):
    """Success rates of landings and of gate 1."""

    landing: Rate
    gate1: Rate


class TimeToRelease(_Model):
    """Claim → release and REVIEW → RELEASED durations."""

    claim_to_release: Durations
    review_to_release: Durations


class IgnoredCommit(_Model):
    """A commit left out, and why."""

    sha: str
    reason: str


class AuditReport(_Model):
    """The whole audit (schema ``gatebot.audit/1``); every figure carries its ``sources``."""

    schema_: Literal["gatebot.audit/1"] = SCHEMA  # dumped as "schema"
    forge: str
    base: str
    tip: str
    since: datetime
    until: datetime
    counts: Counts
    escalated: Escalations
    success: Success
    durations: TimeToRelease
    gate_failures: list[RuleFailure]
    slowest_checks: list[CheckTiming]
    stale_claims: list[StaleClaim]
    forced_releases: list[ForcedRelease]
    reviewers: list[ReviewerLoad]
    daily: list[Day]
    ignored: list[IgnoredCommit]

    def to_json(self) -> dict[str, object]:
        """The JSON document: ``schema`` first, times as ISO-8601 with ``Z``."""
        data = self.model_dump(mode="json")
        data.pop("schema_")
        return {"schema": SCHEMA, **data}


# -- building it -------------------------------------------------------------------------------
def figure(events: Iterable[AuditEvent]) -> Figure:
    """A ``Figure`` counting ``events``, its sources their SHAs in order."""
    shas = [e.sha for e in events]
    return Figure(value=len(shas), sources=shas)


def rate(hits: Sequence[AuditEvent], tries: Sequence[AuditEvent]) -> Rate:
    """``len(hits) / len(tries)`` in percent, rounded to 0.1; sources are the tries."""
    percent = round(100.0 * len(hits) / len(tries), 1) if tries else None
    return Rate(percent=percent, numerator=len(hits), denominator=len(tries),
                sources=[e.sha for e in tries])


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 < q ≤ 1) of non-empty ``values``."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def histogram(hours: Sequence[float]) -> list[Bucket]:
    """Counts of ``hours`` in the bins of ``HISTOGRAM_EDGES_H`` plus an open last bin."""
    highs: list[float | None] = [*HISTOGRAM_EDGES_H[1:], None]
    buckets = []
    for low, high in zip(HISTOGRAM_EDGES_H, highs, strict=True):
        count = sum(1 for h in hours if h >= low and (high is None or h < high))
        buckets.append(Bucket(low_h=low, high_h=high, count=count))
    return buckets


def durations(samples: Sequence[tuple[float, Sequence[str]]]) -> Durations:
    """Summary of ``(hours, source SHAs)`` samples, hours rounded to 0.01."""
    hours = [h for h, _ in samples]
    sources = list(dict.fromkeys(s for _, shas in samples for s in shas))
    if not hours:
        return Durations(count=0, median_h=None, mean_h=None, p90_h=None, max_h=None,
                         histogram=histogram([]), sources=[])
    return Durations(
        count=len(hours), median_h=round(statistics.median(hours), 2),
        mean_h=round(statistics.fmean(hours), 2), p90_h=round(nearest_rank(hours, 0.9), 2),
        max_h=round(max(hours), 2), histogram=histogram(hours), sources=sources)


def in_period(events: Iterable[AuditEvent], since: datetime, until: datetime) -> list[AuditEvent]:
    """Events whose commit time lies in ``[since, until)``."""
    return [e for e in events if since <= e.time < until]


def of(events: Iterable[AuditEvent], *names: str) -> list[AuditEvent]:
    """Events whose ``event`` is one of ``names``."""
    return [e for e in events if e.event in names]


def is_critical(event: AuditEvent) -> bool:
    """Whether a release was of a ``critical`` task (trailer, or the title's 🚨 CRITICAL)."""
    if event.trailers.get("Gatebot-Priority", "").lower() == "critical":
        return True
    return any("🚨 CRITICAL" in e.title for e in event.entries)


def counts(period: Sequence[AuditEvent]) -> Counts:
    """The ``Counts`` of the period's events."""
    released = of(period, "released")
    sent_back = [e for e in period if e.escalation in ("red_after_integration", "conflict")]
    return Counts(
        added=figure(of(period, "added")), claimed=figure(of(period, "claimed")),
        submitted=figure(of(period, "submitted")), approved=figure(of(period, "approved")),
        rejected=figure(of(period, "rejected")), landed=figure(released),
        sent_back=figure(sent_back), released_critical=figure(filter(is_critical, released)),
        unclaimed=figure(of(period, "unclaimed")),
        force_released=figure(of(period, "force-released")),
    )


def escalations(period: Sequence[AuditEvent]) -> Escalations:
    """Escalations by kind (SPEC §9); a sweep's one commit counts once per stale claim in it."""
    kinds: dict[str, list[str]] = defaultdict(list)
    tasks: dict[int, str] = {}
    for event in period:
        kind = event.escalation
        if kind is None:
            continue
        numbers: list[int | None] = [event.task]
        if kind == "stale_claim":
            numbers = [x.task for x in event.entries if x.event == "stale"] or [event.task]
        for number in numbers:
            kinds[kind].append(event.sha)
            if number is not None:
                tasks.setdefault(number, event.sha)
    order = ("conflict", "red_after_integration", "push_refused", "stale_claim")
    every = [sha for kind in order for sha in kinds[kind]]
    return Escalations(
        conflict=_shas(kinds["conflict"]),
        red_after_integration=_shas(kinds["red_after_integration"]),
        push_refused=_shas(kinds["push_refused"]), stale_claim=_shas(kinds["stale_claim"]),
        total=_shas(every), tasks=Figure(value=len(tasks), sources=list(tasks.values())),
        flaky=_shas([e.sha for e in period
                     if e.event == "released" and "Gatebot-Flaky" in e.trailers]),
    )


def _shas(shas: Sequence[str]) -> Figure:
    """A ``Figure`` of ``len(shas)`` whose sources are the distinct SHAs."""
    return Figure(value=len(shas), sources=list(dict.fromkeys(shas)))


def success(period: Sequence[AuditEvent]) -> Success:
    """Landing and gate-1 success rates."""
    released = of(period, "released")
    attempts = [e for e in period if e.event == "released"
                or e.escalation in ("red_after_integration", "conflict", "push_refused")]
    reviewed = of(period, "approved", "rejected")
    return Success(landing=rate(released, attempts), gate1=rate(of(period, "approved"), reviewed))


def _latest_before(events: Sequence[AuditEvent], task: int, name: str, moment: datetime
                   ) -> AuditEvent | None:
    found = [e for e in events if e.task == task and e.event == name and e.time <= moment]
    return found[-1] if found else None


def _claim_time(events: Sequence[AuditEvent], release: AuditEvent) -> tuple[datetime, str] | None:
    claim = _latest_before(events, release.task or 0, "claimed", release.time)
    if claim is not None:
        return claim.time, claim.sha
    started = next((x.time("Started") for x in release.entries if x.event == "released"), None)
    return (started, release.sha) if started else None


def time_to_release(events: Sequence[AuditEvent], period: Sequence[AuditEvent]) -> TimeToRelease:
    """Claim → release and REVIEW → RELEASED over the period's releases.

    The start is the task's latest ``claimed`` (``submitted``) commit before
    the release, from the whole history read; claim time falls back to the
    release entry's ``Started`` field when the claim commit was not read.
    """
    by_task: dict[int, list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.task is not None:
            by_task[event.task].append(event)
    claim: list[tuple[float, Sequence[str]]] = []
    review: list[tuple[float, Sequence[str]]] = []
    for release in of(period, "released"):
        history = by_task.get(release.task or 0, [])
        start = _claim_time(history, release)
        if start is not None:
            claim.append((_hours(release.time - start[0]), (start[1], release.sha)))
        submit = _latest_before(history, release.task or 0, "submitted", release.time)
        if submit is not None:
            review.append((_hours(release.time - submit.time), (submit.sha, release.sha)))
    return TimeToRelease(claim_to_release=durations(claim), review_to_release=durations(review))


def _hours(delta: timedelta) -> float:
    return max(delta.total_seconds(), 0.0) / 3600.0


def gate_failures(period: Sequence[AuditEvent]) -> list[RuleFailure]:
    """Rules that failed, by gate: a rejection's ``Failed rules``, a send-back's checks.

    A conflict escalation is a failure of the ``conflicts`` rule at gate 2.
    Sorted by count, then rule id.
    """
    hits: dict[tuple[str, str], list[str]] = defaultdict(list)
    for event in period:
        for rule, gate in _failed_rules(event):
            hits[(rule, gate)].append(event.sha)
    rows = [RuleFailure(rule=rule, gate=gate, count=len(shas), sources=shas)  # type: ignore[arg-type]
            for (rule, gate), shas in hits.items()]
    return sorted(rows, key=lambda r: (-r.count, r.rule, r.gate))


def _failed_rules(event: AuditEvent) -> list[tuple[str, str]]:
    if event.escalation == "conflict":
        return [("conflicts", "release")]
    name, gate = {"rejected": ("Failed rules", "review"),
                  "merge-failed": ("Failed checks", "release")}.get(event.event, ("", ""))
    if not name:
        return []
    rules = {r for x in event.entries if x.event == event.event for r in x.field_list(name)}
    return [(r, gate) for r in sorted(rules - {"none"})]


def slowest_checks(period: Sequence[AuditEvent]) -> list[CheckTiming]:
    """Each check's median and max run time over the commits that recorded one, slowest first.

    Read from the ``Gatebot-Check-Durations`` trailer; sorted by median, then
    max (both descending), then name. Seconds rounded to 0.1.
    """
    runs: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for event in period:
        for name, seconds in parse_check_durations(event.trailers.get(CHECK_DURATIONS, "")).items():
            runs[name].append((seconds, event.sha))
    rows = [CheckTiming(check=name, runs=len(found),
                        median_s=round(statistics.median(s for s, _ in found), 1),
                        max_s=round(max(s for s, _ in found), 1),
                        sources=list(dict.fromkeys(sha for _, sha in found)))
            for name, found in runs.items()]
    return sorted(rows, key=lambda r: (-r.median_s, -r.max_s, r.check))


def stale_claims(period: Sequence[AuditEvent]) -> list[StaleClaim]:
    """Each stale claim a sweep recorded: from its archive entries."""
    rows = []
    for event in of(period, "stale"):
        for entry in (x for x in event.entries if x.event == "stale"):
            beat = entry.time("Heartbeat")
            lapsed = round(_hours(event.time - beat), 2) if beat else None
            rows.append(StaleClaim(task=entry.task, session=entry.get("Session"),
                                   started=entry.get("Started"), heartbeat=entry.get("Heartbeat"),
                                   lapsed_h=lapsed, source=event.sha))
    return rows


def forced_releases(period: Sequence[AuditEvent]) -> list[ForcedRelease]:
    """Claims released by a maintainer's ``--force``, from the commits and their entries."""
    rows = []
    for event in of(period, "force-released"):
        entry = next((x for x in event.entries if x.event == "force-released"), None)
        get = entry.get if entry else (lambda _name, default="": default)
        rows.append(ForcedRelease(task=event.task or 0, holder=get("Holder", "unknown"),
                                  by=event.actor, since=get("Since", ""), reason=get("Reason", ""),
                                  source=event.sha))
    return rows


def claimants(events: Sequence[AuditEvent]) -> dict[int, list[AuditEvent]]:
    """The ``claimed`` commits of each task, oldest first."""
    found: dict[int, list[AuditEvent]] = defaultdict(list)
    for event in of(events, "claimed"):
        if event.task is not None and event.actor:
            found[event.task].append(event)
    return found


def reviewers(events: Sequence[AuditEvent], period: Sequence[AuditEvent]) -> list[ReviewerLoad]:
    """Approvals per reviewer per gate (gate 2 = who landed it) and the builders landed.

    Builders are the task's claimants (``claimed`` commits) before its release.
    Sorted by total approvals, then name.
    """
    gate1: dict[str, list[AuditEvent]] = defaultdict(list)
    gate2: dict[str, list[AuditEvent]] = defaultdict(list)
    builders: dict[str, dict[str, None]] = defaultdict(dict)
    claims = claimants(events)
    for event in of(period, "approved"):
        gate1[event.actor].append(event)
    for event in of(period, "released"):
        gate2[event.actor].append(event)
        for claim in claims.get(event.task or 0, []):
            if claim.time <= event.time:
                builders[event.actor][claim.actor] = None
    names = sorted(set(gate1) | set(gate2), key=lambda n: (-len(gate1[n]) - len(gate2[n]), n))
    return [ReviewerLoad(reviewer=n, gate1=figure(gate1[n]), gate2=figure(gate2[n]),
                         builders_landed=list(builders[n])) for n in names]


def days(since: datetime, until: datetime) -> list[date]:
    """The UTC dates that ``[since, until)`` touches, in order."""
    first, last = since.astimezone(UTC).date(), (until - timedelta(microseconds=1)).date()
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def move_of(event: AuditEvent) -> tuple[str | None, str | None]:
    """Where ``event`` moves its task from and to (``(None, None)``: it stays put)."""
    if event.escalation == "conflict":
        return "RDY FOR PROD", "REVIEW"
    return MOVES.get(event.event, (None, None))


@dataclass
class StageTally:
    """Open tasks per stage, replayed event by event (``daily``'s running state).

    ``stages`` maps known tasks to their stage; ``anonymous`` counts tasks
    added by an ``added`` commit that does not name them (``#new``, older
    histories) but not yet seen again.
    A task first seen by its claim is one of those when any are pending; any
    other unknown task predates the history read and was not counted.
    """

    stages: dict[int, str]
    counter: Counter[str]
    anonymous: int = 0

    def apply(self, event: AuditEvent) -> None:
        """Move ``event``'s task in the tally (in place)."""
        source, target = move_of(event)
        if target is None:
            return
        if event.task is None:
            self.counter[target] += 1
            self.anonymous += 1
            return
        before = self.stages.get(event.task)
        if before is not None:
            self.counter[before] -= 1
        elif source == "READY" and self.anonymous > 0:
            self.anonymous -= 1
            self.counter["READY"] -= 1
        self.stages[event.task] = target
        self.counter[target] += 1


def daily(events: Sequence[AuditEvent], since: datetime, until: datetime,
          initial: Mapping[int, str]) -> list[Day]:
    """Per UTC day of the period: landed, escalated, and open tasks per stage at day's end."""
    tally = StageTally(dict(initial), Counter(initial.values()))
    pending = list(reversed(events))
    by_day: dict[date, list[AuditEvent]] = defaultdict(list)
    for event in in_period(events, since, until):
        by_day[event.time.astimezone(UTC).date()].append(event)
    result = []
    for day in days(since, until):
        end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        while pending and pending[-1].time < end:
            tally.apply(pending.pop())
        today = by_day.get(day, [])
        result.append(Day(
            date=day, landed=len(of(today, "released")),
            escalated=escalations(today).total.value,
            open={s: tally.counter[s] for s in OPEN_STAGES}))
    return result


def build_report(history: History, since: datetime, until: datetime) -> AuditReport:
    """The audit of ``history`` over ``[since, until)`` (SPEC §12); pure.

    Events before ``since`` are context only (durations, builders, stages);
    events of an unknown kind are reported in ``ignored``.
    """
    known = tuple(e for e in history.events if e.event in EVENTS)
    unknown = [Ignored(e.sha, f"unknown Gatebot-Event {e.event!r}", e.time)
               for e in history.events if e.event not in EVENTS]
    period = in_period(known, since, until)
    return AuditReport(
        forge=history.forge, base=history.base, tip=history.tip, since=since, until=until,
        counts=counts(period), escalated=escalations(period), success=success(period),
        durations=time_to_release(known, period), gate_failures=gate_failures(period),
        slowest_checks=slowest_checks(period),
        stale_claims=stale_claims(period), forced_releases=forced_releases(period),
        reviewers=reviewers(known, period), daily=daily(known, since, until,
                                                        history.initial_stages),
        ignored=[IgnoredCommit(sha=i.sha, reason=i.reason)
                 for i in (*history.ignored, *unknown)
                 if i.time is None or since <= i.time < until],
    )
