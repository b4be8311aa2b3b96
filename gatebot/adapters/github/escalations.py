"""Escalations on GitHub: a comment in the seed's format plus the ``escalated`` label.

The text is ``gatebot.core.escalation.render`` (the same template as the local forge). Posting
the same escalation again writes nothing: the comment is found by its text first.
"""

from __future__ import annotations

from github.IssueComment import IssueComment

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.writes import add_labels, create_once, list_comments, post_comment
from gatebot.core.escalation import Escalation, render
from gatebot.core.github_model import ESCALATED, Person


def escalate(conn: Connection, number: int, escalation: Escalation, bot: Person) -> int:
    """Post ``escalation`` on issue or pull request ``number`` and label it ``escalated``.

    Returns the comment's id. Raises ``EnvironmentProblem`` (exit 2) on GitHub errors.
    """
    body = render(escalation)

    def find() -> IssueComment | None:
        with translated(conn.secrets, f"reading the comments of #{number}"):
            return next((c for c in list_comments(conn, number)
                         if c.user.id == bot.id and c.body == body), None)

    comment = find() or create_once(conn, f"posting an escalation on #{number}",
                                    lambda: post_comment(conn, number, body), find)
    with translated(conn.secrets, f"reading #{number}"):
        issue = conn.repo.get_issue(number)
    if ESCALATED.name not in {lb.name for lb in issue.labels}:
        add_labels(conn, issue, [ESCALATED.name])
    return comment.id
