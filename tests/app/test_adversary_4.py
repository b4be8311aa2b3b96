"""The adversary's fifth read of the local gates (session 17): holes left open in session 16.

Black-box, like ``test_adversary.py``: real ``python -m gatebot`` processes on real
repositories (a bare origin, clones with their own git identities) and a real pytest. Each
test is one move a builder (or a reviewer's or CI's environment) makes to land code the gates
should refuse; the docstring says what it tried.
"""

from __future__ import annotations

import pytest

from tests.app.test_adversary import broken_work, gate_files_refuses
from tests.repos import Repo

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
