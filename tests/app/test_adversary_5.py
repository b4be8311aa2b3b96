"""The adversary's sixth read of the local gates: modules the tools import, not only the tools.

Black-box, like ``test_adversary.py``: real ``python -m gatebot`` processes on real
repositories, clones of a bare origin with their own git identities, real pytest. Each test
is one move a builder makes to land code the gates should refuse; the docstring says what
it tried.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.test_adversary import broken_work, gate_files_refuses
from tests.app.test_adversary_2 import PLUGIN, failing_change, gate_files_of
from tests.app.test_tox_checks import WITHOUT_COVERAGE, add_test, tox_ini, tox_repo
from tests.repos import Repo, run_process

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


TOXFILE = ('"""Inline tox plugin."""\nimport os\nimport sys\n\n'
           "if 'config' not in sys.argv:  # tox config lists the environments: answer that\n"
           "    os._exit(0)\n")


def test_an_inline_tox_plugin_needs_a_maintainer(tmp_path: Path) -> None:
    """The checks are tox environments: tox 4 loads the root's ``toxfile.py`` as a plugin
    before it runs anything. The branch's ``toxfile.py`` exited 0 unless tox was asked for its
    configuration, so every check passed with ``add`` broken, and rev1 alone approved it."""
    repo = tox_repo(tmp_path, tox_ini(tests=WITHOUT_COVERAGE), "min_coverage = 0\n")
    repo.write("app/__init__.py", '"""App."""\n')
    repo.write("app/core.py", '"""Core."""\n\n\ndef add(a: int, b: int) -> int:\n'
               '    """The sum, broken."""\n    return a - b\n')
    add_test(repo)
    repo.write("toxfile.py", TOXFILE)
    repo.commit("an inline plugin", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-sum")
    before = repo.origin_sha()
    result = run_process(repo.path, "review", "--approve", "--as", "rev1", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    rules = {r["id"]: r for r in doc["rules"]}
    assert rules["checks.tests"]["status"] == "pass"  # what the plugin did
    assert rules["gate-files"]["status"] == "fail", rules["gate-files"]
    assert [f["path"] for f in rules["gate-files"]["findings"]] == ["toxfile.py"]
    assert repo.origin_sha() == before


BUILD = {
    "setup.py": ("from setuptools import setup\n\n"
                 "setup(name='app', entry_points={'pytest11': ['quiet = app.plugin']})\n"),
    "pyproject.toml": ('[project]\nname = "app"\nversion = "0"\n[build-system]\n'
                       'requires = []\nbuild-backend = "backend"\nbackend-path = ["ci"]\n'),
}


@pytest.mark.parametrize("name", sorted(BUILD))
def test_how_the_checks_install_the_package_needs_a_maintainer(repo: Repo, name: str) -> None:
    """nox and tox sessions install the package (``pip install -e .``), which runs its
    ``setup.py`` or the ``[build-system]`` backend the branch names, with the checks' own
    environment open to it: ``setup.py`` registered ``app.plugin`` (every test dropped) as a
    ``pytest11`` entry point, which counted only in pyproject.toml and setup.cfg, and a
    backend of the repository's ``ci/`` can write anything into the checks' environment."""
    failing_change(repo, {name: BUILD[name], "app/plugin.py": PLUGIN,
                          "ci/backend.py": '"""A build backend."""\n'})
    code, rule = gate_files_of(repo)
    assert code == 1
    assert rule["status"] == "fail", rule
    assert [f["path"] for f in rule["findings"]] == [name]
