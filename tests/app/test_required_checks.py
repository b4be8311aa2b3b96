"""Required checks, fresh coverage and honest dry runs, end to end on real repositories.

A change cannot drop its own checks: ``checks.required`` comes from the base
branch, gate 1 fails a required check the change's tree cannot run, and gate 2
re-runs the required checks on the release tree (``--dry-run`` included). A
coverage report counts only when this run's tests check wrote it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.repos import TODO, Repo, git, make_repo, run_cli

STALE_REPORT = json.dumps({"totals": {"percent_covered": 100.0}, "files": {}})
REQUIRED = ("tests", "lint", "typecheck", "build")


def verdict_of(repo: Repo, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run_cli(repo.path, "review", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def rules_by_id(doc: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["id"]: r for r in doc["rules"]}


def test_git_rm_noxfile_fails_gate_1_naming_how_to_configure(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_nox=True)  # the default configuration: four required checks
    repo.git("checkout", "-q", "-b", "task/4-no-checks")
    repo.git("rm", "-q", "noxfile.py")
    repo.write("app/more.py", '"""More."""\n')
    repo.write("tests/test_more.py", "def test_nothing():\n    pass\n")
    repo.commit("drop the checks")
    code, doc = verdict_of(repo)
    assert code == 1
    rules = rules_by_id(doc)
    for name in REQUIRED:
        rule = rules[f"checks.{name}"]
        assert rule["status"] == "fail", rule
        message = rule["findings"][0]["message"]
        assert f"nox session `{name}`" in message
        assert f"checks.commands.{name}" in message
        assert "checks.required" in message and "base branch" in message
    result = run_cli(repo.path, "review", "--approve", "--as", "rev-a")
    assert result.exit_code == 1
    assert "RDY FOR PROD" not in repo.origin_file("TODO.md").split("## ✅ RDY FOR PROD")[1]


def test_required_checks_come_from_the_base_not_the_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_nox=True)
    repo.git("checkout", "-q", "-b", "task/4-loosen")
    repo.git("rm", "-q", "noxfile.py")
    repo.write(".gatebot.toml", "[checks]\nrequired = []\n")  # the branch's own wish
    repo.commit("drop the checks and the requirement")
    _, doc = verdict_of(repo)
    assert rules_by_id(doc)["checks.tests"]["status"] == "fail"


CRITICAL_TODO = TODO.replace("### #4 Twitter automation", "### #4 🚨 CRITICAL Twitter automation")


def test_critical_task_gate_2_retests_and_refuses_failing_release_tree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, todo=CRITICAL_TODO, with_nox=True)
    repo.write(".gatebot.toml", "[checks]\nnox_sessions = []\n")  # no optional sessions
    repo.commit("run only what is required")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-fix")
    repo.write("tests/test_sum.py", "from app.core import add\n\n\ndef test_sum():\n"
               "    assert add(2, 2) == 4\n")
    head = repo.commit("a test of add", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-fix")
    approved = run_cli(repo.path, "review", "--approve", "--as", "rev-a")
    assert approved.exit_code == 0, approved.output
    other = tmp_path / "other"  # main moves on: add() now concatenates; the branch's test breaks
    git(tmp_path, "clone", "-q", str(repo.origin), str(other))
    (other / "app" / "core.py").write_text(
        '"""Core."""\n\n\ndef add(a, b):\n    """Add."""\n    return [a, b]\n')
    (other / "tests" / "test_core.py").write_text(
        "from app.core import add\n\n\ndef test_add():\n    assert add(1, 2) == [1, 2]\n")
    git(other, "commit", "-qam", "add returns a pair")
    git(other, "push", "-q", "origin", "main")
    before = repo.origin_sha()
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b", "--format", "json")
    assert result.exit_code == 1, result.output
    assert '"checks.tests"' in result.output
    assert head not in git(repo.origin, "rev-list", "main").split()
    assert "Gatebot-Event: merge-failed" in git(repo.origin, "log", "-1", "--format=%B", "main")
    assert git(repo.origin, "rev-parse", "main^") == before


def test_merge_dry_run_reruns_the_checks_and_writes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_nox=True)
    repo.git("checkout", "-q", "-b", "task/4-a")
    repo.write("tests/test_alone.py", "import pathlib\n\n\ndef test_alone():\n"
               "    assert not pathlib.Path('b.txt').exists()\n")
    repo.commit("a test that fails once b.txt lands", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-a")
    approved = run_cli(repo.path, "review", "--approve", "--as", "rev-a")
    assert approved.exit_code == 0, approved.output
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(repo.origin), str(other))
    (other / "b.txt").write_text("b\n")
    git(other, "add", "b.txt")
    git(other, "commit", "-qm", "b")
    git(other, "push", "-q", "origin", "main")
    before = repo.origin_sha()
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b", "--dry-run",
                     "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    rules = rules_by_id(doc)
    assert rules["checks.tests"]["status"] == "fail"
    assert {f"checks.{name}" for name in REQUIRED} <= set(rules)
    assert "coverage" in rules
    assert "nothing pushed" in result.output
    assert repo.origin_sha() == before  # no push and no board commit


def test_stale_untracked_coverage_json_does_not_pass_without_a_tests_check(
        tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    repo.write(".gatebot.toml", "[checks]\nnox_sessions = []\n")  # minimum 80, no tests check
    repo.commit("no tests check")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-x")
    repo.write("README.md", "hi\n")
    repo.commit("docs")
    (repo.path / "coverage.json").write_text(STALE_REPORT)  # left over from an older run
    _, doc = verdict_of(repo)
    assert rules_by_id(doc)["coverage"]["status"] == "fail"


def test_stale_coverage_json_touched_into_the_future_is_ignored(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    quiet = [sys.executable, "-c", "pass"]  # a tests check that writes no report
    repo.write(".gatebot.toml", "[checks]\nnox_sessions = []\n"
               f"commands = {{ tests = {json.dumps(quiet)} }}\n")
    repo.commit("a tests check without coverage")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-x")
    repo.write("README.md", "hi\n")
    repo.commit("docs")
    stale = repo.path / "coverage.json"
    stale.write_text(STALE_REPORT)
    future = stale.stat().st_mtime + 3600
    os.utime(stale, (future, future))
    _, doc = verdict_of(repo)
    coverage = rules_by_id(doc)["coverage"]
    assert coverage["status"] == "fail", coverage
    assert "not written by this run's tests check" in coverage["summary"]
    assert stale.read_text() == STALE_REPORT  # the reviewer's file is left alone


def test_review_leaves_the_work_tree_as_it_found_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_nox=True)
    repo.write(".gitignore", "__pycache__/\n.nox/\n.coverage\n")  # coverage.json is not ignored
    repo.commit("ignore caches")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-x")
    repo.write("tests/test_more.py", "def test_more():\n    pass\n")
    repo.commit("more tests")
    before = repo.git("status", "--porcelain", "--untracked-files=all")
    code, doc = verdict_of(repo)
    assert code == 0, doc
    assert rules_by_id(doc)["coverage"]["status"] == "pass"  # the report was read
    assert repo.git("status", "--porcelain", "--untracked-files=all") == before
    assert not (repo.path / "coverage.json").exists()


def test_no_empty_log_folder_when_no_check_runs(repo: Repo, tmp_path: Path) -> None:
    repo.git("checkout", "-q", "-b", "task/4-x")
    repo.write("README.md", "hi\n")
    repo.commit("docs")
    code, _ = verdict_of(repo)
    assert code == 0
    assert not (tmp_path / "logs").exists()
