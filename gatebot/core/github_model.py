"""The protocol's GitHub shapes, pure: labels, task links, claim comments, approvals, sticky text.

In the ``github`` forge (docs/protocol.md, "GitHub mode") a task is an issue, its stage is
exactly one ``status:*`` label, a claim is the ``claimed`` label plus one comment that holds
the claim record as JSON in a hidden HTML block, approvals are pull request reviews bound to
the head SHA, and a verdict is a check run plus one sticky pull request comment. Everything
here decides on values the adapter read; nothing touches the network or the clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from gatebot.core.board import Stage
from gatebot.core.claims import ClaimRecord
from gatebot.core.protocol import TASK_BRANCH
from gatebot.errors import BoardError


@dataclass(frozen=True)
class LabelSpec:
    """A repository label gatebot uses: ``name``, ``color`` (six hex digits), ``description``."""

    name: str
    color: str
    description: str


STAGE_LABELS: dict[Stage, LabelSpec] = {
    Stage.READY: LabelSpec("status:ready", "0e8a16", "Ready: anyone may claim it"),
    Stage.IN_PROGRESS: LabelSpec("status:in-progress", "fbca04", "In progress: a builder holds the claim"),
    Stage.REVIEW: LabelSpec("status:review", "1d76db", "In review: waiting for gate 1"),
    Stage.RDY_FOR_PROD: LabelSpec("status:rdy-for-prod", "5319e7",
                                  "Ready for production: gate 1 passed, waiting for gate 2"),
    Stage.RELEASED: LabelSpec("status:released", "0052cc", "Released: gate 2 passed, landed"),
}
CLAIMED = LabelSpec("claimed", "c5def5", "Someone holds the claim on this task")
STALE = LabelSpec("stale", "d4c5f9", "The claim's heartbeat lapsed")
ESCALATED = LabelSpec("escalated", "b60205", "Needs a person: gatebot could not decide")
CRITICAL = LabelSpec("critical", "e11d21", "Emergency fast-track")
LABELS: tuple[LabelSpec, ...] = (*STAGE_LABELS.values(), CLAIMED, STALE, ESCALATED, CRITICAL)
STAGE_PREFIX = "status:"
_BY_LABEL = {spec.name: stage for stage, spec in STAGE_LABELS.items()}


def stage_label(stage: Stage) -> str:
    """The label name of ``stage`` (``Stage.RDY_FOR_PROD`` → ``status:rdy-for-prod``)."""
    return STAGE_LABELS[stage].name


def stage_of_labels(number: int, names: Iterable[str]) -> Stage | None:
    """The stage issue ``number``'s labels name: None for no ``status:*`` label.

    Raises ``BoardError`` (exit 2) for two or more stage labels, or an unknown ``status:*``
    label: gatebot does not guess which one is meant.
    """
    stages = [n for n in names if n.lower().startswith(STAGE_PREFIX)]
    unknown = [n for n in stages if n.lower() not in _BY_LABEL]
    if unknown:
        raise BoardError(f"issue #{number} has the label {unknown[0]}, which names no stage",
                         f"use one of {', '.join(_BY_LABEL)} and remove the other")
    if len(stages) > 1:
        raise BoardError(f"issue #{number} has {len(stages)} stage labels: {', '.join(stages)}",
                         "remove all but the one that names the task's stage")
    return _BY_LABEL[stages[0].lower()] if stages else None


# -- which task a pull request belongs to ------------------------------------------------
_CLOSING = re.compile(r"(?i)(?<![\w-])(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#([1-9][0-9]{0,8})\b")


def closing_numbers(body: str | None) -> tuple[int, ...]:
    """The issue numbers ``body`` closes with GitHub's keywords (``Closes #4``, ``fixes: #5``)."""
    return tuple(dict.fromkeys(int(m) for m in _CLOSING.findall(body or "")))


def task_of_pull(branch: str, body: str | None) -> int | None:
    """The task a pull request belongs to: its ``task/N-…`` branch, else its one closing keyword.

    A body that closes several issues names no single task (None), nor does a branch of
    another shape with no closing keyword.
    """
    matched = TASK_BRANCH.match(branch)
    if matched and not matched.group(1).startswith("0"):
        return int(matched.group(1))
    numbers = closing_numbers(body)
    return numbers[0] if len(numbers) == 1 else None


# -- claim comments --------------------------------------------------------------------------
CLAIM_OPEN = "<!-- gatebot:claim"
CLAIM_CLOSE = "-->"
_CLAIM_BLOCK = re.compile(r"<!-- gatebot:claim\n(.*?)\n-->", re.DOTALL)


def hidden_json(data: object) -> str:
    """``data`` as JSON safe inside an HTML comment: ``<``, ``>`` and ``&`` are escaped."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def claim_comment(record: ClaimRecord) -> str:
    """The claim comment's Markdown: one visible line and the record in a hidden block."""
    visible = (f"🔒 Claimed by @{record.session_name} since {_stamp(record.started_at)}; "
               f"last heartbeat {_stamp(record.heartbeat_last)} "
               f"({record.progress_percent}%). Managed by gatebot: do not edit.")
    return f"{visible}\n\n{CLAIM_OPEN}\n{hidden_json(record.model_dump(mode='json'))}\n{CLAIM_CLOSE}\n"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_claim_comment(body: str | None) -> ClaimRecord | None:
    """The claim record in a comment's hidden block, or None when it holds no valid record."""
    found = _CLAIM_BLOCK.search(body or "")
    if not found:
        return None
    try:
        return ClaimRecord.model_validate_json(found.group(1))
    except (ValueError, ValidationError):
        return None


def session_id(user_id: int) -> str:
    """The claim record's ``session_id`` of GitHub user ``user_id``: ``github-<id>``."""
    return f"github-{user_id}"


@dataclass(frozen=True)
class ClaimComment:
    """A claim comment as read: comment ``id``, author ``(user id, login)``, server time, record."""

    id: int
    author_id: int
    author_login: str
    created_at: datetime
    record: ClaimRecord


def counts(comment: ClaimComment, bot_id: int | None) -> bool:
    """Whether a claim comment is genuine: gatebot's own account (``bot_id``) wrote it.

    Anyone can type a claim block into a comment, for themself or for someone else; only a
    comment whose author GitHub reports as gatebot's account (by numeric id) is a claim, and
    only while its record is ``claiming`` or ``active``. ``bot_id`` None: nothing counts.
    """
    if bot_id is None or comment.author_id != bot_id:
        return False
    return comment.record.status in ("claiming", "active")


def holder(comments: Sequence[ClaimComment], bot_id: int | None) -> ClaimComment | None:
    """The claim that wins: the oldest genuine one by the server's ``created_at``, then its id."""
    genuine = [c for c in comments if counts(c, bot_id)]
    return min(genuine, key=lambda c: (c.created_at, c.id), default=None)


# -- identity and approvals --------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    """A GitHub account as the API reports it: numeric ``id``, ``login``, whether it is a bot.

    ``id`` is None for a commit email GitHub links to no account (``login`` holds the email).
    """

    id: int | None
    login: str
    bot: bool = False

    @property
    def key(self) -> str:
        """What identifies the person: ``id:<n>``, or ``email:<address>`` lower-cased."""
        return f"id:{self.id}" if self.id is not None else f"email:{self.login.lower()}"


def is_bot(login: str, kind: str | None) -> bool:
    """Whether an account is a bot: ``type == "Bot"`` or a ``[bot]`` login."""
    return kind == "Bot" or login.lower().endswith("[bot]")


_CO_AUTHOR = re.compile(r"(?im)^co-authored-by:[^<\n]*<([^>\s]+)>[ \t]*$")
_NOREPLY = re.compile(r"(?i)^([0-9]+)\+([A-Za-z0-9-]+(?:\[bot\])?)@users\.noreply\.github\.com$")


def co_authors(message: str | None) -> tuple[Person, ...]:
    """The people a commit message's ``Co-authored-by: Name <email>`` trailers name.

    GitHub's ``ID+login@users.noreply.github.com`` address names the account (id, login);
    any other address is an email ``Person`` (id None). Co-authors build the change like its
    author (docs/protocol.md, "Who may review"): a co-author's approval must not count.
    """
    found = []
    for email in _CO_AUTHOR.findall(message or ""):
        linked = _NOREPLY.match(email)
        found.append(Person(int(linked.group(1)), linked.group(2), is_bot(linked.group(2), None))
                     if linked else Person(None, email))
    return tuple(found)


@dataclass(frozen=True)
class ReviewFact:
    """One submitted pull request review: id, author, ``state``, the ``commit_id`` it saw.

    ``submitted_at``: when it was submitted (GitHub's ``submitted_at``, aware UTC; None when
    GitHub gave no time).
    """

    id: int
    author: Person
    state: str
    commit_id: str
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class Approvals:
    """Who approved the head: the gate-1 and gate-2 reviewers, and whose approval did not count.

    ``not_counted`` pairs a login with the reason, for the sticky comment. ``at``: when the
    approvals counted so far were complete, the later ``submitted_at`` of gate 1's and gate
    2's reviews (gate 1's alone while there is no gate 2; None without a time): the merge
    queue's approval order (docs/queue.md).
    """

    gate1: Person | None
    gate2: Person | None
    not_counted: tuple[tuple[str, str], ...]
    at: datetime | None = None


def decide_approvals(reviews: Sequence[ReviewFact], builders: Iterable[Person],
                     head: str, *, unverified: Sequence[str] = (),
                     blocked: str | None = None) -> Approvals:
    """Approvals of ``head`` (docs/protocol.md, "Who may review").

    Each reviewer's latest APPROVED / CHANGES_REQUESTED / DISMISSED review stands; it counts
    when it approves ``head`` exactly, and its author is no bot and no builder. The first such
    reviewer is gate 1's; the next different one is gate 2's. ``unverified``: co-author emails
    linked to no known account (docs/github.md, "Co-authors"); while there is one, no
    approval counts, since any reviewer might be that co-author: fail closed. ``blocked``:
    another reason no approval counts (the note each approver gets), e.g. the last pusher is
    not known.
    """
    banned = {b.key for b in builders}
    latest: dict[str, ReviewFact] = {}
    for review in reviews:
        if review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest.pop(review.author.key, None)
            latest[review.author.key] = review
    counted: list[ReviewFact] = []
    refused: list[tuple[str, str]] = []
    for review in latest.values():
        if review.state != "APPROVED" or review.commit_id != head:
            continue
        reason = _not_counted(review.author, banned)
        if reason:
            refused.append((review.author.login, reason))
        else:
            counted.append(review)
    if unverified:
        refused += [(r.author.login, _unverified_text(unverified)) for r in counted]
        counted = []
    if blocked:
        refused += [(r.author.login, blocked) for r in counted]
        counted = []
    pair = counted[:2]
    times = [r.submitted_at for r in pair if r.submitted_at is not None]
    return Approvals(pair[0].author if pair else None, pair[1].author if len(pair) > 1 else None,
                     tuple(refused), max(times) if times and len(times) == len(pair) else None)


def _unverified_text(emails: Sequence[str]) -> str:
    named = ", ".join(f"`{e.replace('`', '')}`" for e in emails)
    return (f"not counted: the co-author {named} is linked to no GitHub account gatebot can "
            "see, so any reviewer might be them; use the co-author's "
            "ID+login@users.noreply.github.com address, or remove the trailer")


def _not_counted(author: Person, banned: set[str]) -> str | None:
    if author.bot:
        return "a bot: not counted"
    if author.key in banned:
        return "built this change: not counted"
    return None


# -- the sticky comment --------------------------------------------------------------------------
STICKY_MARKER = "<!-- gatebot:sticky -->"
COMMENT_LIMIT = 65_536
_STATE = re.compile(r"<!-- gatebot:state\n(.*?)\n-->", re.DOTALL)


SECTIONS = ("gate-1", "gate-2", "reviews")
"""The sticky comment's sections, in order: each gate's verdict (written by whoever publishes
that gate) and the review notes (written by the review event). A writer replaces its own
section and keeps the others as they are."""
_SECTION = re.compile(r"^<!-- gatebot:section (gate-1|gate-2|reviews) -->$", re.MULTILINE)


def sticky_sections(body: str | None) -> dict[str, str]:
    """The sections of a sticky comment's visible text, by name (``SECTIONS``).

    Text outside any section (a comment written before sections existed) is dropped.
    """
    visible = (body or "").split(f"\n{STICKY_MARKER}\n", 1)[0]
    parts = _SECTION.split(visible)
    return {name: text.strip("\n") for name, text in zip(parts[1::2], parts[2::2], strict=True)
            if text.strip()}


def sticky_text(sections: dict[str, str]) -> str:
    """The visible Markdown of ``sections`` (name → text), in ``SECTIONS`` order."""
    return "\n\n".join(f"<!-- gatebot:section {name} -->\n{sections[name].strip(chr(10))}"
                       for name in SECTIONS if sections.get(name, "").strip()) + "\n"


def sticky_body(markdown: str, state: dict[str, object], log_url: str | None) -> str:
    """The sticky comment: marker, ``markdown`` cut to fit GitHub's 65,536 characters, state.

    ``state`` (JSON-able) is kept in a hidden block so the next run can tell what is already
    published. A cut ends at a line boundary, closes an open code fence and links ``log_url``.
    """
    tail = f"\n{STICKY_MARKER}\n<!-- gatebot:state\n{hidden_json(state)}\n-->\n"
    return cut_markdown(markdown, COMMENT_LIMIT - len(tail) - 1, log_url) + tail


def cut_markdown(text: str, limit: int, log_url: str | None) -> str:
    """``text`` cut to at most ``limit`` characters.

    Unchanged when it fits; else its longest whole-line prefix that fits with a closing code
    fence (when one is open) and a note linking ``log_url``.
    """
    if len(text) <= limit:
        return text
    note = ("\n\n… cut to fit GitHub's comment limit; the full log: " + log_url) if log_url \
        else "\n\n… cut to fit GitHub's comment limit; the full log is in the job's output."
    room = max(limit - len(note) - len("\n```"), 0)
    kept = text[:room]
    if "\n" in kept:
        kept = kept[: kept.rfind("\n")]
    if kept.count("```") % 2:
        kept += "\n```"
    return kept + note


def sticky_state(body: str | None) -> dict[str, object]:
    """The hidden state of a sticky comment (empty when it has none or it does not parse)."""
    found = _STATE.search(body or "")
    if not found:
        return {}
    try:
        data = json.loads(found.group(1))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# -- replies to refused comment commands -------------------------------------------------------
def reply_marker(comment_id: int) -> str:
    """The hidden marker of gatebot's reply to comment ``comment_id`` (one reply per comment)."""
    return f"<!-- gatebot:reply {comment_id} -->"


def refusal_reply(comment_id: int, login: str, verb: str, reason: str, hint: str) -> str:
    """The answer to a comment command gatebot did not obey: who, which command, why, what next.

    ``reason`` and ``hint`` are shown as text, never as Markdown (they may quote a title).
    """
    def text(value: str) -> str:
        flat = " ".join(value.split())
        for ch in "\\`*_[]<>|#~!":
            flat = flat.replace(ch, "\\" + ch)
        return flat

    command = re.sub(r"[^a-z-]", "", verb.lower())
    lines = [f"@{login} `/{command}` was not done: {text(reason)}"]
    if hint:
        lines.append(f"What to do: {text(hint)}")
    return "\n\n".join(lines) + f"\n\n{reply_marker(comment_id)}\n"
