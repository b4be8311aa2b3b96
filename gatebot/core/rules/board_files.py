"""Rule ``board-files`` (SPEC §4, §5.1): a change must not touch gatebot's board files."""

from __future__ import annotations

from collections.abc import Sequence

from gatebot.core.verdict import Finding, RuleResult


def owned(path: str, *, board_paths: Sequence[str], archive_dir: str) -> bool:
    """Whether ``path`` is a board path: a board file, under one, or on the way to one.

    Board files are ``board_paths`` and everything under ``archive_dir``; a
    path *above* one of them (``coordination`` for ``coordination/archive``)
    counts too, since a file or link there would redirect every board write.
    """
    roots = [p.strip("/") for p in (*board_paths, archive_dir) if p.strip("/")]
    return any(path == r or path.startswith(r + "/") or r.startswith(path + "/") for r in roots)


def evaluate(
    touched: Sequence[str], *, board_paths: Sequence[str], archive_dir: str
) -> RuleResult:
    """Fail for each board path the change adds, edits, deletes, renames or links.

    ``touched`` is every path of ``merge-base..head`` (``Change.touched_paths``),
    which is the change whatever the scope of the other rules (``--all`` too):
    only gatebot writes the board, and a deletion or a symlink there is an edit.
    """
    mine = [f for f in touched if owned(f, board_paths=board_paths, archive_dir=archive_dir)]
    if not mine:
        return RuleResult("board-files", "pass", "no board file touched")
    findings = tuple(
        Finding(
            "board path added, edited, deleted or linked by the change; only gatebot writes it: "
            f"make it as on the base (git checkout BASE -- {f}, or git rm it if the base has "
            "none)", path=f,
        )
        for f in mine
    )
    return RuleResult("board-files", "fail", f"{len(mine)} board path(s) touched", findings)
