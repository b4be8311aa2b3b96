"""gatebot.adapters.checks against real nox on a tiny project made in a tmp dir.

Every session uses ``python=False`` so nox creates no virtualenv. Sessions write
pids and what they saw of each other into ``stamps/`` so tests can assert on what
really ran, never on wall-clock times.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from gatebot.adapters.checks import (
    DEFAULT_NOX_SESSIONS,
    NOX,
    CheckSpec,
    nox_sessions,
    plan_checks,
    run_checks,
)
from gatebot.errors import ConfigError, EnvironmentProblem

PY = sys.executable

NOXFILE = """
import subprocess
import sys
import time
from pathlib import Path

import nox

STAMPS = Path(__file__).parent / "stamps"
nox.options.sessions = ["ok"]
CHILD = (
    "import os, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)"
)


@nox.session(python=False)
def ok(session):
    session.run(sys.executable, "-c", "print('hello from ok')")


@nox.session(python=False)
def bad(session):
    session.run(sys.executable, "-c", "import sys; print('about to fail'); sys.exit(3)")


@nox.session(python=False)
def skipme(session):
    session.skip("nothing to do here")


# A barrier met through files: "met" when both checks ran at once (no clock judges
# it), "after" when the other had already left, "alone" when it never came.
def meeter(name, other):
    def meet(session):
        after = (STAMPS / (other + ".left")).exists()  # looked at before arriving
        (STAMPS / (name + ".here")).touch()
        patience = float((STAMPS / "patience").read_text())
        deadline = time.monotonic() + patience
        while not after and time.monotonic() < deadline:
            if (STAMPS / (other + ".here")).exists():
                break
            time.sleep(0.01)
        met = (STAMPS / (other + ".here")).exists() and not after
        (STAMPS / (name + ".result")).write_text("after" if after else "met" if met else "alone")
        (STAMPS / (name + ".left")).touch()
    nox.session(python=False, name=name)(meet)


meeter("meet_a", "meet_b")
meeter("meet_b", "meet_a")


@nox.session(python=False)
def hang(session):
    STAMPS.mkdir(exist_ok=True)
    subprocess.Popen([sys.executable, "-c", CHILD, str(STAMPS / "hang.child")])
    print("hang: child started", flush=True)
    time.sleep(60)


@nox.session(python=False)
@nox.parametrize("flavour", ["real", "absent"])
def matrix(session, flavour):
    if flavour == "absent":
        session.skip("flavour not installed")
    print("matrix ran", flavour)


@nox.session(python=False, default=False)
def build(session):
    print("building")
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "noxfile.py").write_text(NOXFILE)
    return root


def nox_spec(project: Path, log_dir: Path, name: str, timeout_s: float = 60) -> CheckSpec:
    (spec,) = plan_checks(project, nox_wanted=(name,), log_dir=log_dir, timeout_s=timeout_s)
    assert spec.nox_session == name
    return spec


def command(name: str, code: str, timeout_s: float = 30) -> CheckSpec:
    return CheckSpec(name=name, argv=(PY, "-c", code), timeout_s=timeout_s)


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie awaiting its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return not alive(pid)


# -- nox_sessions ---------------------------------------------------------------------------


def test_nox_sessions_lists_every_session_once_in_noxfile_order(project: Path) -> None:
    # `build` is default=False and nox.options.sessions selects only `ok`: both still count.
    expected = ["ok", "bad", "skipme", "meet_a", "meet_b", "hang", "matrix", "build"]
    assert nox_sessions(project) == expected


def test_no_noxfile_means_no_sessions(tmp_path: Path) -> None:
    assert nox_sessions(tmp_path) == []


def test_a_noxfile_without_sessions_means_no_sessions(tmp_path: Path) -> None:
    (tmp_path / "noxfile.py").write_text("import nox\n")
    assert nox_sessions(tmp_path) == []


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("import nox\n@nox.session(python=False\ndef x(s): pass\n", "SyntaxError"),
        ("import nox\nraise RuntimeError('noxfile exploded')\n", "noxfile exploded"),
    ],
)
def test_a_broken_noxfile_is_an_environment_problem(
    tmp_path: Path, source: str, shown: str
) -> None:
    (tmp_path / "noxfile.py").write_text(source)
    with pytest.raises(EnvironmentProblem) as caught:
        nox_sessions(tmp_path)
    assert shown in caught.value.message
    assert str(tmp_path / "noxfile.py") in caught.value.message
    assert "nox --list" in caught.value.hint
    with pytest.raises(EnvironmentProblem):
        plan_checks(tmp_path, log_dir=tmp_path / "logs")


# -- plan_checks ----------------------------------------------------------------------------


def test_plan_runs_the_wanted_sessions_the_noxfile_defines(project: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    specs = plan_checks(
        project,
        nox_wanted=("ok", "lint", "build", "ok"),
        log_dir=logs,
        timeout_s=42,
        nox_args=("--no-color",),
    )
    assert [s.name for s in specs] == ["ok", "build"]  # no `lint` in this noxfile
    report = str(logs.resolve() / "ok.nox.json")
    assert specs[0] == CheckSpec(
        name="ok",
        argv=(*NOX, "-s", "ok", "--report", report, "--non-interactive", "--no-color"),
        timeout_s=42,
        nox_session="ok",
        report_path=report,
    )
    assert DEFAULT_NOX_SESSIONS == ("tests", "lint", "typecheck", "build")


def test_configured_commands_take_precedence_over_nox(project: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    specs = plan_checks(
        project,
        nox_wanted=("ok", "bad"),
        commands={"extra": [PY, "-c", "print('extra')"], "ok": [PY, "-c", "print('configured')"]},
        log_dir=logs,
    )
    assert [(s.name, s.nox_session) for s in specs] == [
        ("ok", None),
        ("bad", "bad"),
        ("extra", None),
    ]
    results = run_checks(specs[:1], project, logs, jobs=1)
    assert results[0].status == "pass"
    log = Path(results[0].log_path or "").read_text()
    assert "configured" in log
    assert "hello from ok" not in log


def test_commands_alone_never_load_the_noxfile(tmp_path: Path) -> None:
    (tmp_path / "noxfile.py").write_text("raise SystemExit('broken')\n")
    specs = plan_checks(
        tmp_path, nox_wanted=("tests",), commands={"tests": ["pytest"]}, log_dir=tmp_path
    )
    assert specs == [CheckSpec("tests", ("pytest",), 1800)]


@pytest.mark.parametrize(
    ("commands", "shown"),
    [
        ({"../escape": ["true"]}, "'../escape'"),
        ({"tests": []}, "list of arguments"),
        ({"tests": "pytest -q"}, "list of arguments"),
    ],
)
def test_unusable_commands_are_configuration_errors(
    tmp_path: Path, commands: dict[str, list[str]], shown: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        plan_checks(tmp_path, nox_wanted=(), commands=commands, log_dir=tmp_path)
    assert shown in caught.value.message
    assert caught.value.hint


@pytest.mark.parametrize(
    "fields",
    [{"name": "a/b"}, {"name": ""}, {"argv": ()}, {"timeout_s": 0}],
)
def test_check_spec_rejects_what_cannot_run(fields: dict[str, object]) -> None:
    values: dict[str, object] = {"name": "ok", "argv": ("true",), "timeout_s": 1.0, **fields}
    with pytest.raises(ValueError, match="check"):
        CheckSpec(**values)  # type: ignore[arg-type]


# -- run_checks -----------------------------------------------------------------------------


def test_statuses_logs_and_events_in_spec_order(project: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    specs = [nox_spec(project, logs, n) for n in ("bad", "ok", "skipme", "matrix")]
    events: list[tuple[str, str]] = []
    lock = threading.Lock()

    def on_event(name: str, event: str) -> None:
        with lock:
            events.append((name, event))

    results = run_checks(specs, project, logs, jobs=4, on_event=on_event)

    assert [r.name for r in results] == ["bad", "ok", "skipme", "matrix"]
    bad, ok, skipme, matrix = results
    assert (bad.status, bad.returncode, bad.message) == ("fail", 1, "nox session bad failed")
    assert (ok.status, ok.returncode, ok.message) == ("pass", 0, "")
    assert skipme.status == "error"
    assert skipme.message == "nox skipped session skipme: skipme: nothing to do here"
    assert matrix.status == "pass"
    assert "flavour not installed" in matrix.message
    assert "about to fail" in (logs / "bad.log").read_text()
    assert "hello from ok" in (logs / "ok.log").read_text()
    assert (logs / "ok.log").read_text().startswith("$ ")
    assert all(r.log_path == str(logs.resolve() / f"{r.name}.log") for r in results)
    pairs = zip(results, specs, strict=True)
    assert all(r.command == s.argv and r.duration_s > 0 for r, s in pairs)
    for result in results:
        mine = [event for name, event in events if name == result.name]
        assert mine == ["start", result.status]


def meet(project: Path, tmp_path: Path, jobs: int, patience: float) -> dict[str, str]:
    """Run the checks ``meet_a`` and ``meet_b`` with ``jobs``; what each saw of the other."""
    stamps = project / "stamps"
    stamps.mkdir(exist_ok=True)
    for old in stamps.glob("meet_*"):
        old.unlink()
    (stamps / "patience").write_text(str(patience))
    logs = tmp_path / "logs"
    specs = [nox_spec(project, logs, "meet_a"), nox_spec(project, logs, "meet_b")]
    results = run_checks(specs, project, logs, jobs=jobs)
    assert [r.status for r in results] == ["pass", "pass"]
    return {name: (stamps / f"{name}.result").read_text() for name in ("meet_a", "meet_b")}


def test_two_jobs_run_two_checks_at_once(project: Path, tmp_path: Path) -> None:
    # each waits (up to a minute, a failsafe) until the other has arrived: both
    # reporting "met" proves they ran at the same time
    assert meet(project, tmp_path, jobs=2, patience=60) == {"meet_a": "met", "meet_b": "met"}


def test_one_job_runs_checks_one_after_another_in_spec_order(
        project: Path, tmp_path: Path) -> None:
    # meet_a waits a second for meet_b, which starts only once meet_a has left
    assert meet(project, tmp_path, jobs=1, patience=1) == {"meet_a": "alone", "meet_b": "after"}


def test_timeout_kills_the_whole_process_group(project: Path, tmp_path: Path) -> None:
    child_file = project / "stamps" / "hang.child"
    child_file.unlink(missing_ok=True)
    logs = tmp_path / "logs"

    (result,) = run_checks([nox_spec(project, logs, "hang", timeout_s=3)], project, logs, jobs=1)

    assert (result.status, result.message) == ("error", "timed out after 3 s")
    child = int(child_file.read_text())
    # The child ignores SIGTERM and is not the process gatebot started: only a
    # SIGKILL of the whole group ends it.
    assert gone_within(child, 5), f"child {child} of the timed-out session still runs"
    log = (logs / "hang.log").read_text()
    assert "hang: child started" in log
    assert "timed out after 3 s" in log
    assert 3 <= result.duration_s < 10


def test_a_check_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ignoring TERM', flush=True); time.sleep(60)"
    )
    (result,) = run_checks([command("stubborn", code, timeout_s=0.5)], tmp_path, tmp_path, 1)
    assert (result.status, result.message) == ("error", "timed out after 0.5 s")
    assert result.returncode == -signal.SIGKILL
    assert "ignoring TERM" in Path(result.log_path or "").read_text()


def test_plain_commands_are_judged_by_exit_code(tmp_path: Path) -> None:
    specs = [
        command("zero", "print('fine')"),
        command("three", "import sys; sys.exit(3)"),
        command("killed", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"),
    ]
    results = run_checks(specs, tmp_path, tmp_path / "logs", jobs=2)
    assert [(r.status, r.returncode, r.message) for r in results] == [
        ("pass", 0, ""),
        ("fail", 3, "exit 3"),
        ("fail", -9, "killed by SIGKILL"),
    ]


def test_a_missing_program_is_an_error(tmp_path: Path) -> None:
    spec = CheckSpec("ghost", ("gatebot-no-such-program-xyz", "--flag"), 5)
    (result,) = run_checks([spec], tmp_path, tmp_path, jobs=1)
    assert result.status == "error"
    assert result.returncode is None
    assert "cannot run 'gatebot-no-such-program-xyz'" in result.message
    assert result.message in (tmp_path / "ghost.log").read_text()


def test_nox_check_without_a_report_falls_back_to_the_exit_code(tmp_path: Path) -> None:
    report = tmp_path / "fake.nox.json"
    # A stale report of an earlier, successful run must not decide this run.
    report.write_text(json.dumps({"sessions": [{"name": "fake", "result": "success"}]}))
    failing = CheckSpec("fake", (PY, "-c", "raise SystemExit(2)"), 10, "fake", str(report))
    passing = CheckSpec("fine", (PY, "-c", "pass"), 10, "fine", str(tmp_path / "none.json"))

    results = run_checks([failing, passing], tmp_path, tmp_path, jobs=2)

    assert [(r.status, r.message) for r in results] == [("fail", "exit 2"), ("pass", "")]
    assert not report.exists()


def test_an_interrupted_run_kills_running_checks_and_cancels_queued_ones(
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "slow.pid"
    slow = command(
        "slow",
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)",
    )
    quick = command(
        "quick", f"import os, time\nwhile not os.path.exists({str(pid_file)!r}): time.sleep(0.02)"
    )
    queued = command("queued", "pass")

    def on_event(name: str, event: str) -> None:
        if (name, event) == ("quick", "pass"):
            raise RuntimeError("user pressed Ctrl-C")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="Ctrl-C"):
        run_checks([quick, slow, queued], tmp_path, tmp_path, jobs=2, on_event=on_event)
    assert time.monotonic() - started < 20
    assert gone_within(int(pid_file.read_text()), 5)
    assert not (tmp_path / "queued.log").exists()


def test_duplicate_names_are_refused_and_no_specs_run_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unique"):
        run_checks([command("a", "pass"), command("a", "pass")], tmp_path, tmp_path, 2)
    assert run_checks([], tmp_path, tmp_path / "logs", jobs=4) == []
    assert (tmp_path / "logs").is_dir()
