"""Verdicts (the ``gatebot.verdict/1`` contract): pure, table-driven.

The gate's decision is ``Verdict.verdict`` and ``Verdict.failed()``: a check in
``error`` status (crashed, timed out, could not start) must fail the gate exactly
as a ``fail`` does, or gate 1 would approve a change whose tests never finished.
"""

from __future__ import annotations

import pytest

from gatebot.core.verdict import Finding, RuleResult, Verdict, combine


def rule(rule_id: str, status: str) -> RuleResult:
    return RuleResult(rule_id, status, f"{rule_id} {status}")


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((), "pass"),
        (("pass",), "pass"),
        (("skip",), "pass"),
        (("pass", "skip"), "pass"),
        (("fail",), "fail"),
        (("pass", "fail", "skip"), "fail"),
        (("error",), "error"),
        (("pass", "error"), "error"),
        (("fail", "error"), "error"),
        (("error", "fail", "pass"), "error"),
    ],
)
def test_error_beats_fail_beats_pass(statuses: tuple[str, ...], expected: str) -> None:
    results = [rule(f"r{i}", s) for i, s in enumerate(statuses)]
    assert combine(results) == expected
    assert combine(tuple(results)) == expected
    assert Verdict("review", "h", "b", tuple(results)).verdict == expected


@pytest.mark.parametrize(
    ("statuses", "failed"),
    [
        (("pass", "skip"), ()),
        (("pass", "fail", "skip"), ("r1",)),
        (("error",), ("r0",)),  # a crashed or timed-out check fails the gate
        (("error", "pass", "fail"), ("r0", "r2")),
    ],
)
def test_failed_lists_fail_and_error_rules_in_order(
    statuses: tuple[str, ...], failed: tuple[str, ...]
) -> None:
    verdict = Verdict("release", "h", "b", tuple(rule(f"r{i}", s) for i, s in enumerate(statuses)))
    assert tuple(r.id for r in verdict.failed()) == failed


def test_a_check_in_error_is_not_a_pass() -> None:
    crashed = RuleResult("checks.tests", "error", "tests could not finish: timed out after 1800 s")
    verdict = Verdict("review", "h", "b", (rule("file-length", "pass"), crashed))
    assert verdict.verdict == "error"
    assert verdict.failed() == (crashed,)
    assert verdict.to_json()["verdict"] == "error"


def test_rule_json_rounds_duration_and_names_the_log_only_when_kept() -> None:
    finding = Finding("too long", path="a.py", line=3)
    kept = RuleResult("checks.tests", "fail", "tests failed", (finding, Finding("x")),
                      duration_s=1.23456, log_path="/logs/tests.log")
    assert kept.to_json() == {
        "id": "checks.tests", "status": "fail", "summary": "tests failed",
        "findings": [{"path": "a.py", "line": 3, "message": "too long"},
                     {"path": None, "line": None, "message": "x"}],
        "duration_s": 1.235, "log": "/logs/tests.log",
    }
    assert list(kept.to_json()) == ["id", "status", "summary", "findings", "duration_s", "log"]
    plain = RuleResult("docstrings", "pass", "ok").to_json()
    assert plain == {"id": "docstrings", "status": "pass", "summary": "ok", "findings": [],
                     "duration_s": 0.0}
    assert "log" not in plain


def test_verdict_json_is_the_contract_in_key_order() -> None:
    verdict = Verdict("release", "abc", "def", (rule("a", "pass"), rule("b", "fail")), task=4,
                      actor="rev-2", notes=("not in JSON",))
    doc = verdict.to_json()
    assert list(doc) == ["schema", "gate", "verdict", "task", "head", "base", "actor", "rules"]
    assert doc == {
        "schema": "gatebot.verdict/1", "gate": "release", "verdict": "fail", "task": 4,
        "head": "abc", "base": "def", "actor": "rev-2",
        "rules": [rule("a", "pass").to_json(), rule("b", "fail").to_json()],
    }
    bare = Verdict("review", "h", "b", ()).to_json()
    assert (bare["task"], bare["actor"], bare["rules"], bare["verdict"]) == (None, None, [], "pass")
