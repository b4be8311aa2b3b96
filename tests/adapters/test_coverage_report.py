"""gatebot.adapters.coverage_report on reports written by the real coverage.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from gatebot.adapters import proc
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
