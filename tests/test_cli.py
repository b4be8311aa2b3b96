from __future__ import annotations

import os
import subprocess
import sys

from tests.repos import run_cli

HEAVY = ("pydantic", "rich", "github", "jinja2", "markdown_it", "lizard", "nox")


def test_cli_module_imports_no_heavy_library() -> None:
    code = ("import sys; import gatebot.cli; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True).stdout.split()
    assert not set(HEAVY) & set(loaded)


def test_help_lists_every_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(tmp_path, "--help")
    for name in ("review", "merge", "task", "claim", "heartbeat", "submit", "release",
                 "status", "sweep"):
        assert name in result.output


def test_outside_a_repository_exits_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(tmp_path, "review")
    assert result.exit_code == 2
    assert "not inside a git work tree" in result.output


def test_a_closed_pipe_is_not_an_internal_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # `gatebot config --schema | head -c 10`: the reader is gone before gatebot writes
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "gatebot", "config", "--schema"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                              check=False, timeout=60)
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert "internal error" not in proc.stderr
    assert "Traceback" not in proc.stderr
