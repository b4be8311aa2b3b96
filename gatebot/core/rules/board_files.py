"""Rule ``board-files`` (SPEC §4, §5.1): a change must not edit gatebot's board files."""

from __future__ import annotations

from collections.abc import Sequence

from gatebot.core.verdict import Finding, RuleResult


def evaluate(
    files: Sequence[str], *, board_paths: Sequence[str], archive_dir: str, all_files: bool
) -> RuleResult:
    """Fail for each changed path that is a board file or lies in the archive directory.

    Under ``--all`` every tracked file is "in scope" but none was edited by the
    change, so the rule passes (``skip`` would hide that it ran).
    """
    if all_files:
        return RuleResult("board-files", "pass", "--all: no change to judge")
    prefix = archive_dir.strip("/") + "/"
    owned = [f for f in files if f in board_paths or f.startswith(prefix)]
    if not owned:
        return RuleResult("board-files", "pass", "no board file edited")
    findings = tuple(
        Finding(
            "board file edited by the change; gatebot writes it (revert: git checkout BASE -- "
            f"{f})", path=f,
        )
        for f in owned
    )
    return RuleResult("board-files", "fail", f"{len(owned)} board files edited", findings)
