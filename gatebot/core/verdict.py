"""Verdicts, rule results and findings: the output contract of SPEC §6.

Shapes: a ``Verdict`` holds one ``RuleResult`` per rule; a ``RuleResult`` holds
``Finding``s. ``to_json`` produces the ``gatebot.verdict/1`` document exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

RuleStatus = Literal["pass", "fail", "skip", "error"]
VerdictValue = Literal["pass", "fail", "error"]
Gate = Literal["review", "release"]
SCHEMA = "gatebot.verdict/1"


class Finding(NamedTuple):
    """One problem a rule found: repository-relative ``path`` (or None), 1-based ``line``.

    ``test`` names the failing test a finding of ``checks.tests`` stands for (from the
    tests check's JUnit report), e.g. ``tests/test_x.py::test_add``, or the test a
    ``gate-files`` finding says the change removed or skipped; None otherwise.
    """

    message: str
    path: str | None = None
    line: int | None = None
    test: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON: ``{"path", "line", "message"}``, plus ``"test"`` when set."""
        data: dict[str, Any] = {"path": self.path, "line": self.line, "message": self.message}
        if self.test is not None:
            data["test"] = self.test
        return data


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule id (SPEC §5.1); ``duration_s`` in seconds."""

    id: str
    status: RuleStatus
    summary: str
    findings: tuple[Finding, ...] = ()
    duration_s: float = 0.0
    log_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The rule as SPEC §6 JSON (``log`` is added only when a log was kept)."""
        data: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "summary": self.summary,
            "findings": [f.to_json() for f in self.findings],
            "duration_s": round(self.duration_s, 3),
        }
        if self.log_path is not None:
            data["log"] = self.log_path
        return data


def combine(results: tuple[RuleResult, ...] | list[RuleResult]) -> VerdictValue:
    """The verdict of a set of rule results: ``error`` beats ``fail`` beats ``pass``."""
    statuses = {r.status for r in results}
    if "error" in statuses:
        return "error"
    if "fail" in statuses:
        return "fail"
    return "pass"


@dataclass(frozen=True)
class Verdict:
    """A gate's verdict (SPEC §6): which gate, on which head and base, by whom, and why."""

    gate: Gate
    head: str
    base: str
    rules: tuple[RuleResult, ...]
    task: int | None = None
    actor: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> VerdictValue:
        """``pass``, ``fail`` or ``error``, from the rule results."""
        return combine(self.rules)

    def failed(self) -> tuple[RuleResult, ...]:
        """The rules whose status is ``fail`` or ``error``."""
        return tuple(r for r in self.rules if r.status in ("fail", "error"))

    def to_json(self) -> dict[str, Any]:
        """The ``gatebot.verdict/1`` document of SPEC §6, keys in contract order."""
        return {
            "schema": SCHEMA,
            "gate": self.gate,
            "verdict": self.verdict,
            "task": self.task,
            "head": self.head,
            "base": self.base,
            "actor": self.actor,
            "rules": [r.to_json() for r in self.rules],
        }
