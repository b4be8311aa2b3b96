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

from tests.app.test_adversary import broken_work, gate_files_refuses
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
