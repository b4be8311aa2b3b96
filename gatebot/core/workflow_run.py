"""The ``workflow_run`` event of gatebot-publish.yml, and whose verdict an artifact may post. Pure.

gatebot-pr.yml runs gate 1 on a pull request's code with a read-only token and uploads the
verdict as an artifact; its finished run starts gatebot-publish.yml (``workflow_run``), whose
token may write. Everything in the artifact may have been written by the change, so what it is
about comes from GitHub alone: the commit is ``workflow_run.head_sha`` of the event GitHub
sent, and the pull request the artifact names is accepted only when GitHub's own answer for
that pull request (``PullSeen``, read by the caller) has exactly that head, from the head
repository the run names, into the repository's configured base branch (a pull request
with the same head into another branch was judged against that branch's rules), and — when
the event lists the run's pull requests, which it does not for a fork's — is one of them
(``refusal``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

PR_WORKFLOW = "gatebot-pr.yml"
"""The unprivileged gate-1 workflow whose verdict artifact gatebot-publish.yml posts."""

SHA = r"^[0-9a-f]{40}$|^[0-9a-f]{64}$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, regex_engine="python-re")


class RunRepository(_Model):
    """A repository as a ``workflow_run`` payload names it: ``full_name`` (``owner/name``)."""

    full_name: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")


class RunPull(_Model):
    """One of the run's pull requests as the payload lists it (same-repository ones only)."""

    number: int = Field(gt=0)


class RunActor(_Model):
    """Who started the run (``workflow_run.actor``): for a push, who pushed the head."""

    id: int
    login: str


class Run(_Model):
    """The ``workflow_run`` object: only the fields gatebot reads."""

    id: int
    path: str
    event: str
    conclusion: str | None = None
    head_sha: str = Field(pattern=SHA)
    head_repository: RunRepository | None = None
    repository: RunRepository
    pull_requests: list[RunPull] = Field(default_factory=list)
    html_url: str | None = None
    actor: RunActor | None = None


class RunEvent(_Model):
    """The ``workflow_run`` event's payload."""

    action: str
    workflow_run: Run


@dataclass(frozen=True)
class PublishVerdict:
    """Post the gate-1 verdict artifact of gatebot-pr.yml run ``run_id``.

    ``head_sha``: the commit the run tested, as GitHub's event says; ``head_repo`` /
    ``base_repo``: ``owner/name`` of the head's repository (a fork's differs) and of this
    one; ``pulls``: the run's pull requests as the event lists them (empty for a fork's);
    ``url``: the run's page, for the check run's details; ``pusher``: the run's actor as
    ``(id, login)`` when the run was started by a push (None otherwise).
    """

    run_id: int
    head_sha: str
    head_repo: str
    base_repo: str
    pulls: tuple[int, ...]
    url: str | None
    pusher: tuple[int, str] | None = None


@dataclass(frozen=True)
class PullSeen:
    """A pull request as GitHub's API answers for it now (never as the artifact says)."""

    number: int
    state: str
    head_sha: str
    head_repo: str | None
    base_repo: str
    base_ref: str
    """The branch the pull request is into (``base.ref``)."""


def workflow_path(path: str) -> str:
    """A workflow run's ``path`` without the ``@<ref>`` GitHub may append to it.

    ``.github/workflows/x.yml@refs/pull/7/merge`` → ``.github/workflows/x.yml``.
    """
    return path.split("@", 1)[0]


def workflow_file(path: str) -> str:
    """The workflow's file name (``x.yml``) of a run's ``path`` (``workflow_path``'s last part)."""
    return workflow_path(path).rsplit("/", 1)[-1]


def publish_of(event: RunEvent) -> PublishVerdict | str:
    """The publish intent of a ``workflow_run`` event, or the reason there is nothing to do.

    Only a completed, successful run of gatebot-pr.yml started by ``pull_request`` has a
    verdict to post; the staging workflow's runs are ``gatebot land``'s.
    """
    run = event.workflow_run
    workflow = workflow_file(run.path)
    if event.action != "completed":
        return f"workflow run {run.id} is {event.action}, not completed"
    if workflow != PR_WORKFLOW or run.event not in ("pull_request", "pull_request_target"):
        return (f"workflow run {run.id} is not {PR_WORKFLOW} on a pull request: its result "
                "is not a gate-1 verdict (staging runs are landed by `gatebot land`)")
    if run.conclusion != "success":
        return (f"workflow run {run.id} ended {run.conclusion or 'without a conclusion'}: it "
                "uploaded no verdict to post (its own log says why)")
    head_repo = (run.head_repository or run.repository).full_name
    pusher = (run.actor.id, run.actor.login) if run.actor is not None else None
    return PublishVerdict(run.id, run.head_sha, head_repo, run.repository.full_name,
                          tuple(p.number for p in run.pull_requests), run.html_url, pusher)


def refusal(claimed: int, intent: PublishVerdict, seen: PullSeen | None, *,
            base: str) -> str | None:
    """Why the artifact's pull request ``claimed`` is not the run's; None when it is.

    ``seen`` is GitHub's answer for pull request ``claimed`` (None: there is none). It must be
    open, into this repository's branch ``base`` (the configured base branch), with the head
    commit and head repository the event names, and among the event's pull requests when it
    lists any.
    """
    if intent.pulls and claimed not in intent.pulls:
        listed = ", ".join(f"#{n}" for n in intent.pulls)
        return f"the artifact names pull request #{claimed}, the run was for {listed}"
    if seen is None:
        return f"the artifact names pull request #{claimed}, which does not exist"
    checks = (
        (seen.state != "open", f"pull request #{claimed} is {seen.state}, not open"),
        (seen.base_repo.casefold() != intent.base_repo.casefold(),
         f"pull request #{claimed} is not into {intent.base_repo}"),
        (seen.base_ref != base,
         f"pull request #{claimed} is into the branch {seen.base_ref}, not {base}: its gate 1 "
         "would be judged by another branch's rules"),
        (seen.head_sha != intent.head_sha,
         f"pull request #{claimed}'s head is {seen.head_sha[:12]}, the run tested "
         f"{intent.head_sha[:12]}"),
        ((seen.head_repo or "").casefold() != intent.head_repo.casefold(),
         f"pull request #{claimed} comes from {seen.head_repo or 'a deleted repository'}, "
         f"the run tested a commit of {intent.head_repo}"),
    )
    return next((why for wrong, why in checks if wrong), None)
