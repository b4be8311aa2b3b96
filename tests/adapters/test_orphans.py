"""Records of running checks and the reaping of a dead owner's checks: real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatebot.adapters.claim_store import process_start
from gatebot.adapters.orphans import Record, reap


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A process in a group of its own, as a check runs."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             start_new_session=True)
    yield child
    child.kill()
    child.wait()


def gone_owner() -> dict[str, int | None]:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return {"pid": done.pid, "start": 1}


def running(child: subprocess.Popen[bytes]) -> bool:
    """Whether ``child`` is alive; ``waitid(WNOWAIT)`` notices its death without reaping it."""
    return os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None


def test_a_record_names_its_owner_and_goes_with_the_last_group(
        tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    record = Record(tmp_path / "slot-0.checks.json")
    record.add(sleeper.pid)
    data = json.loads(record.path.read_text())
    assert data == {"owner": {"pid": os.getpid(), "start": process_start(os.getpid())},
                    "groups": [[sleeper.pid, process_start(sleeper.pid)]]}
    assert reap(record.path) == []  # its owner (this process) is alive
    assert running(sleeper)
    record.discard(sleeper.pid)
    assert not record.path.exists()


def test_a_dead_owner_s_groups_are_killed_unless_the_pid_was_reused(
        tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    path = tmp_path / "slot-0.checks.json"
    reused = [sleeper.pid, (process_start(sleeper.pid) or 0) + 1]
    path.write_text(json.dumps({"owner": gone_owner(), "groups": [reused]}))
    assert reap(path) == []
    assert running(sleeper)
    assert not path.exists()

    path.write_text(json.dumps({"owner": gone_owner(),
                                "groups": [[sleeper.pid, process_start(sleeper.pid)]]}))
    assert reap(path) == [sleeper.pid]
    os.waitid(os.P_PID, sleeper.pid, os.WEXITED | os.WNOWAIT)  # returns: it was killed
    assert sleeper.wait() == -9
    assert not path.exists()


@pytest.mark.parametrize("text", ["{", '{"owner": {}}', '{"owner": {"pid": 999999999, "start": 1}, '
                                                          '"groups": [[0, 1], [1, 1]]}'])
def test_a_broken_record_or_unsafe_group_kills_nothing(tmp_path: Path, text: str) -> None:
    path = tmp_path / "slot-0.checks.json"
    path.write_text(text)
    assert reap(path) == []
    assert not path.exists()
