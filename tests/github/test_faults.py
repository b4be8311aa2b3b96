"""Faults GitHub can answer with, and what the github forge does: each write is made exactly
once or reported (exit 2, clear, no token in the text); rate-limit waits are capped and
reported. Driven through the CLI (``gatebot init --github``) and the adapter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gatebot.adapters.github import claims, labels, verdicts, writes
from gatebot.adapters.github.claims import ClaimRequest
from gatebot.adapters.github.verdicts import Publication
from gatebot.core.github_model import LABELS, STICKY_MARKER
from gatebot.core.verdict import RuleResult, Verdict
from gatebot.errors import EnvironmentProblem
from tests.fakegithub import FakeGitHub
from tests.github.helpers import MAX_WAIT, conn, person
from tests.repos import make_repo, run_cli

ISSUES = "/repos/acme/widgets/issues/*"
TIMEOUT = 1
"""Seconds a connection waits for an answer in the tests of a slow answer: the shortest that
PyGithub takes (a whole number of seconds) and gatebot's ``Settings.timeout`` holds."""
SLOW = 10.0
"""Seconds a ``slow`` fault holds its answer: far past ``TIMEOUT``, at no cost (the client
gives up at ``TIMEOUT``; the fake ends the wait when it stops)."""


def _cli_init(fake: FakeGitHub, tmp_path: Path, token: str) -> tuple[int, str]:
    (tmp_path / "local").mkdir()
    repo = make_repo(tmp_path / "local")
    env = {"GITHUB_API_URL": fake.url, "GITHUB_REPOSITORY": "acme/widgets",
           "GITHUB_TOKEN": token, "GATEBOT_GITHUB_MAX_WAIT": "3",
           "GATEBOT_GITHUB_THROTTLE": "0"}
    result = run_cli(repo.path, "init", "--github", env=env)
    return result.exit_code, result.output


def test_init_github_creates_the_labels_then_changes_nothing(fake_github: FakeGitHub,
                                                            tmp_path: Path) -> None:
    code, out = _cli_init(fake_github, tmp_path, fake_github.owner.token)
    assert code == 0, out
    assert "status:rdy-for-prod (created)" in out
    assert set(fake_github.state.labels) == {s.name for s in LABELS}
    fake_github.reset_log()
    labels.ensure_labels(conn(fake_github, fake_github.owner))
    assert fake_github.writes() == []


def test_bad_credentials_exit_2_without_the_token(fake_github: FakeGitHub,
                                                  tmp_path: Path) -> None:
    token = "ghp_" + "S3cr3t" * 6
    code, out = _cli_init(fake_github, tmp_path, token)
    assert code == 2
    assert "GitHub answered 401 (Bad credentials)" in out
    assert "check GITHUB_TOKEN or --token" in out
    assert token not in out and "S3cr3t" not in out


@pytest.mark.parametrize("kind", ["500", "drop", "slow"])
def test_errors_never_carry_the_token(fake_github: FakeGitHub, kind: str) -> None:
    alice = fake_github.add_user("alice")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    fake_github.inject(kind, method="GET", path=f"{ISSUES}", times=10, delay=SLOW)
    with pytest.raises(EnvironmentProblem) as raised:
        claims.claim(conn(fake_github, alice, timeout=TIMEOUT, retries=1),
                     ClaimRequest(number, person(alice)), alice.id)
    text = f"{raised.value.message} {raised.value.hint} {raised.value!r}"
    assert alice.token not in text
    assert "run the command again" in raised.value.hint
    assert raised.value.__cause__ is None and raised.value.__context__ is not None
    assert alice.token not in repr(raised.value.__suppress_context__)


def test_secondary_rate_limit_waits_retry_after_and_reports(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    fake_github.inject("403-secondary", method="POST", path=f"{ISSUES}/comments", retry_after=1)
    lines: list[str] = []
    claims.claim(conn(fake_github, alice, lines, max_wait=1), ClaimRequest(number, person(alice)),
                 alice.id)
    posts = [r for r in fake_github.writes() if r.path.endswith("/comments")]
    assert [(r.status, r.fault) for r in posts] == [(403, "403-secondary"), (201, None)]
    assert posts[1].at - posts[0].at >= 1.0  # Retry-After's whole second, honoured
    assert lines == ["GitHub answered 403; waiting 1 s before retrying"]
    assert len(fake_github.state.comments) == 1


def test_a_wait_past_the_cap_is_refused_clearly(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    fake_github.inject("429", method="POST", path=f"{ISSUES}/comments", retry_after=600)
    with pytest.raises(EnvironmentProblem, match="asked to wait 600 s, more than the cap of 1 s"):
        claims.claim(conn(fake_github, alice, max_wait=1), ClaimRequest(number, person(alice)),
                     alice.id)
    assert fake_github.state.comments == {}


@pytest.mark.parametrize("kind", ["500", "502", "drop", "slow"])
def test_a_lost_answer_to_a_post_neither_loses_nor_doubles(fake_github: FakeGitHub,
                                                           kind: str) -> None:
    alice = fake_github.add_user("alice")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    fake_github.inject(kind, method="POST", path=f"{ISSUES}/comments", after=True, delay=SLOW)
    claims.claim(conn(fake_github, alice, timeout=TIMEOUT), ClaimRequest(number, person(alice)),
                 alice.id)
    assert len(fake_github.state.comments) == 1
    assert fake_github.state.issues[number].assignees == [alice.id]


@pytest.mark.parametrize("kind", ["500", "502", "drop"])
def test_a_post_that_failed_before_the_write_is_made_once(fake_github: FakeGitHub,
                                                          kind: str) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    sha = fake_github.push_commit("task/1-x", {"a.py": "a\n"}, "A", alice)
    number = fake_github.create_pull("task/1-x", alice)
    fake_github.inject(kind, method="POST", path="/repos/acme/widgets/check-runs")
    verdict = Verdict("review", sha, "0" * 40, (RuleResult("checks.tests", "pass", "ok"),))
    verdicts.publish(conn(fake_github, fake_github.bot), Publication(number, "gate-1", verdict,
                                                                     "ok\n"), person(fake_github.bot))
    assert len(fake_github.state.check_runs) == 1
    assert len([c for c in fake_github.state.comments.values() if STICKY_MARKER in c.body]) == 1


def test_removing_a_missing_label_is_success(fake_github: FakeGitHub) -> None:
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    bot = conn(fake_github, fake_github.bot)
    issue = bot.repo.get_issue(number)
    assert writes.remove_label(bot, issue, "claimed") is False
    assert writes.remove_label(bot, issue, "status:ready") is True
    assert [(r.method, r.status) for r in fake_github.writes()] == [("DELETE", 404),
                                                                    ("DELETE", 200)]
    assert fake_github.state.issues[number].labels == []


@pytest.mark.parametrize(("kind", "said"), [("409", "409 (Conflict)"),
                                            ("422", "422 (Validation Failed)")])
def test_conflict_and_validation_answers_are_reported(fake_github: FakeGitHub, kind: str,
                                                      said: str) -> None:
    alice = fake_github.add_user("alice")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    fake_github.inject(kind, method="POST", path=f"{ISSUES}/comments")
    with pytest.raises(EnvironmentProblem, match=re.escape(f"GitHub answered {said}")):
        claims.claim(conn(fake_github, alice), ClaimRequest(number, person(alice)), alice.id)
    assert fake_github.state.comments == {}
    claims.claim(conn(fake_github, alice), ClaimRequest(number, person(alice)), alice.id)
    assert len(fake_github.state.comments) == 1


def test_server_errors_on_reads_are_retried(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    fake_github.inject("502", method="GET", path=f"{ISSUES}/comments", times=2)
    claims.claim(conn(fake_github, alice), ClaimRequest(number, person(alice)), alice.id)
    reads = [r for r in fake_github.requests if r.method == "GET" and r.path.endswith("/comments")]
    assert [r.status for r in reads[:3]] == [502, 502, 200]
    assert reads[2].at - reads[1].at >= MAX_WAIT  # the second retry backs off (capped)
    assert len(fake_github.state.comments) == 1
