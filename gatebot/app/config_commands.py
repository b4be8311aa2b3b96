"""``gatebot config``: the configuration's JSON Schema, and the configuration in effect.

The schema is pydantic's ``model_json_schema`` of ``gatebot.config_schema.Config``:
every key with its type, default, bounds and description. docs/configuration.md
is generated from the same model (``tools/gen_docs.py``), so the two cannot drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gatebot.app.context import open_context
from gatebot.errors import EXIT_OK

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the configuration table ``[tool.gatebot]``."""
    from gatebot.config_schema import Config  # noqa: PLC0415 - pydantic: only for the schema

    schema = Config.model_json_schema()
    return {"$schema": SCHEMA_DIALECT, **schema}


def schema_command() -> int:
    """``gatebot config --schema``: print the JSON Schema on stdout; exit 0."""
    print(json.dumps(config_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


def show_command(cwd: Path) -> int:
    """``gatebot config show``: print the configuration in effect as JSON; exit 0.

    That is the base branch's file, then the ``GATEBOT_*`` environment, over the
    defaults. Raises ``ConfigError`` (exit 2) as every command does for a bad
    configuration, ``EnvironmentProblem`` outside a git work tree.
    """
    ctx = open_context(cwd)
    print(json.dumps(ctx.config.as_json(), indent=2, ensure_ascii=False))
    return EXIT_OK
