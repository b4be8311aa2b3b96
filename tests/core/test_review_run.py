"""Which pull requests the review hop acts on: gatebot-review.yml's run, GitHub's answers (pure)."""

from __future__ import annotations

import pytest

from gatebot.core.events import Nothing, describe, intent_of
from gatebot.core.review_run import Chosen, ReviewRun, pulls_to_review
from gatebot.core.workflow_run import PullSeen
from gatebot.errors import UsageError

HEAD = "a" * 40
OTHER = "b" * 40


def _payload(**run: object) -> dict[str, object]:
    base = {"id": 7, "path": ".github/workflows/gatebot-review.yml@refs/pull/3/merge",
            "event": "pull_request_review", "conclusion": "failure", "head_sha": HEAD,
            "repository": {"full_name": "acme/w"}, "head_repository": {"full_name": "acme/w"},
            "pull_requests": [{"number": 3}, {"number": 3}]}
    return {"action": "completed", "workflow_run": {**base, **run}}


def test_a_finished_review_run_asks_for_the_review_step_whatever_its_conclusion() -> None:
    intent = intent_of("workflow_run", _payload())
    assert intent == ReviewRun(7, HEAD, "acme/w", "acme/w", (3,))
    assert "every review read again from GitHub" in describe(intent)
    fork = intent_of("workflow_run", _payload(head_repository={"full_name": "mallory/w"},
                                              pull_requests=[]))
    assert fork == ReviewRun(7, HEAD, "mallory/w", "acme/w", ())
    assert "none listed: a fork's" in describe(fork)


@pytest.mark.parametrize(("payload", "reason"), [
    ({**_payload(), "action": "requested"}, "requested, not completed"),
    (_payload(event="push"), "started by push, not by a pull request review"),
])
def test_a_review_run_that_is_no_review_is_nothing_to_do(payload: dict[str, object],
                                                         reason: str) -> None:
    intent = intent_of("workflow_run", payload)
    assert isinstance(intent, Nothing) and reason in intent.reason


def test_a_review_run_without_its_head_sha_is_a_usage_error() -> None:
    payload = _payload()
    del payload["workflow_run"]["head_sha"]  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match=r"workflow_run\.head_sha"):
        intent_of("workflow_run", payload)


def test_listed_pull_requests_count_only_open_into_the_base_from_the_runs_repository() -> None:
    run = ReviewRun(7, HEAD, "acme/w", "acme/w", (3, 4, 5, 6, 8))
    seen = [PullSeen(3, "open", OTHER, "acme/w", "acme/w", "main"),  # pushed since: still #3
            PullSeen(4, "closed", HEAD, "acme/w", "acme/w", "main"),
            PullSeen(5, "open", HEAD, "acme/w", "acme/w", "release"),
            PullSeen(6, "open", HEAD, "mallory/w", "acme/w", "main"),
            PullSeen(8, "open", HEAD, "acme/w", "other/w", "main"),
            PullSeen(9, "open", HEAD, "acme/w", "acme/w", "main")]  # not the run's
    chosen = pulls_to_review(run, seen, base="main")
    assert chosen.pulls == ((3, OTHER),)
    assert chosen.skipped == ("pull request #4 is closed, not open",
                              "pull request #5 is into the branch release, not main",
                              "pull request #6 comes from mallory/w, the run from acme/w",
                              "pull request #8 is not into acme/w",
                              "pull request #9 is not among the run's")


def test_a_forks_run_is_matched_by_head_sha_and_head_repository() -> None:
    run = ReviewRun(7, HEAD, "mallory/w", "acme/w", ())
    seen = [PullSeen(3, "open", HEAD, "mallory/w", "acme/w", "main"),
            PullSeen(4, "open", HEAD, "acme/w", "acme/w", "main"),  # same commit, other repo
            PullSeen(5, "open", OTHER, "mallory/w", "acme/w", "main"),
            PullSeen(6, "open", HEAD, None, "acme/w", "main")]  # the fork was deleted
    chosen = pulls_to_review(run, seen, base="main")
    assert chosen == Chosen(((3, HEAD),), ())
