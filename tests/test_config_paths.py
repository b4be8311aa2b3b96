"""The configuration's two paths agree: the dataclasses' own checks and the pydantic models.

The pydantic models of ``gatebot.config_schema`` define every key; the dataclasses of
``gatebot.config`` are generated from them (tools/gen_config.py). ``gatebot.config``
judges values of exactly their key's type itself and hands anything else to pydantic.
For any table the two must give the same configuration, or the same first error; and a
command whose configuration needs no coercion must not import pydantic at all.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError, field_validator

from gatebot import config, config_schema
from tools import gen_config

TABLES = [config.Config, *config._TABLES.values()]
POOL: list[Any] = [
    0, 1, 3, 80, 100, 101, -1, 2**70, 0.0, -0.0, 0.5, 75.5, 1800.0, math.inf, math.nan, True,
    False, None, "", "0", "1", "75", "7.5", "075", " 5", "5 ", "-1", "+1", "1e3", "1_000",
    "0x10", "1.", ".5", "auto", "tox", "local", "github", "bogus", "main", "tests/**", "a[",
    "[z-a]", [], ["a"], ["tests/**", "*.py"], ["a["], [1], [1.5, 2], [1, "2"], ["1", "2.5"],
    [1, 2, 3], ("x",), {}, {"tests": ["t"]}, {"tests": "pytest -q"}, {"a": 1}, {"a": [1]},
    {"timeout": 5},
]


def leaves(table: type[Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for item in dataclasses.fields(table):
        nested = config._TABLES.get(str(item.type))
        found += leaves(nested, (*prefix, item.name)) if nested else [(*prefix, item.name)]
    return found


LEAVES = [*leaves(config.Config), ("checks",), ("unknown",), ("checks", "unknown")]


def through_pydantic(table: dict[str, Any]) -> config.Config | dict[str, Any]:
    try:
        model = config_schema.Config.model_validate(table)
    except ValidationError as exc:
        return exc.errors()[0]
    return config._from_model(config.Config, model)


def nest(pairs: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for path, value in pairs:
        node = table
        for key in path[:-1]:
            child = node.setdefault(key, {})
            node = child if isinstance(child, dict) else {}
        node[path[-1]] = value
    return table


def test_the_dataclasses_have_the_models_fields_and_defaults() -> None:
    for table in TABLES:
        model = getattr(config_schema, table.__name__)
        assert [f.name for f in dataclasses.fields(table)] == list(model.model_fields)
    assert config.Config().as_json() == config_schema.Config().model_dump(mode="json")


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LEAVES), st.sampled_from(POOL)), max_size=4))
def test_both_paths_give_the_same_configuration_or_the_same_error(
        pairs: list[tuple[tuple[str, ...], Any]]) -> None:
    table = nest(pairs)
    expected = through_pydantic(table)
    try:
        got: config.Config | dict[str, Any] = config.validate(table)
    except config.InvalidTable as exc:
        got = dict(exc.error)
    if isinstance(expected, dict):
        assert isinstance(got, dict)
        assert (got["loc"], got["msg"], got["type"]) == (
            expected["loc"], expected["msg"], expected["type"])
    else:
        assert repr(got) == repr(expected)  # repr: 75 and 75.0 differ
        assert isinstance(got, config.Config)
        assert got.model_fields_set == expected.model_fields_set


@pytest.mark.parametrize("table", [
    {}, {"min_coverage": "0", "checks": {"required": [], "nox_sessions": []}},
    {"disabled_rules": ["docstrings"], "claims": {"maintainers": ["a"], "settle": [1, 2.5]}},
    {"checks": {"timeout": 60, "jobs": "2", "commands": {"t": "pytest -q", "l": ["ruff"]},
                "tox_aliases": {"tests": ["py3*"]}}, "exclude": ["vendor/"], "merge": {}},
])
def test_values_of_their_keys_type_need_no_pydantic(table: dict[str, Any]) -> None:
    fast = config._build(config.Config, table)  # raises _Unsure if it would ask pydantic
    assert repr(fast) == repr(through_pydantic(table))


def test_loading_a_plain_configuration_imports_no_pydantic(tmp_path: Any) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.gatebot]\nmin_coverage = 70\n[tool.gatebot.checks]\ntimeout = 5\n")
    code = ("import sys; from pathlib import Path; from gatebot import config; "
            f"c = config.load(Path({str(tmp_path)!r}), environ={{'GATEBOT_MERGE__RETRIES': '2'}}); "
            "print(c.min_coverage, c.merge.retries, 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["70.0", "2", "False"]


def test_the_dataclasses_are_generated_from_the_models() -> None:
    """gatebot/config.py holds no key of its own: its tables are what the generator makes."""
    path = Path(config.__file__)
    assert path.read_text(encoding="utf-8") == gen_config.config_py(path), (
        "gatebot/config.py is out of date: run `python tools/gen_docs.py`")


class Limits(BaseModel):
    """``[limits]``: a table added to a model."""

    size: int = Field(default=5, ge=2, le=9, description="A bounded number.")
    kind: Literal["a", "b"] = Field(default="b", description="A choice.")
    names: dict[str, tuple[str, ...]] = Field(default_factory=lambda: {"x": ("y",)},
                                             description="A mapping.")


class Extended(BaseModel):
    """A configuration with a new key and a new table."""

    paths: tuple[config_schema.Glob, ...] = Field(default=("docs/**",), description="Globs.")
    limits: Limits = Field(default=Limits(), description="The new table.")


def test_a_key_added_to_a_model_becomes_a_dataclass_field_with_its_checks() -> None:
    source = gen_config.tables_source(Extended)
    assert "class Limits(_Table):" in source and "class Extended(_Root):" in source
    assert '    size: int = field(default=5, metadata=_rule(ge=2, le=9))' in source
    assert '    kind: Literal["a", "b"] = field(default="b", metadata=_rule(choices=("a", "b")))' in source
    assert '    paths: tuple[str, ...] = field(default=("docs/**",), metadata=_rule(glob=True))' in source
    namespace = dict(vars(config))
    exec(source, namespace)  # the generated tables, beside the helpers of gatebot.config
    made = namespace["Extended"]()
    assert made.as_json() == Extended().model_dump(mode="json")
    assert dataclasses.fields(made.limits)[2].default_factory() == {"x": ("y",)}


class Patterned(BaseModel):
    """A key checked by a constraint the fast path does not know."""

    name: str = Field(default="a", pattern="^[a-z]+$", description="A name.")


class Validated(BaseModel):
    """A key checked by a validator the fast path does not know."""

    name: str = Field(default="a", description="A name.")

    @field_validator("name")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


@pytest.mark.parametrize("model", [Patterned, Validated])
def test_a_check_the_fast_path_cannot_make_stops_the_generator(model: type[BaseModel]) -> None:
    with pytest.raises(SystemExit, match=rf"{model.__name__}.name: the fast path cannot"):
        gen_config.tables_source(model)
