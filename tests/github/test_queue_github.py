"""``gatebot queue --forge github``: the queue read from live labels and pull request reviews.

The fake GitHub over real HTTP (tests/fakegithub) holds the issues, the pull requests and the
git repository a clone fetches from; nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakegithub import FakeGitHub
from tests.github.gate1_runs import post_gate1
from tests.repos import git, run_cli

REPO = "acme/widgets"
BOARD = "# TODO\n\n## 🟢 READY\n\n## IN-PROGRESS\n\n## REVIEW\n\n## ✅ RDY FOR PROD\n"


def _env(fake: FakeGitHub) -> dict[str, str]:
    return {"GITHUB_API_URL": fake.url, "GITHUB_REPOSITORY": REPO,
            "GITHUB_TOKEN": fake.owner.token, "GATEBOT_GITHUB_THROTTLE": "0",
            "GATEBOT_GITHUB_BOT_LOGIN": fake.bot.login}


def test_the_github_queue_lists_approved_heads_and_leaves_out_a_pushed_one(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.push_commit("main", {"TODO.md": BOARD}, "Board", fake_github.owner)
    alice = fake_github.add_user("alice", email="alice@example.com")
    bob = fake_github.add_user("bob", email="bob@example.com")
    heads, pulls = {}, {}
    for title, path in (("Rate limiter", "a.py"), ("Parser", "b.py")):
        number = fake_github.create_issue(title, fake_github.owner,
                                          labels=("status:rdy-for-prod",))
        branch = f"task/{number}-work"
        heads[number] = fake_github.push_commit(branch, {path: "x = 1\n"}, title, alice)
        pulls[number] = fake_github.create_pull(branch, alice, body=f"Closes #{number}")
        post_gate1(fake_github, heads[number], alice)  # gate 1 passed: alice pushed
        fake_github.client(bob).get_repo(REPO).get_pull(pulls[number]).create_review(
            event="APPROVE")
    first, second = sorted(heads)
    # a push after the approval voids it: the second task leaves the queue
    heads[second] = fake_github.push_commit(f"task/{second}-work", {"b.py": "x = 2\n"}, "more",
                                            alice)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(fake_github.git_dir), str(clone))
    fake_github.reset_log()
    result = run_cli(clone, "queue", "--forge", "github", "--format", "json",
                     env=_env(fake_github))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [(t["number"], t["head"], t["batch"]) for t in doc["tasks"]] == [
        (first, heads[first], 1)]
    assert [t["number"] for t in doc["not_queued"]] == [second]
    assert fake_github.writes() == []
    landing = run_cli(clone, "queue", "run", "--forge", "github", "--as", "carol",
                      env=_env(fake_github))
    # one approval (gate 1's) is not enough to land: the task waits, nothing is written
    assert landing.exit_code == 0, landing.output
    # judged once per invocation: not taken again and again in a loop
    assert landing.output.count(f"#{first} waits for a second eligible approval") == 1
    assert "0 landed" in landing.output
    assert fake_github.writes() == []


def test_the_github_queue_is_in_the_order_the_approval_pairs_were_completed(
        fake_github: FakeGitHub, tmp_path: Path) -> None:
    """Each task's place is the later ``submitted_at`` of its two counted approvals.

    The tasks are approved in an order other than their numbers': #1's pair is completed last,
    #2's second, #3 (one approval) first; task-number order or gate 1's time alone differ.
    """
    fake_github.push_commit("main", {"TODO.md": BOARD}, "Board", fake_github.owner)
    alice = fake_github.add_user("alice", email="alice@example.com")
    reviewers = {name: fake_github.add_user(name, email=f"{name}@example.com")
                 for name in ("bob", "carol")}
    pulls = {}
    for title in ("Rate limiter", "Parser", "Cache"):
        number = fake_github.create_issue(title, fake_github.owner,
                                          labels=("status:rdy-for-prod",))
        branch = f"task/{number}-work"
        head = fake_github.push_commit(branch, {f"f{number}.py": "x = 1\n"}, title, alice)
        pulls[number] = fake_github.create_pull(branch, alice, body=f"Closes #{number}")
        post_gate1(fake_github, head, alice)  # gate 1 passed: alice pushed
    one, two, three = sorted(pulls)
    for number, reviewer in ((one, "bob"), (two, "bob"), (three, "bob"), (two, "carol"),
                             (one, "carol")):
        fake_github.clock.advance(60)
        fake_github.client(reviewers[reviewer]).get_repo(REPO).get_pull(
            pulls[number]).create_review(event="APPROVE")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(fake_github.git_dir), str(clone))
    result = run_cli(clone, "queue", "--forge", "github", "--format", "json",
                     env=_env(fake_github))
    assert result.exit_code == 0, result.output
    tasks = json.loads(result.stdout)["tasks"]
    assert [t["number"] for t in tasks] == [three, two, one]
    assert all(t["approved_at"] for t in tasks)
