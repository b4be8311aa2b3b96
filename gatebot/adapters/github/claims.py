"""Claims on GitHub: the ``claimed`` label, the claimant as assignee, and one claim comment.

The comment holds the claim record (``gatebot.core.claims.ClaimRecord``) as JSON in a hidden
block (``gatebot.core.github_model.claim_comment``). Of competing claims the oldest wins by the
server's order: the comment's ``created_at``, then its id. A claimant posts its comment, reads
the comments back, and either wins (then sets the labels and the assignee) or removes its own
comment and is told who holds the task since when. Heartbeats edit the comment. Time is always
GitHub's (the ``Date`` header), never the local clock, and never ``updated_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from github.Issue import Issue
from github.IssueComment import IssueComment

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.labels import issue_stage, read_task_issue, set_stage
from gatebot.adapters.github.writes import (
    create_once,
    delete_comment,
    edit_comment,
    remove_label,
    server_now,
)
from gatebot.core.board import Stage
from gatebot.core.claims import ClaimRecord, holder_text, is_stale
from gatebot.core.github_model import (
    CLAIMED,
    STALE,
    ClaimComment,
    Person,
    claim_comment,
    counts,
    holder,
    parse_claim_comment,
    session_id,
)
from gatebot.errors import Refused


@dataclass(frozen=True)
class ClaimState:
    """A task's claims as read: its genuine claim comments, the holder (or None), server time.

    Genuine: written by gatebot's own account (``counts``), in the server's order.
    """

    comments: tuple[ClaimComment, ...]
    holder: ClaimComment | None
    now: datetime

    def stale(self, stale_after: timedelta) -> bool:
        """Whether the holder's last heartbeat is older than ``stale_after`` by GitHub's clock."""
        return self.holder is not None and is_stale(self.holder.record, self.now, stale_after)


def read_claims(conn: Connection, number: int, bot_id: int | None) -> ClaimState:
    """Read issue ``number``'s claim comments (one paginated list) and the server's time."""
    issue = _read_issue(conn, number)
    return _comments(conn, issue, bot_id, server_now(issue))


def _state(raw: list[IssueComment], bot_id: int | None, now: datetime | None) -> ClaimState:
    found = tuple(c for c in (_as_claim(x) for x in raw)
                  if c is not None and counts(c, bot_id))
    when = now or (server_now(raw[-1]) if raw else None)
    return ClaimState(found, holder(found, bot_id), when or _epoch())


def _epoch() -> datetime:
    return datetime.fromtimestamp(0).astimezone()


def _as_claim(comment: IssueComment) -> ClaimComment | None:
    record = parse_claim_comment(comment.body)
    if record is None:
        return None
    return ClaimComment(comment.id, comment.user.id, comment.user.login, comment.created_at,
                        record)


@dataclass(frozen=True)
class ClaimRequest:
    """Who claims task ``number`` and for what: ``files`` globs, ``estimate`` in minutes."""

    number: int
    claimant: Person
    files: tuple[str, ...] = ()
    estimate: int | None = None


def claim(conn: Connection, request: ClaimRequest, bot_id: int | None) -> ClaimRecord:
    """Claim a READY task (READY → IN-PROGRESS); return the record that now holds it.

    Idempotent for the holder. Raises ``Refused`` (exit 1) when the task is not READY, is a
    pull request, or someone else's claim is older ("task #4 is claimed by X since T").
    """
    issue = _read_issue(conn, request.number)
    now = server_now(issue)
    state = _comments(conn, issue, bot_id, now)
    mine = session_id(_id(request.claimant))
    if state.holder and state.holder.record.session_id == mine:
        take(conn, issue, request.claimant)
        return state.holder.record
    _check_claimable(issue, state)
    record = _record(issue, request, now)
    post_claim(conn, issue, record, bot_id)
    take(conn, issue, request.claimant)
    return record


def post_claim(conn: Connection, issue: Issue, record: ClaimRecord, bot_id: int | None) -> int:
    """Post ``record``'s claim comment on ``issue`` and keep it only if it is the oldest.

    Returns the comment's id. Raises ``Refused`` (exit 1) naming the holder and since when,
    after removing the comment, when an older genuine claim exists; and when the token writes
    as another account than gatebot's (``bot_id``): such a comment is no claim.
    """
    posted = _post(conn, issue, record)
    if bot_id is None or posted.user.id != bot_id:
        delete_comment(conn, posted.id)
        raise Refused(f"this token writes as {posted.user.login}, not as gatebot's account: a "
                      "claim counts only when gatebot's own account writes it",
                      f"comment `/claim` on issue #{issue.number} (gatebot's workflow makes "
                      "the claim), or run gatebot with its own token")
    after = _comments(conn, issue, bot_id, record.started_at)
    if after.holder is None or after.holder.id != posted.id:
        delete_comment(conn, posted.id)
        winner = after.holder.record if after.holder else record
        raise Refused(holder_text(winner), "claim another task, or wait until it is released")
    return posted.id


def _id(person: Person) -> int:
    if person.id is None:
        raise Refused(f"{person.login} is not a GitHub account", "claim as a GitHub user")
    return person.id


def _read_issue(conn: Connection, number: int) -> Issue:
    return read_task_issue(conn, number)  # two stage labels that stay: report, do not guess


def _comments(conn: Connection, issue: Issue, bot_id: int | None, now: datetime) -> ClaimState:
    with translated(conn.secrets, f"reading the comments of #{issue.number}"):
        raw = list(issue.get_comments())
    return _state(raw, bot_id, now=(server_now(raw[-1]) if raw else now))


def _check_claimable(issue: Issue, state: ClaimState) -> None:
    if issue.pull_request is not None:
        raise Refused(f"#{issue.number} is a pull request, not a task",
                      "claim the issue the pull request belongs to")
    if state.holder is not None:
        raise Refused(holder_text(state.holder.record),
                      "claim another task, or wait until it is released")
    stage = issue_stage(issue)
    if stage is not Stage.READY:
        where = stage.value if stage else "no stage (no status:* label)"
        raise Refused(f"task #{issue.number} is in {where}, not READY",
                      "only a READY task can be claimed")


def _record(issue: Issue, request: ClaimRequest, now: datetime) -> ClaimRecord:
    return ClaimRecord(
        session_id=session_id(_id(request.claimant)), session_name=request.claimant.login,
        ai_type="", platform="github", started_at=now, status="active",
        claimed_files=request.files, task=" ".join(issue.title.split())[:200] or "untitled",
        task_number=f"#{issue.number}", task_section=Stage.IN_PROGRESS.value,
        estimated_duration_minutes=request.estimate, heartbeat_last=now, heartbeat_count=0,
        progress_percent=0, notes="",
    )


def _post(conn: Connection, issue: Issue, record: ClaimRecord) -> IssueComment:
    body = claim_comment(record)

    def find() -> IssueComment | None:
        return next((c for c in issue.get_comments() if c.body == body), None)

    return create_once(conn, f"posting the claim comment on #{issue.number}",
                       lambda: issue.create_comment(body), find)


def take(conn: Connection, issue: Issue, claimant: Person) -> None:
    """Labels (``claimed``, ``status:in-progress``) and the assignee of the winning claim."""
    set_stage(conn, issue, Stage.IN_PROGRESS, extra=(CLAIMED.name,))
    if all(a.id != claimant.id for a in issue.assignees):
        with translated(conn.secrets, f"assigning #{issue.number} to {claimant.login}"):
            issue.add_to_assignees(claimant.login)


def heartbeat(conn: Connection, number: int, claimant: Person, bot_id: int | None, *,
              progress: int | None = None, note: str | None = None) -> ClaimRecord:
    """Edit the claimant's claim comment: a new ``heartbeat_last`` by GitHub's clock.

    Raises ``Refused`` (exit 1) when ``claimant`` does not hold task ``number``.
    """
    issue = _read_issue(conn, number)
    state = _comments(conn, issue, bot_id, server_now(issue))
    held = state.holder
    if held is None or held.record.session_id != session_id(_id(claimant)):
        who = holder_text(held.record) if held else f"task #{number} has no claim"
        raise Refused(f"{claimant.login} holds no claim on #{number}: {who}",
                      f"claim it first: gatebot claim {number}")
    record = held.record.model_copy(update={
        "heartbeat_last": state.now, "heartbeat_count": held.record.heartbeat_count + 1,
        "progress_percent": held.record.progress_percent if progress is None else progress,
        "notes": held.record.notes if note is None else " ".join(note.split())[:500],
    })
    edit_comment(conn, held.id, claim_comment(record))
    if STALE.name in {lb.name for lb in issue.labels}:
        remove_label(conn, issue, STALE.name)
    return record


def release(conn: Connection, number: int, actor: Person, bot_id: int | None, *,
            force: bool = False) -> ClaimRecord:
    """Remove the claim on task ``number`` (its comment, label, assignee) → READY.

    Only the holder may, or anyone with ``force`` (the caller checks the maintainer rule).
    Raises ``Refused`` when there is no claim or ``actor`` does not hold it.
    """
    issue = _read_issue(conn, number)
    state = _comments(conn, issue, bot_id, server_now(issue))
    held = state.holder
    if held is None:
        raise Refused(f"task #{number} has no claim to release", "nothing to do")
    if held.record.session_id != session_id(_id(actor)) and not force:
        raise Refused(f"{holder_text(held.record)}, not by {actor.login}",
                      "only the holder releases a claim; a maintainer may use --force")
    for comment in state.comments:  # gatebot's own comments only
        if comment.record.session_id == held.record.session_id:
            delete_comment(conn, comment.id)
    set_stage(conn, issue, Stage.READY, drop=(CLAIMED.name, STALE.name))
    with translated(conn.secrets, f"unassigning #{number}"):
        issue.remove_from_assignees(held.record.session_name)
    return held.record

