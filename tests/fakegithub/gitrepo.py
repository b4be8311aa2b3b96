"""The fake GitHub's view of its bare git repository: refs and commits come from git, never a copy.

Every read runs ``git`` in the bare repository, so a ``git push`` to it is visible through the
API at once, and what the API reports agrees with what ``git`` in any clone sees.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Person:
    """A commit's author or committer as git records it (``date`` is timezone-aware)."""

    name: str
    email: str
    date: datetime


@dataclass(frozen=True)
class Commit:
    """A commit read from the bare repository."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    message: str


_FORMAT = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"


class BareRepo:
    """A bare repository at ``path``; every method runs git (raises ``CalledProcessError`` on
    an unexpected git failure, returns ``None``/``False`` where git says "no such object")."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            capture_output=True, text=True, check=check,
        )

    def resolve(self, rev: str) -> str | None:
        """The commit SHA that ``rev`` (a ref name or SHA) names, or ``None``."""
        if rev.startswith("-"):
            return None
        out = self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        return out.stdout.strip() or None if out.returncode == 0 else None

    def refs(self, prefix: str = "refs/") -> list[tuple[str, str]]:
        """``(full ref name, SHA)`` of every ref under ``prefix``, sorted by name."""
        out = self._git("for-each-ref", "--format=%(refname) %(objectname)", prefix)
        return [(n, s) for n, s in (line.split(" ") for line in out.stdout.splitlines())]

    def ref(self, name: str) -> str | None:
        """The SHA of the full ref ``name`` (``refs/heads/main``), or ``None`` when absent."""
        return dict(self.refs(name)).get(name)

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether ``older`` is an ancestor of (or equal to) ``newer``: a fast-forward."""
        return self._git("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0

    def update_ref(self, name: str, new: str, old: str | None) -> bool:
        """Move ``name`` to ``new`` only if it is still at ``old`` (``None``: must not exist).

        Returns False when the ref moved meanwhile (git's compare-and-swap refused).
        """
        expected = old or "0" * 40
        return self._git("update-ref", name, new, expected, check=False).returncode == 0

    def delete_ref(self, name: str) -> bool:
        """Delete ``name``; False when it did not exist."""
        if self.ref(name) is None:
            return False
        return self._git("update-ref", "-d", name, check=False).returncode == 0

    def commit(self, sha: str) -> Commit:
        """The commit ``sha`` (raises ``CalledProcessError`` when it does not exist)."""
        out = self._git("show", "-s", f"--format={_FORMAT}", sha).stdout
        fields = out.split("\x00")
        return Commit(
            sha=fields[0], tree=fields[1], parents=tuple(fields[2].split()),
            author=Person(fields[3], fields[4], datetime.fromisoformat(fields[5])),
            committer=Person(fields[6], fields[7], datetime.fromisoformat(fields[8])),
            message=fields[9].rstrip("\n"),
        )

    def commits_between(self, base: str, head: str) -> list[str]:
        """SHAs of ``base..head``, oldest first (what a pull request lists as its commits)."""
        out = self._git("rev-list", "--reverse", f"{base}..{head}")
        return out.stdout.split()

    def diff_stats(self, base: str, head: str) -> tuple[int, int, int]:
        """``(additions, deletions, changed files)`` of ``base...head`` (from the merge base)."""
        out = self._git("diff", "--numstat", f"{base}...{head}").stdout.splitlines()
        rows = [line.split("\t") for line in out]
        adds = sum(int(r[0]) for r in rows if r[0].isdigit())
        dels = sum(int(r[1]) for r in rows if r[1].isdigit())
        return adds, dels, len(rows)
