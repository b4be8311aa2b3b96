"""Check run times recorded in gatebot's approval commits, for ``gatebot audit``'s slowest checks.

The trailer ``Gatebot-Check-Durations: tests=41.2s lint=3.1s`` holds each check's wall time in
seconds (one decimal) as gate 1 measured it. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

CHECK_DURATIONS = "Gatebot-Check-Durations"
"""The trailer's name."""


def format_check_durations(seconds: Mapping[str, float]) -> str:
    """The trailer's value for check name → seconds: ``tests=41.2s lint=3.1s``.

    Check names are plain (letters, digits, ``_.-``), so the value is one line.
    """
    return " ".join(f"{name}={value:.1f}s" for name, value in seconds.items())


def parse_check_durations(text: str) -> dict[str, float]:
    """Check name → seconds from the trailer's value; a malformed item is skipped, never raised."""
    found: dict[str, float] = {}
    for item in text.split():
        name, _, value = item.partition("=")
        if not name or not value.endswith("s"):
            continue
        try:
            seconds = float(value[:-1])
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            found[name] = seconds
    return found
