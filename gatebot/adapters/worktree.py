"""Isolated integration worktrees for gate 2 (SPEC §5.3 step 2–4).

The user's working tree is never touched: gatebot merges in a detached worktree
of its own (a persistent, locked slot under the state directory), builds the
release commit with plumbing (no hooks run) and re-tests that exact tree.
"""

from __future__ import annotations

import fcntl
import itertools
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gatebot.adapters import orphans
from gatebot.adapters.git import Git, Person


@dataclass(frozen=True)
class Integration:
    """The outcome of merging the approved head with the base tip.

    ``conflicts`` lists the paths of a real conflict (empty on success);
    ``whitespace_resolved`` says whitespace-only conflicts were resolved.
    """

    conflicts: tuple[str, ...] = ()
    whitespace_resolved: bool = False

    @property
    def clean(self) -> bool:
        """Whether the merge produced a tree with no conflict left."""
        return not self.conflicts


KEEP = "/.nox/"  # nox's virtualenvs survive between runs; everything else untracked goes


def checks_record(root: Path) -> Path:
    """Where a worktree's running checks are written down: ``<root>.checks.json`` beside it.

    Outside the worktree, so ``git clean`` keeps it; see ``gatebot.adapters.orphans``.
    """
    return root.with_name(root.name + ".checks.json")


@contextmanager
def worktree(git: Git, commit: str, pool: Path | None = None) -> Iterator[Git]:
    """A detached worktree at ``commit``, all files exactly the commit's (``KEEP`` aside).

    With ``pool`` (a directory, e.g. ``<git common dir>/gatebot/integration``)
    the worktree is a persistent slot locked with ``flock`` for this process
    (a killed process frees it), so a run rewrites only the files that differ —
    what bors-style bots do with their integration checkout. Checks a killed
    owner left running in the slot (``checks_record``) are killed before the
    slot is reused. Without ``pool`` it is a temporary directory, removed on exit.
    """
    if pool is None:
        path = Path(tempfile.mkdtemp(prefix="gatebot-integrate-"))
        git.run("worktree", "add", "--quiet", "--detach", str(path), commit)
        try:
            yield Git(path, git.env)
        finally:
            git.run("worktree", "remove", "--force", str(path), check=False)
            shutil.rmtree(path, ignore_errors=True)
            checks_record(path).unlink(missing_ok=True)
        return
    with _slot(pool) as path:
        yield _ready(git, path, commit)


@contextmanager
def _slot(pool: Path) -> Iterator[Path]:
    pool.mkdir(parents=True, exist_ok=True)
    for number in itertools.count():
        handle = (pool / f"slot-{number}.lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            orphans.reap(checks_record(pool / f"slot-{number}"))
            yield pool / f"slot-{number}"
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        return


def _ready(git: Git, path: Path, commit: str) -> Git:
    wt = Git(path, git.env)
    if (path / ".git").is_file() and wt.run("checkout", "--quiet", "--detach", "--force",
                                             commit, check=False).returncode == 0:
        wt.run("clean", "-q", "-ffdx", "-e", KEEP)
        return wt
    shutil.rmtree(path, ignore_errors=True)
    # --force re-uses a registration whose directory is gone; no prune, which could
    # race with another merge's ``worktree add`` before git marks it locked
    git.run("worktree", "add", "--quiet", "--force", "--detach", str(path), commit)
    return wt


def _conflicted(wt: Git) -> tuple[str, ...]:
    out = wt.run("diff", "--name-only", "-z", "--diff-filter=U").stdout
    return tuple(p for p in out.split("\0") if p)


def merge_into(wt: Git, base_tip: str, head: str) -> Integration:
    """In worktree ``wt``, clean at ``base_tip``, merge ``head`` with ``--no-ff --no-commit``.

    Whitespace-only conflicts are resolved by retrying with
    ``-Xignore-space-change``; any other conflict aborts the merge and is
    returned with its paths. On success the merged tree is in ``wt``'s index.
    """
    if wt.out("rev-parse", "HEAD") != base_tip:
        wt.run("checkout", "--quiet", "--detach", "--force", base_tip)
    args = ("-c", "commit.gpgsign=false", "merge", "--no-ff", "--no-commit", "--quiet")
    if wt.run(*args, head, check=False).returncode == 0:
        return Integration()
    wt.run("merge", "--abort", check=False)
    if wt.run(*args, "-Xignore-space-change", head, check=False).returncode == 0:
        return Integration(whitespace_resolved=True)
    conflicts = _conflicted(wt)
    wt.run("merge", "--abort", check=False)
    return Integration(conflicts=conflicts or ("(unknown: git merge failed)",))


def release_commit(
    wt: Git, base_tip: str, head: str, files: Mapping[str, bytes], message: str,
    *, author: Person, committer: Person,
) -> str:
    """Write the merged index plus board ``files`` as the ``--no-ff`` release commit.

    Parents: ``base_tip`` then ``head``. The board files go into git as blobs
    (``Git.commit_files``, which refuses a symlink where one goes), never
    through a path on disk that might be a link; git's own checkout then
    brings the worktree to the commit's exact tree for the re-test.
    """
    tree = wt.out("write-tree")
    commit = wt.commit_files(base_tip, files, message, identity=author, committer=committer,
                             extra_parents=[head], tree_from=tree)
    wt.run("merge", "--quit")
    wt.run("checkout", "--quiet", "--detach", "--force", commit)
    return commit
