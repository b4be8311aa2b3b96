"""Fake GitHub handlers: check runs with annotations, commit statuses and the combined status.

As on GitHub: only a GitHub App (a bot account) may create check runs (a user token gets 403),
only the app that created a run may update it, a request carries at most 50 annotations (they
add up across updates), and a completed run needs a conclusion.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.fakegithub.handlers_pulls import sha_of
from tests.fakegithub.routing import ApiError, Ctx, Page, R, Reply, invalid, not_found, route
from tests.fakegithub.state import Annotation, CheckRun, Status

MAX_ANNOTATIONS = 50
STATUS_STATES = ("error", "failure", "pending", "success")


def _when(raw: object) -> datetime | None:
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None


def _apply(ctx: Ctx, run: CheckRun, body: dict[str, Any]) -> None:
    """Apply the writable fields of a create or update request to ``run``."""
    for key in ("name", "details_url", "external_id"):
        if key in body:
            setattr(run, key, body[key])
    if body.get("conclusion"):
        run.conclusion, run.status = body["conclusion"], "completed"
    elif "status" in body:
        run.status = body["status"]
    if run.status == "completed" and not run.conclusion:
        raise invalid("CheckRun", "conclusion", "missing_field")
    run.started_at = _when(body.get("started_at")) or run.started_at
    if run.status == "completed":
        run.completed_at = _when(body.get("completed_at")) or run.completed_at or \
            ctx.state.clock.now()
    output = body.get("output") or {}
    if output and not (output.get("title") and output.get("summary")):
        raise invalid("CheckRun", "output", "missing_field")
    notes = output.get("annotations") or []
    if len(notes) > MAX_ANNOTATIONS:
        raise invalid("CheckRun", "annotations", "custom",
                      f"Only {MAX_ANNOTATIONS} annotations are allowed per request")
    run.title = output.get("title", run.title)
    run.summary = output.get("summary", run.summary)
    run.text = output.get("text", run.text)
    run.annotations += [Annotation(**{k: n.get(k) for k in (
        "path", "start_line", "end_line", "annotation_level", "message", "title",
        "raw_details", "start_column", "end_column")}) for n in notes]


@route(f"{R}/check-runs", "POST")
def create_check_run(ctx: Ctx, owner: str, repo: str) -> Reply:
    """``POST /repos/{o}/{r}/check-runs``: ``name`` and ``head_sha`` (a commit in git)."""
    user = ctx.caller()
    if not user.is_bot:
        raise ApiError(403, "You must authenticate via a GitHub App.")
    head_sha = str(ctx.body.get("head_sha", ""))
    if ctx.state.git.resolve(head_sha) != head_sha:
        raise ApiError(422, "No commit found for SHA: " + head_sha)
    if not ctx.body.get("name"):
        raise invalid("CheckRun", "name", "missing_field")
    run = CheckRun(ctx.state.new_id("check"), str(ctx.body["name"]), head_sha, user.id,
                   "queued", None, ctx.state.clock.now(), None)
    _apply(ctx, run, ctx.body)
    ctx.state.check_runs[run.id] = run
    return Reply(201, ctx.render.check_run(run))


def run_of(ctx: Ctx, run_id: int) -> CheckRun:
    """The check run ``run_id``, else 404."""
    run = ctx.state.check_runs.get(run_id)
    if run is None:
        raise not_found()
    return run


@route(f"{R}/check-runs/<int:run_id>", "GET")
def get_check_run(ctx: Ctx, owner: str, repo: str, run_id: int) -> Reply:
    """``GET /repos/{o}/{r}/check-runs/{id}``."""
    return Reply(200, ctx.render.check_run(run_of(ctx, run_id)))


@route(f"{R}/check-runs/<int:run_id>", "PATCH")
def update_check_run(ctx: Ctx, owner: str, repo: str, run_id: int) -> Reply:
    """``PATCH .../check-runs/{id}``: by the app that created it; annotations are appended."""
    user, run = ctx.caller(), run_of(ctx, run_id)
    if user.id != run.app_user:
        raise ApiError(403, "Resource not accessible by integration")
    _apply(ctx, run, ctx.body)
    return Reply(200, ctx.render.check_run(run))


@route(f"{R}/check-runs/<int:run_id>/annotations", "GET")
def list_annotations(ctx: Ctx, owner: str, repo: str, run_id: int) -> Page:
    """``GET .../check-runs/{id}/annotations``: every batch, in the order sent."""
    run = run_of(ctx, run_id)
    return Page([ctx.render.annotation(run, n) for n in run.annotations])


@route(f"{R}/commits/<path:ref>/check-runs", "GET")
def list_check_runs(ctx: Ctx, owner: str, repo: str, ref: str) -> Page:
    """``GET .../commits/{ref}/check-runs``: ``check_name``, ``status``, ``filter`` (latest
    per name by default, or all), newest first, inside ``{"total_count", "check_runs"}``."""
    sha = sha_of(ctx, ref)
    runs = sorted((r for r in ctx.state.check_runs.values() if r.head_sha == sha),
                  key=lambda r: -r.id)
    name, status = ctx.args.get("check_name"), ctx.args.get("status")
    runs = [r for r in runs if name in (None, r.name) and status in (None, r.status)]
    if ctx.args.get("filter", "latest") == "latest":
        seen: set[str] = set()
        runs = [r for r in runs if not (r.name in seen or seen.add(r.name))]
    return Page([ctx.render.check_run(r) for r in runs], wrap="check_runs")


@route(f"{R}/statuses/<sha>", "POST")
def create_status(ctx: Ctx, owner: str, repo: str, sha: str) -> Reply:
    """``POST /repos/{o}/{r}/statuses/{sha}``: ``state`` required; ``context`` "default"."""
    user = ctx.caller()
    if ctx.state.git.resolve(sha) != sha:
        raise ApiError(422, "No commit found for SHA: " + sha)
    state = ctx.body.get("state")
    if state not in STATUS_STATES:
        raise invalid("Status", "state")
    now = ctx.state.clock.now()
    status = Status(ctx.state.new_id("status"), sha, state,
                    str(ctx.body.get("context") or "default"), ctx.body.get("description"),
                    ctx.body.get("target_url"), user.id, now, now)
    ctx.state.statuses.append(status)
    data = ctx.render.status(status)
    return Reply(201, data, {"Location": data["url"]})


def _latest(ctx: Ctx, sha: str) -> list[Status]:
    """The newest status per context on ``sha``, newest first."""
    seen: set[str] = set()
    newest = [s for s in reversed(ctx.state.statuses) if s.sha == sha]
    return [s for s in newest if not (s.context in seen or seen.add(s.context))]


@route(f"{R}/commits/<path:ref>/statuses", "GET")
def list_statuses(ctx: Ctx, owner: str, repo: str, ref: str) -> Page:
    """``GET .../commits/{ref}/statuses``: every status, newest first."""
    sha = sha_of(ctx, ref)
    return Page([ctx.render.status(s) for s in reversed(ctx.state.statuses) if s.sha == sha])


@route(f"{R}/commits/<path:ref>/status", "GET")
def combined_status(ctx: Ctx, owner: str, repo: str, ref: str) -> Reply:
    """``GET .../commits/{ref}/status``: failure if any latest status is error or failure,
    pending if any is pending or there is none, else success."""
    sha = sha_of(ctx, ref)
    latest = _latest(ctx, sha)
    states = {s.state for s in latest}
    combined = "failure" if states & {"error", "failure"} else \
        "pending" if not latest or "pending" in states else "success"
    repo_data = {k: v for k, v in ctx.render.repository().items()
                 if k not in ("clone_url", "ssh_url", "git_url", "svn_url")}
    simple = [{k: v for k, v in ctx.render.status(s).items() if k != "creator"} | {
        "avatar_url": None, "required": None} for s in latest]
    return Reply(200, {
        "state": combined, "statuses": simple, "sha": sha, "total_count": len(latest),
        "repository": repo_data, "commit_url": f"{ctx.render.repo_api}/commits/{sha}",
        "url": f"{ctx.render.repo_api}/commits/{sha}/status",
    })
