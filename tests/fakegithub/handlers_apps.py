"""Fake GitHub handlers: a GitHub App's installation and its installation access tokens.

As on GitHub (docs.github.com/rest/apps): these two operations take the App's JWT (RS256,
``iss`` the App id, at most ten minutes long), verified with the public key registered by
``FakeGitHub.add_app_key``; a new installation token acts as the App's bot account.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import jwt

from tests.fakegithub.render import iso
from tests.fakegithub.routing import ApiError, Ctx, R, Reply, not_found, route
from tests.fakegithub.state import User

_JWT_PATHS = re.compile(r"^/app/installations/\d+/access_tokens$|^/repos/[^/]+/[^/]+/installation$")
INSTALLATION_BASE = 10_000_000


def takes_jwt(path: str) -> bool:
    """Whether ``path`` is an operation authenticated by an App's JWT, not a token."""
    return bool(_JWT_PATHS.match(path))


def _app(ctx: Ctx) -> User:
    """The App's bot account whose JWT signed the request, else GitHub's 401."""
    scheme, _, token = ctx.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token.count(".") != 2:
        raise ApiError(401, "A JSON web token could not be decoded")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        app_id = int(claims["iss"])
        jwt.decode(token, ctx.state.app_keys[app_id], algorithms=["RS256"],
                   options={"require": ["iat", "exp", "iss"]})
    except (jwt.PyJWTError, KeyError, ValueError):
        raise ApiError(401, "A JSON web token could not be decoded") from None
    bot = next((u for u in ctx.state.users.values() if u.app_id == app_id), None)
    if bot is None:
        raise ApiError(401, "A JSON web token could not be decoded")
    return bot


def _installation(ctx: Ctx, bot: User) -> dict[str, object]:
    owner = ctx.state.user_by_login(ctx.state.owner_login)
    assert owner is not None and bot.app_id is not None
    number = INSTALLATION_BASE + bot.id
    slug = bot.login.removesuffix("[bot]")
    return {
        "id": number, "app_id": bot.app_id, "app_slug": slug, "target_id": owner.id,
        "target_type": "Organization", "single_file_name": None,
        "repository_selection": "selected",
        "access_tokens_url": f"{ctx.render.api}/app/installations/{number}/access_tokens",
        "html_url": f"{ctx.render.api}/settings/installations/{number}",
        "repositories_url": f"{ctx.render.api}/installation/repositories",
        "events": ["pull_request", "issues"], "account": ctx.render.user(owner),
        "permissions": {"issues": "write", "pull_requests": "write", "checks": "write",
                        "statuses": "write", "contents": "write"},
        "created_at": iso(bot.created_at), "updated_at": iso(bot.created_at),
        "suspended_by": None, "suspended_at": None,
    }


@route(f"{R}/installation", "GET")
def repo_installation(ctx: Ctx, owner: str, repo: str) -> Reply:
    """``GET /repos/{o}/{r}/installation``: the calling App's installation on the repository."""
    return Reply(200, _installation(ctx, _app(ctx)))


@route("/app/installations/<int:installation_id>/access_tokens", "POST")
def access_token(ctx: Ctx, installation_id: int) -> Reply:
    """``POST /app/installations/{id}/access_tokens``: a new token (one hour) for the App."""
    bot = _app(ctx)
    if installation_id != INSTALLATION_BASE + bot.id:
        raise not_found()
    token = "ghs_inst" + secrets.token_hex(16)
    ctx.state.installation_tokens[token] = bot.id
    expires = ctx.state.clock.now() + timedelta(hours=1)
    return Reply(201, {"token": token, "expires_at": iso(expires),
                       "permissions": _installation(ctx, bot)["permissions"],
                       "repository_selection": "selected"})
