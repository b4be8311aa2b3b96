"""The scheduled sweep's gate-2 pass in GitHub mode: approvals no review event acted on.

A review starts gatebot-review.yml, which holds no token and only finishes; its run starts
gatebot-publish.yml's review job (``gatebot.app.review_run``), which takes the step. A run
GitHub dropped from the landing's concurrency group, or a hop that never ran (a workflow a
fork's contributor must have approved first, an outage), took no step when the approval came.
The sweep (``schedule``, ``workflow_dispatch``; gatebot-sweep.yml holds the write token) takes
it again for every open pull request into the base branch whose task is in REVIEW or RDY FOR
PROD, through the same ``gatebot.app.review_gate.review_changed`` a review event runs:
everything read again from GitHub, nothing done twice (a task already staged on its head is
left as it is).
"""

from __future__ import annotations

from pathlib import Path

from gatebot.adapters.github.client import translated
from gatebot.adapters.github.forge import GitHubForge
from gatebot.app.context import open_context
from gatebot.app.review_gate import review_changed
from gatebot.core.board import Stage
from gatebot.core.events import ReviewChanged
from gatebot.core.github_model import stage_label, task_of_pull
from gatebot.errors import EXIT_OK

WAITING = (Stage.REVIEW, Stage.RDY_FOR_PROD)
"""The stages whose pull requests an approval can move on (gate 1, gate 2)."""


def sweep_reviews(cwd: Path) -> int:
    """Take gate 1's and gate 2's steps for the waiting pull requests (module doc).

    Exit 0 when done or nothing waits (and outside the github forge), else the highest exit
    of the pull requests' steps (1: sent back or escalated). Raises ``EnvironmentProblem``
    (exit 2) on GitHub errors.
    """
    ctx = open_context(cwd)
    if not isinstance(ctx.forge, GitHubForge):
        return EXIT_OK
    conn = ctx.forge.conn
    with translated(conn.secrets, "listing the tasks and pull requests awaiting approvals"):
        waiting = {issue.number for stage in WAITING
                   for issue in conn.repo.get_issues(state="open", labels=[stage_label(stage)])}
        if not waiting:
            return EXIT_OK
        pulls = [(p.number, p.head.sha) for p in conn.repo.get_pulls(state="open",
                                                                       base=ctx.config.base)
                 if task_of_pull(p.head.ref, p.body) in waiting]
    worst = EXIT_OK
    for number, head in pulls:
        step = ReviewChanged(number, head, 0, "APPROVED", head, None, "sweep")
        worst = max(worst, review_changed(cwd, step))
    return worst
