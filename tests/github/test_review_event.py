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
from tests.github.gate1_runs import post_gate1
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
    post_gate1(fake, head, alice)
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
    nor does the same status by gatebot's App (a status names no publishing run); by
    gatebot's account on a person's token (the terminal's ``gatebot gate``), it does."""
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
    code, out = pull.gate(pull.approve(carol))  # an App's status: any holder of its key
    assert code == 0, out
    assert pull.labels() == ["status:review"]
    person_token = {"GITHUB_TOKEN": pull.fake.owner.token,
                    "GATEBOT_GITHUB_BOT_LOGIN": pull.fake.owner.login}
    mine = pull.fake.client(pull.fake.owner).get_repo(REPO).get_commit(pull.head)
    mine.create_status("success", context="gatebot/gate-1",
                       description=f"{pushed_by(builder).split(' ')[1]} pass")
    code, out = pull.gate(pull.approve(carol) | person_token)
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
    post_gate1(pull.fake, pull.head, alice)
    code, out = pull.gate(pull.approve(carol) | as_actions)
    assert code == 0, out
    assert pull.labels() == ["status:rdy-for-prod"]
    assert "trusted from github-actions[bot]" not in out


# -- the review hop: gatebot-review.yml (no token) → gatebot-publish.yml's review job ----------
def run_event(head: str, pulls: list[int], *, head_repo: str = REPO,
              workflow: str = "gatebot-review.yml",
              event: str = "pull_request_review") -> dict[str, Any]:
    """GitHub's ``workflow_run`` completed payload for a run of ``workflow`` on ``head``.

    ``pulls``: the run's pull requests as GitHub lists them (none for a fork's run).
    """
    repo, head_of = {"full_name": REPO}, {"full_name": head_repo}
    return {"action": "completed", "workflow_run": {
        "id": 5150, "name": "gatebot-review", "path": f".github/workflows/{workflow}",
        "event": event, "status": "completed", "conclusion": "success", "head_sha": head,
        "head_branch": BRANCH, "head_repository": head_of, "repository": repo,
        "html_url": f"https://github.com/{REPO}/actions/runs/5150",
        "actor": {"login": "carol", "id": 99, "type": "User"},
        "pull_requests": [{"number": n, "head": {"ref": BRANCH, "sha": head},
                           "base": {"ref": "main", "sha": "0" * 40}} for n in pulls]}}


def hop(pull: Pull, payload: dict[str, Any], **env: str) -> tuple[int, str]:
    """``gatebot gate`` in gatebot-publish.yml's review job on ``payload``; (exit, output)."""
    path = pull.tmp / "workflow_run.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    code, out = pull.gate(actions_env(pull.fake, "workflow_run", path) | env)
    assert pull.fake.bot.token not in out
    return code, out


def approve_only(pull: Pull, login: str, number: int | None = None,
                 head: str | None = None) -> None:
    """``login`` approves on GitHub; no review event is processed (its run is read-only)."""
    user = pull.fake.state.user_by_login(login) or pull.fake.add_user(login)
    gh_pull = pull.fake.client(user).get_repo(REPO).get_pull(number or pull.number)
    gh_pull.create_review(commit=gh_pull.base.repo.get_commit(head or pull.head),
                          event="APPROVE")


def second_pull(pull: Pull) -> tuple[int, int]:
    """Task #2 in REVIEW with its own pull request, gate 1 green and carol's approval on it:
    a review step taken for it would move it. (task number, pull request number)."""
    fake = pull.fake
    alice = fake.state.user_by_login("alice")
    assert alice is not None
    task = fake.create_issue("Cache", fake.owner, labels=("status:review",))
    head = fake.push_commit("task/2-cache", {"notes/cache.md": "# Cache\n"}, "Add cache", alice)
    number = fake.create_pull("task/2-cache", alice, body=f"Closes #{task}")
    post_gate1(fake, head, alice)
    approve_only(pull, "carol", number, head)
    return task, number


def test_the_review_hop_moves_the_stage_and_a_replay_writes_nothing(pull: Pull) -> None:
    approve_only(pull, "carol")
    assert pull.labels() == ["status:review"]
    payload = run_event(pull.head, [pull.number])
    code, out = hop(pull, payload)
    assert code == 0, out
    assert pull.labels() == ["status:rdy-for-prod"]
    assert "- Gate 1 approved by @carol on this head" in pull.sticky()
    pull.fake.reset_log()
    code, out = hop(pull, payload)  # the same workflow_run again
    assert code == 0, out
    assert pull.fake.writes() == []
    approve_only(pull, "dave")  # gate 2: the landing is staged, once
    code, out = hop(pull, payload)
    assert code == 0, out
    [sent] = pull.fake.state.dispatches
    assert git(pull.fake.git_dir, "rev-parse", f"{sent.inputs['sha']}^2") == pull.head
    pull.fake.reset_log()
    code, out = hop(pull, payload)
    assert code == 0, out
    assert pull.fake.writes() == []
    assert len(pull.fake.state.dispatches) == 1


def test_a_forged_artifact_naming_another_pull_request_moves_only_what_github_says(
        pull: Pull) -> None:
    """The review job reads no artifact: one naming pull request #2 (set up so that a step
    taken for it would move it) changes nothing there, for a run that lists its pull request
    and for one found by its head SHA; the run's own pull request #1 moves."""
    task2, pull2 = second_pull(pull)
    approve_only(pull, "carol")
    forged = pull.tmp / "forged"
    forged.mkdir()
    (forged / "event.json").write_text(json.dumps(
        {"pull_request": pull2, "head_sha": pull.head, "exit_code": 0}), encoding="utf-8")
    for pulls in ([pull.number], []):
        code, out = hop(pull, run_event(pull.head, pulls), GATEBOT_VERDICT=str(forged))
        assert code == 0, out
        assert pull.fake.state.issues[task2].labels == ["status:review"], out
        assert f"#{pull2}" not in out
        assert pull.labels() == ["status:rdy-for-prod"], out  # the run's own pull request


def test_a_run_github_ties_to_no_open_pull_request_does_nothing(pull: Pull) -> None:
    """A run on another head, from another repository, or listing a pull request into another
    branch: nothing is read beyond GitHub's answers and nothing is written."""
    approve_only(pull, "carol")
    other = pull.fake.push_commit("elsewhere", {"x.md": "x\n"}, "Other", pull.fake.owner)
    for payload in (run_event(other, []), run_event(pull.head, [], head_repo="mallory/widgets"),
                    run_event(pull.head, [pull.number], event="push")):
        pull.fake.reset_log()
        code, out = hop(pull, payload)
        assert code == 0, out
        assert pull.fake.writes() == [], out
    assert pull.labels() == ["status:review"]
    code, out = hop(pull, run_event(pull.head, [pull.number]))  # the real one still moves it
    assert code == 0, out
    assert pull.labels() == ["status:rdy-for-prod"]


def forks_pull_request(fake: FakeGitHub) -> tuple[int, int, str]:
    """alice's pull request from her fork for a task in REVIEW, gate 1 green on its head, on
    a board without checks; the task's number, the pull request's number and head SHA."""
    alice = fake.add_user("alice")
    fake.push_commit("main", {"TODO.md": TODO, ".gatebot.toml": NO_CHECKS}, "Board", fake.owner)
    task = fake.create_issue("Rate limiter", fake.owner, labels=("status:review",))
    head = fake.push_commit(BRANCH, {"notes/limiter.md": "# Limiter\n"}, "Add notes", alice)
    number = fake.create_pull(BRANCH, alice, body=f"Closes #{task}", fork=True)
    post_gate1(fake, head, alice)
    return task, number, head


def test_a_forks_review_is_acted_on_through_the_hop(fake_github: FakeGitHub,
                                                     tmp_path: Path) -> None:
    """A fork's run lists no pull request: the head SHA and head repository GitHub reports
    find it among the open pull requests, and its approval moves the stage at once."""
    fake = fake_github
    task, number, head = forks_pull_request(fake)
    work = tmp_path / "job"
    git(tmp_path, "clone", "-q", str(fake.git_dir), str(work))
    pull = Pull(fake, work, number, head, tmp_path)
    approve_only(pull, "carol")
    code, out = hop(pull, run_event(head, [], head_repo="acme/widgets"))  # not the fork's
    assert code == 0, out
    assert fake.state.issues[task].labels == ["status:review"]
    code, out = hop(pull, run_event(head, [], head_repo="alice/widgets"))
    assert code == 0, out
    assert fake.state.issues[task].labels == ["status:rdy-for-prod"]
    fake.reset_log()
    code, out = hop(pull, run_event(head, [], head_repo="alice/widgets"))
    assert code == 0, out
    assert fake.writes() == []


def app_env(pull: Pull, token: str, *, key: str = "") -> dict[str, str]:
    """The credentials gatebot-publish.yml's steps pass: the job's ``token`` and the App's id,
    key and bot login from the environment (``key`` empty: the environment holds none)."""
    bot = pull.fake.bot
    return {"GITHUB_TOKEN": token, "GATEBOT_GITHUB_APP_ID": str(bot.app_id) if key else "",
            "GATEBOT_GITHUB_APP_KEY": key, "GATEBOT_GITHUB_BOT_LOGIN": bot.login if key else ""}


def test_the_review_hop_acts_as_gatebots_app_when_the_environment_holds_its_key(
        pull: Pull) -> None:
    """The job's own token is set too, as in the workflow: the App's key wins, and every write
    is the App's bot's; the key shows nowhere."""
    actions = pull.fake.add_user("github-actions", bot=True)
    key = pull.fake.add_app_key(pull.fake.bot)
    approve_only(pull, "carol")
    pull.fake.reset_log()
    code, out = hop(pull, run_event(pull.head, [pull.number]), **app_env(pull, actions.token,
                                                                          key=key))
    assert code == 0, out
    assert pull.labels() == ["status:rdy-for-prod"]
    assert {r.login for r in pull.fake.writes() if not r.path.startswith("/app/")} == {
        pull.fake.bot.login}
    assert all(line not in out for line in key.splitlines()[1:-1])


def test_without_the_apps_key_the_hop_acts_with_the_jobs_token(pull: Pull) -> None:
    """The environment holds no App: its variables arrive empty, and the job's token (GitHub
    Actions' bot, whose gate-1 check run is then the one trusted) does the writing."""
    actions = pull.fake.add_user("github-actions", bot=True)
    alice = pull.fake.state.user_by_login("alice")
    assert alice is not None
    post_gate1(pull.fake, pull.head, alice, by=actions)  # the publish job's, as Actions' bot
    approve_only(pull, "carol")
    pull.fake.reset_log()
    code, out = hop(pull, run_event(pull.head, [pull.number]), **app_env(pull, actions.token))
    assert code == 0, out
    assert pull.labels() == ["status:rdy-for-prod"]
    assert {r.login for r in pull.fake.writes()} == {actions.login}


def test_the_apps_key_beats_the_environments_token_but_not_an_explicit_one() -> None:
    from gatebot.adapters.github.client import Settings  # noqa: PLC0415 - only here

    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": "job-token",
           "GATEBOT_GITHUB_APP_ID": "7", "GATEBOT_GITHUB_APP_KEY": "pem"}
    made = Settings.from_env(env)
    assert (made.token, made.app_id, made.app_key) == (None, "7", "pem")
    made = Settings.from_env(env, token="explicit")
    assert (made.token, made.app_id, made.app_key) == ("explicit", "7", None)
    made = Settings.from_env(env | {"GATEBOT_GITHUB_APP_KEY": ""})
    assert (made.token, made.app_id, made.app_key) == ("job-token", "7", None)
