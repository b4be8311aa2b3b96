"""``gatebot queue run`` end to end: real git, a bare origin, real nox, real processes.

The repositories are tests/queue_repos.py's: one part file per task, one nox check that fails
on a ``bad`` part, once on a ``flaky`` part, and may commit to main while it runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.queue_repos import queue_of
from tests.repos import GIT_ENV, Repo, clone_of, git, run_cli


def first_parents(repo: Repo, since: str) -> list[tuple[str, str, str]]:
    """main's first-parent chain after ``since``, oldest first: (SHA, tree, message)."""
    out = git(repo.origin, "log", "--first-parent", "--reverse", "--format=%H %T%n%B%x1e",
              f"{since}..main")
    rows = []
    for record in filter(str.strip, out.split("\x1e")):
        head, _, message = record.strip("\n").partition("\n")
        sha, tree = head.split()
        rows.append((sha, tree, message))
    return rows


def trailer(message: str, key: str) -> str | None:
    found = [line.split(": ", 1)[1] for line in message.splitlines() if line.startswith(key + ": ")]
    return found[-1] if found else None


def stage_of(repo: Repo, number: int) -> str:
    todo = repo.origin_file("TODO.md")
    before = todo.split(f"### #{number} ")[0]
    return before.rsplit("## ", 1)[1].split("\n")[0]


def parts_pass(repo: Repo, tree: str) -> bool:
    """Whether the check's rule holds on ``tree``: no part says ``bad``."""
    names = git(repo.origin, "ls-tree", "--name-only", f"{tree}:parts").split()
    return not any("bad" in git(repo.origin, "show", f"{tree}:parts/{n}") for n in names)


def test_a_batch_of_8_with_one_bad_task_lands_7_and_sends_the_culprit_back(tmp_path: Path) -> None:
    parts = {n: f"part {n}\n" for n in range(1, 9)}
    parts[6] = "a bad part\n"
    repo = queue_of(tmp_path, parts)
    start = repo.origin_sha()
    result = run_cli(repo.path, "queue", "run", "--as", "rev-b")
    assert result.exit_code == 1, result.output
    # one run for the batch, prefix 4 green (lands), then #5 #6 red, #5 green (lands),
    # #6 red and its retry red: back to REVIEW; then #7 #8 green
    assert "7 landed, 1 sent back to REVIEW, 0 taken out, 0 skipped; 6 check runs" in result.output
    assert "#6 back to REVIEW: failed after integration: checks.tests" in result.output
    assert "logs: " in result.output
    assert stage_of(repo, 6) == "👀 REVIEW"
    assert "parts/6.txt" not in git(repo.origin, "ls-tree", "-r", "--name-only", "main")
    chain = first_parents(repo, start)
    releases = [row for row in chain if "Gatebot-Event: released" in row[2]]
    assert [trailer(m, "Gatebot-Task") for _s, _t, m in releases] == [
        f"#{n}" for n in (1, 2, 3, 4, 5, 7, 8)]
    trees = {tree for _s, tree, _m in releases}
    for sha, tree, message in chain:
        assert parts_pass(repo, tree), sha  # main never pointed at a tree that failed
        tested = trailer(message, "Gatebot-Tested-in")
        if tested:  # an intermediate release names the last tree of its landing, which ran
            assert tested in trees
            assert parts_pass(repo, tested)
    assert trailer(releases[0][2], "Gatebot-Tested-in") == releases[3][1]
    # an intermediate release says it was tested in the batch, the last its own re-test
    assert f"after two reviews; tested in batch, tree {releases[3][1]}" in releases[0][2]
    assert "re-test." not in releases[0][2]
    assert "landed by gatebot after two reviews and a re-test." in releases[3][2]
    assert [m for _s, _t, m in chain if "Gatebot-Event: merge-failed" in m]
    assert git(repo.origin, "rev-parse", f"{releases[0][0]}^2") == repo.git(
        "rev-parse", "origin/task/1-part")


def test_a_conflicting_task_is_taken_out_before_any_check_runs(tmp_path: Path) -> None:
    # #2 also writes #1's part: it conflicts with #1 in the batch
    repo = queue_of(tmp_path, {1: "one\n", 2: "two\n", 3: "three\n"},
                    {2: {"parts/1.txt": "not one\n"}})
    result = run_cli(repo.path, "queue", "run", "--as", "rev-b")
    assert result.exit_code == 1, result.output
    assert "#2 conflicts in parts/1.txt: taken out before any check ran" in result.output
    assert "🚨 ESCALATION: Merge conflict on task #2" in result.output
    assert "2 landed, 0 sent back to REVIEW, 1 taken out, 0 skipped; 1 check runs" in result.output
    assert stage_of(repo, 2) == "👀 REVIEW"
    assert repo.origin_file("parts/1.txt") == "one"


def test_a_whitespace_only_conflict_in_the_batch_is_resolved_as_gatebot_merge_does(
        tmp_path: Path) -> None:
    core = '"""Core."""\n\n\ndef add(a, b):\n    """Add."""\n    return {}\n'
    repo = queue_of(tmp_path, {1: "one\n", 2: "two\n"},
                    {1: {"app/core.py": core.format("a + b   "),  # whitespace only
                         "tests/test_one.py": "x = 1\n"},
                     2: {"app/core.py": core.format("b + a"), "tests/test_two.py": "x = 2\n"}})
    result = run_cli(repo.path, "queue", "run", "--as", "rev-b")
    assert result.exit_code == 0, result.output
    assert "2 landed, 0 sent back to REVIEW, 0 taken out, 0 skipped; 1 check runs" in result.output
    assert "return b + a" in repo.origin_file("app/core.py")


MOVE = textwrap.dedent('''\
    import subprocess
    clone = {clone!r}
    def git(*args):
        subprocess.run(["git", "-C", clone, "-c", "user.name=other", "-c",
                        "user.email=other@example.com", *args], check=True, capture_output=True)
    git("pull", "-q", "origin", "main")
    with open(clone + "/" + {path!r}, "a") as f:
        f.write({note!r})
    git("commit", "-q", "-am", "main moves")
    git("push", "-q", "origin", "HEAD:main")
    ''')


@pytest.mark.parametrize(("path", "runs"), [("TODO.md", 1), ("check.py", 2)])
def test_main_moving_mid_run_rebuilds_and_retests_only_for_code(
        tmp_path: Path, path: str, runs: int) -> None:
    repo = queue_of(tmp_path, {1: "one\n", 2: "two\n"})
    other = clone_of(repo, tmp_path / "other")
    (tmp_path / "hooks" / "move.py").write_text(MOVE.format(
        clone=str(other.path), path=path, note=f"\n{'#' * (path != 'TODO.md')} A note from another agent.\n"))
    result = run_cli(repo.path, "queue", "run", "--as", "rev-b")
    assert result.exit_code == 0, result.output
    kind = "board files only" if path == "TODO.md" else "code"
    assert "main moved to " in result.output and f"({kind})" in result.output
    assert f"2 landed, 0 sent back to REVIEW, 0 taken out, 0 skipped; {runs} check runs" in (
        result.output)
    assert "A note from another agent." in repo.origin_file(path)
    last = git(repo.origin, "log", "-1", "--format=%B", "main")
    tested = trailer(last, "Gatebot-Tested-in")
    changed = repo.git("diff", "--name-only", tested, f"{repo.origin_sha()}^{{tree}}").split()
    # the tested tree differs from main's only in board files (none when the code moved)
    assert set(changed) <= {"TODO.md", "CURRENT_STATE.md"} | {
        c for c in changed if c.startswith("coordination/archive/")}
    assert (changed != []) == (path == "TODO.md")


def test_a_failure_that_does_not_repeat_is_flaky_reported_and_the_tree_lands(
        tmp_path: Path) -> None:
    repo = queue_of(tmp_path, {1: "one\n", 2: "a flaky part\n"})
    result = run_cli(repo.path, "queue", "run", "--as", "rev-b", "--batch-size", "1")
    assert result.exit_code == 0, result.output
    assert "🚨 ESCALATION: Flaky check while landing task #2" in result.output
    assert "checks.tests" in result.output
    last = git(repo.origin, "log", "-1", "--format=%B", "main")
    assert "checks.tests" in (trailer(last, "Gatebot-Flaky") or "")
    assert trailer(last, "Gatebot-Task") == "#2"
    audit = run_cli(repo.path, "audit", "--format", "json")
    assert audit.exit_code == 0, audit.output
    flaky = json.loads(audit.stdout)["escalated"]["flaky"]
    assert flaky == {"value": 1, "sources": [repo.origin_sha()]}


def test_two_queue_runs_at_once_never_land_a_task_twice(tmp_path: Path) -> None:
    repo = queue_of(tmp_path, {1: "one\n", 2: "two\n", 3: "three\n"})
    start = repo.origin_sha()
    other = clone_of(repo, tmp_path / "second")
    env = {**os.environ, **GIT_ENV, "NO_COLOR": "1"}
    runs = [subprocess.Popen([sys.executable, "-m", "gatebot", "queue", "run", "--as", "rev-b"],
                             cwd=where, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
            for where in (repo.path, other.path)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    tasks = [trailer(m, "Gatebot-Task") for _s, _t, m in first_parents(repo, start)
             if "Gatebot-Event: released" in m]
    assert sorted(tasks) == ["#1", "#2", "#3"]


def test_queue_alone_and_queue_show_print_the_same(tmp_path: Path) -> None:
    repo = queue_of(tmp_path, {1: "one\n", 2: "two\n"})
    plain = run_cli(repo.path, "queue", "--format", "json")
    show = run_cli(repo.path, "queue", "show", "--format", "json")
    assert plain.exit_code == show.exit_code == 0
    assert plain.output == show.output
    mixed = run_cli(repo.path, "queue", "--batch-size", "2", "run")
    assert mixed.exit_code == 2
    assert "after the subcommand" in mixed.output
    assert run_cli(repo.path, "queue", "run", "--batch-size", "0").exit_code == 2
