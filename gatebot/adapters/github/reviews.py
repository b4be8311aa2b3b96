"""What a pull request's reviews mean now, read from GitHub after a review event.

``read_reviews`` reads the pull request again (never the event's copy): its head, commits and
reviews, its task's issue (stage label and claimants), and gate 1's automated verdict on the
head as far as it counts (``gate1_record.read_gate1``: a check run bound to gatebot's own
publishing run, or a status of gatebot's personal token), with the pushers it records.
``note_reviews`` writes who counts and whose approval does not ("X built this change: not
counted") into the sticky comment's "reviews" section, editing only when the text changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from github.Issue import Issue
from github.PullRequest import PullRequest

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.gate import reviews_section
from gatebot.adapters.github.gate1_record import read_gate1
from gatebot.adapters.github.identity import (
    PullFacts,
    approvals,
    builders,
    head_approved,
    pull_facts,
    read_pull,
    resolve_co_authors,
)
from gatebot.adapters.github.identity import claimants as claimants_of
from gatebot.adapters.github.labels import issue_stage, read_task_issue
from gatebot.adapters.github.verdicts import pushers_of, stickies, write_sticky
from gatebot.core.board import Stage
from gatebot.core.github_model import (
    Approvals,
    Person,
    sticky_body,
    sticky_sections,
    sticky_state,
    sticky_text,
    task_of_pull,
)

NO_PUSHER = ("not counted: gate 1 has not run on this head, so gatebot does not know who "
             "pushed it (the last pusher is a builder); wait for gate 1's verdict, or push "
             "again to run it")


@dataclass(frozen=True)
class PullReviews:
    """A pull request and its task as GitHub has them now.

    ``issue`` is None when the pull request names no task; ``stage`` its stage label;
    ``builders`` everyone who built the change (claimants, author, commit people);
    ``gate1_failed`` the rules gate 1's counted verdict on the head failed (None: it has none).
    """

    facts: PullFacts
    issue: Issue | None
    stage: Stage | None
    builders: tuple[Person, ...]
    approvals: Approvals
    gate1_green: bool
    gate1_failed: tuple[str, ...] | None = None


def read_reviews(conn: Connection, number: int, bot: Person, base: str, *,
                 pull: PullRequest | None = None) -> PullReviews:
    """Read pull request ``number`` and its task again (module doc).

    ``bot``: gatebot's account; ``base``: the configured base branch (gatebot-publish.yml's);
    ``pull``: the pull request when the caller has just read it (one request fewer).

    Raises ``EnvironmentProblem`` (exit 2) on GitHub errors, ``BoardError`` (exit 2) when the
    task's issue has two stage labels.
    """
    if pull is None:
        facts = read_pull(conn, number)
    else:
        with translated(conn.secrets, f"reading pull request #{number}"):
            facts = resolve_co_authors(conn.gh.requester, pull_facts(pull))
    task = task_of_pull(facts.branch, facts.body)
    issue = None
    if task is not None:
        issue = read_task_issue(conn, task)
    with translated(conn.secrets, "reading who held the task"):
        claimants = claimants_of(issue, history=head_approved(facts)) if issue else ()
    record = read_gate1(conn, facts.head, bot, base)
    pushers = pushers_of(*record.external_ids)
    blocked = None if pushers else NO_PUSHER
    return PullReviews(facts, issue, issue_stage(issue) if issue else None,
                       builders(facts, (*claimants, *pushers)),
                       approvals(facts, (*claimants, *pushers), blocked=blocked), record.green,
                       record.failed if record.counted else None)


def note_reviews(conn: Connection, number: int, bot: Person, found: Approvals,
                 head: str) -> bool:
    """Put the review notes of ``found`` (of ``head``) into pull request ``number``'s sticky comment.

    Only its "reviews" section changes: each gate's verdict and the hidden state stay as they
    are; a comment is created when there is none yet. Returns whether anything was written.
    """
    sticky = stickies(conn, number, bot)
    old = sticky[0].body if sticky else ""
    sections = sticky_sections(old)
    sections["reviews"] = reviews_section(found, head)
    if not any(v.strip() for v in sections.values()):
        return False
    body = sticky_body(sticky_text(sections), sticky_state(old), None)
    if body == old:
        return False
    write_sticky(conn, number, bot, sticky, body)
    return True
