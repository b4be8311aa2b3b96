"""Read the JUnit XML report the tests check writes (pytest's ``--junitxml``) with junitparser.

The failing tests it lists become findings of ``checks.tests`` (docs/protocol.md, "Gate
checks"), so a verdict names the tests that failed with their file and line. The shape
read, as pytest writes it (``junit_family`` ``xunit2``, its default, has no ``file`` and
``line`` attributes; ``xunit1`` has them, with a 0-based line)::

    <testsuites><testsuite name="pytest" tests="2" failures="1" errors="0">
      <testcase classname="tests.test_x" name="test_b" file="tests/test_x.py" line="9">
        <failure message="assert 1 == 2">…traceback…
    tests/test_x.py:11: AssertionError</failure></testcase></testsuite></testsuites>

A report that is not well-formed XML, not a JUnit document, too large or unreadable is
never an exception: ``TestReport.unreadable`` says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import junitparser

from gatebot.core.facts import FailedTest, TestOutcome, TestReport

MAX_REPORT_BYTES = 64 * 1024 * 1024
"""A larger report is not parsed (it would be mostly captured output)."""
MESSAGE_MAX = 300
"""Characters of a failure's message kept, on one line (the log has the whole traceback)."""
_TRACE_LINE = re.compile(r"^(?P<path>[^\s:][^:\n]*?\.py):(?P<line>\d+): ", re.MULTILINE)


class _Case(junitparser.TestCase):
    """A test case with the ``file`` and ``line`` attributes pytest's ``xunit1`` family writes."""

    file = junitparser.Attr()
    line = junitparser.Attr()


def read_junit(root: Path, rel: str) -> TestReport | None:
    """The JUnit report at ``root/rel``: its test count, skipped count and failing tests.

    None when absent.

    Paths in the report are made repository-relative (``root``) and kept only for
    files that are in the repository. Never raises: an unreadable report comes
    back with ``unreadable`` set to the reason.
    """
    path = root / rel
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return TestReport(rel, unreadable=f"it is over {MAX_REPORT_BYTES >> 20} MiB")
        xml = junitparser.JUnitXml.fromstring(path.read_bytes())
        cases = list(_cases(xml))
        failed = tuple(f for pytest, case in cases
                       if (f := _failed(root, case, pytest=pytest)) is not None)
        skipped = sum(1 for _, case in cases
                      if any(isinstance(r, junitparser.Skipped) for r in case.result))
    except (junitparser.JUnitXmlError, SyntaxError, OSError, ValueError, TypeError) as exc:
        detail = " ".join(str(exc).split())[:MESSAGE_MAX] or type(exc).__name__
        return TestReport(rel, unreadable=f"it is not a JUnit XML report ({detail})")
    return TestReport(rel, tests=len(cases), failed=failed, skipped=skipped)


def _cases(xml: junitparser.JUnitXml) -> Iterator[tuple[bool, _Case]]:
    """Every test case with whether pytest wrote its suite; nested suites too, each case once."""
    for suite in xml._elem.iter("testsuite"):
        pytest = suite.get("name") == "pytest"
        for elem in suite.findall("testcase"):  # its own cases: a nested suite has its own
            yield pytest, _Case.fromelem(elem)  # type: ignore[no-untyped-call]


def _failed(root: Path, case: _Case, *, pytest: bool) -> FailedTest | None:
    results = [r for r in case.result if isinstance(r, junitparser.Failure | junitparser.Error)]
    if not results:
        return None
    first = results[0]
    outcome: TestOutcome = "failure" if isinstance(first, junitparser.Failure) else "error"
    text = first.text or ""
    path = _repo_file(root, case.file) or _module_file(root, case.classname or "")
    line = _trace_line(root, text, path)
    if path is None:
        path, line = _last_trace_file(root, text)
    if line is None and path is not None and path == _repo_file(root, case.file):
        line = _attr_line(case.line, pytest=pytest)
    return FailedTest(
        name=_test_name(case, path), outcome=outcome,
        message=_message(first.message, text, first.type, outcome),
        path=path, line=line,
    )


def _message(message: str | None, text: str, kind: str | None, outcome: str) -> str:
    """The failure's ``message`` attribute, else its text's last line, else its type."""
    last = text.strip().splitlines()[-1:] or [""]
    return _bounded(message or last[0] or kind or outcome)


def _bounded(text: str) -> str:
    """``text`` on one line, at most ``MESSAGE_MAX`` characters (``…`` marks a cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MESSAGE_MAX else flat[: MESSAGE_MAX - 1] + "…"


def _repo_file(root: Path, name: str | None) -> str | None:
    """``name`` (relative to ``root`` or absolute) as a repository-relative path of a file in it."""
    if not name:
        return None
    try:
        resolved_root = root.resolve()
        full = (root / name).resolve()
        rel = full.relative_to(resolved_root)
    except (OSError, ValueError, RuntimeError):
        return None
    return rel.as_posix() if full.is_file() else None


def _module_file(root: Path, classname: str) -> str | None:
    """The file of a dotted ``classname`` (``tests.test_x.TestA`` → ``tests/test_x.py``)."""
    parts = [p for p in classname.split(".") if p]
    for end in range(len(parts), 0, -1):
        found = _repo_file(root, "/".join(parts[:end]) + ".py")
        if found is not None:
            return found
    return None


def _trace_line(root: Path, text: str, path: str | None) -> int | None:
    """The last traceback line number in ``text`` that points into ``path``."""
    if path is None:
        return None
    lines = [int(m["line"]) for m in _TRACE_LINE.finditer(text)
             if _repo_file(root, m["path"]) == path]
    return lines[-1] if lines else None


def _last_trace_file(root: Path, text: str) -> tuple[str | None, int | None]:
    """The last ``path:line`` of the traceback that is a file in the repository."""
    for match in reversed(list(_TRACE_LINE.finditer(text))):
        found = _repo_file(root, match["path"])
        if found is not None:
            return found, int(match["line"])
    return None, None


def _attr_line(value: str | None, *, pytest: bool) -> int | None:
    """The ``line`` attribute as a 1-based line (pytest writes its 0-based location)."""
    if value is None or not value.strip().isdigit():
        return None
    return int(value) + (1 if pytest else 0)


def _test_name(case: _Case, path: str | None) -> str:
    """The test's pytest node id (``tests/test_x.py::TestA::test_b``), else ``classname.name``."""
    name, classname = case.name or "?", case.classname or ""
    if path is not None and path.endswith(".py"):
        module = path[:-3].replace("/", ".")
        if classname == module or classname.endswith("." + module) or not classname:
            return f"{path}::{name}"
        if classname.startswith(module + "."):
            inner = classname[len(module) + 1:].replace(".", "::")
            return f"{path}::{inner}::{name}"
    return f"{classname}.{name}" if classname else name
