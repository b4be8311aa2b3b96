"""Escalations (SPEC §9) in the seed's format, rendered from a jinja2 template.

What gatebot cannot decide — a real conflict, tests that fail after
integration, a push refused too often — becomes an ``Escalation``. Every text
field goes through ``sanitize_inline`` so user text cannot add structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from gatebot.core.board import sanitize_inline
from gatebot.core.printable import printable

if TYPE_CHECKING:
    import jinja2


@dataclass(frozen=True)
class Escalation:
    """One escalation: a title, the situation, impact, options, recommendation and blocking."""

    title: str
    situation: str
    impact: str
    options: tuple[str, ...]
    recommendation: str
    blocked: str


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    import jinja2  # noqa: PLC0415 - only a failed landing escalates: a clean one never pays for it

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gatebot", "templates"),
        autoescape=False,  # noqa: S701 - Markdown, not HTML; values are sanitised
        keep_trailing_newline=True,
    )
    return env.get_template("escalation.md.j2")


def render(escalation: Escalation) -> str:
    """The escalation as Markdown text in the seed's format (golden-focus-protocol.md)."""

    def clean(text: str) -> str:
        return printable(sanitize_inline(text))

    return _template().render(
        title=clean(escalation.title), situation=clean(escalation.situation),
        impact=clean(escalation.impact), options=[clean(o) for o in escalation.options],
        recommendation=clean(escalation.recommendation), blocked=clean(escalation.blocked),
    )


def conflict(task: int, files: tuple[str, ...], retry: str) -> Escalation:
    """A real merge conflict between the approved head and the base."""
    names = ", ".join(files)
    return Escalation(
        f"Merge conflict on task #{task}",
        f"Merging the base into the approved head conflicts in: {names}",
        f"Task #{task} cannot land; it went back to REVIEW",
        ("Resolve the conflict on the task branch by merging the base, then re-review",
         "Split the change so it no longer overlaps the conflicting work"),
        f"Option 1, then re-run: {retry}",
        "No: other tasks can proceed",
    )


def push_refused(task: int, attempts: int, detail: str, retry: str, *, moving: bool) -> Escalation:
    """The release push failed ``attempts`` times: refused by the remote, or the base kept moving.

    The task keeps its approvals and stays in RDY FOR PROD: its code passed, so
    the recommended retry needs no new review.
    """
    options = (
        ("Retry when the base branch is quieter", "Raise merge.retries in the configuration")
        if moving else
        ("Check the remote's hooks, protection rules and permissions",
         "Retry once the remote accepts pushes")
    )
    return Escalation(
        f"Release push refused for task #{task}",
        f"Pushing the tested release commit failed {attempts} times: {detail}",
        f"Task #{task} is tested and approved but not on the base branch; it stays in "
        "RDY FOR PROD",
        options,
        f"Option 1, then re-run: {retry}",
        "No: other tasks can proceed",
    )


def staging_interrupted(task: int, detail: str, retry: str) -> Escalation:
    """The staging checks were cancelled or timed out again after their re-run.

    Not a verdict on the change: the task keeps its approvals in RDY FOR PROD, and nothing of
    it reached the base branch.
    """
    return Escalation(
        f"Staging checks did not finish for task #{task}",
        f"The staging checks {detail}",
        f"Task #{task} is approved but untested on the base branch; it stays in RDY FOR PROD "
        "and nothing of it landed",
        ("Find why the staging run was cancelled or timed out (runner limits, a hung check)",
         "Raise the staging job's timeout-minutes"),
        f"Option 1, then re-run: {retry}",
        "No: other tasks can proceed",
    )
