"""The GitHub Actions workflows gatebot ships, rendered from ``templates/workflows/``.

Six workflows make GitHub mode (the security model is in docs/github-actions.md):

- ``gatebot-pr.yml`` — gate 1 on ``pull_request`` with a read-only token; the verdict leaves
  as the artifact ``gatebot-verdict``;
- ``gatebot-publish.yml`` — ``workflow_run`` of gatebot-pr, gatebot-review and
  gatebot-staging: posts the verdict, takes the review step, and lands a staging commit whose
  checks passed (base-branch code only, in the environment ``gatebot``);
- ``gatebot-review.yml`` — ``pull_request_review``: no token, no secret, no checkout; its run
  only starts gatebot-publish.yml's review job;
- ``gatebot-issues.yml`` — ``issues`` and ``issue_comment``: new tasks and claim commands;
- ``gatebot-staging.yml`` — ``workflow_dispatch``: every check on one staging SHA, read-only;
- ``gatebot-sweep.yml`` — ``schedule`` every 15 minutes and ``workflow_dispatch``.

Each rendered file ends with a digest line, ``# gatebot-template-sha256: <64 hex>``, the
SHA-256 of every byte before it: a file whose digest still matches is gatebot's own output
(``gatebot init --github`` may replace it with a newer rendering), and one that does not was
edited by its owner (kept unless ``--force``). Pure: rendering reads only package data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import jinja2

#: Every action the workflows use, pinned by full commit SHA: ``name → (commit, tag)``. Each
#: commit is the one the tag pointed to in the action's own repository (``git rev-parse
#: TAG^{commit}``); a tag can be moved, a commit cannot.
PINNED_ACTIONS: Mapping[str, tuple[str, str]] = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
}

#: The workflow files, in the order they are written and reported.
WORKFLOW_FILES = (
    "gatebot-pr.yml", "gatebot-publish.yml", "gatebot-review.yml", "gatebot-issues.yml",
    "gatebot-staging.yml", "gatebot-sweep.yml",
)
ENVIRONMENT = "gatebot"
"""The GitHub environment every job holding a write token names: its deployment branch rule
allows the base branch only, so its secrets (gatebot's App key) reach no other ref's run."""
WORKFLOW_DIR = ".github/workflows"
DIGEST_PREFIX = "# gatebot-template-sha256: "

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("gatebot", "templates"),
    # YAML with GitHub's ``${{ … }}`` expressions: gatebot's own placeholders are ``<{ … }>``
    variable_start_string="<{",
    variable_end_string="}>",
    autoescape=False,  # noqa: S701 - YAML, not HTML: values go through tojson where quoted
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,  # a line holding only a block tag leaves nothing behind
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class WorkflowOptions:
    """What a rendering depends on.

    ``base``: the base branch the privileged jobs check out; ``python_version``: the Python
    the jobs install (``"3.12"``); ``requirement``: the pip requirement installing gatebot
    (``"gatebot==0.1.0"``); ``self_hosted``: gatebot gating its own repository, installed from
    the base branch's checkout instead of ``requirement``; ``version``: the gatebot version
    named in each file's header.
    """

    base: str = "main"
    python_version: str = "3.12"
    requirement: str = "gatebot"
    self_hosted: bool = False
    version: str = "0"


def uses(action: str) -> str:
    """``owner/name@<commit> # <tag>`` for a ``uses:`` line; ``KeyError`` for an unpinned one."""
    commit, tag = PINNED_ACTIONS[action]
    return f"{action}@{commit} # {tag}"


def _header(options: WorkflowOptions) -> str:
    return (f"# Written by `gatebot init --github` (gatebot {options.version}). Edit it freely:\n"
            "# `gatebot init --github` replaces it only while it is unedited (the digest on its\n"
            "# last line still matches), or with --force.")


def render(name: str, options: WorkflowOptions) -> str:
    """The text of workflow ``name`` (one of ``WORKFLOW_FILES``), ending in its digest line.

    Raises ``jinja2.TemplateNotFound`` for a name that is not one of them.
    """
    body = _ENV.get_template(f"workflows/{name}.j2").render(
        header=_header(options), uses=uses, base=options.base,
        python_version=options.python_version, requirement=options.requirement,
        self_hosted=options.self_hosted, environment=ENVIRONMENT,
    )
    return with_digest(body)


def render_all(options: WorkflowOptions) -> dict[str, str]:
    """Every workflow: ``.github/workflows/<name>`` → its text, in ``WORKFLOW_FILES`` order."""
    return {f"{WORKFLOW_DIR}/{name}": render(name, options) for name in WORKFLOW_FILES}


def with_digest(body: str) -> str:
    """``body`` (newline-terminated) followed by its digest line."""
    if not body.endswith("\n"):
        body += "\n"
    return f"{body}{DIGEST_PREFIX}{hashlib.sha256(body.encode()).hexdigest()}\n"


def unedited(text: str) -> bool:
    """Whether ``text`` is a file gatebot wrote and nobody edited since: its digest matches."""
    body, sep, digest = text.rstrip("\n").rpartition("\n")
    if not sep or not digest.startswith(DIGEST_PREFIX):
        return False
    return hashlib.sha256(f"{body}\n".encode()).hexdigest() == digest[len(DIGEST_PREFIX):]


class Action(StrEnum):
    """What ``init --github`` does with one workflow file."""

    CREATE = "create"    # missing: written
    UPDATE = "update"    # gatebot's own, unedited, from another rendering: replaced
    REPLACE = "replace"  # edited by its owner, replaced because of --force
    KEEP = "keep"        # already exactly this rendering: untouched
    EDITED = "edited"    # edited by its owner: untouched without --force


def decide(existing: str | None, wanted: str, *, force: bool) -> Action:
    """What to do with a workflow file holding ``existing`` (``None``: missing) given ``wanted``.

    The rule: never overwrite an owner's edits without ``force``; an identical file is left
    alone (a second run changes nothing).
    """
    if existing is None:
        return Action.CREATE
    if existing == wanted:
        return Action.KEEP
    if unedited(existing):
        return Action.UPDATE
    return Action.REPLACE if force else Action.EDITED
