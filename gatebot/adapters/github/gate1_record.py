"""Gate 1's verdict on a head SHA as GitHub holds it, counted only where gatebot published it.

``read_gate1`` lists the ``gatebot/gate-1`` check runs of gatebot's account on the head (every
one, not GitHub's latest: a newer one must not hide an older failure), asks GitHub's Actions
API about the publishing workflow runs they name (``GET /repos/{o}/{r}/actions/runs/{id}``, each once
per connection) and lets ``gatebot.core.gate1_runs.judge`` decide which count. A check run
is gatebot's account's when gatebot's App (``GATEBOT_GITHUB_APP_ID``) made it, or, without one,
the App whose bot ``bot`` is (its ``app.slug``). Where no check run counts, a commit status
``gatebot/gate-1`` counts only when a person's token (``bot`` is no bot account and no App is
configured) created it: with an App's or the Actions token, any workflow holding it could.
The answer is remembered per connection and head: the review step and gate 2 read it once.
"""

from __future__ import annotations

from typing import Any

from github.GithubApp import GithubApp

from gatebot.adapters.github.client import Connection, translated, workflow_run_data
from gatebot.core.gate1_runs import (
    CheckRun,
    Gate1Record,
    WorkflowRun,
    groups,
    judge,
)
from gatebot.core.github_model import Person

GATE1 = "gatebot/gate-1"
STATUS_TEXT = 140
"""The longest commit status description GitHub keeps (``verdicts`` cuts there)."""


def by_gatebot(app: GithubApp | None, app_id: str | None, bot: Person) -> bool:
    """Whether a check run's ``app`` is gatebot's: the configured App id, else the bot's slug."""
    if app is None:
        return False
    if app_id is not None:
        return str(app.id) == app_id.strip()
    return app.slug == bot.login.removesuffix("[bot]")


def read_gate1(conn: Connection, head: str, bot: Person, base: str) -> Gate1Record:
    """Gate 1's counted verdict on ``head`` (module doc); ``base``: the configured base branch.

    Raises ``EnvironmentProblem`` (exit 2) on GitHub errors other than a missing run (404).
    """
    key = f"gate1:{head}:{base}"
    if key not in conn.memo:
        conn.memo[key] = _read(conn, head, bot, base)
    found: Gate1Record = conn.memo[key]
    return found


def forget_gate1(conn: Connection, head: str) -> None:
    """Drop what ``read_gate1`` remembers of ``head`` (after gatebot posted a new verdict)."""
    for key in [k for k in conn.memo if k.startswith(f"gate1:{head}:")]:
        del conn.memo[key]


def _read(conn: Connection, head: str, bot: Person, base: str) -> Gate1Record:
    app_id = conn.settings.app_id
    with translated(conn.secrets, f"reading gate 1's verdict on {head[:12]}"):
        checks = [CheckRun(r.conclusion if r.status == "completed" else None,
                           r.external_id or "")
                  for r in conn.repo.get_commit(head).get_check_runs(check_name=GATE1,
                                                                     filter="all")
                  if by_gatebot(r.app, app_id, bot)]
    needed = {ids.publish for ids in groups(checks)}
    runs = {i: workflow_run(conn, i) for i in sorted(needed)}
    record = judge(checks, runs, head=head, base=base, trust_unbound=app_id is not None)
    if record.counted or app_id is not None or bot.bot:
        return record
    return _status(conn, head, bot) or record


def workflow_run(conn: Connection, run_id: int) -> WorkflowRun | None:
    """Workflow run ``run_id`` as GitHub's Actions API answers, asked once per connection.

    None when there is none (404) or its answer lacks a field ``WorkflowRun`` needs.
    """
    key = f"workflow-run:{run_id}"
    if key not in conn.memo:
        conn.memo[key] = _run_of(workflow_run_data(conn, run_id))
    found: WorkflowRun | None = conn.memo[key]
    return found


def _run_of(data: Any) -> WorkflowRun | None:
    if not isinstance(data, dict):
        return None
    texts = [data.get(k) for k in ("path", "event", "head_sha", "display_title")]
    branch, conclusion = data.get("head_branch"), data.get("conclusion")
    if not all(isinstance(t, str) for t in texts) or not isinstance(data.get("id"), int):
        return None
    path, event, sha, title = (str(t) for t in texts)
    return WorkflowRun(int(data["id"]), path, event,
                       branch if isinstance(branch, str) else None, sha,
                       conclusion if isinstance(conclusion, str) else None, title)


def _status(conn: Connection, head: str, bot: Person) -> Gate1Record | None:
    """The newest ``gatebot/gate-1`` commit status ``bot`` created on ``head``, as a record."""
    with translated(conn.secrets, f"reading gate 1's verdict on {head[:12]}"):
        _, listed = conn.gh.requester.requestJsonAndCheck(
            "GET", f"{conn.repo.url}/commits/{head}/statuses", parameters={"per_page": 100})
    mine = [s for s in listed if s.get("context") == GATE1
            and (s.get("creator") or {}).get("id") == bot.id]
    if not mine:
        return None
    text = str(mine[0].get("description") or "")
    failed = text.split(": ", 1)[1].split(", ") if ": " in text else []
    if len(text) >= STATUS_TEXT:  # cut: the list may miss rules, so it is no list at all
        failed = ["(more rules than the status can name)"]
    return Gate1Record(mine[0].get("state") == "success", tuple(failed), (text,), None)

