"""Rule ``board-files`` whole: which paths are the board's, and the result it gives. Pure.

Board paths are configured with or without slashes around them (``/coordination/archive/``);
a path is the board's when it is one, lies under one, or is on the way to one.
"""

from __future__ import annotations

import pytest

from gatebot.core.rules.board_files import evaluate, owned
from gatebot.core.verdict import Finding, RuleResult

BOARD = {"board_paths": ("/TODO.md", "CURRENT_STATE.md/"), "archive_dir": "coordination/archive"}


@pytest.mark.parametrize(
    ("path", "mine"),
    [
        ("TODO.md", True),  # the configured "/TODO.md"
        ("CURRENT_STATE.md", True),  # the configured "CURRENT_STATE.md/"
        ("TODO.md/x", True),
        ("coordination", True),
        ("coordination/archive/2025-01-01.md", True),
        ("TODO.mdx", False),
        ("docs/TODO.md", False),
        ("coordination/archived", False),
        ("", False),
    ],
)
def test_owned(path: str, mine: bool) -> None:
    assert owned(path, **BOARD) is mine


def test_empty_board_paths_own_nothing() -> None:
    assert not owned("x", board_paths=("", "/"), archive_dir="/")
    assert not owned("coordination/archive/a.md", board_paths=(), archive_dir="")


def test_the_result_names_each_touched_board_path() -> None:
    def finding(path: str) -> Finding:
        return Finding("board path added, edited, deleted or linked by the change; only gatebot "
                       f"writes it: make it as on the base (git checkout BASE -- {path}, or git "
                       "rm it if the base has none)", path=path)

    assert evaluate(["a.py", "TODO.md", "coordination"], **BOARD) == RuleResult(
        "board-files", "fail", "2 board path(s) touched", (finding("TODO.md"),
                                                           finding("coordination")))
    assert evaluate(["a.py"], **BOARD) == RuleResult("board-files", "pass",
                                                     "no board file touched")


def test_only_slashes_are_stripped_and_a_bare_slash_is_no_board_path() -> None:
    assert owned("TODO.X", board_paths=("TODO.X",), archive_dir="")
    assert owned("X", board_paths=("X",), archive_dir="")
    assert not owned("", board_paths=("/",), archive_dir="/")
