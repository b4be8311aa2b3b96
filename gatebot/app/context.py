"""What every command needs: the repository, its configuration, the actor and the board.

Gathered once per command (facts first, design/ARCHITECTURE.md). The board is
read from the tip of the base branch — on the remote when there is one — which
is its single source of truth (SPEC §4.4).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatebot import config as config_module
from gatebot.adapters.git import Git
from gatebot.adapters.local import Heads, LocalForge
from gatebot.core.board import Board, Task
from gatebot.core.protocol import TASK_BRANCH, Identity
from gatebot.errors import ConfigError, EnvironmentProblem, UsageError


@dataclass(frozen=True)
class Context:
    """A repository ready for a command: ``root`` work tree, ``git``, ``config``, ``forge``.

    ``opened_tip`` is the base tip the configuration was read from (fetched
    while opening; None when the base has no commit yet): a command's first
    look at the board may start from it instead of fetching again, as from
    ``opened_heads``, the branches that same fetch brought.
    """

    root: Path
    git: Git
    config: config_module.Config
    forge: LocalForge
    opened_tip: str | None = None
    opened_heads: Heads = field(default_factory=Heads)

    def actor(self, given: str | None) -> str:
        """The acting identity (SPEC §3): ``--as``, else ``GATEBOT_ACTOR``, else git user.email."""
        actor = given or os.environ.get("GATEBOT_ACTOR") or self.git.config("user.email")
        if not actor:
            raise UsageError(
                "no actor: gatebot cannot tell who you are",
                "pass --as NAME, set GATEBOT_ACTOR, or set git config user.email",
            )
        return actor.strip()

    def identity(self, given: str | None) -> Identity:
        """The acting ``Identity``: ``actor(given)`` plus git ``user.name`` and ``user.email``.

        The git identity is this repository's (SPEC §3: one person passes one
        gate, under whichever name it acts as). Raises ``UsageError`` as ``actor`` does.
        """
        return Identity(self.actor(given), self.git.config("user.name") or "",
                        self.git.config("user.email") or "")

    def board(self, tip: str | None = None) -> Board:
        """TODO.md parsed from the base tip (an empty board when the file is absent)."""
        path = self.config.board.todo
        text = self.forge.reader(tip or self.forge.tip())(path)
        return Board.parse(text or "", path)

    def state_dir(self) -> Path:
        """Gatebot's directory shared by all worktrees: ``<git common dir>/gatebot``."""
        override = os.environ.get("GATEBOT_STATE_DIR")
        return Path(override) if override else self.git.common_dir() / "gatebot"


def open_context(cwd: Path, overrides: Mapping[str, Any] | None = None, *,
                 fetch_also: Sequence[str] = ()) -> Context:
    """Find the repository around ``cwd`` and load its configuration (SPEC §10, §11).

    The configuration is read from the tip of the base branch (on the remote
    when there is one), never from the branch under review, whose change would
    otherwise set its own gates — or its own base. The base is ``--base``, else
    ``GATEBOT_BASE``, else the remote's default branch (``main`` without one),
    whose configuration may name another base. Only a repository whose base has
    no commit yet reads the work tree. The fetch of the base also brings the
    branches matching the globs of ``fetch_also`` (``opened_heads``). Raises ``EnvironmentProblem`` outside a
    git work tree and ``ConfigError`` for a bad configuration or a
    ``merge.remote`` that names none of the repository's remotes.
    """
    git = Git(cwd)
    root = git.toplevel()
    git = Git(root)
    for name in config_module.unknown_env(os.environ):
        sys.stderr.write(f"gatebot: warning: {name} names no setting and is ignored; "
                         f"{config_module.unknown_env_hint(name)}\n")
    cfg = config_module.load(root, overrides=overrides, read=lambda _name: None)
    remote = _remote(git, cfg.merge.remote)
    base = cfg.base if "base" in cfg.model_fields_set else default_base(git, remote)
    for _ in range(3):  # the base's own configuration may name another base or remote
        forge = LocalForge(git, base, remote)
        try:
            tip, heads = forge.fetch_tip(patterns=fetch_also)
        except EnvironmentProblem:  # no base commit yet: the work tree is all there is
            cfg = config_module.load(root, overrides=overrides)
            return Context(root, git, cfg.model_copy(update={"base": base}), forge)
        where = f"{remote + '/' if remote else ''}{base}"
        read = forge.reader(tip, prefetch=PREFETCH)
        cfg = config_module.load(root, overrides=overrides, read=read, where=where)
        named = cfg.base if "base" in cfg.model_fields_set else base
        named_remote = _remote(git, cfg.merge.remote)
        if (named, named_remote) == (base, remote):
            break
        base, remote = named, named_remote
    else:
        forge, tip, heads = LocalForge(git, base, remote), None, Heads()
    cfg = cfg.model_copy(update={"base": base})
    return Context(root, git, cfg, forge, tip, heads)


PREFETCH = ("pyproject.toml", ".gatebot.toml", "TODO.md", "CURRENT_STATE.md")
"""Files read with the configuration, in one git process: its two files and the default board's."""


def default_base(git: Git, remote: str | None) -> str:
    """The repository's default base: the remote's default branch (its ``HEAD``), else ``main``."""
    if remote:
        result = git.run("symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD", check=False)
        target = result.stdout.strip().removeprefix(f"refs/remotes/{remote}/")
        if result.returncode == 0 and target and not target.startswith("-"):
            return target
    return "main"


def _remote(git: Git, name: str) -> str | None:
    """The remote ``merge.remote`` names; None (local mode) when the repository has none.

    Raises ``ConfigError`` naming the remotes that exist when ``name`` is not one.
    """
    remotes = list(git.remotes())
    if not remotes:
        return None
    if name not in remotes:
        raise ConfigError(
            f"merge.remote is {name!r}, but this repository's remotes are: "
            + ", ".join(remotes),
            "set merge.remote (or GATEBOT_MERGE__REMOTE) to one of them",
        )
    return name


def find_task(board: Board, task: int | None, branch: str | None) -> Task | None:
    """The task under review: ``--task N``, else a ``task/N-…`` branch, else a TODO.md field.

    The field match takes the task whose ``Branch`` or ``PR`` field equals the
    branch name. Raises ``BoardError`` when ``--task N`` names no task.
    """
    if task is not None:
        return board.task(task)
    if branch:
        match = TASK_BRANCH.match(branch)
        if match:
            number = int(match.group(1))
            return board.task(number) if any(t.number == number for t in board.tasks) else None
        for candidate in board.tasks:
            if branch in (candidate.fields.get("Branch"), candidate.fields.get("PR")):
                return candidate
    return None
