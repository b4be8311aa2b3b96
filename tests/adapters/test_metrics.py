"""gatebot.adapters.metrics against real files in tmp dirs, real ast and real lizard."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import pytest

from gatebot.adapters import metrics
from gatebot.adapters.metrics import (
    compare_findings,
    count_lines,
    measure_file,
    measure_files,
    measure_lizard,
    measure_python,
)
from gatebot.core.facts import Definition, FileMetrics


def write(root: Path, path: str, text: str | bytes) -> str:
    full = root / path
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def python_function(name: str, span: int, indent: str = "") -> str:
    """A function whose def line is its first line and which spans ``span`` lines."""
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(span - 2))
    return f'{indent}def {name}():\n{indent}    """Doc."""\n{body}'


def by_name(m: FileMetrics) -> dict[str, Definition]:
    return {d.name: d for d in m.definitions}


@pytest.mark.parametrize(
    ("data", "lines"),
    [(b"", 0), (b"a", 1), (b"a\n", 1), (b"a\nb", 2), (b"\n\n", 2), (b"a\r\nb\r\n", 2),
     (b"a\r\nb", 2)],
)
def test_count_lines(data: bytes, lines: int) -> None:
    assert count_lines(data) == lines


@pytest.mark.parametrize("span", [1 + 1, 80, 81, 200])
def test_python_function_span_is_def_line_to_last_line(tmp_path: Path, span: int) -> None:
    path = write(tmp_path, "pkg/m.py", '"""Mod."""\n\n' + python_function("f", span))
    m = measure_file(tmp_path, path)
    f = by_name(m)["f"]
    assert (f.kind, f.line, f.end_line, f.span) == ("function", 3, span + 2, span)
    assert m.language == "python" and m.lines == span + 2 and m.error is None


def test_decorators_are_not_counted(tmp_path: Path) -> None:
    source = "import functools\n\n@functools.cache\n@(lambda f:\n   f)\ndef f():\n    return 1\n"
    f = by_name(measure_file(tmp_path, write(tmp_path, "d.py", source)))["f"]
    assert (f.line, f.end_line, f.span) == (6, 7, 2)


NESTED = '''\
"""Module doc."""
import typing


class Report:
    """A report."""

    def __init__(self):
        self.x = 1

    @property
    def build(self):
        def helper():
            return 2
        return helper()

    async def fetch(self):
        """Fetch."""
        async def inner():
            """Inner."""
        return inner

    class Meta:
        pass

    def _private(self):
        pass


class _Hidden:
    def shown(self):
        pass


if typing.TYPE_CHECKING:
    def typed():
        pass
else:
    try:
        pass
    except ImportError:
        def fallback():
            pass
    finally:
        pass
with open(__file__) as handle:
    for _ in handle:
        while True:
            def deep():
                pass
match 1:
    case 1:
        def in_case():
            pass
'''

NESTED_EXPECTED = {
    # name: (kind, line, end_line, public, has_docstring)
    "Report": ("class", 5, 27, True, True),
    "Report.__init__": ("function", 8, 9, False, False),
    "Report.build": ("function", 12, 15, True, False),
    "Report.build.helper": ("function", 13, 14, False, False),
    "Report.fetch": ("function", 17, 21, True, True),
    "Report.fetch.inner": ("function", 19, 20, False, True),
    "Report.Meta": ("class", 23, 24, True, False),
    "Report._private": ("function", 26, 27, False, False),
    "_Hidden": ("class", 30, 32, False, False),
    "_Hidden.shown": ("function", 31, 32, False, False),
    "typed": ("function", 36, 37, True, False),
    "fallback": ("function", 42, 43, True, False),
    "deep": ("function", 49, 50, True, False),
    "in_case": ("function", 53, 54, True, False),
}


def test_nested_async_methods_and_blocks(tmp_path: Path) -> None:
    m = measure_file(tmp_path, write(tmp_path, "pkg/report.py", NESTED))
    module, *rest = m.definitions
    assert module == Definition("module", "pkg/report.py", 1, 54, True, True)
    got = {d.name: (d.kind, d.line, d.end_line, d.public, d.has_docstring) for d in rest}
    assert got == NESTED_EXPECTED
    assert [d.line for d in rest] == sorted(d.line for d in rest)


@pytest.mark.parametrize(
    ("path", "source", "public", "has_docstring"),
    [
        ("a/mod.py", "x = 1\n", True, False),
        ("a/_mod.py", '"""Doc."""\n', False, True),
        ("a/__init__.py", "x = 1\n", True, False),
        ("a/__init__.py", "", True, None),
        ("a/__main__.py", "# only a comment\n", False, None),
        ("a/stub.pyi", "'''Doc.'''\ndef f() -> int: ...\n", True, True),
        ("a/fstring.py", "f'{x}'\n", True, False),
    ],
)
def test_module_definition(
    tmp_path: Path, path: str, source: str, public: bool, has_docstring: bool | None
) -> None:
    module = measure_file(tmp_path, write(tmp_path, path, source)).definitions[0]
    assert (module.kind, module.name, module.line) == ("module", path, 1)
    assert (module.public, module.has_docstring) == (public, has_docstring)


OVERLOADS = """\
import typing
import typing_extensions as te
if typing.TYPE_CHECKING:
    from typing import overload as ov
from elsewhere import overload
@ov
def a(x: int) -> int: ...
@typing.overload
def a(x: str) -> str: ...
@te.overload
def a(x: bytes) -> bytes: ...
def a(x):
    return x
@overload
def b(x: int) -> int: ...
class C:
    @ov
    def m(self) -> None: ...
"""


def test_overload_stubs_have_no_docstring_convention(tmp_path: Path) -> None:
    m = measure_file(tmp_path, write(tmp_path, "o.py", OVERLOADS))
    got = [(d.name, d.line, d.has_docstring) for d in m.definitions[1:]]
    assert got == [("a", 7, None), ("a", 9, None), ("a", 11, None), ("a", 12, False),
                   ("b", 15, False), ("C", 16, False), ("C.m", 18, None)]


def test_syntax_error_keeps_line_count(tmp_path: Path) -> None:
    m = measure_file(tmp_path, write(tmp_path, "bad.py", "x = 1\ndef f(:\n    pass\n"))
    assert m.error is not None and m.error.startswith("does not parse: line 2: ")
    assert (m.lines, m.language, m.definitions) == (3, "python", ())


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("x = 1\n\0", "does not parse: source code string cannot contain null bytes"),
        ("-" * 200_000 + "1", "does not parse: too deeply nested"),
        ("1" + "+1" * 200_000, "does not parse: maximum recursion depth exceeded during ast"),
    ],
)
def test_sources_the_parser_rejects(source: str, error: str) -> None:
    m = measure_python("n.py", source)
    assert m.error is not None and m.error.startswith(error)
    assert m.definitions == () and m.lines == source.count("\n") + 1


def test_binary_file_has_no_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "img.py", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\n\n\n")
    assert measure_file(tmp_path, path) == FileMetrics("img.py", 0)


def test_crlf_python_matches_lf(tmp_path: Path) -> None:
    lf = NESTED
    crlf = write(tmp_path, "crlf.py", lf.replace("\n", "\r\n"))
    plain = write(tmp_path, "lf.py", lf)
    a, b = measure_file(tmp_path, crlf), measure_file(tmp_path, plain)
    assert a.lines == b.lines == 54
    assert a.definitions[1:] == b.definitions[1:]


def test_crlf_javascript(tmp_path: Path) -> None:
    source = "/** Doc. */\r\nfunction f() {\r\n  return 1;\r\n}\r\n"
    m = measure_file(tmp_path, write(tmp_path, "w.js", source))
    assert m.lines == 4
    assert by_name(m)["f"] == Definition("function", "f", 2, 4, True, True)


def test_encodings(tmp_path: Path) -> None:
    cookie = "# -*- coding: latin-1 -*-\ndef f():\n    'caf\xe9'\n".encode("latin-1")
    m = measure_file(tmp_path, write(tmp_path, "latin.py", cookie))
    assert m.error is None and by_name(m)["f"].has_docstring is True
    bom = measure_file(tmp_path, write(tmp_path, "bom.py", b"\xef\xbb\xbf'''Doc.'''\n"))
    assert bom.error is None and bom.definitions[0].has_docstring is True
    raw = write(tmp_path, "raw.py", b"x = '\xff'\n")
    assert measure_file(tmp_path, raw).error is None
    js = measure_file(tmp_path, write(tmp_path, "bom.js", b"\xef\xbb\xbf/** D. */\nfunction f() {}\n"))
    assert by_name(js)["f"].has_docstring is True
    bogus = measure_file(tmp_path, write(tmp_path, "bogus.py", b"# coding: bogus\n'''D.'''\n"))
    assert bogus.error is None and bogus.definitions[0].has_docstring is True
    text = measure_file(tmp_path, write(tmp_path, "notes.txt", b"caf\xe9\nok\n"))
    assert text == FileMetrics("notes.txt", 2)


def test_unreadable_paths(tmp_path: Path) -> None:
    (tmp_path / "submodule").mkdir()
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    assert measure_file(tmp_path, "submodule") == FileMetrics("submodule", 0)
    assert measure_file(tmp_path, "dangling.py") == FileMetrics("dangling.py", 0)
    missing = measure_file(tmp_path, "gone.py")
    assert missing.lines == 0 and missing.error == "cannot read: No such file or directory"


JS = """\
import x from 'x';

/**
 * Outer.
 */
export function outer(a) {
  [1].map(function (y) { return y; });
  function inner() {
    return 2;
  }
  return inner;
}

// not JSDoc
function plain() {
  return 1;
}

/* not JSDoc either */
function block() {}

class Widget {
  /** Doc. */
  @Input()

  render() {
    return 1;
  }

  _hidden() {}
}

/**
 * Arrow.
 */
export const arrow = (x) => {
  return x;
};
"""

JS_EXPECTED = {
    # name: (line, end_line, public, has_docstring)
    "outer": (6, 12, True, True),
    "(anonymous)": (7, 7, False, False),
    "inner": (8, 10, False, False),
    "plain": (15, 17, True, False),
    "block": (20, 20, True, False),
    "render": (26, 28, True, True),
    "_hidden": (30, 30, False, False),
    "arrow": (36, 38, True, True),
}


@pytest.mark.parametrize(
    ("path", "language"), [("web/app.js", "javascript"), ("a.ts", "typescript")]
)
def test_javascript_through_lizard(tmp_path: Path, path: str, language: str) -> None:
    m = measure_file(tmp_path, write(tmp_path, path, JS))
    assert (m.language, m.lines, m.error) == (language, 38, None)
    module, *functions = m.definitions
    assert (module.kind, module.has_docstring) == ("module", None)
    got = {d.name: (d.line, d.end_line, d.public, d.has_docstring) for d in functions}
    assert got == JS_EXPECTED


def test_other_lizard_languages_have_no_docstring_convention(tmp_path: Path) -> None:
    go = "package m\n\n// Foo does.\nfunc Foo() int {\n\treturn 1\n}\n"
    m = measure_file(tmp_path, write(tmp_path, "m.go", go))
    assert m.language == "go"
    assert by_name(m)["Foo"] == Definition("function", "Foo", 4, 6, True, None)
    rust = measure_file(tmp_path, write(tmp_path, "lib.RS", "fn f() {\n}\n"))
    assert rust.language == "rust" and by_name(rust)["f"].span == 2


def test_python_file_through_lizard_is_python() -> None:
    m = measure_lizard("x.py", "def f():\n    return 1\n")
    assert m.language == "python" and by_name(m)["f"].span == 2


def test_unknown_language_counts_lines_only(tmp_path: Path) -> None:
    assert measure_file(tmp_path, write(tmp_path, "README.md", "# T\n\ntext")) == FileMetrics(
        "README.md", 3
    )
    assert measure_lizard("Makefile", "all:\n\ttrue\n") == FileMetrics("Makefile", 2)


def test_measure_files_small_input_in_order(tmp_path: Path) -> None:
    paths = [write(tmp_path, f"p/{n}.py", python_function(f"f{n}", n + 2)) for n in range(5)]
    paths.append(write(tmp_path, "z.md", "x\n"))
    got = measure_files(tmp_path, list(reversed(paths)))
    assert [m.path for m in got] == list(reversed(paths))
    assert got == measure_files(tmp_path, list(reversed(paths)), jobs=1)
    assert measure_files(tmp_path, []) == []


def test_measure_files_big_input_uses_the_pool(tmp_path: Path) -> None:
    chunk = "".join(python_function(f"f{i}", 60) for i in range(40))
    paths = [write(tmp_path, f"big/m{n:02}.py", chunk) for n in range(80)]
    paths.insert(7, write(tmp_path, "big/bad.py", "def (\n"))
    size = sum((tmp_path / p).stat().st_size for p in paths)
    paths.append("big/gone.py")
    assert size >= metrics.POOL_MIN_BYTES
    pooled = measure_files(tmp_path, paths, jobs=2)
    assert pooled == measure_files(tmp_path, paths, jobs=1)
    assert [m.path for m in pooled] == paths
    assert pooled[7].error is not None and len(pooled[0].definitions) == 41
    assert pooled[-1].error == "cannot read: No such file or directory"


def test_chunks_keep_order_and_balance() -> None:
    paths = [str(n) for n in range(10)]
    chunks = metrics._chunks(paths, [10] * 10, 5)
    assert chunks == [["0", "1"], ["2", "3"], ["4", "5"], ["6", "7"], ["8", "9"]]
    assert metrics._chunks(["a"], [0], 4) == [["a"]]


def test_default_jobs_is_usable_cpus() -> None:
    assert metrics.default_jobs() == len(os.sched_getaffinity(0))


# -- ast against lizard ----------------------------------------------------------------------
STDLIB = Path(sysconfig.get_paths()["stdlib"])
STDLIB_FILES = ["textwrap.py", "shlex.py", "json/decoder.py", "fnmatch.py", "argparse.py"]


@pytest.mark.parametrize("path", STDLIB_FILES)
def test_stdlib_spans_equal_lizard_where_starts_agree(path: str) -> None:
    ours = measure_file(STDLIB, path)
    theirs = measure_lizard(path, (STDLIB / path).read_text(encoding="utf-8"))
    our_ends = {d.line: d.end_line for d in ours.definitions if d.kind == "function"}
    lizard_ends = {d.line: d.end_line for d in theirs.definitions if d.kind == "function"}
    common = our_ends.keys() & lizard_ends.keys()
    assert len(common) >= 0.9 * len(lizard_ends) and len(common) >= 5
    assert {n: our_ends[n] for n in common} == {n: lizard_ends[n] for n in common}
    assert compare_findings([ours], [theirs], 80) == []


DISAGREE = {
    # lizard ends a function before a continuation line at the def's indentation
    "early.py": "def early(\n    a,\n) -> tuple[\n    int\n]:\n    x = 1\n    y = 2\n"
    "    return a\n",
    # lizard reads Python 2 that ast rejects
    "py2.py": "def old():\n    print 'a'\n    print 'b'\n    print 'c'\n    print 'd'\n",
    "fine.py": "def fine():\n    x = 1\n    y = 2\n    z = 3\n    w = 4\n    return x\n",
}


def test_compare_findings_classifies_differences(tmp_path: Path) -> None:
    paths = [write(tmp_path, p, s) for p, s in DISAGREE.items()]
    ours = [measure_file(tmp_path, p) for p in paths]
    theirs = [measure_lizard(p, DISAGREE[p]) for p in paths]
    got = {(d.path, d.line, d.ours, d.lizard, d.kind) for d in compare_findings(ours, theirs, 4)}
    assert got == {
        ("early.py", 1, 8, 4, "lizard ends earlier"),
        ("py2.py", 1, None, 5, "does not parse"),
    }
    swapped = compare_findings(theirs, ours, 4)
    assert {(d.path, d.kind) for d in swapped} == {
        ("early.py", "lizard ends later"),
        ("py2.py", "no lizard function"),
    }
    missing = compare_findings([FileMetrics("early.py", 8)], ours[:1], 4)
    assert [(d.path, d.kind) for d in missing] == [("early.py", "no ast function")]
