"""Users beyond the repository's objects: a user's permission on the repository
(``State.roles``), and the user search by email (every fake account's email is public)."""

from __future__ import annotations

from tests.fakegithub.routing import Ctx, R, Reply, invalid, not_found, route

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


@route("/search/users", "GET")
def search_users(ctx: Ctx) -> Reply:
    """``GET /search/users?q=EMAIL in:email``: the accounts whose public email is ``EMAIL``.

    Only that query form is served (gatebot asks nothing else); any other is a 422.
    """
    ctx.caller()
    query = (ctx.args.get("q") or "").strip()
    if not query.endswith(" in:email"):
        raise invalid("Search", "q")
    email = query.removesuffix(" in:email").strip().strip('"').lower()
    found = [u for u in ctx.state.users.values() if (u.email or "").lower() == email]
    return Reply(200, {"total_count": len(found), "incomplete_results": False,
                       "items": [ctx.render.user(u) | {"score": 1.0} for u in found]})
