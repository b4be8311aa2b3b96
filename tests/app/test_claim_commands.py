"""Claims on the command line across clones of one bare origin, and claims killed mid-way.

Every agent has its own clone (as on separate machines): the claim records and heartbeats
travel through the origin's ``refs/gatebot/claims/*``. The killed claims are real
``gatebot claim`` processes sent SIGKILL during their settle time.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gatebot.core.claims import format_seconds
from tests.repos import GIT_ENV, Repo, clone_of, git, make_repo, run_cli, run_process

INSTANT = {"GATEBOT_CLAIMS__SETTLE": "[0, 0]"}


def team(tmp_path: Path) -> tuple[Repo, Repo]:
    """Two clones of one bare origin whose board has READY #1 and #5 (``app/**``), #6."""
    repo = make_repo(tmp_path)
    for title, files in (("Fifth", "app/core.py"), ("Sixth", "docs/x.md")):
        assert run_cli(repo.path, "task", "add", title, "--files", files, "--as", "lead").exit_code == 0
    return repo, clone_of(repo, tmp_path / "other")


def status(clone: Repo, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = run_process(clone.path, "status", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def claim(clone: Repo, number: int, name: str, *extra: str,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_process(clone.path, "claim", str(number), "--as", name, *extra,
                       env={**INSTANT, **(env or {})})


def test_every_clone_sees_holders_heartbeats_stale_claims_and_rivals(tmp_path: Path) -> None:
    mine, theirs = team(tmp_path)
    done = claim(mine, 1, "agentA", "--files", "app/**")
    assert done.returncode == 0, done.stderr
    (held,) = status(theirs)["claims"]
    assert (held["task"], held["session"], held["status"], held["stale"]) == (
        1, "agentA", "active", False)
    assert held["heartbeat_age_s"] < 60

    main = mine.origin_sha()
    beat = run_process(mine.path, "heartbeat", "1", "--progress", "40", "--as", "agentA")
    assert beat.returncode == 0, beat.stderr
    assert mine.origin_sha() == main  # heartbeats add no commit to the base branch
    (held,) = status(theirs)["claims"]
    assert (held["heartbeat_count"], held["progress_percent"]) == (1, 40)

    rival = claim(theirs, 5, "agentB")  # task #5's files, app/core.py, overlap app/**
    assert rival.returncode == 1
    assert "task #1 is claimed by agentA since" in rival.stderr
    assert "app/**, which overlaps app/core.py" in rival.stderr

    later = {"GATEBOT_NOW": format_seconds(datetime.now(UTC) + timedelta(minutes=25))}
    (held,) = status(theirs, env=later)["claims"]
    assert held["stale"] is True
    swept = run_process(theirs.path, "sweep", env=later)
    assert (swept.returncode, "stale: task #1 held by agentA" in swept.stderr) == (0, True), \
        swept.stderr
    again = run_process(mine.path, "sweep", env=later)
    assert (again.returncode, again.stderr.strip()) == (0, "no newly stale claims")
    archive = git(mine.path, "grep", "-c", "STALE: claim kept", "origin/main", "--",
                  "coordination/archive")
    assert archive.endswith(":1")  # one notice, never repeated

    released = run_process(theirs.path, "release", "1", "--as", "agentA")
    assert released.returncode == 0, released.stderr
    assert status(mine)["claims"] == []


def kill_while_settling(clone: Repo, name: str, *, terminal: bool = False) -> str:
    """SIGKILL a real ``gatebot claim 1`` (30 s settle) once it says it is settling.

    With ``terminal`` its stderr is a pseudo-terminal, else a pipe; either way the
    settle message must come (it is also the moment to kill). Returns the message.
    """
    env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "GATEBOT_CLAIMS__SETTLE": "[30, 5]"}
    argv = [sys.executable, "-m", "gatebot", "claim", "1", "--as", name]
    if terminal:
        master, slave = pty.openpty()
        child = subprocess.Popen(argv, cwd=clone.path, env=env, stderr=slave)
        os.close(slave)
        reader = os.fdopen(master, "rb", buffering=0)
    else:
        child = subprocess.Popen(argv, cwd=clone.path, env=env, stderr=subprocess.PIPE)
        assert child.stderr is not None
        reader = child.stderr
    said = b""
    try:
        while b"\n" not in said:
            chunk = reader.read(1)
            assert chunk, f"gatebot claim exited without a settle message: {said!r}"
            said += chunk
        assert git(clone.origin, "for-each-ref", "refs/gatebot/claims/1/")  # its record is out
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        reader.close()
    return said.decode()


def test_a_claim_killed_during_its_settle_time_blocks_no_one(tmp_path: Path) -> None:
    mine, theirs = team(tmp_path)
    said = kill_while_settling(mine, "agentA", terminal=True)
    assert said.strip() == "checking for rival claims, 30 s…"
    assert status(mine)["claims"] == []
    released = run_process(mine.path, "release", "1", "--as", "agentA")
    assert released.returncode == 0, released.stderr
    assert "board claim never landed; removed the claim record of agentA" in released.stderr

    assert kill_while_settling(mine, "agentA").strip() == "checking for rival claims, 30 s…"
    other = claim(mine, 1, "agentC")
    assert other.returncode == 0, other.stderr
    assert run_process(mine.path, "release", "1", "--as", "agentC").returncode == 0

    kill_while_settling(mine, "agentA")
    again = claim(mine, 1, "agentA")
    assert again.returncode == 0, again.stderr
    (held,) = status(theirs)["claims"]
    assert (held["session"], held["status"]) == ("agentA", "active")
    assert [r.split()[-1] for r in git(mine.origin, "for-each-ref", "refs/gatebot/").splitlines()
            ] == ["refs/gatebot/claims/1/agentA", "refs/gatebot/claims/1/agentC"]


def in_fresh_shell(clone: Repo, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run gatebot from a shell that exits right after it (an agent's one-off shell)."""
    script = f'"{sys.executable}" -m gatebot "$@"; exit $?'
    return subprocess.run(["sh", "-c", script, "sh", *args], cwd=clone.path, text=True,
                          capture_output=True, check=False, timeout=300,
                          env={**os.environ, **GIT_ENV, **INSTANT, **env})


def test_an_agent_in_fresh_shells_stays_one_session_by_its_session_key(tmp_path: Path) -> None:
    mine, _ = team(tmp_path)
    assert in_fresh_shell(mine, "claim", "1", "--as", "agentB", env={}).returncode == 0
    refused = in_fresh_shell(mine, "claim", "6", "--as", "agentB", env={})
    assert refused.returncode == 1
    assert "session name agentB belongs to pid" in refused.stderr
    assert "GATEBOT_SESSION_ID" in refused.stderr

    key = {"GATEBOT_SESSION_ID": "b8f0c1e2-agent-a"}
    assert in_fresh_shell(mine, "claim", "5", "--as", "agentA", env=key).returncode == 0
    stranger = in_fresh_shell(mine, "claim", "6", "--as", "agentA",
                              env={"GATEBOT_SESSION_ID": "someone-else"})
    assert stranger.returncode == 1
    assert "session name agentA belongs to" in stranger.stderr
    second = in_fresh_shell(mine, "claim", "6", "--as", "agentA", env=key)
    assert second.returncode == 0, second.stderr
