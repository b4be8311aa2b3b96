"""Gate 1 on a pull request: verdict, review notes and the move to RDY FOR PROD."""

from __future__ import annotations

from gatebot.adapters.github.gate import gate_one
from gatebot.core.github_model import STICKY_MARKER
from gatebot.core.verdict import RuleResult, Verdict
from tests.fakegithub import FakeGitHub
from tests.github.helpers import conn

REPO = "acme/widgets"


def _verdict(head: str, status: str = "pass") -> Verdict:
    return Verdict("review", head, "0" * 40, (RuleResult("checks.tests", status, status),))  # type: ignore[arg-type]


def test_builder_approval_is_answered_and_an_eligible_one_moves_the_task(
        fake_github: FakeGitHub) -> None:
    alice, bob = fake_github.add_user("alice"), fake_github.add_user("bob")
    task = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:review",))
    with fake_github.state.lock:
        fake_github.state.issues[task].assignees.append(bob.id)  # bob claimed it
    head = fake_github.push_commit("task/1-limiter", {"a.py": "a\n"}, "A", alice)
    pull = fake_github.create_pull("task/1-limiter", alice)
    fake_github.client(bob).get_repo(REPO).get_pull(pull).create_review(event="APPROVE")
    bot = conn(fake_github, fake_github.bot)
    done = gate_one(bot, pull, _verdict(head), "## gate 1: pass\n")
    assert (done.task, done.moved, done.approvals.gate1) == (task, False, None)
    [sticky] = [c.body for c in fake_github.state.comments.values() if STICKY_MARKER in c.body]
    assert "- @bob built this change: not counted" in sticky
    carol = fake_github.add_user("carol")
    fake_github.client(carol).get_repo(REPO).get_pull(pull).create_review(event="APPROVE")
    done = gate_one(bot, pull, _verdict(head), "## gate 1: pass\n")
    assert done.moved and done.approvals.gate1 and done.approvals.gate1.login == "carol"
    assert fake_github.state.issues[task].labels == ["status:rdy-for-prod"]
    assert len(fake_github.state.check_runs) == 1  # same verdict: the comment changed only
    fake_github.reset_log()
    again = gate_one(bot, pull, _verdict(head), "## gate 1: pass\n")
    assert not again.moved and fake_github.writes() == []


def test_a_failing_verdict_moves_nothing(fake_github: FakeGitHub) -> None:
    alice, carol = fake_github.add_user("alice"), fake_github.add_user("carol")
    task = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:review",))
    head = fake_github.push_commit("task/1-limiter", {"a.py": "a\n"}, "A", alice)
    pull = fake_github.create_pull("task/1-limiter", alice)
    fake_github.client(carol).get_repo(REPO).get_pull(pull).create_review(event="APPROVE")
    done = gate_one(conn(fake_github, fake_github.bot), pull, _verdict(head, "fail"), "fail\n")
    assert not done.moved
    assert fake_github.state.issues[task].labels == ["status:review"]
    [run] = fake_github.state.check_runs.values()
    assert run.conclusion == "failure"
