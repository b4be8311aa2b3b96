"""The adversary's second read of both gates (issue 7): moves that held, and holes now closed.

Black-box: real ``python -m gatebot`` processes in clones of a bare origin, each
clone with its own git identity, as a builder who wants unreviewed code on main
would run them. Each test is one move; the docstring says what it tried.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app.test_gates_hold import stage_of
from tests.repos import GIT_ENV, TODO, Repo, clone_of, git, make_repo, run_process

FAST_CLAIM = {"GATEBOT_CLAIMS__SETTLE": "[0, 0]"}


def person(repo: Repo, name: str, email: str) -> Repo:
    """A clone of ``repo``'s origin with its own git ``user.name`` and ``user.email``."""
    other = clone_of(repo, repo.path.parent / name)
    other.git("config", "user.name", name)
    other.git("config", "user.email", email)
    return other


def commit_as(repo: Repo, name: str, message: str) -> str:
    """Stage everything and commit with ``name`` as author and committer; return the SHA."""
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": f"{name}@example.org",
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": f"{name}@example.org"}
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "-m", message, env=env)
    return git(repo.path, "rev-parse", "HEAD")


def ok(where: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """Run gatebot ``args`` in ``where`` and require exit 0."""
    result = run_process(where, *args, env=env)
    assert result.returncode == 0, (args, result.stdout, result.stderr)


def test_a_claim_under_a_second_name_still_makes_its_git_identity_a_builder(repo: Repo) -> None:
    """Mallory claims and submits ``--as ghost`` from her clone, commits as ghost, has a
    second identity approve gate 1, and lands it herself: gate 2 saw only "ghost"."""
    mallory = person(repo, "mallory", "mallory@m.org")
    second = person(repo, "m2", "m2@other.org")
    ok(mallory.path, "claim", "1", "--as", "ghost", env=FAST_CLAIM)
    mallory.git("pull", "-q", "origin", "main")
    mallory.git("checkout", "-q", "-b", "task/1-first")
    mallory.write("app/f.py", '"""F."""\n')
    mallory.write("tests/test_f.py", "x = 1\n")
    head = commit_as(mallory, "ghost", "the work, committed as ghost")
    mallory.git("push", "-q", "origin", "task/1-first")
    ok(mallory.path, "submit", "1", "--as", "ghost")
    second.git("fetch", "-q")
    second.git("checkout", "-q", "task/1-first")
    ok(second.path, "review", "--approve")
    before = repo.origin_sha()
    landed = run_process(mallory.path, "merge", "--task", "1")
    assert landed.returncode == 1, landed.stdout + landed.stderr
    assert "mallory@m.org may not review" in landed.stderr
    assert "claimant" in landed.stderr
    assert repo.origin_sha() == before
    assert head not in git(repo.origin, "rev-list", "main").split()


def with_pytest_check(repo: Repo) -> None:
    """Configure one required ``tests`` check, ``python -m pytest -q tests``, on main."""
    argv = json.dumps([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
    repo.write(".gatebot.toml", f"min_coverage = 0\n[checks]\nnox_sessions = []\n"
               f'required = ["tests"]\ncommands = {{ tests = {argv} }}\n')
    repo.commit("configure a pytest check")
    repo.git("push", "-q", "origin", "main")


def broken_work(repo: Repo) -> None:
    """A required pytest check on main, then ``task/4-work`` checked out with a failing test."""
    with_pytest_check(repo)
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/f.py", '"""F."""\n')
    repo.write("tests/test_f.py", "def test_broken():\n    assert False\n")


def gate_files_refuses(repo: Repo, message: str) -> list[str]:
    """Commit the work tree as builder-one, push ``task/4-work`` and approve it as rev1.

    Asserts the approval is refused (exit 1) by a failing ``gate-files`` with nothing pushed;
    returns the paths of that rule's findings.
    """
    repo.commit(message, as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    before = repo.origin_sha()
    result = run_process(repo.path, "review", "--approve", "--as", "rev1", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    gate = next(r for r in doc["rules"] if r["id"] == "gate-files")
    assert gate["status"] == "fail", gate
    assert repo.origin_sha() == before
    return [f["path"] for f in gate["findings"]]


VACUOUS = {
    "pytest.ini": "[pytest]\naddopts = --co\n",
    "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '--co'\n",
    "setup.cfg": "[metadata]\nname = app\n[tool:pytest]\naddopts = --co\n",
    ".coveragerc": "[report]\nexclude_also = .\n",
}


@pytest.mark.parametrize("name", sorted(VACUOUS))
def test_configuring_pytest_or_coverage_on_the_branch_needs_a_maintainer(
    repo: Repo, name: str
) -> None:
    """``addopts = --co`` makes pytest collect and exit 0 without running the failing test:
    the tests check passed and a non-maintainer approved. It is a gate file now."""
    broken_work(repo)
    repo.write(name, VACUOUS[name])
    assert gate_files_refuses(repo, "collect only") == [name]


def push_work(repo: Repo) -> str:
    """builder-one pushes a small, clean ``task/4-work``; return its head SHA."""
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/f.py", '"""F."""\n')
    repo.write("tests/test_f.py", "x = 1\n")
    head = repo.commit("the work", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    return head


def refused_as_the_builder_from_elsewhere(repo: Repo, name: str) -> None:
    """From a clone whose git identity is another person's, ``review --approve --as name`` on
    builder-one's pushed ``task/4-work`` is refused as the builder (exit 1); nothing pushed."""
    other = person(repo, "elsewhere", "elsewhere@example.net")
    other.git("fetch", "-q")
    other.git("checkout", "-q", "task/4-work")
    before = repo.origin_sha()
    result = run_process(other.path, "review", "--approve", "--as", name)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "builder of this change" in result.stderr
    assert repo.origin_sha() == before


@pytest.mark.parametrize("invisible", ["\u200b", "\u2060", "\u00ad", "\u200d", "\ufe0f"])
def test_an_invisible_character_does_not_make_a_builder_a_reviewer(
    repo: Repo, invisible: str
) -> None:
    """``--as builder-one`` with a zero-width space (joiner, soft hyphen…) inside, from a
    clone with another git identity: the board would show builder-one approving their own
    work. NFKC keeps these characters; the caseless identifier match drops them."""
    push_work(repo)
    refused_as_the_builder_from_elsewhere(repo, f"builder{invisible}-one")


def test_a_mixed_script_homoglyph_of_a_builders_name_is_refused(repo: Repo) -> None:
    """Like the invisible character, but with a look-alike letter: the board showed
    ``builder-оne`` (Cyrillic о) approving, which a reader takes for builder-one. A name
    that mixes scripts is refused before anything is judged (exit 2)."""
    push_work(repo)
    other = person(repo, "elsewhere", "elsewhere@example.net")
    other.git("fetch", "-q")
    other.git("checkout", "-q", "task/4-work")
    before = repo.origin_sha()
    result = run_process(other.path, "review", "--approve", "--as", "builder-\u043ene")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "mixes the scripts Cyrillic and Latin" in result.stderr
    assert repo.origin_sha() == before


@pytest.mark.parametrize(("builder", "alias"), [
    ("cop", "\u0441\u043e\u0440"),  # all Cyrillic: one script, the same skeleton
    ("rev-1", "REV-l"),  # UTS #39: 1 and l are confusable
    ("arm", "ARRN"),  # m and rn
])
def test_a_homoglyph_of_a_builders_name_is_the_builder(
        repo: Repo, builder: str, alias: str) -> None:
    """A name in one script that looks like the builder's (``сор``, Cyrillic, for ``cop``;
    ``REV-l`` for ``rev-1``) approves from a clone with another git identity: the
    board showed the builder approving their own work. Compared by UTS #39 skeleton."""
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/f.py", '"""F."""\n')
    repo.write("tests/test_f.py", "x = 1\n")
    commit_as(repo, builder, "the work")
    repo.git("push", "-q", "origin", "task/4-work")
    refused_as_the_builder_from_elsewhere(repo, alias)


def gate_1_reviewer_cannot_land_as(repo: Repo, name: str) -> None:
    """rev1 approves gate 1 of builder-one's work; ``merge --as name`` from the same clone is
    refused as the gate-1 reviewer (exit 1) and lands nothing."""
    head = push_work(repo)
    ok(repo.path, "review", "--approve", "--as", "rev1")
    before = repo.origin_sha()
    result = run_process(repo.path, "merge", "--task", "4", "--as", name)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "approved gate 1" in result.stderr
    assert repo.origin_sha() == before
    assert head not in git(repo.origin, "rev-list", "main").split()


def test_the_gate_1_reviewer_cannot_land_under_a_look_alike_name(repo: Repo) -> None:
    """rev1 approves gate 1 and lands ``--as revl`` from the same clone (no user.email):
    one person passes both gates under a name that reads the same."""
    gate_1_reviewer_cannot_land_as(repo, "revl")


def test_gate_2_re_tests_with_the_bases_checks_whatever_the_environment(repo: Repo) -> None:
    """The release tree fails the base's tests check (main moved under the approval);
    the gate-2 reviewer's environment swapped the check for ``true`` and it landed, the
    release saying it was re-tested. A gate setting in the environment is refused (exit 2);
    without it, the base's check fails the landing."""
    fails_on_bad = ("import pathlib, sys; "
                    "sys.exit(1 if pathlib.Path('app/bad.py').exists() else 0)")
    argv = json.dumps([sys.executable, "-c", fails_on_bad])
    repo.write(".gatebot.toml", "min_coverage = 0\n[checks]\nnox_sessions = []\n"
               f'required = ["tests"]\ncommands = {{ tests = {argv} }}\n')
    repo.commit("a tests check")
    repo.git("push", "-q", "origin", "main")
    head = push_work(repo)
    ok(repo.path, "review", "--approve", "--as", "rev1")
    maintainer = person(repo, "maint", "maint@example.org")
    maintainer.write("app/bad.py", '"""B."""\n')
    maintainer.git("add", "-A")
    maintainer.git("commit", "-q", "-m", "main moves: the release tree fails the check")
    maintainer.git("push", "-q", "origin", "HEAD:main")
    loose = {"GATEBOT_CHECKS__COMMANDS": '{"tests": ["true"]}'}
    result = run_process(repo.path, "merge", "--task", "4", "--as", "rev2", env=loose)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "GATEBOT_CHECKS__COMMANDS sets checks.commands" in result.stderr
    assert "unset GATEBOT_CHECKS__COMMANDS" in result.stderr
    assert head not in git(repo.origin, "rev-list", "main").split()
    result = run_process(repo.path, "merge", "--task", "4", "--as", "rev2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert head not in git(repo.origin, "rev-list", "main").split()


def with_gated_check(repo: Repo, tmp: Path) -> tuple[Path, Path]:
    """A required ``tests`` check that touches ``started`` then waits for ``go`` (≤ 120 s).

    A file barrier: the test acts while gate 2's re-test is running, then lets it end.
    """
    started, go = tmp / "started", tmp / "go"
    code = (f"import pathlib, time; pathlib.Path({str(started)!r}).touch(); "
            f"[time.sleep(0.05) for _ in range(2400) if not pathlib.Path({str(go)!r}).exists()]")
    argv = json.dumps([sys.executable, "-c", code])
    repo.write(".gatebot.toml", "min_coverage = 0\n[checks]\nnox_sessions = []\n"
               f'required = ["tests"]\ncommands = {{ tests = {argv} }}\n')
    repo.commit("a tests check that waits for a go")
    repo.git("push", "-q", "origin", "main")
    return started, go


def approved_gated(repo: Repo, tmp: Path) -> tuple[str, Path, Path]:
    """Task 4 approved at gate 1 under a gated check; the barrier reset. Returns head, files."""
    started, go = with_gated_check(repo, tmp)
    head = push_work(repo)
    go.touch()
    ok(repo.path, "review", "--approve", "--as", "rev1")
    started.unlink()
    go.unlink()
    return head, started, go


def merge_in_background(repo: Repo, started: Path) -> subprocess.Popen[str]:
    """Start ``gatebot merge --task 4 --as rev2`` and return once its re-test has started."""
    env = {**os.environ, **GIT_ENV, "NO_COLOR": "1"}
    merging = subprocess.Popen([sys.executable, "-m", "gatebot", "merge", "--task", "4",
                                "--as", "rev2"], cwd=repo.path, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not started.exists():
        assert merging.poll() is None, merging.communicate()
        assert time.monotonic() < deadline, "the re-test never started"
        time.sleep(0.05)
    return merging


def test_a_push_during_gate_2_s_re_test_never_lands(repo: Repo, tmp_path: Path) -> None:
    """Push to the task branch while gate 2 re-tests: the release is the approved head
    merged, and the newer push stays off main (held)."""
    head, started, go = approved_gated(repo, tmp_path)
    merging = merge_in_background(repo, started)
    repo.write("app/unreviewed.py", '"""U."""\n')
    newer = repo.commit("pushed during the re-test", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    go.touch()
    out, err = merging.communicate(timeout=300)
    assert merging.returncode == 0, out + err
    assert git(repo.origin, "rev-parse", "main^2") == head
    assert newer not in git(repo.origin, "rev-list", "main").split()
    assert "app/unreviewed.py" not in git(repo.origin, "ls-tree", "-r", "--name-only", "main")


def test_kill_9_during_the_re_test_then_rerun_lands_once(repo: Repo, tmp_path: Path) -> None:
    """``kill -9`` of ``gatebot merge`` mid re-test: main, the board and the branch are as
    they were; a rerun lands the approved head and a third run says already merged (held)."""
    head, started, go = approved_gated(repo, tmp_path)
    main_before, branch_before = repo.origin_sha(), repo.origin_sha("task/4-work")
    merging = merge_in_background(repo, started)
    merging.send_signal(signal.SIGKILL)
    merging.communicate(timeout=60)
    assert repo.origin_sha() == main_before
    assert repo.origin_sha("task/4-work") == branch_before
    go.touch()
    ok(repo.path, "merge", "--task", "4", "--as", "rev2")
    assert git(repo.origin, "rev-parse", "main^2") == head
    again = run_process(repo.path, "merge", "--task", "4", "--as", "rev2")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already merged" in again.stderr


def test_a_hand_made_approval_on_main_is_not_gatebot_s(repo: Repo) -> None:
    """A commit on main by a person (not gatebot's committer) moves task 4 to RDY FOR PROD
    with ``Gatebot-Event: approved`` for the head: gate 2 finds no approval (held)."""
    head = push_work(repo)
    repo.git("checkout", "-q", "main")
    todo = repo.origin_file("TODO.md").replace("## ✅ RDY FOR PROD\n", "")
    todo = todo.replace("## 👀 REVIEW\n", "## 👀 REVIEW\n\n## ✅ RDY FOR PROD\n")
    repo.write("TODO.md", todo)
    git(repo.path, "add", "TODO.md")
    git(repo.path, "commit", "-q", "-m", "gatebot: approve #4\n\nGatebot-Task: #4\n"
        f"Gatebot-Event: approved\nGatebot-Head: {head}\nGatebot-Actor: rev1\n")
    repo.git("push", "-q", "origin", "main")
    assert "RDY FOR PROD" in stage_of(repo, 4)
    before = repo.origin_sha()
    result = run_process(repo.path, "merge", "--task", "4", "--as", "rev2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no standing gate-1 approval" in result.stderr
    assert repo.origin_sha() == before


def test_the_gate_1_reviewer_cannot_land_under_an_invisibly_different_name(repo: Repo) -> None:
    """An agent whose clone has no git ``user.email`` (its identity in GIT_* variables, as
    here) approves ``--as rev1`` and lands ``--as rev1<U+200B>``: one person, both gates."""
    unset = subprocess.run(["git", "config", "user.email"], cwd=repo.path, check=False)
    assert unset.returncode == 1  # no user.email: the name acted as is all there is
    gate_1_reviewer_cannot_land_as(repo, "rev1\u200b")


def test_another_task_s_branch_never_becomes_a_task_s_own(repo: Repo) -> None:
    """``submit 1 --branch task/4-work`` recorded task 4's branch as task 1's, so gate 1
    approved and gate 2 released task 1 with task 4's code (task 1's own never landed)."""
    ok(repo.path, "claim", "1", "--as", "b1", env=FAST_CLAIM)
    push_work(repo)
    submitted = run_process(repo.path, "submit", "1", "--as", "b1", "--branch", "task/4-work")
    assert submitted.returncode == 1, submitted.stdout + submitted.stderr
    assert "another task's" in submitted.stderr
    assert "IN-PROGRESS" in stage_of(repo, 1)


def test_a_recorded_branch_of_another_task_is_not_approved(tmp_path: Path) -> None:
    """A board whose task 4 records ``Branch: task/1-first`` (written by hand, or before
    submit refused it): gate 1 on that branch with ``--task 4`` is refused."""
    repo = make_repo(tmp_path, todo=TODO.replace("**Branch**: feature-x",
                                                 "**Branch**: task/1-first"))
    repo.git("checkout", "-q", "-b", "task/1-first", "origin/main")
    repo.write("app/f.py", '"""F."""\n')
    repo.write("tests/test_f.py", "x = 1\n")
    repo.commit("task 1's work", as_="builder-one")
    repo.git("push", "-q", "origin", "task/1-first")
    before = repo.origin_sha()
    result = run_process(repo.path, "review", "--approve", "--task", "4", "--as", "rev1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not task #4's" in result.stderr
    assert repo.origin_sha() == before
