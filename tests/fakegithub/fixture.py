"""The ``fake_github`` pytest fixture (import it into a conftest.py to use it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakegithub.server import FakeGitHub


@pytest.fixture
def fake_github(tmp_path: Path) -> Iterator[FakeGitHub]:
    """A running fake GitHub (``acme/widgets``) on a free loopback port.

    At teardown the server stops, and the test fails listing every request or response that
    GitHub's OpenAPI description rejects (a shape GitHub would not send, or an operation it
    does not have). A test that provokes one on purpose calls ``take_violations()``.
    """
    fake = FakeGitHub(tmp_path)
    try:
        yield fake
    finally:
        fake.stop()
    found = fake.violations
    if found:
        pytest.fail("the fake GitHub answered outside GitHub's OpenAPI description:\n  "
                    + "\n  ".join(found), pytrace=False)
