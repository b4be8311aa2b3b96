"""``gatebot review`` end to end on real repositories with a bare origin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.repos import Repo, make_repo, run_cli


def long_function(name: str, body_lines: int) -> str:
    """A function spanning ``body_lines + 2`` lines (def, docstring, body)."""
    body = "".join(f"    x{i} = {i}\n" for i in range(body_lines))
    return f'def {name}():\n    """Doc."""\n{body}'


def branch_with(repo: Repo, files: dict[str, str], branch: str = "task/4-twitter") -> str:
    repo.git("checkout", "-q", "-b", branch)
    for rel, text in files.items():
        repo.write(rel, text)
    return repo.commit("work on the branch")


def verdict_of(repo: Repo, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run_cli(repo.path, "review", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def rule(doc: dict, rule_id: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in doc["rules"] if r["id"] == rule_id)


def test_81_line_function_fails_with_path_and_line(repo: Repo) -> None:
    text = '"""M."""\n\n\n' + long_function("too_long", 79) + "\n\n" + long_function("ok", 78)
    head = branch_with(repo, {"app/big.py": text, "tests/test_big.py": "def test_x():\n    pass\n"})
    code, doc = verdict_of(repo)
    assert code == 1
    assert doc["verdict"] == "fail"
    assert (doc["schema"], doc["gate"], doc["head"], doc["task"]) == (
        "gatebot.verdict/1", "review", head, 4)
    fl = rule(doc, "function-length")
    assert fl["status"] == "fail"
    assert fl["findings"] == [{"path": "app/big.py", "line": 4,
                               "message": "too_long spans 81 lines (max 80)"}]
    assert rule(doc, "file-length")["status"] == "pass"
    code, doc = verdict_of(repo, "--only", "file-length,tests-present")
    assert code == 0
    assert [r["id"] for r in doc["rules"]] == ["file-length", "tests-present"]


def test_901_line_file_fails_and_only_other_rules_pass(repo: Repo) -> None:
    text = '"""M."""\n' + "x = 1\n" * 900
    branch_with(repo, {"app/huge.py": text, "tests/test_huge.py": "def test_x():\n    pass\n"})
    code, doc = verdict_of(repo)
    assert code == 1
    assert rule(doc, "file-length")["findings"][0]["path"] == "app/huge.py"
    assert "901 lines (max 900)" in rule(doc, "file-length")["findings"][0]["message"]
    code, _ = verdict_of(repo, "--only", "function-length")
    assert code == 0


def test_unchanged_file_passes_unless_all(repo: Repo) -> None:
    repo.write("app/legacy.py", '"""L."""\n' + long_function("legacy", 90))
    repo.commit("legacy code on main")
    repo.git("push", "-q", "origin", "main")
    branch_with(repo, {"app/core.py": '"""Core."""\n\n\ndef add(a, b):\n    """Add."""\n'
                       "    return b + a\n", "tests/test_y.py": "def test_y():\n    pass\n"})
    code, doc = verdict_of(repo)  # a new test module: main's test_add is kept (gate-files)
    assert code == 0, doc
    code, doc = verdict_of(repo, "--all")
    assert code == 1
    assert rule(doc, "function-length")["findings"][0]["path"] == "app/legacy.py"


def test_source_without_tests_and_board_edit_fail(repo: Repo) -> None:
    branch_with(repo, {"app/new.py": '"""N."""\n', "TODO.md": "# hacked\n"})
    code, doc = verdict_of(repo)
    assert code == 1
    assert rule(doc, "tests-present")["status"] == "fail"
    assert rule(doc, "board-files")["findings"][0]["path"] == "TODO.md"


def test_missing_docstring_in_changed_function(repo: Repo) -> None:
    branch_with(repo, {"app/core.py": '"""Core."""\n\n\ndef add(a, b):\n    return a + b\n',
                       "tests/test_core.py": "def test_y():\n    pass\n"})
    code, doc = verdict_of(repo)
    assert code == 1
    finding = rule(doc, "docstrings")["findings"][0]
    assert (finding["path"], finding["line"]) == ("app/core.py", 4)


def test_unknown_only_rule_exits_2(repo: Repo) -> None:
    result = run_cli(repo.path, "review", "--all", "--only", "function-lenght")
    assert result.exit_code == 2
    assert "function-lenght" in result.output
    assert "function-length" in result.output


def test_markdown_and_github_formats(repo: Repo, tmp_path: Path) -> None:
    branch_with(repo, {"app/new.py": '"""N."""\n'})
    result = run_cli(repo.path, "review", "--format", "markdown")
    assert result.exit_code == 1
    assert "| `tests-present` | ❌ fail |" in result.stdout
    summary = tmp_path / "summary.md"
    result = run_cli(repo.path, "review", "--format", "github",
                     env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert "::error file=app/new.py,title=tests-present::source changed" in result.stdout
    assert "tests-present" in summary.read_text()


def test_text_format_shows_the_table(repo: Repo) -> None:
    branch_with(repo, {"app/new.py": '"""N."""\n'})
    result = run_cli(repo.path, "review")
    assert result.exit_code == 1
    assert "tests-present" in result.stdout
    assert "verdict: fail" in result.stdout
    assert "\x1b[" not in result.stdout  # NO_COLOR


def test_real_nox_checks_and_coverage(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_nox=True)
    repo.git("checkout", "-q", "-b", "task/4-x")
    repo.write("app/more.py", '"""More."""\n\n\ndef sub(a, b):\n    """Sub."""\n    return a - b\n')
    repo.write("tests/test_more.py", "from app.more import sub\n\n\ndef test_sub():\n"
               "    assert sub(3, 1) == 2\n")
    repo.commit("more")
    code, doc = verdict_of(repo, "--jobs", "2")
    ids = [r["id"] for r in doc["rules"]]
    assert ids[:2] == ["checks.tests", "checks.lint"]
    assert rule(doc, "checks.tests")["status"] == "pass"
    cov = rule(doc, "coverage")
    assert cov["status"] == "pass", cov
    assert code == 0
    repo.write("tests/test_more.py", "def test_sub():\n    assert False\n")
    repo.commit("break it")
    code, doc = verdict_of(repo, "--only", "checks.tests")
    assert code == 1
    tests_rule = rule(doc, "checks.tests")
    assert tests_rule["status"] == "fail"
    assert Path(tests_rule["log"]).is_file()
    assert "assert False" in Path(tests_rule["log"]).read_text()


@pytest.mark.parametrize("branch", ["feature-x", "task/4-anything"])
def test_task_found_from_branch_or_board_field(repo: Repo, branch: str) -> None:
    branch_with(repo, {"README.md": "hi\n"}, branch=branch)
    _, doc = verdict_of(repo)
    assert doc["task"] == 4


def test_a_base_that_looks_like_an_option_is_not_passed_to_git(repo: Repo, tmp_path: Path) -> None:
    branch_with(repo, {"README.md": "hi\n"})
    target = tmp_path / "written-by-git"
    result = run_cli(repo.path, "review", f"--base=--output={target}")
    assert result.exit_code == 2
    assert "no commit named" in result.output
    assert not target.exists()


def test_no_tests_check_means_coverage_cannot_pass(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    repo.write(".gatebot.toml", "[checks]\nnox_sessions = []\n")  # min_coverage 80, no check
    repo.commit("no tests check")
    repo.git("push", "-q", "origin", "main")
    _, doc = verdict_of(repo, "--all")
    cov = rule(doc, "coverage")
    assert cov["status"] == "fail"
    assert "no tests check is configured" in cov["summary"]


def test_only_static_rules_plan_no_checks(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, with_nox=True)
    branch_with(repo, {"README.md": "hi\n"})
    code, doc = verdict_of(repo, "--only", "file-length")
    assert code == 0
    assert [r["id"] for r in doc["rules"]] == ["file-length"]
    assert not (tmp_path / "logs").exists()  # no nox --list, no log directory
