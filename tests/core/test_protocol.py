from __future__ import annotations

import pytest

from gatebot.core.protocol import (
    Contributor,
    Identity,
    branch_belongs,
    cannot_review,
    fold,
    review_eligibility,
)

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


def test_fold_is_nfkc_casefold() -> None:
    assert fold("ｂｕｉｌｄｅｒ") == "builder"
    assert fold(" ＲＥＶ１ ") == "rev1"
    assert fold("Straße") == fold("STRASSE")
    assert fold("ﬁx") == "fix"  # the ligature is two letters


def test_identity_is_one_person_under_any_of_its_names() -> None:
    first = Identity("rev1", "Rev One", "rev1@x.org")
    assert first.matches(Identity("REV1@X.ORG"))  # its git email, as an actor name
    assert first.matches(Identity("someone", "rev one"))  # its git name
    assert first.matches(Identity("ｒｅｖ１"))
    assert not first.matches(Identity("rev2", "Rev Two", "rev2@x.org"))
    assert not Identity("a").matches(Identity("b"))  # empty git parts never match
    assert first.matches_any(["x", "Rev One"])
    assert not first.matches_any(["", "rev"])
    assert str(first) == "rev1"


def test_identity_reads_back_as_recorded() -> None:
    whole = Identity("rev1", "Rev One", "rev1@x.org")
    assert whole.git == "Rev One <rev1@x.org>"
    assert Identity.parse("rev1", whole.git) == whole
    assert Identity.parse("rev1", "<rev1@x.org>") == Identity("rev1", "", "rev1@x.org")
    assert Identity.parse("rev1", "") == Identity("rev1")
    assert Identity("rev1").git == ""
    assert Identity.parse(" rev1 ", "odd value") == Identity("rev1", "odd value")


def test_gate2_refuses_the_gate1_reviewer_under_another_name() -> None:
    first = Identity("rev1", "", "rev1@x.org")
    result = review_eligibility(Identity("rev1@x.org", "", "rev1@x.org"), BUILDERS,
                                gate1_reviewer=first)
    assert result.status == "fail"
    assert "approved gate 1 (rev1 (git <rev1@x.org>))" in result.summary
    other = review_eligibility(Identity("rev2", "", "rev2@x.org"), BUILDERS, gate1_reviewer=first)
    assert other.status == "pass"


def test_builders_match_through_the_git_identity() -> None:
    result = review_eligibility(Identity("fresh-name", "Ann Author", ""), BUILDERS)
    assert result.status == "fail"
    assert "author of abc1234" in result.summary
    assert review_eligibility("ｇｏｌｄｅｎｆｏｃｕｓ-claude-001", BUILDERS).status == "fail"
    assert review_eligibility("ＧＡＴＥＢＯＴ", [], bots=["gatebot"]).status == "fail"


@pytest.mark.parametrize(
    ("branch", "recorded", "belongs"),
    [
        ("task/7-x", None, True),
        ("task/7", None, True),
        ("task/70-x", None, False),
        ("task/8-x", None, False),
        ("feature-x", "feature-x", True),
        ("feature-y", "feature-x", False),
        ("task/8-x", "task/8-x", False),  # another task's branch, even when recorded
        (None, "feature-x", False),
        ("", "", False),
    ],
)
def test_branch_belongs_to_its_task(branch: str | None, recorded: str | None,
                                    belongs: bool) -> None:
    assert branch_belongs(7, branch, recorded) is belongs
