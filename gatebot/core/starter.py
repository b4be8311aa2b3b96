"""What ``gatebot init`` writes (docs/protocol.md, "Starting a repository"): pure text in, out.

A starter configuration whose checks are what the project's runner runs by
default (nox sessions, or tox environments as commands), and the empty board:
``TODO.md`` with its five stage sections, ``CURRENT_STATE.md`` and the
archive directory (a README, since git keeps no empty directory).

The configuration goes into ``pyproject.toml`` when there is one — appended as a
``[tool.gatebot]`` table, so every byte already there stays where it was — or
into a new ``.gatebot.toml``. tomlkit renders the table (quoting and escaping
names as TOML wants them); tomllib reads the result back to prove it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import tomlkit
from tomlkit.container import Container
from tomlkit.items import Table

from gatebot.core.board import Stage, single_line
from gatebot.errors import ConfigError

RunnerKind = Literal["nox", "tox"]
DEFAULT_SESSIONS = ("tests", "lint", "typecheck", "build")

EMPTY_TODO = "# 📋 TODO\n\n" + "\n".join(
    f"## {mark} {stage.value}\n" for mark, stage in zip("🟢🔨👀✅🚀", Stage, strict=True)
)
EMPTY_CURRENT_STATE = "# Current State\n\n## Recently Merged\n"
ARCHIVE_README = """\
# Archive

gatebot appends one entry per event (claimed, submitted, approved, rejected, released,
merge-failed, escalated, stale, force-released) to `YYYY-MM-DD.md`, one file per UTC day.
These files are gatebot's: edit them only through gatebot's commands.
"""


@dataclass(frozen=True)
class Runner:
    """How the project runs its checks, as ``gatebot init`` found it on the base branch.

    ``kind`` is ``nox`` (a ``noxfile.py``), ``tox`` (``tox.ini``, ``tox.toml`` or
    ``[tool.tox]``) or None; ``config`` the file that says so. ``names`` are the
    sessions or environments the runner runs by default, as the runner listed
    them; ``problem`` says why they could not be listed (then ``names`` is
    empty). ``ignored`` names another runner's file that was found too. For tox,
    ``names`` are the checks gatebot reads from the tox environments itself and
    ``found`` pairs each with its environments, e.g. ``("tests", ("py311", "py312"))``.
    """

    kind: RunnerKind | None
    config: str = ""
    names: tuple[str, ...] = ()
    problem: str = ""
    ignored: str = ""
    found: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _limits(table: Container | Table) -> None:
    table.add(tomlkit.comment("gatebot's settings, written by `gatebot init`; "
                              "`gatebot config --schema` lists every key."))
    table.add(tomlkit.comment("The rules' limits (these are the defaults):"))
    table.add("max_file_lines", 900)
    table.add("max_function_lines", 80)
    coverage = tomlkit.item(80)
    coverage.comment("percent; the tests check writes coverage.py's JSON report, coverage.json")
    table.add("min_coverage", coverage)


def _required(checks: Table, names: Sequence[str]) -> None:
    checks.add(tomlkit.comment("Every change must have these checks and pass them, at both gates:"))
    checks.add("required", list(names))


def _nox_checks(runner: Runner, checks: Table) -> None:
    if runner.problem:
        checks.add(tomlkit.comment(f"nox could not list the sessions of {runner.config}: "
                                   f"{single_line(runner.problem)}"))
        checks.add(tomlkit.comment("gatebot runs those of these sessions that it defines "
                                   "(make both lists the sessions it has):"))
        checks.add("nox_sessions", list(DEFAULT_SESSIONS))
        _required(checks, DEFAULT_SESSIONS)
        return
    checks.add(tomlkit.comment(f"The sessions `nox` runs by default ({runner.config}), "
                               "one check each:"))
    checks.add("nox_sessions", list(runner.names))
    _required(checks, runner.names)


def _tox_checks(runner: Runner, checks: Table) -> None:
    """Only ``required``: gatebot reads the tox environments itself (``checks.tox_aliases``)."""
    if runner.problem:
        checks.add(tomlkit.comment(f"tox could not list the environments of {runner.config}: "
                                   f"{single_line(runner.problem)}"))
        checks.add(tomlkit.comment("gatebot reads the checks from the tox environments named "
                                   "like them (or checks.tox_aliases):"))
        _required(checks, DEFAULT_SESSIONS)
        return
    checks.add(tomlkit.comment(f"gatebot reads the checks from the tox environments of "
                               f"{runner.config} (checks.tox_aliases):"))
    for name, envs in runner.found:
        checks.add(tomlkit.comment(f"  checks.{name}: tox -e {single_line(','.join(envs))}"))
    if not runner.found:
        checks.add(tomlkit.comment("none is named tests, lint, typecheck or build or one of "
                                   "their aliases: set checks.tox_aliases, then required"))
    _required(checks, runner.names)


def _checks(runner: Runner) -> Table:
    checks = tomlkit.table()
    checks.add(tomlkit.comment("The checks gate 1 runs and gate 2 runs again on the merged tree."))
    if runner.ignored:
        checks.add(tomlkit.comment(f"{runner.ignored} was found too; its checks are not used."))
    if runner.kind == "nox":
        _nox_checks(runner, checks)
    elif runner.kind == "tox":
        _tox_checks(runner, checks)
    else:
        checks.add(tomlkit.comment("No noxfile.py or tox configuration was found: name each "
                                   "check's command (a list of"))
        checks.add(tomlkit.comment("arguments, never a shell), e.g. "
                                   "commands = { tests = [\"pytest\", \"-q\"] }, and list "
                                   "it in required"))
        checks.add("nox_sessions", [])
        _required(checks, ())
    return checks


def config_table(runner: Runner) -> Table:
    """The starter configuration table: the rules' limits, then ``checks`` for ``runner``."""
    table = tomlkit.table()
    _limits(table)
    table.add("checks", _checks(runner))
    return table


def dotfile_text(runner: Runner) -> str:
    """A new ``.gatebot.toml`` holding the starter configuration."""
    document = tomlkit.document()
    for key, value in config_table(runner).value.body:
        if key is None:
            document.add(value)  # a comment or a blank line
        else:
            document.add(key, value)
    return tomlkit.dumps(document).rstrip("\n") + "\n"


def _eol(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def pyproject_with_config(text: str, runner: Runner) -> str | None:
    """``text`` (a pyproject.toml) with ``[tool.gatebot]`` appended; None when it cannot be.

    Every byte of ``text`` stays in place: the table is added at the end,
    after one blank line, in the file's line endings. None when the result
    would not read back as ``text``'s tables plus exactly that one (e.g. a
    ``tool`` written as an inline table, which no table header may extend).
    Raises ``tomllib.TOMLDecodeError`` when ``text`` is not TOML.
    """
    before = tomllib.loads(text)
    document = tomlkit.document()
    tool = tomlkit.table(is_super_table=True)
    tool.add("gatebot", config_table(runner))
    document.add("tool", tool)
    eol = _eol(text)
    block = tomlkit.dumps(document).rstrip("\n").replace("\n", eol) + eol
    lead = "" if not text else (eol if text.endswith("\n") else eol * 2)
    result = text + lead + block
    try:
        after = tomllib.loads(result)
    except tomllib.TOMLDecodeError:
        return None
    expected = _with_gatebot(before, tomllib.loads(tomlkit.dumps(document))["tool"]["gatebot"])
    return result if after == expected else None


def _with_gatebot(tables: Mapping[str, Any], gatebot: Any) -> dict[str, Any]:
    tool = tables.get("tool", {})
    if not isinstance(tool, dict) or "gatebot" in tool:
        return {}  # can never equal a parsed document with [tool.gatebot]: refuse
    return {**tables, "tool": {**tool, "gatebot": gatebot}}


def has_config(pyproject: str | None, dotfile: str | None) -> bool:
    """Whether gatebot has a configuration: ``.gatebot.toml`` or ``[tool.gatebot]`` exists.

    Raises ``tomllib.TOMLDecodeError`` when ``pyproject`` is not TOML.
    """
    if dotfile is not None:
        return True
    if pyproject is None:
        return False
    tool = tomllib.loads(pyproject).get("tool")
    return isinstance(tool, dict) and "gatebot" in tool


def uses_tox(pyproject: str | None) -> bool:
    """Whether ``pyproject`` configures tox: ``[tool.tox]`` (or tox's legacy ini string).

    A pyproject.toml that is not TOML does not (gatebot's configuration check
    reports it). Reading ``[tool.tox]`` needs tox ≥ 4.21; the rest is tox's.
    """
    if pyproject is None:
        return False
    try:
        tool = tomllib.loads(pyproject).get("tool")
    except tomllib.TOMLDecodeError:
        return False
    return isinstance(tool, dict) and "tox" in tool


Read = Callable[[str], str | None]
TOX_FILES = ("tox.ini", "tox.toml")


def find_runner(read: Read) -> Runner:
    """Which runner the tree behind ``read`` uses: nox before tox, the other one ``ignored``.

    ``read`` gives a file's text by repository-relative name (None when absent).
    The names are not listed here (the runner lists them, see
    ``gatebot.adapters.runners``): the result has ``kind`` and ``config`` only.
    """
    pyproject = read("pyproject.toml")
    tox = next((name for name in TOX_FILES if read(name) is not None), "")
    if not tox and uses_tox(pyproject):
        tox = "pyproject.toml [tool.tox]"
    if read("noxfile.py") is not None:
        return Runner("nox", "noxfile.py", ignored=tox)
    if tox:
        return Runner("tox", tox)
    return Runner(None)


@dataclass(frozen=True)
class BoardPaths:
    """Where the board lives (configuration ``[board]``): TODO.md, CURRENT_STATE.md, archive."""

    todo: str
    current_state: str
    archive_dir: str

    @property
    def archive_readme(self) -> str:
        """The file that makes the archive directory exist in git."""
        return f"{self.archive_dir.rstrip('/')}/README.md"


def plan(read: Read, runner: Runner, paths: BoardPaths, *, archive_exists: bool
         ) -> dict[str, str]:
    """The files ``gatebot init`` writes into the tree behind ``read``: ``{path: text}``.

    Only what is missing: the configuration (``[tool.gatebot]`` appended to
    pyproject.toml, else ``.gatebot.toml``) unless either exists; TODO.md,
    CURRENT_STATE.md and the archive's README unless they (the archive
    directory: ``archive_exists``) do. Empty when everything is there. Raises
    ``ConfigError`` when pyproject.toml is not TOML.
    """
    files: dict[str, str] = {}
    pyproject, dotfile = read("pyproject.toml"), read(".gatebot.toml")
    try:
        configured = has_config(pyproject, dotfile)
        appended = None if configured or pyproject is None else pyproject_with_config(
            pyproject, runner)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"pyproject.toml is not valid TOML: {exc}",
                          "fix its syntax on the base branch, then run gatebot init again"
                          ) from exc
    if appended is not None:
        files["pyproject.toml"] = appended
    elif not configured:
        files[".gatebot.toml"] = dotfile_text(runner)
    if read(paths.todo) is None:
        files[paths.todo] = EMPTY_TODO
    if read(paths.current_state) is None:
        files[paths.current_state] = EMPTY_CURRENT_STATE
    if not archive_exists and read(paths.archive_readme) is None:
        files[paths.archive_readme] = ARCHIVE_README
    return files
