"""Rule ``coverage`` (SPEC §5.1, §5.4): total line coverage reported by the tests check.

Pure: reads the ``CoverageReport`` fact (``gatebot.adapters.coverage_report``).
Percentages are 0 to 100; they are shown rounded down to two decimals so that a
failing figure never prints as the minimum it missed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatebot.core.verdict import Finding, RuleResult

if TYPE_CHECKING:
    from gatebot.core.facts import CoverageReport

RULE_ID = "coverage"
LEAST_COVERED_SHOWN = 5


def evaluate(
    report: CoverageReport | None,
    min_coverage: float,
    *,
    critical: bool = False,
    critical_min: float = 0.0,
    tests_ran: bool = True,
    report_path: str = "coverage.json",
) -> RuleResult:
    """Pass when ``report.percent`` ≥ the minimum, e.g. summary ``87.5% ≥ 80%``.

    The minimum is ``min_coverage``, or ``critical_min`` for a ``critical`` task
    (docs/protocol.md, "Emergency fast-track"), which the summary then says. A minimum of 0 always passes.
    Below the minimum → ``fail`` with a finding naming the report and findings
    for the least-covered files. No report (``None``) → ``fail``, naming
    ``report_path`` (where it was looked for) and how to produce it.
    ``tests_ran=False`` (the tests check failed or did not finish) → ``skip``:
    the tests rule already fails the gate and a partial report would mislead.
    """
    minimum = critical_min if critical else min_coverage
    label = "critical task: critical.min_coverage" if critical else ""
    if minimum <= 0:
        measured = f"{_pct(report.percent)}; " if report is not None else ""
        return RuleResult(RULE_ID, "pass", _join(f"{measured}no minimum", label))
    if not tests_ran:
        return RuleResult(RULE_ID, "skip", _join("not judged: the tests check did not pass", label))
    if report is None:
        return _missing(report_path, minimum, label)
    if report.percent >= minimum:
        summary = f"{_pct(report.percent)} ≥ {_pct(minimum)}"
        return RuleResult(RULE_ID, "pass", _join(summary, label))
    return _below(report, minimum, label)


def _missing(report_path: str, minimum: float, label: str) -> RuleResult:
    message = (
        f"no coverage report at {report_path}; make the tests check write coverage.py's "
        "JSON report (coverage json)"
    )
    summary = _join(f"no coverage report (minimum {_pct(minimum)})", label)
    return RuleResult(RULE_ID, "fail", summary, (Finding(message),))


def _below(report: CoverageReport, minimum: float, label: str) -> RuleResult:
    summary = _join(f"{_pct(report.percent)} < {_pct(minimum)}", label)
    findings = [
        Finding(
            f"total line coverage {_pct(report.percent)} is below the minimum {_pct(minimum)} "
            f"(report: {report.path}); add tests for the least-covered files"
        )
    ]
    least = sorted(report.files.items(), key=lambda item: (item[1], item[0]))
    findings += [
        Finding(f"{_pct(percent)} covered", path=path)
        for path, percent in least[:LEAST_COVERED_SHOWN]
        if percent < minimum
    ]
    return RuleResult(RULE_ID, "fail", summary, tuple(findings))


def _pct(value: float) -> str:
    """``87.5%``, ``80%``, ``79.99%``: rounded down to two decimals, trailing zeros dropped."""
    from decimal import ROUND_FLOOR, Decimal  # noqa: PLC0415 - only to show a measured figure

    rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    text = f"{rounded:f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _join(summary: str, label: str) -> str:
    return f"{summary} ({label})" if label else summary
