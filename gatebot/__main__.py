"""Run gatebot as ``python -m gatebot``.

Python puts the working directory first on ``sys.path`` for ``-m``; in a
repository with a top-level ``click`` or ``rich`` package that would shadow
gatebot's own dependencies, so it is taken off before anything else loads.
"""

import os
import sys

_here = os.getcwd()  # noqa: PTH109 - pathlib would load before the path is cleaned
sys.path[:] = [p for p in sys.path if p not in ("", ".", _here)]

from gatebot.cli import main  # noqa: E402 - after the path is cleaned

main()
