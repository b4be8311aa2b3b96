"""The board's history for ``gatebot audit`` (SPEC §12): git log → ``AuditEvent`` facts.

Two git processes, each over the period's commits only (never the whole
repository): one ``git log`` from the base tip with every commit's parents,
time, committer, ``Gatebot-*`` trailers (parsed by git: only the message's
trailer block counts) and changed paths; then one ``git diff-tree
--stdin`` for the archive lines that gatebot's own commits added.

Trust is the local forge's (``LocalForge.events``): a commit counts only when
gatebot committed it (``BOT_IDENTITY``) on the base's first-parent chain.
Trailers in a commit merged in from a task branch, trailers in someone else's
commit, board files edited by hand and board commits that touch other files
are reported as ``Ignored``, never counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gatebot.adapters.git import Git
from gatebot.adapters.local import BOT_IDENTITY, TRAILERS_FORMAT, split_trailers
from gatebot.core import archive
from gatebot.core.audit import AuditEvent, History, Ignored
from gatebot.core.board import Board
from gatebot.errors import BoardError

# events whose figures need the archive entries the commit added
NEEDS_ENTRIES = frozenset({"rejected", "released", "merge-failed", "escalated", "stale",
                           "force-released"})
# what `gatebot init` may write beside the board: the configuration's files
INIT_FILES = ("pyproject.toml", ".gatebot.toml")
_TASK = re.compile(r"#(\d+)")
_ITEM = re.compile(r"^- \*\*([^*\r\n]+?):?\*\*:?[ \t]*(.*?)[ \t]*$")


@dataclass(frozen=True)
class Commit:
    """One commit as the log pass reads it: parents, time, committer email, trailers, paths.

    ``trailers`` are the ``Gatebot-*`` trailers of the message's trailer block.
    """

    sha: str
    parents: tuple[str, ...]
    time: datetime
    committer: str
    trailers: dict[str, str] = field(hash=False)
    paths: tuple[str, ...]


@dataclass(frozen=True)
class BoardPaths:
    """Where the board lives (configuration ``[board]``)."""

    todo: str
    current_state: str
    archive_dir: str

    def covers(self, path: str) -> bool:
        """Whether ``path`` is a board file."""
        return path in (self.todo, self.current_state) or path.startswith(
            self.archive_dir.rstrip("/") + "/")


def log_commits(git: Git, tip: str, since: datetime | None) -> list[Commit]:
    """Every commit reachable from ``tip`` committed at or after ``since``, newest first.

    Paths are those changed against the first parent (merges included).
    """
    fmt = f"%x1e%H%x1f%P%x1f%ct%x1f%ce%x1f{TRAILERS_FORMAT}%x1f"
    args = ["log", f"--format={fmt}", "--name-only", "--diff-merges=first-parent",
            "--no-renames"]
    if since is not None:
        args.append(f"--since={int(since.timestamp())}")
    out = git.run(*args, tip, "--").stdout
    commits = []
    for record in out.split("\x1e")[1:]:
        fields = record.split("\x1f")
        if len(fields) != 6:
            continue
        sha, parents, ctime, committer, trailers, names = fields
        commits.append(Commit(sha, tuple(parents.split()),
                              datetime.fromtimestamp(int(ctime), UTC), committer,
                              split_trailers(trailers), tuple(n for n in names.splitlines() if n)))
    return commits


def first_parent_chain(tip: str, commits: Iterable[Commit]) -> list[Commit]:
    """The commits on ``tip``'s first-parent chain among ``commits``, oldest first."""
    by_sha = {c.sha: c for c in commits}
    chain = []
    sha: str | None = tip
    while sha in by_sha:
        commit = by_sha[sha]
        chain.append(commit)
        sha = commit.parents[0] if commit.parents else None
    return chain[::-1]


def _task(value: str) -> int | None:
    match = _TASK.fullmatch(value.strip())
    return int(match.group(1)) if match else None


def distrust(commit: Commit, on_chain: bool, event: str | None, board: BoardPaths
             ) -> str | None:
    """Why ``commit`` must not count (None: nothing wrong with it)."""
    if not on_chain:
        return ("Gatebot trailers in a commit off the base's first-parent chain (merged in "
                "from a branch)") if event else None
    if commit.committer != BOT_IDENTITY.email:
        if event:
            return f"Gatebot trailers in a commit by {commit.committer}, not gatebot"
        edited = any(board.covers(p) for p in commit.paths)
        return f"board files edited by hand by {commit.committer}" if edited else None
    if event == "released":
        two = len(commit.parents) == 2
        return None if two else "a release commit that is not a two-parent merge"
    allowed = INIT_FILES if event == "init" else ()
    if event and not all(board.covers(p) or p in allowed for p in commit.paths):
        return "a board commit that changes files outside the board"
    return None


def judge(commit: Commit, on_chain: bool, board: BoardPaths) -> AuditEvent | Ignored | None:
    """Trust one commit (an event), refuse it (``Ignored`` and why), or pass it by (None).

    ``gatebot init``'s commit is trusted and passed by: it sets the board up
    and is no event of any task's.
    """
    trailers = commit.trailers
    event = trailers.get("Gatebot-Event")
    reason = distrust(commit, on_chain, event, board)
    if reason is not None:
        return Ignored(commit.sha, reason, commit.time)
    if not event or event == "init":
        return None
    return AuditEvent(commit.sha, commit.time, event, _task(trailers.get("Gatebot-Task", "")),
                      trailers.get("Gatebot-Actor", ""), trailers)


def parse_added(lines: Sequence[str]) -> tuple[archive.ArchiveEntry, ...]:
    """The archive entries in the lines a commit added (SPEC §4.3's format, gatebot's own).

    A line-based reading of what ``archive.render_entry`` writes — a ``###``
    heading, then ``- **Name**: value`` lines — much cheaper than parsing each
    commit's lines as Markdown. Blocks without a ``#N`` Task and a known Event
    are skipped.
    """
    found = []
    title, items = "", dict[str, str]()
    for line in [*lines, "#"]:
        if line.startswith("#"):
            entry = _entry(title, items)
            if entry is not None:
                found.append(entry)
            title = line[4:].strip() if line.startswith("### ") else ""
            items = {}
            continue
        match = _ITEM.match(line)
        if match and title:
            items.setdefault(match.group(1).strip(), match.group(2))
    return tuple(found)


def _entry(title: str, items: dict[str, str]) -> archive.ArchiveEntry | None:
    task, event = _task(items.pop("Task", "")), items.pop("Event", "")
    if not title or task is None or event not in archive.EVENTS:
        return None
    first, _, rest = title.partition(" ")
    name = rest.strip() if first and not any(c.isalnum() for c in first) else title
    return archive.ArchiveEntry(name, task, event, items)


def added_entries(git: Git, commits: Sequence[Commit], archive_dir: str
                  ) -> dict[str, tuple[archive.ArchiveEntry, ...]]:
    """The archive entries each commit added against its first parent, by SHA.

    One ``git diff-tree --stdin`` over all of them.
    """
    pairs = "".join(f"{c.sha} {c.parents[0]}\n" for c in commits if c.parents)
    if not pairs:
        return {}
    out = git.run("diff-tree", "--stdin", "-p", "--no-color", "--no-ext-diff", "--no-renames",
                  "--format=%x1e%H", "--", archive_dir, stdin=pairs).stdout
    found: dict[str, tuple[archive.ArchiveEntry, ...]] = {}
    for record in out.split("\x1e")[1:]:
        sha, _, diff = record.partition("\n")
        added = [line[1:] for line in diff.splitlines()
                 if line.startswith("+") and not line.startswith("+++")]
        found[sha.strip()] = parse_added(added)
    return found


def initial_stages(git: Git, sha: str | None, todo: str) -> dict[int, str]:
    """Each task's stage in TODO.md at ``sha`` (just before the history read); {} if unreadable."""
    if sha is None:
        return {}
    data = git.show(sha, todo)
    if data is None:
        return {}
    try:
        board = Board.parse(data.decode("utf-8", "replace"), todo)
    except BoardError:
        return {}
    return {t.number: str(t.stage) for t in board.tasks if t.stage is not None}


def read_history(git: Git, tip: str, base: str, since: datetime | None, board: BoardPaths
                 ) -> History:
    """The trusted events and the ignored commits on ``tip``'s history since ``since``."""
    commits = log_commits(git, tip, since)
    chain = first_parent_chain(tip, commits)
    on_chain = {c.sha for c in chain}
    events: list[AuditEvent] = []
    ignored: list[Ignored] = []
    for commit in [*chain, *(c for c in reversed(commits) if c.sha not in on_chain)]:
        judged = judge(commit, commit.sha in on_chain, board)
        if isinstance(judged, AuditEvent):
            events.append(judged)
        elif judged is not None:
            ignored.append(judged)
    needed = {e.sha for e in events if e.event in NEEDS_ENTRIES}
    wanted = [c for c in chain if c.sha in needed]
    entries = added_entries(git, wanted, board.archive_dir)
    events = [_with_entries(e, entries.get(e.sha, ())) for e in events]
    before = chain[0].parents[0] if chain and chain[0].parents else None
    return History(tuple(events), tuple(ignored), initial_stages(git, before, board.todo),
                   base=base, tip=tip, forge="local")


def _with_entries(event: AuditEvent, entries: tuple[archive.ArchiveEntry, ...]) -> AuditEvent:
    if not entries:
        return event
    return AuditEvent(event.sha, event.time, event.event, event.task, event.actor,
                      event.trailers, entries)
