"""A staging run's completion event handled after its batch already landed.

GitHub redelivers events, and two landing jobs may handle one run's event (the two-jobs test
of test_queue_run_github.py): the job that comes second finds main already at the run's
commit and the queue's staging branch gone. That is "landed already, nothing to do" (exit 0,
no write), not "which task?" (exit 2). Deterministic: the second delivery comes after the
first job ended.
"""

from __future__ import annotations

from pathlib import Path

from tests.fakegithub.server import FakeGitHub
from tests.github.test_queue_run_github import _queue


def test_a_green_runs_event_after_its_batch_landed_writes_nothing(fake_github: FakeGitHub,
                                                                  tmp_path: Path) -> None:
    queue = _queue(fake_github, tmp_path, 2)
    queue.step()
    [sent] = fake_github.state.dispatches
    sha = sent.inputs["sha"]
    landed = queue.finish(sha, "success", 7)
    assert landed.exit_code == 0, landed.output
    assert queue.main() == sha
    assert queue.git("branch", "--list", "gatebot/staging/*") == ""  # the branch is gone
    fake_github.reset_log()
    again = queue.finish(sha, "success", 7)  # the same event, delivered again
    assert again.exit_code == 0, again.output
    assert "already on main" in again.output
    assert fake_github.writes() == []
    assert queue.released() == queue.tasks
    assert len(fake_github.state.dispatches) == 1
