"""A command reads the base branch once: the fetch that opens its context is the one it uses.

Opening a command's context fetches the base (its configuration is read there); the board,
the change under review and the queue are then read at that same tip, not after a second
fetch (each fetch is four processes: git, a shell, upload-pack, rev-list). Writes stay
compare-and-swap: a board commit pushes without force and fetches again when it loses.
Counted from git's own trace (``GIT_TRACE2_EVENT``), as the landing's overhead is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.test_merge import advance_main, approved_branch
from tests.app.test_merge_overhead import git_commands, verb
from tests.repos import make_repo, run_process


def traced(repo_path: Path, tmp: Path, *args: str) -> tuple[int, str, list[str]]:
    """Run ``gatebot ARGS`` as a process; (exit code, stderr, git verbs in order)."""
    trace = tmp / "trace.json"
    trace.unlink(missing_ok=True)
    done = run_process(repo_path, *args, env={"GIT_TRACE2_EVENT": str(trace)})
    return done.returncode, done.stderr, [verb(argv) for argv in git_commands(trace)]


@pytest.mark.parametrize("args", [
    ("review", "--as", "rev-x"),  # the board, then the change against the base
    ("queue",),  # the board and each queued task's approvals
    ("status",),
])
def test_a_command_fetches_the_base_once(tmp_path: Path, args: tuple[str, ...]) -> None:
    repo = make_repo(tmp_path)
    approved_branch(repo)
    code, err, verbs = traced(repo.path, tmp_path, *args)
    assert code in (0, 1), err
    # `queue` also fetches the queued task's branch (its head is what would land), `status`
    # the claim refs (refs/gatebot/claims/*, outside the branches)
    assert verbs.count("fetch") == (1 if args[0] == "review" else 2), verbs


def test_a_review_judges_the_base_it_fetched_not_a_stale_local_copy(tmp_path: Path) -> None:
    """The one fetch still brings what moved: a board commit pushed on the base after the
    branch was made is not counted as the change's own edit (board-files passes)."""
    repo = make_repo(tmp_path)
    approved_branch(repo)
    advance_main(repo, "TODO.md", "# TODO\n")  # the base moved since the branch was cut
    code, err, verbs = traced(repo.path, tmp_path, "review", "--as", "rev-x", "--only",
                              "board-files")
    assert code == 0, err
    assert verbs.count("fetch") == 1, verbs
