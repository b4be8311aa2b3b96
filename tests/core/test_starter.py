"""The pure parts of ``gatebot init``: which runner, which files, and TOML that reads back."""

from __future__ import annotations

import datetime
import tomllib

import pytest

from gatebot.core import current_state, starter
from gatebot.core.board import Board, Stage
from gatebot.errors import ConfigError

PATHS = starter.BoardPaths("TODO.md", "CURRENT_STATE.md", "coordination/archive")


def reader(files: dict[str, str]) -> starter.Read:
    return files.get


@pytest.mark.parametrize(("files", "expected"), [
    ({}, starter.Runner(None)),
    ({"noxfile.py": ""}, starter.Runner("nox", "noxfile.py")),
    ({"tox.ini": ""}, starter.Runner("tox", "tox.ini")),
    ({"tox.toml": ""}, starter.Runner("tox", "tox.toml")),
    ({"pyproject.toml": "[tool.tox]\nenv_list = []\n"},
     starter.Runner("tox", "pyproject.toml [tool.tox]")),
    ({"pyproject.toml": "[tool.ruff]\n"}, starter.Runner(None)),
    ({"noxfile.py": "", "tox.ini": ""}, starter.Runner("nox", "noxfile.py", ignored="tox.ini")),
])
def test_find_runner(files: dict[str, str], expected: starter.Runner) -> None:
    assert starter.find_runner(reader(files)) == expected


def test_the_empty_board_has_the_five_stages_in_order() -> None:
    board = Board.parse(starter.EMPTY_TODO)
    added, number = board.add_task("First", {}, Stage.READY)
    assert number == 1
    assert added.task(1).stage is Stage.READY
    assert [s for s in Stage if f" {s.value}\n" in starter.EMPTY_TODO] == list(Stage)


def test_current_state_takes_a_release_line_under_its_section() -> None:
    line = current_state.release_line(datetime.date(2025, 11, 1), 1, "T", None, "abc1234")
    text = current_state.add_release(starter.EMPTY_CURRENT_STATE, line)
    assert text == f"# Current State\n\n## Recently Merged\n\n{line}\n"


def test_plan_writes_only_what_is_missing() -> None:
    everything = {".gatebot.toml": "", "TODO.md": "", "CURRENT_STATE.md": ""}
    assert starter.plan(reader(everything), starter.Runner(None), PATHS,
                        archive_exists=True) == {}
    assert list(starter.plan(reader({}), starter.Runner(None), PATHS, archive_exists=False)) == [
        ".gatebot.toml", "TODO.md", "CURRENT_STATE.md", "coordination/archive/README.md"]


def test_an_existing_tool_gatebot_table_is_a_configuration() -> None:
    files = {"pyproject.toml": "[tool.gatebot]\n", "TODO.md": "", "CURRENT_STATE.md": ""}
    assert starter.plan(reader(files), starter.Runner(None), PATHS, archive_exists=True) == {}


def test_a_tool_inline_table_cannot_be_extended_so_the_dotfile_is_written() -> None:
    files = {"pyproject.toml": 'tool = { ruff = { line-length = 99 } }\n'}
    planned = starter.plan(reader(files), starter.Runner(None), PATHS, archive_exists=True)
    assert ".gatebot.toml" in planned
    assert "pyproject.toml" not in planned


def test_a_pyproject_that_is_not_toml_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"pyproject\.toml is not valid TOML"):
        starter.plan(reader({"pyproject.toml": "[project\n"}), starter.Runner(None), PATHS,
                     archive_exists=True)


@pytest.mark.parametrize("text", ["", "[project]\nname = 'x'", "[project]\r\nname = 'x'\r\n",
                                  "# only a comment\n", "tool.ruff.line-length = 99\n"])
def test_the_appended_table_reads_back_and_keeps_the_text(text: str) -> None:
    runner = starter.Runner("nox", "noxfile.py", ("py311", "3.12", 'we"ird'))
    result = starter.pyproject_with_config(text, runner)
    assert result is not None
    assert result.startswith(text)
    checks = tomllib.loads(result)["tool"]["gatebot"]["checks"]
    assert checks["nox_sessions"] == ["py311", "3.12", 'we"ird']
    assert checks["required"] == ["py311", "3.12", 'we"ird']


def test_a_runner_that_could_not_list_is_named_in_the_configuration() -> None:
    text = starter.dotfile_text(starter.Runner("tox", "tox.ini", problem="tox is not installed"))
    assert "# tox could not list the environments of tox.ini: tox is not installed" in text
    assert tomllib.loads(text)["checks"] == {"required": list(starter.DEFAULT_SESSIONS)}
    found = starter.Runner("tox", "tox.ini", ("tests",), found=(("tests", ("py", 'we"ird')),))
    text = starter.dotfile_text(found)
    assert tomllib.loads(text)["checks"] == {"required": ["tests"]}
    assert '#   checks.tests: tox -e py,we"ird' in text
    none = starter.dotfile_text(starter.Runner("tox", "tox.ini"))
    assert tomllib.loads(none)["checks"] == {"required": []}
    assert "set checks.tox_aliases" in none
    nox = tomllib.loads(starter.dotfile_text(starter.Runner("nox", "noxfile.py", problem="x")))
    assert nox["checks"]["nox_sessions"] == list(starter.DEFAULT_SESSIONS)


def test_a_reason_with_line_breaks_stays_inside_its_comment() -> None:
    runner = starter.Runner("nox", "noxfile.py", problem="boom\nmin_coverage = 0\r\n[x]")
    assert tomllib.loads(starter.dotfile_text(runner))["min_coverage"] == 80
