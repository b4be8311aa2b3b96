"""Rule ``gate-files``: which paths define the gates, and who may approve changing them."""

from __future__ import annotations

import pytest

from gatebot.core.rules import checks as checks_rule
from gatebot.core.rules.gate_files import (
    evaluate,
    gate_file_changes,
    pyproject_gates_changed,
    same_person,
)

PYPROJECT = b'[project]\nname = "x"\nversion = "1"\n[tool.gatebot]\nmin_coverage = 80\n'


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["noxfile.py"], ["noxfile.py"]),
        (["tox.ini", ".gatebot.toml"], [".gatebot.toml", "tox.ini"]),
        (["tox.toml", "docs/tox.toml"], ["tox.toml"]),  # tox.toml defines tox checks too
        ([".github/workflows/ci.yml", ".github/CODEOWNERS"], [".github/workflows/ci.yml"]),
        ([".github/workflows/deep/x.yaml"], [".github/workflows/deep/x.yaml"]),
        (["sub/noxfile.py", "docs/tox.ini", "app/x.py"], []),
        (["noxfile.py.bak", "my.gatebot.toml"], []),
        ([".gitattributes", "tests/.gitattributes", "x.gitattributes"],
         [".gitattributes", "tests/.gitattributes"]),  # git reads one in every directory
        ([], []),
    ],
)
def test_which_paths_define_the_gates(paths: list[str], expected: list[str]) -> None:
    assert gate_file_changes(paths) == expected


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        (PYPROJECT, PYPROJECT.replace(b'version = "1"', b'version = "2"'), False),
        (PYPROJECT, PYPROJECT.replace(b"min_coverage = 80", b"min_coverage = 0"), True),
        (PYPROJECT, PYPROJECT + b"[tool.tox]\nenv_list = ['py']\n", True),
        (PYPROJECT, PYPROJECT + b"[tool.ruff]\nline-length = 99\n", False),
        (PYPROJECT, PYPROJECT.replace(b"min_coverage = 80", b"min_coverage=80 # same"), False),
        (None, PYPROJECT, True),
        (PYPROJECT, None, True),
        (None, b'[project]\nname = "x"\n', False),
        (PYPROJECT, b"[tool.gatebot\n", True),
        (PYPROJECT, b"\xff\xfe", True),
    ],
)
def test_pyproject_counts_only_when_a_gate_table_changed(
    before: bytes | None, after: bytes | None, changed: bool
) -> None:
    assert pyproject_gates_changed(before, after) is changed
    expected = ["pyproject.toml"] if changed else []
    assert gate_file_changes(["pyproject.toml"], (before, after)) == expected


def test_pyproject_is_judged_only_when_the_change_touched_it() -> None:
    assert gate_file_changes(["app/x.py"], (None, PYPROJECT)) == []


def test_no_gate_file_changed_passes_for_anyone() -> None:
    result = evaluate([], maintainers=(), approvers=())
    assert (result.id, result.status) == ("gate-files", "pass")


def test_looking_without_approving_fails_naming_each_file() -> None:
    result = evaluate(["noxfile.py", ".gatebot.toml"], maintainers=("ann",), approvers=())
    assert result.status == "fail"
    assert "needs a maintainer's approval" in result.summary
    assert [f.path for f in result.findings] == ["noxfile.py", ".gatebot.toml"]
    assert all("claims.maintainers: ann" in f.message for f in result.findings)


def test_a_maintainer_among_the_approvers_passes() -> None:
    result = evaluate(["noxfile.py"], maintainers=("ann", "bob@x.org"), approvers=("rev", "BOB@x.org"))
    assert result.status == "pass"
    assert "BOB@x.org" in result.summary


def test_approvers_who_are_not_maintainers_fail() -> None:
    result = evaluate(["noxfile.py"], maintainers=("ann",), approvers=("rev-a", "rev-b"))
    assert result.status == "fail"
    assert "rev-a, rev-b are not one" in result.summary


def test_without_maintainers_the_finding_says_how_to_configure_them() -> None:
    result = evaluate(["tox.ini"], maintainers=(), approvers=("rev",))
    assert result.status == "fail"
    assert "set claims.maintainers on the base branch" in result.findings[0].message


@pytest.mark.parametrize(
    ("actor", "maintainer", "same"),
    [
        ("ann", "ann", True),
        ("ANN", "ann", True),
        ("ａｎｎ", "ann", True),  # fullwidth letters: NFKC makes them ASCII
        (" ann ", "ann", True),
        ("Straße", "STRASSE", True),
        ("anne", "ann", False),
        ("", "", False),
        ("  ", "ann", False),
    ],
)
def test_same_person(actor: str, maintainer: str, same: bool) -> None:
    assert same_person(actor, maintainer) is same


def test_missing_required_checks_fail_in_required_order_once_each() -> None:
    results = checks_rule.missing_required(["tests", "lint", "tests", "build"], ["lint"])
    assert [(r.id, r.status) for r in results] == [("checks.tests", "fail"),
                                                   ("checks.build", "fail")]
    assert "checks.commands.build" in results[1].findings[0].message
    assert checks_rule.missing_required([], []) == []


SETUP_CFG = b"[metadata]\nname = x\n[tool:pytest]\naddopts = -q\n[coverage:run]\nbranch = true\n"


@pytest.mark.parametrize(
    ("after", "changed"),
    [
        (SETUP_CFG.replace(b"name = x", b"name = y"), False),
        (SETUP_CFG.replace(b"-q", b"--co"), True),
        (SETUP_CFG.replace(b"branch = true", b"branch = false"), True),
        (SETUP_CFG + b"[coverage:report]\nexclude_also = .\n", True),
        (SETUP_CFG + b"[tox:tox]\nenv_list = py\n", True),
        (SETUP_CFG + b"[testenv:tests]\ncommands = true\n", True),
        (b"[metadata\n", True),
        (b"\xff", True),
        (None, True),
    ],
)
def test_setup_cfg_counts_only_for_its_pytest_and_coverage_sections(
    after: bytes | None, changed: bool
) -> None:
    expected = ["setup.cfg"] if changed else []
    assert gate_file_changes(["setup.cfg"], setup_cfg=(SETUP_CFG, after)) == expected
    assert gate_file_changes(["app/x.py"], setup_cfg=(SETUP_CFG, after)) == []


@pytest.mark.parametrize("table", ["pytest", "coverage"])
def test_pyproject_pytest_and_coverage_tables_define_the_gates(table: str) -> None:
    after = PYPROJECT + f"[tool.{table}]\nx = 1\n".encode()
    assert pyproject_gates_changed(PYPROJECT, after) is True


@pytest.mark.parametrize("path", ["pytest.ini", ".pytest.ini", ".coveragerc", "tox.toml"])
def test_pytest_coverage_and_tox_files_define_the_gates(path: str) -> None:
    assert gate_file_changes([path, "app/x.py"]) == [path]
