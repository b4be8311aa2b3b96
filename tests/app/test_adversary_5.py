"""The adversary's sixth read of the local gates: modules the tools import, not only the tools.

Black-box, like ``test_adversary.py``: real ``python -m gatebot`` processes on real
repositories, clones of a bare origin with their own git identities, real pytest. Each test
is one move a builder makes to land code the gates should refuse; the docstring says what
it tried.
"""

from __future__ import annotations

import pytest

from tests.app.test_adversary import broken_work, gate_files_refuses
from tests.repos import Repo

SHADOW = "import sys\nsys.exit(0)\n"


@pytest.mark.parametrize("shadow", ["iniconfig.py", "argparse.py", "pygments/__init__.py"])
def test_a_root_module_that_shadows_what_pytest_imports_needs_a_maintainer(
    repo: Repo, shadow: str
) -> None:
    """``python -m pytest`` puts the root first on ``sys.path`` before pytest imports its
    own dependencies (``iniconfig``) and the standard library's ``argparse``: a root
    ``iniconfig.py`` that exits 0 ran instead, no test ran, and the failing test was
    approved. ``pytest.py`` needed a maintainer; what pytest imports as it starts did not."""
    broken_work(repo)
    repo.write(shadow, SHADOW)
    assert gate_files_refuses(repo, "the work") == [shadow]
