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
from contextlib import closing
from datetime import datetime
from typing import TYPE_CHECKING

from gatebot.adapters.git import Git, Person, is_sha
from gatebot.core import archive
from gatebot.core.board import Board
from gatebot.core.preconditions import require
from gatebot.core.records import BoardEvent, Heads, approvals
from gatebot.core.safe_text import bounded_message
from gatebot.errors import Refused
from gatebot.ports import PushRefused, RaceLost, Reader

if TYPE_CHECKING:
    from gatebot.adapters.claim_store import ClaimStore
    from gatebot.core.escalation import Escalation
    from gatebot.core.github_model import Person as Account
    from gatebot.core.records import Approval
    from gatebot.core.transitions import NewTask, Transition
    from gatebot.core.verdict import Verdict
    from gatebot.ports import Decide, DecideAll

__all__ = ["BOT_IDENTITY", "BoardEvent", "Heads", "LocalForge", "PushRefused", "Reader",
           "highest_task", "render_trailers", "require", "split_trailers"]

TRAILER_PREFIX = "Gatebot-"
TRAILERS_FORMAT = "%(trailers:only,unfold,separator=%x1d,key_value_separator=%x1c)"
"""A ``git log --format`` field: the trailer block as ``key\x1cvalue`` pairs joined by ``\x1d``."""
BOT_IDENTITY = Person("gatebot", "gatebot@localhost")
BOT_COMMITTER = f"{BOT_IDENTITY.name} <{BOT_IDENTITY.email}>"
"""``BOT_IDENTITY`` as ``git log --format=%cn <%ce>`` prints it (gatebot's commits)."""
TASK_NUMBER = re.compile(r"#[0-9]+")

Edit = Callable[[Reader], Mapping[str, str]]


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


class LocalForge:
    """Board transitions and approvals on ``branch`` of the repository behind ``git``."""

    name = "local"

    def __init__(self, git: Git, branch: str, remote: str | None, *, todo: str = "TODO.md",
                 archive_dir: str = "coordination/archive") -> None:
        """Use ``remote`` (e.g. ``origin``) when given and configured, else the local branch.

        ``todo`` and ``archive_dir`` are the board's paths on the branch
        (``[board]`` in the configuration). What a commit SHA holds never
        changes, so the board files and the board commits read at a tip SHA
        are remembered for the command.
        """
        self.git = git
        self.branch = branch
        self.remote = remote if remote and git.has_remote(remote) else None
        self.todo = todo
        self.archive_dir = archive_dir
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
        if accepted:  # the remote-tracking ref follows: git's push moves it, else update-ref
            if not self.git.tracks_on_push(self.remote, self.branch):
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
        ``RaceLost`` when the branch kept moving for ``attempts`` tries.
        """

        def written(_tip: str, read: Reader) -> tuple[Mapping[str, str], str]:
            files = edit(read)
            return files, f"{subject}\n\n{render_trailers(trailers)}\n"

        return self._commit_loop(written, subject, attempts)

    def _commit_loop(self, edit: Callable[[str, Reader], tuple[Mapping[str, str], str]],
                     subject: str, attempts: int = 30) -> str:
        """Commit ``edit(tip, read)``'s (files, message) on the tip and publish; retry if it moved."""
        for _ in range(attempts):
            tip = self.tip()
            files, message = edit(tip, self.reader(tip))
            if not files:
                raise Refused(f"nothing to change for: {subject}")
            encoded = {p: t.encode("utf-8", "surrogateescape") for p, t in files.items()}
            commit = self.git.commit_files(tip, encoded, message, identity=BOT_IDENTITY)
            if self.publish(tip, commit):
                return commit
        raise RaceLost(
            f"the board on {self.branch} kept moving; gave up after {attempts} tries",
            "retry the command",
        )

    # -- the Forge protocol (gatebot.ports) ------------------------------------------------
    def board(self, tip: str | None = None) -> Board:
        """TODO.md parsed at ``tip`` (default: the tip now); an empty board when absent."""
        text = self.reader(tip or self.tip())(self.todo)
        return Board.parse(text or "", self.todo)

    def approvals(self, task: int, tip: str | None = None) -> tuple[Approval, ...]:
        """The gate-1 approvals of ``task`` read from its board commits, newest first."""
        return approvals(self.events(task, tip))

    def apply(self, number: int, decide: Decide, *, history: bool = False) -> str:
        """Record ``decide(state)`` as one board commit (re-decided on a moved tip); its SHA.

        ``state`` holds the task at the tip and, with ``history``, its board
        commits up to that tip. TODO.md gets the new stage and fields, the
        archive of the decision's UTC day its entries, the message the
        decision's subject and trailers.
        """
        from gatebot.core.transitions import TaskState  # noqa: PLC0415 - a landing needs none

        def edit(tip: str, read: Reader) -> tuple[Mapping[str, str], str]:
            board = Board.parse(read(self.todo) or "", self.todo)
            events = tuple(self.events(number, tip)) if history else ()
            decided = decide(TaskState(board.task(number), events))
            files = self.transition_files(read, board, decided)
            return files, f"{decided.subject}\n\n{render_trailers(decided.trailers)}\n"

        return self._commit_loop(edit, f"task #{number}")

    def transition_files(self, read: Reader, board: Board, decided: Transition
                         ) -> dict[str, str]:
        """The board files ``decided`` changes: TODO.md and the day's archive file."""
        files = {self.todo: _moved(board, decided).render()}
        return {**files, **self.archived(read, decided.entries, decided.at)}

    def apply_all(self, decide: DecideAll, subject: str) -> str:
        """Record ``decide(state)`` as one board commit (``subject``); return its SHA.

        ``state`` holds TODO.md and the stale flags at the tip; the message's
        trailers are the first transition's. Re-decided on a moved tip.
        """
        from gatebot.core.transitions import BoardState  # noqa: PLC0415 - a landing needs none

        def edit(tip: str, read: Reader) -> tuple[Mapping[str, str], str]:
            board = Board.parse(read(self.todo) or "", self.todo)
            decided = decide(BoardState(board, frozenset(self.stale_flags(tip))))
            if not decided:
                raise Refused(f"nothing to change for: {subject}")
            for one in decided:
                board = _moved(board, one)
            entries = [e for one in decided for e in one.entries]
            files = {self.todo: board.render(), **self.archived(read, entries, decided[0].at)}
            return files, f"{subject}\n\n{render_trailers(decided[0].trailers)}\n"

        return self._commit_loop(edit, subject)

    def stale_flags(self, tip: str | None = None) -> set[str]:
        """The ``Flag`` fields of the ``stale`` archive entries at ``tip`` (default: now)."""
        result = self.git.run("grep", "-h", "-F", "-e", "- **Flag**: ", tip or self.tip(), "--",
                              self.archive_dir, check=False)
        return {line.split("- **Flag**: ", 1)[1].strip() for line in result.stdout.splitlines()
                if "- **Flag**: " in line}

    def archived(self, read: Reader, entries: Sequence[archive.ArchiveEntry], moment: datetime
                 ) -> dict[str, str]:
        """The archive file of ``moment``'s UTC day with ``entries`` appended (``{}``: none)."""
        if not entries:
            return {}
        path = archive.archive_path(moment.date(), self.archive_dir)
        text = read(path)
        for entry in entries:
            text = archive.append_entry(text, entry, moment.date())
        return {path: text} if text is not None else {}

    def add_task(self, task: NewTask) -> tuple[int, str]:
        """Add ``task`` as one board commit; its number is one more than any used before.

        Numbers never repeat: one more than the highest on the board or ever
        recorded in the board's history (a task pruned from TODO.md keeps its).
        """
        number = 0

        def edit(_tip: str, read: Reader) -> tuple[Mapping[str, str], str]:
            nonlocal number
            used = highest_task(self.git, self.ref)  # at this tip or later: never lower
            board, number = Board.parse(read(self.todo) or "", self.todo).add_task(
                task.title, task.fields, task.stage, used=used)
            trailers = {"Gatebot-Task": f"#{number}", "Gatebot-Event": "added",
                        "Gatebot-Actor": task.actor}
            return ({self.todo: board.render()},
                    f"gatebot: add a task\n\n{render_trailers(trailers)}\n")

        sha = self._commit_loop(edit, "gatebot: add a task")
        return number, sha

    def escalate(self, number: int, escalation: Escalation, decide: Decide) -> str:
        """Record ``decide``'s transition; its archive entry names ``escalation``."""
        del escalation  # the local forge's record of it is the archive entry
        return self.apply(number, decide)

    def publish_verdict(self, verdict: Verdict, task: int | None = None,
                        pusher: Account | None = None) -> None:
        """Nothing to publish: locally the verdict is the command's output (and exit code)."""
        del verdict, task, pusher

    def push_release(self, tip: str, commit: str) -> bool:
        """Land the release ``commit`` on the base (``publish``)."""
        return self.publish(tip, commit)

    def maintainers(self, logins: Sequence[str]) -> tuple[str, ...]:
        """None: locally ``claims.maintainers`` in the configuration names the maintainers."""
        del logins
        return ()

    def claims(self) -> ClaimStore:
        """The claim refs ``refs/gatebot/claims/*``, shared through the remote when there is one."""
        from gatebot.adapters.claim_store import ClaimStore  # noqa: PLC0415 - merge needs none

        return ClaimStore(self.git, self.remote)

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
        """``events`` read from git: the walk stops at the task's ``added`` event.

        Nothing about a task comes before the board commit that added it, and
        its number was never used before (``add_task``), so the older history
        (most of a long-lived base) is not read. A task with no such commit (a
        board written by hand) is looked for down the whole chain.
        """
        walk = self.git.records(
            "log", "--first-parent", f"--format=%H%x1f%ce%x1f%cI%x1f{TRAILERS_FORMAT}%x1e",
            "-E", f"--grep=^Gatebot-Task: #{task}$", tip, separator="\x1e")
        events = []
        with closing(walk):
            for record in walk:
                fields = record.strip("\n").split("\x1f", 3)
                if len(fields) == 4 and fields[1] == BOT_IDENTITY.email:
                    trailers = split_trailers(fields[3])
                    if trailers.get("Gatebot-Task") == f"#{task}":
                        when = datetime.fromisoformat(fields[2])
                        events.append(BoardEvent(fields[0], trailers, when))
                        if trailers.get("Gatebot-Event") == "added":
                            break
        return events

def _moved(board: Board, decided: Transition) -> Board:
    """``board`` with ``decided``'s task in its new stage (or where it is) with its fields."""
    if decided.stage is not None:
        return board.move(decided.number, decided.stage, decided.fields)
    if decided.fields:
        return board.set_fields(decided.number, decided.fields)
    return board


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
