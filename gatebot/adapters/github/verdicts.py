"""Verdicts where GitHub users look: a check run per gate, and one sticky pull request comment.

``publish`` puts one gate's verdict on the head SHA: a check run named ``gatebot/gate-1`` or
``gatebot/gate-2`` with a Markdown summary and the findings as annotations (GitHub takes 50
per request: the rest follow in updates), or — when the token cannot create check runs (403,
e.g. a personal token) — a commit status with that context. Then the sticky comment: found by
its hidden marker and the bot's own user id, edited in place, created once. Each gate's
verdict and the review notes are sections of it (``core.github_model.SECTIONS``): a writer
replaces its own and keeps the others.

Who pushed the head is written with the verdict: the check run's ``external_id``
(``<digest> pushers=<id>/<login>,… publish=<X> pr-run=<Y> failed=<rule>,…``) or the status
description (``pushers=…``): the event's sender; without one (a label event re-runs gate 1
without a push), those of gate 1's counted verdict on that head (``gate1_record``).
``pushers_of`` reads them back; reviews count them as builders. ``publish=``/``pr-run=`` name
the workflow runs that published a gate-1 verdict and ``failed=`` the rules that failed: a
gate-1 check run counts only when GitHub says those runs are gatebot's publishing
(``gatebot.core.gate1_runs``).

Publishing the same verdict again writes nothing: the sticky comment remembers, per gate, the
head, a digest of what was published and the rules that failed. Two runs publishing at once take a lock first, a git
ref ``refs/gatebot/verdicts/<gate>/<head>-<digest>`` whose creation only one can win; the
other leaves the publishing to it. Two sticky comments made at once: the newer is removed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from github import GithubException
from github.CheckRun import CheckRun
from github.IssueComment import IssueComment

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.gate1_record import forget_gate1, read_gate1
from gatebot.adapters.github.writes import (
    create_once,
    delete_comment,
    edit_comment,
    list_comments,
    post_comment,
)
from gatebot.core.gate1_runs import RunIds, failed_text
from gatebot.core.github_model import (
    STICKY_MARKER,
    Person,
    sticky_body,
    sticky_sections,
    sticky_state,
    sticky_text,
)
from gatebot.core.verdict import Finding, Verdict

ANNOTATIONS_PER_REQUEST = 50
CONCLUSIONS = {"pass": "success", "fail": "failure", "error": "failure"}
STATUS_STATES = {"pass": "success", "fail": "failure", "error": "error"}


@dataclass(frozen=True)
class Publication:
    """One gate's verdict to publish on pull request ``pull``.

    ``gate`` is ``gate-1`` or
    ``gate-2``; ``markdown`` the summary; ``log_url`` where the full log is (or None);
    ``reviews`` the review notes' section when the publisher knows them (None: kept as is);
    ``pushers`` who put the head there (module doc), as far as this publisher knows;
    ``runs`` the workflow runs publishing it (gate 1 through gatebot-publish.yml; None:
    published directly); ``base`` the configured base branch (where gatebot-publish.yml runs).
    """

    pull: int
    gate: str
    verdict: Verdict
    markdown: str
    log_url: str | None = None
    reviews: str | None = None
    pushers: tuple[Person, ...] = ()
    runs: RunIds | None = None
    base: str = ""

    @property
    def name(self) -> str:
        """The check run name and commit status context: ``gatebot/gate-1``."""
        return f"gatebot/{self.gate}"

    def digest(self) -> str:
        """What identifies the verdict (durations and the summary's text left out): 16 hex."""
        rules = [[r.id, r.status, r.summary, [f.to_json() for f in r.findings]]
                 for r in self.verdict.rules]
        data = [self.gate, self.verdict.head, self.verdict.verdict, rules]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Published:
    """What ``publish`` did.

    ``wrote`` False when it was already there (or another run had
    the lock); ``via`` ``check-run``, ``status`` or ``none``; the sticky comment's id.
    """

    wrote: bool
    via: str
    comment_id: int | None


def publish(conn: Connection, item: Publication, bot: Person) -> Published:
    """Publish ``item`` (module doc). Raises ``EnvironmentProblem`` (exit 2) on GitHub errors.

    The check run (or status) is written once per gate, head and verdict; the sticky comment
    whenever its text changes (new review notes on the same verdict change only the comment).
    """
    sticky = stickies(conn, item.pull, bot)
    state = sticky_state(sticky[0].body) if sticky else {}
    mark = {"head": item.verdict.head, "digest": item.digest(),
            "failed": [r.id for r in item.verdict.failed()]}
    sections = sticky_sections(sticky[0].body) if sticky else {}
    sections[item.gate] = item.markdown
    if item.reviews is not None:
        sections["reviews"] = item.reviews
    body = sticky_body(sticky_text(sections), {**state, item.gate: mark}, item.log_url)
    current = sticky[0].id if sticky else None
    if state.get(item.gate) == mark:
        if sticky[0].body == body:
            return Published(False, "none", current)
        edit_comment(conn, sticky[0].id, body)
        return Published(True, "none", current)
    if not _lock(conn, item):
        return Published(False, "none", current)
    if not item.pushers:  # a re-run without a push: who pushed the head is unchanged
        item = replace(item, pushers=_earlier_pushers(conn, item, bot))
    via = _verdict(conn, item)
    forget_gate1(conn, item.verdict.head)
    return Published(True, via, write_sticky(conn, item.pull, bot, sticky, body))


def stickies(conn: Connection, pull: int, bot: Person) -> list[IssueComment]:
    """The bot's sticky comments on ``pull``, oldest first (the bot's id and the marker)."""
    with translated(conn.secrets, f"reading the comments of #{pull}"):
        return [c for c in list_comments(conn, pull)
                if c.user.id == bot.id and STICKY_MARKER in (c.body or "")]


PUSHERS = re.compile(r"pushers=(\d+/[\w.\[\]-]+(?:,\d+/[\w.\[\]-]+)*)")


def pushers_text(pushers: Sequence[Person]) -> str:
    """``pushers=<id>/<login>,…`` ("" when none is known)."""
    known = [f"{p.id}/{p.login}" for p in pushers if p.id is not None]
    return f"pushers={','.join(known)}" if known else ""


def pushers_of(*texts: str | None) -> tuple[Person, ...]:
    """The pushers ``pushers_text`` wrote into ``texts``, all of them (empty when none names any).

    Read them only from verdicts that count (``gate1_record``): anyone can type the same text
    elsewhere. Every text's pushers count: a forged verdict among them only adds builders.
    """
    found: dict[int, Person] = {}
    for text in texts:
        match = PUSHERS.search(text or "")
        for item in match.group(1).split(",") if match else ():
            key, login = item.split("/", 1)
            found.setdefault(int(key), Person(int(key), login, login.endswith("[bot]")))
    return tuple(found.values())


def _earlier_pushers(conn: Connection, item: Publication, bot: Person) -> tuple[Person, ...]:
    """The pushers of gate 1's counted verdict on ``item``'s head (``read_gate1``); () if none.

    Gate 2 records no pushers of its own.
    """
    if item.gate != "gate-1":
        return ()
    return pushers_of(*read_gate1(conn, item.verdict.head, bot, item.base).external_ids)


def _lock(conn: Connection, item: Publication) -> bool:
    """Take the publishing lock for this gate, head and content: False when another has it."""
    ref = f"refs/gatebot/verdicts/{item.gate}/{item.verdict.head}-{item.digest()}"
    with translated(conn.secrets, f"taking the publishing lock {ref}"):
        try:
            conn.repo.create_git_ref(ref, item.verdict.head)
        except GithubException as exc:
            if exc.status == 422:
                return False  # "Reference already exists": another run publishes this
            if exc.status != 403:  # no contents permission: publish without the lock
                raise
    return True


def _verdict(conn: Connection, item: Publication) -> str:
    """The check run, or the commit status when check runs are refused (403)."""
    try:
        _check_run(conn, item)
        return "check-run"
    except _NoChecks:
        _status(conn, item)
        return "status"


class _NoChecks(Exception):
    """The token cannot create check runs (GitHub's 403)."""


def to_annotations(findings: Sequence[tuple[str, Finding]]) -> list[dict[str, Any]]:
    """GitHub annotations of ``(rule id, finding)`` pairs that name a file."""
    return [{"path": f.path, "start_line": f.line or 1, "end_line": f.line or 1,
             "annotation_level": "failure", "title": rule, "message": f.message[:4000]}
            for rule, f in findings if f.path]


def _check_run(conn: Connection, item: Publication) -> CheckRun:
    notes = to_annotations([(r.id, f) for r in item.verdict.failed() for f in r.findings])
    batches = [notes[i:i + ANNOTATIONS_PER_REQUEST]
               for i in range(0, len(notes), ANNOTATIONS_PER_REQUEST)] or [[]]
    run = _create_run(conn, item, batches[0], last=len(batches) == 1)
    for n, batch in enumerate(batches[1:], start=2):
        with translated(conn.secrets, f"adding annotations to the check run {item.name}"):
            run.edit(**_fields(item, batch, last=n == len(batches)))
    return run


def _fields(item: Publication, batch: list[dict[str, Any]], *, last: bool) -> dict[str, Any]:
    verdict = item.verdict.verdict
    output = {"title": f"{item.name}: {verdict}", "summary": item.markdown[:65_000],
              "annotations": batch}
    if last:
        return {"status": "completed", "conclusion": CONCLUSIONS[verdict], "output": output}
    return {"status": "in_progress", "output": output}


def _create_run(conn: Connection, item: Publication, batch: list[dict[str, Any]], *,
                last: bool) -> CheckRun:
    head = item.verdict.head
    failed = failed_text([r.id for r in item.verdict.failed()]) if item.gate == "gate-1" else ""
    parts = (item.digest(), pushers_text(item.pushers), item.runs.text() if item.runs else "",
             failed)
    external_id = " ".join(p for p in parts if p)

    def create() -> CheckRun:
        try:
            return conn.repo.create_check_run(item.name, head, external_id=external_id,
                                              **_fields(item, batch, last=last))
        except GithubException as exc:
            if exc.status == 403:
                raise _NoChecks from None
            raise

    def find() -> CheckRun | None:
        runs = conn.repo.get_commit(head).get_check_runs(check_name=item.name, filter="all")
        return next((r for r in runs if r.external_id == external_id), None)

    return create_once(conn, f"creating the check run {item.name} on {head[:12]}", create, find)


def _status(conn: Connection, item: Publication) -> None:
    """A commit status ``gatebot/gate-N`` (latest per context wins: retrying is harmless)."""
    verdict = item.verdict
    failed = ", ".join(r.id for r in verdict.failed())
    text = " ".join(x for x in (pushers_text(item.pushers), verdict.verdict) if x) + (
        f": {failed}" if failed else "")
    with translated(conn.secrets, f"setting the commit status {item.name}"):
        conn.repo.get_commit(verdict.head).create_status(
            STATUS_STATES[verdict.verdict], target_url=item.log_url or "",
            description=text[:140], context=item.name)


def write_sticky(conn: Connection, pull: int, bot: Person, sticky: list[IssueComment],
                  body: str) -> int:
    """Edit the oldest sticky comment, or create it once and drop a newer twin; its comment id."""
    if sticky:
        edit_comment(conn, sticky[0].id, body)
        return sticky[0].id

    def find() -> IssueComment | None:
        found = stickies(conn, pull, bot)
        return found[0] if found else None

    made = create_once(conn, f"posting the gatebot comment on #{pull}",
                       lambda: post_comment(conn, pull, body), find)
    twins = stickies(conn, pull, bot)
    if twins and twins[0].id != made.id:
        delete_comment(conn, made.id)
        edit_comment(conn, twins[0].id, body)
        return twins[0].id
    return made.id
