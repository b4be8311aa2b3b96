"""The adversary's moves against GitHub mode: approvals, claims and comments a builder or a
stranger could forge, each played against the fake GitHub over real HTTP.

Every test plays one move and asserts gatebot does not move the task, count the approval or
obey the command. A move gatebot does not yet resist is ``xfail(strict=True)`` naming the hole.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from github import GithubException

from gatebot.adapters.github import claims, identity
from gatebot.adapters.github.forge import GitHubClaims
from gatebot.adapters.github.gate import gate_one
from gatebot.core.claims import ClaimRecord
from gatebot.core.events import Nothing, intent_of
from gatebot.core.github_model import (
    STICKY_MARKER,
    Person,
    ReviewFact,
    decide_approvals,
    hidden_json,
    parse_claim_comment,
)
from gatebot.core.verdict import RuleResult, Verdict
from tests.fakegithub import FakeGitHub
from tests.fakegithub.state import User
from tests.github.helpers import conn, person
from tests.repos import git, run_cli

REPO = "acme/widgets"
WEBHOOKS = Path(__file__).parent.parent / "fixtures" / "github" / "webhooks"


def _verdict(head: str) -> Verdict:
    return Verdict("review", head, "0" * 40, (RuleResult("checks.tests", "pass", "pass"),))


def _task_pull(fake: FakeGitHub, *, message: str = "Add",
               builder: User | None = None) -> tuple[int, int, str]:
    """A task in REVIEW and its pull request by alice: (task, pull, head)."""
    alice = fake.state.user_by_login("alice") or fake.add_user("alice", email="alice@example.com")
    task = fake.create_issue("Limiter", fake.owner, labels=("status:review",))
    head = fake.push_commit(f"task/{task}-limiter", {"lib.py": "x = 1\n"}, message,
                            builder or alice)
    return task, fake.create_pull(f"task/{task}-limiter", alice), head


def _approve(fake: FakeGitHub, who: User, pull: int) -> int:
    return fake.client(who).get_repo(REPO).get_pull(pull).create_review(event="APPROVE").id


def _gate(fake: FakeGitHub, pull: int, head: str) -> bool:
    """Run gate 1 as the bot; whether the task moved to RDY FOR PROD."""
    return gate_one(conn(fake, fake.bot), pull, _verdict(head), "## gate 1: pass\n").moved


def test_the_pull_request_author_is_a_builder(fake_github: FakeGitHub) -> None:
    carol = fake_github.add_user("carol")
    alice = fake_github.add_user("alice", email="alice@example.com")
    task = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:review",))
    fake_github.push_commit(f"task/{task}-x", {"a.py": "a\n"}, "A", alice)
    pull = fake_github.create_pull(f"task/{task}-x", carol)  # carol opened it, alice built it
    with pytest.raises(GithubException, match="Can not approve your own pull request"):
        _approve(fake_github, carol, pull)  # GitHub refuses; gatebot bans the author anyway
    facts = identity.read_pull(conn(fake_github, fake_github.bot), pull)
    assert person(carol) in identity.builders(facts)


def test_a_commit_author_linked_by_email_cannot_approve(fake_github: FakeGitHub) -> None:
    bob = fake_github.add_user("bob", email="bob@example.com")
    _task, pull, head = _task_pull(fake_github, builder=bob)  # alice opened, bob's commit
    _approve(fake_github, bob, pull)
    assert not _gate(fake_github, pull, head)


def test_a_co_author_by_noreply_email_cannot_approve(fake_github: FakeGitHub) -> None:
    dave = fake_github.add_user("dave")
    trailer = f"Co-authored-by: Dave <{dave.id}+dave@users.noreply.github.com>"
    _task, pull, head = _task_pull(fake_github, message=f"Add\n\n{trailer}\n")
    _approve(fake_github, dave, pull)
    assert not _gate(fake_github, pull, head)


def test_a_co_author_by_linked_email_cannot_approve(fake_github: FakeGitHub) -> None:
    dave = fake_github.add_user("dave", email="dave@example.com")
    _task, pull, head = _task_pull(fake_github,
                                   message="Add\n\nCo-authored-by: Dave <dave@example.com>\n")
    _approve(fake_github, dave, pull)
    assert not _gate(fake_github, pull, head)


def test_a_co_author_email_linked_in_the_pull_request_is_that_account(
        fake_github: FakeGitHub) -> None:
    dave, carol = fake_github.add_user("dave", email="dave@example.com"), fake_github.add_user("carol")
    task, pull, _first = _task_pull(fake_github, builder=dave)  # GitHub links dave's email
    alice = fake_github.state.user_by_login("alice")
    assert alice is not None
    head = fake_github.push_commit(f"task/{task}-limiter", {"lib.py": "x = 2\n"},
                                   "More\n\nCo-authored-by: Dave <Dave@Example.com>\n", alice)
    _approve(fake_github, dave, pull)
    facts = identity.read_pull(conn(fake_github, fake_github.bot), pull)
    assert facts.unverified == ()
    assert dict(identity.approvals(facts).not_counted) == {"dave": "built this change: not counted"}
    _approve(fake_github, carol, pull)  # a reviewer who is no co-author still counts
    assert _gate(fake_github, pull, head)


def test_a_co_author_by_public_email_is_that_account_and_others_still_count(
        fake_github: FakeGitHub) -> None:
    dave = fake_github.add_user("dave", email="dave@example.com")  # public on the profile
    carol = fake_github.add_user("carol")
    _task, pull, head = _task_pull(fake_github,
                                   message="Add\n\nCo-authored-by: Dave <DAVE@example.com>\n")
    _approve(fake_github, dave, pull)
    _approve(fake_github, carol, pull)
    facts = identity.read_pull(conn(fake_github, fake_github.bot), pull)
    assert facts.unverified == () and person(dave) in facts.committers
    found = identity.approvals(facts)
    assert found.gate1 == person(carol)
    assert dict(found.not_counted) == {"dave": "built this change: not counted"}
    assert _gate(fake_github, pull, head)


def test_an_unverified_co_author_blocks_every_approval(fake_github: FakeGitHub) -> None:
    carol = fake_github.add_user("carol")
    trailer = "Co-authored-by: Ghost <ghost@example.org>"
    _task, pull, head = _task_pull(fake_github, message=f"Add\n\n{trailer}\n")
    _approve(fake_github, carol, pull)
    outcome = gate_one(conn(fake_github, fake_github.bot), pull, _verdict(head), "## gate 1\n")
    assert not outcome.moved and outcome.approvals.gate1 is None
    [(who, why)] = outcome.approvals.not_counted
    assert who == "carol" and "`ghost@example.org` is linked to no GitHub account" in why
    [sticky] = [c.body for c in fake_github.state.comments.values() if STICKY_MARKER in c.body]
    assert "noreply" in sticky


def test_an_approval_of_an_older_head_is_void_after_a_push(fake_github: FakeGitHub) -> None:
    carol = fake_github.add_user("carol")
    task, pull, _old = _task_pull(fake_github)
    _approve(fake_github, carol, pull)
    alice = fake_github.state.user_by_login("alice")
    assert alice is not None
    head = fake_github.push_commit(f"task/{task}-limiter", {"lib.py": "x = 2\n"}, "More", alice)
    assert not _gate(fake_github, pull, head)


def test_a_dismissed_approval_does_not_count(fake_github: FakeGitHub) -> None:
    carol = fake_github.add_user("carol")
    _task, pull, head = _task_pull(fake_github)
    review = _approve(fake_github, carol, pull)
    owner_pull = fake_github.client(fake_github.owner).get_repo(REPO).get_pull(pull)
    owner_pull.get_review(review).dismiss("not good enough")
    assert not _gate(fake_github, pull, head)


def test_a_bot_approval_does_not_count(fake_github: FakeGitHub) -> None:
    helper = fake_github.add_user("helper", bot=True)
    _task, pull, head = _task_pull(fake_github)
    _approve(fake_github, helper, pull)
    assert not _gate(fake_github, pull, head)


def test_a_renamed_login_and_a_second_approval_count_once(fake_github: FakeGitHub) -> None:
    carol = fake_github.add_user("carol")
    _task, pull, head = _task_pull(fake_github)
    _approve(fake_github, carol, pull)
    with fake_github.state.lock:
        carol.login = "carol-renamed"  # same numeric id
    _approve(fake_github, carol, pull)
    _approve(fake_github, carol, pull)  # the gate-1 reviewer approving again for gate 2
    found = identity.approvals(identity.read_pull(conn(fake_github, fake_github.bot), pull))
    assert found.gate1 == person(carol) and found.gate2 is None
    assert _gate(fake_github, pull, head)  # gate 1 itself is fine: one eligible reviewer


def test_two_logins_of_one_id_are_one_reviewer() -> None:
    """GitHub reports the current login on every review; a log of the old one must not count twice."""
    reviews = [ReviewFact(1, Person(7, "carol"), "APPROVED", "a" * 40),
               ReviewFact(2, Person(7, "carol-renamed"), "APPROVED", "a" * 40)]
    found = decide_approvals(reviews, [Person(1, "alice")], "a" * 40)
    assert found.gate1 is not None and found.gate1.id == 7 and found.gate2 is None


def _comment_event(body: str, action: str = "created") -> object:
    payload = json.loads((WEBHOOKS / "issue_comment.created.0.json").read_text())
    payload["action"] = action
    payload["comment"]["body"] = body
    payload["issue"].pop("pull_request", None)
    return payload


@pytest.mark.parametrize("body", [
    "> /claim", "```\n/claim\n```", "    /release", "please do /claim", "LGTM /release",
    "<details>\n/claim\n</details>",
])
def test_a_command_quoted_fenced_or_after_text_is_not_obeyed(body: str) -> None:
    assert isinstance(intent_of("issue_comment", _comment_event(body)), Nothing)


def test_a_comment_edited_into_a_command_is_not_obeyed() -> None:
    assert isinstance(intent_of("issue_comment", _comment_event("/claim", "edited")), Nothing)


def _forged_block(fake: FakeGitHub, task: int, forger: User, victim: User) -> None:
    alice_record = {"session_id": f"github-{victim.id}", "session_name": victim.login,
                    "ai_type": "", "platform": "github", "started_at": "2020-01-01T00:00:00Z",
                    "status": "active", "claimed_files": [], "task": "Limiter",
                    "task_number": f"#{task}", "task_section": "IN PROGRESS",
                    "estimated_duration_minutes": None, "heartbeat_last": "2020-01-01T00:00:00Z",
                    "heartbeat_count": 0, "progress_percent": 0, "notes": ""}
    body = f"🔒 Claimed\n\n<!-- gatebot:claim\n{hidden_json(alice_record)}\n-->\n"
    assert parse_claim_comment(body) is not None  # a well-formed record: only its author differs
    fake.client(forger).get_repo(REPO).get_issue(task).create_comment(body)


def test_a_forged_claim_record_for_someone_else_never_counts(fake_github: FakeGitHub) -> None:
    mallory, alice = fake_github.add_user("mallory"), fake_github.add_user("alice")
    task = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:ready",))
    _forged_block(fake_github, task, mallory, alice)
    _forged_block(fake_github, task, mallory, fake_github.bot)
    found = claims.read_claims(conn(fake_github, fake_github.bot), task, fake_github.bot.id)
    assert found.holder is None


def test_a_forged_sticky_comment_is_not_the_bots(fake_github: FakeGitHub) -> None:
    mallory, carol = fake_github.add_user("mallory"), fake_github.add_user("carol")
    _task, pull, head = _task_pull(fake_github)
    _approve(fake_github, carol, pull)
    forged = f"## gate 1: pass\n{STICKY_MARKER}\n<!-- gatebot:state\n{{}}\n-->\n"
    fake_github.client(mallory).get_repo(REPO).get_issue(pull).create_comment(forged)
    gate_one(conn(fake_github, fake_github.bot), pull, _verdict(head), "## gate 1: pass\n")
    stickies = [c for c in fake_github.state.comments.values() if STICKY_MARKER in c.body]
    assert sorted(c.user for c in stickies) == sorted([mallory.id, fake_github.bot.id])
    assert [c.body for c in stickies if c.user == mallory.id] == [forged]


def test_a_hand_added_rdy_for_prod_label_lands_nothing(fake_github: FakeGitHub,
                                                        tmp_path: Path) -> None:
    task, _pull, _head = _task_pull(fake_github)
    fake_github.client(fake_github.owner).get_repo(REPO).get_issue(task).set_labels(
        "status:rdy-for-prod")  # a human moves the task by hand
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(fake_github.git_dir), str(clone))
    env = {"GITHUB_API_URL": fake_github.url, "GITHUB_REPOSITORY": REPO,
           "GITHUB_TOKEN": fake_github.owner.token, "GATEBOT_GITHUB_THROTTLE": "0",
           "GATEBOT_GITHUB_BOT_LOGIN": fake_github.bot.login}
    landed = run_cli(clone, "merge", "--task", str(task), "--forge", "github", "--as", "ops",
                     env=env)
    assert landed.exit_code == 1, landed.output
    assert "no standing gate-1 approval" in landed.output
    assert fake_github.owner.token not in landed.output


def test_a_hostile_title_stays_inside_the_claim_record(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    title = "x --> <img src=x onerror=alert(1)> $(rm -rf ~) `id`\n# owned"
    task = fake_github.create_issue(title, fake_github.owner, labels=("status:ready",))
    claims.claim(conn(fake_github, fake_github.bot), claims.ClaimRequest(task, person(alice)),
                 fake_github.bot.id)
    [body] = [c.body for c in fake_github.state.comments.values()]
    assert "<img" not in body and body.count("-->") == 1 and "\n# owned" not in body
    record = parse_claim_comment(body)
    assert record is not None and record.task == "x --> <img src=x onerror=alert(1)> $(rm -rf ~) `id` # owned"


def test_a_hand_written_claim_record_for_oneself_does_not_hold_a_task(
        fake_github: FakeGitHub) -> None:
    mallory = fake_github.add_user("mallory")
    task = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:review",))
    _forged_block(fake_github, task, mallory, mallory)
    found = claims.read_claims(conn(fake_github, fake_github.bot), task, fake_github.bot.id)
    assert found.holder is None


def test_a_forged_comment_with_the_holders_name_is_never_edited_or_removed(
        fake_github: FakeGitHub) -> None:
    mallory, alice = fake_github.add_user("mallory"), fake_github.add_user("alice")
    task = fake_github.create_issue("Limiter", fake_github.owner, labels=("status:review",))
    _forged_block(fake_github, task, mallory, alice)  # older than the genuine claim
    bot = conn(fake_github, fake_github.bot)
    claims.post_claim(bot, bot.repo.get_issue(task), _record(task, alice), fake_github.bot.id)
    store = GitHubClaims(bot, person(alice), fake_github.bot.id)
    store.update("alice", task, lambda r: r.model_copy(update={"progress_percent": 60}))
    assert store.remove("alice", task)
    [left] = fake_github.state.comments.values()
    assert left.user == mallory.id and "\"progress_percent\": 0" in left.body


def _record(task: int, who: User) -> ClaimRecord:
    now = datetime.now(UTC)
    return ClaimRecord(session_id=f"github-{who.id}", session_name=who.login, ai_type="",
                       platform="github", started_at=now, status="active", claimed_files=(),
                       task="Limiter", task_number=f"#{task}", task_section="IN PROGRESS",
                       estimated_duration_minutes=None, heartbeat_last=now, heartbeat_count=0,
                       progress_percent=0, notes="")


def test_a_claimant_who_released_is_still_a_builder(fake_github: FakeGitHub) -> None:
    dave = fake_github.add_user("dave")
    alice = fake_github.add_user("alice", email="alice@example.com")
    task = fake_github.create_issue("Limiter", fake_github.owner,
                                    labels=("status:ready", "status:review"))
    bot = conn(fake_github, fake_github.bot)
    bot.repo.get_issue(task).set_labels("status:ready")
    claims.claim(bot, claims.ClaimRequest(task, person(dave)), fake_github.bot.id)
    claims.release(bot, task, person(dave), fake_github.bot.id)  # dave built, then let go
    bot.repo.get_issue(task).set_labels("status:review")
    head = fake_github.push_commit(f"task/{task}-limiter", {"lib.py": "x = 1\n"}, "Add", alice)
    pull = fake_github.create_pull(f"task/{task}-limiter", alice)
    _approve(fake_github, dave, pull)
    assert not _gate(fake_github, pull, head)


def test_an_assignee_removed_by_hand_is_still_a_builder(fake_github: FakeGitHub) -> None:
    dave = fake_github.add_user("dave")
    task, pull, head = _task_pull(fake_github)
    issue = fake_github.client(fake_github.owner).get_repo(REPO).get_issue(task)
    issue.add_to_assignees("dave")
    issue.remove_from_assignees("dave")
    _approve(fake_github, dave, pull)
    assert not _gate(fake_github, pull, head)
