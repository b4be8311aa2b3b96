"""Command wiring only (docs/commands.md, docs/exit-codes.md): flags → app calls → exit codes.

Imports here are cheap on purpose: ``gatebot --help`` must start in well under
0.15 s, so each command imports its app module (pydantic, rich, PyGithub…)
when it runs. Every ``GatebotError`` becomes its message, its hint and its exit
code; anything else is an internal error (exit 3) whose traceback goes to a log.
"""

from __future__ import annotations

import gc

GC_YOUNG_THRESHOLD = 100_000
"""Objects allocated (net) before the cyclic garbage collector looks at the young ones.

Python's default is 700: loading click and a command's modules (about 25,000 objects for
a landing, each a module, class, function or constant that lives as long as the process)
then ran some 40 collections that found nothing to free, about 5 % of a landing's CPU
time. Set before anything else loads; collections still happen, that much less often,
in a command that runs long."""
gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])

import sys  # noqa: E402 - after the collector's threshold: each import allocates
from collections.abc import Callable  # noqa: E402
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar  # noqa: E402

import click  # noqa: E402

from gatebot import __version__  # noqa: E402

if TYPE_CHECKING:
    from pathlib import Path

F = TypeVar("F", bound=Callable[..., Any])
EXIT_BROKEN_PIPE = 141
FORMATS = click.Choice(["text", "json", "markdown", "github"])


def _fail(message: str, hint: str, code: int) -> NoReturn:
    from gatebot.core.printable import printable  # noqa: PLC0415 - only on the error path

    click.echo(f"gatebot: {printable(message)}", err=True)  # names in it are user text
    if hint:
        click.echo(f"  hint: {printable(hint)}", err=True)
    sys.exit(code)


def guarded(fn: F) -> F:
    """Map exceptions to the exit codes of docs/exit-codes.md around a command body."""
    import functools  # noqa: PLC0415

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from gatebot.errors import EXIT_INTERNAL, GatebotError  # noqa: PLC0415

        try:
            return fn(*args, **kwargs)
        except GatebotError as exc:
            _fail(exc.message, exc.hint, exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", "", 130)
        except BrokenPipeError:  # `gatebot … | head`: the reader left; not a bug
            _closed_stdout()
        except Exception:  # the last line of defence: exit 3, traceback in a log
            import os  # noqa: PLC0415 - only on the error path: keeps --help fast
            import tempfile  # noqa: PLC0415
            import traceback  # noqa: PLC0415

            handle, path = tempfile.mkstemp(prefix="gatebot-crash-", suffix=".log")
            with os.fdopen(handle, "w", encoding="utf-8") as log:
                log.write(traceback.format_exc())
            _fail(f"internal error: {sys.exc_info()[1]!r}",
                  f"the traceback is in {path}; please report it", EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def forge_option(fn: F) -> F:
    """Add ``--forge local|github`` to a command: the forge it uses while it runs.

    Above ``GATEBOT_FORGE`` and the configuration's ``forge``; unset, they decide.
    """
    import functools  # noqa: PLC0415

    @functools.wraps(fn)
    def wrapper(*args: Any, forge: str | None = None, **kwargs: Any) -> Any:
        if forge is None:
            return fn(*args, **kwargs)
        from gatebot.app.context import FORGE_OPTION  # noqa: PLC0415 - only when given

        token = FORGE_OPTION.set(forge)
        try:
            return fn(*args, **kwargs)
        finally:
            FORGE_OPTION.reset(token)

    option = click.option("--forge", type=click.Choice(["local", "github"]), default=None,
                          help="Where the protocol's state lives (default: GATEBOT_FORGE, "
                          "else the configuration's forge, else local).")
    return option(wrapper)  # type: ignore[return-value]


def _closed_stdout() -> NoReturn:
    """Exit 141 (128 + SIGPIPE, as git and the shell do) when stdout's reader went away.

    Python reports the lost reader as ``BrokenPipeError``, and again when it
    flushes stdout at exit; stdout is pointed at the null device so that second
    report cannot turn into a traceback.
    """
    import os  # noqa: PLC0415 - only on this path: keeps --help fast

    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


def _cwd() -> Path:
    from pathlib import Path  # noqa: PLC0415 - pathlib costs start-up time

    return Path.cwd()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gatebot")
def main() -> None:
    """gatebot: two review gates, tested --no-ff landings, and a true board."""


@main.command()
@click.option("--base", "base", help="Base branch (default: GATEBOT_BASE, else the remote's default branch).")
@click.option("--all", "all_files", is_flag=True, help="Measure every tracked file.")
@click.option("--approve", is_flag=True, help="Approve gate 1 if the verdict passes.")
@click.option("--reject", "reject_msg", metavar="MSG", help="Send the task back to READY.")
@click.option("--task", type=int, help="Task number (default: from the branch or TODO.md).")
@click.option("--as", "actor", metavar="NAME", help="Act as NAME (default: GATEBOT_ACTOR).")
@click.option("--format", "fmt", type=FORMATS, default=None, help="Output format.")
@click.option("--jobs", type=click.IntRange(min=1), help="Checks run in parallel.")
@click.option("--only", help="Comma-separated rule ids, e.g. function-length,checks.tests.")
@forge_option
@guarded
def review(**kwargs: Any) -> None:
    """Run gate 1 on the current branch and print the verdict.

    Without --all the rules judge what changed since the merge base of the base
    branch and HEAD. --approve records the approval for the head SHA and moves
    the task REVIEW → RDY FOR PROD; it always judges every rule on the change
    (--only and --all are for looking). --reject MSG sends it back to READY.
    """
    from gatebot.app.commands import review_command  # noqa: PLC0415

    sys.exit(review_command(_cwd(), **kwargs))


@main.command()
@click.option("--task", type=int, help="Task number.")
@click.option("--branch", help="The task's branch (default: its Branch field or task/N-…).")
@click.option("--as", "actor", metavar="NAME", help="Act as NAME (default: GATEBOT_ACTOR).")
@click.option("--dry-run", is_flag=True, help="Do everything a merge does (integration, release "
              "commit, re-test, coverage); push nothing and write no board.")
@click.option("--format", "fmt", type=FORMATS, default=None, help="Output format.")
@forge_option
@guarded
def merge(**kwargs: Any) -> None:
    """Run gate 2 and land the task with --no-ff.

    Checks eligibility, judges the static gate-1 rules again on the approved
    head, merges it with the base tip in an integration worktree, builds the
    release commit with the board edits inside, re-runs every check on that
    tree and pushes it without force.
    """
    from gatebot.app.flow_commands import merge_command  # noqa: PLC0415

    sys.exit(merge_command(_cwd(), **kwargs))


@main.command()
@click.option("--task", type=int, help="Task number (default: the one whose staging branch "
              "holds the run's commit).")
@click.option("--pull", type=int, help="Its pull request (default: the open one from the "
              "task's branch).")
@click.option("--workflow-run", "workflow_run", metavar="PATH", help="A finished "
              "gatebot-staging run's workflow_run event payload: record its result first.")
@click.option("--checks-app", "checks_app", default="github-actions", show_default=True,
              metavar="SLUG", help="The app whose check runs on the staging commit count.")
@guarded
def land(**kwargs: Any) -> None:
    """GitHub mode: land a staged task once its staging checks passed.

    Reads the task's newest staging branch (gatebot/staging/<N>/<k>) again: the base branch
    still its first parent, the approvals still on its second, the required check runs of
    the expected app green for that exact commit. Then fast-forwards the base branch to it without force. A moved base rebuilds
    and re-tests it (at most merge.retries times, then escalates); failed checks or a new
    push send the task back to REVIEW. A staging run that was cancelled or timed out is no
    verdict: the staging checks run once more on the same commit, then the task escalates.
    Exit 0 when landed, waiting, re-run or nothing to do; 1 when sent back or escalated.
    """
    from gatebot.app.staging import land_command  # noqa: PLC0415

    sys.exit(land_command(_cwd(), **kwargs))


@main.command()
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.option("--as", "actor", metavar="NAME", help="Act as NAME (recorded in the commit).")
@click.option("--github", is_flag=True, help="Also write the GitHub Actions workflows to "
              ".github/workflows/ in the work tree (see docs/github-actions.md).")
@click.option("--force", is_flag=True, help="With --github: replace workflow files you edited.")
@click.option("--token", metavar="TOKEN", help="With --github: the GitHub token that creates "
              "the labels (default: GITHUB_TOKEN).")
@forge_option
@guarded
def init(dry_run: bool, actor: str | None, github: bool, force: bool,
         token: str | None) -> None:
    """Set the repository up: a starter configuration and the empty board.

    Finds nox (noxfile.py) or tox (tox.ini, tox.toml, [tool.tox]) and writes a
    configuration whose checks are what that runner runs by default —
    [tool.gatebot] appended to pyproject.toml, or .gatebot.toml — plus
    TODO.md, CURRENT_STATE.md and the archive directory, each only when
    missing. All of it is one board commit on the base branch, pushed without
    force; your work tree and index are not touched (`git pull` brings the
    files in). A second run changes nothing. Prints the next three commands.

    With --github it also writes the five gatebot workflows (gatebot-pr, -publish,
    -review, -staging, -sweep) to .github/workflows/ in your work tree, for you to
    commit: a missing one is written, one gatebot wrote and you did not edit is
    refreshed, one you edited is kept unless --force.
    It also creates or corrects the labels of GitHub mode (status:*, claimed,
    stale, escalated, critical) on GITHUB_REPOSITORY (else the origin remote's
    repository) when a token (--token, GITHUB_TOKEN) or a GitHub App is given.
    """
    if force and not github:
        from gatebot.errors import UsageError  # noqa: PLC0415

        raise UsageError("--force only applies to the workflows of --github",
                         "run gatebot init --github --force")
    from gatebot.app.init import init_command  # noqa: PLC0415

    sys.exit(init_command(_cwd(), actor=actor, dry_run=dry_run, github=github, force=force,
                           token=token))


@main.group()
def board() -> None:
    """The board files (TODO.md) on the base branch."""


@board.command("sync")
@click.option("--token", metavar="TOKEN", help="GitHub token (default: GITHUB_TOKEN).")
@guarded
def board_sync(token: str | None) -> None:
    """Write TODO.md from GitHub's live labels and claim comments, in one board commit.

    Each issue with a status:* label is moved to its stage's section with its
    claim holder (Assignee, Started), its pull request and its priority; a task
    the board lacks is added under its issue number. Nothing else changes; a
    board already in line writes nothing.
    """
    from gatebot.app.board_sync import sync_command  # noqa: PLC0415

    sys.exit(sync_command(_cwd(), token))


@main.group()
def task() -> None:
    """Manage tasks on the board."""


@task.command("add")
@click.argument("title")
@click.option("--files", multiple=True, metavar="GLOB", help="Files the task will touch.")
@click.option("--critical", is_flag=True, help="Emergency fast-track: critical.min_coverage instead of min_coverage.")
@click.option("--as", "actor", metavar="NAME", help="Act as NAME.")
@forge_option
@guarded
def task_add(title: str, files: tuple[str, ...], critical: bool, actor: str | None) -> None:
    """Add a READY task; prints its number, one more than any number used before.

    TITLE is UTF-8 text, not empty; a # in it is kept (escaped in TODO.md).
    """
    from gatebot.app.flow_commands import task_add_command  # noqa: PLC0415

    sys.exit(task_add_command(_cwd(), title, files, critical, actor))


@task.command("list")
@click.option("--stage", metavar="S", help="Only the tasks in stage S (e.g. READY, 'RDY FOR PROD').")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", help="Output format.")
@forge_option
@guarded
def task_list(stage: str | None, fmt: str) -> None:
    """List the board's tasks: number, title, stage, and who holds each claim.

    Read from the base branch; claims show their heartbeat age and STALE as
    `gatebot status` does. JSON: the gatebot.tasks/1 document.
    """
    from gatebot.app.tasks import list_command  # noqa: PLC0415

    sys.exit(list_command(_cwd(), stage, fmt))


@task.command("show")
@click.argument("number", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", help="Output format.")
@forge_option
@guarded
def task_show(number: int, fmt: str) -> None:
    """Show task N: its fields, claim, gate-1 approvals and history.

    Each approval names its head SHA and whether it still stands for the
    branch's current head; the history is gatebot's board commits for the task
    (event, actor, time, commit). JSON: the gatebot.task/1 document.
    """
    from gatebot.app.tasks import show_command  # noqa: PLC0415

    sys.exit(show_command(_cwd(), number, fmt))


@main.command()
@click.argument("number", type=int)
@click.option("--files", multiple=True, metavar="GLOB", help="Files you will change.")
@click.option("--estimate", type=click.IntRange(min=1), metavar="MINUTES",
              help="How long you expect the work to take.")
@click.option("--as", "actor", metavar="NAME", help="Act as NAME.")
@click.option("--force", is_flag=True,
              help="Take over a session name whose process is gone and heartbeat stale.")
@forge_option
@guarded
def claim(number: int, files: tuple[str, ...], estimate: int | None, actor: str | None,
          force: bool) -> None:
    """Claim task N: READY → IN-PROGRESS (three-phase claim record, then the board; first push wins)."""
    from gatebot.app.claim_commands import claim_command  # noqa: PLC0415

    sys.exit(claim_command(_cwd(), number, files=files, estimate=estimate, actor=actor,
                           force=force))


@main.command()
@click.argument("number", type=int, required=False)
@click.option("--progress", type=click.IntRange(0, 100), metavar="PERCENT",
              help="How far along you are.")
@click.option("--note", metavar="TEXT", help="What you are doing or blocked by.")
@click.option("--as", "actor", metavar="NAME", help="Act as NAME.")
@forge_option
@guarded
def heartbeat(number: int | None, progress: int | None, note: str | None,
              actor: str | None) -> None:
    """Update your claim's heartbeat (every 15 minutes; stale after 20)."""
    from gatebot.app.claim_commands import heartbeat_command  # noqa: PLC0415

    sys.exit(heartbeat_command(_cwd(), number, progress, note, actor))


@main.command()
@click.argument("number", type=int)
@click.option("--force", is_flag=True, help="As a maintainer, release someone else's claim.")
@click.option("--reason", metavar="TEXT", help="Why (archived with --force).")
@click.option("--as", "actor", metavar="NAME", help="Act as NAME.")
@forge_option
@guarded
def release(number: int, force: bool, reason: str | None, actor: str | None) -> None:
    """Give task N back to READY: the holder, or a maintainer with --force."""
    from gatebot.app.claim_commands import release_command  # noqa: PLC0415

    sys.exit(release_command(_cwd(), number, force, reason, actor))


@main.command()
@forge_option
@guarded
def sweep() -> None:
    """Record each newly stale claim once (archive entry, stale label); never removes it."""
    from gatebot.app.claim_commands import sweep_command  # noqa: PLC0415

    sys.exit(sweep_command(_cwd()))


@main.command()
@click.option("--event", "event_path", metavar="PATH",
              help="The event's JSON payload (default: GITHUB_EVENT_PATH).")
@click.option("--event-name", metavar="NAME",
              help="The event's name, e.g. pull_request (default: GITHUB_EVENT_NAME).")
@click.option("--dry-run", is_flag=True, help="Print what the event asks for; do nothing.")
@forge_option
@guarded
def gate(event_path: str | None, event_name: str | None, dry_run: bool) -> None:
    """Act on the GitHub event that started this CI job.

    Reads the event's name and payload from GITHUB_EVENT_NAME and
    GITHUB_EVENT_PATH (as GitHub Actions sets them), prints what the event
    asks for, then does it. pull_request (opened, synchronize, reopened,
    ready_for_review, labeled): gate 1 on the pull request's head.
    pull_request_review (submitted, dismissed): approvals and stage moves.
    issues (opened): the issue becomes a READY task. issue_comment (created):
    the claim commands /claim, /release and /heartbeat [PERCENT] [NOTE], taken
    from the comment's first line that starts with / and done as the
    comment's author; bots' comments are ignored. schedule: the sweep.
    workflow_dispatch: the sweep and board sync. workflow_run (completed, of
    a successful gatebot-pr.yml run): its verdict artifact, downloaded to the
    directory GATEBOT_VERDICT, is validated, tied to the pull request and
    head SHA GitHub says the run tested, and posted (check run, sticky
    comment, stage label); an artifact that is not the run's: exit 2,
    nothing posted. workflow_run (completed, of a gatebot-review.yml run
    started by pull_request_review): the review step for the pull requests
    GitHub ties to the run (those the event lists, or for a fork's run the
    open ones with the run's head SHA and head repository), every review
    read again from GitHub; nothing of the run itself is read.

    Inside GitHub Actions (GITHUB_ACTIONS=true, GITHUB_REPOSITORY set) the
    forge is github unless --forge, GATEBOT_FORGE or the configuration says
    otherwise. Any other event or action: "nothing to do", exit 0. A payload
    that lacks a field its event needs: exit 2 naming the field. A comment
    command that cannot be obeyed: exit 1 saying why.
    """
    from gatebot.app.gate import gate_command  # noqa: PLC0415

    sys.exit(gate_command(_cwd(), event_path=event_path, event_name=event_name,
                          dry_run=dry_run))


def _queue_options(command: Callable[..., None]) -> Callable[..., None]:
    """``--batch-size`` and ``--format`` of ``gatebot queue`` and ``gatebot queue show``."""
    command = click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                           default="text", help="Output format.")(command)
    return click.option("--batch-size", "batch_size", type=int, metavar="N", default=None,
                        help="Tasks per batch (default: adaptive, as many as wait up to 8)."
                        )(command)


@main.group("queue", invoke_without_command=True)
@_queue_options
@forge_option
@click.pass_context
@guarded
def queue(ctx: click.Context, batch_size: int | None, fmt: str) -> None:
    """The merge queue: approved tasks in landing order, each with its head SHA and batch.

    RDY FOR PROD tasks whose gate-1 approval stands on their branch's current
    head SHA, critical tasks first (each in a batch alone), then approval order.
    Without a subcommand (or with show): read-only. JSON: the gatebot.queue/1
    document (docs/queue.md). `gatebot queue run` lands the queue in tested batches.
    """
    if ctx.invoked_subcommand is not None:
        if batch_size is not None or fmt != "text":
            from gatebot.errors import UsageError  # noqa: PLC0415

            raise UsageError("options of `gatebot queue` go after the subcommand",
                             f"run `gatebot queue {ctx.invoked_subcommand} --batch-size N`")
        return
    from gatebot.app.queue_commands import queue_command  # noqa: PLC0415

    sys.exit(queue_command(_cwd(), batch_size, fmt))


@queue.command("show")
@_queue_options
@forge_option
@guarded
def queue_show(batch_size: int | None, fmt: str) -> None:
    """The merge queue, as `gatebot queue` prints it (read-only)."""
    from gatebot.app.queue_commands import queue_command  # noqa: PLC0415

    sys.exit(queue_command(_cwd(), batch_size, fmt))


@queue.command("run")
@click.option("--batch-size", "batch_size", type=int, metavar="N", default=None,
              help="Tasks per batch (default: adaptive, as many as wait up to 8).")
@click.option("--once", is_flag=True, help="Land one batch, then stop.")
@click.option("--as", "actor", metavar="NAME", help="Act as NAME (the gate-2 reviewer).")
@forge_option
@guarded
def queue_run(batch_size: int | None, once: bool, actor: str | None) -> None:
    """Land the merge queue in tested batches (gate 2 for each task, checks once per batch).

    Each batch: the base tip, then each task's approved head merged --no-ff in
    queue order, each merge its own release commit. The checks run once on the
    last tree; green pushes main (fast-forward, no force) to the last release.
    Red: prefixes of the batch are tested to find the culprit, which goes back
    to REVIEW with its failing checks and logs named; the others land. A task
    whose merge conflicts is taken out before any check runs. Releases of a
    batch carry Gatebot-Tested-in: the tree the checks ran on. Exit 0: every
    task landed (or none waited); 1: a task went back, was taken out or skipped.

    With --forge github the checks run in gatebot-staging.yml on a staging branch
    gatebot/staging/queue/<k>: each invocation takes the queue's next steps until
    one must wait for a staging run (--once: one step), and gatebot land
    --workflow-run takes the next ones when that run finishes.
    """
    from gatebot.app import output  # noqa: PLC0415
    from gatebot.app.queue_run import queue_run_command  # noqa: PLC0415

    with output.check_progress("text") as progress:
        code = queue_run_command(_cwd(), batch_size, once, actor, progress)
    sys.exit(code)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", help="Output format.")
@click.option("--write", metavar="FILE", help="Also write the Markdown board to FILE.")
@forge_option
@guarded
def status(fmt: str, write: str | None) -> None:
    """Who holds what, heartbeat ages, STALE claims, tasks per stage, escalations."""
    from gatebot.app.claim_commands import status_command  # noqa: PLC0415

    sys.exit(status_command(_cwd(), fmt, write))


@main.command()
@click.argument("number", type=int)
@click.option("--branch", help="The branch to review (default: the current branch).")
@click.option("--as", "actor", metavar="NAME", help="Act as NAME.")
@forge_option
@guarded
def submit(number: int, branch: str | None, actor: str | None) -> None:
    """Submit task N for review: IN-PROGRESS → REVIEW."""
    from gatebot.app.flow_commands import submit_command  # noqa: PLC0415

    sys.exit(submit_command(_cwd(), number, branch, actor))


@main.group(invoke_without_command=True)
@click.option("--schema", is_flag=True,
              help="Print the configuration's JSON Schema: every key, type, default and meaning.")
@click.pass_context
@guarded
def config(ctx: click.Context, schema: bool) -> None:
    """Describe the configuration ([tool.gatebot] in pyproject.toml, or .gatebot.toml)."""
    from gatebot.errors import UsageError  # noqa: PLC0415

    if ctx.invoked_subcommand is not None:
        if schema:
            raise UsageError("--schema goes alone, without a subcommand",
                             "run `gatebot config --schema` or `gatebot config show`")
        return
    if not schema:
        raise UsageError("say what to print",
                         "`gatebot config --schema` prints the JSON Schema of every key; "
                         "`gatebot config show` prints the configuration in effect")
    from gatebot.app.config_commands import schema_command  # noqa: PLC0415

    sys.exit(schema_command())


@config.command("show")
@forge_option
@guarded
def config_show() -> None:
    """Print the configuration in effect as JSON (base branch's file, GATEBOT_* env, defaults)."""
    from gatebot.app.config_commands import show_command  # noqa: PLC0415

    sys.exit(show_command(_cwd()))


@main.command()
@click.option("--since", default="7d", show_default=True, metavar="Nd|YYYY-MM-DD",
              help="Start: the last N days including today, or a date (UTC).")
@click.option("--until", metavar="Nd|YYYY-MM-DD", help="End, inclusive (default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html", "json"]),
              default="text", show_default=True, help="Output format.")
@click.option("--output", metavar="FILE", help="Write the report to FILE instead of stdout.")
@click.option("--publish-issue", is_flag=True,
              help="Also post the Markdown report to the repository's audit issue on GitHub "
                   "(labelled gatebot:audit; created once, then edited in place). Needs "
                   "GITHUB_TOKEN and GITHUB_REPOSITORY (or an origin on GitHub).")
@forge_option
@guarded
def audit(since: str, until: str | None, fmt: str, output: str | None,
          publish_issue: bool) -> None:
    """Report landings, escalations, gate failures and reviewer load from the board's history."""
    from gatebot.app.audit import audit_command  # noqa: PLC0415

    sys.exit(audit_command(_cwd(), since, until, fmt, output, publish_issue=publish_issue))
