"""What every command needs: the repository, its configuration, the actor and the board.

Gathered once per command (facts first, design/ARCHITECTURE.md). The board is
read from the tip of the base branch — on the remote when there is one — which
is its single source of truth (SPEC §4.4).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatebot import config as config_module
from gatebot.adapters.git import Git
from gatebot.adapters.local import LocalForge
from gatebot.core import archive
from gatebot.core.board import Board, Task
from gatebot.core.protocol import TASK_BRANCH, Identity
from gatebot.core.records import Heads
from gatebot.errors import ConfigError, EnvironmentProblem, UsageError
from gatebot.ports import Forge, ForgeUnavailable


@dataclass(frozen=True)
class Context:
    """A repository ready for a command: ``root`` work tree, ``git``, ``config``, ``forge``.

    ``forge`` is where the protocol's state lives (``gatebot.ports.Forge``,
    chosen by ``make_forge``); ``files`` is the base branch in git, which
    every forge has: the configuration, the board files a release commit
    edits, and the files ``gatebot init`` writes. In the local forge both are
    one object. ``opened_tip`` is the base tip the configuration was read from
    (fetched while opening; None when the base has no commit yet): a command's
    first look at the board may start from it instead of fetching again, as
    from ``opened_heads``, the branches that same fetch brought.
    """

    root: Path
    git: Git
    config: config_module.Config
    forge: Forge
    files: LocalForge
    opened_tip: str | None = None
    opened_heads: Heads = field(default_factory=Heads)

    def actor(self, given: str | None) -> str:
        """The acting name: ``--as``, else ``GATEBOT_ACTOR``, else git user.email.

        Raises ``UsageError`` when there is none, or when it mixes scripts
        (``builder-\u043ene``, Latin with a Cyrillic ``о``): the board would show a
        name its readers take for another person's (UTS #39, ``mixed_scripts``).
        """
        actor = given or os.environ.get("GATEBOT_ACTOR") or self.git.config("user.email")
        if not actor:
            raise UsageError(
                "no actor: gatebot cannot tell who you are",
                "pass --as NAME, set GATEBOT_ACTOR, or set git config user.email",
            )
        from gatebot.core.confusables import mixed_scripts  # noqa: PLC0415 - Unicode data

        scripts = mixed_scripts(actor)
        if scripts:
            raise UsageError(
                f"the actor name {actor.strip()!r} mixes the scripts "
                f"{' and '.join(s.title() for s in scripts)}, so it can look like another "
                "person's name on the board",
                "act under a name written in one script (--as, GATEBOT_ACTOR or "
                "git config user.email)",
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
        return self.forge.board(tip)

    def state_dir(self) -> Path:
        """Gatebot's directory shared by all worktrees: ``<git common dir>/gatebot``."""
        override = os.environ.get("GATEBOT_STATE_DIR")
        return Path(override) if override else self.git.common_dir() / "gatebot"


def open_context(cwd: Path, overrides: Mapping[str, Any] | None = None, *,
                 fetch_also: Sequence[str] = (), default_forge: str | None = None,
                 judging: str | None = None) -> Context:
    """Find the repository around ``cwd`` and load its configuration (SPEC §10, §11).

    The configuration is read from the tip of the base branch (on the remote
    when there is one), never from the branch under review, whose change would
    otherwise set its own gates — or its own base. The base is ``--base``, else
    ``GATEBOT_BASE``, else the remote's default branch (``main`` without one),
    whose configuration may name another base. Only a repository whose base has
    no commit yet reads the work tree. The fetch of the base also brings the
    branches matching the globs of ``fetch_also`` (``opened_heads``). The
    forge is ``--forge`` (``FORGE_OPTION``), else ``GATEBOT_FORGE``, else the
    configuration's ``forge``, else ``default_forge`` (``actions_forge``), else
    ``local``. ``judging`` names what the command decides (``"an approval"``,
    ``"a landing"``): then a ``GATEBOT_*`` variable that sets a gate setting is
    refused (``config.refuse_gate_env``), so the gate settings are the base
    branch's alone. Raises ``EnvironmentProblem`` outside a git work tree,
    ``ConfigError`` for a bad configuration or a ``merge.remote`` that names
    none of the repository's remotes, ``ForgeUnavailable`` for a forge this
    build lacks.
    """
    if judging is not None:
        config_module.refuse_gate_env(os.environ, judging)
    chosen = FORGE_OPTION.get()
    default_forge = default_forge or DEFAULT_FORGE.get()
    if chosen is not None:
        overrides = {**(overrides or {}), "forge": chosen}
    git = Git(cwd)
    # the default remote's default branch is read with the top directory (``default_base``)
    root = git.toplevel(symref=f"refs/remotes/{config_module.MergeConfig().remote}/HEAD")
    git = git.at(root)
    for name in config_module.unknown_env(os.environ):
        sys.stderr.write(f"gatebot: warning: {name} names no setting and is ignored; "
                         f"{config_module.unknown_env_hint(name)}\n")
    cfg = config_module.load(root, overrides=overrides, read=lambda _name: None)
    remote = _remote(git, cfg.merge.remote)
    base = cfg.base if "base" in cfg.model_fields_set else default_base(git, remote)
    for _ in range(3):  # the base's own configuration may name another base or remote
        forge = LocalForge(git, base, remote, todo=cfg.board.todo,
                           archive_dir=cfg.board.archive_dir)
        try:
            tip, heads = forge.fetch_tip(patterns=fetch_also)
        except EnvironmentProblem:  # no base commit yet: the work tree is all there is
            cfg = config_module.load(root, overrides=overrides)
            cfg = cfg.model_copy(update={"base": base})
            return _context(root, git, cfg, _with_paths(forge, cfg), default_forge)
        where = f"{remote + '/' if remote else ''}{base}"
        read = forge.reader(tip, prefetch=(*PREFETCH, *_todays_archive(cfg.board.archive_dir)))
        cfg = config_module.load(root, overrides=overrides, read=read, where=where)
        named = cfg.base if "base" in cfg.model_fields_set else base
        named_remote = _remote(git, cfg.merge.remote)
        if (named, named_remote) == (base, remote):
            break
        base, remote = named, named_remote
    else:
        forge, tip, heads = LocalForge(git, base, remote), None, Heads()
    cfg = cfg.model_copy(update={"base": base})
    return _context(root, git, cfg, _with_paths(forge, cfg), default_forge, tip=tip, heads=heads)


def _with_paths(forge: LocalForge, cfg: config_module.Config) -> LocalForge:
    """``forge`` with the board paths of ``cfg`` (read from the base it was opened on)."""
    forge.todo, forge.archive_dir = cfg.board.todo, cfg.board.archive_dir
    return forge


def _context(root: Path, git: Git, cfg: config_module.Config, files: LocalForge,
             default_forge: str | None, *, tip: str | None = None, heads: Heads | None = None,
             ) -> Context:
    name = cfg.forge if "forge" in cfg.model_fields_set or not default_forge else default_forge
    forge = make_forge(name, cfg, files)
    return Context(root, git, cfg, forge, files, tip, heads or Heads())


FORGE_OPTION: ContextVar[str | None] = ContextVar("gatebot_forge_option", default=None)
"""``--forge`` of the running command (set by ``gatebot.cli``); None when not given."""
ACTING_ACCOUNT: ContextVar[tuple[int, str] | None] = ContextVar("gatebot_acting_account",
                                                               default=None)
"""The GitHub account (id, login) the running command acts for when it is not the token's:
``gatebot gate`` sets it to a comment's author for ``/claim``, ``/release``, ``/heartbeat``,
so the github forge records the claim as that person's, never as the bot's."""
DEFAULT_FORGE: ContextVar[str | None] = ContextVar("gatebot_default_forge", default=None)
"""The ``default_forge`` of every ``open_context`` in the running command when none is passed:
``gatebot gate`` sets it to ``actions_forge`` so the commands it runs (claim, sweep) use the
github forge inside GitHub Actions."""

ForgeFactory = Callable[[config_module.Config, LocalForge], Forge]
def _github(cfg: config_module.Config, files: LocalForge) -> Forge:
    from gatebot.app.github_forge import github_forge  # noqa: PLC0415 - PyGithub loads slowly

    return github_forge(cfg, files)


FORGES: dict[str, ForgeFactory] = {"local": lambda _cfg, files: files, "github": _github}
"""The forges of this build, by name: each builds its ``Forge`` from the configuration and
the base branch in git. The github forge registers itself here when it is part of the build."""


def make_forge(name: str, cfg: config_module.Config, files: LocalForge) -> Forge:
    """The forge called ``name`` (``local`` or ``github``), the one place that builds one.

    Raises ``ForgeUnavailable`` (exit 2), naming where ``forge`` was set, when
    this build has no such forge.
    """
    factory = FORGES.get(name)
    if factory is None:
        where = cfg.origin("forge") if name == cfg.forge else "GitHub Actions"
        raise ForgeUnavailable(
            f"forge = {name!r} in {where}: the {name} forge is not available yet in this "
            "build",
            'remove the key, or pass --forge local, or set forge = "local" (the default): '
            "gatebot then keeps the protocol's state in git, on the base branch",
        )
    return factory(cfg, files)


def actions_forge(environ: Mapping[str, str]) -> str | None:
    """``github`` inside GitHub Actions (``GITHUB_ACTIONS=true`` and ``GITHUB_REPOSITORY`` set).

    The default forge of ``gatebot gate`` when no ``forge`` is configured; None elsewhere.
    """
    inside = environ.get("GITHUB_ACTIONS") == "true" and bool(environ.get("GITHUB_REPOSITORY"))
    return "github" if inside else None


PREFETCH = ("pyproject.toml", ".gatebot.toml", "TODO.md", "CURRENT_STATE.md")
"""Files read with the configuration, in one git process: its two files and the default board's."""


def _todays_archive(archive_dir: str) -> tuple[str, ...]:
    """Today's archive file under ``archive_dir``, also read with the configuration.

    A transition (a release among them) appends to it: read in the same git
    process, it costs a landing no process of its own. Empty when the clock
    cannot be read (a bad ``GATEBOT_NOW``, reported where the clock is used).
    """
    from gatebot.app.transitions import now  # noqa: PLC0415 - that module imports this one

    try:
        return (archive.archive_path(now().date(), archive_dir),)
    except UsageError:
        return ()


def default_base(git: Git, remote: str | None) -> str:
    """The repository's default base: the remote's default branch (its ``HEAD``), else ``main``."""
    if remote:
        found = git.symbolic_ref(f"refs/remotes/{remote}/HEAD")
        target = (found or "").removeprefix(f"refs/remotes/{remote}/")
        if target and not target.startswith("-"):
            return target
    return "main"


def _remote(git: Git, name: str) -> str | None:
    """The remote ``merge.remote`` names; None (local mode) when the repository has none.

    Raises ``ConfigError`` naming the remotes that exist when ``name`` is not one.
    """
    if git.has_remote(name):
        return name
    remotes = list(git.remotes())
    if not remotes:
        return None
    if name not in remotes:  # always: has_remote asked git remote
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
