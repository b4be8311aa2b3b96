"""The fake GitHub's view of its bare repository's refs agrees with ``git for-each-ref``.

The fake reads refs from git's files (loose refs over ``packed-refs``) instead of running git
for every API request; each state a repository's refs can be in is compared with what git
itself lists.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.fakegithub import FakeGitHub


def _git(fake: FakeGitHub, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(fake.git_dir), "-c", "user.name=T",
                           "-c", "user.email=t@example.com", *args],
                          check=True, capture_output=True, text=True).stdout


def _listed(fake: FakeGitHub) -> list[tuple[str, str]]:
    out = _git(fake, "for-each-ref", "--format=%(refname) %(objectname)")
    return [(n, s) for n, s in (line.split(" ") for line in out.splitlines())]


def test_refs_agree_with_git_loose_packed_and_deleted(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    git = fake_github.state.git
    fake_github.push_commit("task/1-x", {"a.py": "a\n"}, "A", alice)
    fake_github.push_commit("task/2-y", {"b.py": "b\n"}, "B", alice)
    fake_github.create_pull("task/2-y", alice, fork=True)  # refs/pull/1/head
    _git(fake_github, "tag", "-a", "v1", "-m", "v1", "main")  # a tag object, peeled when packed
    assert git.refs() == _listed(fake_github)
    _git(fake_github, "pack-refs", "--all")
    assert not (fake_github.git_dir / "refs" / "heads" / "main").exists()
    assert git.refs() == _listed(fake_github)
    moved = fake_github.push_commit("main", {"c.py": "c\n"}, "C", alice)  # loose over packed
    assert git.ref("refs/heads/main") == moved
    assert git.delete_ref("refs/heads/task/1-x")  # a packed ref deleted
    assert git.refs() == _listed(fake_github)
    assert [n for n, _ in git.refs("refs/heads/")] == ["refs/heads/main"]
    assert git.refs("refs/heads/mai") == [] and git.ref("refs/tags/v1") is not None


def test_a_symbolic_ref_is_listed_as_git_lists_it(fake_github: FakeGitHub) -> None:
    _git(fake_github, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
    assert fake_github.state.git.refs() == _listed(fake_github)
    assert fake_github.state.git.ref("refs/heads/alias") == fake_github.state.git.ref(
        "refs/heads/main")


def test_reading_refs_runs_no_git_process(fake_github: FakeGitHub,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    main = fake_github.state.git.ref("refs/heads/main")
    monkeypatch.setenv("PATH", "")  # a git process would not start
    assert fake_github.state.git.ref("refs/heads/main") == main
    assert fake_github.state.git.refs("refs/heads/") == [("refs/heads/main", main)]
