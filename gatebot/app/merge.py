"""``gatebot merge``: gate 2 and the landing (SPEC §5.3, §5.4, §9).

Eligibility → integrate in an isolated worktree → release commit (``--no-ff``,
board edits inside, ``Gatebot-*`` trailers) → re-test that exact tree → push
without force. When the base moved, start again from the integration, at most
``merge.retries`` times, then escalate. A failure changes the board only by one
board commit that moves the task back to REVIEW with the reason.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from gatebot.adapters.git import Git, Person
from gatebot.adapters.local import BOT_IDENTITY, render_trailers
from gatebot.app import gate1
from gatebot.app import review as review_app
from gatebot.app.context import Context
from gatebot.app.transitions import now as clock
from gatebot.app.transitions import read_board, stamp, with_archive
from gatebot.core import archive, current_state
from gatebot.core.board import Stage, Task, sanitize_inline
from gatebot.core.change import Change
from gatebot.core.preconditions import require
from gatebot.core.protocol import (
    TASK_BRANCH,
    Contributor,
    Identity,
    as_identity,
    branch_belongs,
    cannot_review,
    review_eligibility,
)
from gatebot.core.records import Heads
from gatebot.core.rules import docs_updated
from gatebot.core.verdict import Finding, RuleResult
from gatebot.errors import Refused, UsageError
from gatebot.ports import PushRefused, Reader

if TYPE_CHECKING:  # the checks and the integration worktree are imported only when used:
    from gatebot.adapters.checks import CheckSpec  # a landing without checks needs neither
    from gatebot.core.escalation import Escalation  # nor, landing cleanly, an escalation


class ReleaseRefused(PushRefused):
    """The remote refused the release push itself (not a board commit): worth a retry."""


class Candidate(NamedTuple):
    """A task ready for gate 2: its branch, approved head, builders and both reviewers.

    ``first`` (the gate-1 reviewer, as recorded) and ``second`` (the gate-2
    actor) are whole identities; ``reviewer1`` and ``actor`` their names.
    """

    task: Task
    branch: str
    head: str
    first: Identity
    second: Identity
    builders: tuple[Contributor, ...]

    @property
    def reviewer1(self) -> str:
        """The gate-1 reviewer's name, as the board shows it."""
        return self.first.actor

    @property
    def actor(self) -> str:
        """The gate-2 actor's name, as the board shows it."""
        return self.second.actor


def branch_head(ctx: Context, task: Task, branch: str | None,
                heads: Heads | None = None) -> tuple[str, str]:
    """The task's branch and its head SHA (on the remote when there is one).

    The branch is ``--branch``, else the task's ``Branch`` field, else the one
    branch named ``task/N-…``. ``heads`` are what a fetch of this command
    already brought; a branch it did not answer for is fetched.
    Raises ``UsageError`` when none is found.
    """
    name = branch or task.fields.get("Branch") or _task_branch(ctx, task.number)
    if not name:
        raise UsageError(f"no branch found for task #{task.number}",
                         "pass --branch B, or name the branch task/N-…")
    remote = ctx.forge.remote
    known, fetched = heads.lookup(name) if heads is not None else (False, None)
    if not known:
        fetched = ctx.git.fetch(remote, name) if remote else None
    sha = fetched or ctx.git.resolve(name)
    if sha is None:
        raise UsageError(f"branch {name!r} of task #{task.number} does not exist",
                         "push the branch, or pass --branch B")
    return name, sha


def _task_branch(ctx: Context, number: int) -> str | None:
    remote = ctx.forge.remote
    if remote:
        out = ctx.git.out("ls-remote", "--heads", remote)
        names = [line.split("refs/heads/", 1)[1] for line in out.splitlines() if "\t" in line]
    else:
        names = ctx.git.out("for-each-ref", "--format=%(refname:short)", "refs/heads").split()
    found = [n for n in names if (m := TASK_BRANCH.match(n)) and int(m.group(1)) == number]
    return found[0] if len(found) == 1 else None


def released_commit(ctx: Context, number: int, tip: str) -> str | None:
    """The release commit of task ``number`` on the base at ``tip``, if it landed (idempotency)."""
    for event in ctx.forge.events(number, tip):
        if event.event == "released":
            return event.sha
    return None


def eligible(ctx: Context, task: Task, branch: str | None, actor: Identity | str, tip: str,
             *, heads: Heads | None = None) -> Candidate:
    """Gate-2 eligibility (SPEC §5.3 step 1); raises ``Refused`` naming the reason.

    The branch must hold the task's work (``task/N-…`` or its ``Branch``
    field), and ``actor`` must share no name or email with the builders or
    the gate-1 reviewer's recorded identity. Raises ``UsageError`` when the
    branch is the base or at its tip (``not_the_base``), or does not exist.
    ``heads``: see ``branch_head``.
    """
    chosen = branch_head(ctx, task, branch, heads) if branch else None
    if chosen:  # the base as the branch is a usage error, told before any refusal
        not_the_base(ctx, *chosen, tip)
    require(task.stage is Stage.RDY_FOR_PROD,
            f"task #{task.number} is in {task.stage or 'no stage'}, not RDY FOR PROD")
    approval = gate1.standing_approval(ctx, task.number, tip)
    if approval is None:
        raise Refused(f"task #{task.number} has no standing gate-1 approval")
    approved_head = approval.head
    first, who = approval.reviewer, as_identity(actor)
    name, head = chosen or branch_head(ctx, task, approval.branch or None,
                                       heads)
    not_the_base(ctx, name, head, tip)
    require(branch_belongs(task.number, name, task.fields.get("Branch")),
            f"branch {name} is not task #{task.number}'s (task/{task.number}-… or its "
            "Branch field): pass the task's own branch to --branch")
    require(approved_head == head,
            f"the gate-1 approval is for {approved_head[:12]} but {name} is at {head[:12]}: "
            "a new push voids it; run gatebot review --approve again")
    # deepens a shallow clone, so the merge-base calls of gate 2 after this one find it too
    change = Change(tip, head, review_app.merge_base_of(ctx, ctx.config.base, tip, head), ())
    people = tuple(gate1.builders(ctx, task, change))
    verdict = review_eligibility(who, people, gate1_reviewer=first, bots=ctx.config.bots)
    if verdict.status != "pass":
        raise Refused(verdict.summary,  # "ann may not review: builder of this change (…)"
                      "gate 2 needs a reviewer who neither built the change nor approved "
                      "it at gate 1")
    return Candidate(task, name, head, first, who, people)


def not_the_base(ctx: Context, name: str, head: str, tip: str) -> None:
    """Raise ``UsageError`` when branch ``name`` (head SHA ``head``) is the base or at its tip.

    The base merged into itself lands nothing, so gate 2 stops before it
    judges or writes anything (exit 2, like ``review`` on its own base).
    """
    is_base = name in (ctx.config.base, f"refs/heads/{ctx.config.base}")
    if is_base or head == tip:
        what = "is the base branch" if is_base else f"is at the base tip ({tip[:12]})"
        raise UsageError(f"branch {name!r} {what}: merging the base into itself lands nothing",
                         "pass the task's own branch to --branch (task/N-…), or --task N alone")


def _identity(actor: str) -> Person:
    return Person(actor, actor if "@" in actor else f"{actor}@gatebot.invalid")


def _duration(task: Task, now: datetime) -> str:
    started = task.fields.get("Started", "")
    try:
        begin = datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        return "unknown"
    return archive.format_duration((now - begin).total_seconds())


def release_files(
    ctx: Context, read: Reader, cand: Candidate, tip: str, *, now: datetime, coverage: str,
    tests: str,
) -> dict[str, str]:
    """The board files of the release commit (SPEC §4.2–§4.3, §5.3 step 3).

    TODO.md: the task → RELEASED with ``Released``, ``PR``, ``Reviewed by (RDY
    FOR PROD)`` and ``Cannot review``; CURRENT_STATE.md: the release line (the
    release commit cannot name its own SHA, so it names the approved head);
    the archive: a ``released`` entry whose ``Tests`` is ``tests`` (what the
    re-test runs: the commit lands only if it passes).
    """
    cfg = ctx.config.board
    board = read_board(ctx, read)
    task = board.task(cand.task.number)
    pr = task.fields.get("PR") or cand.branch
    reviewers = [cand.reviewer1, cand.actor]
    labels = [x for x in task.field_list("Labels") if x != "escalated"]
    board = board.move(task.number, Stage.RELEASED, {
        **({"Labels": ", ".join(labels) or "None"} if task.fields.get("Labels") else {}),
        "Released": stamp(now), "PR": pr,
        "Reviewed by (RDY FOR PROD)": f"{cand.actor} ✅",
        "Cannot review": cannot_review(cand.builders, reviewers),
    })
    line = current_state.release_line(now.date(), task.number, task.title,
                                      pr if pr.startswith("#") else None, cand.head)
    entry = archive.ArchiveEntry(task.title, task.number, "released", {
        "Session": cand.actor, "Started": task.fields.get("Started", "unknown"),
        "Completed": stamp(now), "Duration": _duration(task, now),
        "Files": task.fields.get("Files", "") or "see the release commit",
        "Status": "Moved to RELEASED", "Tests": tests,
        "Coverage": coverage, "Reviewed by": ", ".join(reviewers),
        "Merge": cand.head[:7], "Head": cand.head, "Base": tip,
    })
    files = with_archive(ctx, read, board, [entry], now)
    files[cfg.current_state] = current_state.add_release(read(cfg.current_state), line)
    return files


def release_message(cand: Candidate, tip: str, *, tested_in: str | None = None) -> str:
    """The release commit's message with the SPEC §5.3 trailers (and ``Gatebot-Priority``).

    ``tested_in`` (a tree SHA) is for a release the merge queue landed before the last of a
    green batch: it was not re-tested alone, so the body says it was tested in the batch, on
    that tree (docs/queue.md). The subject and the trailers are the same either way.
    """
    title = sanitize_inline(cand.task.title)
    trailers = {
        "Gatebot-Task": f"#{cand.task.number}", "Gatebot-Event": "released",
        "Gatebot-Head": cand.head, "Gatebot-Base": tip,
        "Gatebot-Reviewed-by": f"{cand.reviewer1}, {cand.actor}", "Gatebot-Actor": cand.actor,
    }
    if cand.task.critical:  # read back by `gatebot audit` (releases with `critical`)
        trailers["Gatebot-Priority"] = "critical"
    if cand.second.git:  # both reviewers whole: who landed it, and who approved gate 1
        trailers["Gatebot-Actor-Git"] = cand.second.git
    if cand.first.git:
        trailers["Gatebot-Reviewer-Git"] = cand.first.git
    how = (f"after two reviews; tested in batch, tree {tested_in} (not re-tested alone)"
           if tested_in else "after two reviews and a re-test")
    return (f"Merge task #{cand.task.number}: {title}\n\nBranch {sanitize_inline(cand.branch)} "
            f"landed by gatebot {how}.\n\n{render_trailers(trailers)}\n")


def send_back(
    ctx: Context, cand: Candidate, event: Literal["merge-failed", "escalated"], reason: str,
    details: dict[str, str],
    *, label: str | None = None,
) -> str:
    """Move the task RDY FOR PROD → REVIEW with ``reason`` as one board commit (SPEC §5.3).

    ``event`` is ``merge-failed`` or ``escalated``; ``label`` (``escalated``) is
    added to the task's ``Labels`` field. Returns the board commit's SHA.
    """
    from gatebot.core import transitions  # noqa: PLC0415 - a landing decides no transition

    now = clock()
    return ctx.forge.apply(cand.task.number, lambda state: transitions.send_back(
        state.task, cand.actor, now, event=event, reason=reason, details=details, head=cand.head,
        label=label))


def retest(ctx: Context, wt: Git, cand: Candidate,
           progress: review_app.Progress | None = None,
           planned: tuple[Sequence[CheckSpec], Path] | None = None) -> list[RuleResult]:
    """Run every gate-1 check (and coverage) on the worktree's exact tree (SPEC §5.3 step 4).

    The checks of ``checks.required`` (from the base's configuration) always
    run, a critical task's too; one the release tree cannot run fails.
    ``planned`` is ``review_app.plan``'s answer when the caller already asked it.
    """
    from gatebot.adapters.worktree import checks_record  # noqa: PLC0415 - see the imports

    wctx = dataclasses.replace(ctx, root=wt.root, git=wt)
    specs, logs = planned or review_app.plan(wctx, wt.out("rev-parse", "HEAD"))
    options = review_app.ReviewOptions(base=ctx.config.base, critical=cand.task.critical)
    coverage = "coverage" not in ctx.config.disabled_rules
    judged = review_app.run_and_judge(wctx, specs, logs, options, progress,
                                      with_coverage=coverage, record=checks_record(wt.root))
    return ([judged[f"checks.{s.name}"] for s in specs] + review_app.missing_checks(wctx, specs)
            + ([judged["coverage"]] if coverage else []))


def gate_files_rule(ctx: Context, cand: Candidate, tip: str) -> RuleResult:
    """``gate-files`` at gate 2: a gate-file change needs a maintainer as either reviewer.

    Raises ``Refused`` (nothing written; the task keeps its approval) when neither the
    gate-1 nor the gate-2 reviewer is one of ``claims.maintainers`` or a maintainer the
    forge knows (``Forge.maintainers``: on GitHub the admin or maintain role).
    """
    base = ctx.git.merge_base(tip, cand.head) or tip
    rule = review_app.gate_files_result(ctx.git, ctx.config, base, cand.head,
                                        [cand.reviewer1, cand.actor],
                                        verify=ctx.forge.maintainers)
    if rule.status != "pass":
        raise Refused(f"rule gate-files: {rule.summary}",
                      "a maintainer (claims.maintainers, or on GitHub an admin or maintainer "
                      "of the repository) must be the gate-1 or gate-2 reviewer: "
                      "gatebot merge --as MAINTAINER")
    return rule


def docs_rule(ctx: Context, cand: Candidate, tip: str) -> RuleResult:
    """``docs-updated`` over the files of ``merge-base(tip, head)..head``."""
    base = ctx.git.merge_base(tip, cand.head) or tip
    exempt = "no-docs" in [x.lower() for x in cand.task.field_list("Labels")] or bool(
        cand.task.fields.get("no-docs"))
    return docs_updated.evaluate(
        ctx.git.changed_files(base, cand.head), public_paths=ctx.config.docs.public_paths,
        doc_paths=ctx.config.docs.paths, exempt=exempt)


def failed_summary(rules: Sequence[RuleResult]) -> tuple[str, dict[str, str]]:
    """The reason line and archive details for rules that did not pass."""
    bad = [r for r in rules if r.status in ("fail", "error")]
    logs = [r.log_path for r in bad if r.log_path]
    details = {"Failed checks": ", ".join(r.id for r in bad)}
    if logs:
        details["Logs"] = ", ".join(logs)
    return "failed after integration: " + "; ".join(f"{r.id}: {r.summary}" for r in bad), details


def conflict_rule(files: tuple[str, ...], *, whitespace: bool) -> RuleResult:
    """The ``conflicts`` rule (SPEC §5.1) from an integration's outcome."""
    if files:
        return RuleResult("conflicts", "fail", f"conflict in {len(files)} files",
                          tuple(Finding("merge conflict with the base", path=f) for f in files))
    note = "only whitespace conflicts, resolved" if whitespace else "merges cleanly"
    return RuleResult("conflicts", "pass", note)


class Outcome(NamedTuple):
    """What a merge run did: ``state`` (landed, already-merged, dry-run, failed, escalated)."""

    state: str
    message: str
    rules: tuple[RuleResult, ...] = ()
    commit: str | None = None
    base: str = ""
    escalation_text: str = ""


def _approval_coverage(ctx: Context, number: int, tip: str) -> str:
    found = ctx.forge.approvals(number, tip)
    return found[0].coverage if found else "n/a"


def attempt(ctx: Context, cand: Candidate, tip: str, *, dry_run: bool,
            progress: review_app.Progress | None = None) -> Outcome | None:
    """One re-judge → integration → release commit → re-test → push at base ``tip``.

    The static gate-1 rules are judged again first (``rejudge``): an approval
    is never trusted blindly. With nothing to re-test on disk and a clean
    merge, the release commit is built with plumbing alone (``merge-tree``, no
    checkout); otherwise in the integration worktree. A dry run does all of it
    but the push and the board writes. Returns None when the base moved under
    the push (the caller retries). Raises ``ReleaseRefused`` when the remote
    refused without the base moving, ``Refused`` when ``gate-files`` does not pass.
    """
    gates = gate_files_rule(ctx, cand, tip)
    judged = rejudge(ctx, cand, tip)
    if any(r.status in ("fail", "error") for r in judged):
        return refuse_rejudged(ctx, cand, tip, judged, dry_run=dry_run)
    tree = ctx.git.merge_tree(tip, cand.head)
    if tree is not None and not needs_checkout(ctx, tree):
        encoded = _board_bytes(ctx, cand, tip, archive.tests_field([], "none is configured"))
        commit = ctx.git.commit_files(
            tip, encoded, release_message(cand, tip), identity=_identity(cand.actor),
            committer=BOT_IDENTITY, extra_parents=[cand.head], tree_from=tree)
        rules = [*judged, conflict_rule((), whitespace=False), gates, docs_rule(ctx, cand, tip)]
        if "coverage" not in ctx.config.disabled_rules:
            rules.append(review_app.coverage_verdict(ctx, None, None, "",
                                                     critical=cand.task.critical))
        return finish(ctx, cand, tip, commit, rules, dry_run=dry_run)
    from gatebot.adapters.worktree import merge_into, release_commit, worktree  # noqa: PLC0415

    with worktree(ctx.git, tip, ctx.state_dir() / "integration") as wt:
        integration = merge_into(wt, tip, cand.head)
        rules = [*judged, conflict_rule(integration.conflicts,
                                        whitespace=integration.whitespace_resolved),
                 gates, docs_rule(ctx, cand, tip)]
        if not integration.clean:
            if dry_run:  # report the conflict; a dry run writes nothing, not even the board
                return Outcome("dry-run", f"would escalate: conflict in "
                               f"{', '.join(integration.conflicts)}; nothing pushed",
                               tuple(rules), None, tip)
            return escalate_conflict(ctx, cand, integration.conflicts, rules, tip)
        planned = review_app.plan(dataclasses.replace(ctx, root=wt.root, git=wt), cand.head)
        tests = archive.tests_field(review_app.check_ids(planned[0]),
                                    "re-tested on the release tree")
        commit = release_commit(wt, tip, cand.head, _board_bytes(ctx, cand, tip, tests),
                                release_message(cand, tip), author=_identity(cand.actor),
                                committer=BOT_IDENTITY)
        rules += retest(ctx, wt, cand, progress, planned)
        return finish(ctx, cand, tip, commit, rules, dry_run=dry_run)


def _board_bytes(ctx: Context, cand: Candidate, tip: str, tests: str) -> dict[str, bytes]:
    """The release commit's board files (``release_files``) as bytes, every byte kept."""
    now, board = clock(), ctx.config.board
    read = ctx.files.reader(tip, prefetch=(
        board.todo, board.current_state, archive.archive_path(now.date(), board.archive_dir)))
    files = release_files(ctx, read, cand, tip, now=now,
                          coverage=_approval_coverage(ctx, cand.task.number, tip), tests=tests)
    return {p: t.encode("utf-8", "surrogateescape") for p, t in files.items()}


GATE1_STATIC = ("file-length", "function-length", "tests-present", "docstrings", "board-files")


def rejudge(ctx: Context, cand: Candidate, tip: str) -> list[RuleResult]:
    """The static gate-1 rules again, on ``merge-base(tip, head)..head`` (never trust an approval).

    The approval may predate the base's rules, or have been recorded by a
    gatebot that judged only some rules; the rules and their configuration
    are the base's now. Files are the approved head's blobs, read from git.
    Returns one result per enabled rule of ``GATE1_STATIC``.
    """
    merge_base = ctx.git.merge_base(tip, cand.head) or tip
    selected = [r for r in GATE1_STATIC if r not in ctx.config.disabled_rules]
    lines = bool({"file-length", "function-length", "docstrings"} & set(selected))
    change = review_app.change_of(ctx.git, tip, cand.head, merge_base, lines=lines)
    results = review_app.static_results(ctx, change, selected,
                                        review_app.ReviewOptions(ctx.config.base))
    return [results[r] for r in selected]


def refuse_rejudged(ctx: Context, cand: Candidate, tip: str, rules: Sequence[RuleResult],
                    *, dry_run: bool) -> Outcome:
    """The approved head fails a gate-1 rule: back to REVIEW (nothing written when ``dry_run``).

    Like a failed re-test, the code is at fault, not the landing: the builder
    must fix it and a reviewer approve it again, so the task leaves RDY FOR
    PROD with the reason on the board and in the archive.
    """
    bad = [r for r in rules if r.status in ("fail", "error")]
    reason = ("the approved head fails gate-1 rules on the base's configuration: "
              + "; ".join(f"{r.id}: {r.summary}" for r in bad))
    if dry_run:
        return Outcome("dry-run", f"would send task #{cand.task.number} back to REVIEW: "
                       f"{reason}; nothing pushed", tuple(rules), None, tip)
    send_back(ctx, cand, "merge-failed", reason, {"Failed rules": ", ".join(r.id for r in bad)})
    return Outcome("failed", f"task #{cand.task.number} back to REVIEW: {reason}",
                   tuple(rules), None, tip)


def needs_checkout(ctx: Context, tree: str) -> bool:
    """Whether re-testing needs the release tree on disk.

    Yes with required checks (they always re-run, and fail when the tree
    cannot run them), configured commands, or wanted checks and a noxfile or a
    tox configuration.
    """
    checks = ctx.config.checks
    if checks.commands or checks.required:
        return True
    if not checks.nox_sessions:
        return False
    from gatebot.adapters import tox_envs  # noqa: PLC0415 - only with nox sessions wanted

    return tox_envs.choose_runner(
        checks.runner, has_noxfile=ctx.git.show(tree, "noxfile.py") is not None,
        has_tox=tox_envs.tox_configured(lambda path: ctx.git.show(tree, path))) is not None


def finish(ctx: Context, cand: Candidate, tip: str, commit: str, rules: list[RuleResult],
           *, dry_run: bool) -> Outcome | None:
    """Report a dry run, send a failed release back to REVIEW, or push it (SPEC §5.3 step 5)."""
    if dry_run:
        return Outcome("dry-run", f"would land {commit[:12]} (parents {tip[:7]}, "
                       f"{cand.head[:7]}); nothing pushed", tuple(rules), commit, tip)
    if any(r.status in ("fail", "error") for r in rules):
        reason, details = failed_summary(rules)
        send_back(ctx, cand, "merge-failed", reason, details)
        return Outcome("failed", f"task #{cand.task.number} back to REVIEW: {reason}",
                       tuple(rules), None, tip)
    try:
        if not ctx.forge.push_release(tip, commit):
            return None
    except PushRefused as exc:  # only the release push counts as a retry in land()
        raise ReleaseRefused(exc.message, exc.hint) from exc
    return Outcome("landed", f"task #{cand.task.number} landed on {ctx.forge.branch} as "
                   f"{commit[:12]}", tuple(rules), commit, tip)


def escalate_conflict(
    ctx: Context, cand: Candidate, files: tuple[str, ...], rules: list[RuleResult], tip: str
) -> Outcome:
    """Archive a conflict escalation, label the task and send it back to REVIEW (SPEC §9)."""
    from gatebot.core import escalation, transitions  # noqa: PLC0415 - see flag_escalation

    esc = escalation.conflict(cand.task.number, files, f"gatebot merge --task {cand.task.number}")
    text = escalation.render(esc)
    now = clock()
    ctx.forge.escalate(cand.task.number, esc, lambda state: transitions.send_back(
        state.task, cand.actor, now, event="escalated", reason=esc.situation,
        details={"Escalation": esc.title}, head=cand.head, label="escalated"))
    return Outcome("escalated", f"task #{cand.task.number}: {esc.title}", tuple(rules), None,
                   tip, text)


def escalate_push(ctx: Context, cand: Candidate, attempts: int, detail: str, *, moving: bool
                  ) -> Outcome:
    """Escalate a release push that failed ``attempts`` times (SPEC §9).

    The task stays in RDY FOR PROD with its approvals and gets the ``escalated``
    label, so the recommended retry lands it; recorded if the remote lets us.
    """
    from gatebot.core import escalation  # noqa: PLC0415 - a clean landing escalates nothing

    esc = escalation.push_refused(cand.task.number, attempts, detail,
                                  f"gatebot merge --task {cand.task.number}", moving=moving)
    text = escalation.render(esc)
    try:
        flag_escalation(ctx, cand, esc)
    except PushRefused as exc:
        text += f"\n(not recorded on the board: {exc.message})\n"
    return Outcome("escalated", f"task #{cand.task.number}: {esc.title}", (), None, "", text)


def flag_escalation(ctx: Context, cand: Candidate, esc: Escalation) -> str:
    """Label the task ``escalated`` where it stands and archive why; its approvals stand."""
    from gatebot.core import transitions  # noqa: PLC0415 - a landing decides no transition

    now = clock()
    return ctx.forge.escalate(cand.task.number, esc, lambda state: transitions.flag_escalation(
        state.task, cand.actor, now, situation=esc.situation, title=esc.title, head=cand.head))


def land(ctx: Context, number: int, branch: str | None, actor: Identity | str, *,
         dry_run: bool, progress: review_app.Progress | None = None) -> Outcome:
    """Gate 2 for task ``number`` by ``actor``, retrying when the base moves (SPEC §5.3).

    ``progress(name, state)`` hears of each re-tested check starting and ending.
    The first attempt starts from the base tip the context was opened at and
    the branches that fetch brought (``merge_command`` asks it for the task's
    ``task_branch_globs``); each retry fetches the base and the task's branch
    in one ``git fetch``.
    """
    detail, moving = "the base branch kept moving", True
    retries = ctx.config.merge.retries
    tip, heads, wanted = ctx.opened_tip, ctx.opened_heads, list[str]()
    for tries in range(retries + 1):
        if tip is None:
            tip, heads = ctx.forge.fetch_tip(wanted)
        done = released_commit(ctx, number, tip)
        if done:
            return Outcome("already-merged", f"task #{number} is already merged ({done[:12]})",
                           commit=done, base=tip)
        cand = eligible(ctx, ctx.board(tip).task(number), branch, actor, tip, heads=heads)
        try:
            outcome = attempt(ctx, cand, tip, dry_run=dry_run, progress=progress)
        except ReleaseRefused as exc:
            detail, moving, outcome = exc.message, False, None
        if outcome is not None:
            return outcome
        tip, wanted = None, [cand.branch]
        time.sleep(min(0.2 * (tries + 1), 1.0))
    return escalate_push(ctx, cand, retries + 1, detail, moving=moving)
