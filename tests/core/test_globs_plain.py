"""Plain globs are matched without pathspec exactly as pathspec matches them.

``plain_regex`` answers the default globs (``tests/**``, ``**/test_*.py``,
``*.lock``…) itself, so a review or landing need not import pathspec; for
every plain pattern it must agree with pathspec's git semantics: ``match``
(``.gitattributes``: the path itself) and ``IgnoreList`` (``.gitignore``: a
matching directory covers what is below it).
"""

from __future__ import annotations

import itertools
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from pathspec import GitIgnoreSpec
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

from gatebot.config import DEFAULT_EXCLUDE, DEFAULT_SOURCE_PATTERNS, DEFAULT_TEST_PATTERNS
from gatebot.core.rules.globs import IgnoreList, match, plain_regex

SEGMENTS = ["**", "*", "a", "tests", "*.py", "test_*", "a*b", ".x", "x.*", "*.lock", "go.sum",
            "-", "__tests__", "*Test.java", "*.test.*", "**x", "a**", "b", "x", "ab"]
NAMES = ["a", "b", "tests", "x.py", "test_a.py", ".x", "a.lock", "go.sum", "ab", "axb", "a.b",
         "__tests__", "FooTest.java", "x.test.js", "-", "test_", "x", "xx", "a.py"]
patterns = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3).map("/".join)
paths = st.lists(st.sampled_from(NAMES), min_size=1, max_size=4).map("/".join)


def pathspec_match(path: str, pattern: str) -> bool:
    """``match`` as pathspec answers it (what globs.match does for a glob that is not plain)."""
    compiled = GitIgnoreSpecPattern(pattern)
    if compiled.include is not True or compiled.regex is None:
        return False
    found = compiled.regex.match(path)
    return found is not None and all(g is None for g in found.groupdict().values())


@settings(max_examples=1500, deadline=None)
@given(patterns, paths)
def test_a_plain_glob_matches_a_path_as_pathspec_does(pattern: str, path: str) -> None:
    regex = plain_regex(pattern)
    if regex is not None:
        assert (regex.match(path) is not None) == pathspec_match(path, pattern)
    assert match(path, pattern) == pathspec_match(path, pattern)


@settings(max_examples=1500, deadline=None)
@given(st.lists(patterns, min_size=1, max_size=3), paths)
def test_a_plain_ignore_list_covers_a_path_as_pathspec_does(lines: list[str], path: str) -> None:
    assert IgnoreList(lines).covers(path) == GitIgnoreSpec.from_lines(lines).match_file(path)


def test_every_short_plain_glob_on_every_short_path() -> None:
    small = ["**", "*", "a", "a*", "*b", "ab", "*a*"]
    names = ["a", "b", "ab", "ba", "aab"]
    globs = ["/".join(p) for n in (1, 2, 3) for p in itertools.product(small, repeat=n)]
    every = ["/".join(p) for n in (1, 2, 3) for p in itertools.product(names, repeat=n)]
    for pattern in globs:
        regex, covering = plain_regex(pattern), plain_regex(pattern, covering=True)
        spec = GitIgnoreSpec.from_lines([pattern])
        for path in every:
            if regex is not None:
                assert (regex.match(path) is not None) == pathspec_match(path, pattern), (
                    pattern, path)
            if covering is not None:
                assert (covering.match(path) is not None) == spec.match_file(path), (pattern, path)


def test_every_default_glob_is_plain() -> None:
    for pattern in (*DEFAULT_TEST_PATTERNS, *DEFAULT_SOURCE_PATTERNS):
        assert plain_regex(pattern) is not None, pattern
    for pattern in DEFAULT_EXCLUDE:
        assert plain_regex(pattern, covering=True) is not None, pattern
    assert plain_regex("vendor/", covering=True) is None  # a directory line: pathspec
    assert plain_regex("!keep.lock", covering=True) is None
    assert plain_regex("src/[ab].py") is None
    assert plain_regex("**/*/**") is None  # pathspec reads this one its own way
    assert plain_regex("tests/**/a.py") is None


def test_the_default_globs_need_no_pathspec() -> None:
    code = ("import sys; from gatebot.config import DEFAULT_EXCLUDE, DEFAULT_TEST_PATTERNS; "
            "from gatebot.core.rules.globs import IgnoreList, match_any; "
            "IgnoreList(DEFAULT_EXCLUDE).covers('a/uv.lock'); "
            "match_any('tests/test_x.py', DEFAULT_TEST_PATTERNS); "
            "print('pathspec' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
