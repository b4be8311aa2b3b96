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

from github import GithubException
from github.Issue import Issue
from github.PullRequest import PullRequest

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.gate import reviews_section
from gatebot.adapters.github.gate1_record import GATE1, forget_gate1, read_gate1
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
from gatebot.adapters.github.verdicts import pushers_of, pushers_text, stickies, write_sticky
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


MET = "gate-files=met"
"""In a gate-1 check run's ``external_id``: posted because a maintainer's approval met the
only rule that failed, ``gate-files`` (``sync_gate_files``)."""


def sync_gate_files(conn: Connection, head: str, bot: Person, base: str,
                    maintainer: Person | None) -> bool:
    """Make gate 1's check run on ``head`` say whether a maintainer's approval met ``gate-files``.

    For a head whose counted verdict failed only on ``gate-files`` (the caller checks): with
    ``maintainer`` (the gate-1 reviewer, who has the admin or maintain role) a new
    ``gatebot/gate-1`` check run, success, saying so; when that approval no longer stands
    (``maintainer`` None) after such a run, a failure again. As policy-bot and kodiak turn a
    required check green when the required approval arrives, a branch protection that
    requires ``gatebot/gate-1`` follows. The run names the same publishing runs, so it joins
    their group, where the published failure stays the worst: gatebot's own steps decide
    ``gate-files`` again from the approvals at every review. Returns whether a check run was
    posted (not when it says so already, when the verdict names no publishing run, or when
    the token may not create check runs). Raises ``EnvironmentProblem`` on other errors.
    """
    record = read_gate1(conn, head, bot, base)
    newest_met = bool(record.external_ids) and MET in record.external_ids[0].split()
    if record.ids is None or newest_met == (maintainer is not None):
        return False
    by = f"by={maintainer.id}/{maintainer.login}" if maintainer else "failed=gate-files"
    external_id = " ".join(x for x in (
        "gate-files", pushers_text(pushers_of(*record.external_ids)), record.ids.text(),
        MET if maintainer else "", by) if x)
    title = (f"{GATE1}: pass (gate-files approved by @{maintainer.login})" if maintainer
             else f"{GATE1}: fail (gate-files: no maintainer's approval stands)")
    summary = (f"The only rule that failed, `gate-files`, is met: @{maintainer.login}, who "
               "has the admin or maintain role, approved this head." if maintainer else
               "`gate-files` failed and no approval by a maintainer of this head stands.")
    with translated(conn.secrets, f"posting gate 1's check run on {head[:12]}"):
        try:
            conn.repo.create_check_run(
                GATE1, head, status="completed",
                conclusion="success" if maintainer else "failure", external_id=external_id,
                output={"title": title, "summary": summary})
        except GithubException as exc:
            if exc.status != 403:
                raise
            return False
    forget_gate1(conn, head)
    return True
