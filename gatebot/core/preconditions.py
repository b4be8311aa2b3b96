"""What every transition checks first, and the board's timestamp (SPEC §2).

Apart from ``gatebot.core.transitions`` (which uses them) so that a landing,
which decides no transition when it lands cleanly, does not create the
transitions' dataclasses: each costs start-up time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gatebot.core.board import Stage, Task
from gatebot.errors import Refused


def stamp(moment: datetime) -> str:
    """A board timestamp: ISO-8601 UTC to the second with ``Z`` (``2025-11-01T10:00:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def holder(task: Task) -> str:
    """Who holds a task and since when, from its fields (for refusals): ``ann since T``."""
    who = task.fields.get("Assignee") or "someone"
    since = task.fields.get("Started")
    return f"{who} since {since}" if since else who


def require(condition: bool, message: str, hint: str = "") -> None:
    """Raise ``Refused(message, hint)`` unless ``condition`` (a transition's precondition)."""
    if not condition:
        raise Refused(message, hint)


def require_stage(task: Task, *stages: Stage) -> None:
    """Refuse (``Refused``) unless ``task`` is in one of ``stages``: "task #4 is in X, not Y"."""
    require(task.stage in stages,
            f"task #{task.number} is in {task.stage or 'no stage'}, not {stages[0]}")
