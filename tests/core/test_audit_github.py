"""GitHub's label events and reviews as audit events (``gatebot.core.audit_github``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatebot.core.audit import AuditEvent, History, build_report
from gatebot.core.audit_github import IssueEvent, PullRecord, Review, github_history, merge

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
URL = "https://github.com/acme/widgets"


class Issue:
    """Builds one issue's events, a minute apart."""

    def __init__(self, number: int) -> None:
        self.number, self.clock = number, T0 + timedelta(hours=number)
        self.events: list[IssueEvent] = []

    def add(self, event: str, actor: str, label: str = "", assignee: str = "") -> datetime:
        self.clock += timedelta(minutes=1)
        ident = self.number * 100 + len(self.events)
        self.events.append(IssueEvent(self.number, ident, event, self.clock, actor,
                                      f"{URL}/issues/{self.number}#event-{ident}", label,
                                      assignee))
        return self.clock

    def move(self, old: str | None, new: str, actor: str = "gatebot[bot]") -> datetime:
        when = self.add("labeled", actor, f"status:{new}")
        if old:
            self.add("unlabeled", actor, f"status:{old}")
        return when


def test_label_moves_and_reviews_become_the_same_figures() -> None:
    one, two = Issue(1), Issue(2)
    one.move(None, "ready", "maint")
    one.move("ready", "in-progress")
    one.add("assigned", "gatebot[bot]", assignee="alice")
    one.move("in-progress", "review")
    approved = one.move("review", "rdy-for-prod")
    released = one.move("rdy-for-prod", "released")
    two.move(None, "ready", "maint")
    two.add("labeled", "maint", "critical")
    two.move("ready", "in-progress")
    two.add("assigned", "gatebot[bot]", assignee="dave")
    two.add("labeled", "gatebot[bot]", "stale")
    two.move("in-progress", "review")
    two.move("review", "ready")  # rejected
    pull = PullRecord(9, 1, f"{URL}/pull/9", "alice", reviews=(
        Review("alice", "APPROVED", approved - timedelta(seconds=30), f"{URL}/pull/9#r1"),
        Review("bob", "APPROVED", approved - timedelta(seconds=20), f"{URL}/pull/9#r2"),
        Review("ci[bot]", "APPROVED", approved - timedelta(seconds=10), f"{URL}/pull/9#r3",
               bot=True),
        Review("carol", "APPROVED", released - timedelta(seconds=5), f"{URL}/pull/9#r4")))
    merged = PullRecord(10, 3, f"{URL}/pull/10", "erin", T0 + timedelta(hours=5), "maint")
    found, ignored = github_history({1: one.events, 2: two.events}, [pull, merged])
    report = build_report(merge(History(()), found, ignored), T0, T0 + timedelta(days=1))
    assert report.forge == "github" and not report.ignored
    assert (report.counts.added.value, report.counts.claimed.value) == (2, 2)
    assert (report.counts.submitted.value, report.counts.approved.value) == (2, 1)
    assert (report.counts.rejected.value, report.counts.landed.value) == (1, 2)
    assert report.escalated.stale_claim.value == 1
    loads = {r.reviewer: (r.gate1.value, r.gate2.value, r.builders_landed)
             for r in report.reviewers}
    assert loads == {"bob": (1, 0, []), "carol": (0, 1, ["alice"]), "maint": (0, 1, [])}
    assert report.counts.landed.sources == [one.events[-2].url, f"{URL}/pull/10"]


def test_an_escalation_with_its_move_is_a_conflict_and_git_wins_a_shared_release() -> None:
    issue = Issue(4)
    issue.move(None, "ready")
    issue.move("ready", "in-progress")
    issue.move("in-progress", "review")
    issue.move("review", "rdy-for-prod")
    issue.add("labeled", "gatebot[bot]", "escalated")
    issue.move("rdy-for-prod", "review")  # the conflict's move back, not also a send-back
    issue.move("review", "rdy-for-prod")
    issue.add("labeled", "gatebot[bot]", "escalated")  # push refused: the stage stays
    released = issue.move("rdy-for-prod", "released")
    git = History((AuditEvent("abc123", released + timedelta(seconds=3), "released", 4, "x"),))
    found, ignored = github_history({4: issue.events}, [])
    report = build_report(merge(git, found, ignored), T0, T0 + timedelta(days=1))
    assert report.escalated.conflict.value == 1 and report.escalated.push_refused.value == 1
    assert report.counts.sent_back.value == 1  # the conflict only
    assert report.counts.landed.sources == ["abc123"]
