"""The GitHub merge queue when GitHub drops a staging run's ``workflow_run`` event.

GitHub does not promise to deliver every webhook or ``workflow_run`` event. A step that finds a
batch awaiting a run no event recorded lists the staging workflow's runs (one request) and acts
on a finished one as its landing job would have; a run in progress is waited for; a dispatch
with no run at all after ``merge.staging_timeout`` counts as a timed-out run (dispatched again
once). Real PyGithub over real HTTP against the fake GitHub, whose list route is validated
against GitHub's OpenAPI description like every other.
"""

from __future__ import annotations

from pathlib import Path

from tests.fakegithub.server import FakeGitHub
from tests.github.test_queue_run_github import REPO, Queue, _forced, _queue
from tests.repos import NO_CHECKS

LISTING = f"/repos/{REPO}/actions/workflows/gatebot-staging.yml/runs"
TIMEOUT = 1800  # merge.staging_timeout's default, in seconds


def _recorded(fake: FakeGitHub, sha: str) -> list[str]:
    """The ``external_id`` of every completed ``gatebot/staging`` check run on ``sha``."""
    return sorted(c.external_id for c in fake.state.check_runs.values()
                  if c.head_sha == sha and c.name == "gatebot/staging"
                  and c.status == "completed")


def _listings(fake: FakeGitHub) -> int:
    """How many times the staging workflow's runs were listed since the log was reset."""
    return sum(1 for r in fake.requests if r.method == "GET" and r.path == LISTING)


def _staged(queue: Queue) -> str:
    """Start a batch: the first step stages it; the SHA its staging run is dispatched on."""
    started = queue.step()
    assert started.exit_code == 0, started.output
    return queue.fake.state.dispatches[-1].inputs["sha"]


def test_a_dropped_completion_event_lands_the_green_batch_once(fake_github: FakeGitHub,
                                                               tmp_path: Path) -> None:
    queue = _queue(fake_github, tmp_path, 3)
    sha = _staged(queue)
    queue.ran(sha, "success", 101)  # finished; GitHub never delivered its workflow_run event
    fake_github.reset_log()
    landed = queue.step()  # the schedule's step
    assert landed.exit_code == 0, landed.output
    assert "recorded now" in landed.output
    assert queue.main() == sha  # exactly the SHA the staging run tested
    assert queue.released() == queue.tasks
    assert len(fake_github.state.dispatches) == 1
    assert _recorded(fake_github, sha) == ["101"]
    assert _listings(fake_github) == 1
    assert _forced(fake_github) == []
    fake_github.reset_log()
    again = queue.step()  # the schedule again, or the late event: nothing is left to do
    assert again.exit_code == 0, again.output
    assert fake_github.writes() == []
    assert queue.released() == queue.tasks


def test_a_dropped_completion_event_of_a_red_batch_bisects_once(fake_github: FakeGitHub,
                                                                tmp_path: Path) -> None:
    queue = _queue(fake_github, tmp_path, 2, bad={2})
    sha = _staged(queue)
    queue.ran(sha, "failure", 101)
    queue.played = 1  # the test's own bookkeeping: that dispatch has run
    bisect = queue.step()
    assert bisect.exit_code == 0, bisect.output
    [_, prefix] = [d.inputs["sha"] for d in fake_github.state.dispatches]
    assert queue.git("rev-list", "--count", f"{queue.main()}..{prefix}", "--first-parent") \
        == "1"  # base + #1: the bisection's first half
    fake_github.reset_log()
    assert queue.step().exit_code == 0  # replayed: the prefix's run is awaited, nothing else
    assert fake_github.writes() == []
    assert _recorded(fake_github, sha) == ["101"]
    queue.drive()
    one, two = queue.tasks
    assert queue.released() == [one]
    assert queue.labels(two) == ["status:review"]


def test_a_run_in_progress_is_waited_for_past_the_timeout(fake_github: FakeGitHub,
                                                          tmp_path: Path) -> None:
    queue = _queue(fake_github, tmp_path, 2)
    sha = _staged(queue)
    queue.ran(sha, None, 101)  # queued for a runner, then running: longer than the timeout
    fake_github.clock.advance(TIMEOUT * 2)
    fake_github.reset_log()
    waiting = queue.step()
    assert waiting.exit_code == 0, waiting.output
    assert "waiting" in waiting.output
    assert fake_github.writes() == []
    assert _listings(fake_github) == 1  # one request more than a step that waits blind
    assert len(fake_github.state.dispatches) == 1
    queue.ran(sha, "success", 101)  # it finished; its event was lost too
    assert queue.step().exit_code == 0
    assert queue.released() == queue.tasks


def test_forged_runs_found_by_the_listing_land_nothing(fake_github: FakeGitHub,
                                                       tmp_path: Path) -> None:
    """Green runs titled for the staged SHA, or nearly: none is the staging run, so none is
    recorded or lands, and none stands in for the run the dispatch never started."""
    queue = _queue(fake_github, tmp_path, 2)
    sha = _staged(queue)
    before = queue.main()
    forged = {
        51: {"path": ".github/workflows/ci.yml"},  # another workflow
        52: {"display_title": f"gatebot staging {before}"},  # another head SHA
        53: {"head_repository": "mallory/widgets"},  # a fork's run
        54: {"head_branch": f"task/{queue.tasks[0]}-work"},  # not on the base branch
        55: {"event": "push"},  # not dispatched
    }
    for run_id, fields in forged.items():
        queue.ran(sha, "success", run_id, **fields)
    assert "waiting" in queue.step().output  # the dispatch is recent: nothing to do
    fake_github.clock.advance(TIMEOUT + 1)
    result = queue.step()
    assert result.exit_code == 0, result.output
    assert queue.main() == before
    assert _recorded(fake_github, sha) == ["lost"]
    assert [d.inputs["sha"] for d in fake_github.state.dispatches] == [sha, sha]
    assert fake_github.violations == []


def test_a_dispatch_that_starts_no_run_is_dispatched_again_once(fake_github: FakeGitHub,
                                                                tmp_path: Path) -> None:
    config = NO_CHECKS + "[merge]\nstaging_timeout = 600\n"
    queue = _queue(fake_github, tmp_path, 2, config=config)
    sha = _staged(queue)
    fake_github.clock.advance(480)  # the server's clock runs on: keep a margin
    fake_github.reset_log()
    assert "waiting" in queue.step().output
    assert fake_github.writes() == []
    fake_github.clock.advance(130)  # over 600 s without a run of the dispatch
    lost = queue.step()
    assert lost.exit_code == 0, lost.output
    assert "did not appear within 600 s" in lost.output
    assert [d.inputs["sha"] for d in fake_github.state.dispatches] == [sha, sha]
    fake_github.reset_log()
    assert queue.step().exit_code == 0  # replayed: the second dispatch is awaited
    assert fake_github.writes() == []
    queue.played = 1  # the first dispatch never ran
    landed = queue.play()
    assert landed.exit_code == 0, landed.output
    assert queue.main() == sha
    assert queue.released() == queue.tasks
