"""Approve and reject at gate 1: board commits on origin, reviewer exclusion, head binding."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gatebot.app.context import open_context
from gatebot.app.gate1 import approval_for
from tests.repos import GIT_ENV, TODO, Repo, make_repo, run_cli


def on_branch(repo: Repo, branch: str = "task/4-twitter", *, as_: str = "builder-one") -> str:
    repo.git("checkout", "-q", "-b", branch)
    repo.write("app/feature.py", '"""F."""\n\n\ndef f():\n    """F."""\n    return 1\n')
    repo.write("tests/test_feature.py", "def test_f():\n    pass\n")
    return repo.commit("feature", as_=as_)


def test_builder_approving_is_refused(repo: Repo) -> None:
    on_branch(repo)
    before = repo.origin_sha()
    result = run_cli(repo.path, "review", "--approve", "--as", "builder-one@example.com")
    assert result.exit_code == 1
    assert "reviewer" in result.output
    assert "author of" in result.output
    assert repo.origin_sha() == before


def test_claimant_named_on_board_is_refused(repo: Repo) -> None:
    on_branch(repo, as_="someone-else")
    result = run_cli(repo.path, "review", "--approve", "--as", "BUILDER-ONE")
    assert result.exit_code == 1
    assert "claimant" in result.output


def test_eligible_approval_moves_the_task_on_origin(repo: Repo) -> None:
    head = on_branch(repo)
    status_before = repo.git("status", "--porcelain")
    result = run_cli(repo.path, "review", "--approve", "--as", "reviewer-two")
    assert result.exit_code == 0, result.output
    todo = repo.origin_file("TODO.md")
    rdy = todo.split("## ✅ RDY FOR PROD")[1]
    assert "### #4 Twitter automation" in rdy
    assert "**Reviewed by (REVIEW)**: reviewer-two ✅" in rdy
    assert "**Cannot review**: builder-one, reviewer-two" in rdy
    assert "Free text that must survive." in rdy
    # only the moved block changed: the rest of the board is byte-identical
    assert todo.split("## 👀 REVIEW")[0] == TODO.split("## 👀 REVIEW")[0]
    log = repo.git("--git-dir", str(repo.origin), "log", "-1", "--format=%B", "main")
    assert "Gatebot-Task: #4" in log
    assert "Gatebot-Event: approved" in log
    assert f"Gatebot-Head: {head}" in log
    files = repo.git("--git-dir", str(repo.origin), "show", "--name-only", "--format=", "main")
    assert set(files.split()) <= {"TODO.md"} | {f for f in files.split() if "archive" in f}
    archive = [f for f in files.split() if f.startswith("coordination/archive/")]
    entry = repo.origin_file(archive[0])
    assert "- **Event**: approved" in entry
    assert f"- **Head**: {head}" in entry
    assert repo.git("status", "--porcelain") == status_before  # work tree untouched
    ctx = open_context(repo.path)
    assert approval_for(ctx, 4) == (head, "reviewer-two")


def test_approval_is_void_after_a_new_push(repo: Repo) -> None:
    on_branch(repo)
    assert run_cli(repo.path, "review", "--approve", "--as", "reviewer-two").exit_code == 0
    repo.write("app/feature.py", '"""F."""\n\n\ndef f():\n    """F."""\n    return 2\n')
    new_head = repo.commit("one more push")
    approved_head, _ = approval_for(open_context(repo.path), 4) or ("", "")
    assert approved_head != new_head
    # the void approval can be replaced from RDY FOR PROD, bound to the new head
    result = run_cli(repo.path, "review", "--approve", "--as", "reviewer-three")
    assert result.exit_code == 0, result.output
    assert approval_for(open_context(repo.path), 4) == (new_head, "reviewer-three")
    # while a standing approval for the current head may not be replaced
    again = run_cli(repo.path, "review", "--approve", "--as", "reviewer-four")
    assert again.exit_code == 1
    assert "not REVIEW" in again.output


def test_failing_verdict_refuses_approval(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "task/4-x")
    repo.write("app/untested.py", '"""U."""\n')
    repo.commit("no tests", as_="someone-else")
    before = repo.origin_sha()
    result = run_cli(repo.path, "review", "--approve", "--as", "reviewer-two")
    assert result.exit_code == 1
    assert "tests-present" in result.output
    assert repo.origin_sha() == before


def test_reject_moves_back_to_ready_and_records_why(repo: Repo) -> None:
    on_branch(repo)
    result = run_cli(repo.path, "review", "--reject", "no rate limiter\n### #99 forged",
                     "--as", "reviewer-two")
    assert result.exit_code == 0, result.output
    todo = repo.origin_file("TODO.md")
    ready = todo.split("## 🔨 IN-PROGRESS")[0]
    assert "### #4 Twitter automation" in ready
    assert "#99" not in todo
    archive = repo.git("--git-dir", str(repo.origin), "show", "--name-only", "--format=", "main")
    entry = repo.origin_file(archive.split()[-1])
    assert "- **Event**: rejected" in entry
    assert "no rate limiter" in entry
    assert "\n### #99" not in entry
    assert approval_for(open_context(repo.path), 4) is None


@pytest.mark.parametrize(
    ("todo", "line", "words"),
    [
        ("# T\n\n### #4 Orphan\n\n## READY\n", 3, "not inside a level-2 section"),
        ("## READY\n\n### #4 A\n\n## REVIEW\n\n### #4 B\n", 7, "#4"),
        ("## READY\n\n### #1 A\n", None, "no task #4"),
    ],
)
def test_board_gatebot_cannot_read_exits_2_and_writes_nothing(
    tmp_path: Path, todo: str, line: int | None, words: str
) -> None:
    repo = make_repo(tmp_path, todo=todo)
    on_branch(repo)
    before = repo.origin_sha()
    result = run_cli(repo.path, "review", "--approve", "--task", "4", "--as", "reviewer-two")
    assert result.exit_code == 2, result.output
    assert words in result.output
    if line is not None:
        assert f"TODO.md:{line}" in result.output
    assert repo.origin_sha() == before


def test_two_approvals_at_once_both_land(tmp_path: Path) -> None:
    todo = TODO.replace("## ✅ RDY FOR PROD", "### #5 Second\n**Built by**: builder-one\n\n"
                        "## ✅ RDY FOR PROD")
    repo = make_repo(tmp_path, todo=todo)
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(repo.origin), str(other)], check=True,
                   env={**GIT_ENV, "PATH": "/usr/bin:/bin"})
    on_branch(repo, "task/4-a")
    second = Repo(other, repo.origin)
    on_branch(second, "task/5-b")
    procs = [
        subprocess.Popen([sys.executable, "-m", "gatebot", "review", "--approve", "--as", who],
                         cwd=path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for path, who in ((repo.path, "rev-a"), (other, "rev-b"))
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    rdy = repo.origin_file("TODO.md").split("## ✅ RDY FOR PROD")[1]
    assert "### #4" in rdy
    assert "### #5" in rdy


def test_approval_with_uncommitted_changes_is_refused_before_checks(repo: Repo) -> None:
    on_branch(repo)
    repo.write("app/feature.py", '"""Changed but not committed."""\n')
    before = repo.origin_sha()
    result = run_cli(repo.path, "review", "--approve", "--as", "reviewer-two")
    assert result.exit_code == 1
    assert "uncommitted changes" in result.output
    assert "verdict:" not in result.output  # refused before any rule ran
    assert repo.origin_sha() == before
