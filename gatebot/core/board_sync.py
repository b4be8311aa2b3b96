"""``gatebot board sync``, the decision: TODO.md brought in line with the live GitHub state.

Each task GitHub holds (an issue with a ``status:*`` label) is moved to its stage's section
with the fields the live state knows — ``Assignee`` (the claim holder, or ``None``),
``Started`` (the claim's start), ``PR``, ``Priority`` (``critical`` when labelled). A task
the board lacks is added under its own issue number. Every other byte of the board is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gatebot.core.board import Board, Stage


@dataclass(frozen=True)
class LiveTask:
    """One issue as GitHub has it: number, title, stage and the fields read from it."""

    number: int
    title: str
    stage: Stage
    fields: Mapping[str, str]


def synced(board: Board, live: Iterable[LiveTask]) -> Board:
    """``board`` with every live task in its stage and with its fields (module doc).

    Raises ``BoardError`` when a task's block cannot be moved without changing others.
    """
    for task in sorted(live, key=lambda t: t.number):
        present = any(t.number == task.number for t in board.tasks)
        if not present:
            board, _ = board.add_task(task.title, task.fields, task.stage, number=task.number)
            continue
        current = board.task(task.number)
        changed = {k: v for k, v in task.fields.items() if current.get(k, "\0") != v}
        if current.stage is not task.stage or changed:
            board = board.move(task.number, task.stage, changed)
    return board
