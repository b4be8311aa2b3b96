"""Benchmark: the staged landing in GitHub Actions — CI runs, requests and gatebot's own time.

Against the fake GitHub of ``tests/fakegithub`` (real PyGithub over real HTTP, its bare
repository as the remote), each landing is played as Actions plays it, every gatebot step a
real ``python -m gatebot`` process in a clone of the base branch:

1. the last approval: ``gatebot gate`` on the ``pull_request_review`` event (gate 1 already
   green on the head, the first approval standing) builds the release commit, pushes
   ``gatebot/staging/<N>/1`` and dispatches gatebot-staging.yml;
2. the staging workflow: played here, taking no time (the checks' own time taken out);
3. its ``workflow_run``: ``gatebot land --workflow-run`` records the run and fast-forwards main.

Figures: staging runs (dispatches) per landed task when main does not move (goal 1) and when
it moves once during the checks; REST requests per landing as the fake counted them; and the
wall time of steps 1 and 3 together, from the last approval to main moving with the checks'
time left out (goal < 2 s). Results: benchmarks/results/landing.json.

gatebot's modules are byte-compiled once before the rounds, into a scratch
``PYTHONPYCACHEPREFIX`` (``PYTHONDONTWRITEBYTECODE`` dropped), as ``pip install`` compiles
them in the Actions job: without it each process would compile gatebot's sources again.

    python benchmarks/bench_landing.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatebot.adapters.github.client import Settings, connect  # noqa: E402
from gatebot.adapters.github.gate import gate_one  # noqa: E402
from gatebot.core.github_model import Person  # noqa: E402
from gatebot.core.verdict import RuleResult, Verdict  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.github.gate1_runs import record_runs  # noqa: E402
from tests.github.test_review_event import review_payload  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "landing.json"
BRANCH = "task/1-limiter"
NO_CHECKS = "min_coverage = 0\n[checks]\nnox_sessions = []\nrequired = []\n"
TODO = textwrap.dedent("""\
    # 📋 TODO

    ## 🟢 READY

    ## 🔨 IN-PROGRESS

    ## 👀 REVIEW

    ## ✅ RDY FOR PROD

    ### #1 Rate limiter
    **Built by**: alice
    **Branch**: task/1-limiter

    ## 🚀 RELEASED
    """)


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


class Landing:
    """One approved task on a fresh fake GitHub, and the Actions job's clone."""

    def __init__(self, tmp: Path) -> None:
        """Build the task, its pull request, gate 1's green check run and the first approval."""
        self.tmp = tmp
        self.cpu, self.steps = 0.0, list[tuple[str, float]]()
        self.requests = list[tuple[str, int]]()
        """Each gatebot step's GitHub requests as the fake counted them, in order."""
        self.fake = fake = FakeGitHub(tmp)
        alice = fake.add_user("alice", email="alice@example.com")
        self.alice = alice
        fake.push_commit("main", {"TODO.md": TODO, ".gatebot.toml": NO_CHECKS}, "Board",
                         fake.owner)
        self.task = fake.create_issue("Rate limiter", alice, labels=("status:rdy-for-prod",))
        self.head = fake.push_commit(BRANCH, {"notes/limiter.md": "# Limiter\n"}, "Notes", alice)
        self.pull = fake.create_pull(BRANCH, alice, body=f"Closes #{self.task}")
        self.rev2 = fake.add_user("rev2")
        self._approve(fake.add_user("rev1"))
        conn = connect(Settings("acme/widgets", fake.url, token=fake.bot.token, throttle=False,
                                bot_login=fake.bot.login))
        gate_one(conn, self.pull, Verdict("review", self.head, "0" * 40, (
            RuleResult("checks.tests", "pass", "ok"),)), "## gate 1: pass\n",
            pusher=Person(alice.id, alice.login, False),  # alice pushed the head
            runs=record_runs(fake, self.head), base="main")  # as gatebot-publish.yml posts it
        conn.close()
        self.work = tmp / "job"
        _git(tmp, "clone", "-q", "--no-local", str(fake.git_dir), str(self.work))

    def _approve(self, user: Any) -> int:
        gh = self.fake.client(user).get_repo("acme/widgets").get_pull(self.pull)
        return int(gh.create_review(commit=gh.base.repo.get_commit(self.head),
                                    event="APPROVE").id)

    def env(self, event: str, path: Path) -> dict[str, str]:
        """The job's environment in Actions: the bot's token, the event."""
        return {**os.environ, "PYTHONPATH": str(ROOT), "GITHUB_ACTIONS": "true",
                "GITHUB_REPOSITORY": "acme/widgets", "GITHUB_API_URL": self.fake.url,
                "GITHUB_TOKEN": self.fake.bot.token, "GATEBOT_GITHUB_THROTTLE": "0",
                "GATEBOT_GITHUB_BOT_LOGIN": self.fake.bot.login, "GITHUB_EVENT_NAME": event,
                "GITHUB_EVENT_PATH": str(path)}

    def gatebot(self, event: str, payload: dict[str, Any], *args: str) -> float:
        """Run ``gatebot *args`` on ``payload`` as a process in the job's clone; its seconds."""
        path = self.tmp / f"{event}-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        _git(self.work, "fetch", "-q", "origin")
        _git(self.work, "checkout", "-q", "--detach", "origin/main")
        start, cpu, seen = time.perf_counter(), _children_cpu(), len(self.fake.requests)
        done = subprocess.run([sys.executable, "-m", "gatebot", *args], cwd=self.work,
                              env=self.env(event, path), capture_output=True, text=True,
                              check=False)
        elapsed = time.perf_counter() - start
        self.cpu += _children_cpu() - cpu
        self.steps.append((args[0], round(elapsed, 3)))
        self.requests.append((args[0], len(self.fake.requests) - seen))
        if done.returncode != 0:
            raise RuntimeError(f"gatebot {' '.join(args)}: {done.stdout}{done.stderr}")
        return elapsed

    def last_approval(self) -> float:
        """rev2 approves; ``gatebot gate`` on that review stages the landing.

        The request log starts after the approval: only gatebot's requests are counted.
        """
        review = self._approve(self.rev2)
        self.fake.reset_log()
        return self.gatebot("pull_request_review",
                            review_payload(self.pull, self.head, review, self.rev2), "gate")

    def staging_finished(self, run_id: int) -> float:
        """The dispatched staging run passed: ``gatebot land`` on its workflow_run event."""
        sha = self.fake.state.dispatches[-1].inputs["sha"]
        run: dict[str, object] = {
            "id": run_id, "name": "gatebot-staging",
            "path": ".github/workflows/gatebot-staging.yml", "event": "workflow_dispatch",
            "head_branch": "main", "display_title": f"gatebot staging {sha}",
            "conclusion": "success"}
        payload = {"action": "completed", "workflow_run": run}
        with self.fake.state.lock:  # the Actions API holds the run gatebot land reads back
            self.fake.state.workflow_runs[run_id] = {
                **run, "status": "completed", "head_sha": self.main()}
        path = self.tmp / f"run-{run_id}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        return self.gatebot("workflow_run", payload, "land", "--workflow-run", str(path),
                            "--checks-app", "gatebot")

    def main(self) -> str:
        """The tip of main in the fake."""
        return self.fake.state.git.ref("refs/heads/main") or ""


def one(tmp: Path, *, main_moves: bool) -> dict[str, Any]:
    """One landing; with ``main_moves``, someone lands on main while the first run's checks run."""
    world = Landing(tmp)
    try:
        seconds = world.last_approval()
        if main_moves:
            world.fake.push_commit("main", {"other.md": "x\n"}, "Someone landed", world.alice)
            seconds += world.staging_finished(1)  # rebuilt on the new main, dispatched again
        seconds += world.staging_finished(2)
        staged = world.fake.state.dispatches[-1].inputs["sha"]
        if world.main() != staged:
            raise RuntimeError("the task did not land")
        log = world.fake.requests
        return {"staging_runs": len(world.fake.state.dispatches), "requests": len(log),
                "writes": sum(r.write for r in log), "gatebot_seconds": round(seconds, 3),
                "gatebot_cpu_seconds": round(world.cpu, 3), "steps": world.steps,
                "requests_by_step": world.requests}
    finally:
        world.fake.stop()


def main() -> None:
    """Measure ``--rounds`` landings of each kind and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory(prefix="bench-landing-pycache-") as cache:
        compiled(Path(cache))
        results = measure(rounds)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


def compiled(cache: Path) -> None:
    """Byte-compile gatebot into ``cache``, which every gatebot process then reads (module doc)."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(cache)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "gatebot")],
                   check=True, env=os.environ)


def measure(rounds: int) -> dict[str, Any]:
    """``rounds`` landings of each kind: the figures of landing.json."""
    results: dict[str, Any] = {"load_average_before": round(os.getloadavg()[0], 2),
                               "bytecode": "compiled once, as pip install does"}
    for kind, moves in (("main_still", False), ("main_moves_once", True)):
        runs = []
        for n in range(rounds):
            with tempfile.TemporaryDirectory(prefix="bench-landing-") as tmp:
                runs.append(one(Path(tmp) / str(n), main_moves=moves))
        results[kind] = {
            "rounds": rounds,
            "staging_runs_per_landing": max(r["staging_runs"] for r in runs),
            "requests_per_landing": statistics.median(r["requests"] for r in runs),
            "writes_per_landing": statistics.median(r["writes"] for r in runs),
            "requests_by_step": runs[0]["requests_by_step"],
            "gatebot_seconds_median": round(statistics.median(
                r["gatebot_seconds"] for r in runs), 3),
            "gatebot_seconds_max": max(r["gatebot_seconds"] for r in runs),
            "gatebot_cpu_seconds_median": round(statistics.median(
                r["gatebot_cpu_seconds"] for r in runs), 3),
            "steps_of_the_median_round": sorted(runs, key=lambda r: r["gatebot_seconds"])[
                len(runs) // 2]["steps"],
        }
    results["load_average_after"] = round(os.getloadavg()[0], 2)
    return results


if __name__ == "__main__":
    main()
