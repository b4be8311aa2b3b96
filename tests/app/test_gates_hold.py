"""Gates that hold against a builder who wants unreviewed code on main (issue 7).

Black-box: the real CLI on real repositories with a bare origin. Each test is a
move the adversary tried; each must fail on a gatebot that trusts a partial
approval, writes board files through a symlink or runs checks before asking
who is approving.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from pathlib import Path

import pytest

from tests.repos import NO_CHECKS, Repo, git, make_repo, run_cli, run_process

TOMORROW = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=1)
NOW_TOMORROW = {"GATEBOT_NOW": f"{TOMORROW.isoformat()}T09:00:00Z"}


def long_function(lines: int = 201) -> str:
    """A module with one public function of ``lines`` lines, no docstring anywhere."""
    body = "".join(f"    x{i} = {i}\n" for i in range(lines - 2))
    return f"def big():\n{body}    return 0\n"


def with_check(repo: Repo, code: str = "pass", extra: str = "") -> None:
    """Configure one ``tests`` check (``python -c CODE``) on main and push it."""
    argv = json.dumps([sys.executable, "-c", code])
    repo.write(".gatebot.toml", f"min_coverage = 0\n{extra}[checks]\nnox_sessions = []\n"
               f'required = ["tests"]\ncommands = {{ tests = {argv} }}\n')
    repo.commit("configure a tests check")
    repo.git("push", "-q", "origin", "main")


def push_branch(repo: Repo, files: dict[str, str], name: str = "task/4-work") -> str:
    """Commit ``files`` as builder-one on a new branch from origin/main and push it."""
    repo.git("checkout", "-q", "-b", name, "origin/main")
    for rel, text in files.items():
        repo.write(rel, text)
    head = repo.commit("the builder's work", as_="builder-one")
    repo.git("push", "-q", "origin", name)
    return head


def push_main(repo: Repo, rel: str, text: str) -> None:
    """A maintainer pushes ``rel`` to origin/main from a second clone."""
    other = repo.path.parent / "maintainer"
    if not other.exists():
        git(repo.path.parent, "clone", "-q", str(repo.origin), str(other))
    git(other, "pull", "-q", "origin", "main")
    (other / rel).write_text(text)
    git(other, "commit", "-q", "-am", f"main: {rel}")
    git(other, "push", "-q", "origin", "HEAD:main")


def stage_of(repo: Repo, number: int) -> str:
    """The TODO.md section holding task ``number`` on origin/main."""
    section = ""
    for line in repo.origin_file("TODO.md").splitlines():
        if line.startswith("## "):
            section = line
        elif line.startswith(f"### #{number} "):
            return section
    return ""


def symlinks_on_main(repo: Repo) -> list[str]:
    """Every symlink in the tree of origin/main."""
    listing = git(repo.origin, "ls-tree", "-r", "main")
    return [row for row in listing.splitlines() if row.startswith("120000")]


def rule_status(output: str, rule_id: str) -> str:
    """The status of ``rule_id`` in a ``--format json`` verdict printed in ``output``."""
    doc = json.loads(output[output.index("{"):output.rindex("}") + 1])
    return next(r["status"] for r in doc["rules"] if r["id"] == rule_id)


# -- HIGH 1: an approval judges every rule -------------------------------------------------------
def test_approve_with_only_or_all_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with_check(repo)
    push_branch(repo, {"app/big.py": long_function()})
    before = repo.origin_sha()
    for flags in (("--only", "checks.tests"), ("--only", "checks"), ("--all",)):
        result = run_process(repo.path, "review", "--approve", *flags, "--as", "rev-a")
        assert result.returncode == 2, (flags, result.stdout, result.stderr)
        assert "--only" in result.stderr
        assert "every rule" in result.stderr
    looking = run_process(repo.path, "review", "--only", "checks.tests")
    assert looking.returncode == 0, looking.stderr  # looking at one rule is still fine
    assert repo.origin_sha() == before
    assert "REVIEW" in stage_of(repo, 4)


LOOSE = ('min_coverage = 0\nmax_function_lines = 300\n'
         'disabled_rules = ["tests-present", "docstrings"]\n'
         '[checks]\nnox_sessions = []\nrequired = []\n')
STRICT = NO_CHECKS


def loosely_approved(repo: Repo, files: dict[str, str], links: dict[str, str] | None = None
                     ) -> str:
    """Approve ``files`` (and ``links``: name → target) under loose rules, then tighten main's."""
    repo.write(".gatebot.toml", LOOSE)
    repo.commit("loose rules for now")
    repo.git("push", "-q", "origin", "main")
    push_branch(repo, files)
    for name, target in (links or {}).items():
        os.symlink(target, repo.path / name)
    head = repo.commit("links", as_="builder-one") if links else repo.git("rev-parse", "HEAD")
    repo.git("push", "-q", "origin", "task/4-work")
    approved = run_process(repo.path, "review", "--approve", "--as", "rev-a")
    assert approved.returncode == 0, approved.stderr
    push_main(repo, ".gatebot.toml", STRICT)
    return head


def test_gate2_rejudges_static_rules_on_the_approved_head(repo: Repo) -> None:
    """An approval under looser rules does not land once main's rules say no."""
    head = loosely_approved(repo, {"app/big.py": long_function()})
    before = repo.origin_sha()
    dry = run_process(repo.path, "merge", "--task", "4", "--as", "rev-b", "--dry-run")
    assert dry.returncode == 1, dry.stdout + dry.stderr
    assert repo.origin_sha() == before  # a dry run writes nothing, not even the board
    result = run_process(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.returncode == 1, result.stdout + result.stderr
    for rule_id in ("function-length", "tests-present", "docstrings"):
        assert rule_id in result.stdout + result.stderr
    assert head not in git(repo.origin, "rev-list", "main").split()
    assert "app/big.py" not in git(repo.origin, "ls-tree", "-r", "--name-only", "main")
    assert "REVIEW" in stage_of(repo, 4) and "RDY" not in stage_of(repo, 4)


def test_gate2_measures_what_a_symlinked_module_imports(repo: Repo) -> None:
    """``app/big.py`` → ``big.txt``: Python imports the text file's function; it is measured."""
    head = loosely_approved(repo, {"app/big.txt": long_function(), "tests/test_b.py": "x = 1\n"},
                            {"app/big.py": "big.txt"})
    result = run_process(repo.path, "merge", "--task", "4", "--as", "rev-b", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert rule_status(result.stdout, "function-length") == "fail"
    assert "app/big.py" in result.stdout
    assert head not in git(repo.origin, "rev-list", "main").split()


@pytest.mark.parametrize("attributes", ["*.py -diff\n", "*.py binary\n"])
def test_a_changes_own_gitattributes_do_not_hide_its_lines(repo: Repo, attributes: str) -> None:
    """Marking Python as binary made ``git diff`` report no changed line: no docstring judged."""
    push_branch(repo, {"app/bare.py": "def bare():\n    return 0\n",
                       "tests/test_bare.py": "x = 1\n", ".gitattributes": attributes})
    looking = run_process(repo.path, "review", "--format", "json")
    assert rule_status(looking.stdout, "docstrings") == "fail"
    approve = run_process(repo.path, "review", "--approve", "--as", "rev-a")
    assert approve.returncode == 1
    assert "docstrings" in approve.stderr


def test_a_nul_byte_does_not_hide_a_javascript_function(repo: Repo) -> None:
    """Node runs a file whose first line holds a NUL byte; it was skipped as binary."""
    body = "".join(f"  let x{i} = {i};\n" for i in range(199))
    js = f"// \0\n/** Big. */\nfunction big() {{\n{body}  return 0;\n}}\nmodule.exports = big;\n"
    push_branch(repo, {"app/big.js": js, "tests/big.test.js": "x\n"})
    approve = run_process(repo.path, "review", "--approve", "--as", "rev-a", "--format", "json")
    assert approve.returncode == 1
    assert rule_status(approve.stdout, "function-length") == "fail"


def test_rules_loosened_in_the_gate1_reviewers_environment_do_not_land(repo: Repo) -> None:
    head = push_branch(repo, {"app/big.py": long_function()})
    loose = {"GATEBOT_MAX_FUNCTION_LINES": "500",
             "GATEBOT_DISABLED_RULES": '["tests-present", "docstrings"]'}
    before = repo.origin_sha()
    refused = run_process(repo.path, "review", "--approve", "--as", "rev-a", env=loose)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "GATEBOT_DISABLED_RULES, GATEBOT_MAX_FUNCTION_LINES set" in refused.stderr
    assert repo.origin_sha() == before  # an approval is judged by the base's settings alone
    looked = run_process(repo.path, "review", "--as", "rev-a", env=loose)
    assert looked.returncode == 0, looked.stdout + looked.stderr  # looking may try settings
    result = run_process(repo.path, "review", "--approve", "--as", "rev-a")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "function-length" in result.stdout + result.stderr
    result = run_process(repo.path, "merge", "--task", "4", "--as", "rev-b", env=loose)
    assert result.returncode == 2, result.stdout + result.stderr
    assert head not in git(repo.origin, "rev-list", "main").split()


def test_gate1_measures_what_a_symlinked_module_imports(repo: Repo) -> None:
    push_branch(repo, {"app/big.txt": long_function(), "tests/test_b.py": "x = 1\n"})
    os.symlink("big.txt", repo.path / "app" / "big.py")
    repo.commit("import the text", as_="builder-one")
    approve = run_process(repo.path, "review", "--approve", "--as", "rev-a", "--format", "json")
    assert approve.returncode == 1
    assert rule_status(approve.stdout, "function-length") == "fail"
    assert rule_status(approve.stdout, "docstrings") == "fail"


def test_approval_records_the_rules_judged_and_what_tests_ran(repo: Repo) -> None:
    push_branch(repo, {"app/f.py": '"""F."""\n', "tests/test_f.py": "x = 1\n"})
    assert run_cli(repo.path, "review", "--approve", "--as", "rev-a").exit_code == 0
    message = git(repo.origin, "log", "-1", "--format=%B", "main")
    rules = next(line for line in message.splitlines() if line.startswith("Gatebot-Rules: "))
    for rule_id in ("file-length", "function-length", "docstrings", "tests-present",
                    "board-files", "coverage", "reviewer"):
        assert rule_id in rules
    changed = git(repo.origin, "diff", "--name-only", "main^", "main").split()
    entry = repo.origin_file(next(p for p in changed if p.startswith("coordination/archive/")))
    assert "All pass" not in entry  # no check is configured here: none ran
    assert "- **Tests**: ⚠️ no check ran" in entry
    landed = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert landed.exit_code == 0, landed.output
    changed = git(repo.origin, "diff", "--name-only", "main^1", "main").split()
    entry = repo.origin_file(next(p for p in changed if p.startswith("coordination/archive/")))
    released = entry.split("- **Event**: released")[1]
    assert "All pass" not in released
    assert "⚠️ no check ran" in released


def test_approval_tests_field_names_the_checks_that_ran(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with_check(repo)
    push_branch(repo, {"app/f.py": '"""F."""\n', "tests/test_f.py": "x = 1\n"})
    assert run_cli(repo.path, "review", "--approve", "--as", "rev-a").exit_code == 0
    assert "Gatebot-Rules: checks.tests," in git(repo.origin, "log", "-1", "--format=%B", "main")
    landed = run_cli(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert landed.exit_code == 0, landed.output
    changed = git(repo.origin, "diff", "--name-only", "main^1", "main").split()
    entry = repo.origin_file(next(p for p in changed if p.startswith("coordination/archive/")))
    approved = entry.split("- **Event**: approved")[1].split("###")[0]
    assert "- **Tests**: ✅ All pass (checks.tests)" in approved
    released = entry.split("- **Event**: released")[1]
    assert "- **Tests**: ✅ All pass (checks.tests; re-tested on the release tree)" in released


# -- item 2: board paths are gatebot's, and never written through a link ------------------------
def test_symlinked_archive_day_never_lands_nor_is_written_through(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with_check(repo)  # a configured check: gate 2 re-tests in a checkout, where links bite
    outside = tmp_path / "outside.md"
    outside.write_text("precious\n")
    push_branch(repo, {"app/f.py": '"""F."""\n', "tests/test_f.py": "x = 1\n"})
    link = repo.path / "coordination" / "archive" / f"{TOMORROW.isoformat()}.md"
    link.parent.mkdir(parents=True)
    os.symlink(outside, link)
    repo.commit("an archive day of my own", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    looking = run_process(repo.path, "review", "--all", "--format", "json")
    assert rule_status(looking.stdout, "board-files") == "fail"  # --all still judges the change
    for flags in ((), ("--all",)):
        result = run_process(repo.path, "review", "--approve", *flags, "--as", "rev-a",
                             env=NOW_TOMORROW)
        assert result.returncode in (1, 2), (flags, result.stdout, result.stderr)
    merged = run_process(repo.path, "merge", "--task", "4", "--as", "rev-b", env=NOW_TOMORROW)
    assert merged.returncode == 1, merged.stdout + merged.stderr
    assert outside.read_text() == "precious\n"
    assert symlinks_on_main(repo) == []


def test_deleting_or_renaming_an_archive_day_fails_board_files(repo: Repo) -> None:
    day = "coordination/archive/2025-01-01.md"
    repo.write(day, "### ✅ Old\n- **Task**: #1\n- **Event**: released\n")
    repo.write("CURRENT_STATE.md", "# State\n")
    repo.commit("history")
    repo.git("push", "-q", "origin", "main")
    push_branch(repo, {"app/f.py": '"""F."""\n', "tests/test_f.py": "x = 1\n"})
    repo.git("rm", "-q", day)
    repo.git("mv", "CURRENT_STATE.md", "STATE.md")
    repo.commit("tidy up the history", as_="builder-one")
    result = run_process(repo.path, "review", "--format", "json")
    assert result.returncode == 1
    assert rule_status(result.stdout, "board-files") == "fail"
    assert day in result.stdout
    assert "CURRENT_STATE.md" in result.stdout
    approve = run_process(repo.path, "review", "--approve", "--as", "rev-a")
    assert approve.returncode == 1
    assert "board-files" in approve.stderr


def test_a_board_file_that_is_a_symlink_on_main_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with_check(repo)
    outside = tmp_path / "outside.md"
    outside.write_text("precious\n")
    os.symlink(outside, repo.path / "CURRENT_STATE.md")
    repo.commit("someone linked the state file")
    repo.git("push", "-q", "origin", "main")
    push_branch(repo, {"app/f.py": '"""F."""\n', "tests/test_f.py": "x = 1\n"})
    assert run_cli(repo.path, "review", "--approve", "--as", "rev-a").exit_code == 0
    before = repo.origin_sha()
    result = run_process(repo.path, "merge", "--task", "4", "--as", "rev-b")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CURRENT_STATE.md" in result.stderr
    assert "symlink" in result.stderr
    assert outside.read_text() == "precious\n"
    assert repo.origin_sha() == before


def test_a_symlinked_todo_on_main_is_never_written_through(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(repo.origin_file("TODO.md") + "\n")
    repo.git("rm", "-q", "TODO.md")
    os.symlink(outside, repo.path / "TODO.md")
    repo.commit("someone linked the board")
    repo.git("push", "-q", "origin", "main")
    before = repo.origin_sha()
    result = run_process(repo.path, "task", "add", "A task", "--as", "ann")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "TODO.md is a symlink" in result.stderr
    assert outside.read_text() == repo.origin_file("TODO.md", "main^") + "\n"
    assert repo.origin_sha() == before


# -- LOW: eligibility before any check runs ------------------------------------------------------
def test_ineligible_approvals_are_refused_before_any_check_runs(tmp_path: Path) -> None:
    marker = tmp_path / "check-ran"
    repo = make_repo(tmp_path)
    with_check(repo, f"import pathlib; pathlib.Path({str(marker)!r}).touch()")
    push_branch(repo, {"app/f.py": '"""F."""\n', "tests/test_f.py": "x = 1\n"})
    builder = run_cli(repo.path, "review", "--approve", "--as", "builder-one")
    assert builder.exit_code == 1, builder.output
    assert "builder" in builder.output
    assert not marker.exists()
    assert run_cli(repo.path, "review", "--approve", "--as", "rev-a").exit_code == 0
    assert marker.exists()
    marker.unlink()
    twice = run_cli(repo.path, "review", "--approve", "--as", "rev-c")
    assert twice.exit_code == 1, twice.output
    assert "RDY FOR PROD" in twice.output
    assert not marker.exists()
