"""Claims on the command line (SPEC §8): claim, heartbeat, release, sweep, status.

The claim record of ``gatebot.app.claims`` (three-phase, seed
golden-focus-protocol.md) says who is working on what right now, and travels
with the origin on ``refs/gatebot/claims/*`` so every clone sees it; the board
commit of ``gatebot.app.lifecycle`` is the durable claim (SPEC §4.4). ``claim``
takes both, record first, and gives the record back when the board says no.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from gatebot.adapters.claim_store import session_fingerprint
from gatebot.adapters.files import write_atomic
from gatebot.app import claims as claims_app
from gatebot.app import lifecycle
from gatebot.app import status as status_app
from gatebot.app.context import Context, open_context
from gatebot.app.transitions import now
from gatebot.core import transitions
from gatebot.core.board import Board, Stage
from gatebot.core.claims import ClaimRecord, flag_key, format_seconds
from gatebot.errors import EXIT_OK, Refused
from gatebot.ports import ClaimRecords


def store_of(ctx: Context) -> ClaimRecords:
    """The forge's claim records (locally: refs shared through the base's remote)."""
    return ctx.forge.claims()


def holders_of(board: Board) -> dict[int, frozenset[str]]:
    """Task number → casefolded ``Assignee`` names, for every task out of READY."""
    return {t.number: frozenset(a.casefold() for a in t.field_list("Assignee"))
            for t in board.tasks if t.stage is not Stage.READY}


def board_holders(ctx: Context) -> claims_app.Holders:
    """Read the board's holders afresh each time (see ``gatebot.app.claims.Live``)."""
    return lambda: holders_of(ctx.board())


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _stale_after(ctx: Context) -> timedelta:
    return timedelta(minutes=ctx.config.claims.stale_after)


def settle_of(ctx: Context, store: ClaimRecords) -> tuple[float, float]:
    """The settle waits in seconds for claims in ``store``.

    The configuration's when it sets them, else the store's own (on GitHub none: the
    server's order decides), else the default ``claims.settle``.
    """
    claims = ctx.config.claims
    if store.settle is None or "settle" in claims.model_fields_set:
        return claims.settle
    return store.settle


def claim_command(cwd: Path, number: int, *, files: Sequence[str], estimate: int | None,
                  actor: str | None, force: bool) -> int:
    """``gatebot claim N``: the three-phase claim record, then the board commit (first push wins)."""
    ctx = open_context(cwd)
    who = ctx.actor(actor)
    task = ctx.board(ctx.opened_tip).task(number)  # the tip opening fetched
    transitions.claimable(task)
    globs = list(files) or task.field_list("Files")
    store = store_of(ctx)
    claims_app.claim(
        store, task_number=number, task_title=task.title, session_name=who, files=globs,
        clock=now, settle_s=settle_of(ctx, store), estimate_min=estimate, force=force,
        stale_after=_stale_after(ctx), task_section=str(task.stage),
        identity=session_fingerprint(os.environ), holders=board_holders(ctx), say=_say,
    )
    try:
        sha = lifecycle.claim(ctx, number, who, globs, estimate,
                              git_identity=ctx.identity(actor).git)
    except BaseException:
        store.remove(who, number)
        raise
    print(f"task #{number} claimed by {who} (board commit {sha[:7]})", file=sys.stderr)
    return EXIT_OK


def heartbeat_command(cwd: Path, number: int | None, progress: int | None, note: str | None,
                      actor: str | None) -> int:
    """``gatebot heartbeat [N]``: update the actor's claim (SPEC §8)."""
    ctx = open_context(cwd)
    record = claims_app.heartbeat(store_of(ctx), session_name=ctx.actor(actor),
                                  task_number=number, progress=progress, note=note, clock=now,
                                  holders=board_holders(ctx), stale_after=_stale_after(ctx))
    print(f"✅ [{format_seconds(record.heartbeat_last)}] heartbeat #{record.heartbeat_count}: "
          f"{record.progress_percent}% task {record.task_number}", file=sys.stderr)
    return EXIT_OK


def release_command(cwd: Path, number: int, force: bool, reason: str | None,
                    actor: str | None) -> int:
    """``gatebot release N [--force]``: give the task back to READY (SPEC §8).

    The holder releases their own claim; ``--force`` lets a maintainer
    (``claims.maintainers``) release anyone's, archived as ``force-released``.
    """
    ctx = open_context(cwd)
    who = ctx.actor(actor)
    maintainers = ctx.config.claims.maintainers
    is_maintainer = who.casefold() in {m.casefold() for m in maintainers}
    try:
        released = claims_app.release(store_of(ctx), number, actor=who, force=force,
                                      maintainers=maintainers)
        record = released.record
    except Refused as exc:
        if "is not claimed" not in exc.message:
            raise
        record = None
    if record is not None and ctx.board().task(number).stage is Stage.READY:
        print(f"task #{number} is in READY already: its board claim never landed; removed "
              f"the claim record of {record.session_name}", file=sys.stderr)
        return EXIT_OK

    moment = now()
    heartbeat = format_seconds(record.heartbeat_last) if record else None
    sha = ctx.forge.apply(number, lambda state: transitions.release(
        state.task, who, moment, force=force, maintainer=is_maintainer, reason=reason,
        heartbeat=heartbeat))
    print(f"task #{number} back in READY (board commit {sha[:7]})", file=sys.stderr)
    return EXIT_OK


def store_clock(store: ClaimRecords) -> Callable[[], datetime]:
    """The clock staleness is judged by.

    The store's own (GitHub's, read once and kept as an offset from the local clock), else
    the local clock (``GATEBOT_NOW`` in tests).
    """
    server = store.now()
    if server is None:
        return now
    offset = server - now()
    return lambda: now() + offset


def sweep_command(cwd: Path) -> int:
    """``gatebot sweep``: record each newly stale claim once (archive + ``stale`` label)."""
    ctx = open_context(cwd)
    store = store_of(ctx)
    clock = store_clock(store)
    stale = claims_app.sweep(store, clock=clock, stale_after=_stale_after(ctx),
                             already_flagged=ctx.forge.stale_flags(),
                             holders=board_holders(ctx))
    if not stale:
        print("no newly stale claims", file=sys.stderr)
        return EXIT_OK
    lapses = [_lapse(r) for r in stale]
    moment = clock()
    ctx.forge.apply_all(lambda state: transitions.stale(state, lapses, moment),
                        f"gatebot: {len(stale)} stale claims")
    for record in stale:
        print(f"⚠️ stale: task #{record.number} held by {record.session_name}, last heartbeat "
              f"{format_seconds(record.heartbeat_last)}", file=sys.stderr)
    return EXIT_OK


def _lapse(record: ClaimRecord) -> transitions.StaleClaim:
    return transitions.StaleClaim(
        record.number, record.task, record.session_name, format_seconds(record.started_at),
        format_seconds(record.heartbeat_last), tuple(record.claimed_files), flag_key(record))


def status_command(cwd: Path, fmt: str, write: str | None) -> int:
    """``gatebot status``: claims, tasks per stage and escalations (the seed's ``./sesh``)."""
    ctx = open_context(cwd)
    board = ctx.board(ctx.opened_tip)  # the tip opening fetched
    stages = {str(s): sum(1 for t in board.tasks if t.stage is s) for s in Stage}
    escalations = [(t.number, t.title) for t in board.tasks
                   if "escalated" in [x.lower() for x in t.field_list("Labels")]]
    store = store_of(ctx)
    data = status_app.gather_status(store, clock=store_clock(store), stale_after=_stale_after(ctx),
                                    stages=stages, escalations=escalations,
                                    holders=lambda: holders_of(board))
    if write:
        write_atomic(ctx.root / write, status_app.render_markdown(data))
    if fmt == "json":
        import json  # noqa: PLC0415

        print(json.dumps(status_app.render_json(data), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        sys.stdout.write(status_app.render_markdown(data))
    else:
        from rich.console import Console  # noqa: PLC0415

        Console(highlight=False).print(status_app.render_text(data))
    return EXIT_OK

