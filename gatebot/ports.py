"""The ports: what commands need from the world, as ``typing.Protocol`` s (design/ARCHITECTURE.md).

``Forge`` is where the protocol's state lives (docs/protocol.md): tasks and
their stages, the events recorded for them, claims, approvals by head SHA,
verdicts and escalations. Two implementations, chosen by ``forge = "local" |
"github"`` (``gatebot.app.context.make_forge`` is the one place that builds
one; no command asks which it has):

- ``gatebot.adapters.local.LocalForge``: the board files on the base branch
  are the truth; each transition is one board commit (``Gatebot-*``
  trailers), pushed without force; claims are refs under
  ``refs/gatebot/claims/*`` (``gatebot.adapters.claim_store.ClaimStore``);
  verdicts are printed only (``publish_verdict`` records nothing).
- the github forge (``gatebot.adapters.github``): labels carry the stage and
  flags, one bot comment per claim, PR reviews are the approvals, check runs
  and one sticky comment carry the verdict.

Decisions are not the forge's: a command gathers facts from it, asks a pure
function of ``gatebot.core.transitions`` what should happen, and hands that
function to ``Forge.apply``, which records its answer atomically.

Errors every implementation raises alike: ``Refused`` (exit 1) when a
decision refuses; ``RaceLost`` (exit 1) when the task kept changing under it;
``BoardError`` (exit 2) for a task number it does not hold; ``PushRefused``
(exit 2) when the remote refuses a write for good (hooks, permissions);
``GatebotError`` subclasses for anything else, with a hint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from gatebot.errors import GatebotError

if TYPE_CHECKING:
    from datetime import datetime

    from gatebot.core.board import Board
    from gatebot.core.claims import ClaimProblem, ClaimRecord
    from gatebot.core.escalation import Escalation
    from gatebot.core.github_model import Person
    from gatebot.core.records import Approval, BoardEvent, Heads
    from gatebot.core.transitions import BoardState, NewTask, TaskState, Transition
    from gatebot.core.verdict import Verdict

Decide = Callable[["TaskState"], "Transition"]
DecideAll = Callable[["BoardState"], "Sequence[Transition]"]
"""A pure decision over the task as the forge has it now (``gatebot.core.transitions``)."""


Reader = Callable[[str], "str | None"]
"""Reads a file of the base at one snapshot as text: ``read(path)``; None when absent."""


class PushRefused(GatebotError):
    """The remote refused a push although the branch had not moved (exit 2)."""


class RaceLost(GatebotError):
    """The task kept changing while a transition was being recorded (exit 1: retry it)."""

    exit_code = 1


class ForgeUnavailable(GatebotError):
    """The configured forge is not part of this build (exit 2: choose another forge)."""

    exit_code = 2


class ClaimRecords(Protocol):
    """Claim records (docs/protocol.md "Claims"): who works on what right now, with heartbeats.

    One record per (task, session name). Every write is a compare-and-swap.
    Errors: ``FileExistsError`` when creating a claim that exists (and
    ``replace`` says no), ``FileNotFoundError`` when updating one that is gone,
    ``ValueError`` for a record that holds no valid claim, ``GitError`` (or the
    forge's own ``GatebotError``) when the store refuses a write for good.

    ``settle``: the two settle waits in seconds this store needs, or None for the
    configuration's ``claims.settle`` (a value set in the configuration always wins).
    """

    settle: tuple[float, float] | None

    def list(self) -> tuple[list[ClaimRecord], list[ClaimProblem]]:
        """Every live claim (released ones left out) and the invalid records, each in order."""
        ...

    def now(self) -> datetime | None:
        """The store's own clock, aware UTC; staleness is judged by it.

        GitHub's time (the ``Date`` of its answer), or None where the local clock is the
        store's.
        """
        ...

    def record_id(self, session_name: str, task_number: int) -> str:
        """The id of the record of ``session_name``'s claim on ``task_number`` (for ``remove_ref``)."""
        ...

    def create(self, record: ClaimRecord,
               replace: Callable[[ClaimRecord], bool] = ...) -> str:
        """Write a new claim; return its id (a ref, a comment URL)."""
        ...

    def update(self, session_name: str, task_number: int,
               change: Callable[[ClaimRecord], ClaimRecord]) -> ClaimRecord:
        """Replace a claim by ``change(current)`` (a heartbeat); ``change`` may run again."""
        ...

    def remove(self, session_name: str, task_number: int,
               expect: ClaimRecord | None = None) -> bool:
        """Release a claim; False when it was already gone (or no longer equals ``expect``)."""
        ...

    def remove_ref(self, ref: str, expect: ClaimRecord | None = None) -> bool:
        """Release whatever the record ``ref`` holds (an invalid one too); False when gone."""
        ...


class Forge(Protocol):
    """Where tasks, their stages, claims, approvals and verdicts live (see the module's doc).

    ``name``: ``local`` or ``github``; ``branch``: the base branch;
    ``remote``: the git remote the base branch is fetched from and landed on
    (None: the repository itself). A ``tip`` is an opaque snapshot id (the
    base's commit SHA): reads at one tip agree with each other.
    """

    name: str
    branch: str
    remote: str | None

    def tip(self) -> str:
        """The current snapshot of the base (fetched first where there is a remote)."""
        ...

    def fetch_tip(self, branches: Sequence[str] = (), patterns: Sequence[str] = ()
                  ) -> tuple[str, Heads]:
        """The base's tip, and the head SHAs of ``branches`` and of branches matching globs."""
        ...

    def board(self, tip: str | None = None) -> Board:
        """Every task with its stage and fields (an empty board when there is none)."""
        ...

    def events(self, task: int, tip: str | None = None) -> list[BoardEvent]:
        """The events recorded for ``task`` (claimed, approved, released…), newest first.

        Only the forge's own records count: text anyone else wrote (a commit
        message, a comment) never forges an approval or a release.
        """
        ...

    def approvals(self, task: int, tip: str | None = None) -> tuple[Approval, ...]:
        """The gate-1 approvals of ``task``: reviewer, gate, head SHA, rules; newest first."""
        ...

    def apply(self, number: int, decide: Decide, *, history: bool = False) -> str:
        """Record ``decide(state)`` for task ``number`` atomically; return the record's id.

        ``state`` is the task as recorded now, with its events when
        ``history`` (a decision that depends on earlier approvals). The id is
        what was written (the local forge's board commit SHA). When the task
        changed meanwhile, ``decide`` runs again on the new state and may
        refuse (``Refused``); ``RaceLost`` when it kept changing.
        """
        ...

    def apply_all(self, decide: DecideAll, subject: str) -> str:
        """Record ``decide(state)`` — transitions of several tasks — as one; return its id.

        ``state`` is every task and the stale claims flagged before (a sweep).
        The local forge writes one board commit (``subject``, the first
        transition's trailers); a forge without such a commit writes each.
        Re-decided when the tasks changed meanwhile, as ``apply``.
        """
        ...

    def stale_flags(self, tip: str | None = None) -> set[str]:
        """The keys of the claim lapses recorded as ``stale`` so far."""
        ...

    def add_task(self, task: NewTask) -> tuple[int, str]:
        """Add ``task`` with a number never used before; return (number, record id)."""
        ...

    def escalate(self, number: int, escalation: Escalation, decide: Decide) -> str:
        """Record an escalation (docs/protocol.md "Escalations") and ``decide``'s transition.

        The local forge records the transition (its archive entry names the
        escalation); the github forge also posts ``escalation`` as a comment.
        """
        ...

    def publish_verdict(self, verdict: Verdict, task: int | None = None,
                        pusher: Person | None = None) -> None:
        """Show a gate's verdict for its head SHA where users look (a check run); local: no-op.

        ``pusher``: who pushed the head, when the event says (recorded with the verdict).
        """
        ...

    def push_release(self, tip: str, commit: str) -> bool:
        """Move the base from ``tip`` to the release ``commit`` without force; False: it moved.

        Raises ``PushRefused`` when the remote refuses although the base did not move.
        """
        ...

    def maintainers(self, logins: Sequence[str]) -> tuple[str, ...]:
        """Those of ``logins`` the forge itself knows as maintainers, in order.

        Locally none (``claims.maintainers`` in the configuration names them); on GitHub the
        accounts with the admin or maintain role on the repository.
        """
        ...

    def claims(self) -> ClaimRecords:
        """The claim records of this forge."""
        ...
