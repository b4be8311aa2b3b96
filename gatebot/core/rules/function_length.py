"""Rule ``function-length``: no function the change added or edited spans more than the limit.

A function's span runs from its ``def``/signature line to its last line
(``Definition.span``). Like a "clean as you code" gate, the rule judges what the
change did: a long function fails only when its span intersects the lines the
change added or modified (``Change.touched``), so an old long function next to
an edit passes; under ``--all`` every function is judged. Pure: reads
``FileMetrics`` from ``gatebot.adapters.metrics``; the caller passes only the
files in scope.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gatebot.core.verdict import Finding, RuleResult

if TYPE_CHECKING:
    from gatebot.core.facts import Change, FileMetrics

RULE_ID = "function-length"
_ERROR_LINE = re.compile(r"\bline (\d+)\b")


def evaluate(
    metrics: Sequence[FileMetrics], max_lines: int, change: Change | None = None
) -> RuleResult:
    """Fail per long function the change touched, and per file that cannot be measured.

    A function over ``max_lines`` lines gives ``Finding("build_report spans 95
    lines (max 80)", path, def_line)`` when ``change`` touched its span
    (``change`` None, or a change under ``--all``, judges every function). A file whose ``error`` is set (e.g.
    a Python syntax error) gives a finding at the error's line, if known, saying
    its functions could not be measured: the rule cannot vouch for it, so it
    fails too. The summary counts the long functions left alone.
    """
    long_functions: list[Finding] = []
    unchanged = 0
    for m in metrics:
        for d in m.definitions:
            if d.kind != "function" or d.span <= max_lines:
                continue
            if change is None or change.touched(m.path, d.line, d.end_line):
                message = f"{d.name} spans {d.span} lines (max {max_lines})"
                long_functions.append(Finding(message, m.path, d.line))
            else:
                unchanged += 1
    unmeasured = [
        Finding(f"{m.error} (function lengths not measured; fix the file)", m.path, _line(m.error))
        for m in metrics
        if m.error is not None
    ]
    findings = tuple(sorted(long_functions + unmeasured, key=_order))
    summary = _summary(len(long_functions), len(unmeasured), max_lines)
    if unchanged:
        summary += (f"; {unchanged} unchanged {_noun(unchanged)} over {max_lines} left alone "
                    "(--all judges every function)")
    return RuleResult(RULE_ID, "fail" if findings else "pass", summary, findings)


def _noun(n: int) -> str:
    return "function" if n == 1 else "functions"


def _line(error: str) -> int | None:
    match = _ERROR_LINE.search(error)
    return int(match.group(1)) if match else None


def _order(finding: Finding) -> tuple[str, int]:
    return (finding.path or "", finding.line or 0)


def _summary(long_functions: int, unmeasured: int, max_lines: int) -> str:
    if not long_functions and not unmeasured:
        return f"no function over {max_lines} lines"
    summary = f"{long_functions} {_noun(long_functions)} over {max_lines} lines"
    if unmeasured:
        verb = "does" if unmeasured == 1 else "do"
        summary += f", {unmeasured} {'file' if unmeasured == 1 else 'files'} {verb} not parse"
    return summary
