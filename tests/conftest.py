"""Shared fixtures: a git identity for every test, and real repositories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.repos import GIT_ENV, Repo, make_repo


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GATEBOT_LOG_DIR", str(tmp_path / "logs"))
    for key in [k for k in os.environ if k.startswith("GATEBOT_") and k != "GATEBOT_LOG_DIR"]:
        monkeypatch.delenv(key)
    for key in ("GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(key, raising=False)  # a test inside Actions picks no forge from it
    (tmp_path / "home").mkdir(exist_ok=True)
    yield


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A repository with a bare origin, a board and a tiny project (checks: none)."""
    return make_repo(tmp_path)
