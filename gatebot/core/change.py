"""The change under review, the one fact a landing needs (design/ARCHITECTURE.md).

Apart from the other facts (``gatebot.core.facts``, which re-exports it) so that
``gatebot merge`` without checks does not create the dataclasses of measured
files and check results it never uses: each costs start-up time. ``Change``
itself is a named tuple, a tenth of a frozen dataclass's cost to define.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple


class Change(NamedTuple):
    """The change under review: ``merge_base..head`` against the base ref.

    ``files`` are repository-relative paths added or modified (the scope);
    ``changed_lines`` maps each path to the head-side line numbers the change
    touched, or is None under ``--all`` (every line counts as changed).
    ``touched_paths`` is every path ``merge_base..head`` adds, edits, deletes,
    retypes or renames (both names), also under ``--all``: what the change did.
    """

    base: str
    head: str
    merge_base: str
    files: tuple[str, ...]
    deleted: tuple[str, ...] = ()
    all_files: bool = False
    changed_lines: Mapping[str, frozenset[int]] | None = None
    touched_paths: tuple[str, ...] = ()

    def touched(self, path: str, first: int, last: int) -> bool:
        """Whether lines ``first..last`` of ``path`` intersect the change."""
        if self.changed_lines is None:
            return True
        lines = self.changed_lines.get(path)
        if lines is None:
            return False
        return any(first <= n <= last for n in lines)
