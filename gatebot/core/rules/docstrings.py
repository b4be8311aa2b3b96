"""Rule ``docstrings``: public definitions the change added or edited have a docstring.

Python needs a docstring on every public module, class and function; JavaScript
and TypeScript a JSDoc block on every public function. Like ``function-length``
and ``file-length``, the rule judges what the change did:

- a function when the change touched its span (added or edited it), as
  ``function-length`` judges it;
- a class when the change touched its ``class`` line (added it, or changed its
  name or bases): editing one method is not editing the class;
- a module when the change wrote every line of the file (added it): a module
  spans its whole file, so any edit would otherwise make an old missing module
  docstring the change's fault.

Under ``--all`` every definition is judged. ``has_docstring is None`` means "no
convention" (an ``@overload`` stub, an empty module, a Go function) and is never
judged. Pure: reads ``FileMetrics`` and the ``Change``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gatebot.core.verdict import Finding, RuleResult

if TYPE_CHECKING:
    from gatebot.core.facts import Change, Definition, FileMetrics

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
        if d.public and d.has_docstring is False and judged(change, m.path, d)
    )
    if not findings:
        return RuleResult(RULE_ID, "pass", "every public definition changed has a docstring")
    noun = "definition" if len(findings) == 1 else "definitions"
    return RuleResult(
        RULE_ID, "fail", f"{len(findings)} public {noun} without a docstring", findings
    )


def judged(change: Change, path: str, definition: Definition) -> bool:
    """Whether the change added or edited ``definition`` of ``path`` (see the module doc)."""
    if change.changed_lines is None:
        return True
    if definition.kind == "module":
        lines = change.changed_lines.get(path, frozenset())
        return lines.issuperset(range(1, definition.end_line + 1))
    if definition.kind == "class":
        return change.touched(path, definition.line, definition.line)
    return change.touched(path, definition.line, definition.end_line)


def _message(metrics: FileMetrics, definition: Definition) -> str:
    what = "docstring" if metrics.language == "python" else "JSDoc block"
    return f"public {definition.kind} {definition.name} has no {what}"
