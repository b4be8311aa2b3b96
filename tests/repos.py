"""Real git repositories for tests: a work tree cloned from a bare ``origin``.

Nothing here mocks gatebot: tests drive the real CLI against these repositories.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "builder-one", "GIT_AUTHOR_EMAIL": "builder-one@example.com",
    "GIT_COMMITTER_NAME": "builder-one", "GIT_COMMITTER_EMAIL": "builder-one@example.com",
}

TODO = textwrap.dedent("""\
    # 📋 TODO

    ## 🟢 READY

    ### #1 First task
    **Built by**: None yet
    **Cannot review**: None

    ## 🔨 IN-PROGRESS

    ## 👀 REVIEW

    ### #4 Twitter automation
    **Built by**: builder-one
    **Branch**: feature-x
    **Cannot review**: builder-one

    Free text that must survive.

    ## ✅ RDY FOR PROD

    ## 🚀 RELEASED
    """)

NOXFILE = textwrap.dedent('''\
    import sys
    import nox

    @nox.session(python=False)
    def tests(session):
        session.run(sys.executable, "-m", "coverage", "run", "--source=app", "-m", "pytest",
                    "-q", "-p", "no:cacheprovider", "tests")
        session.run(sys.executable, "-m", "coverage", "json", "-o", "coverage.json")

    @nox.session(python=False)
    def lint(session):
        session.run(sys.executable, "-c", "print('lint ok')")

    @nox.session(python=False)
    def typecheck(session):
        session.run(sys.executable, "-c", "print('typecheck ok')")

    @nox.session(python=False)
    def build(session):
        session.run(sys.executable, "-c", "print('build ok')")
    ''')
"""The four sessions of ``checks.required``'s default: a project that needs no configuration."""

NO_CHECKS = "min_coverage = 0\n[checks]\nnox_sessions = []\nrequired = []\n"
"""``.gatebot.toml`` of a repository without checks: nothing runs and nothing is required."""


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``cwd`` as the test builder; return stdout (raises on failure)."""
    full = {**os.environ, **GIT_ENV, **(env or {})}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=full, check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class Repo:
    """A clone at ``path`` of the bare repository ``origin``."""

    path: Path
    origin: Path

    def write(self, rel: str, text: str) -> Path:
        """Write a file in the work tree (parents created)."""
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str, *, as_: str | None = None) -> str:
        """Stage everything and commit (author/committer ``as_`` when given); return the SHA."""
        env = None
        if as_:
            env = {"GIT_AUTHOR_NAME": as_, "GIT_AUTHOR_EMAIL": f"{as_}@example.com",
                   "GIT_COMMITTER_NAME": as_, "GIT_COMMITTER_EMAIL": f"{as_}@example.com"}
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", message, env=env)
        return git(self.path, "rev-parse", "HEAD")

    def git(self, *args: str) -> str:
        """Run git in the work tree."""
        return git(self.path, *args)

    def origin_file(self, rel: str, branch: str = "main") -> str:
        """The text of ``rel`` on ``origin``'s ``branch``."""
        return git(self.origin, "show", f"{branch}:{rel}")

    def origin_sha(self, branch: str = "main") -> str:
        """The SHA of ``origin``'s ``branch``."""
        return git(self.origin, "rev-parse", f"refs/heads/{branch}")


def make_repo(tmp: Path, *, todo: str = TODO, with_nox: bool = False) -> Repo:
    """A repository with a bare origin, a tiny Python project and a board on ``main``.

    ``with_nox``: a noxfile with the four required sessions and the default
    configuration; otherwise ``NO_CHECKS`` (no check runs, none is required).
    """
    origin = tmp / "origin.git"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(origin))
    work = tmp / "work"
    git(tmp, "clone", "-q", str(origin), str(work))
    git(work, "checkout", "-q", "-b", "main")
    repo = Repo(work, origin)
    repo.write("TODO.md", todo)
    repo.write("app/__init__.py", '"""The tiny app."""\n')
    repo.write("app/core.py", '"""Core."""\n\n\ndef add(a, b):\n    """Add."""\n    return a + b\n')
    repo.write("tests/test_core.py", "from app.core import add\n\n\ndef test_add():\n"
               "    assert add(1, 2) == 3\n")
    if with_nox:
        repo.write("noxfile.py", NOXFILE)
    else:
        repo.write(".gatebot.toml", NO_CHECKS)
    repo.commit("initial")
    repo.git("push", "-q", "origin", "main")
    return repo


def run_cli(repo_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run the real ``gatebot`` CLI in-process with ``repo_path`` as the working directory."""
    from gatebot.cli import main  # noqa: PLC0415

    old = Path.cwd()
    os.chdir(repo_path)
    try:
        runner = CliRunner()
        return runner.invoke(main, list(args), env={"NO_COLOR": "1", **(env or {})},
                             catch_exceptions=False)
    finally:
        os.chdir(old)


def run_process(repo_path: Path, *args: str, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gatebot ARGS`` as a real separate process."""
    full = {**os.environ, **GIT_ENV, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "gatebot", *args], cwd=repo_path, env=full,
                          capture_output=True, text=True, check=False, timeout=300)


def clone_of(repo: Repo, path: Path) -> Repo:
    """Another clone of ``repo``'s bare origin at ``path`` (another agent's machine)."""
    git(path.parent, "clone", "-q", str(repo.origin), str(path))
    return Repo(path, repo.origin)


def plain_repo(path: Path) -> Path:
    """An empty repository at ``path`` with no remote: its claims live on its own refs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    git(path.parent, "init", "-q", "-b", "main", str(path))
    return path


def put_commit(where: Path, ref: str, message: str, *, push: bool = False) -> str:
    """Point ``ref`` at a hand-made commit of the empty tree carrying ``message`` (what a
    broken or hostile tool could write); push it to ``origin`` instead when ``push``."""
    env = {**os.environ, **GIT_ENV}

    def run(*args: str, stdin: str) -> str:
        return subprocess.run(["git", *args], cwd=where, input=stdin, text=True, env=env,
                              capture_output=True, check=True).stdout.strip()

    sha = run("commit-tree", run("mktree", stdin=""), stdin=message)
    if push:
        git(where, "push", "-q", "origin", f"{sha}:{ref}")
    else:
        git(where, "update-ref", ref, sha)
    return sha
