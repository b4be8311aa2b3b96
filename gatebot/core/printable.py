r"""Control characters in user text, made visible before it reaches a terminal or a report.

A file name, branch or title may hold an escape sequence (``\x1b[31m``), a line
break that starts a forged line (``\n::error::``) or a bidirectional override.
``printable`` writes each such character as a Python-style escape instead.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str, keep: str = "") -> str:
    r"""``text`` with C0/C1 controls, DEL, line/paragraph separators and bidi controls escaped.

    ``"a\x1b[31m"`` → ``"a\\x1b[31m"``, ``"x\n"`` → ``"x\\n"``; characters in
    ``keep`` (e.g. ``"\r\n"`` for a medium with its own escaping) stay as they are.
    """
    if keep:
        return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)
    return _UNSAFE.sub(_escape, text)
