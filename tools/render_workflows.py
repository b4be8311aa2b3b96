"""Render the workflows ``gatebot init --github`` writes into ``OUT/.github/workflows/``.

Usage: ``python tools/render_workflows.py OUT``. The lint session audits them (zizmor, the
GitHub workflow schema) beside this project's own, which are the self-hosted rendering of the
same templates. Prints the paths written, one a line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gatebot import __version__
from gatebot.core import workflows


def main(out: Path) -> int:
    """Write every workflow as a user's repository gets it; 0 when written."""
    options = workflows.WorkflowOptions(requirement=f"gatebot=={__version__}",
                                        version=__version__)
    for path, text in workflows.render_all(options).items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(target)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/render_workflows.py OUT")
    sys.exit(main(Path(sys.argv[1])))
