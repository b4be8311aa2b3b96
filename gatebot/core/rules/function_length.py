"""Rule ``function-length`` (SPEC §5.1): no function spans more than ``max_function_lines``.

A function's span runs from its ``def``/signature line to its last line
(``Definition.span``). Pure: reads ``FileMetrics`` from ``gatebot.adapters.metrics``;
the caller passes only the files in scope.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gatebot.core.facts import FileMetrics
from gatebot.core.verdict import Finding, RuleResult

RULE_ID = "function-length"
_ERROR_LINE = re.compile(r"\bline (\d+)\b")


def evaluate(metrics: Sequence[FileMetrics], max_lines: int) -> RuleResult:
    """Fail with one finding per function over ``max_lines`` lines, and per unmeasurable file.

    A long function gives ``Finding("build_report spans 95 lines (max 80)", path,
    def_line)``. A file whose ``error`` is set (e.g. a Python syntax error) gives
    a finding at the error's line, if known, saying its functions could not be
    measured: the rule cannot vouch for it, so it fails too.
    """
    long_functions = [
        Finding(f"{d.name} spans {d.span} lines (max {max_lines})", m.path, d.line)
        for m in metrics
        for d in m.definitions
        if d.kind == "function" and d.span > max_lines
    ]
    unmeasured = [
        Finding(f"{m.error} (function lengths not measured; fix the file)", m.path, _line(m.error))
        for m in metrics
        if m.error is not None
    ]
    findings = tuple(sorted(long_functions + unmeasured, key=_order))
    summary = _summary(len(long_functions), len(unmeasured), max_lines)
    return RuleResult(RULE_ID, "fail" if findings else "pass", summary, findings)


def _line(error: str) -> int | None:
    match = _ERROR_LINE.search(error)
    return int(match.group(1)) if match else None


def _order(finding: Finding) -> tuple[str, int]:
    return (finding.path or "", finding.line or 0)


def _summary(long_functions: int, unmeasured: int, max_lines: int) -> str:
    if not long_functions and not unmeasured:
        return f"no function over {max_lines} lines"
    noun = "function" if long_functions == 1 else "functions"
    summary = f"{long_functions} {noun} over {max_lines} lines"
    if unmeasured:
        verb = "does" if unmeasured == 1 else "do"
        summary += f", {unmeasured} {'file' if unmeasured == 1 else 'files'} {verb} not parse"
    return summary
