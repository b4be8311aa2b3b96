"""tox environments as checks: read through tox's own configuration machinery, judged by its JSON.

A tox project (``tox.ini``, ``tox.toml`` or a ``[tool.tox]`` table in
``pyproject.toml`` at the repository root) needs no gatebot configuration.
gatebot never parses the tox configuration itself: it asks tox which
environments it defines (``python -m tox config -e ALL --core --format json``
written to a file) and runs a check as ``python -m tox -e ENV[,ENV…]
--skip-missing-interpreters=true --result-json FILE``, judged from that JSON.

A check name (``tests``, ``lint``…) is the tox environment of that name, else
the environments the first matching entry of its aliases names
(``checks.tox_aliases``: names or ``fnmatch`` globs, e.g. ``tests`` → ``py``,
``py3*``). tox is a dependency of gatebot and runs with gatebot's interpreter
(``sys.executable``), like nox; a configuration's ``requires``/``min_version``
is honoured by tox's own provisioning.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess  # noqa: TID251 -- only for TimeoutExpired of proc.run
import sys
import tempfile
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from gatebot.adapters import proc
from gatebot.adapters.check_env import check_environment
from gatebot.core.facts import CheckStatus
from gatebot.errors import EnvironmentProblem

TOX_FILES = ("tox.ini", "tox.toml")
"""Files at the repository root whose presence makes a tox project (besides ``[tool.tox]``)."""
LIST_TIMEOUT_S = 300.0
"""Seconds tox may take to read its configuration (it may first provision a newer tox)."""
RUN_ENV_KEY = "ignore_outcome"
"""A key that tox gives every environment that runs commands and no packaging environment
(``.pkg``), so ``tox config`` tells the two apart."""
Runner = Literal["auto", "nox", "tox"]
Reader = Callable[[str], bytes | None]


def tox_argv(python: str = sys.executable) -> tuple[str, ...]:
    """The command that starts tox: ``python -m tox`` with gatebot's interpreter by default."""
    return (python, "-m", "tox")


def directory_reader(root: Path) -> Reader:
    """Read a repository-relative file of the directory ``root`` as bytes (None when absent)."""

    def read(name: str) -> bytes | None:
        path = root / name
        return path.read_bytes() if path.is_file() else None

    return read


def tox_configured(read: Reader) -> bool:
    """Whether the tree ``read`` gives files of has a tox configuration at its root.

    True for a ``tox.ini`` or ``tox.toml``, or a ``pyproject.toml`` whose TOML has
    a ``[tool.tox]`` table (native or ``legacy_tox_ini``): only where it is, never
    what it says, which tox itself reads. A pyproject.toml that is not TOML
    does not count here (tox would reject it too; gatebot's configuration
    loading reports it).
    """
    if any(read(name) is not None for name in TOX_FILES):
        return True
    pyproject = read("pyproject.toml")
    if pyproject is None:
        return False
    try:
        tool = tomllib.loads(pyproject.decode("utf-8")).get("tool")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(tool, dict) and isinstance(tool.get("tox"), dict)


def choose_runner(runner: Runner, *, has_noxfile: bool, has_tox: bool) -> Literal["nox", "tox"] | None:
    """Which tool's sessions/environments become the checks (``checks.runner``).

    ``auto``: nox when there is a noxfile (nox wins when both exist), else tox
    when there is a tox configuration, else None. ``nox``/``tox``: that tool,
    when its configuration exists, else None.
    """
    if runner == "auto":
        return "nox" if has_noxfile else ("tox" if has_tox else None)
    present = has_noxfile if runner == "nox" else has_tox
    return runner if present else None


def tox_envs(root: Path, env_allow: Sequence[str] = (), *, python: str = sys.executable) -> list[str]:
    """The names of the environments the tox configuration at ``root`` defines, in tox's order.

    Every environment that runs commands (tox's packaging environments such as
    ``.pkg`` are left out: they have no ``RUN_ENV_KEY``).

    Asked of tox with a check's environment (``env_allow`` as for a check: tox
    may load plugins, the branch's code). ``[]`` when tox found no configuration
    file of its own at ``root``. Raises ``EnvironmentProblem`` when tox is not
    installed for ``python``, or cannot load the configuration, or takes over
    ``LIST_TIMEOUT_S`` seconds.
    """
    with tempfile.TemporaryDirectory(prefix="gatebot-tox-") as tmp:
        out = Path(tmp) / "config.json"
        argv = (*tox_argv(python), "config", "-e", "ALL", "--core", "--format", "json",
                "-k", "config_file_path", RUN_ENV_KEY, "-o", str(out))
        env = check_environment(os.environ, env_allow).variables
        try:
            listed = proc.run(argv, cwd=root, env=env, inherit_env=False, check=False,
                              timeout=LIST_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise _tox_problem(root, python, f"reading it took over {LIST_TIMEOUT_S:g} s") from exc
        if listed.returncode != 0 or not out.is_file():
            raise _listing_failed(root, python, listed)
        try:
            data: Any = json.loads(out.read_text(encoding="utf-8"))
            config_file = Path(str(data["tox"]["config_file_path"]))
            names = [str(name) for name, keys in data["env"].items() if RUN_ENV_KEY in keys]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise _tox_problem(root, python, f"unexpected `tox config` output: {exc}") from exc
    return names if config_file.is_file() else []


def _listing_failed(root: Path, python: str, listed: proc.ProcResult) -> EnvironmentProblem:
    text = f"{listed.stderr}\n{listed.stdout}"
    if "No module named tox" in text:
        return EnvironmentProblem(
            f"{root} has a tox configuration, but tox is not installed for {python}",
            hint=(f"install it where gatebot runs: `{python} -m pip install tox` (gatebot "
                  "depends on it; an install without dependencies leaves it out), or "
                  "configure the checks as commands: [tool.gatebot.checks] commands = "
                  '{ tests = ["pytest", "-q"] }'),
        )
    tail = (listed.stderr or listed.stdout).strip().splitlines()[-3:]
    return _tox_problem(root, python, " | ".join(tail) or f"exit {listed.returncode}")


def _tox_problem(root: Path, python: str, detail: str) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"tox could not read the tox configuration of {root}: {detail}",
        hint=(f"run `{python} -m tox config -e ALL` in {root} to see the whole error and "
              "fix the configuration, or configure the checks as commands in [tool.gatebot]"),
    )


def match_envs(check: str, envs: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The tox environments that are the check ``check``, in ``envs`` order; ``()`` when none.

    The environment named ``check`` itself, else every environment the first
    entry of ``aliases[check]`` that matches any matches (case-sensitive
    ``fnmatch`` globs: ``py3*`` matches ``py311`` and ``py312``).
    """
    for pattern in (check, *aliases.get(check, ())):
        matched = tuple(env for env in envs if fnmatch.fnmatchcase(env, pattern))
        if matched:
            return matched
    return ()


def run_argv(envs: Sequence[str], report: Path, python: str = sys.executable) -> tuple[str, ...]:
    """The argv of a tox check: ``python -m tox -e A,B --skip-missing-interpreters=true --result-json R``.

    A missing interpreter skips its environment (noted in the verdict) rather
    than failing the check; a check whose environments were all skipped errors.
    """
    return (*tox_argv(python), "-e", ",".join(envs), "--skip-missing-interpreters=true",
            "--result-json", str(report))


def report_status(report: Path, envs: Sequence[str]) -> tuple[CheckStatus, str] | None:
    """Judge a tox check by its ``--result-json`` file; None when it is missing or unreadable.

    ``fail`` when an environment failed (naming it and its exit code), ``error``
    when none of ``envs`` ran (all skipped, e.g. no interpreter), else ``pass``
    with a note naming the skipped ones.
    """
    try:
        data: Any = json.loads(report.read_text(encoding="utf-8"))
        results = {env: data["testenvs"][env]["result"] for env in envs if env in data["testenvs"]}
        failed = [f"{env} (exit {r['exit_code']})" for env, r in results.items() if not r["success"]]
        skipped = [env for env in envs if env not in results or results[env].get("skipped")]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if failed:
        return "fail", f"tox environment {', '.join(failed)} failed"
    if len(skipped) == len(envs):
        return "error", (f"tox skipped {', '.join(skipped)}: no interpreter for it here "
                         "(see the log); install one, or name another environment in "
                         "checks.tox_aliases")
    return "pass", f"tox skipped {', '.join(skipped)}" if skipped else ""
