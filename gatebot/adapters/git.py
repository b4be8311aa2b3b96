"""The one place that runs git: argv lists through ``gatebot.adapters.proc``.

Every method raises ``GitError`` (exit 2) naming the git command and its stderr
when git fails and the failure is not an expected answer (e.g. "no such ref").
Board commits (SPEC §4.4) are built with plumbing on a temporary index, so they
never touch anyone's working tree or index.
"""

from __future__ import annotations

import os
import posixpath
import re
import time
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from gatebot.adapters import proc
from gatebot.core.protocol import refspec_glob_match
from gatebot.errors import EnvironmentProblem, GitError, Refused

LINK_HOPS = 8
"""Links followed at most, inside a commit's tree, by ``Git.through_link``."""
HUNK = re.compile(r"^@@ -\S+ \+(\d+)(?:,(\d+))? @@")


class Person(NamedTuple):
    """A commit identity: ``name`` and ``email`` as git records them.

    The records git answers with are named tuples, not dataclasses: a landing
    loads this module, and a frozen dataclass costs ten times as much to define.
    """

    name: str
    email: str


class CommitInfo(NamedTuple):
    """One commit of a range: its SHA, author, committer and full message."""

    sha: str
    author: Person
    committer: Person
    message: str


class RawChange(NamedTuple):
    """One line of ``git diff --raw``: ``status`` letter, ``path`` (head side), ``base_path``.

    ``base_path`` differs from ``path`` only for a rename or copy; ``mode``/``sha``
    are the head side's, ``base_mode``/``base_sha`` the base side's (zeros when absent).
    """

    status: str
    path: str
    base_path: str
    mode: str
    sha: str
    base_mode: str
    base_sha: str


class TreeEntry(NamedTuple):
    """A file of a commit: ``path``, git ``mode``, object ``sha``, diff ``status`` letter if any.

    Modes: ``100644``/``100755`` a file, ``120000`` a symlink (its blob is the
    link's target, never followed), ``160000`` a submodule (a commit, no blob).
    From a diff, ``base_sha`` is the object on the base side (the old path's,
    for a rename) and ``base_mode`` its mode; ``""`` when the file is new.
    """

    path: str
    mode: str
    sha: str
    status: str = ""
    base_sha: str = ""
    base_mode: str = ""

    @property
    def is_file(self) -> bool:
        """Whether the entry is a regular file (not a symlink or a submodule)."""
        return self.mode in ("100644", "100755")


def is_sha(text: str) -> bool:
    """Whether ``text`` is a full commit SHA (40 or 64 lowercase hex digits): it names one commit."""
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _config_key(name: str) -> str:
    """A config key as git compares it: section and variable case-insensitive, subsection not."""
    section, _, rest = name.partition(".")
    middle, _, variable = rest.rpartition(".")
    return ".".join(p for p in (section.lower(), middle, variable.lower()) if p)


def _hunk_lines(hunks: Sequence[str]) -> frozenset[int]:
    """Head-side line numbers of ``@@`` hunk headers; a pure deletion marks the line above."""
    numbers: set[int] = set()
    for row in hunks:
        match = HUNK.match(row)
        if match:
            start, count = int(match.group(1)), int(match.group(2) or "1")
            numbers.update(range(start, start + count) if count else (max(start, 1),))
    return frozenset(numbers)


class BlobReader:
    """Blob contents by SHA from one ``git cat-file --batch`` process (a context manager).

    Reads objects from the repository, never through the work tree, so a
    symlink or a device file in a change is never opened.
    """

    def __init__(self, root: Path | str) -> None:
        """Start ``git cat-file --batch`` in the repository at ``root``."""
        try:
            self.process = proc.start_pipe(("git", "cat-file", "--batch"), cwd=root)
        except FileNotFoundError as exc:
            raise EnvironmentProblem("git is not installed", "install git and retry") from exc

    def __enter__(self) -> BlobReader:
        """Return the reader."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close git's input and wait for it to end."""
        self.close()

    def read(self, sha: str) -> bytes | None:
        """The bytes of object ``sha``, or None when the repository lacks it."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None  # noqa: S101 - both are pipes
        stdin.write(sha.encode("ascii") + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3:  # "<sha> missing", or git ended
            return None
        data = stdout.read(int(header[2]))
        stdout.read(1)  # the newline after each object
        return data

    def close(self) -> None:
        """End the git process."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class Git:
    """A repository at ``root`` (any directory inside a work tree, or a bare repository)."""

    def __init__(self, root: Path | str, env: Mapping[str, str] | None = None, *,
                 git_dir: Path | None = None) -> None:
        """Bind to ``root``; ``env`` is added to git's environment for every call.

        ``git_dir`` is the repository's git directory when known (``toplevel``
        finds it): plumbing steps then keep their scratch files there.

        Answers that cannot change while a command runs are remembered: the
        remotes, git's configuration (gatebot changes neither), and the merge
        base (once found; forgotten when a shallow clone deepens) and the
        changed files of two commit SHAs.
        """
        self.root = Path(root)
        self.env = dict(env or {})
        self.git_dir = git_dir
        self._remotes: tuple[str, ...] | None = None
        self._config: dict[str, str] | None = None
        self._merge_bases: dict[tuple[str, str], str | None] = {}
        self._symrefs: dict[str, str | None] = {}
        self._diffs: dict[tuple[str, ...], str] = {}

    # -- the one function -------------------------------------------------
    def run(
        self,
        *args: str,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        stdin: str | None = None,
    ) -> proc.ProcResult:
        """Run ``git ARGS`` in the repository; raise ``GitError`` on failure when ``check``."""
        argv = ("git", "-c", "core.quotepath=off", *args)
        try:
            return proc.run(
                argv, cwd=self.root, env={**self.env, **(env or {})}, stdin=stdin, check=check
            )
        except proc.ProcFailed as exc:
            raise GitError(str(exc), "check the repository state and retry") from exc
        except FileNotFoundError as exc:
            raise EnvironmentProblem("git is not installed", "install git and retry") from exc

    def records(self, *args: str, separator: str) -> Generator[str, None, None]:
        """``git ARGS``'s output cut at each ``separator``, read as git writes it.

        Closing the iterator early stops git (a walk that has found what it
        needs does no more). Raises ``GitError`` when git, read to its end, fails.
        """
        argv = ("git", "-c", "core.quotepath=off", *args)
        try:
            yield from proc.records(argv, separator, cwd=self.root, env=self.env)
        except proc.ProcFailed as exc:
            raise GitError(str(exc), "check the repository state and retry") from exc
        except FileNotFoundError as exc:
            raise EnvironmentProblem("git is not installed", "install git and retry") from exc

    def out(self, *args: str) -> str:
        """Run ``git ARGS`` and return stdout without its trailing newline."""
        return self.run(*args).stdout.rstrip("\n")

    # -- questions ------------------------------------------------------------
    def toplevel(self, *, symref: str | None = None) -> Path:
        """The work tree's top directory; ``EnvironmentProblem`` when not in a repository.

        The same git process names the git directory (``git_dir`` is set) and
        reads where the full ref name ``symref`` points (``symbolic_ref``
        then answers without a process of its own when it found a target).
        """
        args = ["rev-parse", "--show-toplevel", "--absolute-git-dir"]
        if symref:  # --revs-only: a ref that does not resolve is left out, not an error
            args += ["--revs-only", "--symbolic-full-name", symref]
        result = self.run(*args, check=False)
        if result.returncode != 0:
            raise EnvironmentProblem(
                f"{self.root} is not inside a git work tree",
                "run gatebot from a clone of the repository",
            )
        out = result.stdout.strip("\n")
        head, _, last = out.rpartition("\n")
        if symref and last.startswith("refs/"):  # never the git directory: that is absolute
            # itself: a ref that is not symbolic; else the ref it leads to
            self._symrefs[symref] = None if last == symref else last
            out = head
        top, _, git_dir = out.rpartition("\n")
        self.git_dir = Path(git_dir)
        return Path(top)

    def at(self, root: Path) -> Git:
        """The same repository bound to ``root`` (its top directory), with what it has learnt.

        Keeps the environment, ``git_dir`` and the symbolic refs ``toplevel`` read.
        """
        moved = Git(root, self.env, git_dir=self.git_dir)
        moved._symrefs = dict(self._symrefs)
        return moved

    def symbolic_ref(self, ref: str) -> str | None:
        """The ref the symbolic ref ``ref`` leads to, as ``git symbolic-ref`` names it.

        None when ``ref`` is missing or not symbolic. Answered from ``toplevel``'s
        reading when it found where ``ref`` leads; else ``git symbolic-ref``
        decides (a symbolic ref to a missing ref among them).
        """
        if ref in self._symrefs:
            return self._symrefs[ref]
        result = self.run("symbolic-ref", "--quiet", ref, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """An empty private directory for a plumbing step's files (an index, blobs), removed after.

        It is made in the git directory when ``git_dir`` is known, else as a
        temporary directory: ``tempfile`` (with ``shutil`` and ``random``) costs
        a landing start-up time. It holds plain files only.
        """
        if self.git_dir is None:
            import tempfile  # noqa: PLC0415 - see the docstring

            with tempfile.TemporaryDirectory(prefix="gatebot-index-") as tmp:
                yield Path(tmp)
            return
        path = self.git_dir / f"gatebot-scratch-{os.getpid()}-{os.urandom(4).hex()}"
        path.mkdir(mode=0o700)
        try:
            yield path
        finally:
            for child in path.iterdir():
                child.unlink()
            path.rmdir()

    def common_dir(self) -> Path:
        """The git common directory shared by every worktree (absolute)."""
        path = Path(self.out("rev-parse", "--git-common-dir"))
        return path if path.is_absolute() else (self.root / path).resolve()

    def resolve(self, ref: str) -> str | None:
        """The commit SHA ``ref`` names, or None when there is no such commit.

        A ref starting with ``-`` is never passed on: git would read it as an option.
        """
        if not ref or ref.startswith("-"):
            return None
        result = self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return result.stdout.strip() or None

    def must_resolve(self, ref: str) -> str:
        """The commit SHA of ``ref``; ``EnvironmentProblem`` naming the ref when absent."""
        sha = self.resolve(ref)
        if sha is None:
            raise EnvironmentProblem(
                f"no commit named {ref!r} in {self.root}",
                "pass --base with an existing branch, or fetch it first",
            )
        return sha

    def current_branch(self) -> str | None:
        """The checked-out branch name, or None on a detached HEAD."""
        result = self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return result.stdout.strip() or None

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor of ``a`` and ``b``, or None when unrelated."""
        if (a, b) in self._merge_bases:
            return self._merge_bases[(a, b)]
        found = self.run("merge-base", a, b, check=False).stdout.strip() or None
        # a ref may move, and a shallow clone may not hold the merge base until deepened
        if found is not None and is_sha(a) and is_sha(b):
            self._merge_bases[(a, b)] = found
        return found

    def changed_entries(self, base: str, head: str) -> list[TreeEntry]:
        """Files added, copied, modified, renamed or retyped in ``base..head`` (no deletions).

        Each with its head-side mode and blob SHA, in git's order; paths are
        read NUL-separated (``--raw -z``), so no name is ever quoted.
        """
        return [TreeEntry(c.path, c.mode, c.sha, c.status,
                          "" if c.status == "A" else c.base_sha,
                          "" if c.status == "A" else c.base_mode)
                for c in self.changes(base, head) if c.status in "ACMRT"]

    def changes(self, base: str, head: str) -> list[RawChange]:
        """Every change of ``base..head`` with renames found (``-M``), in git's order.

        One ``git diff --raw -z --no-abbrev -M`` answers ``changed_entries``,
        ``deleted_files`` and ``touched_files`` alike (remembered for commit SHAs).
        """
        fields = self._diff(base, head, "--raw", "-z", "--no-abbrev", "-M").split("\0")
        found: list[RawChange] = []
        i = 0
        while i + 1 < len(fields) and fields[i].startswith(":"):
            base_mode, mode, base_sha, sha, status = fields[i][1:].split(" ")
            pair = status[:1] in ("R", "C")  # a rename or copy names both paths
            found.append(RawChange(status[:1], fields[i + 2] if pair else fields[i + 1],
                                   fields[i + 1], mode, sha, base_mode, base_sha))
            i += 3 if pair else 2
        return found

    def changed_files(self, base: str, head: str) -> list[str]:
        """Paths added, copied, modified, renamed or retyped in ``base..head`` (no deletions)."""
        return [entry.path for entry in self.changed_entries(base, head)]

    def changed_lines(
        self, base: str, head: str, entries: Sequence[TreeEntry] | None = None
    ) -> dict[str, frozenset[int]]:
        """Head-side line numbers added or modified in ``base..head``, per path.

        The patch's own headers quote odd names, so each file's section is
        matched by position with ``changed_entries`` (same diff, same order; a
        retyped file has two sections, removal then creation). ``--text`` and
        ``--no-textconv``: a change's own ``.gitattributes`` (``*.py -diff``,
        ``binary``) must not hide its lines from the rules. Raises ``GitError``
        when the two disagree.
        """
        entries = self.changed_entries(base, head) if entries is None else entries
        out = self.run("diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--text",
                       "-M", "--diff-filter=ACMRT", base, head).stdout
        sections: list[list[str]] = []
        for row in out.split("\n"):
            if row.startswith("diff --git "):
                sections.append([])
            elif sections and row.startswith("@@"):
                sections[-1].append(row)
        if len(sections) != sum(2 if e.status == "T" else 1 for e in entries):
            raise GitError(f"git diff {base[:12]}..{head[:12]}: the patch does not match the "
                           "list of changed files", "report this with the two commits")
        lines: dict[str, frozenset[int]] = {}
        position = 0
        for entry in entries:
            position += 2 if entry.status == "T" else 1
            lines[entry.path] = _hunk_lines(sections[position - 1])
        return lines

    def is_shallow(self) -> bool:
        """Whether the repository is a shallow clone (its history cut at some depth)."""
        return self.out("rev-parse", "--is-shallow-repository") == "true"

    def deepen(self, remote: str, branch: str, depth: int | None) -> bool:
        """Fetch ``depth`` more commits of history below every shallow boundary from ``remote``.

        ``branch`` is fetched into its remote-tracking ref along the way;
        ``depth`` None fetches the whole history (``--unshallow``). Returns
        False when the fetch failed (e.g. the remote cannot be reached).
        """
        how = f"--deepen={depth}" if depth is not None else "--unshallow"
        self._merge_bases.clear()  # more history may give other answers
        result = self.run("fetch", "--quiet", "--no-tags", how, remote,
                          f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}", check=False)
        return result.returncode == 0

    def is_clean(self) -> bool:
        """Whether tracked files in the work tree and index match HEAD."""
        return not self.out("status", "--porcelain", "--untracked-files=no")

    def deleted_files(self, base: str, head: str) -> list[str]:
        """Paths deleted in ``base..head`` (a renamed file's old path is not: it was renamed)."""
        return [c.base_path for c in self.changes(base, head) if c.status == "D"]

    def touched_files(self, base: str, head: str) -> list[str]:
        """Every path ``base..head`` adds, edits, deletes or retypes; a rename gives both names.

        In git's path order (bytewise), as ``git diff --name-only --no-renames`` lists them.
        """
        paths = {p for c in self.changes(base, head) for p in (c.base_path, c.path)
                 if c.status != "C" or p == c.path}
        return sorted(paths, key=lambda p: p.encode("utf-8", "surrogateescape"))

    def _diff(self, base: str, head: str, *options: str) -> str:
        """``git diff OPTIONS base head``'s output; remembered when both are commit SHAs."""
        key = (base, head, *options)
        if key in self._diffs:
            return self._diffs[key]
        out = self.run("diff", *options, base, head).stdout
        if is_sha(base) and is_sha(head):
            self._diffs[key] = out
        return out

    def tree_entries(self, ref: str = "HEAD") -> list[TreeEntry]:
        """Every file of the tree of ``ref`` with its mode and object SHA (``ls-tree -r -z``)."""
        out = self.run("ls-tree", "-r", "-z", "--full-tree", ref).stdout
        entries = []
        for record in out.split("\0"):
            if record:
                meta, path = record.split("\t", 1)
                mode, _, sha = meta.split(" ")
                entries.append(TreeEntry(path, mode, sha))
        return entries

    def entries(self, treeish: str, paths: Iterable[str]) -> dict[str, tuple[str, str]]:
        """``{path: (mode, object SHA)}`` of those ``paths`` that ``treeish`` holds (literal paths).

        A directory is listed as itself (mode ``040000``), not its contents.
        """
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return {}
        out = self.run("ls-tree", "-z", treeish, "--", *wanted,
                       env={"GIT_LITERAL_PATHSPECS": "1"}).stdout
        found: dict[str, tuple[str, str]] = {}
        for record in out.split("\0"):
            meta, _, path = record.partition("\t")
            if path:
                mode, _kind, sha = meta.split()
                found[path] = (mode, sha)
        return found

    def through_link(self, commit: str, entry: TreeEntry) -> TreeEntry:
        """What the symlink ``entry`` shows inside ``commit``: the file it leads to, read from git.

        Python imports ``x.py`` through a link to ``x.txt``, so a link is judged
        as the regular file it leads to in ``commit``'s own tree (at most
        ``LINK_HOPS`` links), under its own path; a link that leads out of the
        tree, nowhere or through a linked directory stays a link. Nothing is
        read from disk. Any other entry is returned as it is.
        """
        path, current = entry.path, entry
        for _ in range(LINK_HOPS):
            if current.mode != "120000":
                break
            name = self.run_bytes("cat-file", "blob", current.sha).decode("utf-8",
                                                                          "surrogateescape")
            dest = posixpath.normpath(posixpath.join(posixpath.dirname(path), name))
            if posixpath.isabs(name) or dest == ".." or dest.startswith("../"):
                return entry
            found = self.entries(commit, [dest]).get(dest)
            if found is None:
                return entry
            path, current = dest, TreeEntry(entry.path, found[0], found[1], entry.status)
        return current if current.is_file else entry

    def tracked_files(self, ref: str = "HEAD") -> list[str]:
        """Every file path in the tree of ``ref``."""
        return [entry.path for entry in self.tree_entries(ref)]

    def attributes(
        self, tree: str, paths: Sequence[str], names: Sequence[str]
    ) -> dict[str, dict[str, str]]:
        """The git attributes ``names`` of ``paths`` as the ``.gitattributes`` of ``tree`` set them.

        Returns ``{path: {name: value}}`` with git's values: ``set``, ``unset``,
        ``unspecified`` or the assigned string. The ``.gitattributes`` files are
        read from ``tree`` (a commit or tree SHA) through a temporary index
        (``check-attr --cached``; git < 2.40 has no ``--source``), never from the
        work tree; ``.git/info/attributes`` and ``core.attributesFile`` apply as
        in any git command. Raises ``GitError`` when ``tree`` does not resolve.
        """
        found: dict[str, dict[str, str]] = {path: {} for path in paths}
        if not paths or not names:
            return found
        with self.scratch() as tmp:
            index_env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", tree, env=index_env)
            out = self.run("check-attr", "--cached", "-z", "--stdin", *names, "--",
                           env=index_env, stdin="".join(f"{p}\0" for p in paths)).stdout
        fields = out.split("\0")
        for i in range(0, len(fields) - 2, 3):
            path, name, value = fields[i : i + 3]
            found.setdefault(path, {})[name] = value
        return found

    def blob_sizes(self, shas: Sequence[str]) -> list[int]:
        """The size in bytes of each object in ``shas`` (``cat-file --batch-check``; -1: absent)."""
        out = self.run("cat-file", "--batch-check=%(objectsize)",
                       stdin="".join(f"{sha}\n" for sha in shas)).stdout.split()
        return [int(word) if word.isdigit() else -1 for word in out]

    def commits(self, rev_range: str) -> list[CommitInfo]:
        """The commits of ``rev_range`` (e.g. ``base..head``), newest first."""
        fmt = "%H%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%B%x1e"
        out = self.run("log", f"--format={fmt}", rev_range).stdout
        infos = []
        for record in out.split("\x1e"):
            fields = record.strip("\n").split("\x1f")
            if len(fields) == 6:
                sha, an, ae, cn, ce, body = fields
                infos.append(CommitInfo(sha, Person(an, ae), Person(cn, ce), body))
        return infos

    def show(self, ref: str, path: str) -> bytes | None:
        """The bytes of ``path`` in the tree of ``ref``, or None when absent."""
        return self.read_files([(ref, path)])[0]

    def read_files(self, wanted: Sequence[tuple[str, str]]) -> list[bytes | None]:
        """The bytes of each ``(ref, path)`` file, None where absent, from one git process.

        One ``git cat-file --batch`` reads them all. Raises ``GitError`` when a
        path names something that is not a file (a directory), as ``git
        cat-file blob`` would.
        """
        specs = [f"{ref}:{path}" for ref, path in wanted]
        if any("\n" in spec for spec in specs):  # cat-file reads one name a line
            return [self._show_one(spec) for spec in specs]
        out = self.run_bytes("cat-file", "--batch", stdin=b"".join(
            spec.encode("utf-8", "surrogateescape") + b"\n" for spec in specs))
        found: list[bytes | None] = []
        pos = 0
        for spec in specs:
            end = out.index(b"\n", pos)
            header, pos = out[pos:end], end + 1
            if header.removeprefix(spec.encode("utf-8", "surrogateescape")) in (
                    b" missing", b" ambiguous"):
                found.append(None)
                continue
            _, kind, size = header.decode("ascii").split(" ")
            if kind != "blob":
                raise GitError(f"{spec} is a {kind}, not a file",
                               "check the repository state and retry")
            found.append(out[pos:pos + int(size)])
            pos += int(size) + 1
        return found

    def _show_one(self, spec: str) -> bytes | None:
        if self.run("cat-file", "-e", spec, check=False).returncode != 0:
            return None
        return self.run_bytes("cat-file", "blob", spec)

    def run_bytes(self, *args: str, env: Mapping[str, str] | None = None,
                  stdin: bytes | None = None) -> bytes:
        """Run ``git ARGS`` and return raw stdout bytes (for blobs); ``GitError`` on failure."""
        try:
            return proc.run_bytes(("git", *args), cwd=self.root, env={**self.env, **(env or {})},
                                  stdin=stdin)
        except proc.ProcFailed as exc:
            raise GitError(str(exc), "check the repository state and retry") from exc

    def config(self, key: str) -> str | None:
        """The value of git config ``key`` (the last one set, as ``git config --get``), or None.

        The whole configuration is read once (``git config --list``).
        """
        return self._configuration().get(_config_key(key), "").strip() or None

    def _configuration(self) -> dict[str, str]:
        """Git's whole configuration, ``{key: last value}`` (one ``git config --list``, once)."""
        if self._config is None:
            out = self.run("config", "-z", "--list", check=False).stdout
            self._config = {}
            for record in out.split("\0"):
                name, _, value = record.partition("\n")
                if name:
                    self._config[_config_key(name)] = value
        return self._config

    def remotes(self) -> tuple[str, ...]:
        """The names of the configured remotes."""
        if self._remotes is None:
            self._remotes = tuple(self.out("remote").split())
        return self._remotes

    def has_remote(self, name: str) -> bool:
        """Whether a remote called ``name`` is configured.

        Answered from git's configuration (read once, ``config``) when it has
        a ``remote.<name>.*`` key, as git defines its remotes; else ``git
        remote`` decides (it also lists remotes of the old ``.git/remotes``
        files): one git process fewer for the common case.
        """
        prefix = f"remote.{name}."
        if not name.startswith("/") and any(
                k.startswith(prefix) and "." not in k[len(prefix):] for k in self._configuration()):
            return True
        return name in self.remotes()

    def tracks_on_push(self, remote: str, branch: str) -> bool:
        """Whether ``git push`` to ``remote`` updates ``refs/remotes/<remote>/<branch>`` itself.

        True when the remote's fetch refspec (the last ``remote.<name>.fetch``)
        is git's default, ``+refs/heads/*:refs/remotes/<remote>/*``: git then
        moves the remote-tracking ref of every branch it pushed.
        """
        default = f"refs/heads/*:refs/remotes/{remote}/*"
        return (self.config(f"remote.{remote}.fetch") or "").removeprefix("+") == default

    # -- plumbing for board commits -----------------------------------------
    def commit_files(
        self,
        parent: str,
        files: Mapping[str, bytes],
        message: str,
        *,
        identity: Person | None = None,
        extra_parents: Iterable[str] = (),
        tree_from: str | None = None,
        committer: Person | None = None,
    ) -> str:
        """Create a commit on top of ``parent`` whose tree is ``parent``'s with ``files`` replaced.

        ``tree_from`` takes the starting tree from another commit instead (a
        release commit: the merged tree, parents base tip and head). Built with
        plumbing (``tree_with``): no work tree or index is touched. Returns the
        new commit's SHA; no ref is moved. Raises ``Refused`` when the starting
        tree holds a symlink (or a file) where one of ``files`` goes: a link is
        never replaced or written through.
        """
        start = tree_from or parent
        tree = self.tree_with(start, files) if files else f"{start}^{{tree}}"
        return self.commit_tree(tree, [parent, *extra_parents], message, identity=identity,
                                committer=committer)

    def tree_with(self, treeish: str, files: Mapping[str, bytes]) -> str:
        """The SHA of a tree: ``treeish``'s with ``files`` written as regular files (``100644``).

        Three git processes whatever the paths: one ``ls-tree`` lists every
        directory on the files' paths (``listing``, which refuses a link in the
        way), one ``hash-object`` writes the blobs, one ``mktree`` writes the
        changed directories (``write_trees``). Names keep every byte.
        """
        dirs = {posixpath.dirname(p) for p in files} | {""}  # "": the top directory
        dirs |= {str(d) for p in dirs for d in PurePosixPath(p).parents} - {"."}
        listed = self.listing(treeish, dirs, files)
        with self.scratch() as tmp:
            blobs = self.hash_blobs(list(files.values()), tmp)
        for path, blob in zip(files, blobs, strict=True):
            listed[posixpath.dirname(path)][posixpath.basename(path)] = f"100644 blob {blob}"
        return self.write_trees(listed)

    def listing(self, treeish: str, dirs: Iterable[str], files: Iterable[str] = ()
                ) -> dict[str, dict[str, str]]:
        """``{directory: {name: "mode type sha"}}`` of each of ``dirs`` in ``treeish`` (one ``ls-tree``).

        ``""`` is the top directory; every directory on the way to one of
        ``dirs`` must be among them. Raises ``Refused`` naming the first path
        where a directory of ``dirs`` is anything but a directory, or one of
        ``files`` (paths gatebot will write) is a symlink, a submodule or a
        directory: gatebot never writes through a link.
        """
        wanted, writes = set(dirs), set(files)
        out = self.run_bytes("ls-tree", "-z", "--full-tree", treeish, "--",
                             *sorted(f"{d}/" if d else "." for d in wanted),
                             env={"GIT_LITERAL_PATHSPECS": "1"})
        listed: dict[str, dict[str, str]] = {d: {} for d in wanted}
        in_the_way = {}
        for record in out.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, path = record.partition("\t")
            mode = meta.split(" ", 1)[0]
            if not path:
                continue
            if path in wanted or (path in writes and mode in ("040000", "120000", "160000")):
                in_the_way[path] = mode  # a listed directory is expanded: this one is not one
            else:
                listed[posixpath.dirname(path)][posixpath.basename(path)] = meta
        if in_the_way:
            path = min(in_the_way)
            kind = {"120000": "a symlink", "160000": "a submodule", "040000": "a directory"}
            raise Refused(
                f"{path} is {kind.get(in_the_way[path], 'a file')} in {treeish[:12]}, where "
                "gatebot must write a board file; gatebot never writes through a link",
                f"replace {path} on the base branch with the regular board file (or remove "
                "it), then retry")
        return listed

    def write_trees(self, listed: Mapping[str, dict[str, str]]) -> str:
        """Write the directories of ``listed`` (``listing``'s shape), deepest first; the top's SHA.

        One ``git mktree --batch``: each directory's new tree goes into its
        parent's entries before the parent is written. ``listed`` must hold
        the top directory (``""``) and every directory on the way to the others.
        """
        entries = {d: dict(names) for d, names in listed.items()}
        mktree = proc.start_pipe(("git", "mktree", "-z", "--missing", "--batch"), cwd=self.root,
                                 env=self.env)
        assert mktree.stdin is not None and mktree.stdout is not None  # noqa: S101 - pipes
        tree = ""
        with mktree:
            for d in sorted(entries, key=lambda d: d.count("/") if d else -1, reverse=True):
                mktree.stdin.write(b"".join(f"{meta}\t{name}".encode("utf-8", "surrogateescape")
                                            + b"\0" for name, meta in entries[d].items()) + b"\0")
                mktree.stdin.flush()
                tree = mktree.stdout.readline().decode("ascii").strip()
                if not tree:
                    raise GitError(f"git mktree failed for {d or 'the top directory'}",
                                   "check the repository state and retry")
                if d:
                    entries[posixpath.dirname(d)][posixpath.basename(d)] = f"040000 tree {tree}"
            mktree.stdin.close()
        return tree

    def hash_blobs(self, contents: Sequence[bytes], scratch: Path) -> list[str]:
        """Write each of ``contents`` as a blob; their SHAs, in order (one git process).

        ``scratch`` is an empty directory for the files ``hash-object`` reads.
        """
        names = []
        for number, data in enumerate(contents):
            name = scratch / f"blob-{number}"
            name.write_bytes(data)
            names.append(f"{name}\n")
        return self.run("hash-object", "-w", "--stdin-paths", stdin="".join(names)).stdout.split()

    def commit_tree(
        self, tree: str, parents: Iterable[str], message: str, *,
        identity: Person | None = None, committer: Person | None = None,
    ) -> str:
        """Create a commit object for ``tree`` with ``parents``; return its SHA.

        ``identity`` is the author (and the committer unless ``committer`` is given).
        """
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        env: dict[str, str] = {}
        if identity is not None:
            by = committer or identity
            env = {
                "GIT_AUTHOR_NAME": identity.name, "GIT_AUTHOR_EMAIL": identity.email,
                "GIT_COMMITTER_NAME": by.name, "GIT_COMMITTER_EMAIL": by.email,
            }
        return self.run(*args, env=env, stdin=message).stdout.strip()

    def merge_tree(self, ours: str, theirs: str) -> str | None:
        """The tree of merging ``theirs`` into ``ours`` with no work tree, or None on a conflict.

        Uses ``git merge-tree --write-tree`` (git ≥ 2.38); raises ``GitError``
        when git cannot merge at all (exit code other than 0 or 1).
        """
        result = self.run("merge-tree", "--write-tree", ours, theirs, check=False)
        if result.returncode == 1:
            return None
        if result.returncode != 0:
            raise GitError(f"git merge-tree failed: {result.stderr.strip()}",
                           "git 2.38 or later is needed for gatebot merge")
        return result.stdout.split()[0]

    def push_detail(self, remote: str, sha: str, branch: str) -> tuple[bool, str]:
        """Push without force; return (accepted, git's output when refused)."""
        result = self.run("push", "--porcelain", remote, f"{sha}:refs/heads/{branch}", check=False)
        return result.returncode == 0, (result.stderr + result.stdout).strip()

    def update_ref(self, ref: str, new: str, old: str) -> bool:
        """Move ``ref`` from ``old`` to ``new`` atomically; False when ``ref`` was not at ``old``."""
        return self.run("update-ref", ref, new, old, check=False).returncode == 0

    def fetch(self, remote: str, branch: str) -> str | None:
        """Fetch ``branch`` from ``remote`` into its remote-tracking ref; return its SHA.

        Returns None when the remote has no such branch. Retries briefly when a
        concurrent fetch holds the ref lock.
        """
        if not branch or branch.startswith("-"):
            return None
        return self.fetch_branches(remote, [branch])[branch]

    def fetch_branches(self, remote: str, branches: Sequence[str]) -> dict[str, str | None]:
        """Fetch ``branches`` from ``remote`` with one ``git fetch``: each one's SHA, or None.

        Each branch lands in its remote-tracking ref, as ``fetch`` does; None
        means the remote has no such branch (or the name starts with ``-``).
        When the one fetch fails, each branch is fetched alone, so one branch
        the remote lacks does not hide the others.
        """
        fetched = self.fetch_matching(remote, branches)
        if fetched is not None:
            return fetched[0]
        names = [b for b in dict.fromkeys(branches) if b and not b.startswith("-")]
        if len(names) <= 1:
            return dict.fromkeys(branches)
        return {b: self.fetch(remote, b) for b in branches}

    def fetch_matching(self, remote: str, branches: Sequence[str], patterns: Sequence[str] = ()
                       ) -> tuple[dict[str, str | None], dict[str, str]] | None:
        """One ``git fetch`` of ``branches`` and of every branch a glob of ``patterns`` matches.

        Returns each of ``branches`` with its SHA (None: a name starting with
        ``-``), and each branch the remote has that matches a pattern (e.g.
        ``task/4-*``) with its SHA — exactly those the remote has now. All land
        in their remote-tracking refs, as ``fetch`` puts them; the fetch prunes
        a pattern's remote-tracking refs of branches the remote no longer has
        (``--prune``, limited to the refspecs given), so a stale one is never
        read as the remote's. None when the fetch failed (a branch the remote lacks).
        """
        names = [b for b in dict.fromkeys(branches) if b and not b.startswith("-")]
        tracking = {f"refs/remotes/{remote}/{b}": b for b in names}
        refspecs = [f"+refs/heads/{b}:{t}" for t, b in tracking.items()]
        globs = [f"refs/remotes/{remote}/{p}" for p in patterns]
        refspecs += [f"+refs/heads/{p}:{g}" for p, g in zip(patterns, globs, strict=True)]
        if not refspecs or not self._fetch(remote, refspecs, prune=bool(patterns)):
            return (dict.fromkeys(branches), {}) if not refspecs else None
        # for-each-ref's `*` stops at a `/` where a refspec's does not: `/**` lists the rest
        listing = self.run("for-each-ref", "--format=%(objectname) %(objecttype) %(refname)",
                           *tracking, *globs, *(f"{g}/**" for g in globs)).stdout
        found: dict[str, str | None] = dict.fromkeys(branches)
        matched: dict[str, str] = {}
        for line in listing.splitlines():
            sha, kind, ref = line.split(" ", 2)
            if ref in tracking and kind == "commit":
                found[tracking[ref]] = sha
            if any(refspec_glob_match(g, ref) for g in globs):
                matched[ref.removeprefix(f"refs/remotes/{remote}/")] = sha
        for ref, name in tracking.items():  # a branch at a tag object: peel it as git does
            found[name] = found[name] or self.resolve(ref)
        return found, matched

    def _fetch(self, remote: str, refspecs: Sequence[str], *, prune: bool = False) -> bool:
        """Run one ``git fetch`` of ``refspecs``; False when it fails (a ref the remote lacks).

        ``prune``: also delete the refspecs' remote-tracking refs the remote no
        longer has. Retries briefly while a concurrent fetch holds a ref lock.
        """
        how = ("--prune",) if prune else ()
        for attempt in range(20):
            result = self.run("fetch", "--quiet", "--no-tags", *how, remote, *refspecs,
                              check=False)
            if result.returncode == 0:
                return True
            if "lock" not in result.stderr:
                return False
            time.sleep(0.05 * (attempt + 1))
        names = ", ".join(f"{remote}/{spec.split(':')[0].removeprefix('+refs/heads/')}"
                          for spec in refspecs)
        raise GitError(f"could not fetch {names}: {result.stderr.strip()}", "retry")
