"""The staged landing's pure decision (gatebot.core.landing)."""

from __future__ import annotations

import dataclasses

import pytest

from gatebot.core.landing import (
    STAGING_CHECK,
    CheckRunFact,
    LandingFacts,
    StagingRun,
    decide,
    staged_sha,
    staging_run_of,
)

S, B, H = "5" * 40, "b" * 40, "a" * 40
GREEN = CheckRunFact(STAGING_CHECK, "github-actions", S, "completed", "success")
FACTS = LandingFacts(staging=S, recorded_base=B, approved_head=H, base_now=B, head_now=H,
                     approvers=("ann", "bob"), checks=(GREEN,), required=(STAGING_CHECK,),
                     app="github-actions", attempt=1, retries=3)


def test_green_checks_on_the_staging_sha_fast_forward() -> None:
    assert decide(FACTS).action == "fast-forward"


@pytest.mark.parametrize("run", [
    dataclasses.replace(GREEN, app_slug="someone-else"),
    dataclasses.replace(GREEN, head_sha=H),
    dataclasses.replace(GREEN, name="lint"),
])
def test_a_check_run_of_another_app_sha_or_name_is_not_evidence(run: CheckRunFact) -> None:
    assert decide(dataclasses.replace(FACTS, checks=(run,))).action == "wait"


def test_the_newest_run_decides_and_a_red_one_names_itself() -> None:
    red = dataclasses.replace(GREEN, conclusion="failure")
    landing = decide(dataclasses.replace(FACTS, checks=(red, GREEN)))
    assert (landing.action, landing.failed) == ("send-back", (STAGING_CHECK,))


def test_a_moved_base_rebuilds_until_the_retries_are_spent() -> None:
    moved = dataclasses.replace(FACTS, base_now="c" * 40)
    assert decide(moved).action == "rebuild"
    assert decide(dataclasses.replace(moved, attempt=4)).action == "escalate"


def test_a_new_push_or_a_lost_approval_discards_before_anything_else() -> None:
    pushed = dataclasses.replace(FACTS, head_now="d" * 40, base_now="c" * 40)
    assert decide(pushed).action == "discard"
    assert decide(dataclasses.replace(FACTS, approvers=("ann",))).action == "discard"


@pytest.mark.parametrize(("path", "event", "branch", "title", "expected"), [
    (".github/workflows/gatebot-staging.yml", "workflow_dispatch", "main",
     f"gatebot staging {S}", S),
    (".github/workflows/gatebot-pr.yml", "workflow_dispatch", "main", f"gatebot staging {S}",
     None),
    (".github/workflows/gatebot-staging.yml", "push", "main", f"gatebot staging {S}", None),
    (".github/workflows/gatebot-staging.yml", "workflow_dispatch", "task/1-x",
     f"gatebot staging {S}", None),
    (".github/workflows/gatebot-staging.yml", "workflow_dispatch", "main",
     f"gatebot staging {S}; rm -rf", None),
    (".github/workflows/gatebot-staging.yml@refs/heads/main", "workflow_dispatch", "main",
     f"gatebot staging {S}", S),
    (".github/workflows/gatebot-pr.yml@refs/heads/gatebot-staging.yml", "workflow_dispatch",
     "main", f"gatebot staging {S}", None),
])
def test_only_the_staging_workflow_dispatched_on_the_base_names_a_sha(
        path: str, event: str, branch: str, title: str, expected: str | None) -> None:
    assert staged_sha(StagingRun(path, event, branch, title, "success", 1), "main") == expected


def test_a_payload_without_the_run_fields_is_refused() -> None:
    with pytest.raises(ValueError, match=r"workflow_run\.id"):
        staging_run_of({"workflow_run": {"path": "p", "event": "e", "head_branch": "main",
                                         "display_title": "t", "id": "7"}})
