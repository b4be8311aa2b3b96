"""Builders, approvals bound to the head, verdicts (check runs, statuses, the sticky comment)
and escalations of the github forge, against the fake GitHub over real HTTP."""

from __future__ import annotations

import threading

from gatebot.adapters.github import escalations, identity, reviews, verdicts
from gatebot.adapters.github.verdicts import Publication
from gatebot.core import escalation
from gatebot.core.github_model import COMMENT_LIMIT, STICKY_MARKER, Person
from gatebot.core.verdict import Finding, RuleResult, Verdict
from tests.fakegithub import FakeGitHub
from tests.github.helpers import conn, person

REPO = "acme/widgets"
GATE1 = "<!-- gatebot:section gate-1 -->"


def _pull(fake: FakeGitHub) -> tuple[int, str]:
    alice = fake.state.user_by_login("alice") or fake.add_user("alice", email="alice@example.com")
    sha = fake.push_commit("task/1-limiter", {"lib.py": "x = 1\n"}, "Add", alice)
    return fake.create_pull("task/1-limiter", alice, body="Closes #1"), sha


def _verdict(head: str, findings: int = 0) -> Verdict:
    found = tuple(Finding(f"finding {n}", "lib.py", n + 1) for n in range(findings))
    status = "fail" if findings else "pass"
    return Verdict("review", head, "0" * 40,
                   (RuleResult("function-length", status, f"{findings} long", found),))


def test_builders_include_unlinked_emails_and_the_pusher(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    ghost = fake_github.add_user("ghost")  # pushes under an email GitHub links to no one
    ghost.email = "nobody@example.org"
    number, _ = _pull(fake_github)
    fake_github.push_commit("task/1-limiter", {"b.py": "b\n"}, "B", ghost)
    ghost.email = None
    facts = identity.read_pull(conn(fake_github, fake_github.bot), number)
    carol = Person(999, "carol")
    found = identity.builders(facts, claimants=[carol], pusher=person(fake_github.owner))
    assert [p.key for p in found] == [f"id:{carol.id}", f"id:{alice.id}",
                                      "email:nobody@example.org", f"id:{fake_github.owner.id}"]


def test_approvals_count_only_on_the_head_by_eligible_people(fake_github: FakeGitHub) -> None:
    number, first = _pull(fake_github)
    bob, carol, dave = (fake_github.add_user(n) for n in ("bob", "carol", "dave"))
    robot = fake_github.add_user("helper", bot=True)
    fake_github.client(bob).get_repo(REPO).get_pull(number).create_review(event="APPROVE")
    alice = fake_github.state.user_by_login("alice")
    assert alice is not None
    head = fake_github.push_commit("task/1-limiter", {"lib.py": "x = 2\n"}, "Tune", alice)
    for who in (robot, carol, dave):
        fake_github.client(who).get_repo(REPO).get_pull(number).create_review(event="APPROVE")
    facts = identity.read_pull(conn(fake_github, fake_github.bot), number)
    assert facts.head == head != first
    got = identity.approvals(facts, claimants=[person(carol)])
    assert got.gate1 == person(dave)  # bob approved the old head; carol claimed the task
    assert got.gate2 is None
    assert set(got.not_counted) == {("helper[bot]", "a bot: not counted"),
                                    ("carol", "built this change: not counted")}
    fake_github.client(bob).get_repo(REPO).get_pull(number).create_review(event="APPROVE")
    got = identity.approvals(identity.read_pull(conn(fake_github, fake_github.bot), number),
                             claimants=[person(carol)])
    assert (got.gate1, got.gate2) == (person(dave), person(bob))


def test_check_run_with_batched_annotations_and_one_sticky(fake_github: FakeGitHub) -> None:
    number, head = _pull(fake_github)
    bot = conn(fake_github, fake_github.bot)
    me = identity.bot_identity(bot)
    assert me == person(fake_github.bot)
    item = Publication(number, "gate-1", _verdict(head, 120), "## gate 1: fail\n")
    done = verdicts.publish(bot, item, me)
    assert (done.wrote, done.via) == (True, "check-run")
    runs = list(fake_github.state.check_runs.values())
    assert [(r.name, r.conclusion, len(r.annotations)) for r in runs] == [
        ("gatebot/gate-1", "failure", 120)]
    posts = [w for w in fake_github.writes() if w.path.endswith("/check-runs") or "/check-runs/" in w.path]
    assert [w.method for w in posts] == ["POST", "PATCH", "PATCH"]
    stickies = [c for c in fake_github.state.comments.values() if STICKY_MARKER in c.body]
    assert len(stickies) == 1 and stickies[0].body.startswith(f"{GATE1}\n## gate 1: fail")
    fake_github.reset_log()
    assert verdicts.publish(bot, item, me).wrote is False
    assert fake_github.writes() == []
    again = Publication(number, "gate-1", _verdict(head, 0), "## gate 1: pass\n")
    assert verdicts.publish(bot, again, me).comment_id == stickies[0].id
    assert [c.body.removeprefix(f"{GATE1}\n")[:16]
            for c in fake_github.state.comments.values()] == ["## gate 1: pass\n"]


def test_a_user_token_gets_a_commit_status(fake_github: FakeGitHub) -> None:
    number, head = _pull(fake_github)
    maintainer = conn(fake_github, fake_github.owner)
    me = identity.bot_identity(maintainer)
    done = verdicts.publish(maintainer, Publication(number, "gate-2", _verdict(head, 1), "x\n",
                                                    "https://ci.example/log/7"), me)
    assert done.via == "status"
    [status] = fake_github.state.statuses
    assert (status.context, status.state, status.target_url) == (
        "gatebot/gate-2", "failure", "https://ci.example/log/7")
    assert fake_github.state.check_runs == {}


def test_two_runs_at_once_leave_one_comment_and_one_run(fake_github: FakeGitHub) -> None:
    number, head = _pull(fake_github)
    item = Publication(number, "gate-1", _verdict(head, 3), "## gate 1\n")
    barrier = threading.Barrier(2)

    def run() -> None:
        bot = conn(fake_github, fake_github.bot)
        barrier.wait()
        verdicts.publish(bot, item, person(fake_github.bot))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake_github.state.check_runs) == 1
    assert len([c for c in fake_github.state.comments.values() if STICKY_MARKER in c.body]) == 1


def test_two_different_verdicts_at_once_still_leave_one_comment(fake_github: FakeGitHub) -> None:
    number, head = _pull(fake_github)
    barrier = threading.Barrier(2)

    def run(gate: str) -> None:
        bot = conn(fake_github, fake_github.bot)
        barrier.wait()
        verdicts.publish(bot, Publication(number, gate, _verdict(head), f"{gate}\n"),
                         person(fake_github.bot))

    threads = [threading.Thread(target=run, args=(g,)) for g in ("gate-1", "gate-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([c for c in fake_github.state.comments.values() if STICKY_MARKER in c.body]) == 1
    assert sorted(r.name for r in fake_github.state.check_runs.values()) == [
        "gatebot/gate-1", "gatebot/gate-2"]


def test_a_huge_verdict_is_cut_under_the_limit_with_the_log_link(fake_github: FakeGitHub) -> None:
    number, head = _pull(fake_github)
    text = "## gate 1\n```\n" + "a long log line\n" * 10_000 + "```\n"
    verdicts.publish(conn(fake_github, fake_github.bot),
                     Publication(number, "gate-1", _verdict(head), text, "https://ci.example/9"),
                     person(fake_github.bot))
    [body] = [c.body for c in fake_github.state.comments.values()]
    assert len(body) <= COMMENT_LIMIT
    assert "the full log: https://ci.example/9" in body
    assert body.count("```") % 2 == 0


def test_escalation_comment_and_label_once(fake_github: FakeGitHub) -> None:
    number, _ = _pull(fake_github)
    bot = conn(fake_github, fake_github.bot)
    what = escalation.conflict(1, ("lib.py",), "gatebot merge --task 1")
    first = escalations.escalate(bot, number, what, person(fake_github.bot))
    fake_github.reset_log()
    assert escalations.escalate(bot, number, what, person(fake_github.bot)) == first
    assert fake_github.writes() == []
    [body] = [c.body for c in fake_github.state.comments.values()]
    assert body.startswith("🚨 ESCALATION: Merge conflict on task #1\n")
    assert "**Recommendation**: Option 1, then re-run: gatebot merge --task 1" in body
    assert "escalated" in fake_github.state.issues[number].labels


def test_each_writer_keeps_the_sticky_sections_it_does_not_own(fake_github: FakeGitHub) -> None:
    number, head = _pull(fake_github)
    bot, me = conn(fake_github, fake_github.bot), person(fake_github.bot)
    bob = fake_github.add_user("bob")
    fake_github.client(bob).get_repo(REPO).get_pull(number).create_review(event="APPROVE")
    found = identity.approvals(identity.read_pull(bot, number))
    assert reviews.note_reviews(bot, number, me, found, head)  # the review event's notes
    verdicts.publish(bot, Publication(number, "gate-1", _verdict(head, 1), "## gate 1: fail\n"),
                     me)  # a later verdict on the same pull request
    verdicts.publish(bot, Publication(number, "gate-2", _verdict(head), "## gate 2: pass\n"), me)
    [body] = [c.body for c in fake_github.state.comments.values() if STICKY_MARKER in c.body]
    assert "## gate 1: fail" in body and "## gate 2: pass" in body
    assert f"### Reviews of {head[:12]}\n- Gate 1 approved by @bob on this head" in body
    assert reviews.note_reviews(bot, number, me, found, head) is False  # nothing changed
    verdicts.publish(bot, Publication(number, "gate-1", _verdict(head), "## gate 1: pass\n"), me)
    [body] = [c.body for c in fake_github.state.comments.values() if STICKY_MARKER in c.body]
    assert body.index("## gate 1: pass") < body.index("## gate 2: pass") < body.index("@bob")
    assert "gate 1: fail" not in body
