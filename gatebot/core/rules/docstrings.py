"""Rule ``docstrings`` (SPEC §5.1): public definitions added or changed have a docstring.

Python needs a docstring on every public module, class and function; JavaScript
and TypeScript a JSDoc block on every public function. A definition is judged
only when the change touches its span (a module: any of its lines); under
``--all`` every definition is. ``has_docstring is None`` means "no convention"
and is never judged. Pure: reads ``FileMetrics`` and the ``Change``.
"""

from __future__ import annotations

from collections.abc import Sequence

from gatebot.core.facts import Change, Definition, FileMetrics
from gatebot.core.verdict import Finding, RuleResult

RULE_ID = "docstrings"


def evaluate(metrics: Sequence[FileMetrics], change: Change) -> RuleResult:
    """Fail with one finding per public, touched definition whose ``has_docstring`` is False.

    Findings read ``"public function Report.build has no docstring"`` (Python)
    or ``"public function render has no JSDoc block"`` (JS/TS), at the
    definition's path and ``def`` line; the summary counts them.
    """
    findings = tuple(
        Finding(_message(m, d), m.path, d.line)
        for m in metrics
        for d in m.definitions
        if d.public and d.has_docstring is False and change.touched(m.path, d.line, d.end_line)
    )
    if not findings:
        return RuleResult(RULE_ID, "pass", "every public definition changed has a docstring")
    noun = "definition" if len(findings) == 1 else "definitions"
    return RuleResult(
        RULE_ID, "fail", f"{len(findings)} public {noun} without a docstring", findings
    )


def _message(metrics: FileMetrics, definition: Definition) -> str:
    what = "docstring" if metrics.language == "python" else "JSDoc block"
    return f"public {definition.kind} {definition.name} has no {what}"
