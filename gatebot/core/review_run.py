"""The ``workflow_run`` of gatebot-review.yml: which pull requests a review hop acts on. Pure.

A ``pull_request_review`` event runs the pull request's own version of gatebot-review.yml
(GitHub takes the workflow file from the merge ref), so that job holds no write token and no
secret and does nothing but finish. Its finished run starts gatebot-publish.yml on
``workflow_run``: base-branch code, with the write token and the environment that holds
gatebot's App key. That job takes the review step (``gatebot.app.review_gate``) for the pull
requests GitHub ties to the run, and for those only:

- the ones the event lists in ``workflow_run.pull_requests`` (GitHub fills it for a pull
  request from a branch of this repository), each as the API answers for it now;
- when the event lists none (a fork's run), every open pull request whose head, as the API
  lists them, is the run's ``head_sha`` from the run's head repository.

Either way the pull request must be open and into the configured base branch of this
repository. Nothing the run uploaded or printed is read: the change may have rewritten the
workflow that made the run, so its artifacts, name and conclusion say nothing. Reviews are
read again from the API by the review step itself, never taken from an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gatebot.core.printable import printable
from gatebot.core.workflow_run import PullSeen, RunEvent, workflow_file

REVIEW_WORKFLOW = "gatebot-review.yml"
"""The unprivileged workflow a ``pull_request_review`` event runs; its runs start the hop."""
REVIEW_EVENTS = ("pull_request_review",)
"""The events whose runs of gatebot-review.yml ask for a review step."""


@dataclass(frozen=True)
class ReviewRun:
    """Take the review step for the pull requests of gatebot-review.yml run ``run_id``.

    ``head_sha``: the commit the run was for, as GitHub's event says; ``head_repo`` /
    ``base_repo``: ``owner/name`` of the head's repository (a fork's differs) and of this
    one; ``pulls``: the run's pull requests as the event lists them (empty for a fork's).
    """

    run_id: int
    head_sha: str
    head_repo: str
    base_repo: str
    pulls: tuple[int, ...]


def review_run_of(event: RunEvent) -> ReviewRun | str | None:
    """The review hop a ``workflow_run`` event asks for, the reason it asks for none, or None.

    None: the run is not gatebot-review.yml's (another workflow's run, judged elsewhere). A
    string: it is, but nothing is to be done (not completed, or not started by a review).
    The run's conclusion does not matter: the run does nothing, and the review step reads
    everything again.
    """
    run = event.workflow_run
    if workflow_file(run.path) != REVIEW_WORKFLOW:
        return None
    if event.action != "completed":
        return f"workflow run {run.id} is {event.action}, not completed"
    if run.event not in REVIEW_EVENTS:
        return (f"workflow run {run.id} of {REVIEW_WORKFLOW} was started by {run.event}, not by "
                "a pull request review: no review to act on")
    head_repo = (run.head_repository or run.repository).full_name
    return ReviewRun(run.id, run.head_sha, head_repo, run.repository.full_name,
                     tuple(dict.fromkeys(p.number for p in run.pull_requests)))


@dataclass(frozen=True)
class Chosen:
    """What the review hop acts on: ``pulls`` as (number, head SHA now), ``skipped`` reasons.

    ``skipped`` says, one line each, why a pull request the event listed is left alone.
    """

    pulls: tuple[tuple[int, str], ...]
    skipped: tuple[str, ...]


def pulls_to_review(run: ReviewRun, seen: Sequence[PullSeen], *, base: str) -> Chosen:
    """Which of ``seen`` (GitHub's answers, module doc) the review step is taken for.

    ``seen``: the pull requests the event lists, as the API answers for each, when it lists
    any; else the open pull requests into ``base`` as the API lists them. ``base`` is the
    configured base branch.
    """
    picked: list[tuple[int, str]] = []
    skipped: list[str] = []
    for pull in seen:
        why = _why_not(run, pull, base)
        if why is None:
            picked.append((pull.number, pull.head_sha))
        elif run.pulls:  # a fork's candidates are every open pull request: say nothing of them
            skipped.append(why)
    return Chosen(tuple(picked), tuple(skipped))


def _why_not(run: ReviewRun, pull: PullSeen, base: str) -> str | None:
    same_repo = (pull.head_repo or "").casefold() == run.head_repo.casefold()
    checks = (
        (bool(run.pulls) and pull.number not in run.pulls,
         f"pull request #{pull.number} is not among the run's"),
        (not run.pulls and pull.head_sha != run.head_sha,
         f"pull request #{pull.number}'s head is not the run's {run.head_sha[:12]}"),
        (pull.state != "open",
         f"pull request #{pull.number} is {printable(pull.state)}, not open"),
        (pull.base_repo.casefold() != run.base_repo.casefold(),
         f"pull request #{pull.number} is not into {run.base_repo}"),
        (pull.base_ref != base,
         f"pull request #{pull.number} is into the branch {printable(pull.base_ref)}, not "
         f"{printable(base)}"),
        (not same_repo,
         f"pull request #{pull.number} comes from "
         f"{printable(pull.head_repo or 'a deleted repository')}, "
         f"the run from {run.head_repo}"),
    )
    return next((why for wrong, why in checks if wrong), None)
