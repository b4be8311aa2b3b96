"""``gatebot audit`` on GitHub: the github forge's events in the figures; the report issue.

Imported only when the forge is ``github`` or ``--publish-issue`` is given, so the local
audit never loads PyGithub.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gatebot.adapters.github.audit import read_github
from gatebot.adapters.github.audit_issue import PublishedReport, publish_report
from gatebot.adapters.github.client import Connection, connect, env_settings
from gatebot.adapters.github.forge import GitHubForge
from gatebot.adapters.github.identity import bot_identity
from gatebot.app.github_setup import repository_of
from gatebot.core.audit import History
from gatebot.core.audit_github import github_history, merge

if TYPE_CHECKING:
    from gatebot.ports import Forge


def with_github(forge: Forge, history: History, start: datetime) -> History:
    """``history`` (git's) plus the label events and reviews GitHub holds since ``start``.

    A forge other than the github forge leaves ``history`` as it is.
    Raises ``EnvironmentProblem`` (exit 2) when GitHub refuses a read.
    """
    if not isinstance(forge, GitHubForge):
        return history
    events, pulls = read_github(forge.conn, start)
    found, ignored = github_history(events, pulls)
    return merge(history, found, ignored)


def publish(root: Path, forge: Forge, title: str, markdown: str) -> PublishedReport:
    """Post ``markdown`` to the repository's audit issue (``adapters.github.audit_issue``).

    The connection is the github forge's, else one opened from ``GITHUB_TOKEN`` (or a GitHub
    App) and ``GITHUB_REPOSITORY`` (else the origin remote's repository). Raises
    ``UsageError``/``EnvironmentProblem`` (exit 2) without credentials or when GitHub refuses.
    """
    if isinstance(forge, GitHubForge):
        return publish_report(forge.conn, forge.bot, title, markdown)
    conn: Connection = connect(env_settings(repository=repository_of(root)))
    try:
        return publish_report(conn, bot_identity(conn), title, markdown)
    finally:
        conn.close()
