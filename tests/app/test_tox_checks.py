"""A tox project needs no configuration: its tox environments are its checks, end to end.

Real tox on real repositories: the environments are kept tiny (``skip_install``,
no ``deps``) and run this interpreter's pytest and coverage through
``allowlist_externals``, so each costs one empty virtualenv.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.repos import Repo, make_repo, run_cli

PY = sys.executable


def tox_ini(*, tests: str) -> str:
    """A tox.ini with env_list ``py`` (the tests, by alias), ``lint``, ``mypy`` (typecheck), ``build``."""
    commands = "".join(f"    {line}\n" for line in tests.splitlines())
    return (
        "[tox]\nenv_list = py, lint, mypy\n\n"
        f"[testenv]\nskip_install = true\ndeps =\nallowlist_externals = {PY}\n"
        f"commands =\n{commands}\n"
        f"[testenv:lint]\ncommands = {PY} -c \"print('lint ok')\"\n\n"
        f"[testenv:mypy]\ncommands = {PY} -c \"print('types ok')\"\n\n"
        f"[testenv:build]\ncommands = {PY} -c \"print('build ok')\"\n"
    )


WITH_COVERAGE = (f"{PY} -m coverage run --source=app -m pytest -q -p no:cacheprovider tests\n"
                 f"{PY} -m coverage json -o {{tox_root}}/coverage.json")
WITHOUT_COVERAGE = f"{PY} -m pytest -q -p no:cacheprovider tests"


def tox_repo(tmp_path: Path, ini: str, gatebot_toml: str | None = None) -> Repo:
    """A repository whose checks come from ``ini`` alone (no noxfile, default configuration)."""
    repo = make_repo(tmp_path)
    repo.git("rm", "-q", ".gatebot.toml")
    if gatebot_toml is not None:
        repo.write(".gatebot.toml", gatebot_toml)
    repo.write("tox.ini", ini)
    repo.write(".gitignore", ".tox/\n.coverage\n__pycache__/\n")
    repo.commit("checks are tox environments")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-sum")
    return repo


def add_test(repo: Repo, body: str = "assert add(2, 2) == 4") -> None:
    repo.write("tests/test_sum.py", f"from app.core import add\n\n\ndef test_sum():\n    {body}\n")
    repo.commit("a test of add")


def review(repo: Repo) -> tuple[int, dict[str, dict]]:  # type: ignore[type-arg]
    result = run_cli(repo.path, "review", "--format", "json")
    return result.exit_code, {r["id"]: r for r in json.loads(result.stdout)["rules"]}


def test_tox_environments_are_the_checks_without_configuration(tmp_path: Path) -> None:
    repo = tox_repo(tmp_path, tox_ini(tests=WITH_COVERAGE))
    add_test(repo)
    code, rules = review(repo)
    assert code == 0, rules
    for name in ("tests", "lint", "typecheck", "build"):
        assert rules[f"checks.{name}"]["status"] == "pass", rules
    log = Path(rules["checks.tests"]["log"])
    assert "-m tox -e py " in log.read_text()  # tox's `py` is the tests check (an alias)
    assert "-m tox -e mypy " in (log.parent / "typecheck.log").read_text()
    assert rules["coverage"]["status"] == "pass", rules["coverage"]
    assert not list(log.parent.glob("*.tox.json"))  # tox's report holds unredacted output
    assert repo.git("status", "--porcelain") == ""  # the review's coverage.json is gone


def test_a_failing_tox_environment_fails_the_gate(tmp_path: Path) -> None:
    repo = tox_repo(tmp_path, tox_ini(tests=WITH_COVERAGE))
    add_test(repo, "assert add(2, 2) == 5")
    code, rules = review(repo)
    assert code == 1
    tests = rules["checks.tests"]
    assert tests["status"] == "fail"
    assert "tox environment py (exit 1) failed" in tests["summary"]
    assert rules["checks.lint"]["status"] == "pass"
    assert rules["coverage"]["status"] == "skip"


def test_missing_required_environment_names_how_to_configure_it(tmp_path: Path) -> None:
    ini = tox_ini(tests=WITHOUT_COVERAGE).replace("[testenv:build]", "[testenv:wheel]")
    repo = tox_repo(tmp_path, ini)
    add_test(repo)
    code, rules = review(repo)
    assert code == 1
    build = rules["checks.build"]
    assert build["status"] == "fail"
    message = build["findings"][0]["message"]
    assert "no environment `build`" in message and "package, pkg, dist" in message
    assert 'checks.tox_aliases.build = ["ENV"]' in message and "checks.commands.build" in message
    coverage = rules["coverage"]  # the tests ran under tox but wrote no report
    assert coverage["status"] == "fail"
    assert "tox environment py" in coverage["summary"]
    assert "coverage json -o {tox_root}/coverage.json" in coverage["summary"]

    repo.git("checkout", "-q", "main")  # the fix, on the base branch where configuration lives
    repo.write(".gatebot.toml", '[checks]\ntox_aliases = { build = ["wheel"] }\n')
    repo.commit("the wheel environment is the build check")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "task/4-sum")
    _, rules = review(repo)
    assert rules["checks.build"]["status"] == "pass", rules["checks.build"]
    assert rules["checks.tests"]["status"] == "pass"  # the default aliases of tests remain


def test_gate_2_reruns_the_tox_checks_on_the_release_tree(tmp_path: Path) -> None:
    # nothing required: only finding the tox configuration in the release tree runs its checks
    repo = tox_repo(tmp_path, tox_ini(tests=WITH_COVERAGE), "[checks]\nrequired = []\n")
    add_test(repo)
    repo.git("push", "-q", "origin", "task/4-sum")
    approved = run_cli(repo.path, "review", "--approve", "--as", "rev-a")
    assert approved.exit_code == 0, approved.output
    result = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b", "--dry-run",
                     "--format", "json")
    assert result.exit_code == 0, result.output
    rules = {r["id"]: r for r in json.loads(result.stdout)["rules"]}
    assert rules["checks.tests"]["status"] == "pass", rules
    assert "-m tox -e py " in Path(rules["checks.tests"]["log"]).read_text()
    assert rules["coverage"]["status"] == "pass", rules["coverage"]
