"""Rules ``checks.<name>`` (SPEC §5.1): each configured check passes when it exits 0.

Every check in ``checks.required`` (read from the base branch) must exist in
the tree under test: one that cannot be run fails as ``checks.<name>``. Pure:
reads ``CheckResult`` facts gathered by ``gatebot.adapters.checks``.
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


def missing_required(required: Sequence[str], planned: Sequence[str]) -> list[RuleResult]:
    """A failing ``checks.<name>`` for each required check that is not among ``planned``.

    ``required`` is ``checks.required`` of the base branch's configuration;
    ``planned`` the names of the checks the tree under test can run. Each
    result's finding says the three ways out: define the nox session, set
    ``checks.commands.<name>``, or drop the name from ``checks.required``.
    """
    have = set(planned)
    return [_missing(name) for name in dict.fromkeys(required) if name not in have]


def _missing(name: str) -> RuleResult:
    message = (
        f"required check {name!r} cannot run on this tree: define a nox session `{name}` in "
        f"noxfile.py, set checks.commands.{name}, or remove {name!r} from checks.required "
        "in the base branch's configuration"
    )
    summary = f"{name} is required but not defined (no nox session, no configured command)"
    return RuleResult(f"checks.{name}", "fail", summary, (Finding(message),))


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
