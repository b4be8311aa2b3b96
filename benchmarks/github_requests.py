"""Benchmark: REST requests of gate 1 on a pull request with 20 commits and 3 reviews.

Runs the github forge's ``gate_one`` (read the pull request, its commits, reviews and task,
publish the verdict, move the task) against the fake GitHub of ``tests/fakegithub`` over real
HTTP, twice for a push (the second time must write nothing) and once more after a new review,
and counts the requests the fake logged. Also times the ``tests/github`` test module as a real
``pytest`` process, in one process (``tests_github_*``) and on two pytest-xdist workers
(``tests_github_n2_*``): wall and CPU seconds, with the machine's load before and after each
run; and the same for GitHub mode's own tests (``github_mode_*``: the module without the tests
of the Actions landing, the merge queue and the audit, which came later and reuse the fake). Results: benchmarks/results/github_requests.json.

    python benchmarks/github_requests.py [--no-tests | --tests-only] [--repeat N]
                                         [--workers N[,N…]]
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
from gatebot.core.github_model import Person  # noqa: E402
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
        pusher = Person(alice.id, alice.login)  # the push event's sender: recorded as such
        for name in ("push", "push_again"):
            fake.reset_log()
            gate_one(conn, pull, verdict, "## gatebot gate 1: pass\n", pusher=pusher)
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


LATER = ("test_staged_landing.py", "test_landing_requests.py", "test_publish_artifact.py",
         "test_queue_github.py", "test_queue_run_github.py", "test_queue_lost_events.py",
         "test_queue_landed_replay.py", "test_audit.py")
"""Modules of ``tests/github`` that test what was built on GitHub mode afterwards, reusing its
fake: the landing in GitHub Actions (staging runs), the merge queue on GitHub, the audit's
GitHub data. Left out, the rest is GitHub mode's own suite (scope ``github_mode``): the fake
and its faults, the forge, claims, approvals, verdicts, ``gatebot gate``'s events, the
adversary tests and the scenario."""

SCOPES = {"tests_github": (), "github_mode": LATER}
"""Figure prefix → the modules left out of ``tests/github`` for it."""


def time_tests(root: Path = ROOT, workers: int = 0, scope: str = "tests_github"
               ) -> dict[str, object]:
    """Wall and CPU seconds of ``pytest tests/github`` in the checkout ``root``, with the load.

    ``scope``: a key of ``SCOPES`` (its modules are ``--ignore``d); the figures are named
    after it (``tests_github_wall_s``, ``github_mode_wall_s``). The tests run as a separate
    process, with ``root`` first on ``PYTHONPATH``; ``workers`` > 0 runs them on that many
    pytest-xdist workers (``-n``), 0 in the one process. CPU: the process and its children
    (xdist's workers, git, gatebot's processes), the fake's server threads included. The run
    gets its own empty ``--basetemp``: pytest otherwise deletes the oldest of the shared
    ``pytest-of-<user>`` directories at start, another run's leftovers, whose size has
    nothing to do with this module. The 1-minute load average is read before and after (the
    machine is shared: load stretches the wall time, less the CPU time).
    """
    ignored = [f"--ignore=tests/github/{name}" for name in SCOPES[scope]]
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as base:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               f"--basetemp={base}/t", "-n", str(workers), *ignored,
                               "tests/github"],
                              cwd=root,
                              capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONPATH": str(root)})
        wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"pytest tests/github failed in {root}:\n" + done.stdout[-3000:])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = done.stdout.strip().splitlines()[-1]
    return {f"{scope}_wall_s": round(wall, 1), f"{scope}_cpu_s": round(cpu, 1),
            f"{scope}_outcome": summary.strip("= "),
            "load_average_1min": round(load_before, 1),
            "load_average_1min_after": round(os.getloadavg()[0], 1)}


def _median_run(runs: list[dict[str, object]], scope: str) -> dict[str, object]:
    """The run with the median wall time (the upper one of an even count)."""
    return sorted(runs, key=lambda run: float(str(run[f"{scope}_wall_s"])))[len(runs) // 2]


def _renamed(run: dict[str, object], scope: str, prefix: str) -> dict[str, object]:
    """``run``'s figures renamed: ``prefix`` instead of ``scope_`` or before a key."""
    return {(key.replace(f"{scope}_", prefix, 1) if key.startswith(f"{scope}_")
             else prefix + key): value for key, value in run.items()}


def time_module(repeat: int, workers: tuple[int, ...] = (2,)) -> dict[str, object]:
    """``repeat`` rounds of timed runs of each scope: serial, then on each of ``workers``.

    ``workers`` are pytest-xdist worker counts (``-n``), timed in turn with the serial run
    (alternating puts all of them under the same load). Returns, for each scope of
    ``SCOPES``, the median serial run's figures (``tests_github_*``, ``github_mode_*``), each
    worker count's median run (``tests_github_n2_*``: on 2 cores, as ``-n auto`` runs), and
    every run (``*_runs``).
    """
    found: dict[tuple[str, int], list[dict[str, object]]] = {}
    for _ in range(repeat):
        for scope in SCOPES:
            for n in (0, *workers):
                found.setdefault((scope, n), []).append(time_tests(workers=n, scope=scope))
    result: dict[str, object] = {}
    for (scope, n), runs in found.items():
        prefix = f"{scope}_n{n}_" if n else f"{scope}_"
        result.update({**_renamed(_median_run(runs, scope), scope, prefix),
                       prefix + "runs": [_renamed(run, scope, prefix) for run in runs]})
    result.update({"cores": os.cpu_count(), "github_mode_modules_left_out": list(LATER),
                   "tests_github_goal": "under 30 s wall on this 2-core machine (median run)"})
    return result


def main() -> int:
    """Measure, print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-tests", action="store_true",
                        help="count requests only; keep the tests/github timing already written")
    parser.add_argument("--tests-only", action="store_true",
                        help="only time tests/github; keep the request counts already written")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="time tests/github N times; the median run is the figure")
    parser.add_argument("--workers", default="2", metavar="N[,N…]",
                        help="pytest-xdist worker counts to time besides the serial run "
                             "(default 2, as `nox -s tests` on 2 cores)")
    args = parser.parse_args()
    result: dict[str, object] = {}
    if args.tests_only and OUT.exists():
        result = json.loads(OUT.read_text(encoding="utf-8"))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            runs = measure(Path(tmp))
        result = {"pull_request": "20 commits, 3 reviews (comment, changes requested, approval)",
                  "goal": "push and review: at most 10 requests each; push_again: 0 writes",
                  **runs}
    if not args.no_tests:
        result = {k: v for k, v in result.items()
                  if not k.startswith(("tests_github", "github_mode", "load_average"))}
        result.update(time_module(args.repeat,
                                  tuple(int(n) for n in args.workers.split(",") if n)))
    elif OUT.exists():  # keep the module's timing already written
        kept = json.loads(OUT.read_text(encoding="utf-8"))
        result.update({k: v for k, v in kept.items() if k not in result})
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: ({"requests": v["requests"], "writes": v["writes"]}
                          if isinstance(v, dict) and "requests" in v else v)
                      for k, v in result.items() if not k.endswith("_runs")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
