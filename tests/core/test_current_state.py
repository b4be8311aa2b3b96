"""CURRENT_STATE.md: release lines under ``## Recently Merged``, newest first (SPEC §4.2)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatebot.core.current_state import add_release, release_line

EXAMPLE = (Path(__file__).parent.parent / "fixtures" / "boards" / "CURRENT_STATE.md").read_text(
    encoding="utf-8")
DAY = datetime.date(2025, 11, 1)
LINE = "- 2025-11-01 #1 Build conversation state machine — PR #12, merge abc1234"


@pytest.mark.parametrize(("pr", "sha", "expected"), [
    ("#12", "abc1234", LINE),
    ("12", "abc1234def5678", LINE),
    (None, "abc1234", "- 2025-11-01 #1 Build conversation state machine — merge abc1234"),
    ("", "abc1234", "- 2025-11-01 #1 Build conversation state machine — merge abc1234"),
    ("https://x/pull/12", "abc", "- 2025-11-01 #1 Build conversation state machine — "
                                 "PR https://x/pull/12, merge abc"),
])
def test_release_line(pr, sha, expected):
    assert release_line(DAY, 1, "Build conversation state machine", pr, sha) == expected


def test_release_line_keeps_user_text_on_one_line():
    line = release_line(DAY, 3, "Evil\n## Recently Merged\n- fake", "1\n2", "abc")
    assert "\n" not in line
    assert line == "- 2025-11-01 #3 Evil ## Recently Merged - fake — PR 1 2, merge abc"


def test_newest_first_in_the_example():
    once = add_release(EXAMPLE, LINE)
    assert once == EXAMPLE.replace("## Recently Merged\n\n", f"## Recently Merged\n\n{LINE}\n")
    newer = LINE.replace("2025-11-01 #1", "2025-11-02 #4")
    twice = add_release(once, newer)
    lines = twice.splitlines()
    start = lines.index("## Recently Merged")
    assert lines[start + 2 : start + 5] == [newer, LINE, lines[start + 4]]
    assert lines[start + 4].startswith("- 2025-10-31 #0")


@pytest.mark.parametrize(("text", "expected"), [
    (None, f"# Current State\n\n## Recently Merged\n\n{LINE}\n"),
    ("", f"## Recently Merged\n\n{LINE}\n"),
    ("# X\n\nHello", f"# X\n\nHello\n\n## Recently Merged\n\n{LINE}\n"),
    ("# X\r\n", f"# X\r\n\r\n## Recently Merged\r\n\r\n{LINE}\r\n"),
    ("## Recently Merged", f"## Recently Merged\n\n{LINE}\n"),
    ("## Recently Merged\n## Next\n", f"## Recently Merged\n\n{LINE}\n\n## Next\n"),
    ("## 🚀 Recently merged:\nNewest first.\n\n## Next",
     f"## 🚀 Recently merged:\nNewest first.\n\n{LINE}\n\n## Next"),
    ("\ufeff## Recently Merged\r\n\r\n- old", f"\ufeff## Recently Merged\r\n\r\n{LINE}\r\n- old"),
    ("```\n## Recently Merged\n```\n", f"```\n## Recently Merged\n```\n\n## Recently Merged\n\n{LINE}\n"),
])
def test_section_and_file_creation(text, expected):
    assert add_release(text, LINE) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["# T", "", "text  ", "\t- item", "## Other", "- x"]), max_size=8),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_only_the_new_line_is_added_to_an_existing_section(parts, eol, final):
    text = eol.join(["# Current State", "", "## Recently Merged", "", "- 2025-10-31 #0 old", *parts])
    text += eol if final else ""
    after = add_release(text, LINE)
    assert after.replace(LINE + eol, "", 1) == text
    assert after.index(LINE) < after.index("#0 old")
