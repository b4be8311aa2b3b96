"""Rule ``gate-files`` (SPEC §5.1, gates 1 and 2): who may change what defines the gates.

The checks run the change's own noxfile, tox configuration and workflows, so a
change to them could weaken the very gates it is judged by; so could a change to
how pytest collects and coverage.py measures (``pytest.ini``, ``.coveragerc``,
their tables of pyproject.toml and sections of setup.cfg): ``addopts = --co``
makes the ``tests`` check pass without running a test. Such a change needs
the approval of one of ``claims.maintainers`` (like a CODEOWNERS entry): at
gate 1 the approving reviewer must be a maintainer; at gate 2 the gate-1 or the
gate-2 reviewer. Looking without approving shows the rule as failing, naming
the files. Pure: paths and file texts come in as values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from typing import Any

from gatebot.core.protocol import Identity
from gatebot.core.verdict import Finding, RuleResult

RULE_ID = "gate-files"
GATE_PATHS = frozenset({"noxfile.py", "tox.ini", "tox.toml", ".gatebot.toml", "pytest.ini",
                        ".pytest.ini", ".coveragerc"})
"""Files at the repository root that define the gates (or what the tests check and coverage do)."""
WORKFLOWS = ".github/workflows/"
PYPROJECT = "pyproject.toml"
GATE_TABLES = ("gatebot", "tox", "pytest", "coverage")
"""The ``[tool.*]`` tables of pyproject.toml that define the gates; the rest of it does not."""
SETUP_CFG = "setup.cfg"
NEEDS = "needs a maintainer's approval"


def _tables(text: bytes | None) -> tuple[Any, ...] | None:
    """The gate tables of a pyproject.toml; None when it is absent; raises ValueError if bad."""
    if text is None:
        return (None,) * len(GATE_TABLES)
    doc = tomllib.loads(text.decode("utf-8"))
    tool = doc.get("tool")
    tool = tool if isinstance(tool, dict) else {}
    return tuple(tool.get(name) for name in GATE_TABLES)


def pyproject_gates_changed(before: bytes | None, after: bytes | None) -> bool:
    """Whether a ``GATE_TABLES`` table of ``[tool]`` differs between two pyproject.toml texts.

    ``None`` means the file is absent. A text that cannot be read as UTF-8
    TOML counts as a change (it cannot be shown not to be one).
    """
    try:
        return _tables(before) != _tables(after)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True


def _sections(text: bytes | None) -> dict[str, dict[str, str]]:
    """setup.cfg's sections for pytest, coverage.py and tox; raises ``configparser.Error``.

    ``[tool:pytest]``, ``[coverage:*]``, and tox's ``[tox:tox]`` and ``[testenv*]``.
    """
    import configparser  # noqa: PLC0415 - read only when a change touches setup.cfg

    parser = configparser.RawConfigParser(interpolation=None)
    parser.read_string((text or b"").decode("utf-8"))
    return {name: dict(parser[name]) for name in parser.sections()
            if name in ("tool:pytest", "tox:tox") or name.startswith(("coverage:", "testenv"))}


def setup_cfg_gates_changed(before: bytes | None, after: bytes | None) -> bool:
    """Whether setup.cfg's pytest or coverage sections differ (unreadable text counts)."""
    import configparser  # noqa: PLC0415 - read only when a change touches setup.cfg

    try:
        return _sections(before) != _sections(after)
    except (UnicodeDecodeError, configparser.Error):
        return True


def gate_file_changes(
    paths: Sequence[str], pyproject: tuple[bytes | None, bytes | None] = (None, None),
    setup_cfg: tuple[bytes | None, bytes | None] = (None, None),
) -> list[str]:
    """The paths among ``paths`` (added, modified, deleted or renamed) that define the gates.

    ``pyproject`` and ``setup_cfg`` are those files' texts at the merge base
    and at the head; each counts only when its gate tables (``GATE_TABLES``)
    or sections (``_sections``) differ. Sorted, no repeats.
    """
    found = {p for p in paths if p in GATE_PATHS or p.startswith(WORKFLOWS)}
    if PYPROJECT in paths and pyproject_gates_changed(*pyproject):
        found.add(PYPROJECT)
    if SETUP_CFG in paths and setup_cfg_gates_changed(*setup_cfg):
        found.add(SETUP_CFG)
    return sorted(found)


def same_person(actor: str, maintainer: str) -> bool:
    """Whether ``actor`` names ``maintainer``: equal as identities compare (``protocol.fold``).

    A maintainer may be listed by name or by email; the actor is compared as
    given (``--as``, ``GATEBOT_ACTOR`` or git ``user.email``).
    """
    return Identity(actor).matches_any([maintainer])


def evaluate(
    changed: Sequence[str], *, maintainers: Sequence[str], approvers: Sequence[str]
) -> RuleResult:
    """``gate-files`` for the gate files ``changed`` and the reviewers approving the change.

    ``approvers``: at gate 1 the approving actor (empty when only looking), at
    gate 2 the gate-1 and gate-2 reviewers. Passes when nothing that defines
    the gates changed, or when one approver is among ``maintainers``. Fails
    otherwise, with "needs a maintainer's approval" and one finding per file.
    """
    if not changed:
        return RuleResult(RULE_ID, "pass", "no file that defines the gates changed")
    names = ", ".join(changed)
    for approver in approvers:
        if any(same_person(approver, m) for m in maintainers):
            return RuleResult(RULE_ID, "pass", f"{names} changed; approved by maintainer "
                              f"{approver}")
    return RuleResult(RULE_ID, "fail", f"{names} changed: {NEEDS}{_why(approvers)}",
                      tuple(Finding(f"defines the gates: {NEEDS} ({_who(maintainers)})", path=p)
                            for p in changed))


def _why(approvers: Sequence[str]) -> str:
    if not approvers:
        return ""
    return f" ({', '.join(approvers)} {'is' if len(approvers) == 1 else 'are'} not one)"


def _who(maintainers: Sequence[str]) -> str:
    if not maintainers:
        return "no maintainers are configured: set claims.maintainers on the base branch"
    return "claims.maintainers: " + ", ".join(maintainers)
