"""The adversary's fourth read of the local gates (session 16): environments, names, shadows.

Black-box, like ``test_adversary.py``: real ``python -m gatebot`` processes on real
repositories, clones of a bare origin with their own git identities, real pytest. Each test
is one move a builder (or a reviewer helping one) makes to land code the gates should
refuse; the docstring says what it tried.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.app.test_adversary import (
    broken_work,
    gate_files_refuses,
    push_work,
    refused_as_the_builder_from_elsewhere,
    with_pytest_check,
)
from tests.app.test_tox_checks import WITHOUT_COVERAGE, add_test, tox_ini, tox_repo
from tests.repos import Repo, git, run_process

SHADOW = "import sys\nsys.exit(0)\n"


@pytest.mark.parametrize("shadow", ["pytest.py", "pytest/__init__.py", "_pytest/__init__.py"])
def test_a_root_module_that_shadows_pytest_needs_a_maintainer(repo: Repo, shadow: str) -> None:
    """The tests check runs ``python -m pytest``, which puts the repository root first on
    ``sys.path``: the branch's own ``pytest.py`` ran instead of pytest and exited 0, and a
    failing test was approved. A root module named after a tool the checks run is a gate
    file."""
    broken_work(repo)
    repo.write(shadow, SHADOW)
    assert gate_files_refuses(repo, "the work") == [shadow]


def test_a_module_the_checks_run_with_dash_m_is_a_gate_file(repo: Repo) -> None:
    """A configured check ``python -m app.selftest``: the branch edits ``app/selftest.py``
    to exit 0. The module a check runs is what the check is, like the noxfile."""
    argv = json.dumps([sys.executable, "-m", "app.selftest"])
    repo.write(".gatebot.toml", "min_coverage = 0\n[checks]\nnox_sessions = []\n"
               f'required = ["tests"]\ncommands = {{ tests = {argv} }}\n')
    repo.write("app/__init__.py", '"""App."""\n')
    repo.write("app/selftest.py", '"""Self test."""\nraise SystemExit(1)\n')
    repo.commit("a self-test check")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/selftest.py", '"""Self test."""\nraise SystemExit(0)\n')
    repo.write("tests/test_f.py", "x = 1\n")
    repo.commit("the work", as_="builder-one")
    result = run_process(repo.path, "review", "--only", "gate-files", "--format", "json")
    doc = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    [rule] = doc["rules"]
    assert rule["status"] == "fail", rule
    assert [f["path"] for f in rule["findings"]] == ["app/selftest.py"]


@pytest.mark.parametrize("alias", ["builder-one+review@example.com",
                                   "Builder-One+x@EXAMPLE.com"])
def test_a_sub_address_of_a_builders_email_is_the_builder(repo: Repo, alias: str) -> None:
    """builder-one commits as ``builder-one@example.com`` and approves from a clone whose
    git identity is elsewhere, ``--as builder-one+review@example.com``: the same mailbox
    (RFC 5233 sub-addressing), another person to gatebot."""
    push_work(repo)
    refused_as_the_builder_from_elsewhere(repo, alias)


def test_the_queue_refuses_gate_settings_from_the_environment(repo: Repo) -> None:
    """``gatebot queue run`` lands like ``merge``: with ``GATEBOT_MIN_COVERAGE=0`` and the
    checks emptied in its environment it re-tested nothing and landed."""
    head = push_work(repo)
    run_process(repo.path, "review", "--approve", "--as", "rev1")
    loose = {"GATEBOT_CHECKS__REQUIRED": "[]", "GATEBOT_CHECKS__NOX_SESSIONS": "[]",
             "GATEBOT_MIN_COVERAGE": "0"}
    before = repo.origin_sha()
    result = run_process(repo.path, "queue", "run", "--as", "rev2", env=loose)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "GATEBOT_CHECKS__NOX_SESSIONS, GATEBOT_CHECKS__REQUIRED, GATEBOT_MIN_COVERAGE" \
        in result.stderr
    assert repo.origin_sha() == before
    assert head not in git(repo.origin, "rev-list", "main").split()


def test_a_whole_table_variable_cannot_hide_a_gate_setting(repo: Repo) -> None:
    """``GATEBOT_CHECKS='{"timeout": 60, "required": []}'``: a harmless key beside a gate
    setting in one variable is still refused at gate 2, naming the setting."""
    push_work(repo)
    run_process(repo.path, "review", "--approve", "--as", "rev1")
    result = run_process(repo.path, "merge", "--task", "4", "--as", "rev2",
                         env={"GATEBOT_CHECKS": '{"timeout": 60, "required": []}'})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "GATEBOT_CHECKS sets checks.required" in result.stderr


def test_harmless_settings_in_the_environment_still_apply_at_gate_2(repo: Repo) -> None:
    """The other side: how long a check may run and claim timings are not gate settings."""
    push_work(repo)
    run_process(repo.path, "review", "--approve", "--as", "rev1")
    result = run_process(repo.path, "merge", "--task", "4", "--as", "rev2",
                         env={"GATEBOT_CHECKS__TIMEOUT": "600", "GATEBOT_MERGE__RETRIES": "1"})
    assert result.returncode == 0, result.stdout + result.stderr



SKIP_ALL = ("import pytest\n\n\n"
            "def pytest_collection_modifyitems(items):\n"
            "    for item in items:\n"
            "        item.add_marker(pytest.mark.skip(reason='later'))\n")


def test_a_symlink_out_of_the_repository_needs_a_maintainer(repo: Repo, tmp_path: Path) -> None:
    """Agents share a machine: the builder writes ``conftest.py`` (every test skipped) into a
    directory outside the repository and commits only the link ``tests/ext`` to it. pytest
    follows the linked directory and loads the conftest; the change showed no conftest, so
    no maintainer was asked. What a link out of the tree leads to is never reviewed."""
    outside = tmp_path / "shared" / "plugins"
    outside.mkdir(parents=True)
    (outside / "conftest.py").write_text(SKIP_ALL, encoding="utf-8")
    broken_work(repo)
    (repo.path / "tests" / "ext").symlink_to(outside)
    assert gate_files_refuses(repo, "the work") == ["tests/ext"]


def test_an_actor_written_as_a_git_identity_is_that_identity(repo: Repo) -> None:
    """``--as "builder-one <builder-one@example.com>"`` from a clone with another git
    identity: the board showed builder-one approving; gatebot compared the whole text."""
    push_work(repo)
    refused_as_the_builder_from_elsewhere(repo, "Someone <builder-one@example.com>")


def test_a_branch_that_deletes_the_test_it_breaks_needs_a_maintainer(repo: Repo) -> None:
    """main's ``tests/test_g.py`` checks ``app/g.py``; the branch breaks ``app/g.py``, deletes
    that test and adds another: tests-present and the tests check passed, rev1 approved."""
    with_pytest_check(repo)
    repo.write("app/g.py", '"""G."""\n\n\ndef g() -> int:\n    """One."""\n    return 1\n')
    repo.write("app/__init__.py", '"""App."""\n')
    repo.write("tests/test_g.py", "from app.g import g\n\n\ndef test_g():\n    assert g() == 1\n")
    repo.commit("g and its test")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/g.py", '"""G."""\n\n\ndef g() -> int:\n    """Two."""\n    return 2\n')
    repo.git("rm", "-q", "tests/test_g.py")
    repo.write("tests/test_h.py", "def test_h():\n    assert True\n")
    assert gate_files_refuses(repo, "the work") == ["tests/test_g.py"]


def test_tox_override_in_the_reviewers_environment_does_not_approve(tmp_path: Path) -> None:
    """tox reads ``TOX_OVERRIDE`` as ``--override`` and gatebot passes ``TOX_*`` to the checks:
    ``TOX_OVERRIDE='testenv.commands=python -c pass'`` made a failing tests environment pass."""
    ini = tox_ini(tests=WITHOUT_COVERAGE)
    repo = tox_repo(tmp_path, ini, gatebot_toml="min_coverage = 0\n")
    repo.write("app/__init__.py", '"""App."""\n')
    repo.write("app/core.py", '"""Core."""\n\n\ndef add(a: int, b: int) -> int:\n'
               '    """Sum."""\n    return a - b\n')
    add_test(repo)
    repo.git("push", "-q", "origin", "task/4-sum")
    before = repo.origin_sha()
    loose = {"TOX_OVERRIDE": f"testenv.commands={sys.executable} -c pass"}
    result = run_process(repo.path, "review", "--approve", "--task", "4", "--as", "rev1",
                         env=loose)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "TOX_OVERRIDE sets tox's --override" in result.stderr
    assert repo.origin_sha() == before
