"""The staged landing of GitHub mode against the fake GitHub (issue 10 §1).

Real PyGithub over real HTTP, a real clone of the fake's bare repository, the real release
commit builder. The staging workflow is played by the test: it reads the dispatch the fake
recorded and reports the run as GitHub's ``workflow_run`` event would.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from gatebot.adapters.github_staging import StagingRepo
from gatebot.app import staging
from gatebot.app.context import open_context
from gatebot.app.merge import Candidate
from gatebot.core.landing import STAGING_CHECK, StagingRun
from gatebot.core.protocol import Contributor, Identity
from gatebot.errors import EnvironmentProblem, Refused
from tests.fakegithub.server import FakeGitHub
from tests.fakegithub.state import User
from tests.github.gate1_runs import post_gate1
from tests.github.helpers import conn
from tests.repos import NO_CHECKS, git, run_cli

TODO = textwrap.dedent("""\
    # 📋 TODO

    ## 🟢 READY

    ## 🔨 IN-PROGRESS

    ## 👀 REVIEW

    ## ✅ RDY FOR PROD

    ### #1 Rate limiter
    **Built by**: alice
    **Branch**: task/1-limiter
    **Cannot review**: alice

    ## 🚀 RELEASED
    """)
BRANCH = "task/1-limiter"


@dataclass
class World:
    """One task approved twice on GitHub, and the privileged job's clone of the base."""

    fake: FakeGitHub
    work: Path
    target: staging.Target
    cand: Candidate
    alice: User

    def main(self) -> str:
        """The base branch's tip in the fake's repository."""
        return self.fake.state.git.ref("refs/heads/main") or ""

    def staging(self) -> dict[str, str]:
        """Task 1's staging branches in the fake's repository: {branch: SHA}."""
        return {n.removeprefix("refs/heads/"): sha for n, sha
                in self.fake.state.git.refs("refs/heads/gatebot/staging/")}

    def staged(self) -> str | None:
        """The SHA of task 1's only staging branch (None without one)."""
        found = list(self.staging().values())
        assert len(found) <= 1, found
        return found[0] if found else None

    def stage(self) -> str:
        """Gate 2 passed: stage the task; the staging SHA."""
        done = staging.stage(open_context(self.work), self.target, self.cand)
        assert done.state == "staged", done.message
        assert done.sha
        return done.sha

    def finish_run(self, sha: str, conclusion: str = "success", *, run_id: int = 7,
                   path: str = ".github/workflows/gatebot-staging.yml") -> staging.Result:
        """The staging workflow run for ``sha`` completed (GitHub's Actions API now holds
        it): the workflow_run handler."""
        run = StagingRun(path, "workflow_dispatch", "main", f"gatebot staging {sha}",
                         conclusion, run_id)
        self.played(run)
        return staging.record_run(open_context(self.work), self.target, run)

    def played(self, run: StagingRun) -> None:
        """GitHub's Actions API holds ``run``, completed, as the run of the base's tip."""
        with self.fake.state.lock:
            self.fake.state.workflow_runs[run.run_id] = {
                "path": run.path, "event": run.event, "head_branch": run.head_branch,
                "head_sha": self.main(), "display_title": run.display_title,
                "status": "completed", "conclusion": run.conclusion}

    def land(self) -> staging.Result:
        """The landing step, on a fresh context as a new job would open it."""
        return staging.land(open_context(self.work), self.target)


def _world(fake: FakeGitHub, tmp_path: Path, *, branch: str = BRANCH,
           title: str = "Rate limiter", files: dict[str, str] | None = None,
           fork: bool = False) -> World:
    alice = fake.add_user("alice", email="alice@example.com")
    board = TODO.replace("Rate limiter", title).replace(BRANCH, branch)
    fake.push_commit("main", {"TODO.md": board, ".gatebot.toml": NO_CHECKS}, "Board", fake.owner)
    number = fake.create_issue(title, alice, labels=("status:rdy-for-prod",))
    head = fake.push_commit(branch, files or {"notes/limiter.md": "# Limiter\n"}, "Add notes",
                            alice)
    pull = fake.create_pull(branch, alice, body=f"Closes #{number}", title=title, fork=fork)
    post_gate1(fake, head, alice)  # gate 1 passed, alice pushed: as gatebot-publish.yml posts
    for login in ("rev1", "rev2"):
        reviewer = fake.add_user(login, email=f"{login}@example.com")
        gh_pull = fake.client(reviewer).get_repo("acme/widgets").get_pull(pull)
        gh_pull.create_review(commit=gh_pull.base.repo.get_commit(head), event="APPROVE")
    work = tmp_path / "job"
    # --no-local: objects only through git's transport, as a clone from GitHub gets them
    git(tmp_path, "clone", "-q", "--no-local", str(fake.git_dir), str(work))
    target = staging.Target(StagingRepo(conn(fake, fake.bot), "main"), number, pull,
                            app="gatebot")
    cand = Candidate(open_context(work).board().task(number), branch, head, Identity("rev1"),
                     Identity("rev2"), (Contributor("alice", "author", "alice@example.com"),))
    return World(fake, work, target, cand, alice)


@pytest.fixture
def world(fake_github: FakeGitHub, tmp_path: Path) -> World:
    """An approved task ready for gate 2's landing."""
    return _world(fake_github, tmp_path)


def _forced(fake: FakeGitHub) -> list[str]:
    """Every ref update that did not say ``force: false`` (the fake logs each body)."""
    return [f"{r.method} {r.path}" for r in fake.requests
            if "/git/refs/" in r.path and r.method == "PATCH"
            and json.loads(r.body or b"{}").get("force") is not False]


def test_green_landing_fast_forwards_main_to_the_tested_sha(world: World) -> None:
    before = world.main()
    sha = world.stage()
    assert world.main() == before  # staging never touches main
    assert world.staging() == {"gatebot/staging/1/1": sha}
    [sent] = world.fake.state.dispatches
    assert (sent.workflow, sent.ref, sent.inputs) == ("gatebot-staging.yml", "main",
                                                      {"sha": sha, "task": "1"})
    assert world.land().state == "waiting"  # no check run yet: main stays
    assert world.main() == before
    assert world.finish_run(sha).state == "recorded"
    done = world.land()
    assert done.state == "landed", done.message
    assert world.main() == sha
    parents = git(world.fake.git_dir, "rev-list", "--parents", "-n1", sha).split()[1:]
    assert parents == [before, world.cand.head]
    # main's first-parent history gained exactly the tested release commit
    assert git(world.fake.git_dir, "rev-list", "--first-parent", f"{before}..main").split() \
        == [sha]
    on_sha = [(r.name, r.conclusion) for r in world.fake.state.check_runs.values()
              if r.head_sha == sha]
    assert on_sha == [(STAGING_CHECK, "success")]
    todo = git(world.fake.git_dir, "show", f"{sha}:TODO.md")
    assert "### #1 Rate limiter" in todo.split("## 🚀 RELEASED")[1]
    issue = world.fake.state.issues[world.target.task]
    assert issue.state == "closed" and issue.labels == ["status:released"]
    assert world.target.api.repo.get_pull(world.target.pull).merged  # GitHub sees it merged
    assert world.staged() is None
    patches = [r for r in world.fake.requests if r.method == "PATCH" and "/git/" in r.path]
    assert [r.path for r in patches] == ["/repos/acme/widgets/git/refs/heads/main"]
    assert json.loads(patches[0].body) == {"sha": sha, "force": False}


def test_a_claimants_approval_does_not_count_at_the_landing(world: World) -> None:
    sha = world.stage()
    rev2 = world.fake.state.user_by_login("rev2")
    assert rev2 is not None
    with world.fake.state.lock:  # rev2 claimed the task: a builder, like gate 2 says
        world.fake.state.issues[world.target.task].assignees.append(rev2.id)
    world.finish_run(sha)
    done = world.land()
    assert done.state == "back-to-review", done.message
    assert "1 approval(s) stand" in done.message
    assert world.main() != sha and not _reaches(world, world.cand.head)


def test_red_checks_send_the_task_back_and_leave_main(world: World) -> None:
    sha = world.stage()
    before = world.main()
    world.finish_run(sha, "failure")
    done = world.land()
    assert done.state == "back-to-review"
    assert STAGING_CHECK in done.message
    assert world.main() != sha
    assert not _reaches(world, world.cand.head)
    assert world.fake.state.issues[1].labels == ["status:review"]
    board = git(world.fake.git_dir, "show", "main:TODO.md")
    assert "### #1 Rate limiter" in board.split("## 👀 REVIEW")[1].split("## ✅")[0]
    assert world.main() != before  # one board commit: the task back to REVIEW, nothing else
    changed = git(world.fake.git_dir, "diff", "--name-only", before, "main").split()
    assert changed[0] == "TODO.md" and all(p.startswith("coordination/") for p in changed[1:])


def _reaches(world: World, sha: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", sha, "main"],
                          cwd=world.fake.git_dir, check=False).returncode == 0


def test_main_moved_after_staging_rebuilds_and_retests(world: World) -> None:
    first = world.stage()
    world.finish_run(first)
    moved = world.fake.push_commit("main", {"other.md": "x\n"}, "Someone landed", world.alice)
    done = world.land()
    assert done.state == "rebuilt", done.message
    second = world.staged()
    assert list(world.staging()) == ["gatebot/staging/1/2"]  # a new ref; the old one deleted
    assert second and second != first and done.sha == second
    assert world.main() == moved  # nothing landed from the stale staging commit
    assert [d.inputs["sha"] for d in world.fake.state.dispatches] == [first, second]
    assert world.land().state == "waiting"  # the old commit's green check does not count
    world.finish_run(second, run_id=8)
    assert world.land().state == "landed"
    assert world.main() == second
    assert git(world.fake.git_dir, "rev-parse", f"{second}^1") == moved
    assert _forced(world.fake) == []


def test_main_keeps_moving_escalates_after_the_retries(world: World) -> None:
    for attempt in range(4):  # merge.retries is 3: the fourth moved base escalates
        sha = world.staged() or world.stage()
        world.finish_run(sha, run_id=attempt)
        world.fake.push_commit("main", {f"o{attempt}.md": "x\n"}, "moved", world.alice)
        done = world.land()
    assert done.state == "escalated", done.message
    assert world.fake.state.issues[1].labels == ["status:rdy-for-prod", "escalated"]
    assert not _reaches(world, world.cand.head)
    assert world.staged() is None


def test_check_runs_of_another_app_workflow_or_sha_are_not_accepted(world: World) -> None:
    sha = world.stage()
    before = world.main()
    other_app = world.fake.add_user("other-ci", bot=True)
    other_repo = world.fake.client(other_app).get_repo("acme/widgets")
    other_repo.create_check_run(STAGING_CHECK, sha, status="completed", conclusion="success")
    bot_repo = world.target.api.repo
    bot_repo.create_check_run(STAGING_CHECK, world.cand.head, status="completed",
                              conclusion="success")  # the right app, another SHA
    assert world.finish_run(sha, path=".github/workflows/gatebot-pr.yml").state == "ignored"
    assert world.finish_run("0" * 40).state == "ignored"
    done = world.land()
    assert done.state == "waiting", done.message
    assert world.main() == before


def test_a_push_after_the_approvals_discards_the_staging_result(world: World) -> None:
    sha = world.stage()
    world.finish_run(sha)
    world.fake.push_commit(BRANCH, {"notes/limiter.md": "# Changed\n"}, "More", world.alice)
    done = world.land()
    assert done.state == "back-to-review", done.message
    assert "head moved" in done.message
    assert world.main() != sha and not _reaches(world, world.cand.head)


def test_killed_between_steps_main_stays_and_a_rerun_lands(world: World) -> None:
    before = world.main()
    world.fake.inject("drop", method="POST", path="*/dispatches")
    with pytest.raises(Exception):  # noqa: B017 - the job dies, however it dies
        world.stage()
    assert world.main() == before
    assert list(world.staging()) == ["gatebot/staging/1/1"]
    sha = world.stage()  # the job runs again: a new staging branch, the old one deleted
    assert world.staging() == {"gatebot/staging/1/2": sha}
    world.finish_run(sha)
    world.fake.inject("500", method="PATCH", path="*/git/refs/heads/main", times=4)
    with pytest.raises(EnvironmentProblem) as failed:  # retried three times, then given up
        world.land()
    assert "GitHub answered 500 to every retry" in str(failed.value) and "fast-forwarding main" in \
        str(failed.value)
    assert world.fake.bot.token not in str(failed.value) + failed.value.hint
    assert world.main() == before
    assert world.land().state == "landed"
    assert world.main() == sha
    assert _forced(world.fake) == []


def test_killed_after_the_fast_forward_a_rerun_only_finishes_the_labels(world: World) -> None:
    sha = world.stage()
    world.finish_run(sha)
    world.fake.inject("500", method="PATCH", path="*/git/refs/heads/main", after=True, times=4)
    with pytest.raises(EnvironmentProblem):  # GitHub moved main; every answer was lost
        world.land()
    assert world.main() == sha
    assert world.fake.state.issues[1].labels == ["status:rdy-for-prod"]
    done = world.land()
    assert done.state == "landed", done.message
    assert world.main() == sha  # not rebuilt on top of itself
    assert len(world.fake.state.dispatches) == 1
    assert world.fake.state.issues[1].labels == ["status:released"]


def test_a_refused_fast_forward_rebuilds_and_never_forces(world: World) -> None:
    sha = world.stage()
    world.finish_run(sha)
    world.fake.inject("422", method="PATCH", path="*/git/refs/heads/main")
    done = world.land()
    assert done.state == "rebuilt", done.message
    assert world.main() != done.sha and not _reaches(world, world.cand.head)
    assert _forced(world.fake) == []


def test_a_fast_forward_refused_every_time_is_retried_then_escalated(world: World) -> None:
    world.fake.inject("422", method="PATCH", path="*/git/refs/heads/main", times=10)
    before, builds = world.main(), []
    for run_id in range(1, 10):
        sha = world.staged() or world.stage()
        builds.append(sha)
        world.finish_run(sha, run_id=run_id)
        done = world.land()
        if done.state != "rebuilt":
            break
    assert done.state == "escalated", done.message
    assert "refused the fast-forward" in done.message
    assert len(builds) == 4  # the first build and merge.retries (3) rebuilds
    assert len(world.fake.state.dispatches) == 4
    assert world.fake.state.issues[1].labels == ["status:rdy-for-prod", "escalated"]
    assert world.staged() is None and not _reaches(world, world.cand.head)
    board = git(world.fake.git_dir, "diff", "--name-only", before, "main").split()
    assert "notes/limiter.md" not in board  # only the escalation's board commit reached main
    assert _forced(world.fake) == []


def test_a_500_on_the_ref_update_is_retried_and_lands(world: World) -> None:
    sha = world.stage()
    world.finish_run(sha)
    world.fake.inject("500", method="PATCH", path="*/git/refs/heads/main")
    done = world.land()
    assert done.state == "landed", done.message
    assert world.main() == sha
    patches = [r for r in world.fake.requests if r.method == "PATCH" and "/git/" in r.path]
    assert [r.status for r in patches] == [500, 200]


def test_a_github_error_is_translated_and_redacted(world: World) -> None:
    world.fake.inject("403-secondary", method="POST", path="*/dispatches", retry_after=3600)
    with pytest.raises(EnvironmentProblem) as failed:
        world.stage()
    text = str(failed.value) + failed.value.hint
    assert "gatebot-staging.yml" in text and world.fake.bot.token not in text


@pytest.mark.parametrize("conclusion", ["cancelled", "timed_out"])
def test_an_interrupted_staging_run_is_run_again_once_then_escalated(world: World,
                                                                     conclusion: str) -> None:
    sha = world.stage()
    assert world.finish_run(sha, conclusion).state == "recorded"
    done = world.land()
    assert done.state == "rerun", done.message  # not red: no failed check named, no REVIEW
    assert [d.inputs["sha"] for d in world.fake.state.dispatches] == [sha, sha]
    assert world.land().state == "waiting"  # the re-run is queued: nothing dispatched again
    assert len(world.fake.state.dispatches) == 2
    world.finish_run(sha, conclusion, run_id=8)
    done = world.land()
    assert done.state == "escalated", done.message
    assert "did not finish" in done.message
    assert world.fake.state.issues[1].labels == ["status:rdy-for-prod", "escalated"]
    assert world.main() != sha and not _reaches(world, world.cand.head)
    assert world.staged() is None and len(world.fake.state.dispatches) == 2


def test_an_interrupted_run_whose_rerun_passes_lands(world: World) -> None:
    sha = world.stage()
    world.finish_run(sha, "cancelled")
    assert world.land().state == "rerun"
    world.finish_run(sha, "success", run_id=8)
    done = world.land()
    assert done.state == "landed", done.message
    assert world.main() == sha


def test_a_pull_request_from_a_fork_lands_through_its_pull_ref(fake_github: FakeGitHub,
                                                                tmp_path: Path) -> None:
    world = _world(fake_github, tmp_path, fork=True)
    assert fake_github.state.git.ref(f"refs/heads/{BRANCH}") is None  # the branch is the fork's
    gh_pull = world.target.api.repo.get_pull(world.target.pull)
    assert gh_pull.head.repo.full_name == "alice/widgets" and gh_pull.head.sha == world.cand.head
    sha = world.stage()
    assert git(world.fake.git_dir, "rev-parse", f"{sha}^2") == world.cand.head
    world.finish_run(sha)
    done = world.land()
    assert done.state == "landed", done.message
    assert world.main() == sha


def test_a_fork_that_moved_its_head_after_the_approvals_stages_nothing(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    world = _world(fake_github, tmp_path, fork=True)
    moved = world.fake.push_commit("elsewhere", {"x.md": "x\n"}, "Other", world.alice)
    git(world.fake.git_dir, "update-ref", f"refs/pull/{world.target.pull}/head", moved)
    with pytest.raises(Refused, match="cannot be fetched"):
        world.stage()
    assert world.staging() == {} and world.fake.state.dispatches == []


PYPROJECT_GATEBOT = '[project]\nname = "w"\n\n[tool.gatebot]\nmin_coverage = 0\n'


@pytest.mark.parametrize("edit", [
    {".gatebot.toml": NO_CHECKS + '\n[claims]\nmaintainers = ["rev1", "rev2"]\n'},
    {"pyproject.toml": PYPROJECT_GATEBOT},
    {"noxfile.py": "import nox\n\n@nox.session\ndef tests(session):\n    pass\n"},
    {".github/workflows/gatebot-staging.yml": "name: gatebot-staging\non: push\njobs: {}\n"},
], ids=["gatebot.toml", "tool.gatebot", "noxfile", "workflows"])
def test_a_change_to_the_gate_files_is_judged_by_the_base_branchs_rules(
        fake_github: FakeGitHub, tmp_path: Path, edit: dict[str, str]) -> None:
    """The change names its own reviewers maintainers, or rewrites the staging workflow: the
    base branch's configuration (no maintainers) decides, so nothing is staged."""
    world = _world(fake_github, tmp_path, files=edit)
    before = world.main()
    with pytest.raises(Refused, match="gate-files"):
        world.stage()
    assert world.staging() == {} and world.fake.state.dispatches == []
    assert world.main() == before


def test_shell_metacharacters_in_the_branch_and_title_reach_no_shell(
        fake_github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    branch = "task/1-$(touch${IFS}pwned);`touch${IFS}pwned2`"
    title = "Limiter $(touch pwned3) `touch pwned4`; touch pwned5"
    world = _world(fake_github, tmp_path, branch=branch, title=title)
    monkeypatch.chdir(world.work)
    sha = world.stage()
    world.finish_run(sha)
    assert world.land().state == "landed"
    assert world.main() == sha
    assert title in git(world.fake.git_dir, "log", "-1", "--format=%B", sha)
    assert [p for p in tmp_path.rglob("pwned*")] == []


def _payload(world: World, tmp_path: Path, sha: str, conclusion: str = "success",
             path: str = ".github/workflows/gatebot-staging.yml") -> Path:
    """The workflow_run event of staging run 99 for ``sha``, which the fake now holds."""
    world.played(StagingRun(path, "workflow_dispatch", "main", f"gatebot staging {sha}",
                            conclusion, 99))
    target = tmp_path / "event.json"
    target.write_text(json.dumps({"action": "completed", "workflow_run": {
        "id": 99, "name": "gatebot-staging", "path": path, "event": "workflow_dispatch",
        "head_branch": "main", "display_title": f"gatebot staging {sha}",
        "conclusion": conclusion}}), encoding="utf-8")
    return target


def _env(world: World) -> dict[str, str]:
    return {"GITHUB_TOKEN": world.fake.bot.token, "GITHUB_REPOSITORY": "acme/widgets",
            "GITHUB_API_URL": world.fake.url, "GATEBOT_GITHUB_THROTTLE": "0"}


def test_gatebot_land_records_the_run_and_lands(world: World, tmp_path: Path) -> None:
    sha = world.stage()
    event = _payload(world, tmp_path, sha)
    result = run_cli(world.work, "land", "--workflow-run", str(event), "--checks-app", "gatebot",
                     env=_env(world))
    assert result.exit_code == 0, result.output
    assert "landed" in result.output
    assert world.main() == sha
    assert world.fake.bot.token not in result.output


def test_gatebot_land_as_a_github_app(world: World, tmp_path: Path) -> None:
    key = world.fake.add_app_key(world.fake.bot)  # the App's key, no GITHUB_TOKEN
    env = {**_env(world), "GITHUB_TOKEN": "", "GATEBOT_GITHUB_APP_ID": str(world.fake.bot.app_id),
           "GATEBOT_GITHUB_APP_KEY": key}
    sha = world.stage()
    result = run_cli(world.work, "land", "--workflow-run", str(_payload(world, tmp_path, sha)),
                     "--checks-app", "gatebot", env=env)
    assert result.exit_code == 0, result.output
    assert world.main() == sha
    [token] = world.fake.state.installation_tokens
    assert token not in result.output


def test_gatebot_land_retries_a_bad_gateway(world: World, tmp_path: Path) -> None:
    sha = world.stage()
    world.fake.inject("502", method="GET", path="*/git/ref/heads/main")
    result = run_cli(world.work, "land", "--workflow-run", str(_payload(world, tmp_path, sha)),
                     "--checks-app", "gatebot", env=_env(world))
    assert result.exit_code == 0, result.output
    assert world.main() == sha


def test_gatebot_land_exits_1_when_the_staging_checks_failed(world: World,
                                                              tmp_path: Path) -> None:
    sha = world.stage()
    event = _payload(world, tmp_path, sha, "failure")
    result = run_cli(world.work, "land", "--workflow-run", str(event), "--checks-app", "gatebot",
                     env=_env(world))
    assert result.exit_code == 1, result.output
    assert "back to REVIEW" in result.output
    assert not _reaches(world, world.cand.head)


def test_gatebot_land_ignores_another_workflows_run(world: World, tmp_path: Path) -> None:
    sha = world.stage()
    event = _payload(world, tmp_path, sha, path=".github/workflows/gatebot-pr.yml")
    result = run_cli(world.work, "land", "--workflow-run", str(event), "--checks-app", "gatebot",
                     env=_env(world))
    assert result.exit_code == 0, result.output
    assert "nothing to do" in result.output
    assert [r for r in world.fake.state.check_runs.values() if r.name != "gatebot/gate-1"] == []


def test_gatebot_land_without_a_token_says_what_to_set(world: World) -> None:
    result = run_cli(world.work, "land", "--task", "1", env={
        "GITHUB_TOKEN": "", "GITHUB_REPOSITORY": "acme/widgets"})
    assert result.exit_code == 2
    assert "GITHUB_TOKEN" in result.output


def test_a_task_released_meanwhile_is_not_staged_again(world: World) -> None:
    """A rebuild after the merge queue (or another job) released the task stages nothing:
    a second release commit of the same task would land it twice."""
    sha = world.stage()
    world.finish_run(sha)
    assert world.land().state == "landed"
    again = staging.stage(open_context(world.work), world.target, world.cand, attempt=2)
    assert again.state == "landed", again.message
    assert again.sha == sha
    assert world.staging() == {}
    assert len(world.fake.state.dispatches) == 1
    assert world.main() == sha
