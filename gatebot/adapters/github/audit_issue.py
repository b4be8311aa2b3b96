"""``gatebot audit --publish-issue``: the Markdown report in one issue, edited in place.

The issue is found as the sticky pull request comment is: written by the bot's account (its
numeric user id) and holding the hidden marker ``AUDIT_MARKER``; it also carries the label
``gatebot:audit``, which the search lists by. GitHub's REST API has no operation to pin an
issue (pinning is a GraphQL mutation), so the label is what keeps it findable; a maintainer
may pin it once by hand and gatebot keeps editing that same issue.
"""

from __future__ import annotations

from dataclasses import dataclass

from github import GithubException
from github.Issue import Issue

from gatebot.adapters.github.client import Connection, raw, translated
from gatebot.adapters.github.writes import create_once
from gatebot.core.github_model import LabelSpec, Person, cut_markdown

AUDIT_MARKER = "<!-- gatebot:audit -->"
AUDIT_LABEL = LabelSpec("gatebot:audit", "0e8a16", "gatebot's audit report, edited in place")
BODY_LIMIT = 65_536


@dataclass(frozen=True)
class PublishedReport:
    """What ``publish_report`` did: ``created``, ``edited`` or ``kept``; the issue's number, URL."""

    action: str
    number: int
    url: str


def report_body(markdown: str, log_url: str | None = None) -> str:
    """The issue body: the report cut to GitHub's limit, then the hidden marker."""
    tail = f"\n{AUDIT_MARKER}\n"
    return cut_markdown(markdown, BODY_LIMIT - len(tail) - 1, log_url) + tail


def report_issues(conn: Connection, bot: Person) -> list[Issue]:
    """The open report issues the bot wrote (label, author id and marker), oldest first."""
    with translated(conn.secrets, f"listing the issues labelled {AUDIT_LABEL.name}"):
        found = [i for i in conn.repo.get_issues(state="open", labels=[AUDIT_LABEL.name],
                                                 sort="created", direction="asc")
                 if raw(i).get("pull_request") is None and i.user is not None and i.user.id == bot.id
                 and AUDIT_MARKER in (i.body or "")]
    return sorted(found, key=lambda i: i.number)


def _ensure_label(conn: Connection) -> None:
    with translated(conn.secrets, f"creating the label {AUDIT_LABEL.name}"):
        try:
            conn.repo.get_label(AUDIT_LABEL.name)
        except GithubException as exc:
            if exc.status != 404:
                raise
            try:
                conn.repo.create_label(AUDIT_LABEL.name, AUDIT_LABEL.color,
                                       AUDIT_LABEL.description)
            except GithubException as made:
                if made.status != 422:  # 422: another run made it meanwhile
                    raise


def publish_report(conn: Connection, bot: Person, title: str, markdown: str,
                   log_url: str | None = None) -> PublishedReport:
    """Put ``markdown`` in the report issue: edit the oldest one, else create it once.

    Nothing is written when the title and body are already there. Raises
    ``EnvironmentProblem`` (exit 2) when GitHub refuses (e.g. the token cannot write issues).
    """
    body = report_body(markdown, log_url)
    mine = report_issues(conn, bot)
    if mine:
        issue = mine[0]
        if issue.title == title and issue.body == body:
            return PublishedReport("kept", issue.number, issue.html_url)
        with translated(conn.secrets, f"editing the audit issue #{issue.number}"):
            issue.edit(title=title, body=body)
        return PublishedReport("edited", issue.number, issue.html_url)
    _ensure_label(conn)

    def find() -> Issue | None:
        found = report_issues(conn, bot)
        return found[0] if found else None

    made = create_once(conn, "opening the audit issue",
                       lambda: conn.repo.create_issue(title, body=body,
                                                      labels=[AUDIT_LABEL.name]), find)
    return PublishedReport("created", made.number, made.html_url)
