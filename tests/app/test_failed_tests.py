"""``gatebot review`` names the tests that failed, from the JUnit report of this run's tests check.

Real repositories, real nox and pytest: a failing test on a task branch shows up in the
verdict with its file, line and message; a report left from an older run is never read; a
broken report is said to be unreadable and never crashes the review.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from tests.repos import NOXFILE, Repo, make_repo, run_cli

JUNIT_NOXFILE = NOXFILE.replace('"-q", "-p", "no:cacheprovider", "tests")',
                                '"-q", "-p", "no:cacheprovider", "--junitxml=junit.xml", "tests")')
FAILING = textwrap.dedent("""\
    from app.core import add


    class TestAdd:
        def test_carries(self):
            assert add(1, 2) == 4
    """)


def review(repo: Repo, fmt: str = "json", env: dict[str, str] | None = None) -> tuple[int, str]:
    result = run_cli(repo.path, "review", "--format", fmt, env=env)
    return result.exit_code, result.stdout


def checks_tests_rule(stdout: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in json.loads(stdout)["rules"] if r["id"] == "checks.tests")


def test_a_failing_pytest_test_is_named_in_json_and_github_output(tmp_path: Path) -> None:
    assert JUNIT_NOXFILE != NOXFILE
    repo = make_repo(tmp_path, with_nox=True)
    repo.write("noxfile.py", JUNIT_NOXFILE)
    repo.commit("the tests check writes a JUnit report")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-carry")
    repo.write("tests/test_carry.py", FAILING)
    repo.commit("a test that fails")
    code, stdout = review(repo)
    assert code == 1
    rule = checks_tests_rule(stdout)
    assert rule["status"] == "fail"
    assert rule["summary"].endswith("; 1 of 2 tests failed"), rule
    failed = [f for f in rule["findings"] if "test" in f]
    assert failed == [{
        "path": "tests/test_carry.py", "line": 6,
        "test": "tests/test_carry.py::TestAdd::test_carries",
        "message": "tests/test_carry.py::TestAdd::test_carries failed: "
                   "assert 3 == 4 + where 3 = add(1, 2)",
    }]
    assert not (repo.path / "junit.xml").exists()  # the run's own report is not left behind
    summary = tmp_path / "summary.md"
    code, stdout = review(repo, "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert code == 1
    assert ("::error file=tests/test_carry.py,line=6,title=checks.tests%3A tests/test_carry.py"
            "%3A%3ATestAdd%3A%3Atest_carries::tests/test_carry.py::TestAdd::test_carries failed"
            ) in stdout
    assert "`tests/test\\_carry.py:6` tests/test\\_carry.py::TestAdd::test\\_carries" in (
        summary.read_text(encoding="utf-8"))


WRITER = textwrap.dedent("""\
    import pathlib, shutil, sys
    source = pathlib.Path("report.src")
    if source.exists():
        shutil.copyfile(source, "junit.xml")
    sys.exit(1)
    """)
STALE = ('<testsuites><testsuite name="pytest"><testcase classname="tests.test_core" '
         'name="test_from_last_week"><failure message="old news"/></testcase>'
         '</testsuite></testsuites>')


def command_repo(tmp_path: Path) -> Repo:
    """A repository whose tests check is a command that fails, writing ``report.src`` as its
    JUnit report when that file exists."""
    repo = make_repo(tmp_path)
    repo.write("write_report.py", WRITER)
    repo.write(".gatebot.toml", "min_coverage = 0\n[checks]\nrequired = []\n"
               f"commands = {{ tests = {json.dumps([sys.executable, 'write_report.py'])} }}\n")
    repo.commit("a tests check that fails")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-x")
    repo.write("README.md", "hi\n")
    repo.commit("docs")
    return repo


def test_a_report_this_run_did_not_write_is_never_read(tmp_path: Path) -> None:
    repo = command_repo(tmp_path)
    (repo.path / "junit.xml").write_text(STALE)  # left over from an older run
    _, stdout = review(repo)
    rule = checks_tests_rule(stdout)
    assert rule["status"] == "fail" and "test_from_last_week" not in stdout, rule
    assert (repo.path / "junit.xml").read_text() == STALE  # the reviewer's file is left alone
    (repo.path / "report.src").write_text(STALE)  # now this run writes it
    _, stdout = review(repo)
    assert [f["test"] for f in checks_tests_rule(stdout)["findings"] if "test" in f] == [
        "tests/test_core.py::test_from_last_week"]


def test_a_malformed_report_is_unreadable_and_the_review_still_answers(tmp_path: Path) -> None:
    repo = command_repo(tmp_path)
    (repo.path / "report.src").write_text("<testsuites><testsuite name='pytest'><testcase")
    code, stdout = review(repo)
    assert code == 1  # the gate failed; no crash (3), no environment error (2)
    rule = checks_tests_rule(stdout)
    assert rule["summary"].endswith("(JUnit report unreadable)"), rule
    assert "the JUnit report junit.xml is unreadable: it is not a JUnit XML report" in (
        rule["findings"][-1]["message"])
    code, stdout = review(repo, "text")
    assert code == 1 and "JUnit report junit.xml is unreadable" in stdout
    assert not (repo.path / "junit.xml").exists()


SKIP_EVERY_TEST = textwrap.dedent("""\
    import pytest


    def pytest_collection_modifyitems(items):
        for item in items:
            item.add_marker(pytest.mark.skip(reason="later"))
    """)


def test_a_tests_check_that_ran_no_test_fails(tmp_path: Path) -> None:
    """A ``conftest.py`` skips every test: pytest exits 0, but the JUnit report shows that no
    test ran, so ``checks.tests`` fails and says so."""
    repo = make_repo(tmp_path, with_nox=True)
    repo.write("noxfile.py", JUNIT_NOXFILE)
    repo.commit("the tests check writes a JUnit report")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-skip")
    repo.write("tests/conftest.py", SKIP_EVERY_TEST)
    repo.commit("skip them all")
    code, stdout = review(repo)
    assert code == 1
    rule = checks_tests_rule(stdout)
    assert rule["status"] == "fail", rule
    assert rule["summary"] == "tests ran no test (every one of its 1 tests was skipped)", rule
    assert "no test ran" in rule["findings"][0]["message"]
