"""Copy a running check's output into its log, secrets redacted, while waiting for it to end.

The check writes to a pipe; gatebot reads it as it comes and writes it to the log
line by line through a ``Redactor`` (a secret is never split across two writes
unless a line is longer than ``MAX_LINE`` bytes). The check's exit is observed
with ``waitid(WNOWAIT)``, which leaves it unreaped: its pid, which is also its
process group's id, cannot be reused before gatebot has killed that group.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess  # noqa: TID251 -- the Popen of a check, started by gatebot.adapters.checks
import time
from typing import BinaryIO

from gatebot.core.safe_text import Redactor

MAX_LINE = 64 * 1024
"""Bytes of a line without a newline kept back before it is written anyway."""
POLL_S = 0.1
"""How often the exit is polled where the kernel has no pidfd (Linux < 5.3, other systems)."""


class RedactingLog:
    """A log file written in whole lines, each redacted first; ``close()`` writes the rest."""

    def __init__(self, file: BinaryIO, redactor: Redactor) -> None:
        """Write to the open binary ``file`` (flushed after each write)."""
        self._file = file
        self._redactor = redactor
        self._buffer = bytearray()

    def write(self, data: bytes) -> None:
        """Take ``data``; write every complete line (or ``MAX_LINE`` bytes of one)."""
        self._buffer += data
        cut = self._buffer.rfind(b"\n") + 1
        if not cut and len(self._buffer) < MAX_LINE:
            return
        cut = cut or len(self._buffer)
        self._emit(bytes(self._buffer[:cut]))
        del self._buffer[:cut]

    def close(self) -> None:
        """Write what is left of an unfinished last line (the file stays open)."""
        if self._buffer:
            self._emit(bytes(self._buffer))
            self._buffer.clear()

    def _emit(self, data: bytes) -> None:
        self._file.write(self._redactor.redact_bytes(data))
        self._file.flush()


class OutputPump:
    """Reads ``process``'s stdout pipe into ``log`` until the process ends or time runs out."""

    def __init__(self, process: subprocess.Popen[bytes], log: RedactingLog) -> None:
        """``process`` was started with ``stdout=PIPE``; it is never reaped here."""
        if process.stdout is None:
            raise ValueError("the check's stdout must be a pipe")
        self._process = process
        self._fd: int | None = process.stdout.fileno()
        self._log = log
        self._pidfd = _pidfd_open(process.pid)

    def until_exit(self, deadline: float) -> bool:
        """Copy output until the process has exited (True) or ``deadline`` (monotonic s) passes."""
        while not self.exited():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._step(remaining if self._pidfd is not None else min(remaining, POLL_S),
                       watch_exit=True)
        return True

    def drain(self, deadline: float) -> None:
        """Copy what is left in the pipe until its end, or until ``deadline`` passes.

        A process that left the check's process group may hold the pipe open.
        """
        while self._fd is not None and (remaining := deadline - time.monotonic()) > 0:
            self._step(remaining, watch_exit=False)

    def close(self) -> None:
        """Release the pidfd (the pipe belongs to ``process``)."""
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def exited(self) -> bool:
        """Whether the process has ended (it stays a zombie until ``Popen.wait``)."""
        if not hasattr(os, "waitid"):
            return self._process.poll() is not None
        try:
            state = os.waitid(os.P_PID, self._process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return state is not None

    def _step(self, timeout: float, *, watch_exit: bool) -> None:
        fds = [fd for fd in (self._fd, self._pidfd if watch_exit else None) if fd is not None]
        if not fds:
            time.sleep(min(timeout, POLL_S))
            return
        ready, _, _ = select.select(fds, [], [], timeout)
        if self._fd is not None and self._fd in ready:
            chunk = os.read(self._fd, MAX_LINE)
            if chunk:
                self._log.write(chunk)
            else:
                self._fd = None  # end of the output


def _pidfd_open(pid: int) -> int | None:
    """A pidfd for ``pid`` (readable once it exits), or None where the system has none."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    with contextlib.suppress(OSError):
        fd: int = opener(pid)
        return fd
    return None
