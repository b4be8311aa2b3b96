"""gatebot-publish.yml's publish job against the fake GitHub: the verdict artifact end to end.

The unprivileged side is played as gatebot-pr.yml plays it: the real ``gatebot review
--format json`` on the pull request's head in a clone, and ``event.json`` as its shell step
writes it. The privileged side is the real ``gatebot gate`` on a ``workflow_run`` payload
shaped like GitHub's, with the artifact's directory in ``GATEBOT_VERDICT``. A forged artifact
(another commit, another pull request) posts nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from gatebot.core.github_model import STICKY_MARKER
from tests.fakegithub import FakeGitHub
from tests.repos import NO_CHECKS, git, run_cli

BRANCH = "task/1-limiter"


@dataclass
class Pr:
    """Task 1's pull request, its head, and the directory gatebot-pr.yml's artifact is in."""

    fake: FakeGitHub
    number: int
    task: int
    head: str
    artifact: Path
    clone: Path


def _gate_one_run(fake: FakeGitHub, tmp_path: Path) -> Pr:
    alice = fake.add_user("alice", email="alice@example.com")
    fake.push_commit("main", {".gatebot.toml": NO_CHECKS}, "Config", fake.owner)
    task = fake.create_issue("Rate limiter", fake.owner, labels=("status:review",))
    head = fake.push_commit(BRANCH, {"notes/limiter.md": "# Limiter\n"}, "Add notes", alice)
    number = fake.create_pull(BRANCH, alice, body=f"Closes #{task}")
    clone = tmp_path / "pr-job"
    git(tmp_path, "clone", "-q", str(fake.git_dir), str(clone))
    git(clone, "checkout", "-q", head)
    review = run_cli(clone, "review", "--base", "main", "--format", "json")
    assert review.exit_code == 0, review.output
    artifact = tmp_path / "gatebot-verdict"
    artifact.mkdir()
    (artifact / "verdict.json").write_text(review.output, encoding="utf-8")
    _event_json(artifact, number, head)
    return Pr(fake, number, task, head, artifact, clone)


def _event_json(artifact: Path, number: int, head: str, action: str | None = None) -> None:
    said = {"action": action} if action else {}
    (artifact / "event.json").write_text(json.dumps(
        {"pull_request": number, "head_sha": head, "exit_code": 0, **said}), encoding="utf-8")


@pytest.fixture
def pr(fake_github: FakeGitHub, tmp_path: Path) -> Pr:
    """A pull request whose gatebot-pr.yml run passed and uploaded its artifact."""
    return _gate_one_run(fake_github, tmp_path)


PUBLISH_RUN = 9001
"""The publish job's own run id (``GITHUB_RUN_ID``) in these tests."""


def _publish(pr: Pr, tmp_path: Path, *, pulls: tuple[int, ...] | None = None,
             head: str | None = None, workflow: str = "gatebot-pr.yml",
             artifact: bool = True, actor: str = "alice",
             publish_run: int = PUBLISH_RUN) -> tuple[int, str]:
    """``gatebot gate`` in the publish job for the run that tested ``head`` (exit, output);
    ``actor``: who started the run; ``publish_run``: the publish job's own run id."""
    pusher = pr.fake.state.user_by_login(actor)
    assert pusher is not None
    sha = head or pr.head
    listed = [pr.number] if pulls is None else list(pulls)
    repo = {"full_name": "acme/widgets"}
    payload = {"action": "completed", "workflow_run": {
        "id": 4242, "name": "gatebot-pr", "path": f".github/workflows/{workflow}",
        "event": "pull_request", "status": "completed", "conclusion": "success",
        "head_sha": sha, "head_branch": BRANCH, "head_repository": repo, "repository": repo,
        "html_url": "https://github.com/acme/widgets/actions/runs/4242",
        "actor": {"login": pusher.login, "id": pusher.id, "type": "User"},
        "pull_requests": [{"number": n, "head": {"ref": BRANCH, "sha": sha},
                           "base": {"ref": "main", "sha": "0" * 40}} for n in listed]}}
    event = tmp_path / "workflow_run.json"
    event.write_text(json.dumps(payload), encoding="utf-8")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/widgets",
           "GITHUB_API_URL": pr.fake.url, "GITHUB_TOKEN": pr.fake.bot.token,
           "GATEBOT_GITHUB_THROTTLE": "0", "GATEBOT_GITHUB_BOT_LOGIN": pr.fake.bot.login,
           "GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": str(event),
           "GATEBOT_VERDICT": str(pr.artifact) if artifact else "",
           "GITHUB_RUN_ID": str(publish_run)}
    result = run_cli(pr.clone, "gate", env=env)
    assert pr.fake.bot.token not in result.output
    return result.exit_code, result.output


def _stickies(fake: FakeGitHub) -> list[str]:
    return [c.body for c in fake.state.comments.values() if STICKY_MARKER in c.body]


def test_the_publish_job_posts_the_check_run_comment_and_label(pr: Pr, tmp_path: Path) -> None:
    carol = pr.fake.add_user("carol")
    pr.fake.client(carol).get_repo("acme/widgets").get_pull(pr.number).create_review(
        event="APPROVE")
    code, output = _publish(pr, tmp_path)
    assert code == 0, output
    assert f"gate 1 pass on pull request #{pr.number}" in output
    [run] = pr.fake.state.check_runs.values()
    assert (run.name, run.head_sha, run.conclusion) == ("gatebot/gate-1", pr.head, "success")
    [sticky] = _stickies(pr.fake)
    assert "Gate 1 approved by @carol" in sticky
    assert pr.fake.state.issues[pr.task].labels == ["status:rdy-for-prod"]
    pr.fake.reset_log()
    code, output = _publish(pr, tmp_path)  # the run re-run: nothing new to write
    assert code == 0, output
    assert pr.fake.writes() == []


def test_the_runs_actor_pushed_the_head_and_cannot_approve_it(pr: Pr, tmp_path: Path) -> None:
    """carol pushed the head the run tested (the run's actor), with alice's name on the
    commit: her approval does not count, and the check run records her as its pusher."""
    carol = pr.fake.add_user("carol")
    pr.fake.client(carol).get_repo("acme/widgets").get_pull(pr.number).create_review(
        event="APPROVE")
    code, output = _publish(pr, tmp_path, actor="carol")
    assert code == 0, output
    [run] = pr.fake.state.check_runs.values()
    assert f" pushers={carol.id}/carol " in run.external_id, run.external_id
    assert pr.fake.state.issues[pr.task].labels == ["status:review"]


def test_a_verdict_about_another_commit_is_refused(pr: Pr, tmp_path: Path) -> None:
    _event_json(pr.artifact, pr.number, "1" * 40)
    code, output = _publish(pr, tmp_path)
    assert code == 2, output
    assert "about another commit" in output
    assert pr.fake.writes() == [] and pr.fake.state.check_runs == {}


def test_an_artifact_naming_another_pull_request_is_refused(pr: Pr, tmp_path: Path) -> None:
    bob = pr.fake.add_user("bob")
    pr.fake.push_commit("task/2-other", {"other.md": "x\n"}, "Other", bob)
    other = pr.fake.create_pull("task/2-other", bob)
    _event_json(pr.artifact, other, pr.head)  # the change's code names a victim's PR
    code, output = _publish(pr, tmp_path)
    assert code == 2, output
    assert f"names pull request #{other}, the run was for #{pr.number}" in output
    code, output = _publish(pr, tmp_path, pulls=())  # a fork's run lists no pull requests
    assert code == 2, output
    assert f"pull request #{other}'s head is" in output
    assert pr.fake.writes() == [] and pr.fake.state.check_runs == {} and not _stickies(pr.fake)


def test_an_artifact_naming_the_same_head_into_another_branch_is_refused(
        pr: Pr, tmp_path: Path) -> None:
    """Same head commit and repository, but into ``release``: judged by another branch's rules."""
    pr.fake.push_commit("release", {"RELEASE.md": "x\n"}, "Release branch", pr.fake.owner)
    other = pr.fake.create_pull(BRANCH, pr.fake.owner, base="release")
    _event_json(pr.artifact, other, pr.head)
    for listed in ((pr.number, other), ()):  # GitHub lists every pull request of the branch
        code, output = _publish(pr, tmp_path, pulls=listed)
        assert code == 2, output
        assert f"#{other} is into the branch release, not main" in output
    assert pr.fake.writes() == [] and pr.fake.state.check_runs == {} and not _stickies(pr.fake)


def test_an_artifact_naming_a_pull_request_that_does_not_exist_is_refused(
        pr: Pr, tmp_path: Path) -> None:
    _event_json(pr.artifact, 999, pr.head)
    code, output = _publish(pr, tmp_path, pulls=())
    assert code == 2, output
    assert "#999, which does not exist" in output
    assert pr.fake.writes() == []


def test_a_malformed_artifact_is_refused(pr: Pr, tmp_path: Path) -> None:
    verdict = json.loads((pr.artifact / "verdict.json").read_text(encoding="utf-8"))
    verdict["rules"][0]["findings"] = [{"path": "../../etc/passwd", "message": "x"}]
    (pr.artifact / "verdict.json").write_text(json.dumps(verdict), encoding="utf-8")
    code, output = _publish(pr, tmp_path)
    assert code == 2, output
    assert "verdict.json is not valid" in output
    assert pr.fake.writes() == []


def test_other_workflow_runs_are_nothing_to_do(pr: Pr, tmp_path: Path) -> None:
    code, output = _publish(pr, tmp_path, workflow="gatebot-staging.yml")
    assert code == 0, output
    assert "nothing to do" in output and "gatebot land" in output
    assert pr.fake.requests == []


def test_without_the_artifact_directory_the_job_says_what_to_set(pr: Pr, tmp_path: Path) -> None:
    code, output = _publish(pr, tmp_path, artifact=False)
    assert code == 2, output
    assert "GATEBOT_VERDICT is not set" in output and "download-artifact" in output
    assert pr.fake.requests == []


def test_a_failed_verdict_is_posted_and_exits_1(pr: Pr, tmp_path: Path) -> None:
    verdict = json.loads((pr.artifact / "verdict.json").read_text(encoding="utf-8"))
    verdict["rules"][0].update(status="fail", findings=[{"path": "a.py", "line": 3,
                                                          "message": "too long"}])
    verdict["verdict"] = "fail"
    (pr.artifact / "verdict.json").write_text(json.dumps(verdict), encoding="utf-8")
    code, output = _publish(pr, tmp_path)
    assert code == 1, output
    assert "posted as a check run" in output
    [run] = pr.fake.state.check_runs.values()
    assert run.conclusion == "failure"
    assert pr.fake.state.issues[pr.task].labels == ["status:review"]
