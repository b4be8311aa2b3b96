"""The lifecycle transitions before the gates: ``task add``, ``claim``, ``submit`` (SPEC §2, §7).

Each gathers the clock's reading, asks ``gatebot.core.transitions`` what
should happen and hands that decision to the forge (``Forge.apply``), which
records it atomically and asks again when the task changed meanwhile: of two
agents claiming one task at once, the first write wins and the other is told
who holds it and since when.
"""

from __future__ import annotations

from collections.abc import Sequence

from gatebot.app.context import Context
from gatebot.app.transitions import now as clock
from gatebot.core import transitions
from gatebot.core.preconditions import holder

__all__ = ["add_task", "claim", "holder", "submit"]


def add_task(ctx: Context, title: str, files: Sequence[str], critical: bool, actor: str
             ) -> tuple[int, str]:
    """Add a READY task; return its number and the record (the board commit, ``#N``).

    Numbers never repeat: N is one more than the highest on the board or ever
    recorded (a released task pruned from TODO.md keeps its number). Raises
    ``UsageError`` for an empty title or one that is not UTF-8.
    """
    return ctx.forge.add_task(transitions.new_task(title, files, critical, actor))


def claim(ctx: Context, number: int, actor: str, files: Sequence[str],
          estimate: int | None, *, git_identity: str = "") -> str:
    """READY → IN-PROGRESS for ``actor`` (first write wins); return the record's id.

    ``git_identity`` (``Name <email>`` of the repository the claim is made
    from) is recorded as ``Gatebot-Actor-Git``: the claimant is a builder under
    that identity too, whatever name it claimed as. Raises ``Refused`` ("task
    #4 is claimed by X since T") when the task is not READY.
    """
    now = clock()
    return ctx.forge.apply(number, lambda state: transitions.claim(
        state.task, actor, now, files, estimate, git_identity=git_identity))


def submit(ctx: Context, number: int, actor: str, branch: str | None, *,
           git_identity: str = "") -> str:
    """IN-PROGRESS → REVIEW by the claimant, recording the branch; return the record's id.

    ``git_identity`` is recorded as ``Gatebot-Actor-Git``, as ``claim`` does.
    """
    now = clock()
    return ctx.forge.apply(number, lambda state: transitions.submit(
        state.task, actor, now, branch, git_identity=git_identity))
