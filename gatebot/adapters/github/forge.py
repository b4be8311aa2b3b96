"""The github forge: ``GitHubForge`` implements ``gatebot.ports.Forge`` over GitHub.

The stage of a task and its flags are labels, claims are claim comments
(``GitHubClaims``), approvals are reviews bound to the head SHA, verdicts are check runs and
the sticky comment, escalations a comment plus the ``escalated`` label. What lives in git —
the base branch's tip, the board files written at release, the landing itself — is the local
forge's (``files``): in GitHub mode ``gatebot merge`` lands by pushing to the git remote.

Every decision is ``gatebot.core.transitions``'; ``apply`` reads the task as GitHub has it
(its issue), asks the decision, and records it as label, assignee and state changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from github import GithubException
from github.Issue import Issue

from gatebot.adapters.github import claims as claim_comments
from gatebot.adapters.github.board import live_tasks
from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.escalations import escalate
from gatebot.adapters.github.identity import (
    bot_identity,
    maintainers,
    person,
)
from gatebot.adapters.github.labels import issue_stage, read_task_issue, set_stage
from gatebot.adapters.github.reviews import read_reviews
from gatebot.adapters.github.verdicts import Publication, publish
from gatebot.adapters.github.writes import (
    add_labels,
    date_header,
    delete_comment,
    edit_comment,
    post_comment,
    remove_label,
)
from gatebot.core.board import Board, Stage, Task, escape_title, single_line
from gatebot.core.board_sync import LiveTask, synced
from gatebot.core.claims import ClaimRecord, flag_key
from gatebot.core.github_model import (
    CLAIMED,
    CRITICAL,
    ESCALATED,
    STALE,
    Person,
    claim_comment,
    session_id,
    stage_label,
    task_of_pull,
)
from gatebot.core.protocol import Identity
from gatebot.core.records import Approval
from gatebot.core.transitions import BoardState, TaskState
from gatebot.errors import BoardError

if TYPE_CHECKING:
    from gatebot.adapters.local import LocalForge
    from gatebot.core.claims import ClaimProblem
    from gatebot.core.escalation import Escalation
    from gatebot.core.records import BoardEvent, Heads
    from gatebot.core.transitions import NewTask, Transition
    from gatebot.core.verdict import Verdict
    from gatebot.ports import Decide, DecideAll

Render = Callable[["Verdict"], str]
ADDS: dict[str, tuple[str, ...]] = {"claimed": (CLAIMED.name,), "escalated": (ESCALATED.name,),
                                    "stale": (STALE.name,)}
DROPS: dict[str, tuple[str, ...]] = {"unclaimed": (CLAIMED.name, STALE.name),
                                     "force-released": (CLAIMED.name, STALE.name),
                                     "submitted": (STALE.name,), "released": (CLAIMED.name,)}


def task_of_issue(issue: Issue) -> Task:
    """The board ``Task`` of an issue: its stage, Assignee and Priority.

    The stage comes from the labels; None for an issue with no ``status:*`` label yet (one
    just opened), which ``gatebot.core.transitions.opened`` makes READY.
    """
    stage = issue_stage(issue)
    section = stage.value if stage else "Not a task yet"
    assignee = ", ".join(a.login for a in issue.assignees) or "None"
    lines = [f"## {section}", "", f"### #{issue.number} {escape_title(issue.title)}",
             f"**Assignee**: {assignee}"]
    if CRITICAL.name in {lb.name for lb in issue.labels}:
        lines.append("**Priority**: critical")
    return Board.parse("\n".join(lines) + "\n").task(issue.number)


class GitHubClaims:
    """``gatebot.ports.ClaimRecords`` over claim comments (``adapters.github.claims``).

    A record written here always names the token's account (``me``): its ``session_id`` is
    ``github-<user id>`` and its ``session_name`` the login, whatever the caller passed.
    """

    settle: tuple[float, float] | None = (0.0, 0.0)
    """No settle wait: GitHub's order decides (the oldest claim comment by ``created_at``,
    then id), and every write is read back at once (``claims.post_claim``)."""

    def __init__(self, conn: Connection, me: Person, bot_id: int | None) -> None:
        """Claims of ``conn``'s repository, written as ``me``."""
        self.conn, self.me, self.bot_id = conn, me, bot_id

    def _mine(self, record: ClaimRecord) -> ClaimRecord:
        return record.model_copy(update={"session_id": session_id(self.me.id or 0),
                                         "session_name": self.me.login})

    def list(self) -> tuple[list[ClaimRecord], list[ClaimProblem]]:
        """The holder of every claimed issue (one read per claimed issue)."""
        with translated(self.conn.secrets, "listing the claimed issues"):
            numbers = [i.number for i in self.conn.repo.get_issues(labels=[CLAIMED.name])]
        held = [claim_comments.read_claims(self.conn, n, self.bot_id).holder for n in numbers]
        return [h.record for h in held if h is not None], []

    def now(self) -> datetime:
        """GitHub's time now: the ``Date`` of one read of the repository.

        Not ``GET /rate_limit``: GitHub Enterprise answers it 404 where rate limits are off.
        """
        with translated(self.conn.secrets, "reading GitHub's clock"):
            headers, _ = self.conn.gh.requester.requestJsonAndCheck("GET", self.conn.repo.url)
        return date_header(headers)

    def record_id(self, session_name: str, task_number: int) -> str:
        """``#N/login``: names a claim in ``remove_ref``."""
        return f"#{task_number}/{session_name}"

    def create(self, record: ClaimRecord,
               replace: Callable[[ClaimRecord], bool] = lambda _r: False) -> str:
        """Post the claim comment; ``Refused`` naming the holder when an older claim wins."""
        with translated(self.conn.secrets, f"reading issue #{record.number}"):
            issue = self.conn.repo.get_issue(record.number)
        found = claim_comments.read_claims(self.conn, record.number, self.bot_id)
        mine = self._mine(record).model_copy(update={"started_at": found.now,
                                                     "heartbeat_last": found.now})
        if found.holder and found.holder.record.session_id == mine.session_id:
            if not replace(found.holder.record):
                raise FileExistsError(self.record_id(mine.session_name, mine.number))
            edit_comment(self.conn, found.holder.id, claim_comment(mine))
            return f"comment:{found.holder.id}"
        return f"comment:{claim_comments.post_claim(self.conn, issue, mine, self.bot_id)}"

    def _held(self, session_name: str, task_number: int
              ) -> tuple[int, ClaimRecord, datetime] | None:
        """The genuine claim comment of ``session_name`` on the task: (id, record, server time).

        Only gatebot's own comments are read (``read_claims``): a comment anyone typed with
        the same ``session_name`` is never edited or removed as if it were the claim.
        """
        found = claim_comments.read_claims(self.conn, task_number, self.bot_id)
        return next(((c.id, c.record, found.now) for c in found.comments
                     if c.record.session_name == session_name), None)

    def update(self, session_name: str, task_number: int,
               change: Callable[[ClaimRecord], ClaimRecord]) -> ClaimRecord:
        """Edit the claim comment to ``change(current)``; ``FileNotFoundError`` when gone.

        A new heartbeat is stamped with GitHub's time (the ``Date`` of the read), not the
        local clock: staleness is judged against the server's clock.
        """
        held = self._held(session_name, task_number)
        if held is None:
            raise FileNotFoundError(self.record_id(session_name, task_number))
        new = change(held[1])
        if new.heartbeat_last != held[1].heartbeat_last:
            new = new.model_copy(update={"heartbeat_last": held[2]})
        edit_comment(self.conn, held[0], claim_comment(new))
        return new

    def remove(self, session_name: str, task_number: int,
               expect: ClaimRecord | None = None) -> bool:
        """Delete the claim comment; False when gone or no longer ``expect``."""
        held = self._held(session_name, task_number)
        if held is None or (expect is not None and held[1] != expect):
            return False
        delete_comment(self.conn, held[0])
        return True

    def remove_ref(self, ref: str, expect: ClaimRecord | None = None) -> bool:
        """``remove`` by a ``record_id``."""
        number, _, name = ref.removeprefix("#").partition("/")
        return self.remove(name, int(number), expect)


class GitHubForge:
    """``gatebot.ports.Forge`` on GitHub (module doc); ``files`` is the base branch in git."""

    name = "github"

    def __init__(self, files: LocalForge, connect: Callable[[], Connection],
                 render: Render, *, acting: Person | None = None) -> None:
        """Build the forge over ``files``.

        ``connect()`` opens the connection when first needed; ``render`` makes a verdict's
        Markdown (the sticky comment and the check run's summary); ``acting``: the account
        claims are made for when it is not the token's (a claim command's author).
        """
        self.files, self._connect, self.render = files, connect, render
        self.acting = acting
        self.branch, self.remote = files.branch, files.remote

    @cached_property
    def conn(self) -> Connection:
        """The connection to GitHub, opened on first use."""
        return self._connect()

    @cached_property
    def bot(self) -> Person:
        """The account gatebot writes as."""
        return bot_identity(self.conn)

    def tip(self) -> str:
        """The base branch's tip in git (fetched)."""
        return self.files.tip()

    def fetch_tip(self, branches: Sequence[str] = (), patterns: Sequence[str] = ()
                  ) -> tuple[str, Heads]:
        """As the local forge: the base's tip and the heads of ``branches``/``patterns``."""
        return self.files.fetch_tip(branches, patterns)

    def board(self, tip: str | None = None) -> Board:
        """TODO.md at ``tip`` with each task moved to its live stage and holder."""
        return synced(self.files.board(tip), live_tasks(self.conn))

    def task_at(self, issue: Issue, tip: str) -> Task:
        """``issue``'s task as TODO.md at ``tip`` has it, moved to the issue's stage.

        Like ``board(tip).task(n)`` for this one issue, without listing every issue and pull
        request (two requests fewer for a landing); ``BoardError`` when it has no stage.
        """
        names = [lb.name for lb in issue.labels]
        stage = issue_stage(issue)
        if stage is None:
            raise BoardError(f"issue #{issue.number} has no status: label, so it is no task",
                             "label it (gatebot init --github creates the labels)")
        fields = {"Priority": "critical"} if CRITICAL.name in names else {}
        live = LiveTask(issue.number, issue.title, stage, fields)
        return synced(self.files.board(tip), [live]).task(issue.number)

    def events(self, task: int, tip: str | None = None) -> list[BoardEvent]:
        """The events recorded in git for ``task`` (release commits), newest first."""
        return self.files.events(task, tip)

    def approvals(self, task: int, tip: str | None = None) -> tuple[Approval, ...]:
        """The gate-1 approval of ``task``'s pull request head, by an eligible reviewer.

        Who is eligible is decided as the review step decides it (``reviews.read_reviews``:
        the claimants, the commit people and the pushers gate 1's counted verdict records;
        without that verdict no approval counts). Its ``at`` is when the counted approvals
        were complete: the later review's ``submitted_at`` of the gate-1 and gate-2 pair (the
        merge queue's order).
        """
        pull = self._pull_of(task)
        if pull is None:
            return ()
        read = read_reviews(self.conn, pull, self.bot, self.branch)
        facts, counted = read.facts, read.approvals
        if counted.gate1 is None:
            return ()
        return (Approval(Identity(counted.gate1.login), "review", facts.head, facts.branch, (),
                         f"pull/{pull}", counted.at, True),)

    def _pull_of(self, task: int) -> int | None:
        with translated(self.conn.secrets, "listing the open pull requests"):
            return next((p.number for p in self.conn.repo.get_pulls(state="open")
                         if task_of_pull(p.head.ref, p.body) == task), None)

    def apply(self, number: int, decide: Decide, *, history: bool = False) -> str:
        """Record ``decide(state)`` as labels, assignees and the issue's state; the issue URL.

        ``state`` is the issue as a task, with the events git holds for it when ``history``.
        """
        issue = read_task_issue(self.conn, number)
        events = tuple(self.files.events(number)) if history else ()
        transition = decide(TaskState(task_of_issue(issue), events))
        self._record(issue, transition)
        return str(issue.html_url)

    def _record(self, issue: Issue, transition: Transition) -> None:
        event = transition.event
        if transition.stage is not None:
            set_stage(self.conn, issue, transition.stage, extra=ADDS.get(event, ()),
                      drop=DROPS.get(event, ()))
        else:
            add_labels(self.conn, issue, ADDS.get(event, ()))
            for name in DROPS.get(event, ()):
                remove_label(self.conn, issue, name)
        assignee = transition.fields.get("Assignee")
        with translated(self.conn.secrets, f"updating issue #{issue.number}"):
            if event == "claimed" and self.me.login not in {a.login for a in issue.assignees}:
                issue.add_to_assignees(self.me.login)
            elif assignee in ("None", "") and issue.assignees:
                issue.remove_from_assignees(*[a.login for a in issue.assignees])
            if transition.stage is Stage.RELEASED and issue.state == "open":
                issue.edit(state="closed", state_reason="completed")

    @cached_property
    def me(self) -> Person:
        """The account claims are made for: ``acting``, else the token's own account."""
        if self.acting is not None:
            return self.acting
        with translated(self.conn.secrets, "asking GitHub who the token belongs to"):
            try:
                return person(self.conn.gh.get_user())  # type: ignore[arg-type]
            except GithubException as exc:
                if exc.status != 403:
                    raise
        return self.bot

    def apply_all(self, decide: DecideAll, subject: str) -> str:
        """Record ``decide(state)`` (a sweep's transitions) issue by issue; the URLs, one a line.

        ``state`` is the live board and the lapses already flagged; a ``stale`` transition
        adds the label and posts one notice on the issue. ``subject`` names nothing on GitHub.
        """
        decided = decide(BoardState(self.board(), frozenset(self.stale_flags())))
        done = []
        for transition in decided:
            with translated(self.conn.secrets, f"reading issue #{transition.number}"):
                issue = self.conn.repo.get_issue(transition.number)
            self._record(issue, transition)
            if transition.event == "stale":
                post_comment(self.conn, issue.number, f"⏰ {transition.subject.removeprefix('gatebot: ')}: "
                             "no heartbeat for too long. The claim is kept; a maintainer can "
                             f"release it with `gatebot release {issue.number} --force`.")
            done.append(str(issue.html_url))
        return "\n".join(done)

    def stale_flags(self, tip: str | None = None) -> set[str]:
        """The lapses flagged so far: the holder's ``flag_key`` of each ``stale`` issue."""
        with translated(self.conn.secrets, "listing the stale issues"):
            numbers = [i.number for i in self.conn.repo.get_issues(labels=[STALE.name])]
        held = [claim_comments.read_claims(self.conn, n, self.bot.id).holder for n in numbers]
        return {flag_key(h.record) for h in held if h is not None}

    def add_task(self, task: NewTask) -> tuple[int, str]:
        """Open an issue labelled ``status:ready`` (and ``critical``); (number, URL)."""
        critical = task.fields.get("Priority") == "critical"
        body = "\n".join(f"**{k}**: {single_line(v)}" for k, v in task.fields.items())
        labels = [stage_label(task.stage), *([CRITICAL.name] if critical else [])]
        with translated(self.conn.secrets, "opening the task's issue"):
            issue = self.conn.repo.create_issue(task.title, body=body, labels=labels)
        return issue.number, str(issue.html_url)

    def escalate(self, number: int, escalation: Escalation, decide: Decide) -> str:
        """Post ``escalation`` (comment + ``escalated``) and record ``decide``'s transition."""
        escalate(self.conn, number, escalation, self.bot)
        return self.apply(number, decide)

    def publish_verdict(self, verdict: Verdict, task: int | None = None,
                        pusher: Person | None = None) -> None:
        """A check run (or status) and the sticky comment on the pull request of the head.

        ``pusher`` is recorded with the verdict (``verdicts`` module doc).
        """
        with translated(self.conn.secrets, "listing the open pull requests"):
            pull = next((p.number for p in self.conn.repo.get_pulls(state="open")
                         if p.head.sha == verdict.head), None)
        if pull is None and task is not None:
            pull = self._pull_of(task)
        if pull is None:
            return
        gate = "gate-1" if verdict.gate == "review" else "gate-2"
        publish(self.conn, Publication(pull, gate, verdict, self.render(verdict),
                                       pushers=(pusher,) if pusher else (), base=self.branch),
                self.bot)

    def push_release(self, tip: str, commit: str) -> bool:
        """Land ``commit`` on the base branch in git, without force (the local forge's push)."""
        return self.files.push_release(tip, commit)

    def maintainers(self, logins: Sequence[str]) -> tuple[str, ...]:
        """Those of ``logins`` with the admin or maintain role on the repository (GitHub's)."""
        return maintainers(self.conn, [x for x in logins if x])

    def claims(self) -> GitHubClaims:
        """Claims as claim comments, written as the token's account."""
        return GitHubClaims(self.conn, self.me, self.bot.id)
