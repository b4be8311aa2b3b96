"""``gatebot audit`` against the fake GitHub: label events and reviews, and the report issue."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gatebot.adapters.github.audit_issue import AUDIT_LABEL, AUDIT_MARKER
from gatebot.adapters.github.labels import set_stage
from gatebot.adapters.github.writes import add_labels
from gatebot.core.board import Stage
from tests.fakegithub import FakeGitHub
from tests.fakegithub.state import User
from tests.github.helpers import REPO, conn
from tests.repos import git, run_cli

START = datetime(2026, 11, 2, 9, tzinfo=UTC)


@dataclass
class Tally:
    """What the test did, counted as it did it: the figures the audit must report."""

    counts: dict[str, int] = field(default_factory=dict)
    gate1: dict[str, int] = field(default_factory=dict)
    gate2: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


class World:
    """The fake GitHub, a clone of its repository, and gatebot's moves as the github forge."""

    def __init__(self, fake: FakeGitHub, tmp_path: Path) -> None:
        self.fake, self.tally = fake, Tally()
        fake.clock.set(START)
        self.alice = fake.add_user("alice", email="alice@example.com")
        self.bob = fake.add_user("bob", email="bob@example.com")
        self.carol = fake.add_user("carol", email="carol@example.com")
        self.bot = conn(fake, fake.bot)
        self.clone = tmp_path / "clone"
        git(tmp_path, "clone", "-q", str(fake.git_dir), str(self.clone))
        git(self.clone, "config", "user.email", "maint@example.com")
        git(self.clone, "config", "user.name", "Maint")

    def env(self, user: User) -> dict[str, str]:
        now = self.fake.clock.now() + timedelta(minutes=5)
        env = {"GITHUB_API_URL": self.fake.url, "GITHUB_REPOSITORY": REPO,
               "GITHUB_TOKEN": user.token, "GATEBOT_GITHUB_THROTTLE": "0",
               "GATEBOT_CLAIMS__SETTLE": "[0.05, 0.05]",
               "GATEBOT_NOW": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if user is self.fake.bot:  # a user's own token is gatebot's account for its claims
            env["GATEBOT_GITHUB_BOT_LOGIN"] = self.fake.bot.login
        return env

    def tick(self) -> None:
        self.fake.clock.advance(60)

    def task(self, title: str) -> int:
        self.tick()
        self.tally.add("added")
        return self.fake.create_issue(title, self.fake.owner, labels=("status:ready",))

    def claim(self, number: int, who: User) -> None:
        self.tick()
        done = run_cli(self.clone, "claim", str(number), "--forge", "github", "--as",
                       who.login, env=self.env(who))
        assert done.exit_code == 0, done.output
        self.tally.add("claimed")

    def move(self, number: int, stage: Stage, event: str, **labels: tuple[str, ...]) -> None:
        self.tick()
        set_stage(self.bot, self.bot.repo.get_issue(number), stage, **labels)
        self.tally.add(event)

    def pull(self, number: int, author: User) -> int:
        self.fake.push_commit(f"task/{number}-x", {f"t{number}.py": "x = 1\n"}, "work", author)
        return self.fake.create_pull(f"task/{number}-x", author, body=f"Closes #{number}")

    def approve(self, pull: int, who: User, gate: dict[str, int]) -> None:
        self.tick()
        self.fake.client(who).get_repo(REPO).get_pull(pull).create_review(event="APPROVE")
        gate[who.login] = gate.get(who.login, 0) + 1

    def audit(self, user: User, *args: str) -> dict[str, object]:
        done = run_cli(self.clone, "audit", "--since", "1d", "--format", "json", *args,
                       env=self.env(user))
        assert done.exit_code == 0, done.output
        return json.loads(done.stdout)  # type: ignore[no-any-return]


def lifecycles(w: World) -> tuple[int, int, int]:
    """Three tasks: landed through gatebot, rejected after a stale claim, merged on GitHub."""
    first, second, third = w.task("Limiter"), w.task("Parser"), w.task("Cache")
    w.claim(first, w.alice)
    w.move(first, Stage.REVIEW, "submitted")
    pull = w.pull(first, w.alice)
    w.approve(pull, w.bob, w.tally.gate1)
    w.move(first, Stage.RDY_FOR_PROD, "approved")
    w.approve(pull, w.carol, w.tally.gate2)
    w.move(first, Stage.RELEASED, "landed", drop=("claimed",))
    w.claim(second, w.bob)
    w.tick()
    add_labels(w.bot, w.bot.repo.get_issue(second), ["stale"])
    w.tally.add("stale")
    w.move(second, Stage.REVIEW, "submitted", drop=("stale",))
    w.move(second, Stage.READY, "rejected", drop=("claimed",))
    merged = w.pull(third, w.carol)
    w.approve(merged, w.bob, {})
    w.tick()
    git(w.clone, "fetch", "-q", "origin")
    git(w.clone, "merge", "-q", "--no-ff", "-m", "merge by hand", f"origin/task/{third}-x")
    git(w.clone, "push", "-q", "origin", "main")
    w.tally.add("landed")  # a landing made on GitHub, no label moved
    return first, second, merged


def test_github_mode_counts_label_events_and_reviews(fake_github: FakeGitHub,
                                                     tmp_path: Path) -> None:
    w = World(fake_github, tmp_path)
    first, second, merged = lifecycles(w)
    fake_github.reset_log()
    report = w.audit(fake_github.owner, "--forge", "github")
    counts = report["counts"]
    assert isinstance(counts, dict)
    for name in ("added", "claimed", "submitted", "approved", "rejected", "landed"):
        assert counts[name]["value"] == w.tally.counts[name], name
    assert report["forge"] == "github"
    assert report["escalated"]["stale_claim"]["value"] == w.tally.counts["stale"]  # type: ignore[index]
    assert report["success"]["gate1"]["numerator"] == 1  # type: ignore[index]
    [stale] = report["stale_claims"]  # type: ignore[misc]
    assert (stale["task"], stale["session"]) == (second, "bob")
    loads = {r["reviewer"]: (r["gate1"]["value"], r["gate2"]["value"])
             for r in report["reviewers"]}  # type: ignore[attr-defined]
    assert loads == {"bob": (w.tally.gate1["bob"], 0), "carol": (0, w.tally.gate2["carol"]),
                     "": (0, 1)}  # the merge on GitHub: no second approver, no merger known
    landed = counts["landed"]["sources"]
    assert f"/{REPO}/issues/{first}#event-" in landed[0]  # the html_url of the issue's event
    assert landed[1].endswith(f"/{REPO}/pull/{merged}")
    gets = [r.path for r in fake_github.requests if r.method == "GET"]
    # one issue list, events of the 3 tasks, 2 pull requests and their reviews
    assert len([p for p in gets if "/issues" in p or "/pulls" in p]) == 1 + 3 + 2 + 2, gets


def test_local_mode_counts_nothing_from_github(fake_github: FakeGitHub, tmp_path: Path) -> None:
    w = World(fake_github, tmp_path)
    lifecycles(w)
    fake_github.reset_log()
    report = w.audit(fake_github.owner, "--forge", "local")
    assert report["forge"] == "local" and report["counts"]["landed"]["value"] == 0  # type: ignore[index]
    assert fake_github.requests == []


def test_publish_issue_creates_one_issue_then_edits_it(fake_github: FakeGitHub,
                                                       tmp_path: Path) -> None:
    w = World(fake_github, tmp_path)
    w.task("Limiter")
    w.audit(fake_github.bot, "--publish-issue")
    made = [i for i in fake_github.state.issues.values() if AUDIT_LABEL.name in i.labels]
    assert len(made) == 1 and made[0].user == fake_github.bot.id
    assert AUDIT_MARKER in (made[0].body or "") and made[0].title.startswith("AUDIT (")
    first_body = made[0].body
    w.task("Parser")  # the period changes: the second run edits the same issue
    w.fake.clock.advance(86_400)
    fake_github.reset_log()
    w.audit(fake_github.bot, "--publish-issue")
    again = [i for i in fake_github.state.issues.values() if AUDIT_LABEL.name in i.labels]
    assert [i.number for i in again] == [made[0].number] and again[0].body != first_body
    assert [(r.method, r.path.rsplit("/", 2)[-2:]) for r in fake_github.writes()] == \
        [("PATCH", ["issues", str(made[0].number)])]
    fake_github.reset_log()
    w.audit(fake_github.bot, "--publish-issue")  # nothing new: nothing written
    assert fake_github.writes() == []
