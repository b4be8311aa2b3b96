"""Fixtures for tests against the fake GitHub server (tests/fakegithub)."""

from tests.fakegithub.fixture import fake_github

__all__ = ["fake_github"]
