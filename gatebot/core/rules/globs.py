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


def match(path: str, pattern: str) -> bool:
    """Whether repository path ``path`` matches ``pattern`` (``.gitattributes`` semantics).

    A ``.gitignore`` pattern that names a directory (``tests/*`` matching
    ``tests/a``) would cover ``tests/a/b.py`` too; here it does not. A negated,
    empty or invalid pattern matches nothing (the configuration rejects invalid
    ones with ``pattern_error``).
    """
    path = path.lstrip("/")
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
        self.patterns = tuple(p for p in patterns if pattern_error(p) is None)
        from pathspec import GitIgnoreSpec  # noqa: PLC0415 - see the imports

        self._spec = GitIgnoreSpec.from_lines(self.patterns)

    def covers(self, path: str) -> bool:
        """Whether ``path`` (repository-relative, ``/``-separated) is ignored by the list."""
        return bool(self._spec.match_file(path.lstrip("/")))
