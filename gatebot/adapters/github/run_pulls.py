"""The pull requests GitHub ties to a finished workflow run, as the API answers for them now.

For the review hop (``gatebot.core.review_run``): the pull requests the ``workflow_run`` event
lists, each read again (``GET /pulls/{n}``, one request each), or, when it lists none (a
fork's run), the open pull requests into the base branch (``GET /pulls?state=open&base=…``,
paged). Nothing here comes from the run's own output.
"""

from __future__ import annotations

from github.PullRequest import PullRequest

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.run_artifact import pull_seen
from gatebot.core.review_run import ReviewRun
from gatebot.core.workflow_run import PullSeen


def pulls_of_run(conn: Connection, run: ReviewRun, *, base: str) -> list[PullSeen]:
    """GitHub's answers for ``run``'s candidate pull requests (module doc), in number order.

    A listed pull request GitHub has no more (404) is left out. Raises ``EnvironmentProblem``
    (exit 2, redacted) for any other GitHub error.
    """
    if run.pulls:
        found = (pull_seen(conn, number) for number in sorted(run.pulls))
        return [pull for pull in found if pull is not None]
    with translated(conn.secrets, f"listing the open pull requests into {base}"):
        return sorted((_seen(pull) for pull in conn.repo.get_pulls(state="open", base=base)),
                      key=lambda pull: pull.number)


def _seen(pull: PullRequest) -> PullSeen:
    head_repo = pull.head.repo.full_name if pull.head.repo is not None else None
    return PullSeen(pull.number, pull.state, pull.head.sha, head_repo,
                    pull.base.repo.full_name, pull.base.ref)
