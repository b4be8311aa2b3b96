"""A batch's integration: the base tip, then each approved head merged ``--no-ff`` in order.

Each merge is its own release commit (the board edits and ``Gatebot-*`` trailers a single
``gatebot merge --task N`` writes), built with git plumbing (``merge-tree``, ``commit-tree``):
no work tree is touched. The commits form a chain, one per task, on the base tip; a prefix of
the chain is a tree the queue may test (docs/queue.md).

No file content of a chain depends on the SHA of a commit in it (the archive entries name the
batch's base, not each release's parent), so re-writing a prefix's messages with
``Gatebot-Tested-in`` keeps every tree: the landed last tree is exactly the tested one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gatebot.adapters.git import Person
from gatebot.adapters.local import BOT_IDENTITY, render_trailers
from gatebot.app import merge as merge_app
from gatebot.app.context import Context
from gatebot.core import archive

TESTS_FIELD = "tested with the batch (see the release commit's Gatebot-Tested-in)"


@dataclass(frozen=True)
class Link:
    """One release commit of a chain: its task's ``cand``, the ``commit`` and its ``tree``."""

    cand: merge_app.Candidate
    commit: str
    tree: str


@dataclass(frozen=True)
class Conflict:
    """The task whose merge on the chain so far conflicts, and the conflicting paths."""

    cand: merge_app.Candidate
    files: tuple[str, ...]


def _person(actor: str) -> Person:
    """The release's author, as ``gatebot merge`` names it: the gate-2 actor."""
    return Person(actor, actor if "@" in actor else f"{actor}@gatebot.invalid")


def merged_tree(ctx: Context, ours: str, theirs: str) -> tuple[str | None, tuple[str, ...]]:
    """The tree of merging ``theirs`` into ``ours``, or None and the conflicting paths.

    ``git merge-tree`` first, with no work tree; when it conflicts, the merge is tried again
    in the integration worktree, where whitespace-only conflicts are resolved as ``gatebot
    merge`` resolves them (``-Xignore-space-change``, which git 2.39's merge-tree lacks).
    """
    tree = ctx.git.merge_tree(ours, theirs)
    if tree is not None:
        return tree, ()
    from gatebot.adapters.worktree import merge_into, worktree  # noqa: PLC0415 - on conflicts

    with worktree(ctx.git, ours, ctx.state_dir() / "integration") as wt:
        integration = merge_into(wt, ours, theirs)
        if not integration.clean:
            return None, integration.conflicts
        tree = wt.out("write-tree")
        wt.run("merge", "--quit")
        return tree, ()


def _board_bytes(ctx: Context, cand: merge_app.Candidate, parent: str, base: str,
                 now: datetime) -> dict[str, bytes]:
    board = ctx.config.board
    read = ctx.files.reader(parent, prefetch=(
        board.todo, board.current_state, archive.archive_path(now.date(), board.archive_dir)))
    coverage = ctx.forge.approvals(cand.task.number, base)
    files = merge_app.release_files(ctx, read, cand, base, now=now,
                                    coverage=coverage[0].coverage if coverage else "n/a",
                                    tests=TESTS_FIELD)
    return {p: t.encode("utf-8", "surrogateescape") for p, t in files.items()}


def build(ctx: Context, base: str, cands: list[merge_app.Candidate], now: datetime
          ) -> tuple[list[Link], Conflict | None]:
    """The chain of release commits of ``cands`` on ``base``, stopping at the first conflict.

    Returns the links built (one per task before the conflict) and the conflict, if any.
    Commits only: no ref moves. Raises ``Refused`` when a board path holds a symlink.
    """
    links: list[Link] = []
    parent = base
    for cand in cands:
        merged, conflicts = merged_tree(ctx, parent, cand.head)
        if merged is None:
            return links, Conflict(cand, conflicts)
        commit = ctx.git.commit_files(
            parent, _board_bytes(ctx, cand, parent, base, now),
            merge_app.release_message(cand, parent), identity=_person(cand.actor),
            committer=BOT_IDENTITY, extra_parents=[cand.head], tree_from=merged)
        links.append(Link(cand, commit, ctx.git.out("rev-parse", f"{commit}^{{tree}}")))
        parent = commit
    return links, None


def finalize(ctx: Context, base: str, links: list[Link], tested_tree: str,
             flaky: dict[int, str]) -> str:
    """Re-write ``links`` on ``base`` with the trailers of a tested landing; the last commit.

    Every release of a landing of more than one task gets ``Gatebot-Tested-in: <tree>``: the
    tree the checks ran on (the last release's, or one that differs from it only in board
    files when main got a board commit meanwhile). ``flaky`` maps a task to the checks that
    failed once and passed on retry of its tree (``Gatebot-Flaky``). The body of each release
    but the last says it was tested in the batch, on that tree. Trees are kept.
    """
    parent = base
    for i, link in enumerate(links):
        extra = {}
        if len(links) > 1:
            extra["Gatebot-Tested-in"] = tested_tree
        if link.cand.task.number in flaky:
            extra["Gatebot-Flaky"] = flaky[link.cand.task.number]
        intermediate = i < len(links) - 1  # the last release's own tree is the tested one
        message = merge_app.release_message(link.cand, parent,
                                            tested_in=tested_tree if intermediate else None)
        if extra:
            message = message.rstrip("\n") + "\n" + render_trailers(extra) + "\n"
        parent = ctx.git.commit_tree(link.tree, [parent, link.cand.head], message,
                                     identity=_person(link.cand.actor),
                                     committer=BOT_IDENTITY)
    return parent
