"""What one step of ``gatebot queue run --forge github`` reads: the queue's staging state.

The merge queue on GitHub keeps no state of its own between steps; everything is read back
from git and GitHub each time (docs/queue.md, "On GitHub"):

- the base branch's tip and the queue's staging branches ``gatebot/staging/queue/<k>`` (one
  ``git fetch``); each branch holds the release commits of a prefix of the batch, chained
  on the base tip it was built on. A commit counts only when gatebot built it: committed by
  gatebot, a release of one task, its tree the ``git merge-tree`` of its two parents with
  only the board files edited (``staging.forged``, the check ``gatebot land`` makes);
- the staging workflow runs of each branch's tip: the ``gatebot/staging`` check runs on that
  SHA name them (``external_id``), and each counts only when ``GET /actions/runs/{id}`` shows
  ``gatebot-staging.yml`` started by ``workflow_dispatch`` on the base branch for exactly
  that SHA, finished. A green check run without such a run is dropped, as if never posted.
  A dispatch that started no run within ``merge.staging_timeout`` is recorded as lost
  (``external_id`` ``lost``, conclusion ``timed_out``): no verdict, as a timed-out run;
- the commits main got since each branch's base: the queue's own landings (a prefix of the
  branch's tasks) and anything else (code, or board files only).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gatebot.adapters.github_staging import StagingRepo
from gatebot.adapters.local import BOT_COMMITTER, TRAILERS_FORMAT, split_trailers
from gatebot.app import staging
from gatebot.app.context import Context
from gatebot.core.landing import INTERRUPTED, STAGING_CHECK, staged_sha
from gatebot.core.queue import CheckRun, Tree, queue_attempt
from gatebot.core.rules.board_files import owned
from gatebot.core.staging_watch import LOST

MAX_CHAIN = 64
"""The longest chain read back from a queue staging branch (batches hold at most a few)."""

_SEP, _END = "\x1f", "\x1e"


@dataclass(frozen=True)
class Link:
    """One release commit of a queue staging branch: ``commit`` on ``parent``, merging ``head``.

    ``task``: the task it releases; ``tree``: its tree; ``flaky``: its ``Gatebot-Flaky``
    trailer ("" when none: the commit is not a retry).
    """

    commit: str
    parent: str
    task: int
    head: str
    tree: str
    flaky: str = ""


@dataclass(frozen=True)
class Result:
    """A verified staging workflow run of a branch's tip: ``run_id`` and its ``conclusion``.

    ``conclusion``: ``success``, ``failure`` (anything red) or ``interrupted`` (cancelled,
    timed out: no verdict on the change).
    """

    run_id: int
    conclusion: str


@dataclass(frozen=True)
class Staged:
    """One queue staging branch read back.

    ``links``: its release commits not on main yet, oldest first (empty: it landed);
    ``results``: the verified staging runs of its tip, oldest first (and its lost dispatches,
    interrupted); ``pending``: a run was dispatched on the tip and has not reported, since
    ``since`` (GitHub's time of the newest dispatch; None when unknown); ``tasks``: relative to main's tip now (the
    prefix main already released is cut off); ``void``: main got a code commit since the
    branch's base, so its runs tested another base; ``current``: built on main's tip, so its
    tip may be fast-forwarded to.
    """

    k: int
    branch: str
    sha: str
    links: tuple[Link, ...]
    results: tuple[Result, ...]
    pending: bool
    tasks: Tree
    void: bool
    current: bool
    since: datetime | None = None

    def runs(self) -> list[CheckRun]:
        """Its results as ``core.queue`` check runs of ``tasks`` (interrupted ones are none).

        A green run counts only on a current branch (what lands is exactly the SHA that
        passed); a red one also after board-only commits on main (the code is the same).
        """
        if self.void or not self.tasks:
            return []
        return [CheckRun(self.tasks, r.conclusion == "success") for r in self.results
                if r.conclusion == "failure" or (r.conclusion == "success" and self.current)]

    def verdicts(self) -> int:
        """How many of its runs passed or failed (interrupted ones left out)."""
        return sum(1 for r in self.results if r.conclusion != "interrupted")

    def interrupted(self) -> int:
        """How many of its runs were cancelled or timed out."""
        return sum(1 for r in self.results if r.conclusion == "interrupted")


@dataclass(frozen=True)
class _Commit:
    """One commit as ``_log`` reads it: SHA, parents, tree, committer and trailers."""

    sha: str
    parents: tuple[str, ...]
    tree: str
    committer: str
    trailers: dict[str, str]

    def released(self) -> int | None:
        """The task this commit releases when gatebot committed it as a release, else None."""
        task = self.trailers.get("Gatebot-Task", "").removeprefix("#")
        is_release = self.committer == BOT_COMMITTER and task.isdigit() \
            and self.trailers.get("Gatebot-Event") == "released"
        return int(task) if is_release else None


def _log(ctx: Context, *args: str) -> list[_Commit]:
    """``git log --first-parent *args`` read as ``_Commit`` records, in git's order."""
    out = ctx.git.out("log", "--first-parent",
                      f"--format=%H{_SEP}%P{_SEP}%T{_SEP}%cn <%ce>{_SEP}{TRAILERS_FORMAT}{_END}",
                      *args)
    found = []
    for entry in (e.strip("\n") for e in out.split(_END) if e.strip("\n")):
        sha, parents, tree, committer, raw = entry.split(_SEP, 4)
        found.append(_Commit(sha, tuple(parents.split()), tree, committer, split_trailers(raw)))
    return found


def read_chain(ctx: Context, sha: str, tip: str) -> tuple[Link, ...] | str:
    """The release commits of ``sha``'s first-parent chain not on ``tip``, oldest first.

    Returns why not (a message) when one of them is not a release commit gatebot built.
    """
    commits = _log(ctx, f"-n{MAX_CHAIN + 1}", sha, "--not", tip)
    if len(commits) > MAX_CHAIN:
        return f"its chain is longer than {MAX_CHAIN} commits"
    links: list[Link] = []
    for commit in reversed(commits):
        task, pair = commit.released(), commit.parents
        if task is None or len(pair) != 2 or commit.trailers.get("Gatebot-Head") != pair[1]:
            return f"{commit.sha[:12]} is not a release commit gatebot built"
        why = staging.not_the_merge(ctx, commit.sha, pair[0], pair[1])
        if why is not None:
            return f"{commit.sha[:12]}: {why}"
        links.append(Link(commit.sha, pair[0], task, pair[1], commit.tree,
                          commit.trailers.get("Gatebot-Flaky", "")))
    return tuple(links)


def read_results(api: StagingRepo, sha: str
                 ) -> tuple[tuple[Result, ...], bool, datetime | None]:
    """The verified staging runs of ``sha``, oldest first; whether one is awaited, and since.

    Every completed ``gatebot/staging`` check run on ``sha`` names a workflow run; it counts
    once per run id, and only when the Actions API shows that run as ``gatebot-staging.yml``
    dispatched on the base branch for ``sha``, finished (one request per run). One whose id
    is ``lost`` records a dispatch that started no run: an interrupted result (run id 0). A
    queued one is gatebot's mark of a dispatch: more marks than results means one is
    awaited, since the newest mark's ``started_at``.
    """
    checks = [c for c in api.check_runs(sha) if c.name == STAGING_CHECK and c.head_sha == sha]
    marks = [c for c in checks if c.status != "completed"]
    found: list[Result] = []
    seen: set[str] = set()
    for check in reversed(checks):  # GitHub lists the newest first
        if check.status == "completed" and check.external_id == LOST:
            found.append(Result(0, "interrupted"))
        if check.status != "completed" or not check.external_id.isdigit() \
                or check.external_id in seen:
            continue
        seen.add(check.external_id)
        run = api.workflow_run(int(check.external_id))
        if run is None or staged_sha(run, api.base) != sha or run.conclusion is None:
            continue  # not a staging run of this SHA: as if never posted
        conclusion = run.conclusion if run.conclusion == "success" else \
            "interrupted" if run.conclusion in INTERRUPTED else "failure"
        found.append(Result(run.run_id, conclusion))
    since = max((c.started_at for c in marks if c.started_at is not None), default=None)
    return tuple(found), len(marks) > len(found), since


@dataclass(frozen=True)
class Move:
    """A commit main got: a queue-style ``release`` of ``task``, else ``code`` or board only."""

    sha: str
    task: int | None
    code: bool


def moves(ctx: Context, base: str, tip: str) -> list[Move]:
    """The commits on main's first-parent chain after ``base`` up to ``tip``, oldest first."""
    board = ctx.config.board
    return [Move(commit.sha, commit.released(),
                 any(not owned(p, board_paths=(board.todo, board.current_state),
                               archive_dir=board.archive_dir)
                     for p in ctx.git.changed_files(commit.parents[0], commit.sha))
                 if commit.parents else True)
            for commit in _log(ctx, "--reverse", f"{base}..{tip}")]


def staged(ctx: Context, api: StagingRepo, refs: dict[str, str], tip: str) -> list[Staged]:
    """Every queue staging branch of ``refs`` (branch → SHA) read back, lowest ``k`` first.

    A branch with a commit gatebot did not build is left out, with a warning on stderr.
    """
    found: list[Staged] = []
    for branch, sha in sorted(refs.items(), key=lambda item: queue_attempt(item[0]) or 0):
        k = queue_attempt(branch)
        links = read_chain(ctx, sha, tip) if k is not None else "not a queue branch"
        if isinstance(links, str):
            print(f"gatebot queue: {branch} ignored: {links}", file=sys.stderr)
            continue
        if not links:
            found.append(Staged(k or 0, branch, sha, (), (), False, (), False, False))
            continue
        results, pending, since = read_results(api, sha)
        tasks, void = relative(ctx, links, tip)
        found.append(Staged(k or 0, branch, sha, links, results, pending, tasks, void,
                            links[0].parent == tip, since))
    return found


def relative(ctx: Context, links: Sequence[Link], tip: str) -> tuple[Tree, bool]:
    """The chain's tasks on main's tip now, and whether main's moves void its runs.

    main's own releases of the chain's first tasks (the queue landed a prefix) are cut off;
    any other commit voids the runs when it changed code (board files only: they stand).
    """
    tasks = tuple(link.task for link in links)
    cut, void = 0, False
    for move in moves(ctx, links[0].parent, tip):
        if move.task is not None and cut < len(tasks) and move.task == tasks[cut]:
            cut += 1
        elif move.code:
            void = True
    return tasks[cut:], void
