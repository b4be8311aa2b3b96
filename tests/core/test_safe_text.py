"""Redaction of secret shapes and escaping of control characters (pure, table-driven)."""

from __future__ import annotations

import pytest

from gatebot.core.safe_text import Redactor, bounded_message, escape_controls

TOKEN_BODY = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


@pytest.mark.parametrize(("text", "expected"), [
    (f"token ghp_{TOKEN_BODY} here", "token [redacted] here"),
    (f"gho_{TOKEN_BODY} ghu_{TOKEN_BODY} ghs_{TOKEN_BODY} ghr_{TOKEN_BODY}",
     "[redacted] [redacted] [redacted] [redacted]"),
    (f"github_pat_11ABC_{TOKEN_BODY}", "[redacted]"),
    ("ghp_short is no token", "ghp_short is no token"),
    ("Authorization: Bearer abc.def\nnext", "Authorization: [redacted]\nnext"),
    ("> proxy-authorization:Basic dXNlcjpw", "> proxy-authorization:[redacted]"),
    ("git clone https://x-access-token:s3cret@github.com/o/r",
     "git clone https://[redacted]@github.com/o/r"),
    ("ssh://git@github.com/o/r and https://github.com/o/r",
     "ssh://git@github.com/o/r and https://github.com/o/r"),
])
def test_shapes_are_redacted(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_values_are_redacted_longest_first_and_short_ones_kept() -> None:
    redactor = Redactor(["value-123", "value-1234567", "true"])
    assert redactor.redact("value-1234567 value-123 true") == "[redacted] [redacted] true"
    assert redactor.redact_bytes(b"\xff value-123 \xfe") == b"\xff [redacted] \xfe"


@pytest.mark.parametrize(("text", "expected"), [
    ("plain – ünïcode ✓", "plain – ünïcode ✓"),
    ("a\nb\r\n\tc", "a\\nb\\r\\n\\tc"),
    ("\x1b[31mred\x1b[0m\x07\x7f\x85", "\\x1b[31mred\\x1b[0m\\x07\\x7f\\x85"),
    ("abc\u202edcba\u2028", "abc\\u202edcba\\u2028"),
    ("\n::error::forged", "\\n::error::forged"),
])
def test_control_characters_are_escaped(text: str, expected: str) -> None:
    assert escape_controls(text) == expected


def test_a_bounded_message_is_whole_when_it_fits_else_head_and_tail() -> None:
    assert bounded_message("  remote: one   \nremote: two\n\n") == "remote: one\\nremote: two"
    long = "start " + "x" * 5000 + " the end"
    cut = bounded_message(long, limit=200)
    assert cut.startswith("start xxx")
    assert cut.endswith("x the end")
    assert "(4814 characters left out)" in cut
    assert len(cut) < 260
    assert bounded_message(f"ghp_{TOKEN_BODY}") == "[redacted]"
