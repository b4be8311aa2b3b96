"""Globs over repository paths (the rules' ``tests.patterns``, ``docs.paths``…): pure, table-driven.

``*`` and ``?`` stay within a segment, ``**`` spans segments; a pattern without
``/`` is a base name at any depth, one with ``/`` is the path from the root (a
leading ``/`` anchors); a trailing ``/`` names a directory, which no file is.
"""

from __future__ import annotations

import pytest

from gatebot.core.rules.globs import IgnoreList, match, match_any


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        # no "/": the base name, at any depth
        ("README.md", "README*", True),
        ("pkg/README", "README*", True),
        ("a/b/c.py", "*.py", True),
        ("a/b/c.pyc", "*.py", False),  # the whole name, not a prefix
        ("a/b/xc.py", "c.py", False),
        ("a/b/c.py", "?.py", True),
        ("a/b/cc.py", "?.py", False),
        # a leading "/" anchors at the root
        ("README.md", "/README*", True),
        ("pkg/README", "/README*", False),
        ("src/a.py", "/src/*.py", True),
        ("lib/src/a.py", "/src/*.py", False),
        ("/src/a.py", "src/*.py", True),  # a path's leading "/" is ignored
        ("//src/a.py", "/src/*.py", True),
        # a "/" inside: the whole path from the root
        ("src/a.py", "src/*.py", True),
        ("lib/src/a.py", "src/*.py", False),
        ("src/a/b.py", "src/*.py", False),  # * is one segment
        ("src/a/b.py", "src/*/*.py", True),
        ("src/ab.py", "src/?.py", False),
        ("src/a/b.py", "src/?/b.py", True),
        ("src/a/b.py", "src/??b.py", False),  # ? is not "/"
        # "**"
        ("src/a/b/c.py", "src/**", True),
        ("src", "src/**", False),
        ("src/a/b/c.py", "src/**/c.py", True),
        ("src/c.py", "src/**/c.py", True),  # "**/" may be empty
        ("src/xc.py", "src/**/c.py", False),
        ("c.py", "**/c.py", True),
        ("a/b/c.py", "**/c.py", True),
        ("a/b/c.py", "**c.py", True),
        ("a/bc.py", "a/**.py", True),
        ("tests/unit/test_x.py", "**/test_*.py", True),
        # a trailing "/" names a directory, and rule globs match files (as in .gitattributes):
        # it matches no file; "docs/**" is what covers a directory's contents
        ("docs/a.md", "docs/", False),
        ("docs/deep/a.md", "docs/", False),
        ("docs", "docs/", False),
        ("src/a/b.py", "src/*/", False),
        ("docs/a.md", "/docs//", False),
        ("anything/at/all", "/", False),
        ("XML/a.py", "XML/*.py", True),  # only a path's leading "/" is stripped
        ("XDG", "XDG", True),
        # regular-expression characters are literal
        ("a.py", "a.py", True),
        ("axpy", "a.py", False),
        ("c++/x.h", "c++/*.h", True),
        ("cc/x.h", "c+/*.h", False),
        ("(x)/y", "(x)/*", True),
        ("a$/b", "a$/b", True),
    ],
)
def test_match(path: str, pattern: str, expected: bool) -> None:
    assert match(path, pattern) is expected


def test_match_any_needs_one_match() -> None:
    assert match_any("docs/a.md", ["*.py", "docs/**"])
    assert match_any("docs/a.md", ("docs/**", "*.py"))
    assert not match_any("docs/a.md", ["*.py", "src/**"])
    assert not match_any("docs/a.md", [])


@pytest.mark.parametrize(
    ("patterns", "path", "covered"),
    [
        (["/x.lock"], "x.lock", True),
        (["/x.lock"], "//x.lock", True),  # every leading "/" of a path is dropped
        (["/x.lock"], "a/x.lock", False),  # a leading "/" anchors the pattern
        (["Xcache/"], "/Xcache/a.py", True),  # only slashes are dropped, not the name
        (["vendor/"], "vendor/deep/a.py", True),  # a directory covers what is below it
        (["*.lock", "!keep.lock"], "keep.lock", False),  # the last match wins
    ],
)
def test_ignore_list_drops_a_paths_leading_slashes(patterns: list[str], path: str,
                                                   covered: bool) -> None:
    assert IgnoreList(patterns).covers(path) is covered
