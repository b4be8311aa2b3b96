"""The fake GitHub's state: users, one repository's issues, labels, pull requests and the rest.

Ids come from one counter per kind and only increase; times come from a controllable
``Clock`` (the same clock writes the ``Date`` header). Refs and commits are not here: they are
read from the bare repository (``gitrepo.BareRepo``) on every request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakegithub.gitrepo import BareRepo


class Clock:
    """The server's clock: real UTC time shifted by ``advance``, or frozen by ``set``."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The server's current time, timezone-aware UTC, whole seconds (as GitHub reports)."""
        now = self._frozen or datetime.now(UTC) + self._offset
        return now.replace(microsecond=0)

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (frozen or not)."""
        if self._frozen is not None:
            self._frozen += timedelta(seconds=seconds)
        self._offset += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        """Freeze the clock at ``when`` (aware); ``advance`` still moves it."""
        self._frozen = when.astimezone(UTC)


@dataclass
class User:
    """A GitHub account: ``type`` is ``"User"`` or ``"Bot"`` (bots' logins end in ``[bot]``)."""

    id: int
    login: str
    type: str
    name: str | None
    email: str | None
    token: str
    created_at: datetime
    app_id: int | None = None

    @property
    def is_bot(self) -> bool:
        """Whether GitHub reports this account as a bot."""
        return self.type == "Bot"


@dataclass
class Label:
    """A repository label (``color``: six hex digits, no ``#``)."""

    id: int
    name: str
    color: str
    description: str | None


@dataclass
class Comment:
    """An issue (or pull request conversation) comment."""

    id: int
    issue: int
    user: int
    body: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Event:
    """An issue event: ``labeled``/``unlabeled`` (``label``) or ``assigned``/``unassigned``."""

    id: int
    issue: int
    actor: int
    event: str
    created_at: datetime
    label: str | None = None
    assignee: int | None = None


@dataclass
class PullRequest:
    """The pull request part of an issue: head and base are branch names in the bare repo.

    ``head_sha``/``base_sha`` are read from git while the pull request is open; they are
    frozen (as GitHub keeps them) once it is closed or merged.
    """

    head: str
    base: str
    draft: bool = False
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: int | None = None
    merge_commit_sha: str | None = None
    frozen_head_sha: str | None = None
    frozen_base_sha: str | None = None
    fork: str | None = None
    """A fork's owner login: the head branch is in that fork, so the base repository has the
    head only at ``refs/pull/<N>/head`` (``head_git_ref``), as on GitHub."""
    head_git_ref: str | None = None


@dataclass
class Issue:
    """An issue, or a pull request when ``pull`` is set (they share the number space)."""

    number: int
    id: int
    title: str
    body: str | None
    user: int
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[int] = field(default_factory=list)
    pull: PullRequest | None = None


@dataclass
class Review:
    """A pull request review bound to ``commit_id`` (state as GitHub reports it)."""

    id: int
    pull: int
    user: int
    body: str
    state: str
    commit_id: str
    submitted_at: datetime | None


@dataclass
class Annotation:
    """One check-run annotation (GitHub's field names)."""

    path: str
    start_line: int
    end_line: int
    annotation_level: str
    message: str
    title: str | None = None
    raw_details: str | None = None
    start_column: int | None = None
    end_column: int | None = None


@dataclass
class CheckRun:
    """A check run on ``head_sha``, created by the GitHub App of bot ``app_user``."""

    id: int
    name: str
    head_sha: str
    app_user: int
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None
    details_url: str | None = None
    external_id: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class Status:
    """A commit status: ``state`` in error/failure/pending/success, latest per ``context`` wins."""

    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Dispatch:
    """A ``workflow_dispatch`` event: the workflow (file name or id), the ref, the inputs."""

    workflow: str
    ref: str
    inputs: dict[str, str]
    by: int


class State:
    """Everything the fake serves for one repository ``owner/name`` backed by ``git``.

    Mutated only under ``lock`` (the server takes it around each request, so requests apply
    one at a time, in arrival order, as GitHub serialises writes to one object).
    """

    def __init__(self, owner: str, name: str, git_dir: Path) -> None:
        self.lock = threading.RLock()
        self.clock = Clock()
        self.owner_login = owner
        self.name = name
        self.git = BareRepo(git_dir)
        self.default_branch = "main"
        self.repo_id = 700_000_001
        self.created_at = self.clock.now()
        self._ids: dict[str, int] = {}
        self.users: dict[int, User] = {}
        self.labels: dict[str, Label] = {}
        self.issues: dict[int, Issue] = {}
        self.comments: dict[int, Comment] = {}
        self.events: list[Event] = []
        self.reviews: dict[int, Review] = {}
        self.check_runs: dict[int, CheckRun] = {}
        self.statuses: list[Status] = []
        self.dispatches: list[Dispatch] = []
        self.workflow_runs: dict[int, dict[str, object]] = {}
        """A workflow run's id → its fields as the Actions API gives them (``path``,
        ``event``, ``head_branch``, ``display_title``, ``conclusion``…): the runs a test
        played."""
        self.roles: dict[int, str] = {}
        """A user id → its role on the repository (admin, maintain, write, triage, read);
        the owner is admin, anyone else not listed has read (a public repository)."""
        self.app_keys: dict[int, str] = {}
        """A GitHub App's id → the public key (PEM) its JWTs are verified with."""
        self.installation_tokens: dict[str, int] = {}
        """An installation token → the id of the App's bot account it acts as."""
        self.next_number = 1

    def new_id(self, kind: str) -> int:
        """The next id of ``kind``: strictly increasing, distinct ranges per kind."""
        bases = {"user": 1000, "app": 90_000, "label": 5_000_000, "issue": 2_000_000_000,
                 "comment": 3_000_000_000, "event": 4_000_000_000, "review": 1_500_000_000,
                 "check": 6_000_000_000, "status": 7_000_000_000}
        self._ids[kind] = self._ids.get(kind, bases[kind]) + 1
        return self._ids[kind]

    def add_user(self, login: str, *, bot: bool = False, name: str | None = None,
                 email: str | None = None) -> User:
        """Create an account; a bot's login gets the ``[bot]`` suffix GitHub gives it."""
        if bot and not login.endswith("[bot]"):
            login += "[bot]"
        uid = self.new_id("user")
        user = User(
            id=uid, login=login, type="Bot" if bot else "User", name=name, email=email,
            token=f"ghs_fake{uid}" if bot else f"ghp_fake{uid}", created_at=self.clock.now(),
            app_id=self.new_id("app") if bot else None,
        )
        self.users[uid] = user
        return user

    def user_by_login(self, login: str) -> User | None:
        """The account with ``login`` (case-insensitive, as GitHub matches logins)."""
        return next((u for u in self.users.values() if u.login.lower() == login.lower()), None)

    def user_by_token(self, token: str) -> User | None:
        """The account a token (or an installation token) authenticates, or ``None``."""
        if token in self.installation_tokens:
            return self.users[self.installation_tokens[token]]
        return next((u for u in self.users.values() if u.token == token), None)

    def user_by_email(self, email: str) -> User | None:
        """The account GitHub links to a commit email (its own or its ``ID+login@users.noreply``
        address), or ``None``."""
        return next((u for u in self.users.values() if email.lower() in (
            (u.email or "").lower(), f"{u.id}+{u.login}@users.noreply.github.com".lower())), None)

    def label(self, name: str) -> Label | None:
        """The repository label ``name`` (case-insensitive), or ``None``."""
        return next((lb for lb in self.labels.values() if lb.name.lower() == name.lower()), None)

    def add_label(self, name: str, color: str = "ededed",
                  description: str | None = None) -> Label:
        """Create a repository label (the caller checks that it is new)."""
        label = Label(self.new_id("label"), name, color, description)
        self.labels[name] = label
        return label

    def new_issue(self, title: str, body: str | None, user: int,
                  pull: PullRequest | None = None) -> Issue:
        """Open an issue (or pull request) with the next number."""
        now = self.clock.now()
        issue = Issue(number=self.next_number, id=self.new_id("issue"), title=title, body=body,
                      user=user, created_at=now, updated_at=now, pull=pull)
        self.issues[issue.number] = issue
        self.next_number += 1
        return issue

    def record(self, issue: Issue, actor: int, event: str, *, label: str | None = None,
               assignee: int | None = None) -> None:
        """Append an issue event and touch the issue's ``updated_at``."""
        now = self.clock.now()
        self.events.append(Event(self.new_id("event"), issue.number, actor, event, now,
                                 label=label, assignee=assignee))
        issue.updated_at = now

    def head_sha(self, pull: PullRequest) -> str:
        """The pull request's head SHA: the branch tip in git while open, else as frozen."""
        if pull.frozen_head_sha:
            return pull.frozen_head_sha
        return self.git.ref(pull.head_git_ref or f"refs/heads/{pull.head}") or "0" * 40

    def base_sha(self, pull: PullRequest) -> str:
        """The base branch's tip in git while open, else as frozen."""
        if pull.frozen_base_sha:
            return pull.frozen_base_sha
        return self.git.ref(f"refs/heads/{pull.base}") or "0" * 40

    def close_or_reopen(self, issue: Issue, state: str) -> None:
        """Set ``state`` (``open``/``closed``); a closed pull request keeps the SHAs it had."""
        if state == issue.state:
            return
        now = self.clock.now()
        pull = issue.pull
        if pull and state == "closed":
            pull.frozen_head_sha, pull.frozen_base_sha = self.head_sha(pull), self.base_sha(pull)
        elif pull:
            pull.frozen_head_sha = pull.frozen_base_sha = None
        issue.state, issue.updated_at = state, now
        issue.closed_at = now if state == "closed" else None
        issue.state_reason = "completed" if state == "closed" else "reopened"

    def sync_merged(self, issue: Issue) -> None:
        """Mark an open pull request merged when its head reached its base (a pushed merge).

        GitHub does this when the head commit becomes reachable from the base branch.
        """
        pull = issue.pull
        if pull is None or issue.state != "open":
            return
        head, base = self.head_sha(pull), self.base_sha(pull)
        if head != "0" * 40 and base != "0" * 40 and head != base and \
                self.git.is_ancestor(head, base):
            now = self.clock.now()
            pull.merged, pull.merged_at, pull.merge_commit_sha = True, now, base
            pull.frozen_head_sha, pull.frozen_base_sha = head, base
            issue.state, issue.closed_at, issue.updated_at = "closed", now, now
