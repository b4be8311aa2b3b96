from __future__ import annotations

import pytest

from gatebot.core.protocol import Contributor, cannot_review, review_eligibility

BUILDERS = [
    Contributor("goldenfocus-claude-001", "claimant"),
    Contributor("Ann Author", "author of abc1234", "ann@example.com"),
    Contributor("Cid Committer", "committer of abc1234", "cid@example.com"),
]


@pytest.mark.parametrize(
    ("actor", "status", "reason"),
    [
        ("goldenfocus-claude-002", "pass", ""),
        ("GoldenFocus-Claude-001", "fail", "claimant"),
        ("ANN@example.com", "fail", "author of abc1234"),
        ("cid committer", "fail", "committer of abc1234"),
        ("gatebot", "fail", "bots never count"),
        ("", "fail", "no actor"),
    ],
)
def test_gate1_excludes_builders_and_bots(actor: str, status: str, reason: str) -> None:
    result = review_eligibility(actor, BUILDERS, bots=["gatebot"])
    assert result.id == "reviewer"
    assert result.status == status
    assert reason in result.summary


def test_gate2_also_excludes_the_gate1_reviewer() -> None:
    assert review_eligibility("rev-1", BUILDERS).status == "pass"
    result = review_eligibility("REV-1", BUILDERS, gate1_reviewer="rev-1")
    assert result.status == "fail"
    assert "gate 1" in result.summary
    assert review_eligibility("rev-2", BUILDERS, gate1_reviewer="rev-1").status == "pass"


def test_empty_email_never_matches() -> None:
    assert not Contributor("x", "claimant", "").matches("")
    assert review_eligibility("someone", [Contributor("x", "claimant", "")]).status == "pass"


def test_cannot_review_lists_builders_then_reviewers_once() -> None:
    value = cannot_review([*BUILDERS, Contributor("ann author", "claimant")], ["rev-1", "REV-1"])
    assert value == "goldenfocus-claude-001, Ann Author, Cid Committer, rev-1"
    assert cannot_review([], []) == "None"
