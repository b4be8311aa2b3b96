"""Gate 2's own overhead: one fetch per attempt, few git processes, no import it does not use.

Each git process that ``gatebot merge`` starts is counted from git's own trace
(``GIT_TRACE2_EVENT``): the figures the replay benchmark times on real
projects come from these counts, so a change that adds a fetch or a process
per file shows up here first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.app.test_merge import advance_main, approved_branch
from tests.repos import Repo, make_repo, run_process


def git_commands(trace: Path) -> list[list[str]]:
    """The argv of every top-level git process in a ``GIT_TRACE2_EVENT`` file."""
    found = []
    for line in trace.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event.get("event") == "start" and event.get("sid", "").count("/") == 0:
            found.append(event["argv"][1:])
    return found


def verb(argv: list[str]) -> str:
    """The git command of an argv (``-c key=value`` options skipped)."""
    words = iter(argv)
    for word in words:
        if word == "-c":
            next(words)
        elif not word.startswith("-"):
            return word
    return ""


def traced_merge(repo: Repo, tmp: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    trace = tmp / "trace.json"
    result = run_process(repo.path, "merge", "--task", "4", "--as", "rev-b",
                         env={"GIT_TRACE2_EVENT": str(trace)})
    return result, [verb(argv) for argv in git_commands(trace)]


def test_a_landing_fetches_once_per_attempt_and_reads_files_in_one_process(
        tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    approved_branch(repo)
    result, verbs = traced_merge(repo, tmp_path)
    assert result.returncode == 0, result.stderr
    # the base when the configuration is read, then the task's branch: nothing fetched twice
    assert verbs.count("fetch") == 2, verbs
    assert verbs.count("push") == 1
    # files read in batches: configuration and board, the measured files (sizes, then
    # contents), the release commit's board files
    assert verbs.count("cat-file") == 4, verbs
    assert verbs.count("log") <= 2, verbs
    assert verbs.count("merge-base") == 1, verbs
    assert verbs.count("remote") == 1, verbs
    assert verbs.count("config") == 1, verbs
    assert verbs.count("hash-object") == 1 and verbs.count("update-index") == 1, verbs
    assert len(verbs) <= 28, verbs


def test_a_retry_fetches_the_base_and_the_branch_together(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    approved_branch(repo)
    hook = repo.origin / "hooks" / "pre-receive"
    # the first release push is refused after main moves under it: the base moved, retry
    marker = tmp_path / "moved"
    advance_main(repo, "notes.md", "warm-up\n")
    hook.write_text(
        "#!/bin/sh\n"
        f"if [ ! -e {marker} ]; then touch {marker}; "
        f"cd {tmp_path / 'other-moves'} && git pull -q origin main && "
        "echo more >> notes.md && git commit -qam moved && "
        "GIT_DIR= git push -q origin HEAD:main; exit 1; fi\n", encoding="utf-8")
    subprocess.run(["git", "clone", "-q", str(repo.origin), str(tmp_path / "other-moves")],
                   check=True, capture_output=True)
    hook.chmod(0o755)
    result, verbs = traced_merge(repo, tmp_path)
    assert marker.exists()
    assert result.returncode == 0, result.stderr
    # opening (the base), the first attempt (the branch), the refused push (did the base
    # move?), the retry (the base and the branch in one fetch)
    assert verbs.count("fetch") == 4, verbs
    assert verbs.count("push") == 2, verbs


def test_the_merge_command_imports_no_checks_runner_metrics_or_worktree() -> None:
    code = ("import sys; from gatebot.app import flow_commands; "
            "print(sorted(m for m in sys.modules if m in ("
            "'gatebot.adapters.checks', 'gatebot.adapters.metrics', "
            "'gatebot.adapters.worktree', 'gatebot.adapters.claim_store', 'rich.status')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
