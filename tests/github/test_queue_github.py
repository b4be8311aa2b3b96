"""``gatebot queue --forge github``: the queue read from live labels and pull request reviews.

The fake GitHub over real HTTP (tests/fakegithub) holds the issues, the pull requests and the
git repository a clone fetches from; nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakegithub import FakeGitHub
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
    assert landing.exit_code == 2
    assert "lands on the local forge" in landing.output
    assert fake_github.writes() == []
