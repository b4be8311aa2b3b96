"""Glob matching for repository paths, with ``**`` spanning directories.

``fnmatch`` lets ``*`` cross ``/``; rules want ``tests/*`` to mean one level and
``tests/**`` any depth, like .gitignore. A pattern without ``/`` matches the
file's base name anywhere (``*.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    pattern = pattern.lstrip("/")
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def match(path: str, pattern: str) -> bool:
    """Whether repository path ``path`` matches ``pattern`` (see the module doc)."""
    path = path.lstrip("/")
    if "/" not in pattern.strip("/"):
        return bool(_compile(pattern).match(path.rsplit("/", 1)[-1]))
    return bool(_compile(pattern).match(path))


def match_any(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` matches at least one of ``patterns``."""
    return any(match(path, p) for p in patterns)
