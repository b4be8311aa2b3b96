"""``checks.tests`` names the failing tests of its JUnit report, in every output format.

Pure: the rule reads ``TestReport`` facts; the renderers are gatebot's own
(``gatebot.app.output``), fed the verdict the rule gives.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gatebot.app import output
from gatebot.core.facts import CheckResult, FailedTest, TestReport
from gatebot.core.rules.checks import FAILED_TESTS_SHOWN, evaluate
from gatebot.core.verdict import Verdict

LOG = "/tmp/logs/tests.log"
FAILED = CheckResult("tests", "fail", 1, 2.0, LOG, message="nox session tests failed")
BROKEN = FailedTest("tests/test_x.py::TestA::test_b", "failure", "assert 3 == 4",
                    "tests/test_x.py", 11)
CRASHED = FailedTest("tests.test_y.test_c", "error", "fixture 'db' not found")
REPORT = TestReport("junit.xml", tests=7, failed=(BROKEN, CRASHED))


def test_each_failing_test_is_a_finding_with_file_line_and_message() -> None:
    (rule,) = evaluate([FAILED], REPORT)
    assert rule.status == "fail"
    assert rule.summary == "tests failed (exit 1): nox session tests failed; 2 of 7 tests failed"
    log, first, second = rule.findings
    assert log.message.endswith(f"log: {LOG}")
    assert (first.path, first.line, first.test) == ("tests/test_x.py", 11, BROKEN.name)
    assert first.message == "tests/test_x.py::TestA::test_b failed: assert 3 == 4"
    assert (second.path, second.line) == (None, None)
    assert second.message == "tests.test_y.test_c errored: fixture 'db' not found"
    assert first.to_json() == {"path": "tests/test_x.py", "line": 11, "test": BROKEN.name,
                               "message": first.message}
    assert "test" not in log.to_json()  # the contract's keys, only these for other findings


def test_the_list_is_bounded_and_counts_the_rest() -> None:
    many = tuple(FailedTest(f"t{i}", "failure", "no") for i in range(FAILED_TESTS_SHOWN + 7))
    (rule,) = evaluate([FAILED], TestReport("junit.xml", tests=100, failed=many))
    assert len(rule.findings) == 1 + FAILED_TESTS_SHOWN + 1
    assert rule.findings[-1].message == "7 more failing tests are listed in junit.xml"


def test_an_unreadable_report_is_said_never_raised() -> None:
    bad = TestReport("junit.xml", unreadable="it is not a JUnit XML report (unclosed token)")
    (rule,) = evaluate([FAILED], bad)
    assert rule.status == "fail"
    assert rule.summary.endswith("(JUnit report unreadable)")
    assert "the JUnit report junit.xml is unreadable: it is not a JUnit XML report" in (
        rule.findings[-1].message)


@pytest.mark.parametrize("check", [
    CheckResult("tests", "pass", 0, 1.0, LOG),  # a passing check lists nothing
    CheckResult("lint", "fail", 1, 1.0, LOG),  # the report is the tests check's
])
def test_only_a_failing_tests_check_lists_tests(check: CheckResult) -> None:
    assert evaluate([check], REPORT) == evaluate([check])


def verdict() -> Verdict:
    return Verdict("review", "a" * 40, "b" * 40, tuple(evaluate([FAILED], REPORT)), task=4)


def test_every_format_names_the_failing_tests(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    doc = json.loads(output.render_json(verdict()))
    findings = doc["rules"][0]["findings"]
    assert [f.get("test") for f in findings] == [None, BROKEN.name, CRASHED.name]
    assert set(doc) == {"schema", "gate", "verdict", "task", "head", "base", "actor", "rules"}
    markdown = output.render_markdown(verdict())
    assert "- `tests/test\\_x.py:11` tests/test\\_x.py::TestA::test\\_b failed: assert 3 == 4" in (
        markdown)
    text = io.StringIO()
    output.render_text(verdict(), text)
    assert "tests/test_x.py:11: tests/test_x.py::TestA::test_b failed: assert 3 == 4" in (
        text.getvalue())
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))  # where Actions wants it
    annotations = io.StringIO()
    output.emit(verdict(), "github", annotations)
    assert ("::error file=tests/test_x.py,line=11,title=checks.tests%3A tests/test_x.py%3A%3A"
            "TestA%3A%3Atest_b::tests/test_x.py::TestA::test_b failed: assert 3 == 4") in (
        annotations.getvalue())
    assert summary.read_text(encoding="utf-8") == markdown
