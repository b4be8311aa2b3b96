"""CURRENT_STATE.md (SPEC §4.2): one line per release under ``## Recently Merged``, newest first.

Pure text in, text out; every byte other than the new line (and the section and
separators it needs) is kept.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence

from gatebot.core.board import (
    Heading,
    document_eol,
    ending,
    headings,
    is_blank,
    single_line,
    split_lines,
)

SECTION = "Recently Merged"
NEW_FILE = "# Current State\n\n"
_ITEM_RE = re.compile(r" {0,3}[-*+][ \t]")


def release_line(
    date: datetime.date, number: int, title: str, pr: str | None, merge_sha: str
) -> str:
    """Return ``- 2025-11-01 #1 Title — PR #12, merge abc1234`` (SPEC §4.2).

    The SHA is shortened to 7 characters; a bare PR number gets its ``#``; without a PR
    the part is left out: ``- 2025-11-01 #1 Title — merge abc1234``.
    """
    pr_text = single_line(pr or "")
    pr_text = f"#{pr_text}" if pr_text.isdigit() else pr_text
    pr_part = f"PR {pr_text}, " if pr_text else ""
    sha = single_line(merge_sha)[:7]
    return f"- {date.isoformat()} #{number} {single_line(title)} — {pr_part}merge {sha}"


def _is_section(heading: Heading) -> bool:
    words = "".join(c if c.isalnum() else " " for c in heading.text).split()
    return heading.level == 2 and " ".join(words).casefold() == SECTION.casefold()


def _section(found: Sequence[Heading], count: int) -> tuple[int, int] | None:
    """Return the first ``## Recently Merged`` section as (heading index, end), or None."""
    for k, h in enumerate(found):
        if _is_section(h):
            end = next((n.index for n in found[k + 1 :] if n.level <= 2), count)
            return h.index, end
    return None


def _insert(lines: list[str], start: int, end: int, entry: str, eol: str) -> None:
    """Put ``entry`` first in the section's list, or start the list after its last text."""
    first_item = next((i for i in range(start + 1, end) if _ITEM_RE.match(lines[i])), None)
    if first_item is not None:
        lines.insert(first_item, entry + eol)
        return
    last = next((i for i in range(end - 1, start, -1) if not is_blank(lines[i])), start)
    after = [eol] if last + 1 < len(lines) and not is_blank(lines[last + 1]) else []
    lines[last + 1 : last + 1] = [eol, entry + eol, *after]


def add_release(text: str | None, line: str) -> str:
    """Return CURRENT_STATE.md ``text`` with release ``line`` first under ``## Recently Merged``.

    The section is created at the end if absent, the file (``# Current State``) if
    ``text`` is None. Line endings follow the file's; a missing final newline stays missing
    unless the new line goes last.
    """
    text = NEW_FILE if text is None else text
    entry = single_line(line)
    lines = split_lines(text)
    eol = document_eol(lines)
    section = _section(headings(text), len(lines))
    if section is None:
        lead = "" if not lines or ending(lines[-1]) else eol
        lead += "" if not lines or is_blank(lines[-1]) else eol
        return f"{text}{lead}## {SECTION}{eol}{eol}{entry}{eol}"
    missing = not ending(lines[-1])
    lines[-1] += eol if missing else ""
    _insert(lines, *section, entry, eol)
    if missing and lines[-1] != entry + eol:
        lines[-1] = lines[-1].removesuffix(eol)
    return "".join(lines)
