"""``gatebot queue``: the merge queue in landing order, read-only (docs/queue.md).

Facts, gathered at one base tip through the forge (``gatebot.ports.Forge``): the RDY FOR
PROD tasks of the board, each task's standing gate-1 approval (``Forge.approvals``) and the
head SHA its branch has now (found as gate 2 finds it). The pure ``gatebot.core.queue``
orders them (critical first, then approval order; an approval stands only for the head it
named) and cuts the batches they would go in if every batch were green. Printed as text or
as the ``gatebot.queue/1`` JSON document (keys in docs/queue.md). Writes nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatebot.app.context import Context, open_context
from gatebot.core.board import Stage, Task
from gatebot.core.claims import format_seconds
from gatebot.core.printable import printable
from gatebot.core.queue import Candidate, plan_batches, queue_order
from gatebot.core.records import Approval, standing
from gatebot.errors import EXIT_OK, UsageError

SCHEMA = "gatebot.queue/1"


@dataclass(frozen=True)
class Entry:
    """A RDY FOR PROD task as the queue sees it.

    ``head``: its branch's head SHA now (None: no branch found); ``approval``: its standing
    gate-1 approval (None: none stands).
    """

    task: Task
    head: str | None
    approval: Approval | None

    def candidate(self) -> Candidate:
        """The pure view ``gatebot.core.queue`` orders (approval order by the approval's time)."""
        at = self.approval.at if self.approval else None
        return Candidate(self.task.number, self.head or "",
                         self.approval.head if self.approval else None,
                         at.timestamp() if at else math.inf, self.task.critical)

    def reason(self) -> str:
        """Why the task is not queued, and what brings it in (for a task that is not)."""
        if self.approval is None:
            return "no standing gate-1 approval: approve it with `gatebot review --approve`"
        if self.head is None:
            return "its branch is not found: push the branch the approval names"
        return (f"approved {self.approval.head[:12]} but the branch is at {self.head[:12]} now: "
                "review and approve the new head")


@dataclass(frozen=True)
class QueueView:
    """What ``gatebot queue`` prints: the base, the batches in order, the tasks left out."""

    where: str
    base_sha: str
    batches: tuple[tuple[Entry, ...], ...]
    not_queued: tuple[Entry, ...]
    batch_size: int | None


def _entry(ctx: Context, task: Task, tip: str) -> Entry:
    from gatebot.app.merge import branch_head  # noqa: PLC0415 - gate 2's rule for the branch

    approval = standing(ctx.forge.approvals(task.number, tip))
    try:
        _branch, head = branch_head(ctx, task, (approval.branch or None) if approval else None)
    except UsageError:  # no branch: nothing of it can land
        head = None
    return Entry(task, head, approval)


def gather(ctx: Context, override: int | None, tip: str | None = None) -> QueueView:
    """The queue at the base ``tip`` (a SHA the caller has just fetched; None: fetched now).

    Raises ``UsageError`` for a batch size below 1.
    """
    if override is not None and override < 1:
        raise UsageError(f"--batch-size {override} is below 1", "pass --batch-size 1 or more")
    tip = tip or ctx.forge.tip()
    where = f"{ctx.forge.remote}/{ctx.forge.branch}" if ctx.forge.remote else ctx.forge.branch
    entries = [_entry(ctx, t, tip) for t in ctx.board(tip).tasks if t.stage is Stage.RDY_FOR_PROD]
    by_number = {e.task.number: e for e in entries}
    ordered = queue_order([e.candidate() for e in entries])
    batches = tuple(tuple(by_number[c.number] for c in batch)
                    for batch in plan_batches(ordered, override))
    queued = {c.number for c in ordered}
    return QueueView(where, tip, batches, tuple(e for e in entries if e.task.number not in queued),
                     override)


def queue_json(view: QueueView) -> dict[str, Any]:
    """The ``gatebot.queue/1`` document: the tasks in landing order, each with its batch."""
    tasks = [{"position": position, "batch": number, "number": e.task.number,
              "title": e.task.title, "head": e.head,
              "approved_at": format_seconds(e.approval.at) if e.approval and e.approval.at
              else None, "critical": e.task.critical}
             for position, (number, e) in enumerate(
                 ((n, e) for n, batch in enumerate(view.batches, 1) for e in batch), 1)]
    return {"schema": SCHEMA, "base": view.where, "base_sha": view.base_sha,
            "batch_size": view.batch_size, "tasks": tasks,
            "not_queued": [{"number": e.task.number, "title": e.task.title, "head": e.head,
                            "reason": e.reason()} for e in view.not_queued]}


def queue_text(view: QueueView) -> str:
    """The queue for a terminal: one line per task (batch, number, head SHA, title)."""
    count = sum(len(b) for b in view.batches)
    lines = [f"Merge queue on {printable(view.where)} at {view.base_sha[:12]}: "
             f"{count} task{'s' * (count != 1)} in {len(view.batches)} "
             f"batch{'es' * (len(view.batches) != 1)}"]
    lines += [f"  batch {n}  #{e.task.number}  {(e.head or '')[:12]}  {printable(e.task.title)}"
              + ("  (critical: alone)" if e.task.critical else "")
              for n, batch in enumerate(view.batches, 1) for e in batch]
    if view.not_queued:
        lines.append("Not queued (RDY FOR PROD):")
        lines += [f"  #{e.task.number}  {printable(e.task.title)}: {e.reason()}"
                  for e in view.not_queued]
    return "\n".join(lines) + "\n"


def queue_command(cwd: Path, override: int | None, fmt: str) -> int:
    """``gatebot queue [--batch-size N] [--format F]``: print the queue; exit 0 (2: bad size)."""
    ctx = open_context(cwd)
    view = gather(ctx, override, ctx.opened_tip)  # the tip opening fetched: one fetch
    if fmt == "json":
        print(json.dumps(queue_json(view), indent=2, ensure_ascii=False))
    else:
        print(queue_text(view), end="")
    return EXIT_OK
