"""The plain-board reading of headings agrees with CommonMark wherever it answers.

``plain_headings`` reads a board without a Markdown parser (a landing never
loads one); it must give exactly markdown-it's top-level ATX headings, or
None to hand the document to markdown-it.
"""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from gatebot.core.board import Board, Heading, headings, plain_headings
from gatebot.core.current_state import add_release

PLAIN = [
    "# A", "## 🟢 READY", "### #7 Replay ##", "#", "## x #", "## a \\#", "##  spaced  ##  ",
    "#\tTab", "### ", "## ###", "#\u2003wide\u2003#", "## t\u00a0", "**Branch**: task/7",
    "**Built by**: ann", "text", "Setext", "2025-11-01 x", "10.x", "- item",
    "- 2025-11-01 #1 x — merge abc", "* **F**: v", "+ x", "\u00a0nbsp", "", "  ", "\t",
]
"""Lines of a board as gatebot writes it: read without a Markdown parser."""
OTHER = [
    "####### seven", "#tag", " # indented", "    # code", "1. item", "1) item", "-", "- ",
    "-  two", "---", "***", "___", "===", "> quote", "```", "~~~", "<div>", "<!-- c -->",
    "[a]: /u", "\tcode", "  two spaces", "* * *", "- # in list", "- ```", "|t|", "\\# esc",
    "**", "** x", "**\u00a0x", "x\0y", "2. two", "- 1. nested", "-\ttab", "1. # in ordered",
    "3) # x", "* # star", "[a]:", "<pre>", "```python", "~~~~", "- > q",
]
"""Lines that may open a block: each is tried among plain lines."""
MARKDOWN = MarkdownIt("commonmark")


def commonmark(text: str) -> list[Heading]:
    tokens = MARKDOWN.parse(text)
    return [Heading(int(t.tag[1:]), t.map[0], tokens[i + 1].content)
            for i, t in enumerate(tokens)
            if t.type == "heading_open" and t.level == 0 and t.markup.startswith("#")
            and t.map is not None]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(PLAIN), max_size=10), st.lists(st.sampled_from(OTHER), max_size=2),
       st.randoms(use_true_random=False), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_plain_headings_are_commonmarks_whenever_it_answers(
        lines: list[str], other: list[str], rng: random.Random, eol: str, last_eol: bool) -> None:
    for line in other:
        lines.insert(rng.randint(0, len(lines)), line)
    text = eol.join(lines) + (eol if last_eol else "")
    plain = plain_headings(text)
    if plain is not None:
        assert plain == commonmark(text)
    assert headings(text) == commonmark(text)


@pytest.mark.parametrize("line", OTHER + PLAIN)
def test_each_line_before_and_after_a_heading_reads_as_commonmark_reads_it(line: str) -> None:
    for text in (f"{line}\n# A\n**F**: v\n## B\n", f"# A\n{line}\n## B", f"- x\n{line}\n## B"):
        plain = plain_headings(text)
        if plain is not None:
            assert plain == commonmark(text), text
        assert headings(text) == commonmark(text)


def test_a_board_as_gatebot_writes_it_needs_no_markdown_parser() -> None:
    board = ("# 📋 TODO\n\n## 🟢 READY\n\n### #3 Fix #2's bug ##\n**Built by**: ann\n"
             "**Files**: a.py, b/**\n\n## 🔨 IN-PROGRESS\n\n## 👀 REVIEW\n\n"
             "### #7 Replay of merge 2c8cd3a\n**Branch**: task/7-replay\n\n"
             "## ✅ RDY FOR PROD\n\n## 🚀 RELEASED\n")
    assert plain_headings(board) is not None
    assert [t.number for t in Board.parse(board).tasks] == [3, 7]
    state = "# Current State\n\n## Recently Merged\n- 2026-11-30 #1 x — merge abc1234\n"
    assert plain_headings(state) is not None
    assert plain_headings(add_release(state, "- 2026-11-30 #2 y — merge def5678")) is not None


def test_reading_a_plain_board_loads_no_markdown_parser() -> None:
    code = ("import sys; from gatebot.core.board import Board; "
            "Board.parse('# 📋 TODO\\n\\n## 👀 REVIEW\\n\\n### #7 x\\n**Branch**: task/7-x\\n'); "
            "print('markdown_it' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
