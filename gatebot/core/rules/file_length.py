"""Rule ``file-length`` (SPEC §5.1): no file in scope has more than ``max_file_lines`` lines.

Pure: reads ``FileMetrics`` measured by ``gatebot.adapters.metrics``; the caller
passes only the files in scope. Binary files have 0 lines and never fail.
"""

from __future__ import annotations

from collections.abc import Sequence

from gatebot.core.facts import FileMetrics
from gatebot.core.verdict import Finding, RuleResult

RULE_ID = "file-length"


def evaluate(metrics: Sequence[FileMetrics], max_lines: int) -> RuleResult:
    """Fail with one finding per file over ``max_lines`` lines.

    Each finding has the file's path, ``line = max_lines + 1`` (the first line
    over the limit) and the message ``"N lines (max M)"``; the summary counts
    the files, e.g. ``"1 file over 900 lines"``.
    """
    findings = tuple(
        Finding(f"{m.lines} lines (max {max_lines})", m.path, max_lines + 1)
        for m in metrics
        if m.lines > max_lines
    )
    if not findings:
        return RuleResult(RULE_ID, "pass", f"{_files(len(metrics))} within {max_lines} lines")
    return RuleResult(RULE_ID, "fail", f"{_files(len(findings))} over {max_lines} lines", findings)


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"
