"""What a forge has recorded about a task, as plain values (no I/O): events, approvals, heads.

A forge (``gatebot.ports.Forge``) reads these back from where it keeps them:
the local forge from its board commits' ``Gatebot-*`` trailers (git parses
them), the github forge from its own comments and reviews. The keys are the
trailer names of docs/protocol.md ("Board commits"), so both forges speak one
vocabulary: ``Gatebot-Event``, ``Gatebot-Actor``, ``Gatebot-Actor-Git``,
``Gatebot-Head``, ``Gatebot-Branch``, ``Gatebot-Gate``, ``Gatebot-Rules``,
``Gatebot-Approval``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from gatebot.core.protocol import Identity, refspec_glob_match

GATE_EVENTS = ("rejected", "merge-failed", "escalated")
"""Events after which an earlier gate-1 approval no longer stands."""


class BoardEvent(NamedTuple):
    """A recorded event: its id (a board commit's SHA), ``Gatebot-*`` fields, when it happened.

    ``trailers``: the record's ``Gatebot-*`` keys and values (last value wins);
    ``committed_at`` is timezone-aware, None when unknown.
    """

    sha: str
    trailers: Mapping[str, str]
    committed_at: datetime | None = None

    @property
    def event(self) -> str:
        """The ``Gatebot-Event`` value (``approved``, ``claimed``, …)."""
        return self.trailers.get("Gatebot-Event", "")

    @property
    def actor(self) -> str:
        """The ``Gatebot-Actor`` value (``""`` when none was recorded)."""
        return self.trailers.get("Gatebot-Actor", "")

    def identity(self) -> Identity:
        """The actor whole: ``Gatebot-Actor`` plus ``Gatebot-Actor-Git`` (``Name <email>``)."""
        return Identity.parse(self.actor, self.trailers.get("Gatebot-Actor-Git", ""))


class Approval(NamedTuple):
    """A gate-1 approval as recorded: who, which gate, which head SHA, which rules.

    ``reviewer``: the approver whole (an approval recorded before git
    identities were has only the name); ``branch``: the branch it approved
    (``""`` when not recorded); ``rules``: the rule ids it judged; ``record``:
    the id of the record (a board commit's SHA); ``standing``: no later
    rejection, failed merge or escalation voided it (a new push voids it too,
    which is the caller's check against the branch's head SHA now);
    ``coverage``: the total the approval saw (``91.2%``, ``n/a``).
    """

    reviewer: Identity
    gate: str
    head: str
    branch: str
    rules: tuple[str, ...]
    record: str
    at: datetime | None
    standing: bool
    coverage: str = "n/a"


def standing_approval(events: Iterable[BoardEvent]) -> BoardEvent | None:
    """The standing gate-1 approval among a task's ``events`` (newest first), or None.

    The newest gate event decides: an approval followed by a rejection, a
    failed merge or an escalation no longer stands — except an escalation
    recorded with ``Gatebot-Approval: kept`` (a refused push: the code passed).
    Binding to the current head SHA is the caller's check (a new push voids it).
    """
    for event in events:
        if event.event == "escalated" and event.trailers.get("Gatebot-Approval") == "kept":
            continue
        if event.event in GATE_EVENTS:
            return None
        if event.event == "approved":
            return event
    return None


def standing(found: Iterable[Approval]) -> Approval | None:
    """The approval of ``found`` that stands, or None."""
    return next((a for a in found if a.standing), None)


def approvals(events: Iterable[BoardEvent]) -> tuple[Approval, ...]:
    """Every gate-1 approval among ``events`` (newest first), marking the one that stands."""
    listed = list(events)
    standing = standing_approval(listed)
    return tuple(
        Approval(
            e.identity(), e.trailers.get("Gatebot-Gate", "review"),
            e.trailers.get("Gatebot-Head", ""), e.trailers.get("Gatebot-Branch", ""),
            tuple(r.strip() for r in e.trailers.get("Gatebot-Rules", "").split(",") if r.strip()),
            e.sha, e.committed_at, standing is not None and standing.sha == e.sha,
            e.trailers.get("Gatebot-Coverage", "n/a"),
        )
        for e in listed if e.event == "approved"
    )


@dataclass(frozen=True)
class Heads:
    """Branch heads one fetch brought, to look up instead of fetching again.

    ``exact``: branches asked for by name, with their SHA (None: the remote
    lacks it); ``matched``: every branch the remote has that matches a glob of
    ``patterns`` (``*`` matches any text, ``/`` included, as in a refspec).
    """

    exact: Mapping[str, str | None] = field(default_factory=dict)
    patterns: tuple[str, ...] = ()
    matched: Mapping[str, str] = field(default_factory=dict)

    def lookup(self, name: str) -> tuple[bool, str | None]:
        """(whether this fetch answered for ``name``, its SHA or None when the remote lacks it)."""
        if name in self.exact:
            return True, self.exact[name]
        if any(refspec_glob_match(pattern, name) for pattern in self.patterns):
            return True, self.matched.get(name)
        return False, None
