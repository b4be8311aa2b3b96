"""The event payload GitHub Actions writes (``$GITHUB_EVENT_PATH``), read as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from gatebot.core.printable import printable
from gatebot.errors import EnvironmentProblem, UsageError

_HINT = "pass the JSON file GitHub Actions writes at $GITHUB_EVENT_PATH (or --event PATH)"


def read_event(path: Path) -> object:
    """The JSON value in ``path`` (UTF-8), as ``json.loads`` gives it.

    Raises ``EnvironmentProblem`` (exit 2) when the file cannot be read, ``UsageError``
    (exit 2) when it is not UTF-8 JSON (or nests deeper than Python can parse).
    """
    shown = printable(str(path))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EnvironmentProblem(f"cannot read the event payload {shown}: "
                                 f"{exc.strerror or exc}", _HINT) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise UsageError(f"the event payload {shown} is not JSON: {printable(reason)}",
                         _HINT) from None
