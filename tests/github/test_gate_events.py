"""``gatebot gate`` inside GitHub Actions against the fake GitHub: comment commands, replays."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gatebot.core.github_model import parse_claim_comment
from tests.fakegithub import FakeGitHub
from tests.fakegithub.state import User
from tests.repos import git, run_cli, run_process

WEBHOOKS = Path(__file__).resolve().parent.parent / "fixtures" / "github" / "webhooks"


def _clone(fake: FakeGitHub, tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(fake.git_dir), str(clone))
    return clone


def comment_event(fake: FakeGitHub, tmp_path: Path, issue: int, body: str,
                  author: User) -> dict[str, str]:
    """The environment of a workflow run for ``author``'s comment ``body`` on ``issue``.

    The payload is GitHub's real ``issue_comment`` example with the fake's issue, author and
    clock; the job runs 30 s later and holds the bot's token, as ``GITHUB_TOKEN`` in Actions
    does.
    """
    data = json.loads((WEBHOOKS / "issue_comment.created.0.json").read_text(encoding="utf-8"))
    at = fake.clock.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
    data["issue"]["number"] = issue
    data["comment"].update(body=body, created_at=at, id=abs(hash((body, at))) % 10**9)
    data["comment"]["user"].update(login=author.login, id=author.id, type=author.type)
    path = tmp_path / f"event-{data['comment']['id']}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    ran = (fake.clock.now() + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    return {"GATEBOT_NOW": ran, "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/widgets",
            "GITHUB_API_URL": fake.url, "GITHUB_TOKEN": fake.bot.token,
            "GATEBOT_GITHUB_THROTTLE": "0", "GATEBOT_GITHUB_BOT_LOGIN": fake.bot.login,
            "GATEBOT_CLAIMS__SETTLE": "[0.05, 0.05]", "GITHUB_EVENT_NAME": "issue_comment",
            "GITHUB_EVENT_PATH": str(path)}


def _record(fake: FakeGitHub) -> object:
    [comment] = fake.state.comments.values()
    return parse_claim_comment(comment.body)


def test_comment_commands_act_for_the_comments_author_and_write_once(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    number = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    clone = _clone(fake_github, tmp_path)
    issue = fake_github.state.issues[number]
    fake_github.clock.set(datetime.now(UTC))
    steps = [
        ("/claim", lambda: (set(issue.labels), issue.assignees) == (
            {"status:in-progress", "claimed"}, [alice.id])),
        ("/heartbeat 40 parser done", lambda: getattr(_record(fake_github), "progress_percent",
                                                      None) == 40),
        ("/release", lambda: (issue.labels, issue.assignees, fake_github.state.comments) == (
            ["status:ready"], [], {})),
    ]
    for body, done in steps:
        fake_github.clock.advance(60)
        env = comment_event(fake_github, tmp_path, number, body, alice)
        result = run_cli(clone, "gate", env=env)
        assert result.exit_code == 0, result.output
        assert done(), (body, issue.labels, issue.assignees)
        if body == "/claim":
            record = _record(fake_github)
            assert getattr(record, "session_name", None) == "alice"
            assert getattr(record, "session_id", None) == f"github-{alice.id}"
        fake_github.reset_log()
        again = run_cli(clone, "gate", env=env)
        assert again.exit_code == 0, again.output
        assert [(r.method, r.path) for r in fake_github.writes()] == [], body
        assert "nothing to write" in again.stderr


def test_a_second_claimant_is_refused_and_the_first_keeps_the_task(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    bob = fake_github.add_user("bob", email="bob@example.com")
    number = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    clone = _clone(fake_github, tmp_path)
    first = run_cli(clone, "gate", env=comment_event(fake_github, tmp_path, number, "/claim",
                                                     alice))
    assert first.exit_code == 0, first.output
    fake_github.clock.advance(30)
    second = run_cli(clone, "gate", env=comment_event(fake_github, tmp_path, number,
                                                      "/claim", bob))
    assert second.exit_code == 1
    assert "alice" in second.stderr
    assert fake_github.state.issues[number].assignees == [alice.id]


def _event(fake: FakeGitHub, tmp_path: Path, name: str, data: dict[str, object]
           ) -> dict[str, str]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/widgets",
            "GITHUB_API_URL": fake.url, "GITHUB_TOKEN": fake.bot.token,
            "GATEBOT_GITHUB_THROTTLE": "0", "GATEBOT_GITHUB_BOT_LOGIN": fake.bot.login,
            "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path)}


def test_an_opened_issue_gets_status_ready_once(fake_github: FakeGitHub,
                                                tmp_path: Path) -> None:
    number = fake_github.create_issue("Parser", fake_github.owner)
    data = json.loads((WEBHOOKS / "issues.opened.15.json").read_text(encoding="utf-8"))
    data["issue"].update(number=number, labels=[])
    env = _event(fake_github, tmp_path, "issues", data)
    clone = _clone(fake_github, tmp_path)
    first = run_cli(clone, "gate", env=env)
    assert first.exit_code == 0, first.output
    assert fake_github.state.issues[number].labels == ["status:ready"]
    fake_github.reset_log()
    again = run_cli(clone, "gate", env=env)
    assert again.exit_code == 0, again.output
    assert fake_github.writes() == []
    assert "nothing to write: task #1 is in READY already" in again.stderr


def test_workflow_dispatch_sweeps_then_writes_the_board_from_github(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    number = fake_github.create_issue("Parser", fake_github.owner, labels=("status:review",))
    env = _event(fake_github, tmp_path, "workflow_dispatch", {"inputs": {}, "ref": "main"})
    clone = _clone(fake_github, tmp_path)
    result = run_cli(clone, "gate", env=env)
    assert result.exit_code == 0, result.output
    assert "no newly stale claims" in result.stderr
    assert "gatebot board sync: TODO.md on origin/main written in board commit" in result.stdout
    todo = git(fake_github.git_dir, "show", "main:TODO.md")
    assert f"### #{number} Parser" in todo.split("REVIEW", 1)[1], todo


def _replies(fake: FakeGitHub) -> list[str]:
    return [c.body for c in fake.state.comments.values()
            if c.user == fake.bot.id and "<!-- gatebot:reply " in c.body]


def test_a_refused_claim_is_answered_once_on_the_issue(fake_github: FakeGitHub,
                                                       tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    bob = fake_github.add_user("bob", email="bob@example.com")
    number = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    clone = _clone(fake_github, tmp_path)
    assert run_cli(clone, "gate", env=comment_event(fake_github, tmp_path, number, "/claim",
                                                    alice)).exit_code == 0
    fake_github.clock.advance(30)
    env = comment_event(fake_github, tmp_path, number, "/claim", bob)
    assert run_cli(clone, "gate", env=env).exit_code == 1
    [reply] = _replies(fake_github)
    assert reply.startswith("@bob `/claim` was not done: ") and "claimed by alice" in reply
    fake_github.reset_log()
    assert run_cli(clone, "gate", env=env).exit_code == 1  # the same event again
    assert fake_github.writes() == [] and len(_replies(fake_github)) == 1


def test_a_malformed_command_is_answered_with_the_reason(fake_github: FakeGitHub,
                                                         tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    number = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    env = comment_event(fake_github, tmp_path, number, "/heartbeat 150 *half* [x](y)", alice)
    result = run_cli(_clone(fake_github, tmp_path), "gate", env=env)
    assert result.exit_code == 1, result.output
    [reply] = _replies(fake_github)
    assert reply.startswith("@alice `/heartbeat` was not done: progress 150% is over 100")


def test_two_claims_racing_in_two_jobs_leave_one_holder(fake_github: FakeGitHub,
                                                        tmp_path: Path) -> None:
    """Two workflow runs (two processes) handle /claim by alice and bob at the same moment,
    with the default settle times: GitHub's order decides, at once."""
    users = [fake_github.add_user(n, email=f"{n}@example.com") for n in ("alice", "bob")]
    number = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    clone = _clone(fake_github, tmp_path)
    envs = []
    for user in users:
        fake_github.clock.advance(1)  # comments a second apart; the jobs run at once
        envs.append(comment_event(fake_github, tmp_path, number, "/claim", user))
        del envs[-1]["GATEBOT_CLAIMS__SETTLE"]
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda env: run_process(clone, "gate", env=env), envs))
    assert sorted(d.returncode for d in done) == [0, 1], [d.stderr for d in done]
    winner = users[[d.returncode for d in done].index(0)]
    assert fake_github.state.issues[number].assignees == [winner.id]
    records = [parse_claim_comment(c.body) for c in fake_github.state.comments.values()]
    assert [r.session_name for r in records if r] == [winner.login]
    assert all("checking for rival claims" not in d.stderr for d in done)


def test_a_claim_racing_a_stage_move_waits_for_the_move(fake_github: FakeGitHub,
                                                         tmp_path: Path) -> None:
    """Another job's ``set_stage`` adds the new stage label before removing the old one: a
    ``/claim`` that reads the issue in between sees two stage labels for a moment. It reads the
    issue again instead of stopping with exit 2; two labels that stay still stop it."""
    alice = fake_github.add_user("alice", email="alice@example.com")
    number = fake_github.create_issue("Limiter", fake_github.owner,
                                      labels=("status:ready", "status:in-progress"))
    clone = _clone(fake_github, tmp_path)
    env = comment_event(fake_github, tmp_path, number, "/claim", alice)
    issue = fake_github.state.issues[number]

    def finish_move() -> None:  # once the job has listed the issues with both labels
        listing = ("GET", "/repos/acme/widgets/issues")
        while True:  # the request after the listing is logged: the listing was answered
            done = [(r.method, r.path) for r in fake_github.requests]
            if listing in done[:-1]:
                break
            time.sleep(0.005)
        with fake_github.state.lock:
            issue.labels.remove("status:in-progress")

    mover = threading.Thread(target=finish_move, daemon=True)
    mover.start()
    done = run_process(clone, "gate", env=env)
    mover.join(timeout=5)
    assert done.returncode == 0, done.stderr
    assert issue.assignees == [alice.id]
    assert "status:in-progress" in issue.labels and "status:ready" not in issue.labels

    stuck = fake_github.create_issue("Cache", fake_github.owner,
                                     labels=("status:ready", "status:review"))
    done = run_process(clone, "gate", env=comment_event(fake_github, tmp_path, stuck, "/claim",
                                                        alice))
    assert done.returncode == 2, done.stderr
    assert "2 stage labels" in done.stderr
    assert fake_github.state.issues[stuck].assignees == []
