"""Fixtures for tests against the fake GitHub server (tests/fakegithub)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.fakegithub.fixture import fake_github

__all__ = ["fake_github", "quiet_environment"]

QUIET_GIT = {"maintenance.auto": "false"}
"""git configuration for every git process of these tests: no ``git maintenance run --auto``
after each fetch and commit (a process each time; it finds nothing to do in repositories of a
few commits)."""

LOOPBACK = ("127.0.0.1", "localhost")
"""Hosts added to ``NO_PROXY``: the fake GitHub listens on loopback, which no proxy serves.
requests then skips its scan of the whole environment for proxy variables on each request
(``urllib.request.getproxies_environment``, a tenth of the client's time in these tests)."""


@pytest.fixture(autouse=True, scope="package")
def quiet_environment() -> Iterator[None]:
    """While this package's tests run: ``QUIET_GIT`` added through ``GIT_CONFIG_COUNT`` (after
    any entries already set) and ``LOOPBACK`` added to ``NO_PROXY``/``no_proxy``; the
    environment restored after them."""
    saved = {k: v for k, v in os.environ.items()
             if k.startswith("GIT_CONFIG_") or k in ("NO_PROXY", "no_proxy")}
    count = int(os.environ.get("GIT_CONFIG_COUNT") or 0)
    for n, (key, value) in enumerate(QUIET_GIT.items(), start=count):
        os.environ[f"GIT_CONFIG_KEY_{n}"], os.environ[f"GIT_CONFIG_VALUE_{n}"] = key, value
    os.environ["GIT_CONFIG_COUNT"] = str(count + len(QUIET_GIT))
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(name, "").split(",") if h.strip()]
        os.environ[name] = ",".join([*hosts, *(h for h in LOOPBACK if h not in hosts)])
    try:
        yield
    finally:
        for key in [k for k in os.environ
                    if k.startswith("GIT_CONFIG_") or k in ("NO_PROXY", "no_proxy")]:
            del os.environ[key]
        os.environ.update(saved)
