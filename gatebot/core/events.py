"""GitHub events → what ``gatebot gate`` is asked to do (an intent). Pure: no I/O, no clock.

The events and actions gatebot acts on (docs/commands.md, ``gate``):

=========================  ==========================================================  ==============
event                      actions                                                      intent
=========================  ==========================================================  ==============
``pull_request``           opened, synchronize, reopened, ready_for_review, labeled    ``Gate1``
``pull_request_review``    submitted, dismissed                                         ``ReviewChanged``
``issues``                 opened                                                       ``TaskOpened``
``issue_comment``          created (``/claim``, ``/release``, ``/heartbeat``)           ``ClaimCommand``
``schedule``               —                                                            ``Sweep``
``workflow_dispatch``      —                                                            ``SweepAndSync``
``workflow_run``           completed (a successful gatebot-pr.yml run)                  ``PublishVerdict``
``workflow_run``           completed (a gatebot-review.yml run on a review)             ``ReviewRun``
=========================  ==========================================================  ==============

Any other event or action is ``Nothing`` with its reason, and so are events that change
nothing: a draft or closed pull request, a label a bot added, a review that only comments, a
bot's review or comment, a comment with no command. The payload models read only the fields
gatebot needs (everything else is ignored) and check their types strictly; a payload that
lacks one, or has it with the wrong type, raises ``UsageError`` naming the field
(``pull_request.head.sha``). Identity comes from the payload's user objects (numeric id,
login, type) as GitHub reports them, never from text in a body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar, assert_never

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from gatebot.core.claims import parse_timestamp
from gatebot.core.comment_commands import Command, Heartbeat, Ignored, Refusal, parse_command
from gatebot.core.printable import printable
from gatebot.core.review_run import ReviewRun, review_run_of
from gatebot.core.workflow_run import PublishVerdict, RunEvent, publish_of
from gatebot.errors import UsageError

LOGIN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\[bot\])?$"
"""A GitHub login: letters, digits, hyphens (``_`` and ``.`` for enterprise-managed users),
an App's ``[bot]`` suffix; anything else is not a login GitHub would send."""
BRANCH = r"^(?!-)(?!.*\.\.)(?!.*@\{)[^\x00-\x20~^:?*\[\\\x7f]+$"
"""A branch name git would accept (``git check-ref-format``'s rules, roughly): no leading
``-``, no ``..`` or ``@{``, no blanks, controls or ``~^:?*[\\``."""
PR_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review", "labeled"})
PUSH_ACTIONS = frozenset({"opened", "synchronize", "reopened"})
"""The pull request actions whose sender put the head there (the last pusher, a builder)."""
REVIEW_ACTIONS = frozenset({"submitted", "dismissed"})
EVENTS = ("pull_request", "pull_request_review", "issues", "issue_comment", "schedule",
          "workflow_dispatch", "workflow_run")
ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]
_STATES: dict[str, ReviewState] = {"APPROVED": "APPROVED", "CHANGES_REQUESTED": "CHANGES_REQUESTED",
                                   "COMMENTED": "COMMENTED", "DISMISSED": "DISMISSED"}


# -- the payload models: only what gatebot reads --------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, regex_engine="python-re")


class User(_Model):
    """A GitHub account as a payload gives it: ``id`` (numeric), ``login``, ``type``."""

    id: int
    login: str = Field(pattern=LOGIN)
    type: str = "User"


class _Action(_Model):
    action: str


class _Ref(_Model):
    ref: str = Field(pattern=BRANCH)
    sha: str = Field(pattern=r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")


class _PullRequest(_Model):
    number: int = Field(gt=0)
    state: str
    draft: bool = False
    head: _Ref
    base: _Ref
    user: User


class _PullRequestEvent(_Model):
    action: str
    pull_request: _PullRequest
    sender: User


class _Review(_Model):
    id: int
    state: str
    commit_id: str = Field(pattern=r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
    user: User | None


class _ReviewEvent(_Model):
    action: str
    review: _Review
    pull_request: _PullRequest


class _Issue(_Model):
    number: int = Field(gt=0)
    title: str
    user: User
    labels: list[_Label] = Field(default_factory=list)
    pull_request: dict[str, Any] | None = None


class _Label(_Model):
    name: str


class _IssuesEvent(_Model):
    action: str
    issue: _Issue


class _Comment(_Model):
    id: int
    body: str
    user: User
    created_at: Annotated[datetime, BeforeValidator(parse_timestamp)]


class _CommentEvent(_Model):
    action: str
    issue: _Issue
    comment: _Comment


_Issue.model_rebuild()


# -- the intents ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    """Who did it, as GitHub reports it: numeric ``id``, ``login``, account ``type``."""

    id: int
    login: str
    type: str

    @property
    def is_bot(self) -> bool:
        """A bot (``type == "Bot"`` or a ``[bot]`` login) never counts as a reviewer or claimant."""
        return self.type == "Bot" or self.login.endswith("[bot]")


@dataclass(frozen=True)
class Gate1:
    """Run gate 1 on pull request ``pr`` at ``head_sha`` (``head_ref`` into ``base_ref``).

    ``pusher``: who put ``head_sha`` there, the event's sender when the event is a push
    (``PUSH_ACTIONS``); None for a label or ready-for-review (not a push).
    """

    pr: int
    head_sha: str
    head_ref: str
    base_ref: str
    action: str
    author: Actor
    pusher: Actor | None = None


@dataclass(frozen=True)
class ReviewChanged:
    """A review on ``pr`` was submitted or dismissed: re-read approvals for ``head_sha``.

    ``commit_id`` is the head the review was given on; ``author`` is None for a deleted
    account. ``state`` is upper-case as the REST API writes it.
    """

    pr: int
    head_sha: str
    review_id: int
    state: ReviewState
    commit_id: str
    author: Actor | None
    action: str


@dataclass(frozen=True)
class TaskOpened:
    """Issue ``issue`` was opened: it becomes a READY task (``status:ready``)."""

    issue: int
    title: str
    labels: tuple[str, ...]
    author: Actor


@dataclass(frozen=True)
class ClaimCommand:
    """A claim command from comment ``comment_id`` on issue ``issue`` by ``actor``.

    ``at``: when GitHub says the comment was made (UTC), so a replayed event is recognised.
    """

    issue: int
    comment_id: int
    actor: Actor
    command: Command
    at: datetime


@dataclass(frozen=True)
class CommandRefused:
    """A comment named a claim command that cannot be obeyed; ``reason`` says why."""

    issue: int
    comment_id: int
    actor: Actor
    verb: str
    reason: str


@dataclass(frozen=True)
class Sweep:
    """Scheduled: record newly stale claims (``gatebot sweep``)."""


@dataclass(frozen=True)
class SweepAndSync:
    """Run by hand: the sweep, then the board written from the live state (``board sync``)."""


@dataclass(frozen=True)
class Nothing:
    """Nothing to do; ``reason`` says why (printed, exit 0)."""

    reason: str


Intent = (Gate1 | ReviewChanged | TaskOpened | ClaimCommand | CommandRefused | Sweep
          | SweepAndSync | PublishVerdict | ReviewRun | Nothing)


# -- the decision --------------------------------------------------------------------------
def intent_of(event: str, payload: object) -> Intent:
    """What the ``event`` (``GITHUB_EVENT_NAME``) with its JSON ``payload`` asks gatebot to do.

    Raises ``UsageError`` (exit 2) when the payload is not a JSON object, or lacks a field
    the event and action need, or has it with the wrong type; the message names the field.
    """
    if not isinstance(payload, Mapping):
        raise UsageError(f"the {_safe(event)} event's payload is not a JSON object",
                         "pass the file GitHub Actions writes at $GITHUB_EVENT_PATH")
    if event == "schedule":
        return Sweep()
    if event == "workflow_dispatch":
        return SweepAndSync()
    decide = _DECISIONS.get(event)
    if decide is None:
        return Nothing(f"gatebot does not act on {_safe(event)} events")
    return decide(event, payload)


def _pull_request(event: str, payload: Mapping[str, Any]) -> Intent:
    action = _parse(_Action, event, payload).action
    if action not in PR_ACTIONS:
        return Nothing(f"gatebot does not act on pull requests being {_safe(action)}")
    parsed = _parse(_PullRequestEvent, event, payload)
    pr = parsed.pull_request
    if pr.state != "open":
        return Nothing(f"pull request #{pr.number} is {_safe(pr.state)}, not open")
    if pr.draft:
        return Nothing(f"pull request #{pr.number} is a draft: gate 1 runs once it is "
                       "marked ready for review")
    if action == "labeled" and _actor(parsed.sender).is_bot:
        return Nothing(f"a bot ({_safe(parsed.sender.login)}) labelled pull request "
                       f"#{pr.number}: that asks for no new gate")
    pusher = _actor(parsed.sender) if action in PUSH_ACTIONS else None
    return Gate1(pr.number, pr.head.sha, pr.head.ref, pr.base.ref, action, _actor(pr.user),
                 pusher)


def _review(event: str, payload: Mapping[str, Any]) -> Intent:
    action = _parse(_Action, event, payload).action
    if action not in REVIEW_ACTIONS:
        return Nothing(f"gatebot does not act on reviews being {_safe(action)}")
    parsed = _parse(_ReviewEvent, event, payload)
    review, pr = parsed.review, parsed.pull_request
    state = "DISMISSED" if action == "dismissed" else _STATES.get(review.state.upper())
    if state is None:
        raise UsageError(f"the {event} event's payload has review.state {_safe(review.state)!r}",
                         "expected approved, changes_requested, commented or dismissed")
    author = _actor(review.user) if review.user is not None else None
    if action == "submitted" and state == "COMMENTED":
        return Nothing(f"review {review.id} on pull request #{pr.number} only comments: "
                       "no approval changed")
    if action == "submitted" and (author is None or author.is_bot):
        who = "a deleted account" if author is None else f"a bot ({_safe(author.login)})"
        return Nothing(f"review {review.id} on pull request #{pr.number} is by {who}: "
                       "it never counts")
    return ReviewChanged(pr.number, pr.head.sha, review.id, state, review.commit_id, author,
                         action)


def _issues(event: str, payload: Mapping[str, Any]) -> Intent:
    action = _parse(_Action, event, payload).action
    if action != "opened":
        return Nothing(f"gatebot does not act on issues being {_safe(action)}")
    issue = _parse(_IssuesEvent, event, payload).issue
    return TaskOpened(issue.number, issue.title, tuple(label.name for label in issue.labels),
                      _actor(issue.user))


def _issue_comment(event: str, payload: Mapping[str, Any]) -> Intent:
    action = _parse(_Action, event, payload).action
    if action != "created":
        return Nothing(f"gatebot does not act on comments being {_safe(action)}")
    parsed = _parse(_CommentEvent, event, payload)
    comment, issue, actor = parsed.comment, parsed.issue, _actor(parsed.comment.user)
    if actor.is_bot:
        return Nothing(f"comment {comment.id} is by a bot ({_safe(actor.login)}): ignored")
    command = parse_command(comment.body)
    if isinstance(command, Ignored):
        return Nothing(f"comment {comment.id}: {command.reason}")
    if issue.pull_request is not None:
        return Nothing(f"comment {comment.id} is on pull request #{issue.number}: claim "
                       "commands go on the task's issue")
    if isinstance(command, Refusal):
        return CommandRefused(issue.number, comment.id, actor, command.verb, command.reason)
    return ClaimCommand(issue.number, comment.id, actor, command, comment.created_at)


def _workflow_run(event: str, payload: Mapping[str, Any]) -> Intent:
    parsed = _parse(RunEvent, event, payload)
    review = review_run_of(parsed)
    decided = publish_of(parsed) if review is None else review
    return Nothing(decided) if isinstance(decided, str) else decided


_DECISIONS = {"pull_request": _pull_request, "pull_request_review": _review,
              "issues": _issues, "issue_comment": _issue_comment,
              "workflow_run": _workflow_run}
M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], event: str, payload: Mapping[str, Any]) -> M:
    """``payload`` read as ``model``; ``UsageError`` naming the first field that is wrong."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "(the payload)"
        problem = (f"lacks {_safe(field)}" if error["type"] == "missing" else
                   f"has an unusable {_safe(field)}: {_safe(repr(error['input']))} is not "
                   "what GitHub sends there" if error["type"] == "string_pattern_mismatch" else
                   f"has an unusable {_safe(field)}: {_safe(error['msg'])}")
        raise UsageError(f"the {_safe(event)} event's payload {problem}",
                         "pass the payload GitHub sent for this event, unchanged "
                         "($GITHUB_EVENT_PATH)") from None


def _actor(user: User) -> Actor:
    return Actor(user.id, user.login, user.type)


def _safe(text: str) -> str:
    """User text for a message: control characters escaped, at most 60 characters."""
    shown = printable(text)
    return shown if len(shown) <= 60 else shown[:59] + "…"



# -- what gatebot says it will do --------------------------------------------------------
def describe(intent: Intent) -> str:  # noqa: PLR0911 - one return per kind of intent
    """One line saying what ``gatebot gate`` will do for ``intent`` (user text escaped)."""
    match intent:
        case Gate1():
            return (f"gate 1 on pull request #{intent.pr} at {intent.head_sha[:12]} "
                    f"({_safe(intent.head_ref)} into {_safe(intent.base_ref)}; {intent.action})")
        case ReviewChanged():
            who = _safe(intent.author.login) if intent.author else "a deleted account"
            return (f"approvals of pull request #{intent.pr} at {intent.head_sha[:12]}: review "
                    f"{intent.review_id} by {who} {intent.state.lower()} on "
                    f"{intent.commit_id[:12]} ({intent.action})")
        case TaskOpened():
            return f"issue #{intent.issue} becomes a READY task (status:ready)"
        case ClaimCommand():
            return (f"{_command_text(intent.command)} on issue #{intent.issue} by "
                    f"{_safe(intent.actor.login)} (id {intent.actor.id}, comment "
                    f"{intent.comment_id})")
        case CommandRefused():
            return (f"{_safe(intent.verb)} on issue #{intent.issue} by "
                    f"{_safe(intent.actor.login)} refused: {intent.reason}")
        case Sweep():
            return "sweep: record newly stale claims"
        case SweepAndSync():
            return "sweep: record newly stale claims, then write the board from the live state"
        case PublishVerdict():
            return (f"publish the gate-1 verdict of workflow run {intent.run_id} on "
                    f"{intent.head_sha[:12]} (from {_safe(intent.head_repo)})")
        case ReviewRun():
            pulls = ", ".join(f"#{n}" for n in intent.pulls) or "none listed: a fork's"
            return (f"the review step after workflow run {intent.run_id} of gatebot-review.yml "
                    f"on {intent.head_sha[:12]} (from {_safe(intent.head_repo)}; pull requests: "
                    f"{pulls}), every review read again from GitHub")
        case Nothing():
            return f"nothing to do: {intent.reason}"
        case _:
            assert_never(intent)


def _command_text(command: Command) -> str:
    match command:
        case Heartbeat():
            parts = [command.verb, *([f"{command.progress}%"] if command.progress is not None
                                     else []), *([_safe(command.note)] if command.note else [])]
            return " ".join(parts)
        case _:
            return command.verb
