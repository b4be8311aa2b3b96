"""The staged landing of GitHub mode: stage after gate 2, land what the staging checks passed.

Bors-style (issue 10 §1): ``stage`` builds the ``--no-ff`` release commit with plumbing only
(``git merge-tree --write-tree``, the board files edited inside the tree, today's trailers and
``Gatebot-Attempt``), never checking out or running the change, pushes it to a new branch
``gatebot/staging/<N>/<k>`` (never by force; the task's older ones are deleted) and dispatches
``gatebot-staging.yml`` on the base branch with the staging SHA. ``record_run`` turns the
finished staging workflow run into the ``gatebot/staging`` check run on that SHA. ``land``
reads everything again (the base still the staging commit's first parent, the approvals still
on its second parent, the required check runs of the expected app green for that SHA) and
fast-forwards the base to it without force; a moved base rebuilds (at most ``merge.retries``
times, then escalates), failed checks or a voided approval send the task back to REVIEW.
Nothing of the branch reaches the base in any failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gatebot.adapters.event_file import read_event
from gatebot.adapters.git import Person
from gatebot.adapters.github.client import connect, env_settings
from gatebot.adapters.github_staging import StagingRepo
from gatebot.adapters.local import BOT_COMMITTER, BOT_IDENTITY, TRAILERS_FORMAT, split_trailers
from gatebot.app import gate1, merge
from gatebot.app.context import Context, open_context
from gatebot.app.transitions import now as clock
from gatebot.core import archive, escalation
from gatebot.core.board import Stage
from gatebot.core.facts import Change
from gatebot.core.landing import (
    INTERRUPTED,
    STAGING_CHECK,
    STAGING_WORKFLOW,
    CheckRunFact,
    Landing,
    LandingFacts,
    StagingRun,
    decide,
    parents,
    staged_sha,
    staging_branch,
    staging_prefix,
    staging_run_of,
)
from gatebot.core.printable import printable
from gatebot.core.protocol import Identity
from gatebot.errors import EXIT_OK, EXIT_REFUSED, Refused, UsageError
from gatebot.ports import PushRefused


@dataclass(frozen=True)
class Target:
    """What is landed where: ``task`` (its issue number) through pull request ``pull``.

    ``app``: the slug of the app whose check runs count (``github-actions`` for the
    workflow's own token); ``required``: the check names that must pass on the staging SHA.
    """

    api: StagingRepo
    task: int
    pull: int
    app: str = "github-actions"
    required: tuple[str, ...] = (STAGING_CHECK,)


@dataclass(frozen=True)
class Result:
    """What a step did, a message for people, and the commit it concerns.

    ``state``: staged, recorded, ignored, landed, waiting, rebuilt, back-to-review or
    escalated.
    """

    state: str
    message: str
    sha: str | None = None


def stage(ctx: Context, target: Target, cand: merge.Candidate, *, attempt: int = 1) -> Result:
    """Build the release commit of ``cand`` on the base tip, push it to staging, dispatch.

    A task already released on the base (the merge queue landed it meanwhile) is not
    staged again: its staging branches are deleted and the result is ``landed``. Raises
    ``Refused`` when ``gate-files`` needs a maintainer, ``PushRefused`` when the remote
    refuses the staging push.
    """
    tip, _ = ctx.forge.fetch_tip([cand.branch])
    done = merge.released_commit(ctx, target.task, tip)
    if done is not None:  # the merge queue (or another job) released it meanwhile
        target.api.delete_staging(target.task)
        return Result("landed", f"task #{target.task} was released already as {done[:12]}; "
                      "nothing staged", done)
    fetch_head(ctx, target, cand.head)
    merge.gate_files_rule(ctx, cand, tip)
    judged = merge.rejudge(ctx, cand, tip)
    if any(r.status in ("fail", "error") for r in judged):
        outcome = merge.refuse_rejudged(ctx, cand, tip, judged, dry_run=False)
        return _back_to_review(target, outcome.message)
    tree = ctx.git.merge_tree(tip, cand.head)
    if tree is None:
        outcome = merge.escalate_conflict(ctx, cand, conflicted(ctx, tip, cand.head), [], tip)
        target.api.set_stage(target.task, Stage.REVIEW)
        return Result("escalated", outcome.message)
    commit = release_commit(ctx, target, cand, tip, tree=tree, attempt=attempt)
    branch = push_staging(ctx, target, commit)
    target.api.dispatch(STAGING_WORKFLOW, {"sha": commit, "task": str(target.task)})
    return Result("staged", f"task #{target.task}: {commit[:12]} pushed to {branch} "
                  f"(build {attempt}); {STAGING_WORKFLOW} dispatched", commit)


def fetch_head(ctx: Context, target: Target, head: str) -> None:
    """Have the approved ``head`` commit here, also when it is a fork's.

    A fork's branch is not on this repository's remote, but GitHub keeps every pull
    request's head at ``refs/pull/<P>/head``: fetched as data (objects only, no ref, nothing
    checked out). Raises ``Refused`` when the remote no longer has that commit there (a push
    after the approvals moved it).
    """
    if _has_commit(ctx, head) or ctx.forge.remote is None:
        return
    ctx.git.run("fetch", "--no-tags", "--quiet", ctx.forge.remote,
                f"refs/pull/{target.pull}/head", check=False)
    if not _has_commit(ctx, head):
        raise Refused(f"pull request #{target.pull}'s approved head {head[:12]} cannot be "
                      f"fetched from the remote (refs/pull/{target.pull}/head moved on)",
                      "the approvals were for another commit: review the new head")


def _has_commit(ctx: Context, sha: str) -> bool:
    return ctx.git.run("cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0


def conflicted(ctx: Context, tip: str, head: str) -> tuple[str, ...]:
    """The files ``git merge-tree`` cannot merge between ``tip`` and ``head``."""
    out = ctx.git.run("merge-tree", "--write-tree", "--name-only", "--no-messages", tip, head,
                      check=False).stdout
    return tuple(dict.fromkeys(line for line in out.splitlines()[1:] if line))


def release_commit(ctx: Context, target: Target, cand: merge.Candidate, tip: str, *,
                   tree: str, attempt: int) -> str:
    """The release commit (parents ``tip`` and the approved head) on the merged ``tree``.

    The board files are edited as the local landing's release commit edits them; the
    message carries the same trailers plus ``Gatebot-Attempt`` (builds so far). No work
    tree, no index of the user's, no ref is touched.
    """
    now, board = clock(), ctx.config.board
    read = ctx.files.reader(tip, prefetch=(
        board.todo, board.current_state, archive.archive_path(now.date(), board.archive_dir)))
    tests = archive.tests_field(list(target.required), "run on the staging commit")
    # coverage: "n/a" — a pull request review records no coverage figure, and the staging
    # checks, not gate 1's run, are what this commit is tested by (and reading the approvals
    # again here would cost eight requests for that one field)
    files = merge.release_files(ctx, read, cand, tip, now=now, tests=tests, coverage="n/a")
    encoded = {p: t.encode("utf-8", "surrogateescape") for p, t in files.items()}
    message = merge.release_message(cand, tip) + f"Gatebot-Attempt: {attempt}\n"
    return ctx.git.commit_files(tip, encoded, message, identity=Person(
        cand.actor, cand.actor if "@" in cand.actor else f"{cand.actor}@gatebot.invalid"),
        committer=BOT_IDENTITY, extra_parents=[cand.head], tree_from=tree)


def push_staging(ctx: Context, target: Target, commit: str) -> str:
    """Push ``commit`` to a new staging branch of the task; that branch's name.

    The branch is ``gatebot/staging/<N>/<k>`` with ``k`` one past the task's newest, pushed
    as a new ref (no force of any kind: git refuses it if the ref exists); the task's older
    staging branches are deleted after. Raises ``PushRefused`` naming git's answer.
    """
    remote = ctx.forge.remote
    if remote is None:
        raise UsageError("the staged landing needs a remote to push the staging branch to",
                         "clone the repository from GitHub, or set merge.remote")
    older = target.api.staging_refs(target.task)
    attempt = (older[-1][0] if older else 0) + 1
    branch = staging_branch(target.task, attempt)
    result = ctx.git.run("push", "--porcelain", remote, f"{commit}:refs/heads/{branch}",
                         check=False)
    if result.returncode != 0:
        raise PushRefused(f"the push of {branch} was refused: "
                          f"{(result.stderr + result.stdout).strip()}",
                          "check that the token may push to gatebot/staging/*")
    target.api.pushed(target.task, attempt, branch, commit)
    target.api.delete_staging(target.task, keep=branch)
    return branch


def record_run(ctx: Context, target: Target, run: StagingRun) -> Result:
    """Record a finished staging workflow run as the ``gatebot/staging`` check run.

    Only a run of ``gatebot-staging.yml`` dispatched on the base branch counts, and only
    for the SHA the task's staging branch holds now; anything else is ignored.
    """
    sha = staged_sha(run, ctx.config.base)
    if sha is None:
        return Result("ignored", f"workflow run {run.run_id} is not {STAGING_WORKFLOW} "
                      f"dispatched on {ctx.config.base}: not a staging result")
    now = target.api.current(target.task)
    if now is None or sha != now[1]:
        return Result("ignored", f"workflow run {run.run_id} tested {sha[:12]}, which is no "
                      f"longer task #{target.task}'s staging commit")
    conclusion = run.conclusion if run.conclusion in ("success", *INTERRUPTED) else "failure"
    target.api.record_check(sha, STAGING_CHECK, conclusion, external_id=str(run.run_id),
                            summary=f"{STAGING_WORKFLOW} run {run.run_id}: {run.conclusion}")
    return Result("recorded", f"{STAGING_CHECK}: {conclusion} on {sha[:12]}", sha)


def read_facts(ctx: Context, target: Target, known: StagingRun | None = None,
               ) -> tuple[LandingFacts, dict[str, str], str]:
    """What ``land`` decides on, read now: facts, the staging commit's trailers, the branch.

    ``known``: a staging workflow run already read from GitHub (``vouched``). Raises ``Refused`` when the task has no staging commit.
    """
    api, now = target.api, target.api.current(target.task)
    if now is None or ctx.forge.remote is None:
        raise Refused(f"task #{target.task} has no staging commit (no branch "
                      f"{staging_prefix(target.task)}* exists)",
                      "gate 2 stages a task when its second approval arrives")
    branch, staging = now
    ctx.git.fetch(ctx.forge.remote, branch)
    base, head = parents(ctx.git.out("rev-list", "--parents", "-n1", staging).split()[1:])
    trailers = split_trailers(ctx.git.out("log", "-1", f"--format={TRAILERS_FORMAT}", staging))
    head_branch, head_now, _author = api.pull_head(target.pull)
    facts = LandingFacts(
        staging=staging, recorded_base=base, approved_head=head,
        base_now=api.ref_sha(ctx.config.base) or "", head_now=head_now,
        approvers=api.approvers(target.pull, head_now, target.task, target.app),
        checks=vouched(api, staging, api.check_runs(staging), target.app, known),
        required=target.required, app=target.app,
        attempt=int(trailers.get("Gatebot-Attempt", "1")), retries=ctx.config.merge.retries)
    return facts, trailers, head_branch


def vouched(api: StagingRepo, staging: str, checks: tuple[CheckRunFact, ...], app: str,
            known: StagingRun | None = None) -> tuple[CheckRunFact, ...]:
    """``checks`` without the passing ``gatebot/staging`` runs no staging workflow run backs.

    Any workflow holding a token of ``app`` can post a green ``gatebot/staging`` check run;
    the workflow run it names (its ``external_id``, as ``record_run`` sets it) cannot be
    forged: it must be ``gatebot-staging.yml`` started by ``workflow_dispatch`` on the base
    branch, titled with ``staging``, and concluded ``success``. A passing check run without
    one is dropped, as if never posted; red and unfinished ones stay (they land nothing).
    One Actions API request per passing check run of ``app`` on ``staging``, none for the
    run ``known`` (the one GitHub's own ``workflow_run`` event just reported).
    """
    kept = []
    for check in checks:
        if check.name == STAGING_CHECK and check.app_slug == app \
                and check.head_sha == staging and check.status == "completed" \
                and check.conclusion in ("success", "neutral", "skipped"):
            run = known if known and check.external_id == str(known.run_id) else \
                api.workflow_run(int(check.external_id)) if check.external_id.isdigit() else None
            if run is None or staged_sha(run, api.base) != staging \
                    or run.conclusion != "success":
                continue
        kept.append(check)
    return tuple(kept)


def land(ctx: Context, target: Target, known: StagingRun | None = None) -> Result:
    """Fast-forward the base to the task's staging commit if everything still holds.

    ``known``: the staging workflow run of the ``workflow_run`` event being handled, if any.

    Otherwise wait, rebuild, escalate or send the task back (``core.landing.decide``).
    The base moves only by a ``force: false`` ref update, which GitHub refuses unless it
    is a fast-forward. Raises ``Refused`` when there is no staging commit.
    """
    facts, trailers, head_branch = read_facts(ctx, target, known)
    why = forged(ctx, facts.staging, facts.recorded_base, facts.approved_head)
    if why is not None:
        return _refuse_forged(target, facts.staging, why)
    decision = decide(facts)
    if decision.action == "fast-forward" and not target.api.fast_forward(facts.staging):
        decision = refused_fast_forward(facts)
    if decision.action in ("fast-forward", "landed"):
        target.api.set_stage(target.task, Stage.RELEASED)
        target.api.close(target.task)
        target.api.delete_staging(target.task)
        return Result("landed", f"task #{target.task} landed: {ctx.config.base} is now "
                      f"{facts.staging[:12]}", facts.staging)
    if decision.action == "wait":
        return Result("waiting", decision.reason, facts.staging)
    if decision.action == "rerun":
        return rerun(target, facts.staging, decision.reason)
    cand = candidate(ctx, target, trailers, head_branch, facts.approved_head)
    return _carry_out(ctx, target, cand, decision, facts)


def forged(ctx: Context, staging: str, base: str, head: str) -> str | None:
    """Why ``staging`` is not a commit gatebot built on ``base`` and ``head``; None if it is.

    Anyone who may push can push a ``gatebot/staging/<N>/<k>`` branch and start the staging
    workflow on it, so the branch proves nothing: gatebot's own staging commit is committed
    by gatebot and its tree is ``git merge-tree`` of its two parents with only the board
    files (TODO.md, CURRENT_STATE.md, the archive directory) edited. A commit with the same
    parents and one more file fails the tree comparison. The board files' content is not
    rebuilt (it names the minute it was built).
    """
    committer = ctx.git.out("log", "-1", "--format=%cn <%ce>", staging)
    if committer != BOT_COMMITTER:
        return f"it was committed by {printable(committer)}, not by gatebot"
    return not_the_merge(ctx, staging, base, head)


def not_the_merge(ctx: Context, staging: str, base: str, head: str) -> str | None:
    """Why ``staging``'s tree is not the merge of ``base`` and ``head``; None when it is.

    ``forged``'s tree comparison without its committer check: the tree must be ``git
    merge-tree`` of the two with only the board files edited.
    """
    merged = ctx.git.merge_tree(base, head)
    if merged is None:
        return "its parents do not merge without conflicts, so gatebot built no tree for it"
    board = ctx.config.board
    archive_dir = board.archive_dir.rstrip("/") + "/"
    changed = [p for p in ctx.git.out("diff-tree", "-r", "-z", "--name-only", merged,
                                      f"{staging}^{{tree}}").split("\0") if p]
    extra = [p for p in changed if p not in (board.todo, board.current_state)
             and not p.startswith(archive_dir)]
    if extra:
        return (f"its tree is not the merge of its parents: {len(extra)} file(s) differ "
                f"outside the board files, e.g. {printable(extra[0])}")
    return None


def _refuse_forged(target: Target, sha: str, why: str) -> Result:
    """Land nothing from a staging commit gatebot did not build; escalate to a maintainer."""
    message = (f"task #{target.task}: the staging commit {sha[:12]} is not the one gatebot "
               f"built ({why}); nothing lands. A maintainer should find out who pushed it, "
               f"delete that staging branch and run `gatebot land --task {target.task}` again")
    target.api.add_label(target.task, "escalated")
    target.api.comment(target.pull, "gatebot: " + message.replace("<", "&lt;"))
    return Result("escalated", message, sha)


def refused_fast_forward(facts: LandingFacts) -> Landing:
    """What follows GitHub's 422 on the fast-forward: rebuild, or escalate past the retries.

    GitHub refuses when the base moved between the read and the write; each refusal costs a
    build (``facts.attempt``), so a base that keeps moving — or a refusal that keeps coming —
    escalates after ``merge.retries`` builds instead of rebuilding forever.
    """
    if facts.attempt > facts.retries:
        return Landing("escalate", f"GitHub refused the fast-forward of the base branch "
                       f"after {facts.attempt} staging builds (not a fast-forward)")
    return Landing("rebuild", "GitHub refused the fast-forward: the base branch moved "
                   "before it")


def _carry_out(ctx: Context, target: Target, cand: merge.Candidate, decision: Landing,
               facts: LandingFacts) -> Result:
    if decision.action == "rebuild":
        done = stage(ctx, target, cand, attempt=facts.attempt + 1)
        return Result("rebuilt" if done.state == "staged" else done.state,
                      f"{decision.reason}; {done.message}", done.sha)
    target.api.delete_staging(target.task)
    if decision.action == "escalate" and decision.interrupted:
        esc = escalation.staging_interrupted(target.task, decision.reason,
                                             f"gatebot land --task {target.task}")
        merge.flag_escalation(ctx, cand, esc)
        target.api.add_label(target.task, "escalated")
        return Result("escalated", f"task #{target.task}: {esc.title}\n"
                      + escalation.render(esc))
    if decision.action == "escalate":
        outcome = merge.escalate_push(ctx, cand, facts.attempt, decision.reason, moving=True)
        target.api.add_label(target.task, "escalated")
        return Result("escalated", outcome.message + "\n" + outcome.escalation_text)
    details = {"Failed checks": ", ".join(decision.failed)} if decision.failed else {}
    merge.send_back(ctx, cand, "merge-failed", decision.reason, details)
    return _back_to_review(target, f"task #{target.task} back to REVIEW: {decision.reason}")


def rerun(target: Target, sha: str, reason: str) -> Result:
    """Start the staging checks again on ``sha`` after a cancelled or timed-out run.

    A queued ``gatebot/staging`` check run marks the re-run, so the landing waits for it
    (a second event meanwhile dispatches nothing more).
    """
    target.api.record_check(sha, STAGING_CHECK, None, external_id="rerun",
                            summary=f"{reason}: {STAGING_WORKFLOW} dispatched again")
    target.api.dispatch(STAGING_WORKFLOW, {"sha": sha, "task": str(target.task)})
    return Result("rerun", f"task #{target.task}: {reason}", sha)


def _back_to_review(target: Target, message: str) -> Result:
    target.api.set_stage(target.task, Stage.REVIEW)
    target.api.comment(target.pull, "gatebot: " + message.replace("<", "&lt;"))
    return Result("back-to-review", message)


def candidate(ctx: Context, target: Target, trailers: dict[str, str], branch: str,
              head: str) -> merge.Candidate:
    """The landing's candidate again, from the staging commit's trailers and the board.

    The reviewers are the ones the staging commit names; the builders are read again.
    """
    tip = ctx.forge.tip()
    task = ctx.board(tip).task(target.task)
    reviewers = [r.strip() for r in trailers.get("Gatebot-Reviewed-by", "").split(",")]
    first = Identity(reviewers[0] if reviewers else "")
    second = Identity(trailers.get("Gatebot-Actor", reviewers[-1] if reviewers else ""))
    base = ctx.git.merge_base(tip, head) or tip
    people = tuple(gate1.builders(ctx, task, Change(tip, head, base, ())))
    return merge.Candidate(task, branch, head, first, second, people)


def land_command(cwd: Path, *, task: int | None, pull: int | None, workflow_run: str | None,
                 checks_app: str) -> int:
    """``gatebot land``: record a finished staging run (``--workflow-run``), then land.

    The task is ``--task``, else the one whose staging branch holds the run's SHA; the pull
    request is ``--pull``, else the open one from the task's branch. Exit 0 when landed,
    recorded, waiting, re-run (an interrupted staging run dispatched again) or ignored; 1 when the task went back to REVIEW or was escalated;
    2 when the task, its pull request or GitHub's environment cannot be found. GitHub is
    reached as every github command reaches it (``adapters.github.client``: a token or a
    GitHub App, retries with capped waits, tokens kept out of every message).
    """
    from gatebot.app.github_setup import repository_of  # noqa: PLC0415

    ctx = open_context(cwd)
    conn = connect(env_settings(repository=repository_of(ctx.git.root)))
    api = StagingRepo(conn, ctx.config.base, remember=True)
    run = _run_of(workflow_run) if workflow_run else None
    sha = staged_sha(run, ctx.config.base) if run else None
    if run and sha is None:
        print(f"gatebot land: workflow run {run.run_id} is not {STAGING_WORKFLOW} dispatched "
              f"on {ctx.config.base}: nothing to do")
        return EXIT_OK
    number = task or (api.staging_task(sha) if sha else None)
    if number is None and run is not None and sha is not None:
        from gatebot.app.queue_github import land_queue_run  # noqa: PLC0415 - the queue's

        code = land_queue_run(cwd, run, sha, api)
        if code is not None:
            return code
    if number is None and run is not None and sha is not None and _on_base(ctx, sha):
        print(f"gatebot land: workflow run {run.run_id}'s commit {sha[:12]} is already on "
              f"{ctx.config.base}: nothing to do")
        return EXIT_OK
    if number is None:
        raise UsageError("which task? no staging branch holds the run's commit" if sha else
                         "which task? pass --task N", "pass --task N (the task's issue number)")
    target = Target(api, number, pull or _pull_of(ctx, api, number), app=checks_app)
    if run:
        print(f"gatebot land: {record_run(ctx, target, run).message}")
    done = land(ctx, target, run)
    print(f"gatebot land: {done.message}")
    return EXIT_REFUSED if done.state in ("back-to-review", "escalated") else EXIT_OK


def _on_base(ctx: Context, sha: str) -> bool:
    """Whether commit ``sha`` is on the base branch's current tip (fetched first).

    True when a staging run's event comes after its landing: GitHub redelivered it, or a
    second job handles the same run.
    """
    return ctx.git.merge_base(sha, ctx.forge.tip()) == sha


def _run_of(path: str) -> StagingRun:
    try:
        return staging_run_of(read_event(Path(path)))
    except ValueError as exc:
        raise UsageError(f"{printable(path)}: not a workflow_run event: {exc}",
                         "pass the workflow_run event's payload ($GITHUB_EVENT_PATH)") from exc


def _pull_of(ctx: Context, api: StagingRepo, number: int) -> int:
    staged = api.current(number)
    task = ctx.board().task(number)
    head = ""
    if staged and ctx.forge.remote:
        ctx.git.fetch(ctx.forge.remote, staged[0])
        head = ctx.git.out("rev-parse", f"{staged[1]}^2")
    found = api.open_pull(task.fields.get("Branch"), head)
    if found is None:
        raise UsageError(f"no open pull request found for task #{number}",
                         "pass --pull P (the pull request's number)")
    return found
