"""The github forge behind the ordinary commands: ``--forge github`` against the fake GitHub."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gatebot.app.context import open_context
from gatebot.app.github_forge import github_forge
from gatebot.core import transitions
from gatebot.core.github_model import parse_claim_comment
from gatebot.core.transitions import TaskState, Transition
from tests.fakegithub import FakeGitHub
from tests.repos import git, run_cli


def _clone(fake: FakeGitHub, tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(fake.git_dir), str(clone))
    git(clone, "config", "user.email", "alice@example.com")
    git(clone, "config", "user.name", "Alice")
    return clone


def _env(fake: FakeGitHub, token: str) -> dict[str, str]:
    """The environment of a command run with ``token``: a user's token is gatebot's own
    account (its claims count), the bot's is named by ``GATEBOT_GITHUB_BOT_LOGIN``."""
    env = {"GITHUB_API_URL": fake.url, "GITHUB_REPOSITORY": "acme/widgets",
           "GITHUB_TOKEN": token, "GATEBOT_GITHUB_THROTTLE": "0",
           "GATEBOT_CLAIMS__SETTLE": "[0.05, 0.05]"}
    if token == fake.bot.token:
        env["GATEBOT_GITHUB_BOT_LOGIN"] = fake.bot.login
    return env


def test_claim_submit_and_release_through_the_commands(fake_github: FakeGitHub,
                                                       tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    number = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    clone = _clone(fake_github, tmp_path)
    env = _env(fake_github, alice.token)
    claimed = run_cli(clone, "claim", str(number), "--forge", "github", "--as", "alice", env=env)
    assert claimed.exit_code == 0, claimed.output
    issue = fake_github.state.issues[number]
    assert set(issue.labels) == {"status:in-progress", "claimed"}
    assert issue.assignees == [alice.id]
    [comment] = fake_github.state.comments.values()
    record = parse_claim_comment(comment.body)
    assert record is not None and record.session_id == f"github-{alice.id}"
    listed = run_cli(clone, "task", "list", "--forge", "github", env=env)
    assert listed.exit_code == 0, listed.output
    assert "Limiter" in listed.output and "alice" in listed.output
    beat = run_cli(clone, "heartbeat", str(number), "--progress", "40", "--forge", "github",
                   "--as", "alice", env=env)
    assert beat.exit_code == 0, beat.output
    beaten = parse_claim_comment(next(iter(fake_github.state.comments.values())).body)
    assert beaten is not None and (beaten.heartbeat_count, beaten.progress_percent) == (1, 40)
    released = run_cli(clone, "release", str(number), "--forge", "github", "--as", "alice",
                       env=env)
    assert released.exit_code == 0, released.output
    assert issue.labels == ["status:ready"] and issue.assignees == []
    assert fake_github.state.comments == {}


def test_task_add_opens_an_issue(fake_github: FakeGitHub, tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    clone = _clone(fake_github, tmp_path)
    added = run_cli(clone, "task", "add", "Parser", "--critical", "--forge", "github",
                    "--as", "alice", env=_env(fake_github, alice.token))
    assert added.exit_code == 0, added.output
    [issue] = fake_github.state.issues.values()
    assert (issue.title, set(issue.labels)) == ("Parser", {"status:ready", "critical"})


def test_submit_moves_the_issue_to_review(fake_github: FakeGitHub, tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    number = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    clone = _clone(fake_github, tmp_path)
    env = _env(fake_github, alice.token)
    assert run_cli(clone, "claim", str(number), "--forge", "github", "--as", "alice",
                   env=env).exit_code == 0
    fake_github.push_commit(f"task/{number}-limiter", {"lib.py": "x = 1\n"}, "Add", alice)
    submitted = run_cli(clone, "submit", str(number), "--branch", f"task/{number}-limiter",
                        "--forge", "github", "--as", "alice", env=env)
    assert submitted.exit_code == 0, submitted.output
    assert set(fake_github.state.issues[number].labels) == {"status:review", "claimed"}
    refused = run_cli(clone, "claim", str(number), "--forge", "github", "--as", "alice", env=env)
    assert refused.exit_code == 1


def test_sweep_flags_a_stale_claim_once(fake_github: FakeGitHub, tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    number = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    fake_github.clock.set(datetime.now(UTC) - timedelta(minutes=45))
    clone = _clone(fake_github, tmp_path)
    env = _env(fake_github, alice.token)
    assert run_cli(clone, "claim", str(number), "--forge", "github", "--as", "alice",
                   env=env).exit_code == 0
    fake_github.clock.set(datetime.now(UTC))
    swept = run_cli(clone, "sweep", "--forge", "github", env=env)
    assert swept.exit_code == 0, swept.output
    assert "stale" in fake_github.state.issues[number].labels, swept.output
    notices = [c.body for c in fake_github.state.comments.values() if c.body.startswith("⏰")]
    assert len(notices) == 1 and f"gatebot release {number} --force" in notices[0]
    fake_github.reset_log()
    again = run_cli(clone, "sweep", "--forge", "github", env=env)
    assert again.exit_code == 0, again.output
    assert fake_github.writes() == []


def test_an_opened_issue_becomes_a_ready_task(fake_github: FakeGitHub, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    number = fake_github.create_issue("Parser", fake_github.owner)
    clone = _clone(fake_github, tmp_path)
    for name, value in _env(fake_github, fake_github.bot.token).items():
        monkeypatch.setenv(name, value)
    ctx = open_context(clone)
    forge = github_forge(ctx.config, ctx.files)
    now = datetime.now(UTC)

    def decide(state: TaskState) -> Transition:
        decided = transitions.opened(state.task, now)
        assert decided is not None
        return decided

    forge.apply(number, decide)
    assert fake_github.state.issues[number].labels == ["status:ready"]


def test_sweep_judges_staleness_by_the_servers_clock(fake_github: FakeGitHub,
                                                     tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    number = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    claimed = datetime.now(UTC) - timedelta(minutes=30)
    fake_github.clock.set(claimed)  # GitHub's clock runs 30 minutes behind this machine's
    clone = _clone(fake_github, tmp_path)
    env = _env(fake_github, alice.token)
    assert run_cli(clone, "claim", str(number), "--forge", "github", "--as", "alice",
                   env=env).exit_code == 0
    fake_github.clock.set(claimed + timedelta(minutes=5))
    swept = run_cli(clone, "sweep", "--forge", "github", env=env)
    assert swept.exit_code == 0, swept.output
    assert "no newly stale claims" in swept.output  # 5 minutes by GitHub, 30 by this machine
    assert "stale" not in fake_github.state.issues[number].labels
    fake_github.clock.set(claimed + timedelta(minutes=45))  # now GitHub runs 15 minutes ahead
    swept = run_cli(clone, "sweep", "--forge", "github", env=env)
    assert swept.exit_code == 0, swept.output
    assert "stale" in fake_github.state.issues[number].labels, swept.output


def test_a_claim_on_github_waits_for_no_settle_time(fake_github: FakeGitHub,
                                                    tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    number = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    env = _env(fake_github, alice.token)
    del env["GATEBOT_CLAIMS__SETTLE"]  # the default: 10 s and 5 s for claims in git
    claimed = run_cli(_clone(fake_github, tmp_path), "claim", str(number), "--forge", "github",
                      "--as", "alice", env=env)
    assert claimed.exit_code == 0, claimed.output
    assert "checking for rival claims" not in claimed.output  # GitHub's order decides at once
    assert fake_github.state.issues[number].assignees == [alice.id]
