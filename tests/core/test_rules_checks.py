"""Rule ``checks.<name>`` (SPEC §5.1): pure, table-driven."""

from __future__ import annotations

import pytest

from gatebot.core.facts import CheckResult
from gatebot.core.rules.checks import evaluate
from gatebot.core.verdict import Finding, RuleResult

LOG = "/tmp/logs/tests.log"


@pytest.mark.parametrize(
    ("result", "status", "summary"),
    [
        (CheckResult("tests", "pass", 0, 3.04, LOG), "pass", "tests passed in 3.0 s"),
        (
            CheckResult("tests", "pass", 0, 1.0, LOG, message="nox skipped tests-3.13: absent"),
            "pass",
            "tests passed in 1.0 s (nox skipped tests-3.13: absent)",
        ),
        (
            CheckResult("tests", "fail", 1, 2.0, LOG, message="exit 1"),
            "fail",
            "tests failed (exit 1)",
        ),
        (CheckResult("tests", "fail", 1, 2.0, LOG), "fail", "tests failed (exit 1)"),
        (
            CheckResult("lint", "fail", 1, 2.0, LOG, message="nox session lint failed"),
            "fail",
            "lint failed (exit 1): nox session lint failed",
        ),
        (
            CheckResult("tests", "error", -15, 1800.2, LOG, message="timed out after 1800 s"),
            "error",
            "tests could not finish: timed out after 1800 s",
        ),
        (
            CheckResult("build", "error", None, 0.0, LOG, message="cannot run 'hatch': absent"),
            "error",
            "build could not finish: cannot run 'hatch': absent",
        ),
        (CheckResult("odd", "error", None, 0.0), "error", "odd could not finish: unknown error"),
        (CheckResult("odd", "fail", None, 0.0), "fail", "odd failed (no exit code)"),
    ],
)
def test_each_check_becomes_one_rule(result: CheckResult, status: str, summary: str) -> None:
    (rule,) = evaluate([result])
    assert (rule.id, rule.status, rule.summary) == (f"checks.{result.name}", status, summary)
    assert rule.duration_s == result.duration_s
    assert rule.log_path == result.log_path
    if status == "pass":
        assert rule.findings == ()
    else:
        log = f"; log: {result.log_path}" if result.log_path else ""
        assert rule.findings == (Finding(f"{summary}{log}"),)


def test_a_failure_names_its_log() -> None:
    (rule,) = evaluate([CheckResult("tests", "fail", 1, 4.5, LOG, message="exit 1")])
    assert rule == RuleResult(
        id="checks.tests",
        status="fail",
        summary="tests failed (exit 1)",
        findings=(Finding("tests failed (exit 1); log: /tmp/logs/tests.log"),),
        duration_s=4.5,
        log_path=LOG,
    )
    assert rule.to_json()["log"] == LOG


def test_order_is_kept_and_nothing_in_gives_nothing_out() -> None:
    results = [CheckResult(n, "pass", 0, 0.1) for n in ("lint", "tests", "build")]
    assert [r.id for r in evaluate(results)] == ["checks.lint", "checks.tests", "checks.build"]
    assert evaluate([]) == []
