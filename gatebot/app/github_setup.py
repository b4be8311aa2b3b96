"""``gatebot init --github``: the labels of GitHub mode, created or corrected idempotently.

The repository is ``GITHUB_REPOSITORY`` (GitHub Actions sets it), else the ``origin`` remote's
GitHub address; the credentials are ``--token``/``GITHUB_TOKEN`` or a GitHub App
(``gatebot.adapters.github.client``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from gatebot.adapters.git import Git
from gatebot.core.github_model import LABELS

_REMOTES = (
    re.compile(r"^(?:https?|ssh|git)://(?:[^@/]+@)?[^/]+/([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"),
    re.compile(r"^[\w.-]+@[\w.-]+:([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"),
)
"""A remote URL on a forge: ``https://host/owner/name.git`` or ``git@host:owner/name.git``."""


def repository_of(cwd: Path) -> str | None:
    """``owner/name`` from ``GITHUB_REPOSITORY``, else from the ``origin`` remote's URL."""
    named = os.environ.get("GITHUB_REPOSITORY")
    if named:
        return named
    url = Git(cwd).run("remote", "get-url", "origin", check=False).stdout.strip()
    found = next((m for m in (r.match(url) for r in _REMOTES) if m), None)
    return f"{found.group(1)}/{found.group(2)}" if found else None


def labels_report(cwd: Path, token: str | None, *, dry_run: bool) -> str:
    """Create or correct the labels (module doc); the lines saying what happened.

    Without credentials nothing is asked of GitHub and the text says how to give them.
    Raises ``UsageError`` (exit 2) without credentials or repository, ``EnvironmentProblem``
    (exit 2) when GitHub refuses, with no secret in the text.
    """
    names = ", ".join(spec.name for spec in LABELS)
    if dry_run:
        return f"gatebot init --github --dry-run: would create or correct the labels {names}"
    if not (token or os.environ.get("GITHUB_TOKEN") or os.environ.get("GATEBOT_GITHUB_APP_ID")):
        return ("gatebot init --github: labels not created (no GitHub credentials): run it "
                f"again with --token or GITHUB_TOKEN to create {names}")
    from gatebot.adapters.github.client import connect, env_settings  # noqa: PLC0415
    from gatebot.adapters.github.labels import ensure_labels  # noqa: PLC0415

    conn = connect(env_settings(token, repository=repository_of(cwd)))
    try:
        changes = ensure_labels(conn)
    finally:
        conn.close()
    lines = [f"gatebot init --github: labels of {conn.settings.repository}:"]
    lines += [f"  {c.name} ({c.action})" for c in changes]
    return "\n".join(lines)
