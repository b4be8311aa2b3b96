"""The lock-file store on a real directory, and process fingerprints of real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gatebot.adapters.claim_store import (
    ClaimProblem,
    ClaimStore,
    claim_file_name,
    current_fingerprint,
    default_claims_dir,
    is_alive,
    process_start,
)
from gatebot.adapters.git import Git
from gatebot.core.claims import ClaimRecord, Fingerprint

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


def test_create_then_list_round_trips(tmp_path: Path) -> None:
    store = ClaimStore(tmp_path / "claims")
    assert store.list() == ([], [])
    path = store.create(record())
    assert path == tmp_path / "claims" / "goldenfocus-claude-001.task-4.json"
    assert json.loads(path.read_text())["task_number"] == "#4"
    assert store.list() == ([record()], [])
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp files left


def test_creating_an_existing_claim_fails_and_keeps_the_first(tmp_path: Path) -> None:
    store = ClaimStore(tmp_path)
    store.create(record(notes="first"))
    with pytest.raises(FileExistsError):
        store.create(record(notes="second"))
    assert store.list()[0][0].notes == "first"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".claim-")]


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b", ".hidden", "a\\b", "ça va"])
def test_file_names_never_leave_the_directory(tmp_path: Path, name: str) -> None:
    store = ClaimStore(tmp_path / "claims")
    path = store.create(record(name))
    assert path.parent == tmp_path / "claims"
    assert "/" not in path.name
    assert not path.name.startswith(".")
    assert store.list()[0] == [record(name)]


def test_names_that_sanitise_alike_stay_apart() -> None:
    assert claim_file_name("a/b", 1) != claim_file_name("a_b", 1)
    assert claim_file_name("a/b", 1) != claim_file_name("a\\b", 1)
    assert claim_file_name("a_b", 1) == "a_b.task-1.json"


def test_corrupt_and_truncated_files_are_problems_that_hide_nothing(tmp_path: Path) -> None:
    store = ClaimStore(tmp_path)
    store.create(record("good", 1))
    full = record("cut", 2).model_dump_json()
    (tmp_path / "cut.task-2.json").write_text(full[: len(full) // 2])
    (tmp_path / "junk.task-3.json").write_bytes(b"\xff\xfe not json")
    (tmp_path / "stray.json").write_text("[]")
    (tmp_path / "moved.task-9.json").write_text(record("other", 9).model_dump_json())
    records, problems = store.list()
    assert [r.session_name for r in records] == ["good"]
    by_name = {p.path.name: p for p in problems}
    assert set(by_name) == {
        "cut.task-2.json", "junk.task-3.json", "stray.json", "moved.task-9.json"
    }
    cut = by_name["cut.task-2.json"]
    assert cut.task_number == 2
    assert "EOF" in cut.reason
    assert cut.message == (
        f"{cut.path}: not a valid claim ({cut.reason}); "
        f"remove it with `gatebot release 2 --force` or delete {cut.path}"
    )
    assert by_name["stray.json"].fix == f"delete {tmp_path / 'stray.json'}"
    assert "other.task-9.json" in by_name["moved.task-9.json"].reason


def test_update_rewrites_atomically_under_the_lock(tmp_path: Path) -> None:
    store = ClaimStore(tmp_path)
    store.create(record())
    new = store.update("goldenfocus-claude-001", 4, lambda r: r.model_copy(update={"notes": "x"}))
    assert new.notes == "x"
    assert store.list()[0] == [new]
    with pytest.raises(FileNotFoundError):
        store.update("nobody", 4, lambda r: r)
    with pytest.raises(ValueError, match="cannot move"):
        store.update(
            "goldenfocus-claude-001", 4, lambda r: r.model_copy(update={"task_number": "#5"})
        )
    (tmp_path / "bad.task-1.json").write_text("{")
    with pytest.raises(ValueError, match="not a valid claim"):
        store.update("bad", 1, lambda r: r)


def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    store = ClaimStore(tmp_path)
    store.create(record())
    stop = threading.Event()
    seen: list[ClaimProblem] = []

    def read() -> None:
        while not stop.is_set():
            seen.extend(store.list()[1])

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(100):

        def change(r: ClaimRecord, n: int = n) -> ClaimRecord:
            return r.model_copy(update={"notes": "x" * (n % 50), "heartbeat_count": n})

        store.update("goldenfocus-claude-001", 4, change)
    stop.set()
    reader.join()
    assert seen == []
    assert store.list()[0][0].heartbeat_count == 99


def test_remove_reports_whether_it_removed(tmp_path: Path) -> None:
    store = ClaimStore(tmp_path)
    store.create(record())
    assert store.remove("goldenfocus-claude-001", 4) is True
    assert store.remove("goldenfocus-claude-001", 4) is False
    assert store.list() == ([], [])


def test_default_dir_is_shared_by_every_worktree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    git = Git(tmp_path, env=env)
    git.run("init", "-q", "-b", "main", str(repo))
    main = Git(repo, env=env)
    main.run("commit", "-q", "--allow-empty", "-m", "root")
    main.run("worktree", "add", "-q", str(tmp_path / "wt"), "-b", "side")
    expected = (repo / ".git" / "gatebot" / "claims").resolve()
    assert default_claims_dir(main.common_dir()).resolve() == expected
    assert default_claims_dir(Git(tmp_path / "wt").common_dir()).resolve() == expected


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
