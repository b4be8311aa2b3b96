"""Rule ``tests-present`` (SPEC §5.1): a change to source files also adds or changes tests."""

from __future__ import annotations

from collections.abc import Sequence

from gatebot.core.rules.globs import match_any
from gatebot.core.verdict import Finding, RuleResult


def evaluate(
    files: Sequence[str], *, test_patterns: Sequence[str], source_patterns: Sequence[str]
) -> RuleResult:
    """Pass when no source file changed, or when at least one test file changed.

    ``files`` are the in-scope paths; a path matching ``test_patterns`` is a
    test, else one matching ``source_patterns`` is source. A failure lists the
    changed source files (at most 10 as findings).
    """
    tests = [f for f in files if match_any(f, test_patterns)]
    sources = [f for f in files if f not in tests and match_any(f, source_patterns)]
    if not sources:
        return RuleResult("tests-present", "pass", "no source files changed")
    if tests:
        return RuleResult(
            "tests-present", "pass", f"{len(sources)} source and {len(tests)} test files changed"
        )
    findings = tuple(
        Finding("source changed without a test change", path=f) for f in sources[:10]
    )
    return RuleResult(
        "tests-present", "fail",
        f"{len(sources)} source files changed and no test file did", findings,
    )
