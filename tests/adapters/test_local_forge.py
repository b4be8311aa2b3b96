"""``LocalForge`` as a ``gatebot.ports.Forge``: decisions recorded as board commits.

Real repositories with a bare origin; the rival writer is a second clone
writing through its own ``LocalForge``, never a stand-in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gatebot.adapters.git import Git
from gatebot.adapters.local import LocalForge
from gatebot.core import transitions
from gatebot.core.board import Stage
from gatebot.core.transitions import TaskState, Transition
from gatebot.errors import Refused
from gatebot.ports import Forge
from tests.repos import Repo, clone_of, make_repo

NOW = datetime(2025, 11, 1, 10, 0, tzinfo=UTC)


def forge(repo: Repo) -> Forge:
    return LocalForge(Git(repo.path), "main", "origin")


def test_a_decision_is_recorded_as_one_board_commit_with_its_trailers(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    sha = forge(repo).apply(1, lambda s: transitions.claim(s.task, "ann", NOW, ["a.py"], 5))
    assert repo.origin_sha() == sha
    (event, *_) = forge(repo).events(1)
    assert (event.sha, event.event, event.actor) == (sha, "claimed", "ann")
    task = forge(repo).board().task(1)
    assert (task.stage, task.get("Assignee"), task.get("Files")) == (
        Stage.IN_PROGRESS, "ann", "a.py")


def test_the_first_write_wins_and_the_loser_is_decided_again(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    rival = forge(clone_of(repo, tmp_path / "rival"))
    calls: list[Stage | None] = []

    def ann_claims(state: TaskState) -> Transition:
        calls.append(state.task.stage)
        if len(calls) == 1:  # bob's claim lands while ann decides
            rival.apply(1, lambda s: transitions.claim(s.task, "bob", NOW, [], None))
        return transitions.claim(state.task, "ann", NOW, [], None)

    with pytest.raises(Refused, match="task #1 is claimed by bob since 2025-11-01T10:00:00Z"):
        forge(repo).apply(1, ann_claims)
    assert calls == [Stage.READY, Stage.IN_PROGRESS]
    assert [e.actor for e in forge(repo).events(1)] == ["bob"]


def test_a_decision_that_asks_for_history_sees_it_at_the_tip_it_writes_on(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path)
    here = forge(repo)
    here.tip()  # this clone's view is older than the rival's write below
    forge(clone_of(repo, tmp_path / "rival")).apply(
        1, lambda s: transitions.claim(s.task, "bob", NOW, [], None))
    seen: list[TaskState] = []

    def look(state: TaskState) -> Transition:
        seen.append(state)
        raise Refused("only looking")

    with pytest.raises(Refused):
        here.apply(1, look, history=True)
    assert [e.event for e in seen[0].history] == ["claimed"]
    with pytest.raises(Refused):
        here.apply(1, look)
    assert seen[1].history == ()


def test_new_tasks_never_reuse_a_number(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    first, _ = forge(repo).add_task(transitions.new_task("One", [], False, "ann"))
    second, sha = forge(repo).add_task(transitions.new_task("Two", ["b.py"], True, "ann"))
    assert second == first + 1
    assert forge(repo).events(second)[0].sha == sha
    assert forge(repo).board().task(second).critical
