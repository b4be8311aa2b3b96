"""Rules ``checks.<name>`` (SPEC §5.1): each configured check passes when it exits 0.

Every check in ``checks.required`` (read from the base branch) must exist in
the tree under test: one that cannot be run fails as ``checks.<name>``. Pure:
reads ``CheckResult`` facts gathered by ``gatebot.adapters.checks``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from gatebot.core.verdict import Finding, RuleResult

if TYPE_CHECKING:
    from gatebot.core.facts import CheckResult, TestReport

TESTS_CHECK = "tests"
"""The check whose JUnit report names the failing tests."""
FAILED_TESTS_SHOWN = 40
"""Failing tests listed as findings; the rest are counted in one more finding (the text and
Markdown reports show 50 findings of a rule: the log finding, these and the count fit)."""


def evaluate(results: Sequence[CheckResult], test_report: TestReport | None = None
             ) -> list[RuleResult]:
    """One ``checks.<name>`` result per check, in the order given.

    Status is the check's own (``pass``, ``fail`` or ``error``); ``duration_s``
    (seconds) and ``log_path`` are copied. A check that did not pass gets one
    finding naming its log, e.g. ``tests failed (exit 1); log: /tmp/logs/tests.log``.
    When the ``tests`` check did not pass, ``test_report`` (the JUnit report this
    run's tests check wrote, if any) adds a finding per failing test (its file, line,
    name and message; at most ``FAILED_TESTS_SHOWN``) and the count to the summary,
    or says that the report was unreadable. A ``tests`` check that passed fails when its
    report shows that no test ran (none collected, or every one skipped: a ``conftest.py``
    or option can make pytest exit 0 so, docs/protocol.md "Gate checks").
    """
    return [_judged(r, test_report) for r in results]


def _judged(result: CheckResult, report: TestReport | None) -> RuleResult:
    """``result``'s rule, with what the JUnit ``report`` says when it is the tests check."""
    rule = _rule(result)
    if result.name != TESTS_CHECK or report is None:
        return rule
    if result.status != "pass":
        return _with_tests(rule, report)
    if report.unreadable is None and report.skipped >= report.tests:
        what = ("no test" if report.tests == 0
                else f"every one of its {report.tests} tests was skipped")
        note = (f"the tests check passed but its JUnit report {report.path} shows that no "
                f"test ran ({what}): make the tests run (look for a conftest.py, marker or "
                "option that deselects or skips them)")
        return replace(rule, status="fail", summary=f"tests ran no test ({what})",
                       findings=(Finding(note, report.path),))
    return rule


def _with_tests(rule: RuleResult, report: TestReport) -> RuleResult:
    """``rule`` (the failing tests check) with the failing tests of ``report`` added."""
    if report.unreadable is not None:
        note = (f"the JUnit report {report.path} is unreadable: {report.unreadable}; "
                "the failing tests are named in the log only")
        return replace(rule, summary=f"{rule.summary} (JUnit report unreadable)",
                       findings=(*rule.findings, Finding(note)))
    if not report.failed:
        return rule
    failed = [Finding(f"{t.name} {'failed' if t.outcome == 'failure' else 'errored'}: "
                      f"{t.message}", t.path, t.line, test=t.name)
              for t in report.failed[:FAILED_TESTS_SHOWN]]
    rest = len(report.failed) - FAILED_TESTS_SHOWN
    if rest > 0:
        failed.append(Finding(f"{rest} more failing tests are listed in {report.path}"))
    count = f"{len(report.failed)} of {report.tests} tests failed"
    return replace(rule, summary=f"{rule.summary}; {count}",
                   findings=(*rule.findings, *failed))


def missing_required(
    required: Sequence[str], planned: Sequence[str], *,
    tox_aliases: Mapping[str, Sequence[str]] | None = None,
) -> list[RuleResult]:
    """A failing ``checks.<name>`` for each required check that is not among ``planned``.

    ``required`` is ``checks.required`` of the base branch's configuration;
    ``planned`` the names of the checks the tree under test can run. Each
    result's finding says the ways out: define the nox session, set
    ``checks.commands.<name>``, or drop the name from ``checks.required``. For a
    tox project (``tox_aliases``: ``checks.tox_aliases``, not None) it names the
    tox environment and the aliases that would stand for the check instead.
    """
    have = set(planned)
    return [_missing(name) if tox_aliases is None else _missing_tox(name, tox_aliases.get(name, ()))
            for name in dict.fromkeys(required) if name not in have]


def _missing_tox(name: str, aliases: Sequence[str]) -> RuleResult:
    named = f" (nor one named by checks.tox_aliases.{name}: {', '.join(aliases)})" if aliases else ""
    message = (
        f"required check {name!r} cannot run on this tree: the tox configuration has no "
        f"environment `{name}`{named}. Add a tox environment `{name}`, set "
        f'checks.tox_aliases.{name} = ["ENV"] to the environment that is this check, set '
        f"checks.commands.{name}, or remove {name!r} from checks.required in the base "
        "branch's configuration"
    )
    summary = f"{name} is required but not defined (no tox environment, no configured command)"
    return RuleResult(f"checks.{name}", "fail", summary, (Finding(message),))


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
