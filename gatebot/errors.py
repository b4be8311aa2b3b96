"""The exception hierarchy and the exit-code table of SPEC §6.

Every error carries what happened (``message``) and what to do next (``hint``);
``gatebot.cli`` prints both and exits with ``exit_code``:

- 0 pass / done; 1 gate failed or action refused; 2 usage, configuration or
  environment error; 3 internal error (traceback written to a log file).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class GatebotError(Exception):
    """An error a user can act on: ``message`` says what, ``hint`` says how to fix it."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str = "") -> None:
        """Keep the message and the hint; ``str(error)`` is the message alone."""
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(GatebotError):
    """Bad flags or arguments (exit 2)."""


class ConfigError(GatebotError):
    """A configuration file, variable or value that cannot be used (exit 2, SPEC §10)."""


class BoardError(GatebotError):
    """A board file gatebot cannot make sense of (exit 2, SPEC §4); nothing was written."""


class EnvironmentProblem(GatebotError):
    """The environment lacks something: not a git repository, no such ref, no tool (exit 2)."""


class GitError(EnvironmentProblem):
    """A git command failed; the message names the command, exit code and its stderr."""


class Refused(GatebotError):
    """A transition or action that does not apply (exit 1, SPEC §2): the reason is the message."""

    exit_code = EXIT_REFUSED
