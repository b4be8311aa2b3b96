"""The one place gatebot starts processes: argv lists only, never a shell.

Modelled on pre-commit's ``cmd_output``: a failure names the command, its exit
code, and the tail of its output, so a user sees what went wrong.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple


class ProcResult(NamedTuple):
    """A finished process: ``argv``, exit ``returncode``, decoded ``stdout``/``stderr``.

    A named tuple (immutable, cheap to define: every command loads this module).
    """

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class ProcFailed(Exception):
    """A process exited non-zero where success was required; ``result`` holds its output."""

    def __init__(self, result: ProcResult) -> None:
        """Describe the command, its exit code and the tail of its stderr."""
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        super().__init__(
            f"`{' '.join(result.argv)}` exited {result.returncode}: " + " | ".join(tail)
        )
        self.result = result


def run(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    check: bool = True,
    timeout: float | None = None,
    inherit_env: bool = True,
) -> ProcResult:
    """Run ``argv`` (no shell) and return its output as text.

    ``env`` entries are added to the current environment, or with
    ``inherit_env=False`` are the whole environment. Raises ``ProcFailed``
    when ``check`` and the exit code is not 0, ``FileNotFoundError`` when the
    program does not exist, ``subprocess.TimeoutExpired`` past ``timeout`` seconds.
    """
    if not inherit_env:
        full_env: dict[str, str] | None = dict(env or {})
    else:
        full_env = {**os.environ, **env} if env else None  # none added: inherited as it is
    completed = subprocess.run(
        list(argv),
        cwd=cwd,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        check=False,
    )
    result = ProcResult(tuple(argv), completed.returncode, completed.stdout, completed.stderr)
    if check and completed.returncode != 0:
        raise ProcFailed(result)
    return result


def run_bytes(
    argv: Sequence[str], *, cwd: Path | str | None = None, env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
) -> bytes:
    """Run ``argv`` (no shell), feeding it ``stdin``; return its raw stdout.

    Raises ``ProcFailed`` on a non-zero exit.
    """
    full_env = {**os.environ, **env} if env else None  # none added: inherited as it is
    completed = subprocess.run(list(argv), cwd=cwd, env=full_env, input=stdin,
                               capture_output=True, check=False)
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", "replace")
        raise ProcFailed(ProcResult(tuple(argv), completed.returncode, "", stderr))
    return completed.stdout


def start_pipe(
    argv: Sequence[str], *, cwd: Path | str | None = None, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` (no shell) with binary pipes on stdin and stdout, stderr discarded.

    For long-lived helpers such as ``git cat-file --batch``; the caller closes
    stdin and waits. Raises ``FileNotFoundError`` when the program does not exist.
    """
    full_env = {**os.environ, **env} if env else None  # none added: inherited as it is
    return subprocess.Popen(list(argv), cwd=cwd, env=full_env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def records(
    argv: Sequence[str], separator: str, *, cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
) -> Generator[str, None, None]:
    """Yield ``argv``'s stdout (UTF-8 text) cut at each ``separator``, as the process writes it.

    For a long walk whose reader may stop early (``git log`` flushes each
    commit): closing the generator before the end stops the process, so it
    does no more work. The last piece is whatever follows the last separator.
    Raises ``ProcFailed`` when the process, read to its end, exits non-zero,
    ``FileNotFoundError`` when the program does not exist.
    """
    full_env = {**os.environ, **env} if env else None  # none added: inherited as it is
    child = subprocess.Popen(list(argv), cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None  # noqa: S101 - PIPE above
    finished = False
    try:
        pending = b""
        mark = separator.encode("utf-8")
        while chunk := os.read(child.stdout.fileno(), 65536):
            *done, pending = (pending + chunk).split(mark)
            yield from (piece.decode("utf-8", "replace") for piece in done)
        yield pending.decode("utf-8", "replace")
        finished = True
    finally:
        if not finished:
            child.kill()
        child.stdout.close()
        stderr = child.stderr.read().decode("utf-8", "replace")
        child.stderr.close()
        code = child.wait()
    if code != 0:
        raise ProcFailed(ProcResult(tuple(argv), code, "", stderr))
