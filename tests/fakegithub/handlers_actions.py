"""Fake GitHub handlers: GitHub Actions' ``workflow_dispatch`` and workflow runs.

As on GitHub: the workflow is named by its file name (or id), ``ref`` must be a branch or tag
that exists, every input is a string, and the answer is ``204`` with no body. No workflow
runs by themselves: a test plays the dispatched workflow itself, reads ``state.dispatches``,
and puts the run in ``state.workflow_runs`` (served by ``GET .../actions/runs/{id}`` and listed
by ``GET .../actions/workflows/{id}/runs``).
"""

from __future__ import annotations

from tests.fakegithub.render import Json, iso
from tests.fakegithub.routing import ApiError, Ctx, Page, R, Reply, invalid, not_found, route
from tests.fakegithub.state import Dispatch


@route(f"{R}/actions/workflows/<workflow>/dispatches", "POST")
def dispatch_workflow(ctx: Ctx, owner: str, repo: str, workflow: str) -> Reply:
    """``POST .../actions/workflows/{id}/dispatches``: ``ref`` (a branch) and ``inputs``."""
    user = ctx.caller()
    ref = str(ctx.body.get("ref", ""))
    name = ref.removeprefix("refs/heads/")
    if not ref or ctx.state.git.ref(f"refs/heads/{name}") is None:
        raise invalid("Workflow", "ref", message=f"No ref found for: {ref}")
    inputs = ctx.body.get("inputs") or {}
    if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
        raise ApiError(422, "Invalid inputs: every input must be a string")
    ctx.state.dispatches.append(Dispatch(workflow, name, dict(inputs), user.id))
    return Reply(204)


@route(f"{R}/actions/runs/<int:run_id>", "GET")
def get_workflow_run(ctx: Ctx, owner: str, repo: str, run_id: int) -> Reply:
    """``GET .../actions/runs/{id}``: the run a test recorded (its JSON as GitHub's), or 404."""
    run = ctx.state.workflow_runs.get(run_id)
    if run is None:
        raise not_found()
    return Reply(200, _run_json(ctx, run_id, run))


@route(f"{R}/actions/workflows/<workflow>/runs", "GET")
def list_workflow_runs(ctx: Ctx, owner: str, repo: str, workflow: str) -> Page:
    """``GET .../actions/workflows/{id}/runs``: the workflow's runs, newest first.

    The workflow is named by its file name (the last part of a run's ``path``) or its id
    (``workflow_id``). The filters ``branch`` (``head_branch``), ``event``, ``head_sha`` and
    ``status`` (a status or a conclusion) apply as on GitHub; the server paginates.
    """
    wanted = {key: ctx.args[key] for key in ("branch", "event", "head_sha", "status")
              if ctx.args.get(key)}
    found = []
    for run_id, run in reversed(ctx.state.workflow_runs.items()):
        data = _run_json(ctx, run_id, run)
        named = (str(data["path"]).split("@", 1)[0].rsplit("/", 1)[-1], str(data["workflow_id"]))
        fields = {"branch": data["head_branch"], "event": data["event"],
                  "head_sha": data["head_sha"]}
        if workflow in named and all(
                value in (data["status"], data["conclusion"]) if key == "status"
                else fields[key] == value for key, value in wanted.items()):
            found.append(data)
    return Page(found, wrap="workflow_runs")


def _run_json(ctx: Ctx, run_id: int, run: dict[str, object]) -> Json:
    """Run ``run_id`` as the Actions API gives it: the test's fields over GitHub's defaults.

    ``head_repository`` may name another repository (``"mallory/widgets"``: a fork's run);
    it is then this repository's JSON under that name.
    """
    api, when = ctx.render.repo_api, iso(ctx.state.clock.now())
    url, repository = f"{api}/actions/runs/{run_id}", ctx.render.repository()
    fields = {k: v for k, v in run.items() if k != "head_repository"}
    head = run.get("head_repository")
    if isinstance(head, str):
        head_repository = {**repository, "full_name": head, "name": head.rsplit("/", 1)[-1],
                           "fork": True, "id": ctx.state.repo_id + run_id}
    else:
        head_repository = repository
    return {
        "id": run_id, "node_id": f"WFR_{run_id}", "run_number": run_id, "workflow_id": 1,
        "status": "completed", "conclusion": None, "head_branch": None, "head_sha": "",
        "display_title": "", "event": "workflow_dispatch", "path": "", **fields,
        "url": url, "html_url": f"{ctx.render.repo_html}/actions/runs/{run_id}",
        "created_at": when, "updated_at": when, "head_commit": None,
        "head_repository": head_repository, "repository": repository, "pull_requests": [],
        **{f"{key}_url": f"{url}/{key}" for key in ("jobs", "logs", "cancel", "rerun",
                                                   "artifacts")},
        "check_suite_url": f"{api}/check-suites/{run_id}",
        "workflow_url": f"{api}/actions/workflows/1"}
