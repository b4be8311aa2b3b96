"""What the length and docstring rules judge by default: what the change did, and only code.

Real repositories with a bare origin; the real CLI. Each test pins a case that used
to fail the builder for debt the change did not add (an old long function, an old
missing module docstring, an old long file), or that judged files that are not
code (lock files, generated and vendored files), or an ``@overload`` stub.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.app.test_merge_overhead import imported_by
from tests.repos import Repo, make_repo, run_cli

TEST_FILE = {"tests/test_legacy.py": "def test_legacy():\n    pass\n"}


def function(name: str, span: int, doc: bool = True) -> str:
    """A function of ``span`` lines: its def, a docstring when ``doc``, then assignments."""
    head = f'def {name}():\n    """{name.title()}."""\n' if doc else f"def {name}():\n"
    body = "".join(f"    x{i} = {i}\n" for i in range(span - head.count("\n")))
    return head + body


def legacy_module() -> str:
    """An old module: no module docstring, an 87-line function, then a short one."""
    return "import os\n\n\n" + function("old_long", 87) + "\n\n" + function("short", 5)


def on_main(repo: Repo, files: dict[str, str]) -> None:
    for rel, text in files.items():
        repo.write(rel, text)
    repo.commit("old code on main")
    repo.git("push", "-q", "origin", "main")


def branch_with(repo: Repo, files: dict[str, str], branch: str = "task/4-twitter") -> None:
    repo.git("checkout", "-q", "-b", branch)
    for rel, text in files.items():
        repo.write(rel, text)
    repo.commit("work on the branch")


def verdict(repo: Repo, *args: str) -> tuple[int, dict[str, dict]]:  # type: ignore[type-arg]
    result = run_cli(repo.path, "review", "--format", "json", *args)
    doc = json.loads(result.stdout)
    return result.exit_code, {r["id"]: r for r in doc["rules"]}


def edit_line(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1
    return text.replace(old, new)


def test_first_change_next_to_an_old_long_function_and_module_docstring_passes(
    repo: Repo,
) -> None:
    on_main(repo, {"app/legacy.py": legacy_module()})
    edited = legacy_module().removesuffix("    x2 = 2\n") + "    x2 = 22\n"  # in short()
    branch_with(repo, {"app/legacy.py": edited, **TEST_FILE})
    code, rules = verdict(repo)
    assert code == 0, [r for r in rules.values() if r["status"] != "pass"]
    assert rules["function-length"]["status"] == "pass"
    assert "1 unchanged function over 80 left alone" in rules["function-length"]["summary"]
    assert rules["docstrings"]["status"] == "pass"
    code, rules = verdict(repo, "--all")
    assert code == 1
    assert [f["line"] for f in rules["function-length"]["findings"]] == [4]
    assert ("app/legacy.py", 1) in [(f["path"], f["line"]) for f in rules["docstrings"]["findings"]]


def test_editing_a_line_inside_the_long_function_fails_it(repo: Repo) -> None:
    on_main(repo, {"app/legacy.py": legacy_module()})
    edited = edit_line(legacy_module(), "    x40 = 40\n", "    x40 = 41\n")
    branch_with(repo, {"app/legacy.py": edited, **TEST_FILE})
    code, rules = verdict(repo)
    assert code == 1
    assert rules["function-length"]["findings"] == [
        {"path": "app/legacy.py", "line": 4, "message": "old_long spans 87 lines (max 80)"}]
    assert rules["docstrings"]["status"] == "pass"  # the module's docstring was missing before


def test_two_thousand_line_file_edit_in_a_short_function_passes(repo: Repo) -> None:
    """The issue's figure: a one-line edit (no line added) in a 2,000-line file of old debt."""
    parts = ['"""Old."""\n']
    for n in range(15):
        parts.append("\n\n" + function(f"long_{n}", 100))
    while sum(p.count("\n") for p in parts) < 1990:
        parts.append("\n\n" + function(f"short_{len(parts)}", 5))
    text = "".join(parts)
    text += "".join(f"# {i}\n" for i in range(2000 - text.count("\n")))
    assert text.count("\n") == 2000
    on_main(repo, {"app/big.py": text})
    branch_with(repo, {"app/big.py": edit_line(text, "def short_16():\n    \"\"\"Short_16.\"\"\"\n"
                                               "    x0 = 0\n",
                                               "def short_16():\n    \"\"\"Short_16.\"\"\"\n"
                                               "    x0 = 10\n"), **TEST_FILE})
    code, rules = verdict(repo)
    assert code == 0, [r for r in rules.values() if r["status"] != "pass"]
    assert rules["file-length"]["summary"] == (
        "1 file within 900 lines; 1 file over 900 not grown by the change left alone "
        "(--all judges every file)")
    code, rules = verdict(repo, "--all")
    assert code == 1
    assert len(rules["function-length"]["findings"]) == 15
    assert rules["file-length"]["findings"][0]["message"] == "2000 lines (max 900)"


def test_file_length_fails_a_long_file_only_when_the_change_grows_it(repo: Repo) -> None:
    text = '"""Old."""\n' + "".join(f"X{i} = {i}\n" for i in range(949))
    on_main(repo, {"app/table.py": text})
    branch_with(repo, {"app/table.py": edit_line(text, "X5 = 5\n", "X5 = 6\n"), **TEST_FILE})
    code, rules = verdict(repo)
    assert rules["file-length"]["status"] == "pass", rules["file-length"]
    repo.write("app/table.py", text + "X_NEW = 1\n")
    repo.commit("grow it")
    code, rules = verdict(repo)
    assert code == 1
    assert rules["file-length"]["findings"] == [
        {"path": "app/table.py", "line": 901, "message": "951 lines (max 900, was 950)"}]


def test_renamed_long_file_is_not_grown(repo: Repo) -> None:
    text = '"""Old."""\n' + "".join(f"X{i} = {i}\n" for i in range(949))
    on_main(repo, {"app/table.py": text})
    repo.git("checkout", "-q", "-b", "task/4-twitter")
    repo.git("mv", "app/table.py", "app/values.py")
    repo.write("app/values.py", edit_line(text, "X5 = 5\n", "X5 = 6\n"))
    repo.write("tests/test_values.py", "def test_v():\n    pass\n")
    repo.commit("rename")
    _, rules = verdict(repo)
    assert rules["file-length"]["status"] == "pass", rules["file-length"]


LONG = "".join(f"X{i} = {i}\n" for i in range(1186))


def test_lock_files_are_not_judged_unless_taken_back(repo: Repo) -> None:
    branch_with(repo, {"uv.lock": LONG, "web/package-lock.json": LONG, "go.sum": LONG,
                       "Cargo.lock": LONG, "README.md": "more\n"})
    code, rules = verdict(repo)
    assert code == 0, [r for r in rules.values() if r["status"] != "pass"]
    assert rules["file-length"]["summary"] == "1 file within 900 lines"  # README.md
    repo.git("checkout", "-q", "main")
    on_main(repo, {".gatebot.toml": 'exclude = ["!uv.lock", "build/"]\n'
                   + repo.path.joinpath(".gatebot.toml").read_text()})
    repo.git("checkout", "-q", "task/4-twitter")
    repo.write("build/gen.py", LONG)
    repo.commit("a build output")
    code, rules = verdict(repo)
    assert code == 1
    assert [f["path"] for f in rules["file-length"]["findings"]] == ["uv.lock"]


GITATTRIBUTES = "gen/** linguist-generated\nthird_party/** linguist-vendored=true\n" \
                "*.min.js -diff\nassets/*.svg diff=false\nkept/** linguist-generated=false\n"


def test_generated_and_vendored_files_of_the_base_gitattributes_are_not_judged(
    repo: Repo,
) -> None:
    on_main(repo, {".gitattributes": GITATTRIBUTES})
    undocumented = "def f():\n" + "    x = 1\n" * 90
    branch_with(repo, {"gen/api_pb2.py": undocumented, "third_party/lib/x.py": undocumented,
                       "web/app.min.js": LONG, "assets/logo.svg": LONG,
                       "kept/long.py": '"""K."""\n' + LONG, **TEST_FILE})
    repo.write(".gitattributes", "* linguist-generated\n")  # the work tree's: not read
    code, rules = verdict(repo)
    assert code == 1
    assert [f["path"] for f in rules["file-length"]["findings"]] == ["kept/long.py"]
    assert rules["function-length"]["status"] == "pass"
    assert rules["docstrings"]["status"] == "pass"


def test_a_change_cannot_exempt_its_own_files_through_gitattributes(repo: Repo) -> None:
    branch_with(repo, {".gitattributes": "app/** linguist-generated\n",
                       "app/huge.py": '"""H."""\n' + LONG, **TEST_FILE})
    code, rules = verdict(repo)
    assert code == 1
    assert [f["path"] for f in rules["file-length"]["findings"]] == ["app/huge.py"]


def test_overload_stubs_need_no_docstring(repo: Repo) -> None:
    source = (
        '"""Parsing."""\n\nimport typing as t\nfrom typing import overload\n'
        "from typing_extensions import overload as ext_overload\n"
        "from mylib import overload as not_typing\n\n\n"
        "@overload\ndef parse(x: int) -> int: ...\n\n\n"
        "@t.overload\ndef parse(x: str) -> str: ...\n\n\n"
        "@ext_overload\ndef parse(x: bytes) -> bytes: ...\n\n\n"
        'def parse(x):\n    """Parse x."""\n    return x\n\n\n'
        "@not_typing\ndef other(x): ...\n"
    )
    branch_with(repo, {"app/parse.py": source, **TEST_FILE})
    code, rules = verdict(repo)
    assert code == 1
    assert [(f["line"], f["message"]) for f in rules["docstrings"]["findings"]] == [
        (27, "public function other has no docstring")]


def test_an_invalid_exclude_glob_is_a_configuration_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    on_main(repo, {".gatebot.toml": 'exclude = ["[z-a]"]\n'
                   + repo.path.joinpath(".gatebot.toml").read_text()})
    result = run_cli(repo.path, "review", "--all")
    assert result.exit_code == 2
    assert "exclude" in result.output
    assert "'[z-a]' is not a valid glob" in result.output


NOT_FOR_A_REVIEW = ("pydantic", "jinja2", "markdown_it", "pathspec", "rich", "tox", "nox",
                    "gatebot.config_schema", "gatebot.adapters.checks",
                    "gatebot.adapters.claim_store", "gatebot.adapters.orphans")
"""What a review without checks, with the default globs, never needs: each costs start-up."""


def test_a_review_without_checks_imports_no_parser_pathspec_or_pydantic(
        repo: Repo, tmp_path: Path) -> None:
    on_main(repo, {"app/legacy.py": legacy_module()})
    edited = legacy_module().replace('"""Short."""', '"""Short, edited."""')
    branch_with(repo, {"app/legacy.py": edited, **TEST_FILE})
    modules = imported_by(repo, tmp_path, "review", "--format", "json")
    assert "gatebot.app.review" in modules and "gatebot.adapters.metrics" in modules
    loaded = sorted(m for m in modules if m in NOT_FOR_A_REVIEW
                    or m.split(".")[0] in NOT_FOR_A_REVIEW)
    assert loaded == [], loaded
