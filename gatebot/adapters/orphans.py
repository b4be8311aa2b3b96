"""Who runs checks where: a record of the owner and its checks' process groups, and reaping.

A ``gatebot merge`` killed with ``kill -9`` cannot stop the checks it started in an
integration slot: each runs in a process group of its own. So while checks run,
the owner writes a record next to the slot (``Record``): its pid and start time,
and each check's process group with its leader's start time. The next process to
take the slot calls ``reap``: if the recorded owner is gone, every recorded group
whose leader is not a newer process with a reused pid is killed with SIGKILL.
Start times are Linux's ``/proc/<pid>/stat`` field 22 (clock ticks since boot).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any


def process_start(pid: int) -> int | None:
    """Return the start time of ``pid`` in clock ticks since boot (Linux ``/proc``).

    None when the process does not exist, is a zombie, or /proc is unavailable.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if not fields or fields[0] == "Z" or len(fields) < 20:
        return None
    return int(fields[19])


REAP_WAIT_S = 5.0
"""Seconds ``reap`` waits for a killed group's leader to be gone."""


class Record:
    """The owner's record at ``path``: rewritten atomically whenever a group starts or ends.

    The owner is this process. Errors writing it are ignored: the record is a
    help for a later run, never a reason for this one to fail.
    """

    def __init__(self, path: Path) -> None:
        """Bind to ``path`` (written on the first ``add``)."""
        self.path = path
        self._groups: dict[int, int | None] = {}

    def add(self, pgid: int) -> None:
        """Record a running check's process group (its leader's pid)."""
        self._groups[pgid] = process_start(pgid)
        self._write()

    def discard(self, pgid: int) -> None:
        """Forget a group that was stopped and reaped; the file goes with the last one."""
        self._groups.pop(pgid, None)
        if self._groups:
            self._write()
        else:
            self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        owner = os.getpid()
        data = {"owner": {"pid": owner, "start": process_start(owner)},
                "groups": [[pgid, start] for pgid, start in sorted(self._groups.items())]}
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle)
            Path(temp).replace(self.path)


def reap(path: Path) -> list[int]:
    """Kill the process groups recorded at ``path`` when their owner is gone; return their ids.

    A live owner's record is left alone (``[]``). A group whose leader pid now
    belongs to a different process (another start time), or whose leader's start
    time is unknown, is skipped. Waits up to
    ``REAP_WAIT_S`` for each killed leader to end, then removes the record.
    A record that cannot be read is removed and counts as empty.
    """
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        owner = (int(data["owner"]["pid"]), data["owner"]["start"])
        groups = [(int(pgid), start) for pgid, start in data["groups"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError, KeyError):
        path.unlink(missing_ok=True)
        return []
    if process_start(owner[0]) is not None and process_start(owner[0]) == owner[1]:
        return []
    killed = [pgid for pgid, start in groups if _kill_group(pgid, start)]
    deadline = time.monotonic() + REAP_WAIT_S
    while any(process_start(pgid) is not None for pgid in killed) and time.monotonic() < deadline:
        time.sleep(0.01)
    path.unlink(missing_ok=True)
    return killed


def _kill_group(pgid: int, start: int | None) -> bool:
    """SIGKILL group ``pgid`` unless its leader's pid was reused; True when signalled.

    Never signals a group whose leader's start time was not recorded (no /proc:
    a reused pid could not be told apart), nor group 0 or 1, nor gatebot's own.
    """
    if start is None or pgid <= 1 or pgid == os.getpgrp():
        return False
    now = process_start(pgid)
    if now is not None and now != start:
        return False
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True
