"""gatebot.adapters.coverage_report on reports written by the real coverage.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from gatebot.adapters import proc
from gatebot.adapters.checks import plan_checks, run_checks
from gatebot.adapters.coverage_report import read_coverage
from gatebot.errors import EnvironmentProblem


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A report produced by `coverage run` + `coverage json` on a two-file program."""
    root = tmp_path_factory.mktemp("covered")
    (root / "half.py").write_text("def used():\n    return 1\n\n\ndef unused():\n    return 2\n")
    (root / "main.py").write_text("import half\n\nhalf.used()\n")
    (root / ".coveragerc").write_text("[run]\nbranch = False\n")
    env = {"COVERAGE_FILE": str(root / ".coverage"), "COVERAGE_RCFILE": str(root / ".coveragerc")}
    coverage = (sys.executable, "-m", "coverage")
    proc.run((*coverage, "run", "main.py"), cwd=root, env=env)
    proc.run((*coverage, "json", "-o", "coverage.json"), cwd=root, env=env)
    data: dict[str, Any] = json.loads((root / "coverage.json").read_text())
    return data


NOXFILE = """
import sys
import nox


@nox.session(python=False)
def tests(session):
    # Its own settings and data, even under an outer coverage run that exports its own.
    coverage = (sys.executable, "-m", "coverage")
    own = {"COVERAGE_FILE": ".coverage", "COVERAGE_RCFILE": ".coveragerc"}
    pytest = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "test_calc.py")
    session.run(*coverage, "run", *pytest, env=own)
    session.run(*coverage, "json", "-o", "coverage.json", env=own)
"""


def test_a_real_nox_tests_session_writes_the_report_gatebot_reads(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "noxfile.py").write_text(NOXFILE)
    (root / "calc.py").write_text(
        "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
    )
    (root / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / ".coveragerc").write_text("[run]\ninclude = calc.py\n")
    logs = tmp_path / "logs"

    (result,) = run_checks(plan_checks(root, log_dir=logs), root, logs, jobs=1)

    log = (logs / "tests.log").read_text()
    assert (result.name, result.status) == ("tests", "pass"), log
    assert "1 passed" in log
    report = read_coverage(root / "coverage.json")
    assert report is not None
    # calc.py has 4 statements; the test runs `add` but never the body of `sub`.
    assert (report.percent, dict(report.files)) == (75.0, {"calc.py": 75.0})
    assert report.path == str(root / "coverage.json")


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "coverage.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_reads_total_and_per_file_coverage(tmp_path: Path, real_report: dict[str, Any]) -> None:
    path = write(tmp_path, real_report)
    report = read_coverage(path)
    assert report is not None
    # half.py: 4 statements, 3 run (`return 2` never); main.py: 2 of 2.
    assert dict(report.files) == {"half.py": 75.0, "main.py": 100.0}
    assert report.percent == pytest.approx(100 * 5 / 6)
    assert report.path == str(path)


def test_no_file_means_no_report(tmp_path: Path) -> None:
    assert read_coverage(tmp_path / "coverage.json") is None


def test_a_report_without_files_is_still_a_total(tmp_path: Path) -> None:
    report = read_coverage(write(tmp_path, {"totals": {"percent_covered": 100}}))
    assert report is not None
    assert (report.percent, dict(report.files)) == (100.0, {})


def broken(real: dict[str, Any], change: str) -> object:
    data = json.loads(json.dumps(real))
    if change == "no totals":
        del data["totals"]
    elif change == "total is text":
        data["totals"]["percent_covered"] = "87"
    elif change == "total is true":
        data["totals"]["percent_covered"] = True
    elif change == "total over 100":
        data["totals"]["percent_covered"] = 187.5
    elif change == "file without summary":
        del data["files"]["half.py"]["summary"]
    elif change == "files is a list":
        data["files"] = []
    elif change == "not an object":
        return [1, 2]
    elif change == "not json":
        return '{"totals": '
    return data


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ("no totals", "no number at totals.percent_covered"),
        ("total is text", "no number at totals.percent_covered"),
        ("total is true", "no number at totals.percent_covered"),
        ("total over 100", "187.5 at totals.percent_covered, not a percentage"),
        ("file without summary", "no number at files.half.py.summary.percent_covered"),
        ("files is a list", '"files" is not an object'),
        ("not an object", "is not a JSON object"),
        ("not json", "is not valid JSON"),
    ],
)
def test_a_malformed_report_is_an_environment_problem(
    tmp_path: Path, real_report: dict[str, Any], change: str, shown: str
) -> None:
    path = write(tmp_path, broken(real_report, change))
    with pytest.raises(EnvironmentProblem) as caught:
        read_coverage(path)
    assert caught.value.message.startswith(f"coverage report {path} ")
    assert shown in caught.value.message
    assert f"coverage json -o {path}" in caught.value.hint


def test_an_unreadable_report_is_an_environment_problem(tmp_path: Path) -> None:
    (tmp_path / "coverage.json").mkdir()
    with pytest.raises(EnvironmentProblem, match="cannot be read"):
        read_coverage(tmp_path / "coverage.json")
    (tmp_path / "latin1.json").write_bytes(b'{"totals": "\xe9"}')
    with pytest.raises(EnvironmentProblem, match="cannot be read"):
        read_coverage(tmp_path / "latin1.json")
