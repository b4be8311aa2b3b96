"""The ``reviewer`` rule's results whole: status, summary and the one finding. Pure.

Who may review is the product's promise; its refusals are read by people and by
tools (the finding), so each is pinned exactly.
"""

from __future__ import annotations

import pytest

from gatebot.core.protocol import Contributor, Identity, review_eligibility
from gatebot.core.verdict import Finding, RuleResult

BUILDERS = [Contributor("ann", "author of abc1234", "ann@x.org"),
            Contributor("ann", "committer of abc1234", "ann@x.org"),
            Contributor("bob", "claimant")]


def refusal(actor: str, reason: str) -> RuleResult:
    return RuleResult("reviewer", "fail", f"{actor} may not review: {reason}",
                      (Finding(f"{actor} is not an eligible reviewer: {reason}"),))


@pytest.mark.parametrize(
    ("actor", "kwargs", "expected"),
    [
        ("cid", {}, RuleResult("reviewer", "pass", "cid is eligible")),
        ("", {}, refusal("(nobody)", "no actor; pass --as NAME or set GATEBOT_ACTOR")),
        (" ", {}, refusal("(nobody)", "no actor; pass --as NAME or set GATEBOT_ACTOR")),
        ("Gatebot", {"bots": ["gatebot"]}, refusal("Gatebot", "bots never count as reviewers")),
        ("ANN@x.org", {}, refusal("ANN@x.org", "builder of this change (author of abc1234; "
                                               "committer of abc1234)")),
        ("bob", {}, refusal("bob", "builder of this change (claimant)")),
        ("rev1", {"gate1_reviewer": "REV1"},
         refusal("rev1", "the same person who approved gate 1 (REV1); gate 2 needs a "
                         "different reviewer")),
        ("R1@x.org", {"gate1_reviewer": Identity("rev1", "Rev One", "r1@x.org")},
         refusal("R1@x.org", "the same person who approved gate 1 (rev1 (git Rev One <r1@x.org>)); "
                       "gate 2 needs a different reviewer")),
        ("cid", {"gate1_reviewer": "rev1"}, RuleResult("reviewer", "pass", "cid is eligible")),
    ],
)
def test_reviewer_rule_results(actor: str, kwargs: dict, expected: RuleResult) -> None:
    assert review_eligibility(actor, BUILDERS, **kwargs) == expected


def test_a_bot_is_refused_before_its_other_roles() -> None:
    result = review_eligibility("bob", BUILDERS, bots=["BOB"], gate1_reviewer="bob")
    assert result.summary == "bob may not review: bots never count as reviewers"


def test_an_identity_read_back_without_git_has_none() -> None:
    assert Identity.parse("rev1") == Identity("rev1", "", "")
    assert Identity.parse("rev1").git == ""
