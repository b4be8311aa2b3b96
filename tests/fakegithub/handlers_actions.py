"""Fake GitHub handlers: GitHub Actions' ``workflow_dispatch``.

As on GitHub: the workflow is named by its file name (or id), ``ref`` must be a branch or tag
that exists, every input is a string, and the answer is ``204`` with no body. No workflow runs:
a test plays the dispatched workflow itself and reads ``state.dispatches``.
"""

from __future__ import annotations

from tests.fakegithub.routing import ApiError, Ctx, R, Reply, invalid, route
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
