"""The configuration's schema as pydantic models: validation of what the fast path leaves, and JSON Schema.

``gatebot.config`` reads the configuration into plain frozen dataclasses of the
same names, fields and defaults (a test holds the two alike) and checks the
values it can judge exactly itself: a value of the very type a key takes. Any
other value (a number given as text in a file, a wrong type, an unknown key)
comes here: pydantic coerces it as documented or reports the error that
``gatebot.config`` turns into its message. ``gatebot config --schema`` and
docs/configuration.md are this module's JSON Schema. Importing pydantic costs
more than a whole landing's own work, so commands import this module only
when they need it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from gatebot.config import (
    DEFAULT_EXCLUDE,
    DEFAULT_SOURCE_PATTERNS,
    DEFAULT_TEST_PATTERNS,
    DEFAULT_TOX_ALIASES,
)
from gatebot.core.rules.globs import pattern_error


def _valid_glob(pattern: str) -> str:
    """``pattern`` when git can read it as a glob; ``ValueError`` saying why not."""
    error = pattern_error(pattern)
    if error is not None:
        raise ValueError(f"{pattern!r} is not a valid glob ({error})")
    return pattern


Glob = Annotated[str, AfterValidator(_valid_glob)]
"""A git glob (wildmatch syntax), checked when the configuration is read."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChecksConfig(_Model):
    """``[checks]``: the checks that gate 1 runs and gate 2 runs again (rules ``checks.<name>``).

    ``required`` names the checks every change must run and pass (a configured
    command, else the nox session, or in a tox project the tox environment, of
    that name); like every key it is read from the base branch, so a change
    cannot drop its own checks.
    """

    nox_sessions: tuple[str, ...] = Field(
        default=("tests", "lint", "typecheck", "build"),
        description="The nox sessions to run as checks, in this order, each the rule "
        "`checks.<session>`; a session the noxfile does not define is left out. In a tox "
        "project, the checks read from tox environments by these names (see `tox_aliases`).",
    )
    runner: Literal["auto", "nox", "tox"] = Field(
        default="auto",
        description="Which tool's sessions or environments are the checks: `auto` takes the nox "
        "sessions when the tree has a `noxfile.py`, else the tox environments when it has a tox "
        "configuration (`tox.ini`, `tox.toml`, or `[tool.tox]` in `pyproject.toml`); `nox` or "
        "`tox` takes that tool's only (set `tox` when a project has both and tox is the one).",
    )
    tox_aliases: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_TOX_ALIASES),
        description="For a tox project: check name → tox environment names or globs that "
        "stand for the check when no environment has its name; the first entry that matches "
        "any environment wins and all it matches run in one check (`tox -e py311,py312`). A "
        "name given replaces that check's default aliases (`[]` turns them off); the others "
        "keep theirs.",
    )
    required: tuple[str, ...] = Field(
        default=("tests", "lint", "typecheck", "build"),
        description="The checks every change must have and pass, at both gates: a configured "
        "command, else the nox session of that name, or in a tox project the tox environment "
        "of that name or of its `tox_aliases`. One the change's tree cannot run fails as "
        "`checks.<name>`. Read from the base branch only; `[]` requires none.",
    )
    commands: dict[str, str | tuple[str, ...]] = Field(
        default_factory=dict,
        description="Checks given as commands: name → argument list, or a string split on "
        "whitespace (never run by a shell). A command wins over a nox session of the same name.",
    )
    nox_args: tuple[str, ...] = Field(
        default=(),
        description="Extra arguments appended to every nox check's command line "
        "(`nox -s NAME --report … --non-interactive ARGS…`), e.g. `[\"--reuse-venv=yes\"]`.",
    )
    timeout: float = Field(
        default=1800.0, gt=0,
        description="Seconds each check may run before it is stopped and fails.",
    )
    env_allow: tuple[str, ...] = Field(
        default=(),
        description="Environment variables checks may see beyond the built-in allow-list "
        "(PATH, HOME, locale, Python's output settings, NOX_*, PIP_*, UV_*, certificates, "
        "proxies…; not PYTHONPATH, PYTEST_* or COVERAGE_*, which change what the checks run): "
        "names or "
        "globs. A name that looks secret (TOKEN, SECRET, PASSWORD, …) passes only when "
        "listed by its exact name; its value is still redacted from the logs.",
    )
    jobs: int | None = Field(
        default=None, ge=1,
        description="How many checks run at once; unset means one per CPU core. "
        "`--jobs` on the command line wins.",
    )
    coverage_report: str = Field(
        default="coverage.json",
        description="coverage.py's JSON report that the tests check writes, relative to the "
        "repository root; the `coverage` rule reads it.",
    )
    junit_report: str = Field(
        default="junit.xml",
        description="The JUnit XML report the tests check writes (pytest's "
        "`--junitxml=junit.xml`), relative to the repository root. When this run's tests "
        "check wrote it and failed, the verdict names each failing test with its file, line "
        "and message; when it passed but the report shows that no test ran (none, or "
        "every one skipped), the tests check fails. Optional: without it the verdict "
        "points to the log.",
    )

    @field_validator("tox_aliases", mode="after")
    @classmethod
    def _keep_default_aliases(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        """The default aliases, with those of the checks the configuration names replaced."""
        return {**DEFAULT_TOX_ALIASES, **value}


class TestsConfig(_Model):
    """``[tests]``: what counts as a test and as source for the ``tests-present`` rule."""

    patterns: tuple[Glob, ...] = Field(
        default=DEFAULT_TEST_PATTERNS,
        description="Globs of test files (`**` spans directories; a pattern without `/` "
        "matches at any depth). A changed file matching one counts as a test.",
    )
    source_patterns: tuple[Glob, ...] = Field(
        default=DEFAULT_SOURCE_PATTERNS,
        description="Globs of source files: a change that touches one of these (and no test) "
        "fails `tests-present`.",
    )


class BoardConfig(_Model):
    """``[board]``: where the board files live on the base branch."""

    todo: str = Field(default="TODO.md",
                      description="The task list, one `## STAGE` section per stage.")
    current_state: str = Field(
        default="CURRENT_STATE.md",
        description="Where each release adds a line under `## Recently Merged`.",
    )
    archive_dir: str = Field(
        default="coordination/archive",
        description="The archive: one `YYYY-MM-DD.md` file per UTC day, one entry per event.",
    )


class ClaimsConfig(_Model):
    """``[claims]``: claim records, heartbeats and stale claims."""

    stale_after: float = Field(
        default=20.0, gt=0,
        description="Minutes without a heartbeat after which a claim is stale.",
    )
    settle: tuple[float, float] = Field(
        default=(10.0, 5.0),
        description="Seconds `gatebot claim` waits for rival claims to show: after writing "
        "its claim as `claiming`, then after marking it `active`.",
    )
    maintainers: tuple[str, ...] = Field(
        default=(),
        description="Names or emails that may release anyone's claim "
        "(`gatebot release N --force`) and approve a change to the files that define the "
        "gates (rule `gate-files`).",
    )


class MergeConfig(_Model):
    """``[merge]``: gate 2 and the landing."""

    retries: int = Field(
        default=3, ge=0,
        description="How many times `gatebot merge` starts again when the base branch moved "
        "or the push was refused, before it escalates.",
    )
    remote: str = Field(
        default="origin",
        description="The remote whose base branch holds the board and receives releases; "
        "without such a remote the local base branch does.",
    )
    landing: Literal["single", "queue"] = Field(
        default="single",
        description="GitHub mode: what gate 2 does with a task once its second approval "
        "stands: `single` stages it alone (`gatebot land` fast-forwards the base branch to it "
        "when its staging run passed); `queue` hands it to the merge queue (`gatebot queue "
        "run --forge github`), which tests approved tasks in batches.",
    )


class DocsConfig(_Model):
    """``[docs]``: the gate-2 ``docs-updated`` rule."""

    public_paths: tuple[Glob, ...] = Field(
        default=(),
        description="Globs of files whose change needs a documentation change too; "
        "empty means the rule always passes.",
    )
    paths: tuple[Glob, ...] = Field(
        default=("README*", "docs/**", "**/README*"),
        description="Globs of documentation files that satisfy `docs-updated`.",
    )


class CriticalConfig(_Model):
    """``[critical]``: the emergency fast-track of tasks added with ``--critical``."""

    min_coverage: float = Field(
        default=0.0, ge=0, le=100,
        description="The coverage minimum, in percent, for a critical task instead of "
        "`min_coverage`; every other rule still holds.",
    )


class Config(_Model):
    """gatebot's configuration: ``[tool.gatebot]`` in pyproject.toml, or ``.gatebot.toml``."""

    base: str = Field(default="main",
                      description="The base branch: tasks merge into it and the board lives on it. "
                      "Read only from the default branch's configuration (or --base, "
                      "GATEBOT_BASE), never from the branch under review.")
    forge: Literal["local", "github"] = Field(
        default="local",
        description="Where the protocol's state lives: `local` is git alone (the board on the "
        "base branch); `github` is issues, labels and pull-request reviews. Also `--forge` "
        "and `GATEBOT_FORGE`; inside GitHub Actions `gatebot gate` uses `github` unless this "
        "is set. A forge that this build lacks is refused (exit 2).",
    )
    max_file_lines: int = Field(default=900, ge=1,
                                description="The `file-length` limit, in lines per file.")
    max_function_lines: int = Field(
        default=80, ge=1,
        description="The `function-length` limit, in lines from a function's first line to "
        "its last.",
    )
    min_coverage: float = Field(
        default=80.0, ge=0, le=100,
        description="The `coverage` minimum: total line coverage in percent.",
    )
    exclude: tuple[Glob, ...] = Field(
        default=(),
        description="Files the `file-length`, `function-length` and `docstrings` rules never "
        "judge, as `.gitignore` lines (`vendor/`, `*_pb2.py`, `!keep.lock`), added after the "
        "built-in list of lock files ("
        + ", ".join(f"`{pattern}`" for pattern in DEFAULT_EXCLUDE)
        + "), which a `!` line can take back. Files that the base branch's "
        "`.gitattributes` marks `linguist-generated`, `linguist-vendored` or `-diff` are "
        "never judged either.",
    )
    disabled_rules: tuple[str, ...] = Field(
        default=(),
        description="Rule ids that never run, e.g. `[\"docstrings\"]`.",
    )
    bots: tuple[str, ...] = Field(
        default=("github-actions[bot]", "gatebot", "dependabot[bot]"),
        description="Identities that never count as reviewers, whatever they built.",
    )
    checks: ChecksConfig = Field(default=ChecksConfig(), description=ChecksConfig.__doc__)
    tests: TestsConfig = Field(default=TestsConfig(), description=TestsConfig.__doc__)
    board: BoardConfig = Field(default=BoardConfig(), description=BoardConfig.__doc__)
    claims: ClaimsConfig = Field(default=ClaimsConfig(), description=ClaimsConfig.__doc__)
    merge: MergeConfig = Field(default=MergeConfig(), description=MergeConfig.__doc__)
    docs: DocsConfig = Field(default=DocsConfig(), description=DocsConfig.__doc__)
    critical: CriticalConfig = Field(default=CriticalConfig(), description=CriticalConfig.__doc__)
