"""``gatebot task list`` and ``gatebot task show N``: the board's tasks, their claims and history.

Facts, gathered once: TODO.md at the base tip, the claims the claim store
holds (heartbeat ages and STALE as ``gatebot status`` computes them), and for
``show`` the task's board commits — gatebot's own, on the base's first-parent
chain (``LocalForge.events``) — with the standing gate-1 approval and the
head SHA its branch has now. Rendered as text (rich), Markdown (user text
escaped) or JSON: the ``gatebot.tasks/1`` and ``gatebot.task/1`` documents of
docs/protocol.md ("Reading the board").
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from gatebot.app import status as status_app
from gatebot.app.claim_commands import board_holders, store_of
from gatebot.app.context import Context, open_context
from gatebot.app.transitions import now
from gatebot.core.board import Stage, Task, stage_of_heading
from gatebot.core.claims import format_seconds
from gatebot.core.records import BoardEvent
from gatebot.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from rich.console import RenderableType

LIST_SCHEMA = "gatebot.tasks/1"
SHOW_SCHEMA = "gatebot.task/1"
STAGE_NAMES = ", ".join(stage.value for stage in Stage)


@dataclass(frozen=True)
class Approval:
    """A gate-1 approval read from its board commit.

    ``standing``: no later rejection, failed merge or escalation voided it.
    ``branch_head``: the head SHA the branch has now (None when the branch is
    not found). It ``stands`` when standing and approved for that head.
    """

    actor: str
    head: str
    branch: str
    commit: str
    at: datetime | None
    standing: bool
    branch_head: str | None

    @property
    def stands(self) -> bool:
        """Whether the approval still holds for the branch's current head SHA."""
        return self.standing and self.branch_head == self.head


@dataclass(frozen=True)
class TaskView:
    """One task with what gatebot knows of it: claims, approvals, history (oldest first)."""

    task: Task
    claims: tuple[status_app.ClaimRow, ...]
    approvals: tuple[Approval, ...] = ()
    history: tuple[BoardEvent, ...] = ()


@dataclass(frozen=True)
class Listing:
    """What ``task list``/``task show`` print: the views, the base and when it was read."""

    where: str
    base_sha: str
    generated_at: datetime
    tasks: tuple[TaskView, ...]
    stage: Stage | None = None


def parse_stage(text: str | None) -> Stage | None:
    """``--stage S`` as a stage (case, emoji and ``-`` vs space ignored); ``UsageError`` if none."""
    if text is None:
        return None
    stage = stage_of_heading(text)
    if stage is None:
        raise UsageError(f"--stage {text!r} names no stage", f"use one of: {STAGE_NAMES}")
    return stage


def _base(ctx: Context) -> tuple[str, str]:
    where = f"{ctx.forge.remote}/{ctx.forge.branch}" if ctx.forge.remote else ctx.forge.branch
    return where, ctx.forge.tip()


def _claim_rows(ctx: Context) -> tuple[datetime, tuple[status_app.ClaimRow, ...]]:
    stale_after = timedelta(minutes=ctx.config.claims.stale_after)
    board = status_app.gather_status(store_of(ctx), clock=now, stale_after=stale_after,
                                     holders=board_holders(ctx))
    return board.generated_at, board.claims


def gather_list(ctx: Context, stage: Stage | None) -> Listing:
    """Every task of the board at the base tip (those in ``stage`` when given), with claims."""
    where, tip = _base(ctx)
    generated, rows = _claim_rows(ctx)
    tasks = [t for t in ctx.board(tip).tasks if stage is None or t.stage is stage]
    views = tuple(TaskView(t, tuple(r for r in rows if r.record.number == t.number))
                  for t in tasks)
    return Listing(where, tip, generated, views, stage)


def gather_show(ctx: Context, number: int) -> Listing:
    """Task ``number`` with its claims, approvals and history; ``BoardError`` if there is none."""
    where, tip = _base(ctx)
    task = ctx.board(tip).task(number)
    generated, rows = _claim_rows(ctx)
    events = ctx.forge.events(number, tip)
    view = TaskView(task, tuple(r for r in rows if r.record.number == number),
                    _approvals(ctx, task, tip), tuple(reversed(events)))
    return Listing(where, tip, generated, (view,))


def _approvals(ctx: Context, task: Task, tip: str) -> tuple[Approval, ...]:
    """The task's gate-1 approvals, oldest first, each with its branch's head SHA now."""
    heads: dict[str | None, tuple[str, str | None]] = {}
    found = []
    for approval in reversed(ctx.forge.approvals(task.number, tip)):
        recorded = approval.branch or None
        if recorded not in heads:
            heads[recorded] = _branch_head(ctx, task, recorded)
        branch, head = heads[recorded]
        found.append(Approval(approval.reviewer.actor, approval.head, branch, approval.record,
                              approval.at, approval.standing, head))
    return tuple(found)


def _branch_head(ctx: Context, task: Task, branch: str | None) -> tuple[str, str | None]:
    """The approval's branch as gate 2 finds it, and its head SHA now (None: not found)."""
    from gatebot.app.merge import branch_head  # noqa: PLC0415 - gate 2's rule, only for show

    try:
        return branch_head(ctx, task, branch)
    except UsageError:  # no branch recorded, or it is gone: no approval can stand for it
        return branch or task.get("Branch"), None


# -- JSON ---------------------------------------------------------------------------------
def _time(moment: datetime | None) -> str | None:
    return format_seconds(moment) if moment is not None else None


def claim_json(row: status_app.ClaimRow) -> dict[str, Any]:
    """One claim: its holder (``session``), state, heartbeat age in seconds and STALE flag."""
    r = row.record
    return {
        "session": r.session_name, "status": r.status, "files": list(r.claimed_files),
        "started_at": format_seconds(r.started_at),
        "heartbeat_last": format_seconds(r.heartbeat_last),
        "heartbeat_age_s": int(row.heartbeat_age.total_seconds()),
        "progress_percent": r.progress_percent, "notes": r.notes, "stale": row.stale,
    }


def task_json(view: TaskView) -> dict[str, Any]:
    """A task's common keys: ``number``, ``title``, ``stage``, ``fields``, ``claims``."""
    t = view.task
    return {"number": t.number, "title": t.title, "stage": t.stage.value if t.stage else None,
            "fields": dict(t.fields), "claims": [claim_json(r) for r in view.claims]}


def approval_json(a: Approval) -> dict[str, Any]:
    """An approval: ``gate``, ``actor``, ``head``, ``branch``, ``commit``, ``at``, and standing."""
    return {"gate": "review", "actor": a.actor, "head": a.head, "branch": a.branch or None,
            "commit": a.commit, "at": _time(a.at), "standing": a.standing,
            "branch_head": a.branch_head, "stands": a.stands}


def event_json(event: BoardEvent) -> dict[str, Any]:
    """A history item: ``event``, ``actor`` (None when not recorded), ``at``, ``commit``."""
    return {"event": event.event, "actor": event.trailers.get("Gatebot-Actor"),
            "at": _time(event.committed_at), "commit": event.sha}


def list_json(listing: Listing) -> dict[str, Any]:
    """The ``gatebot.tasks/1`` document (keys in docs/protocol.md)."""
    return {"schema": LIST_SCHEMA, "generated_at": format_seconds(listing.generated_at),
            "base": listing.where, "base_sha": listing.base_sha,
            "stage": listing.stage.value if listing.stage else None,
            "tasks": [task_json(view) for view in listing.tasks]}


def show_json(listing: Listing) -> dict[str, Any]:
    """The ``gatebot.task/1`` document (keys in docs/protocol.md)."""
    view = listing.tasks[0]
    return {"schema": SHOW_SCHEMA, "generated_at": format_seconds(listing.generated_at),
            "base": listing.where, "base_sha": listing.base_sha, **task_json(view),
            "approvals": [approval_json(a) for a in view.approvals],
            "history": [event_json(e) for e in view.history]}


# -- text and Markdown --------------------------------------------------------------------
def claim_text(rows: Sequence[status_app.ClaimRow]) -> str:
    """``ann (heartbeat 3 min ago, active)``, ``STALE (25 min)`` for a stale one; ``-`` if none."""
    return "; ".join(f"{r.record.session_name} (heartbeat {status_app.format_age(r.heartbeat_age)}"
                     f" ago, {status_app.state_text(r)})" for r in rows) or "-"


def _holder(view: TaskView) -> str:
    return claim_text(view.claims) if view.claims else view.task.get("Assignee") or "-"


def list_markdown(listing: Listing) -> str:
    """The list as a Markdown table; user text escaped so it cannot forge cells or headings."""
    md = status_app.md_escape
    lines = [f"Tasks on {md(listing.where)} at `{listing.base_sha[:12]}`", "",
             "| # | title | stage | holder |", "|---|---|---|---|"]
    lines += [f"| {v.task.number} | {md(v.task.title)} | {v.task.stage or '-'} "
              f"| {md(_holder(v))} |" for v in listing.tasks]
    return "\n".join(lines) + "\n"


def _approval_line(a: Approval) -> str:
    if a.stands:
        state = "stands for the branch's head"
    elif not a.standing:
        state = "voided by a later gate event"
    elif a.branch_head is None:
        state = "the branch is not found"
    else:
        state = f"voided: the branch is at {a.branch_head[:12]} now"
    return f"{a.actor} approved {a.head[:12]} of {a.branch or '?'} ({state}) in {a.commit[:7]}"


def _event_line(e: BoardEvent) -> str:
    actor = e.trailers.get("Gatebot-Actor") or "-"
    return f"{_time(e.committed_at) or '?'}  {e.event}  {actor}  {e.sha[:7]}"


def sections(listing: Listing) -> list[tuple[str, list[str]]]:
    """The task's report as (heading, items): fields, claims, approvals, history (text as is)."""
    view = listing.tasks[0]
    t = view.task
    fields = [f"stage: {t.stage or '-'}", *(f"{n}: {v}" for n, v in t.fields.items())]
    return [
        (f"#{t.number} {t.title}", fields),
        ("claims", [claim_text(view.claims)]),
        ("approvals", [_approval_line(a) for a in view.approvals] or ["none"]),
        ("history", [_event_line(e) for e in view.history] or ["none"]),
    ]


def show_text(listing: Listing) -> str:
    """The task's report for a terminal: the title, then each section with indented items."""
    (title, fields), *rest = sections(listing)
    lines = [title, *fields]
    for heading, items in rest:
        lines += ["", f"{heading}:", *(f"  {item}" for item in items)]
    return "\n".join(lines) + "\n"


def show_markdown(listing: Listing) -> str:
    """The task's report as Markdown: bold headings, one escaped list item per line."""
    md = status_app.md_escape
    lines: list[str] = []
    for heading, items in sections(listing):
        lines += [f"**{md(heading)}**", "", *(f"- {md(item)}" for item in items), ""]
    return "\n".join(lines)


def list_text(listing: Listing) -> RenderableType:
    """The list for a terminal: a rich table (user text as ``Text``, never markup)."""
    table = Table(title=f"Tasks on {listing.where} at {listing.base_sha[:12]}")
    for column in ("#", "Title", "Stage", "Holder"):
        table.add_column(column)
    for view in listing.tasks:
        stale = any(r.stale for r in view.claims)
        table.add_row(str(view.task.number), Text(view.task.title),
                      str(view.task.stage or "-"),
                      Text(_holder(view), style="bold yellow" if stale else ""))
    return table


# -- the commands -------------------------------------------------------------------------
def list_command(cwd: Path, stage: str | None, fmt: str) -> int:
    """``gatebot task list [--stage S] [--format F]``: print the tasks; exit 0."""
    wanted = parse_stage(stage)
    listing = gather_list(open_context(cwd), wanted)
    if fmt == "json":
        print(json.dumps(list_json(listing), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        sys.stdout.write(list_markdown(listing))
    else:
        from rich.console import Console  # noqa: PLC0415

        Console(highlight=False).print(list_text(listing))
    return EXIT_OK


def show_command(cwd: Path, number: int, fmt: str) -> int:
    """``gatebot task show N [--format F]``: print one task; exit 0 (2 when there is no #N)."""
    listing = gather_show(open_context(cwd), number)
    if fmt == "json":
        print(json.dumps(show_json(listing), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(show_markdown(listing) if fmt == "markdown" else show_text(listing))
    return EXIT_OK
