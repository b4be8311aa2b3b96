"""The adversary's third round against GitHub mode (session 16): whose gate-1 check run counts.

A ``gatebot/gate-1`` check run counts at review time only when it names the
gatebot-publish.yml run that posted it and GitHub's Actions API agrees (``core.gate1_runs``).
Each test here plays a forger who holds the bot's account (the Actions token, or a leaked App
key) against the fake GitHub over real HTTP, through ``gatebot gate`` as the Actions jobs run
it; each fails on the code before that binding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakegithub.server import FakeGitHub
from tests.github.gate1_runs import RunIds, post_gate1, record_runs
from tests.github.test_adversary_github_2 import _alice, _reviewing, _stage
from tests.github.test_publish_artifact import (
    PUBLISH_RUN,
    Pr,
    _event_json,
    _gate_one_run,
    _publish,
)
from tests.github.test_queue_github import BOARD as QUEUE_BOARD
from tests.github.test_queue_github import _env as queue_env
from tests.github.test_review_event import actions_env, review_payload
from tests.github.test_scenario import REPO, approve
from tests.github.test_staged_landing import _world
from tests.repos import git, run_cli

FORGERIES = {
    "forged-run-ids": lambda fake, head, real: RunIds(777_777, real.run),
    "the-real-failed-runs": lambda fake, head, real: real,
    "a-green-publish-run-of-another-head": lambda fake, head, real: record_runs(
        fake, fake.push_commit("task/2-other", {"o.md": "o\n"}, "Other", fake.owner)),
    "the-publish-file-on-another-branch": lambda fake, head, real: record_runs(
        fake, head, base="task/1-limiter"),
    "the-publish-file-run-by-push": lambda fake, head, real: record_runs(
        fake, head, event="push"),
    "a-publish-run-not-finished": lambda fake, head, real: record_runs(
        fake, head, conclusion=None, status="in_progress"),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_green_check_run_naming_runs_that_did_not_pass_this_head_does_not_count(
        fake_github: FakeGitHub, tmp_path: Path, forgery: str) -> None:
    """gatebot's gate 1 failed on the head (its publish run failed, as it does for a failed
    verdict); then a green ``gatebot/gate-1`` run by the same App names runs the forger
    picked: made-up ids, the real failed runs, a real green publish run of another head, the
    publish file's run on another branch or started by ``push``, a run still going."""
    fake = fake_github
    job, pull, head = _reviewing(fake, tmp_path)
    job.app_id = False  # gatebot as github-actions[bot], or its App by slug: no id to trust
    alice = _alice(fake)
    real = post_gate1(fake, head, alice, "failure", failed=("checks.tests",))
    post_gate1(fake, head, alice, runs=FORGERIES[forgery](fake, head, real))
    out = job.gate("pull_request_review", approve(fake, fake.add_user("carol"), pull, head))
    assert _stage(fake) == ["status:review"], out


def test_the_green_publish_run_of_the_head_counts(fake_github: FakeGitHub,
                                                  tmp_path: Path) -> None:
    """The control: the same App's green check run naming the green publish run of this head
    moves the task, also when a forger adds a green check run naming nothing after it."""
    fake = fake_github
    job, pull, head = _reviewing(fake, tmp_path)
    job.app_id = False  # gatebot as github-actions[bot], or its App by slug: no id to trust
    alice = _alice(fake)
    post_gate1(fake, head, alice)
    fake.client(fake.bot).get_repo(REPO).create_check_run(
        "gatebot/gate-1", head, status="completed", conclusion="failure")
    out = job.gate("pull_request_review", approve(fake, fake.add_user("carol"), pull, head))
    assert _stage(fake) == ["status:rdy-for-prod"], out


@pytest.fixture
def pr(fake_github: FakeGitHub, tmp_path: Path) -> Pr:
    """A pull request whose gatebot-pr.yml run passed and uploaded its artifact."""
    return _gate_one_run(fake_github, tmp_path)


def _review(pr: Pr, tmp_path: Path, login: str) -> tuple[int, str]:
    """``login`` approves the head and the review job runs ``gatebot gate``."""
    user = pr.fake.add_user(login)
    pull = pr.fake.client(user).get_repo(REPO).get_pull(pr.number)
    review = pull.create_review(commit=pull.base.repo.get_commit(pr.head), event="APPROVE")
    path = tmp_path / f"review-{review.id}.json"
    payload: dict[str, Any] = review_payload(pr.number, pr.head, review.id, user)
    payload["pull_request"]["head"]["ref"] = "task/1-limiter"
    path.write_text(json.dumps(payload), encoding="utf-8")
    result = run_cli(pr.clone, "gate", env=actions_env(pr.fake, "pull_request_review", path))
    return result.exit_code, result.output


def test_the_publish_job_names_its_run_and_the_review_counts_it_through_github(
        pr: Pr, tmp_path: Path) -> None:
    """gatebot-publish.yml posts the verdict naming its own run (``GITHUB_RUN_ID``) and the
    gatebot-pr run; at review time it counts only once GitHub answers for that run."""
    code, out = _publish(pr, tmp_path)
    assert code == 0, out
    [run] = pr.fake.state.check_runs.values()
    assert f"publish={PUBLISH_RUN} pr-run=4242" in run.external_id, run.external_id
    code, out = _review(pr, tmp_path, "carol")
    assert code == 0, out
    assert pr.fake.state.issues[pr.task].labels == ["status:review"], out  # run unknown
    with pr.fake.state.lock:
        pr.fake.state.workflow_runs[PUBLISH_RUN] = {
            "path": ".github/workflows/gatebot-publish.yml", "event": "workflow_run",
            "head_branch": "main", "conclusion": "success",
            "display_title": f"gatebot-publish gatebot-pr run 4242 at {pr.head}"}
    code, out = _review(pr, tmp_path, "dave")
    assert code == 0, out
    assert pr.fake.state.issues[pr.task].labels == ["status:rdy-for-prod"], out


def test_a_label_reruns_gate_1_without_making_the_labeler_a_pusher(
        pr: Pr, tmp_path: Path) -> None:
    """The gatebot-pr run was started by carol adding a label (its actor): she pushed
    nothing, so the check run must not record her as the head's pusher."""
    carol = pr.fake.add_user("carol")
    _event_json(pr.artifact, pr.number, pr.head, action="labeled")
    code, out = _publish(pr, tmp_path, actor="carol")
    assert code == 0, out
    [run] = pr.fake.state.check_runs.values()
    assert f"{carol.id}/carol" not in run.external_id, run.external_id


def test_a_pushers_approval_does_not_count_at_landing(fake_github: FakeGitHub,
                                                      tmp_path: Path) -> None:
    """rev1 and rev2 approved; then gate 1's verdict on the same head records rev1 as the one
    who pushed it (a later publish, started by rev1's push): the landing must not count rev1,
    as the review step does not."""
    world = _world(fake_github, tmp_path)
    rev1 = fake_github.state.user_by_login("rev1")
    assert rev1 is not None
    post_gate1(fake_github, world.cand.head, rev1)
    sha = world.stage()
    world.finish_run(sha)
    done = world.land()
    assert done.state != "landed", done.message
    assert world.main() != sha


def test_a_pushers_approval_does_not_queue_the_task(fake_github: FakeGitHub,
                                                   tmp_path: Path) -> None:
    """``forge.approvals`` (merge, the queue) decides as the review step: bob pushed the head
    (gate 1's verdict says so) and approved it; his approval is no gate-1 approval."""
    fake = fake_github
    fake.push_commit("main", {"TODO.md": QUEUE_BOARD}, "Board", fake.owner)
    alice, bob = fake.add_user("alice"), fake.add_user("bob")
    number = fake.create_issue("Rate limiter", fake.owner, labels=("status:rdy-for-prod",))
    head = fake.push_commit(f"task/{number}-work", {"a.py": "x = 1\n"}, "Work", alice)
    pull = fake.create_pull(f"task/{number}-work", alice, body=f"Closes #{number}")
    post_gate1(fake, head, bob)
    fake.client(bob).get_repo(REPO).get_pull(pull).create_review(event="APPROVE")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(fake.git_dir), str(clone))
    result = run_cli(clone, "queue", "--forge", "github", "--format", "json",
                     env=queue_env(fake))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["tasks"] == [], doc
