"""``tools/check_layers.py``: imports point inward, and the package as it stands obeys it."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOOL: dict[str, Any] = runpy.run_path(str(ROOT / "tools" / "check_layers.py"))


def test_an_adapter_that_imports_the_app_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from gatebot import config\n\ndef f():\n    import gatebot.app.merge\n")
    found = TOOL["offending"](bad, ("gatebot.app", "gatebot.config"), "why")
    assert found == [f"{bad}:1: gatebot.config (why)", f"{bad}:4: gatebot.app.merge (why)"]


def test_the_package_points_inward(monkeypatch: Any) -> None:
    monkeypatch.chdir(ROOT)
    assert TOOL["problems"]() == []
