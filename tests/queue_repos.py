"""Real repositories holding a merge queue: tasks approved at gate 1, one nox check on main.

Each task of the board adds one file ``parts/N.txt``. The one check (a nox session) fails when
a part holds the word ``bad``; it fails once (then passes) when a part holds ``flaky``; and it
runs ``<hooks>/move.py`` first when that exists (someone committing to main mid-run). Used by
tests/app/test_queue_run.py and benchmarks/bench_queue.py (real runs beside the simulation).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.repos import Repo, make_repo, run_cli

NOXFILE = textwrap.dedent('''\
    import sys
    import nox


    @nox.session(python=False)
    def tests(session):
        session.run(sys.executable, "check.py")
    ''')

CHECK = textwrap.dedent('''\
    import pathlib, subprocess, sys
    HOOKS = pathlib.Path({hooks!r})
    move = HOOKS / "move.py"
    if move.exists():  # someone commits to main while the checks run
        subprocess.run([sys.executable, str(move)], check=True)
        move.unlink()
    texts = [p.read_text() for p in sorted(pathlib.Path("parts").glob("*.txt"))]
    if any("bad" in t for t in texts):
        sys.exit("a bad part")
    flag = HOOKS / "flaked"
    if any("flaky" in t for t in texts) and not flag.exists():
        flag.write_text("once")
        sys.exit("a flaky failure")
    print("parts ok")
    ''')

CONFIG = ('min_coverage = 0\ndisabled_rules = ["coverage", "tests-present", "docs-updated"]\n'
          '[checks]\nnox_sessions = ["tests"]\nrequired = ["tests"]\n')


def board(numbers: range) -> str:
    """A TODO.md with tasks ``numbers`` in REVIEW, built by builder-one."""
    tasks = "".join(f"### #{n} Part {n}\n**Built by**: builder-one\n**Cannot review**: "
                    "builder-one\n\n" for n in numbers)
    return (f"# 📋 TODO\n\n## 🟢 READY\n\n## 🔨 IN-PROGRESS\n\n## 👀 REVIEW\n\n{tasks}"
            "## ✅ RDY FOR PROD\n\n## 🚀 RELEASED\n")


def queue_of(tmp: Path, parts: dict[int, str], also: dict[int, dict[str, str]] | None = None
             ) -> Repo:
    """Tasks ``parts`` (number → the text of ``parts/N.txt``; ``also``: more files of a task)
    approved at gate 1, in order; then main gets the nox check (approvals without checks: fast)."""
    repo = make_repo(tmp, todo=board(range(1, max(parts) + 1)))
    for number, text in parts.items():
        repo.git("checkout", "-q", "-b", f"task/{number}-part", "origin/main")
        repo.write(f"parts/{number}.txt", text)
        for rel, more in (also or {}).get(number, {}).items():
            repo.write(rel, more)
        repo.commit(f"part {number}", as_="builder-one")
        repo.git("push", "-q", "origin", f"task/{number}-part")
        result = run_cli(repo.path, "review", "--approve", "--as", "rev-a")
        assert result.exit_code == 0, result.output
    repo.git("checkout", "-q", "main")
    repo.git("pull", "-q", "origin", "main")
    hooks = tmp / "hooks"
    hooks.mkdir()
    repo.write("noxfile.py", NOXFILE)
    repo.write("check.py", CHECK.format(hooks=str(hooks)))
    repo.write(".gatebot.toml", CONFIG)
    repo.commit("the parts check")
    repo.git("push", "-q", "origin", "main")
    return repo
