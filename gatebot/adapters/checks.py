"""Run the gate checks (``checks.<name>``): in parallel, with timeouts, logs kept.

A check is a configured command (an argv list, never a shell), a nox session,
run as ``python -m nox -s NAME --report <log_dir>/NAME.nox.json``, or tox
environments, run as ``python -m tox -e ENV --result-json <log_dir>/NAME.tox.json``
(``gatebot.adapters.tox_envs``); nox and tox checks are judged from those
machine-readable reports rather than from their text output.

Each check runs in its own process group, so a timeout or an interruption kills
the check and every process it started. It gets only an allow-listed environment
(``gatebot.adapters.check_env``: no tokens), and its stdout and stderr go, line by
line as they are written and with secrets redacted, to ``<log_dir>/<name>.log``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess  # noqa: TID251 -- checks need process groups and output streamed to a log file
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from gatebot.adapters import proc, tox_envs
from gatebot.adapters.check_env import check_environment
from gatebot.adapters.check_log import OutputPump, RedactingLog
from gatebot.adapters.orphans import Record
from gatebot.core.facts import CheckResult, CheckStatus
from gatebot.errors import ConfigError, EnvironmentProblem

NOX = (sys.executable, "-m", "nox")
DEFAULT_NOX_SESSIONS = ("tests", "lint", "typecheck", "build")
KILL_GRACE_S = 2.0
"""Seconds a timed-out check gets between SIGTERM and SIGKILL of its process group."""
DRAIN_S = 2.0
"""Seconds to read a check's output after its group is killed (a process that left it
may hold the pipe open)."""
LIST_TIMEOUT_S = 120.0
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_NO_COMMANDS: Mapping[str, Sequence[str]] = MappingProxyType({})

EventCallback = Callable[[str, str], None]


@dataclass(frozen=True)
class CheckSpec:
    """One check to run: ``argv`` (no shell) in the repository root, ``timeout_s`` seconds.

    ``nox_session`` and ``report_path`` are set for nox checks: the session name
    and the absolute path of the ``--report`` JSON nox writes; ``tox_envs`` and
    ``report_path`` for tox checks: the environments and the ``--result-json``
    file (removed once judged: it holds the commands' unredacted output). ``name`` becomes the
    rule id ``checks.<name>`` and the log file name, so it is a plain file name.
    ``env_allow``: variable names/globs passed on beyond ``check_env.DEFAULT_ALLOW``.
    Raises ``ValueError`` for an unusable name, an empty argv or a timeout ≤ 0.
    """

    name: str
    argv: tuple[str, ...]
    timeout_s: float
    nox_session: str | None = None
    report_path: str | None = None
    env_allow: tuple[str, ...] = ()
    tox_envs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Reject specs that could not be run or would write outside the log directory."""
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"check name {self.name!r} must match {_NAME.pattern}")
        if not self.argv:
            raise ValueError(f"check {self.name!r} has an empty command")
        if self.timeout_s <= 0:
            raise ValueError(f"check {self.name!r} has timeout {self.timeout_s} s; it must be > 0")


def nox_sessions(root: Path, env_allow: Sequence[str] = ()) -> list[str]:
    """List the session names ``root/noxfile.py`` defines, in noxfile order (SPEC §5.1).

    Read from ``python -m nox --list --json -k True``: the always-true keyword
    filter lists every session, including ``default=False`` ones and those left
    out of ``nox.options.sessions``. A parametrized or multi-Python session appears
    once, by name (``nox -s NAME`` runs all its variants). No noxfile → ``[]``.
    nox imports the noxfile (the branch's code), so it gets a check's environment
    (``env_allow`` as for ``CheckSpec``). Raises ``EnvironmentProblem`` when nox
    cannot load the noxfile (or is missing).
    """
    noxfile = root / "noxfile.py"
    if not noxfile.is_file():
        return []
    argv = (*NOX, "--list", "--json", "-k", "True")
    try:
        env = check_environment(os.environ, env_allow).variables
        listed = proc.run(argv, cwd=root, env=env, inherit_env=False, check=False,
                          timeout=LIST_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise _noxfile_problem(noxfile, f"listing took over {LIST_TIMEOUT_S:g} s") from exc
    if listed.returncode == 3 and not listed.stdout.strip():
        return []  # nox's exit code for a noxfile that defines no session
    if listed.returncode != 0:
        tail = (listed.stderr or listed.stdout).strip().splitlines()[-3:]
        raise _noxfile_problem(noxfile, " | ".join(tail) or f"exit {listed.returncode}")
    try:
        entries = json.loads(listed.stdout)
        names = [str(entry["name"]) for entry in entries]
    except (ValueError, TypeError, KeyError) as exc:
        raise _noxfile_problem(noxfile, f"unexpected `nox --list --json` output: {exc}") from exc
    return list(dict.fromkeys(names))


def _noxfile_problem(noxfile: Path, detail: str) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"nox could not list the sessions of {noxfile}: {detail}",
        hint=(
            f"run `{sys.executable} -m nox --list` in {noxfile.parent} to see the whole error "
            "and fix the noxfile, or configure the checks as commands in [tool.gatebot]"
        ),
    )


def plan_checks(
    root: Path,
    *,
    nox_wanted: Sequence[str] = DEFAULT_NOX_SESSIONS,
    commands: Mapping[str, Sequence[str]] = _NO_COMMANDS,
    timeout_s: float = 1800,
    log_dir: Path,
    nox_args: Sequence[str] = (),
    env_allow: Sequence[str] = (),
    runner: tox_envs.Runner = "auto",
    tox_aliases: Mapping[str, Sequence[str]] = _NO_COMMANDS,
) -> list[CheckSpec]:
    """Plan the checks: configured commands, then the wanted nox sessions or tox environments.

    A configured command (name → argv) takes precedence over a session or
    environment of the same name. The wanted checks (``nox_wanted``: names) the
    runner defines come first, in that order, then the remaining commands in
    mapping order. The runner (``check_runner``: ``checks.runner``) is asked
    only when some wanted name has no command. A nox check runs ``python -m nox
    -s NAME --report <log_dir>/NAME.nox.json --non-interactive *nox_args``; a
    tox check the environments ``tox_envs.match_envs(NAME, …, tox_aliases)``
    names. ``env_allow`` (``checks.env_allow``) goes into every spec.
    Raises ``ConfigError`` for an unusable command name or an empty command,
    ``EnvironmentProblem`` for a noxfile or tox configuration that cannot be read.
    """
    allow = tuple(env_allow)
    configured = {name: _command_spec(name, argv, timeout_s, allow)
                  for name, argv in commands.items()}
    wanted = [n for n in dict.fromkeys(nox_wanted) if n in configured or _NAME.fullmatch(n)]
    unconfigured = [n for n in wanted if n not in configured]
    which = check_runner(root, runner) if unconfigured else None
    reports = log_dir.resolve()
    found: dict[str, CheckSpec] = {}
    if which == "nox":
        defined = set(nox_sessions(root, allow))
        found = {n: _nox_spec(n, timeout_s, reports, nox_args, allow)
                 for n in unconfigured if n in defined}
    elif which == "tox":
        envs = tox_envs.tox_envs(root, allow)
        matched = {n: tox_envs.match_envs(n, envs, tox_aliases) for n in unconfigured}
        found = {n: _tox_spec(n, m, timeout_s, reports, allow) for n, m in matched.items() if m}
    planned = [configured.pop(n) if n in configured else found[n]
               for n in wanted if n in configured or n in found]
    return planned + list(configured.values())


def check_runner(root: Path, runner: tox_envs.Runner = "auto") -> Literal["nox", "tox"] | None:
    """Which tool defines the checks of the tree at ``root`` (``checks.runner``).

    ``auto``: nox when ``noxfile.py`` exists (nox wins over tox), else tox when
    ``tox_envs.tox_configured``; ``nox``/``tox``: that one when configured.
    None: neither. Reads only which files exist (and pyproject.toml's tables).
    """
    return tox_envs.choose_runner(
        runner, has_noxfile=(root / "noxfile.py").is_file(),
        has_tox=tox_envs.tox_configured(tox_envs.directory_reader(root)))


def _command_spec(name: str, argv: Sequence[str], timeout_s: float,
                  env_allow: tuple[str, ...]) -> CheckSpec:
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"check name {name!r} cannot be used: it names a log file and a rule id",
            hint="use letters, digits, '_', '-' and '.' only, e.g. `tests` or `unit-tests`",
        )
    if isinstance(argv, str) or not argv:
        raise ConfigError(
            f"check {name!r} needs a command given as a list of arguments",
            hint=f'e.g. {name} = ["pytest", "-q"] (gatebot never runs a shell)',
        )
    return CheckSpec(name=name, argv=tuple(argv), timeout_s=timeout_s, env_allow=env_allow)


def _tox_spec(name: str, envs: Sequence[str], timeout_s: float, reports: Path,
              env_allow: tuple[str, ...]) -> CheckSpec:
    report = reports / f"{name}.tox.json"
    return CheckSpec(name, tox_envs.run_argv(envs, report), timeout_s, report_path=str(report),
                     env_allow=env_allow, tox_envs=tuple(envs))


def _nox_spec(name: str, timeout_s: float, reports: Path, nox_args: Sequence[str],
              env_allow: tuple[str, ...]) -> CheckSpec:
    report = reports / f"{name}.nox.json"
    argv = (*NOX, "-s", name, "--report", str(report), "--non-interactive", *nox_args)
    return CheckSpec(name, argv, timeout_s, nox_session=name, report_path=str(report),
                     env_allow=env_allow)


@dataclass(frozen=True)
class _Outcome:
    """How a process ended: its exit code, whether it timed out, or why it never started."""

    returncode: int | None
    timed_out: bool = False
    start_error: str | None = None


class _LiveGroups:
    """The process groups of running checks, so an interrupted run can kill them all.

    With a ``record``, they are also written down for a later run to kill should
    this process die (``gatebot.adapters.orphans``).
    """

    def __init__(self, record: Record | None = None) -> None:
        self._lock = threading.Lock()
        self._pgids: set[int] = set()
        self._closed = False
        self._record = record

    def add(self, pgid: int) -> None:
        with self._lock:
            self._pgids.add(pgid)
            closed = self._closed
            if self._record is not None:
                self._record.add(pgid)
        if closed:
            _signal_group(pgid, signal.SIGKILL)

    def discard(self, pgid: int) -> None:
        with self._lock:
            self._pgids.discard(pgid)
            if self._record is not None:
                self._record.discard(pgid)

    @property
    def closed(self) -> bool:
        """Whether the run was interrupted: no new check may start."""
        with self._lock:
            return self._closed

    def kill_all(self) -> None:
        """Close the run and SIGKILL every running check's process group."""
        with self._lock:
            self._closed = True
            pgids = list(self._pgids)
        for pgid in pgids:
            _signal_group(pgid, signal.SIGKILL)


def run_checks(
    specs: Sequence[CheckSpec],
    root: Path,
    log_dir: Path,
    jobs: int,
    on_event: EventCallback | None = None,
    *,
    record: Path | None = None,
) -> list[CheckResult]:
    """Run ``specs`` in ``root`` on ``jobs`` worker threads; results in the order of ``specs``.

    Each check gets the allow-listed environment of its ``env_allow`` and its
    output goes, redacted, to ``<log_dir>/<name>.log`` as it runs. While checks run,
    ``record`` (a path) names this process and their process groups, so that a
    later ``orphans.reap(record)`` can kill them if this process dies. Status: exit
    0 → ``pass``, else ``fail``; nox checks are judged by their ``--report`` JSON
    when it is readable (a skipped session → ``error``); a program that cannot
    start or a timeout (``timed out after N s``; the whole process group is
    killed) → ``error``. Processes a check leaves behind are killed when it ends.
    ``on_event(name, "start"|"pass"|"fail"|"error")`` is called from worker threads.
    If the run is interrupted (Ctrl-C, or ``on_event`` raises), queued checks are
    cancelled, running ones killed, and the exception propagates.
    Raises ``ValueError`` when two specs share a name (their logs would collide).
    """
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"check names must be unique: {names}")
    log_dir = log_dir.resolve()
    log_dir.mkdir(parents=True, exist_ok=True)
    if not specs:
        return []
    live = _LiveGroups(Record(record) if record is not None else None)
    pool = ThreadPoolExecutor(max(1, min(jobs, len(specs))), thread_name_prefix="gatebot-check")
    try:
        futures = [pool.submit(_run_one, s, root, log_dir, on_event, live) for s in specs]
        return [future.result() for future in futures]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        live.kill_all()
        raise
    finally:
        pool.shutdown(wait=True)


def _run_one(
    spec: CheckSpec,
    root: Path,
    log_dir: Path,
    on_event: EventCallback | None,
    live: _LiveGroups,
) -> CheckResult:
    if live.closed:
        return CheckResult(spec.name, "error", None, 0.0, command=spec.argv, message="cancelled")
    try:
        return _run_and_report(spec, root, log_dir, on_event, live)
    except BaseException:
        live.kill_all()  # before this worker takes the next queued check
        raise


def _run_and_report(
    spec: CheckSpec,
    root: Path,
    log_dir: Path,
    on_event: EventCallback | None,
    live: _LiveGroups,
) -> CheckResult:
    if on_event is not None:
        on_event(spec.name, "start")
    log_path = log_dir / f"{spec.name}.log"
    if spec.report_path is not None:
        Path(spec.report_path).unlink(missing_ok=True)  # never judge by a previous run's report
    started = time.monotonic()
    outcome = _execute(spec, root, log_path, live)
    result = _judge(spec, outcome, time.monotonic() - started, log_path)
    if spec.tox_envs and spec.report_path is not None:
        Path(spec.report_path).unlink(missing_ok=True)  # it holds the output unredacted
    if on_event is not None:
        on_event(spec.name, result.status)
    return result


def _execute(spec: CheckSpec, root: Path, log_path: Path, live: _LiveGroups) -> _Outcome:
    environment = check_environment(os.environ, spec.env_allow)
    with log_path.open("wb") as file:
        log = RedactingLog(file, environment.redactor)
        log.write(f"$ {shlex.join(spec.argv)}\n".encode())
        try:
            process = subprocess.Popen(
                spec.argv,
                cwd=root,
                env=dict(environment.variables),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            reason = f"cannot run {spec.argv[0]!r}: {exc.strerror or exc}"
            log.write(f"[gatebot] {reason}\n".encode())
            log.close()
            return _Outcome(None, start_error=reason)
        live.add(process.pid)
        try:
            timed_out = _wait(process, spec.timeout_s, log)
        finally:
            live.discard(process.pid)
        if timed_out:
            note = f"timed out after {spec.timeout_s:g} s; killed its process group"
            log.write(f"\n[gatebot] {note}\n".encode())
        log.close()
        return _Outcome(process.returncode, timed_out=timed_out)


def _wait(process: subprocess.Popen[bytes], timeout_s: float, log: RedactingLog) -> bool:
    """Copy output to ``log`` until ``process`` ends; True if it ran past ``timeout_s``.

    A timed-out check's group gets SIGTERM, then SIGKILL after ``KILL_GRACE_S``.
    The process is reaped only after its group is killed, so the group id cannot
    be reused by then.
    """
    pump = OutputPump(process, log)
    try:
        timed_out = not pump.until_exit(time.monotonic() + timeout_s)
        if timed_out:
            _signal_group(process.pid, signal.SIGTERM)
            pump.until_exit(time.monotonic() + KILL_GRACE_S)
        _signal_group(process.pid, signal.SIGKILL)  # whatever the check left running
        pump.drain(time.monotonic() + DRAIN_S)
    finally:
        _signal_group(process.pid, signal.SIGKILL)  # when interrupted too; before reaping
        pump.close()
        if process.stdout is not None:
            process.stdout.close()
        process.wait()
    return timed_out


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(pgid, signum)


def _judge(spec: CheckSpec, outcome: _Outcome, duration_s: float, log_path: Path) -> CheckResult:
    status, message = _status(spec, outcome)
    return CheckResult(
        name=spec.name,
        status=status,
        returncode=outcome.returncode,
        duration_s=duration_s,
        log_path=str(log_path),
        command=spec.argv,
        message=message,
    )


def _status(spec: CheckSpec, outcome: _Outcome) -> tuple[CheckStatus, str]:
    if outcome.start_error is not None:
        return "error", outcome.start_error
    if outcome.timed_out:
        return "error", f"timed out after {spec.timeout_s:g} s"
    judged = _report_status(spec)
    if judged is not None:
        return judged
    code = outcome.returncode
    if code == 0:
        return "pass", ""
    if code is not None and code < 0:
        return "fail", f"killed by {signal.Signals(-code).name}"
    return "fail", f"exit {code}"


def _report_status(spec: CheckSpec) -> tuple[CheckStatus, str] | None:
    """The status a nox or tox check's report gives; None for a command or no readable report."""
    if spec.report_path is None:
        return None
    if spec.nox_session is not None:
        return _nox_report_status(Path(spec.report_path), spec.nox_session)
    if spec.tox_envs:
        return tox_envs.report_status(Path(spec.report_path), spec.tox_envs)
    return None


def _nox_report_status(report: Path, session: str) -> tuple[CheckStatus, str] | None:
    """Judge a nox check by its ``--report`` JSON; None when that is missing or unreadable."""
    try:
        data: Any = json.loads(report.read_text(encoding="utf-8"))
        runs = [_nox_run(s) for s in data["sessions"] if s.get("name") == session]
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None
    return _combine_nox_runs(session, runs) if runs else None


def _nox_run(entry: dict[str, Any]) -> tuple[str, Any, Any]:
    """``(signature, result, reason)`` of one session entry of nox's report."""
    signatures = entry.get("signatures") or [entry["name"]]
    return str(signatures[0]), entry["result"], entry["reason"]


def _combine_nox_runs(session: str, runs: list[tuple[str, Any, Any]]) -> tuple[CheckStatus, str]:
    """One status for all variants of a session: failed > aborted > none ran > success."""
    by_result: dict[str, list[str]] = {}
    for signature, result, _ in runs:
        by_result.setdefault(str(result), []).append(signature)
    skipped = "; ".join(
        f"{signature}: {reason or 'no reason given'}"
        for signature, result, reason in runs
        if result == "skipped"
    )
    if "failed" in by_result:
        return "fail", f"nox session {', '.join(by_result['failed'])} failed"
    if "aborted" in by_result:
        return "error", f"nox aborted session {', '.join(by_result['aborted'])}"
    if "success" not in by_result:
        return "error", f"nox skipped session {session}: {skipped or 'unknown result'}"
    return "pass", f"nox skipped {skipped}" if skipped else ""
