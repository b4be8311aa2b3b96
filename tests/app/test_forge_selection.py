"""Which forge a command uses: ``--forge``, ``GATEBOT_FORGE``, ``forge`` in the configuration,
the GitHub Actions default; a forge this build lacks is refused with exit 2 and nothing written.

Real repositories with a bare origin (``tests.repos``), the real CLI.
"""

from __future__ import annotations

from gatebot.app.context import actions_forge, open_context
from tests.repos import Repo, run_cli


def _on_main(repo: Repo, text: str) -> None:
    repo.write(".gatebot.toml", text)
    repo.commit("configure the forge")
    repo.git("push", "-q", "origin", "main")


NO_GITHUB = {"GITHUB_REPOSITORY": "", "GITHUB_TOKEN": "", "GATEBOT_GITHUB_APP_ID": ""}


def test_forge_github_without_a_github_repository_is_refused_before_any_write(
        repo: Repo) -> None:
    before = repo.origin_sha()
    result = run_cli(repo.path, "claim", "1", "--as", "ann", "--forge", "github", env=NO_GITHUB)
    assert result.exit_code == 2
    assert "no GitHub repository to work on" in result.output
    assert "set GITHUB_REPOSITORY=owner/name" in result.output
    assert repo.origin_sha() == before


def test_the_command_line_wins_over_the_environment(repo: Repo) -> None:
    result = run_cli(repo.path, "task", "add", "Rate limiter", "--as", "ann",
                     "--forge", "local", env={"GATEBOT_FORGE": "github"})
    assert result.exit_code == 0, result.output
    assert run_cli(repo.path, "status", env={"GATEBOT_FORGE": "github", **NO_GITHUB}
                   ).exit_code == 2


def test_inside_github_actions_the_default_is_github() -> None:
    assert actions_forge({"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r"}) == "github"
    assert actions_forge({"GITHUB_ACTIONS": "true"}) is None
    assert actions_forge({"GITHUB_REPOSITORY": "o/r"}) is None
    assert actions_forge({"GITHUB_ACTIONS": "false", "GITHUB_REPOSITORY": "o/r"}) is None


def test_the_actions_default_applies_only_where_no_forge_is_configured(repo: Repo) -> None:
    assert open_context(repo.path, default_forge="github").forge.name == "github"
    _on_main(repo, 'forge = "local"\n')
    assert open_context(repo.path, default_forge="github").forge.name == "local"


def test_the_local_forge_is_the_default_and_the_base_files_one_object(repo: Repo) -> None:
    ctx = open_context(repo.path)
    assert ctx.forge.name == "local"
    assert ctx.forge is ctx.files
