"""A GitHub App's credentials: the App's JWT buys an installation token, which is then used."""

from __future__ import annotations

import pytest

from gatebot.adapters.github import identity, labels
from gatebot.adapters.github.client import Settings, connect
from gatebot.errors import EnvironmentProblem, UsageError
from tests.fakegithub import FakeGitHub
from tests.github.helpers import REPO


def test_an_app_acts_as_its_bot_through_an_installation_token(fake_github: FakeGitHub) -> None:
    key = fake_github.add_app_key(fake_github.bot)
    conn = connect(Settings(REPO, fake_github.url, app_id=str(fake_github.bot.app_id),
                            app_key=key, throttle=False, bot_login=fake_github.bot.login))
    try:
        labels.ensure_labels(conn)
        assert identity.bot_identity(conn).login == "gatebot[bot]"
    finally:
        conn.close()
    [token] = fake_github.state.installation_tokens
    assert conn.secrets.redact(f"x {token} y") == "x *** y"
    assert {r.login for r in fake_github.writes() if not r.path.startswith("/app/")} == {
        "gatebot[bot]"}
    assert [r.path for r in fake_github.requests][:2] == [
        f"/repos/{REPO}/installation",
        f"/app/installations/{10_000_000 + fake_github.bot.id}/access_tokens"]


def test_a_wrong_app_key_is_refused_without_leaking_it(fake_github: FakeGitHub) -> None:
    fake_github.add_app_key(fake_github.bot)
    other = FakeGitHub.add_app_key(fake_github, fake_github.add_user("other", bot=True))
    with pytest.raises(EnvironmentProblem) as raised:
        connect(Settings(REPO, fake_github.url, app_id=str(fake_github.bot.app_id),
                         app_key=other, throttle=False))
    assert "GitHub answered 401" in raised.value.message
    assert "installation token" in raised.value.message
    text = f"{raised.value.message} {raised.value.hint}"
    assert all(line not in text for line in other.splitlines()[1:-1])


def test_settings_need_credentials_and_a_repository() -> None:
    with pytest.raises(UsageError, match="no GitHub credentials"):
        Settings.from_env({"GITHUB_REPOSITORY": REPO})
    with pytest.raises(UsageError, match="no GitHub repository"):
        Settings.from_env({"GITHUB_TOKEN": "t"})
    made = Settings.from_env({"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": "t",
                              "GITHUB_API_URL": "https://ghe.example/api/v3/"})
    assert (made.base_url, made.token) == ("https://ghe.example/api/v3", "t")
    assert "token=" not in repr(made)  # a secret never shows in a repr


def test_an_app_without_its_bot_login_is_refused_not_taken_for_actions(
        fake_github: FakeGitHub) -> None:
    key = fake_github.add_app_key(fake_github.bot)
    conn = connect(Settings(REPO, fake_github.url, app_id=str(fake_github.bot.app_id),
                            app_key=key, throttle=False))
    try:
        with pytest.raises(UsageError, match="does not know the App's bot") as raised:
            identity.bot_identity(conn)
    finally:
        conn.close()
    assert "GATEBOT_GITHUB_BOT_LOGIN" in raised.value.hint
