"""Fixtures for tests against the fake GitHub server (tests/fakegithub)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.fakegithub.fixture import fake_github

__all__ = ["fake_github", "no_auto_maintenance"]

QUIET_GIT = {"maintenance.auto": "false"}
"""git configuration for every git process of these tests: no ``git maintenance run --auto``
after each fetch and commit (a process each time; it finds nothing to do in repositories of a
few commits)."""


@pytest.fixture(autouse=True, scope="package")
def no_auto_maintenance() -> Iterator[None]:
    """``QUIET_GIT`` added through ``GIT_CONFIG_COUNT`` (after any entries already set) while
    this package's tests run; the environment restored after them."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("GIT_CONFIG_")}
    count = int(os.environ.get("GIT_CONFIG_COUNT") or 0)
    for n, (key, value) in enumerate(QUIET_GIT.items(), start=count):
        os.environ[f"GIT_CONFIG_KEY_{n}"], os.environ[f"GIT_CONFIG_VALUE_{n}"] = key, value
    os.environ["GIT_CONFIG_COUNT"] = str(count + len(QUIET_GIT))
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("GIT_CONFIG_")]:
            del os.environ[key]
        os.environ.update(saved)
