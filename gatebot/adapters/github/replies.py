"""Answers on GitHub to comment commands gatebot did not obey (``/claim`` on a held task, …).

One reply per command comment: it carries the hidden marker ``reply_marker(comment_id)``, and
a reply by gatebot's own account with that marker already there means the event was handled
before, so processing the same event twice posts nothing the second time.
"""

from __future__ import annotations

from github.IssueComment import IssueComment

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.writes import create_once, list_comments, post_comment
from gatebot.core.github_model import Person, reply_marker


def reply_once(conn: Connection, number: int, comment_id: int, bot: Person, body: str) -> bool:
    """Post ``body`` on issue ``number`` unless gatebot answered comment ``comment_id`` already.

    ``body`` must hold ``reply_marker(comment_id)``. Returns whether a reply was posted.
    Raises ``EnvironmentProblem`` (exit 2) on GitHub errors.
    """
    marker = reply_marker(comment_id)

    def find() -> IssueComment | None:
        with translated(conn.secrets, f"reading the comments of #{number}"):
            return next((c for c in list_comments(conn, number)
                         if c.user.id == bot.id and marker in (c.body or "")), None)

    if find() is not None:
        return False
    create_once(conn, f"answering comment {comment_id} on #{number}",
                lambda: post_comment(conn, number, body), find)
    return True
