"""``gatebot gate``: act on the GitHub event that started this job.

Facts → decision → effects: the event's name and JSON payload (``GITHUB_EVENT_NAME``,
``GITHUB_EVENT_PATH``, or ``--event-name`` / ``--event``) are read here, the pure
``gatebot.core.events.intent_of`` decides what they ask for, the plan is printed, and one
handler carries it out. Exit codes as everywhere (docs/exit-codes.md): 0 done or nothing to
do, 1 a refused comment command, 2 a payload that lacks what its event needs, or a handler
whose forge operation is not available yet.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn, assert_never

from gatebot.adapters.event_file import read_event
from gatebot.core.comment_commands import Claim, Heartbeat, Release, already_done
from gatebot.core.events import (
    ClaimCommand,
    CommandRefused,
    Gate1,
    Intent,
    Nothing,
    ReviewChanged,
    Sweep,
    SweepAndSync,
    TaskOpened,
    describe,
    intent_of,
)
from gatebot.core.printable import printable
from gatebot.core.review_run import ReviewRun
from gatebot.core.transitions import TaskState, Transition
from gatebot.core.workflow_run import PublishVerdict
from gatebot.errors import (
    EXIT_OK,
    EXIT_REFUSED,
    EnvironmentProblem,
    GatebotError,
    Refused,
    UsageError,
)


def gate_command(cwd: Path, *, event_path: str | None, event_name: str | None,
                 dry_run: bool) -> int:
    """``gatebot gate``: print what the event asks for, then do it (not with ``dry_run``).

    Raises ``UsageError`` (exit 2) for a missing event name or path and for a payload that
    lacks a field its event needs; ``Refused`` (exit 1) for a comment command that cannot
    be obeyed.
    """
    name, path = event_source(event_path, event_name, os.environ)
    intent = intent_of(name, read_event(path))
    print(f"gatebot gate: {describe(intent)}", flush=True)
    if dry_run:
        print("dry run: nothing done", file=sys.stderr)
        return EXIT_OK
    from gatebot.app.context import DEFAULT_FORGE, actions_forge  # noqa: PLC0415 - git, config

    token = DEFAULT_FORGE.set(actions_forge(os.environ))
    try:
        return dispatch(cwd, intent)
    finally:
        DEFAULT_FORGE.reset(token)


def event_source(path: str | None, name: str | None,
                 environ: Mapping[str, str]) -> tuple[str, Path]:
    """The event's name and payload file: the flags first, else the GitHub Actions variables.

    Raises ``UsageError`` when either is missing, saying which flag or variable gives it.
    """
    name = name or environ.get("GITHUB_EVENT_NAME", "")
    where = path or environ.get("GITHUB_EVENT_PATH", "")
    if not name:
        raise UsageError("which event? GITHUB_EVENT_NAME is not set and --event-name was not "
                         "given", "inside GitHub Actions both are set; elsewhere pass "
                         "--event-name pull_request --event payload.json")
    if not where:
        raise UsageError(f"no payload for the {printable(name)} event: GITHUB_EVENT_PATH is "
                         "not set and --event was not given", "pass --event payload.json")
    return name, Path(where)


def dispatch(cwd: Path, intent: Intent) -> int:  # noqa: PLR0911 - one return per intent
    """Carry ``intent`` out; the exit code of its handler."""
    match intent:
        case Nothing():
            return EXIT_OK
        case Sweep():
            return _sweep(cwd)
        case SweepAndSync():
            swept = _sweep(cwd)
            return _board_sync(cwd) or swept
        case CommandRefused():
            refused = Refused(f"{printable(intent.verb)} by {printable(intent.actor.login)} on "
                              f"issue #{intent.issue}: {intent.reason}")
            answer(cwd, intent, intent.verb, Refused(intent.reason))
            raise refused
        case Gate1():
            return gate_one(cwd, intent)
        case ReviewChanged():
            from gatebot.app.review_gate import review_changed  # noqa: PLC0415 - PyGithub

            return review_changed(cwd, intent)
        case TaskOpened():
            return task_opened(cwd, intent)
        case ClaimCommand():
            try:
                return claim_from_comment(cwd, intent)
            except Refused as refused:
                answer(cwd, intent, type(intent.command).__name__.lower(), refused)
                raise
        case PublishVerdict():
            from gatebot.app.publish_verdict import publish_command  # noqa: PLC0415 - PyGithub

            return publish_command(cwd, intent, os.environ)
        case ReviewRun():
            from gatebot.app.review_run import review_run_command  # noqa: PLC0415 - PyGithub

            return review_run_command(cwd, intent)
        case _:
            assert_never(intent)


def answer(cwd: Path, intent: ClaimCommand | CommandRefused, verb: str,
           refused: Refused) -> None:
    """Tell the comment's author, on the issue, why their command was not obeyed (once).

    Only in the github forge (a comment command comes from GitHub). A failure to post is
    reported on stderr and does not hide the refusal itself.
    """
    from gatebot.adapters.github.forge import GitHubForge  # noqa: PLC0415 - PyGithub
    from gatebot.adapters.github.replies import reply_once  # noqa: PLC0415
    from gatebot.app.context import open_context  # noqa: PLC0415
    from gatebot.core.github_model import refusal_reply  # noqa: PLC0415

    try:
        forge = open_context(cwd).forge
        if not isinstance(forge, GitHubForge):
            return
        body = refusal_reply(intent.comment_id, intent.actor.login, verb, refused.message,
                             refused.hint)
        reply_once(forge.conn, intent.issue, intent.comment_id, forge.bot, body)
    except GatebotError as failed:
        print(f"gatebot: could not answer the comment on #{intent.issue}: {failed.message}",
              file=sys.stderr)


def gate_one(cwd: Path, intent: Gate1) -> int:
    """Gate 1's rules on the pull request's head, checked out in ``cwd``; its verdict printed.

    The rules judge what the head changed since its merge base with ``intent.base_ref``
    (configuration from that base, as ``gatebot review`` reads it); the verdict goes to
    stdout (GitHub's annotations and job summary inside Actions, else text) and to the
    forge (``publish_verdict``). Returns 0 when it passes, 1 when it fails. Raises
    ``EnvironmentProblem`` (exit 2) when the work tree is not at ``intent.head_sha``.
    """
    from gatebot.app import output  # noqa: PLC0415 - rich, the checks: only here
    from gatebot.app import review as review_app  # noqa: PLC0415
    from gatebot.app.context import find_task, open_context  # noqa: PLC0415
    from gatebot.core.github_model import Person  # noqa: PLC0415
    from gatebot.core.verdict import Verdict  # noqa: PLC0415

    ctx = open_context(cwd, {"base": intent.base_ref})
    head = ctx.git.resolve("HEAD")
    if head != intent.head_sha:
        raise EnvironmentProblem(
            f"the work tree is at {(head or 'no commit')[:12]}, not at pull request "
            f"#{intent.pr}'s head {intent.head_sha[:12]}",
            "check the head out first (actions/checkout with ref: the pull request's head "
            "SHA and fetch-depth: 0)")
    task = find_task(ctx.board(ctx.opened_tip), None, intent.head_ref)
    options = review_app.ReviewOptions(base=ctx.config.base, critical=bool(task and task.critical))
    fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    with output.check_progress(fmt) as progress:
        change, rules = review_app.evaluate(ctx, options, progress)
    verdict = Verdict("review", change.head, change.base, tuple(rules),
                      task.number if task else None, None)
    output.emit(verdict, fmt)
    pusher = intent.pusher
    ctx.forge.publish_verdict(verdict, task.number if task else None,
                              Person(pusher.id, pusher.login, pusher.is_bot) if pusher else None)
    return EXIT_OK if verdict.verdict == "pass" else EXIT_REFUSED


def task_opened(cwd: Path, intent: TaskOpened) -> int:
    """Issue ``intent.issue`` becomes a READY task, unless the forge has it in a stage already.

    The forge records the decision (``gatebot.core.transitions.opened``): the
    ``status:ready`` label on GitHub. A task in a stage already (added with ``gatebot task
    add``, or the event processed before) writes nothing, exit 0. Raises ``BoardError``
    (exit 2) when the forge holds no such task (the local board has no task of that number).
    """
    from gatebot.app.context import open_context  # noqa: PLC0415 - git and the board
    from gatebot.app.transitions import now  # noqa: PLC0415
    from gatebot.core import transitions  # noqa: PLC0415

    def decide(state: TaskState) -> Transition:
        decided = transitions.opened(state.task, now())
        if decided is None:
            raise _Staged(str(state.task.stage))
        return decided

    try:
        done = open_context(cwd).forge.apply(intent.issue, decide)
    except _Staged as staged:
        print(f"nothing to write: task #{intent.issue} is in {staged} already", file=sys.stderr)
        return EXIT_OK
    print(f"task #{intent.issue} is READY ({done})", file=sys.stderr)
    return EXIT_OK


class _Staged(Exception):
    """The opened task has a stage already (its name is the message)."""


def claim_from_comment(cwd: Path, intent: ClaimCommand) -> int:
    """``/claim``, ``/release`` or ``/heartbeat`` as ``gatebot claim``, ``release``, ``heartbeat``.

    The actor is the comment's author's login, whatever the body says. A command that the
    forge records already (the event processed before) writes nothing and exits 0.
    Raises ``Refused`` (exit 1) as those commands do, e.g. a claim on a task someone holds.
    """
    from gatebot.app.context import ACTING_ACCOUNT  # noqa: PLC0415 - git and the board

    token = ACTING_ACCOUNT.set((intent.actor.id, intent.actor.login))
    try:
        return _claim_as_author(cwd, intent)
    finally:
        ACTING_ACCOUNT.reset(token)


def _claim_as_author(cwd: Path, intent: ClaimCommand) -> int:
    from gatebot.app import claim_commands as claims  # noqa: PLC0415 - git and the board
    from gatebot.app.context import open_context  # noqa: PLC0415

    ctx = open_context(cwd)
    task, who = ctx.board(ctx.opened_tip).task(intent.issue), intent.actor.login
    records, _ = claims.store_of(ctx).list()
    own = [r for r in records
           if r.number == intent.issue and r.session_name.casefold() == who.casefold()]
    done = already_done(intent.command, who, intent.at, stage=task.stage,
                        holders=task.field_list("Assignee"),
                        heartbeat_last=max((r.heartbeat_last for r in own), default=None))
    if done is not None:
        print(f"nothing to write: {done}", file=sys.stderr)
        return EXIT_OK
    match intent.command:
        case Claim():
            return claims.claim_command(cwd, intent.issue, files=(), estimate=None, actor=who,
                                        force=False)
        case Release():
            return claims.release_command(cwd, intent.issue, False, None, who)
        case Heartbeat(progress=progress, note=note):
            return claims.heartbeat_command(cwd, intent.issue, progress, note, who)
        case _:
            assert_never(intent.command)


def _sweep(cwd: Path) -> int:
    """Stale claims, then the approvals no review event acted on (a fork's: read-only runs)."""
    from gatebot.app.claim_commands import sweep_command  # noqa: PLC0415 - git only here
    from gatebot.app.sweep_reviews import sweep_reviews  # noqa: PLC0415 - PyGithub

    stale = sweep_command(cwd)
    return max(stale, sweep_reviews(cwd))


def _board_sync(cwd: Path) -> int:
    from gatebot.app.board_sync import sync_command  # noqa: PLC0415 - PyGithub only here

    return sync_command(cwd, None)


def _not_available(what: str) -> NoReturn:
    raise EnvironmentProblem(f"{what} is not available yet: it needs the github forge, which "
                             "this version of gatebot does not have",
                             "run `gatebot gate --dry-run` to see what the event asks for; "
                             "use the local commands (gatebot review, claim, merge) meanwhile")
