"""Rules ``checks.<name>`` (SPEC §5.1): each configured check passes when it exits 0.

Pure: reads ``CheckResult`` facts gathered by ``gatebot.adapters.checks``.
"""

from __future__ import annotations

from collections.abc import Sequence

from gatebot.core.facts import CheckResult
from gatebot.core.verdict import Finding, RuleResult


def evaluate(results: Sequence[CheckResult]) -> list[RuleResult]:
    """One ``checks.<name>`` result per check, in the order given.

    Status is the check's own (``pass``, ``fail`` or ``error``); ``duration_s``
    (seconds) and ``log_path`` are copied. A check that did not pass gets one
    finding naming its log, e.g. ``tests failed (exit 1); log: /tmp/logs/tests.log``.
    """
    return [_rule(result) for result in results]


def _rule(result: CheckResult) -> RuleResult:
    summary = _summary(result)
    findings: tuple[Finding, ...] = ()
    if result.status != "pass":
        log = f"; log: {result.log_path}" if result.log_path else ""
        findings = (Finding(f"{summary}{log}"),)
    return RuleResult(
        id=f"checks.{result.name}",
        status=result.status,
        summary=summary,
        findings=findings,
        duration_s=result.duration_s,
        log_path=result.log_path,
    )


def _summary(result: CheckResult) -> str:
    name, message = result.name, result.message
    if result.status == "pass":
        note = f" ({message})" if message else ""
        return f"{name} passed in {result.duration_s:.1f} s{note}"
    if result.status == "error":
        return f"{name} could not finish: {message or 'unknown error'}"
    code = f"exit {result.returncode}" if result.returncode is not None else "no exit code"
    if message and message != code:
        return f"{name} failed ({code}): {message}"
    return f"{name} failed ({code})"
