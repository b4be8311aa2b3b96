"""Configuration (docs/configuration.md): frozen dataclasses, files, environment and CLI overrides.

Every key's name, type, default, bounds and description are defined once, by the pydantic
models of ``gatebot.config_schema``. Importing pydantic costs more start-up time than a
landing's own work, so the configuration is read into the frozen dataclasses below, which
tools/gen_config.py generates from those models (``python tools/gen_docs.py``;
tests/test_docs.py fails while they differ), and pydantic sees only what they cannot judge.

Sources, highest first: CLI overrides > ``GATEBOT_*`` environment > file >
defaults. The file is ``.gatebot.toml`` (whole file) or ``[tool.gatebot]`` in
``pyproject.toml``; having both is an error. Unknown keys and bad values raise
``ConfigError`` (exit 2) naming the key, the file and the fix; a bad
``GATEBOT_*`` value is named by its variable, never echoed (it may be a token),
and a ``GATEBOT_*`` variable that names no setting is ignored (``unknown_env``
lists them for a warning). An approval or a landing refuses a variable that sets
a gate setting (``refuse_gate_env``): its gates are the base branch's. No file at all
gives the seed's defaults (golden-focus-protocol.md: 900/80 lines, 80 %
coverage, stale after 20 minutes).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal, NoReturn, Self, TypeVar

from gatebot.errors import ConfigError

# Environment variables gatebot reads that are not configuration keys.
ENV_PREFIX = "GATEBOT_"
NON_CONFIG_ENV = frozenset(
    {"GATEBOT_ACTOR", "GATEBOT_TOKEN", "GATEBOT_LOG_DIR", "GATEBOT_STATE_DIR", "GATEBOT_NOW",
     "GATEBOT_SESSION_ID", "GATEBOT_SESSION_PID",
     # the github forge's credentials and connection (gatebot.adapters.github.client)
     "GATEBOT_GITHUB_APP_ID", "GATEBOT_GITHUB_APP_KEY", "GATEBOT_GITHUB_APP_KEY_FILE",
     "GATEBOT_GITHUB_MAX_WAIT", "GATEBOT_GITHUB_BOT_LOGIN", "GATEBOT_GITHUB_THROTTLE"}
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


class _Table:
    """A table of settings: a frozen dataclass that knows which keys were given.

    ``model_fields_set`` (the keys the configuration set, not defaulted) and
    ``model_copy`` carry the names pydantic's models give them, so callers read
    a configuration the same way whichever path validated it.
    """

    model_fields_set: ClassVar[frozenset[str]] = frozenset()

    def model_copy(self, *, update: Mapping[str, Any]) -> Self:
        """A copy with the keys of ``update`` replaced (and counted as set), ``origins`` kept."""
        copy = dataclasses.replace(self, **update)  # type: ignore[type-var]
        for name, value in vars(self).items():  # what load noted beside the fields
            if name not in update:
                object.__setattr__(copy, name, value)
        object.__setattr__(copy, "model_fields_set", self.model_fields_set | update.keys())
        return copy

    def as_json(self) -> dict[str, Any]:
        """The settings as JSON values (tuples as lists), nested tables as objects."""
        out: dict[str, Any] = {}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            out[item.name] = value.as_json() if isinstance(value, _Table) else _json(value)
        return out


def _json(value: object) -> object:
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def _rule(**rules: object) -> dict[str, object]:
    """A field's checks for the fast path: bounds, ``choices``, ``glob``, ``over``.

    ``gt``/``ge``/``le`` bound a number; ``choices`` are a ``Literal``'s values; ``glob``
    checks each entry as a git glob; ``over`` merges a mapping given over the default.
    """
    return rules


class _Root(_Table):
    """The whole configuration: a table that knows where each of its top-level keys was set."""

    origins: ClassVar[Mapping[str, str]] = MappingProxyType({})
    """Where each top-level key was set (``load`` fills it in): see ``origin``."""

    def origin(self, key: str) -> str:
        """Where top-level ``key`` was set (``origin/main/.gatebot.toml``, the environment…).

        A file's label, ``the GATEBOT_* environment`` or ``the command line``;
        ``the configuration`` when unknown.
        """
        return self.origins.get(key, "the configuration")


# --- generated by tools/gen_docs.py from the pydantic models of gatebot/config_schema.py: edit those, then run `python tools/gen_docs.py` ---


@dataclass(frozen=True)
class ChecksConfig(_Table):
    """``[checks]``: the checks that gate 1 runs and gate 2 runs again (rules ``checks.<name>``)."""

    nox_sessions: tuple[str, ...] = ("tests", "lint", "typecheck", "build")
    runner: Literal["auto", "nox", "tox"] = field(default="auto", metadata=_rule(choices=("auto", "nox", "tox")))
    tox_aliases: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_TOX_ALIASES), metadata=_rule(over=True))
    required: tuple[str, ...] = ("tests", "lint", "typecheck", "build")
    commands: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    nox_args: tuple[str, ...] = ()
    timeout: float = field(default=1800.0, metadata=_rule(gt=0))
    env_allow: tuple[str, ...] = ()
    jobs: int | None = field(default=None, metadata=_rule(ge=1))
    coverage_report: str = "coverage.json"
    junit_report: str = "junit.xml"


@dataclass(frozen=True)
class TestsConfig(_Table):
    """``[tests]``: what counts as a test and as source for the ``tests-present`` rule."""

    patterns: tuple[str, ...] = field(default=DEFAULT_TEST_PATTERNS, metadata=_rule(glob=True))
    source_patterns: tuple[str, ...] = field(default=DEFAULT_SOURCE_PATTERNS, metadata=_rule(glob=True))


@dataclass(frozen=True)
class BoardConfig(_Table):
    """``[board]``: where the board files live on the base branch."""

    todo: str = "TODO.md"
    current_state: str = "CURRENT_STATE.md"
    archive_dir: str = "coordination/archive"


@dataclass(frozen=True)
class ClaimsConfig(_Table):
    """``[claims]``: claim records, heartbeats and stale claims."""

    stale_after: float = field(default=20.0, metadata=_rule(gt=0))
    settle: tuple[float, float] = (10.0, 5.0)
    maintainers: tuple[str, ...] = ()


@dataclass(frozen=True)
class MergeConfig(_Table):
    """``[merge]``: gate 2 and the landing."""

    retries: int = field(default=3, metadata=_rule(ge=0))
    remote: str = "origin"
    landing: Literal["single", "queue"] = field(default="single", metadata=_rule(choices=("single", "queue")))
    staging_timeout: float = field(default=1800.0, metadata=_rule(gt=0))


@dataclass(frozen=True)
class DocsConfig(_Table):
    """``[docs]``: the gate-2 ``docs-updated`` rule."""

    public_paths: tuple[str, ...] = field(default=(), metadata=_rule(glob=True))
    paths: tuple[str, ...] = field(default=("README*", "docs/**", "**/README*"), metadata=_rule(glob=True))


@dataclass(frozen=True)
class CriticalConfig(_Table):
    """``[critical]``: the emergency fast-track of tasks added with ``--critical``."""

    min_coverage: float = field(default=0.0, metadata=_rule(ge=0, le=100))


@dataclass(frozen=True)
class Config(_Root):
    """gatebot's configuration: ``[tool.gatebot]`` in pyproject.toml, or ``.gatebot.toml``."""

    base: str = "main"
    forge: Literal["local", "github"] = field(default="local", metadata=_rule(choices=("local", "github")))
    max_file_lines: int = field(default=900, metadata=_rule(ge=1))
    max_function_lines: int = field(default=80, metadata=_rule(ge=1))
    min_coverage: float = field(default=80.0, metadata=_rule(ge=0, le=100))
    exclude: tuple[str, ...] = field(default=(), metadata=_rule(glob=True))
    disabled_rules: tuple[str, ...] = ()
    bots: tuple[str, ...] = ("github-actions[bot]", "gatebot", "dependabot[bot]")
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    tests: TestsConfig = field(default_factory=TestsConfig)
    board: BoardConfig = field(default_factory=BoardConfig)
    claims: ClaimsConfig = field(default_factory=ClaimsConfig)
    merge: MergeConfig = field(default_factory=MergeConfig)
    docs: DocsConfig = field(default_factory=DocsConfig)
    critical: CriticalConfig = field(default_factory=CriticalConfig)


_TABLES: dict[str, type[_Table]] = {
    cls.__name__: cls for cls in (ChecksConfig, TestsConfig, BoardConfig, ClaimsConfig, MergeConfig, DocsConfig, CriticalConfig)
}
"""The nested tables by the name their fields are annotated with."""

# --- end of the generated configuration tables ---


T = TypeVar("T", bound=_Table)

class _Unsure(Exception):
    """A value the fast path does not judge: pydantic coerces it, or says what is wrong."""


_INTEGER = re.compile(r"0|[1-9][0-9]{0,17}")
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?")


def _number(value: object, kind: type[int] | type[float], rules: Mapping[str, Any]) -> float:
    """``value`` as ``kind`` when it is one exactly (or its plain digits, as variables give it)."""
    if isinstance(value, str) and (_INTEGER if kind is int else _DECIMAL).fullmatch(value):
        number: float = kind(value)
    elif type(value) is int or (kind is float and type(value) is float and math.isfinite(value)):
        number = kind(value)
    else:
        raise _Unsure
    if not (number > rules.get("gt", -math.inf) and number >= rules.get("ge", -math.inf)
            and number <= rules.get("le", math.inf)):
        raise _Unsure
    return number


def _strings(value: object, rules: Mapping[str, Any]) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _Unsure
    if rules.get("glob"):
        from gatebot.core.rules.globs import pattern_error  # noqa: PLC0415 - pathspec: only for globs

        if any(pattern_error(v) is not None for v in value):
            raise _Unsure
    return tuple(value)


def _mapping(value: object, entry: Callable[[object], object]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Unsure
    return {key: entry(item) for key, item in value.items()}


def _command(value: object) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else _strings(value, {})


def _checked(item: dataclasses.Field[Any], value: object) -> object:
    """``value`` as field ``item`` holds it, when it is exactly of the field's type."""
    rules = item.metadata
    kind = str(item.type)
    table = _TABLES.get(kind)
    if table is not None:
        return _build(table, value)
    if "choices" in rules:
        if not isinstance(value, str) or value not in rules["choices"]:
            raise _Unsure
        return value
    if kind == "int | None" and value is None:
        return None
    checks: dict[str, Callable[[], object]] = {
        "str": lambda: value if isinstance(value, str) else _unsure(),
        "int": lambda: _number(value, int, rules),
        "int | None": lambda: _number(value, int, rules),
        "float": lambda: _number(value, float, rules),
        "tuple[str, ...]": lambda: _strings(value, rules),
        "tuple[float, float]": lambda: _pair(value),
        "dict[str, tuple[str, ...]]": lambda: {
            **_over(item), **_mapping(value, lambda v: _strings(v, {}))},
        "dict[str, str | tuple[str, ...]]": lambda: _mapping(value, _command),
    }
    check = checks.get(kind, _unsure)
    return check()


def _over(item: dataclasses.Field[Any]) -> Mapping[str, Any]:
    """What a mapping given for ``item`` is merged over: its default with rule ``over``, else {}."""
    factory = item.default_factory
    return factory() if item.metadata.get("over") and callable(factory) else {}


def _unsure() -> NoReturn:
    raise _Unsure


def _pair(value: object) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise _Unsure
    return (_number(value[0], float, {}), _number(value[1], float, {}))


def _build(table: type[T], value: object) -> T:
    """The table ``table`` from ``value``; ``_Unsure`` for a key or value it does not judge."""
    if not isinstance(value, dict):
        raise _Unsure
    known = _fields(table)
    if value.keys() - known.keys():
        raise _Unsure
    made = table(**{key: _checked(known[key], item) for key, item in value.items()})
    object.__setattr__(made, "model_fields_set", frozenset(value))
    return made


def _from_model(table: type[T], model: Any) -> T:
    """The table ``table`` with the values of the pydantic model ``model`` (same field names)."""
    values = {}
    for item in _fields(table).values():
        value = getattr(model, item.name)
        nested = _TABLES.get(str(item.type))
        values[item.name] = value if nested is None else _from_model(nested, value)
    made = table(**values)
    object.__setattr__(made, "model_fields_set", frozenset(model.model_fields_set))
    return made


class InvalidTable(ValueError):
    """A table of settings pydantic refused; ``error`` is its first error (``loc``, ``msg``, …)."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        """Keep pydantic's ``error``; its ``msg`` is the exception's text."""
        super().__init__(error["msg"])
        self.error = error


def validate(table: Mapping[str, Any]) -> Config:
    """``table`` (the merged settings) as a ``Config``; ``InvalidTable`` if it is not valid.

    Values of exactly their key's type are checked here; anything else
    (coercions such as ``"60"`` for a number in a file, errors, unknown keys)
    goes through the pydantic models of ``gatebot.config_schema``, so both
    paths give the same configuration and the same error.
    """
    try:
        return _build(Config, dict(table))
    except _Unsure:
        from pydantic import ValidationError  # noqa: PLC0415 - pydantic: only when needed

        from gatebot import config_schema  # noqa: PLC0415

        try:
            model = config_schema.Config.model_validate(table)
        except ValidationError as exc:
            raise InvalidTable(exc.errors()[0]) from exc
        return _from_model(Config, model)


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
    table: type[_Table] = Config
    for depth, key in enumerate(keys):
        found = _fields(table).get(key)
        if found is None:
            return False
        nested = _TABLES.get(str(found.type))
        if nested is not None:
            table = nested
            continue
        extra = 1 if str(found.type).startswith("dict[") else 0
        return len(keys) - depth - 1 <= extra
    return True


def _fields(table: type[_Table]) -> dict[str, dataclasses.Field[Any]]:
    return {item.name: item for item in dataclasses.fields(table)}  # type: ignore[arg-type]


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


OVERRIDABLE_AT_GATES = frozenset({
    "base", "forge", "merge.retries", "merge.remote", "checks.jobs", "checks.timeout",
    "claims.stale_after", "claims.settle",
})
"""The settings a ``GATEBOT_*`` variable may still set when an approval or a landing is judged.

They say where and how fast gatebot works, never what passes: the base (whose own
configuration then applies), the forge and remote, retries, how many checks run at once,
how long a check may run (a shorter time fails a check, a longer one passes none that
fails), claim timings. Every other key, and any key added later, is a gate setting.
"""


def _leaves(keys: Sequence[str], value: object) -> list[str]:
    """The dotted settings a variable naming ``keys`` with ``value`` sets (a table: each key)."""
    table: type[_Table] = Config
    for key in keys:
        found = _fields(table).get(key)
        nested = _TABLES.get(str(found.type)) if found is not None else None
        if nested is None:
            return [".".join(keys)]
        table = nested
    if not isinstance(value, Mapping):
        return [".".join(keys)]
    return [leaf for key, item in value.items() for leaf in _leaves([*keys, str(key)], item)]


def _gatebot_gate_env(environ: Mapping[str, str]) -> dict[str, list[str]]:
    """``GATEBOT_*`` variables that set a gate setting → the settings; the rest left out."""
    found: dict[str, list[str]] = {}
    for name in _config_env(environ):
        keys = _env_keys(name)
        if not _known_keys(keys):
            continue
        gates = [leaf for leaf in _leaves(keys, _env_value(environ[name]))
                 if leaf not in OVERRIDABLE_AT_GATES]
        if gates:
            found[name] = gates
    return found


TOX_AT_GATES = frozenset({"TOX_WORK_DIR", "TOX_PARALLEL_NO_SPINNER", "TOX_LIMITED_SHEBANG",
                          "TOX_ENV_NAME", "TOX_ENV_DIR", "TOX_PACKAGE"})
"""The ``TOX_*`` variables an approval or a landing still takes: where tox works, how it
shows progress, and those tox itself sets inside an environment (gatebot run by tox). tox reads ``TOX_<OPTION>`` as its command-line option ``--option``, so
``TOX_OVERRIDE=testenv.commands=…`` or ``TOX_CONFIG_FILE`` would swap what a tox check runs
(the checks see ``TOX_*``); every other one is a gate setting."""


def gate_env(environ: Mapping[str, str]) -> dict[str, list[str]]:
    """``GATEBOT_*`` and ``TOX_*`` variables that set a gate setting → the settings.

    A gate setting is any key but ``OVERRIDABLE_AT_GATES``; a variable that sets
    a whole table (``GATEBOT_CHECKS`` as JSON) counts for every key it holds. A
    ``TOX_*`` variable but ``TOX_AT_GATES`` sets tox's option of that name.
    """
    found = _gatebot_gate_env(environ)
    for name in sorted(environ):
        if name.startswith("TOX_") and name not in TOX_AT_GATES:
            found[name] = [f"tox's --{name.removeprefix('TOX_').lower().replace('_', '-')}"]
    return found


def refuse_gate_env(environ: Mapping[str, str], action: str) -> None:
    """Raise ``ConfigError`` (exit 2) naming each ``GATEBOT_*`` variable that sets a gate setting.

    ``action`` says what is being judged (``"an approval"``, ``"a landing"``):
    it is judged by the base branch's configuration alone, so the environment
    of whoever runs it cannot loosen (or swap) its checks and rules.
    """
    found = gate_env(environ)
    if not found:
        return
    names = sorted(found)
    settings = sorted({leaf for leaves in found.values() for leaf in leaves})
    raise ConfigError(
        f"{', '.join(names)} set{'s' if len(names) == 1 else ''} "
        f"{', '.join(settings)}: gate settings, and {action} is judged by the base "
        "branch's configuration alone",
        f"unset {' '.join(names)} (e.g. env -u {names[0]} gatebot …), or change the setting "
        "in the base branch's configuration through a reviewed task",
    )


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
    table: type[_Table] = Config
    for part in loc[:-1]:
        found = _fields(table).get(str(part))
        nested = _TABLES.get(str(found.type)) if found else None
        if nested is None:
            break
        table = nested
    prefix = "".join(f"{p}." for p in loc[:-1])
    import difflib  # noqa: PLC0415 - only for a message

    close = difflib.get_close_matches(str(loc[-1]), list(_fields(table)), n=1)
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
        config = validate(merged)
    except InvalidTable as exc:
        message, hint = _describe(exc.error, origin, env_table, cli_table)
        raise ConfigError(message, hint) from exc
    object.__setattr__(config, "origins", dict(origin))
    return config
