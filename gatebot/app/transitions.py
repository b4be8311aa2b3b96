"""Steps the board edits of the release commit and ``sweep`` share: clock, TODO.md, archive.

The lifecycle's transitions are decided in ``gatebot.core.transitions`` and
recorded by the forge; these helpers serve the edits that still write board
files themselves (the release commit holds its board edits).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime

from gatebot.app.context import Context
from gatebot.core import archive
from gatebot.core.board import Board
from gatebot.core.preconditions import stamp
from gatebot.ports import Reader

__all__ = ["now", "read_board", "stamp", "with_archive"]
from gatebot.errors import UsageError


def now() -> datetime:
    """The clock: ``GATEBOT_NOW`` (ISO-8601, for tests and replays) or the system's UTC time.

    Raises ``UsageError`` for a ``GATEBOT_NOW`` that is not a time.
    """
    fixed = os.environ.get("GATEBOT_NOW")
    if fixed:
        try:
            return datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        except ValueError as exc:
            raise UsageError(f"GATEBOT_NOW={fixed!r} is not an ISO-8601 time",
                             "use e.g. 2025-11-01T10:00:00Z") from exc
    return datetime.now(UTC)


def read_board(ctx: Context, read: Reader) -> Board:
    """TODO.md as ``read`` sees it (an empty board when absent); ``BoardError`` if unreadable."""
    return Board.parse(read(ctx.config.board.todo) or "", ctx.config.board.todo)


def with_archive(
    ctx: Context, read: Reader, board: Board | None,
    entries: Sequence[archive.ArchiveEntry], moment: datetime,
) -> dict[str, str]:
    """The files of a transition: the rendered ``board`` and the day's archive with ``entries``.

    ``board`` None leaves TODO.md alone; no entries leave the archive alone.
    """
    files: dict[str, str] = {}
    if board is not None:
        files[ctx.config.board.todo] = board.render()
    if entries:
        path = archive.archive_path(moment.date(), ctx.config.board.archive_dir)
        text = read(path)
        for entry in entries:
            text = archive.append_entry(text, entry, moment.date())
        if text is not None:
            files[path] = text
    return files
