"""Fake GitHub handlers: accounts, the repository, issues, comments, labels, events, assignees.

Behaviour follows GitHub's REST API as documented at docs.github.com/rest (issues, labels,
users); where GitHub's behaviour is not in the description (label auto-creation on an issue,
``404 Label does not exist``), it follows what GitHub answers.
"""

from __future__ import annotations

from datetime import datetime

from tests.fakegithub.routing import ApiError, Ctx, Page, R, Reply, invalid, not_found, route
from tests.fakegithub.state import Comment, Issue, User


@route("/rate_limit", "GET")
def rate_limit(ctx: Ctx) -> Reply:
    """``GET /rate_limit``: the caller's core budget (other resources untouched)."""
    remaining, reset = ctx.request.environ["fakegithub.ratelimit"]
    core = {"limit": 5000, "remaining": remaining, "reset": reset, "used": 5000 - remaining}
    search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0}
    return Reply(200, {"resources": {"core": core, "search": search}, "rate": core})


@route("/user", "GET")
def authenticated_user(ctx: Ctx) -> Reply:
    """``GET /user``: the token's account; an installation (bot) token gets 403 as on GitHub."""
    user = ctx.caller()
    if user.is_bot:
        raise ApiError(403, "Resource not accessible by integration")
    return Reply(200, ctx.render.public_user(user, private=True))


@route("/users/<username>", "GET")
def get_user(ctx: Ctx, username: str) -> Reply:
    """``GET /users/{username}``: any account, bots included."""
    user = ctx.state.user_by_login(username)
    if user is None:
        raise not_found()
    return Reply(200, ctx.render.public_user(user))


@route(R, "GET")
def get_repo(ctx: Ctx, owner: str, repo: str) -> Reply:
    """``GET /repos/{owner}/{repo}``."""
    return Reply(200, ctx.render.repository())


def issue_of(ctx: Ctx, number: int) -> Issue:
    """The issue (or pull request) ``number``, else 404."""
    issue = ctx.state.issues.get(number)
    if issue is None:
        raise not_found()
    return issue


def _since(ctx: Ctx) -> datetime | None:
    raw = ctx.args.get("since")
    return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None


@route(f"{R}/issues", "GET")
def list_issues(ctx: Ctx, owner: str, repo: str) -> Page:
    """``GET /repos/{o}/{r}/issues``: state, labels (all must match), assignee, creator, since,
    sort (created/updated), direction; pull requests included, as GitHub does."""
    state, since = ctx.args.get("state", "open"), _since(ctx)
    wanted = [w for w in ctx.args.get("labels", "").split(",") if w]
    found = [i for i in ctx.state.issues.values()
             if state in ("all", i.state)
             and all(any(n.lower() == w.lower() for n in i.labels) for w in wanted)
             and (since is None or i.updated_at >= since)
             and _people_match(ctx, i)]
    key = ctx.args.get("sort", "created")
    found.sort(key=lambda i: (i.updated_at if key == "updated" else i.created_at, i.number),
               reverse=ctx.args.get("direction", "desc") == "desc")
    return Page([ctx.render.issue(i) for i in found])


def _people_match(ctx: Ctx, issue: Issue) -> bool:
    """The ``assignee`` and ``creator`` filters of the issue list."""
    users = ctx.state.users
    assignee, creator = ctx.args.get("assignee"), ctx.args.get("creator")
    if assignee == "none" and issue.assignees:
        return False
    if assignee not in (None, "*", "none") and \
            all(users[a].login.lower() != assignee.lower() for a in issue.assignees):
        return False
    return creator is None or users[issue.user].login.lower() == creator.lower()


@route(f"{R}/issues", "POST")
def create_issue(ctx: Ctx, owner: str, repo: str) -> Reply:
    """``POST /repos/{o}/{r}/issues``: title required; labels and assignees applied."""
    user = ctx.caller()
    title = ctx.body.get("title")
    if not isinstance(title, str | int) or not str(title).strip():
        raise invalid("Issue", "title", "missing_field")
    issue = ctx.state.new_issue(str(title), ctx.body.get("body"), user.id)
    _set_labels(ctx, issue, ctx.body.get("labels") or [], user)
    _assign(ctx, issue, ctx.body.get("assignees") or [], user)
    data = ctx.render.issue(issue)
    return Reply(201, data, {"Location": data["url"]})


@route(f"{R}/issues/<int:number>", "GET")
def get_issue(ctx: Ctx, owner: str, repo: str, number: int) -> Reply:
    """``GET /repos/{o}/{r}/issues/{n}``."""
    issue = issue_of(ctx, number)
    ctx.state.sync_merged(issue)
    return Reply(200, ctx.render.issue(issue))


@route(f"{R}/issues/<int:number>", "PATCH")
def edit_issue(ctx: Ctx, owner: str, repo: str, number: int) -> Reply:
    """``PATCH /repos/{o}/{r}/issues/{n}``: title, body, state (+state_reason), labels,
    assignees; label and assignee changes leave events as on GitHub."""
    user, issue = ctx.caller(), issue_of(ctx, number)
    now = ctx.state.clock.now()
    for key in ("title", "body"):
        if key in ctx.body:
            setattr(issue, key, ctx.body[key])
    if ctx.body.get("state") in ("open", "closed"):
        ctx.state.close_or_reopen(issue, ctx.body["state"])
        issue.state_reason = ctx.body.get("state_reason") or issue.state_reason
    if "labels" in ctx.body:
        _set_labels(ctx, issue, ctx.body["labels"] or [], user, replace=True)
    if "assignees" in ctx.body:
        _unassign(ctx, issue, [ctx.state.users[a].login for a in issue.assignees], user)
        _assign(ctx, issue, ctx.body["assignees"] or [], user)
    issue.updated_at = now
    return Reply(200, ctx.render.issue(issue))


def _label_names(raw: list[object]) -> list[str]:
    """Label names from a request: strings or ``{"name": ...}`` objects (GitHub takes both)."""
    names = []
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name:
            raise invalid("Label", "name", "invalid")
        names.append(name)
    return names


def _set_labels(ctx: Ctx, issue: Issue, raw: list[object], actor: User, *,
                replace: bool = False) -> None:
    """Add (or with ``replace``, set) labels; missing repository labels are created."""
    names = _label_names(raw)
    if replace:
        for name in [n for n in issue.labels if n.lower() not in {m.lower() for m in names}]:
            issue.labels.remove(name)
            ctx.state.record(issue, actor.id, "unlabeled", label=name)
    for name in names:
        label = ctx.state.label(name) or ctx.state.add_label(name)
        if label.name not in issue.labels:
            issue.labels.append(label.name)
            ctx.state.record(issue, actor.id, "labeled", label=label.name)


@route(f"{R}/issues/<int:number>/labels", "GET")
def list_issue_labels(ctx: Ctx, owner: str, repo: str, number: int) -> Page:
    """``GET /repos/{o}/{r}/issues/{n}/labels``."""
    issue = issue_of(ctx, number)
    return Page([ctx.render.label(ctx.state.labels[n]) for n in issue.labels])


@route(f"{R}/issues/<int:number>/labels", "POST", "PUT")
def add_issue_labels(ctx: Ctx, owner: str, repo: str, number: int) -> Reply:
    """``POST`` adds, ``PUT`` replaces; body ``{"labels": [...]}`` or a bare list."""
    user, issue = ctx.caller(), issue_of(ctx, number)
    raw = ctx.body.get("labels", []) if isinstance(ctx.body, dict) else ctx.body
    _set_labels(ctx, issue, raw, user, replace=ctx.request.method == "PUT")
    return Reply(200, [ctx.render.label(ctx.state.labels[n]) for n in issue.labels])


@route(f"{R}/issues/<int:number>/labels", "DELETE")
def clear_issue_labels(ctx: Ctx, owner: str, repo: str, number: int) -> Reply:
    """``DELETE /repos/{o}/{r}/issues/{n}/labels``: remove all, one event each."""
    user, issue = ctx.caller(), issue_of(ctx, number)
    _set_labels(ctx, issue, [], user, replace=True)
    return Reply(204)


@route(f"{R}/issues/<int:number>/labels/<path:name>", "DELETE")
def remove_issue_label(ctx: Ctx, owner: str, repo: str, number: int, name: str) -> Reply:
    """``DELETE .../labels/{name}``: 404 "Label does not exist" when the issue lacks it."""
    user, issue = ctx.caller(), issue_of(ctx, number)
    held = next((n for n in issue.labels if n.lower() == name.lower()), None)
    if held is None:
        raise ApiError(404, "Label does not exist")
    issue.labels.remove(held)
    ctx.state.record(issue, user.id, "unlabeled", label=held)
    return Reply(200, [ctx.render.label(ctx.state.labels[n]) for n in issue.labels])


@route(f"{R}/issues/<int:number>/events", "GET")
def list_events(ctx: Ctx, owner: str, repo: str, number: int) -> Page:
    """``GET /repos/{o}/{r}/issues/{n}/events``: oldest first, with each event's actor."""
    issue_of(ctx, number)
    return Page([ctx.render.event(e) for e in ctx.state.events if e.issue == number])


@route(f"{R}/issues/events/<int:event_id>", "GET")
def get_event(ctx: Ctx, owner: str, repo: str, event_id: int) -> Reply:
    """``GET /repos/{o}/{r}/issues/events/{id}``: one event, with its issue."""
    event = next((e for e in ctx.state.events if e.id == event_id), None)
    if event is None:
        raise not_found()
    issue = ctx.state.issues[event.issue]
    return Reply(200, ctx.render.event(event) | {"issue": ctx.render.issue(issue)})


def _assign(ctx: Ctx, issue: Issue, logins: list[str], actor: User) -> None:
    """Assign accounts by login; unknown logins are ignored, as GitHub ignores them."""
    for login in logins:
        user = ctx.state.user_by_login(login)
        if user and user.id not in issue.assignees and len(issue.assignees) < 10:
            issue.assignees.append(user.id)
            ctx.state.record(issue, actor.id, "assigned", assignee=user.id)


def _unassign(ctx: Ctx, issue: Issue, logins: list[str], actor: User) -> None:
    for login in logins:
        user = ctx.state.user_by_login(login)
        if user and user.id in issue.assignees:
            issue.assignees.remove(user.id)
            ctx.state.record(issue, actor.id, "unassigned", assignee=user.id)


@route(f"{R}/issues/<int:number>/assignees", "POST", "DELETE")
def change_assignees(ctx: Ctx, owner: str, repo: str, number: int) -> Reply:
    """``POST`` adds, ``DELETE`` removes ``{"assignees": [logins]}``; answers the issue."""
    user, issue = ctx.caller(), issue_of(ctx, number)
    logins = ctx.body.get("assignees") or []
    if ctx.request.method == "POST":
        _assign(ctx, issue, logins, user)
        return Reply(201, ctx.render.issue(issue))
    _unassign(ctx, issue, logins, user)
    return Reply(200, ctx.render.issue(issue))


@route(f"{R}/issues/<int:number>/comments", "GET")
def list_comments(ctx: Ctx, owner: str, repo: str, number: int) -> Page:
    """``GET .../issues/{n}/comments``: ascending by id (creation order), ``since`` honoured."""
    issue_of(ctx, number)
    since = _since(ctx)
    found = sorted((c for c in ctx.state.comments.values() if c.issue == number
                    and (since is None or c.updated_at >= since)), key=lambda c: c.id)
    return Page([ctx.render.comment(c) for c in found])


@route(f"{R}/issues/<int:number>/comments", "POST")
def create_comment(ctx: Ctx, owner: str, repo: str, number: int) -> Reply:
    """``POST .../issues/{n}/comments``: ``body`` required, at most 65,536 characters."""
    user, issue = ctx.caller(), issue_of(ctx, number)
    body = _comment_body(ctx)
    now = ctx.state.clock.now()
    comment = Comment(ctx.state.new_id("comment"), number, user.id, body, now, now)
    ctx.state.comments[comment.id] = comment
    issue.updated_at = now
    data = ctx.render.comment(comment)
    return Reply(201, data, {"Location": data["url"]})


def _comment_body(ctx: Ctx) -> str:
    body = ctx.body.get("body")
    if not isinstance(body, str) or not body:
        raise invalid("IssueComment", "body", "missing_field")
    if len(body) > 65536:
        raise invalid("IssueComment", "body", "custom",
                      "Validation Failed: body is too long (maximum is 65536 characters)")
    return body


def comment_of(ctx: Ctx, comment_id: int) -> Comment:
    """The comment ``comment_id``, else 404."""
    comment = ctx.state.comments.get(comment_id)
    if comment is None:
        raise not_found()
    return comment


@route(f"{R}/issues/comments/<int:comment_id>", "GET")
def get_comment(ctx: Ctx, owner: str, repo: str, comment_id: int) -> Reply:
    """``GET .../issues/comments/{id}``."""
    return Reply(200, ctx.render.comment(comment_of(ctx, comment_id)))


@route(f"{R}/issues/comments/<int:comment_id>", "PATCH")
def edit_comment(ctx: Ctx, owner: str, repo: str, comment_id: int) -> Reply:
    """``PATCH .../issues/comments/{id}``: new body, ``updated_at`` moves, ``created_at`` not."""
    ctx.caller()
    comment = comment_of(ctx, comment_id)
    comment.body = _comment_body(ctx)
    comment.updated_at = ctx.state.clock.now()
    return Reply(200, ctx.render.comment(comment))


@route(f"{R}/issues/comments/<int:comment_id>", "DELETE")
def delete_comment(ctx: Ctx, owner: str, repo: str, comment_id: int) -> Reply:
    """``DELETE .../issues/comments/{id}``: 204, then 404 for it."""
    ctx.caller()
    del ctx.state.comments[comment_of(ctx, comment_id).id]
    return Reply(204)


@route(f"{R}/labels", "GET")
def list_labels(ctx: Ctx, owner: str, repo: str) -> Page:
    """``GET /repos/{o}/{r}/labels``: in creation order."""
    return Page([ctx.render.label(lb) for lb in
                 sorted(ctx.state.labels.values(), key=lambda lb: lb.id)])


@route(f"{R}/labels", "POST")
def create_label(ctx: Ctx, owner: str, repo: str) -> Reply:
    """``POST /repos/{o}/{r}/labels``: 422 ``already_exists`` for a taken name (any case)."""
    ctx.caller()
    name = ctx.body.get("name")
    if not isinstance(name, str) or not name:
        raise invalid("Label", "name", "missing_field")
    if ctx.state.label(name):
        raise invalid("Label", "name", "already_exists")
    color = str(ctx.body.get("color", "ededed")).lstrip("#")
    label = ctx.state.add_label(name, color, ctx.body.get("description"))
    data = ctx.render.label(label)
    return Reply(201, data, {"Location": data["url"]})


def label_of(ctx: Ctx, name: str) -> str:
    """The stored name of repository label ``name`` (any case), else 404."""
    label = ctx.state.label(name)
    if label is None:
        raise not_found()
    return label.name


@route(f"{R}/labels/<path:name>", "GET")
def get_label(ctx: Ctx, owner: str, repo: str, name: str) -> Reply:
    """``GET /repos/{o}/{r}/labels/{name}``."""
    return Reply(200, ctx.render.label(ctx.state.labels[label_of(ctx, name)]))


@route(f"{R}/labels/<path:name>", "PATCH")
def edit_label(ctx: Ctx, owner: str, repo: str, name: str) -> Reply:
    """``PATCH /repos/{o}/{r}/labels/{name}``: color and description (renaming not served)."""
    ctx.caller()
    label = ctx.state.labels[label_of(ctx, name)]
    label.color = str(ctx.body.get("color", label.color)).lstrip("#")
    label.description = ctx.body.get("description", label.description)
    return Reply(200, ctx.render.label(label))


@route(f"{R}/labels/<path:name>", "DELETE")
def delete_label(ctx: Ctx, owner: str, repo: str, name: str) -> Reply:
    """``DELETE /repos/{o}/{r}/labels/{name}``: also removed from every issue (no events)."""
    ctx.caller()
    stored = label_of(ctx, name)
    del ctx.state.labels[stored]
    for issue in ctx.state.issues.values():
        if stored in issue.labels:
            issue.labels.remove(stored)
    return Reply(204)
