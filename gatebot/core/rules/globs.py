"""Glob matching for repository paths, compiled by pathspec (git's wildmatch syntax).

Two semantics, both git's own:

- ``match`` / ``match_any`` (rule globs: ``tests.patterns``, ``docs.paths``...) follow
  ``.gitattributes``: a pattern matches the file's path itself, never through a
  directory above it. ``*`` and ``?`` stay inside one path segment, so ``tests/*``
  is one level and ``tests/**`` any depth; ``**/`` spans any directories; a
  pattern without ``/`` (``*.py``, ``README*``) matches the base name at any depth;
  a leading ``/`` anchors it at the root.
- ``IgnoreList`` (the ``exclude`` setting) follows ``.gitignore``: a pattern that
  matches a directory covers everything below it (``vendor/``), ``!`` re-includes,
  and the last matching pattern wins.

The patterns are compiled by pathspec (``GitIgnoreSpecPattern``, what black and
mypy use), so gatebot reads a glob exactly as git does. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pathspec is imported by the first pattern compiled: a command that
    # matches no glob (a landing without the rules that need one) never pays for it
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern


@lru_cache(maxsize=512)
def _compile(pattern: str) -> GitIgnoreSpecPattern | str:
    """The compiled pattern, or why it is not a valid git pattern."""
    from pathspec.patterns.gitignore import GitIgnorePatternError  # noqa: PLC0415
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern  # noqa: PLC0415

    try:
        return GitIgnoreSpecPattern(pattern)
    except (GitIgnorePatternError, re.error) as exc:
        return str(exc)


def pattern_error(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid git glob (e.g. ``bad character range z-a``), or None."""
    compiled = _compile(pattern)
    return compiled if isinstance(compiled, str) else None


_NAME = r"(?:\*(?!\*))?(?:[A-Za-z0-9._-]+(?:\*(?!\*))?)+"
"""A segment: letters, digits, ``.``, ``_``, ``-``, at least one, and single ``*`` between."""
_PLAIN_GLOB_RE = re.compile(rf"(?:\*\*/)?{_NAME}(?:/{_NAME})*(?:/\*\*)?")


@lru_cache(maxsize=512)
def plain_regex(pattern: str, *, covering: bool = False) -> re.Pattern[str] | None:
    """``pattern`` as a regex of whole paths when it is a plain glob; None for any other.

    A plain glob is made of named segments (letters, digits, ``.``, ``_``,
    ``-``, single ``*`` among them) joined by ``/``, with perhaps ``**/``
    before them and ``/**`` after (no other ``/``): what the default globs
    are. Git reads it
    as ``match`` does: ``*`` stays in a segment, ``**/`` spans directories, and
    without ``/`` it matches the base name at any depth. ``covering``: as a
    ``.gitignore`` line (``IgnoreList``) instead, which also covers everything
    below a matching directory; only a pattern without ``/`` is answered then.
    tests/core/test_globs_plain.py holds both against pathspec.
    """
    if not _PLAIN_GLOB_RE.fullmatch(pattern) or (covering and "/" in pattern):
        return None
    parts = pattern.split("/")
    if len(parts) == 1:
        return re.compile(r"(?:.*/)?" + _segment(pattern) + (r"(?:/.*)?" if covering else "")
                          + r"\Z", re.DOTALL)
    out = ""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            out += ".*" if last else "(?:.*/)?"
        else:
            out += _segment(part) + ("" if last else "/")
    return re.compile(out + r"\Z", re.DOTALL)


def _segment(part: str) -> str:
    return "[^/]*".join(re.escape(piece) for piece in part.split("*"))


def match(path: str, pattern: str) -> bool:
    """Whether repository path ``path`` matches ``pattern`` (``.gitattributes`` semantics).

    A ``.gitignore`` pattern that names a directory (``tests/*`` matching
    ``tests/a``) would cover ``tests/a/b.py`` too; here it does not. A negated,
    empty or invalid pattern matches nothing (the configuration rejects invalid
    ones with ``pattern_error``).
    """
    path = path.lstrip("/")
    plain = plain_regex(pattern)
    if plain is not None:
        return plain.match(path) is not None
    compiled = _compile(pattern)
    if isinstance(compiled, str) or compiled.include is not True or compiled.regex is None:
        return False
    found = compiled.regex.match(path)
    # pathspec marks a match that stopped at a directory (covering what is below it) with
    # a named group; a prefix pattern (``tests/**``, ``*``) has none and covers the path
    return found is not None and all(group is None for group in found.groupdict().values())


def match_any(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` matches at least one of ``patterns``."""
    return any(match(path, p) for p in patterns)


class IgnoreList:
    """Globs with ``.gitignore`` semantics (directories, ``!`` negation, last match wins).

    Built from the lines of an exclude list, e.g. ``("*.lock", "vendor/",
    "!keep.lock")``; ``covers(path)`` says whether a repository path is ignored.
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        """Compile ``patterns`` (pathspec's ``GitIgnoreSpec``); blank lines and ``#`` are ignored.

        An invalid pattern (see ``pattern_error``; the configuration rejects
        them) is left out.
        """
        plain = [plain_regex(p, covering=True) for p in patterns]
        if all(regex is not None for regex in plain):  # no negation: any match covers
            self.patterns = tuple(patterns)
            self._plain: tuple[re.Pattern[str], ...] | None = tuple(r for r in plain if r)
            return
        self._plain = None
        self.patterns = tuple(p for p in patterns if pattern_error(p) is None)
        from pathspec import GitIgnoreSpec  # noqa: PLC0415 - see the imports

        self._spec = GitIgnoreSpec.from_lines(self.patterns)

    def covers(self, path: str) -> bool:
        """Whether ``path`` (repository-relative, ``/``-separated) is ignored by the list."""
        if self._plain is not None:
            return any(regex.match(path.lstrip("/")) for regex in self._plain)
        return bool(self._spec.match_file(path.lstrip("/")))
