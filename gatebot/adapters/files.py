"""Files gatebot writes for the user (``status --write``, ``audit --output``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename.

    A reader sees the old file or the new one, never half of it; missing parent
    directories are created. Raises ``OSError`` when the directory is not writable.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    Path(tmp).replace(path)
