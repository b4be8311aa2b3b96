"""The lifecycle and who may review (SPEC §2, §3): pure functions, no I/O.

Builders of a change are its claimants, the PR author, every author and
committer in ``base..head`` and the last pusher. A gate-1 reviewer is not a
builder; a gate-2 reviewer is neither a builder nor the gate-1 reviewer; bots
never count. Identities match case-insensitively on name or email.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gatebot.core.verdict import Finding, RuleResult


@dataclass(frozen=True)
class Contributor:
    """Someone who built part of a change: ``role`` says how (claimant, author of SHA…)."""

    name: str
    role: str
    email: str = ""

    def matches(self, actor: str) -> bool:
        """Whether ``actor`` is this contributor's name or email, case-insensitively."""
        wanted = actor.strip().casefold()
        return bool(wanted) and wanted in {self.name.casefold(), self.email.casefold()} - {""}


def builder_roles(actor: str, builders: Iterable[Contributor]) -> list[str]:
    """Every role in which ``actor`` built the change (empty: not a builder)."""
    return [b.role for b in builders if b.matches(actor)]


def _fail(actor: str, reason: str) -> RuleResult:
    return RuleResult(
        "reviewer", "fail", f"{actor} may not review: {reason}",
        (Finding(f"{actor} is not an eligible reviewer: {reason}"),),
    )


def review_eligibility(
    actor: str,
    builders: Sequence[Contributor],
    *,
    gate1_reviewer: str | None = None,
    bots: Iterable[str] = (),
) -> RuleResult:
    """The ``reviewer`` rule (SPEC §3, §5.1) for ``actor``.

    Gate 1: pass ``gate1_reviewer=None``. Gate 2: pass the gate-1 reviewer,
    who is then excluded too. Returns a ``RuleResult`` whose finding names the
    reason (e.g. "author of abc1234").
    """
    if not actor.strip():
        return _fail(actor or "(nobody)", "no actor; pass --as NAME or set GATEBOT_ACTOR")
    if actor.casefold() in {b.casefold() for b in bots}:
        return _fail(actor, "bots never count as reviewers")
    roles = builder_roles(actor, builders)
    if roles:
        return _fail(actor, "builder of this change (" + "; ".join(dict.fromkeys(roles)) + ")")
    if gate1_reviewer is not None and gate1_reviewer.casefold() == actor.casefold():
        return _fail(actor, "already approved gate 1; gate 2 needs a different reviewer")
    return RuleResult("reviewer", "pass", f"{actor} is eligible")


def cannot_review(builders: Sequence[Contributor], reviewers: Sequence[str]) -> str:
    """The derived ``Cannot review`` value: builder names then reviewers, without repeats."""
    names = [b.name for b in builders if b.name] + [r for r in reviewers if r]
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.casefold(), name)
    return ", ".join(seen.values()) or "None"
