"""Whole rule results (id, status, summary, findings) where only parts were pinned. Pure.

The ``id`` of a result is the verdict contract (``gatebot.verdict/1``): a result
under the wrong id would leave the gate without its rule.
"""

from __future__ import annotations

import pytest

from gatebot.core.facts import Change, CoverageReport, Definition, FileMetrics
from gatebot.core.rules import (
    checks,
    coverage,
    docstrings,
    file_length,
    function_length,
    gate_files,
)
from gatebot.core.verdict import Finding, RuleResult

REPORT = "build/coverage.json"


# -- coverage ------------------------------------------------------------------------------
def test_least_covered_ties_go_by_path_and_files_at_the_minimum_are_not_listed() -> None:
    files = {"b.py": 10.0, "a.py": 10.0, "c.py": 80.0, "d.py": 79.99}
    rule = coverage.evaluate(CoverageReport(50.0, REPORT, files), 80)
    assert [(f.path, f.message) for f in rule.findings[1:]] == [
        ("a.py", "10% covered"), ("b.py", "10% covered"), ("d.py", "79.99% covered")]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"tests_ran": False},
         RuleResult("coverage", "skip", "not judged: the tests check did not pass")),
        ({"tests_ran": False, "critical": True, "critical_min": 90},
         RuleResult("coverage", "skip", "not judged: the tests check did not pass (critical "
                                        "task: critical.min_coverage)")),
        ({"critical": True, "critical_min": 90, "report_path": "out/cov.json"},
         RuleResult("coverage", "fail", "no coverage report (minimum 90%) (critical task: "
                                        "critical.min_coverage)",
                    (Finding("no coverage report at out/cov.json; make the tests check write "
                             "coverage.py's JSON report (coverage json)"),))),
        ({}, RuleResult("coverage", "fail", "no coverage report (minimum 80%)",
                        (Finding("no coverage report at coverage.json; make the tests check "
                                 "write coverage.py's JSON report (coverage json)"),))),
    ],
)
def test_coverage_without_a_report(kwargs: dict, expected: RuleResult) -> None:
    assert coverage.evaluate(None, 80, **kwargs) == expected


# -- checks.required -------------------------------------------------------------------------
def test_a_missing_required_check_is_a_failing_check_rule() -> None:
    (rule,) = checks.missing_required(["tests", "lint", "tests"], ["lint"])
    assert rule == RuleResult(
        "checks.tests", "fail",
        "tests is required but not defined (no nox session, no configured command)",
        (Finding("required check 'tests' cannot run on this tree: define a nox session `tests` "
                 "in noxfile.py, set checks.commands.tests, or remove 'tests' from "
                 "checks.required in the base branch's configuration"),),
    )
    assert checks.missing_required(["tests"], ["tests", "lint"]) == []


# -- gate-files --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changed", "approvers", "expected"),
    [
        ([], [], RuleResult("gate-files", "pass", "no file that defines the gates changed")),
        (["noxfile.py", "tox.ini"], ["Mia@x.org"],
         RuleResult("gate-files", "pass", "noxfile.py, tox.ini changed; approved by maintainer "
                                          "Mia@x.org")),
        (["noxfile.py"], [],
         RuleResult("gate-files", "fail", "noxfile.py changed: needs a maintainer's approval",
                    (Finding("defines the gates: needs a maintainer's approval "
                             "(claims.maintainers: mia, mia@x.org)", path="noxfile.py"),))),
        (["noxfile.py", ".gatebot.toml"], ["rev1"],
         RuleResult("gate-files", "fail", "noxfile.py, .gatebot.toml changed: needs a "
                                          "maintainer's approval (rev1 is not one)",
                    (Finding("defines the gates: needs a maintainer's approval "
                             "(claims.maintainers: mia, mia@x.org)", path="noxfile.py"),
                     Finding("defines the gates: needs a maintainer's approval "
                             "(claims.maintainers: mia, mia@x.org)", path=".gatebot.toml")))),
        (["tox.ini"], ["rev1", "rev2"],
         RuleResult("gate-files", "fail", "tox.ini changed: needs a maintainer's approval "
                                          "(rev1, rev2 are not one)",
                    (Finding("defines the gates: needs a maintainer's approval "
                             "(claims.maintainers: mia, mia@x.org)", path="tox.ini"),))),
    ],
)
def test_gate_files_results(changed: list[str], approvers: list[str],
                            expected: RuleResult) -> None:
    result = gate_files.evaluate(changed, maintainers=["mia", "mia@x.org"], approvers=approvers)
    assert result == expected


def test_gate_files_without_maintainers_says_how_to_configure_them() -> None:
    result = gate_files.evaluate(["noxfile.py"], maintainers=[], approvers=["rev1"])
    assert result.findings == (Finding(
        "defines the gates: needs a maintainer's approval (no maintainers are configured: set "
        "claims.maintainers on the base branch)", path="noxfile.py"),)


# -- function-length ---------------------------------------------------------------------------
def test_findings_go_by_path_then_line_and_a_lineless_error_comes_first() -> None:
    long_at_1 = Definition("function", "big", 1, 100)
    metrics = [
        FileMetrics("b.py", 100, "python", (long_at_1,)),
        FileMetrics("a.py", 100, "python", (Definition("function", "later", 5, 99), long_at_1),
                    error="cannot parse: unexpected indent"),
    ]
    rule = function_length.evaluate(metrics, 80)
    assert [(f.path, f.line, f.message.split()[0]) for f in rule.findings] == [
        ("a.py", None, "cannot"), ("a.py", 1, "big"), ("a.py", 5, "later"), ("b.py", 1, "big")]


# -- checks.required on a tox project -------------------------------------------------------------
def test_a_missing_required_check_of_a_tox_project_names_tox_ways_out() -> None:
    rules = checks.missing_required(["tests", "lint", "build"], ["build"],
                                    tox_aliases={"lint": ["ruff", "flake8"]})
    assert [r.id for r in rules] == ["checks.tests", "checks.lint"]
    assert rules[0] == RuleResult(
        "checks.tests", "fail",
        "tests is required but not defined (no tox environment, no configured command)",
        (Finding("required check 'tests' cannot run on this tree: the tox configuration has no "
                 "environment `tests`. Add a tox environment `tests`, set "
                 'checks.tox_aliases.tests = ["ENV"] to the environment that is this check, set '
                 "checks.commands.tests, or remove 'tests' from checks.required in the base "
                 "branch's configuration"),),
    )
    assert rules[1].findings[0].message.startswith(
        "required check 'lint' cannot run on this tree: the tox configuration has no "
        "environment `lint` (nor one named by checks.tox_aliases.lint: ruff, flake8). ")
    assert checks.missing_required(["tests"], ["tests"], tox_aliases={}) == []
    nox_style = checks.missing_required(["tests"], [], tox_aliases=None)
    assert "nox session" in nox_style[0].summary


# -- docstrings: what the change added or edited ----------------------------------------------------
MODULE = Definition("module", "m", 1, 10)
KLASS = Definition("class", "K", 3, 8)
FUNC = Definition("function", "f", 4, 6)


@pytest.mark.parametrize(
    ("lines", "judged"),
    [
        (None, (True, True, True)),  # --all: every definition
        ({"m.py": frozenset(range(1, 11))}, (True, True, True)),  # the file was added
        ({"m.py": frozenset(range(1, 10))}, (False, True, True)),  # all but the last line
        ({"m.py": frozenset(range(2, 11))}, (False, True, True)),  # all but the first line
        ({"m.py": frozenset({3})}, (False, True, False)),  # the class line only
        ({"m.py": frozenset({5})}, (False, False, True)),  # inside the function
        ({"m.py": frozenset({4}), "other.py": frozenset(range(1, 11))}, (False, False, True)),
        ({"m.py": frozenset({8})}, (False, False, False)),  # the class body, past the function
        ({"other.py": frozenset(range(1, 11))}, (False, False, False)),
        ({}, (False, False, False)),
    ],
)
def test_docstrings_judge_what_the_change_added_or_edited(
    lines: dict[str, frozenset[int]] | None, judged: tuple[bool, bool, bool]
) -> None:
    change = Change("b", "h", "mb", ("m.py",), changed_lines=lines)
    assert tuple(docstrings.judged(change, "m.py", d) for d in (MODULE, KLASS, FUNC)) == judged


# -- the length rules: long files and functions the change left alone --------------------------------
def test_file_length_judges_every_file_after_one_left_alone() -> None:
    metrics = [FileMetrics("old.py", 950), FileMetrics("old2.py", 990), FileMetrics("new.py", 901),
               FileMetrics("short.py", 10)]
    rule = file_length.evaluate(metrics, 900, {"old.py": 960, "old2.py": 990})
    assert rule == RuleResult(
        "file-length", "fail", "1 file over 900 lines; 2 files over 900 not grown by the change "
        "left alone (--all judges every file)", (Finding("901 lines (max 900)", "new.py", 901),))
    passing = file_length.evaluate(metrics[:2] + metrics[3:], 900, {"old.py": 960, "old2.py": 990})
    assert passing.summary == ("1 file within 900 lines; 2 files over 900 not grown by the change "
                               "left alone (--all judges every file)")


def test_function_length_counts_the_long_functions_it_left_alone() -> None:
    long_a, long_b = Definition("function", "a", 1, 90), Definition("function", "b", 100, 190)
    change = Change("b", "h", "mb", ("m.py",), changed_lines={"m.py": frozenset({300})})
    rule = function_length.evaluate([FileMetrics("m.py", 400, "python", (long_a, long_b))], 80,
                                    change)
    assert (rule.status, rule.summary) == (
        "pass", "no function over 80 lines; 2 unchanged functions over 80 left alone (--all "
        "judges every function)")
    one = function_length.evaluate([FileMetrics("m.py", 400, "python", (long_a,))], 80, change)
    assert "; 1 unchanged function over 80 left alone" in one.summary
