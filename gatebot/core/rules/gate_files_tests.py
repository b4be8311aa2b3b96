"""Rule ``gate-files``, its tests part: tests that a change removes from, or skips in, a kept file.

The ``tests`` check runs the branch's own tests, so a change that breaks a test and
deletes it passes that check. Deleting a whole test module needs a maintainer
(``gate_files.deleted_tests``); so does losing a test inside a test module the
change keeps:

- a test function (``def test…`` at module level, or a ``test…`` method of a
  ``Test…`` class or a ``unittest.TestCase``) that is gone, or renamed so pytest no
  longer collects it (``check_x``, ``_test_x``), or moved under an ``if`` or a
  ``__test__ = False``;
- a test that was run and now carries a skip: a ``skip``, ``skipif``, ``xfail``,
  ``skipIf``, ``skipUnless`` or ``expectedFailure`` decorator (on the test, its class,
  or a module's or class's ``pytestmark``, and ``pytest.param(..., marks=…skip)``), or a
  call of ``skip``, ``xfail``, ``importorskip`` or ``skipTest`` in its body, its module's
  top level or its class's body.

A test that leaves one file of the change and appears in another (or in a renamed
file) under the same name is moved, not lost: for each name, as many tests as the change
adds elsewhere (not skipped) count as moved. A file that is not Python at either end
(a syntax error) is left to the ``tests`` check, which then fails. Pure: texts come in
as values; the syntax tree is Python's own ``ast``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from gatebot.core.rules.globs import match_any

SKIP_NAMES = frozenset({"skip", "skipif", "xfail", "skipIf", "skipUnless", "expectedFailure"})
"""Names of pytest's and unittest's skip markers and decorators (``pytest.mark.skip`` …)."""
SKIP_CALLS = frozenset({"skip", "xfail", "importorskip", "skipTest"})
"""Functions that skip a test when called (``pytest.skip(…)``, ``self.skipTest(…)``)."""

Texts = tuple[bytes | None, bytes | None]
"""A file's text at the merge base and at the head (None: absent)."""


@dataclass(frozen=True)
class CollectedTest:
    """One collected test of a module.

    ``name`` as pytest qualifies it (``Test…::test…``), its 1-based ``line``, and
    whether a skip applies to it.
    """

    name: str
    line: int
    skipped: bool

    @property
    def leaf(self) -> str:
        """The function's own name, by which a moved test is matched (``test_add``)."""
        return self.name.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class LostTest:
    """A test the change loses: ``how`` it was lost, at ``path`` and ``line``.

    ``removed``: the path and line are the merge base's (the head has no such test);
    ``skipped``: the head's, where the skip now applies.
    """

    path: str
    name: str
    line: int
    how: Literal["removed", "skipped"]

    @property
    def label(self) -> str:
        """The test as pytest names it: ``tests/test_x.py::TestX::test_y``."""
        return f"{self.path}::{self.name}"


def _dotted_leaf(node: ast.expr) -> str:
    """The last name of ``a.b.c`` or ``c`` (the called function for a call); "" otherwise."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _marks_skip(nodes: Iterable[ast.AST]) -> bool:
    """Whether any of ``nodes`` names a skip marker anywhere inside (``pytest.mark.skip``)."""
    return any(isinstance(sub, ast.Attribute | ast.Name) and _dotted_leaf(sub) in SKIP_NAMES
               for node in nodes for sub in ast.walk(node))


def _calls_skip(body: Iterable[ast.stmt], *, nested: bool) -> bool:
    """Whether ``body`` calls ``SKIP_CALLS``; ``nested``: inside functions and classes too."""
    for stmt in body:
        if not nested and isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if any(isinstance(sub, ast.Call) and _dotted_leaf(sub) in SKIP_CALLS
               for sub in ast.walk(stmt)):
            return True
    return False


def _scope_skips(body: list[ast.stmt]) -> tuple[bool, bool]:
    """A module's or class's body: (collected at all, every test in it skipped).

    ``__test__ = False`` stops collection; a skip in ``pytestmark`` or a skip call at
    the body's own level skips everything under it.
    """
    collected, skipped = True, False
    for stmt in body:
        if not isinstance(stmt, ast.Assign):
            continue
        names = {t.id for t in stmt.targets if isinstance(t, ast.Name)}
        if "__test__" in names and isinstance(stmt.value, ast.Constant) \
                and not stmt.value.value:
            collected = False
        if "pytestmark" in names and _marks_skip([stmt.value]):
            skipped = True
    return collected, skipped or _calls_skip(body, nested=False)


def _is_test_class(node: ast.ClassDef) -> bool:
    """``Test…`` (pytest) or a subclass of something named ``…TestCase`` (unittest)."""
    return node.name.startswith("Test") or any(
        _dotted_leaf(base).endswith("TestCase") for base in node.bases)


def _collect(body: list[ast.stmt], prefix: str, skipped: bool) -> list[CollectedTest]:
    """The tests defined directly in ``body`` (and in its test classes), pytest's way."""
    collected, all_skipped = _scope_skips(body)
    if not collected:
        return []
    skipped = skipped or all_skipped
    found: list[CollectedTest] = []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                and node.name.startswith("test"):
            found.append(CollectedTest(prefix + node.name, node.lineno, skipped
                              or _marks_skip(node.decorator_list)
                              or _calls_skip(node.body, nested=True)))
        elif isinstance(node, ast.ClassDef) and _is_test_class(node):
            found.extend(_collect(node.body, f"{prefix}{node.name}::",
                                  skipped or _marks_skip(node.decorator_list)))
    return found


def module_tests(text: bytes | None) -> list[CollectedTest] | None:
    """The tests pytest would collect from a module's text; None when absent or not Python.

    Test functions at module level and test methods of test classes (nested ones
    too), as pytest names them by default (``test`` prefix, ``Test`` classes). A
    definition under an ``if`` or ``try`` is not counted.
    """
    if text is None:
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    return _collect(tree.body, "", False)


def python_test_modules(paths: Sequence[str], test_patterns: Sequence[str]) -> list[str]:
    """The Python test modules among ``paths``: ``.py`` files matching ``tests.patterns``.

    ``conftest.py`` is not one (it is a gate file of its own). In the order given.
    """
    return [p for p in paths if p.endswith(".py") and p.rsplit("/", 1)[-1] != "conftest.py"
            and match_any(p, test_patterns)]


def lost_tests(files: Mapping[str, Texts]) -> list[LostTest]:
    """The tests the change loses among its test modules ``files`` (path → texts).

    ``files`` holds every Python test module the change touches, added, edited or
    renamed (a renamed module under both paths), but not the deleted ones (the
    whole module counts then). A test of the base is lost when its file still
    exists (or was renamed) and the head has no test of that name at that path,
    unless the change adds one of that name elsewhere that is not skipped
    (moved); or when it was not skipped and now is. In path and line order.
    """
    before = {p: module_tests(t[0]) for p, t in files.items()}
    after = {p: module_tests(t[1]) for p, t in files.items()}
    gone: dict[str, list[LostTest]] = {}
    added: dict[str, int] = {}
    lost: list[LostTest] = []
    for path in sorted(files):
        old, new = before[path], after[path]
        old_by = {t.name: t for t in old or []}
        new_by = {t.name: t for t in new or []}
        for name, test in new_by.items():
            if not test.skipped and (name not in old_by or old_by[name].skipped):
                added[test.leaf] = added.get(test.leaf, 0) + 1
        if old is None or (new is None and files[path][1] is not None):
            continue  # new here, or not Python at the head (the tests check fails)
        for name, test in old_by.items():
            if test.skipped:
                continue
            if name not in new_by:
                gone.setdefault(test.leaf, []).append(LostTest(path, name, test.line, "removed"))
            elif new_by[name].skipped:
                lost.append(LostTest(path, name, new_by[name].line, "skipped"))
    for leaf, tests in gone.items():
        lost.extend(tests[added.get(leaf, 0):])
    return sorted(lost, key=lambda t: (t.path, t.line, t.name))
