"""The adversary's second read of both gates (issue 7): moves that held, and holes now closed.

Black-box: real ``python -m gatebot`` processes in clones of a bare origin, each
clone with its own git identity, as a builder who wants unreviewed code on main
would run them. Each test is one move; the docstring says what it tried.
"""

from __future__ import annotations

from pathlib import Path

from tests.repos import Repo, clone_of, git, run_process

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
