"""gate-files: the modules the checks run (``gate_files.module_files``, ``command_modules``)."""

from __future__ import annotations

from gatebot.core.rules import gate_files


def test_root_modules_named_after_a_tool_are_gate_files() -> None:
    """``python -m pytest`` imports ``./pytest.py`` first; ``tests/pytest.py`` it never does."""
    paths = ["pytest.py", "coverage/__init__.py", "_pytest/__main__.py", "nox.pyc",
             "tests/pytest.py", "pytest.md", "src/coverage.py", "app/f.py", "pytestx.py",
             "pip/__main__.py"]
    assert gate_files.module_files(paths, frozenset()) == [
        "pytest.py", "coverage/__init__.py", "_pytest/__main__.py", "nox.pyc", "pip/__main__.py"]


def test_the_modules_a_configured_check_runs_are_gate_files() -> None:
    """``-m app.selftest`` runs ``app/selftest.py`` after ``app/__init__.py``."""
    modules = gate_files.command_modules({"tests": ("python", "-m", "app.selftest", "-x"),
                                          "lint": "ruff check .", "m": ("x", "-m")})
    assert modules == frozenset({"app.selftest"})
    paths = ["app/selftest.py", "app/__init__.py", "app/other.py", "app/selftest/__main__.py"]
    assert gate_files.module_files(paths, modules) == [
        "app/selftest.py", "app/__init__.py", "app/selftest/__main__.py"]


def test_links_out_of_the_repository() -> None:
    """Absolute targets and targets above the root; a link inside the tree is no gate file."""
    targets = {"tests/ext": "/tmp/plugins", "a/b": "../../up", "a/c": "../in/tree",
               "top": "..", "d": "sub/../../x", "e": "f.py"}
    assert gate_files.links_out(targets) == ["a/b", "d", "tests/ext", "top"]


def test_case_twins_of_gate_files() -> None:
    """``CONFTEST.py`` is pytest's conftest.py on macOS; ``Noxfile.py`` below the root is not."""
    paths = ["tests/CONFTEST.py", "Pytest.ini", "NOXFILE.py", "lib/Noxfile.py",
             "tests/conftest.py", "docs/Setup.CFG", "README.md", "Tox.ini"]
    assert gate_files.case_twins(paths) == [
        "tests/CONFTEST.py", "Pytest.ini", "NOXFILE.py", "docs/Setup.CFG", "Tox.ini"]
    assert gate_files.gate_file_changes(["Pytest.ini", "app/f.py"]) == ["Pytest.ini"]


def test_deleted_test_modules() -> None:
    """A deleted test module counts; a deleted fixture or a deleted source file does not."""
    patterns, sources = ("tests/**", "**/test_*.py"), ("**/*.py",)
    deleted = ["tests/test_a.py", "tests/data/x.json", "app/f.py", "lib/test_b.py"]
    assert gate_files.deleted_tests(deleted, patterns, sources) == [
        "tests/test_a.py", "lib/test_b.py"]


def test_new_root_modules_that_shadow_what_the_tools_import() -> None:
    """A new root ``iniconfig.py`` or ``argparse/__init__.py`` shadows pytest's dependency or
    the standard library's module; ``app/argparse.py`` or ``iniconfig.txt`` shadows nothing."""
    assert [gate_files.root_module(p) for p in (
        "iniconfig.py", "x.cpython-312-x86_64-linux-gnu.so", "pkg/__init__.py", "pkg/m.py",
        "a/b/__init__.py", "iniconfig.txt", ".py")] == [
        "iniconfig", "x", "pkg", None, None, None, None]
    importable = frozenset({"iniconfig", "argparse"})
    added = ["iniconfig.py", "argparse/__init__.py", "app/argparse.py", "iniconfig.txt",
             "mine.py"]
    assert gate_files.shadows(added, importable) == ["iniconfig.py", "argparse/__init__.py"]
    assert gate_files.gate_file_changes(["iniconfig.py", "app/f.py"], added=["iniconfig.py"],
                                        importable=importable) == ["iniconfig.py"]


def test_tox_inline_plugin_is_a_gate_file() -> None:
    """tox 4 imports the root's ``toxfile.py`` (and only the root's, beside its tox.ini)."""
    assert gate_files.gate_file_changes(["toxfile.py", "lib/toxfile.py", "ToxFile.py"]) == [
        "ToxFile.py", "toxfile.py"]
