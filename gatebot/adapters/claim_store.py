"""Claim lock files on disk, and the fingerprint of processes (SPEC §8, local forge).

One JSON file per claim in a directory shared by every worktree (default
``<git common dir>/gatebot/claims``). Readers never see half a file: a claim is
created by writing a temporary file and hard-linking it into place (``os.link``
fails when the name exists, so two creators cannot both succeed) and rewritten
with ``os.replace``. Read-modify-write updates and removals hold an advisory
``flock`` on ``<dir>/.lock`` so a heartbeat cannot resurrect a claim that was
just released. Fingerprints follow task-locking-fixes.md "Session Fingerprinting".
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from gatebot.core.claims import ClaimRecord, Fingerprint

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_TASK_IN_NAME = re.compile(r"\.task-([1-9][0-9]{0,8})\.json\Z")


def default_claims_dir(git_common_dir: Path) -> Path:
    """Return ``<git common dir>/gatebot/claims``, shared by all worktrees (SPEC §8)."""
    return Path(git_common_dir) / "gatebot" / "claims"


def claim_file_name(session_name: str, task_number: int) -> str:
    """Return the file name of a claim: ``<safe session name>.task-<N>.json``.

    Characters other than ``A-Z a-z 0-9 . _ -`` become ``_`` and leading dots
    are dropped, so user text cannot name another directory or a hidden file;
    when the name had to change, 8 hex digits of its SHA-256 keep it unique.
    """
    safe = _UNSAFE.sub("_", session_name).lstrip(".")[:80]
    if safe != session_name:
        safe += "-" + hashlib.sha256(session_name.encode()).hexdigest()[:8]
    return f"{safe}.task-{task_number}.json"


@dataclass(frozen=True)
class ClaimProblem:
    """A lock file that is not a valid claim: its ``path``, why, and the task from its name."""

    path: Path
    reason: str
    task_number: int | None = None

    @property
    def fix(self) -> str:
        """Say how to get rid of the file."""
        if self.task_number is None:
            return f"delete {self.path}"
        return f"remove it with `gatebot release {self.task_number} --force` or delete {self.path}"

    @property
    def message(self) -> str:
        """One line: path, reason, fix."""
        return f"{self.path}: not a valid claim ({self.reason}); {self.fix}"


class ClaimStore:
    """The claim files of one directory; created on first write.

    Errors: ``FileExistsError`` when creating a claim that exists,
    ``FileNotFoundError`` when updating one that is gone; ``OSError`` otherwise.
    """

    def __init__(self, directory: Path) -> None:
        """Bind to ``directory`` (it need not exist yet)."""
        self.directory = Path(directory)

    def path_for(self, session_name: str, task_number: int) -> Path:
        """Return the path of the claim of ``session_name`` on task ``task_number``."""
        return self.directory / claim_file_name(session_name, task_number)

    def list(self) -> tuple[list[ClaimRecord], list[ClaimProblem]]:
        """Read every claim: (valid records, problems), both in file-name order.

        A corrupt, truncated or misnamed file is a problem naming its path and
        the fix; it never hides the other claims.
        """
        records: list[ClaimRecord] = []
        problems: list[ClaimProblem] = []
        if not self.directory.is_dir():
            return records, problems
        for path in sorted(self.directory.glob("*.json")):
            if path.name.startswith("."):
                continue
            result = self._read(path)
            if isinstance(result, ClaimRecord):
                records.append(result)
            elif result is not None:
                problems.append(result)
        return records, problems

    def _read(self, path: Path) -> ClaimRecord | ClaimProblem | None:
        """Parse one file; None when it vanished meanwhile."""
        match = _TASK_IN_NAME.search(path.name)
        number = int(match.group(1)) if match else None
        try:
            record = ClaimRecord.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError) as exc:
            return ClaimProblem(path, _describe(exc), number)
        if path.name != claim_file_name(record.session_name, record.number):
            expected = claim_file_name(record.session_name, record.number)
            return ClaimProblem(path, f"its file name should be {expected}", number)
        return record

    def create(self, record: ClaimRecord) -> Path:
        """Write a new claim atomically; ``FileExistsError`` if that claim exists."""
        target = self.path_for(record.session_name, record.number)
        temp = self._write_temp(record)
        try:
            os.link(temp, target)
        finally:
            temp.unlink()
        return target

    def update(
        self, session_name: str, task_number: int, change: Callable[[ClaimRecord], ClaimRecord]
    ) -> ClaimRecord:
        """Replace a claim by ``change(current)`` under the store lock; return the new record.

        ``FileNotFoundError`` when the claim is gone; ``ValueError`` when the
        file is corrupt or ``change`` renames the claim.
        """
        target = self.path_for(session_name, task_number)
        with self.locked():
            current = self._read(target)
            if current is None:
                raise FileNotFoundError(target)
            if isinstance(current, ClaimProblem):
                raise ValueError(current.message)
            new = change(current)
            if new.key != current.key:
                raise ValueError(f"an update cannot move claim {current.key} to {new.key}")
            temp = self._write_temp(new)
            temp.replace(target)
        return new

    def remove(self, session_name: str, task_number: int) -> bool:
        """Delete a claim under the store lock; False when it was already gone."""
        return self.remove_path(self.path_for(session_name, task_number))

    def remove_path(self, path: Path) -> bool:
        """Delete one file of the directory (e.g. a corrupt one); False when already gone."""
        with self.locked():
            try:
                path.unlink()
            except FileNotFoundError:
                return False
        return True

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's exclusive ``flock`` (short critical sections only, never a sleep)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _write_temp(self, record: ClaimRecord) -> Path:
        """Write ``record`` as JSON to a hidden temporary file in the directory, synced."""
        self.directory.mkdir(parents=True, exist_ok=True)
        data = (record.model_dump_json(indent=2) + "\n").encode()
        fd, name = tempfile.mkstemp(prefix=".claim-", suffix=".tmp", dir=self.directory)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return Path(name)


def _describe(exc: Exception) -> str:
    """Say in a few words why a file is not a claim."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return (f"{where}: " if where else "") + str(first["msg"]) + more
    return str(exc)


# -- fingerprints -------------------------------------------------------------------
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


def current_fingerprint(pid: int | None = None) -> Fingerprint:
    """Fingerprint ``pid`` on this host (default: the parent process, i.e. the session).

    A ``gatebot`` command lives for a moment; the shell or agent that runs it
    is the session whose liveness matters, hence the parent by default.
    """
    pid = os.getppid() if pid is None else pid
    return Fingerprint(host=socket.gethostname(), pid=pid, process_start=process_start(pid))


def is_alive(fingerprint: Fingerprint | None) -> bool | None:
    """Whether the fingerprinted process still runs: same host, pid alive, same start time.

    None when it cannot be told: no fingerprint, or another host.
    """
    if fingerprint is None or fingerprint.host != socket.gethostname():
        return None
    started = process_start(fingerprint.pid)
    if started is not None:
        return fingerprint.process_start in (None, started)
    if Path("/proc/self/stat").exists():
        return False
    try:
        os.kill(fingerprint.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
