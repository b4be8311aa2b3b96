"""Whose verdict a gatebot-pr.yml artifact may post (pure; the fork case included)."""

from __future__ import annotations

import pytest

from gatebot.core.events import Nothing, intent_of
from gatebot.core.workflow_run import PublishVerdict, PullSeen, refusal

HEAD = "a" * 40


def _payload(**run: object) -> dict[str, object]:
    base = {"id": 9, "path": ".github/workflows/gatebot-pr.yml", "event": "pull_request",
            "conclusion": "success", "head_sha": HEAD, "repository": {"full_name": "acme/w"},
            "head_repository": {"full_name": "mallory/w"}, "pull_requests": []}
    return {"action": "completed", "workflow_run": {**base, **run}}


def test_a_forks_run_is_published_with_its_head_repository() -> None:
    intent = intent_of("workflow_run", _payload())
    assert intent == PublishVerdict(9, HEAD, "mallory/w", "acme/w", (), None)
    seen = PullSeen(3, "open", HEAD, "mallory/w", "acme/w", "main")
    assert refusal(3, intent, seen, base="main") is None
    same_sha_elsewhere = PullSeen(3, "open", HEAD, "acme/w", "acme/w", "main")
    assert "comes from acme/w" in (refusal(3, intent, same_sha_elsewhere, base="main") or "")
    gone = PullSeen(3, "open", HEAD, None, "acme/w", "main")
    assert "a deleted repository" in (refusal(3, intent, gone, base="main") or "")


@pytest.mark.parametrize(("seen", "why"), [
    (PullSeen(3, "closed", HEAD, "mallory/w", "acme/w", "main"), "closed, not open"),
    (PullSeen(3, "open", "b" * 40, "mallory/w", "acme/w", "main"), "head is bbbbbbbbbbbb"),
    (PullSeen(3, "open", HEAD, "mallory/w", "other/w", "main"), "not into acme/w"),
    (PullSeen(3, "open", HEAD, "mallory/w", "acme/w", "release"),
     "is into the branch release, not main"),
    (None, "does not exist"),
])
def test_a_pull_request_github_does_not_tie_to_the_run_is_refused(
        seen: PullSeen | None, why: str) -> None:
    intent = PublishVerdict(9, HEAD, "mallory/w", "acme/w", (), None)
    assert why in (refusal(3, intent, seen, base="main") or "")


def test_a_pull_request_the_event_does_not_list_is_refused() -> None:
    intent = PublishVerdict(9, HEAD, "acme/w", "acme/w", (4,), None)
    assert refusal(3, intent, PullSeen(3, "open", HEAD, "acme/w", "acme/w", "main"),
                   base="main") == \
        "the artifact names pull request #3, the run was for #4"


def test_a_run_path_with_a_ref_is_still_gatebot_pr() -> None:
    """GitHub may append ``@<ref>`` to a run's ``path``: the file name is read before it (the
    ref's last part, ``merge``, was taken for the file and the verdict never posted)."""
    intent = intent_of("workflow_run", _payload(path=".github/workflows/gatebot-pr.yml"
                                                     "@refs/pull/3/merge"))
    assert intent == PublishVerdict(9, HEAD, "mallory/w", "acme/w", (), None)
    other = intent_of("workflow_run", _payload(path=".github/workflows/x.yml@gatebot-pr.yml"))
    assert isinstance(other, Nothing)


@pytest.mark.parametrize(("run", "reason"), [
    ({"conclusion": "failure"}, "ended failure"),
    ({"conclusion": "cancelled"}, "ended cancelled"),
    ({"path": ".github/workflows/gatebot-staging.yml", "event": "workflow_dispatch"},
     "gatebot land"),
    ({"event": "push"}, "not gatebot-pr.yml on a pull request"),
])
def test_other_runs_are_nothing_to_do(run: dict[str, object], reason: str) -> None:
    intent = intent_of("workflow_run", _payload(**run))
    assert isinstance(intent, Nothing) and reason in intent.reason


def test_a_run_not_completed_is_nothing_to_do() -> None:
    intent = intent_of("workflow_run", {**_payload(), "action": "requested"})
    assert isinstance(intent, Nothing)


def test_the_runs_actor_is_the_pusher_gatebot_records() -> None:
    """The gatebot-pr.yml run's ``actor`` (who pushed the head that started it) is passed on
    as the pusher, a builder of that head; a run without one names nobody."""
    actor = {"login": "carol", "id": 77, "type": "User"}
    intent = intent_of("workflow_run", _payload(actor=actor))
    assert isinstance(intent, PublishVerdict)
    assert intent.pusher == (77, "carol")
    no_actor = intent_of("workflow_run", _payload())
    assert isinstance(no_actor, PublishVerdict)
    assert no_actor.pusher is None
