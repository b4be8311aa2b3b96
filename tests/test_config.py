from __future__ import annotations

from pathlib import Path

import pytest

from gatebot import config
from gatebot.errors import ConfigError
from tests.repos import run_cli


def test_no_configuration_gives_the_seed_defaults(tmp_path: Path) -> None:
    cfg = config.load(tmp_path, environ={})
    assert (cfg.base, cfg.max_file_lines, cfg.max_function_lines) == ("main", 900, 80)
    assert cfg.min_coverage == 80
    assert cfg.claims.stale_after == 20
    assert (cfg.board.todo, cfg.board.current_state, cfg.board.archive_dir) == (
        "TODO.md", "CURRENT_STATE.md", "coordination/archive")


def test_pyproject_table_and_precedence(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.gatebot]\nmin_coverage = 70\nbase = 'trunk'\n[tool.gatebot.checks]\ntimeout = 5\n")
    cfg = config.load(tmp_path, environ={"GATEBOT_MIN_COVERAGE": "75",
                                         "GATEBOT_CHECKS__TIMEOUT": "9"},
                      overrides={"base": "dev", "max_file_lines": None})
    assert cfg.min_coverage == 75          # env beats file
    assert cfg.checks.timeout == 9         # nested env
    assert cfg.base == "dev"               # CLI beats all
    assert cfg.max_file_lines == 900       # None override ignored


def test_dotfile_is_read_and_lists_from_env_are_json(tmp_path: Path) -> None:
    (tmp_path / ".gatebot.toml").write_text("[claims]\nstale_after = 5\n")
    cfg = config.load(tmp_path, environ={"GATEBOT_CLAIMS__MAINTAINERS": '["ann", "bo"]'})
    assert cfg.claims.stale_after == 5
    assert cfg.claims.maintainers == ("ann", "bo")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[tool.gatebot]\nmax_file_line = 3\n", ["unknown key 'max_file_line'", "pyproject.toml"]),
        ("[tool.gatebot.checks]\ntimeout = -1\n", ["checks.timeout", "greater than 0"]),
        ("[tool.gatebot]\nmin_coverage = 'lots'\n", ["min_coverage", "'lots'"]),
        ("[tool.gatebot\n", ["not valid TOML"]),
    ],
)
def test_bad_configuration_names_key_and_file(tmp_path: Path, text: str, words: list[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path, environ={})
    for word in words:
        assert word in info.value.message
    assert info.value.hint


def test_both_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.gatebot]\n")
    (tmp_path / ".gatebot.toml").write_text("")
    with pytest.raises(ConfigError, match="both"):
        config.load(tmp_path, environ={})


def test_unknown_environment_key_is_ignored_and_listed(tmp_path: Path) -> None:
    environ = {"GATEBOT_MIN_COVRAGE": "3", "GATEBOT_CHECKS__COMMANDS__TESTS": "pytest -q",
               "GATEBOT_CHECKS__TIMOUT": "3", "GATEBOT_ACTOR": "ann"}
    cfg = config.load(tmp_path, environ=environ)
    assert cfg.min_coverage == 80 and cfg.checks.commands == {"tests": "pytest -q"}
    assert config.unknown_env(environ) == ["GATEBOT_CHECKS__TIMOUT", "GATEBOT_MIN_COVRAGE"]


def test_a_variable_under_a_non_table_variable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"GATEBOT_CHECKS__TIMEOUT.*GATEBOT_CHECKS"):
        config.load(tmp_path, environ={"GATEBOT_CHECKS": "7", "GATEBOT_CHECKS__TIMEOUT": "3"})


def test_bad_config_exits_2_from_the_cli(repo) -> None:  # type: ignore[no-untyped-def]
    repo.write(".gatebot.toml", "max_function_lenght = 10\n")
    repo.commit("a typo in the configuration on main")
    repo.git("push", "-q", "origin", "main")
    result = run_cli(repo.path, "review")
    assert result.exit_code == 2
    assert "unknown key 'max_function_lenght'" in result.output
    assert "origin/main/.gatebot.toml" in result.output
    assert "Traceback" not in result.output


def test_the_branch_under_review_cannot_set_its_own_gates(repo) -> None:  # type: ignore[no-untyped-def]
    repo.git("checkout", "-q", "-b", "task/4-loosen")
    repo.write(".gatebot.toml", "max_function_lines = 100000\nmin_coverage = 0\n"
               "[checks]\nnox_sessions = []\n")
    body = "".join(f"    x{i} = {i}\n" for i in range(100))
    repo.write("app/long.py", f'"""L."""\n\n\ndef f():\n    """F."""\n{body}')
    repo.write("tests/test_long.py", "x = 1\n")
    repo.commit("loosen the limits and add a long function")
    result = run_cli(repo.path, "review", "--only", "function-length")
    assert result.exit_code == 1
    assert "max 80" in result.output


def test_tox_aliases_given_replace_only_their_own_defaults(tmp_path: Path) -> None:
    (tmp_path / ".gatebot.toml").write_text(
        '[checks]\nrunner = "tox"\ntox_aliases = { build = ["wheel"], lint = [] }\n')
    checks = config.load(tmp_path, environ={}).checks
    assert checks.runner == "tox"
    assert checks.tox_aliases["build"] == ("wheel",)
    assert checks.tox_aliases["lint"] == ()
    assert checks.tox_aliases["tests"] == config.DEFAULT_TOX_ALIASES["tests"]
