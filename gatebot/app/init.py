"""``gatebot init``: a starter configuration and the empty board, as one board commit.

Facts first: the base tip, what it already holds, and what the project's
runner (nox or tox) runs by default, asked in an integration worktree at that
tip — the files the configuration is about are the base's, not the work
tree's. Then the decision (``gatebot.core.starter.plan``: only what is
missing), then one board commit through ``LocalForge.transact``, pushed
without force (re-planned on a moved tip; first push wins).

The work tree and index are not written: like every board commit, the files
land on the base branch (``origin/main``); ``git pull`` brings them in. Without
a remote the local base branch moves, and a work tree that has it checked out
follows it (``LocalForge.follow``). A second run finds everything and changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from gatebot.adapters import runners, tox_envs
from gatebot.adapters.worktree import worktree
from gatebot.app import init_github
from gatebot.app.context import Context, open_context
from gatebot.core import starter
from gatebot.errors import EXIT_OK, EnvironmentProblem, UsageError
from gatebot.ports import Reader

SUBJECT = "gatebot: init"
NEXT_STEPS = (
    ('gatebot task add "First task"', "add a task to READY; prints its number N"),
    ("gatebot claim N", "take it, then work on a branch named task/N-…"),
    ("gatebot review --all", "gate 1 over every file: where the repository stands today"),
)


class _NothingToDo(Exception):
    """Raised inside the board transaction when the tip already holds everything."""


@dataclass(frozen=True)
class Outcome:
    """What ``init`` did: the files it wrote (path → text), the board commit, where it went."""

    files: dict[str, str]
    commit: str | None
    where: str


def init_command(cwd: Path, *, actor: str | None, dry_run: bool, github: bool = False,
                 force: bool = False, token: str | None = None) -> int:
    """``gatebot init [--dry-run] [--github [--force]]``: write what is missing; exit 0.

    The board and configuration go to the base branch; with ``github`` the workflows go to
    the work tree (``gatebot.app.init_github``; ``force`` replaces ones their owner edited).
    With ``github`` and credentials (``token``, ``GITHUB_TOKEN`` or a GitHub App) the
    labels are created or corrected too (``gatebot.app.github_setup``).
    Raises ``EnvironmentProblem`` (exit 2) outside a git work tree, when GitHub refuses,
    when the base branch has no commit yet or a workflow file cannot be written,
    ``ConfigError`` (exit 2) when the base's configuration cannot be read.
    """
    ctx = open_context(cwd)
    outcome = initialise(ctx, actor=_actor(ctx, actor), dry_run=dry_run)
    print(report(ctx, outcome, dry_run=dry_run))
    if github:
        print()
        print("\n".join(_github_workflows(ctx, force=force, dry_run=dry_run)))
        from gatebot.app.github_setup import labels_report  # noqa: PLC0415 - PyGithub is slow

        print(labels_report(ctx.root, token, dry_run=dry_run))
    return EXIT_OK


def _github_workflows(ctx: Context, *, force: bool, dry_run: bool) -> list[str]:
    try:
        done = init_github.write_workflows(ctx.root, ctx.config.base, force=force,
                                           dry_run=dry_run)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot write the workflows under {ctx.root / '.github' / 'workflows'}: "
            f"{exc.strerror or exc}",
            "make the directory writable (or remove what blocks it) and run "
            "gatebot init --github again") from exc
    return init_github.report(done, dry_run=dry_run)


def _actor(ctx: Context, given: str | None) -> str | None:
    try:
        return ctx.actor(given)
    except UsageError:
        return None  # init needs no reviewer identity; the trailer is left out


def _tip(ctx: Context) -> tuple[str, str]:
    where = f"{ctx.files.remote}/{ctx.files.branch}" if ctx.files.remote else ctx.files.branch
    try:
        return ctx.files.tip(), where
    except EnvironmentProblem as exc:
        raise EnvironmentProblem(
            f"the base branch {where} has no commit yet, so there is nothing to add to",
            "make a first commit and push it (`git commit --allow-empty -m initial`, "
            "`git push -u origin HEAD`), then run gatebot init again",
        ) from exc


def initialise(ctx: Context, *, actor: str | None, dry_run: bool) -> Outcome:
    """Plan at the base tip and commit what is missing (nothing with ``dry_run``)."""
    tip, where = _tip(ctx)
    paths = starter.BoardPaths(ctx.config.board.todo, ctx.config.board.current_state,
                               ctx.config.board.archive_dir)
    runner = _runner(ctx, tip, ctx.files.reader(tip))
    files = starter.plan(ctx.files.reader(tip), runner, paths,
                         archive_exists=_archive_exists(ctx, tip))
    if dry_run or not files:
        return Outcome(files, None, where)

    def edit(read: Reader) -> dict[str, str]:
        # the ref is at the tip being edited, or later: it only moves forward
        found = starter.plan(read, runner, paths,
                             archive_exists=_archive_exists(ctx, ctx.files.ref))
        if not found:
            raise _NothingToDo
        files.clear()
        files.update(found)
        return found

    trailers = {"Gatebot-Event": "init", **({"Gatebot-Actor": actor} if actor else {})}
    try:
        sha = ctx.files.transact(edit, SUBJECT, trailers)
    except _NothingToDo:
        return Outcome({}, None, where)
    return Outcome(files, sha, where)


def _archive_exists(ctx: Context, ref: str) -> bool:
    listed = ctx.git.run("ls-tree", ref, "--", ctx.config.board.archive_dir.rstrip("/"),
                         check=False)
    return bool(listed.stdout.strip())


def _runner(ctx: Context, tip: str, read: Reader) -> starter.Runner:
    runner = starter.find_runner(read)
    if runner.kind is None:
        return runner
    with worktree(ctx.git, tip, ctx.state_dir() / "integration") as checkout:
        if runner.kind == "tox":
            return _tox_runner(ctx, runner, checkout.root)
        names, problem = runners.default_names(runner.kind, checkout.root)
    return replace(runner, names=names, problem=problem)


def _tox_runner(ctx: Context, runner: starter.Runner, root: Path) -> starter.Runner:
    """The checks a review would read from the tox environments at ``root``, as review does."""
    cfg = ctx.config.checks
    try:
        envs = tox_envs.tox_envs(root, cfg.env_allow)
    except EnvironmentProblem as exc:
        return replace(runner, problem=exc.message)
    found = tuple((name, matched) for name in dict.fromkeys((*cfg.nox_sessions, *cfg.required))
                  if (matched := tox_envs.match_envs(name, envs, cfg.tox_aliases)))
    return replace(runner, names=tuple(name for name, _ in found), found=found)


def report(ctx: Context, outcome: Outcome, *, dry_run: bool) -> str:
    """What ``init`` tells the user: the files, where they went, and the next three commands."""
    lines: list[str] = []
    if not outcome.files:
        lines.append(f"gatebot init: {outcome.where} has a configuration and the board "
                     "already; nothing to change")
    elif dry_run:
        lines.append(f"gatebot init --dry-run: would write to {outcome.where} "
                     "(nothing written):")
        lines += _listing(outcome.files, show_config=True)
    else:
        lines.append(f"gatebot init: wrote to {outcome.where} in board commit "
                     f"{(outcome.commit or '')[:7]}:")
        lines += _listing(outcome.files, show_config=False)
        lines += _where_files_are(ctx)
    lines += ["", "next:"]
    width = max(len(command) for command, _ in NEXT_STEPS)
    lines += [f"  {command:<{width}}   # {why}" for command, why in NEXT_STEPS]
    return "\n".join(lines)


def _listing(files: dict[str, str], *, show_config: bool) -> list[str]:
    lines = []
    for path, text in files.items():
        config = path in ("pyproject.toml", ".gatebot.toml")
        what = "[tool.gatebot] appended" if path == "pyproject.toml" else "new"
        lines.append(f"  {path} ({what})" if config else f"  {path}")
        if config and show_config:
            block = text[text.rfind("[tool.gatebot]"):] if path == "pyproject.toml" else text
            lines += [f"    | {row}".rstrip() for row in block.rstrip().splitlines()]
    return lines


def _where_files_are(ctx: Context) -> list[str]:
    if ctx.files.remote and ctx.git.current_branch() == ctx.files.branch:
        return ["your work tree is as it was: `git pull --ff-only` brings these files in"]
    return []
