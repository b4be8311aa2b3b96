"""Check that imports point inward (design/ARCHITECTURE.md): ``core`` touches nothing outside.

``gatebot.core`` may import only the standard library's pure parts, ``gatebot.core``
itself, ``gatebot.errors`` and pure third-party libraries (markdown-it-py, jinja2, pathspec).
Exits 1 listing each offending import as ``path:line: module``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

FORBIDDEN = (
    "gatebot.adapters", "gatebot.app", "gatebot.cli", "gatebot.config",
    "subprocess", "socket", "github", "nox", "rich", "click", "shutil", "tempfile",
)


def offending(path: Path) -> list[str]:
    """The forbidden imports of one core module, as ``path:line: module`` strings."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [
            f"{path}:{node.lineno}: {name}"
            for name in names
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
        ]
    return found


def main() -> int:
    """Scan ``gatebot/core`` and report; 0 when clean."""
    problems = [p for f in sorted(Path("gatebot/core").rglob("*.py")) for p in offending(f)]
    for problem in problems:
        print(f"{problem} (core must stay pure: move I/O to gatebot/adapters)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
