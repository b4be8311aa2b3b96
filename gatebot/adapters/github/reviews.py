"""What a pull request's reviews mean now, read from GitHub after a review event.

``read_reviews`` reads the pull request again (never the event's copy): its head, commits and
reviews, its task's issue (stage label and claimants), and whether gate 1's automated verdict
passed on the head (the ``gatebot/gate-1`` check run, else the commit status of that context,
counted only when gatebot's own account made it: anyone who may write statuses could post one).
``note_reviews`` writes who counts and whose approval does not ("X built this change: not
counted") into the sticky comment's "reviews" section, editing only when the text changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from github.Issue import Issue

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.gate import reviews_section
from gatebot.adapters.github.identity import (
    ACTIONS_BOT,
    PullFacts,
    approvals,
    builders,
    head_approved,
    read_pull,
)
from gatebot.adapters.github.identity import claimants as claimants_of
from gatebot.adapters.github.labels import issue_stage, read_task_issue
from gatebot.adapters.github.verdicts import (
    by_gatebot,
    failed_rules,
    pushers_of,
    stickies,
    write_sticky,
)
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

GATE1 = "gatebot/gate-1"
NO_PUSHER = ("not counted: gate 1 has not run on this head, so gatebot does not know who "
             "pushed it (the last pusher is a builder); wait for gate 1's verdict, or push "
             "again to run it")


@dataclass(frozen=True)
class PullReviews:
    """A pull request and its task as GitHub has them now.

    ``issue`` is None when the pull request names no task; ``stage`` its stage label;
    ``builders`` everyone who built the change (claimants, author, commit people);
    ``gate1_failed`` the rules gate 1's published verdict on the head failed (None: unknown).
    """

    facts: PullFacts
    issue: Issue | None
    stage: Stage | None
    builders: tuple[Person, ...]
    approvals: Approvals
    gate1_green: bool
    gate1_failed: tuple[str, ...] | None = None


def read_reviews(conn: Connection, number: int, bot: Person) -> PullReviews:
    """Read pull request ``number`` and its task again (module doc); ``bot``: gatebot's account.

    Raises ``EnvironmentProblem`` (exit 2) on GitHub errors, ``BoardError`` (exit 2) when the
    task's issue has two stage labels.
    """
    facts = read_pull(conn, number)
    task = task_of_pull(facts.branch, facts.body)
    issue = None
    if task is not None:
        issue = read_task_issue(conn, task)
    with translated(conn.secrets, "reading who held the task"):
        claimants = claimants_of(issue, history=head_approved(facts)) if issue else ()
    green, pushers = gate1_record(conn, facts.head, bot)
    sticky = [] if green else stickies(conn, number, bot)
    failed = failed_rules(sticky[0].body, "gate-1", facts.head) if sticky else None
    blocked = None if pushers else NO_PUSHER
    return PullReviews(facts, issue, issue_stage(issue) if issue else None,
                       builders(facts, (*claimants, *pushers)),
                       approvals(facts, (*claimants, *pushers), blocked=blocked), green, failed)


def gate1_green(conn: Connection, head: str, bot: Person) -> bool:
    """Whether gate 1's newest verdict on ``head`` by gatebot passed (``gate1_record``)."""
    return gate1_record(conn, head, bot)[0]


def gate1_record(conn: Connection, head: str, bot: Person) -> tuple[bool, tuple[Person, ...]]:
    """Whether gate 1's newest verdict on ``head`` by gatebot passed, and who pushed ``head``.

    The verdict is a check run, else a status; the pushers are as it records them
    (``verdicts.pushers_of``; empty when there is no verdict or it names nobody).

    With gatebot's GitHub App configured (``GATEBOT_GITHUB_APP_ID``) only a check run that
    App made counts (its ``app.id``), and no commit status does. Otherwise a check run counts
    when the App behind ``bot`` made it (its ``app.slug`` is the bot's login without
    ``[bot]``), a commit status when ``bot`` created it. A verdict of the same name by anyone
    else (another App, a collaborator with ``statuses: write``) is no proof that gatebot's
    rules ran. As ``github-actions[bot]`` any workflow of the repository could have written
    it, which is said on stderr (docs/github.md, "Run gatebot as its own GitHub App").
    """
    app_id = conn.settings.app_id
    if app_id is None and bot.login == ACTIONS_BOT:
        conn.report("gate 1's verdict is trusted from github-actions[bot], which any workflow "
                    "of this repository can write as: run gatebot as its own GitHub App and "
                    "set GATEBOT_GITHUB_APP_ID")
    with translated(conn.secrets, f"reading gate 1's verdict on {head[:12]}"):
        commit = conn.repo.get_commit(head)
        runs = [run for run in commit.get_check_runs(check_name=GATE1, filter="latest")
                if by_gatebot(run.app, app_id, bot)]
        if runs:
            return (runs[0].status == "completed" and runs[0].conclusion == "success",
                    pushers_of(runs[0].external_id))
        if app_id is not None:
            return False, ()
        _, listed = conn.gh.requester.requestJsonAndCheck(
            "GET", f"{conn.repo.url}/commits/{head}/statuses", parameters={"per_page": 100})
    mine = [s for s in listed if s.get("context") == GATE1
            and (s.get("creator") or {}).get("id") == bot.id]
    if not mine:
        return False, ()
    return mine[0].get("state") == "success", pushers_of(mine[0].get("description"))


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
