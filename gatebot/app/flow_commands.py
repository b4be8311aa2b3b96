"""Command bodies for the lifecycle and gate 2: ``task add``, ``claim``, ``submit``, ``merge``.

Each returns its SPEC §6 exit code; refusals raise ``Refused`` (exit 1).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from gatebot.app import merge as merge_app
from gatebot.app import output
from gatebot.app.context import find_task, open_context
from gatebot.core.protocol import branch_belongs, task_branch_globs
from gatebot.core.verdict import Verdict
from gatebot.errors import EXIT_OK, EXIT_REFUSED, Refused, UsageError


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def task_add_command(cwd: Path, title: str, files: Sequence[str], critical: bool,
                     actor: str | None) -> int:
    """``gatebot task add TITLE``: prints the new task's number on stdout."""
    from gatebot.app import lifecycle  # noqa: PLC0415 - a landing decides no transition

    ctx = open_context(cwd)
    number, sha = lifecycle.add_task(ctx, title, files, critical, ctx.actor(actor))
    print(number)
    _say(f"task #{number} added to READY (board commit {sha[:7]})")
    return EXIT_OK


def submit_command(cwd: Path, number: int, branch: str | None, actor: str | None) -> int:
    """``gatebot submit N``: IN-PROGRESS → REVIEW; the branch defaults to the current one."""
    from gatebot.app import lifecycle  # noqa: PLC0415 - a landing decides no transition

    ctx = open_context(cwd)
    name = branch or ctx.git.current_branch()
    if name and not branch_belongs(number, name, name):
        raise Refused(f"branch {name} is another task's (task/N-… names task N), not "
                      f"task #{number}'s", f"submit task/{number}-… or pass --branch B")
    who = ctx.actor(actor)
    sha = lifecycle.submit(ctx, number, who, name, git_identity=ctx.identity(actor).git)
    _say(f"task #{number} submitted for review (board commit {sha[:7]})")
    from gatebot.app import claims as claims_app  # noqa: PLC0415 - merge needs none of it
    from gatebot.app.claim_commands import store_of  # noqa: PLC0415

    # no claim ref refs/gatebot/claims/<N>/<who>: claimed under another session name,
    # or never through gatebot claim
    with contextlib.suppress(Refused):
        claims_app.complete(store_of(ctx), number, who)
    return EXIT_OK


def merge_command(cwd: Path, *, task: int | None, branch: str | None, actor: str | None,
                  dry_run: bool, fmt: str | None) -> int:
    """``gatebot merge``: gate 2 and the landing (SPEC §5.3). 0 landed/already/dry-run, 1 not.

    With ``--task N`` the branches of task N come with the base's fetch.
    """
    ctx = open_context(cwd, fetch_also=task_branch_globs(task) if task is not None else (),
                       judging="a landing")
    who = ctx.identity(actor)
    number = task
    if number is None:
        found = find_task(ctx.board(), None, branch or ctx.git.current_branch())
        if found is None:
            raise UsageError("which task? none given and none found for the branch",
                             "pass --task N or --branch task/N-…")
        number = found.number
    with output.check_progress(fmt or "text") as progress:
        outcome = merge_app.land(ctx, number, branch, who, dry_run=dry_run, progress=progress)
    verdict = Verdict("release", outcome.commit or "", outcome.base, outcome.rules, number,
                      who.actor)
    if outcome.rules:
        output.emit(verdict, fmt or "text")
        if outcome.state != "dry-run":  # a dry run writes nothing anywhere
            ctx.forge.publish_verdict(verdict, number)
    if outcome.escalation_text:
        print(outcome.escalation_text)
    _say(outcome.message)
    if outcome.state == "dry-run":  # exit as the verdict says (SPEC §6)
        return EXIT_OK if verdict.verdict == "pass" else EXIT_REFUSED
    return EXIT_OK if outcome.state in ("landed", "already-merged") else EXIT_REFUSED
