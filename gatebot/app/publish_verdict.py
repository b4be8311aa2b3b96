"""``gatebot gate`` on ``workflow_run``: post the gate-1 verdict an unprivileged run uploaded.

gatebot-publish.yml downloads the ``gatebot-verdict`` artifact of the finished gatebot-pr.yml
run (the run the event names, ``run-id: github.event.workflow_run.id``) into the directory
``GATEBOT_VERDICT``, then runs ``gatebot gate``. The artifact is data written next to the
change's code: ``adapters.github.run_artifact`` validates it and ties it to the run through
GitHub's answers before anything is posted.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gatebot.core.workflow_run import PublishVerdict
from gatebot.errors import EXIT_OK, EXIT_REFUSED, UsageError

VERDICT_DIR = "GATEBOT_VERDICT"
"""The environment variable naming the directory the verdict artifact was downloaded to."""


def run_id(environ: Mapping[str, str]) -> int | None:
    """The id of the workflow run gatebot runs in (``GITHUB_RUN_ID``, set by GitHub Actions); None outside one."""
    value = environ.get("GITHUB_RUN_ID", "")
    return int(value) if value.isdigit() and len(value) < 20 else None


def publish_command(cwd: Path, intent: PublishVerdict, environ: Mapping[str, str]) -> int:
    """Post the verdict artifact of ``intent``'s run; 0 when it passed, 1 when it failed.

    Raises ``UsageError`` (exit 2) when ``GATEBOT_VERDICT`` is not set, ``ArtifactError``
    (exit 2) for an artifact that is malformed or not the run's (nothing posted), and
    ``EnvironmentProblem`` (exit 2) when GitHub refuses.
    """
    from gatebot.adapters.github.client import connect, env_settings  # noqa: PLC0415 - PyGithub
    from gatebot.adapters.github.run_artifact import publish_artifact  # noqa: PLC0415
    from gatebot.app.context import open_context  # noqa: PLC0415
    from gatebot.app.github_setup import repository_of  # noqa: PLC0415
    from gatebot.app.output import render_markdown  # noqa: PLC0415

    where = environ.get(VERDICT_DIR, "")
    if not where:
        raise UsageError(f"no verdict artifact to publish: {VERDICT_DIR} is not set",
                         "download the gatebot-verdict artifact of the workflow run "
                         "(actions/download-artifact with run-id) and set GATEBOT_VERDICT "
                         "to its directory, as gatebot-publish.yml does")
    base = open_context(cwd).config.base
    conn = connect(env_settings(repository=repository_of(cwd)))
    try:
        done = publish_artifact(conn, Path(where), intent, render_markdown, base=base,
                                publish_run=run_id(environ))
    finally:
        conn.close()
    how = {"check-run": "posted as a check run", "status": "posted as a commit status",
           "none": "its sticky comment updated"}[done.outcome.published.via] \
        if done.outcome.published.wrote else "already there: nothing written"
    moved = f"; task #{done.outcome.task} moved to RDY FOR PROD" if done.outcome.moved else ""
    print(f"gatebot gate: gate 1 {done.verdict.verdict} on pull request #{done.pull} "
          f"({how}){moved}", flush=True)
    return EXIT_OK if done.verdict.verdict == "pass" else EXIT_REFUSED
