"""The board as GitHub has it: each task's stage, claim holder, pull request and priority.

``live_tasks`` reads every issue with a ``status:*`` label (one paged list), the open pull
requests (one paged list) and, for each claimed issue, its claim comments; the result is what
``gatebot.core.board_sync.synced`` writes into TODO.md.
"""

from __future__ import annotations

from github.Issue import Issue

from gatebot.adapters.github.claims import read_claims
from gatebot.adapters.github.client import Connection, raw, translated
from gatebot.adapters.github.identity import bot_identity
from gatebot.adapters.github.labels import moving, settled
from gatebot.core.board_sync import LiveTask
from gatebot.core.claims import format_seconds
from gatebot.core.github_model import CLAIMED, CRITICAL, stage_of_labels, task_of_pull


def live_tasks(conn: Connection) -> list[LiveTask]:
    """The tasks GitHub holds now (module doc); ``BoardError`` for two stage labels."""
    bot = bot_identity(conn)
    issues = _issues(conn)
    with translated(conn.secrets, "listing the pull requests"):
        pulls = {task_of_pull(p.head.ref, p.body): p.number for p in conn.repo.get_pulls()}
    found = []
    for issue in issues:
        names = [lb.name for lb in issue.labels]
        stage = stage_of_labels(issue.number, names)
        if stage is None:
            continue
        fields = {"Assignee": "None", **({"Priority": "critical"} if CRITICAL.name in names else {})}
        if CLAIMED.name in names:
            held = read_claims(conn, issue.number, bot.id).holder
            if held:
                fields |= {"Assignee": held.record.session_name,
                           "Started": format_seconds(held.record.started_at)}
        if issue.number in pulls:
            fields["PR"] = f"#{pulls[issue.number]}"
        found.append(LiveTask(issue.number, issue.title, stage, fields))
    return found




def _issues(conn: Connection) -> list[Issue]:
    """Every issue (no pull requests), listed again while a stage move is in flight on one.

    Another job's ``set_stage`` shows two stage labels for a moment (``read_task_issue``);
    a list that still shows them after ``MOVE_IN_FLIGHT_WAITS`` is returned as it is, and the
    caller's ``stage_of_labels`` reports it.
    """
    with translated(conn.secrets, "listing the issues"):
        return settled(lambda: [i for i in conn.repo.get_issues(state="all")
                                if raw(i).get("pull_request") is None],
                       lambda issues: any(moving(i) for i in issues))
