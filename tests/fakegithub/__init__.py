"""A stateful fake GitHub REST server for tests: real HTTP on loopback, a bare git repository,
every response checked against GitHub's OpenAPI description. See README.md beside this file."""

from tests.fakegithub.server import FakeGitHub

__all__ = ["FakeGitHub"]
