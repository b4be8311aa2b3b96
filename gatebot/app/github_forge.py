"""The github forge of this build: ``GitHubForge`` over the base branch's ``LocalForge``.

Registered in ``gatebot.app.context.FORGES`` as ``github``; chosen by ``forge = "github"``,
``--forge github``, ``GATEBOT_FORGE=github`` or, for ``gatebot gate``, GitHub Actions. The
connection opens on first use, from ``--token``/``GITHUB_TOKEN`` (or a GitHub App) and
``GITHUB_REPOSITORY`` (else the origin remote's repository); verdicts are rendered as the
``markdown`` format renders them.
"""

from __future__ import annotations

from gatebot import config as config_module
from gatebot.adapters.github.client import Connection, connect, env_settings
from gatebot.adapters.github.forge import GitHubForge
from gatebot.adapters.local import LocalForge
from gatebot.app.context import ACTING_ACCOUNT
from gatebot.app.github_setup import repository_of
from gatebot.app.output import render_markdown
from gatebot.core.github_model import Person


def github_forge(_cfg: config_module.Config, files: LocalForge) -> GitHubForge:
    """The github forge over ``files`` (no request is made until it is used)."""

    def opened() -> Connection:
        return connect(env_settings(repository=repository_of(files.git.root)))

    acting = ACTING_ACCOUNT.get()
    return GitHubForge(files, opened, render_markdown,
                       acting=Person(*acting) if acting is not None else None)
