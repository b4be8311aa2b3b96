"""Writes that neither get lost nor doubled when GitHub's answer is lost, and the server's clock.

A POST whose answer is a 5xx, a dropped connection or a timeout may have been applied. These
helpers read back before writing again (``create_once``), treat a label that is already gone
as removed (``remove_label``), and read the time from GitHub's ``Date`` header (``server_now``)
rather than the local clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from github import GithubException
from github.GithubObject import GithubObject
from github.Issue import Issue
from github.IssueComment import IssueComment
from github.PaginatedList import PaginatedList

from gatebot.adapters.github.client import Connection, is_ambiguous, translated

T = TypeVar("T")


def create_once(conn: Connection, doing: str, create: Callable[[], T],
                find: Callable[[], T | None], *, attempts: int = 3) -> T:
    """Create something once: ``create()``; when the answer is lost, ``find()`` it first.

    ``find`` reads back what ``create`` would have made (None: it was not made). Raises
    ``EnvironmentProblem`` (exit 2) with a redacted message when GitHub keeps failing.
    """
    with translated(conn.secrets, doing):
        for attempt in range(attempts):
            try:
                return create()
            except Exception as exc:
                if not is_ambiguous(exc) or attempt == attempts - 1:
                    raise
                conn.report(f"{doing}: the answer was lost ({_what(exc)}); reading back")
            found = find()
            if found is not None:
                return found
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _what(exc: Exception) -> str:
    return f"GitHub answered {exc.status}" if isinstance(exc, GithubException) else \
        type(exc).__name__


def remove_label(conn: Connection, issue: Issue, name: str) -> bool:
    """Remove label ``name`` from ``issue``; False when it did not have it (GitHub's 404).

    Raises ``EnvironmentProblem`` for any other failure.
    """
    with translated(conn.secrets, f"removing the label {name} from #{issue.number}"):
        try:
            issue.remove_from_labels(name)
        except GithubException as exc:
            if exc.status == 404:
                return False
            raise
    return True


def add_labels(conn: Connection, issue: Issue, names: Iterable[str]) -> None:
    """Add labels to ``issue`` (adding is idempotent on GitHub: a lost answer is retried)."""
    wanted = list(names)
    if not wanted:
        return
    doing = f"adding the labels {', '.join(wanted)} to #{issue.number}"
    with translated(conn.secrets, doing):
        for attempt in range(3):
            try:
                issue.add_to_labels(*wanted)
                return
            except Exception as exc:
                if not is_ambiguous(exc) or attempt == 2:
                    raise


def server_now(obj: GithubObject) -> datetime:
    """The server's time when ``obj`` was read: its response's ``Date`` header (UTC).

    Falls back to the local clock only when the header is missing (never on GitHub).
    """
    return date_header(GithubObject.raw_headers.fget(obj))  # type: ignore[attr-defined]


def date_header(headers: Mapping[str, object] | None) -> datetime:
    """The ``Date`` of an answer's ``headers`` as aware UTC (the local clock when it lacks one)."""
    raw = next((v for k, v in dict(headers or {}).items() if k.lower() == "date"), None)
    if not raw:
        return datetime.now(UTC).replace(microsecond=0)
    return parsedate_to_datetime(str(raw)).astimezone(UTC)


def _comment_url(conn: Connection, comment_id: int) -> str:
    return f"{conn.repo.url}/issues/comments/{comment_id}"


def edit_comment(conn: Connection, comment_id: int, body: str) -> None:
    """Replace the body of issue comment ``comment_id`` (one PATCH, no read first)."""
    with translated(conn.secrets, f"editing comment {comment_id}"):
        conn.gh.requester.requestJsonAndCheck("PATCH", _comment_url(conn, comment_id),
                                              input={"body": body})


def delete_comment(conn: Connection, comment_id: int) -> None:
    """Delete issue comment ``comment_id``; one already gone (404) is fine."""
    with translated(conn.secrets, f"removing comment {comment_id}"):
        try:
            conn.gh.requester.requestJsonAndCheck("DELETE", _comment_url(conn, comment_id))
        except GithubException as exc:
            if exc.status != 404:
                raise


def list_comments(conn: Connection, number: int) -> PaginatedList[IssueComment]:
    """The comments of issue or pull request ``number``, oldest first (paged; no issue read)."""
    return PaginatedList(IssueComment, conn.gh.requester,
                         f"{conn.repo.url}/issues/{number}/comments", None)


def post_comment(conn: Connection, number: int, body: str) -> IssueComment:
    """Post a comment on issue or pull request ``number`` (one POST; errors as PyGithub's)."""
    headers, data = conn.gh.requester.requestJsonAndCheck(
        "POST", f"{conn.repo.url}/issues/{number}/comments", input={"body": body})
    return IssueComment(conn.gh.requester, headers, data, completed=True)
