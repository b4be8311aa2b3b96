"""Collaborators: a user's permission on the repository (``State.roles``)."""

from __future__ import annotations

from tests.fakegithub.routing import Ctx, R, Reply, not_found, route

LEGACY = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read",
          "read": "read"}
"""GitHub's ``permission`` field keeps the old three levels; ``role_name`` names the role."""


@route(f"{R}/collaborators/<username>/permission", "GET")
def permission(ctx: Ctx, owner: str, repo: str, username: str) -> Reply:
    """``GET .../collaborators/{username}/permission``: ``permission``, ``role_name``, ``user``."""
    ctx.caller()
    user = ctx.state.user_by_login(username)
    if user is None:
        raise not_found()
    role = "admin" if user.login == ctx.state.owner_login else ctx.state.roles.get(user.id, "read")
    perms = {"admin": role == "admin", "maintain": role in ("admin", "maintain"),
             "push": role in ("admin", "maintain", "write"),
             "triage": role != "read", "pull": True}
    return Reply(200, {"permission": LEGACY[role], "role_name": role,
                       "user": ctx.render.user(user) | {"permissions": perms, "role_name": role}})
