r"""Claim commands written in an issue comment: ``/claim``, ``/release``, ``/heartbeat 40 note``.

Pure: a comment's body in, a typed command (or the reason there is none) out. The rules
(docs/commands.md, `gate`; docs/protocol.md, "Claims and heartbeats"):

- Only the first line that starts with ``/`` counts, outside code blocks, fenced code and HTML
  blocks (Markdown's structure, read with markdown-it-py), so a quoted (``> /claim``) or
  indented command is not one. Lines end at ``\n``; a ``\r`` before it is dropped.
- Verbs are case-sensitive and end at a blank, a control character or the line's end:
  ``/Claim`` and ``/claimed`` are not commands, so that comment is ignored (``Ignored``).
- ``/claim`` and ``/release`` take no argument. ``/heartbeat [PERCENT] [NOTE]``: an optional
  progress in percent (``0``–``100``, ``40`` or ``40%``) as ``gatebot heartbeat --progress``
  takes it, then an optional note of at most ``NOTE_LIMIT`` characters.
- A command line holding a control character (C0, DEL, C1, line or paragraph separators,
  bidirectional controls) is refused (``Refusal``), never cleaned up and obeyed.

Who acted is never read from the body: it is the comment's author as GitHub reports it
(``gatebot.core.events``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, assert_never

from markdown_it import MarkdownIt

from gatebot.core.board import Stage

NOTE_LIMIT = 200
"""Characters a heartbeat's note may have (a note is one line shown in ``gatebot status``)."""
VERBS = ("/claim", "/release", "/heartbeat")

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_VERB_END = re.compile(r"\s|" + _CONTROL.pattern)
_SKIPPED_BLOCKS = frozenset({"fence", "code_block", "html_block", "blockquote_open"})
_PROGRESS = re.compile(r"(\d{1,3})%?")


@dataclass(frozen=True)
class Claim:
    """``/claim``: take the issue's task (READY → IN-PROGRESS)."""

    verb: Literal["/claim"] = "/claim"


@dataclass(frozen=True)
class Release:
    """``/release``: give the task back to READY (only its holder may)."""

    verb: Literal["/release"] = "/release"


@dataclass(frozen=True)
class Heartbeat:
    """``/heartbeat [PERCENT] [NOTE]``: progress in percent (0–100) and a one-line note."""

    progress: int | None = None
    note: str | None = None
    verb: Literal["/heartbeat"] = "/heartbeat"


Command = Claim | Release | Heartbeat


@dataclass(frozen=True)
class Ignored:
    """The comment holds no gatebot command (``reason`` says why); nothing happens."""

    reason: str


@dataclass(frozen=True)
class Refusal:
    """The comment names a command but its line cannot be obeyed; ``reason`` says how to fix it."""

    verb: str
    reason: str


def parse_command(body: str) -> Command | Ignored | Refusal:
    """The command of a comment ``body``: its first line starting with ``/``, parsed.

    Returns a ``Command``, ``Ignored`` (no such line, or an unknown verb) or a ``Refusal``
    (a known verb with arguments it does not take, a bad progress, a long note, a
    control character). Raises nothing.
    """
    line = first_command_line(body)
    if line is None:
        return Ignored("the comment holds no command (a line starting with /claim, "
                       "/release or /heartbeat)")
    end = _VERB_END.search(line)
    verb, rest = (line[:end.start()], line[end.start():]) if end else (line, "")
    if verb not in VERBS:
        return Ignored(f"{_shown(verb)} is not a gatebot command (/claim, /release, /heartbeat)")
    if _CONTROL.search(line):
        return Refusal(verb, "the command line holds a control character; write it again "
                             "as plain text")
    return _arguments(verb, rest.strip())


def first_command_line(body: str) -> str | None:
    r"""The first line of ``body`` that starts with ``/`` outside code and HTML blocks, or None.

    Lines are split at ``\n`` only (a ``\r`` before it is dropped, trailing blanks too),
    so a line separator inside a line stays in it and is refused later.
    """
    lines = [line.removesuffix("\r").rstrip(" ") for line in body.split("\n")]
    skipped = _skipped_lines(body)
    for number, line in enumerate(lines):
        if line.startswith("/") and number not in skipped:
            return line
    return None


def _skipped_lines(body: str) -> set[int]:
    """Line numbers (from 0) inside fenced code, indented code and HTML blocks."""
    if "/" not in body:
        return set()
    skipped: set[int] = set()
    for token in MarkdownIt("commonmark").parse(body.replace("\r", "")):
        if token.type in _SKIPPED_BLOCKS and token.map is not None:
            skipped.update(range(*token.map))
    return skipped


def _arguments(verb: str, rest: str) -> Command | Refusal:
    if verb == "/claim":
        return Claim() if not rest else Refusal(verb, "/claim takes no argument; write "
                                                      "/claim alone on its line")
    if verb == "/release":
        return Release() if not rest else Refusal(verb, "/release takes no argument; write "
                                                        "/release alone on its line")
    return _heartbeat(rest)


def _heartbeat(rest: str) -> Heartbeat | Refusal:
    first, _, after = rest.partition(" ")
    progress = None
    match = _PROGRESS.fullmatch(first)
    if match:
        progress, rest = int(match.group(1)), after.strip()
        if progress > 100:
            return Refusal("/heartbeat", f"progress {progress}% is over 100; write "
                                         "/heartbeat 40 NOTE for 40 %")
    if len(rest) > NOTE_LIMIT:
        return Refusal("/heartbeat", f"the note has {len(rest)} characters; keep it to "
                                     f"{NOTE_LIMIT} (one line)")
    return Heartbeat(progress=progress, note=rest or None)


def _shown(verb: str) -> str:
    """A verb as a message may quote it: control characters escaped, at most 40 characters."""
    escaped = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", verb)
    return escaped if len(escaped) <= 40 else escaped[:39] + "…"


def already_done(command: Command, actor: str, at: datetime, *, stage: Stage | None,
                 holders: Collection[str], heartbeat_last: datetime | None) -> str | None:
    """Why ``command`` by ``actor`` needs no write because it is recorded already, else None.

    Processing one event twice must write once: a ``/claim`` by a holder of the task
    (``holders``: its ``Assignee`` names, compared case-insensitively, as logins are); a
    ``/release`` of a task in READY that the actor holds no claim record on
    (``heartbeat_last`` None); a ``/heartbeat`` whose comment (made ``at``, UTC) is not newer
    than the actor's last heartbeat on the task.
    """
    mine = actor.casefold() in {holder.casefold() for holder in holders}
    match command:
        case Claim():
            held = stage is Stage.IN_PROGRESS and mine
            return f"{actor} holds this task already" if held else None
        case Release():
            free = stage is Stage.READY and heartbeat_last is None
            return "the task is in READY already: nothing to release" if free else None
        case Heartbeat():
            seen = heartbeat_last is not None and heartbeat_last >= at
            return f"{actor}'s claim has this heartbeat (or a newer one) already" if seen else None
        case _:
            assert_never(command)
