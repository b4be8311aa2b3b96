"""Rule ``coverage`` (SPEC §5.1, §5.4): pure, table-driven."""

from __future__ import annotations

import pytest

from gatebot.core.facts import CoverageReport
from gatebot.core.rules.coverage import evaluate
from gatebot.core.verdict import Finding

REPORT = "build/coverage.json"


def report(percent: float, **files: float) -> CoverageReport:
    return CoverageReport(percent=percent, path=REPORT, files=files)


@pytest.mark.parametrize(
    ("percent", "minimum", "status", "summary"),
    [
        (87.5, 80, "pass", "87.5% ≥ 80%"),
        (80.0, 80, "pass", "80% ≥ 80%"),
        (100, 80, "pass", "100% ≥ 80%"),
        (79.999, 80, "fail", "79.99% < 80%"),  # never shown as the 80% it missed
        (0.29, 0.3, "fail", "0.29% < 0.3%"),
        (12.0, 0, "pass", "12%; no minimum"),
    ],
)
def test_total_against_the_minimum(
    percent: float, minimum: float, status: str, summary: str
) -> None:
    rule = evaluate(report(percent), minimum)
    assert (rule.id, rule.status, rule.summary) == ("coverage", status, summary)


def test_below_the_minimum_names_the_report_and_the_least_covered_files() -> None:
    files = {
        "a.py": 10.0,
        "b.py": 95.0,
        "c.py": 40.0,
        "d.py": 20.0,
        "e.py": 30.0,
        "f.py": 50.0,
        "g.py": 60.0,
    }
    rule = evaluate(report(62.5, **files), 80)
    assert rule.status == "fail"
    assert rule.findings[0] == Finding(
        "total line coverage 62.5% is below the minimum 80% (report: build/coverage.json); "
        "add tests for the least-covered files"
    )
    assert rule.findings[1:] == (
        Finding("10% covered", path="a.py"),
        Finding("20% covered", path="d.py"),
        Finding("30% covered", path="e.py"),
        Finding("40% covered", path="c.py"),
        Finding("50% covered", path="f.py"),
    )


def test_only_files_below_the_minimum_are_listed() -> None:
    rule = evaluate(report(70, **{"low.py": 40.0, "high.py": 100.0}), 80)
    assert [f.path for f in rule.findings] == [None, "low.py"]


def test_no_report_fails_and_says_how_to_make_one() -> None:
    rule = evaluate(None, 80, report_path="out/coverage.json")
    assert (rule.status, rule.summary) == ("fail", "no coverage report (minimum 80%)")
    assert rule.findings == (
        Finding(
            "no coverage report at out/coverage.json; make the tests check write coverage.py's "
            "JSON report (coverage json)"
        ),
    )
    assert "at coverage.json;" in evaluate(None, 80).findings[0].message


def test_no_report_passes_when_no_coverage_is_required() -> None:
    rule = evaluate(None, 0)
    assert (rule.status, rule.summary, rule.findings) == ("pass", "no minimum", ())


@pytest.mark.parametrize(
    ("percent", "status", "summary"),
    [
        (12.0, "pass", "12%; no minimum (critical task: critical.min_coverage)"),
        (None, "pass", "no minimum (critical task: critical.min_coverage)"),
    ],
)
def test_a_critical_task_uses_the_critical_minimum(
    percent: float | None, status: str, summary: str
) -> None:
    given = report(percent) if percent is not None else None
    rule = evaluate(given, 80, critical=True)
    assert (rule.status, rule.summary) == (status, summary)


def test_a_critical_minimum_can_be_set_and_still_fails_below_it() -> None:
    assert evaluate(report(55), 80, critical=True, critical_min=50).summary == (
        "55% ≥ 50% (critical task: critical.min_coverage)"
    )
    rule = evaluate(report(45), 80, critical=True, critical_min=50)
    assert (rule.status, rule.summary) == (
        "fail",
        "45% < 50% (critical task: critical.min_coverage)",
    )
    assert evaluate(report(55), 80, critical=False, critical_min=50).status == "fail"


def test_not_judged_when_the_tests_check_did_not_pass() -> None:
    rule = evaluate(report(10), 80, tests_ran=False)
    assert (rule.status, rule.summary, rule.findings) == (
        "skip",
        "not judged: the tests check did not pass",
        (),
    )
    assert evaluate(None, 80, tests_ran=False).status == "skip"
    assert evaluate(None, 0, tests_ran=False).status == "pass"
