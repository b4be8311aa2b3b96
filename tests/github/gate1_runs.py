"""Gate 1's verdict as gatebot-publish.yml leaves it on the fake GitHub, for review-time tests.

A counted ``gatebot/gate-1`` check run names the runs that published it (``publish=<X>
pr-run=<Y>``); the fake's Actions API must hold X: a gatebot-publish.yml run on
``workflow_run`` on the base branch, named after Y and the head (``gatebot.core.gate1_runs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from gatebot.core.gate1_runs import PUBLISH_PATH, RunIds
from tests.fakegithub.server import FakeGitHub
from tests.fakegithub.state import User

REPO = "acme/widgets"
_IDS = count(5000, 2)


def record_runs(fake: FakeGitHub, head: str, *, conclusion: str | None = "success",
                base: str = "main", **publish: object) -> RunIds:
    """The gatebot-publish.yml run that posted gatebot-pr.yml run's verdict on ``head``.

    ``conclusion`` is the publish run's (it fails when the verdict failed); ``publish``
    overrides fields of the publish run's JSON (an adversary's run). Returns their ids.
    """
    pr_run, publish_run = next(_IDS), next(_IDS)
    with fake.state.lock:
        fake.state.workflow_runs[publish_run] = {
            "path": PUBLISH_PATH, "event": "workflow_run", "head_branch": base,
            "head_sha": fake.state.git.ref(f"refs/heads/{base}") or head,
            "display_title": f"gatebot-publish gatebot-pr run {pr_run} at {head}",
            "conclusion": conclusion, **publish}
    return RunIds(publish_run, pr_run)


def external_id(pushers: Sequence[User], runs: RunIds | None,
                failed: Sequence[str] = ()) -> str:
    """A gate-1 check run's ``external_id`` as gatebot-publish.yml writes it."""
    parts = ["0" * 16, "pushers=" + ",".join(f"{p.id}/{p.login}" for p in pushers),
             runs.text() if runs else "", f"failed={','.join(failed)}" if failed else ""]
    return " ".join(p for p in parts if p)


def post_gate1(fake: FakeGitHub, head: str, pusher: User, conclusion: str = "success", *,
               runs: RunIds | None = None, failed: Sequence[str] = (),
               by: User | None = None) -> RunIds:
    """A ``gatebot/gate-1`` check run on ``head`` as gatebot's publishing leaves it.

    ``runs``: the runs it names (new genuine ones by default, concluded like the check run);
    ``by``: who posts it (gatebot's bot by default). Returns the runs named.
    """
    runs = runs or record_runs(fake, head, conclusion=conclusion)
    fake.client(by or fake.bot).get_repo(REPO).create_check_run(
        "gatebot/gate-1", head, status="completed", conclusion=conclusion,
        external_id=external_id([pusher], runs, failed))
    return runs
