"""The adversary's third read of the local gates (session 15): moves on what the checks mean.

Black-box, like ``test_adversary.py``: real ``python -m gatebot`` processes on real
repositories and a real pytest. Each test is one move a builder makes to have code
approved that the rules should refuse: checks that pass without running the tests, code
the rules do not see, a builder who approves; the docstring says what it tried.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from gatebot.adapters.metrics import python_shebang
from tests.app.test_adversary import person, with_pytest_check
from tests.app.test_merge import HALF, coverage_repo
from tests.repos import Repo, run_process

NESTED = {
    "tests/pytest.ini": "[pytest]\naddopts = --co\n",
    "tests/.pytest.ini": "[pytest]\naddopts = --co\n",
    "tests/tox.ini": "[pytest]\naddopts = --co\n",
    "tests/setup.cfg": "[tool:pytest]\naddopts = --co\n",
    "tests/pyproject.toml": "[tool.pytest.ini_options]\naddopts = '--co'\n",
    "pytest.toml": '[pytest]\naddopts = ["--co"]\n',
    ".pytest.toml": '[pytest]\naddopts = ["--co"]\n',
    "tests/pytest.toml": '[pytest]\naddopts = ["--co"]\n',
}


def failing_change(repo: Repo, extra: dict[str, str]) -> str:
    """builder-one pushes ``task/4-work``: a failing test plus ``extra`` files; its head SHA."""
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/f.py", '"""F."""\n')
    repo.write("tests/test_f.py", "def test_broken():\n    assert False\n")
    for path, text in extra.items():
        repo.write(path, text)
    head = repo.commit("the work", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    return head


def gate_files_of(repo: Repo) -> tuple[int, dict[str, Any]]:
    """``review --approve --as rev1`` (not a maintainer): exit code and the gate-files rule."""
    result = run_process(repo.path, "review", "--approve", "--as", "rev1", "--format", "json")
    doc = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    rule = next(r for r in doc["rules"] if r["id"] == "gate-files")
    return result.returncode, rule


@pytest.mark.parametrize("name", sorted(NESTED))
def test_a_pytest_configuration_below_the_root_needs_a_maintainer(repo: Repo, name: str) -> None:
    """pytest 9 reads ``pytest.toml`` and ``.pytest.toml`` too, before ``pytest.ini``. And it takes its configuration from the first ``pytest.ini`` (``.pytest.ini``, a
    ``tox.ini`` with ``[pytest]``, a ``setup.cfg`` with ``[tool:pytest]``, a ``pyproject.toml``
    with ``[tool.pytest.ini_options]``) found from the directory of its arguments upwards:
    ``tests/pytest.ini`` beats the root's. The tests check ran ``pytest tests``, collected only,
    passed, and rev1 approved: gate-files looked only at the root."""
    with_pytest_check(repo)
    failing_change(repo, {name: NESTED[name]})
    before = repo.origin_sha()
    code, rule = gate_files_of(repo)
    assert code == 1
    assert rule["status"] == "fail"
    assert [f["path"] for f in rule["findings"]] == [name]
    assert repo.origin_sha() == before


def test_a_nested_setup_cfg_without_pytest_sections_is_no_gate_file(repo: Repo) -> None:
    """The other side of the rule: a ``docs/setup.cfg`` that does not configure pytest,
    coverage.py or tox changes no gate and needs no maintainer."""
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/f.py", '"""F."""\n')
    repo.write("tests/test_f.py", "x = 1\n")
    repo.write("docs/setup.cfg", "[metadata]\nname = docs\n")
    repo.commit("the work", as_="builder-one")
    _code, rule = gate_files_of(repo)
    assert rule["status"] == "pass", rule


PLUGIN = ('"""A pytest plugin the package registers."""\n\n\n'
          "def pytest_collection_modifyitems(items: list[object]) -> None:\n"
          '    """Run nothing."""\n    items.clear()\n')


@pytest.mark.parametrize(("name", "text"), [
    ("pyproject.toml", '[project]\nname = "app"\nversion = "0"\n'
                       '[project.entry-points.pytest11]\nquiet = "app.plugin"\n'),
    ("setup.cfg", "[metadata]\nname = app\n[options.entry_points]\npytest11 =\n"
                  "    quiet = app.plugin\n"),
])
def test_a_pytest11_entry_point_needs_a_maintainer(repo: Repo, name: str, text: str) -> None:
    """A ``pytest11`` entry point makes the package's own module a plugin pytest loads by
    itself once the checks install the package (``pip install -e .``, as nox and tox
    sessions do): the plugin drops every test. Only the ``[tool.pytest]`` table counted."""
    failing_change(repo, {name: text, "app/plugin.py": PLUGIN})
    code, rule = gate_files_of(repo)
    assert code == 1
    assert rule["status"] == "fail"
    assert [f["path"] for f in rule["findings"]] == [name]


SKIP_ALL = ("import pytest\n\n\n"
            "def pytest_collection_modifyitems(items):\n"
            "    for item in items:\n"
            "        item.add_marker(pytest.mark.skip(reason='later'))\n")


def test_a_conftest_that_skips_every_test_is_not_approved(repo: Repo) -> None:
    """``tests/conftest.py`` marks every collected test skipped: pytest exits 0. Closed
    twice: conftest.py is a gate file (rev1 is no maintainer), and a tests check whose
    JUnit report ran no test fails (``test_failed_tests.py`` pins that one alone)."""
    with_pytest_check(repo)
    failing_change(repo, {"tests/conftest.py": SKIP_ALL})
    before = repo.origin_sha()
    result = run_process(repo.path, "review", "--approve", "--as", "rev1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert repo.origin_sha() == before


def test_a_co_author_of_the_change_cannot_approve_it(repo: Repo) -> None:
    """builder-one's commit says ``Co-authored-by: Rev One <rev1@example.org>``: rev1 wrote
    part of it (GitHub mode counts co-authors as builders), then approves it from rev1's
    own clone. Only authors and committers counted locally."""
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/f.py", '"""F."""\n')
    repo.write("tests/test_f.py", "x = 1\n")
    repo.commit("the work\n\nCo-authored-by: Rev One <REV1@example.org>\n", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    rev1 = person(repo, "rev1", "rev1@example.org")
    rev1.git("fetch", "-q")
    rev1.git("checkout", "-q", "task/4-work")
    before = repo.origin_sha()
    result = run_process(rev1.path, "review", "--approve")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "co-author" in result.stderr
    assert repo.origin_sha() == before


def long_function(name: str, lines: int) -> str:
    """A documented function ``lines`` lines long."""
    body = "".join(f"    x{i} = {i}\n" for i in range(lines - 3))
    return f'def {name}() -> int:\n    """Count."""\n{body}    return 0\n'


@pytest.mark.parametrize("shebang", ["#!/usr/bin/env python3", "#!/usr/bin/python3 -u"])
def test_a_python_script_without_a_suffix_is_judged_as_python(repo: Repo, shebang: str) -> None:
    """``bin/deploy`` starts ``#!/usr/bin/env python3`` and holds a 120-line function and no
    docstring: Python code, run as Python, but only ``.py`` was measured as Python, so
    function-length and docstrings never saw it."""
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("bin/deploy", f"{shebang}\nimport sys\n\n\n{long_function('main', 120)}")
    repo.write("tests/test_f.py", "x = 1\n")
    repo.commit("the work", as_="builder-one")
    result = run_process(repo.path, "review", "--format", "json")
    doc = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    status = {r["id"]: r["status"] for r in doc["rules"]}
    assert status["function-length"] == "fail", status
    assert status["docstrings"] == "fail", status


@pytest.mark.parametrize(("first", "python"), [
    (b"#!/usr/bin/env python3\n", True), (b"#!/usr/bin/env -S python3.12 -u\n", True),
    (b"#!/usr/local/bin/python\n", True), (b"#!/bin/sh\n", False),
    (b"#!/usr/bin/env pythonista\n", False), (b"# python3\n", False), (b"", False),
])
def test_which_shebangs_run_python(first: bytes, python: bool) -> None:
    """The other side: a shell script, or a comment that merely says python, is no Python."""
    assert python_shebang(first + b"print(1)\n") is python


STAGING = Path(__file__).parents[2] / "gatebot" / "templates" / "workflows" / \
    "gatebot-staging.yml.j2"


def staging_command() -> list[str]:
    """The ``gatebot review`` arguments the staging workflow runs (``$BASE_REF`` is main)."""
    [line] = [x for x in STAGING.read_text(encoding="utf-8").splitlines()
              if x.strip().startswith("gatebot review")]
    return [a.replace("$BASE_REF", "main") for a in shlex.split(line)[1:]]


def test_the_staging_run_judges_coverage(tmp_path: Path) -> None:
    """The release tree's tests cover half of ``app/half.py`` under ``min_coverage = 80``:
    the staging workflow's own command passes it."""
    repo = coverage_repo(tmp_path, critical=False)
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/half.py", HALF)
    repo.write("tests/test_half.py", "x = 1\n")
    repo.commit("half covered", as_="builder-one")
    assert run_process(repo.path, "review", "--only", "coverage").returncode == 1
    result = run_process(repo.path, *staging_command())
    assert result.returncode == 1, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "statement"), [
    ("ci_sessions.py", "from ci_sessions import tests"),
    ("ci/sessions.py", "import ci.sessions"),
    ("ci/__init__.py", "from ci import sessions"),
])
def test_a_module_the_noxfile_imports_is_a_gate_file(
        repo: Repo, module: str, statement: str) -> None:
    """The noxfile defines its sessions in a module of the repository (nox puts the
    noxfile's directory on ``sys.path``): the branch edits that module so the tests session
    runs nothing, and the noxfile itself is untouched. Only the noxfile counted."""
    repo.write(".gatebot.toml", '[checks]\nnox_sessions = ["tests"]\nrequired = []\n')
    repo.write("noxfile.py", f'"""Sessions."""\n\nimport nox  # noqa: F401\n{statement}\n')
    for path in ("ci_sessions.py", "ci/__init__.py", "ci/sessions.py"):
        repo.write(path, '"""Sessions."""\n\ntests = None\n')
    repo.commit("sessions in a module")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write(module, '"""Sessions."""\n\ntests = "nothing"\n')
    repo.write("ci/other.py", '"""Not imported."""\n')
    repo.commit("the work", as_="builder-one")
    result = run_process(repo.path, "review", "--only", "gate-files", "--format", "json")
    doc = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    [rule] = doc["rules"]
    assert rule["status"] == "fail"
    assert [f["path"] for f in rule["findings"]] == [module]
