"""tox environments read and judged through real tox (``gatebot.adapters.tox_envs``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gatebot.adapters.checks import check_runner, plan_checks, run_checks
from gatebot.adapters.tox_envs import match_envs, tox_envs
from gatebot.config import DEFAULT_TOX_ALIASES
from gatebot.errors import EnvironmentProblem
from tests.repos import NOXFILE

TOX_INI = "[tox]\nenv_list = py3{11,12}, lint\n\n[testenv]\nskip_install = true\n\n[testenv:type]\n"
TOX_TOML = ('env_list = ["py311", "py312", "lint"]\n\n[env_run_base]\nskip_install = true\n\n'
            "[env.type]\n")
PYPROJECT = ('[project]\nname = "demo"\nversion = "1"\n\n[tool.tox]\n'
             'env_list = ["py311", "py312", "lint"]\n\n[tool.tox.env.type]\nskip_install = true\n')
FORMS = {"tox.ini": TOX_INI, "tox.toml": TOX_TOML, "pyproject.toml": PYPROJECT}


@pytest.mark.parametrize("name", list(FORMS))
def test_every_tox_configuration_form_gives_its_environments_as_checks(
        tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(FORMS[name])
    assert tox_envs(tmp_path) == ["py311", "py312", "lint", "type"]
    specs = plan_checks(tmp_path, log_dir=tmp_path / "logs", tox_aliases=DEFAULT_TOX_ALIASES)
    assert [(s.name, s.tox_envs) for s in specs] == [
        ("tests", ("py311", "py312")), ("lint", ("lint",)), ("typecheck", ("type",))]
    tests = specs[0]
    assert tests.argv[1:6] == ("-m", "tox", "-e", "py311,py312", "--skip-missing-interpreters=true")
    assert tests.report_path == str((tmp_path / "logs" / "tests.tox.json").resolve())


def test_a_pyproject_without_tool_tox_is_no_tox_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    assert check_runner(tmp_path) is None
    assert plan_checks(tmp_path, log_dir=tmp_path / "logs") == []


def test_nox_wins_over_tox_unless_the_runner_is_tox(tmp_path: Path) -> None:
    (tmp_path / "noxfile.py").write_text(NOXFILE)
    (tmp_path / "tox.ini").write_text(TOX_INI)
    specs = plan_checks(tmp_path, nox_wanted=("lint",), log_dir=tmp_path)
    assert [(s.nox_session, s.tox_envs) for s in specs] == [("lint", ())]
    specs = plan_checks(tmp_path, nox_wanted=("lint",), log_dir=tmp_path, runner="tox")
    assert [(s.nox_session, s.tox_envs) for s in specs] == [(None, ("lint",))]
    (tmp_path / "tox.ini").unlink()
    assert plan_checks(tmp_path, nox_wanted=("lint",), log_dir=tmp_path, runner="tox") == []


def test_aliases_are_tried_in_order_and_the_check_name_first() -> None:
    envs = ["py311", "py312", "py", "tests-slow", "mypy"]
    aliases = {"tests": ("py", "py3*"), "typecheck": ("type", "mypy")}
    assert match_envs("tests", envs, aliases) == ("py",)
    assert match_envs("tests", ["py311", "py312"], aliases) == ("py311", "py312")
    assert match_envs("tests", ["tests", "py"], aliases) == ("tests",)
    assert match_envs("typecheck", envs, aliases) == ("mypy",)
    assert match_envs("build", envs, aliases) == ()


def test_missing_tox_says_how_to_install_it(tmp_path: Path) -> None:
    bare = tmp_path / "bare"  # an interpreter without tox
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    (tmp_path / "tox.ini").write_text(TOX_INI)
    with pytest.raises(EnvironmentProblem) as caught:
        tox_envs(tmp_path, python=str(bare / "bin" / "python"))
    assert "tox is not installed for" in caught.value.message
    assert "-m pip install tox" in caught.value.hint


def test_a_broken_tox_configuration_is_an_environment_problem(tmp_path: Path) -> None:
    (tmp_path / "tox.toml").write_text("env_list = [\n")
    with pytest.raises(EnvironmentProblem) as caught:
        plan_checks(tmp_path, log_dir=tmp_path)
    assert "tox could not read the tox configuration" in caught.value.message
    assert "tox config -e ALL" in caught.value.hint


def test_a_check_whose_environments_were_all_skipped_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tox.ini").write_text("[tox]\nenv_list = py27\n\n[testenv]\nskip_install = true\n"
                                      f"allowlist_externals = {sys.executable}\n"
                                      f"commands = {sys.executable} -c pass\n")
    logs = tmp_path / "logs"
    specs = plan_checks(tmp_path, nox_wanted=("tests",), log_dir=logs,
                        tox_aliases={"tests": ("py2*",)})
    (result,) = run_checks(specs, tmp_path, logs, jobs=1)
    assert result.status == "error", result
    assert result.message.startswith("tox skipped py27: no interpreter")
