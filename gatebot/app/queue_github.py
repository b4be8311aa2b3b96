"""``gatebot queue run --forge github``: the merge queue as a step function over GitHub Actions.

In GitHub Actions nothing waits minutes in one job, so each step reads the facts again
(``queue_github_facts``: main's tip, the queue's staging branches, their verified staging
workflow runs), asks ``core.queue.Bisection`` for the next action and does it — one effect:

- start a batch: the first tasks of the queue (both approvals standing on their head, gate
  2's static rules passed) chained as release commits on main's tip, pushed to a new branch
  ``gatebot/staging/queue/<k>`` (never by force) and ``gatebot-staging.yml`` dispatched on
  the base branch for the last release commit; a task whose merge conflicts is escalated and
  taken out before any run;
- stage a prefix of the batch (bisection), or retry the same tree once (its release commit
  then carries ``Gatebot-Flaky``); a cancelled or timed-out run is dispatched again once;
- land a green prefix: the base branch fast-forwarded (``force: false``) to exactly the SHA
  whose staging run passed, after the checks ``gatebot land`` makes;
- send a culprit (red twice on base + itself) back to REVIEW, naming the failing runs;
- take out a task that left the queue (moved, a push after the approvals), delete the
  branches of a finished batch.

Without ``--once`` the steps go on while the next needs no staging run to finish; with it, one
step. Replaying a step writes nothing twice: each reads what the last one wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from github.PullRequest import PullRequest

from gatebot.adapters.github.forge import GitHubForge
from gatebot.adapters.github.reviews import read_reviews
from gatebot.adapters.github_staging import StagingRepo
from gatebot.app import merge as merge_app
from gatebot.app import queue_chain
from gatebot.app.context import FORGE_OPTION, Context, open_context
from gatebot.app.queue_commands import gather
from gatebot.app.queue_github_facts import Staged, staged
from gatebot.app.queue_run import Report, flaky_escalation, say
from gatebot.app.review_gate import candidate as review_candidate
from gatebot.app.transitions import now as clock
from gatebot.core import escalation
from gatebot.core.board import Stage
from gatebot.core.github_model import task_of_pull
from gatebot.core.landing import (
    INTERRUPTED,
    RERUNS,
    STAGING_CHECK,
    STAGING_PREFIX,
    STAGING_WORKFLOW,
    StagingRun,
    staging_attempt,
)
from gatebot.core.queue import (
    QUEUE_STAGING,
    Bisection,
    Land,
    RunChecks,
    SendBack,
    Tree,
    next_batch,
    queue_attempt,
    queue_branch,
)
from gatebot.core.staging_watch import LOST, Lost, Record, watch
from gatebot.errors import Refused, UsageError
from gatebot.ports import PushRefused

MAX_STEPS = 256
"""A bound on the steps of one invocation (each decides a task or stages a run)."""


@dataclass
class World:
    """What one step read: main's ``tip``, the queue's branches, the open pull requests.

    ``single``: tasks with a staging branch of their own (``gatebot land`` owns them);
    ``cands``: the batch's tasks still in the queue, by number, as gate 2's candidates.
    """

    tip: str
    branches: list[Staged]
    pulls: dict[int, PullRequest]
    single: set[int]
    cands: dict[int, merge_app.Candidate] = field(default_factory=dict)
    out: list[int] = field(default_factory=list)


class Stepper:
    """One runner of the GitHub merge queue: ``step`` does one effect and says which."""

    def __init__(self, ctx: Context, override: int | None, report: Report) -> None:
        """Run on ``ctx`` (its forge must be github), batches of ``override`` or adaptive."""
        forge = ctx.forge
        if not isinstance(forge, GitHubForge):
            raise UsageError("the GitHub merge queue needs the github forge",
                             "pass --forge github (GITHUB_TOKEN and GITHUB_REPOSITORY set)")
        if forge.remote is None:
            raise UsageError("the GitHub merge queue needs a remote to push staging branches to",
                             "clone the repository from GitHub, or set merge.remote")
        self.ctx, self.forge, self.override, self.report = ctx, forge, override, report
        self.api = StagingRepo(forge.conn, ctx.config.base)
        self.remote: str = forge.remote
        self.passed: set[int] = set()  # tasks this invocation judged for a batch already

    # -- facts -----------------------------------------------------------------------------
    def read(self) -> World:
        """Main's tip, the queue's branches read back, the batch's tasks still queued."""
        tip, heads = self.forge.fetch_tip((), (f"{STAGING_PREFIX}*",))
        refs = {b: s for b, s in heads.matched.items() if queue_attempt(b) is not None}
        single = {found[0] for b in heads.matched if (found := staging_attempt(b))}
        with_pulls = self.forge.conn.repo.get_pulls(state="open", base=self.ctx.config.base)
        pulls = {n: p for p in with_pulls if (n := task_of_pull(p.head.ref, p.body))}
        world = World(tip, staged(self.ctx, self.api, refs, tip), pulls, single)
        members = dict.fromkeys(t for b in world.branches for t in b.tasks)
        heads_of = {link.task: link.head for b in world.branches for link in b.links}
        for number in members:
            cand = self.candidate(world, number, heads_of[number])
            if cand is None:
                world.out.append(number)
            else:
                world.cands[number] = cand
        return world

    def candidate(self, world: World, number: int, head: str | None) -> merge_app.Candidate | None:
        """Task ``number`` as gate 2's candidate if it is still queued (on ``head`` if given).

        Still queued: RDY FOR PROD, an open pull request whose head is the approved one with
        two eligible approvals on it, and no staging branch of its own.
        """
        pull = world.pulls.get(number)
        if pull is None or number in world.single:
            return None
        read = read_reviews(self.forge.conn, pull.number, self.forge.bot, self.ctx.config.base)
        if read.stage is not Stage.RDY_FOR_PROD or read.approvals.gate1 is None \
                or read.approvals.gate2 is None \
                or (head is not None and read.facts.head != head):
            return None
        return review_candidate(self.ctx, read, world.tip)  # the tip this step fetched

    # -- the step --------------------------------------------------------------------------
    def step(self) -> str:
        """Read, decide, do one effect; what was done (``waiting`` and ``empty`` did nothing)."""
        world = self.read()
        for number in world.out:  # said on every step until the batch is done: not counted
            say(f"  #{number} is no longer in the batch (not RDY FOR PROD with both approvals "
                "on the head the batch merged, or staged on its own)")
        batch = tuple(t for t in dict.fromkeys(t for b in world.branches for t in b.tasks)
                      if t in world.cands)
        awaited = [b for b in world.branches if b.pending and b.tasks]
        if awaited:
            return self.unwait(awaited)
        if not batch:
            return self.clean(world) if world.branches else self.start(world)
        runs = [run for b in world.branches for run in b.runs()]
        decision = Bisection.resumed(batch, runs).step()
        if isinstance(decision, RunChecks):
            return self.stage(world, decision)
        if isinstance(decision, Land):
            return self.land(world, decision)
        if isinstance(decision, SendBack):
            return self.send_back(world, decision)
        return self.clean(world)  # Done: every task of the batch landed or left

    def unwait(self, awaited: list[Staged]) -> str:
        """Branches await a staging run no event recorded: list the runs once and act on them.

        GitHub may drop a ``workflow_run`` event, so the step reads the staging workflow's
        runs itself (one request): a finished run of an awaited SHA is recorded as its
        event's landing job would (``recorded``: the next step acts on it); a dispatch with
        no run after ``merge.staging_timeout`` is recorded as lost (``lost``: the next step
        dispatches it again, as after a timed-out run); else ``waiting``.
        """
        listed, now = self.api.workflow_runs(STAGING_WORKFLOW)
        timeout = self.ctx.config.merge.staging_timeout
        for branch in awaited:
            seen = watch(listed, branch.sha, self.ctx.config.base, since=branch.since, now=now,
                         recorded=(r.run_id for r in branch.results), timeout=timeout)
            if isinstance(seen, Record):
                fresh = [run.run_id for run in seen.runs if record_run(self.api, run, branch.sha)]
                if fresh:
                    say(f"staging run{'s' * (len(fresh) > 1)} "
                        f"{', '.join(map(str, fresh))} of {branch.branch} finished without "
                        "an event that recorded it: recorded now")
                    return "recorded"
            elif isinstance(seen, Lost):
                self.api.record_check(branch.sha, STAGING_CHECK, "timed_out", external_id=LOST,
                                      summary=f"no {STAGING_WORKFLOW} run appeared within "
                                      f"{seen.waited:.0f} s of its dispatch")
                say(f"the staging run dispatched for {branch.branch} ({branch.sha[:12]}) did "
                    f"not appear within {timeout:.0f} s: counted as timed out")
                return "lost"
        say("waiting for the staging run in progress")
        return "waiting"

    # -- effects ---------------------------------------------------------------------------
    def start(self, world: World) -> str:
        """Take the next batch off the queue and stage it whole; ``empty`` when none waits."""
        view = gather(self.ctx, self.override, world.tip)
        waiting = [e for batch in view.batches for e in batch
                   if e.task.number not in world.single | self.passed]
        by_number = {e.task.number: e for e in waiting}
        chosen = [by_number[c.number] for c in next_batch([e.candidate() for e in waiting],
                                                          self.override)]
        cands = [c for c in (self.admit(world, e.task.number, e.head) for e in chosen) if c]
        # not taken again by this invocation: the tasks it judged unready (those admitted
        # go on; one whose merge conflicts leaves RDY FOR PROD)
        self.passed.update({e.task.number for e in chosen} - {c.task.number for c in cands})
        if not cands:
            return "empty" if not chosen else "skipped"
        say(f"batch of {len(cands)} on {world.tip[:12]}: "
            + " ".join(f"#{c.task.number}" for c in cands))
        world.cands.update({c.task.number: c for c in cands})
        return self.stage(world, RunChecks(tuple(c.task.number for c in cands)))

    def admit(self, world: World, number: int, head: str | None) -> merge_app.Candidate | None:
        """Gate 2's static part for a task entering a batch (as ``gatebot land`` stages one).

        ``gate-files`` refused: skipped, left in RDY FOR PROD; a re-judged rule failing: back
        to REVIEW before any run.
        """
        cand = self.candidate(world, number, head)
        if cand is None:  # gate 2 is the second approval: until it comes, the task waits
            say(f"  #{number} waits for a second eligible approval of its current head")
            return None
        try:
            merge_app.gate_files_rule(self.ctx, cand, world.tip)
        except Refused as exc:
            say(f"  #{number} skipped: {exc.message}")
            self.report.skipped.append(number)
            return None
        judged = merge_app.rejudge(self.ctx, cand, world.tip)
        if any(r.status in ("fail", "error") for r in judged):
            outcome = merge_app.refuse_rejudged(self.ctx, cand, world.tip, judged, dry_run=False)
            self.back_to_review(world, number, outcome.message)
            return None
        return cand

    def stage(self, world: World, decision: RunChecks) -> str:
        """Run the staging checks once on ``decision.tree``.

        On a branch of it that awaits a run (a step killed before its dispatch, or a run
        cancelled once), dispatch again; else build the chain, push it to a new branch,
        dispatch. ``raced`` when main moved since ``read`` took its tip: a job that landed
        moves main before it relabels its tasks, so a task read as queued may be released
        already (the next step reads again instead of spending a run on it).
        """
        if self.api.ref_sha(self.ctx.config.base) != world.tip:
            say("main moved since this step read it: reading again")
            return "raced"
        tree = decision.tree
        mine = [b for b in world.branches if b.current and b.tasks == tree and not b.void
                and bool(b.links[-1].flaky) == decision.retry]
        fresh = next((b for b in mine if not b.verdicts() and b.interrupted() <= RERUNS), None)
        if fresh is not None:
            self.dispatch(fresh.sha, tree, f"{fresh.branch} again")
            return "staged"
        flaky = ""
        if decision.retry:
            flaky = f"{STAGING_CHECK} (workflow run {failed_runs(world, tree)})"
        sha = self.build(world, tree, flaky)
        if sha is None:
            return "taken-out"
        k = max((b.k for b in world.branches), default=0) + 1
        branch = queue_branch(k)
        pushed = self.ctx.git.run("push", "--porcelain", self.remote,
                                  f"{sha}:refs/heads/{branch}", check=False)
        if pushed.returncode != 0:
            if self.ctx.git.fetch(self.remote, branch) is not None:  # another runner's
                say(f"{branch} exists already (another runner staged): reading again")
                return "raced"
            raise PushRefused(f"the push of {branch} was refused: "
                              f"{(pushed.stderr + pushed.stdout).strip()}",
                              f"check that the token may push to {QUEUE_STAGING}*")
        self.dispatch(sha, tree, branch)
        return "staged"

    def build(self, world: World, tree: Tree, flaky: str) -> str | None:
        """The release commits of ``tree`` on main's tip, with the trailers of a tested landing.

        Each carries ``Gatebot-Tested-in`` (the last one's tree) when there are several, and
        the last ``Gatebot-Flaky`` on a retry, whose trees are those of the run that failed
        when it is on main's tip (the same tree tested again). None when a merge conflicted:
        that task is escalated, back to REVIEW, before any run.
        """
        marks = {tree[-1]: flaky} if flaky else {}
        same = next((b for b in world.branches if flaky and b.current and not b.void
                     and b.tasks == tree), None)
        if same is not None:  # a retry tests the same tree again: only the message differs
            again = [queue_chain.Link(world.cands[link.task], link.commit, link.tree)
                     for link in same.links]
            return queue_chain.finalize(self.ctx, world.tip, again, again[-1].tree, marks)
        cands = [world.cands[n] for n in tree]
        links, conflict = queue_chain.build(self.ctx, world.tip, cands, clock())
        if conflict is not None:
            self.take_out_conflict(world, conflict)
            return None
        return queue_chain.finalize(self.ctx, world.tip, links, links[-1].tree, marks)

    def dispatch(self, sha: str, tree: Tree, where: str) -> None:
        """Start ``gatebot-staging.yml`` on ``sha``, then mark the run awaited.

        The mark is a queued ``gatebot/staging`` check run: the next step waits for the run.
        """
        names = " ".join(f"#{n}" for n in tree)
        self.api.dispatch(STAGING_WORKFLOW, {"sha": sha, "task": names})
        self.api.record_check(sha, STAGING_CHECK, None, external_id="queue",
                              summary=f"merge queue: base + {names}; {STAGING_WORKFLOW} "
                              "dispatched")
        self.report.runs += 1
        say(f"staging run {self.report.runs} dispatched on base + {names} ({where}, "
            f"{sha[:12]})")

    def land(self, world: World, decision: Land) -> str:
        """Fast-forward main (``force: false``) to the branch that passed on ``decision.tasks``.

        Exactly the SHA whose staging run passed; each task is then labelled released and
        closed. ``raced`` when main moved first (GitHub refused: the next step reads again).
        """
        green = next(b for b in world.branches if b.current and b.tasks == decision.tasks
                     and any(r.conclusion == "success" for r in b.results))
        if not self.api.fast_forward(green.sha):
            say(f"main moved before the fast-forward to {green.sha[:12]}: reading again")
            return "raced"
        names = " ".join(f"#{n}" for n in decision.tasks)
        say(f"landed {names} on {self.ctx.config.base}: {green.sha[:12]}")
        for link in green.links:
            self.api.set_stage(link.task, Stage.RELEASED)
            self.api.close(link.task)
            if link.flaky:
                self.report.flaky.append(link.task)
                print(escalation.render(flaky_escalation(link.task, link.flaky)))
        self.report.landed.extend(decision.tasks)
        return "landed"

    def send_back(self, world: World, decision: SendBack) -> str:
        """The culprit failed twice on base + itself: back to REVIEW, the failing runs named."""
        runs = failed_runs(world, decision.tree)
        reason = (f"failed after integration: {STAGING_CHECK} failed twice on the base with "
                  f"task #{decision.task} (workflow runs {runs})")
        merge_app.send_back(self.ctx, world.cands[decision.task], "merge-failed", reason,
                            {"Failed checks": f"{STAGING_CHECK} (workflow runs {runs})"})
        self.back_to_review(world, decision.task, f"task #{decision.task} back to REVIEW: "
                            f"{reason}")
        return "sent-back"

    def back_to_review(self, world: World, number: int, message: str) -> None:
        """Tell the pull request why its task went back to REVIEW (as ``gatebot land`` does)."""
        pull = world.pulls.get(number)
        if pull is not None:
            self.api.comment(pull.number, "gatebot: " + message.replace("<", "&lt;"))
        say(f"  {message}")
        self.report.sent_back.append(number)

    def take_out_conflict(self, world: World, conflict: queue_chain.Conflict) -> None:
        """Escalate a task whose merge conflicts and take it out; no run was spent on it."""
        cand = conflict.cand
        rule = merge_app.conflict_rule(conflict.files, whitespace=False)
        outcome = merge_app.escalate_conflict(self.ctx, cand, conflict.files, [rule], world.tip)
        say(f"  #{cand.task.number} conflicts in {', '.join(conflict.files)}: taken out "
            "before any staging run, back to REVIEW (escalated)")
        print(outcome.escalation_text)
        self.report.taken_out.append(cand.task.number)

    def clean(self, world: World) -> str:
        """The batch is decided: delete its staging branches (the next step starts another)."""
        for branch in world.branches:
            self.api.delete_branch(branch.branch)
        say("batch done: its staging branches deleted")
        return "cleaned"


def failed_runs(world: World, tree: Tree) -> str:
    """The ids of the staging runs that failed on ``tree``, comma-separated, oldest first."""
    return ", ".join(str(r.run_id) for b in world.branches if b.tasks == tree
                     for r in b.results if r.conclusion == "failure")


def run_steps(ctx: Context, override: int | None, once: bool, report: Report) -> list[str]:
    """Step until a staging run must finish or the queue is empty; exactly one with ``once``.

    Returns what each step did (``Stepper.step``). In GitHub Actions each invocation (the
    staging run's ``workflow_run``, the schedule, a dispatch) thus goes as far as it can
    without waiting. Raises ``UsageError`` outside the github forge.
    """
    stepper, done = Stepper(ctx, override, report), []
    for _ in range(MAX_STEPS):
        done.append(stepper.step())
        if once or done[-1] in ("waiting", "empty", "staged"):
            break
    return done


def record_run(api: StagingRepo, run: StagingRun, sha: str) -> bool:
    """Record the finished staging ``run`` of ``sha`` as a ``gatebot/staging`` check run.

    Once per run id: an event handled twice records nothing the second time (False). What
    the check run claims is not trusted later: each step reads the run itself again.
    """
    if any(c.external_id == str(run.run_id) and c.status == "completed"
           for c in api.check_runs(sha) if c.name == STAGING_CHECK):
        return False
    conclusion = run.conclusion if run.conclusion in ("success", *INTERRUPTED) else "failure"
    api.record_check(sha, STAGING_CHECK, conclusion, external_id=str(run.run_id),
                     summary=f"{STAGING_WORKFLOW} run {run.run_id}: {run.conclusion}")
    return True


def queue_tips(ctx: Context) -> set[str]:
    """The SHAs the queue's staging branches hold on the remote now (one ``git ls-remote``)."""
    remote = ctx.forge.remote
    if remote is None:
        return set()
    out = ctx.git.run("ls-remote", "--heads", remote, f"refs/heads/{QUEUE_STAGING}*",
                      check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def land_queue_run(cwd: Path, run: StagingRun, sha: str, api: StagingRepo) -> int | None:
    """``gatebot land --workflow-run`` for a staging run of the queue: record it, then step.

    None when ``sha`` is no queue staging branch's tip (a single task's landing). Else the
    exit code of the steps that follow (``run_steps`` without ``--once``), run on the github
    forge whatever the configuration says (the event is GitHub's).
    """
    token = FORGE_OPTION.set("github")
    try:
        ctx = open_context(cwd)
        if sha not in queue_tips(ctx):
            return None
        recorded = record_run(api, run, sha)
        say(f"gatebot land: workflow run {run.run_id} ({run.conclusion}) of the merge queue's "
            f"{sha[:12]} {'recorded' if recorded else 'was recorded already'}")
        return queue_steps(ctx)
    finally:
        FORGE_OPTION.reset(token)


def queue_steps(ctx: Context) -> int:
    """The queue's next steps on ``ctx`` (github forge) until one must wait; the exit code.

    For the jobs that drive the queue besides ``queue run``: the landing job of a finished
    staging run, and gate 2 with ``merge.landing = "queue"`` (the approved task joins the
    next batch; a batch in flight is waited for). Exit 0, or 1 when a task went back, was
    taken out or skipped (``Report.exit_code``).
    """
    report = Report()
    run_steps(ctx, None, False, report)
    say(report.steps_summary())
    return report.exit_code()
