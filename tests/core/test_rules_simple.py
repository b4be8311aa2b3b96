from __future__ import annotations

import pytest

from gatebot.config import DEFAULT_SOURCE_PATTERNS, DEFAULT_TEST_PATTERNS
from gatebot.core.rules import board_files, tests_present
from gatebot.core.rules.globs import IgnoreList, match, pattern_error


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("tests/a/b.py", "tests/**", True),
        ("tests/a/b.py", "tests/*", False),
        ("tests/b.py", "tests/*", True),
        ("pkg/test_x.py", "**/test_*.py", True),
        ("test_x.py", "**/test_*.py", True),
        ("deep/x/y.py", "*.py", True),
        ("docs/a.md", "docs/**", True),
        ("README.md", "README*", True),
        ("src/README", "README*", True),
        ("a.pyc", "*.py", False),
        # git's wildmatch, through pathspec: a leading / anchors at the root
        ("README.md", "/README.md", True),
        ("docs/README.md", "/README.md", False),
        ("a/b/c.py", "a/**/c.py", True),
        ("a/c.py", "a/**/c.py", True),
        ("src/x.py", "[!t]*/*.py", True),
        ("tests/x.py", "[!t]*/*.py", False),
        ("tests/a/b.py", "tests/", False),  # a directory pattern names no file
        ("tests/a/b.py", "!tests/**", False),  # a negation selects nothing
        ("tests/a/b.py", "\\", False),  # invalid: matches nothing
    ],
)
def test_glob(path: str, pattern: str, expected: bool) -> None:
    assert match(path, pattern) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("uv.lock", True),
        ("sub/dir/poetry.lock", True),
        ("keep.lock", False),  # taken back by a later "!" line
        ("vendor/a/b.py", True),  # a directory covers what is below it
        ("src/vendor.py", False),
        ("build/out.js", True),
        ("src/build/out.js", False),  # "/build/" is anchored at the root
        ("x.min.js", True),
    ],
)
def test_ignore_list_has_gitignore_semantics(path: str, expected: bool) -> None:
    ignore = IgnoreList(["*.lock", "!keep.lock", "vendor/", "/build/", "# comment", "",
                         "*.min.js", "[z-a]"])
    assert ignore.covers(path) is expected


def test_pattern_error_names_the_problem() -> None:
    assert pattern_error("*.py") is None
    assert pattern_error("!") is not None
    assert "bad character range" in (pattern_error("[z-a]") or "")


@pytest.mark.parametrize(
    ("files", "status"),
    [
        (["app/x.py"], "fail"),
        (["app/x.py", "tests/test_x.py"], "pass"),
        (["README.md"], "pass"),
        (["web/a.ts", "web/a.test.ts"], "pass"),
        ([], "pass"),
    ],
)
def test_tests_present(files: list[str], status: str) -> None:
    result = tests_present.evaluate(files, test_patterns=DEFAULT_TEST_PATTERNS,
                                    source_patterns=DEFAULT_SOURCE_PATTERNS)
    assert result.status == status
    if status == "fail":
        assert result.findings[0].path == "app/x.py"


BOARD = {"board_paths": ("TODO.md", "CURRENT_STATE.md"), "archive_dir": "/coordination/archive/"}


def test_board_files_fail_on_every_board_path_the_change_touches() -> None:
    bad = board_files.evaluate(["TODO.md", "coordination/archive/2025-01-01.md", "a.py"], **BOARD)
    assert bad.status == "fail"
    assert [f.path for f in bad.findings] == ["TODO.md", "coordination/archive/2025-01-01.md"]
    assert board_files.evaluate(["a.py"], **BOARD).status == "pass"
    assert board_files.evaluate([], **BOARD).status == "pass"


@pytest.mark.parametrize("path", [
    "CURRENT_STATE.md", "coordination", "coordination/archive", "coordination/archive/x/y.md",
    "TODO.md/inside",
])
def test_board_files_owns_paths_on_the_way_to_and_under_board_paths(path: str) -> None:
    assert board_files.evaluate([path], **BOARD).status == "fail"


@pytest.mark.parametrize("path", [
    "coordination2", "coordination/archived.md", "coordination/other/x.md", "docs/TODO.md",
    "TODO.md.bak", "coordinat",
])
def test_board_files_leaves_neighbours_alone(path: str) -> None:
    assert board_files.evaluate([path], **BOARD).status == "pass"
