"""The fake GitHub's view of its bare git repository: refs and commits come from git, never a copy.

Refs are read from the bare repository's files on every read (loose refs over
``packed-refs``, as ``git for-each-ref`` reads them), so a ``git push`` to it is visible through
the API at once, and what the API reports agrees with what ``git`` in any clone sees. Three
savings keep that: ref reads run no git process; answers about commits named by their full SHAs
(a commit, an ancestry, a range, a diff) never change, so each is asked of git once; and while a
request is answered (``snapshot()``), its ref reads share one reading, a consistent view as
GitHub's own answers are.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


_SHA = re.compile(r"[0-9a-f]{40}")
_FORMAT = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """``(inode, size, mtime ns)`` of ``path``, or None when it does not exist."""
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def _packed_refs(path: Path) -> dict[str, str]:
    """``{ref name: SHA}`` of git's ``packed-refs`` file (``# pack-refs with: …`` header,
    ``<sha> <name>`` lines, ``^<sha>`` peeled tags); empty when there is none."""
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except FileNotFoundError:
        return {}
    pairs = (line.split(" ", 1) for line in lines if line and line[0] not in "#^")
    return {name: sha for sha, name in pairs}


class BareRepo:
    """A bare repository at ``path``; every method runs git (raises ``CalledProcessError`` on
    an unexpected git failure, returns ``None``/``False`` where git says "no such object")."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fixed: dict[tuple[str, ...], object] = {}
        self._local = threading.local()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Within the block, in this thread, ref reads come from one reading of the refs (made
        at the first read, dropped when this object moves or deletes a ref)."""
        self._local.active, self._local.refs = True, None
        try:
            yield
        finally:
            self._local.active, self._local.refs = False, None

    def _once(self, key: tuple[str, ...], answer: Callable[[], object]) -> object:
        """``answer()``, asked once per ``key`` when every argument in it is a full SHA."""
        if not all(_SHA.fullmatch(arg) for arg in key[1:]):
            return answer()
        if key not in self._fixed:
            self._fixed[key] = answer()
        return self._fixed[key]

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            capture_output=True, text=True, check=check,
        )

    def resolve(self, rev: str) -> str | None:
        """The commit SHA that ``rev`` (a ref name or SHA) names, or ``None``."""
        if rev.startswith("-"):
            return None
        if ("resolve", rev) in self._fixed:
            return rev
        out = self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        sha = out.stdout.strip() or None if out.returncode == 0 else None
        if sha is not None and sha == rev:
            self._fixed["resolve", rev] = sha
        return sha

    def refs(self, prefix: str = "refs/") -> list[tuple[str, str]]:
        """``(full ref name, SHA)`` of every ref under ``prefix`` (``refs/heads/``, or a full
        name and the refs below it, as ``git for-each-ref`` matches), sorted by name."""
        if getattr(self._local, "active", False):
            if self._local.refs is None:
                self._local.refs = self._read_refs()
            found = self._local.refs
        else:
            found = self._read_refs()
        return [(n, s) for n, s in found if n.startswith(prefix) and (
            prefix.endswith("/") or n == prefix or n[len(prefix)] == "/")]

    def _read_refs(self) -> list[tuple[str, str]]:
        """Every ref under ``refs/``, read from git's files as ``git for-each-ref`` reads them
        (loose refs over ``packed-refs``): no git process per API request.

        A symbolic or unreadable ref, or ``packed-refs`` rewritten while being read, leaves
        the answer to ``git for-each-ref``.
        """
        packed = self.path / "packed-refs"
        before = _stamp(packed)
        found = _packed_refs(packed)
        root = self.path / "refs"
        for folder, _dirs, files in os.walk(root):
            for file in files:
                if file.endswith(".lock"):  # git's lock of a ref being written
                    continue
                try:
                    text = Path(folder, file).read_text(encoding="ascii").strip()
                except (OSError, UnicodeDecodeError):
                    continue  # deleted meanwhile: packed-refs (read first) is checked below
                if not _SHA.fullmatch(text):
                    return self._for_each_ref()
                found[Path(folder, file).relative_to(self.path).as_posix()] = text
        if _stamp(packed) != before:
            return self._for_each_ref()
        return sorted(found.items())

    def _for_each_ref(self) -> list[tuple[str, str]]:
        out = self._git("for-each-ref", "--format=%(refname) %(objectname)", "refs/")
        return [(n, s) for n, s in (line.split(" ") for line in out.stdout.splitlines())]

    def ref(self, name: str) -> str | None:
        """The SHA of the full ref ``name`` (``refs/heads/main``), or ``None`` when absent."""
        return dict(self.refs(name)).get(name)

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether ``older`` is an ancestor of (or equal to) ``newer``: a fast-forward."""
        return bool(self._once(("is_ancestor", older, newer), lambda: self._git(
            "merge-base", "--is-ancestor", older, newer, check=False).returncode == 0))

    def update_ref(self, name: str, new: str, old: str | None) -> bool:
        """Move ``name`` to ``new`` only if it is still at ``old`` (``None``: must not exist).

        Returns False when the ref moved meanwhile (git's compare-and-swap refused).
        """
        expected = old or "0" * 40
        self._local.refs = None
        return self._git("update-ref", name, new, expected, check=False).returncode == 0

    def delete_ref(self, name: str) -> bool:
        """Delete ``name``; False when it did not exist."""
        if self.ref(name) is None:
            return False
        self._local.refs = None
        return self._git("update-ref", "-d", name, check=False).returncode == 0

    def commit(self, sha: str) -> Commit:
        """The commit ``sha`` (raises ``CalledProcessError`` when it does not exist)."""
        found = self._once(("commit", sha), lambda: self._read_commit(sha))
        assert isinstance(found, Commit)
        return found

    def _read_commit(self, sha: str) -> Commit:
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
        found = self._once(("commits_between", base, head), lambda: tuple(
            self._git("rev-list", "--reverse", f"{base}..{head}").stdout.split()))
        assert isinstance(found, tuple)
        return list(found)

    def diff_stats(self, base: str, head: str) -> tuple[int, int, int]:
        """``(additions, deletions, changed files)`` of ``base...head`` (from the merge base)."""
        found = self._once(("diff_stats", base, head), lambda: self._read_diff_stats(base, head))
        assert isinstance(found, tuple)
        return found

    def _read_diff_stats(self, base: str, head: str) -> tuple[int, int, int]:
        out = self._git("diff", "--numstat", f"{base}...{head}").stdout.splitlines()
        rows = [line.split("\t") for line in out]
        adds = sum(int(r[0]) for r in rows if r[0].isdigit())
        dels = sum(int(r[1]) for r in rows if r[1].isdigit())
        return adds, dels, len(rows)
