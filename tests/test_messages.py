"""Error messages a user can act on: each says what is wrong and a fix that works.

Each test drives the real CLI against a real repository (``tests.repos``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gatebot import config
from gatebot.errors import ConfigError
from tests.repos import Repo, run_cli

FAILING_CHECK = (
    "min_coverage = 0\n[checks]\nnox_sessions = []\nrequired = [\"tests\"]\n"
    'commands = { tests = ["python", "-c", "import sys; sys.exit(1)"] }\n'
)


def _on_main(repo: Repo, rel: str, text: str) -> None:
    repo.write(rel, text)
    repo.commit(f"configure {rel}")
    repo.git("push", "-q", "origin", "main")


def test_claiming_a_missing_task_names_the_board_and_the_tasks_it_has(repo: Repo) -> None:
    result = run_cli(repo.path, "claim", "99", "--as", "ann")
    assert result.exit_code == 2
    assert "gatebot: no task #99 in TODO.md" in result.output
    assert "TODO.md has 2 tasks: #1 (READY), #4 (REVIEW)" in result.output
    assert ":?:" not in result.output
    assert "gatebot status` lists" not in result.output  # status shows counts, not tasks


def test_a_failing_checks_log_path_is_printed_whole_on_one_line(
    repo: Repo, tmp_path: Path
) -> None:
    _on_main(repo, ".gatebot.toml", FAILING_CHECK)
    logs = tmp_path / ("a-deep-directory-for-logs-" * 4) / "logs"
    result = run_cli(repo.path, "review", "--all", "--only", "checks", "--format", "text",
                     env={"GATEBOT_LOG_DIR": str(logs), "COLUMNS": "80"})
    assert result.exit_code == 1
    [log] = logs.glob("*/tests.log")
    assert len(str(log)) > 80  # longer than the line: rich would wrap it
    assert f"log: {log}" in result.output.splitlines()[-2]


def test_refused_approval_names_rules_apart_from_the_reviewer(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "task/4-undocumented")
    repo.write("app/more.py", '"""More."""\n\n\ndef public():\n    return 1\n')
    repo.write("tests/test_more.py", "from app.more import public\n\n\n"
                                     "def test_public():\n    assert public() == 1\n")
    repo.commit("a public function without a docstring")
    result = run_cli(repo.path, "review", "--approve", "--as", "reviewer-two")
    assert result.exit_code == 1
    assert "approval refused: rule docstrings did not pass" in result.output
    assert "reviewer did not pass" not in result.output
    # a builder is refused before any rule runs: only who they are is named
    result = run_cli(repo.path, "review", "--approve", "--as", "builder-one")
    assert result.exit_code == 1
    assert "approval refused: builder-one may not review: builder of this change" in result.output
    assert "; nothing was checked" in result.output
    assert "docstrings" not in result.output


def test_refused_approval_by_a_builder_alone_is_not_called_a_rule(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "task/4-documented")
    repo.write("app/more.py", '"""More."""\n\n\ndef public():\n    """One."""\n    return 1\n')
    repo.write("tests/test_more.py", "def test_more():\n    assert True\n")
    repo.commit("a documented function")
    result = run_cli(repo.path, "review", "--approve", "--as", "builder-one")
    assert result.exit_code == 1
    assert "approval refused: builder-one may not review: builder of this change" in (
        result.output)
    assert "rule" not in result.output.split("approval refused:")[1].splitlines()[0]


def test_only_checks_without_a_configured_check_says_how_to_configure_one(repo: Repo) -> None:
    result = run_cli(repo.path, "review", "--all", "--only", "checks")
    assert result.exit_code == 2
    assert "--only checks: no check is configured" in result.output
    assert "commands = { tests" in result.output
    assert "unknown or disabled" not in result.output


def test_only_a_check_that_is_not_configured_lists_the_configured_ones(repo: Repo) -> None:
    _on_main(repo, ".gatebot.toml", FAILING_CHECK)
    result = run_cli(repo.path, "review", "--all", "--only", "checks.lint")
    assert result.exit_code == 2
    assert "no check named 'lint' is configured (configured: tests)" in result.output


def test_only_a_disabled_rule_says_it_is_disabled(repo: Repo) -> None:
    _on_main(repo, ".gatebot.toml", FAILING_CHECK + "\n")
    _on_main(repo, ".gatebot.toml", 'disabled_rules = ["docstrings"]\n' + FAILING_CHECK)
    result = run_cli(repo.path, "review", "--all", "--only", "docstrings")
    assert result.exit_code == 2
    assert "--only docstrings: disabled by disabled_rules" in result.output


def test_only_an_unknown_rule_lists_the_rules(repo: Repo) -> None:
    result = run_cli(repo.path, "review", "--all", "--only", "function-lenght")
    assert result.exit_code == 2
    assert "unknown rule: 'function-lenght'" in result.output
    assert "function-length" in result.output


NO_GITHUB = {"GITHUB_REPOSITORY": "", "GITHUB_TOKEN": "", "GATEBOT_GITHUB_APP_ID": ""}


def test_forge_github_without_a_github_repository_says_how_to_name_one(repo: Repo) -> None:
    _on_main(repo, ".gatebot.toml", 'forge = "github"\nmin_coverage = 0\n'
                                    "[checks]\nnox_sessions = []\n")
    before = repo.origin_sha()
    result = run_cli(repo.path, "task", "add", "Rate limiter", "--as", "ann", env=NO_GITHUB)
    assert result.exit_code == 2
    assert "no GitHub repository to work on" in result.output
    assert "set GITHUB_REPOSITORY=owner/name" in result.output
    assert repo.origin_sha() == before  # no board commit was made


def test_forge_github_without_credentials_says_which_to_give(repo: Repo) -> None:
    result = run_cli(repo.path, "status",
                     env={**NO_GITHUB, "GATEBOT_FORGE": "github", "GITHUB_REPOSITORY": "o/r"})
    assert result.exit_code == 2
    assert "no GitHub credentials" in result.output
    assert "pass --token, set GITHUB_TOKEN" in result.output


def _config_error(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> ConfigError:
    (tmp_path / ".gatebot.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        config.load(tmp_path, environ=environ or {})
    return caught.value


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        ("max_file_line = 3\n", "max_file_line", "did you mean 'max_file_lines'?"),
        ("[checks]\ntimout = 3\n", "checks.timout", "did you mean 'checks.timeout'?"),
        ("[claim]\nsettle = [1, 1]\n", "claim", "did you mean 'claims'?"),
    ],
)
def test_an_unknown_key_suggests_the_closest_key_of_its_table(
    tmp_path: Path, text: str, key: str, suggestion: str
) -> None:
    error = _config_error(tmp_path, text)
    assert error.message == f"unknown key {key!r} in {tmp_path}/.gatebot.toml"
    assert error.hint.startswith(suggestion)
    assert "known:" not in error.hint


def test_an_unknown_key_far_from_any_points_to_the_reference(tmp_path: Path) -> None:
    error = _config_error(tmp_path, "colour = 'blue'\n")
    assert "docs/configuration.md" in error.hint
    assert "gatebot config --schema" in error.hint
    assert "max_file_lines" not in error.hint  # no list of every key


def test_an_unknown_environment_key_warns_with_the_closest_too(repo: Repo) -> None:
    result = run_cli(repo.path, "status", env={"GATEBOT_CLAIMS__STALE_AFTR": "5"})
    assert result.exit_code == 0  # a warning: a stray variable must not stop every command
    assert "GATEBOT_CLAIMS__STALE_AFTR names no setting" in result.stderr
    assert "did you mean GATEBOT_CLAIMS__STALE_AFTER?" in result.stderr


def test_gate2_refusal_of_a_builder_is_not_called_a_rule(repo: Repo) -> None:
    from tests.app.test_merge import approved_branch  # noqa: PLC0415

    approved_branch(repo)
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "builder-one")
    assert result.exit_code == 1
    assert "gatebot: builder-one may not review: builder of this change" in result.output
    assert "neither built the change nor approved it at gate 1" in result.output
    assert "rule reviewer" not in result.output
