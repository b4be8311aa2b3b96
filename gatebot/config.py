"""Configuration (docs/configuration.md): pydantic models, files, environment and CLI overrides.

Sources, highest first: CLI overrides > ``GATEBOT_*`` environment > file >
defaults. The file is ``.gatebot.toml`` (whole file) or ``[tool.gatebot]`` in
``pyproject.toml``; having both is an error. Unknown keys and bad values raise
``ConfigError`` (exit 2) naming the key, the file and the fix; a bad
``GATEBOT_*`` value is named by its variable, never echoed (it may be a token),
and a ``GATEBOT_*`` variable that names no setting is ignored (``unknown_env``
lists them for a warning). No file at all
gives the seed's defaults (golden-focus-protocol.md: 900/80 lines, 80 %
coverage, stale after 20 minutes).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from gatebot.core.rules.globs import pattern_error
from gatebot.errors import ConfigError

# Environment variables gatebot reads that are not configuration keys.
ENV_PREFIX = "GATEBOT_"
NON_CONFIG_ENV = frozenset(
    {"GATEBOT_ACTOR", "GATEBOT_TOKEN", "GATEBOT_LOG_DIR", "GATEBOT_STATE_DIR", "GATEBOT_NOW",
     "GATEBOT_SESSION_ID", "GATEBOT_SESSION_PID"}
)

DEFAULT_TEST_PATTERNS = (
    "tests/**", "test/**", "**/tests/**", "**/test/**", "**/test_*.py", "**/*_test.py",
    "**/*_test.go", "**/*.test.*", "**/*.spec.*", "**/__tests__/**", "**/*Test.java",
)
DEFAULT_SOURCE_PATTERNS = (
    "**/*.py", "**/*.js", "**/*.jsx", "**/*.ts", "**/*.tsx", "**/*.mjs", "**/*.cjs",
    "**/*.go", "**/*.rs", "**/*.java", "**/*.kt", "**/*.c", "**/*.h", "**/*.cc",
    "**/*.cpp", "**/*.hpp", "**/*.cs", "**/*.rb", "**/*.php", "**/*.swift", "**/*.scala",
)

DEFAULT_TOX_ALIASES: Mapping[str, tuple[str, ...]] = {
    "tests": ("test", "py", "py3*"),
    "lint": ("style", "ruff", "flake8"),
    "typecheck": ("type", "types", "mypy", "pyright"),
    "build": ("package", "pkg", "dist"),
}
"""The tox environments that stand for each default check when none has its name."""

DEFAULT_EXCLUDE = (
    "*.lock", "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "bun.lockb",
    "deno.lock", "go.sum", "packages.lock.json", "gradle.lockfile",
)
"""Lock files, never judged by the length and docstring rules (``*.lock`` covers ``uv.lock``,
``poetry.lock``, ``Cargo.lock``, ``yarn.lock``, ``Gemfile.lock``, ``composer.lock``...)."""


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
        "(PATH, HOME, locale, PYTHON*, NOX_*, PIP_*, UV_*, certificates, proxies…): names or "
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
        "and message. Optional: without it the verdict points to the log.",
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
    _origins: dict[str, str] = PrivateAttr(default_factory=dict)

    def origin(self, key: str) -> str:
        """Where top-level ``key`` was set (``origin/main/.gatebot.toml``, the environment…).

        A file's label, ``the GATEBOT_* environment`` or ``the command line``;
        ``the configuration`` when unknown.
        """
        return self._origins.get(key, "the configuration")


FileReader = Callable[[str], str | None]


def directory_reader(root: Path) -> FileReader:
    """Read repository-relative files from the directory ``root`` (None when absent)."""

    def read(name: str) -> str | None:
        path = root / name
        if not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read: {exc}", "check the file") from exc

    return read


def _parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}", f"fix the syntax of {label}") from exc
    except RecursionError as exc:  # tomllib recurses once per level of nested arrays/tables
        raise ConfigError(f"{label}: arrays or tables nested too deeply to read",
                          f"flatten the nested values in {label}") from exc


def _table(value: object, key: str, label: str) -> dict[str, Any]:
    """``value`` when it is a TOML table; ``ConfigError`` naming ``key`` and ``label`` if not."""
    if not isinstance(value, dict):
        raise ConfigError(f"{key} in {label} is a {type(value).__name__}, not a table",
                          f"write it as a [{key}] table of settings, or remove it")
    return value


def find_table(read: FileReader, where: str) -> tuple[dict[str, Any], str | None]:
    """The raw configuration table and a label of where it came from (``where``/file).

    ``read`` gives a file's text by repository-relative name. Returns ``({},
    None)`` when there is no configuration. Raises ``ConfigError`` for bad
    TOML or when both ``.gatebot.toml`` and ``[tool.gatebot]`` exist.
    """
    dot_label, py_label = f"{where}/.gatebot.toml", f"{where}/pyproject.toml"
    table: dict[str, Any] | None = None
    pyproject = read("pyproject.toml")
    if pyproject is not None:
        tool = _parse_toml(pyproject, py_label).get("tool", {})
        found = tool.get("gatebot") if isinstance(tool, dict) else None
        table = None if found is None else _table(found, "tool.gatebot", py_label)
    dotfile = read(".gatebot.toml")
    if dotfile is not None:
        if table is not None:
            raise ConfigError(f"configuration in both {dot_label} and [tool.gatebot] of "
                              f"{py_label}", "keep one of them")
        return _parse_toml(dotfile, dot_label), dot_label
    if table is not None:
        return table, f"{py_label} [tool.gatebot]"
    return {}, None


def find_file(root: Path) -> tuple[dict[str, Any], str | None]:
    """``find_table`` over the files of the directory ``root``."""
    return find_table(directory_reader(root), str(root))


def _env_value(raw: str) -> Any:
    text = raw.strip()
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return raw
    return raw


def _env_keys(name: str) -> list[str]:
    return name.removeprefix(ENV_PREFIX).lower().split("__")


def _known_keys(keys: Sequence[str]) -> bool:
    """Whether ``keys`` (``["checks", "timeout"]``) name a setting of ``Config``.

    A table may be given whole (``GATEBOT_CHECKS`` as JSON); a mapping setting
    (``checks.commands``) takes one more key, its entry's name.
    """
    model: type[BaseModel] = Config
    for depth, key in enumerate(keys):
        field = model.model_fields.get(key)
        if field is None:
            return False
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            continue
        extra = 1 if get_origin(annotation) is dict else 0
        return len(keys) - depth - 1 <= extra
    return True


def _config_env(environ: Mapping[str, str]) -> list[str]:
    return sorted(n for n in environ if n.startswith(ENV_PREFIX) and n not in NON_CONFIG_ENV)


def unknown_env(environ: Mapping[str, str]) -> list[str]:
    """``GATEBOT_*`` variables that name no setting (ignored by ``load``; worth a warning)."""
    return [n for n in _config_env(environ) if not _known_keys(_env_keys(n))]


def unknown_env_hint(name: str) -> str:
    """How to fix the unknown variable ``name``: the closest known variable, if any."""
    keys = _env_keys(name)
    hint = _unknown_key_hint(keys)
    match = re.match(r"did you mean '([^']+)'", hint)
    if match is None:
        return "check its spelling against docs/configuration.md, or unset it"
    return f"did you mean {ENV_PREFIX}{match.group(1).replace('.', '__').upper()}?"


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``GATEBOT_*`` variables as a nested table: ``GATEBOT_CHECKS__TIMEOUT=60`` → checks.timeout.

    Lists are given as JSON (``GATEBOT_CLAIMS__MAINTAINERS='["ann"]'``).
    Variables that name no setting are left out (see ``unknown_env``).
    Raises ``ConfigError`` naming both variables when one sets a table
    another sets a key of (``GATEBOT_CHECKS=x`` and ``GATEBOT_CHECKS__TIMEOUT``).
    """
    table: dict[str, Any] = {}
    for name in _config_env(environ):
        keys = _env_keys(name)
        if not _known_keys(keys):
            continue
        node = table
        for depth, key in enumerate(keys[:-1]):
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                parent = ENV_PREFIX + "__".join(keys[: depth + 1]).upper()
                raise ConfigError(f"{name} sets a key of {parent}, which is not a table",
                                  f"unset {parent} or {name}")
        node[keys[-1]] = _env_value(environ[name])
    return table


def merge_tables(low: Mapping[str, Any], high: Mapping[str, Any]) -> dict[str, Any]:
    """A deep merge: values of ``high`` win; nested tables merge key by key."""
    merged = dict(low)
    for key, value in high.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = value
    return merged


def _unknown_key_hint(loc: Sequence[Any]) -> str:
    """How to fix the unknown key at ``loc``: the closest known key of its table, if any.

    The candidates are the keys of the table that holds the key (difflib's
    ``get_close_matches``); without a close one, the hint points to the reference.
    """
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        inner = field.annotation if field else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            break
        model = inner
    prefix = "".join(f"{p}." for p in loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    if close:
        return f"did you mean '{prefix}{close[0]}'? Fix its spelling, or remove it"
    return ("remove it; docs/configuration.md lists every key, and "
            "`gatebot config --schema` prints them as JSON Schema")


def _env_name(loc: Sequence[object], env_table: Mapping[str, Any]) -> str | None:
    """The ``GATEBOT_*`` variable that set the value at ``loc``, or None when none did."""
    node: Any = env_table
    keys: list[str] = []
    for part in loc:
        if not isinstance(node, Mapping) or part not in node:
            break
        keys.append(str(part))
        node = node[part]
    if not keys or isinstance(node, Mapping):
        return None
    return ENV_PREFIX + "__".join(keys).upper()


def _short(value: object) -> str:
    try:
        text = repr(value)
    except RecursionError:
        text = "a deeply nested value"
    return text if len(text) <= 80 else text[:77] + "..."


def _describe(
    error: Mapping[str, Any], origin: Mapping[str, str], env_table: Mapping[str, Any],
    cli_table: Mapping[str, Any],
) -> tuple[str, str]:
    key = ".".join(str(p) for p in error["loc"])
    from_cli = _env_name(error["loc"], cli_table) is not None
    variable = None if from_cli else _env_name(error["loc"], env_table)
    if variable is not None:  # never echo the value: a variable may hold a token
        return (f"{variable} (setting {key}): {error['msg']}",
                f"set {variable} to a valid value, or unset it to use the default")
    top = str(error["loc"][0]) if error["loc"] else ""
    where = origin.get(top, "the configuration")
    if error["type"] == "extra_forbidden":
        return f"unknown key {key!r} in {where}", _unknown_key_hint(error["loc"])
    return (
        f"{key} in {where}: {error['msg']} (got {_short(error.get('input'))})",
        f"set {key} to a valid value in {where}, or remove it to use the default",
    )


def load(
    root: Path,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    read: FileReader | None = None,
    where: str | None = None,
) -> Config:
    """The configuration for the repository at ``root`` (docs/configuration.md).

    Files come from ``read`` (e.g. the base branch's tree, labelled ``where``)
    or else from the directory ``root``. ``overrides`` are CLI values (nested
    like the file); None values are ignored. Raises ``ConfigError`` naming the
    key, the file and the fix. Whether the chosen ``forge`` is part of this
    build is ``gatebot.app.context.make_forge``'s to say.
    """
    if read is None:
        file_table, file_label = find_file(root)
    else:
        file_table, file_label = find_table(read, where or str(root))
    env_table = env_overrides(os.environ if environ is None else environ)
    cli_table = {k: v for k, v in (overrides or {}).items() if v is not None}
    origin = {k: file_label or "the configuration" for k in file_table}
    origin.update({k: "the GATEBOT_* environment" for k in env_table})
    origin.update({k: "the command line" for k in cli_table})
    merged = merge_tables(merge_tables(file_table, env_table), cli_table)
    try:
        config = Config.model_validate(merged)
    except ValidationError as exc:
        message, hint = _describe(exc.errors()[0], origin, env_table, cli_table)
        raise ConfigError(message, hint) from exc
    config._origins = dict(origin)
    return config
