"""Text that is safe to log or show: known secret shapes redacted, control characters escaped.

Pure: no I/O. Used for check logs (the branch's own test code writes them) and for
messages a remote sends back (a refused push), which reach a terminal and the board.
The secret shapes are GitHub's token prefixes (``ghp_`` ``gho_`` ``ghu_`` ``ghs_``
``ghr_`` and ``github_pat_``, from GitHub's "About authentication" docs), the value of
an ``Authorization:`` or ``Proxy-Authorization:`` header, and the password of a URL's
``user:password@`` part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
MIN_SECRET_LEN = 6
"""Shorter values (``1``, ``true``) are not redacted: they would blot out ordinary text."""
MESSAGE_LIMIT = 2000
"""Characters kept of a message from elsewhere (a remote's refusal), after escaping."""

_SHAPES = (
    rb"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
    rb"(?i:\b(?:proxy-)?authorization[ \t]*:[ \t]*)(?P<header>[^\r\n]+)",
    rb"://(?P<userinfo>[^\s/@:]*:[^\s/@]*)@",
)
_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A)) | {0x2028, 0x2029}
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


class Redactor:
    """Replaces secrets in text with ``[redacted]``: the given values and the known shapes.

    ``values``: secret strings (e.g. the values of the variables taken out of a
    check's environment); those shorter than ``MIN_SECRET_LEN`` are ignored.
    Of a header or URL only the secret part is replaced, so the log stays readable.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        """Compile one pattern: the values (longest first), then the shapes."""
        wanted = {v.encode("utf-8", "surrogateescape") for v in values if len(v) >= MIN_SECRET_LEN}
        literal = [re.escape(v) for v in sorted(wanted, key=len, reverse=True)]
        self._pattern = re.compile(b"|".join([*literal, *_SHAPES]))

    def redact_bytes(self, data: bytes) -> bytes:
        """``data`` with every secret replaced (bytes in, bytes out; any encoding)."""
        return self._pattern.sub(self._replace, data)

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced."""
        data = text.encode("utf-8", "surrogateescape")
        return self.redact_bytes(data).decode("utf-8", "surrogateescape")

    @staticmethod
    def _replace(match: re.Match[bytes]) -> bytes:
        secret = REDACTED.encode()
        for group in ("header", "userinfo"):
            if match.group(group) is not None:
                whole, start = match.group(0), match.start(group) - match.start(0)
                return whole[:start] + secret + whole[start + len(match.group(group)):]
        return secret


def escape_controls(text: str) -> str:
    r"""``text`` on one line: newline → ``\n``, other control characters → ``\xNN``/``\uNNNN``.

    Escapes C0/C1 controls, DEL, line and paragraph separators and the bidirectional
    overrides, so text from elsewhere cannot move the cursor, recolour a terminal,
    start a new line (``::error::``) or reorder what is shown.
    """
    out = []
    for char in text:
        code = ord(char)
        if char in _NAMED:
            out.append(_NAMED[char])
        elif code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif code in _BIDI:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def bounded_message(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message from elsewhere, whole when it fits: redacted, escaped, at most ~``limit`` chars.

    Whitespace around it and at the ends of its lines (git pads a remote's lines)
    is dropped. A longer message keeps its first three quarters and its last
    quarter (a remote's reason often ends its output) with ``… (N characters
    left out) …`` between.
    """
    lines = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    safe = escape_controls(Redactor().redact(lines))
    if len(safe) <= limit:
        return safe
    head, tail = limit * 3 // 4, limit // 4
    return f"{safe[:head]} … ({len(safe) - head - tail} characters left out) … {safe[-tail:]}"
