"""The bors-style landing of GitHub mode, decided from facts alone (issue 10 §1).

A task whose gate 2 passed is built into a release commit (parents: the base tip, the approved
head) and pushed to a new ``gatebot/staging/<N>/<attempt>`` branch; its checks run on that exact commit. When they are
done, ``decide`` says what to do with the facts read back from GitHub: fast-forward the base to
the staging commit, rebuild it on the new base, wait, discard it, or send the task back. Pure:
no I/O; ``gatebot.app.staging`` gathers the facts and carries the decision out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gatebot.core.workflow_run import workflow_file

STAGING_PREFIX = "gatebot/staging/"
"""Staging branches: ``gatebot/staging/<N>/<attempt>``, each pushed once as a new ref."""

STAGING_CHECK = "gatebot/staging"
"""The check run gatebot records on a staging commit once its staging workflow run finished."""

STAGING_WORKFLOW = "gatebot-staging.yml"
"""The workflow dispatched for a staging commit (``workflow_dispatch`` on the base branch)."""

INTERRUPTED = frozenset({"cancelled", "timed_out", "stale"})
"""Check-run conclusions of a run that did not finish its checks: not green, and not red."""

RERUNS = 1
"""How many times an interrupted staging run is started again before the task escalates."""

_PASSED = frozenset({"success", "neutral", "skipped"})
_SHA = re.compile(r"[0-9a-f]{40}")


def staging_branch(number: int, attempt: int) -> str:
    """Staging branch ``attempt`` of task ``number``: ``gatebot/staging/<N>/<attempt>``.

    Every staging push makes a new branch (the next attempt number), so gatebot never
    replaces a ref by force; the older ones are deleted once the new one is pushed. Raises
    ``ValueError`` for a number or attempt below 1.
    """
    if number < 1 or attempt < 1:
        raise ValueError(f"task numbers and attempts start at 1, not {number}/{attempt}")
    return f"{staging_prefix(number)}{attempt}"


def staging_prefix(number: int) -> str:
    """The prefix of task ``number``'s staging branches: ``gatebot/staging/<N>/``."""
    return f"{STAGING_PREFIX}{number}/"


def staging_attempt(branch: str) -> tuple[int, int] | None:
    """``(task, attempt)`` of a staging branch name (``refs/heads/`` allowed); None if none."""
    rest = branch.removeprefix("refs/heads/")
    if not rest.startswith(STAGING_PREFIX):
        return None
    number, _, attempt = rest.removeprefix(STAGING_PREFIX).partition("/")
    if not (number.isdigit() and attempt.isdigit()):
        return None
    return int(number), int(attempt)


@dataclass(frozen=True)
class CheckRunFact:
    """One check run on a commit as GitHub reports it: which app made it, for which SHA.

    ``external_id``: the id its maker gave it (gatebot's ``gatebot/staging`` run: the id of
    the staging workflow run it records; "" when none); ``started_at``: when GitHub says it
    started (None when unknown).
    """

    name: str
    app_slug: str
    head_sha: str
    status: str
    conclusion: str | None
    external_id: str = ""
    started_at: datetime | None = None


@dataclass(frozen=True)
class LandingFacts:
    """What the landing step read, all at one moment.

    ``staging``: the staging commit's SHA; ``recorded_base`` / ``approved_head``: its first
    and second parents; ``base_now``: the base branch's tip now; ``head_now``: the pull
    request's head SHA now; ``approvers``: the distinct accounts whose standing review
    approves ``head_now``; ``required``: the check names that must pass; ``app``: the slug of
    the app whose check runs count; ``attempt``: builds so far (1 = the first);
    ``retries``: ``merge.retries``.
    """

    staging: str
    recorded_base: str
    approved_head: str
    base_now: str
    head_now: str
    approvers: tuple[str, ...]
    checks: tuple[CheckRunFact, ...]
    required: tuple[str, ...]
    app: str
    attempt: int
    retries: int
    approvals_needed: int = 2


@dataclass(frozen=True)
class Landing:
    """The decision: ``action`` and why.

    ``action``: ``fast-forward`` (move the base to ``staging`` without force), ``landed``
    (the base is there already: finish the labels), ``rebuild``
    (the base moved: build and test again), ``escalate`` (it moved more than ``retries``
    times), ``wait`` (checks still running or not recorded yet), ``discard`` (the approvals
    no longer stand on the staged head: back to review), ``send-back`` (checks failed: back to
    review naming ``failed``).
    """

    action: str
    reason: str
    failed: tuple[str, ...] = ()
    interrupted: tuple[str, ...] = ()


def accepted_checks(facts: LandingFacts) -> dict[str, CheckRunFact]:
    """The newest check run per required name made by ``facts.app`` for the staging SHA.

    A run by another app, for another SHA, or of a name not required is ignored: it can
    neither pass nor fail the landing.
    """
    found: dict[str, CheckRunFact] = {}
    for run in facts.checks:
        if run.app_slug == facts.app and run.head_sha == facts.staging \
                and run.name in facts.required and run.name not in found:
            found[run.name] = run
    return found


def decide(facts: LandingFacts) -> Landing:
    """What to do with a staging commit whose checks may have finished.

    Order: a base already at the staging commit is a landing done (a job killed after the
    fast-forward: only the labels are left to do); then the approvals (a push to the pull
    request voids the staging result), then the base (a moved base means the tested commit
    is no longer a fast-forward of what main would become), then the checks.
    """
    if facts.base_now == facts.staging:
        return Landing("landed", f"the base branch is already at {facts.staging[:12]}")
    if facts.head_now != facts.approved_head:
        return Landing("discard", f"the pull request's head moved from "
                       f"{facts.approved_head[:12]} to {facts.head_now[:12]} after the "
                       "approvals: the staging result is discarded")
    if len(facts.approvers) < facts.approvals_needed:
        return Landing("discard", f"{len(facts.approvers)} approval(s) stand on "
                       f"{facts.approved_head[:12]}, {facts.approvals_needed} are needed")
    if facts.base_now != facts.recorded_base:
        if facts.attempt > facts.retries:
            return Landing("escalate", f"the base branch moved under {facts.attempt} "
                           "staging builds in a row")
        return Landing("rebuild", f"the base branch moved from {facts.recorded_base[:12]} "
                       f"to {facts.base_now[:12]} while the staging checks ran")
    return _checks_decision(facts)


def _checks_decision(facts: LandingFacts) -> Landing:
    """Red sends back; cancelled or timed out re-runs once, then escalates; green lands."""
    accepted = accepted_checks(facts)
    done = {n: r.conclusion for n, r in accepted.items() if r.status == "completed"}
    failed = tuple(n for n, c in done.items() if c not in _PASSED | INTERRUPTED)
    if failed:
        return Landing("send-back", "staging checks failed on "
                       f"{facts.staging[:12]}: {', '.join(failed)}", failed)
    interrupted = tuple(n for n, c in done.items() if c in INTERRUPTED)
    if interrupted:
        return _interrupted(facts, interrupted)
    waiting = [n for n in facts.required if n not in done]
    if waiting:
        return Landing("wait", f"waiting for {', '.join(waiting)} on "
                       f"{facts.staging[:12]} (check runs of {facts.app} only)")
    return Landing("fast-forward", f"every required check passed on {facts.staging[:12]}")


def _interrupted(facts: LandingFacts, names: tuple[str, ...]) -> Landing:
    """A check that did not finish is not a verdict: re-run it ``RERUNS`` times, then escalate."""
    runs = max(sum(1 for r in facts.checks if r.app_slug == facts.app and r.name == name
                   and r.head_sha == facts.staging and r.conclusion in INTERRUPTED)
               for name in names)
    what = f"{', '.join(names)} on {facts.staging[:12]} did not finish (cancelled or timed out)"
    if runs > RERUNS:
        return Landing("escalate", f"{what} {runs} times", interrupted=names)
    return Landing("rerun", f"{what}: the staging checks run again", interrupted=names)


@dataclass(frozen=True)
class StagingRun:
    """A finished staging workflow run, as the ``workflow_run`` event reports it."""

    path: str
    event: str
    head_branch: str
    display_title: str
    conclusion: str | None
    run_id: int


def staged_sha(run: StagingRun, base: str) -> str | None:
    """The staging SHA a run tested, or None when the run is not the expected workflow's.

    The run must be ``gatebot-staging.yml`` started by ``workflow_dispatch`` on ``base``
    (so its definition is the base branch's, not the change's), titled
    ``gatebot staging <sha>`` by the workflow's ``run-name``.
    """
    title = run.display_title.removeprefix("gatebot staging ")
    if workflow_file(run.path) != STAGING_WORKFLOW or run.event != "workflow_dispatch" \
            or run.head_branch != base or not _SHA.fullmatch(title):
        return None
    return title


def staging_run_of(payload: object) -> StagingRun:
    """The ``workflow_run`` of a ``workflow_run`` event's JSON payload.

    Raises ``ValueError`` naming the first field that is missing or of the wrong type.
    """
    run = payload.get("workflow_run") if isinstance(payload, dict) else None
    if not isinstance(run, dict):
        raise ValueError("the payload has no workflow_run object")
    fields: dict[str, object] = {}
    for key, kind in (("path", str), ("event", str), ("head_branch", str),
                      ("display_title", str), ("id", int)):
        if not isinstance(run.get(key), kind) or isinstance(run.get(key), bool):
            raise ValueError(f"workflow_run.{key} is missing or not a {kind.__name__}")
        fields[key] = run[key]
    conclusion = run.get("conclusion")
    return StagingRun(str(fields["path"]), str(fields["event"]), str(fields["head_branch"]),
                      str(fields["display_title"]),
                      conclusion if isinstance(conclusion, str) else None, int(str(fields["id"])))


def parents(raw: Sequence[str]) -> tuple[str, str]:
    """The (base, head) parents of a staging commit; ``ValueError`` unless exactly two."""
    if len(raw) != 2:
        raise ValueError(f"a staging commit has two parents, this one has {len(raw)}")
    return raw[0], raw[1]
