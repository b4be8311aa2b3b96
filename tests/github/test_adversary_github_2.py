"""The adversary's second round against GitHub mode (session 15): who built it, and whose
green check counts.

Against the fake GitHub over real HTTP with real PyGithub, through ``gatebot gate`` and the
staged landing as the Actions jobs run them. A move gatebot does not yet resist is
``xfail(strict=True)`` naming the hole and where its fix belongs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gatebot.app.output import render_markdown
from gatebot.core.github_model import sticky_body
from gatebot.core.landing import STAGING_CHECK
from gatebot.core.verdict import Finding, RuleResult, Verdict
from tests.fakegithub.server import FakeGitHub
from tests.fakegithub.state import User
from tests.github.test_scenario import REPO, TODO, Job, account, approve, pull_opened, sticky
from tests.github.test_staged_landing import World, _world
from tests.repos import NO_CHECKS, git

BRANCH = "task/1-limiter"


def _reviewing(fake: FakeGitHub, tmp: Path, message: str = "Add notes") -> tuple[Job, int, str]:
    """Task #1 in REVIEW, claimed by bob, and alice's pull request for it (gate 1 not run
    yet). Returns the Actions job, the pull request number and the head SHA."""
    alice, bob = fake.add_user("alice"), fake.add_user("bob")
    fake.push_commit("main", {"TODO.md": TODO, ".gatebot.toml": NO_CHECKS}, "Board", fake.owner)
    issue = fake.create_issue("Rate limiter", alice, labels=("status:review",))
    with fake.state.lock:
        fake.state.issues[issue].assignees.append(bob.id)
    head = fake.push_commit(BRANCH, {"notes/limiter.md": "# Limiter\n"}, message, alice)
    pull = fake.create_pull(BRANCH, alice, body=f"Closes #{issue}")
    return Job(fake, tmp), pull, head


def _alice(fake: FakeGitHub) -> User:
    """The builder, alice."""
    alice = fake.state.user_by_login("alice")
    assert alice is not None
    return alice


def _stage(fake: FakeGitHub) -> list[str]:
    """Task #1's ``status:`` labels."""
    return [n for n in fake.state.issues[1].labels if n.startswith("status:")]


def test_a_co_author_by_an_old_style_noreply_address_cannot_approve(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    """``Co-authored-by: Carol <carol@users.noreply.github.com>``: GitHub's noreply address
    without the id (accounts made before July 2017 still have it) names the account by its
    login. It is no ``ID+login@…`` address: carol's approval must not count (it does not:
    an address linked to no account blocks every approval, failing closed)."""
    fake = fake_github
    carol = fake.add_user("carol")
    job, pull, head = _reviewing(
        fake, tmp_path, "Add notes\n\nCo-authored-by: Carol <Carol@users.noreply.github.com>\n")
    job.gate("pull_request", pull_opened(pull, head, _alice(fake)), checkout=head)
    job.gate("pull_request_review", approve(fake, carol, pull, head))
    assert _stage(fake) == ["status:review"]
    [line] = [n for n in sticky(fake).splitlines() if n.startswith("- @carol")]
    assert "not counted" in line


def test_the_person_who_pushed_the_head_cannot_approve_it(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Carol pushes a commit to alice's branch with alice as its author and committer (any
    ``git commit --author`` does it), then approves it: by commits and authorship the change
    is alice's, but carol put this head there."""
    fake = fake_github
    carol = fake.add_user("carol")
    job, pull, head = _reviewing(fake, tmp_path)
    pushed = pull_opened(pull, head, _alice(fake))
    pushed.update(action="synchronize", sender={**pushed["sender"], **account(carol)})
    job.gate("pull_request", pushed, checkout=head)
    job.gate("pull_request_review", approve(fake, carol, pull, head))
    assert _stage(fake) == ["status:review"]


def test_a_green_gate_1_check_run_from_another_workflow_of_the_same_app_does_not_count(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    """gatebot's gate 1 failed on the head; a second ``gatebot/gate-1`` run, success, by the
    same App (the builder's own workflow, pushed on another branch) comes after it. Neither
    names the publishing run, so neither counts (tests/github/test_adversary_github_3.py
    tries the runs it could name)."""
    fake = fake_github
    job, pull, head = _reviewing(fake, tmp_path)
    job.app_id = False  # the Actions token's account: any workflow writes as it
    repo = fake.client(fake.bot).get_repo(REPO)
    alice = _alice(fake)
    forged = f"{'0' * 16} pushers={alice.id}/{alice.login}"  # what gatebot's own run records
    repo.create_check_run("gatebot/gate-1", head, status="completed", conclusion="failure",
                          external_id=forged)
    repo.create_check_run("gatebot/gate-1", head, status="completed", conclusion="success",
                          external_id=forged)
    out = job.gate("pull_request_review", approve(fake, fake.add_user("carol"), pull, head))
    assert _stage(fake) == ["status:review"], out


def test_a_staging_check_run_posted_by_another_workflow_lands_nothing(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    """The staging commit is pushed and its staging run never finished (or failed): a green
    ``gatebot/staging`` run appears on it, posted by the same App, and ``land`` runs."""
    world = _world(fake_github, tmp_path)
    before = world.main()
    sha = world.stage()
    fake_github.client(fake_github.bot).get_repo(REPO).create_check_run(
        STAGING_CHECK, sha, status="completed", conclusion="success")
    done = world.land()
    assert done.state != "landed", done.message
    assert world.main() == before


def test_a_green_check_run_naming_a_failed_staging_run_lands_nothing(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    """The staging run really ran and failed; then a green ``gatebot/staging`` check run
    naming that run (its ``external_id``) appears: the run's own conclusion decides."""
    world = _world(fake_github, tmp_path)
    before = world.main()
    sha = world.stage()
    world.finish_run(sha, "failure", run_id=7)
    fake_github.client(fake_github.bot).get_repo(REPO).create_check_run(
        STAGING_CHECK, sha, status="completed", conclusion="success", external_id="7")
    done = world.land()
    assert done.state == "back-to-review", done.message
    assert world.main() != sha  # only the board commit that sends the task back
    assert git(world.fake.git_dir, "rev-parse", "main^") == before


def _forge_staging(world: World, tmp: Path, staged: str, *, as_gatebot: bool = False) -> str:
    """A builder's own ``gatebot/staging/1/2``: the staged commit's parents and board, plus a
    file nobody reviewed; pushed to the repository as any writer can (``as_gatebot``:
    committed under gatebot's own name and address). Its SHA."""
    evil = tmp / "evil"
    git(tmp, "clone", "-q", str(world.fake.git_dir), str(evil))
    git(evil, "checkout", "-q", "--detach", staged)
    (evil / "backdoor.py").write_text("print('unreviewed')\n", encoding="utf-8")
    git(evil, "add", "backdoor.py")
    parents = git(evil, "rev-list", "--parents", "-n1", staged).split()[1:]
    who = {"GIT_COMMITTER_NAME": "gatebot", "GIT_COMMITTER_EMAIL": "gatebot@localhost"}
    forged = git(evil, "commit-tree", git(evil, "write-tree"), "-p", parents[0],
                 "-p", parents[1], "-m", git(evil, "log", "-1", "--format=%B", staged),
                 env=who if as_gatebot else None)
    git(evil, "push", "-q", "origin", f"{forged}:refs/heads/gatebot/staging/1/2")
    return forged


@pytest.mark.parametrize("as_gatebot", [False, True], ids=["own-name", "gatebot-name"])
def test_a_staging_branch_pushed_by_someone_else_never_lands(
        fake_github: FakeGitHub, tmp_path: Path, as_gatebot: bool) -> None:
    """The staging checks really run, and pass, on the forged commit: only its origin is
    wrong. main must not get ``backdoor.py``, also when the forger commits under gatebot's
    name (then only the tree, merge-tree of the parents plus the board, tells it apart)."""
    world = _world(fake_github, tmp_path)
    before = world.main()
    forged = _forge_staging(world, tmp_path, world.stage(), as_gatebot=as_gatebot)
    recorded = world.finish_run(forged, run_id=8)
    done = world.land()
    assert done.state != "landed", (recorded.message, done.message)
    assert world.main() == before
    assert "backdoor.py" not in git(world.fake.git_dir, "ls-tree", "--name-only", "main")
    assert done.state == "escalated", done.message
    assert ("backdoor.py" in done.message) is as_gatebot, done.message


def test_a_failing_test_name_mentions_nobody_in_the_sticky_comment() -> None:
    """``test_limit[@acme/security]`` fails: the verdict names it in the sticky comment, and
    GitHub pinged the team on every push (md_escape escaped Markdown, not mentions). An
    email's ``@`` is no mention and stays as it is."""
    found = Finding("tests/test_limit.py::test_limit[@acme/security] failed: assert 1 == 2",
                    path="tests/test_limit.py", test="tests/test_limit.py::test_limit")
    verdict = Verdict("review", "a" * 40, "b" * 40,
                      (RuleResult("checks.tests", "fail", "1 test failed", (found,)),))
    body = sticky_body(render_markdown(verdict), {}, None)
    assert "acme/security" in body
    assert not re.search(r"(?<![\w`])@acme/security", body)
    assert "rev1@example.org" in render_markdown(Verdict(
        "review", "a" * 40, "b" * 40, (), actor="rev1@example.org"))
