"""Claim, heartbeat, sweep, release and complete on the local claim store (SPEC §8).

The seed's three-phase claim (golden-focus-protocol.md "Claiming Work
Protocol"): write the lock file as ``claiming``, let it settle, check for
conflicts, write ``active``, let it settle, check again. The oldest claim wins
(``started_at``, then ``session_id``). Two refinements make it hold under load
even when clocks or schedulers misbehave:

- phase 1 also yields to any conflicting claim already ``active`` (it passed
  its own check before we appeared, whatever its timestamp says);
- phase 2 waits while an older conflicting claim is still ``claiming`` (it
  will either see us ``active`` and yield, or go ``active`` and beat us).

So for two conflicting claimants at most one ever holds; a claimant whose
process is gone while ``claiming`` is ignored. The durable claim is the board
commit (SPEC §4.4); these lock files are the fast local layer in front of it.
Every function takes the clock (``Callable[[], datetime]``) and, where it
waits, ``sleep``; settle times are seconds.
"""

from __future__ import annotations

import re
import secrets
import string
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from gatebot.adapters.claim_store import ClaimStore, current_fingerprint, is_alive
from gatebot.core.claims import (
    DEFAULT_STALE_AFTER,
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
    is_stale,
    order_key,
    precedes,
)
from gatebot.errors import Refused, UsageError

Sleep = Callable[[float], None]
DEFAULT_SETTLE_S = (10.0, 5.0)
POLL_S = 0.02
GRACE_S = 2.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_HINT_BUSY = "pick another task or other files; `gatebot status` shows every claim"


def claim(
    store: ClaimStore,
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
) -> ClaimRecord:
    """Claim task ``task_number`` for ``session_name`` with the three-phase protocol.

    ``files`` are globs (see ``gatebot.core.claims``); ``settle_s`` the two
    waits in seconds (seed: 10 and 5); ``identity`` the holder's process
    (default: the parent process). Returns the ``active`` record. Raises
    ``Refused`` (exit 1) when another claim wins ("task #4 is claimed by X
    since T") or the session name belongs to another process (``force`` takes
    over a name whose process is gone and whose heartbeat is stale);
    ``UsageError`` for bad arguments. A refused claim leaves no file behind.
    """
    _check_arguments(task_number, estimate_min, settle_s, files)
    me = identity or current_fingerprint()
    now = as_utc(clock())
    session_id = _session_id(store, session_name, me, now, stale_after, force=force)
    record = _new_record(
        session_id=session_id, session_name=session_name, ai_type=ai_type, platform=platform,
        now=now, files=files, task=task_title, number=task_number, section=task_section,
        estimate=estimate_min, fingerprint=me,
    )
    _create(store, record)
    return _settle(store, record, settle_s, sleep)


def _settle(
    store: ClaimStore, record: ClaimRecord, settle_s: tuple[float, float], sleep: Sleep
) -> ClaimRecord:
    """Run phases 1 and 2 on the written ``claiming`` record; on any failure remove it."""
    wait_s = max(settle_s) + GRACE_S
    try:
        sleep(settle_s[0])
        _check_phase_one(store, record)
        record = _set(store, record, status="active")
        sleep(settle_s[1])
        _check_phase_two(store, record, sleep, wait_s)
    except Refused as refused:
        store.remove(record.session_name, record.number)
        raise _settled(store, record, sleep, wait_s, refused) from None
    except BaseException:
        store.remove(record.session_name, record.number)
        raise
    return record


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
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"cannot claim: {field}: {first['msg']}", "check --as") from exc


def _create(store: ClaimStore, record: ClaimRecord) -> None:
    """Write the new lock file; ``Refused`` when this session already claims the task."""
    try:
        store.create(record)
    except FileExistsError:
        records, _ = store.list()
        held = [r for r in records if r.key == record.key]
        since = f" since {format_seconds(held[0].started_at)}" if held else ""
        raise Refused(
            f"{record.session_name} already claims task {record.task_number}{since}",
            f"send heartbeats with `gatebot heartbeat {record.number}`",
        ) from None


def _set(store: ClaimStore, record: ClaimRecord, **fields: object) -> ClaimRecord:
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


def _rivals(store: ClaimStore, record: ClaimRecord) -> list[tuple[ClaimRecord, str]]:
    """Conflicting claims with the reason, oldest first; dead ``claiming`` ones are ignored."""
    records, _ = store.list()
    found = []
    for other in records:
        reason = conflict_reason(record, other)
        if reason is None:
            continue
        if other.status == "claiming" and is_alive(other.fingerprint) is False:
            continue
        found.append((other, reason))
    return sorted(found, key=lambda pair: order_key(pair[0]))


def _check_phase_one(store: ClaimStore, record: ClaimRecord) -> None:
    """Yield to an older conflicting claim, or to any conflicting ``active`` one."""
    for other, reason in _rivals(store, record):
        if other.status == "active" or precedes(other, record):
            raise Refused(reason, _HINT_BUSY)


def _check_phase_two(store: ClaimStore, record: ClaimRecord, sleep: Sleep, wait_s: float) -> None:
    """Yield to an older ``active`` claim; wait (up to ``wait_s``) for older ``claiming`` ones."""
    older: list[tuple[ClaimRecord, str]] = []
    for _ in range(int(wait_s / POLL_S) + 1):
        older = [(o, why) for o, why in _rivals(store, record) if precedes(o, record)]
        for other, reason in older:
            if other.status == "active":
                raise Refused(reason, _HINT_BUSY)
        if not older:
            return
        sleep(POLL_S)
    raise Refused(f"{older[0][1]} (still settling)", "retry in a few seconds")


def _settled(
    store: ClaimStore, record: ClaimRecord, sleep: Sleep, wait_s: float, refused: Refused
) -> Refused:
    """Name the winner once rivals settle: we may have yielded to one that lost in turn."""
    for _ in range(int(wait_s / POLL_S) + 1):
        rivals = _rivals(store, record)
        if not any(other.status == "claiming" for other, _ in rivals):
            active = [reason for other, reason in rivals if other.status == "active"]
            return Refused(active[0], _HINT_BUSY) if active else refused
        sleep(POLL_S)
    return refused


# -- session identity (task-locking-fixes.md "Collision Detection") ---------------------
def _session_id(
    store: ClaimStore,
    session_name: str,
    me: Fingerprint,
    now: datetime,
    stale_after: timedelta,
    *,
    force: bool,
) -> str:
    """Check that ``me`` may act as ``session_name``; return the session id to use.

    Records of the name held by another process: ``Refused`` while that process
    lives or its heartbeat is fresh; once gone and stale, ``force`` adopts them.
    """
    records, _ = store.list()
    same_name = [r for r in records if r.session_name == session_name]
    adopt = []
    for record in same_name:
        alive = is_alive(record.fingerprint)
        decision = identity_decision(record, me, alive, now, stale_after)
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
    store: ClaimStore,
    *,
    session_name: str,
    task_number: int | None = None,
    progress: int | None = None,
    note: str | None = None,
    clock: Clock,
) -> ClaimRecord:
    """Record a heartbeat (golden-focus-protocol.md "Heartbeat System"); return the record.

    Sets ``heartbeat_last`` to now, adds 1 to ``heartbeat_count``, and sets
    ``progress_percent`` (0-100, else ``UsageError``) and ``notes`` when given.
    Without ``task_number`` the session must hold exactly one claim
    (``UsageError`` listing them otherwise); ``Refused`` when it holds none on
    that task.
    """
    if progress is not None and not 0 <= progress <= 100:
        raise UsageError(f"--progress must be 0 to 100, not {progress}")
    target = _own_claim(store, session_name, task_number)
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


def _own_claim(store: ClaimStore, session_name: str, task_number: int | None) -> ClaimRecord:
    """Find the one claim of ``session_name`` (on ``task_number`` when given)."""
    records, _ = store.list()
    own = [r for r in records if r.session_name == session_name]
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
    store: ClaimStore, *, clock: Clock, stale_after: timedelta, already_flagged: Collection[str]
) -> list[ClaimRecord]:
    """Return the claims newly stale (SPEC §8), oldest first; writes nothing.

    A claim is left out when ``flag_key(claim)`` is in ``already_flagged``:
    the caller persists those keys after posting its one notice. The sweep
    never touches heartbeat fields, so its own work never counts as activity.
    """
    now = as_utc(clock())
    records, _ = store.list()
    fresh = [r for r in records if is_stale(r, now, stale_after)]
    return sorted((r for r in fresh if flag_key(r) not in already_flagged), key=order_key)


@dataclass(frozen=True)
class Released:
    """What ``release`` removed: the claim (None if only unreadable files), paths, forced."""

    record: ClaimRecord | None
    removed: tuple[Path, ...]
    forced: bool


def release(
    store: ClaimStore,
    task_number: int,
    *,
    actor: str,
    force: bool = False,
    maintainers: Collection[str] = (),
) -> Released:
    """Release the claim on ``task_number`` (SPEC §8; names compare case-insensitively).

    The holder removes their own claim. With ``force`` a maintainer removes
    every claim and unreadable lock file of the task; the caller archives the
    returned record as ``force-released``. ``Refused`` otherwise.
    """
    records, problems = store.list()
    held = sorted((r for r in records if r.number == task_number), key=order_key)
    broken = [p.path for p in problems if p.task_number == task_number]
    own = [r for r in held if r.session_name.casefold() == actor.casefold()]
    if own:
        store.remove(own[0].session_name, task_number)
        return Released(own[0], (store.path_for(own[0].session_name, task_number),), False)
    if not held and not broken:
        raise Refused(f"task #{task_number} is not claimed")
    reason = holder_text(held[0]) if held else f"task #{task_number} has an unreadable claim file"
    if not force:
        raise Refused(reason, "its holder, or a maintainer with --force, can release it")
    if actor.casefold() not in {m.casefold() for m in maintainers}:
        raise Refused(f"{reason}; {actor} is not a maintainer", "ask a maintainer to release it")
    paths = [store.path_for(r.session_name, task_number) for r in held] + broken
    for path in paths:
        store.remove_path(path)
    return Released(held[0] if held else None, tuple(paths), True)


def complete(store: ClaimStore, task_number: int, session_name: str) -> ClaimRecord:
    """Finish a claim (seed phase 3): mark it ``completed``, then remove it; return it.

    ``Refused`` when ``session_name`` holds no claim on the task.
    """
    target = _own_claim(store, session_name, task_number)
    done = _set(store, target, status="completed")
    store.remove(done.session_name, done.number)
    return done
