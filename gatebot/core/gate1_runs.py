"""Which ``gatebot/gate-1`` check runs count: each must name the workflow runs that published it. Pure.

Any workflow of a repository can post a check run as the account gatebot writes as (every
workflow is ``github-actions[bot]`` with the Actions token; a workflow pushed on any branch
can read an App key kept as a repository secret). So the publishing job records, in the
check run's ``external_id``, the workflow runs behind it (``RunIds``: ``publish=<X>
pr-run=<Y>``), and the check run counts only when GitHub's Actions API says run X is
gatebot's own publishing (``refusal``): ``gatebot-publish.yml`` on the base branch, started by
``workflow_run`` (GitHub runs that event's workflow from the default branch only, so a pull
request cannot change it), finished, and named by its ``run-name`` after run Y and the head
SHA (both from GitHub's event). Its verdict is green only when run X concluded ``success``
too: the publishing job fails when the verdict it posted failed.

A check run naming no runs (``gatebot gate`` run directly on ``pull_request``, or from a
terminal) counts only where the caller trusts its account alone (``trust_unbound``: gatebot's
own App, configured by id, whose key only base-branch jobs hold; docs/github.md, "Which
gate-1 check run counts"). Of the check runs naming the same runs, the worst decides (a
forger who names the real runs cannot outvote their failure; the failed rules and the
external ids are taken from all of them); of several such groups, the newest run's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gatebot.core.workflow_run import workflow_path

PUBLISH_PATH = ".github/workflows/gatebot-publish.yml"
MAX_GROUPS = 4
"""At most this many distinct runs are looked up per head (newest check runs first): a
forger's flood of check runs costs gatebot no more than ``MAX_GROUPS`` reads."""

_IDS = re.compile(r"(?:^|\s)publish=(\d{1,19}) pr-run=(\d{1,19})(?:\s|$)")
_FAILED = re.compile(r"(?:^|\s)failed=([\w.,-]+)(?:\s|$)")
_TITLE = re.compile(r"\bgatebot-pr run (\d{1,19}) at ([0-9a-f]{40}|[0-9a-f]{64})$")


@dataclass(frozen=True)
class RunIds:
    """The workflow runs behind a gate-1 verdict.

    ``publish``: the gatebot-publish.yml run that posted it; ``run``: the gatebot-pr.yml run
    whose artifact it posted.
    """

    publish: int
    run: int

    def text(self) -> str:
        """``publish=<X> pr-run=<Y>``, as written into ``external_id``."""
        return f"publish={self.publish} pr-run={self.run}"


def run_ids_of(external_id: str | None) -> RunIds | None:
    """The ``RunIds`` written into a check run's ``external_id``; None when it names none."""
    found = _IDS.search(external_id or "")
    return RunIds(int(found.group(1)), int(found.group(2))) if found else None


def failed_text(failed: Sequence[str]) -> str:
    """``failed=<rule>,<rule>`` ("" when none failed), as written into ``external_id``."""
    return f"failed={','.join(failed)}" if failed else ""


def failed_of(external_id: str | None) -> tuple[str, ...]:
    """The rule ids ``failed_text`` wrote into ``external_id`` (empty when none)."""
    found = _FAILED.search(external_id or "")
    return tuple(found.group(1).split(",")) if found else ()


@dataclass(frozen=True)
class WorkflowRun:
    """A workflow run as ``GET /repos/{o}/{r}/actions/runs/{id}`` answers (the fields read).

    ``head_branch`` is None where GitHub gives none; ``conclusion`` None while it runs.
    """

    id: int
    path: str
    event: str
    head_branch: str | None
    head_sha: str
    conclusion: str | None
    display_title: str


@dataclass(frozen=True)
class CheckRun:
    """A ``gatebot/gate-1`` check run of gatebot's account on the head, as listed (newest first).

    ``conclusion`` is None while it is not completed.
    """

    conclusion: str | None
    external_id: str


def refusal(ids: RunIds, runs: Mapping[int, WorkflowRun | None], *, head: str,
            base: str) -> str | None:
    """Why run ``ids.publish`` did not publish a gate-1 verdict on ``head``; None when it did.

    ``runs`` holds GitHub's answer for it (None: no such run); ``base`` is the configured base
    branch. The run must be ``gatebot-publish.yml`` started by ``workflow_run`` on ``base``,
    completed, and named (its ``run-name``, made of GitHub's event) after the gatebot-pr run
    ``ids.run`` at ``head``: that workflow publishes only a successful gatebot-pr.yml run on
    ``pull_request``, so the name ties the verdict to the head without reading that run.
    """
    publish = runs.get(ids.publish)
    if publish is None:
        return f"workflow run {ids.publish} does not exist"
    title = _TITLE.search(publish.display_title)
    checks = (
        (workflow_path(publish.path) != PUBLISH_PATH, f"workflow run {ids.publish} is not {PUBLISH_PATH}"),
        (publish.event != "workflow_run",
         f"workflow run {ids.publish} was started by {publish.event}, not workflow_run"),
        (publish.head_branch != base, f"workflow run {ids.publish} is not on {base}"),
        (title is None or (int(title.group(1)), title.group(2)) != (ids.run, head),
         f"workflow run {ids.publish} did not publish run {ids.run} at {head[:12]}"),
        (publish.conclusion is None, f"workflow run {ids.publish} has not finished"),
    )
    return next((why for wrong, why in checks if wrong), None)


@dataclass(frozen=True)
class Gate1Record:
    """What gate 1's counted check runs on a head say.

    ``green``: the verdict passed; ``failed``: the rules that failed; ``external_ids``: those
    of every check run of the deciding group (the pushers are read from all of them);
    ``ids``: the runs behind it (None for a trusted check run naming none). ``refused``
    says why check runs that name runs did not count (for people).
    """

    green: bool
    failed: tuple[str, ...]
    external_ids: tuple[str, ...]
    ids: RunIds | None
    refused: tuple[str, ...] = ()

    @property
    def counted(self) -> bool:
        """Whether any check run counted (else gate 1 has no verdict on the head)."""
        return bool(self.external_ids)


def groups(checks: Sequence[CheckRun]) -> dict[RunIds, list[CheckRun]]:
    """The check runs by the runs they name, at most ``MAX_GROUPS`` groups (newest first)."""
    found: dict[RunIds, list[CheckRun]] = {}
    for check in checks:
        ids = run_ids_of(check.external_id)
        if ids is not None and (ids in found or len(found) < MAX_GROUPS):
            found.setdefault(ids, []).append(check)
    return found


def _rank(check: CheckRun) -> int:
    """0 for success, 1 for a run not completed, 2 for any other conclusion (worst)."""
    return 0 if check.conclusion == "success" else 1 if check.conclusion is None else 2


def _record(members: Sequence[CheckRun], ids: RunIds | None, refused: Sequence[str], *,
            run_passed: bool = True) -> Gate1Record:
    """The record of one group: green only when every member and the publishing run passed."""
    worst = max(members, key=_rank)
    failed = tuple(dict.fromkeys(rule for m in members for rule in failed_of(m.external_id)))
    return Gate1Record(_rank(worst) == 0 and run_passed, failed,
                       tuple(m.external_id for m in members), ids, tuple(refused))


def judge(checks: Sequence[CheckRun], runs: Mapping[int, WorkflowRun | None], *, head: str,
          base: str, trust_unbound: bool = False) -> Gate1Record:
    """Gate 1's record on ``head`` from gatebot's check runs and GitHub's answers on their runs.

    ``checks`` newest first; ``runs`` GitHub's answer for every id the ``groups`` name
    (module doc). With ``trust_unbound``, the newest check run decides alone when it names
    no runs. A record with nothing counted (``counted`` False) when no group holds.
    """
    if trust_unbound and checks and run_ids_of(checks[0].external_id) is None:
        return _record(checks[:1], None, ())
    refused: list[str] = []
    counted: list[tuple[RunIds, list[CheckRun]]] = []
    for ids, members in groups(checks).items():
        why = refusal(ids, runs, head=head, base=base)
        if why is None:
            counted.append((ids, members))
        else:
            refused.append(why)
    if not counted:
        return Gate1Record(False, (), (), None, tuple(refused))
    ids, members = max(counted, key=lambda group: group[0].run)
    publish = runs.get(ids.publish)
    return _record(members, ids, refused,
                   run_passed=publish is not None and publish.conclusion == "success")
