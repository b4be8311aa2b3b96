"""``gatebot queue run --forge github``: the merge queue through the Actions staging path.

Real PyGithub over real HTTP against the fake GitHub (tests/fakegithub), a real clone of its
bare repository, the real chain builder. The staging workflow is played by the test, as
GitHub Actions would run it: for each dispatch the fake recorded, the run tests exactly the
dispatched SHA (red when its tree holds a bad task's file), the Actions API then holds the
finished run, and its ``workflow_run`` event goes to ``gatebot land --workflow-run`` — the
landing job of gatebot-publish.yml — which records it and takes the queue's next steps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fakegithub.server import FakeGitHub
from tests.fakegithub.state import User
from tests.github.gate1_runs import post_gate1
from tests.github.test_review_event import review_payload
from tests.repos import GIT_ENV, NO_CHECKS, Result, git, run_cli

REPO = "acme/widgets"
STAGING = ".github/workflows/gatebot-staging.yml"


def _todo(numbers: list[int]) -> str:
    tasks = "".join(f"### #{n} Task {n}\n**Built by**: alice\n**Branch**: task/{n}-work\n"
                    "**Cannot review**: alice\n\n" for n in numbers)
    return ("# 📋 TODO\n\n## 🟢 READY\n\n## 🔨 IN-PROGRESS\n\n## 👀 REVIEW\n\n"
            f"## ✅ RDY FOR PROD\n\n{tasks}## 🚀 RELEASED\n")


@dataclass
class Queue:
    """Approved tasks on the fake GitHub, a job's clone, and the staging workflow played."""

    fake: FakeGitHub
    work: Path
    tmp: Path
    alice: User
    tasks: list[int]
    bad: set[int] = field(default_factory=set)
    played: int = 0
    outputs: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        """What the workflow's job sets: the bot's token, the repository, the API."""
        return {"GITHUB_TOKEN": self.fake.bot.token, "GITHUB_REPOSITORY": REPO,
                "GITHUB_API_URL": self.fake.url, "GATEBOT_GITHUB_THROTTLE": "0",
                "GATEBOT_GITHUB_BOT_LOGIN": self.fake.bot.login}

    def main(self) -> str:
        """The base branch's tip in the fake's repository."""
        return self.fake.state.git.ref("refs/heads/main") or ""

    def git(self, *args: str) -> str:
        """git in the fake's bare repository."""
        return git(self.fake.git_dir, *args)

    def cli(self, *args: str) -> Result:
        """The gatebot CLI in the job's clone."""
        result = run_cli(self.work, *args, env=self.env())
        self.outputs.append(result.output)
        return result

    def step(self, *extra: str) -> Result:
        """``gatebot queue run --forge github`` (the schedule's or a dispatch's job)."""
        return self.cli("queue", "run", "--forge", "github", *extra)

    def conclusion(self, sha: str) -> str:
        """What the staging checks say about ``sha``: red when a bad task's file is in it."""
        files = self.git("ls-tree", "-r", "--name-only", sha).split()
        return "failure" if any(f"bad/{n}.txt" in files for n in self.bad) else "success"

    def play(self, conclusion: str | None = None, *, run_id: int | None = None) -> Result:
        """Run the oldest dispatch not played yet; deliver its workflow_run event."""
        sent = self.fake.state.dispatches[self.played]
        self.played += 1
        sha = sent.inputs["sha"]
        assert (sent.workflow, sent.ref) == ("gatebot-staging.yml", "main")
        return self.finish(sha, conclusion or self.conclusion(sha), run_id or 100 + self.played)

    def ran(self, sha: str, conclusion: str | None, run_id: int, **forged: object
            ) -> dict[str, object]:
        """The Actions API holds staging run ``run_id`` of ``sha`` (in progress when
        ``conclusion`` is None), with the ``forged`` fields instead of the real ones; no
        event is sent. Returns the run's fields as its event would carry them."""
        run: dict[str, object] = {
            "path": STAGING, "event": "workflow_dispatch", "head_branch": "main",
            "display_title": f"gatebot staging {sha}", "name": "gatebot-staging",
            "status": "completed" if conclusion else "in_progress", "conclusion": conclusion,
            **forged}
        with self.fake.state.lock:
            self.fake.state.workflow_runs[run_id] = {"head_sha": self.main(), **run}
        return run

    def finish(self, sha: str, conclusion: str, run_id: int) -> Result:
        """The staging run ``run_id`` of ``sha`` finished: the Actions API holds it, the
        landing job gets its event."""
        run = self.ran(sha, conclusion, run_id)
        event = self.tmp / f"event-{run_id}.json"
        event.write_text(json.dumps({"action": "completed",
                                     "workflow_run": {"id": run_id, **run}}), encoding="utf-8")
        return self.cli("land", "--workflow-run", str(event))

    def drive(self) -> list[int]:
        """Play every dispatch until none is left (each event's job may dispatch more); the
        landing jobs' exit codes."""
        codes = []
        while self.played < len(self.fake.state.dispatches):
            codes.append(self.play().exit_code)
        return codes

    def labels(self, number: int) -> list[str]:
        """The issue's labels now."""
        return self.fake.state.issues[number].labels

    def released(self) -> list[int]:
        """The tasks on main's first-parent chain as release commits, oldest first."""
        out = self.git("log", "--first-parent", "--reverse", "--format=%(trailers:key="
                       "Gatebot-Task,valueonly)", "main")
        return [int(line.strip().lstrip("#")) for line in out.splitlines() if line.strip()]


def _queue(fake: FakeGitHub, tmp: Path, count: int, *, bad: set[int] = frozenset(),
           files: dict[int, dict[str, str]] | None = None, config: str = NO_CHECKS) -> Queue:
    """``count`` tasks in RDY FOR PROD, each approved twice on its head, gate 1 green."""
    alice = fake.add_user("alice", email="alice@example.com")
    reviewers = [fake.add_user(login, email=f"{login}@example.com") for login in ("rev1", "rev2")]
    numbers = [fake.create_issue(f"Task {i}", alice, labels=("status:rdy-for-prod",))
               for i in range(1, count + 1)]
    fake.push_commit("main", {"TODO.md": _todo(numbers), ".gatebot.toml": config}, "Board",
                     fake.owner)
    for n in numbers:
        branch = f"task/{n}-work"
        content = (files or {}).get(n) or {f"notes/n{n}.md": f"# Note {n}\n"}
        if n in bad:
            content = {**content, f"bad/{n}.txt": "breaks the checks\n"}
        head = fake.push_commit(branch, content, f"Task {n}", alice)
        pull = fake.create_pull(branch, alice, body=f"Closes #{n}", title=f"Task {n}")
        post_gate1(fake, head, alice)  # gate 1 passed, as gatebot-publish.yml posts it
        for reviewer in reviewers:
            fake.clock.advance(60)
            gh_pull = fake.client(reviewer).get_repo(REPO).get_pull(pull)
            gh_pull.create_review(commit=gh_pull.base.repo.get_commit(head), event="APPROVE")
    work = tmp / "job"
    git(tmp, "clone", "-q", "--no-local", str(fake.git_dir), str(work))
    return Queue(fake, work, tmp, alice, numbers, set(bad))


def _forced(fake: FakeGitHub) -> list[str]:
    """Every ref update that did not say ``force: false``."""
    return [r.path for r in fake.requests if "/git/refs/" in r.path and r.method == "PATCH"
            and json.loads(r.body or b"{}").get("force") is not False]


def test_a_green_batch_of_three_lands_with_one_staging_run(fake_github: FakeGitHub,
                                                           tmp_path: Path) -> None:
    queue = _queue(fake_github, tmp_path, 3)
    before = queue.main()
    started = queue.step()
    assert started.exit_code == 0, started.output
    [sent] = fake_github.state.dispatches
    assert queue.main() == before  # staging never touches main
    assert "gatebot/staging/queue/1" in queue.git("branch", "--list", "gatebot/staging/*")
    assert queue.step().exit_code == 0  # a step while the run is in progress: it waits
    assert len(fake_github.state.dispatches) == 1
    landed = queue.play()
    assert landed.exit_code == 0, landed.output
    assert queue.main() == sent.inputs["sha"]  # exactly the SHA the staging run tested
    assert queue.released() == queue.tasks
    assert len(fake_github.state.dispatches) == 1  # one staging run for three tasks
    assert all(queue.labels(n) == ["status:released"] for n in queue.tasks)
    assert all(fake_github.state.issues[n].state == "closed" for n in queue.tasks)
    chain = queue.git("log", "--first-parent", "--format=%H %T", f"{before}..main").split()
    tested_tree = chain[1]
    for sha in chain[::2]:
        body = queue.git("log", "-1", "--format=%B", sha)
        assert f"Gatebot-Tested-in: {tested_tree}" in body
    assert "3 landed, 0 sent back to REVIEW, 0 taken out, 0 skipped; 0 staging runs " \
        "dispatched" in landed.output
    assert queue.git("branch", "--list", "gatebot/staging/*") == ""  # tidied up
    assert _forced(fake_github) == []


def test_a_batch_of_four_with_one_bad_task_sends_only_it_back(fake_github: FakeGitHub,
                                                               tmp_path: Path) -> None:
    queue = _queue(fake_github, tmp_path, 4, bad={3})
    assert queue.step().exit_code == 0
    codes = queue.drive()
    one, two, three, four = queue.tasks
    # exit 1 only for the job that sent the culprit back; the later ones landed #4
    assert codes == [0, 0, 0, 1, 0], queue.outputs
    assert queue.released() == [one, two, four]
    assert queue.labels(three) == ["status:review"]
    assert not _reaches(queue, three)
    comments = [c.body for c in fake_github.state.comments.values()
                if "back to REVIEW" in c.body]
    assert len(comments) == 1 and "gatebot/staging failed twice" in comments[0]
    # the bound docs/queue.md claims for n = 4, one culprit: 1 + ⌈log₂ 4⌉ + 2 = 5
    assert len(fake_github.state.dispatches) == 5
    assert _forced(fake_github) == []


def _reaches(queue: Queue, number: int) -> bool:
    head = queue.fake.state.git.ref(f"refs/heads/task/{number}-work") or ""
    return subprocess.run(["git", "merge-base", "--is-ancestor", head, "main"],
                          cwd=queue.fake.git_dir, check=False).returncode == 0


def test_a_conflicting_task_is_taken_out_before_any_run(fake_github: FakeGitHub,
                                                        tmp_path: Path) -> None:
    same = {"notes/shared.md": "A 1\n"}
    queue = _queue(fake_github, tmp_path, 3, files={1: same, 2: {"notes/shared.md": "A 2\n"}})
    one, two, three = queue.tasks
    started = queue.step()
    assert started.exit_code == 1, started.output  # a task was taken out
    assert "conflicts in notes/shared.md" in started.output
    assert sorted(queue.labels(two)) == ["escalated", "status:review"]
    [sent] = fake_github.state.dispatches  # the one run holds #1 and #3 only
    tested = queue.git("log", "--first-parent", "--format=%(trailers:key=Gatebot-Task,"
                       "valueonly)", sent.inputs["sha"], "--not", "main").split()
    assert tested == [f"#{three}", f"#{one}"]
    queue.drive()
    assert queue.released() == [one, three]


def test_main_moving_between_steps_rebuilds_on_the_new_tip(fake_github: FakeGitHub,
                                                           tmp_path: Path) -> None:
    queue = _queue(fake_github, tmp_path, 2)
    assert queue.step().exit_code == 0
    moved = fake_github.push_commit("main", {"notes/other.md": "Y\n"}, "Someone else", queue.alice)
    result = queue.play("success")  # green, but for a base main left
    assert result.exit_code == 0, result.output
    assert queue.main() == moved  # nothing landed from the stale chain
    assert len(fake_github.state.dispatches) == 2  # rebuilt on the new tip and dispatched
    queue.drive()
    assert queue.released() == queue.tasks
    first = queue.git("rev-list", "--first-parent", f"{moved}..main").split()[-1]
    assert queue.git("rev-parse", f"{first}^1") == moved


@pytest.mark.parametrize("forged", [
    {"path": ".github/workflows/ci.yml", "event": "push"},  # another workflow: any job's
    {"head_repository": "mallory/widgets"},  # a fork's run
], ids=["other-workflow", "fork"])
def test_a_forged_green_staging_check_run_lands_nothing(fake_github: FakeGitHub,
                                                        tmp_path: Path,
                                                        forged: dict[str, str]) -> None:
    queue = _queue(fake_github, tmp_path, 2)
    before = queue.main()
    queue.step()
    sha = fake_github.state.dispatches[0].inputs["sha"]
    queue.ran(sha, "success", 55, **forged)
    fake_github.client(fake_github.bot).get_repo(REPO).create_check_run(
        "gatebot/staging", sha, status="completed", conclusion="success", external_id="55")
    result = queue.step()
    assert result.exit_code == 0, result.output
    assert "waiting" in result.output
    assert queue.main() == before
    assert len(fake_github.state.dispatches) == 1


def test_a_replayed_step_writes_nothing_twice(fake_github: FakeGitHub, tmp_path: Path) -> None:
    queue = _queue(fake_github, tmp_path, 2, bad={2})
    queue.step()
    queue.play()  # red: the bisection dispatches base + #1
    fake_github.reset_log()
    again = queue.finish(fake_github.state.dispatches[0].inputs["sha"], "failure", 101)
    assert again.exit_code == 0, again.output
    assert fake_github.writes() == []  # the same event twice: recorded once, nothing else
    queue.drive()
    one, two = queue.tasks
    assert queue.released() == [one]
    assert queue.labels(two) == ["status:review"]
    fake_github.reset_log()
    assert queue.step().exit_code == 0
    assert fake_github.writes() == []  # nothing left: the queue is empty


@pytest.mark.parametrize("conclusion", ["cancelled"])
def test_an_interrupted_run_is_dispatched_again_once(fake_github: FakeGitHub, tmp_path: Path,
                                                     conclusion: str) -> None:
    queue = _queue(fake_github, tmp_path, 2)
    queue.step()
    queue.play(conclusion)
    sent = [d.inputs["sha"] for d in fake_github.state.dispatches]
    assert len(sent) == 2 and sent[0] == sent[1]  # the same SHA again
    queue.drive()
    assert queue.released() == queue.tasks


def test_a_board_only_commit_on_main_keeps_the_red_runs(fake_github: FakeGitHub,
                                                        tmp_path: Path) -> None:
    """The red run of base + #1 #2 still says #2 is bad after a board-only commit: the
    bisection goes on from it (3 runs) instead of testing the batch again (4)."""
    queue = _queue(fake_github, tmp_path, 2, bad={2})
    queue.step()
    fake_github.push_commit("main", {"CURRENT_STATE.md": "# State\n"}, "Board note",
                            fake_github.owner)
    queue.drive()
    one, two = queue.tasks
    assert queue.released() == [one]
    assert queue.labels(two) == ["status:review"]
    assert len(fake_github.state.dispatches) == 3  # batch, base + #1, the retry of #2


def test_a_flaky_failure_is_retried_on_the_same_tree_and_marked(fake_github: FakeGitHub,
                                                                tmp_path: Path) -> None:
    queue = _queue(fake_github, tmp_path, 1)
    queue.step()
    queue.play("failure")  # red once: the same tree is staged again
    first, retry = (d.inputs["sha"] for d in fake_github.state.dispatches)
    assert queue.git("rev-parse", f"{first}^{{tree}}") == queue.git("rev-parse",
                                                                     f"{retry}^{{tree}}")
    landed = queue.play("success")
    assert landed.exit_code == 0, landed.output
    assert queue.main() == retry
    assert "Gatebot-Flaky: gatebot/staging (workflow run 101)" in queue.git(
        "log", "-1", "--format=%B", retry)
    assert "Flaky check while landing task" in landed.output


def test_two_landing_jobs_at_once_land_each_task_once(fake_github: FakeGitHub,
                                                      tmp_path: Path) -> None:
    """The same staging run's event handled by two jobs in two clones at the same time."""
    queue = _queue(fake_github, tmp_path, 2)
    queue.step()
    sha = fake_github.state.dispatches[0].inputs["sha"]
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "--no-local", str(fake_github.git_dir), str(other))
    run = {"path": STAGING, "event": "workflow_dispatch", "head_branch": "main",
           "display_title": f"gatebot staging {sha}", "status": "completed",
           "conclusion": "success", "name": "gatebot-staging"}
    with fake_github.state.lock:
        fake_github.state.workflow_runs[7] = {**run, "head_sha": queue.main()}
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "completed", "workflow_run": {"id": 7, **run}}),
                     encoding="utf-8")
    env = {**os.environ, **GIT_ENV, **queue.env()}
    jobs = [subprocess.Popen([sys.executable, "-m", "gatebot", "land", "--workflow-run",
                              str(event)], cwd=where, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
            for where in (queue.work, other)]
    outputs = [job.communicate(timeout=300)[0] for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0], outputs
    assert queue.released() == queue.tasks  # each task released once
    assert queue.main() == sha
    assert len(fake_github.state.dispatches) == 1


def test_a_step_that_read_main_before_another_job_landed_stages_nothing(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    """The window two landing jobs hit: job B read main's tip and task 1 as queued; then job A
    fast-forwarded main to the batch and relabelled both tasks; B read task 2 as released.
    B's stale view made task 1 a batch of its own: it dispatched a staging run of a task
    already on main (2 dispatches in 3 runs of the two-jobs test under load)."""
    queue = _queue(fake_github, tmp_path, 2)
    queue.step()
    sha = fake_github.state.dispatches[0].inputs["sha"]
    with fake_github.state.lock:  # its staging run passed, and a job recorded it
        fake_github.state.workflow_runs[7] = {
            "path": STAGING, "event": "workflow_dispatch", "head_branch": "main",
            "display_title": f"gatebot staging {sha}", "status": "completed",
            "conclusion": "success", "name": "gatebot-staging", "head_sha": queue.main()}
    repo = fake_github.client(fake_github.bot).get_repo(REPO)
    repo.create_check_run("gatebot/staging", sha, status="completed", conclusion="success",
                          external_id="7")
    first, second = queue.tasks
    slow = fake_github.inject("slow", method="GET", path=f"/repos/{REPO}/issues/{first}",
                              delay=60.0)  # held until job A is done: release() below
    job_b = subprocess.Popen([sys.executable, "-m", "gatebot", "queue", "run", "--forge",
                              "github", "--once"], cwd=queue.work,
                             env={**os.environ, **GIT_ENV, **queue.env()},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while slow.times > 0 and time.monotonic() < deadline:  # B is reading task 1's issue
        time.sleep(0.02)
    assert slow.times == 0, "job B never read task 1's issue"
    # job A lands meanwhile: main first, then the labels
    repo.get_git_ref("heads/main").edit(sha)
    for number in (first, second):
        issue = repo.get_issue(number)
        issue.add_to_labels("status:released")
        issue.remove_from_labels("status:rdy-for-prod")
    slow.release()  # B gets task 1's issue as it was when B asked: queued
    output = job_b.communicate(timeout=120)[0]
    assert job_b.returncode == 0, output
    assert len(fake_github.state.dispatches) == 1, output
    assert queue.main() == sha
    assert queue.released() == queue.tasks


def test_gate_2_hands_the_task_to_the_queue_with_merge_landing_queue(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    """``merge.landing = "queue"``: the second approval's review step runs the queue's steps
    instead of staging the task alone; both approved tasks go in one batch, one run."""
    queue = _queue(fake_github, tmp_path, 2, config=NO_CHECKS + '[merge]\nlanding = "queue"\n')
    [pull] = [p for p in fake_github.client(fake_github.owner).get_repo(REPO).get_pulls()
              if p.head.ref == f"task/{queue.tasks[0]}-work"]
    [review] = [r for r in pull.get_reviews() if r.user.login == "rev2"]
    rev2 = fake_github.state.user_by_login("rev2")
    assert rev2 is not None
    payload = tmp_path / "review.json"
    payload.write_text(json.dumps(review_payload(pull.number, pull.head.sha, review.id, rev2)),
                       encoding="utf-8")
    env = {**queue.env(), "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_review",
           "GITHUB_EVENT_PATH": str(payload)}
    first = run_cli(queue.work, "gate", env=env)
    assert first.exit_code == 0, first.output
    assert "batch of 2" in first.output
    assert queue.git("branch", "--list", "gatebot/staging/*").split() == [
        "gatebot/staging/queue/1"]  # no staging branch of the task's own
    fake_github.reset_log()
    again = run_cli(queue.work, "gate", env=env)  # the same event again: the batch is awaited
    assert again.exit_code == 0, again.output
    assert fake_github.writes() == []
    queue.drive()
    assert queue.released() == queue.tasks
    assert len(fake_github.state.dispatches) == 1
