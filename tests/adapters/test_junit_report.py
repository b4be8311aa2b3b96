"""Reading JUnit XML reports: real pytest reports of both families, and broken ones.

The reports come from a real pytest run in a tmp directory; the reader never raises.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gatebot.adapters.junit_report import MESSAGE_MAX, read_junit

TESTS = textwrap.dedent('''\
    import pytest


    def helper(x):
        assert x == 4


    def test_ok():
        assert True


    def test_plain():
        assert 1 + 2 == 4


    class TestGroup:
        def test_through_helper(self):
            helper(3)


    @pytest.fixture
    def broken():
        raise RuntimeError("no database")


    def test_with_broken_fixture(broken):
        pass
    ''')


def pytest_report(root: Path, family: str) -> Path:
    """Run real pytest on ``tests/test_sample.py`` under ``root``, writing ``junit.xml``."""
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "test_sample.py").write_text(TESTS)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
         f"junit_family={family}", "--junitxml=junit.xml", "tests"],
        cwd=root, capture_output=True, check=False, timeout=120,
    )
    return root / "junit.xml"


@pytest.mark.parametrize("family", ["xunit2", "xunit1"])
def test_a_real_pytest_report_names_file_line_and_message(tmp_path: Path, family: str) -> None:
    pytest_report(tmp_path, family)
    report = read_junit(tmp_path, "junit.xml")
    assert report is not None and report.unreadable is None
    assert report.tests == 4
    by_name = {t.name: t for t in report.failed}
    assert sorted(by_name) == ["tests/test_sample.py::TestGroup::test_through_helper",
                               "tests/test_sample.py::test_plain",
                               "tests/test_sample.py::test_with_broken_fixture"]
    plain = by_name["tests/test_sample.py::test_plain"]
    assert (plain.path, plain.line, plain.outcome) == ("tests/test_sample.py", 13, "failure")
    assert "assert (1 + 2) == 4" in plain.message or "assert 3 == 4" in plain.message
    helped = by_name["tests/test_sample.py::TestGroup::test_through_helper"]
    assert (helped.path, helped.line) == ("tests/test_sample.py", 5)  # where it failed
    fixture = by_name["tests/test_sample.py::test_with_broken_fixture"]
    assert fixture.outcome == "error" and fixture.path == "tests/test_sample.py"
    assert fixture.line == 23  # the raise in the fixture, a line of the test's own file


@pytest.mark.parametrize(("text", "why"), [
    ("<testsuites><testsuite name='x'><testcase", "not a JUnit XML report"),
    ("", "not a JUnit XML report"),
    ("<html><body>oops</body></html>", "not a JUnit XML report (Invalid format.)"),
    ("\xff\xfe garbage", "not a JUnit XML report"),
])
def test_a_broken_report_is_unreadable_not_an_exception(tmp_path: Path, text: str,
                                                         why: str) -> None:
    (tmp_path / "junit.xml").write_text(text, encoding="latin-1")
    report = read_junit(tmp_path, "junit.xml")
    assert report is not None and report.failed == () and why in (report.unreadable or "")


def test_no_report_is_none(tmp_path: Path) -> None:
    assert read_junit(tmp_path, "junit.xml") is None


def test_paths_outside_the_repository_are_dropped_and_messages_bounded(tmp_path: Path) -> None:
    (tmp_path / "suite_test.py").write_text("")
    long = "x" * (MESSAGE_MAX * 3)
    (tmp_path / "junit.xml").write_text(textwrap.dedent(f'''\
        <testsuites><testsuite name="outer"><testsuite name="jest">
          <testcase classname="suite_test" name="nested" file="/etc/passwd" line="3">
            <failure message="{long}">at /etc/hosts.py:1: boom</failure></testcase>
          <testcase classname="x" name="in repo" file="{tmp_path}/suite_test.py" line="7">
            <error type="Boom"/></testcase>
        </testsuite></testsuite></testsuites>
        '''))
    report = read_junit(tmp_path, "junit.xml")
    assert report is not None and report.tests == 2
    nested, absolute = report.failed
    assert nested.path == "suite_test.py"  # from its classname: /etc/passwd is not ours
    assert len(nested.message) == MESSAGE_MAX and nested.message.endswith("…")
    assert (absolute.path, absolute.line, absolute.outcome) == ("suite_test.py", 7, "error")
    assert absolute.message == "Boom"
