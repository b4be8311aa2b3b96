"""``core.staging_watch``: what a waiting queue step makes of the listed staging runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatebot.core.landing import StagingRun
from gatebot.core.staging_watch import ListedRun, Lost, Record, Wait, watch

SHA = "a" * 40
OTHER = "b" * 40
STAGING = ".github/workflows/gatebot-staging.yml"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _run(run_id: int, status: str = "completed", conclusion: str | None = "success", *,
         sha: str = SHA, path: str = STAGING, event: str = "workflow_dispatch",
         branch: str = "main", head: str | None = "acme/widgets") -> ListedRun:
    run = StagingRun(path, event, branch, f"gatebot staging {sha}", conclusion, run_id)
    return ListedRun(run, status, "acme/widgets", head)


def _watch(*listed: ListedRun, recorded: tuple[int, ...] = (), waited: float = 10.0
           ) -> Record | Wait | Lost:
    return watch(listed, SHA, "main", recorded=recorded, since=T0,
                 now=T0 + timedelta(seconds=waited), timeout=60.0)


def test_a_finished_unrecorded_run_is_recorded_oldest_first() -> None:
    found = _watch(_run(3, conclusion="failure"), _run(2), recorded=(1,))
    assert isinstance(found, Record)
    assert [r.run_id for r in found.runs] == [2, 3]


def test_a_recorded_run_and_a_running_one_wait() -> None:
    assert isinstance(_watch(_run(2, "in_progress", None), _run(1), recorded=(1,)), Wait)


@pytest.mark.parametrize("forged", [
    {"sha": OTHER}, {"path": ".github/workflows/ci.yml"}, {"event": "push"},
    {"branch": "task/1-x"}, {"head": "mallory/widgets"},
], ids=["sha", "workflow", "event", "branch", "fork"])
def test_a_forged_run_is_none_and_the_dispatch_times_out(forged: dict[str, str]) -> None:
    assert isinstance(_watch(_run(9, **forged)), Wait)  # before the timeout
    assert _watch(_run(9, **forged), waited=61.0) == Lost(61.0)


def test_no_time_for_the_dispatch_never_times_out() -> None:
    found = watch([], SHA, "main", recorded=(), since=None, now=T0, timeout=60.0)
    assert isinstance(found, Wait)
