"""The soak's lander: the one process that lands approved tasks in ``queue`` mode.

In a soak run with ``SoakConfig(land="queue")`` (tests/soak.py) the agents claim, build,
submit and approve gate 1 as in ``serial`` mode but never run ``gatebot merge``; this process,
``LANDER``, is the gate-2 reviewer of every task. It loops until every task is RELEASED (or the
budget is spent): it fetches origin's board and, whenever a task waits in RDY FOR PROD, runs
``gatebot queue run --as goldenfocus-lander``, which lands the queue in tested batches and
sends a culprit (a poisoned build) back to REVIEW. It builds and approves nothing, so gate 2's
eligibility (neither a builder nor the gate-1 reviewer) always holds for it.

Run by ``tests.soak.spawn`` as ``python -m tests.soak_lander agent SPEC.json``; every call is
one JSON line in ``logs/goldenfocus-lander.jsonl`` with ``op`` ``queue``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.soak import Agent, BoardTask

IDLE_STEPS = 20
"""The lander's ``max_steps`` is this many times an agent's: most of its steps are idle polls."""


class Lander(Agent):
    """The lander: an ``Agent`` whose only action is ``gatebot queue run``."""

    def __init__(self, spec: dict[str, Any]) -> None:
        """As ``Agent``, with ``IDLE_STEPS`` times the steps (it polls while nothing waits)."""
        super().__init__({**spec, "max_steps": spec["max_steps"] * IDLE_STEPS})

    def act(self, tasks: Sequence[BoardTask]) -> bool:
        """Run the queue when a task waits in RDY FOR PROD; False (sleep) when none does."""
        if not any(t.stage == "RDY FOR PROD" for t in tasks):
            return False
        self.call("queue", None, "queue", "run", "--as", self.name)
        return True


def lander_main(spec_path: str) -> int:
    """Entry point of the lander process."""
    Lander(json.loads(Path(spec_path).read_text(encoding="utf-8"))).run()
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "agent":
        sys.exit(lander_main(sys.argv[2]))
    sys.exit("usage: python -m tests.soak_lander agent SPEC.json")
