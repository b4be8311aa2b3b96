"""Claims, heartbeats, sweeps, release, completion (SPEC §8) on real repositories and processes.

Orderings a race hits only by luck are forced: the injected ``sleep`` runs the rival's step.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gatebot.adapters.claim_store import ClaimStore, claim_ref, current_fingerprint, is_alive
from gatebot.adapters.git import Git
from gatebot.app.claims import claim as claim_task
from gatebot.app.claims import complete, heartbeat, release, sweep
from gatebot.app.status import gather_status, render_markdown
from gatebot.core.claims import ClaimRecord, Fingerprint, flag_key
from gatebot.errors import Refused, UsageError
from tests.repos import clone_of, make_repo, plain_repo, put_commit

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 11, 1, 10, 0, tzinfo=UTC)
ME = current_fingerprint(os.getpid())
LIMIT = timedelta(minutes=20)


def frozen(now: datetime = T0) -> Callable[[], datetime]:
    return lambda: now


def claim(store: ClaimStore, number: int, name: str, **kw: object) -> ClaimRecord:
    """Claim with test defaults: no settle time, this process as identity, 10:00 UTC."""
    args: dict[str, object] = {
        "task_title": f"Task {number}", "files": [], "clock": frozen(), "settle_s": (0, 0),
        "identity": ME, "sleep": lambda _s: None,
    }
    args.update(kw)
    return claim_task(store, task_number=number, session_name=name, **args)  # type: ignore[arg-type]


def at(minutes: float) -> Callable[[], datetime]:
    return frozen(T0 + timedelta(minutes=minutes))


def steps(*hooks: Callable[[], object] | None) -> Callable[[float], None]:
    """A ``sleep`` that runs ``hooks[k]`` on its k-th call (None: just return)."""
    pending = list(hooks)

    def sleep(_seconds: float) -> None:
        hook = pending.pop(0) if pending else None
        if hook is not None:
            hook()

    return sleep


def interrupt() -> None:
    raise KeyboardInterrupt


def names(store: ClaimStore) -> list[str]:
    return [r.session_name for r in store.list()[0]]


def local(tmp_path: Path) -> ClaimStore:
    """The claim store of a new repository with no remote."""
    return ClaimStore(Git(plain_repo(tmp_path / "repo")))


def elsewhere(store: ClaimStore) -> ClaimStore:
    """A scratch store beside ``store`` (to build records as a rival would)."""
    path = store.git.root.with_name(store.git.root.name + "-elsewhere")
    return ClaimStore(Git(path if path.exists() else plain_repo(path)))


# -- real processes -------------------------------------------------------------------------------
RACER = textwrap.dedent(
    """
    import os, sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    from gatebot.adapters.claim_store import ClaimStore, current_fingerprint
    from gatebot.adapters.git import Git
    from gatebot.app.claims import claim
    from gatebot.errors import Refused
    clone, name, number, files, go, hold = sys.argv[1:7]
    store = ClaimStore(Git(Path(clone)), "origin")
    store.list()  # warm up before the start line
    while not os.path.exists(go):
        time.sleep(0.001)
    try:
        claim(store, task_number=int(number), task_title="Race",
              session_name=name, files=files.split(), clock=lambda: datetime.now(UTC),
              settle_s=(0.05, 0.05), identity=current_fingerprint(os.getpid()))
    except Refused as exc:
        print("REFUSED", exc.message, flush=True)
    else:
        print("HOLD", flush=True)
        time.sleep(float(hold))
    """
)


def start(
    clone: Path, name: str, number: int, files: str, go: Path, hold: float = 0
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RACER, str(clone), name, str(number), files, str(go), str(hold)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize(
    ("task_of", "files_of"),
    [(lambda i: 4, lambda i: f"src/mod{i}.py"), (lambda i: 10 + i, lambda i: f"src/** docs/{i}")],
    ids=["same-task", "overlapping-globs"],
)
def test_eight_processes_racing_leave_exactly_one_holder(
    tmp_path: Path, task_of: Callable[[int], int], files_of: Callable[[int], str]
) -> None:
    repo = make_repo(tmp_path)
    clones = [clone_of(repo, tmp_path / f"c{i}").path for i in range(8)]
    go = tmp_path / "go"
    racers = [start(clones[i], f"r{i}", task_of(i), files_of(i), go) for i in range(8)]
    go.touch()
    outputs = [p.communicate(timeout=120)[0].strip() for p in racers]
    holders = [f"r{i}" for i, out in enumerate(outputs) if out == "HOLD"]
    assert len(holders) == 1, outputs
    store = ClaimStore(Git(repo.path), "origin")
    (held,) = store.list()[0]
    assert (held.session_name, held.status) == (holders[0], "active")
    for out in outputs:
        if out != "HOLD":
            assert out.startswith(f"REFUSED task {held.task_number} is claimed by {holders[0]} since ")
    assert store.list()[1] == []


def test_a_killed_claimant_goes_stale_once_and_holds_until_forced(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    store = ClaimStore(Git(repo.path), "origin")
    go = tmp_path / "go"
    go.touch()
    child = start(clone_of(repo, tmp_path / "c").path, "goldenfocus-claude-003", 7,
                  "lib/twitter.ts", go, hold=60)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "HOLD"
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()
    (held,) = store.list()[0]
    assert is_alive(held.fingerprint) is False
    lock = claim_ref(held.session_name, 7)
    before = store.git.out("rev-parse", lock)

    beat = held.heartbeat_last
    assert sweep(store, clock=frozen(beat + LIMIT), stale_after=LIMIT, already_flagged=set()) == []
    late = frozen(beat + LIMIT + timedelta(minutes=1))
    assert sweep(store, clock=late, stale_after=LIMIT, already_flagged=set()) == [held]
    flagged = {flag_key(held)}
    for _ in range(3):
        assert sweep(store, clock=late, stale_after=LIMIT, already_flagged=flagged) == []
    assert store.git.out("rev-parse", lock) == before  # sweeps never write
    board = render_markdown(gather_status(store, clock=late, stale_after=LIMIT))
    assert "STALE (21 min)" in board

    with pytest.raises(Refused, match="task #7 is claimed by goldenfocus-claude-003"):
        claim(store, 7, "goldenfocus-codex-004", clock=late)
    with pytest.raises(Refused, match="task #7 is claimed by goldenfocus-claude-003"):
        release(store, 7, actor="goldenfocus-codex-004")
    with pytest.raises(Refused, match="goldenfocus-codex-004 is not a maintainer"):
        release(store, 7, actor="goldenfocus-codex-004", force=True, maintainers={"alice"})
    assert store.list()[0] == [held]
    released = release(store, 7, actor="Alice", force=True, maintainers={"alice"})
    assert (released.record, released.forced, released.removed) == (held, True, (lock,))
    assert store.list() == ([], [])


# -- the protocol's orderings -----------------------------------------------------------------
def test_claiming_a_claimed_task_is_refused_with_holder_and_time(tmp_path: Path) -> None:
    store = local(tmp_path)
    claim(store, 4, "goldenfocus-claude-001")
    with pytest.raises(Refused) as refused:
        claim(store, 4, "goldenfocus-codex-002", clock=at(5))
    assert refused.value.message == (
        "task #4 is claimed by goldenfocus-claude-001 since 2025-11-01T10:00:00Z"
    )
    assert refused.value.exit_code == 1
    assert names(store) == ["goldenfocus-claude-001"]


def test_overlapping_globs_of_two_tasks_the_older_claim_wins(tmp_path: Path) -> None:
    store = local(tmp_path)
    results: list[object] = []

    def older_claims_now() -> None:
        results.append(claim(store, 1, "old", files=["src/**"], clock=at(0)))

    with pytest.raises(Refused, match=r"task #1 is claimed by old .* with src/\*\*, which overlaps"):
        claim(store, 2, "new", files=["src/app.py"], clock=at(1), sleep=steps(older_claims_now))
    assert names(store) == ["old"]
    assert len(results) == 1
    claim(store, 3, "docs", files=["docs/**"], clock=at(2))  # disjoint files: no conflict
    assert names(store) == ["old", "docs"]  # in ref order: task 1, then task 3


def test_an_active_claim_keeps_the_task_against_an_older_latecomer(tmp_path: Path) -> None:
    store = local(tmp_path)
    refusals: list[str] = []

    def latecomer() -> None:
        with pytest.raises(Refused) as refused:
            claim(store, 4, "late-but-older", clock=at(0))
        refusals.append(refused.value.message)

    held = claim(store, 4, "active-first", clock=at(1), sleep=steps(None, latecomer))
    assert held.status == "active"
    assert refusals == ["task #4 is claimed by active-first since 2025-11-01T10:01:00Z"]
    assert names(store) == ["active-first"]


# an older claim on #4 at 10:00, written as a rival in phase 1 or 2 would have
def older_claiming(
    store: ClaimStore, fingerprint: Fingerprint = ME, status: str = "claiming",
    writer: Fingerprint = ME,
) -> ClaimRecord:
    record = claim(elsewhere(store), 4, "older", identity=fingerprint)
    record = record.model_copy(update={"status": status, "session_id": "aaa", "writer": writer})
    store.create(record)
    return record


def test_phase_two_waits_for_an_older_claim_still_settling(tmp_path: Path) -> None:
    store = local(tmp_path)
    waited: list[bool] = []

    def older_gives_up() -> None:
        waited.append(True)
        store.remove("older", 4)

    sleep = steps(None, lambda: older_claiming(store), older_gives_up)
    assert claim(store, 4, "newer", clock=at(1), sleep=sleep).status == "active"
    assert waited == [True]
    assert names(store) == ["newer"]


def test_phase_two_gives_up_on_an_older_claim_that_never_settles(tmp_path: Path) -> None:
    store = local(tmp_path)
    sleep = steps(None, lambda: older_claiming(store))
    with pytest.raises(Refused, match=r"claimed by older .*\(still settling\)"):
        claim(store, 4, "newer", clock=at(1), sleep=sleep)
    assert names(store) == ["older"]


def test_a_loser_names_the_final_holder_not_a_claimant_that_lost_too(tmp_path: Path) -> None:
    store = local(tmp_path)

    def oldest_wins_and_the_middle_one_yields() -> None:
        claim(store, 4, "oldest", clock=frozen(T0 - timedelta(minutes=1)))
        store.remove("older", 4)

    sleep = steps(lambda: older_claiming(store), oldest_wins_and_the_middle_one_yields)
    with pytest.raises(Refused) as refused:
        claim(store, 4, "newest", clock=at(1), sleep=sleep)
    assert refused.value.message == "task #4 is claimed by oldest since 2025-11-01T09:59:00Z"
    assert names(store) == ["oldest"]


def test_when_both_passed_phase_one_the_older_wins_phase_two(tmp_path: Path) -> None:
    store = local(tmp_path)
    sleep = steps(None, lambda: older_claiming(store, status="active"))
    with pytest.raises(Refused, match="task #4 is claimed by older since 2025-11-01T10:00:00Z"):
        claim(store, 4, "newer", clock=at(1), sleep=sleep)
    assert names(store) == ["older"]


def test_an_interrupted_or_released_claim_leaves_no_record(tmp_path: Path) -> None:
    store = local(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        claim(store, 4, "a", sleep=steps(interrupt))
    assert store.list() == ([], [])
    sleep = steps(lambda: release(store, 4, actor="m", force=True, maintainers=["m"]))
    with pytest.raises(Refused, match="the claim on task #4 was released meanwhile"):
        claim(store, 4, "a", sleep=sleep)
    assert store.list() == ([], [])


def test_a_claiming_record_whose_writer_is_gone_is_ignored_and_removed(tmp_path: Path) -> None:
    store = local(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    older_claiming(store, writer=Fingerprint(host=ME.host, pid=dead.pid, process_start=1))
    assert claim(store, 4, "newer", clock=at(1)).status == "active"
    assert names(store) == ["newer"]


def test_a_corrupt_claim_record_does_not_stop_claims(tmp_path: Path) -> None:
    store = local(tmp_path)
    put_commit(store.git.root, "refs/gatebot/claims/4/broken", 'broken\n\n{"session_id": "0')
    claim(store, 5, "a")
    heartbeat(store, session_name="a", progress=10, clock=at(1))
    records, problems = store.list()
    assert [r.session_name for r in records] == ["a"]
    assert [p.ref for p in problems] == ["refs/gatebot/claims/4/broken"]
    assert release(store, 5, actor="a").record is not None
    gone = release(store, 4, actor="m", force=True, maintainers=["m"])
    assert (gone.record, gone.removed) == (None, ("refs/gatebot/claims/4/broken",))
    assert store.list() == ([], [])


def test_claim_refuses_bad_arguments_and_a_second_claim_of_its_own(tmp_path: Path) -> None:
    store = local(tmp_path)
    for kw in ({"settle_s": (-1, 0)}, {"estimate_min": -1}, {"files": ["a\nb"]}):
        with pytest.raises(UsageError):
            claim(store, 4, "a", **kw)
    with pytest.raises(UsageError, match="task number must be 1 or more"):
        claim(store, 0, "a")
    with pytest.raises(UsageError, match="session_name"):
        claim(store, 4, "two\nlines")
    first = claim(store, 4, "a", task_title="Title\n## forged", estimate_min=30, files=[" x "])
    assert (first.task, first.estimated_duration_minutes, first.claimed_files) == (
        "Title ## forged", 30, ("x",)
    )
    with pytest.raises(Refused, match="a already claims task #4 since 2025-11-01T10:00:00Z"):
        claim(store, 4, "a")
    assert store.list()[0] == [first]


# -- session identity -----------------------------------------------------------------------------
def test_a_name_held_by_a_live_process_is_refused(tmp_path: Path) -> None:
    store = local(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        claim(store, 4, "goldenfocus-claude-001", identity=current_fingerprint(other.pid))
        for force in (False, True):
            with pytest.raises(Refused, match=f"in use by a live process \\(pid {other.pid} on"):
                claim(store, 5, "goldenfocus-claude-001", clock=at(60), force=force)
    finally:
        other.kill()
        other.wait()
    assert names(store) == ["goldenfocus-claude-001"]


def test_a_dead_processes_name_is_taken_over_only_when_stale_and_forced(tmp_path: Path) -> None:
    store = local(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    old = claim(store, 4, "goldenfocus-claude-001", identity=current_fingerprint(gone.pid))
    gone.kill()
    gone.wait()
    for force in (False, True):
        with pytest.raises(Refused, match="has exited, but its last heartbeat was 5 min ago"):
            claim(store, 5, "goldenfocus-claude-001", clock=at(5), force=force)
    with pytest.raises(Refused, match=r"is gone, and its heartbeat is stale \(25 min\)"):
        claim(store, 5, "goldenfocus-claude-001", clock=at(25))
    new = claim(store, 5, "goldenfocus-claude-001", clock=at(25), force=True)
    assert new.session_id == old.session_id
    records = store.list()[0]
    assert [(r.number, r.fingerprint) for r in records] == [(4, ME), (5, ME)]
    assert records[0].heartbeat_last == old.heartbeat_last  # adopting is not a heartbeat


# -- heartbeats, completion, release ----------------------------------------------------------------
def test_heartbeat_updates_time_count_progress_and_notes(tmp_path: Path) -> None:
    store = local(tmp_path)
    claim(store, 4, "a")
    first = heartbeat(store, session_name="a", progress=45, clock=at(15))
    assert (first.heartbeat_last, first.heartbeat_count, first.progress_percent) == (
        T0 + timedelta(minutes=15), 1, 45
    )
    second = heartbeat(store, session_name="a", task_number=4, note="state\ntransitions", clock=at(30))
    assert (second.heartbeat_count, second.progress_percent, second.notes) == (
        2, 45, "state transitions"
    )
    assert store.list()[0] == [second]
    for bad in (-1, 101):
        with pytest.raises(UsageError, match="0 to 100"):
            heartbeat(store, session_name="a", progress=bad, clock=at(31))
    assert store.list()[0] == [second]


def test_heartbeat_needs_exactly_one_claim_or_a_task_number(tmp_path: Path) -> None:
    store = local(tmp_path)
    with pytest.raises(UsageError, match=r"a holds 0 claims \(none\)"):
        heartbeat(store, session_name="a", clock=at(1))
    claim(store, 4, "a")
    claim(store, 5, "a", files=["x"])
    with pytest.raises(UsageError, match=r"a holds 2 claims \(#4, #5\)") as listed:
        heartbeat(store, session_name="a", clock=at(1))
    assert "heartbeat N" in listed.value.hint
    with pytest.raises(Refused, match="a holds no claim on task #6"):
        heartbeat(store, session_name="a", task_number=6, clock=at(1))
    assert heartbeat(store, session_name="a", task_number=5, clock=at(1)).heartbeat_count == 1


def test_complete_marks_completed_then_removes(tmp_path: Path) -> None:
    store = local(tmp_path)
    claim(store, 4, "a")
    with pytest.raises(Refused, match="b holds no claim on task #4"):
        complete(store, 4, "b")
    done = complete(store, 4, "a")
    assert (done.status, done.number) == ("completed", 4)
    assert store.list() == ([], [])


def test_release_by_holder_and_refusals(tmp_path: Path) -> None:
    store = local(tmp_path)
    with pytest.raises(Refused, match="task #4 is not claimed"):
        release(store, 4, actor="a")
    held = claim(store, 4, "Goldenfocus-Claude-001")
    with pytest.raises(Refused, match="claimed by Goldenfocus-Claude-001") as refused:
        release(store, 4, actor="someone")
    assert "--force" in refused.value.hint
    released = release(store, 4, actor="goldenfocus-claude-001")
    assert (released.record, released.forced) == (held, False)
    assert store.list() == ([], [])
