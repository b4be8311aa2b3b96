"""What a task is: its number is never reused, its branch is its own, its title reads back.

Real repositories with a bare origin (``tests.repos``), the real CLI.
"""

from __future__ import annotations

import os

import pytest

from gatebot.core.board import Board, headings
from tests.repos import TODO, Repo, git, make_repo, run_cli, run_process

TWO_IN_REVIEW = TODO.replace(
    "## ✅ RDY FOR PROD",
    "### #5 Other task\n**Built by**: builder-one\n**Cannot review**: builder-one\n\n"
    "## ✅ RDY FOR PROD",
)


def cli(repo: Repo, *args: str) -> str:
    result = run_cli(repo.path, *args)
    assert result.exit_code == 0, result.output
    return result.output


def build(repo: Repo, branch: str, rel: str) -> str:
    """Push ``branch`` (off origin/main) with one new file and a test; return its head."""
    repo.git("checkout", "-q", "-B", branch, "origin/main")
    repo.write(rel, '"""W."""\n')
    repo.write(f"tests/test_{abs(hash(rel)) % 1000}.py", "x = 1\n")
    head = repo.commit(f"work on {rel}", as_="builder-one")
    repo.git("push", "-q", "origin", branch)
    return head


# -- numbers are never reused -----------------------------------------------------------
def test_a_pruned_released_number_is_not_reused(tmp_path: os.PathLike[str]) -> None:
    """Release the highest task, prune it from TODO.md: the next task gets a new number."""
    board = TODO.replace("### #4 Twitter automation", "### #2 Twitter automation")
    repo = make_repo(tmp_path, todo=board)  # type: ignore[arg-type]
    build(repo, "task/2-twitter", "app/twitter.py")
    cli(repo, "review", "--approve", "--as", "rev-a")
    cli(repo, "merge", "--task", "2", "--as", "rev-b")
    repo.git("checkout", "-q", "-B", "main", "origin/main")
    todo = (repo.path / "TODO.md").read_text(encoding="utf-8")
    released = todo.index("### #2 ")
    repo.write("TODO.md", todo[:released] + todo[todo.index("\n\n", released) + 2:])
    repo.commit("prune released tasks")
    repo.git("push", "-q", "origin", "main")
    assert "#2" not in repo.origin_file("TODO.md")
    number = cli(repo, "task", "add", "A new task", "--as", "lead").split()[0]
    assert number == "3"
    message = git(repo.origin, "log", "-1", "--format=%B", "main")
    assert "Gatebot-Task: #3" in message
    cli(repo, "claim", "3", "--as", "builder-one")
    build(repo, "task/3-new", "app/new.py")
    cli(repo, "submit", "3", "--as", "builder-one")
    cli(repo, "review", "--approve", "--as", "rev-a")
    result = run_cli(repo.path, "merge", "--task", "3", "--as", "rev-b")
    assert result.exit_code == 0, result.output
    assert "already merged" not in result.output
    assert "app/new.py" in git(repo.origin, "ls-tree", "-r", "--name-only", "main")


# -- the branch under review is the task's own -----------------------------------------
def test_approving_another_tasks_branch_is_refused(tmp_path: os.PathLike[str]) -> None:
    repo = make_repo(tmp_path, todo=TWO_IN_REVIEW)  # type: ignore[arg-type]
    build(repo, "task/4-x", "app/four.py")
    before = repo.origin_sha()
    result = run_cli(repo.path, "review", "--approve", "--task", "5", "--as", "rev-a")
    assert result.exit_code == 1, result.output
    assert "task/4-x" in result.output
    assert "not task #5's" in result.output
    assert repo.origin_sha() == before
    cli(repo, "review", "--approve", "--task", "4", "--as", "rev-a")  # its own task: fine


def test_gate2_refuses_a_branch_of_another_task(tmp_path: os.PathLike[str]) -> None:
    repo = make_repo(tmp_path, todo=TWO_IN_REVIEW)  # type: ignore[arg-type]
    head = build(repo, "task/5-other", "app/five.py")
    cli(repo, "review", "--approve", "--as", "rev-a")
    repo.git("push", "-q", "origin", f"{head}:refs/heads/task/4-x")  # same head, task 4's name
    before = repo.origin_sha()
    result = run_cli(repo.path, "merge", "--task", "5", "--branch", "task/4-x", "--as", "rev-b")
    assert result.exit_code == 1, result.output
    assert "branch task/4-x is not task #5's" in result.output
    assert repo.origin_sha() == before
    cli(repo, "merge", "--task", "5", "--as", "rev-b")


# -- titles ----------------------------------------------------------------------------
@pytest.mark.parametrize("title", ["C# parser ##", "#", "##", "# not a heading", "a \\# b \\",
                                   "ends with #", "### #9 forged"])
def test_titles_with_hashes_read_back_exactly(repo: Repo, title: str) -> None:
    number = int(cli(repo, "task", "add", title, "--as", "lead").split()[0])
    todo = repo.origin_file("TODO.md")
    board = Board.parse(todo)
    assert board.task(number).title == title
    assert sorted(t.number for t in board.tasks) == [1, 4, number]  # no forged task
    assert sum(h.level == 3 for h in headings(todo)) == 3


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_an_empty_title_is_refused(repo: Repo, title: str) -> None:
    before = repo.origin_sha()
    result = run_cli(repo.path, "task", "add", title, "--as", "lead")
    assert result.exit_code == 2, result.output
    assert "title" in result.output
    assert repo.origin_sha() == before


def test_a_non_utf8_title_is_refused_at_add(repo: Repo) -> None:
    before = repo.origin_sha()
    title = os.fsdecode(b"caf\xe9 \xff")  # bytes that are not UTF-8, as a shell passes them
    result = run_process(repo.path, "task", "add", title, "--as", "lead")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "UTF-8" in result.stderr
    assert repo.origin_sha() == before
    claim = run_process(repo.path, "claim", "1", "--as", "agent-1",
                        env={"GATEBOT_CLAIMS__SETTLE": "[0, 0]"})
    assert claim.returncode == 0, claim.stderr
