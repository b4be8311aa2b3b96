"""The repository's labels and a task's stage on GitHub (docs/protocol.md, "GitHub mode").

``ensure_labels`` creates the stage labels ``status:*`` and ``claimed``, ``stale``,
``escalated``, ``critical`` with their colours and descriptions, and corrects either when it
differs: a second run writes nothing. ``set_stage`` moves a task's one stage label.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from github import GithubException
from github.Issue import Issue
from github.Label import Label

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.writes import add_labels, remove_label
from gatebot.core.board import Stage
from gatebot.core.github_model import (
    LABELS,
    STAGE_LABELS,
    STAGE_PREFIX,
    LabelSpec,
    stage_label,
    stage_of_labels,
)

T = TypeVar("T")

#: Seconds between re-reads of an issue caught between two stage labels (``read_task_issue``).
MOVE_IN_FLIGHT_WAITS = (0.1, 0.3, 0.6)


@dataclass(frozen=True)
class LabelChange:
    """What ``ensure_labels`` did to one label: ``created``, ``updated`` or ``kept``."""

    name: str
    action: str


def ensure_labels(conn: Connection, specs: tuple[LabelSpec, ...] = LABELS) -> list[LabelChange]:
    """Create or correct each label of ``specs`` (one read, then one write per change).

    Raises ``EnvironmentProblem`` (exit 2) when GitHub refuses (e.g. the token cannot write
    issues).
    """
    with translated(conn.secrets, "listing the repository's labels"):
        existing = {lb.name.lower(): lb for lb in conn.repo.get_labels()}
    return [_ensure(conn, spec, existing.get(spec.name.lower())) for spec in specs]


def _ensure(conn: Connection, spec: LabelSpec, label: Label | None) -> LabelChange:
    if label is None:
        with translated(conn.secrets, f"creating the label {spec.name}"):
            try:
                conn.repo.create_label(spec.name, spec.color, spec.description)
            except GithubException as exc:
                if exc.status != 422:  # 422: made meanwhile (or by the lost answer's request)
                    raise
                return _ensure(conn, spec, conn.repo.get_label(spec.name))
        return LabelChange(spec.name, "created")
    if (label.name, label.color.lower(), label.description or "") == \
            (spec.name, spec.color, spec.description):
        return LabelChange(spec.name, "kept")
    with translated(conn.secrets, f"updating the label {spec.name}"):
        label.edit(spec.name, spec.color, spec.description)
    return LabelChange(spec.name, "updated")


def issue_stage(issue: Issue) -> Stage | None:
    """The stage of ``issue`` from its labels (``BoardError`` for two stage labels)."""
    return stage_of_labels(issue.number, (lb.name for lb in issue.labels))


def read_task_issue(conn: Connection, number: int) -> Issue:
    """Issue ``number`` as a task, read again while a stage move is in flight.

    ``set_stage`` adds the new stage label before it removes the old one, so a reader racing a
    move (two ``/claim`` jobs at once) can see two stage labels for a moment. Such a read is
    repeated after each of ``MOVE_IN_FLIGHT_WAITS`` (1 s in all); two stage labels that stay
    raise ``BoardError`` (exit 2), as does an unknown ``status:*`` label at once. Errors from
    GitHub are translated (``GitHubError``).
    """
    with translated(conn.secrets, f"reading task #{number}"):
        issue = settled(lambda: conn.repo.get_issue(number), moving)
        issue_stage(issue)
        return issue


def settled(read: Callable[[], T], in_flight: Callable[[T], bool]) -> T:
    """``read()``, repeated after each of ``MOVE_IN_FLIGHT_WAITS`` while ``in_flight`` of it.

    The last read is returned as it is, in flight or not: the caller reports what it shows.
    """
    found = read()
    for wait in MOVE_IN_FLIGHT_WAITS:
        if not in_flight(found):
            break
        time.sleep(wait)
        found = read()
    return found


def moving(issue: Issue) -> bool:
    """Whether ``issue`` shows two or more stage labels: a ``set_stage`` caught in flight."""
    return sum(lb.name.lower().startswith(STAGE_PREFIX) for lb in issue.labels) > 1


def set_stage(conn: Connection, issue: Issue, stage: Stage, *, extra: tuple[str, ...] = (),
              drop: tuple[str, ...] = ()) -> None:
    """Move ``issue`` to ``stage``.

    Gives it the stage label of ``stage`` (and ``extra``), then removes the other stage
    labels (and ``drop``). Adding first: the issue is never seen with no stage.
    """
    held = {lb.name for lb in issue.labels}
    wanted = stage_label(stage)
    add_labels(conn, issue, [n for n in (wanted, *extra) if n not in held])
    others = {spec.name for spec in STAGE_LABELS.values()} - {wanted}
    for name in sorted(n for n in held if n in others or n in drop):
        remove_label(conn, issue, name)
