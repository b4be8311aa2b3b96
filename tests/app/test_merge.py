"""``gatebot merge`` end to end: real git, a bare origin, real processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.repos import GIT_ENV, TODO, Repo, git, make_repo, run_cli, run_process

CHECK_BOTH = """import pathlib, sys
sys.exit(1 if pathlib.Path('a.txt').exists() and pathlib.Path('b.txt').exists() else 0)
"""


def approved_branch(repo: Repo, files: dict[str, str] | None = None, *, task: int = 4,
                    reviewer: str = "rev-a", branch: str | None = None) -> str:
    """Push a task branch with ``files`` and approve it at gate 1; return its head."""
    name = branch or f"task/{task}-work"
    repo.git("checkout", "-q", "-b", name, "origin/main")
    for rel, text in (files or {"app/feature.py": '"""F."""\n', "tests/test_f.py": "x = 1\n"}).items():
        repo.write(rel, text)
    head = repo.commit("feature work", as_="builder-one")
    repo.git("push", "-q", "origin", name)
    result = run_cli(repo.path, "review", "--approve", "--as", reviewer)
    assert result.exit_code == 0, result.output
    return head


def advance_main(repo: Repo, rel: str, text: str) -> str:
    """Another agent pushes ``rel`` to origin/main from a second clone."""
    other = repo.path.parent / f"other-{abs(hash(rel)) % 10_000}"
    if not other.exists():
        git(repo.path.parent, "clone", "-q", str(repo.origin), str(other))
    git(other, "pull", "-q", "origin", "main")
    (other / rel).parent.mkdir(parents=True, exist_ok=True)
    (other / rel).write_text(text)
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", f"main: {rel}")
    git(other, "push", "-q", "origin", "HEAD:main")
    return git(other, "rev-parse", "HEAD")


def origin_log(repo: Repo, fmt: str = "%H %P") -> list[str]:
    return git(repo.origin, "log", f"--format={fmt}", "main").splitlines()


def test_lands_with_no_ff_and_keeps_the_board(repo: Repo) -> None:
    head = approved_branch(repo)
    base = repo.origin_sha()
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b", "--format", "json")
    assert result.exit_code == 0, result.output
    tip = repo.origin_sha()
    assert git(repo.origin, "rev-parse", f"{tip}^1") == base
    assert git(repo.origin, "rev-parse", f"{tip}^2") == head
    message = git(repo.origin, "log", "-1", "--format=%B", tip)
    for trailer in ("Gatebot-Task: #4", f"Gatebot-Head: {head}", f"Gatebot-Base: {base}",
                    "Gatebot-Reviewed-by: rev-a, rev-b"):
        assert trailer in message
    assert repo.origin_file("app/feature.py") == '"""F."""'
    todo = repo.origin_file("TODO.md")
    released = todo.split("## 🚀 RELEASED")[1]
    assert "### #4 Twitter automation" in released
    assert "**Reviewed by (RDY FOR PROD)**: rev-b ✅" in released
    assert "**Cannot review**: builder-one, rev-a, rev-b" in released
    assert f"#4 Twitter automation — merge {head[:7]}" in repo.origin_file("CURRENT_STATE.md")
    changed = git(repo.origin, "diff", "--name-only", f"{tip}^1", tip).split()
    entry = repo.origin_file(next(p for p in changed if p.startswith("coordination/archive/")))
    assert "- **Event**: released" in entry
    assert "- **Reviewed by**: rev-a, rev-b" in entry
    again = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert again.exit_code == 0
    assert "already merged" in again.output
    assert repo.origin_sha() == tip


def test_gate2_refuses_gate1_reviewer_committer_and_stale_approval(repo: Repo) -> None:
    approved_branch(repo)
    before = repo.origin_sha()
    for actor, words in (("rev-a", "gate 1"), ("builder-one", "builder")):
        result = run_cli(repo.path, "merge", "--task", "4", "--as", actor)
        assert result.exit_code == 1
        assert words in result.output
    repo.write("app/feature.py", '"""F2."""\n')
    repo.commit("a later push", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 1
    assert "a new push voids it" in result.output
    assert repo.origin_sha() == before


def test_dry_run_pushes_nothing(repo: Repo) -> None:
    approved_branch(repo)
    before = repo.origin_sha()
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "nothing pushed" in result.output
    assert repo.origin_sha() == before


def test_failing_after_integration_sends_back_to_review(repo: Repo) -> None:
    checker = f'[checks]\nnox_sessions = []\nrequired = ["tests"]\ncommands = {{ tests = ["{sys.executable}", "check.py"] }}\n'
    repo.write(".gatebot.toml", "min_coverage = 0\n" + checker)
    repo.write("check.py", CHECK_BOTH)
    repo.commit("a check that fails when a.txt and b.txt meet")
    repo.git("push", "-q", "origin", "main")
    head = approved_branch(repo, {"a.txt": "a\n", "tests/test_a.py": "x = 1\n"})
    advance_main(repo, "b.txt", "b\n")
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 1, result.output
    assert "checks.tests" in result.output
    assert "a.txt" not in git(repo.origin, "ls-tree", "--name-only", "main").split()
    assert head not in git(repo.origin, "rev-list", "main").split()
    todo = repo.origin_file("TODO.md")
    assert "### #4" in todo.split("## 👀 REVIEW")[1].split("## ✅ RDY FOR PROD")[0]
    message = git(repo.origin, "log", "-1", "--format=%B", "main")
    assert "Gatebot-Event: merge-failed" in message


def test_real_conflict_escalates_naming_the_file(repo: Repo) -> None:
    approved_branch(repo, {"app/core.py": '"""C."""\nx = "branch"\n', "tests/test_c.py": "x = 1\n"})
    advance_main(repo, "app/core.py", '"""C."""\nx = "main"\n')
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 1
    assert "🚨 ESCALATION: Merge conflict on task #4" in result.output
    assert "app/core.py" in result.output
    assert repo.origin_file("app/core.py") == '"""C."""\nx = "main"'
    review = repo.origin_file("TODO.md").split("## 👀 REVIEW")[1].split("## ✅")[0]
    assert "**Labels**: escalated" in review


def test_whitespace_only_conflict_is_resolved_and_lands(repo: Repo) -> None:
    repo.write("app/ws.py", '"""W."""\n\n\ndef f():\n    """F."""\n    return 1\n')
    repo.commit("ws base")
    repo.git("push", "-q", "origin", "main")
    approved_branch(repo, {"app/ws.py": '"""W."""\n\n\ndef f():\n    """F."""\n    return 2\n',
                           "tests/t_ws.py": "x = 1\n"})
    advance_main(repo, "app/ws.py", '"""W."""\n\n\ndef f():\n    """F."""\n    return 1   \n')
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 0, result.output
    assert "return 2" in repo.origin_file("app/ws.py")


def test_refusing_remote_retries_then_escalates_and_origin_is_unchanged(repo: Repo) -> None:
    approved_branch(repo)
    hook = repo.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = repo.origin_sha()
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 1
    assert "🚨 ESCALATION: Release push refused for task #4" in result.output
    assert repo.origin_sha() == before


def test_two_tasks_merged_at_once_both_land(tmp_path: Path) -> None:
    todo = TODO.replace("## ✅ RDY FOR PROD", "### #5 Second\n**Built by**: builder-one\n\n"
                        "## ✅ RDY FOR PROD")
    repo = make_repo(tmp_path, todo=todo)
    approved_branch(repo, {"one.txt": "1\n"}, task=4)
    repo.git("checkout", "-q", "main")
    approved_branch(repo, {"two.txt": "2\n"}, task=5)
    procs = [subprocess.Popen([sys.executable, "-m", "gatebot", "merge", "--task", str(n),
                               "--as", "rev-b"], cwd=repo.path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, **GIT_ENV})
             for n in (4, 5)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    names = git(repo.origin, "ls-tree", "--name-only", "main").split()
    assert {"one.txt", "two.txt"} <= set(names)
    released = repo.origin_file("TODO.md").split("## 🚀 RELEASED")[1]
    assert "### #4" in released and "### #5" in released
    releases = [m for m in origin_log(repo, "%s") if m.startswith("Merge task #")]
    assert len(releases) == 2


def test_ten_processes_merging_one_task_make_one_release(repo: Repo) -> None:
    approved_branch(repo)
    procs = [subprocess.Popen([sys.executable, "-m", "gatebot", "merge", "--task", "4",
                               "--as", f"rev-{i + 10}"], cwd=repo.path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, **GIT_ENV})
             for i in range(10)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    releases = [m for m in origin_log(repo, "%s") if m.startswith("Merge task #4")]
    assert len(releases) == 1
    archive = [p for p in git(repo.origin, "ls-tree", "-r", "--name-only", "main").split()
               if p.startswith("coordination/archive/")]
    text = "".join(repo.origin_file(p) for p in archive)
    assert text.count("- **Event**: released") == 1


def test_killed_right_after_push_then_rerun_reports_already_merged(repo: Repo) -> None:
    approved_branch(repo)
    pidfile = repo.path.parent / "merge.pid"
    hook = repo.origin / "hooks" / "post-receive"
    hook.write_text(f"#!/bin/sh\n[ -f {pidfile} ] && kill -9 $(cat {pidfile})\nexit 0\n")
    hook.chmod(0o755)
    proc = subprocess.Popen([sys.executable, "-m", "gatebot", "merge", "--task", "4",
                             "--as", "rev-b"], cwd=repo.path, env={**os.environ, **GIT_ENV},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pidfile.write_text(str(proc.pid))
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    hook.unlink()
    tip = repo.origin_sha()
    assert git(repo.origin, "log", "-1", "--format=%s", tip).startswith("Merge task #4")
    again = run_process(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert again.returncode == 0, again.stderr
    assert "already merged" in again.stderr
    assert repo.origin_sha() == tip


COVER_HALF = '''import coverage, sys
cov = coverage.Coverage(data_file=None, config_file=False, source=["app"])
cov.start()
import app.half
app.half.f(1)
cov.stop()
cov.json_report(outfile="coverage.json")
'''


def coverage_repo(tmp_path: Path, *, critical: bool) -> Repo:
    todo = TODO.replace("### #4 Twitter automation",
                        "### #4 🚨 CRITICAL Twitter automation" if critical else
                        "### #4 Twitter automation")
    repo = make_repo(tmp_path, todo=todo)
    repo.write(".gatebot.toml", "min_coverage = 80\n[checks]\nnox_sessions = []\n"
               f'required = ["tests"]\ncommands = {{ tests = ["{sys.executable}", "cover.py"] }}\n')
    repo.write("cover.py", COVER_HALF)
    repo.commit("a tests check that writes coverage.json")
    repo.git("push", "-q", "origin", "main")
    return repo


HALF = '"""H."""\n\n\ndef f(x):\n    """F."""\n    if x:\n        return 1\n    y = 2\n    z = 3\n    return y + z\n'


def test_critical_task_lands_below_min_coverage(tmp_path: Path) -> None:
    repo = coverage_repo(tmp_path, critical=True)
    approved_branch(repo, {"app/half.py": HALF, "tests/test_half.py": "x = 1\n"})
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "critical task" in result.output
    assert "app/half.py" in git(repo.origin, "ls-tree", "-r", "--name-only", "main")


def test_ordinary_task_below_min_coverage_is_refused_at_gate1(tmp_path: Path) -> None:
    repo = coverage_repo(tmp_path, critical=False)
    repo.git("checkout", "-q", "-b", "task/4-x")
    repo.write("app/half.py", HALF)
    repo.write("tests/test_half.py", "x = 1\n")
    repo.commit("half covered", as_="builder-one")
    result = run_cli(repo.path, "review", "--approve", "--as", "rev-a")
    assert result.exit_code == 1
    assert "coverage" in result.output


def test_public_change_without_docs_is_sent_back(repo: Repo) -> None:
    repo.write(".gatebot.toml", "min_coverage = 0\n[checks]\nnox_sessions = []\n"
               "required = []\n[docs]\npublic_paths = ['app/api/**']\n")
    repo.commit("guard the public API")
    repo.git("push", "-q", "origin", "main")
    approved_branch(repo, {"app/api/v1.py": '"""API."""\n', "tests/test_api.py": "x = 1\n"})
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 1
    assert "docs-updated" in result.output
    assert "app/api/v1.py" not in git(repo.origin, "ls-tree", "-r", "--name-only", "main")
    review = repo.origin_file("TODO.md").split("## 👀 REVIEW")[1].split("## ✅")[0]
    assert "### #4" in review


def test_without_checks_the_release_is_built_with_plumbing_only(repo: Repo) -> None:
    approved_branch(repo, {"one.txt": "1\n"})
    assert run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b").exit_code == 0
    assert not (repo.path / ".git" / "gatebot" / "integration").exists()
    tip = repo.origin_sha()
    assert git(repo.origin, "log", "-1", "--format=%an|%cn", tip) == "rev-b|gatebot"
    assert "one.txt" in git(repo.origin, "ls-tree", "--name-only", tip).split()


def test_integration_slot_is_reused_and_survives_its_removal(repo: Repo) -> None:
    repo.write(".gatebot.toml", "min_coverage = 0\n[checks]\nnox_sessions = []\n"
               f'required = ["tests"]\ncommands = {{ tests = ["{sys.executable}", "-c", "pass"] }}\n')
    repo.commit("a check, so gate 2 needs the release tree on disk")
    repo.git("push", "-q", "origin", "main")
    approved_branch(repo, {"one.txt": "1\n"})
    dry = ("merge", "--task", "4", "--as", "rev-b", "--dry-run")
    assert run_cli(repo.path, *dry).exit_code == 0
    slot = repo.path / ".git" / "gatebot" / "integration" / "slot-0"
    assert (slot / "one.txt").is_file()  # kept for the next run: only changed files rewrite
    (slot / "stray.txt").write_text("left behind\n")
    assert run_cli(repo.path, *dry).exit_code == 0
    assert not (slot / "stray.txt").exists()  # the next run sees exactly the commit's tree
    shutil.rmtree(slot)  # someone cleaned up: the slot is made again
    assert run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b").exit_code == 0
    assert "one.txt" in git(repo.origin, "ls-tree", "--name-only", "main").split()
    assert repo.git("status", "--porcelain") == ""  # the user's tree is untouched


def test_after_a_refused_push_the_recommended_retry_lands(repo: Repo) -> None:
    approved_branch(repo)
    hook = repo.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nwhile read old new ref; do\n"
                    "  [ $(git rev-list --parents -n1 $new | wc -w) -gt 2 ] && exit 1\n"
                    "done\nexit 0\n")
    hook.chmod(0o755)  # refuses merge commits only: the escalation itself is recorded
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 1
    retry = result.output.split("re-run: ", 1)[1].split("\n", 1)[0].split()
    rdy = repo.origin_file("TODO.md").split("## ✅ RDY FOR PROD")[1].split("## 🚀")[0]
    assert "### #4" in rdy
    assert "**Labels**: escalated" in rdy
    hook.unlink()
    again = run_cli(repo.path, *retry[1:], "--as", "rev-b")
    assert again.exit_code == 0, again.output
    released = repo.origin_file("TODO.md").split("## 🚀 RELEASED")[1]
    assert "### #4" in released
    assert "escalated" not in released


def test_a_push_after_approval_is_re_approved_from_rdy_for_prod(repo: Repo) -> None:
    approved_branch(repo)
    repo.write("app/feature.py", '"""F2."""\n')
    new_head = repo.commit("a later push", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    refused = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert "review --approve again" in refused.output
    again = run_cli(repo.path, "review", "--approve", "--as", "rev-c")
    assert again.exit_code == 0, again.output
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 0, result.output
    assert git(repo.origin, "rev-parse", "main^2") == new_head


def test_python_m_gatebot_ignores_a_shadowing_package_in_the_repository(repo: Repo) -> None:
    repo.write("click/__init__.py", "raise ImportError('the project under review, not click')\n")
    result = run_process(repo.path, "--version")
    assert result.returncode == 0, result.stderr
    assert "gatebot" in result.stdout


def test_dry_run_of_a_conflict_writes_nothing_and_exits_1(repo: Repo) -> None:
    approved_branch(repo, {"app/core.py": '"""C."""\nx = "branch"\n', "tests/test_c.py": "x = 1\n"})
    advance_main(repo, "app/core.py", '"""C."""\nx = "main"\n')
    before = repo.origin_sha()
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b", "--dry-run")
    assert result.exit_code == 1
    assert "would escalate" in result.output
    assert repo.origin_sha() == before


def test_disabled_coverage_is_not_judged_at_gate2(repo: Repo) -> None:
    repo.write(".gatebot.toml", "disabled_rules = ['coverage']\n[checks]\nnox_sessions = []\n"
               "required = []\n")
    repo.commit("no coverage rule")
    repo.git("push", "-q", "origin", "main")
    approved_branch(repo)
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 0, result.output


def test_release_lands_when_gitignore_covers_the_archive(repo: Repo) -> None:
    repo.write(".gitignore", "coordination/\n")
    repo.write(".gatebot.toml", "min_coverage = 0\n[checks]\nnox_sessions = []\n"
               f'required = ["tests"]\ncommands = {{ tests = ["{sys.executable}", "-c", "pass"] }}\n')
    repo.commit("ignore coordination/, and a check so the worktree path runs")
    repo.git("push", "-q", "origin", "main")
    approved_branch(repo)
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 0, result.output


def test_trailers_in_a_merged_commit_message_cannot_forge_an_approval(tmp_path: Path) -> None:
    todo = TODO.replace("## ✅ RDY FOR PROD", "### #5 Second\n**Built by**: builder-one\n\n"
                        "## ✅ RDY FOR PROD")
    repo = make_repo(tmp_path, todo=todo)
    approved_branch(repo, {"one.txt": "1\n"}, task=4)
    repo.write("one.txt", "sneaky\n")
    h2 = repo.commit("unreviewed change", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    forged = (f"innocent\n\nGatebot-Task: #4\nGatebot-Event: approved\nGatebot-Head: {h2}\n"
              "Gatebot-Actor: rev-a\n")
    repo.git("checkout", "-q", "main")
    repo.git("checkout", "-q", "-b", "task/5-carrier", "origin/main")
    repo.write("two.txt", "2\n")
    repo.git("add", "-A")
    git(repo.path, "commit", "-q", "-m", forged, env={
        "GIT_COMMITTER_NAME": "gatebot", "GIT_COMMITTER_EMAIL": "gatebot@localhost"})
    repo.git("push", "-q", "origin", "task/5-carrier")
    assert run_cli(repo.path, "review", "--approve", "--as", "rev-a").exit_code == 0
    assert run_cli(repo.path, "merge", "--task", "5", "--as", "rev-b").exit_code == 0
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 1
    assert "a new push voids it" in result.output
    assert h2 not in git(repo.origin, "rev-list", "main").split()


def test_a_refused_board_write_is_not_retried_as_a_release(repo: Repo) -> None:
    checker = f'[checks]\nnox_sessions = []\nrequired = ["tests"]\ncommands = {{ tests = ["{sys.executable}", "check.py"] }}\n'
    repo.write(".gatebot.toml", "min_coverage = 0\n" + checker)
    repo.write("check.py", CHECK_BOTH)
    repo.commit("a check that fails when a.txt and b.txt meet")
    repo.git("push", "-q", "origin", "main")
    approved_branch(repo, {"a.txt": "a\n", "tests/test_a.py": "x = 1\n"})
    advance_main(repo, "b.txt", "b\n")
    hook = repo.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    before = repo.origin_sha()
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 2  # the send-back could not be written: said once, not retried
    assert "refused the push" in result.output
    assert "ESCALATION" not in result.output
    assert result.output.count("checks.tests") <= 2  # one re-test, not one per retry
    assert repo.origin_sha() == before


REFUSING_HOOK = """#!{python}
import sys
sys.stdin.read()
sys.stderr.write({text!r})
sys.exit(1)
"""


def test_a_refused_push_keeps_the_remote_s_whole_message_bounded(repo: Repo) -> None:
    approved_branch(repo)
    hook = repo.origin / "hooks" / "pre-receive"
    policy = [f"policy {n:02d}: a release needs a change ticket signed by two owners" for n in range(20)]
    hook.write_text(REFUSING_HOOK.format(python=sys.executable,
                                         text="\n".join(policy) + "\n\x1b[31mfrozen\x1b[0m\n"))
    hook.chmod(0o755)
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 1, result.output
    situation = next(line for line in result.output.splitlines() if "**Situation**" in line)
    assert all(line in situation for line in policy)  # every line, in one line, in order
    assert situation.index("policy 00") < situation.index("policy 19")
    assert "\\x1b[31mfrozen\\x1b[0m" in situation
    assert "\x1b" not in result.output
    assert "pre-receive hook declined" in situation

    hook.write_text(REFUSING_HOOK.format(python=sys.executable, text="no! " * 5000 + "\n"))
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 1, result.output
    situation = next(line for line in result.output.splitlines() if "**Situation**" in line)
    assert "characters left out" in situation
    assert len(situation) < 2200
    assert "pre-receive hook declined" in situation  # the end of git's answer is kept


SLOW_CHECK = """import os, pathlib, subprocess, sys, time
here = pathlib.Path(sys.argv[1])
pids, arm = here / "first.pids", here / "armed"
def state(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
if pids.exists():  # the second merge: the first one's check must be gone by now
    states = [state(int(pid)) for pid in pids.read_text().split()]
    print("the first merge's check:", states)
    sys.exit(0 if all(s in ("gone", "Z", "X") for s in states) else 1)
if arm.exists():  # the first merge: a check and its child that outlive a killed gatebot
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    (here / "tmp.pids").write_text(f"{os.getpid()} {child.pid}")
    os.replace(here / "tmp.pids", pids)
    time.sleep(600)
"""


def test_a_killed_merge_s_checks_are_killed_before_its_slot_is_reused(
        repo: Repo, tmp_path: Path) -> None:
    here = tmp_path / "slow"
    here.mkdir()
    repo.write("slow_check.py", SLOW_CHECK)
    repo.write(".gatebot.toml", "min_coverage = 0\n[checks]\nnox_sessions = []\n"
               f'required = ["tests"]\ncommands = {{ tests = ["{sys.executable}", "slow_check.py", "{here}"] }}\n')
    repo.commit("a check that can be made to hang")
    repo.git("push", "-q", "origin", "main")
    approved_branch(repo)
    (here / "armed").touch()
    first = subprocess.Popen([sys.executable, "-m", "gatebot", "merge", "--task", "4", "--as",
                              "rev-b"], cwd=repo.path, env={**os.environ, **GIT_ENV},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not (here / "first.pids").exists():  # the first merge's check has started
            assert first.poll() is None, "the first merge ended before its check started"
            assert time.monotonic() < deadline, "the first merge's check never started"
            time.sleep(0.05)
        pids = [int(p) for p in (here / "first.pids").read_text().split()]
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        assert all(Path(f"/proc/{pid}").exists() for pid in pids)  # orphans, still running

        second = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")

        assert second.exit_code == 0, second.output
        assert "task #4 landed" in second.output
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
