"""GitHub events → intents, and claim commands in comments (pure; docs/commands.md, gate)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatebot.core import transitions
from gatebot.core.board import Stage, Task
from gatebot.core.comment_commands import (
    NOTE_LIMIT,
    Claim,
    Command,
    Heartbeat,
    Ignored,
    Refusal,
    Release,
    already_done,
    parse_command,
)
from gatebot.core.events import (
    Actor,
    ClaimCommand,
    CommandRefused,
    Gate1,
    Nothing,
    ReviewChanged,
    Sweep,
    SweepAndSync,
    TaskOpened,
    describe,
    intent_of,
)
from gatebot.errors import UsageError

WEBHOOKS = Path(__file__).resolve().parent.parent / "fixtures" / "github" / "webhooks"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
CODERTOCAT = Actor(21031067, "Codertocat", "User")


def payload(name: str) -> dict[str, Any]:
    """A fresh copy of the real webhook payload ``name`` (``event.action.n``)."""
    return json.loads((WEBHOOKS / f"{name}.json").read_text(encoding="utf-8"))


def comment(body: str, *, login: str = "alice", user_type: str = "User",
            on_pr: bool = False) -> dict[str, Any]:
    """The real ``issue_comment`` payload with another body and author."""
    data = payload("issue_comment.created.0")
    data["comment"]["body"] = body
    data["comment"]["user"].update(login=login, id=4242, type=user_type)
    if on_pr:
        data["issue"]["pull_request"] = {"url": "https://api.github.com/repos/o/r/pulls/1"}
    return data


# -- the real payloads ------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), [
    ("pull_request.opened.0", Gate1(2, HEAD, "changes", "master", "opened", CODERTOCAT,
                                    CODERTOCAT)),
    ("pull_request.synchronize.22",
     Gate1(2, HEAD, "changes", "master", "synchronize", CODERTOCAT, CODERTOCAT)),
    ("pull_request.labeled.8", Gate1(2, HEAD, "changes", "master", "labeled", CODERTOCAT)),
    ("issues.opened.15", TaskOpened(1, "Spelling error in the README file", ("bug",),
                                    CODERTOCAT)),
    ("issues.labeled.9", Nothing("gatebot does not act on issues being labeled")),
])
def test_each_real_payload_gives_its_intent(name: str, expected: object) -> None:
    assert intent_of(name.split(".", maxsplit=1)[0], payload(name)) == expected


def test_a_review_that_only_comments_changes_nothing() -> None:
    intent = intent_of("pull_request_review", payload("pull_request_review.submitted.0"))
    assert isinstance(intent, Nothing)
    assert "only comments" in intent.reason


@pytest.mark.parametrize(("action", "state", "expected"), [
    ("submitted", "approved", "APPROVED"),
    ("submitted", "changes_requested", "CHANGES_REQUESTED"),
    ("dismissed", "dismissed", "DISMISSED"),
    ("dismissed", "approved", "DISMISSED"),
])
def test_approvals_and_dismissals_are_review_changes(action: str, state: str,
                                                      expected: str) -> None:
    data = payload("pull_request_review.submitted.0")
    data["action"], data["review"]["state"] = action, state
    assert intent_of("pull_request_review", data) == ReviewChanged(
        2, HEAD, 237895671, expected, HEAD, CODERTOCAT, action)  # type: ignore[arg-type]


def test_a_bots_approval_never_counts() -> None:
    data = payload("pull_request_review.submitted.0")
    data["review"]["state"] = "approved"
    data["review"]["user"].update(login="renovate[bot]", type="Bot")
    intent = intent_of("pull_request_review", data)
    assert isinstance(intent, Nothing)
    assert "renovate[bot]" in intent.reason


def test_an_approval_by_a_deleted_account_never_counts() -> None:
    data = payload("pull_request_review.submitted.0")
    data["review"].update(state="approved", user=None)
    assert isinstance(intent_of("pull_request_review", data), Nothing)


@pytest.mark.parametrize(("change", "reason"), [
    ({"draft": True}, "draft"),
    ({"state": "closed"}, "closed"),
])
def test_draft_and_closed_pull_requests_get_no_gate(change: dict[str, Any],
                                                    reason: str) -> None:
    data = payload("pull_request.opened.0")
    data["pull_request"].update(change)
    intent = intent_of("pull_request", data)
    assert isinstance(intent, Nothing)
    assert reason in intent.reason


def test_a_label_a_bot_added_asks_for_no_gate_but_a_persons_does() -> None:
    data = payload("pull_request.labeled.8")
    data["sender"].update(login="gatebot[bot]", type="Bot")
    assert isinstance(intent_of("pull_request", data), Nothing)
    data["sender"].update(login="alice", type="User")
    assert isinstance(intent_of("pull_request", data), Gate1)


@pytest.mark.parametrize(("event", "action"), [
    ("pull_request", "closed"), ("pull_request", "edited"), ("pull_request_review", "edited"),
    ("issues", "closed"), ("issue_comment", "edited"), ("issue_comment", "deleted"),
])
def test_other_actions_are_nothing_to_do(event: str, action: str) -> None:
    assert isinstance(intent_of(event, {"action": action}), Nothing)


@pytest.mark.parametrize("event", ["push", "release", "check_run", "", "pull_request_target"])
def test_other_events_are_nothing_to_do(event: str) -> None:
    intent = intent_of(event, {"action": "opened"})
    assert isinstance(intent, Nothing)
    assert describe(intent).startswith("nothing to do: gatebot does not act on")


def test_schedule_sweeps_and_workflow_dispatch_also_syncs_the_board() -> None:
    assert intent_of("schedule", {"schedule": "*/15 * * * *"}) == Sweep()
    assert intent_of("workflow_dispatch", {"inputs": {}, "ref": "refs/heads/main"}) == SweepAndSync()


# -- payloads that lack what their event needs ------------------------------------------------
@pytest.mark.parametrize(("name", "path"), [
    ("pull_request.opened.0", ("action",)),
    ("pull_request.opened.0", ("pull_request",)),
    ("pull_request.opened.0", ("pull_request", "head", "sha")),
    ("pull_request.synchronize.22", ("pull_request", "base", "ref")),
    ("pull_request.opened.0", ("pull_request", "number")),
    ("pull_request_review.submitted.0", ("review", "commit_id")),
    ("pull_request_review.submitted.0", ("review", "state")),
    ("issues.opened.15", ("issue", "number")),
    ("issue_comment.created.0", ("comment", "body")),
    ("issue_comment.created.0", ("comment", "user", "id")),
])
def test_a_missing_field_is_a_usage_error_naming_it(name: str, path: tuple[str, ...]) -> None:
    data = payload(name)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    with pytest.raises(UsageError, match=r"lacks " + r"\.".join(path) + "$") as caught:
        intent_of(name.split(".", maxsplit=1)[0], data)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(("path", "value"), [
    (("pull_request", "number"), "2"),
    (("pull_request", "number"), True),
    (("pull_request", "head", "sha"), "not-a-sha"),
    (("pull_request", "user", "id"), None),
    (("pull_request", "user", "login"), "mallory\n::error::forged"),
    (("pull_request", "base", "ref"), "--upload-pack=touch x"),
    (("pull_request", "head", "ref"), "task/1..x"),
    (("pull_request", "draft"), "false"),
])
def test_a_field_of_the_wrong_type_is_a_usage_error_naming_it(path: tuple[str, ...],
                                                              value: object) -> None:
    data = payload("pull_request.opened.0")
    data[path[0]][path[1]] = value if len(path) == 2 else data[path[0]][path[1]]
    if len(path) == 3:
        data[path[0]][path[1]][path[2]] = value
    with pytest.raises(UsageError, match="has an unusable " + r"\.".join(path)):
        intent_of("pull_request", data)


@pytest.mark.parametrize("value", [[], "text", None, 3])
def test_a_payload_that_is_not_an_object_is_a_usage_error(value: object) -> None:
    with pytest.raises(UsageError, match="not a JSON object"):
        intent_of("schedule", value)


# -- comment commands -----------------------------------------------------------------------
@pytest.mark.parametrize(("body", "expected"), [
    ("/claim", Claim()),
    ("/claim  \r\nI'll take it", Claim()),
    ("Taking this one.\r\n/release\r\n/claim", Release()),
    ("/heartbeat", Heartbeat()),
    ("/heartbeat 40 writing the rate limiter tests", Heartbeat(40, "writing the rate limiter tests")),
    ("/heartbeat 40% halfway", Heartbeat(40, "halfway")),
    ("/heartbeat 0", Heartbeat(0, None)),
    ("/heartbeat blocked on review", Heartbeat(None, "blocked on review")),
    ("/heartbeat 2024 was a year", Heartbeat(None, "2024 was a year")),
])
def test_commands_are_parsed_from_the_first_line_starting_with_a_slash(
        body: str, expected: object) -> None:
    assert parse_command(body) == expected


@pytest.mark.parametrize("body", [
    "/Claim", "/CLAIM", "/claimed", "/usr/bin/env python", " /claim", "> /claim",
    "    /claim", "```\n/claim\n```", "~~~\n/claim\n~~~", "<!--\n/claim\n-->",
    "> quoted\n/claim", "I will /claim it", "", "no command here",
])
def test_other_text_is_no_command(body: str) -> None:
    assert isinstance(parse_command(body), Ignored)


def test_only_the_first_slash_line_counts_even_when_it_is_no_command() -> None:
    assert isinstance(parse_command("/shrug\n/claim"), Ignored)


@pytest.mark.parametrize(("body", "reason"), [
    ("/claim now please", "takes no argument"),
    ("/release #7", "takes no argument"),
    ("/heartbeat 101 done?", "over 100"),
    ("/heartbeat 40 " + "x" * (NOTE_LIMIT + 1), f"keep it to {NOTE_LIMIT}"),
    ("/heartbeat 40 \x1b[31mred", "control character"),
    ("/heartbeat 40 note\u202eevil", "control character"),
    ("/claim\u2028", "control character"),
    ("/heartbeat 40 a\tb", "control character"),
])
def test_a_known_verb_that_cannot_be_obeyed_is_refused(body: str, reason: str) -> None:
    result = parse_command(body)
    assert isinstance(result, Refusal)
    assert reason in result.reason


def test_a_note_of_exactly_the_limit_is_kept() -> None:
    assert parse_command("/heartbeat " + "y" * NOTE_LIMIT) == Heartbeat(None, "y" * NOTE_LIMIT)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_body_parses_to_a_command_or_a_reason_and_notes_stay_one_clean_line(
        body: str) -> None:
    result = parse_command(body)
    assert isinstance(result, (Claim, Release, Heartbeat, Ignored, Refusal))
    if isinstance(result, Heartbeat) and result.note is not None:
        assert len(result.note) <= NOTE_LIMIT
        assert result.note.isprintable()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["/claim", "/release", "/heartbeat 5 x"]),
       st.text(max_size=80).filter(lambda t: "\n" not in t), st.text(max_size=80))
def test_the_command_is_the_first_slash_line_wherever_it_stands(
        command: str, before: str, after: str) -> None:
    prose = "" if before.lstrip().startswith(("/", "`", "~", "<", ">")) or not before.strip() \
        else before.lstrip(" ") + "\n\n"
    result = parse_command(f"{prose}{command}\n{after}")
    assert isinstance(result, (Claim, Release, Heartbeat)), (prose, result)


# -- comments become claim intents -------------------------------------------------------------
def test_the_actor_is_the_comments_author_never_text_in_the_body() -> None:
    intent = intent_of("issue_comment", comment("/claim\nI am really @mallory, id 1"))
    assert intent == ClaimCommand(1, 492700400, Actor(4242, "alice", "User"), Claim(),
                                  datetime(2019, 5, 15, 15, 20, 21, tzinfo=UTC))


def test_bots_comments_are_ignored() -> None:
    for login, kind in (("gatebot[bot]", "Bot"), ("helper[bot]", "User"), ("ci", "Bot")):
        assert isinstance(intent_of("issue_comment", comment("/claim", login=login,
                                                             user_type=kind)), Nothing)


def test_commands_on_a_pull_request_are_not_claims() -> None:
    intent = intent_of("issue_comment", comment("/claim", on_pr=True))
    assert isinstance(intent, Nothing)
    assert "pull request #1" in intent.reason


def test_a_refused_command_names_the_verb_and_the_reason() -> None:
    intent = intent_of("issue_comment", comment("/claim me"))
    assert intent == CommandRefused(1, 492700400, Actor(4242, "alice", "User"), "/claim",
                                    "/claim takes no argument; write /claim alone on its line")
    assert "refused" in describe(intent)


def test_user_text_in_plans_and_errors_is_escaped() -> None:
    text = describe(intent_of("pull_request", {"action": "evil\x1b[2J\nline"}))
    assert text == "nothing to do: gatebot does not act on pull requests being evil\\x1b[2J\\nline"
    data = payload("pull_request.opened.0")
    data["pull_request"]["head"]["ref"] = "evil\x1b[2J\nbranch"
    with pytest.raises(UsageError) as caught:
        intent_of("pull_request", data)
    assert "\x1b" not in caught.value.message
    assert "\n" not in caught.value.message


def test_the_payload_is_not_changed() -> None:
    data = payload("pull_request.opened.0")
    before = copy.deepcopy(data)
    intent_of("pull_request", data)
    assert data == before


# -- a replayed command writes nothing ------------------------------------------------------
T = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("command", "stage", "holders", "beat", "done"), [
    (Claim(), Stage.IN_PROGRESS, ("Alice",), None, True),
    (Claim(), Stage.IN_PROGRESS, ("bob",), None, False),
    (Claim(), Stage.READY, (), None, False),
    (Release(), Stage.READY, (), None, True),
    (Release(), Stage.READY, (), T, False),  # a record the board never got: remove it
    (Release(), Stage.IN_PROGRESS, ("alice",), T, False),
    (Heartbeat(40), Stage.IN_PROGRESS, ("alice",), T, True),
    (Heartbeat(40), Stage.IN_PROGRESS, ("alice",), T + timedelta(minutes=5), True),
    (Heartbeat(40), Stage.IN_PROGRESS, ("alice",), T - timedelta(seconds=1), False),
    (Heartbeat(40), Stage.IN_PROGRESS, ("alice",), None, False),
])
def test_a_command_recorded_already_needs_no_write(command: Command, stage: Stage,
                                                    holders: tuple[str, ...],
                                                    beat: datetime | None, done: bool) -> None:
    reason = already_done(command, "alice", T, stage=stage, holders=holders, heartbeat_last=beat)
    assert (reason is not None) == done


def test_an_opened_issue_without_a_stage_becomes_ready_and_one_with_a_stage_stays() -> None:
    fresh = transitions.opened(Task(9, "Limiter", None), T)
    assert fresh is not None
    assert (fresh.number, fresh.event, fresh.stage, fresh.at) == (9, "added", Stage.READY, T)
    for stage in Stage:
        assert transitions.opened(Task(9, "Limiter", stage), T) is None
