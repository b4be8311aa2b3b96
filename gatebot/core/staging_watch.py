"""What a waiting merge-queue step makes of the staging workflow's runs as GitHub lists them. Pure.

GitHub does not promise to deliver every ``workflow_run`` event, so the queue's step does not
rely on the event alone (docs/queue.md, "A lost event"): when a staging branch awaits a run
that no event recorded, the step lists the staging workflow's runs once and decides here:

- a listed run that is exactly the awaited one (``staged_sha``: ``gatebot-staging.yml``,
  ``workflow_dispatch`` on the base branch, titled for exactly this SHA; and a run of this
  repository, not of a fork) that finished and was not recorded: ``Record`` it, as the
  landing job of its event would have;
- such a run queued or in progress: ``Wait``;
- none at all once ``timeout`` seconds passed since the newest dispatch (GitHub's clock on
  both sides): ``Lost`` — the dispatch started no run, which the step then counts as a run
  that timed out (no verdict on the change: it is dispatched again once).

A listed run is only a hint which run to read: what a recorded run decides is verified again
by every later step (``GET /actions/runs/{id}``), as for a run whose event arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from gatebot.core.landing import StagingRun, staged_sha

LOST = "lost"
"""The ``external_id`` of the ``gatebot/staging`` check run that records a lost dispatch."""


@dataclass(frozen=True)
class ListedRun:
    """One run as ``GET .../actions/workflows/{id}/runs`` lists it.

    ``status``: GitHub's (``queued``, ``in_progress``, ``completed``…); ``repository`` /
    ``head_repository``: ``owner/name`` of the repository listed and of the run's head (a
    fork's differs; None when GitHub gives none).
    """

    run: StagingRun
    status: str
    repository: str
    head_repository: str | None

    def own(self) -> bool:
        """Whether the run's head is the repository's own (not a fork's)."""
        return (self.head_repository or self.repository).casefold() == \
            self.repository.casefold()


@dataclass(frozen=True)
class Record:
    """Record these finished runs (oldest first) as their events would have."""

    runs: tuple[StagingRun, ...]


@dataclass(frozen=True)
class Wait:
    """Nothing to do yet: ``why`` (a run in progress, or the dispatch is recent)."""

    why: str


@dataclass(frozen=True)
class Lost:
    """No run of the awaited dispatch appeared within the timeout: ``waited`` seconds."""

    waited: float


def runs_of(listed: Iterable[ListedRun], sha: str, base: str) -> list[ListedRun]:
    """The listed runs that are staging runs of ``sha``, dispatched on ``base``, in this repo.

    The same test as for a run whose event arrived (``staged_sha``), and the run's head
    repository must be the repository listed: another workflow, another SHA, another branch,
    another event or a fork's run is none.
    """
    return [r for r in listed if staged_sha(r.run, base) == sha and r.own()]


def watch(listed: Iterable[ListedRun], sha: str, base: str, *, recorded: Iterable[int],
          since: datetime | None, now: datetime, timeout: float) -> Record | Wait | Lost:
    """What to do for staging commit ``sha``, whose newest dispatch is awaited since ``since``.

    ``recorded``: the ids of its runs recorded already; ``now``: GitHub's time of the
    listing; ``timeout``: seconds without any run before the dispatch counts as lost. A
    ``since`` of None (unknown) never times out.
    """
    mine, known = runs_of(listed, sha, base), set(recorded)
    done = tuple(r.run for r in reversed(mine) if r.status == "completed"
                 and r.run.conclusion is not None and r.run.run_id not in known)
    if done:
        return Record(done)
    running = next((r for r in mine if r.status != "completed"), None)
    if running is not None:
        return Wait(f"staging run {running.run.run_id} of {sha[:12]} is {running.status}")
    waited = (now - since).total_seconds() if since is not None else 0.0
    if since is None or waited < timeout:
        return Wait(f"no staging run of {sha[:12]} yet ({waited:.0f} s of {timeout:.0f} s)")
    return Lost(waited)
