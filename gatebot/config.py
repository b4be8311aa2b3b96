"""Configuration (SPEC §10): pydantic models, files, environment and CLI overrides.

Sources, highest first: CLI overrides > ``GATEBOT_*`` environment > file >
defaults. The file is ``.gatebot.toml`` (whole file) or ``[tool.gatebot]`` in
``pyproject.toml``; having both is an error. Unknown keys and bad values raise
``ConfigError`` (exit 2) naming the key, the file and the fix. No file at all
gives the seed's defaults (golden-focus-protocol.md: 900/80 lines, 80 %
coverage, stale after 20 minutes).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gatebot.errors import ConfigError

# Environment variables gatebot reads that are not configuration keys.
NON_CONFIG_ENV = frozenset(
    {"GATEBOT_ACTOR", "GATEBOT_TOKEN", "GATEBOT_LOG_DIR", "GATEBOT_STATE_DIR", "GATEBOT_NOW"}
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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChecksConfig(_Model):
    """``[checks]``: which checks gate 1 and 2 run (SPEC §5.1 ``checks.<name>``)."""

    nox_sessions: tuple[str, ...] = ("tests", "lint", "typecheck", "build")
    commands: dict[str, str | tuple[str, ...]] = Field(default_factory=dict)
    nox_args: tuple[str, ...] = ()
    timeout: float = Field(default=1800.0, gt=0, description="seconds per check")
    jobs: int | None = Field(default=None, ge=1)
    coverage_report: str = "coverage.json"


class TestsConfig(_Model):
    """``[tests]``: what counts as a test and as source for ``tests-present``."""

    patterns: tuple[str, ...] = DEFAULT_TEST_PATTERNS
    source_patterns: tuple[str, ...] = DEFAULT_SOURCE_PATTERNS


class BoardConfig(_Model):
    """``[board]``: where the board files live (SPEC §4)."""

    todo: str = "TODO.md"
    current_state: str = "CURRENT_STATE.md"
    archive_dir: str = "coordination/archive"


class ClaimsConfig(_Model):
    """``[claims]``: claim records, heartbeats and stale detection (SPEC §8)."""

    stale_after: float = Field(default=20.0, gt=0, description="minutes")
    settle: tuple[float, float] = (10.0, 5.0)
    directory: str | None = None
    maintainers: tuple[str, ...] = ()


class MergeConfig(_Model):
    """``[merge]``: gate 2 landing (SPEC §5.3)."""

    retries: int = Field(default=3, ge=0)
    remote: str = "origin"


class DocsConfig(_Model):
    """``[docs]``: the ``docs-updated`` rule (SPEC §5.1)."""

    public_paths: tuple[str, ...] = ()
    paths: tuple[str, ...] = ("README*", "docs/**", "**/README*")


class CriticalConfig(_Model):
    """``[critical]``: the emergency fast-track (SPEC §5.4)."""

    min_coverage: float = Field(default=0.0, ge=0, le=100)


class Config(_Model):
    """The whole configuration; every field has the seed's default."""

    base: str = "main"
    forge: Literal["local", "github"] = "local"
    max_file_lines: int = Field(default=900, ge=1)
    max_function_lines: int = Field(default=80, ge=1)
    min_coverage: float = Field(default=80.0, ge=0, le=100)
    disabled_rules: tuple[str, ...] = ()
    bots: tuple[str, ...] = ("github-actions[bot]", "gatebot", "dependabot[bot]")
    checks: ChecksConfig = ChecksConfig()
    tests: TestsConfig = TestsConfig()
    board: BoardConfig = BoardConfig()
    claims: ClaimsConfig = ClaimsConfig()
    merge: MergeConfig = MergeConfig()
    docs: DocsConfig = DocsConfig()
    critical: CriticalConfig = CriticalConfig()


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
        table = tool.get("gatebot") if isinstance(tool, dict) else None
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


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``GATEBOT_*`` variables as a nested table: ``GATEBOT_CHECKS__TIMEOUT=60`` → checks.timeout.

    Lists are given as JSON (``GATEBOT_CLAIMS__MAINTAINERS='["ann"]'``).
    """
    table: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith("GATEBOT_") or name in NON_CONFIG_ENV:
            continue
        keys = name.removeprefix("GATEBOT_").lower().split("__")
        node = table
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = _env_value(raw)
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


def _describe(error: Mapping[str, Any], origin: Mapping[str, str]) -> tuple[str, str]:
    key = ".".join(str(p) for p in error["loc"])
    top = str(error["loc"][0]) if error["loc"] else ""
    where = origin.get(top, "the configuration")
    if error["type"] == "extra_forbidden":
        known = ", ".join(sorted(Config.model_fields))
        return f"unknown key {key!r} in {where}", f"remove it or fix its spelling (known: {known})"
    got = error.get("input")
    return (
        f"{key} in {where}: {error['msg']} (got {got!r})",
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
    """The configuration for the repository at ``root`` (SPEC §10).

    Files come from ``read`` (e.g. the base branch's tree, labelled ``where``)
    or else from the directory ``root``. ``overrides`` are CLI values (nested
    like the file); None values are ignored. Raises ``ConfigError`` naming the
    key, the file and the fix.
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
        return Config.model_validate(merged)
    except ValidationError as exc:
        message, hint = _describe(exc.errors()[0], origin)
        raise ConfigError(message, hint) from exc
