"""Inputs a builder controls cannot steer gate 1: the base, the config, links, names, clones.

Each test drives the real CLI on a real repository with a bare ``origin``
(issue 7: MEDIUM 5-7 and the LOW items on inputs and output).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.repos import Repo, git, make_repo, run_cli, run_process

UNDOCUMENTED = "def api():\n    return 1\n"
LONG_BODY = "".join(f"    x{i} = {i}\n" for i in range(100))
LONG_FUNCTION = f'"""Legacy."""\n\n\ndef legacy():\n    """Long."""\n{LONG_BODY}'


def on_branch(repo: Repo, files: dict[str, str], branch: str = "task/4-twitter") -> str:
    """Check out ``branch``, write ``files`` and commit them; return the head SHA."""
    repo.git("checkout", "-q", "-b", branch)
    for rel, text in files.items():
        repo.write(rel, text)
    return repo.commit("work on the branch")


def push_main_config(repo: Repo, rel: str, text: str) -> None:
    """Commit ``text`` as ``rel`` on main and push it (the base's configuration)."""
    repo.write(rel, text)
    repo.commit(f"configure via {rel}")
    repo.git("push", "-q", "origin", "main")


def review_json(repo: Repo, *args: str, env: dict[str, str] | None = None
                ) -> tuple[int, dict]:  # type: ignore[type-arg]
    """Run ``review --format json``; return the exit code and the verdict document."""
    result = run_cli(repo.path, "review", "--format", "json", *args, env=env)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def findings(doc: dict, rule_id: str) -> list[dict]:  # type: ignore[type-arg]
    """The findings of ``rule_id`` in a verdict document."""
    return next(r for r in doc["rules"] if r["id"] == rule_id)["findings"]  # type: ignore[no-any-return]


# -- MEDIUM 5: the branch under review never chooses its base ---------------------------------
def test_the_branch_config_cannot_choose_the_base(repo: Repo) -> None:
    on_branch(repo, {".gatebot.toml": 'base = "task/4-twitter"\nmin_coverage = 0\n'
                                      "[checks]\nnox_sessions = []\n",
                     "app/long.py": LONG_FUNCTION, "tests/test_long.py": "x = 1\n"})
    repo.git("push", "-q", "origin", "task/4-twitter")
    code, doc = review_json(repo, "--only", "function-length")
    assert code == 1, "the change must be judged against main, not against itself"
    assert doc["base"] == repo.origin_sha("main")
    assert findings(doc, "function-length")[0]["path"] == "app/long.py"


def test_the_default_base_is_the_remotes_default_branch(repo: Repo) -> None:
    repo.git("push", "-q", "origin", "main:trunk")
    git(repo.origin, "symbolic-ref", "HEAD", "refs/heads/trunk")
    repo.git("fetch", "-q", "origin")
    repo.git("remote", "set-head", "origin", "--auto")
    push_main_config(repo, "app/later.py", '"""Only on main."""\n')  # main moves, trunk not
    on_branch(repo, {"app/x.py": '"""X."""\n', "tests/test_x.py": "x = 1\n"})
    _, doc = review_json(repo, "--only", "file-length")
    assert doc["base"] == repo.origin_sha("trunk") != repo.origin_sha("main")


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_base_that_is_the_branch_under_review_is_exit_2(repo: Repo, how: str) -> None:
    on_branch(repo, {"app/x.py": '"""X."""\n', "tests/test_x.py": "x = 1\n"})
    repo.git("push", "-q", "origin", "task/4-twitter")
    args = ["--base", "task/4-twitter"] if how == "flag" else []
    env = {"GATEBOT_BASE": "task/4-twitter"} if how == "env" else None
    before = repo.origin_sha("task/4-twitter")
    result = run_cli(repo.path, "review", "--approve", "--as", "rev1", *args, env=env)
    assert result.exit_code == 2, result.output
    assert "task/4-twitter" in result.output and "branch under review" in result.output
    assert repo.origin_sha("task/4-twitter") == before, "no board commit on the task branch"


# -- config errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["7", '"oops"'])
def test_a_tool_gatebot_that_is_not_a_table_is_exit_2(repo: Repo, value: str) -> None:
    repo.git("rm", "-q", ".gatebot.toml")
    push_main_config(repo, "pyproject.toml", f"[tool]\ngatebot = {value}\n")
    result = run_cli(repo.path, "review")
    assert result.exit_code == 2, result.output
    assert "tool.gatebot" in result.output and "origin/main/pyproject.toml" in result.output


def test_a_too_deeply_nested_config_is_exit_2(repo: Repo) -> None:
    depth = 200_000
    push_main_config(repo, ".gatebot.toml", "disabled_rules = " + "[" * depth + "]" * depth + "\n")
    result = run_cli(repo.path, "review")
    assert result.exit_code == 2, result.output
    assert "origin/main/.gatebot.toml" in result.output and "nested" in result.output


def test_a_bad_environment_value_names_the_variable_not_its_value(repo: Repo) -> None:
    result = run_cli(repo.path, "status", env={"GATEBOT_MIN_COVERAGE": "ghp_s3cr3tTOKEN"})
    assert result.exit_code == 2, result.output
    assert "GATEBOT_MIN_COVERAGE" in result.output
    assert "s3cr3t" not in result.output


def test_an_unknown_environment_variable_warns_and_goes_on(repo: Repo) -> None:
    result = run_cli(repo.path, "status", env={"GATEBOT_SOMETHING_ELSE": "ghp_s3cr3tTOKEN"})
    assert result.exit_code == 0, result.output
    assert "GATEBOT_SOMETHING_ELSE" in result.stderr
    assert "s3cr3t" not in result.output


# -- MEDIUM 6: links are links, read from git -------------------------------------------------
def test_a_symlink_is_not_followed_or_measured(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("def secret():\n" + LONG_BODY, encoding="utf-8")
    repo.git("checkout", "-q", "-b", "task/4-links")
    os.symlink(outside, repo.path / "app" / "x.py")
    os.symlink("core.py", repo.path / "app" / "alias.py")
    repo.write("tests/test_links.py", "x = 1\n")
    repo.commit("add links")
    code, doc = review_json(repo, "--only", "file-length,function-length,docstrings")
    assert code == 0, doc
    assert all(not r["findings"] for r in doc["rules"])


def test_gate_1_measures_the_head_commit_not_the_work_tree(repo: Repo) -> None:
    on_branch(repo, {"app/x.py": '"""X."""\n\n\ndef f():\n    """F."""\n',
                     "tests/test_x.py": "x = 1\n"})
    repo.write("app/x.py", UNDOCUMENTED)  # an uncommitted edit: not the head SHA's code
    code, _ = review_json(repo, "--only", "docstrings")
    assert code == 0


# -- MEDIUM 7: every path from git is NUL-separated -------------------------------------------
ODD_NAMES = ["app/with space.py", "app/tab\tname.py", 'app/quote".py', "app/back\\slash.py",
             "app/new\nline.py"]


def test_docstrings_judges_files_whose_names_need_quoting(repo: Repo) -> None:
    on_branch(repo, {**{name: UNDOCUMENTED for name in ODD_NAMES}, "tests/test_odd.py": "x = 1\n"})
    code, doc = review_json(repo, "--only", "docstrings")
    assert code == 1
    assert sorted({f["path"] for f in findings(doc, "docstrings")}) == sorted(ODD_NAMES)


# -- LOW: shallow clones and misnamed remotes ---------------------------------------------------
def test_a_shallow_clone_deepens_to_find_the_merge_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    push_main_config(repo, "app/legacy.py", LONG_FUNCTION)  # an old debt on main
    on_branch(repo, {"app/feature.py": '"""F."""\n', "tests/test_f.py": "x = 1\n"})
    repo.git("push", "-q", "origin", "task/4-twitter")
    repo.git("checkout", "-q", "main")
    for n in range(3):  # main moves on and pays the debt
        repo.write("app/legacy.py", f'"""Legacy {n}."""\n\n\ndef legacy():\n    """Short."""\n')
        repo.commit(f"shorten legacy {n}")
    repo.git("push", "-q", "origin", "main")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "task/4-twitter",
        f"file://{repo.origin}", str(shallow))
    result = run_cli(shallow, "review", "--format", "json", "--only", "function-length")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rules"][0]["findings"] == []


def test_a_misnamed_remote_is_exit_2_naming_the_remotes(repo: Repo) -> None:
    result = run_cli(repo.path, "status", env={"GATEBOT_MERGE__REMOTE": "orgin"})
    assert result.exit_code == 2, result.output
    assert "orgin" in result.output and "origin" in result.output.replace("orgin", "")


def test_without_any_remote_it_stays_local(repo: Repo) -> None:
    repo.git("remote", "remove", "origin")
    assert run_cli(repo.path, "status").exit_code == 0


# -- LOW: no raw control characters from file names in any format ------------------------------
EVIL = ["app/\x1b[31mred.py", "app/x\n::error::pwned.py"]


@pytest.mark.parametrize("fmt", ["text", "markdown", "github"])
def test_control_characters_in_file_names_are_escaped(repo: Repo, fmt: str) -> None:
    on_branch(repo, {**{name: UNDOCUMENTED for name in EVIL}, "tests/test_e.py": "x = 1\n"})
    result = run_process(repo.path, "review", "--format", fmt, "--only", "docstrings")
    assert result.returncode == 1, result.stderr
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    if fmt == "github":
        assert all(line.startswith(("::error ", "gatebot ")) for line in lines), lines
        assert any("pwned.py" in line for line in lines)
    else:
        assert not any(line.lstrip().startswith("::error::") for line in lines), lines
        assert any("red.py" in line for line in lines)
