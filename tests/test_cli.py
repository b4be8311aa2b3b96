from __future__ import annotations

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
