"""Which files the length and docstring rules judge: code, not generated, vendored or lock files.

A file is left out of ``file-length``, ``function-length`` and ``docstrings``
(at both gates, with or without ``--all``) when:

- the base branch's ``.gitattributes`` marks it ``linguist-generated`` or
  ``linguist-vendored`` (set, or ``=true``), as GitHub's linguist reads them, or
  ``-diff`` / ``diff=false`` (git shows no diff of it: ``binary`` implies it);
- or it matches the exclude list: the built-in lock files
  (``config.DEFAULT_EXCLUDE``) then the ``exclude`` setting, with ``.gitignore``
  semantics (``vendor/``, ``!keep.lock``).

The attributes come from the base branch, like the configuration: a change
cannot exempt its own files by editing ``.gitattributes``; the edit takes effect
once it has landed. Pure: the caller reads the attributes with git.
"""

from __future__ import annotations

from collections.abc import Mapping

from gatebot.core.rules.globs import IgnoreList

ATTRIBUTES = ("linguist-generated", "linguist-vendored", "diff")
"""The git attributes ``excluded`` reads, for ``git check-attr``."""

_TRUE = frozenset({"set", "true"})
_NO_DIFF = frozenset({"unset", "false"})


def excluded(path: str, attributes: Mapping[str, str], ignore: IgnoreList) -> bool:
    """Whether ``path`` is not code to judge (see the module doc).

    ``attributes`` maps the names of ``ATTRIBUTES`` to git's values (``set``,
    ``unset``, ``unspecified`` or a string; a missing name is unspecified);
    ``ignore`` is the exclude list.
    """
    return (
        attributes.get("linguist-generated") in _TRUE
        or attributes.get("linguist-vendored") in _TRUE
        or attributes.get("diff") in _NO_DIFF
        or ignore.covers(path)
    )
