"""Claim records on git refs that travel with the origin, and process fingerprints (SPEC §8).

Each claim (one session on one task) is the ref
``refs/gatebot/claims/<N>/<safe session name>``. Its tip commit's message holds
the record: a subject line, a blank line, the record as JSON. The commits carry
the empty tree and belong to no branch, so claims and heartbeats add no commit
to the base branch; ``git log refs/gatebot/claims/4/NAME`` shows a claim's
history. Every write is a compare-and-swap, never a force:

- with a remote: push the new commit without force. A claim starts as a root
  commit, which cannot fast-forward an existing ref; a rewrite is a child of
  the tip it read. A rejected push means someone else wrote first: read again.
- without one: ``git update-ref REF NEW OLD`` in the one repository, whose refs
  every worktree shares.

A release writes a child with no record (a tombstone); refs are never deleted.
Readers fetch ``refs/gatebot/claims/*`` from the remote first, so every clone
sees every claim. Fingerprints follow task-locking-fixes.md "Session
Fingerprinting"; the session key ``GATEBOT_SESSION_ID`` and the session process
``GATEBOT_SESSION_PID`` make one session of many short-lived processes.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from gatebot.adapters.git import Git
from gatebot.adapters.local import BOT_IDENTITY
from gatebot.adapters.orphans import process_start
from gatebot.core.claims import ClaimProblem, ClaimRecord, Fingerprint

__all__ = ["ClaimProblem", "ClaimStore", "claim_ref", "current_fingerprint", "is_alive",
           "process_start", "session_fingerprint"]
from gatebot.errors import GatebotError, GitError, UsageError

REF_PREFIX = "refs/gatebot/claims/"
ATTEMPTS = 30
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_REF = re.compile(r"\Arefs/gatebot/claims/([1-9][0-9]{0,8})/[^/]+\Z")


def claim_ref(session_name: str, task_number: int) -> str:
    """Return the ref of a claim: ``refs/gatebot/claims/<N>/<safe session name>``.

    Characters other than ``A-Z a-z 0-9 . _ -`` become ``_``, leading dots and
    runs of dots are dropped (git's ref-name rules); when the name had to
    change, 8 hex digits of its SHA-256 keep it unique.
    """
    safe = re.sub(r"\.{2,}", ".", _UNSAFE.sub("_", session_name)).lstrip(".")[:80]
    if safe != session_name or safe.endswith((".", ".lock")):
        safe = f"{safe.rstrip('.') or 'x'}-{hashlib.sha256(session_name.encode()).hexdigest()[:8]}"
    return f"{REF_PREFIX}{task_number}/{safe}"


@dataclass(frozen=True)
class _Tip:
    """A claim ref as read: its commit, and the record or the problem (None: a tombstone)."""

    sha: str
    found: ClaimRecord | ClaimProblem | None


def _never(_record: ClaimRecord) -> bool:
    return False


class ClaimStore:
    """The claim refs of the repository behind ``git``, shared through ``remote`` when given.

    Errors: ``FileExistsError`` when creating a claim that exists,
    ``FileNotFoundError`` when updating one that is gone, ``ValueError`` for a
    ref that holds no valid claim, ``GitError`` when the remote refuses a push
    for another reason than a rival's write (a hook, permissions).
    """

    settle: tuple[float, float] | None = None
    """The configuration's settle waits: rival clones' refs take time to show."""

    def __init__(self, git: Git, remote: str | None = None) -> None:
        """Bind to the repository; ``remote`` (e.g. ``origin``) must be configured when given."""
        self.git = git
        self.remote = remote
        self._empty_tree: str | None = None

    def record_id(self, session_name: str, task_number: int) -> str:
        """The ref a claim of ``session_name`` on task ``task_number`` lives on (``claim_ref``)."""
        return claim_ref(session_name, task_number)

    def now(self) -> datetime | None:
        """None: the local clock is the store's (each clone writes its own times)."""
        return None

    def list(self) -> tuple[list[ClaimRecord], list[ClaimProblem]]:
        """Fetch and read every claim: (valid records, problems), both in ref-name order.

        A ref whose tip is not a valid claim is a problem naming the ref and the
        fix; it never hides the other claims. Released claims are left out.
        """
        self._fetch()
        records: list[ClaimRecord] = []
        problems: list[ClaimProblem] = []
        for tip in self._tips(REF_PREFIX).values():
            if isinstance(tip.found, ClaimRecord):
                records.append(tip.found)
            elif tip.found is not None:
                problems.append(tip.found)
        return records, problems

    def create(self, record: ClaimRecord,
               replace: Callable[[ClaimRecord], bool] = _never) -> str:
        """Write a new claim; return its ref.

        ``FileExistsError`` when the claim exists and ``replace(existing)`` is
        false (``replace`` lets a caller write over a dead record).
        """
        ref = claim_ref(record.session_name, record.number)
        for _ in range(ATTEMPTS):
            tip = self._read(ref)
            if isinstance(tip.found, ClaimProblem):
                raise ValueError(tip.found.message)
            if isinstance(tip.found, ClaimRecord) and not replace(tip.found):
                raise FileExistsError(ref)
            parent = tip.sha or None
            if self._swap(ref, self._commit(record, parent, "claiming"), parent):
                return ref
        raise _busy(ref)

    def update(
        self, session_name: str, task_number: int, change: Callable[[ClaimRecord], ClaimRecord]
    ) -> ClaimRecord:
        """Replace a claim by ``change(current)`` (compare-and-swap); return the new record.

        ``change`` may run more than once when another writer got there first.
        ``FileNotFoundError`` when the claim is gone; ``ValueError`` when the
        ref holds no valid claim or ``change`` renames the claim.
        """
        ref = claim_ref(session_name, task_number)
        for _ in range(ATTEMPTS):
            tip = self._read(ref)
            if tip.found is None:
                raise FileNotFoundError(ref)
            if isinstance(tip.found, ClaimProblem):
                raise ValueError(tip.found.message)
            new = change(tip.found)
            if new.key != tip.found.key:
                raise ValueError(f"an update cannot move claim {tip.found.key} to {new.key}")
            if self._swap(ref, self._commit(new, tip.sha, "update"), tip.sha):
                return new
        raise _busy(ref)

    def remove(self, session_name: str, task_number: int,
               expect: ClaimRecord | None = None) -> bool:
        """Release a claim (a tombstone commit); False when it was already gone.

        With ``expect`` the claim is removed only while it still equals
        ``expect`` (False otherwise): a record judged dead is not removed
        after its holder brought it back to life.
        """
        return self.remove_ref(claim_ref(session_name, task_number), expect)

    def remove_ref(self, ref: str, expect: ClaimRecord | None = None) -> bool:
        """Release whatever ``ref`` holds (e.g. an invalid record); False when already gone."""
        for _ in range(ATTEMPTS):
            tip = self._read(ref)
            if tip.found is None or (expect is not None and tip.found != expect):
                return False
            if self._swap(ref, self._commit(None, tip.sha, "released"), tip.sha):
                return True
        raise _busy(ref)

    # -- reading -------------------------------------------------------------------------
    def _fetch(self) -> None:
        """Bring the remote's claim refs into this repository (retrying on a ref lock)."""
        if not self.remote:
            return
        spec = f"+{REF_PREFIX}*:{REF_PREFIX}*"
        for attempt in range(20):
            done = self.git.run("fetch", "--quiet", "--no-tags", self.remote, spec, check=False)
            if done.returncode == 0 or "lock" not in done.stderr:
                return  # unreachable remote: the writes will say so; readers see the last copy
            time.sleep(0.05 * (attempt + 1))

    def _read(self, ref: str) -> _Tip:
        """Fetch, then read one claim ref (an empty ``sha`` when it does not exist)."""
        self._fetch()
        return self._tips(ref).get(ref, _Tip("", None))

    def _tips(self, pattern: str) -> dict[str, _Tip]:
        """Read the claim refs matching ``pattern`` with one ``git for-each-ref``."""
        out = self.git.run("for-each-ref", "--format=%(refname)%00%(objectname)%00%(contents)%00",
                           pattern).stdout
        fields = out.split("\0")
        tips: dict[str, _Tip] = {}
        for i in range(0, len(fields) - 2, 3):
            ref = fields[i].lstrip("\n")
            tips[ref] = _Tip(fields[i + 1], _parse(ref, fields[i + 2]))
        return tips

    # -- writing -------------------------------------------------------------------------
    def _commit(self, record: ClaimRecord | None, parent: str | None, event: str) -> str:
        """Create (not publish) a claim commit: the record's JSON, or none for a release."""
        if self._empty_tree is None:
            self._empty_tree = self.git.run("mktree", stdin="").stdout.strip()
        if record is None:
            message = f"gatebot: claim {event}\n"
        else:
            subject = f"gatebot: {record.status} {record.task_number} {record.session_name}"
            message = f"{subject} ({event})\n\n{record.model_dump_json(indent=2)}\n"
        parents = [parent] if parent else []
        return self.git.commit_tree(self._empty_tree, parents, message, identity=BOT_IDENTITY)

    def _swap(self, ref: str, new: str, old: str | None) -> bool:
        """Move ``ref`` from ``old`` (None: absent) to ``new``; False when someone wrote first."""
        if not self.remote:
            expected = old or "0" * len(new)
            return self.git.run("update-ref", ref, new, expected, check=False).returncode == 0
        pushed = self.git.run("push", "--porcelain", self.remote, f"{new}:{ref}", check=False)
        if pushed.returncode == 0:
            self.git.run("update-ref", ref, new, check=False)  # a later fetch mends a failure
            return True
        if "[rejected]" in pushed.stdout:
            return False
        detail = " ".join((pushed.stderr + pushed.stdout).split())[-400:]
        raise GitError(f"{self.remote} refused the push of claim {ref}: {detail}",
                       f"check that {self.remote} accepts pushes to {REF_PREFIX}*")


def _parse(ref: str, message: str) -> ClaimRecord | ClaimProblem | None:
    """The record in a claim commit's message; None for a release; a problem when invalid."""
    match = _REF.match(ref)
    number = int(match.group(1)) if match else None
    _subject, _, body = message.partition("\n\n")
    if not body.strip():
        return None
    try:
        record = ClaimRecord.model_validate_json(body)
    except ValidationError as exc:
        return ClaimProblem(ref, _describe(exc), number)
    if ref != claim_ref(record.session_name, record.number):
        return ClaimProblem(ref, f"its ref should be {claim_ref(record.session_name, record.number)}",
                            number)
    return record


def _busy(ref: str) -> GatebotError:
    return GatebotError(f"claim {ref} kept changing; gave up after {ATTEMPTS} tries",
                        "retry the command")


def _describe(exc: ValidationError) -> str:
    """Say in a few words why a record is not a claim."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return (f"{where}: " if where else "") + str(first["msg"]) + more


# -- fingerprints -------------------------------------------------------------------
def current_fingerprint(pid: int | None = None) -> Fingerprint:
    """Fingerprint ``pid`` on this host (default: the parent process, i.e. the session).

    A ``gatebot`` command lives for a moment; the shell or agent that runs it
    is the session whose liveness matters, hence the parent by default.
    """
    pid = os.getppid() if pid is None else pid
    return Fingerprint(host=socket.gethostname(), pid=pid, process_start=process_start(pid))


def session_fingerprint(environ: Mapping[str, str]) -> Fingerprint:
    """The session of this command: ``GATEBOT_SESSION_PID`` or the parent, and ``GATEBOT_SESSION_ID``.

    ``GATEBOT_SESSION_PID`` names the long-lived process of the session (an
    agent's own pid, a terminal's shell: ``export GATEBOT_SESSION_PID=$$``);
    ``GATEBOT_SESSION_ID`` is any text the session sets once (e.g. a UUID) and
    keeps for every command; only its SHA-256 is recorded. ``UsageError``
    (exit 2) names a variable that is not a running process's pid.
    """
    pid_text = environ.get("GATEBOT_SESSION_PID", "").strip()
    pid = None
    if pid_text:
        if not pid_text.isdigit() or int(pid_text) < 1 or process_start(int(pid_text)) is None:
            raise UsageError("GATEBOT_SESSION_PID is not the pid of a running process",
                             "set it to your session's process id (`export GATEBOT_SESSION_PID=$$` "
                             "in the shell that runs your commands) or unset it")
        pid = int(pid_text)
    fingerprint = current_fingerprint(pid)
    key = environ.get("GATEBOT_SESSION_ID", "").strip()
    if key:
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        fingerprint = fingerprint.model_copy(update={"key": digest})
    return fingerprint


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
