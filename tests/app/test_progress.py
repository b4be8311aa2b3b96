"""Off a terminal, long checks say they are still running (a line per check per interval)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from gatebot.adapters.checks import CheckSpec, run_checks
from gatebot.app.output import STILL_RUNNING_EVERY_S, StillRunning


def test_a_line_per_running_check_per_interval(tmp_path: Path) -> None:
    slow = CheckSpec("slow", (sys.executable, "-c", "import time; time.sleep(1.2)"), 60)
    quick = CheckSpec("quick", (sys.executable, "-c", "pass"), 60)
    out = io.StringIO()
    with StillRunning(True, interval_s=0.25, stream=out) as ticker:
        results = run_checks([slow, quick], tmp_path, tmp_path / "logs", 2, ticker)
    assert [r.status for r in results] == ["pass", "pass"]
    lines = out.getvalue().splitlines()
    assert len(lines) >= 2
    assert all(line.startswith("checks.slow still running, ") for line in lines), lines
    assert lines[-1].endswith(" s")
    assert STILL_RUNNING_EVERY_S == 60  # "every minute"


def test_disabled_on_a_terminal_says_nothing(tmp_path: Path) -> None:
    slow = CheckSpec("slow", (sys.executable, "-c", "import time; time.sleep(0.6)"), 60)
    out = io.StringIO()
    with StillRunning(False, interval_s=0.1, stream=out) as ticker:
        run_checks([slow], tmp_path, tmp_path / "logs", 1, ticker)
    assert out.getvalue() == ""



def test_no_reporting_thread_until_a_check_starts() -> None:
    # a landing without checks enters the reporter off a terminal: starting a thread for
    # nothing costs start-up time (the replay benchmark)
    with StillRunning(True, interval_s=0.1, stream=io.StringIO()) as ticker:
        assert ticker.thread is None
        ticker("tests", "start")
        assert ticker.thread is not None and ticker.thread.is_alive()
        ticker("tests", "pass")
    assert not ticker.thread.is_alive()
