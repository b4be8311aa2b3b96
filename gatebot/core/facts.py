"""Frozen facts gathered before any decision (design/ARCHITECTURE.md).

Everything here is plain data: the change under review, the measured files and
the check results. Adapters produce them; rules in ``gatebot.core.rules`` read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from gatebot.core.change import Change

__all__ = [  # Change lives in gatebot.core.change (a landing needs no other fact)
    "Change", "CheckResult", "CheckStatus", "CoverageReport", "DefKind", "Definition",
    "FailedTest", "FileMetrics", "TestOutcome", "TestReport",
]

CheckStatus = Literal["pass", "fail", "error"]
TestOutcome = Literal["failure", "error"]
DefKind = Literal["module", "class", "function"]


@dataclass(frozen=True)
class Definition:
    """A module, class or function in a source file.

    ``line`` is its ``def``/signature line and ``end_line`` its last line
    (1-based, inclusive), so ``span`` is the SPEC §5.1 function length.
    ``has_docstring`` is None where the language has no docstring convention.
    """

    kind: DefKind
    name: str
    line: int
    end_line: int
    public: bool = True
    has_docstring: bool | None = None

    @property
    def span(self) -> int:
        """Lines from the signature line to the last line, inclusive."""
        return self.end_line - self.line + 1


@dataclass(frozen=True)
class FileMetrics:
    """Measurements of one file: its line count and its definitions.

    ``language`` is ``python``, a lizard language name, or ``None`` for files
    no analyser understands (only ``lines`` is then meaningful). ``error`` says
    why a file could not be analysed (e.g. a Python syntax error at line N).
    """

    path: str
    lines: int
    language: str | None = None
    definitions: tuple[Definition, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """One finished check (``checks.<name>``): its status, exit code, log and timing.

    ``status`` is ``error`` when the check could not run or exceeded its
    timeout; ``duration_s`` is wall time in seconds.
    """

    name: str
    status: CheckStatus
    returncode: int | None
    duration_s: float
    log_path: str | None = None
    command: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class CoverageReport:
    """Total line coverage (percent, 0–100) read from coverage.py's JSON report at ``path``."""

    percent: float
    path: str
    files: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FailedTest:
    """One test that failed (``failure``: an assertion) or errored (``error``) in a JUnit report.

    ``name`` is the test as its runner names it (pytest: ``tests/test_x.py::TestA::test_b``);
    ``path`` the repository-relative file and ``line`` the 1-based line of the failure,
    each None when the report does not say; ``message`` is one line, bounded in length.
    """

    name: str
    outcome: TestOutcome
    message: str
    path: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class TestReport:
    """The JUnit XML report the tests check wrote at ``path`` (repository-relative).

    ``tests`` counts the test cases, ``skipped`` those skipped, ``failed`` the failing ones
    in report order. ``unreadable`` says why the report could not be read (then the other fields are empty).
    """

    __test__ = False  # not a pytest test class, whatever its name

    path: str
    tests: int = 0
    failed: tuple[FailedTest, ...] = ()
    unreadable: str | None = None
    skipped: int = 0
