"""One task from issue to release in GitHub mode, every step through ``gatebot gate``/``land``.

Against the fake GitHub (real PyGithub over real HTTP, its bare repository as the remote),
with payloads shaped like GitHub's (tests/fixtures/github/webhooks/): issue opened → ``/claim``
→ pull request pushed → gate 1's check run → the builder's approval not counted → an eligible
approval moves the task to RDY FOR PROD → the gate-1 reviewer's second approval not counted →
a third person's approval stages the landing → the staging run green → ``gatebot land``
fast-forwards main to the ``--no-ff`` release commit, which carries the board files.
"""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

from gatebot.core.github_model import STICKY_MARKER
from tests.fakegithub.server import FakeGitHub
from tests.fakegithub.state import User
from tests.github.test_review_event import review_payload
from tests.repos import NO_CHECKS, git, run_cli

REPO = "acme/widgets"
BRANCH = "task/1-limiter"
WEBHOOKS = Path(__file__).parents[1] / "fixtures" / "github" / "webhooks"
TODO = textwrap.dedent("""\
    # 📋 TODO

    ## 🟢 READY

    ### #1 Rate limiter
    **Assignee**: None

    ## 🔨 IN-PROGRESS

    ## 👀 REVIEW

    ## ✅ RDY FOR PROD

    ## 🚀 RELEASED
    """)


class Job:
    """The Actions jobs of one repository: a clone of the fake's repository, the bot's token.

    gatebot runs gate 1 itself on ``pull_request`` here (not through gatebot-publish.yml), so
    its check runs name no publishing run: they count because gatebot's App is configured by
    id (``app_id``; docs/github.md, "Which gate-1 check run counts").
    """

    app_id = True
    """Set ``GATEBOT_GITHUB_APP_ID`` to the bot's App (False: trust the bot's slug only)."""

    def __init__(self, fake: FakeGitHub, tmp: Path) -> None:
        """Clone the fake's repository into ``tmp/job``."""
        self.fake, self.tmp, self.seq = fake, tmp, 0
        self.work = tmp / "job"
        git(tmp, "clone", "-q", str(fake.git_dir), str(self.work))

    def env(self, **extra: str) -> dict[str, str]:
        """What GitHub Actions sets (the bot's token), plus ``extra``."""
        return {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": REPO,
                "GITHUB_API_URL": self.fake.url, "GITHUB_TOKEN": self.fake.bot.token,
                "GATEBOT_GITHUB_BOT_LOGIN": self.fake.bot.login, "GATEBOT_GITHUB_THROTTLE": "0",
                "GATEBOT_CLAIMS__SETTLE": "[0.05, 0.05]",
                **({"GATEBOT_GITHUB_APP_ID": str(self.fake.bot.app_id)} if self.app_id else {}),
                **extra}

    def gate(self, event: str, payload: dict[str, Any], checkout: str = "main") -> str:
        """``gatebot gate`` on ``payload`` with ``checkout`` checked out; its output."""
        self.seq += 1
        path = self.tmp / f"{event}-{self.seq}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        git(self.work, "fetch", "-q", "origin")
        git(self.work, "checkout", "-q", "--detach", checkout if len(checkout) == 40
            else f"origin/{checkout}")
        result = run_cli(self.work, "gate", env=self.env(GITHUB_EVENT_NAME=event,
                                                         GITHUB_EVENT_PATH=str(path)))
        assert result.exit_code == 0, result.output
        assert self.fake.bot.token not in result.output
        return result.output


def fixture(name: str) -> dict[str, Any]:
    """A copy of the recorded webhook payload ``name``."""
    data: dict[str, Any] = copy.deepcopy(json.loads(
        (WEBHOOKS / f"{name}.json").read_text(encoding="utf-8")))
    return data


def account(user: User) -> dict[str, Any]:
    """``user`` as a webhook payload names it."""
    return {"login": user.login, "id": user.id, "type": "Bot" if user.is_bot else "User"}


def issue_opened(number: int, by: User) -> dict[str, Any]:
    """``issues`` opened for issue ``number``."""
    data = fixture("issues.opened.15")
    data["issue"].update(number=number, title="Rate limiter", labels=[],
                         user={**data["issue"]["user"], **account(by)})
    return data


def comment(number: int, by: User, body: str, comment_id: int) -> dict[str, Any]:
    """``issue_comment`` created on issue ``number`` by ``by``."""
    data = fixture("issue_comment.created.0")
    data["issue"].update(number=number, labels=[])
    data["issue"].pop("pull_request", None)
    data["comment"].update(id=comment_id, body=body,
                           user={**data["comment"]["user"], **account(by)})
    return data


def pull_opened(number: int, head: str, by: User) -> dict[str, Any]:
    """``pull_request`` opened: pull request ``number`` at ``head`` into main."""
    data = fixture("pull_request.opened.0")
    data["number"] = number
    pull = data["pull_request"]
    pull.update(number=number, user={**pull["user"], **account(by)})
    pull["head"].update(sha=head, ref=BRANCH)
    pull["base"].update(ref="main")
    return data


def approve(fake: FakeGitHub, user: User, pull: int, head: str) -> dict[str, Any]:
    """``user`` approves ``head`` on GitHub; the ``pull_request_review`` payload."""
    gh_pull = fake.client(user).get_repo(REPO).get_pull(pull)
    review = gh_pull.create_review(commit=gh_pull.base.repo.get_commit(head), event="APPROVE")
    return review_payload(pull, head, review.id, user)


def sticky(fake: FakeGitHub) -> str:
    """The bot's sticky comment."""
    [body] = [c.body for c in fake.state.comments.values() if STICKY_MARKER in c.body]
    return body


def test_issue_to_release(fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake = fake_github
    alice, bob, carol = fake.add_user("alice"), fake.add_user("bob"), fake.add_user("carol")
    dave, erin = fake.add_user("dave"), fake.add_user("erin")
    fake.push_commit("main", {"TODO.md": TODO, ".gatebot.toml": NO_CHECKS}, "Board", fake.owner)
    job = Job(fake, tmp_path)
    issue = fake.create_issue("Rate limiter", alice)
    job.gate("issues", issue_opened(issue, alice))
    assert fake.state.issues[issue].labels == ["status:ready"]

    job.gate("issue_comment", comment(issue, bob, "/claim", 9001))
    assert {"status:in-progress", "claimed"} <= set(fake.state.issues[issue].labels)

    fake.push_commit(BRANCH, {"docs/limiter.md": "# Limits\n"}, "Document the limiter", alice)
    head = fake.push_commit(BRANCH, {"notes.md": "# Limiter\n"}, "Notes", carol)
    pull = fake.create_pull(BRANCH, alice, body=f"Closes #{issue}")
    submitted = run_cli(job.work, "submit", str(issue), "--branch", BRANCH, "--forge", "github",
                        "--as", "bob", env=job.env())
    assert submitted.exit_code == 0, submitted.output
    assert "status:review" in fake.state.issues[issue].labels

    job.gate("pull_request", pull_opened(pull, head, alice), checkout=head)
    [run] = [r for r in fake.state.check_runs.values() if r.name == "gatebot/gate-1"]
    assert (run.head_sha, run.conclusion) == (head, "success")

    job.gate("pull_request_review", approve(fake, carol, pull, head))  # a commit author
    assert "status:review" in fake.state.issues[issue].labels
    assert "- @carol built this change: not counted" in sticky(fake)

    job.gate("pull_request_review", approve(fake, dave, pull, head))
    assert "status:rdy-for-prod" in fake.state.issues[issue].labels

    again = job.gate("pull_request_review", approve(fake, dave, pull, head))
    assert "no second eligible approval" in again
    assert fake.state.dispatches == []

    job.gate("pull_request_review", approve(fake, erin, pull, head))
    [sent] = fake.state.dispatches
    staged = sent.inputs["sha"]
    before = fake.state.git.ref("refs/heads/main")
    assert fake.state.git.ref("refs/heads/gatebot/staging/1/1") == staged

    event = tmp_path / "workflow_run.json"
    run = {"path": ".github/workflows/gatebot-staging.yml", "event": "workflow_dispatch",
           "head_branch": "main", "head_sha": before,
           "display_title": f"gatebot staging {staged}", "conclusion": "success"}
    with fake.state.lock:  # the Actions API holds the run gatebot land reads back
        fake.state.workflow_runs[77] = {**run, "status": "completed"}
    event.write_text(json.dumps({"action": "completed", "workflow_run": {
        "id": 77, "name": "gatebot-staging", **run}}), encoding="utf-8")
    git(job.work, "checkout", "-q", "--detach", "origin/main")
    landed = run_cli(job.work, "land", "--workflow-run", str(event), "--checks-app", "gatebot",
                     env=job.env())
    assert landed.exit_code == 0, landed.output
    assert fake.state.git.ref("refs/heads/main") == staged
    parents = git(fake.git_dir, "rev-list", "--parents", "-n1", staged).split()[1:]
    assert parents == [before, head]  # the --no-ff release commit of the approved head
    todo = git(fake.git_dir, "show", f"{staged}:TODO.md")
    assert "### #1 Rate limiter" in todo.split("## 🚀 RELEASED")[1]
    message = git(fake.git_dir, "log", "-1", "--format=%B", staged)
    assert "Gatebot-Reviewed-by: dave" in message
    state = fake.state.issues[issue]
    assert state.state == "closed" and "status:released" in state.labels
    assert not [r for r in state.labels if r.startswith("status:") and r != "status:released"]
