"""Rule ``docs-updated`` (SPEC §5.1, gate 2): public changes come with documentation."""

from __future__ import annotations

from collections.abc import Sequence

from gatebot.core.rules.globs import match_any
from gatebot.core.verdict import Finding, RuleResult


def evaluate(
    files: Sequence[str], *, public_paths: Sequence[str], doc_paths: Sequence[str],
    exempt: bool = False,
) -> RuleResult:
    """Pass unless a file matching ``public_paths`` changed and none matching ``doc_paths`` did.

    ``exempt`` is the task's ``no-docs`` label or field. With no
    ``public_paths`` configured the rule has nothing to guard and passes.
    """
    if exempt:
        return RuleResult("docs-updated", "skip", "task is marked no-docs")
    public = [f for f in files if public_paths and match_any(f, public_paths)]
    if not public:
        return RuleResult("docs-updated", "pass", "no public interface changed")
    docs = [f for f in files if match_any(f, doc_paths)]
    if docs:
        return RuleResult("docs-updated", "pass", f"docs changed: {', '.join(docs[:3])}")
    findings = tuple(
        Finding("public interface changed without a documentation change "
                f"(any of {', '.join(doc_paths)})", path=f)
        for f in public[:10]
    )
    return RuleResult("docs-updated", "fail", f"{len(public)} public files changed, no docs",
                      findings)
