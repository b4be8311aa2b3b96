"""``gatebot queue run``: land the merge queue in tested batches (docs/queue.md).

Facts → decision → effects: the queue and its next batch come from ``queue_commands.gather``
and ``gatebot.core.queue.next_batch``; each batch is driven by ``core.queue.Bisection``,
whose ``step`` says what to do next (run the checks on a prefix of the batch, land a tested
prefix, send a culprit back); this module does it and tells the bisection what happened.

- Admission: each task passes gate 2's eligibility, ``gate-files``, the re-judged static rules
  and ``docs-updated`` as ``gatebot merge --task N`` would; a task that fails a rule goes back
  to REVIEW before any check runs, one that cannot be judged here is skipped.
- Integration (``queue_chain``): release commits chained on the base tip, one per task; a task
  whose merge conflicts is escalated and taken out before any check runs.
- Check runs: the required checks once on a prefix's last release tree, in the integration
  worktree. Green → that prefix lands: main is pushed (fast-forward, no force) to its last
  release. Red → the bisection picks the next prefix; a culprit goes back to REVIEW with the
  failing checks and their logs named; a failure that does not repeat on the same tree is
  flaky: reported as an escalation and in the release's ``Gatebot-Flaky`` trailer.
- main moved (a board commit, another runner): the chain is rebuilt on the new tip. A move
  that changed only board files keeps the runs; any other voids them. A task another run
  landed meanwhile is taken out (first push wins: never landed twice).

Exit codes: 0 every task of the run landed (or the queue was empty), 1 some task went back,
was taken out or could not be judged, 2 a usage or configuration error, 3 internal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from gatebot.app import merge as merge_app
from gatebot.app import queue_chain
from gatebot.app.context import Context, open_context
from gatebot.app.queue_commands import Entry, gather
from gatebot.app.transitions import now as clock
from gatebot.core import escalation
from gatebot.core.board import Stage
from gatebot.core.printable import printable
from gatebot.core.protocol import Identity
from gatebot.core.queue import Bisection, CheckRun, Land, RunChecks, SendBack, Tree, next_batch
from gatebot.core.rules.board_files import owned
from gatebot.core.verdict import RuleResult
from gatebot.errors import EXIT_OK, EXIT_REFUSED, GatebotError, Refused, UsageError
from gatebot.ports import RaceLost

Progress = Callable[[str, str], None]


def _failed(rules: Sequence[RuleResult]) -> bool:
    return any(r.status in ("fail", "error") for r in rules)


@dataclasses.dataclass
class Report:
    """What a run did, task numbers in order: landed, sent back, taken out, skipped; runs."""

    landed: list[int] = dataclasses.field(default_factory=list)
    sent_back: list[int] = dataclasses.field(default_factory=list)
    taken_out: list[int] = dataclasses.field(default_factory=list)
    skipped: list[int] = dataclasses.field(default_factory=list)
    runs: int = 0
    flaky: list[int] = dataclasses.field(default_factory=list)

    def exit_code(self) -> int:
        """0 when nothing went back, out or unjudged; else 1."""
        return EXIT_REFUSED if self.sent_back or self.taken_out or self.skipped else EXIT_OK

    def steps_summary(self) -> str:
        """One line for the steps of ``queue run --forge github``: the counts, runs dispatched.

        A step function: the runs it dispatched finish in later invocations, so no runs-per-
        task figure (the staging runs of a batch are counted on its branches' check runs).
        """
        return (f"queue run: {len(self.landed)} landed, {len(self.sent_back)} sent back to "
                f"REVIEW, {len(self.taken_out)} taken out, {len(self.skipped)} skipped; "
                f"{self.runs} staging run{'s' * (self.runs != 1)} dispatched")

    def summary(self) -> str:
        """One line: the counts, and check runs per landed task."""
        per = f"{self.runs / len(self.landed):.3f}" if self.landed else "n/a"
        return (f"queue run: {len(self.landed)} landed, {len(self.sent_back)} sent back to "
                f"REVIEW, {len(self.taken_out)} taken out, {len(self.skipped)} skipped; "
                f"{self.runs} check runs ({per} per landed task)")


def say(line: str) -> None:
    """Print one progress line at once (the run may be long), control characters escaped.

    Lines hold user text (file names of a conflict, refusal reasons naming branches).
    """
    print(printable(line), flush=True)


class BatchRunner:
    """Drives one batch's ``Bisection`` on the forge: builds, tests, lands and sends back."""

    def __init__(self, ctx: Context, report: Report, progress: Progress | None) -> None:
        """Run on ``ctx``'s forge, recording into ``report``; ``progress`` hears of checks."""
        self.ctx, self.report, self.progress = ctx, report, progress
        self.base = ""
        self.cands: dict[int, merge_app.Candidate] = {}
        self.state = Bisection(())
        self.links: list[queue_chain.Link] | None = None
        self.done: Tree = ()
        self.tested: dict[Tree, str] = {}
        self.red: dict[Tree, list[RuleResult]] = {}
        self.now = clock()
        self.pushes_lost = 0

    def run(self, base: str, cands: Sequence[merge_app.Candidate]) -> None:
        """Land or send back every task of ``cands`` (a batch in queue order) on ``base``."""
        self.base, self.cands = base, {c.task.number: c for c in cands}
        self.state, self.links, self.done = Bisection(tuple(self.cands)), None, ()
        while True:
            self.sync()
            links = self.chain()
            step = self.state.step()
            if isinstance(step, RunChecks):
                self.check(step.tree, links[:len(step.tree)], retry=step.retry)
            elif isinstance(step, Land):
                self.land(step, links[:len(step.tasks)])
            elif isinstance(step, SendBack):
                self.send_back(step.task, step.tree)
            else:
                return

    # -- main, and the chain on it ---------------------------------------------------------
    def sync(self) -> None:
        """Follow main: when it moved, re-base the batch (a board-only move keeps the runs)."""
        tip = self.ctx.forge.tip()
        if tip == self.base:
            return
        board = self.ctx.config.board
        code = any(not owned(path, board_paths=(board.todo, board.current_state),
                             archive_dir=board.archive_dir)
                   for path in self.ctx.git.changed_files(self.base, tip))
        say(f"main moved to {tip[:12]} ({'code' if code else 'board files only'}): "
            f"rebuilding on it{'; earlier check runs are void' if code and self.state.runs else ''}")
        self.base, self.links = tip, None
        self.state = self.state.main_moved(code_changed=code)
        self.drop_gone(tip)

    def drop_gone(self, tip: str) -> None:
        """Take out the tasks that landed elsewhere meanwhile or left RDY FOR PROD."""
        stages = {t.number: t.stage for t in self.ctx.board(tip).tasks}
        for number in self.state.tasks:
            done = merge_app.released_commit(self.ctx, number, tip)
            stage = stages.get(number)
            if done or stage is not Stage.RDY_FOR_PROD:
                why = f"landed meanwhile as {done[:12]}" if done else f"is in {stage} now"
                say(f"  #{number} {why}: taken out of the batch")
                self.state = self.state.taken_out(number)
                if not done:
                    self.report.taken_out.append(number)

    def chain(self) -> list[queue_chain.Link]:
        """The release commits of the undecided tasks on the base; conflicts taken out first."""
        while self.links is None:
            cands = [self.cands[n] for n in self.state.tasks]
            links, conflict = queue_chain.build(self.ctx, self.base, cands, self.now)
            if conflict is None:
                self.links = links
            else:
                self.take_out_conflict(conflict)
        return self.links

    def take_out_conflict(self, conflict: queue_chain.Conflict) -> None:
        """Escalate a task whose merge conflicts and take it out; no check ran on it."""
        cand = conflict.cand
        rules = [merge_app.conflict_rule(conflict.files, whitespace=False)]
        outcome = merge_app.escalate_conflict(self.ctx, cand, conflict.files, rules, self.base)
        say(f"  #{cand.task.number} conflicts in {', '.join(conflict.files)}: taken out "
            "before any check ran, back to REVIEW (escalated)")
        print(outcome.escalation_text)
        self.report.taken_out.append(cand.task.number)
        self.state = self.state.taken_out(cand.task.number)
        self.sync()

    # -- the three effects -----------------------------------------------------------------
    def check(self, tree: Tree, links: list[queue_chain.Link], *, retry: bool) -> None:
        """Run the checks once on ``tree``'s last release tree; record the result."""
        last = links[-1]
        rules: list[RuleResult] = []
        if merge_app.needs_checkout(self.ctx, last.tree):
            from gatebot.adapters.worktree import worktree  # noqa: PLC0415 - only with checks

            with worktree(self.ctx.git, last.commit, self.ctx.state_dir() / "integration") as wt:
                rules = merge_app.retest(self.ctx, wt, last.cand, self.progress)
            self.report.runs += 1
        passed = not _failed(rules)
        whole = self.done + tree
        self.tested[whole] = last.tree
        if not passed:
            self.red.setdefault(whole, rules)
        names = " ".join(f"#{n}" for n in tree)
        bad = ", ".join(r.id for r in rules if r.status in ("fail", "error"))
        say(f"check run {self.report.runs}{' (retry)' if retry else ''} on base + {names} "
            f"(tree {last.tree[:12]}): {'green' if passed else 'red: ' + bad}")
        self.state = self.state.record(CheckRun(tree, passed))

    def land(self, step: Land, links: list[queue_chain.Link]) -> None:
        """Push the tested prefix ``step.tasks`` (fast-forward, no force); report flakes."""
        whole = self.done + step.tasks
        flaky = {tree[-1]: self._flaky_checks(self.done + tree) for tree in step.flaky if tree}
        commit = queue_chain.finalize(self.ctx, self.base, links, self.tested[whole], flaky)
        if not self.ctx.forge.push_release(self.base, commit):
            self.pushes_lost += 1
            if self.pushes_lost > self.ctx.config.merge.retries:
                raise RaceLost(f"main kept moving under the queue's push ({self.pushes_lost} "
                               "tries)", "run `gatebot queue run` again when main is quieter")
            return  # main moved under the push: the next sync rebuilds on it
        names = " ".join(f"#{n}" for n in step.tasks)
        say(f"landed {names} on {self.ctx.forge.branch}: {commit[:12]}")
        for number, checks in flaky.items():
            self.report.flaky.append(number)
            print(escalation.render(flaky_escalation(number, checks)))
        self.report.landed.extend(step.tasks)
        self.done, self.base = whole, commit
        self.state, self.links = self.state.landed(step.tasks), None

    def _flaky_checks(self, whole: Tree) -> str:
        rules = self.red.get(whole, [])
        return ", ".join(f"{r.id}" + (f" (log {r.log_path})" if r.log_path else "")
                         for r in rules if r.status in ("fail", "error")) or "the checks"

    def send_back(self, number: int, tree: Tree) -> None:
        """The culprit failed twice on base + itself: back to REVIEW, failing checks named."""
        cand = self.cands[number]
        reason, details = merge_app.failed_summary(self.red[self.done + tree])
        merge_app.send_back(self.ctx, cand, "merge-failed", reason, details)
        say(f"  #{number} back to REVIEW: {reason}"
            + (f" (logs: {details['Logs']})" if "Logs" in details else ""))
        self.report.sent_back.append(number)
        self.state, self.links = self.state.sent_back(number), None


def flaky_escalation(number: int, checks: str) -> escalation.Escalation:
    """The escalation a flaky failure gets: the task landed, the check is unreliable."""
    return escalation.Escalation(
        f"Flaky check while landing task #{number}",
        f"{checks} failed on the tree ending with task #{number} and passed on a retry of "
        "the same tree",
        f"Task #{number} landed (its tree passed); the check is unreliable and costs the "
        "queue extra check runs",
        ("Make the check deterministic (read its log)",
         "Mark the check as not required until it is fixed"),
        "Option 1",
        "No: the queue goes on",
    )


def admit(ctx: Context, entries: Sequence[Entry], who: Identity, tip: str, report: Report
          ) -> list[merge_app.Candidate]:
    """The batch's tasks that pass gate 2's static part, in order; the rest go back or skip.

    Eligibility or ``gate-files`` refused (e.g. the runner built or approved the task):
    skipped, left in RDY FOR PROD. A re-judged gate-1 rule or ``docs-updated`` failing: back
    to REVIEW before any check runs (as ``gatebot merge`` does).
    """
    chosen: list[merge_app.Candidate] = []
    for entry in entries:
        try:
            cand = merge_app.eligible(ctx, entry.task, None, who, tip)
            merge_app.gate_files_rule(ctx, cand, tip)
        except (Refused, UsageError) as exc:
            say(f"  #{entry.task.number} skipped: {exc.message}")
            report.skipped.append(entry.task.number)
            continue
        judged = [*merge_app.rejudge(ctx, cand, tip), merge_app.docs_rule(ctx, cand, tip)]
        if _failed(judged):
            outcome = merge_app.refuse_rejudged(ctx, cand, tip, judged, dry_run=False)
            say(f"  {outcome.message}")
            report.sent_back.append(entry.task.number)
            continue
        chosen.append(cand)
    return chosen


def queue_run_command(cwd: Path, override: int | None, once: bool, actor: str | None,
                      progress: Progress | None = None) -> int:
    """``gatebot queue run``: land batches until the queue is empty (one with ``once``).

    On the github forge it is a step function (``queue_github.run_steps``: the staging
    workflow runs the checks; each invocation goes as far as it can without waiting for
    one, ``once`` makes it one step; ``actor`` is not used: the reviews name both gates).
    Exit 0 when every task considered landed (or a run is awaited), 1 when one went back,
    was taken out or skipped (each named), 2 for a usage error (``--batch-size`` below 1,
    no actor on the local forge, a forge other than local or github).
    """
    if override is not None and override < 1:
        raise UsageError(f"--batch-size {override} is below 1", "pass --batch-size 1 or more")
    ctx = open_context(cwd, judging="a landing")
    if ctx.forge.name == "github":
        from gatebot.app.queue_github import run_steps  # noqa: PLC0415 - GitHub only

        report = Report()
        run_steps(ctx, override, once, report)
        say(report.steps_summary())
        return report.exit_code()
    if ctx.forge.name != "local":
        raise UsageError(f"`gatebot queue run` lands on the local or github forge, not "
                         f"{ctx.forge.name}", "run it with --forge local or --forge github")
    who, report, seen = ctx.identity(actor), Report(), set[int]()
    while True:
        view = gather(ctx, override)
        waiting = [e for batch in view.batches for e in batch if e.task.number not in seen]
        by_number = {e.task.number: e for e in waiting}
        batch = [by_number[c.number] for c in next_batch([e.candidate() for e in waiting],
                                                         override)]
        if not batch:
            break
        seen.update(e.task.number for e in batch)
        say(f"batch of {len(batch)} on {view.base_sha[:12]}: "
            + " ".join(f"#{e.task.number}" for e in batch))
        cands = admit(ctx, batch, who, view.base_sha, report)
        if cands:
            try:
                BatchRunner(ctx, report, progress).run(view.base_sha, cands)
            except GatebotError:
                say(report.summary())
                raise
        if once:
            break
    say(report.summary() if seen else "queue run: the queue is empty; nothing to land")
    return report.exit_code()
