"""Rule ``file-length``: no file the change grew has more than ``max_file_lines`` lines.

Like a "clean as you code" gate, the rule judges what the change did: a file
over the limit fails when the change added it or grew it (more lines at the
head than on the base side of the diff); an old long file that the change edited
without growing passes. Under ``--all`` every file is judged. Pure: reads
``FileMetrics`` measured by ``gatebot.adapters.metrics`` and the base-side line
counts; the caller passes only the files in scope. Binary files have 0 lines
and never fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from gatebot.core.verdict import Finding, RuleResult

if TYPE_CHECKING:
    from gatebot.core.facts import FileMetrics

RULE_ID = "file-length"


def evaluate(
    metrics: Sequence[FileMetrics], max_lines: int, base_lines: Mapping[str, int] | None = None
) -> RuleResult:
    """Fail with one finding per file over ``max_lines`` lines that the change grew.

    ``base_lines`` maps a path to its line count on the base side of the diff
    (the merge base; a path absent from it is new, so it grew); None judges
    every file (``--all``). Each finding has the file's path, ``line =
    max_lines + 1`` (the first line over the limit) and the message ``"N lines
    (max M)"``, plus ``", was B"`` when it grew from B lines; the summary counts
    the files, e.g. ``"1 file over 900 lines"``, and the long files left alone.
    """
    findings: list[Finding] = []
    unchanged = 0
    for m in metrics:
        if m.lines <= max_lines:
            continue
        before = None if base_lines is None else base_lines.get(m.path)
        if base_lines is not None and before is not None and m.lines <= before:
            unchanged += 1
            continue
        grew = f", was {before}" if before is not None else ""
        findings.append(Finding(f"{m.lines} lines (max {max_lines}{grew})", m.path,
                                max_lines + 1))
    left = (f"; {_files(unchanged)} over {max_lines} not grown by the change left alone "
            "(--all judges every file)") if unchanged else ""
    if not findings:
        within = len(metrics) - unchanged
        return RuleResult(RULE_ID, "pass", f"{_files(within)} within {max_lines} lines{left}")
    return RuleResult(RULE_ID, "fail", f"{_files(len(findings))} over {max_lines} lines{left}",
                      tuple(findings))


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"
