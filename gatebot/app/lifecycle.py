"""The lifecycle transitions before the gates: ``task add``, ``claim``, ``submit`` (SPEC §2, §7).

Each is one board commit on the base branch (SPEC §4.4), re-applied to a new
tip when the base moved: of two agents claiming one task at once, the first
push wins and the other is told who holds it and since when.
"""

from __future__ import annotations

from collections.abc import Sequence

from gatebot.adapters.local import Reader, highest_task, require
from gatebot.app.context import Context
from gatebot.app.transitions import now as clock
from gatebot.app.transitions import read_board, stamp, with_archive
from gatebot.core import archive
from gatebot.core.board import Stage, Task, title_problem
from gatebot.errors import Refused, UsageError


def add_task(ctx: Context, title: str, files: Sequence[str], critical: bool, actor: str
             ) -> tuple[int, str]:
    """Add a READY task; return its number and the board commit (``Gatebot-Task: #N``).

    Numbers never repeat: N is one more than the highest on the board or ever
    recorded in the board's history (a released task pruned from TODO.md keeps
    its number). Raises ``UsageError`` for an empty title or one that is not UTF-8.
    """
    problem = title_problem(title)
    if problem:
        raise UsageError(f"task add: {problem}", "pass a title of UTF-8 text, e.g. "
                         "gatebot task add \"Rate limiter\"")
    trailers = {"Gatebot-Task": "#?", "Gatebot-Event": "added", "Gatebot-Actor": actor}

    def edit(read: Reader) -> dict[str, str]:
        fields = {"Built by": "None yet", "Cannot review": "None"}
        if critical:
            fields = {"Priority": "critical", **fields}
        if files:
            fields["Files"] = ", ".join(files)
        # the ref is at this tip or later (it only moves forward): never a lower number
        used = highest_task(ctx.git, ctx.forge.ref)
        board, number = read_board(ctx, read).add_task(title, fields, Stage.READY, used=used)
        trailers["Gatebot-Task"] = f"#{number}"
        return {ctx.config.board.todo: board.render()}

    sha = ctx.forge.transact(edit, "gatebot: add a task", trailers)
    return int(trailers["Gatebot-Task"][1:]), sha


def holder(task: Task) -> str:
    """Who holds a task and since when, from its fields (for refusals)."""
    who = task.fields.get("Assignee") or "someone"
    since = task.fields.get("Started")
    return f"{who} since {since}" if since else who


def claim(ctx: Context, number: int, actor: str, files: Sequence[str],
          estimate: int | None, *, git_identity: str = "") -> str:
    """READY → IN-PROGRESS for ``actor`` (SPEC §4.4: first push wins); return the board commit.

    ``git_identity`` (``Name <email>`` of the repository the claim is made
    from) is recorded as ``Gatebot-Actor-Git``: the claimant is a builder under
    that identity too, whatever name it claimed as. Raises ``Refused`` ("task #4 is claimed by X since T") when the task is not READY.
    """

    def edit(read: Reader) -> dict[str, str]:
        board = read_board(ctx, read)
        task = board.task(number)
        if task.stage is Stage.IN_PROGRESS:
            raise Refused(f"task #{number} is claimed by {holder(task)}")
        require(task.stage is Stage.READY,
                f"task #{number} is in {task.stage or 'no stage'}, not READY")
        now = clock()
        builders = list(dict.fromkeys([*task.field_list("Built by"), actor]))
        fields = {"Assignee": actor, "Started": stamp(now), "Built by": ", ".join(builders),
                  "Cannot review": ", ".join(builders)}  # every claimant, past ones too
        if files:
            fields["Files"] = ", ".join(files)
        entry = archive.ArchiveEntry(task.title, number, "claimed", {
            "Session": actor, "Started": stamp(now), "Files": ", ".join(files) or "-",
            "Status": "Moved to IN-PROGRESS",
            **({"Estimate": f"{estimate}min"} if estimate else {}),
        })
        return with_archive(ctx, read, board.move(number, Stage.IN_PROGRESS, fields), [entry], now)

    trailers = {"Gatebot-Task": f"#{number}", "Gatebot-Event": "claimed", "Gatebot-Actor": actor,
                **_git_trailer(git_identity)}
    return ctx.forge.transact(edit, f"gatebot: claim #{number}", trailers)


def _git_trailer(git_identity: str) -> dict[str, str]:
    return {"Gatebot-Actor-Git": git_identity} if git_identity else {}


def submit(ctx: Context, number: int, actor: str, branch: str | None, *,
           git_identity: str = "") -> str:
    """IN-PROGRESS → REVIEW by the claimant, recording the branch; return the board commit.

    ``git_identity`` is recorded as ``Gatebot-Actor-Git``, as ``claim`` does.
    """

    def edit(read: Reader) -> dict[str, str]:
        board = read_board(ctx, read)
        task = board.task(number)
        require(task.stage is Stage.IN_PROGRESS,
                f"task #{number} is in {task.stage or 'no stage'}, not IN-PROGRESS")
        assignees = [a.casefold() for a in task.field_list("Assignee")]
        require(not assignees or actor.casefold() in assignees,
                f"task #{number} is claimed by {holder(task)}, not {actor}")
        now = clock()
        fields = {"Branch": branch} if branch else {}
        entry = archive.ArchiveEntry(task.title, number, "submitted", {
            "Session": actor, "Started": task.fields.get("Started", "unknown"),
            "Completed": stamp(now), "Status": "Moved to REVIEW",
            **({"Branch": branch} if branch else {}),
        })
        return with_archive(ctx, read, board.move(number, Stage.REVIEW, fields), [entry], now)

    trailers = {"Gatebot-Task": f"#{number}", "Gatebot-Event": "submitted",
                "Gatebot-Actor": actor, **_git_trailer(git_identity)}
    return ctx.forge.transact(edit, f"gatebot: submit #{number}", trailers)
