"""``gatebot init --github``, the workflow part: the six gatebot workflows in the work tree.

Facts: the workflow files the work tree has now, and whether this repository is gatebot's own
(its ``pyproject.toml`` names the project ``gatebot``: then the workflows install gatebot from
the base branch's checkout instead of PyPI). Decision: ``gatebot.core.workflows.decide`` per
file — create what is missing, refresh what gatebot wrote and nobody edited, keep what its
owner edited unless ``--force``, leave an identical file alone. Effects: atomic writes.

Unlike the board, the workflows are written to the work tree, not committed: a change to
``.github/workflows/`` is a change to what gates the repository, so it goes through a review
like any other (the ``gate-files`` rule asks a maintainer to approve it), and pushing it would
need a token allowed to change workflows. A second run changes nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from gatebot import __version__
from gatebot.adapters.files import write_atomic
from gatebot.core import workflows
from gatebot.core.workflows import Action

_SAID = {
    Action.CREATE: "written",
    Action.UPDATE: "updated (gatebot's own, unedited)",
    Action.REPLACE: "replaced (--force; your edits are gone)",
    Action.KEEP: "unchanged",
    Action.EDITED: "kept: you edited it (--force replaces it)",
}
_WRITES = (Action.CREATE, Action.UPDATE, Action.REPLACE)


@dataclass(frozen=True)
class WorkflowOutcome:
    """What happened to each workflow: repository-relative path → ``Action``, in order."""

    actions: dict[str, Action]

    @property
    def written(self) -> list[str]:
        """The paths written (or, on a dry run, that would be)."""
        return [path for path, action in self.actions.items() if action in _WRITES]


def options_for(root: Path, base: str) -> workflows.WorkflowOptions:
    """The rendering for the repository at ``root`` whose base branch is ``base``.

    gatebot's own repository (``[project] name = "gatebot"`` in its ``pyproject.toml``) gates
    itself with the gatebot of its base branch; any other installs this gatebot's release.
    """
    return workflows.WorkflowOptions(
        base=base, requirement=f"gatebot=={__version__}", self_hosted=_is_gatebot(root),
        version=__version__,
    )


def _is_gatebot(root: Path) -> bool:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    project = data.get("project")
    return isinstance(project, dict) and project.get("name") == "gatebot"


def write_workflows(root: Path, base: str, *, force: bool, dry_run: bool) -> WorkflowOutcome:
    """Write the workflows under ``root/.github/workflows/`` as ``decide`` says.

    Nothing is written with ``dry_run``. Raises ``OSError`` when a file cannot be read or
    written (the command maps it to exit 2).
    """
    wanted = workflows.render_all(options_for(root, base))
    actions: dict[str, Action] = {}
    for path, text in wanted.items():
        target = root / path
        existing = _read(target)
        actions[path] = workflows.decide(existing, text, force=force)
        if actions[path] in _WRITES and not dry_run:
            if target.is_symlink():
                target.unlink()  # replace the link itself, never the file it points to
            write_atomic(target, text)
            target.chmod(0o644)
    return WorkflowOutcome(actions)


def _read(path: Path) -> str | None:
    if not path.exists() and not path.is_symlink():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""  # unreadable or not text: treated as the owner's own file


def report(outcome: WorkflowOutcome, *, dry_run: bool) -> list[str]:
    """The lines ``init --github`` prints about the workflows, with what to do next."""
    head = ("gatebot init --github --dry-run: the workflows (nothing written):" if dry_run
            else "gatebot init --github: the workflows, in your work tree:")
    width = max(len(path) for path in outcome.actions)
    lines = [head] + [f"  {path:<{width}}  {_SAID[action]}"
                      for path, action in outcome.actions.items()]
    if outcome.written and not dry_run:
        lines += ["commit them on a branch and land them through a review (a maintainer approves "
                  "changes to .github/workflows/); the branch protection and permissions they need "
                  "are in docs/github-actions.md",
                  f"before they run, create the environment {workflows.ENVIRONMENT!r} with a "
                  "deployment branch rule that admits only your base branch: every job that "
                  "holds a write token names it, and gatebot's App key belongs there "
                  "(docs/github-actions.md, \"The environment gatebot\")"]
    return lines
