"""Who is who on GitHub: the bot itself, a pull request's builders, and its reviews.

Identity is the numeric user id and login GitHub reports — never a name from a file, a comment
body or a commit message. The builders of a pull request (docs/protocol.md, "Who may review")
are its claimants, its author, the account behind every commit author and committer of
``base..head`` (the commit's email where GitHub links no account) and the last pusher.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from github import GithubException
from github.GithubObject import GithubObject
from github.Issue import Issue
from github.NamedUser import NamedUser
from github.PullRequest import PullRequest
from github.Requester import Requester

from gatebot.adapters.github.client import Connection, translated
from gatebot.core.github_model import (
    Approvals,
    Person,
    ReviewFact,
    co_authors,
    decide_approvals,
    is_bot,
)
from gatebot.errors import UsageError

ACTIONS_BOT = "github-actions[bot]"


def person(user: NamedUser) -> Person:
    """The ``Person`` of a PyGithub user (id, login, bot by ``type`` or ``[bot]`` login)."""
    return Person(user.id, user.login, is_bot(user.login, user.type))


def bot_identity(conn: Connection) -> Person:
    """The account gatebot writes as, asked once per connection (``_ask_bot``)."""
    if "bot" not in conn.memo:
        conn.memo["bot"] = _ask_bot(conn)
    found: Person = conn.memo["bot"]
    return found


def _ask_bot(conn: Connection) -> Person:
    """The account gatebot writes as.

    ``Settings.bot_login`` looked up by login when set (one read); else ``GET /user``, and
    for an installation token (403 there) ``github-actions[bot]``, the Actions token's bot.
    Raises ``UsageError`` (exit 2) for a GitHub App's token without ``bot_login``: the App's
    bot cannot be asked for, and ``github-actions[bot]`` would be the wrong account to trust.
    """
    with translated(conn.secrets, "asking GitHub who the token belongs to"):
        if conn.settings.bot_login:
            return person(conn.gh.get_user(conn.settings.bot_login))
        try:
            return person(_me(conn))
        except GithubException as exc:
            if exc.status != 403:
                raise
        if conn.settings.app_id:
            raise UsageError("gatebot runs as a GitHub App but does not know the App's bot "
                             "account, whose comments alone are gatebot's",
                             "set GATEBOT_GITHUB_BOT_LOGIN to the App's bot login "
                             "(<app-slug>[bot])")
        return person(conn.gh.get_user(ACTIONS_BOT))


def _me(conn: Connection) -> NamedUser:
    headers, data = conn.gh.requester.requestJsonAndCheck("GET", "/user")
    return NamedUser(conn.gh.requester, headers, data, completed=True)


@dataclass(frozen=True)
class PullFacts:
    """What a gate needs of a pull request.

    Number, head/base SHAs and branch, author, body,
    the people behind its commits, its submitted reviews in order, and the co-author
    emails linked to no known account (``unverified``: while any remains, no approval counts).
    """

    number: int
    head: str
    base: str
    branch: str
    body: str
    author: Person
    committers: tuple[Person, ...]
    reviews: tuple[ReviewFact, ...]
    unverified: tuple[str, ...] = ()


def read_pull(conn: Connection, number: int) -> PullFacts:
    """Read pull request ``number``: itself, its commits and its reviews (three paged reads).

    Co-author emails linked to no account in the pull request are looked up by public email
    (``resolve_co_authors``: one search each, only when there are any).
    """
    with translated(conn.secrets, f"reading pull request #{number}"):
        return resolve_co_authors(conn.gh.requester, pull_facts(conn.repo.get_pull(number)))


def resolve_co_authors(requester: Requester, facts: PullFacts) -> PullFacts:
    """``facts`` with each unverified co-author email that is an account's public email resolved.

    The account is the one result of ``GET /search/users?q=EMAIL in:email``. GitHub shows an email on a profile only once it is verified, so a match names the owner.
    A private email finds nothing, and a failed search changes nothing: the email stays
    unverified and blocks approvals (fail closed).
    """
    found = {e.lower(): who for e in facts.unverified
             if (who := _by_public_email(requester, e)) is not None}
    if not found:
        return facts
    committers = tuple(found.get(p.login.lower(), p) if p.id is None else p
                       for p in facts.committers)
    unverified = tuple(e for e in facts.unverified if e.lower() not in found)
    return replace(facts, committers=committers, unverified=unverified)


def _by_public_email(requester: Requester, email: str) -> Person | None:
    try:
        _, data = requester.requestJsonAndCheck(
            "GET", "/search/users", parameters={"q": f"{email} in:email"})
    except GithubException:
        return None
    items = data.get("items") or []
    if data.get("total_count") != 1 or len(items) != 1:
        return None
    login = str(items[0].get("login") or "")
    return Person(int(items[0]["id"]), login, is_bot(login, items[0].get("type")))


def pull_facts(pull: PullRequest) -> PullFacts:
    """The ``PullFacts`` of a PyGithub pull request (its commits and reviews: two paged reads).

    Raises PyGithub's ``GithubException`` on GitHub errors (``read_pull`` translates them).
    """
    committers, unverified = _commit_people(pull)
    return PullFacts(pull.number, pull.head.sha, pull.base.sha, pull.head.ref, pull.body or "",
                     person(pull.user), committers, tuple(_reviews(pull)), unverified)


def _commit_people(pull: PullRequest) -> tuple[tuple[Person, ...], tuple[str, ...]]:
    """The people behind ``pull``'s commits, and the co-author emails no account is known for.

    A ``Co-authored-by`` address names an account when it is GitHub's noreply address, or
    when GitHub linked the same email to an account as an author or committer of one of
    these commits. Any other co-author email stays unverified: GitHub links it (or not) to
    an account without saying which through its REST API.
    """
    linked: dict[str, Person] = {}
    people: list[Person] = []
    trailers: list[Person] = []
    for commit in pull.get_commits():
        raw: dict[str, Any] = GithubObject.raw_data.fget(commit)  # type: ignore[attr-defined]  # as listed: no GET per commit
        for role in ("author", "committer"):
            found, email = _account(raw, role)
            people.append(found)
            if found.id is not None and email:
                linked[email] = found
        trailers.extend(co_authors(str((raw.get("commit") or {}).get("message") or "")))
    named = [p if p.id is not None else linked.get(p.login.lower(), p) for p in trailers]
    people += named
    unverified = [p.login for p in named if p.id is None]
    return tuple(people), tuple(dict.fromkeys(unverified))


def _account(raw: dict[str, Any], role: str) -> tuple[Person, str]:
    """The account GitHub linked as a commit's ``role``, else its email; and the email."""
    account = raw.get(role) or {}
    email = str(((raw.get("commit") or {}).get(role) or {}).get("email") or "").lower()
    if account.get("id") is not None:
        login = str(account["login"])
        return Person(int(account["id"]), login, is_bot(login, account.get("type"))), email
    return Person(None, email), email


def _aware(moment: datetime | None) -> datetime | None:
    """``moment`` as aware UTC (PyGithub may hand back a naive UTC time), or None."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _reviews(pull: PullRequest) -> Iterable[ReviewFact]:
    for review in pull.get_reviews():
        if review.user is None or review.state == "PENDING":
            continue
        yield ReviewFact(review.id, person(review.user), review.state, review.commit_id,
                         _aware(review.submitted_at))


MAINTAINER_ROLES = frozenset({"admin", "maintain"})


def maintainers(conn: Connection, logins: Iterable[str]) -> tuple[str, ...]:
    """Those of ``logins`` whose role on the repository is admin or maintain, in order.

    One ``GET /repos/{o}/{r}/collaborators/{login}/permission`` per login (its ``role_name``);
    an account GitHub does not know (404) is no maintainer. Raises ``EnvironmentProblem``
    (exit 2) on other GitHub errors.
    """
    found: list[str] = []
    for login in dict.fromkeys(logins):
        with translated(conn.secrets, f"reading {login}'s permission on the repository"):
            try:
                role = conn.repo.get_collaborator_role_name(login)
            except GithubException as exc:
                if exc.status != 404:
                    raise
                continue
        if role in MAINTAINER_ROLES:
            found.append(login)
    return tuple(found)


def head_approved(facts: PullFacts) -> bool:
    """Whether any review approves the current head: only then do builders decide anything."""
    return any(r.state == "APPROVED" and r.commit_id == facts.head for r in facts.reviews)


def claimants(issue: Issue, *, history: bool = True) -> tuple[Person, ...]:
    """Everyone who ever held task ``issue``: its assignees now and ever (``assigned`` events).

    The events are one paged read, skipped without ``history`` (when no approval of the
    head exists, builders decide nothing and the assignees are enough). A claimant who released, or whose assignment was removed, built part of the change all
    the same: they stay builders. Raises PyGithub's ``GithubException`` on GitHub errors.
    """
    found = {a.id: person(a) for a in issue.assignees}
    for event in issue.get_events() if history else ():
        raw: dict[str, Any] = GithubObject.raw_data.fget(event)  # type: ignore[attr-defined]  # as listed: no GET per event
        who = raw.get("assignee") or {}
        if raw.get("event") == "assigned" and who.get("id") is not None:
            login = str(who.get("login") or "")
            found.setdefault(int(who["id"]), Person(int(who["id"]), login,
                                                    is_bot(login, who.get("type"))))
    return tuple(found.values())


def builders(facts: PullFacts, claimants: Iterable[Person] = (),
             pusher: Person | None = None) -> tuple[Person, ...]:
    """Everyone who built the change: claimants, the author, commit people, the last pusher."""
    found = [*claimants, facts.author, *facts.committers, *([pusher] if pusher else [])]
    unique: dict[str, Person] = {}
    for someone in found:
        unique.setdefault(someone.key, someone)
    return tuple(unique.values())


def approvals(facts: PullFacts, claimants: Iterable[Person] = (),
              pusher: Person | None = None, *, blocked: str | None = None) -> Approvals:
    """The gate-1 and gate-2 approvals of the current head (``decide_approvals``).

    ``blocked``: why no approval counts (each approver is told so), e.g. an unknown pusher.
    """
    return decide_approvals(facts.reviews, builders(facts, claimants, pusher), facts.head,
                            unverified=facts.unverified, blocked=blocked)
