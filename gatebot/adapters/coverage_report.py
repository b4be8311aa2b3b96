"""Read coverage.py's JSON report (``coverage json``) for the ``coverage`` rule of SPEC §5.1.

The report's shape, as coverage.py writes it::

    {"totals": {"percent_covered": 87.5, ...},
     "files": {"pkg/mod.py": {"summary": {"percent_covered": 90.0, ...}, ...}, ...}}
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatebot.errors import EnvironmentProblem

if TYPE_CHECKING:
    from gatebot.core.facts import CoverageReport

Fingerprint = tuple[int, int, int, int, int]
"""``(device, inode, size, mtime ns, ctime ns)`` of a file: any write changes it."""


def fingerprint(path: Path) -> Fingerprint | None:
    """The fingerprint of the file at ``path`` before a run, or None when there is none.

    The change time (``ctime``) cannot be set back by a program, so a report
    with the same fingerprint after the run was not written by it, whatever
    its modification time says.
    """
    try:
        st = path.lstat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def written_since(path: Path, before: Fingerprint | None) -> bool:
    """Whether a file is at ``path`` now that was (re)written after ``before`` was taken."""
    now = fingerprint(path)
    return now is not None and now != before


def remove_if_new(path: Path, before: Fingerprint | None) -> None:
    """Remove the report at ``path`` if there was none before the run (``before`` None).

    A review leaves the reviewer's work tree as it found it; a report that
    existed before is left in place.
    """
    if before is None and (path.is_symlink() or path.is_file()):
        path.unlink(missing_ok=True)  # a link itself, never what it points to


def read_coverage(path: Path) -> CoverageReport | None:
    """Read the total and per-file line coverage (percent, 0 to 100) from the report at ``path``.

    Returns None when there is no file at ``path`` (the tests check wrote none).
    Raises ``EnvironmentProblem`` naming the file and the fix when it cannot be
    read, is not JSON, or lacks ``totals.percent_covered`` or a file's
    ``summary.percent_covered``.
    """
    if not path.exists():
        return None
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad_report(path, f"cannot be read: {exc}") from exc
    except ValueError as exc:
        raise _bad_report(path, f"is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _bad_report(path, "is not a JSON object")
    total = _percent(path, data.get("totals"), "totals")
    files = data.get("files", {})
    if not isinstance(files, dict):
        raise _bad_report(path, '"files" is not an object')
    per_file = {
        str(name): _percent(path, _get(entry, "summary"), f"files.{name}.summary")
        for name, entry in files.items()
    }
    from gatebot.core.facts import CoverageReport  # noqa: PLC0415 - a landing reads no report

    return CoverageReport(percent=total, path=str(path), files=per_file)


def _get(mapping: object, key: str) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None


def _percent(path: Path, holder: object, where: str) -> float:
    """``holder["percent_covered"]`` as a float; ``where`` names ``holder`` for the error."""
    value = _get(holder, "percent_covered")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad_report(path, f"has no number at {where}.percent_covered")
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise _bad_report(path, f"has {value!r} at {where}.percent_covered, not a percentage")
    return float(value)


def _bad_report(path: Path, detail: str) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"coverage report {path} {detail}",
        hint=(
            f"regenerate it with coverage.py's `coverage json -o {path}` after the tests run "
            "(it needs coverage.py 5 or newer), or delete it"
        ),
    )
