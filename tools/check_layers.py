"""Check that imports point inward (design/ARCHITECTURE.md): ``cli → app → core``, ``adapters → ports/core``.

- ``gatebot.core`` may import only the standard library's pure parts, ``gatebot.core``
  itself, ``gatebot.errors`` and pure third-party libraries (markdown-it-py, jinja2,
  pathspec, pydantic): nothing that touches the outside world.
- ``gatebot.ports`` (the Protocols) may import only ``gatebot.core`` and ``gatebot.errors``.
- ``gatebot.adapters`` may import ``gatebot.ports``, ``gatebot.core``, ``gatebot.errors`` and
  each other, never ``gatebot.app``, ``gatebot.cli`` or ``gatebot.config``.
- nothing but ``gatebot.cli`` (and ``gatebot.app`` itself) imports ``gatebot.app``.

Exits 1 listing each offending import as ``path:line: module (rule)``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

WORLD = ("subprocess", "socket", "github", "nox", "rich", "click", "shutil", "tempfile")
GATEBOT = ("gatebot.adapters", "gatebot.app", "gatebot.cli", "gatebot.config", "gatebot.ports")
RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("gatebot/core", GATEBOT + WORLD, "core must stay pure: move I/O to gatebot/adapters"),
    ("gatebot/ports.py", tuple(m for m in GATEBOT if m != "gatebot.ports") + WORLD,
     "ports name shapes only: import core values, nothing else"),
    ("gatebot/adapters", ("gatebot.app", "gatebot.cli", "gatebot.config"),
     "adapters point inward: take values from the caller, not the app or the configuration"),
    ("gatebot/config.py", ("gatebot.app", "gatebot.cli", "gatebot.adapters"),
     "the configuration is read by the app, it does not call it"),
    ("gatebot/errors.py", GATEBOT, "errors are the innermost module"),
)


def imported(path: Path) -> list[tuple[int, str]]:
    """Every absolute module ``path`` imports, top level or inside functions, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "gatebot":  # `from gatebot import config`
                found += [(node.lineno, f"gatebot.{alias.name}") for alias in node.names]
    return found


def _matches(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def offending(path: Path, forbidden: tuple[str, ...], why: str) -> list[str]:
    """The imports of ``path`` that ``forbidden`` names, as ``path:line: module (why)``."""
    return [f"{path}:{line}: {name} ({why})" for line, name in imported(path)
            if _matches(name, forbidden)]


def _files(where: str) -> list[Path]:
    root = Path(where)
    return [root] if root.suffix == ".py" else sorted(root.rglob("*.py"))


def problems() -> list[str]:
    """Every import that points outward, over the whole package."""
    found = [p for where, forbidden, why in RULES for f in _files(where)
             for p in offending(f, forbidden, why)]
    outside_app = [f for f in sorted(Path("gatebot").rglob("*.py"))
                   if not str(f).startswith(("gatebot/app", "gatebot/cli.py"))]
    found += [p for f in outside_app
              for p in offending(f, ("gatebot.app",), "only gatebot.cli imports the app")]
    return sorted(set(found))


def main() -> int:
    """Scan ``gatebot`` and report; 0 when clean."""
    found = problems()
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
