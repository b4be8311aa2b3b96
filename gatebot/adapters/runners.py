"""Ask nox what it runs by default: ``nox --list --json``.

``gatebot init`` turns the answer into the starter configuration's checks
(``gatebot.core.starter``). nox reads its own noxfile, so gatebot holds no
parser of it. A noxfile that cannot answer is no error: the reason comes back
and the starter configuration says it. (tox environments are read as a review
reads them: ``gatebot.adapters.tox_envs``.)
"""

from __future__ import annotations

import json
import subprocess  # noqa: TID251 -- only for TimeoutExpired; processes run through proc
from collections.abc import Callable, Sequence
from pathlib import Path

from gatebot.adapters import proc
from gatebot.adapters.checks import LIST_TIMEOUT_S, NOX, CheckSpec
from gatebot.core.starter import RunnerKind

Listing = tuple[tuple[str, ...], str]
"""The names the runner runs by default, and why there are none ("" when it answered)."""
Parser = Callable[[str], list[str]]


def default_names(kind: RunnerKind, root: Path) -> Listing:
    """The sessions nox runs by default in the checkout ``root`` (``kind`` must be ``nox``).

    ``nox --list --json`` lists exactly the selected sessions
    (``nox.options.sessions``, else every session not marked ``default=False``),
    each name once. Returns the names in nox's order that can name a check, and
    ``""``; or ``()`` and the reason (the noxfile failed or listed nothing
    usable, or it took over ``LIST_TIMEOUT_S`` seconds). Raises ``ValueError``
    for another ``kind``.
    """
    if kind != "nox":
        raise ValueError(f"only nox sessions are listed here, not {kind}")
    return _listing((*NOX, "--list", "--json"), root, _nox_names)


def _listing(argv: Sequence[str], root: Path, parse: Parser) -> Listing:
    try:
        listed = proc.run(argv, cwd=root, check=False, timeout=LIST_TIMEOUT_S,
                          env={"NO_COLOR": "1"})
    except subprocess.TimeoutExpired:
        return (), f"listing took over {LIST_TIMEOUT_S:g} s"
    if listed.returncode != 0:
        tail = (listed.stderr or listed.stdout).strip().splitlines()[-1:]
        return (), " ".join(tail) or f"exit {listed.returncode}"
    try:
        names = parse(listed.stdout)
    except (ValueError, TypeError, KeyError) as exc:
        return (), f"unexpected output: {exc}"
    usable = tuple(n for n in dict.fromkeys(names) if _usable(n))
    return usable, "" if usable else "it lists none that gatebot can run as a check"


def _usable(name: str) -> bool:
    """Whether ``name`` can name a check (a rule id and a log file name, as ``CheckSpec`` wants)."""
    try:
        CheckSpec(name, ("-",), 1.0)
    except ValueError:
        return False
    return True


def _nox_names(out: str) -> list[str]:
    return [str(entry["name"]) for entry in json.loads(out or "[]")]
