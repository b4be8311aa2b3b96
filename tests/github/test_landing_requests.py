"""The GitHub requests of one landing in Actions are pinned: a change that adds one fails here.

The landing is played as ``benchmarks/bench_landing.py`` plays it (issue 10's figures): the
last approval's ``gatebot gate`` (gate 2 stages: the release commit pushed to
``gatebot/staging/<N>/1``, gatebot-staging.yml dispatched) and the staging run's
``gatebot land --workflow-run`` (the check run recorded, main fast-forwarded, the task
released), each a real ``python -m gatebot`` process against the fake GitHub, which counts the
requests. When a change needs more requests on purpose, raise the figure here and re-measure
the benchmark (README quotes it).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_landing import one

GATE_REQUESTS = 12
"""gate 2: bot, pull request + commits + reviews, issue + events, gate-1 check runs + the
publish run they name, notes comment read + update, staging branches, dispatch (the task's
board entry comes from git and the issue already read: no issue or pull request lists)."""
LAND_REQUESTS = 18
"""land: staging branches, open pulls, check run, pull request, main, commits + reviews,
issue + events, gate-1 check runs + the publish run they name (the approvers are decided as the
review step decides them, with gate 1's recorded pushers), check runs, fast-forward, labels
(read, remove, add), close, delete branch."""

def test_a_landing_makes_the_pinned_number_of_requests(tmp_path: Path) -> None:
    """Each step's request count equals its pin; one staging run; main is the staged commit."""
    landed = one(tmp_path, main_moves=False)
    assert landed["requests_by_step"] == [("gate", GATE_REQUESTS), ("land", LAND_REQUESTS)]
    assert landed["requests"] == GATE_REQUESTS + LAND_REQUESTS
    assert landed["staging_runs"] == 1
