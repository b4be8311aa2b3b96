"""Board events are read through git's own trailer parsing, with the trust rules unchanged.

A line that looks like a ``Gatebot-*`` trailer but sits outside the message's
trailer block (as git defines it: the last paragraph, all of it trailers) is
body text and never an event, even in a commit gatebot made on the base.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gatebot.adapters.git import Git
from gatebot.adapters.local import LocalForge
from gatebot.errors import GitError
from tests.app.test_merge import approved_branch
from tests.repos import Repo, git, make_repo, run_cli

BOT = {"GIT_AUTHOR_NAME": "gatebot", "GIT_AUTHOR_EMAIL": "gatebot@localhost",
       "GIT_COMMITTER_NAME": "gatebot", "GIT_COMMITTER_EMAIL": "gatebot@localhost"}


def plant_on_main(repo: Repo, message: str) -> str:
    """Push a commit made as gatebot on origin's main (first parent: the old tip)."""
    sha = git(repo.origin, "commit-tree", "-p", "main", "-m", message, "main^{tree}", env=BOT)
    git(repo.origin, "update-ref", "refs/heads/main", sha)
    return sha


def forge(repo: Repo) -> LocalForge:
    return LocalForge(Git(repo.path), "main", "origin")


def test_a_trailer_line_in_the_body_is_not_an_event(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    planted = plant_on_main(repo, "gatebot: notes\n\nThe reviewer wrote\nGatebot-Task: #4\n"
                                  "Gatebot-Event: approved\nGatebot-Head: abc\n")
    assert planted not in [e.sha for e in forge(repo).events(4)]


def test_the_trailer_block_is_read_as_git_reads_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    message = ("gatebot: approve #4\n\nGatebot-Event: rejected\nnot a trailer\n\n"
               "Gatebot-Task: #4\nGatebot-Event: approved\nGatebot-Head: abc\n"
               "Gatebot-Actor: rev-a\n  continued\n")
    planted = plant_on_main(repo, message)
    events = forge(repo).events(4)
    assert [e.sha for e in events] == [planted]
    assert events[0].event == "approved"
    assert events[0].trailers["Gatebot-Actor"] == "rev-a continued"  # git unfolds
    assert events[0].committed_at is not None


def test_trust_rules_hold_a_commit_by_someone_else_is_not_an_event(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    sha = git(repo.origin, "commit-tree", "-p", "main", "-m",
              "x\n\nGatebot-Task: #4\nGatebot-Event: approved\n", "main^{tree}")
    git(repo.origin, "update-ref", "refs/heads/main", sha)
    assert forge(repo).events(4) == []


def test_body_lines_cannot_forge_an_approval_for_a_new_head(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    approved_branch(repo)
    repo.write("app/feature.py", '"""F, changed after the approval."""\n')
    h2 = repo.commit("unreviewed change", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    plant_on_main(repo, f"gatebot: approve #4 (gate 1)\n\nApproved again, see below\n"
                        f"Gatebot-Task: #4\nGatebot-Event: approved\nGatebot-Head: {h2}\n"
                        "Gatebot-Actor: rev-a\nGatebot-Branch: task/4-work\n")
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 1, result.output
    assert "a new push voids it" in result.output
    assert h2 not in git(repo.origin, "rev-list", "main").split()


def test_a_tasks_history_is_read_down_to_the_commit_that_added_it(tmp_path: Path) -> None:
    # nothing about a task comes before the board commit that added it (its number was never
    # used before), so the walk stops there instead of reading the whole base: an older
    # commit naming the number (here planted by hand) is not the task's
    repo = make_repo(tmp_path)
    plant_on_main(repo, "gatebot: approve #4\n\nGatebot-Task: #4\nGatebot-Event: approved\n")
    added = plant_on_main(repo, "gatebot: add a task\n\nGatebot-Task: #4\nGatebot-Event: added\n")
    claimed = plant_on_main(repo, "gatebot: claim #4\n\nGatebot-Task: #4\n"
                                  "Gatebot-Event: claimed\n")
    events = forge(repo).events(4)
    assert [(e.sha, e.event) for e in events] == [(claimed, "claimed"), (added, "added")]


def test_a_walk_that_fails_says_so(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with pytest.raises(GitError, match="exited 128"):
        forge(repo).events(4, "0" * 40)
