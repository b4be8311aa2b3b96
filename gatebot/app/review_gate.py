"""``gatebot gate`` on a ``pull_request_review`` event: gate 1's move and gate 2's landing.

Facts → decision → effects: the event names only the pull request; everything else is read
again from GitHub (``adapters.github.reviews.read_reviews``), the pure
``gatebot.core.review_gate.review_step`` decides, and this module carries it out: the review
notes in the sticky comment, ``status:rdy-for-prod`` on the task's issue (gate 1), or the
staged landing (``gatebot.app.staging.stage``, gate 2). The same event processed twice
writes nothing the second time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gatebot.adapters.github.forge import GitHubForge
from gatebot.adapters.github.labels import set_stage
from gatebot.adapters.github.reviews import (
    PullReviews,
    note_reviews,
    read_reviews,
    sync_gate_files,
)
from gatebot.adapters.github_staging import StagingRepo
from gatebot.app import merge, staging
from gatebot.app.context import Context, open_context
from gatebot.core.board import Stage
from gatebot.core.events import ReviewChanged
from gatebot.core.protocol import Contributor, Identity
from gatebot.core.review_gate import ReviewFacts, gate1_passes, review_step
from gatebot.errors import EXIT_OK, EXIT_REFUSED, EnvironmentProblem


def review_changed(cwd: Path, intent: ReviewChanged) -> int:
    """Act on a submitted or dismissed review of pull request ``intent.pr`` (module doc).

    Exit 0 when done or nothing to do, 1 when staging sent the task back or escalated it.
    Raises ``EnvironmentProblem`` (exit 2) outside the github forge or on GitHub errors.
    """
    ctx = open_context(cwd)
    forge = ctx.forge
    if not isinstance(forge, GitHubForge):
        raise EnvironmentProblem("approvals from pull request reviews need the github forge",
                                 "run `gatebot gate` inside GitHub Actions, or pass "
                                 "--forge github (GITHUB_TOKEN and GITHUB_REPOSITORY set)")
    read = read_reviews(forge.conn, intent.pr, forge.bot, ctx.config.base)
    if note_reviews(forge.conn, intent.pr, forge.bot, read.approvals, read.facts.head):
        print(f"pull request #{intent.pr}: review notes updated", file=sys.stderr)
    api = StagingRepo(forge.conn, ctx.config.base, remember=True)
    number = read.issue.number if read.issue else None
    staged = number is not None and api.staged_head(number) == read.facts.head
    green = gate1_green(forge, read)
    if read.gate1_failed == ("gate-files",) and sync_gate_files(
            forge.conn, read.facts.head, forge.bot, ctx.config.base,
            read.approvals.gate1 if green else None):
        print(f"pull request #{intent.pr}: gate 1's check run says whether a maintainer's "
              "approval met gate-files", file=sys.stderr)
    step = review_step(ReviewFacts(read.stage, read.approvals, green, staged))
    print(f"gatebot gate: pull request #{intent.pr}: {step.reason}", flush=True)
    if step.action == "rdy-for-prod" and read.issue is not None:
        set_stage(forge.conn, read.issue, Stage.RDY_FOR_PROD)
    elif step.action == "stage" and number is not None and ctx.config.merge.landing == "queue":
        from gatebot.app.queue_github import queue_steps  # noqa: PLC0415 - merge.landing

        return queue_steps(ctx)  # the task joins the queue's next batch
    elif step.action == "stage" and number is not None:
        target = staging.Target(api, number, intent.pr)
        done = staging.stage(ctx, target, candidate(ctx, read))
        print(f"gatebot gate: {done.message}", flush=True)
        return EXIT_REFUSED if done.state in ("back-to-review", "escalated") else EXIT_OK
    return EXIT_OK


def gate1_green(forge: GitHubForge, read: PullReviews) -> bool:
    """Whether gate 1's automated rules count as passed (``core.review_gate.gate1_passes``).

    They passed, or failed only on ``gate-files`` while the gate-1 reviewer has the admin or
    maintain role on the repository (one permission read, made only then).
    """
    first = read.approvals.gate1
    if read.gate1_green or read.gate1_failed != ("gate-files",) or first is None:
        return read.gate1_green
    return gate1_passes(False, read.gate1_failed, bool(forge.maintainers([first.login])))


def candidate(ctx: Context, read: PullReviews, tip: str | None = None) -> merge.Candidate:
    """Gate 2's candidate: the task, the approved head, both reviewers and the builders.

    ``tip``: the base tip the caller has just fetched (the task's fields are read there);
    None fetches it.

    Raises ``ValueError`` without a task or both approvals. The builders are GitHub's (claimants, the pull request's author, the people behind its
    commits), named by login (or the commit's email where GitHub links no account).
    """
    first, second = read.approvals.gate1, read.approvals.gate2
    if read.issue is None or first is None or second is None:
        raise ValueError("gate 2's candidate needs a task and two approvals")
    forge = ctx.forge
    tip = tip or forge.tip()
    task = (forge.task_at(read.issue, tip) if isinstance(forge, GitHubForge)
            else ctx.board(tip).task(read.issue.number))
    people = tuple(Contributor(p.login, "builder", p.login if "@" in p.login else "")
                   for p in read.builders)
    return merge.Candidate(task, read.facts.branch, read.facts.head,
                           Identity(first.login), Identity(second.login), people)
