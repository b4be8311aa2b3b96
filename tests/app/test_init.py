"""``gatebot init`` end to end: the real CLI on real repositories, with and without an origin."""

from __future__ import annotations

import json
import subprocess
import textwrap
import tomllib
from pathlib import Path

import pytest

from gatebot.core.starter import EMPTY_TODO
from tests.repos import Repo, git, run_cli

BOARD = ("TODO.md", "CURRENT_STATE.md", "coordination/archive/README.md")
PYPROJECT = (  # CRLF, comments, odd spacing, a table after [tool.*], no final newline
    '[project]\r\nname = "demo"   # the name\r\nversion = "0.1"\r\n\r\n'
    "[tool.ruff]\r\nline-length = 99\r\n\r\n[[tool.mypy.overrides]]\r\n"
    'module = ["x.*"]\r\n\r\n[build-system]\r\nrequires = ["hatchling"]'
)
NOXFILE = textwrap.dedent("""\
    import nox

    @nox.session(python=False)
    def tests(session):
        session.run("python", "-c", "print('tests')")

    @nox.session(python=False)
    def lint(session):
        session.run("python", "-c", "print('lint')")

    @nox.session(python=False, default=False)
    def release(session):
        session.run("python", "-c", "print('never a check')")
    """)
TOX_INI = textwrap.dedent("""\
    [tox]
    env_list = py3{11,12}, lint

    [testenv]
    commands = python -c "print('tests')"

    [testenv:lint]
    commands = python -c "print('lint')"

    [testenv:docs]
    commands = python -c "print('docs')"
    """)


def fresh_repo(tmp: Path, files: dict[str, str], *, origin: bool = True) -> Repo:
    """A project with ``files`` on ``main`` and no gatebot files; pushed to a bare origin."""
    bare = tmp / "origin.git"
    work = tmp / "work"
    if origin:
        git(tmp, "init", "-q", "--bare", "-b", "main", str(bare))
        git(tmp, "clone", "-q", str(bare), str(work))
        git(work, "checkout", "-q", "-b", "main")
    else:
        git(tmp, "init", "-q", "-b", "main", str(work))
    repo = Repo(work, bare)
    for rel, text in {"app.py": '"""App."""\n', **files}.items():
        (work / rel).write_bytes(text.encode())
    repo.commit("the project")
    if origin:
        repo.git("push", "-q", "origin", "main")
    return repo


def changed_files(cwd: Path, ref: str) -> list[str]:
    return sorted(git(cwd, "diff-tree", "--no-commit-id", "--name-only", "-r", ref).split())


def test_a_fresh_repository_gets_a_config_and_the_board_in_one_pushed_commit(
        tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path, {})
    before = repo.origin_sha()
    result = run_cli(repo.path, "init")
    assert result.exit_code == 0, result.output
    tip = repo.origin_sha()
    assert git(repo.origin, "rev-parse", f"{tip}^") == before  # one commit, pushed on top
    assert changed_files(repo.origin, tip) == sorted([".gatebot.toml", *BOARD])
    assert git(repo.origin, "log", "-1", "--format=%ce%n%(trailers:key=Gatebot-Event,valueonly)",
               tip).split() == ["gatebot@localhost", "init"]
    assert repo.origin_file("TODO.md") + "\n" == EMPTY_TODO
    assert tomllib.loads(repo.origin_file(".gatebot.toml"))["checks"] == {"nox_sessions": [],
                                                                           "required": []}
    # the work tree and the index are untouched: no files, nothing staged, HEAD where it was
    assert git(repo.path, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(repo.path, "rev-parse", "HEAD") == before
    assert not (repo.path / "TODO.md").exists()
    lines = result.output.splitlines()
    assert "git pull --ff-only" in result.output
    assert [line.split()[1] for line in lines[lines.index("next:") + 1:]] == ["task", "claim",
                                                                              "review"]


def test_the_board_it_writes_is_one_gatebot_can_work_with(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path, {})
    assert run_cli(repo.path, "init").exit_code == 0
    added = run_cli(repo.path, "task", "add", "First task", "--as", "ann")
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "1"
    shown = run_cli(repo.path, "config", "show")
    assert shown.exit_code == 0, shown.output


def test_a_second_run_changes_nothing_and_says_so(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path, {"noxfile.py": NOXFILE})
    assert run_cli(repo.path, "init").exit_code == 0
    tip = repo.origin_sha()
    again = run_cli(repo.path, "init")
    assert again.exit_code == 0, again.output
    assert "nothing to change" in again.output
    assert repo.origin_sha() == tip


def test_pyproject_keeps_every_byte_and_gets_the_nox_sessions(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path, {"pyproject.toml": PYPROJECT, "noxfile.py": NOXFILE})
    result = run_cli(repo.path, "init")
    assert result.exit_code == 0, result.output
    data = git_bytes(repo.origin, "cat-file", "blob", "main:pyproject.toml")
    assert data.startswith(PYPROJECT.encode())  # every byte kept, in place
    assert data[len(PYPROJECT):].startswith(b"\r\n\r\n[tool.gatebot]\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # in the file's own line endings
    after = data.decode()
    table = tomllib.loads(after)["tool"]
    assert table["ruff"] == {"line-length": 99}
    assert table["gatebot"]["checks"]["nox_sessions"] == ["tests", "lint"]
    assert table["gatebot"]["checks"]["required"] == ["tests", "lint"]
    assert ".gatebot.toml" not in changed_files(repo.origin, "main")


def git_bytes(cwd: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout


def test_a_tox_project_gets_only_the_checks_its_environments_define(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path, {"tox.ini": TOX_INI})
    result = run_cli(repo.path, "init")
    assert result.exit_code == 0, result.output
    text = repo.origin_file(".gatebot.toml")
    checks = tomllib.loads(text)["checks"]
    assert checks == {"required": ["tests", "lint"]}  # gatebot reads the rest from tox itself
    assert "#   checks.tests: tox -e py311,py312" in text
    assert "#   checks.lint: tox -e lint" in text


def test_a_tox_project_in_pyproject_is_found(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "demo"\n\n[tool.tox]\nenv_list = ["unit", "mypy"]\n\n' \
                '[tool.tox.env.unit]\ncommands = [["python", "-c", "pass"]]\n'
    repo = fresh_repo(tmp_path, {"pyproject.toml": pyproject})
    assert run_cli(repo.path, "init").exit_code == 0
    data = tomllib.loads(repo.origin_file("pyproject.toml"))
    assert data["tool"]["gatebot"]["checks"] == {"required": ["typecheck"]}


def test_without_a_remote_the_base_branch_and_its_checkout_move(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path, {}, origin=False)
    before = git(repo.path, "rev-parse", "main")
    result = run_cli(repo.path, "init")
    assert result.exit_code == 0, result.output
    assert git(repo.path, "rev-parse", "main^") == before
    assert (repo.path / "TODO.md").read_text(encoding="utf-8") == EMPTY_TODO
    assert git(repo.path, "status", "--porcelain", "--untracked-files=all") == ""
    assert "nothing to change" in run_cli(repo.path, "init").output


def test_what_exists_is_kept_and_only_the_rest_is_written(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path, {"TODO.md": "# my board\n", ".gatebot.toml": "min_coverage = 0\n"})
    assert run_cli(repo.path, "init").exit_code == 0
    assert changed_files(repo.origin, "main") == ["CURRENT_STATE.md",
                                                  "coordination/archive/README.md"]
    assert repo.origin_file("TODO.md") == "# my board"


def test_dry_run_prints_the_configuration_and_writes_nothing(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path, {"noxfile.py": NOXFILE})
    tip = repo.origin_sha()
    result = run_cli(repo.path, "init", "--dry-run")
    assert result.exit_code == 0, result.output
    assert 'nox_sessions = ["tests", "lint"]' in result.output
    assert repo.origin_sha() == tip


def test_refused_outside_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    result = run_cli(tmp_path / "plain", "init")
    assert result.exit_code == 2
    assert "not inside a git work tree" in result.output


@pytest.mark.parametrize("config", ['min_coverage = "lots"\n', "[checks\n"])
def test_refused_when_the_base_has_an_unreadable_config(tmp_path: Path, config: str) -> None:
    repo = fresh_repo(tmp_path, {".gatebot.toml": config})
    tip = repo.origin_sha()
    result = run_cli(repo.path, "init")
    assert result.exit_code == 2, result.output
    assert ".gatebot.toml" in result.output
    assert repo.origin_sha() == tip


def test_refused_when_the_base_has_no_commit(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main", "empty")
    result = run_cli(tmp_path / "empty", "init")
    assert result.exit_code == 2
    assert "has no commit yet" in result.output


def test_the_audit_takes_the_init_commit_as_gatebots_own(tmp_path: Path) -> None:
    repo = fresh_repo(tmp_path, {"pyproject.toml": '[project]\nname = "demo"\n'})
    assert run_cli(repo.path, "init").exit_code == 0
    audited = run_cli(repo.path, "audit", "--format", "json")
    assert audited.exit_code == 0, audited.output
    assert json.loads(audited.stdout)["ignored"] == []
