"""The GitHub side of the staged landing: refs, check runs, reviews, dispatch, labels.

Every call goes through the shared connection (``gatebot.adapters.github.client.connect``: its
token or App, base URL, the retry policy with capped waits) and inside ``translated``, so a
GitHub error becomes an ``EnvironmentProblem`` (exit 2) whose text is GitHub's message with
every secret redacted. The base branch only ever moves by ``fast_forward``, a ``PATCH
/git/refs/heads/<base>`` with ``force: false``: GitHub refuses it (422) unless the new commit
descends from the branch's tip. A PATCH or DELETE that GitHub answers with a 5xx is retried by
the policy (both are idempotent: the same fast-forward applied twice is one move).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from github import GithubException, UnknownObjectException
from github.GitRef import GitRef
from github.PullRequest import PullRequest
from github.Repository import Repository

from gatebot.adapters.github.client import Connection, translated, workflow_run_data
from gatebot.adapters.github.labels import set_stage
from gatebot.adapters.github.reviews import read_reviews
from gatebot.adapters.github.writes import add_labels, date_header, post_comment
from gatebot.core.board import Stage
from gatebot.core.github_model import Person
from gatebot.core.landing import (
    STAGING_PREFIX,
    CheckRunFact,
    StagingRun,
    staging_attempt,
    staging_prefix,
    staging_run_of,
)
from gatebot.core.staging_watch import ListedRun

LISTED_RUNS = 100
"""The runs one listing of the staging workflow reads (GitHub's largest page)."""

NOT_FAST_FORWARD = 422
"""GitHub's status for a ref update it refuses (not a fast-forward, or the ref moved)."""


@dataclass(frozen=True)
class StagingRepo:
    """One repository seen by the landing: the connection ``conn`` and the base branch ``base``.

    Every method raises ``EnvironmentProblem`` (exit 2, redacted) for a GitHub error it does
    not handle itself. With ``remember`` (one command's process: ``gatebot land``, gate 2's
    staging), each task's staging branches and each pull request are read from GitHub once and
    then kept, the staging branches updated by this object's own pushes and deletions; without
    it (a test playing several jobs with one object) every call reads GitHub again.
    """

    conn: Connection
    base: str
    remember: bool = False
    _refs: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict, compare=False,
                                                         repr=False)
    _pulls: dict[int, PullRequest] = field(default_factory=dict, compare=False, repr=False)

    @property
    def repo(self) -> Repository:
        """The repository (PyGithub, lazy: no request)."""
        return self.conn.repo

    def _doing(self, what: str) -> AbstractContextManager[None]:
        return translated(self.conn.secrets, what)

    def ref_sha(self, branch: str) -> str | None:
        """The SHA branch ``branch`` points at now; None when it does not exist."""
        with self._doing(f"reading the branch {branch}"):
            try:
                return self.repo.get_git_ref(f"heads/{branch}").object.sha
            except UnknownObjectException:
                return None

    def staging_refs(self, number: int) -> list[tuple[int, str, str]]:
        """Task ``number``'s staging branches as ``(attempt, branch, sha)``, oldest first."""
        if number in self._refs:
            return list(self._refs[number])
        with self._doing(f"listing task #{number}'s staging branches"):
            found = _staging_by_task(
                self.repo.get_git_matching_refs(f"heads/{staging_prefix(number)}"))
        return self._keep(number, found.get(number, []))

    def _keep(self, number: int, found: list[tuple[int, str, str]]
              ) -> list[tuple[int, str, str]]:
        if self.remember:
            self._refs[number] = list(found)
        return found

    def pushed(self, number: int, attempt: int, branch: str, sha: str) -> None:
        """Note that this process pushed ``branch`` (task ``number``'s ``attempt``) at ``sha``."""
        if number in self._refs:
            self._refs[number] = sorted([*self._refs[number], (attempt, branch, sha)])

    def current(self, number: int) -> tuple[str, str] | None:
        """``(branch, sha)`` of task ``number``'s newest staging branch; None when unstaged."""
        found = self.staging_refs(number)
        return (found[-1][1], found[-1][2]) if found else None

    def staged_head(self, number: int) -> str | None:
        """The approved head that task ``number``'s staging commit merges; None when unstaged.

        That is the staging commit's second parent (the first is the base it was built on).
        """
        now = self.current(number)
        if now is None:
            return None
        with self._doing(f"reading the staging commit {now[1][:12]}"):
            found = self.repo.get_commit(now[1]).parents
            return found[1].sha if len(found) == 2 else None

    def staging_task(self, sha: str) -> int | None:
        """The task whose newest staging branch holds ``sha``; None if none does."""
        with self._doing("listing the staging branches"):
            found = _staging_by_task(
                self.repo.get_git_matching_refs(f"heads/{STAGING_PREFIX.rstrip('/')}"))
        for number, refs in found.items():
            self._keep(number, refs)
        return next((n for n, refs in found.items() if refs[-1][2] == sha), None)

    def delete_staging(self, number: int, *, keep: str | None = None) -> None:
        """Delete task ``number``'s staging branches, all but ``keep`` when given."""
        for _attempt, branch, _sha in self.staging_refs(number):
            if branch != keep:
                self.delete_branch(branch)
                if number in self._refs:
                    self._refs[number] = [r for r in self._refs[number] if r[1] != branch]

    def open_pull(self, branch: str | None, head: str) -> int | None:
        """The open pull request whose head SHA is ``head`` or whose head branch is ``branch``.

        The SHA decides first: a fork's branch may share its name with one of this repository.
        """
        with self._doing("listing the open pull requests"):
            pulls = list(self.repo.get_pulls(state="open", base=self.base))
        found = next((p for p in pulls if head and p.head.sha == head), None) or \
            next((p for p in pulls if p.head.ref == branch), None)
        return found.number if found else None

    def check_runs(self, sha: str) -> tuple[CheckRunFact, ...]:
        """Every check run GitHub holds for commit ``sha``, newest first, with its app."""
        with self._doing(f"reading the check runs of {sha[:12]}"):
            runs = self.repo.get_commit(sha).get_check_runs(filter="all")
            return tuple(CheckRunFact(r.name, r.app.slug if r.app else "", r.head_sha,
                                      r.status, r.conclusion, r.external_id or "",
                                      r.started_at)
                         for r in runs)

    def workflow_run(self, run_id: int) -> StagingRun | None:
        """Workflow run ``run_id`` as the Actions API reports it; None when there is none.

        (``GET /actions/runs/{id}``; the token needs ``actions: read``.) A run whose JSON
        lacks a field ``StagingRun`` needs counts as none, and so does a run whose head
        repository is not this one (a fork's).
        """
        data = workflow_run_data(self.conn, run_id)
        listed = _listed_run(data) if data is not None else None
        return listed.run if listed is not None and listed.own() else None

    def workflow_runs(self, workflow: str) -> tuple[list[ListedRun], datetime]:
        """The newest runs of ``workflow`` dispatched on the base branch, and GitHub's time.

        One request, ``GET .../actions/workflows/{workflow}/runs?branch=<base>&event=
        workflow_dispatch&per_page=100`` (the token needs ``actions: read``): at most the
        newest 100, newest first. A run whose JSON lacks a field ``StagingRun`` needs is left
        out. The time is the answer's ``Date`` header (GitHub's clock, as the check runs'
        times are), or this machine's when it has none.
        """
        with self._doing(f"listing the runs of {workflow}"):
            headers, data = self.conn.gh.requester.requestJsonAndCheck(
                "GET", f"{self.repo.url}/actions/workflows/{quote(workflow, safe='')}/runs",
                parameters={"branch": self.base, "event": "workflow_dispatch",
                            "per_page": LISTED_RUNS})
        found = []
        for item in (data or {}).get("workflow_runs") or []:
            listed = _listed_run(item)
            if listed is not None:
                found.append(listed)
        return found, date_header(headers)

    def record_check(self, sha: str, name: str, conclusion: str | None, *, summary: str,
                     external_id: str) -> None:
        """Create check run ``name`` on ``sha`` as this token's app.

        Completed with ``conclusion``, or queued (a run started, not finished) when it is None.
        """
        output: dict[str, Any] = {"title": f"{name}: {conclusion or 'queued'}",
                                  "summary": summary}
        with self._doing(f"recording the check run {name} on {sha[:12]}"):
            if conclusion is None:
                self.repo.create_check_run(name, sha, status="queued",
                                           external_id=external_id, output=output)
            else:
                self.repo.create_check_run(name, sha, status="completed",
                                           conclusion=conclusion, external_id=external_id,
                                           output=output)

    def dispatch(self, workflow: str, inputs: dict[str, str]) -> None:
        """Start ``workflow`` (a file name) by ``workflow_dispatch`` on the base branch.

        The run's definition is then the base branch's, whatever the change edits.
        """
        with self._doing(f"starting {workflow} (workflow_dispatch; the token needs "
                         "actions: write)"):
            self.conn.gh.requester.requestJsonAndCheck(
                "POST", f"{self.repo.url}/actions/workflows/{workflow}/dispatches",
                input={"ref": self.base, "inputs": inputs})

    def fast_forward(self, sha: str) -> bool:
        """Move the base branch to ``sha`` without force; False when GitHub refused (422).

        GitHub refuses unless ``sha`` descends from the branch's tip at that moment, so a
        base that moved since it was read is never overwritten.
        """
        with self._doing(f"fast-forwarding {self.base} to {sha[:12]}"):
            try:  # the request spelled out: the one write that moves the base branch
                self.conn.gh.requester.requestJsonAndCheck(
                    "PATCH", f"{self.repo.url}/git/refs/heads/{quote(self.base, safe='/')}",
                    input={"sha": sha, "force": False})
            except GithubException as exc:
                if exc.status == NOT_FAST_FORWARD:
                    return False
                raise
        return True

    def delete_branch(self, branch: str) -> None:
        """Delete ``branch`` if it exists (a staging branch once it is done with).

        The request is spelled out (``DELETE /git/refs/heads/<branch>``): a lazily built
        PyGithub ``GitRef`` would aim at the singular ``/git/ref/`` read URL.
        """
        with self._doing(f"deleting the branch {branch}"):
            try:
                self.conn.gh.requester.requestJsonAndCheck(
                    "DELETE", f"{self.repo.url}/git/refs/heads/{quote(branch, safe='/')}")
            except GithubException as exc:
                if exc.status not in (404, NOT_FAST_FORWARD):  # 404/422: already gone
                    raise

    def pull_head(self, number: int) -> tuple[str, str, str]:
        """Pull request ``number``'s (head branch, head SHA, author login)."""
        pull = self._pull(number)
        return pull.head.ref, pull.head.sha, pull.user.login

    def _pull(self, number: int) -> PullRequest:
        """Pull request ``number`` as GitHub has it (read once per process with ``remember``)."""
        if number in self._pulls:
            return self._pulls[number]
        with self._doing(f"reading pull request #{number}"):
            pull = self.repo.get_pull(number)
        if self.remember:
            self._pulls[number] = pull
        return pull

    def approvers(self, number: int, head: str, task: int, app: str = "github-actions"
                  ) -> tuple[str, ...]:
        """The eligible accounts whose standing review of pull request ``number`` approves ``head``.

        Decided as the review step decides it (``reviews.read_reviews``; ``task`` is the
        pull request's own): a later review by the same account replaces its approval, an
        approval of another commit does not count, and no builder ever counts — the task's
        claimants (past and present), the pull request's author, the people behind its
        commits and the pushers gate 1's counted verdict records (without that verdict, no
        one) — nor any bot. At most two are named (the gate-1 and gate-2 reviewers); none
        when ``head`` is no longer the pull request's head. ``app``: the slug of gatebot's
        App (``--checks-app``), whose gate-1 check runs are gatebot's when no App id is set.
        """
        bot = Person(None, f"{app}[bot]", True)  # only its slug is read: no request
        read = read_reviews(self.conn, number, bot, self.base, pull=self._pull(number))
        if read.facts.head != head:
            return ()
        found = read.approvals
        return tuple(p.login for p in (found.gate1, found.gate2) if p is not None)

    def set_stage(self, issue: int, stage: Stage) -> None:
        """Move issue ``issue`` to ``stage`` (``labels.set_stage``: the new label first)."""
        with self._doing(f"reading issue #{issue}"):
            target = self.repo.get_issue(issue)
        set_stage(self.conn, target, stage)

    def add_label(self, issue: int, label: str) -> None:
        """Add ``label`` (e.g. ``escalated``) to issue ``issue``; its other labels stay."""
        with self._doing(f"reading issue #{issue}"):
            target = self.repo.get_issue(issue)
        add_labels(self.conn, target, [label])

    def comment(self, issue: int, text: str) -> None:
        """Post ``text`` (Markdown the caller made safe) on issue or pull request ``issue``."""
        with self._doing(f"commenting on #{issue}"):
            post_comment(self.conn, issue, text)

    def close(self, issue: int) -> None:
        """Close issue ``issue`` as completed."""
        with self._doing(f"closing issue #{issue}"):
            self.repo.get_issue(issue).edit(state="closed", state_reason="completed")


def _listed_run(item: Any) -> ListedRun | None:
    """One item of a workflow-runs listing as a ``ListedRun``; None when a field is missing."""
    try:
        run = staging_run_of({"workflow_run": item})
    except ValueError:
        return None
    repository, head = item.get("repository"), item.get("head_repository")
    if not isinstance(repository, dict) or not isinstance(repository.get("full_name"), str):
        return None
    head_name = head.get("full_name") if isinstance(head, dict) else None
    return ListedRun(run, str(item.get("status") or ""), repository["full_name"],
                     head_name if isinstance(head_name, str) else None)


def _staging_by_task(refs: Iterable[GitRef]) -> dict[int, list[tuple[int, str, str]]]:
    """Staging branches ``refs`` grouped by task: ``(attempt, branch, sha)``, oldest first."""
    found: dict[int, list[tuple[int, str, str]]] = {}
    for ref in refs:
        parsed = staging_attempt(ref.ref)
        if parsed is not None:
            found.setdefault(parsed[0], []).append(
                (parsed[1], ref.ref.removeprefix("refs/heads/"), ref.object.sha))
    return {number: sorted(refs) for number, refs in found.items()}
