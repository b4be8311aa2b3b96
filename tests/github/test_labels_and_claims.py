"""Labels, stages and claims of the github forge against the fake GitHub over real HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from gatebot.adapters.github import claims, labels
from gatebot.adapters.github.claims import ClaimRequest
from gatebot.core.board import Stage
from gatebot.core.github_model import LABELS, parse_claim_comment
from gatebot.errors import BoardError, Refused
from tests.fakegithub import FakeGitHub
from tests.github.helpers import conn, person


def test_labels_are_created_once_and_corrected(fake_github: FakeGitHub) -> None:
    bot = conn(fake_github, fake_github.bot)
    fake_github.state.add_label("stale", "000000", "old words")
    done = {c.name: c.action for c in labels.ensure_labels(bot)}
    assert done["stale"] == "updated"
    assert {n for n, a in done.items() if a == "created"} == {s.name for s in LABELS} - {"stale"}
    got = {lb.name: (lb.color, lb.description) for lb in fake_github.state.labels.values()}
    assert got == {s.name: (s.color, s.description) for s in LABELS}
    fake_github.reset_log()
    assert {c.action for c in labels.ensure_labels(bot)} == {"kept"}
    assert fake_github.writes() == []


def test_two_stage_labels_are_reported_not_guessed(fake_github: FakeGitHub) -> None:
    number = fake_github.create_issue("Task", fake_github.owner,
                                      labels=("status:ready", "status:review"))
    alice = fake_github.add_user("alice")
    with pytest.raises(BoardError, match="2 stage labels: status:ready, status:review"):
        claims.claim(conn(fake_github, alice), ClaimRequest(number, person(alice)), alice.id)
    assert fake_github.writes() == []


def _labels(fake: FakeGitHub, number: int) -> set[str]:
    return set(fake.state.issues[number].labels)


def test_claim_sets_label_assignee_and_one_comment(fake_github: FakeGitHub) -> None:
    fake_github.clock.set(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    alice = fake_github.add_user("alice")
    number = fake_github.create_issue("Rate limiter", fake_github.owner, labels=("status:ready",))
    record = claims.claim(conn(fake_github, alice),
                          ClaimRequest(number, person(alice), ("lib/*.py",), 30), alice.id)
    assert (record.session_name, record.started_at) == ("alice", datetime(2026, 3, 1, 10, tzinfo=UTC))
    assert _labels(fake_github, number) == {"status:in-progress", "claimed"}
    assert fake_github.state.issues[number].assignees == [alice.id]
    bodies = [c.body for c in fake_github.state.comments.values()]
    assert len(bodies) == 1
    assert parse_claim_comment(bodies[0]) == record
    fake_github.reset_log()
    again = claims.claim(conn(fake_github, alice), ClaimRequest(number, person(alice)), alice.id)
    assert again == record
    assert fake_github.writes() == []


def test_a_comment_cannot_claim_for_someone_else(fake_github: FakeGitHub) -> None:
    alice, mallory = fake_github.add_user("alice"), fake_github.add_user("mallory")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    claims.claim(conn(fake_github, alice), ClaimRequest(number, person(alice)), alice.id)
    forged = next(iter(fake_github.state.comments.values())).body
    claims.release(conn(fake_github, alice), number, person(alice), alice.id)
    conn(fake_github, mallory).repo.get_issue(number).create_comment(forged)
    state = claims.read_claims(conn(fake_github, mallory), number, alice.id)
    assert state.holder is None  # alice's words, but mallory wrote the comment: it does not count


def test_a_claim_written_with_anothers_token_is_refused_and_removed(
        fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    with pytest.raises(Refused, match="writes as alice, not as gatebot's account") as refused:
        claims.claim(conn(fake_github, alice), ClaimRequest(number, person(alice)),
                     fake_github.bot.id)
    assert f"comment `/claim` on issue #{number}" in refused.value.hint
    assert fake_github.state.comments == {}
    assert _labels(fake_github, number) == {"status:ready"}


def test_two_claims_within_a_second_leave_one_holder(fake_github: FakeGitHub) -> None:
    fake_github.clock.set(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    alice, bob = fake_github.add_user("alice"), fake_github.add_user("bob")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    outcome: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def run(user: object) -> None:
        barrier.wait()
        try:
            claims.claim(conn(fake_github, fake_github.bot), ClaimRequest(number, person(user)),  # type: ignore[arg-type]
                         fake_github.bot.id)
            outcome[user.login] = "won"  # type: ignore[attr-defined]
        except Refused as refused:
            outcome[user.login] = refused.message  # type: ignore[attr-defined]

    threads = [threading.Thread(target=run, args=(u,)) for u in (alice, bob)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [login for login, what in outcome.items() if what == "won"]
    assert len(winners) == 1
    loser = ({"alice", "bob"} - set(winners)).pop()
    assert outcome[loser] == f"task #{number} is claimed by {winners[0]} since 2026-03-01T10:00:00Z"
    left = [parse_claim_comment(c.body) for c in fake_github.state.comments.values()]
    assert [r.session_name for r in left if r] == winners
    winner_id = alice.id if winners == ["alice"] else bob.id
    assert fake_github.state.issues[number].assignees == [winner_id]
    assert _labels(fake_github, number) == {"status:in-progress", "claimed"}


def test_stale_by_the_servers_clock_not_updated_at(fake_github: FakeGitHub) -> None:
    fake_github.clock.set(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    alice = fake_github.add_user("alice")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    claims.claim(conn(fake_github, alice), ClaimRequest(number, person(alice)), alice.id)
    fake_github.clock.advance(15 * 60)
    claims.heartbeat(conn(fake_github, alice), number, person(alice), alice.id, progress=40,
                     note="half way")
    fake_github.clock.advance(15 * 60)
    conn(fake_github, fake_github.owner).repo.get_issue(number).add_to_labels("critical")
    state = claims.read_claims(conn(fake_github, alice), number, alice.id)
    assert state.now == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    assert state.holder is not None
    record = state.holder.record
    assert (record.heartbeat_count, record.progress_percent, record.notes) == (1, 40, "half way")
    assert record.heartbeat_last == datetime(2026, 3, 1, 10, 15, tzinfo=UTC)
    assert not state.stale(timedelta(minutes=20))  # the label write moved updated_at only
    fake_github.clock.advance(6 * 60)
    assert claims.read_claims(conn(fake_github, alice), number, alice.id).stale(timedelta(minutes=20))


def test_release_by_holder_and_refusals(fake_github: FakeGitHub) -> None:
    alice, bob = fake_github.add_user("alice"), fake_github.add_user("bob")
    number = fake_github.create_issue("Task", fake_github.owner, labels=("status:ready",))
    bot, bot_id = conn(fake_github, fake_github.bot), fake_github.bot.id
    claims.claim(bot, ClaimRequest(number, person(alice)), bot_id)
    with pytest.raises(Refused, match="claimed by alice"):
        claims.claim(bot, ClaimRequest(number, person(bob)), bot_id)
    with pytest.raises(Refused, match="not by bob"):
        claims.release(bot, number, person(bob), bot_id)
    with pytest.raises(Refused, match="bob holds no claim"):
        claims.heartbeat(bot, number, person(bob), bot_id)
    claims.release(bot, number, person(alice), bot_id)
    assert _labels(fake_github, number) == {"status:ready"}
    assert fake_github.state.issues[number].assignees == []
    assert fake_github.state.comments == {}
    assert Stage.READY is labels.issue_stage(conn(fake_github, bob).repo.get_issue(number))
