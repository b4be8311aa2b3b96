"""``gatebot board sync`` against the fake GitHub: TODO.md from live labels and claims."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from gatebot.adapters.github import claims
from gatebot.adapters.github.claims import ClaimRequest
from gatebot.core.board import Board, Stage
from tests.fakegithub import FakeGitHub
from tests.github.helpers import conn, person
from tests.repos import git, run_cli

BOARD = """# TODO

## 🟢 READY

### #1 Rate limiter
**Priority**: normal

Notes kept byte for byte.

## IN-PROGRESS

## REVIEW
"""


def _env(fake: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_API_URL": fake.url, "GITHUB_REPOSITORY": "acme/widgets",
            "GITHUB_TOKEN": fake.owner.token, "GATEBOT_GITHUB_THROTTLE": "0",
            "GATEBOT_GITHUB_BOT_LOGIN": fake.bot.login}


def _board(fake: FakeGitHub) -> str:
    return git(fake.git_dir, "show", "main:TODO.md")


def test_board_sync_writes_the_live_state_once(fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.clock.set(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    fake_github.push_commit("main", {"TODO.md": BOARD}, "Board", fake_github.owner)
    alice = fake_github.add_user("alice", email="alice@example.com")
    one = fake_github.create_issue("Rate limiter", fake_github.owner, labels=("status:ready",))
    two = fake_github.create_issue("Parser", fake_github.owner, labels=("status:ready",))
    three = fake_github.create_issue("Fix # crash", fake_github.owner,
                                     labels=("status:review", "critical"))
    fake_github.create_issue("Not a task", fake_github.owner)
    claims.claim(conn(fake_github, fake_github.bot), ClaimRequest(two, person(alice)),
                 fake_github.bot.id)
    fake_github.push_commit("task/3-crash", {"c.py": "c\n"}, "C", alice)
    pr = fake_github.create_pull("task/3-crash", alice)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(fake_github.git_dir), str(clone))
    before = git(fake_github.git_dir, "rev-parse", "main")
    result = run_cli(clone, "board", "sync", env=_env(fake_github))
    assert result.exit_code == 0, result.output
    assert "written in board commit" in result.output
    board = Board.parse(_board(fake_github))
    assert [(t.number, t.stage) for t in board.tasks] == [
        (one, Stage.READY), (two, Stage.IN_PROGRESS), (three, Stage.REVIEW)]
    assert board.task(two).fields["Assignee"] == "alice"
    assert board.task(two).fields["Started"] == "2026-03-01T10:00:00Z"
    assert board.task(three).fields["PR"] == f"#{pr}"
    assert board.task(three).fields["Priority"] == "critical"
    assert board.task(three).title == "Fix # crash"
    assert "Notes kept byte for byte.\n" in _board(fake_github)
    assert git(fake_github.git_dir, "rev-list", "--count", f"{before}..main") == "1"
    assert "Gatebot-Event: board-sync" in git(fake_github.git_dir, "log", "-1", "--format=%B",
                                              "main")
    again = run_cli(clone, "board", "sync", env=_env(fake_github))
    assert again.exit_code == 0, again.output
    assert "already in line with GitHub" in again.output
    assert git(fake_github.git_dir, "rev-list", "--count", f"{before}..main") == "1"
