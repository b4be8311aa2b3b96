"""``gatebot gate`` on ``pull_request_review`` events against the fake GitHub.

Real PyGithub over real HTTP, a real clone of the fake's repository, payloads shaped like
GitHub's (tests/fixtures/github/webhooks/). The payload names the pull request only: what
counts is read back from the fake.
"""

from __future__ import annotations

import copy
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gatebot.core.github_model import STICKY_MARKER
from tests.fakegithub.server import FakeGitHub
from tests.fakegithub.state import User
from tests.repos import NO_CHECKS, git, run_cli

REPO = "acme/widgets"
BRANCH = "task/1-limiter"
WEBHOOKS = Path(__file__).parents[1] / "fixtures" / "github" / "webhooks"
TODO = textwrap.dedent("""\
    # 📋 TODO

    ## 🟢 READY

    ## 🔨 IN-PROGRESS

    ## 👀 REVIEW

    ### #1 Rate limiter
    **Assignee**: bob
    **Branch**: task/1-limiter

    ## ✅ RDY FOR PROD

    ## 🚀 RELEASED
    """)


@dataclass
class Pull:
    """Task #1 in REVIEW, claimed by bob, pull request ``number`` by alice at ``head``."""

    fake: FakeGitHub
    work: Path
    number: int
    head: str
    tmp: Path

    def approve(self, user: User) -> dict[str, str]:
        """``user`` approves the head on GitHub; the env of the review event's job."""
        pull = self.fake.client(user).get_repo(REPO).get_pull(self.number)
        review = pull.create_review(commit=pull.base.repo.get_commit(self.head), event="APPROVE")
        return self.event(review.id, user)

    def event(self, review_id: int, user: User) -> dict[str, str]:
        """The job's environment for ``pull_request_review`` submitted by ``user``."""
        payload = review_payload(self.number, self.head, review_id, user)
        path = self.tmp / f"review-{review_id}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        return actions_env(self.fake, "pull_request_review", path)

    def gate(self, env: dict[str, str]) -> tuple[int, str]:
        """Run ``gatebot gate`` in the job's clone; (exit code, output)."""
        git(self.work, "pull", "-q", "--ff-only")
        result = run_cli(self.work, "gate", env=env)
        return result.exit_code, result.output

    def labels(self) -> list[str]:
        """Task #1's labels on the fake."""
        return self.fake.state.issues[1].labels

    def sticky(self) -> str:
        """The bot's sticky comment on the pull request."""
        [body] = [c.body for c in self.fake.state.comments.values() if STICKY_MARKER in c.body]
        return body


def review_payload(pull: int, head: str, review_id: int, user: User,
                   state: str = "approved") -> dict[str, Any]:
    """GitHub's ``pull_request_review`` submitted payload (the fixture's shape) for one review."""
    data: dict[str, Any] = copy.deepcopy(json.loads(
        (WEBHOOKS / "pull_request_review.submitted.0.json").read_text(encoding="utf-8")))
    who = {**data["review"]["user"], "login": user.login, "id": user.id,
           "type": "Bot" if user.is_bot else "User"}
    data["review"].update(id=review_id, user=who, state=state, commit_id=head)
    data["pull_request"].update(number=pull)
    data["pull_request"]["head"].update(sha=head, ref=BRANCH)
    data["pull_request"]["base"].update(ref="main")
    return data


def actions_env(fake: FakeGitHub, event: str, path: Path) -> dict[str, str]:
    """What GitHub Actions sets for the job, the token the bot's."""
    return {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.url,
            "GITHUB_TOKEN": fake.bot.token, "GATEBOT_GITHUB_BOT_LOGIN": fake.bot.login,
            "GATEBOT_GITHUB_THROTTLE": "0", "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(path)}


NOT_RUN = "not counted: gate 1 has not run on this head"


def pushed_by(user: User) -> str:
    """A gate-1 check run's ``external_id`` as gatebot writes it: a digest, who pushed."""
    return f"{'0' * 16} pushers={user.id}/{user.login}"


@pytest.fixture
def pull(fake_github: FakeGitHub, tmp_path: Path) -> Pull:
    """Task #1 in REVIEW with a pull request whose gate-1 check run passed."""
    fake = fake_github
    alice, bob = fake.add_user("alice"), fake.add_user("bob")
    fake.push_commit("main", {"TODO.md": TODO, ".gatebot.toml": NO_CHECKS}, "Board", fake.owner)
    task = fake.create_issue("Rate limiter", fake.owner, labels=("status:review",))
    with fake.state.lock:
        fake.state.issues[task].assignees.append(bob.id)  # bob claimed it
    head = fake.push_commit(BRANCH, {"notes/limiter.md": "# Limiter\n"}, "Add notes", alice)
    number = fake.create_pull(BRANCH, alice, body=f"Closes #{task}")
    fake.client(fake.bot).get_repo(REPO).create_check_run(
        "gatebot/gate-1", head, status="completed", conclusion="success",
        external_id=pushed_by(alice))
    work = tmp_path / "job"
    git(tmp_path, "clone", "-q", str(fake.git_dir), str(work))
    return Pull(fake, work, number, head, tmp_path)


def test_gate_1_counts_no_builder_and_moves_once(pull: Pull) -> None:
    bob = pull.fake.state.user_by_login("bob")
    assert bob is not None
    code, out = pull.gate(pull.approve(bob))
    assert code == 0, out
    assert pull.labels() == ["status:review"]
    assert "- @bob built this change: not counted" in pull.sticky()
    carol = pull.fake.add_user("carol")
    env = pull.approve(carol)
    code, out = pull.gate(env)
    assert code == 0, out
    assert pull.labels() == ["status:rdy-for-prod"]
    assert "- Gate 1 approved by @carol on this head" in pull.sticky()
    pull.fake.reset_log()
    code, out = pull.gate(env)  # the same event again
    assert code == 0, out
    assert pull.fake.writes() == []


def test_gate_1_waits_for_the_automated_verdict(pull: Pull) -> None:
    with pull.fake.state.lock:
        pull.fake.state.check_runs.clear()
    code, out = pull.gate(pull.approve(pull.fake.add_user("carol")))
    assert code == 0, out
    assert NOT_RUN in pull.sticky(), out  # no verdict of gatebot's: nobody's approval counts
    assert pull.labels() == ["status:review"]


def test_gate_2_stages_on_a_third_persons_approval_once(pull: Pull) -> None:
    carol, dave = pull.fake.add_user("carol"), pull.fake.add_user("dave")
    pull.gate(pull.approve(carol))
    assert pull.labels() == ["status:rdy-for-prod"]
    code, out = pull.gate(pull.approve(carol))  # the gate-1 reviewer again: not gate 2
    assert code == 0, out
    assert pull.fake.state.dispatches == []
    env = pull.approve(dave)
    code, out = pull.gate(env)
    assert code == 0, out
    [sent] = pull.fake.state.dispatches
    staged = sent.inputs["sha"]
    assert git(pull.fake.git_dir, "rev-parse", f"{staged}^2") == pull.head
    assert "Gatebot-Reviewed-by: carol" in git(pull.fake.git_dir, "log", "-1", staged)
    pull.fake.reset_log()
    code, out = pull.gate(env)
    assert code == 0, out
    assert pull.fake.writes() == []
    assert len(pull.fake.state.dispatches) == 1


def test_gate_1_counts_only_gatebots_own_check_run(pull: Pull) -> None:
    """A green ``gatebot/gate-1`` check run made by another App is no proof gate 1 ran."""
    other = pull.fake.add_user("ci-helper", bot=True)
    with pull.fake.state.lock:
        pull.fake.state.check_runs.clear()
    pull.fake.client(other).get_repo(REPO).create_check_run(
        "gatebot/gate-1", pull.head, status="completed", conclusion="success")
    code, out = pull.gate(pull.approve(pull.fake.add_user("carol")))
    assert code == 0, out
    assert NOT_RUN in pull.sticky(), out  # no verdict of gatebot's: nobody's approval counts
    assert pull.labels() == ["status:review"]


def test_gate_1_counts_only_gatebots_own_commit_status(pull: Pull) -> None:
    """A builder with ``statuses: write`` posting ``gatebot/gate-1`` success moves nothing;
    the same status by gatebot's own account does."""
    with pull.fake.state.lock:
        pull.fake.state.check_runs.clear()
    builder = next(u for u in pull.fake.state.users.values() if u.login == "alice")
    forged = pull.fake.client(builder).get_repo(REPO).get_commit(pull.head)
    forged.create_status("success", context="gatebot/gate-1", description="forged")
    carol = pull.fake.add_user("carol")
    code, out = pull.gate(pull.approve(carol))
    assert code == 0, out
    assert NOT_RUN in pull.sticky(), out  # no verdict of gatebot's: nobody's approval counts
    assert pull.labels() == ["status:review"]
    own = pull.fake.client(pull.fake.bot).get_repo(REPO).get_commit(pull.head)
    own.create_status("success", context="gatebot/gate-1",
                      description=f"{pushed_by(builder).split(' ')[1]} pass")
    code, out = pull.gate(pull.approve(carol))
    assert code == 0, out
    assert pull.labels() == ["status:rdy-for-prod"]


def test_gate_1_trusts_only_the_configured_apps_check_run(pull: Pull) -> None:
    """A same-repository pull request's own workflow can post ``gatebot/gate-1`` as
    ``github-actions[bot]``; with gatebot's App configured only that App's check run counts."""
    actions = pull.fake.add_user("github-actions", bot=True)
    with pull.fake.state.lock:
        pull.fake.state.check_runs.clear()
    pull.fake.client(actions).get_repo(REPO).create_check_run(
        "gatebot/gate-1", pull.head, status="completed", conclusion="success")
    carol = pull.fake.add_user("carol")
    as_actions = {"GITHUB_TOKEN": actions.token, "GATEBOT_GITHUB_BOT_LOGIN": actions.login,
                  "GATEBOT_GITHUB_APP_ID": str(pull.fake.bot.app_id)}
    code, out = pull.gate(pull.approve(carol) | as_actions)
    assert code == 0, out
    assert NOT_RUN in pull.sticky(), out  # no verdict of gatebot's: nobody's approval counts
    assert pull.labels() == ["status:review"]
    alice = pull.fake.state.user_by_login("alice")
    assert alice is not None
    pull.fake.client(pull.fake.bot).get_repo(REPO).create_check_run(
        "gatebot/gate-1", pull.head, status="completed", conclusion="success",
        external_id=pushed_by(alice))
    code, out = pull.gate(pull.approve(carol) | as_actions)
    assert code == 0, out
    assert pull.labels() == ["status:rdy-for-prod"]
    assert "trusted from github-actions[bot]" not in out
