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

from gatebot.adapters.github.board import live_tasks
from gatebot.adapters.github.client import connect, env_settings
from gatebot.adapters.local import LocalForge
from gatebot.app.context import open_context
from gatebot.app.github_setup import repository_of
from gatebot.core.board import Board
from gatebot.core.board_sync import LiveTask, synced
from gatebot.errors import EXIT_OK
from gatebot.ports import Reader

SUBJECT = "gatebot: board sync"


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
    sha = _commit(ctx.files, path, live)
    where = f"{ctx.files.remote}/{ctx.files.branch}" if ctx.files.remote else ctx.files.branch
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
