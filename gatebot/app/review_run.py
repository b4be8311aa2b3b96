"""``gatebot gate`` on the ``workflow_run`` of gatebot-review.yml: the review step, privileged.

gatebot-review.yml runs on ``pull_request_review`` with no write token and no secret (GitHub
runs the pull request's own version of it) and only finishes; its run starts this step in
gatebot-publish.yml, on the base branch's code, with the write token and gatebot's
environment. The pull requests come from GitHub's answers (``adapters.github.run_pulls``,
chosen by the pure ``core.review_run.pulls_to_review``), and for each the step a review
event takes (``app.review_gate.review_changed``) reads every review again from the API. The
same run processed twice writes nothing the second time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gatebot.adapters.github.forge import GitHubForge
from gatebot.adapters.github.run_pulls import pulls_of_run
from gatebot.app.context import open_context
from gatebot.app.review_gate import review_changed
from gatebot.core.events import ReviewChanged
from gatebot.core.review_run import ReviewRun, pulls_to_review
from gatebot.errors import EXIT_OK, EnvironmentProblem


def review_run_command(cwd: Path, run: ReviewRun) -> int:
    """Take the review step for each pull request GitHub ties to ``run`` (module doc).

    Exit 0 when done or nothing to do, else the highest exit of the steps (1: staging sent
    the task back or escalated it). Raises ``EnvironmentProblem`` (exit 2) outside the github
    forge or on GitHub errors.
    """
    ctx = open_context(cwd)
    if not isinstance(ctx.forge, GitHubForge):
        raise EnvironmentProblem("the review step after a workflow run needs the github forge",
                                 "run `gatebot gate` inside GitHub Actions, or pass "
                                 "--forge github (GITHUB_TOKEN and GITHUB_REPOSITORY set)")
    base = ctx.config.base
    chosen = pulls_to_review(run, pulls_of_run(ctx.forge.conn, run, base=base), base=base)
    for why in chosen.skipped:
        print(f"gatebot gate: left alone: {why}", file=sys.stderr)
    if not chosen.pulls:
        print(f"gatebot gate: no open pull request into {base} is workflow run {run.run_id}'s: "
              "nothing to do", flush=True)
        return EXIT_OK
    worst = EXIT_OK
    for number, head in chosen.pulls:
        step = ReviewChanged(number, head, 0, "APPROVED", head, None, "workflow_run")
        worst = max(worst, review_changed(cwd, step))
    return worst
