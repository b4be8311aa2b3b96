"""The project's checks: the nox sessions gatebot runs as its own gate-1 checks.

Sessions: ``tests`` (pytest under coverage, writing coverage.py's JSON report
``coverage.json`` that the ``coverage`` rule reads, and the JUnit report ``junit.xml`` that
names failing tests in the verdict), ``lint`` (ruff and the
import-layer check), ``typecheck`` (mypy strict) and ``build`` (sdist + wheel).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "build"]
nox.options.reuse_venv = "yes"


@nox.session
def tests(session: nox.Session) -> None:
    """Run the tests under coverage; write coverage.json and junit.xml (pytest args after --).

    The tests run in this process, as CI has always run them; ``-- -n auto`` runs them in
    one pytest-xdist worker per core, and pytest-cov combines the workers' coverage.
    """
    session.install("-e", ".[test]")
    session.run("coverage", "erase")
    session.run(
        "pytest", "--cov=gatebot", "--cov-report=json:coverage.json", "--cov-report=term",
        "--junitxml=junit.xml", *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff, the inward-imports rule, and the GitHub Actions files audited.

    zizmor (offline) and GitHub's workflow and action schemas (check-jsonschema's vendored
    copies) over this project's workflows, action.yml, and the workflows `gatebot init
    --github` writes into a user's repository: zero findings, or an ignore justified on its line.
    """
    session.install("ruff>=0.6", "zizmor>=1.32", "check-jsonschema>=0.33", "-e", ".")
    session.run("ruff", "check", "gatebot", "tests", "benchmarks", "tools", "noxfile.py")
    session.run("python", "tools/check_layers.py")
    ours = sorted(str(path) for path in Path(".github/workflows").glob("*.yml"))
    with tempfile.TemporaryDirectory() as out:
        session.run("python", "tools/render_workflows.py", out, silent=True)
        written = sorted(str(path) for path in Path(out).glob(".github/workflows/*.yml"))
        session.run("zizmor", "--offline", "--no-progress", *ours, *written, "action.yml")
        session.run("check-jsonschema", "--builtin-schema", "vendor.github-workflows",
                    *ours, *written)
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-actions", "action.yml")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy --strict over the package."""
    session.install("-e", ".[typecheck]")
    session.run("mypy")


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and the wheel into a temporary directory."""
    session.install("build")
    with tempfile.TemporaryDirectory() as out:
        session.run("python", "-m", "build", "--outdir", out)


@nox.session
def mutation(session: nox.Session) -> None:
    """Mutation testing of gatebot/core with mutmut, killed by tests/core alone; on demand.

    Not in CI and not a gate-1 check (minutes of CPU). The configuration is
    ``[tool.mutmut]`` in pyproject.toml; mutants and their results stay in
    ``mutants/``. Pass mutant names to run fewer (``nox -s mutation --
    'gatebot.core.verdict.*'``). Writes the scores per module to
    benchmarks/results/mutation.json (benchmarks/mutation_summary.py).
    """
    session.install("-e", ".[test]", "mutmut>=3.8,<4")
    session.run("mutmut", "run", *session.posargs)
    session.run("python", "benchmarks/mutation_summary.py")


@nox.session
def report(session: nox.Session) -> None:
    """The audit's HTML page in headless Chromium (Debian's ``chromium``), network blocked.

    Installs Playwright (its Python package only: the browser is the system's) and runs
    tests/browser, which fail here when Chromium is missing; keeps the screenshot in
    benchmarks/results/audit.png.
    """
    session.install("-e", ".[test]", "playwright>=1.40")
    session.run("pytest", "-q", "-p", "no:cacheprovider", "tests/browser", *session.posargs,
                env={"REPORT_REQUIRE_BROWSER": "1",
                     "REPORT_SCREENSHOT": "benchmarks/results/audit.png"})
