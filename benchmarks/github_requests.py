"""Benchmark: REST requests of gate 1 on a pull request with 20 commits and 3 reviews.

Runs the github forge's ``gate_one`` (read the pull request, its commits, reviews and task,
publish the verdict, move the task) against the fake GitHub of ``tests/fakegithub`` over real
HTTP, twice for a push (the second time must write nothing) and once more after a new review,
and counts the requests the fake logged. Also times the ``tests/github`` test module as a real
``pytest`` process. Results: benchmarks/results/github_requests.json.

    python benchmarks/github_requests.py [--no-tests]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatebot.adapters.github.client import Settings, connect  # noqa: E402
from gatebot.adapters.github.gate import gate_one  # noqa: E402
from gatebot.core.verdict import RuleResult, Verdict  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "github_requests.json"


def _count(fake: FakeGitHub) -> dict[str, object]:
    log = fake.requests
    kinds = Counter(f"{r.method} {r.path}" for r in log)
    return {"requests": len(log), "writes": sum(r.write for r in log),
            "by_operation": dict(sorted(kinds.items()))}


def measure(tmp: Path) -> dict[str, object]:
    """Build the pull request, run gate 1 three times; the request counts of each run."""
    fake = FakeGitHub(tmp)
    try:
        alice = fake.add_user("alice", email="alice@example.com")
        task = fake.create_issue("Limiter", fake.owner, labels=("status:review",))
        branch = f"task/{task}-limiter"
        for n in range(19):
            fake.push_commit(branch, {f"m{n}.py": f"x = {n}\n"}, f"Step {n}", alice)
        pull = fake.create_pull(branch, alice)
        reviewers = [fake.add_user(n) for n in ("bob", "carol", "dave")]
        for who, event in zip(reviewers, ("COMMENT", "REQUEST_CHANGES", "APPROVE"), strict=True):
            fake.client(who).get_repo("acme/widgets").get_pull(pull).create_review(
                event=event, body="noted")
        head = fake.push_commit(branch, {"m19.py": "x = 19\n"}, "Step 19", alice)  # the push
        conn = connect(Settings("acme/widgets", fake.url, token=fake.bot.token, throttle=False,
                                bot_login=fake.bot.login))
        verdict = Verdict("review", head, "0" * 40, (RuleResult("checks.tests", "pass", "ok"),))
        runs = {}
        for name in ("push", "push_again"):
            fake.reset_log()
            gate_one(conn, pull, verdict, "## gatebot gate 1: pass\n")
            runs[name] = _count(fake)
        fake.client(reviewers[2]).get_repo("acme/widgets").get_pull(pull).create_review(
            event="APPROVE")  # the pull_request_review event: dave approves the new head
        fake.reset_log()
        gate_one(conn, pull, verdict, "## gatebot gate 1: pass\n")
        runs["review"] = _count(fake)
        conn.close()
        if fake.violations:
            raise SystemExit("the fake answered outside GitHub's description:\n"
                             + "\n".join(fake.violations))
        return runs
    finally:
        fake.stop()


def time_tests() -> tuple[float, float]:
    """Wall and CPU seconds of ``pytest tests/github`` as a separate process.

    CPU: the process and its children, the fake's server thread included.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "tests/github"], cwd=ROOT, check=True, capture_output=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return round(wall, 1), round(cpu, 1)


def main() -> int:
    """Measure, print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-tests", action="store_true", help="skip timing tests/github")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = measure(Path(tmp))
    result = {"pull_request": "20 commits, 3 reviews (comment, changes requested, approval)",
              "goal": "push and review: at most 10 requests each; push_again: 0 writes", **runs}
    if not args.no_tests:
        result["tests_github_wall_s"], result["tests_github_cpu_s"] = time_tests()
        result["load_average_1min"] = round(os.getloadavg()[0], 1)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: (v if not isinstance(v, dict) else
                          {"requests": v["requests"], "writes": v["writes"]})
                      for k, v in result.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
