"""``gatebot init --github``: the workflows written into a real repository's work tree.

Idempotent (a second run changes no byte and no mtime), never overwriting a file its owner
edited without ``--force``, refreshing gatebot's own unedited output, and never writing
through a symlink.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from gatebot import __version__
from gatebot.core import workflows
from tests.repos import Repo, git, make_repo, run_cli

NAMES = [f".github/workflows/{name}" for name in workflows.WORKFLOW_FILES]
USER = workflows.WorkflowOptions(requirement=f"gatebot=={__version__}", version=__version__)


def stamps(repo: Repo) -> dict[str, tuple[int, bytes]]:
    return {name: ((repo.path / name).stat().st_mtime_ns, (repo.path / name).read_bytes())
            for name in NAMES}


def test_writes_the_six_workflows_then_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    first = run_cli(repo.path, "init", "--github")
    assert first.exit_code == 0, first.output
    expected = workflows.render_all(USER)
    for name in NAMES:
        assert (repo.path / name).read_text(encoding="utf-8") == expected[name]
        assert re.search(rf"^  {re.escape(name)} +written$", first.output, re.M)
        assert (repo.path / name).stat().st_mode & 0o777 == 0o644
    # the workflows are in the work tree for the user to commit: nothing of them was pushed
    assert git(repo.origin, "ls-tree", "-r", "--name-only", "main", ".github") == ""
    before = stamps(repo)
    second = run_cli(repo.path, "init", "--github")
    assert second.exit_code == 0, second.output
    assert stamps(repo) == before
    assert second.output.count("unchanged") == len(NAMES) == 6
    assert "create the environment 'gatebot'" in first.output
    assert "create the environment" not in second.output  # nothing written: nothing to do
    assert "written" not in second.output


def test_an_edited_workflow_is_kept_unless_force(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    run_cli(repo.path, "init", "--github")
    edited = repo.path / NAMES[0]
    mine = edited.read_text(encoding="utf-8").replace("ubuntu-latest", "self-hosted")
    edited.write_text(mine, encoding="utf-8")
    kept = run_cli(repo.path, "init", "--github")
    assert kept.exit_code == 0, kept.output
    assert "kept: you edited it (--force replaces it)" in kept.output
    assert edited.read_text(encoding="utf-8") == mine
    dry = run_cli(repo.path, "init", "--github", "--force", "--dry-run")
    assert "replaced (--force" in dry.output and "nothing written" in dry.output
    assert edited.read_text(encoding="utf-8") == mine
    forced = run_cli(repo.path, "init", "--github", "--force")
    assert forced.exit_code == 0, forced.output
    assert "replaced (--force; your edits are gone)" in forced.output
    assert edited.read_text(encoding="utf-8") == workflows.render_all(USER)[NAMES[0]]


def test_gatebots_own_unedited_output_is_refreshed(tmp_path: Path) -> None:
    """A file an older gatebot wrote (its digest still matches) is replaced by today's."""
    repo = make_repo(tmp_path)
    older = workflows.render(workflows.WORKFLOW_FILES[0],
                             workflows.WorkflowOptions(requirement="gatebot==0.0.1",
                                                       version="0.0.1"))
    repo.write(NAMES[0], older)
    done = run_cli(repo.path, "init", "--github")
    assert "updated (gatebot's own, unedited)" in done.output
    assert (repo.path / NAMES[0]).read_text(encoding="utf-8") == workflows.render_all(USER)[
        NAMES[0]]


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    done = run_cli(repo.path, "init", "--github", "--dry-run")
    assert done.exit_code == 0, done.output
    assert "nothing written" in done.output
    assert not (repo.path / ".github").exists()


def test_force_without_github_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    done = run_cli(repo.path, "init", "--force")
    assert done.exit_code == 2
    assert "--force only applies to the workflows of --github" in done.output
    assert not (repo.path / ".github").exists()


def test_a_symlinked_workflow_is_replaced_never_written_through(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("not gatebot's\n", encoding="utf-8")
    link = repo.path / NAMES[1]
    link.parent.mkdir(parents=True)
    os.symlink(outside, link)
    kept = run_cli(repo.path, "init", "--github")
    assert "kept: you edited it" in kept.output
    assert link.is_symlink()
    forced = run_cli(repo.path, "init", "--github", "--force")
    assert forced.exit_code == 0, forced.output
    assert not link.is_symlink()
    assert outside.read_text(encoding="utf-8") == "not gatebot's\n"
    assert link.read_text(encoding="utf-8") == workflows.render_all(USER)[NAMES[1]]


def test_gatebots_own_repository_installs_gatebot_from_its_base_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    repo.write("pyproject.toml", '[project]\nname = "gatebot"\nversion = "9"\n')
    repo.commit("gatebot itself")
    run_cli(repo.path, "init", "--github")
    review = (repo.path / ".github/workflows/gatebot-issues.yml").read_text(encoding="utf-8")
    assert "run: python -m pip install .\n" in review
    assert "GATEBOT_REQUIREMENT" not in review


def test_the_base_branch_of_the_configuration_is_checked_out(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    repo.git("push", "-q", "origin", "main:trunk")
    repo.write(".gatebot.toml", 'base = "trunk"\n' + (repo.path / ".gatebot.toml").read_text())
    repo.commit("base trunk")  # read from the default branch's configuration
    repo.git("push", "-q", "origin", "main", "main:trunk")
    done = run_cli(repo.path, "init", "--github")
    assert done.exit_code == 0, done.output
    sweep = (repo.path / ".github/workflows/gatebot-sweep.yml").read_text(encoding="utf-8")
    assert 'ref: "trunk"' in sweep
