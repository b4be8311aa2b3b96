"""Rule ``tests-present``: a change to source files also adds or changes a test. Pure.

A path that matches a test pattern is a test, even when it matches a source
pattern too (``tests/test_x.py`` is Python); the rule fails only when source
changed and no test did.
"""

from __future__ import annotations

import pytest

from gatebot.core.rules.tests_present import evaluate
from gatebot.core.verdict import Finding, RuleResult

TESTS = ("tests/**", "**/test_*.py")
SOURCES = ("**/*.py", "**/*.ts")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([], RuleResult("tests-present", "pass", "no source files changed")),
        (["README.md", "docs/a.md"], RuleResult("tests-present", "pass", "no source files changed")),
        (["tests/test_x.py"], RuleResult("tests-present", "pass", "no source files changed")),
        (["pkg/test_y.py", "tests/helper.py"],
         RuleResult("tests-present", "pass", "no source files changed")),
        (["app/x.py", "tests/test_x.py"],
         RuleResult("tests-present", "pass", "1 source and 1 test files changed")),
        (["app/x.py", "web/a.ts", "pkg/test_a.py", "README.md"],
         RuleResult("tests-present", "pass", "2 source and 1 test files changed")),
        (["app/x.py", "README.md"],
         RuleResult("tests-present", "fail", "1 source files changed and no test file did",
                    (Finding("source changed without a test change", path="app/x.py"),))),
    ],
)
def test_tests_present(files: list[str], expected: RuleResult) -> None:
    assert evaluate(files, test_patterns=TESTS, source_patterns=SOURCES) == expected


def test_findings_stop_at_ten_but_the_count_is_whole() -> None:
    files = [f"app/m{i}.py" for i in range(12)]
    result = evaluate(files, test_patterns=TESTS, source_patterns=SOURCES)
    assert result.summary == "12 source files changed and no test file did"
    assert [f.path for f in result.findings] == files[:10]


def test_without_source_patterns_nothing_is_source() -> None:
    result = evaluate(["app/x.py"], test_patterns=TESTS, source_patterns=())
    assert result.status == "pass"
    result = evaluate(["app/x.py"], test_patterns=(), source_patterns=SOURCES)
    assert result.status == "fail"
