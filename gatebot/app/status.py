"""The status board: who holds what, what is stale, tasks per stage (SPEC §7 ``status``, §8).

The ``./sesh`` board of multi-session-quick-start.md and the stale report of
golden-focus-protocol.md ("Stale Locks"), as data (``StatusBoard``) gathered
once and rendered three ways: a rich table for terminals, Markdown for
``--write STATUS_BOARD.md`` (user text escaped so it cannot forge structure)
and JSON (schema ``gatebot.status/1``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jinja2
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gatebot.app.claims import Holders, Live
from gatebot.core.claims import (
    DEFAULT_STALE_AFTER,
    ClaimProblem,
    ClaimRecord,
    Clock,
    as_utc,
    format_seconds,
    heartbeat_age,
    is_stale,
    order_key,
)
from gatebot.core.printable import printable
from gatebot.ports import ClaimRecords

SCHEMA = "gatebot.status/1"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#!|~&])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_C0 = "".join(map(chr, range(0x20))) + "\x7f"  # flattened to spaces by md_escape


@dataclass(frozen=True)
class ClaimRow:
    """One claim as the board shows it; ``heartbeat_age`` is time since the last heartbeat."""

    record: ClaimRecord
    heartbeat_age: timedelta
    stale: bool


@dataclass(frozen=True)
class Escalation:
    """An escalated task (SPEC §9) as the caller found it on the board."""

    task_number: int
    title: str


@dataclass(frozen=True)
class StatusBoard:
    """Everything ``gatebot status`` shows, gathered at ``generated_at`` (UTC).

    ``stages`` maps a stage name (SPEC §2, e.g. ``RDY FOR PROD``) to its task
    count; ``problems`` are claim refs that hold no valid claim.
    """

    generated_at: datetime
    stale_after: timedelta
    claims: tuple[ClaimRow, ...] = ()
    stages: Mapping[str, int] = field(default_factory=dict)
    escalations: tuple[Escalation, ...] = ()
    problems: tuple[ClaimProblem, ...] = ()


def gather_status(
    store: ClaimRecords,
    *,
    clock: Clock,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    stages: Mapping[str, int] | None = None,
    escalations: Iterable[tuple[int, str]] = (),
    holders: Holders | None = None,
) -> StatusBoard:
    """Read every live claim and build the board; claims oldest first; writes nothing.

    ``stages`` (stage → count), ``escalations`` ((task number, title) pairs)
    and ``holders`` (see ``gatebot.app.claims.Live``: dead records, whose
    board claim never landed, are left out) come from the board files.
    """
    now = as_utc(clock())
    records, problems = Live(holders, clock, stale_after, clean=False).read(store)
    rows = tuple(
        ClaimRow(r, heartbeat_age(r, now), is_stale(r, now, stale_after))
        for r in sorted(records, key=order_key)
    )
    return StatusBoard(
        generated_at=now,
        stale_after=stale_after,
        claims=rows,
        stages=dict(stages or {}),
        escalations=tuple(Escalation(n, t) for n, t in escalations),
        problems=tuple(problems),
    )


def format_age(age: timedelta) -> str:
    """Render an age as the seed does: ``<1 min``, ``22 min``, ``2h 30min``."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60}h {minutes % 60:02d}min"


def state_text(row: ClaimRow) -> str:
    """Return ``STALE (22 min)`` for a stale claim, else its status (``active``...)."""
    return f"STALE ({format_age(row.heartbeat_age)})" if row.stale else row.record.status


def md_escape(text: object) -> str:
    """Make user text one inline Markdown run: no newlines, no markup, no table cells."""
    flat = _CONTROL.sub(" ", printable(str(text), keep=_C0)).strip()
    return _MD_SPECIAL.sub(r"\\\1", flat)


# -- renderers --------------------------------------------------------------------------
def render_text(board: StatusBoard) -> RenderableType:
    r"""Render the board for a terminal: a rich Table of claims, then stages, escalations, problems.

    User text goes in as ``Text`` (never parsed as rich markup), its control
    characters escaped by ``printable`` (``\x1b`` → ``\\x1b``) as in every output.
    """
    claims = Table(title=f"Claims (stale after {format_age(board.stale_after)})")
    for column in ("Task", "Title", "Session", "Files", "Heartbeat", "Progress", "State"):
        claims.add_column(column)
    for row in board.claims:
        r = row.record
        state = Text(state_text(row), style="bold yellow" if row.stale else "green")
        claims.add_row(
            Text(printable(r.task_number)), Text(printable(r.task)),
            Text(printable(r.session_name)), Text(printable(", ".join(r.claimed_files))),
            f"{format_age(row.heartbeat_age)} ago", f"{r.progress_percent}%", state,
        )
    parts: list[RenderableType] = [claims]
    if board.stages:
        stages = Table(title="Tasks by stage")
        stages.add_column("Stage")
        stages.add_column("Tasks", justify="right")
        for stage, count in board.stages.items():
            stages.add_row(Text(printable(stage)), str(count))
        parts.append(stages)
    parts.extend(
        Text(printable(f"ESCALATED #{e.task_number} {e.title}"), style="bold red")
        for e in board.escalations
    )
    parts.extend(Text(printable(p.message), style="red") for p in board.problems)
    return Group(*parts)


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("gatebot", "templates"),
    autoescape=False,  # noqa: S701 - Markdown, not HTML: user text goes through the md filter
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["md"] = md_escape
_ENV.filters["age"] = format_age


def render_markdown(board: StatusBoard) -> str:
    """Render the board as Markdown (``templates/status_board.md.j2``) for STATUS_BOARD.md."""
    return _ENV.get_template("status_board.md.j2").render(
        board=board, generated=format_seconds(board.generated_at), state_text=state_text
    )


def render_json(board: StatusBoard) -> dict[str, Any]:
    """Render the board as the ``gatebot.status/1`` document.

    Keys: ``schema``, ``generated_at``, ``stale_after_s``, ``claims`` (each with
    ``task``, ``title``, ``session``, ``status``, ``files``, ``started_at``,
    ``heartbeat_last``, ``heartbeat_age_s``, ``heartbeat_count``,
    ``progress_percent``, ``notes``, ``stale``), ``stages``, ``escalations``
    (``task``, ``title``), ``problems`` (``path``, ``reason``, ``task``, ``fix``).
    """
    return {
        "schema": SCHEMA,
        "generated_at": format_seconds(board.generated_at),
        "stale_after_s": int(board.stale_after.total_seconds()),
        "claims": [_claim_json(row) for row in board.claims],
        "stages": dict(board.stages),
        "escalations": [{"task": e.task_number, "title": e.title} for e in board.escalations],
        "problems": [
            {"path": p.ref, "reason": p.reason, "task": p.task_number, "fix": p.fix}
            for p in board.problems
        ],
    }


def _claim_json(row: ClaimRow) -> dict[str, Any]:
    """Render one claim row for ``render_json``."""
    r = row.record
    return {
        "task": r.number,
        "title": r.task,
        "session": r.session_name,
        "status": r.status,
        "files": list(r.claimed_files),
        "started_at": format_seconds(r.started_at),
        "heartbeat_last": format_seconds(r.heartbeat_last),
        "heartbeat_age_s": int(row.heartbeat_age.total_seconds()),
        "heartbeat_count": r.heartbeat_count,
        "progress_percent": r.progress_percent,
        "notes": r.notes,
        "stale": row.stale,
    }
