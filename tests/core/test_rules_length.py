"""Rules file-length and function-length: boundaries on real files, messages from the contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatebot.adapters.metrics import measure_files
from gatebot.core.facts import Change, Definition, FileMetrics
from gatebot.core.rules import file_length, function_length
from gatebot.core.verdict import Finding


def python_function(name: str, span: int) -> str:
    body = "".join(f"    x{i} = {i}\n" for i in range(span - 2))
    return f'def {name}():\n    """Doc."""\n{body}'


def measured(tmp_path: Path, files: dict[str, str]) -> list[FileMetrics]:
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    return measure_files(tmp_path, list(files))


@pytest.mark.parametrize(
    ("span", "status", "findings"),
    [
        (80, "pass", ()),
        (81, "fail", (Finding("build_report spans 81 lines (max 80)", "app/x.py", 3),)),
        (95, "fail", (Finding("build_report spans 95 lines (max 80)", "app/x.py", 3),)),
    ],
)
def test_function_length_boundary(
    tmp_path: Path, span: int, status: str, findings: tuple[Finding, ...]
) -> None:
    source = '"""Mod."""\n\n' + python_function("build_report", span)
    result = function_length.evaluate(measured(tmp_path, {"app/x.py": source}), 80)
    assert (result.id, result.status, result.findings) == ("function-length", status, findings)


def test_function_length_decorators_and_methods(tmp_path: Path) -> None:
    decorators = "".join(f"@decorator_{i}\n" for i in range(10))
    method = "class Report:\n" + "".join(
        "    " + line + "\n" for line in python_function("build", 81).splitlines()
    )
    files = {
        "a.py": decorators + python_function("decorated", 80),
        "b.py": method,
        "c.js": "function f() {\n" + "  x();\n" * 80 + "}\n",
    }
    result = function_length.evaluate(measured(tmp_path, files), 80)
    assert result.findings == (
        Finding("Report.build spans 81 lines (max 80)", "b.py", 2),
        Finding("f spans 82 lines (max 80)", "c.js", 1),
    )
    assert result.summary == "2 functions over 80 lines"


def test_function_length_syntax_error_fails(tmp_path: Path) -> None:
    files = {"ok.py": python_function("f", 81), "bad.py": "x = 1\ndef f(:\n"}
    result = function_length.evaluate(measured(tmp_path, files), 80)
    assert result.status == "fail"
    assert result.summary == "1 function over 80 lines, 1 file does not parse"
    bad, ok = result.findings
    assert (bad.path, bad.line, ok.path, ok.line) == ("bad.py", 2, "ok.py", 1)
    assert bad.message.startswith("does not parse: line 2: ")
    assert bad.message.endswith("(function lengths not measured; fix the file)")


@pytest.mark.parametrize(
    ("metrics", "summary"),
    [
        ([], "no function over 80 lines"),
        ([FileMetrics("a.txt", 5000)], "no function over 80 lines"),
        ([FileMetrics("x", 0, error="cannot read: gone"), FileMetrics("y", 0, error="e")],
         "0 functions over 80 lines, 2 files do not parse"),
        ([FileMetrics("m.py", 200, "python", (
            Definition("module", "m.py", 1, 200),
            Definition("class", "Big", 1, 200),
            Definition("function", "a", 1, 81),
            Definition("function", "b", 100, 190),
        ))], "2 functions over 80 lines"),
    ],
)
def test_function_length_summaries(metrics: list[FileMetrics], summary: str) -> None:
    result = function_length.evaluate(metrics, 80)
    assert result.summary == summary
    assert (result.status == "pass") is (summary.startswith("no "))
    assert all(f.path is not None for f in result.findings)


@pytest.mark.parametrize(
    ("lines", "status"),
    [(900, "pass"), (901, "fail")],
)
def test_file_length_boundary(tmp_path: Path, lines: int, status: str) -> None:
    text = "x = 1\n" * lines
    result = file_length.evaluate(measured(tmp_path, {"src/big.py": text}), 900)
    assert (result.id, result.status) == ("file-length", status)
    expected = (Finding(f"{lines} lines (max 900)", "src/big.py", 901),) if lines > 900 else ()
    assert result.findings == expected


def test_file_length_counts_every_kind_of_file(tmp_path: Path) -> None:
    files = {
        "crlf.py": "x = 1\r\n" * 901,
        "notes.md": "line\n" * 950 + "no newline",
        "short.js": "let a;\n",
        "bad.py": "def (\n" * 1000,
    }
    (tmp_path / "blob.bin").write_bytes(b"\0" * 100_000 + b"\n" * 2000)
    result = file_length.evaluate(measured(tmp_path, files) + measure_files(
        tmp_path, ["blob.bin"]), 900)
    assert result.summary == "3 files over 900 lines"
    assert [(f.path, f.message) for f in result.findings] == [
        ("crlf.py", "901 lines (max 900)"),
        ("notes.md", "951 lines (max 900)"),
        ("bad.py", "1000 lines (max 900)"),
    ]


def test_file_length_pass_summary() -> None:
    result = file_length.evaluate([FileMetrics("a", 1)], 900)
    assert (result.status, result.summary) == ("pass", "1 file within 900 lines")
    assert file_length.evaluate([], 900).summary == "0 files within 900 lines"


LONG_AND_SHORT = [FileMetrics("m.py", 200, "python", (
    Definition("module", "m.py", 1, 200),
    Definition("function", "old_long", 1, 87),
    Definition("function", "short", 90, 95),
))]


@pytest.mark.parametrize(
    ("lines", "findings", "summary"),
    [
        ({"m.py": frozenset({92})}, (),
         "no function over 80 lines; 1 unchanged function over 80 left alone "
         "(--all judges every function)"),
        ({"m.py": frozenset({87})}, (Finding("old_long spans 87 lines (max 80)", "m.py", 1),),
         "1 function over 80 lines"),
        ({"other.py": frozenset({1})}, (),
         "no function over 80 lines; 1 unchanged function over 80 left alone "
         "(--all judges every function)"),
        (None, (Finding("old_long spans 87 lines (max 80)", "m.py", 1),),
         "1 function over 80 lines"),
    ],
    ids=["edit-in-short", "edit-in-long", "other-file", "all"],
)
def test_function_length_judges_what_the_change_touched(
    lines: dict[str, frozenset[int]] | None, findings: tuple[Finding, ...], summary: str,
) -> None:
    change = Change("b", "h", "b", ("m.py",), all_files=lines is None, changed_lines=lines)
    result = function_length.evaluate(LONG_AND_SHORT, 80, change)
    assert (result.findings, result.summary) == (findings, summary)


@pytest.mark.parametrize(
    ("base_lines", "findings", "summary"),
    [
        ({"big.py": 1000}, (), "1 file within 900 lines; 1 file over 900 not grown by the "
                              "change left alone (--all judges every file)"),
        ({"big.py": 1200}, (), "1 file within 900 lines; 1 file over 900 not grown by the "
                              "change left alone (--all judges every file)"),
        ({"big.py": 999}, (Finding("1000 lines (max 900, was 999)", "big.py", 901),),
         "1 file over 900 lines"),
        ({}, (Finding("1000 lines (max 900)", "big.py", 901),), "1 file over 900 lines"),
        (None, (Finding("1000 lines (max 900)", "big.py", 901),), "1 file over 900 lines"),
    ],
    ids=["same", "shrunk", "grown", "new", "all"],
)
def test_file_length_judges_files_the_change_grew(
    base_lines: dict[str, int] | None, findings: tuple[Finding, ...], summary: str,
) -> None:
    metrics = [FileMetrics("big.py", 1000), FileMetrics("small.py", 10)]
    result = file_length.evaluate(metrics, 900, base_lines)
    assert (result.findings, result.summary) == (findings, summary)
