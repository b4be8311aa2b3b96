"""Rule ``gate-files`` end to end: a change to what defines the gates needs a maintainer."""

from __future__ import annotations

import json
from pathlib import Path

from tests.repos import NO_CHECKS, Repo, git, make_repo, run_cli

WORKFLOW = "on: push\njobs: {}\n"


def with_maintainers(tmp_path: Path, *names: str) -> Repo:
    repo = make_repo(tmp_path)
    repo.write(".gatebot.toml", NO_CHECKS + f"[claims]\nmaintainers = {json.dumps(names)}\n")
    repo.write("pyproject.toml", '[project]\nname = "app"\nversion = "1"\n')
    repo.commit("maintainers")
    repo.git("push", "-q", "origin", "main")
    return repo


def push_branch(repo: Repo, files: dict[str, str], name: str = "task/4-ci") -> str:
    repo.git("checkout", "-q", "-b", name, "origin/main")
    for rel, text in files.items():
        repo.write(rel, text)
    head = repo.commit("work", as_="builder-one")
    repo.git("push", "-q", "origin", name)
    return head


def gate_files(output: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in json.loads(output)["rules"] if r["id"] == "gate-files")


def test_review_shows_a_workflow_change_as_needing_a_maintainer(tmp_path: Path) -> None:
    repo = with_maintainers(tmp_path, "maint")
    push_branch(repo, {".github/workflows/ci.yml": WORKFLOW})
    result = run_cli(repo.path, "review", "--format", "json")
    assert result.exit_code == 1
    rule = gate_files(result.stdout)
    assert rule["status"] == "fail"
    assert "needs a maintainer's approval" in rule["summary"]
    assert [f["path"] for f in rule["findings"]] == [".github/workflows/ci.yml"]


def test_only_a_maintainer_approves_a_deleted_gate_file_at_gate_1(tmp_path: Path) -> None:
    repo = with_maintainers(tmp_path, "maint@example.org")
    repo.git("checkout", "-q", "-b", "task/4-rm", "origin/main")
    repo.git("rm", "-q", ".gatebot.toml")  # weaken the gates by deleting their configuration
    repo.commit("no more configuration", as_="builder-one")
    refused = run_cli(repo.path, "review", "--approve", "--as", "rev-a", "--format", "json")
    assert refused.exit_code == 1
    assert gate_files(refused.stdout)["status"] == "fail"
    assert "rev-a is not one" in gate_files(refused.stdout)["summary"]
    approved = run_cli(repo.path, "review", "--approve", "--as", "MAINT@example.org",
                       "--format", "json")
    assert gate_files(approved.stdout)["status"] == "pass"
    assert approved.exit_code == 0, approved.output


def test_pyproject_counts_only_for_its_gate_tables(tmp_path: Path) -> None:
    repo = with_maintainers(tmp_path, "maint")
    push_branch(repo, {"pyproject.toml": '[project]\nname = "app"\nversion = "2"\n'})
    result = run_cli(repo.path, "review", "--only", "gate-files", "--format", "json")
    assert gate_files(result.stdout)["status"] == "pass"
    repo.write("pyproject.toml", '[project]\nname = "app"\nversion = "2"\n'
               "[tool.tox]\nenv_list = []\n")
    repo.commit("tox table", as_="builder-one")
    result = run_cli(repo.path, "review", "--only", "gate-files", "--format", "json")
    assert result.exit_code == 1
    assert gate_files(result.stdout)["findings"][0]["path"] == "pyproject.toml"


def test_gate_2_needs_a_maintainer_as_one_of_the_two_reviewers(tmp_path: Path) -> None:
    repo = with_maintainers(tmp_path, "maint")
    head = push_branch(repo, {".github/workflows/ci.yml": WORKFLOW})
    assert run_cli(repo.path, "review", "--approve", "--as", "maint").exit_code == 0
    other = tmp_path / "other"  # the maintainers change on main after the approval
    git(tmp_path, "clone", "-q", str(repo.origin), str(other))
    (other / ".gatebot.toml").write_text(NO_CHECKS + "[claims]\nmaintainers = ['boss']\n")
    git(other, "commit", "-qam", "new maintainers")
    git(other, "push", "-q", "origin", "main")
    before = repo.origin_sha()
    refused = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert refused.exit_code == 1
    assert "gate-files" in refused.output
    assert repo.origin_sha() == before  # refused before anything was written
    landed = run_cli(repo.path, "merge", "--task", "4", "--as", "boss")
    assert landed.exit_code == 0, landed.output
    assert head in git(repo.origin, "rev-list", "main").split()
