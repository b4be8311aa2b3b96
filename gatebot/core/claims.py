"""Claim records and the pure rules over them (SPEC §8).

A ``ClaimRecord`` holds the fields of the seed's lock file (golden-focus-protocol.md,
"Lock File Structure") plus the process ``fingerprint`` of task-locking-fixes.md
("Session Fingerprinting"); it is stored as the message of a commit on the git ref
``refs/gatebot/claims/<N>/<session>``, not as a file. Timestamps are ISO-8601 UTC
ending in ``Z``. Everything here is pure: the clock arrives as a value, liveness of
processes as a boolean.

Claimed-file globs (``claimed_files``) name repository paths: ``*`` and ``?``
stay within one path segment, ``**`` spans any number of them, ``[...]`` is
one character; a leading ``/`` or ``./`` is dropped. A path without wildcards
(``lib`` or ``/lib/engine.ts``) covers itself and, as a directory, everything
below it, as does any pattern ending in ``/``. A wildcard pattern without ``/``
(``*.py``) matches at any depth, as in .gitignore; a literal name without ``/``
(``README.md``) is the file at the root, since claims name paths. Two globs
overlap when some path is covered by both; ``globs_overlap`` decides this
exactly by intersecting the two patterns' automata (``[...]`` is read as any
one character but ``/``, so it may over-report an overlap, never miss one).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

Clock = Callable[[], datetime]
ClaimStatus = Literal["claiming", "active", "completed"]
LIVE_STATUSES: frozenset[str] = frozenset({"claiming", "active"})
DEFAULT_STALE_AFTER = timedelta(minutes=20)
IdentityDecision = Literal["same", "live", "fresh", "takeover"]


# -- timestamps ----------------------------------------------------------------
def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC with ``Z``: seconds, plus microseconds when there are any."""
    moment = as_utc(moment)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def format_seconds(moment: datetime) -> str:
    """ISO-8601 UTC with ``Z`` to the second, for messages: ``2025-11-01T10:00:00Z``."""
    return format_timestamp(as_utc(moment).replace(microsecond=0))


def parse_timestamp(value: object) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM:SS[.fff]Z`` into an aware UTC datetime; ValueError otherwise."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return value.astimezone(UTC)
    if not isinstance(value, str) or not value.endswith("Z") or "T" not in value:
        raise ValueError("expected an ISO-8601 UTC timestamp ending in Z: 2025-11-01T10:00:00Z")
    return datetime.fromisoformat(value[:-1] + "+00:00").astimezone(UTC)


Timestamp = Annotated[
    datetime, BeforeValidator(parse_timestamp), PlainSerializer(format_timestamp, return_type=str)
]
SingleLine = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]*$")]


# -- the record -----------------------------------------------------------------
class Fingerprint(BaseModel):
    """The process that holds a session name (task-locking-fixes.md §2).

    ``process_start`` is the start time in clock ticks since boot from
    ``/proc/<pid>/stat`` (field 22) on Linux, None where unknown; together with
    ``host`` and ``pid`` it tells a live holder from a reused pid. ``key`` is
    the SHA-256 (16 hex digits) of a session key (``GATEBOT_SESSION_ID``): an
    agent that runs every command in a fresh shell stays one session by it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    host: SingleLine
    pid: int = Field(ge=1)
    process_start: int | None = Field(default=None, ge=0)
    key: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")


def same_session(existing: Fingerprint | None, mine: Fingerprint) -> bool:
    """Whether ``existing`` names the session ``mine``: equal session keys, else equal processes.

    When either side carries a session key the keys decide (a fresh shell
    with the same key is the same session; another key is another session).
    """
    if existing is None:
        return False
    if existing.key is not None or mine.key is not None:
        return existing.key == mine.key
    return existing == mine


class ClaimRecord(BaseModel):
    """One claim: the seed's lock-file fields exactly, plus ``fingerprint`` (SPEC §8).

    Parsing is strict (no coercion, unknown keys refused); every field is
    required except ``fingerprint`` (records written by hand have none) and
    ``writer``, the ``gatebot claim`` process that wrote the record: while the
    board claim has not landed, a claim whose writer is gone is dead.
    ``task_number`` is ``"#N"``; ``progress_percent`` is 0 to 100;
    ``estimated_duration_minutes`` is minutes or null.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    session_id: SingleLine = Field(min_length=1)
    session_name: SingleLine = Field(min_length=1, max_length=200)
    ai_type: SingleLine
    platform: SingleLine
    started_at: Timestamp
    status: ClaimStatus
    claimed_files: tuple[SingleLine, ...]
    task: SingleLine
    task_number: str = Field(pattern=r"^#[1-9][0-9]{0,8}$")
    task_section: SingleLine
    estimated_duration_minutes: int | None = Field(ge=0)
    heartbeat_last: Timestamp
    heartbeat_count: int = Field(ge=0)
    progress_percent: int = Field(ge=0, le=100)
    notes: SingleLine
    fingerprint: Fingerprint | None = None
    writer: Fingerprint | None = None

    @property
    def number(self) -> int:
        """The task number as an int (``"#4"`` → 4)."""
        return int(self.task_number[1:])

    @property
    def key(self) -> tuple[str, int]:
        """What names a claim: ``(session_name, task number)``."""
        return (self.session_name, self.number)


def order_key(record: ClaimRecord) -> tuple[datetime, str, str, int]:
    """Rank claims by seniority: smaller is older (golden-focus-protocol.md "Conflict Resolution").

    Oldest ``started_at`` first, then ``session_id``, then ``session_name``,
    then the task number: two different claims (``key``) never tie, so of two
    rivals exactly one is older even when one session claims two tasks at once.
    """
    return (record.started_at, record.session_id, record.session_name, record.number)


def precedes(a: ClaimRecord, b: ClaimRecord) -> bool:
    """Whether claim ``a`` is older than claim ``b`` (``a`` wins a conflict)."""
    return order_key(a) < order_key(b)


def holder_text(record: ClaimRecord) -> str:
    """``task #4 is claimed by NAME since 2025-11-01T10:00:00Z`` (the refusal wording)."""
    return (
        f"task {record.task_number} is claimed by {record.session_name} "
        f"since {format_seconds(record.started_at)}"
    )


def conflict_reason(mine: ClaimRecord, other: ClaimRecord) -> str | None:
    """Why ``other`` conflicts with ``mine`` (SPEC §8), or None when it does not.

    Only claiming/active claims conflict; a claim never conflicts with itself
    (same session name and task). Same task, or overlapping file globs.
    """
    if other.key == mine.key or other.status not in LIVE_STATUSES:
        return None
    if other.number == mine.number:
        return holder_text(other)
    pair = files_overlap(mine.claimed_files, other.claimed_files)
    if pair is None:
        return None
    return f"{holder_text(other)} with {pair[1]}, which overlaps {pair[0]}"


# -- staleness and identity --------------------------------------------------------
def heartbeat_age(record: ClaimRecord, now: datetime) -> timedelta:
    """Time since the last heartbeat (never negative)."""
    return max(timedelta(0), as_utc(now) - record.heartbeat_last)


def is_stale(record: ClaimRecord, now: datetime, stale_after: timedelta) -> bool:
    """SPEC §8: a claiming/active claim with no heartbeat for more than ``stale_after``."""
    return record.status in LIVE_STATUSES and heartbeat_age(record, now) > stale_after


def flag_key(record: ClaimRecord) -> str:
    """Name one lapse of a claim: the key a sweep's stale notice is remembered by.

    A new heartbeat changes ``heartbeat_last`` and so the key: a claim that
    lapses, recovers and lapses again is noticed twice, a lapse only once.
    """
    return f"{record.task_number} {record.session_name} {format_timestamp(record.heartbeat_last)}"


def is_dead(
    record: ClaimRecord,
    *,
    writer_alive: bool | None,
    landed: bool,
    now: datetime,
    stale_after: timedelta,
) -> bool:
    """Whether a claim record is dead: its board claim never landed and its writer is gone.

    ``landed`` says whether the board shows the task out of READY and held by
    ``record.session_name``; ``writer_alive`` whether the ``gatebot claim``
    process that wrote it still runs (None: cannot tell, e.g. another host or
    no ``writer``). An unknowable writer counts as gone once the record's last
    heartbeat is older than ``stale_after``. A dead record is ignored and
    removed: no one can hold a task through it.
    """
    if landed or writer_alive:
        return False
    return writer_alive is False or heartbeat_age(record, now) > stale_after


def identity_decision(
    existing: ClaimRecord,
    mine: Fingerprint,
    alive: bool | None,
    now: datetime,
    stale_after: timedelta,
) -> IdentityDecision:
    """Decide whether process ``mine`` may use ``existing.session_name`` (task-locking §2).

    ``alive`` says whether ``existing``'s process runs (None: cannot tell, e.g.
    another host or no fingerprint). ``same``: it is us. ``live``: another live
    process holds the name. ``fresh``: not provably live but heartbeat fresh.
    ``takeover``: gone (or unknowable) and stale: allowed only when forced.
    """
    if same_session(existing.fingerprint, mine):
        return "same"
    if alive:
        return "live"
    if not is_stale(existing, now, stale_after):
        return "fresh"
    return "takeover"


def identity_refusal(
    record: ClaimRecord, decision: IdentityDecision, alive: bool | None, age: timedelta
) -> tuple[str, str]:
    """Explain why ``record.session_name`` cannot be used (yet): ``(message, hint)``."""
    fp = record.fingerprint
    who = f"pid {fp.pid} on {fp.host}" if fp else "a process that left no fingerprint"
    name, minutes = record.session_name, int(age.total_seconds() // 60)
    other = ("choose another session name with --as NAME, or set the same GATEBOT_SESSION_ID "
             "for every command of one session")
    if decision == "live":
        return f"session name {name} is in use by a live process ({who})", other
    if decision == "fresh":
        state = "has exited" if alive is False else "cannot be checked from here"
        return (
            f"session name {name} belongs to {who}, which {state}, but its last heartbeat "
            f"was {minutes} min ago",
            f"{other}, or wait until its claim on {record.task_number} is stale and use --force",
        )
    return (
        f"session name {name} belonged to {who}, which is gone, and its heartbeat is stale "
        f"({minutes} min)",
        f"take the name and its claims over with --force, or {other}",
    )


# -- glob overlap ----------------------------------------------------------------------
_ANY, _NONSLASH = "\0any", "\0nonslash"  # symbolic character classes of an automaton edge
_DIRS = "\0dirs"  # the loop state of a "**/" token


@lru_cache(maxsize=1024)
def _tokens(pattern: str) -> tuple[str, ...]:
    """Split an anchored glob into ``**/``, ``**``, ``*``, ``?`` and literal characters.

    A ``[...]`` class becomes ``?`` (any one character but ``/``).
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        close = pattern.find("]", i + 2) if pattern[i] == "[" else -1
        if pattern.startswith("**/", i):
            out += ["**/", _DIRS]  # "(.*/)?": skip it, or loop in _DIRS until a "/"
            i += 3
        elif pattern.startswith("**", i):
            out.append("**")
            i += 2
        else:
            out.append("?" if close > 0 else pattern[i])
            i = close + 1 if close > 0 else i + 1
    return tuple(out)


def covers(pattern: str, path: str) -> bool:
    """Whether claimed glob ``pattern`` covers repository ``path`` (module doc semantics)."""
    path = path.strip().lstrip("/")
    return any(_regex(v).fullmatch(path) for v in _variants(pattern))


@lru_cache(maxsize=1024)
def _regex(anchored: str) -> re.Pattern[str]:
    """Compile an anchored glob's tokens into a regular expression."""
    parts = {"**/": "(?:.*/)?", _DIRS: "", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(parts[t] if t in parts else re.escape(t) for t in _tokens(anchored)))


def _variants(pattern: str) -> tuple[str, ...]:
    """List the anchored patterns a claimed glob stands for (see the module doc)."""
    bare = pattern.strip()
    anchored = bare.startswith(("/", "./"))
    while bare.startswith("./"):
        bare = bare[2:]
    names_dir = bare.endswith("/")
    bare = bare.strip("/")
    if not bare:
        return ("**",)
    wild = any(c in bare for c in "*?[")
    if wild and "/" not in bare and not anchored:
        bare = "**/" + bare
    return (bare, bare + "/**") if names_dir or not wild else (bare,)


def _moves(tokens: Sequence[str], i: int) -> list[tuple[str | None, int]]:
    """Edges out of automaton state ``i``: (symbol or None for epsilon, next state)."""
    if i >= len(tokens):
        return []
    token = tokens[i]
    edges: dict[str, list[tuple[str | None, int]]] = {
        "**/": [(None, i + 2), (None, i + 1)],
        _DIRS: [(_ANY, i), ("/", i + 1)],
        "**": [(None, i + 1), (_ANY, i)],
        "*": [(None, i + 1), (_NONSLASH, i)],
        "?": [(_NONSLASH, i + 1)],
    }
    return edges.get(token) or [(token, i + 1)]


def _meet(a: str, b: str) -> str | None:
    """One character both edge symbols accept, or None."""
    if a in (_ANY, _NONSLASH) and b in (_ANY, _NONSLASH):
        return "x"
    if a in (_ANY, _NONSLASH) or b in (_ANY, _NONSLASH):
        char, cls = (b, a) if a in (_ANY, _NONSLASH) else (a, b)
        return None if (cls == _NONSLASH and char == "/") else char
    return a if a == b else None


def _closure(tokens: Sequence[str], i: int) -> set[int]:
    """States reachable from ``i`` by epsilon edges."""
    seen, todo = {i}, [i]
    while todo:
        for symbol, nxt in _moves(tokens, todo.pop()):
            if symbol is None and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _witness(a: str, b: str) -> str | None:
    """Find a path matched by both anchored patterns (product automaton, breadth first).

    Only real paths count: non-empty, no empty segment, no leading or trailing
    ``/``; the third part of a state says whether the last character was ``/``.
    """
    ta, tb = _tokens(a), _tokens(b)
    start = (0, 0, True)
    paths: dict[tuple[int, int, bool], str] = {start: ""}
    todo = deque([start])
    while todo:
        state = todo.popleft()
        for i in _closure(ta, state[0]):
            for j in _closure(tb, state[1]):
                if i == len(ta) and j == len(tb) and not state[2]:
                    return paths[state]
                for sa, na in _moves(ta, i):
                    for sb, nb in _moves(tb, j):
                        char = _meet(sa, sb) if sa and sb else None
                        nxt = (na, nb, char == "/")
                        if char is None or (state[2] and char == "/") or nxt in paths:
                            continue
                        paths[nxt] = paths[state] + char
                        todo.append(nxt)
    return None


def overlap_witness(a: str, b: str) -> str | None:
    """Return a repository path both claimed globs cover, or None when they are disjoint."""
    for va in _variants(a):
        for vb in _variants(b):
            found = _witness(va, vb)
            if found is not None:
                return found
    return None


def globs_overlap(a: str, b: str) -> bool:
    """Whether some path is covered by both claimed globs (module doc: the semantics)."""
    return overlap_witness(a, b) is not None


def files_overlap(a: Iterable[str], b: Iterable[str]) -> tuple[str, str] | None:
    """Return the first pair ``(glob of a, glob of b)`` that overlaps, or None."""
    others = tuple(b)
    for pa in a:
        for pb in others:
            if globs_overlap(pa, pb):
                return (pa, pb)
    return None


@dataclass(frozen=True)
class ClaimProblem:
    """A claim ref whose tip is not a valid claim: the ``ref``, why, and its task number."""

    ref: str
    reason: str
    task_number: int | None = None

    @property
    def fix(self) -> str:
        """Say how to get rid of it."""
        if self.task_number is None:
            return f"ask a maintainer to remove {self.ref}"
        return f"remove it with `gatebot release {self.task_number} --force`"

    @property
    def message(self) -> str:
        """One line: ref, reason, fix."""
        return f"{self.ref}: not a valid claim ({self.reason}); {self.fix}"
