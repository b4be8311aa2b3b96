"""The privileged half of gate 1: post the verdict artifact an unprivileged run uploaded.

``publish_artifact`` reads the artifact as untrusted data (``adapters.verdict_artifact``: the
documented shape only, both of its SHAs equal to the head SHA GitHub's ``workflow_run`` event
names), asks GitHub about the pull request the artifact names (``pull_seen``) and refuses it
unless GitHub's answer ties it to the run and to the configured base branch
(``core.workflow_run.refusal``). Only then does it
post what ``gate_one`` posts for gate 1: the check run, the sticky comment, and the stage
label when an eligible approval stands. Nothing is posted when anything does not hold.

The check run names this publish run and the gatebot-pr.yml run whose artifact it posts
(``RunIds``): only so does it count at review time (``gatebot.core.gate1_runs``). The run's
actor is recorded as the head's pusher only when the artifact says a push started the run
(``PUSH_ACTIONS``; an older artifact says nothing and counts as a push): a label or
ready-for-review starts a run as someone who pushed nothing. The artifact is the change's
word, but it can only withhold a pusher, and then gate 1's earlier verdict on the head names
them, or no approval counts until one does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from github import GithubException

from gatebot.adapters.github.client import Connection, translated
from gatebot.adapters.github.gate import GateOutcome, gate_one
from gatebot.adapters.verdict_artifact import ArtifactError, read_verdict_artifact
from gatebot.core.events import PUSH_ACTIONS
from gatebot.core.gate1_runs import RunIds
from gatebot.core.github_model import Person
from gatebot.core.verdict import Verdict
from gatebot.core.workflow_run import PublishVerdict, PullSeen, refusal


@dataclass(frozen=True)
class Posted:
    """What was posted: the verdict on pull request ``pull``, and what ``gate_one`` did."""

    pull: int
    verdict: Verdict
    outcome: GateOutcome


def pull_seen(conn: Connection, number: int) -> PullSeen | None:
    """Pull request ``number`` as GitHub answers now; None when GitHub has none (404).

    Raises ``EnvironmentProblem`` (exit 2, redacted) for any other GitHub error.
    """
    with translated(conn.secrets, f"reading pull request #{number}"):
        try:
            pull = conn.repo.get_pull(number)
            head_repo = pull.head.repo.full_name if pull.head.repo is not None else None
            return PullSeen(pull.number, pull.state, pull.head.sha, head_repo,
                            pull.base.repo.full_name, pull.base.ref)
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise


def publish_artifact(conn: Connection, directory: Path, intent: PublishVerdict,
                     render: Callable[[Verdict], str], *, base: str,
                     publish_run: int | None = None) -> Posted:
    """Validate the artifact in ``directory`` against ``intent`` and GitHub, then post it.

    ``render`` makes the verdict's Markdown summary; ``base`` is the configured base branch,
    the only one whose pull requests gate 1 is posted on; ``publish_run`` this workflow run's
    id (``GITHUB_RUN_ID``; None: the check run names no runs and counts only for a
    configured App). Raises ``ArtifactError`` (exit 2) when the
    artifact is malformed, about another commit, or names a pull request GitHub does not tie
    to the run (nothing posted); ``EnvironmentProblem`` (exit 2) on GitHub errors.
    """
    artifact = read_verdict_artifact(directory, head_sha=intent.head_sha)
    why = refusal(artifact.pull_request, intent, pull_seen(conn, artifact.pull_request),
                  base=base)
    if why is not None:
        raise ArtifactError(f"the verdict artifact of workflow run {intent.run_id} was "
                            f"refused: {why}",
                            "nothing was posted; push again or re-run the gatebot-pr "
                            "workflow (an artifact is only posted for the pull request and "
                            "commit GitHub says the run tested)")
    verdict = replace(artifact.verdict, task=None, actor=None)  # the artifact's say-so: dropped
    pushed = artifact.action is None or artifact.action in PUSH_ACTIONS
    pusher = Person(*intent.pusher) if intent.pusher and pushed else None
    runs = RunIds(publish_run, intent.run_id) if publish_run is not None else None
    outcome = gate_one(conn, artifact.pull_request, verdict, render(verdict), log_url=intent.url,
                       pusher=pusher, runs=runs, base=base)
    return Posted(artifact.pull_request, verdict, outcome)
