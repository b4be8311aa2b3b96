"""Connections from gatebot's github adapter to the fake GitHub, throttling off."""

from __future__ import annotations

from gatebot.adapters.github.client import Connection, Settings, connect
from gatebot.core.github_model import Person
from tests.fakegithub import FakeGitHub
from tests.fakegithub.state import User

REPO = "acme/widgets"
MAX_WAIT = 0.1
"""Seconds: the tests' cap on any wait for a retry (gatebot's ``max_wait``)."""


def settings(fake: FakeGitHub, user: User, **overrides: object) -> Settings:
    """Settings for ``user``'s token at the fake: no throttling, quick timeouts.

    ``max_wait`` (``MAX_WAIT``, 0.1 s) also caps the back-off between retries (0, 0.1, 0.1 s
    for three), gatebot's own setting (``GATEBOT_GITHUB_MAX_WAIT``): a test of retries proves
    they happen without waiting GitHub's seconds. A test of ``Retry-After`` (whole seconds on
    GitHub) passes ``max_wait=1`` or more; any longer wait is refused as past the cap.
    """
    values: dict[str, object] = {"repository": REPO, "base_url": fake.url, "token": user.token,
                                 "throttle": False, "bot_login": fake.bot.login, "timeout": 5,
                                 "max_wait": MAX_WAIT, "retries": 3}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def conn(fake: FakeGitHub, user: User, lines: list[str] | None = None,
         **overrides: object) -> Connection:
    """A connection as ``user``; the reported lines go to ``lines`` when given."""
    report = lines.append if lines is not None else (lambda _line: None)
    opened = connect(settings(fake, user, **overrides), report=report)
    fake._clients.append(opened.gh)
    return opened


def person(user: User) -> Person:
    """The adapter's ``Person`` of a fake account."""
    return Person(user.id, user.login, user.is_bot)
