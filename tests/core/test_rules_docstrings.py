"""Rule docstrings: public definitions touched by the change need a docstring or JSDoc block."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatebot.adapters.metrics import measure_files
from gatebot.core.facts import Change, Definition, FileMetrics
from gatebot.core.rules import docstrings
from gatebot.core.verdict import RuleResult

PY = '''\
import os


def documented():
    """Yes."""
    return 1


def undocumented():
    return 2


def _private():
    return 3


class Widget:
    def render(self):
        return 4

    def __repr__(self):
        return "w"
'''
# lines: module 1-22; documented 4-6; undocumented 9-10; _private 13-14;
# Widget 17-22; render 18-19; __repr__ 21-22

JS = """\
/** Yes. */
export function documented() {
  return 1;
}

export function undocumented() {
  return 2;
}
"""


def change(lines: dict[str, set[int]] | None) -> Change:
    frozen = None if lines is None else {p: frozenset(n) for p, n in lines.items()}
    files = tuple(lines or ())
    return Change("base", "head", "base", files, all_files=lines is None, changed_lines=frozen)


@pytest.fixture
def metrics(tmp_path: Path) -> list[FileMetrics]:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/mod.py").write_text(PY, encoding="utf-8")
    (tmp_path / "web.ts").write_text(JS, encoding="utf-8")
    (tmp_path / "lib.go").write_text("package m\n\nfunc Undoc() {\n}\n", encoding="utf-8")
    return measure_files(tmp_path, ["pkg/mod.py", "web.ts", "lib.go"])


def messages(result: RuleResult) -> list[tuple[str | None, int | None, str]]:
    return [(f.path, f.line, f.message) for f in result.findings]


MODULE = ("pkg/mod.py", 1, "public module pkg/mod.py has no docstring")
UNDOC = ("pkg/mod.py", 9, "public function undocumented has no docstring")
WIDGET = ("pkg/mod.py", 17, "public class Widget has no docstring")
RENDER = ("pkg/mod.py", 18, "public function Widget.render has no docstring")
JS_UNDOC = ("web.ts", 6, "public function undocumented has no JSDoc block")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ({"pkg/mod.py": {5}}, []),  # inside a documented function: an old module is not judged
        ({"pkg/mod.py": {10}}, [UNDOC]),  # last line of a function counts
        ({"pkg/mod.py": {9}}, [UNDOC]),
        ({"pkg/mod.py": {14}}, []),  # private function: not judged
        ({"pkg/mod.py": {19}}, [RENDER]),  # editing a method is not editing its class
        ({"pkg/mod.py": {17}}, [WIDGET]),  # the class line: the class itself changed
        ({"pkg/mod.py": {22}}, []),  # __repr__ is not public
        ({"pkg/mod.py": set(range(2, 23))}, [UNDOC, WIDGET, RENDER]),  # line 1 is old
        ({"pkg/mod.py": set(range(1, 23))}, [MODULE, UNDOC, WIDGET, RENDER]),  # a new file
        ({"pkg/mod.py": set()}, []),  # file in scope, no line changed
        ({"other.py": {1, 2, 3}}, []),  # path not in the change
        ({"web.ts": {2}}, []),
        ({"web.ts": {7}}, [JS_UNDOC]),
        ({"lib.go": {3}}, []),  # Go: no docstring convention
        (None, [MODULE, UNDOC, WIDGET, RENDER, JS_UNDOC]),  # --all: everything
    ],
)
def test_changed_line_scoping(
    metrics: list[FileMetrics],
    lines: dict[str, set[int]] | None,
    expected: list[tuple[str, int, str]],
) -> None:
    result = docstrings.evaluate(metrics, change(lines))
    assert result.id == "docstrings"
    assert messages(result) == expected
    assert result.status == ("fail" if expected else "pass")


def test_summaries() -> None:
    undocumented = FileMetrics("a.py", 3, "python", (
        Definition("module", "a.py", 1, 3, True, True),
        Definition("function", "f", 2, 3, True, False),
        Definition("function", "g", 2, 3, True, None),
    ))
    one = docstrings.evaluate([undocumented], change(None))
    assert one.summary == "1 public definition without a docstring"
    two = docstrings.evaluate([undocumented, undocumented], change(None))
    assert two.summary == "2 public definitions without a docstring"
    none = docstrings.evaluate([], change(None))
    assert (none.status, none.summary) == ("pass", "every public definition changed has a docstring")


def test_file_that_does_not_parse_is_left_to_function_length(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def f(:\n", encoding="utf-8")
    result = docstrings.evaluate(measure_files(tmp_path, ["bad.py"]), change(None))
    assert result.status == "pass"
