"""The archive of SPEC §4.3: ``coordination/archive/YYYY-MM-DD.md``, one entry per event.

An entry, in the seed's format::

    ### ✅ Build conversation state machine
    - **Task**: #1
    - **Event**: released
    - **Session**: goldenfocus-claude-001
    - **Duration**: 2h 30min

``parse_entries`` reads every field back (``gatebot audit``, SPEC §12). Pure. An entry
is a heading and one line per field, written by ``render_entry`` itself: every landing
writes one, and a template engine would cost a landing more time than writing it.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from types import MappingProxyType

from gatebot.core.board import (
    document_eol,
    ending,
    escape_title,
    field_name,
    headings,
    is_blank,
    single_line,
    split_lines,
    unescape_title,
)
from gatebot.core.printable import printable
from gatebot.errors import BoardError

EMOJI: Mapping[str, str] = MappingProxyType({
    "claimed": "🔒",
    "submitted": "📤",
    "approved": "✅",
    "rejected": "❌",
    "released": "✅",
    "merge-failed": "❌",
    "escalated": "🚨",
    "stale": "⚠️",
    "force-released": "🔓",
})
EVENTS = tuple(EMOJI)
_ITEM_RE = re.compile(
    r"- \*\*(?P<name>[^*\r\n]+?)(?P<inner>:?)\*\*(?P<outer>:?)[ \t]*(?P<value>.*?)[ \t]*\Z"
)
_TASK_RE = re.compile(r"#?(\d+)")
_DURATION_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(d|h|min|m|s)\b")
_UNITS = {"d": 86400, "h": 3600, "min": 60, "m": 60, "s": 1}


@dataclass(frozen=True)
class ArchiveEntry:
    """One archived event (SPEC §4.3): its ``title``, ``task`` number, ``event`` and fields.

    ``fields`` are the other ``- **Name**: value`` lines in order (Session, Started,
    Completed, Duration, Files, Status, Tests, Coverage, Reviewed by, Merge, Reason, Head).

    ``ValueError`` for an event not in ``EVENTS`` or a field named Task or Event.
    """

    title: str
    task: int
    event: str
    fields: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        """Check the event and the field names; freeze ``fields``."""
        if self.event not in EMOJI:
            raise ValueError(f"unknown archive event {self.event!r}; one of {', '.join(EVENTS)}")
        names = {field_name(name) for name in self.fields}
        if names & {"Task", "Event"}:
            raise ValueError("Task and Event are written from the entry itself, not its fields")
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    @property
    def emoji(self) -> str:
        """Return the heading's emoji for the event (✅ released, ❌ rejected, 🚨 ...)."""
        return EMOJI[self.event]

    def get(self, name: str, default: str = "") -> str:
        """Return field ``name``'s value, or ``default`` if the entry has none."""
        return self.fields.get(name, default)

    def field_list(self, name: str) -> list[str]:
        """Return field ``name`` split on commas (``Files``, ``Reviewed by``), empties dropped."""
        return [item.strip() for item in self.get(name).split(",") if item.strip()]

    def time(self, name: str) -> datetime.datetime | None:
        """Return field ``name`` (``Started``, ``Completed``) as an aware UTC datetime.

        None when absent or not ISO 8601 (``2025-11-01T10:00:00Z``, with or without ms).
        """
        try:
            moment = datetime.datetime.fromisoformat(self.get(name).replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)

    def seconds(self) -> float | None:
        """Return the ``Duration`` field in seconds, or None when absent or unreadable."""
        try:
            return parse_duration(self.get("Duration"))
        except ValueError:
            return None


def archive_path(day: datetime.date, root: str = "coordination/archive") -> str:
    """Return the archive file of ``day`` (the UTC date of the event): ``root/YYYY-MM-DD.md``."""
    return str(PurePosixPath(root) / f"{day.isoformat()}.md")


def tests_field(checks: Sequence[str], where: str = "") -> str:
    """The ``Tests`` value of an entry: which checks ran and passed, never more.

    ``checks`` are the rule ids that ran and passed (``checks.tests``…);
    ``where`` is added after them (``re-tested on the release tree``). With no
    check, says so: ``⚠️ no check ran``.
    """
    if not checks:
        return "⚠️ no check ran" + (f" ({where})" if where else "")
    return "✅ All pass (" + ", ".join(checks) + (f"; {where}" if where else "") + ")"


def format_duration(seconds: float) -> str:
    """Format seconds as the archive writes them: ``45min``, ``2h 30min``, ``3d 2h``.

    Rounded to the minute; the two largest units. ``ValueError`` if negative or not finite.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"not a duration: {seconds!r} seconds")
    days, rest = divmod(int((seconds + 30) // 60), 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}min" if minutes else f"{hours}h"
    return f"{minutes}min"


def parse_duration(text: str) -> float:
    """Read a duration such as ``2h 30min``, ``3d 2h`` or ``45min`` as seconds.

    ``ValueError`` if ``text`` is anything else.
    """
    parts = list(_DURATION_RE.finditer(text))
    if not parts or "".join(m[0] for m in parts).strip() != text.strip():
        raise ValueError(f"not a duration: {text!r}")
    return float(sum(float(m[1]) * _UNITS[m[2]] for m in parts))


def render_entry(entry: ArchiveEntry) -> str:
    """Render one entry in the SPEC §4.3 format, ending in a newline.

    Title, names and values are made single lines first, so none can forge an entry or field,
    and their control characters are written as escapes (``gatebot.core.printable``).
    """
    lines = [f"### {entry.emoji} {printable(escape_title(entry.title))}",
             f"- **Task**: #{entry.task}", f"- **Event**: {entry.event}"]
    for name, value in entry.fields.items():
        shown = printable(single_line(value))
        lines.append(f"- **{field_name(name)}**:{' ' + shown if shown else ''}")
    return "\n".join(lines) + "\n"


def append_entry(text: str | None, entry: ArchiveEntry, day: datetime.date) -> str:
    """Return the archive ``text`` with ``entry`` appended after a blank line.

    A new (None or empty) file starts ``# Archive YYYY-MM-DD``; existing bytes are kept,
    and the entry takes the file's line endings.
    """
    rendered = render_entry(entry)
    if not text:
        return f"# Archive {day.isoformat()}\n\n{rendered}"
    lines = split_lines(text)
    eol = document_eol(lines)
    text += "" if ending(lines[-1]) else eol
    text += "" if is_blank(lines[-1]) else eol
    return text + (rendered if eol == "\n" else rendered.replace("\n", eol))


def parse_entries(text: str, path: str = "archive") -> list[ArchiveEntry]:
    """Read every entry of an archive file, in file order (SPEC §4.3, §12).

    An entry is a level-3 heading followed by ``- **Name**: value`` lines; unknown fields
    are kept. Headings without both ``Task`` and ``Event`` are not gatebot's and are
    skipped; a ``Task`` that is not ``#N`` or an unknown ``Event`` is a ``BoardError``
    naming ``path:line``.
    """
    lines = split_lines(text)
    found = [h for h in headings(text) if h.level <= 3]
    entries = []
    for k, h in enumerate(found):
        end = found[k + 1].index if k + 1 < len(found) else len(lines)
        entry = _entry(lines, h.index, end, path) if h.level == 3 else None
        entries += [entry] if entry else []
    return entries


def _items(lines: list[str], start: int, end: int) -> dict[str, tuple[str, int]]:
    """Map each field name of ``lines[start:end]`` to its value and 1-based line (first wins)."""
    items: dict[str, tuple[str, int]] = {}
    for i in range(start, end):
        m = _ITEM_RE.match(lines[i].rstrip("\r\n"))
        if m and bool(m["inner"]) != bool(m["outer"]):
            items.setdefault(m["name"].strip(), (m["value"], i + 1))
    return items


def _entry(lines: list[str], start: int, end: int, path: str) -> ArchiveEntry | None:
    items = _items(lines, start + 1, end)
    if "Task" not in items or "Event" not in items:
        return None
    (task, task_line), (event, event_line) = items.pop("Task"), items.pop("Event")
    number = _TASK_RE.fullmatch(task)
    if number is None:
        raise BoardError(f"{path}:{task_line}: the Task is {task!r}, not #N",
                         "Fix the entry by hand: the Task field reads like '#12'.")
    if event not in EMOJI:
        raise BoardError(f"{path}:{event_line}: unknown event {event!r}",
                         f"Fix the entry by hand; events are {', '.join(EVENTS)}.")
    fields = {name: value for name, (value, _line) in items.items()}
    return ArchiveEntry(_title(lines[start]), int(number[1]), event, fields)


def _title(line: str) -> str:
    """Return the title of an entry heading: after ``###`` and the event emoji, if any."""
    body = line.removeprefix("\ufeff").strip().lstrip("#").strip()
    first, _, rest = body.partition(" ")
    return unescape_title(rest.strip() if first and not any(c.isalnum() for c in first) else body)
