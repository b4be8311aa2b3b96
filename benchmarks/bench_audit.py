"""Benchmark: ``gatebot audit --since 365d`` on a year of 2,000 tasks / ~10,000 board commits.

The history is written with ``git fast-import`` in seconds: gatebot's board commits (trailers,
archive entries appended to the day's file), task-branch commits and ``--no-ff`` release
merges, with rejections, failed re-tests, conflicts and stale claims mixed in at random. The
audit is timed as a real process (median of 3), in JSON and HTML; the page's size is recorded,
and its counts are checked against the generator's own. Results: benchmarks/results/audit.json
(and the text report in benchmarks/results/audit.txt).

    python benchmarks/bench_audit.py [--tasks 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
START = datetime(2025, 1, 1, tzinfo=UTC)
AGENTS = [f"goldenfocus-claude-{i:03d}" for i in range(1, 9)]
REVIEWERS = [f"goldenfocus-codex-{i:03d}" for i in range(1, 5)]


@dataclass(order=True)
class Step:
    """One board event to write: when, which task, what, by whom, and its archive fields."""

    when: datetime
    task: int
    event: str = field(compare=False)
    actor: str = field(compare=False, default="")
    fields: dict[str, str] = field(compare=False, default_factory=dict)
    trailers: dict[str, str] = field(compare=False, default_factory=dict)


def stamp(moment: datetime) -> str:
    """A board timestamp: ``2025-11-01T10:00:00Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_durations(task: int) -> dict[str, str]:
    """The approval's ``Gatebot-Check-Durations`` trailer: the four checks' seconds.

    Drawn from a generator of the task's own, so the lifecycles stay as they were.
    """
    rng = random.Random(task * 7919)
    seconds = {"tests": rng.uniform(30, 90), "typecheck": rng.uniform(8, 20),
               "build": rng.uniform(4, 9), "lint": rng.uniform(1, 4)}
    return {"Gatebot-Check-Durations": " ".join(f"{k}={v:.1f}s" for k, v in seconds.items())}


def lifecycle(rng: random.Random, task: int, begin: datetime) -> list[Step]:
    """One task's events from ``begin``: claim, submit, review (maybe reject), land or not."""
    builder, now = rng.choice(AGENTS), begin
    steps = [Step(now, task, "added", "alice")]

    def later(low: float, high: float) -> datetime:
        nonlocal now
        now += timedelta(hours=rng.uniform(low, high))
        return now

    claimed = later(0.2, 12)
    steps.append(Step(claimed, task, "claimed", builder))
    if rng.random() < 0.03:
        steps.append(Step(later(0.4, 1), task, "stale", "", {
            "Session": builder, "Started": stamp(claimed), "Heartbeat": stamp(claimed)}))
    steps.append(Step(later(0.5, 8), task, "submitted", builder))
    if rng.random() < 0.1:
        steps.append(Step(later(0.5, 4), task, "rejected", REVIEWERS[0],
                          {"Failed rules": rng.choice(["function-length", "coverage", "none"])}))
        steps.append(Step(later(0.2, 2), task, "claimed", builder))
        steps.append(Step(later(0.5, 6), task, "submitted", builder))
    gate1 = rng.choice(REVIEWERS)
    steps.append(Step(later(0.5, 6), task, "approved", gate1, {}, check_durations(task)))
    gate2 = rng.choice([r for r in REVIEWERS if r != gate1])
    outcome = rng.random()
    if outcome < 0.05:
        steps.append(Step(later(0.2, 2), task, "merge-failed", gate2,
                          {"Failed checks": "checks.tests"}))
    elif outcome < 0.08:
        steps.append(Step(later(0.2, 2), task, "escalated", gate2, {"Escalation": "conflict"}))
    else:
        critical = rng.random() < 0.02
        steps.append(Step(later(0.2, 3), task, "released", gate2,
                          {"Started": stamp(claimed), "Reviewed by": f"{gate1}, {gate2}"},
                          {"Gatebot-Priority": "critical"} if critical else {}))
    return steps


def entry(step: Step) -> str:
    """The archive entry of ``step`` as gatebot writes it."""
    lines = [f"### ✅ Task {step.task}", f"- **Task**: #{step.task}", f"- **Event**: {step.event}",
             f"- **Session**: {step.fields.get('Session', step.actor)}"]
    lines += [f"- **{k}**: {v}" for k, v in step.fields.items() if k != "Session"]
    return "\n".join(lines) + "\n"


class Stream:
    """A ``git fast-import`` stream being written: marks, main's tip, the day's archive."""

    def __init__(self) -> None:
        """An empty stream."""
        self.parts: list[bytes] = []
        self.mark = 0
        self.main: int | None = None
        self.archive: dict[str, str] = {}

    def data(self, text: str) -> None:
        """Append a ``data`` block holding ``text``."""
        raw = text.encode()
        self.parts.append(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(self, ref: str, who: str, when: datetime, message: str, files: dict[str, str],
               parent: int | None, merge: int | None = None) -> int:
        """Append a commit to ``ref``; return its mark."""
        self.mark += 1
        self.parts.append(f"commit {ref}\nmark :{self.mark}\n"
                          f"committer {who} {int(when.timestamp())} +0000\n".encode())
        self.data(message)
        if parent is not None:
            self.parts.append(f"from :{parent}\n".encode())
        if merge is not None:
            self.parts.append(f"merge :{merge}\n".encode())
        for path, text in files.items():
            self.parts.append(f"M 100644 inline {path}\n".encode())
            self.data(text)
        return self.mark

    def board(self, step: Step) -> None:
        """Append gatebot's board (or release) commit for ``step`` to main."""
        trailers = {"Gatebot-Task": "#new" if step.event == "added" else f"#{step.task}",
                    "Gatebot-Event": step.event, "Gatebot-Actor": step.actor, **step.trailers}
        if step.event == "escalated":
            step.fields.setdefault("Reason", "conflict")
        files = {"TODO.md": f"# TODO\n\nlast: #{step.task} {step.event}\n"}
        if step.event != "added":
            day = step.when.date().isoformat()
            path = f"coordination/archive/{day}.md"
            text = self.archive.get(path) or f"# Archive {day}\n"
            self.archive[path] = files[path] = text + "\n" + entry(step)
        message = f"gatebot: {step.event} #{step.task}\n\n" + "".join(
            f"{k}: {v}\n" for k, v in trailers.items())
        merge = None
        if step.event == "released":
            merge = self.commit(f"refs/heads/task/{step.task}",
                                f"{step.actor} <{step.actor}@example.com>",
                                step.when - timedelta(minutes=5), f"work on #{step.task}\n",
                                {f"src/task_{step.task}.py": f"VALUE = {step.task}\n"}, self.main)
        self.main = self.commit("refs/heads/main", "gatebot <gatebot@localhost>", step.when,
                                message, files, self.main, merge)


def build(repo: Path, tasks: int, seed: int = 7, days: int = 360) -> tuple[list[Step], datetime]:
    """Write the synthetic history into a new repository at ``repo``; return its steps and end."""
    rng = random.Random(seed)
    steps = sorted(s for n in range(1, tasks + 1)
                   for s in lifecycle(rng, n, START + timedelta(days=days * (n - 1) / tasks)))
    stream = Stream()
    stream.main = stream.commit("refs/heads/main", "maint <maint@example.com>",
                                START - timedelta(days=30), "initial\n",
                                {"README.md": "synthetic\n", ".gatebot.toml": "\n"}, None)
    for step in steps:
        stream.board(step)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(stream.parts),
                   check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    return steps, steps[-1].when + timedelta(hours=1)


def cpu() -> float:
    """CPU seconds (user + system) used by finished child processes and theirs."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def audit(repo: Path, now: datetime, *args: str) -> tuple[float, str, float]:
    """Run ``gatebot audit --since 365d ARGS`` at ``now``: wall seconds, stdout, CPU seconds."""
    env = {**os.environ, "GATEBOT_NOW": stamp(now), "NO_COLOR": "1"}
    began, used = time.perf_counter(), cpu()
    done = subprocess.run([sys.executable, "-m", "gatebot", "audit", "--since", "365d", *args],
                          cwd=repo, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - began, done.stdout, cpu() - used


def main() -> None:
    """Build the history, time the audit, write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gatebot-bench-audit-") as tmp:
        repo = options.keep or Path(tmp) / "repo"
        began = time.perf_counter()
        steps, now = build(repo, options.tasks)
        built = time.perf_counter() - began
        board = int(subprocess.run(["git", "rev-list", "--count", "--first-parent", "main"],
                                   cwd=repo, capture_output=True, text=True,
                                   check=True).stdout) - 1
        runs = [audit(repo, now, "--format", "json") for _ in range(3)]
        times, report = [r[0] for r in runs], json.loads(runs[0][1])
        html_s, html, _ = audit(repo, now, "--format", "html")
        text = audit(repo, now)[1]
        load = os.getloadavg()[0]
    seen = Counter(s.event for s in steps)
    assert report["counts"]["landed"]["value"] == seen["released"], report["counts"]["landed"]
    assert report["counts"]["claimed"]["value"] == seen["claimed"]
    assert report["escalated"]["stale_claim"]["value"] == seen["stale"]
    result = {
        "tasks": options.tasks, "board_commits": board, "build_s": round(built, 2),
        "audit_json_s": {"median": round(statistics.median(times), 3),
                         "runs": [round(t, 3) for t in times]},
        "audit_json_cpu_s": round(statistics.median(r[2] for r in runs), 3),
        "load_average_1min": round(load, 1),
        "audit_html_s": round(html_s, 3), "html_bytes": len(html.encode()),
        "goal": "audit --since 365d under 2 s; page under 300 KB",
        "landed": seen["released"], "ignored": len(report["ignored"]),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "audit.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "audit.txt").write_text(text)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
