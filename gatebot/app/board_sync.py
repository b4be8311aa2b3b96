"""``gatebot board sync``: TODO.md on the base branch from GitHub's live labels and claims.

Facts: every issue with a ``status:*`` label (one paged read), the claim comment of each
claimed one, and the open pull requests (which task each belongs to). Decision:
``gatebot.core.board_sync.synced``. Effect: one board commit (``Gatebot-Event: board-sync``)
through the local forge's commit path, pushed without force; re-planned when the base moved.
A board already in line writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gatebot.adapters.github.claims import read_claims
from gatebot.adapters.github.client import Connection, connect, env_settings, translated
from gatebot.adapters.github.identity import bot_identity
from gatebot.adapters.local import LocalForge, Reader
from gatebot.app.context import open_context
from gatebot.app.github_setup import repository_of
from gatebot.core.board import Board
from gatebot.core.board_sync import LiveTask, synced
from gatebot.core.claims import format_seconds
from gatebot.core.github_model import CLAIMED, CRITICAL, stage_of_labels, task_of_pull
from gatebot.errors import EXIT_OK

SUBJECT = "gatebot: board sync"


def live_tasks(conn: Connection) -> list[LiveTask]:
    """The tasks GitHub holds now (module doc); ``BoardError`` for two stage labels."""
    bot = bot_identity(conn)
    with translated(conn.secrets, "listing the issues"):
        issues = [i for i in conn.repo.get_issues(state="all") if i.pull_request is None]
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


def sync_command(cwd: Path, token: str | None) -> int:
    """``gatebot board sync``: write TODO.md from GitHub; print the commit or "in line"; exit 0.

    Raises ``UsageError``/``EnvironmentProblem`` (exit 2) without credentials or when GitHub
    refuses, ``BoardError`` (exit 2) for an issue with two stage labels.
    """
    ctx = open_context(cwd)
    conn = connect(env_settings(token, repository=repository_of(ctx.root)))
    try:
        live = live_tasks(conn)
    finally:
        conn.close()
    path = ctx.config.board.todo
    sha = _commit(ctx.forge, path, live)
    where = f"{ctx.forge.remote}/{ctx.forge.branch}" if ctx.forge.remote else ctx.forge.branch
    print(f"gatebot board sync: {path} on {where} "
          + (f"written in board commit {sha[:7]}" if sha else "already in line with GitHub"))
    return EXIT_OK


class _InLine(Exception):
    """Raised inside the board transaction when the board already matches GitHub."""


def _commit(forge: LocalForge, path: str, live: Iterable[LiveTask]) -> str | None:
    """One board commit bringing ``path`` in line with ``live``; None when it already is."""
    tasks = list(live)

    def edit(read: Reader) -> dict[str, str]:
        text = read(path) or ""
        new = synced(Board.parse(text, path), tasks).render()
        if new == text:
            raise _InLine
        return {path: new}

    try:
        return forge.transact(edit, SUBJECT, {"Gatebot-Event": "board-sync"})
    except _InLine:
        return None
