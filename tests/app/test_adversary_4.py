"""The adversary's fifth read of the local gates (session 17): holes left open in session 16.

Black-box, like ``test_adversary.py``: real ``python -m gatebot`` processes on real
repositories (a bare origin, clones with their own git identities) and a real pytest. Each
test is one move a builder (or a reviewer's or CI's environment) makes to land code the gates
should refuse; the docstring says what it tried.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.app.test_adversary import broken_work, gate_files_refuses, with_pytest_check
from tests.app.test_adversary_2 import gate_files_of
from tests.repos import Repo, run_process

STAGING = ".github/workflows/gatebot-staging.yml"
LOOSE_STAGING = ("name: gatebot-staging\non: workflow_dispatch\n"
                 "env:\n  GATEBOT_MIN_COVERAGE: '0'\n  GATEBOT_CHECKS__REQUIRED: '[]'\n"
                 "jobs: {}\n")


def test_a_staging_workflow_that_sets_gate_settings_needs_a_maintainer(repo: Repo) -> None:
    """The branch edits ``gatebot-staging.yml`` so that its job sets ``GATEBOT_MIN_COVERAGE=0``
    and empties ``checks.required``. GitHub runs the staging workflow by ``workflow_dispatch``
    on the base branch (the base's definition, whatever the change edits) and counts only such
    runs; the edit itself is a change to ``.github/workflows/``: a gate file."""
    broken_work(repo)
    repo.write(STAGING, LOOSE_STAGING)
    assert gate_files_refuses(repo, "the work") == [STAGING]


@pytest.mark.parametrize(("path", "line"), [
    (".gitattributes", "TODO.md merge=union\n"),
    (".gitattributes", "noxfile.py merge=union\n"),
    ("tests/.gitattributes", "*.py merge=ours -diff\n"),
])
def test_a_gitattributes_file_needs_a_maintainer(repo: Repo, path: str, line: str) -> None:
    """The branch adds ``TODO.md merge=union`` to ``.gitattributes``: every later merge of the
    board (or of the noxfile) would combine both sides without a conflict, and ``-diff`` hides
    a file's changes from ``git diff``. git reads ``.gitattributes`` at any depth, so each one
    decides how the gate files and the board merge: it is a gate file."""
    broken_work(repo)
    repo.write(path, line)
    assert gate_files_refuses(repo, "the work") == [path]


def approve_with(repo: Repo, env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Commit the work tree as builder-one, push ``task/4-work`` and approve it as rev1 with
    ``env`` added to rev1's environment: the exit code and the ``checks.tests`` rule."""
    repo.commit("the work", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    result = run_process(repo.path, "review", "--approve", "--as", "rev1", "--format", "json",
                         env=env)
    doc = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    return result.returncode, next(r for r in doc["rules"] if r["id"] == "checks.tests")


def test_a_pythonpath_in_the_reviewers_environment_does_not_reach_the_checks(
    repo: Repo, tmp_path: Path
) -> None:
    """The builder asks rev1 to ``export PYTHONPATH=/srv/shared/tools`` "for the helpers"; that
    directory holds a ``pytest.py`` that exits 0. ``python -m pytest`` imported it before the
    real pytest and the failing test was approved. gatebot's own process may need a
    ``PYTHONPATH`` (run from a source tree); the checks get none."""
    tools = tmp_path / "shared" / "tools"
    tools.mkdir(parents=True)
    (tools / "pytest.py").write_text("raise SystemExit(0)\n", encoding="utf-8")
    broken_work(repo)
    before = repo.origin_sha()
    path = os.pathsep.join(p for p in (str(tools), os.environ.get("PYTHONPATH", "")) if p)
    code, rule = approve_with(repo, {"PYTHONPATH": path})
    assert code == 1, rule
    assert rule["status"] == "fail", rule
    assert repo.origin_sha() == before


@pytest.mark.parametrize("addopts", ["-k nothing", "--co", "--deselect tests/test_f.py"])
def test_pytest_addopts_in_the_reviewers_environment_runs_no_fewer_tests(
    repo: Repo, addopts: str
) -> None:
    """``PYTEST_ADDOPTS="--co"`` makes pytest collect and exit 0 without running a test; the
    checks' environment is an allow-list that never held ``PYTEST_*`` (nor ``COVERAGE_*``),
    so the failing test still ran and failed."""
    broken_work(repo)
    before = repo.origin_sha()
    code, rule = approve_with(repo, {"PYTEST_ADDOPTS": addopts})
    assert code == 1, rule
    assert rule["status"] == "fail", rule
    assert repo.origin_sha() == before


G_TESTS = ("from app.g import g\n\n\ndef test_g():\n    assert g() == 1\n\n\n"
           "def test_type():\n    assert isinstance(g(), int)\n")
"""main's ``tests/test_g.py``: ``test_g`` at line 4 checks what the branch breaks."""
TYPE_ONLY = "from app.g import g\n\n\ndef test_type():\n    assert isinstance(g(), int)\n"
LOSES_TEST_G = {
    "removed": (TYPE_ONLY, "removed", 4),
    "renamed": (G_TESTS.replace("def test_g", "def check_g"), "removed", 4),
    "wrapped": (G_TESTS.replace("def test_g():\n    assert g() == 1\n",
                                "if False:\n    def test_g():\n        assert g() == 1\n"),
                "removed", 4),
    "mark.skip": ("import pytest\n" + G_TESTS.replace(
        "def test_g", "@pytest.mark.skip(reason='flaky')\ndef test_g"), "skipped", 6),
    "mark.xfail": ("import pytest\n" + G_TESTS.replace(
        "def test_g", "@pytest.mark.xfail\ndef test_g"), "skipped", 6),
    "pytest.skip()": ("import pytest\n" + G_TESTS.replace(
        "def test_g():\n", "def test_g():\n    pytest.skip('later')\n"), "skipped", 5),
    "pytestmark": ("import pytest\n\npytestmark = pytest.mark.skip\n" + G_TESTS,
                   "skipped", 7),  # test_type at line 14 is skipped too
}


def g_and_its_tests(repo: Repo) -> None:
    """main: a pytest check, ``app/g.py`` (``g() == 1``) and ``G_TESTS``; then ``task/4-work``
    checked out with ``g`` broken (it returns 2)."""
    with_pytest_check(repo)
    repo.write("app/__init__.py", '"""App."""\n')
    repo.write("app/g.py", '"""G."""\n\n\ndef g() -> int:\n    """One."""\n    return 1\n')
    repo.write("tests/test_g.py", G_TESTS)
    repo.commit("g and its tests")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/g.py", '"""G."""\n\n\ndef g() -> int:\n    """Two."""\n    return 2\n')


@pytest.mark.parametrize("move", sorted(LOSES_TEST_G))
def test_a_branch_that_drops_the_test_it_breaks_from_a_kept_file_needs_a_maintainer(
    repo: Repo, move: str
) -> None:
    """main's ``tests/test_g.py`` holds ``test_g``, which checks ``app/g.py``; the branch breaks
    ``g`` and keeps the file but deletes ``test_g`` from it (or renames it ``check_g``, hides
    it under ``if False:``, marks it skipped or xfail, calls ``pytest.skip()``, adds a
    module-wide ``pytestmark``). The tests check passed and rev1 approved: deleting a whole
    test module needed a maintainer, deleting the test inside it did not."""
    text, how, line = LOSES_TEST_G[move]
    g_and_its_tests(repo)
    repo.write("tests/test_g.py", text)
    repo.commit("the work", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    before = repo.origin_sha()
    code, rule = gate_files_of(repo)
    assert code == 1, rule
    assert rule["status"] == "fail", rule
    assert [(f["path"], f["line"], f.get("test")) for f in rule["findings"]][:1] == [
        ("tests/test_g.py", line, "tests/test_g.py::test_g")]
    assert len(rule["findings"]) == (2 if move == "pytestmark" else 1), rule
    assert f"tests/test_g.py::test_g {how}" in rule["summary"]
    assert repo.origin_sha() == before


def test_a_test_moved_to_another_file_is_not_lost(repo: Repo) -> None:
    """The other side: ``test_g`` leaves ``tests/test_g.py`` for a new ``tests/test_g2.py`` in
    the same change, and ``test_type`` moves into a class: both still run, no maintainer."""
    g_and_its_tests(repo)
    repo.write("app/g.py", '"""G."""\n\n\ndef g() -> int:\n    """One, still."""\n    return 1\n')
    repo.write("tests/test_g.py", "from app.g import g\n\n\nclass TestG:\n"
               "    def test_type(self):\n        assert isinstance(g(), int)\n")
    repo.write("tests/test_g2.py", "from app.g import g\n\n\ndef test_g():\n"
               "    assert g() == 1\n")
    repo.commit("the work", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    code, rule = gate_files_of(repo)
    assert rule["status"] == "pass", rule
    assert code == 0, rule
