"""Claim, heartbeat, sweep, release and complete on the claim refs (SPEC §8).

The seed's three-phase claim (golden-focus-protocol.md "Claiming Work
Protocol"): write the claim record as ``claiming``, let it settle, check for
conflicts, write ``active``, let it settle, check again. The oldest claim wins
(``started_at``, then ``session_id``). Two refinements make it hold under load
even when clocks or schedulers misbehave:

- phase 1 also yields to any conflicting claim already ``active`` (it passed
  its own check before we appeared, whatever its timestamp says);
- phase 2 waits while an older conflicting claim is still ``claiming`` (it
  will either see us ``active`` and yield, or go ``active`` and beat us).

So for two conflicting claimants at most one ever holds. The durable claim is
the board commit (SPEC §4.4); the claim records (``gatebot.adapters.claim_store``,
shared through the origin) are the layer in front of it. A record whose board
claim never landed and whose writing process is gone is dead
(``gatebot.core.claims.is_dead``): every reader ignores it and the writers
remove it, so a ``kill -9`` during ``claim`` blocks no one. Every function
takes the clock (``Callable[[], datetime]``) and, where it waits, ``sleep``;
settle times are seconds.
"""

from __future__ import annotations

import os
import re
import secrets
import string
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from gatebot.adapters.claim_store import current_fingerprint, is_alive
from gatebot.core.claims import (
    DEFAULT_STALE_AFTER,
    ClaimProblem,
    ClaimRecord,
    Clock,
    Fingerprint,
    as_utc,
    conflict_reason,
    flag_key,
    format_seconds,
    heartbeat_age,
    holder_text,
    identity_decision,
    identity_refusal,
    is_dead,
    is_stale,
    order_key,
    precedes,
)
from gatebot.errors import Refused, UsageError
from gatebot.ports import ClaimRecords

Sleep = Callable[[float], None]
Say = Callable[[str], None]
Holders = Callable[[], Mapping[int, Collection[str]]]
DEFAULT_SETTLE_S = (10.0, 5.0)
POLL_S = 0.1
GRACE_S = 2.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_HINT_BUSY = "pick another task or other files; `gatebot status` shows every claim"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Live:
    """Reads claim records without the dead ones (``gatebot.core.claims.is_dead``).

    ``holders()`` reads the board now: task number → the casefolded session
    names holding it out of READY (None: no board known, every ``active``
    record counts as landed). ``clean`` removes each dead record it meets
    (compare-and-swap: only while unchanged); ``status`` reads without writing.
    """

    holders: Holders | None = None
    clock: Clock = _utc_now
    stale_after: timedelta = DEFAULT_STALE_AFTER
    clean: bool = True

    def read(
        self, store: ClaimRecords, relevant: Callable[[ClaimRecord], bool] = lambda _r: True
    ) -> tuple[list[ClaimRecord], list[ClaimProblem]]:
        """The live ``relevant`` claims and every invalid one: ``(records, problems)``.

        Only ``relevant`` records are judged (the board is read at most once).
        """
        records, problems = store.list()
        records = [r for r in records if relevant(r)]
        dead = self.dead(records)
        for record in dead if self.clean else ():
            store.remove(record.session_name, record.number, expect=record)
        return [r for r in records if r not in dead], problems

    def dead(self, records: Sequence[ClaimRecord]) -> list[ClaimRecord]:
        """The dead records among ``records``; the board is read only when a writer is gone."""
        suspects = [(r, alive) for r in records if not (alive := is_alive(r.writer))]
        if not suspects:
            return []
        held = self.holders() if self.holders is not None else None
        now = as_utc(self.clock())

        def landed(record: ClaimRecord) -> bool:
            if record.status != "active":  # the board claim follows the active record
                return False
            names = None if held is None else held.get(record.number, ())
            return names is None or record.session_name.casefold() in names

        return [r for r, alive in suspects if is_dead(
            r, writer_alive=alive, landed=landed(r), now=now, stale_after=self.stale_after)]


def claim(
    store: ClaimRecords,
    *,
    task_number: int,
    task_title: str,
    session_name: str,
    files: Sequence[str],
    clock: Clock,
    settle_s: tuple[float, float] = DEFAULT_SETTLE_S,
    estimate_min: int | None = None,
    sleep: Sleep = time.sleep,
    identity: Fingerprint | None = None,
    force: bool = False,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    task_section: str = "READY",
    ai_type: str = "unknown",
    platform: str = "unknown",
    holders: Holders | None = None,
    say: Say | None = None,
) -> ClaimRecord:
    """Claim task ``task_number`` for ``session_name`` with the three-phase protocol.

    ``files`` are globs (see ``gatebot.core.claims``); ``settle_s`` the two
    waits in seconds (seed: 10 and 5), each announced through ``say`` first;
    ``identity`` the session (default: the parent process); ``holders`` reads
    the board's holders (see ``Live``). Returns the ``active`` record, whose
    ``writer`` is this process. Raises ``Refused`` (exit 1) when another claim
    wins ("task #4 is claimed by X since T") or the session name belongs to
    another process (``force`` takes over a name whose process is gone and
    whose heartbeat is stale); ``UsageError`` for bad arguments. A refused
    claim leaves no record behind.
    """
    _check_arguments(task_number, estimate_min, settle_s, files)
    me = identity or current_fingerprint()
    now = as_utc(clock())
    live = Live(holders, clock, stale_after)
    session_id = _session_id(store, live, session_name, me, now, force=force)
    record = _new_record(
        session_id=session_id, session_name=session_name, ai_type=ai_type, platform=platform,
        now=now, files=files, task=task_title, number=task_number, section=task_section,
        estimate=estimate_min, fingerprint=me,
    )
    _create(store, live, record)
    return _settle(store, live, record, settle_s, sleep=sleep, say=say or (lambda _text: None))


def _settle(
    store: ClaimRecords, live: Live, record: ClaimRecord, settle_s: tuple[float, float], *,
    sleep: Sleep, say: Say,
) -> ClaimRecord:
    """Run phases 1 and 2 on the written ``claiming`` record; on any failure remove it."""
    wait_s = max(settle_s) + GRACE_S
    try:
        _wait(say, sleep, settle_s[0], "checking for rival claims")
        _check_phase_one(store, live, record)
        record = _set(store, record, status="active")
        _wait(say, sleep, settle_s[1], "confirming the claim against rivals")
        _check_phase_two(store, live, record, sleep, wait_s)
    except Refused as refused:
        store.remove(record.session_name, record.number)
        raise _settled(store, live, record, sleep, wait_s, refused=refused) from None
    except BaseException:
        store.remove(record.session_name, record.number)
        raise
    return record


def _wait(say: Say, sleep: Sleep, seconds: float, what: str) -> None:
    """Say what the settle time waits for ("checking for rival claims, 10 s…"), then wait."""
    if seconds > 0:
        say(f"{what}, {seconds:g} s…")
    sleep(seconds)


def _check_arguments(
    task_number: int, estimate: int | None, settle_s: tuple[float, float], files: Sequence[str]
) -> None:
    """Refuse impossible arguments with ``UsageError``."""
    if task_number < 1:
        raise UsageError(f"task number must be 1 or more, not {task_number}")
    if estimate is not None and estimate < 0:
        raise UsageError(f"--estimate must be minutes >= 0, not {estimate}")
    if len(settle_s) != 2 or min(settle_s) < 0:
        raise UsageError(f"settle times must be two seconds values >= 0, not {settle_s}")
    if any(_CONTROL.search(f) or not f.strip() for f in files):
        raise UsageError("a file glob is empty or holds a control character")


def _one_line(text: str) -> str:
    """Neutralise newlines and control characters in user text (SPEC §4.1)."""
    return _CONTROL.sub(" ", text).strip()


def _new_record(
    *, session_id: str, session_name: str, ai_type: str, platform: str, now: datetime,
    files: Sequence[str], task: str, number: int, section: str, estimate: int | None,
    fingerprint: Fingerprint,
) -> ClaimRecord:
    """Build the phase-1 (``claiming``) record; ``UsageError`` when a value is invalid."""
    try:
        return ClaimRecord(
            session_id=session_id, session_name=session_name, ai_type=_one_line(ai_type),
            platform=_one_line(platform), started_at=now, status="claiming",
            claimed_files=tuple(f.strip() for f in files), task=_one_line(task),
            task_number=f"#{number}", task_section=_one_line(section),
            estimated_duration_minutes=estimate, heartbeat_last=now, heartbeat_count=0,
            progress_percent=0, notes="Starting work", fingerprint=fingerprint,
            writer=current_fingerprint(os.getpid()),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"cannot claim: {field}: {first['msg']}", "check --as") from exc


def _create(store: ClaimRecords, live: Live, record: ClaimRecord) -> None:
    """Write the new record over none or a dead one; ``Refused`` when this session holds it."""
    try:
        store.create(record, replace=lambda old: bool(live.dead([old])))
    except FileExistsError:
        records, _ = store.list()
        held = [r for r in records if r.key == record.key]
        since = f" since {format_seconds(held[0].started_at)}" if held else ""
        raise Refused(
            f"{record.session_name} already claims task {record.task_number}{since}",
            f"send heartbeats with `gatebot heartbeat {record.number}`",
        ) from None


def _set(store: ClaimRecords, record: ClaimRecord, **fields: object) -> ClaimRecord:
    """Rewrite a claim with ``fields`` changed; ``Refused`` when it was released meanwhile."""
    try:
        return store.update(
            record.session_name, record.number, lambda r: r.model_copy(update=fields)
        )
    except FileNotFoundError:
        raise Refused(
            f"the claim on task {record.task_number} was released meanwhile",
            "check `gatebot status`",
        ) from None


def _rivals(store: ClaimRecords, live: Live, record: ClaimRecord
            ) -> list[tuple[ClaimRecord, str]]:
    """Conflicting live claims with the reason, oldest first (dead ones are removed)."""
    records, _ = live.read(store, lambda other: conflict_reason(record, other) is not None)
    found = [(other, conflict_reason(record, other) or "") for other in records]
    return sorted(found, key=lambda pair: order_key(pair[0]))


def _check_phase_one(store: ClaimRecords, live: Live, record: ClaimRecord) -> None:
    """Yield to an older conflicting claim, or to any conflicting ``active`` one."""
    for other, reason in _rivals(store, live, record):
        if other.status == "active" or precedes(other, record):
            raise Refused(reason, _HINT_BUSY)


def _check_phase_two(
    store: ClaimRecords, live: Live, record: ClaimRecord, sleep: Sleep, wait_s: float
) -> None:
    """Yield to an older ``active`` claim; wait (up to ``wait_s``) for older ``claiming`` ones."""
    older: list[tuple[ClaimRecord, str]] = []
    for _ in range(int(wait_s / POLL_S) + 1):
        older = [(o, why) for o, why in _rivals(store, live, record) if precedes(o, record)]
        for other, reason in older:
            if other.status == "active":
                raise Refused(reason, _HINT_BUSY)
        if not older:
            return
        sleep(POLL_S)
    raise Refused(f"{older[0][1]} (still settling)", "retry in a few seconds")


def _settled(
    store: ClaimRecords, live: Live, record: ClaimRecord, sleep: Sleep, wait_s: float, *,
    refused: Refused,
) -> Refused:
    """Name the winner once rivals settle: we may have yielded to one that lost in turn."""
    for _ in range(int(wait_s / POLL_S) + 1):
        rivals = _rivals(store, live, record)
        if not any(other.status == "claiming" for other, _ in rivals):
            active = [reason for other, reason in rivals if other.status == "active"]
            return Refused(active[0], _HINT_BUSY) if active else refused
        sleep(POLL_S)
    return refused


# -- session identity (task-locking-fixes.md "Collision Detection") ---------------------
def _session_id(
    store: ClaimRecords, live: Live, session_name: str, me: Fingerprint, now: datetime, *,
    force: bool,
) -> str:
    """Check that ``me`` may act as ``session_name``; return the session id to use.

    Live records of the name held by another session: ``Refused`` while its
    process lives or its heartbeat is fresh; once gone and stale, ``force``
    adopts them. Dead records (a killed ``claim``) are removed, never counted.
    """
    same_name, _ = live.read(store, lambda r: r.session_name == session_name)
    adopt = []
    for record in same_name:
        alive = is_alive(record.fingerprint)
        decision = identity_decision(record, me, alive, now, live.stale_after)
        if decision == "takeover" and force:
            adopt.append(record)
        elif decision != "same":
            raise Refused(*identity_refusal(record, decision, alive, heartbeat_age(record, now)))
    for record in adopt:
        _set(store, record, fingerprint=me)
    if same_name:
        return same_name[0].session_id
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))


# -- heartbeats, sweeps, release, completion --------------------------------------------
def heartbeat(
    store: ClaimRecords,
    *,
    session_name: str,
    task_number: int | None = None,
    progress: int | None = None,
    note: str | None = None,
    clock: Clock,
    holders: Holders | None = None,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> ClaimRecord:
    """Record a heartbeat (golden-focus-protocol.md "Heartbeat System"); return the record.

    Sets ``heartbeat_last`` to now, adds 1 to ``heartbeat_count``, and sets
    ``progress_percent`` (0-100, else ``UsageError``) and ``notes`` when given.
    Without ``task_number`` the session must hold exactly one claim
    (``UsageError`` listing them otherwise); ``Refused`` when it holds none on
    that task. A dead record (see ``Live``; ``holders`` reads the board) is
    removed, not kept alive.
    """
    if progress is not None and not 0 <= progress <= 100:
        raise UsageError(f"--progress must be 0 to 100, not {progress}")
    target = _own_claim(store, Live(holders, clock, stale_after), session_name, task_number)
    now = as_utc(clock())

    def beat(current: ClaimRecord) -> ClaimRecord:
        update: dict[str, object] = {
            "heartbeat_last": now, "heartbeat_count": current.heartbeat_count + 1,
        }
        if progress is not None:
            update["progress_percent"] = progress
        if note is not None:
            update["notes"] = _one_line(note)
        return current.model_copy(update=update)

    try:
        return store.update(target.session_name, target.number, beat)
    except FileNotFoundError:
        raise Refused(f"the claim on task {target.task_number} was released meanwhile") from None


def _own_claim(store: ClaimRecords, live: Live, session_name: str, task_number: int | None
               ) -> ClaimRecord:
    """Find the one live claim of ``session_name`` (on ``task_number`` when given)."""
    own, _ = live.read(store, lambda r: r.session_name == session_name)
    if task_number is not None:
        own = [r for r in own if r.number == task_number]
        if not own:
            raise Refused(f"{session_name} holds no claim on task #{task_number}",
                          f"claim it first with `gatebot claim {task_number}`")
        return own[0]
    if len(own) != 1:
        held = ", ".join(r.task_number for r in own) or "none"
        raise UsageError(f"{session_name} holds {len(own)} claims ({held})",
                         "name the task: `gatebot heartbeat N`" if own else "claim a task first")
    return own[0]


def sweep(
    store: ClaimRecords, *, clock: Clock, stale_after: timedelta, already_flagged: Collection[str],
    holders: Holders | None = None,
) -> list[ClaimRecord]:
    """Return the claims newly stale (SPEC §8), oldest first; removes only dead records.

    A claim is left out when ``flag_key(claim)`` is in ``already_flagged``:
    the caller persists those keys after posting its one notice. The sweep
    never touches a live claim, so its own work never counts as activity.
    """
    now = as_utc(clock())
    fresh, _ = Live(holders, clock, stale_after).read(store, lambda r: is_stale(r, now, stale_after))
    return sorted((r for r in fresh if flag_key(r) not in already_flagged), key=order_key)


@dataclass(frozen=True)
class Released:
    """What ``release`` removed: the claim (None if only invalid ones), their refs, forced."""

    record: ClaimRecord | None
    removed: tuple[str, ...]
    forced: bool


def release(
    store: ClaimRecords,
    task_number: int,
    *,
    actor: str,
    force: bool = False,
    maintainers: Collection[str] = (),
) -> Released:
    """Release the claim on ``task_number`` (SPEC §8; names compare case-insensitively).

    The holder removes their own claim. With ``force`` a maintainer removes
    every claim and invalid claim ref of the task; the caller archives the
    returned record as ``force-released``. ``Refused`` otherwise.
    """
    records, problems = store.list()
    held = sorted((r for r in records if r.number == task_number), key=order_key)
    broken = [p.ref for p in problems if p.task_number == task_number]
    own = [r for r in held if r.session_name.casefold() == actor.casefold()]
    if own:
        store.remove(own[0].session_name, task_number)
        return Released(own[0], (store.record_id(own[0].session_name, task_number),), False)
    if not held and not broken:
        raise Refused(f"task #{task_number} is not claimed")
    reason = holder_text(held[0]) if held else f"task #{task_number} has an invalid claim record"
    if not force:
        raise Refused(reason, "its holder, or a maintainer with --force, can release it")
    if actor.casefold() not in {m.casefold() for m in maintainers}:
        raise Refused(f"{reason}; {actor} is not a maintainer", "ask a maintainer to release it")
    refs = [store.record_id(r.session_name, task_number) for r in held] + broken
    for ref in refs:
        store.remove_ref(ref)
    return Released(held[0] if held else None, tuple(refs), True)


def complete(store: ClaimRecords, task_number: int, session_name: str) -> ClaimRecord:
    """Finish a claim (seed phase 3): mark it ``completed``, then remove it; return it.

    ``Refused`` when ``session_name`` holds no claim on the task.
    """
    target = _own_claim(store, Live(), session_name, task_number)
    done = _set(store, target, status="completed")
    store.remove(done.session_name, done.number)
    return done
