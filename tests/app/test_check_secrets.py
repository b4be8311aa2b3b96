"""Both gates run the branch's checks without the machine's tokens, and log no secret.

Black-box: ``python -m gatebot`` as a real process with ``GITHUB_TOKEN``,
``GH_TOKEN`` and ``GATEBOT_TOKEN`` in its environment; the check is the branch's
code, which prints every variable it sees and, as test code could, the
environment gatebot itself was started with (``/proc/<parent>/environ``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.repos import Repo, make_repo, run_process

SHOW_ENV = """import os, sys
for name, value in sorted(os.environ.items()):
    print(f"{name}={value}")
with open(f"/proc/{os.getppid()}/environ", "rb") as parent:
    print("parent:", parent.read().replace(b"\\0", b" ").decode(errors="replace"))
sys.exit(1 if {"GITHUB_TOKEN", "GH_TOKEN", "GATEBOT_TOKEN"} & set(os.environ) else 0)
"""
TOKENS = {
    "GITHUB_TOKEN": "github-token-value-1",
    "GH_TOKEN": "ghp_" + "Zy9" * 12,
    "GATEBOT_TOKEN": "gatebot-token-value-333",
}


def checked_repo(tmp_path: Path) -> Repo:
    repo = make_repo(tmp_path)
    repo.write(".gatebot.toml", "min_coverage = 0\n[checks]\nnox_sessions = []\n"
               f'required = ["tests"]\ncommands = {{ tests = ["{sys.executable}", "show_env.py"] }}\n')
    repo.write("show_env.py", SHOW_ENV)
    repo.commit("a check that shows its environment")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-work")
    repo.write("app/feature.py", '"""F."""\n')
    repo.write("tests/test_f.py", "x = 1\n")
    repo.commit("feature work", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    return repo


def test_checks_at_both_gates_see_no_token_and_log_none(tmp_path: Path) -> None:
    repo = checked_repo(tmp_path)

    gate1 = run_process(repo.path, "review", "--approve", "--as", "rev-a", env=TOKENS)
    gate2 = run_process(repo.path, "merge", "--task", "4", "--as", "rev-b", env=TOKENS)

    assert gate1.returncode == 0, gate1.stdout + gate1.stderr
    assert gate2.returncode == 0, gate2.stdout + gate2.stderr
    logs = sorted((tmp_path / "logs").glob("*/tests.log"))  # GATEBOT_LOG_DIR, see conftest
    assert len(logs) == 2  # gate 1 in the work tree, gate 2 in the integration slot
    for log in logs:
        text = log.read_text()
        assert "\nPATH=" in text
        assert "GITHUB_TOKEN=[redacted]" in text  # only in what the parent was started with
        assert not any(value in text for value in TOKENS.values())
