"""Command bodies behind ``gatebot.cli``: each returns its exit code (docs/exit-codes.md)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from gatebot.app import gate1, output
from gatebot.app import review as review_app
from gatebot.app.context import Context, find_task, open_context
from gatebot.core.board import Task
from gatebot.core.facts import Change
from gatebot.core.protocol import Contributor, Identity, branch_belongs, review_eligibility
from gatebot.core.verdict import RuleResult, Verdict
from gatebot.errors import EXIT_OK, EXIT_REFUSED, Refused, UsageError


def _parse_only(only: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (only or "").split(",") if part.strip())


def review_command(
    cwd: Path, *, base: str | None, all_files: bool, approve: bool, reject_msg: str | None,
    task: int | None, actor: str | None, fmt: str | None, jobs: int | None, only: str | None,
) -> int:
    """``gatebot review`` (SPEC §5.2, §7): print the gate-1 verdict, then approve or reject.

    Returns 0 when the verdict passes (and the approval or rejection was
    recorded), 1 when it fails or the action is refused (naming the rule).
    An approval judges every rule on the change (``UsageError`` with
    ``--only`` or ``--all``) and asks who approves what before any check runs.
    """
    if approve and reject_msg is not None:
        raise UsageError("--approve and --reject exclude each other", "choose one")
    if approve and (_parse_only(only) or all_files):
        raise UsageError("--only and --all are for looking: an approval always judges every "
                         "rule on the change", "run gatebot review --approve without them")
    ctx = open_context(cwd, {"base": base}, judging="an approval" if approve else None)
    fmt = fmt or "text"
    board = ctx.board(ctx.opened_tip)  # the tip opening fetched (None: fetch it)
    the_task = find_task(board, task, ctx.git.current_branch())
    acting = approve or reject_msg is not None
    if acting and the_task is None:
        raise UsageError("which task? none given and none found for this branch",
                         "pass --task N, or name the branch task/N-…")
    who = ctx.actor(actor) if acting else (actor or _quiet_actor(ctx))
    identity = ctx.identity(actor) if approve else None
    if approve and the_task is not None:
        _require_own_branch(the_task, ctx.git.current_branch())
    if approve and not ctx.git.is_clean():
        raise Refused("the work tree has uncommitted changes, so a verdict would not be of "
                      "the head SHA", "commit or stash them, then approve")
    options = review_app.ReviewOptions(
        base=ctx.config.base, all_files=all_files, only=_parse_only(only), jobs=jobs,
        critical=bool(the_task and the_task.critical), approver=who if approve else None,
    )
    change = review_app.gather_change(ctx, options.base, options.all_files)
    people = gate1.builders(ctx, the_task, change) if acting else []
    eligibility = _eligibility(ctx, the_task, identity, change, people) if approve else None
    if the_task is not None and eligibility is not None and eligibility.status != "pass":
        return _refuse_reviewer(Verdict("review", change.head, change.base, (eligibility,),
                                        the_task.number, who), fmt)
    with output.check_progress(fmt) as progress:  # on stderr; rich animates only on a TTY
        change, rules = review_app.evaluate(ctx, options, progress, change)
    verdict = Verdict("review", change.head, change.base,
                      (*rules, *([eligibility] if eligibility else [])),
                      the_task.number if the_task else None, who)
    output.emit(verdict, fmt)
    ctx.forge.publish_verdict(verdict, verdict.task)  # where the forge's users look
    if the_task is None or not acting:
        return EXIT_OK if verdict.verdict == "pass" else EXIT_REFUSED
    return _act(ctx, verdict, the_task.number, people, reject_msg, identity=identity)


def _require_own_branch(task: Task, branch: str | None) -> None:
    """Refuse to approve a branch that does not hold ``task``'s work (another task's code)."""
    if branch_belongs(task.number, branch, task.fields.get("Branch")):
        return
    recorded = task.fields.get("Branch")
    expected = f"task/{task.number}-…" + (f" or {recorded}" if recorded else "")
    raise Refused(
        f"approval refused: the branch under review is {branch or '(detached HEAD)'}, "
        f"not task #{task.number}'s ({expected})",
        f"check out task #{task.number}'s branch, or pass the --task its branch belongs to",
    )


def _eligibility(ctx: Context, task: Task | None, who: Identity | None, change: Change,
                 people: list[Contributor]) -> RuleResult:
    """Who approves what, asked before any check runs (a refusal then costs nothing).

    Raises ``Refused`` when the task is not approvable (``gate1.check_approvable``);
    returns the ``reviewer`` rule for ``who``.
    """
    if task is not None:
        gate1.check_approvable(ctx, task, change.head)
    return review_eligibility(who or "", people, bots=ctx.config.bots)


def _refuse_reviewer(verdict: Verdict, fmt: str) -> int:
    """Print a verdict of the ``reviewer`` rule alone and refuse the approval (exit 1)."""
    output.emit(verdict, fmt)
    print(f"gatebot: approval refused: {refusal_reason(verdict.failed())}; nothing was "
          "checked", file=sys.stderr)
    return EXIT_REFUSED


def _quiet_actor(ctx: Context) -> str | None:
    try:
        actor: str = ctx.actor(None)
    except UsageError:
        return None
    return actor


def _act(
    ctx: Context, verdict: Verdict, task: int,
    people: list[Contributor], reject_msg: str | None, *, identity: Identity | None = None,
) -> int:
    if reject_msg is not None:
        sha = gate1.reject(ctx, verdict, task, reject_msg)
        print(f"task #{task} moved back to READY (board commit {sha[:7]})", file=sys.stderr)
        return EXIT_OK
    failed = verdict.failed()
    if failed:
        print(f"gatebot: approval refused: {refusal_reason(failed)}", file=sys.stderr)
        return EXIT_REFUSED
    if not ctx.git.is_clean():  # the checks themselves changed tracked files
        print("gatebot: approval refused: the checks changed tracked files, so the verdict "
              "is not of the head SHA; fix the checks or commit their output", file=sys.stderr)
        return EXIT_REFUSED
    sha = gate1.approve(ctx, verdict, task, people, ctx.git.current_branch(), identity=identity)
    print(f"task #{task} approved at gate 1 for head {verdict.head[:12]} "
          f"(board commit {sha[:7]}); moved to RDY FOR PROD", file=sys.stderr)
    return EXIT_OK


def refusal_reason(failed: Sequence[RuleResult]) -> str:
    """Why an approval is refused: the rules that did not pass, and the reviewer apart.

    ``failed`` are the results that did not pass; the ``reviewer`` result is not
    a rule of the change but the actor's eligibility, so it is named as such:
    "rules docstrings, coverage did not pass, and ann may not review: …".
    """
    rules = [r.id for r in failed if r.id != "reviewer"]
    parts = []
    if rules:
        noun = "rule" if len(rules) == 1 else "rules"
        parts.append(f"{noun} {', '.join(rules)} did not pass")
    parts += [r.summary for r in failed if r.id == "reviewer"]
    return ", and ".join(parts)
