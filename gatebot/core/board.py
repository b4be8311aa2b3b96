r"""The TODO.md board of SPEC §4.1: parse, transition, render — pure and byte-preserving.

A board is kept as its original lines, each with its own ending (``\r\n``, ``\n``
or ``\r``, the line breaks Markdown knows). markdown-it-py finds the top-level ATX
headings — so ``### #9`` inside a code fence, an HTML block or a quote is text — and
every edit replaces, inserts or moves whole lines, so ``Board.parse(t).render() == t``
and bytes gatebot does not mean to change survive (BOM, CRLF, no final newline, tabs,
trailing spaces, emoji). After every edit the result is parsed again and checked.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

from gatebot.errors import BoardError

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
_TASK_RE = re.compile(r"#(\d+)(?:\s+(.*))?\Z", re.DOTALL)
_FIELD_RE = re.compile(
    r"\*\*(?P<name>[^*\r\n]+?)(?P<inner>:?)\*\*(?P<outer>:?)[ \t]*(?P<value>.*?)[ \t]*\Z"
)
_BREAKS_RE = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_NONE_VALUES = frozenset({"", "none", "none yet"})
_NO_FIELDS: Mapping[str, str] = MappingProxyType({})


class Stage(enum.StrEnum):
    """The lifecycle stages of SPEC §2, in order; the value is the section name."""

    READY = "READY"
    IN_PROGRESS = "IN-PROGRESS"
    REVIEW = "REVIEW"
    RDY_FOR_PROD = "RDY FOR PROD"
    RELEASED = "RELEASED"


_STAGE_NAMES = {
    "READY": Stage.READY,
    "IN PROGRESS": Stage.IN_PROGRESS,
    "REVIEW": Stage.REVIEW,
    "RDY FOR PROD": Stage.RDY_FOR_PROD,
    "READY FOR PROD": Stage.RDY_FOR_PROD,
    "RELEASED": Stage.RELEASED,
}
_ORDER = tuple(Stage)


def stage_of_heading(text: str) -> Stage | None:
    """Return the stage a section heading names, or None (SPEC §4.1).

    Emoji and punctuation are dropped and case ignored: ``"🟢 READY"``, ``"In Progress"``,
    ``"READY FOR PROD"`` and ``"✅ RDY FOR PROD:"`` all name a stage.
    """
    words = "".join(c if c.isalnum() else " " for c in text).split()
    return _STAGE_NAMES.get(" ".join(words).upper())


def single_line(text: str) -> str:
    """Make ``text`` one line: every line break becomes a space; the ends are stripped.

    Titles and field values are written after a prefix (``### #N ``, ``**Name**: ``),
    so once on one line they can never forge a task or a field (SPEC §4.1).
    """
    return _BREAKS_RE.sub(" ", text).strip()


def sanitize_inline(text: str) -> str:
    r"""Make ``text`` safe even at the start of a Markdown line (SPEC §4.1, §9).

    It is ``single_line(text)`` with a leading ``#`` escaped as ``\#``.
    """
    flat = single_line(text)
    return "\\" + flat if flat.startswith("#") else flat


def escape_title(title: str) -> str:
    r"""``title`` as it is written after ``### #N ``: one line, each ``#`` escaped as ``\#``.

    An escaped ``#`` can neither close the heading (``C# parser ##`` would lose
    ``##``) nor start a forged one; ``unescape_title`` gives ``single_line(title)`` back.
    """
    return single_line(title).replace("#", "\\#")


def unescape_title(text: str) -> str:
    r"""The title a heading's text stands for: every ``\#`` read as ``#`` (see ``escape_title``).

    Exact inverse of ``escape_title`` (each ``#`` it writes follows the ``\`` it
    added), and a hand-written ``C\# parser`` reads as Markdown shows it.
    """
    return text.replace("\\#", "#")


def title_problem(title: str) -> str | None:
    """Why ``title`` cannot be a task title, or None: empty, not UTF-8, or a control character.

    Text that is not UTF-8 arrives from the command line with its bytes kept as
    lone surrogates; TODO.md is UTF-8, so such a title would break every later
    read of the board. Control characters other than tabs and line breaks
    (which become spaces) would not read back (NUL) or would drive a terminal
    (escape sequences).
    """
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:
        return "the title is not valid UTF-8 text"
    flat = single_line(title)
    if not flat:
        return "the title is empty"
    control = next((c for c in flat if unicodedata.category(c) == "Cc" and c != "\t"), None)
    if control is not None:
        return f"the title holds the control character U+{ord(control):04X}"
    return None


def split_lines(text: str) -> list[str]:
    r"""Cut ``text`` after each ``\r\n``, ``\n`` or ``\r`` (as Markdown does), keeping endings."""
    lines = _LINE_RE.findall(text)
    rest = text[sum(map(len, lines)) :]
    return [*lines, rest] if rest else lines


def ending(line: str) -> str:
    """Return the line break ending ``line`` (``""`` for a last line without one)."""
    if line.endswith("\r\n"):
        return "\r\n"
    return line[-1] if line[-1:] in ("\n", "\r") else ""


def is_blank(line: str) -> bool:
    """Tell whether ``line`` holds nothing but spaces and tabs (a Markdown blank line)."""
    return not line.strip(" \t\r\n")


def document_eol(lines: Sequence[str]) -> str:
    r"""Return the first line ending of ``lines`` (``\n`` if none has one)."""
    return next((ending(line) for line in lines if ending(line)), "\n")


@dataclass(frozen=True)
class Heading:
    """A top-level ATX heading: ``level`` 1 to 6, 0-based line ``index``, content ``text``."""

    level: int
    index: int
    text: str


def headings(text: str) -> list[Heading]:
    """Return the top-level ATX headings of ``text`` (none from fences, quotes, lists).

    CommonMark decides (markdown-it-py); a board written as gatebot writes it
    (headings, ``**Field**: value`` lines, ``- `` items, blank lines) is read
    by ``plain_headings`` instead, which gives the same headings without
    loading a Markdown parser.
    """
    text = text[1:] if text.startswith("\ufeff") else text
    plain = plain_headings(text)
    if plain is not None:
        return plain
    tokens = _markdown().parse(text)
    found = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.level == 0 and tok.markup.startswith("#"):
            assert tok.map is not None  # noqa: S101 - block tokens always carry a map
            found.append(Heading(int(tok.tag[1:]), tok.map[0], tokens[i + 1].content))
    return found


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt  # noqa: PLC0415 - only for boards plain_headings leaves

    return MarkdownIt("commonmark")


_NEWLINE_RE = re.compile(r"\r\n?|\n")
_ORDERED_RE = re.compile(r"[0-9]{1,9}[.)](?:[ \t]|\Z)")
_BLOCK_START = frozenset(" \t#>-+*_=~`<[|\\")
_MD_TRIM = ("\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
            "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""The characters CommonMark trims from a heading's text (markdown-it's ``MD_TRIM_CHARS``)."""


def plain_headings(text: str) -> list[Heading] | None:
    """The top-level ATX headings of ``text`` when every line is plain, else None.

    A plain line is blank, an ATX heading (``#`` to ``######`` and a space), or
    text that cannot open a block of its own: not indented, and not starting
    like a quote, fence, HTML, thematic break, setext underline, link
    definition or list — except ``- ``, ``* `` or ``+ `` before such text.
    In such a document every heading line is a top-level heading, as
    CommonMark reads it (tests/core/test_board_headings.py compares the two on
    generated documents); for anything else None says: ask a Markdown parser.
    """
    if "\0" in text:  # CommonMark reads NUL as U+FFFD
        return None
    found = []
    for index, line in enumerate(_NEWLINE_RE.split(text)):
        if not line.strip(" \t"):
            continue
        if line[0] == "#":
            heading = _atx(line, index)
            if heading is None:
                return None
            found.append(heading)
            continue
        if not _plain_text(line[2:] if line[:2] in ("- ", "* ", "+ ") else line):
            return None
    return found


def _plain_text(line: str) -> bool:
    """Whether ``line`` can only be paragraph text (it opens no block of its own)."""
    if not line:
        return False
    if line[0] in _BLOCK_START:
        return line.startswith("**") and line[2:3] not in ("", " ", "\t", "*")
    return _ORDERED_RE.match(line) is None


def _atx(line: str, index: int) -> Heading | None:
    """The ATX heading ``line`` (markdown-it's rule); None when it is no heading."""
    level = len(line) - len(line.lstrip("#"))
    if level > 6 or line[level:level + 1] not in ("", " ", "\t"):
        return None
    end = len(line)
    while end > level and line[end - 1] in " \t":
        end -= 1
    closing = end
    while closing > level and line[closing - 1] == "#":
        closing -= 1
    if closing > level and line[closing - 1] in " \t":
        end = closing
    return Heading(level, index, line[level:end].strip(_MD_TRIM))


@dataclass(frozen=True)
class Task:
    """One ``### #N Title`` block of TODO.md (SPEC §4.1).

    ``stage`` is None in a level-2 section that is not a stage; ``fields`` are the
    ``**Field**: value`` lines right after the heading, in order; ``line`` is the
    1-based heading line and ``end_line`` the block's last non-blank line.
    """

    number: int
    title: str
    stage: Stage | None
    fields: Mapping[str, str] = field(default_factory=lambda: _NO_FIELDS, hash=False)
    line: int = 0
    end_line: int = 0

    @property
    def critical(self) -> bool:
        """An emergency task: ``🚨 CRITICAL`` in the title or ``**Priority**: critical``."""
        priority = self.fields.get("Priority", "").strip().casefold()
        return "🚨 CRITICAL" in self.title or priority == "critical"

    @property
    def bug(self) -> bool:
        """A bug: ``🐛`` in the title."""
        return "🐛" in self.title

    def field_list(self, name: str) -> list[str]:
        """Field ``name`` split on commas, a trailing `` ✅`` dropped from each item.

        An absent field, an empty value, ``None`` and ``None yet`` give ``[]``.
        """
        items = (item.strip().removesuffix("✅").strip() for item in self.get(name).split(","))
        return [item for item in items if item.casefold() not in _NONE_VALUES]

    def get(self, name: str, default: str = "") -> str:
        """Return field ``name``'s value, or ``default`` if the task has no such line."""
        return self.fields.get(name, default)


@dataclass(frozen=True)
class Section:
    """A level-2 section: heading ``title``, its ``stage`` (or None), 1-based ``line``."""

    title: str
    stage: Stage | None
    line: int
    start: int = field(repr=False, default=0)
    end: int = field(repr=False, default=0)


@dataclass(frozen=True)
class _Block:
    """Where a task lives: heading, core end, block end, field lines, next field slot."""

    task: Task
    start: int
    core_end: int
    end: int
    field_index: Mapping[str, int] = field(hash=False)
    fields_end: int


def field_match(line: str) -> re.Match[str] | None:
    """Match ``**Name**: value`` (or ``**Name:** value``) against one line."""
    m = _FIELD_RE.match(line.rstrip("\r\n"))
    return m if m and bool(m["inner"]) != bool(m["outer"]) else None


def field_line(name: str, value: str, eol: str) -> str:
    """Build the field line ``**name**: value`` ending in ``eol`` (value sanitized)."""
    return f"**{name}**: {value}{eol}" if value else f"**{name}**:{eol}"


def replace_value(line: str, value: str) -> str:
    """``line`` (a field line) with its value replaced; spacing and ending kept."""
    m = field_match(line)
    if m is None:
        raise ValueError(f"not a field line: {line!r}")
    head = line[: m.start("value")]
    if value and not head.endswith((" ", "\t")):
        head += " "
    return head + value + line[m.end("value") :]


def field_name(name: str) -> str:
    """Return ``name`` checked as a field name: one line, no ``*``, no final ``:`` (ValueError)."""
    clean = single_line(name)
    if not clean or "*" in clean or clean.endswith(":") or clean != name.strip():
        raise ValueError(f"not a usable field name: {name!r}")
    return clean


def _next_end(found: Sequence[Heading], k: int, level: int, n: int) -> int:
    return next((h.index for h in found[k + 1 :] if h.level <= level), n)


def _scan_fields(
    lines: Sequence[str], start: int, stop: int, where: str
) -> tuple[dict[str, int], int]:
    """Index the field lines right after heading ``start`` (blank lines may come first)."""
    i = start + 1
    while i < stop and is_blank(lines[i]):
        i += 1
    index: dict[str, int] = {}
    fields_end = start + 1
    while i < stop and (m := field_match(lines[i])):
        name = m["name"].strip()
        if name in index:
            raise BoardError(
                f"{where}:{i + 1}: the field '{name}' appears twice (lines {index[name] + 1}"
                f" and {i + 1})",
                "Keep one of the two lines; gatebot will not guess which one is true.",
            )
        index[name] = i
        i += 1
        fields_end = i
    return index, fields_end


def _block(
    lines: Sequence[str], h: Heading, m: re.Match[str], section: Section | None, *, end: int,
    path: str,
) -> _Block:
    number = int(m[1])
    if section is None:
        raise BoardError(
            f"{path}:{h.index + 1}: task #{number} is not inside a level-2 section",
            "Put every task under a section heading such as '## READY'.",
        )
    core_end = end
    while core_end > h.index + 1 and is_blank(lines[core_end - 1]):
        core_end -= 1
    index, fields_end = _scan_fields(lines, h.index, core_end, path)
    values = {name: _value(lines[i]) for name, i in index.items()}
    task = Task(number, unescape_title(m[2] or ""), section.stage, MappingProxyType(values),
                h.index + 1, core_end)
    return _Block(task, h.index, core_end, end, MappingProxyType(index), fields_end)


def _value(line: str) -> str:
    m = field_match(line)
    return m["value"] if m else ""


def _check_unique(blocks: Sequence[_Block], path: str) -> None:
    seen: dict[int, int] = {}
    for b in blocks:
        first = seen.setdefault(b.task.number, b.task.line)
        if first != b.task.line:
            raise BoardError(
                f"{path}:{b.task.line}: task #{b.task.number} appears twice"
                f" (lines {first} and {b.task.line})",
                "Give one of them a new number; task numbers are unique.",
            )


def _parse(text: str, lines: Sequence[str], path: str) -> tuple[list[Section], list[_Block]]:
    found = headings(text)
    sections: list[Section] = []
    blocks: list[_Block] = []
    current: Section | None = None
    for k, h in enumerate(found):
        if h.level <= 2:
            end = _next_end(found, k, 2, len(lines))
            current = Section(h.text, stage_of_heading(h.text), h.index + 1, h.index, end)
            current = current if h.level == 2 else None
            sections += [current] if current else []
        elif h.level == 3 and (m := _TASK_RE.match(h.text)):
            end = _next_end(found, k, 3, len(lines))
            blocks.append(_block(lines, h, m, current, end=end, path=path))
    _check_unique(blocks, path)
    return sections, blocks


def _last_content(lines: Sequence[str], start: int, end: int) -> int:
    """Return the index of the last non-blank line in ``lines[start:end]``, else ``start``."""
    return next((i for i in range(end - 1, start, -1) if not is_blank(lines[i])), start)


def _cut(lines: list[str], block: _Block) -> None:
    """Delete ``block`` and one of the blank runs around it (the one after, when both exist)."""
    start, stop = block.start, block.core_end
    before = start
    while before > 0 and is_blank(lines[before - 1]):
        before -= 1
    if before < start:
        stop = block.end
    if block.core_end == block.end == len(lines):
        start = before
    del lines[start:stop]


def _rank(section: Section) -> int:
    return _ORDER.index(section.stage) if section.stage else -1


def _add_section(
    lines: list[str], eol: str, sections: Sequence[Section], stage: Stage, block: list[str]
) -> None:
    """Insert ``## STAGE`` with ``block`` after the nearest earlier stage, else before a later."""
    new = [f"## {stage.value}{eol}", eol, *block]
    rank = _ORDER.index(stage)
    earlier = [s for s in sections if 0 <= _rank(s) < rank]
    later = [s for s in sections if _rank(s) > rank]
    if earlier:
        s = max(earlier, key=lambda s: (_rank(s), s.start))
        p = _last_content(lines, s.start, s.end) + 1
        lines[p:p] = [eol, *new]
    elif later:
        h = min(later, key=lambda s: (_rank(s), s.start)).start
        lead = [eol] if h > 0 and not is_blank(lines[h - 1]) else []
        lines[h:h] = [*lead, *new, eol]
    else:
        lines += [eol] if lines and not is_blank(lines[-1]) else []
        lines += new


def _summary(board: Board, skip: int) -> dict[int, tuple[str, Stage | None, dict[str, str]]]:
    return {t.number: (t.title, t.stage, dict(t.fields)) for t in board.tasks if t.number != skip}


@dataclass(frozen=True)
class Board:
    """TODO.md as lines plus its sections and tasks (SPEC §4.1); edits return a new Board.

    Build one with ``Board.parse``. Errors are ``BoardError`` whose message starts with
    ``"<path>:<line>: "``; nothing is guessed.
    """

    path: str
    lines: tuple[str, ...]
    sections: tuple[Section, ...] = field(default=(), compare=False, repr=False)
    blocks: tuple[_Block, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def parse(cls, text: str, path: str = "TODO.md") -> Board:
        """Parse ``text``; ``BoardError`` for a task outside a level-2 section or a repeat.

        Repeats are two tasks with one number, or one field twice in a task.
        """
        lines = split_lines(text)
        sections, blocks = _parse(text, lines, path)
        return cls(path, tuple(lines), tuple(sections), tuple(blocks))

    def render(self) -> str:
        """Return the text: exactly what was parsed, plus the edits made since."""
        return "".join(self.lines)

    @property
    def tasks(self) -> tuple[Task, ...]:
        """Every task, in file order."""
        return tuple(b.task for b in self.blocks)

    def task(self, number: int) -> Task:
        """Task ``#number``; ``BoardError`` if the board has none."""
        return self._block(number).task

    def set_fields(self, number: int, fields: Mapping[str, str]) -> Board:
        """Set ``fields`` of task ``#number`` in place; ``BoardError`` if no such task.

        Values go through ``single_line``; a new field follows the last field line.
        """
        block = self._block(number)
        core = self._core_with(block, fields)

        def change(lines: list[str], _eol: str) -> None:
            lines[block.start : block.core_end] = core

        return self._edit(change)._verified(self, number, block.task.stage, fields)

    def move(self, number: int, stage: Stage, fields: Mapping[str, str] = _NO_FIELDS) -> Board:
        """Move task ``#number`` to the end of ``stage``'s section, setting ``fields``.

        SPEC §4.1. ``## STAGE`` is created if absent; a task already there keeps its place.
        """
        block = self._block(number)
        if block.task.stage is stage:
            return self.set_fields(number, fields)
        self._target(stage)
        core = self._core_with(block, fields)
        without = self._edit(lambda lines, _eol: _cut(lines, block))
        return without._insert(stage, core)._verified(self, number, stage, fields)

    def add_task(
        self, title: str, fields: Mapping[str, str], stage: Stage = Stage.READY, *,
        used: int = 0, number: int | None = None,
    ) -> tuple[Board, int]:
        """Add ``### #N title`` with ``fields`` at the end of ``stage``; return it and N.

        N is ``number`` when given (a GitHub issue's number; ``BoardError`` when
        the board has it already), else one more than the highest number on the
        board or ``used`` (the highest ever used, from the board's history), so
        numbers never repeat. The title is written with ``escape_title`` and must
        read back as ``single_line(title)``; ``BoardError`` otherwise.
        """
        if number is not None and any(t.number == number for t in self.tasks):
            raise BoardError(f"{self.path}: task #{number} is on the board already",
                             "move it instead of adding it")
        if number is None:
            number = max([t.number for t in self.tasks] + [used], default=0) + 1
        eol = document_eol(self.lines)
        head = f"### #{number} {escape_title(title)}".rstrip() + eol
        core = [head, *(field_line(field_name(k), single_line(v), eol)
                        for k, v in fields.items())]
        board = self._insert(stage, core)._verified(self, number, stage, fields)
        if board.task(number).title != single_line(title):
            raise BoardError(f"{self.path}:?: the title {title!r} would not read back as written",
                             "Choose a title without Markdown heading syntax.")
        return board, number

    def _block(self, number: int) -> _Block:
        for block in self.blocks:
            if block.task.number == number:
                return block
        raise BoardError(f"no task #{number} in {self.path}", self._numbers_hint())

    def _numbers_hint(self) -> str:
        """Which task numbers exist, for a number that names no task (at most 10 listed)."""
        tasks = [b.task for b in self.blocks]
        if not tasks:
            return f"{self.path} has no task yet; add one with `gatebot task add TITLE`"
        shown = ", ".join(f"#{t.number} ({t.stage or 'no stage'})" for t in tasks[:10])
        more = f" and {len(tasks) - 10} more" if len(tasks) > 10 else ""
        noun = "task" if len(tasks) == 1 else "tasks"
        return f"check the number; {self.path} has {len(tasks)} {noun}: {shown}{more}"

    def _core_with(self, block: _Block, fields: Mapping[str, str]) -> list[str]:
        """Return the block's non-blank core with ``fields`` set, each line with a break."""
        core = list(self.lines[block.start : block.core_end])
        eol = ending(core[0]) or document_eol(self.lines)
        new: list[str] = []
        for name, value in fields.items():
            key, clean = field_name(name), single_line(value)
            if key in block.field_index:
                at = block.field_index[key] - block.start
                core[at] = replace_value(core[at], clean)
            else:
                new.append(field_line(key, clean, eol))
        at = block.fields_end - block.start
        core[at:at] = new
        return [line if ending(line) else line + eol for line in core]

    def _edit(self, change: Callable[[list[str], str], None]) -> Board:
        """Apply ``change`` to the lines and parse the result; a missing final break stays so."""
        lines = list(self.lines)
        eol = document_eol(lines)
        bom = "\ufeff" if lines and lines[0].startswith("\ufeff") else ""
        missing = bool(lines) and not ending(lines[-1])
        if missing:
            lines[-1] += eol
        lines[:1] = [lines[0].removeprefix(bom)] if lines else []
        change(lines, eol)
        if missing and lines:
            lines[-1] = lines[-1][: len(lines[-1]) - len(ending(lines[-1]))]
        return Board.parse(bom + "".join(lines), self.path)

    def _target(self, stage: Stage) -> Section | None:
        """Return ``stage``'s section (None if absent); ``BoardError`` if it has two."""
        targets = [s for s in self.sections if s.stage is stage]
        if len(targets) > 1:
            raise BoardError(
                f"{self.path}:{targets[1].line}: two sections for {stage.value}"
                f" (lines {targets[0].line} and {targets[1].line})",
                "Merge them into one section; gatebot will not guess where a task belongs.",
            )
        return targets[0] if targets else None

    def _insert(self, stage: Stage, core: list[str]) -> Board:
        s = self._target(stage)
        if s is None:
            return self._edit(lambda lines, eol: _add_section(
                lines, eol, self.sections, stage, core))

        def change(lines: list[str], eol: str) -> None:
            p = _last_content(lines, s.start, s.end) + 1
            lines[p:p] = [eol, *core]

        return self._edit(change)

    def _verified(
        self, before: Board, number: int, stage: Stage | None, fields: Mapping[str, str]
    ) -> Board:
        """``self`` if it is ``before`` with only task ``#number`` changed as asked."""
        task = next((t for t in self.tasks if t.number == number), None)
        ok = (
            task is not None
            and task.stage is stage
            and all(task.get(field_name(k), "\0") == single_line(v)
                    for k, v in fields.items())
            and _summary(self, number) == _summary(before, number)
            and len(self.sections) - len(before.sections) in (0, 1)
        )
        if not ok:
            line = next((str(t.line) for t in before.tasks if t.number == number), "?")
            raise BoardError(
                f"{before.path}:{line}: writing task #{number} would change other parts of"
                " the board (an unclosed code fence or HTML block?)",
                "Close the code fence or HTML block in that task, or fix the board by hand.",
            )
        return self
