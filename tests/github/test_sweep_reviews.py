"""The scheduled sweep takes gate 1's and gate 2's steps no review event took (a fork's reviews).

A review on a fork's pull request gets a read-only token from GitHub, so gatebot-review.yml
cannot act on it; the docs promise the sweep does. Against the fake GitHub, with the reviews
submitted and no review event processed, ``gatebot gate`` on ``schedule`` must move the task
to RDY FOR PROD, then stage it (fetching the fork's head from ``refs/pull/<P>/head``), and
then do nothing more.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakegithub.server import FakeGitHub
from tests.github.test_review_event import REPO, actions_env, forks_pull_request
from tests.repos import git, run_cli


def _sweep(fake: FakeGitHub, work: Path, tmp: Path) -> str:
    """``gatebot gate`` on the 15-minute ``schedule`` event in the job's clone; its output."""
    path = tmp / "schedule.json"
    path.write_text(json.dumps({"schedule": "*/15 * * * *"}), encoding="utf-8")
    git(work, "pull", "-q", "--ff-only")
    result = run_cli(work, "gate", env=actions_env(fake, "schedule", path))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_sweep_moves_and_stages_a_forks_approved_pull_request_once(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake = fake_github
    task, number, head = forks_pull_request(fake)
    for login in ("carol", "dave"):  # their review events ran read-only: nothing was done
        pull = fake.client(fake.add_user(login)).get_repo(REPO).get_pull(number)
        pull.create_review(commit=pull.base.repo.get_commit(head), event="APPROVE")
    work = tmp_path / "job"
    git(tmp_path, "clone", "-q", str(fake.git_dir), str(work))
    _sweep(fake, work, tmp_path)
    assert fake.state.issues[task].labels == ["status:rdy-for-prod"]
    _sweep(fake, work, tmp_path)
    [sent] = fake.state.dispatches
    assert git(fake.git_dir, "rev-parse", f"{sent.inputs['sha']}^2") == head
    fake.reset_log()
    _sweep(fake, work, tmp_path)
    assert len(fake.state.dispatches) == 1
    assert [r.path for r in fake.writes()] == []
