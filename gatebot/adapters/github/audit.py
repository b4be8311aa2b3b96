"""What only GitHub knows for ``gatebot audit``: the label events and reviews gatebot handled.

Requests are bounded by the period's activity, not the repository's age: one paged list of
the issues and pull requests updated since the window's start (``GET …/issues?since=``, 100
a page), then for each task issue among them its events (``GET …/issues/{n}/events``), and
for each pull request whose task was approved or landed in the window the pull request and
its reviews. ``core.audit_github`` turns what is read into audit events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from github.Issue import Issue
from github.IssueEvent import IssueEvent as GhEvent
from github.PullRequest import PullRequest

from gatebot.adapters.github.client import Connection, raw, translated
from gatebot.core.audit_github import STAGES_BY_LABEL, IssueEvent, PullRecord, Review
from gatebot.core.github_model import CLAIMED, ESCALATED, STALE, is_bot, task_of_pull

GATEBOT_LABELS = frozenset({*STAGES_BY_LABEL, CLAIMED.name, STALE.name, ESCALATED.name})
REVIEWED = frozenset({"approved", "released"})


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _login(user: Any) -> str:
    return str(user.login) if user is not None else ""


def _event(number: int, html_url: str, item: GhEvent) -> IssueEvent:
    data = raw(item)
    label = (data.get("label") or {}).get("name") or ""
    assignee = (data.get("assignee") or {}).get("login") or ""
    actor = (data.get("actor") or {}).get("login") or ""
    when = datetime.fromisoformat(str(data["created_at"]).replace("Z", "+00:00"))
    return IssueEvent(number, int(data["id"]), str(data["event"]), _aware(when), str(actor),
                      f"{html_url}#event-{data['id']}", str(label), str(assignee))


def touched(conn: Connection, since: datetime) -> tuple[list[Issue], list[Issue]]:
    """The task issues (a gatebot label now) and the pull requests updated since ``since``."""
    with translated(conn.secrets, "listing the issues updated in the period"):
        found = list(conn.repo.get_issues(state="all", since=since, sort="updated",
                                          direction="desc"))
    pulls = [i for i in found if raw(i).get("pull_request")]
    tasks = [i for i in found if not raw(i).get("pull_request")
             and GATEBOT_LABELS & {str(lb.get("name")) for lb in raw(i).get("labels") or ()}]
    return tasks, pulls


def read_events(conn: Connection, issues: Sequence[Issue]) -> dict[int, list[IssueEvent]]:
    """Each issue's events, oldest first (one paged read per issue)."""
    found: dict[int, list[IssueEvent]] = {}
    for issue in issues:
        with translated(conn.secrets, f"reading the events of issue #{issue.number}"):
            url = str(raw(issue)["html_url"])
            found[issue.number] = [_event(issue.number, url, e) for e in issue.get_events()]
    return found


def read_pulls(conn: Connection, pulls: Sequence[Issue], tasks: set[int],
               moved: set[int]) -> list[PullRecord]:
    """The pull requests of ``tasks`` among ``pulls`` (one read each) with their reviews.

    Reviews are read (one paged read) only when the task reached ``status:rdy-for-prod`` or
    ``status:released`` (``moved``) or the pull request was merged.
    """
    records = []
    for item in pulls:
        with translated(conn.secrets, f"reading pull request #{item.number}"):
            pull = conn.repo.get_pull(item.number)
            task = task_of_pull(pull.head.ref, pull.body)
            if task is None or task not in tasks:
                continue
            merged = _aware(pull.merged_at) if pull.merged_at else None
            reviews = tuple(_reviews(pull)) if task in moved or merged else ()
            records.append(PullRecord(pull.number, task, pull.html_url, _login(pull.user),
                                      merged, _login(pull.merged_by) if merged else "", reviews))
    return records


def _reviews(pull: PullRequest) -> list[Review]:
    return [Review(_login(r.user), r.state, _aware(r.submitted_at), r.html_url,
                   is_bot(_login(r.user), getattr(r.user, "type", None)))
            for r in pull.get_reviews() if r.user is not None and r.submitted_at is not None]


def read_github(conn: Connection, since: datetime
                ) -> tuple[dict[int, list[IssueEvent]], list[PullRecord]]:
    """The task issues' events and the task pull requests touched since ``since`` (module doc).

    Raises ``EnvironmentProblem`` (exit 2) when GitHub refuses a read.
    """
    issues, pulls = touched(conn, since)
    events = read_events(conn, issues)
    moved = {n for n, items in events.items()
             if any(e.label in ("status:rdy-for-prod", "status:released") for e in items)}
    return events, read_pulls(conn, pulls, set(events), moved)
