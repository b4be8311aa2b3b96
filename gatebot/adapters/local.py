"""The local forge (SPEC §1, §4.4): the board on the base branch is the source of truth.

Each transition is one board commit — only board files, with trailers
``Gatebot-Task`` and ``Gatebot-Event`` — built with git plumbing (no work tree
or index is touched) and pushed without force to the remote when there is one,
else moved onto the local base branch with a compare-and-swap ``update-ref``.
When the branch moved, the transition is re-applied to the new tip (the edit
function runs again and may refuse) and pushed again: first push wins.
Approvals are read back from those commits' trailers, parsed by git itself
(``%(trailers)`` in ``git log``): a line that only
looks like a trailer, outside the message's trailer block, is body text.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gatebot.adapters.git import Git, Person, is_sha
from gatebot.core.safe_text import bounded_message
from gatebot.errors import GatebotError, Refused

TRAILER_PREFIX = "Gatebot-"
TRAILERS_FORMAT = "%(trailers:only,unfold,separator=%x1d,key_value_separator=%x1c)"
"""A ``git log --format`` field: the trailer block as ``key\x1cvalue`` pairs joined by ``\x1d``."""
BOT_IDENTITY = Person("gatebot", "gatebot@localhost")
TASK_NUMBER = re.compile(r"#[0-9]+")

Reader = Callable[[str], str | None]
Edit = Callable[[Reader], Mapping[str, str]]


class PushRefused(GatebotError):
    """The remote refused a push although the branch had not moved (exit 2)."""


@dataclass(frozen=True)
class BoardEvent:
    """A board commit read back: its SHA, ``Gatebot-*`` trailers (last value wins), commit time.

    ``committed_at`` is the committer date (timezone-aware), None when unknown.
    """

    sha: str
    trailers: Mapping[str, str]
    committed_at: datetime | None = None

    @property
    def event(self) -> str:
        """The ``Gatebot-Event`` value (``approved``, ``claimed``, …)."""
        return self.trailers.get("Gatebot-Event", "")


def split_trailers(field: str) -> dict[str, str]:
    """The ``Gatebot-*`` trailers of one ``TRAILERS_FORMAT`` field; the last value of a key wins.

    git has already found the trailer block, unfolded continuation lines and
    trimmed the values; this only picks gatebot's keys.
    """
    found: dict[str, str] = {}
    for pair in field.strip("\n").split("\x1d"):
        key, sep, value = pair.partition("\x1c")
        if sep and key.startswith(TRAILER_PREFIX):
            found[key] = value.strip()
    return found


def render_trailers(trailers: Mapping[str, str]) -> str:
    """Trailer lines for a commit message; values are forced onto one line."""
    return "\n".join(f"{k}: {' '.join(str(v).split())}" for k, v in trailers.items())


@dataclass(frozen=True)
class Heads:
    """Branch heads one fetch brought, to look up instead of fetching again.

    ``exact``: branches asked for by name, with their SHA (None: the remote
    lacks it); ``matched``: every branch the remote has that matches a glob of
    ``patterns`` (``*`` matches any text, ``/`` included, as in a refspec).
    """

    exact: Mapping[str, str | None] = field(default_factory=dict)
    patterns: tuple[str, ...] = ()
    matched: Mapping[str, str] = field(default_factory=dict)

    def lookup(self, name: str) -> tuple[bool, str | None]:
        """(whether this fetch answered for ``name``, its SHA or None when the remote lacks it)."""
        if name in self.exact:
            return True, self.exact[name]
        for pattern in self.patterns:
            before, _, after = pattern.partition("*")
            if (len(name) >= len(before) + len(after) and name.startswith(before)
                    and name.endswith(after)):
                return True, self.matched.get(name)
        return False, None


class LocalForge:
    """Board transitions and approvals on ``branch`` of the repository behind ``git``."""

    def __init__(self, git: Git, branch: str, remote: str | None) -> None:
        """Use ``remote`` (e.g. ``origin``) when given and configured, else the local branch.

        What a commit SHA holds never changes, so the board files and the
        board commits read at a tip SHA are remembered for the command.
        """
        self.git = git
        self.branch = branch
        self.remote = remote if remote and git.has_remote(remote) else None
        self._files: dict[tuple[str, str], str | None] = {}
        self._events: dict[tuple[int, str], list[BoardEvent]] = {}

    @property
    def ref(self) -> str:
        """The ref holding the board: the remote-tracking branch, or the local branch."""
        if self.remote:
            return f"refs/remotes/{self.remote}/{self.branch}"
        return f"refs/heads/{self.branch}"

    def tip(self) -> str:
        """The current tip of the base branch (fetched first when there is a remote)."""
        return self.fetch_tip()[0]

    def fetch_tip(self, branches: Sequence[str] = (), patterns: Sequence[str] = ()
                  ) -> tuple[str, Heads]:
        """The base branch's current tip, and the heads of ``branches`` and ``patterns``.

        With a remote, one ``git fetch`` brings the base, ``branches`` and the
        branches matching a glob of ``patterns`` (``task/4-*``), into their
        remote-tracking refs; without one, the local ``branches`` are read.
        """
        if not self.remote:
            exact = {b: self.git.resolve(b) for b in branches}
            return self.git.must_resolve(self.ref), Heads(exact)
        wanted = [self.branch, *branches]
        fetched = self.git.fetch_matching(self.remote, wanted, patterns)
        if fetched is None:  # a branch the remote lacks: each on its own, the patterns left out
            fetched, patterns = (self.git.fetch_branches(self.remote, wanted), {}), ()
        found, matched = fetched
        tip = found[self.branch] or self.git.must_resolve(self.ref)
        return tip, Heads({b: found[b] for b in branches}, tuple(patterns), matched)

    def reader(self, tip: str, prefetch: Sequence[str] = ()) -> Reader:
        """A function reading a board file at ``tip`` as text (None when absent).

        The first file not read before at ``tip`` is read together with
        ``prefetch`` (paths the caller will want), in one git process.
        Undecodable bytes survive through ``surrogateescape`` (SPEC §4: keep every byte).
        """

        def read(path: str) -> str | None:
            if (tip, path) not in self._files:
                wanted = [p for p in dict.fromkeys([path, *prefetch]) if (tip, p) not in self._files]
                datas = self.git.read_files([(tip, p) for p in wanted])
                for name, data in zip(wanted, datas, strict=True):
                    text = None if data is None else data.decode("utf-8", "surrogateescape")
                    if is_sha(tip):  # a ref may move; what a commit holds cannot
                        self._files[(tip, name)] = text
                    elif name == path:
                        return text
            return self._files[(tip, path)]

        return read

    def publish(self, tip: str, commit: str) -> bool:
        """Move the base branch from ``tip`` to ``commit`` without force; False when it moved.

        Raises ``PushRefused`` when the remote refuses although the branch did
        not move (a hook, permissions): retrying would not help. Its message
        holds git's whole answer (the remote's own words first), on one line,
        control characters escaped, secrets redacted, ~2,000 characters at most.
        """
        if not self.remote:
            moved = self.git.update_ref(self.ref, commit, tip)
            if moved:
                self.follow(tip, commit)
            return moved
        accepted, detail = self.git.push_detail(self.remote, commit, self.branch)
        if accepted:
            self.git.update_ref(self.ref, commit, tip)
            return True
        if self.tip() == tip:
            raise PushRefused(
                f"{self.remote} refused the push to {self.branch}: {bounded_message(detail)}",
                "ask a maintainer to check the remote's hooks and permissions",
            )
        return False

    def follow(self, old: str, new: str) -> None:
        """Carry a move of the base branch into every worktree that has it checked out.

        Without a remote the board lives on the local branch; a worktree on it
        would otherwise see gatebot's commit as a reversal staged in its index.
        ``read-tree -m -u`` fast-forwards index and files, refusing (and then
        warning) where local edits to the same files would be overwritten.
        """
        listing = self.git.out("worktree", "list", "--porcelain")
        for block in listing.split("\n\n"):
            lines = block.splitlines()
            if f"branch {self.ref}" in lines and lines and lines[0].startswith("worktree "):
                path = lines[0].removeprefix("worktree ")
                result = Git(path, self.git.env).run("read-tree", "-m", "-u", old, new,
                                                     check=False)
                if result.returncode != 0:
                    sys.stderr.write(f"gatebot: {path} has {self.branch} checked out with local "
                                     f"changes; its files still show {old[:7]}: run "
                                     f"`git reset --keep {new[:7]}` there\n")

    def transact(
        self, edit: Edit, subject: str, trailers: Mapping[str, str], *, attempts: int = 30
    ) -> str:
        """Apply ``edit`` to the board at the tip as one board commit; return its SHA.

        ``edit(read)`` returns ``{path: new text}``; it may raise ``Refused`` or
        ``BoardError``, which end the transaction with nothing written. The
        message's ``trailers`` are read after each ``edit``, so an edit may fill
        in what it decided on this tip (a new task's number). Raises
        ``GatebotError`` when the branch kept moving for ``attempts`` tries.
        """
        for _ in range(attempts):
            tip = self.tip()
            files = edit(self.reader(tip))
            if not files:
                raise Refused(f"nothing to change for: {subject}")
            message = f"{subject}\n\n{render_trailers(trailers)}\n"
            encoded = {p: t.encode("utf-8", "surrogateescape") for p, t in files.items()}
            commit = self.git.commit_files(tip, encoded, message, identity=BOT_IDENTITY)
            if self.publish(tip, commit):
                return commit
        raise GatebotError(
            f"the board on {self.branch} kept moving; gave up after {attempts} tries",
            "retry the command",
        )

    def events(self, task: int, tip: str | None = None) -> list[BoardEvent]:
        """Board commits for ``task`` on the base branch, newest first.

        Only gatebot's own commits count: committed as ``BOT_IDENTITY`` on the
        base's first-parent chain (board commits and releases sit there; a
        commit merged in from a task branch does not), so trailers written into
        someone's commit message cannot forge an approval or a release.
        """
        tip = tip or self.tip()
        if (task, tip) not in self._events:
            events = self._read_events(task, tip)
            if not is_sha(tip):
                return events
            self._events[(task, tip)] = events
        return list(self._events[(task, tip)])

    def _read_events(self, task: int, tip: str) -> list[BoardEvent]:
        out = self.git.run(
            "log", "--first-parent", f"--format=%H%x1f%ce%x1f%cI%x1f{TRAILERS_FORMAT}%x1e",
            "-E", f"--grep=^Gatebot-Task: #{task}$", tip,
        ).stdout
        events = []
        for record in out.split("\x1e"):
            fields = record.strip("\n").split("\x1f", 3)
            if len(fields) == 4 and fields[1] == BOT_IDENTITY.email:
                trailers = split_trailers(fields[3])
                if trailers.get("Gatebot-Task") == f"#{task}":
                    when = datetime.fromisoformat(fields[2])
                    events.append(BoardEvent(fields[0], trailers, when))
        return events


def highest_task(git: Git, ref: str) -> int:
    """The highest task number gatebot ever recorded on ``ref``'s first-parent chain (0: none).

    Read from the ``Gatebot-Task: #N`` trailers of gatebot's own commits
    (committed as ``BOT_IDENTITY``, as ``LocalForge.events`` counts them), so a
    task pruned from TODO.md still holds its number.
    """
    out = git.run(
        "log", "--first-parent", "-E", "--grep=^Gatebot-Task: #[0-9]+$",
        "--format=%ce%x1f%(trailers:key=Gatebot-Task,valueonly,separator=%x1f)%x1e", ref,
    ).stdout
    highest = 0
    for record in out.split("\x1e"):
        committer, *values = record.strip("\n").split("\x1f")
        numbers = [int(v.strip()[1:]) for v in values if TASK_NUMBER.fullmatch(v.strip())]
        if committer == BOT_IDENTITY.email and numbers:
            highest = max(highest, numbers[-1])
    return highest


def require(condition: bool, message: str) -> None:
    """Raise ``Refused(message)`` unless ``condition`` (a transition precondition)."""
    if not condition:
        raise Refused(message)
