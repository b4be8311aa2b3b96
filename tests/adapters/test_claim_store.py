"""The claim refs on real repositories (clones of one bare origin), and process fingerprints."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gatebot.adapters.claim_store import (
    ClaimStore,
    claim_ref,
    current_fingerprint,
    is_alive,
    process_start,
    session_fingerprint,
)
from gatebot.adapters.git import Git
from gatebot.core.claims import ClaimRecord, Fingerprint
from gatebot.errors import GitError, UsageError
from tests.repos import clone_of, git, make_repo, put_commit

T0 = datetime(2025, 11, 1, 10, 0, tzinfo=UTC)


def record(name: str = "goldenfocus-claude-001", number: int = 4, **extra: object) -> ClaimRecord:
    data: dict[str, object] = {
        "session_id": "001", "session_name": name, "ai_type": "claude", "platform": "cli",
        "started_at": T0, "status": "active", "claimed_files": ("src/**",), "task": "Build",
        "task_number": f"#{number}", "task_section": "READY", "estimated_duration_minutes": 60,
        "heartbeat_last": T0, "heartbeat_count": 0, "progress_percent": 0, "notes": "",
    }
    data.update(extra)
    return ClaimRecord.model_validate(data)


@pytest.fixture
def two(tmp_path: Path) -> tuple[ClaimStore, ClaimStore, Path]:
    """The claim stores of two clones of one bare origin, and the origin."""
    repo = make_repo(tmp_path)
    other = clone_of(repo, tmp_path / "other")
    return ClaimStore(Git(repo.path), "origin"), ClaimStore(Git(other.path), "origin"), repo.origin


def refs(where: Path) -> list[str]:
    return git(where, "for-each-ref", "--format=%(refname)").splitlines()


def test_a_claim_made_in_one_clone_is_read_and_updated_in_another(
    two: tuple[ClaimStore, ClaimStore, Path],
) -> None:
    mine, theirs, origin = two
    main_before = git(origin, "rev-parse", "main")
    assert mine.list() == ([], [])
    ref = mine.create(record())
    assert ref == "refs/gatebot/claims/4/goldenfocus-claude-001"
    assert theirs.list() == ([record()], [])
    beat = theirs.update("goldenfocus-claude-001", 4,
                         lambda r: r.model_copy(update={"heartbeat_count": 1}))
    assert mine.list() == ([beat], [])
    assert git(origin, "rev-parse", "main") == main_before  # no commit on the base branch
    assert [r for r in refs(origin) if not r.startswith("refs/heads/")] == [ref]
    assert git(origin, "rev-list", "--count", ref) == "2"  # the claim, its heartbeat
    assert '"heartbeat_count": 1' in git(origin, "log", "-1", "--format=%B", ref)


def test_creating_an_existing_claim_fails_in_every_clone_and_keeps_the_first(
    two: tuple[ClaimStore, ClaimStore, Path],
) -> None:
    mine, theirs, _ = two
    mine.create(record(notes="first"))
    with pytest.raises(FileExistsError):
        theirs.create(record(notes="second"))
    with pytest.raises(FileExistsError):
        mine.create(record(notes="third"))
    assert theirs.list()[0][0].notes == "first"
    theirs.create(record(notes="over a dead one"), replace=lambda old: old.notes == "first")
    assert mine.list()[0][0].notes == "over a dead one"


def test_remove_is_a_tombstone_and_a_released_claim_can_be_claimed_again(
    two: tuple[ClaimStore, ClaimStore, Path],
) -> None:
    mine, theirs, origin = two
    mine.create(record())
    assert theirs.remove("goldenfocus-claude-001", 4, expect=record(notes="changed")) is False
    assert theirs.remove("goldenfocus-claude-001", 4) is True
    assert theirs.remove("goldenfocus-claude-001", 4) is False
    assert mine.list() == ([], [])
    with pytest.raises(FileNotFoundError):
        mine.update("goldenfocus-claude-001", 4, lambda r: r)
    mine.create(record(notes="again"))
    assert theirs.list()[0] == [record(notes="again")]
    ref = claim_ref("goldenfocus-claude-001", 4)
    assert git(origin, "rev-list", "--count", ref) == "3"  # never deleted, never forced


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b", ".hidden", "a\\b", "ça va",
                                  "x.lock", "a..b", "@{-1}", "ann@example.org"])
def test_ref_names_are_valid_and_never_leave_the_namespace(
    two: tuple[ClaimStore, ClaimStore, Path], name: str,
) -> None:
    mine, theirs, _ = two
    ref = mine.create(record(name))
    assert ref.startswith("refs/gatebot/claims/4/")
    assert "/" not in ref.removeprefix("refs/gatebot/claims/4/")
    git(mine.git.root, "check-ref-format", ref)
    assert theirs.list()[0] == [record(name)]


def test_names_that_sanitise_alike_stay_apart() -> None:
    assert claim_ref("a/b", 1) != claim_ref("a_b", 1)
    assert claim_ref("a/b", 1) != claim_ref("a\\b", 1)
    assert claim_ref("a_b", 1) == "refs/gatebot/claims/1/a_b"


def push_message(store: ClaimStore, ref: str, message: str) -> None:
    put_commit(store.git.root, ref, message, push=True)


def test_invalid_records_are_problems_that_hide_nothing(
    two: tuple[ClaimStore, ClaimStore, Path],
) -> None:
    mine, theirs, _ = two
    mine.create(record("good", 1))
    full = record("cut", 2).model_dump_json()
    push_message(mine, "refs/gatebot/claims/2/cut", f"cut\n\n{full[: len(full) // 2]}\n")
    push_message(mine, "refs/gatebot/claims/9/moved", f"moved\n\n{record('other', 9).model_dump_json()}")
    records, problems = theirs.list()
    assert [r.session_name for r in records] == ["good"]
    by_ref = {p.ref: p for p in problems}
    assert set(by_ref) == {"refs/gatebot/claims/2/cut", "refs/gatebot/claims/9/moved"}
    cut = by_ref["refs/gatebot/claims/2/cut"]
    assert (cut.task_number, "EOF" in cut.reason) == (2, True)
    assert cut.message == (f"refs/gatebot/claims/2/cut: not a valid claim ({cut.reason}); "
                           "remove it with `gatebot release 2 --force`")
    assert "refs/gatebot/claims/9/other" in by_ref["refs/gatebot/claims/9/moved"].reason
    with pytest.raises(ValueError, match="not a valid claim"):
        theirs.update("cut", 2, lambda r: r)
    assert theirs.remove_ref("refs/gatebot/claims/2/cut") is True
    assert [p.ref for p in mine.list()[1]] == ["refs/gatebot/claims/9/moved"]


def test_update_keeps_the_key_and_needs_a_claim(two: tuple[ClaimStore, ClaimStore, Path]) -> None:
    mine, _, _ = two
    mine.create(record())
    with pytest.raises(FileNotFoundError):
        mine.update("nobody", 4, lambda r: r)
    with pytest.raises(ValueError, match="cannot move"):
        mine.update("goldenfocus-claude-001", 4,
                    lambda r: r.model_copy(update={"task_number": "#5"}))


def test_a_push_refused_by_the_remote_is_an_error_not_a_lost_race(
    two: tuple[ClaimStore, ClaimStore, Path],
) -> None:
    mine, _, origin = two
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'claims are closed today' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(GitError, match="claims are closed today"):
        mine.create(record())


def test_without_a_remote_every_worktree_shares_the_claims(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    repo.git("remote", "remove", "origin")
    repo.git("worktree", "add", "-q", str(tmp_path / "wt"), "-b", "side")
    here, there = ClaimStore(Git(repo.path)), ClaimStore(Git(tmp_path / "wt"))
    here.create(record())
    assert there.list() == ([record()], [])
    with pytest.raises(FileExistsError):
        there.create(record())
    assert there.remove("goldenfocus-claude-001", 4) is True
    assert here.list() == ([], [])


def test_a_session_key_names_the_session_and_a_bad_session_pid_is_refused() -> None:
    plain = session_fingerprint({})
    assert (plain.pid, plain.key) == (os.getppid(), None)
    keyed = session_fingerprint({"GATEBOT_SESSION_ID": "agent-7"})
    assert keyed.key is not None
    assert "agent-7" not in keyed.model_dump_json()
    assert session_fingerprint({"GATEBOT_SESSION_PID": str(os.getpid())}).pid == os.getpid()
    for bad in ("0", "x", "99999999"):
        with pytest.raises(UsageError, match="GATEBOT_SESSION_PID") as caught:
            session_fingerprint({"GATEBOT_SESSION_PID": bad})
        assert bad not in caught.value.message


# -- fingerprints of real processes ------------------------------------------------------------
def test_this_process_is_alive_and_fingerprinted() -> None:
    me = current_fingerprint(os.getpid())
    assert me.host == socket.gethostname()
    assert me.process_start == process_start(os.getpid())
    assert me.process_start is not None
    assert is_alive(me) is True
    assert current_fingerprint().pid == os.getppid()


def test_liveness_tells_gone_reused_and_unknowable_processes() -> None:
    me = current_fingerprint(os.getpid())
    assert me.process_start is not None
    reused = me.model_copy(update={"process_start": me.process_start + 1})
    assert is_alive(reused) is False
    assert is_alive(me.model_copy(update={"host": "elsewhere.invalid"})) is None
    assert is_alive(None) is None
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert is_alive(Fingerprint(host=me.host, pid=child.pid, process_start=1)) is False
    assert process_start(child.pid) is None


def test_a_killed_but_unreaped_process_counts_as_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    fingerprint = current_fingerprint(child.pid)
    assert is_alive(fingerprint) is True
    os.kill(child.pid, signal.SIGKILL)
    # blocks until the child has died, and leaves it unreaped (WNOWAIT): a zombie
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    try:
        assert Path(f"/proc/{child.pid}").exists()  # a zombie, still listed
        assert process_start(child.pid) is None
        assert is_alive(fingerprint) is False
    finally:
        child.wait()
