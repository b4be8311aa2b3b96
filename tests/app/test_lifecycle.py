"""The whole lifecycle from the CLI on a repository with a bare origin (SPEC §2, §7, §8)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.repos import GIT_ENV, Repo, git, make_repo, run_cli

EMPTY_BOARD = ("# TODO\n\n## READY\n\n## IN-PROGRESS\n\n## REVIEW\n\n## RDY FOR PROD\n\n"
               "## RELEASED\n")
CONFIG = ("min_coverage = 0\n[checks]\nnox_sessions = []\nrequired = []\n[claims]\nsettle = [0, 0]\n"
          "maintainers = ['maint']\n")


@pytest.fixture
def board_repo(tmp_path: Path) -> Repo:
    repo = make_repo(tmp_path, todo=EMPTY_BOARD)
    repo.write(".gatebot.toml", CONFIG)
    repo.commit("config")
    repo.git("push", "-q", "origin", "main")
    return repo


def cli(repo: Repo, *args: str, env: dict[str, str] | None = None) -> str:
    result = run_cli(repo.path, *args, env=env)
    assert result.exit_code == 0, result.output
    return result.output


def section(repo: Repo, name: str) -> str:
    todo = repo.origin_file("TODO.md")
    return todo.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]


def test_whole_lifecycle_from_the_cli(board_repo: Repo) -> None:
    repo = board_repo
    number = cli(repo, "task", "add", "Rate limiter\n### #9 forged", "--files", "app/*.py",
                 "--as", "lead").split()[0]
    assert number == "1"
    assert "### #1 Rate limiter \\#\\#\\# \\#9 forged" in section(repo, "READY")  # escaped
    cli(repo, "claim", "1", "--as", "agent-1")
    assert "**Assignee**: agent-1" in section(repo, "IN-PROGRESS")
    repo.git("checkout", "-q", "-b", "task/1-rate-limiter", "origin/main")
    repo.write("app/limiter.py", '"""Limiter."""\n')
    repo.write("tests/test_limiter.py", "def test_x():\n    pass\n")
    repo.commit("limiter", as_="agent-1")
    repo.git("push", "-q", "origin", "task/1-rate-limiter")
    cli(repo, "submit", "1", "--as", "agent-1")
    assert "**Branch**: task/1-rate-limiter" in section(repo, "REVIEW")
    cli(repo, "review", "--approve", "--as", "agent-2")
    assert "**Reviewed by (REVIEW)**: agent-2 ✅" in section(repo, "RDY FOR PROD")
    cli(repo, "merge", "--task", "1", "--as", "agent-3")
    released = section(repo, "RELEASED")
    assert "**Cannot review**: agent-1, agent-2, agent-3" in released
    assert repo.origin_file("app/limiter.py") == '"""Limiter."""'
    events = git(repo.origin, "log", "--format=%(trailers:key=Gatebot-Event,valueonly)", "main")
    assert [e for e in events.split() if e] == [
        "released", "approved", "submitted", "claimed", "added"]


def test_claim_of_a_claimed_task_names_the_holder(board_repo: Repo) -> None:
    cli(board_repo, "task", "add", "One", "--as", "lead")
    cli(board_repo, "claim", "1", "--as", "agent-1")
    result = run_cli(board_repo.path, "claim", "1", "--as", "agent-2")
    assert result.exit_code == 1
    assert "claimed by agent-1 since" in result.output


def test_eight_processes_claiming_one_task_one_holder(board_repo: Repo) -> None:
    cli(board_repo, "task", "add", "Contended", "--as", "lead")
    procs = [subprocess.Popen([sys.executable, "-m", "gatebot", "claim", "1", "--as",
                               f"agent-{i}"], cwd=board_repo.path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, **GIT_ENV})
             for i in range(8)]
    outs = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    winners = [i for i, (code, _) in enumerate(outs) if code == 0]
    assert len(winners) == 1, outs
    holder = f"agent-{winners[0]}"
    for code, err in outs:
        if code != 0:
            assert code == 1, err
            assert holder in err, err
    assert f"**Assignee**: {holder}" in section(board_repo, "IN-PROGRESS")
    status = json.loads(cli(board_repo, "status", "--format", "json"))
    assert [c["session"] for c in status["claims"]] == [holder]


def test_stale_claim_is_flagged_once_and_held_until_forced(board_repo: Repo) -> None:
    repo = board_repo
    cli(repo, "task", "add", "Crashy", "--as", "lead")
    cli(repo, "claim", "1", "--as", "agent-1")
    cli(repo, "heartbeat", "--progress", "40", "--note", "halfway", "--as", "agent-1")
    later = {"GATEBOT_NOW": "2099-01-01T00:00:00Z"}
    status = json.loads(cli(repo, "status", "--format", "json", env=later))
    assert status["claims"][0]["stale"] is True
    assert status["claims"][0]["progress_percent"] == 40
    cli(repo, "sweep", env=later)
    cli(repo, "sweep", env=later)
    archive = [p for p in git(repo.origin, "ls-tree", "-r", "--name-only", "main").split()
               if p.startswith("coordination/archive/")]
    text = "".join(repo.origin_file(p) for p in archive)
    assert text.count("- **Event**: stale") == 1
    assert "**Labels**: stale" in section(repo, "IN-PROGRESS")
    refused = run_cli(repo.path, "release", "1", "--force", "--as", "agent-2", env=later)
    assert refused.exit_code == 1
    assert "not a maintainer" in refused.output
    cli(repo, "release", "1", "--force", "--reason", "agent crashed", "--as", "maint", env=later)
    assert "### #1 Crashy" in section(repo, "READY")
    text = "".join(repo.origin_file(p) for p in archive)
    assert "- **Event**: force-released" in text
    assert "- **Reason**: agent crashed" in text
    status = json.loads(cli(repo, "status", "--format", "json", env=later))
    assert status["claims"] == []


def test_holder_releases_and_status_markdown_is_written(board_repo: Repo) -> None:
    repo = board_repo
    cli(repo, "task", "add", "Small", "--as", "lead")
    cli(repo, "claim", "1", "--files", "app/*.py", "--as", "agent-1")
    cli(repo, "status", "--write", "STATUS_BOARD.md")
    board = (repo.path / "STATUS_BOARD.md").read_text()
    assert "agent-1" in board
    assert "app/\\*.py" in board or "app/*.py" in board
    cli(repo, "release", "1", "--as", "agent-1")
    assert "### #1 Small" in section(repo, "READY")


def test_without_a_remote_a_checked_out_base_follows_the_board(tmp_path: Path) -> None:
    work = tmp_path / "solo"
    git(tmp_path, "init", "-q", "-b", "main", str(work))
    (work / "TODO.md").write_text(EMPTY_BOARD)
    (work / ".gatebot.toml").write_text(CONFIG)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "start")
    result = run_cli(work, "task", "add", "Hello", "--as", "lead")
    assert result.exit_code == 0, result.output
    assert git(work, "status", "--porcelain") == ""  # nothing staged against the new commit
    assert "### #1 Hello" in (work / "TODO.md").read_text()
    assert git(work, "log", "-1", "--format=%s") == "gatebot: add a task"
