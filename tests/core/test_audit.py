"""The audit's figures (core.audit) against a model that counts random lifecycles by hand."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gatebot.core.archive import ArchiveEntry
from gatebot.core.audit import AuditEvent, History, Ignored, build_report
from gatebot.core.timings import CHECK_DURATIONS, format_check_durations, parse_check_durations

T0 = datetime(2025, 11, 1, tzinfo=UTC)
SINCE, UNTIL = T0 + timedelta(days=2), T0 + timedelta(days=9)
# (event, trailers) that each stage allows, and the stage it leads to
NEXT = {
    "READY": [("claimed", {}, "IN-PROGRESS")],
    "IN-PROGRESS": [("submitted", {}, "REVIEW"), ("unclaimed", {}, "READY"),
                    ("force-released", {}, "READY"), ("stale", {}, "IN-PROGRESS")],
    "REVIEW": [("approved", {}, "RDY FOR PROD"), ("rejected", {}, "READY")],
    "RDY FOR PROD": [("released", {}, "RELEASED"), ("merge-failed", {}, "REVIEW"),
                     ("escalated", {}, "REVIEW"),
                     ("escalated", {"Gatebot-Approval": "kept"}, "RDY FOR PROD")],
}


@dataclass
class Model:
    """What happened, kept the obvious way: per-task stages and a list of events."""

    events: list[AuditEvent] = field(default_factory=list)
    stages: dict[int, str] = field(default_factory=dict)
    stage_at_until: dict[int, str] = field(default_factory=dict)


@st.composite
def lifecycles(draw: st.DrawFn) -> Model:
    """Random legal lifecycles of up to 8 tasks, interleaved, minutes to hours apart."""
    model = Model()
    moment = T0
    tasks = draw(st.integers(1, 8))
    for step in range(draw(st.integers(1, 60))):
        moment += timedelta(minutes=draw(st.integers(1, 600)))
        if moment >= UNTIL and not model.stage_at_until:
            model.stage_at_until = dict(model.stages)
        number = draw(st.integers(1, tasks))
        stage = model.stages.get(number)
        if stage is None:
            model.events.append(AuditEvent(f"a{step:04d}", moment, "added", None, "alice"))
            model.stages[number] = "READY"
            continue
        if stage == "RELEASED":
            continue
        event, trailers, target = draw(st.sampled_from(NEXT[stage]))
        actor = draw(st.sampled_from(["ann", "bo", "cy"]))
        entries = ()
        if event == "stale":
            entries = (ArchiveEntry("t", number, "stale", {"Session": actor,
                                                            "Heartbeat": "2025-11-01T00:00:00Z"}),)
        model.events.append(AuditEvent(f"e{step:04d}", moment, event, number, actor,
                                       {"Gatebot-Task": f"#{number}", **trailers}, entries))
        model.stages[number] = target
    if not model.stage_at_until:
        model.stage_at_until = dict(model.stages)
    return model


def in_period(model: Model) -> list[AuditEvent]:
    return [e for e in model.events if SINCE <= e.time < UNTIL]


@settings(max_examples=80, deadline=None)
@given(lifecycles())
def test_counts_rates_and_open_tasks_equal_the_models(model: Model) -> None:
    report = build_report(History(tuple(model.events)), SINCE, UNTIL)
    seen = Counter(e.event for e in in_period(model))
    kept = sum(1 for e in in_period(model) if e.trailers.get("Gatebot-Approval") == "kept")
    conflicts = seen["escalated"] - kept
    c = report.counts
    assert (c.added.value, c.claimed.value, c.submitted.value, c.approved.value,
            c.rejected.value, c.landed.value, c.unclaimed.value, c.force_released.value) == (
        seen["added"], seen["claimed"], seen["submitted"], seen["approved"], seen["rejected"],
        seen["released"], seen["unclaimed"], seen["force-released"])
    assert c.sent_back.value == seen["merge-failed"] + conflicts
    e = report.escalated
    assert (e.conflict.value, e.red_after_integration.value, e.push_refused.value,
            e.stale_claim.value) == (conflicts, seen["merge-failed"], kept, seen["stale"])
    attempts = seen["released"] + seen["merge-failed"] + seen["escalated"]
    assert report.success.landing.denominator == attempts
    assert report.success.landing.numerator == seen["released"]
    assert report.success.gate1.denominator == seen["approved"] + seen["rejected"]
    assert sum(d.landed for d in report.daily) == seen["released"]
    assert sum(d.escalated for d in report.daily) == e.total.value
    open_now = Counter(s for s in model.stage_at_until.values() if s != "RELEASED")
    assert report.daily[-1].open == {s: open_now[s] for s in
                                     ("READY", "IN-PROGRESS", "REVIEW", "RDY FOR PROD")}
    for figure in (c.added, c.claimed, c.landed, e.total):
        assert set(figure.sources) <= {ev.sha for ev in in_period(model)}


@settings(max_examples=60, deadline=None)
@given(lifecycles())
def test_durations_run_from_the_latest_claim_and_submit(model: Model) -> None:
    report = build_report(History(tuple(model.events)), SINCE, UNTIL)
    claim_h, review_h = [], []
    for release in (e for e in in_period(model) if e.event == "released"):
        before = [e for e in model.events if e.task == release.task and e.time <= release.time]
        claims = [e for e in before if e.event == "claimed"]
        submits = [e for e in before if e.event == "submitted"]
        claim_h.append((release.time - claims[-1].time).total_seconds() / 3600)
        review_h.append((release.time - submits[-1].time).total_seconds() / 3600)
    for got, want in ((report.durations.claim_to_release, claim_h),
                      (report.durations.review_to_release, review_h)):
        assert got.count == len(want)
        assert sum(b.count for b in got.histogram) == len(want)
        if want:
            assert got.max_h == round(max(want), 2)
            ranked = sorted(want)
            assert got.p90_h == round(ranked[math.ceil(0.9 * len(ranked)) - 1], 2)
            assert got.median_h == round(statistics.median(want), 2)
            assert got.mean_h == round(sum(want) / len(want), 2)


def test_reviewers_builders_stale_and_ignored() -> None:
    day = SINCE + timedelta(hours=1)
    events = (
        AuditEvent("c1", day, "claimed", 3, "bo"),
        AuditEvent("a1", day + timedelta(hours=1), "approved", 3, "ann"),
        AuditEvent("r1", day + timedelta(hours=2), "released", 3, "cy",
                   {"Gatebot-Priority": "critical"}),
        AuditEvent("s1", day + timedelta(hours=3), "stale", 7, "", {}, (
            ArchiveEntry("x", 7, "stale", {"Session": "dee", "Heartbeat": (
                day + timedelta(hours=2, minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")}),
            ArchiveEntry("y", 8, "stale", {"Session": "eve", "Heartbeat": "nonsense"}))),
        AuditEvent("x1", day, "exploded", 3, "bo"),
    )
    early = Ignored("old", "board files edited by hand", T0)
    report = build_report(History(events, (early, Ignored("i1", "why", day))), SINCE, UNTIL)
    assert [(v.reviewer, v.gate1.value, v.gate2.value, v.builders_landed)
            for v in report.reviewers] == [("ann", 1, 0, []), ("cy", 0, 1, ["bo"])]
    assert report.counts.released_critical.sources == ["r1"]
    assert [(s.task, s.session, s.lapsed_h) for s in report.stale_claims] == [
        (7, "dee", 0.5), (8, "eve", None)]
    assert (report.escalated.stale_claim.value, report.escalated.stale_claim.sources) == (2, ["s1"])
    assert report.escalated.tasks.value == 2
    assert [(i.sha, i.reason) for i in report.ignored] == [
        ("i1", "why"), ("x1", "unknown Gatebot-Event 'exploded'")]
    assert report.to_json()["schema"] == "gatebot.audit/1"


def test_p90_is_the_nearest_rank_and_hours_fill_the_histogram() -> None:
    from gatebot.core.audit import durations  # noqa: PLC0415

    got = durations([(float(h), (f"s{h}",)) for h in range(1, 21)])
    assert (got.median_h, got.mean_h, got.p90_h, got.max_h) == (10.5, 10.5, 18.0, 20.0)
    assert [b.count for b in got.histogram] == [0, 1, 2, 4, 13, 0, 0, 0]
    assert got.sources[:2] == ["s1", "s2"]


def test_slowest_checks_read_the_durations_trailer_and_skip_malformed_items() -> None:
    assert format_check_durations({"tests": 41.23, "lint": 3.06}) == "tests=41.2s lint=3.1s"
    assert parse_check_durations("tests=41.2s lint=3.1s bad x=nans y=-1s =2s z=inf s") == {
        "tests": 41.2, "lint": 3.1}

    def approval(sha: str, hour: int, value: str) -> AuditEvent:
        return AuditEvent(sha, SINCE + timedelta(hours=hour), "approved", 1,
                          trailers={CHECK_DURATIONS: value})

    events = (approval("a", 1, "tests=10.0s lint=1.0s"), approval("b", 2, "tests=30.0s"),
              approval("c", 3, "tests=20.0s lint=2.0s build=9.0s"),
              approval("old", -100, "tests=999.0s"))  # before the period: not counted
    rows = build_report(History(events), SINCE, UNTIL).slowest_checks
    assert [(r.check, r.runs, r.median_s, r.max_s, r.sources) for r in rows] == [
        ("tests", 3, 20.0, 30.0, ["a", "b", "c"]), ("build", 1, 9.0, 9.0, ["c"]),
        ("lint", 2, 1.5, 2.0, ["a", "c"])]
