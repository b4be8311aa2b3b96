"""Replay real merge commits of a public repository through ``gatebot merge`` (SPEC §5.3).

Run::

    python benchmarks/replay_merges.py --source MIRROR_OF_CLICK.git \
        --source MIRROR_OF_REQUESTS.git [--count 50]

Each ``--source`` is a git directory (a bare mirror; it is only read, never
written); all of them are replayed in one run.
For each sampled two-parent merge commit M of the source's branches the script
builds a fresh repository: a bare ``origin`` sharing the mirror's objects, with
``main`` = M^1 and ``task/K-replay`` = M^2, a board commit on ``main`` that adds
task K in REVIEW (committed as gatebot, as ``gatebot task add`` commits), a gate-1 approval by ``rev-a`` (``gatebot review --approve``, the
length, docstring and tests rules disabled) and then ``gatebot merge --task K --as rev-b``, both run
as real ``python -m gatebot`` processes with no checks configured.

What the real history says decides what gatebot must do:

- ``clean``: ``git merge-tree --write-tree M^1 M^2`` is clean and equals M's
  tree → gatebot lands, and its release commit has M's tree apart from the
  board files (TODO.md, CURRENT_STATE.md, coordination/archive/).
- ``conflict``: merge-tree reports conflicts → gatebot escalates (exit 1, the
  escalation text) and main's code does not change — unless the conflicts are
  whitespace-only, which gatebot resolves (SPEC §5.3 step 2): reported apart.
- ``evil``: merge-tree is clean but M's tree differs (the merger edited the
  result by hand) → gatebot lands git's automatic merge; reported apart, with
  the files M changed by hand.

Anything else is a mismatch, listed with its SHAs.

Timing: each replay that lands (clean and evil) also lands the same merge by
hand in a same-shaped repository (a bare origin with the same ``main`` and task
branch, a clone of it with ``main`` checked out): ``git fetch origin``, ``git
merge --no-ff origin/task/K-replay``, ``git push origin HEAD:main``. The two
are timed back to back, in alternating order, and no other replay's timed
runs overlap them, so the machine's load weighs on both alike; the 1-minute
load average is sampled before each pair. Per project: the median of the
per-replay ratios gatebot / by hand (goal: at most 2×), in wall time and in
CPU time (each process's own, children included, from ``wait4``: the part
the load does not change). gatebot runs with its modules compiled once
(``PYTHONPYCACHEPREFIX``, outside the repository), as an installed gatebot has
them: with ``PYTHONDONTWRITEBYTECODE`` set, every run would compile them
afresh and time that instead.

Prints a table per project and writes ``benchmarks/results/replay.json``
(``projects.<name>`` per source).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "replay.json"
TIMED = threading.Lock()
"""Held while a replay times gatebot and the by-hand landing: timed runs never overlap."""
BOARD_PREFIXES = ("TODO.md", "CURRENT_STATE.md", "coordination/archive/", ".gatebot.toml")
"""The board files and the configuration the replay adds to the base; never compared with M."""
IDENTITY = {
    "GIT_AUTHOR_NAME": "replay-seeder", "GIT_AUTHOR_EMAIL": "replay-seeder@example.com",
    "GIT_COMMITTER_NAME": "replay-seeder", "GIT_COMMITTER_EMAIL": "replay-seeder@example.com",
}
BOARD_IDENTITY = {**IDENTITY, "GIT_COMMITTER_NAME": "gatebot", "GIT_COMMITTER_EMAIL": "gatebot@localhost"}
"""The board commit that adds task K is gatebot's, as ``gatebot task add`` makes it: gatebot
reads a task's history down to that commit, not the whole base (click's 1,378 first-parent
commits)."""
GATEBOT_TOML = """min_coverage = 0
disabled_rules = ["file-length", "function-length", "tests-present", "docstrings"]
[checks]
nox_sessions = []
required = []
[claims]
# both reviewers are maintainers: a real merge may change tox.ini or a workflow (gate-files)
maintainers = ["rev-a", "rev-b"]
"""
"""The replay's gate settings, on the base beside the board: a landing takes its gate settings
from the base branch alone (a GATEBOT_* variable setting one is refused)."""
GATEBOT_ENV = {"NO_COLOR": "1"}
PYCACHE = Path(tempfile.gettempdir()) / "gatebot-replay-pycache"
"""gatebot's compiled modules, as an installed gatebot has them (pip compiles them on install)."""
TODO = """# 📋 TODO

## 🟢 READY

## 🔨 IN-PROGRESS

## 👀 REVIEW

### #{k} Replay of merge {short}
**Built by**: upstream
**Branch**: task/{k}-replay
**Cannot review**: upstream

## ✅ RDY FOR PROD

## 🚀 RELEASED
"""


def git(cwd: Path | str, *args: str, check: bool = True,
        identity: dict[str, str] = IDENTITY) -> subprocess.CompletedProcess[str]:
    """Run git as ``identity`` (the seeder's by default) with no user/system configuration."""
    env = {**os.environ, **identity, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=check,
                          capture_output=True, text=True)


def out(cwd: Path | str, *args: str) -> str:
    """Git's stdout, stripped."""
    return git(cwd, *args).stdout.strip()


@dataclass(frozen=True)
class Merge:
    """A real merge commit and what the history says about it."""

    sha: str
    parent1: str
    parent2: str
    subject: str
    expected: str  # clean | conflict | evil
    auto_tree: str  # merge-tree's tree ("" on conflict)
    conflicts: tuple[str, ...] = ()


@dataclass
class Replay:
    """One replay's outcome."""

    merge: str
    parent1: str
    parent2: str
    subject: str
    expected: str
    outcome: str  # matched | escalated | whitespace-resolved | evil-as-automatic | mismatch
    exit_code: int
    seconds: float
    release: str = ""
    detail: str = ""
    files: list[str] = field(default_factory=list)
    gatebot_s: float | None = None  # `gatebot merge` alone, wall seconds
    by_hand_s: float | None = None  # fetch + merge --no-ff + push by hand
    load_average: float | None = None  # 1-minute load average before the timed pair
    gatebot_cpu_s: float | None = None  # CPU seconds of `gatebot merge` and its git processes
    by_hand_cpu_s: float | None = None  # CPU seconds of the three git commands by hand


def classify(source: str, sha: str) -> Merge | None:
    """Classify a merge commit by ``git merge-tree --write-tree`` (None: not 2 parents)."""
    parents = out(source, "rev-list", "--parents", "-n", "1", sha).split()[1:]
    if len(parents) != 2:
        return None
    p1, p2 = parents
    subject = out(source, "log", "-1", "--format=%s", sha)
    result = git(source, "merge-tree", "--write-tree", "--name-only", "--no-messages", p1, p2,
                 check=False)
    lines = result.stdout.splitlines()
    if result.returncode == 1:
        return Merge(sha, p1, p2, subject, "conflict", "", tuple(lines[1:]))
    if result.returncode != 0:
        return None
    real = out(source, "rev-parse", f"{sha}^{{tree}}")
    return Merge(sha, p1, p2, subject, "clean" if lines[0] == real else "evil", lines[0])


def candidates(source: str, scan: int) -> list[Merge]:
    """Merge commits on the first-parent chains of the source's branches, classified."""
    branches = out(source, "for-each-ref", "--format=%(refname)", "refs/heads").split()
    shas = out(source, "rev-list", "--first-parent", "--merges", *branches).split()
    shas = list(dict.fromkeys(shas))[: scan or None]
    found = [classify(source, s) for s in shas]
    return [m for m in found if m is not None]


def sample(merges: list[Merge], count: int, seed: int) -> list[Merge]:
    """``count`` merges: every evil one, ~40 % conflicts (when there are), the rest clean."""
    rng = random.Random(seed)
    by = {k: [m for m in merges if m.expected == k] for k in ("evil", "conflict", "clean")}
    chosen = by["evil"][: count // 5]
    want_conflicts = min(len(by["conflict"]), (count - len(chosen)) * 2 // 5)
    chosen += rng.sample(by["conflict"], want_conflicts)
    chosen += rng.sample(by["clean"], min(len(by["clean"]), count - len(chosen)))
    return chosen


def measured(argv: list[str], cwd: Path, env: dict[str, str]
             ) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``argv`` to its end; its result and the CPU seconds it and its children used.

    The CPU time is the process's own (``wait4``), children it waited for
    included, so the other replays running beside it do not count.
    """
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=stdout, stderr=stderr, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        result = subprocess.CompletedProcess(argv, child.returncode, stdout.read(), stderr.read())
    return result, usage.ru_utime + usage.ru_stime


def gatebot(cwd: Path, *args: str, log_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gatebot ARGS`` as a separate process, gatebot uninstalled."""
    return measured(gatebot_argv(*args), cwd, gatebot_env(log_dir))[0]


def gatebot_argv(*args: str) -> list[str]:
    """``python -P -m gatebot ARGS`` (-P: the replayed project cannot shadow gatebot's imports)."""
    return [sys.executable, "-P", "-m", "gatebot", *args]


def gatebot_env(log_dir: Path) -> dict[str, str]:
    """The environment of gatebot: no user configuration, no checks, logs in ``log_dir``."""
    env = {**os.environ, **IDENTITY, **GATEBOT_ENV, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "PYTHONPATH": str(ROOT),
           "GATEBOT_LOG_DIR": str(log_dir), "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    # never compile gatebot's modules afresh in each timed run (an installed gatebot has
    # them compiled): the bytecode goes to PYCACHE, outside the repository
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for key in [k for k in env if k.startswith("GATEBOT_") and k not in GATEBOT_ENV
                and k != "GATEBOT_LOG_DIR"]:
        del env[key]
    return env


def build(tmp: Path, source: str, merge: Merge, k: int) -> tuple[Path, Path, str]:
    """Origin (main = M^1, task/K-replay = M^2) and a work clone with the board on main."""
    origin, work = tmp / "origin.git", tmp / "work"
    git(tmp, "clone", "-q", "--bare", "--shared", "--single-branch", "--no-tags", source,
        str(origin))
    for ref in out(origin, "for-each-ref", "--format=%(refname)", "refs/heads").split():
        git(origin, "update-ref", "-d", ref)
    git(origin, "update-ref", "refs/heads/main", merge.parent1)
    git(origin, "update-ref", f"refs/heads/task/{k}-replay", merge.parent2)
    git(origin, "symbolic-ref", "HEAD", "refs/heads/main")
    git(tmp, "clone", "-q", "--shared", "--no-tags", str(origin), str(work))
    for path in BOARD_PREFIXES:
        for commit in (merge.parent1, merge.parent2):
            spec = f"{commit}:{path.rstrip('/')}"
            if git(work, "cat-file", "-e", spec, check=False).returncode == 0:
                raise RuntimeError(f"{path} exists in the real project at {commit}")
    (work / "TODO.md").write_text(TODO.format(k=k, short=merge.sha[:7]), encoding="utf-8")
    (work / ".gatebot.toml").write_text(GATEBOT_TOML, encoding="utf-8")
    git(work, "add", "TODO.md", ".gatebot.toml")
    git(work, "commit", "-q", "-m", f"replay: board with task #{k} in REVIEW\n\n"
        f"Gatebot-Task: #{k}\nGatebot-Event: added\nGatebot-Actor: upstream\n",
        identity=BOARD_IDENTITY)
    git(work, "push", "-q", "origin", "main")
    board_tip = out(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "-b", f"task/{k}-replay", f"origin/task/{k}-replay")
    return origin, work, board_tip


def code_diff(repo: Path, a: str, b: str) -> list[str]:
    """Paths that differ between two trees, board files excluded."""
    names = out(repo, "diff-tree", "-r", "--no-renames", "--name-only", a, b).splitlines()
    return [n for n in names if not n.startswith(BOARD_PREFIXES)]


def judge(origin: Path, merge: Merge, board_tip: str, code: int, text: str) -> tuple[str, str, str,
                                                                                       list[str]]:
    """(outcome, release SHA, detail, files) from origin's state after ``gatebot merge``."""
    tip = out(origin, "rev-parse", "refs/heads/main")
    if code != 0:
        escalated = "ESCALATION" in text and "conflict" in text.lower()
        moved = code_diff(origin, board_tip, tip)
        if merge.expected == "conflict" and escalated and not moved:
            return "escalated", "", "escalated; main's code unchanged", []
        return "mismatch", "", f"exit {code}: {text.strip()[-400:]}", moved
    parents = out(origin, "rev-list", "--parents", "-n", "1", tip).split()[1:]
    if parents != [board_tip, merge.parent2]:
        return "mismatch", tip, f"release parents {parents}", []
    vs_real = code_diff(origin, tip, merge.sha)
    vs_auto = code_diff(origin, tip, merge.auto_tree) if merge.auto_tree else vs_real
    if merge.expected == "clean":
        return ("matched", tip, "", []) if not vs_real else (
            "mismatch", tip, "release tree differs from M", vs_real)
    if merge.expected == "evil":
        if vs_auto:
            return "mismatch", tip, "release tree differs from git's automatic merge", vs_auto
        return "evil-as-automatic", tip, "M was edited by hand after merging", vs_real
    return "whitespace-resolved", tip, (
        "landed a merge git reports as conflicting; "
        + ("tree equals M" if not vs_real else "tree differs from M")), vs_real


def by_hand_clone(tmp: Path, origin: Path) -> Path:
    """A same-shaped repository to land by hand: a bare copy of ``origin``, and a clone on main."""
    hand_origin, hand = tmp / "hand-origin.git", tmp / "hand"
    git(tmp, "clone", "-q", "--bare", "--shared", "--no-tags", str(origin), str(hand_origin))
    git(tmp, "clone", "-q", "--shared", "--no-tags", str(hand_origin), str(hand))
    return hand


def land_by_hand(hand: Path, k: int) -> tuple[float, float] | None:
    """(wall, CPU) seconds of ``git fetch``, ``merge --no-ff`` and ``push`` in ``hand`` (None: failed)."""
    env = {**os.environ, **IDENTITY, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    started, cpu = time.perf_counter(), 0.0
    for args in (("fetch", "-q", "origin"),
                 ("merge", "-q", "--no-ff", "--no-edit", f"origin/task/{k}-replay"),
                 ("push", "-q", "origin", "HEAD:main")):
        result, used = measured(["git", *args], hand, env)
        if result.returncode != 0:
            return None
        cpu += used
    return time.perf_counter() - started, cpu


@dataclass
class Timed:
    """One timed pair: gatebot's result, wall and CPU seconds; the by-hand ones; the load."""

    result: subprocess.CompletedProcess[str]
    seconds: float
    cpu: float
    by_hand: tuple[float, float] | None = None
    load: float | None = None


def timed_merge(tmp: Path, work: Path, k: int, *, landing: bool) -> Timed:
    """``gatebot merge`` timed, and for a ``landing`` the by-hand landing and the load.

    The two run back to back under ``TIMED``, gatebot first for odd ``k``.
    """
    hand = by_hand_clone(tmp, tmp / "origin.git") if landing else None
    with TIMED:
        load = os.getloadavg()[0] if landing else None
        by_hand = land_by_hand(hand, k) if hand is not None and k % 2 == 0 else None
        started = time.perf_counter()
        result, cpu = measured(gatebot_argv("merge", "--task", str(k), "--as", "rev-b"), work,
                               gatebot_env(tmp / "logs"))
        seconds = time.perf_counter() - started
        if hand is not None and k % 2 == 1:
            by_hand = land_by_hand(hand, k)
    return Timed(result, seconds, cpu, by_hand, load)


def replay(source: str, merge: Merge, k: int, keep: Path) -> Replay:
    """Build, approve at gate 1, run gate 2 (timed beside a by-hand landing), and judge."""
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="replay-", dir=keep))
    try:
        origin, work, board_tip = build(tmp, source, merge, k)
        approve = gatebot(work, "review", "--approve", "--task", str(k), "--as", "rev-a",
                          log_dir=tmp / "logs")
        if approve.returncode != 0:
            return Replay(merge.sha, merge.parent1, merge.parent2, merge.subject,
                          merge.expected, "mismatch", approve.returncode,
                          time.perf_counter() - started,
                          detail="gate 1 refused: " + approve.stderr.strip()[-400:])
        board_tip = out(origin, "rev-parse", "refs/heads/main")
        timed = timed_merge(tmp, work, k, landing=merge.expected in ("clean", "evil"))
        result = timed.result
        outcome, release, detail, files = judge(origin, merge, board_tip, result.returncode,
                                                result.stdout + result.stderr)
        hand = timed.by_hand if result.returncode == 0 else None
        return Replay(merge.sha, merge.parent1, merge.parent2, merge.subject, merge.expected,
                      outcome, result.returncode, time.perf_counter() - started, release,
                      detail, files, round(timed.seconds, 3),
                      round(hand[0], 3) if hand else None, timed.load, round(timed.cpu, 3),
                      round(hand[1], 3) if hand else None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def table(rows: list[Replay]) -> str:
    """A fixed-width table of the replays."""
    lines = [f"{'merge':9} {'expected':9} {'outcome':20} {'exit':>4} {'s':>5} "
             f"{'gatebot':>7} {'by hand':>7}  subject"]
    for r in rows:
        timed = (f"{r.gatebot_s:7.3f} {r.by_hand_s:7.3f}" if r.by_hand_s is not None
                 and r.gatebot_s is not None else f"{'':7} {'':7}")
        lines.append(f"{r.merge[:8]:9} {r.expected:9} {r.outcome:20} {r.exit_code:>4} "
                     f"{r.seconds:5.1f} {timed}  {r.subject[:50]}")
    return "\n".join(lines)


def repository(source: str) -> str:
    """The source's public name (``github:owner/name``), else its path."""
    remote = git(source, "config", "--get", "remote.origin.url", check=False).stdout.strip()
    mirror = Path(source).resolve().parent.name  # a mirror laid out as …/owner+name/repo
    return remote or (f"github:{mirror.replace('+', '/')}" if "+" in mirror else source)


def timing(rows: list[Replay]) -> dict[str, object]:
    """Per-project figures of the replays timed beside a by-hand landing (seconds)."""
    timed = [r for r in rows if r.gatebot_s is not None and r.by_hand_s is not None]
    if not timed:
        return {"landings_timed": 0}
    ours = [r.gatebot_s or 0.0 for r in timed]
    hand = [r.by_hand_s or 0.0 for r in timed]
    cpu = [(r.gatebot_cpu_s or 0.0, r.by_hand_cpu_s or 0.0) for r in timed]
    loads = [r.load_average for r in timed if r.load_average is not None]
    return {
        "landings_timed": len(timed),
        "gatebot_median_s": round(statistics.median(ours), 3),
        "by_hand_median_s": round(statistics.median(hand), 3),
        "median_ratio": round(statistics.median(a / b for a, b in zip(ours, hand, strict=True)),
                              2),
        "ratio_of_medians": round(statistics.median(ours) / statistics.median(hand), 2),
        "gatebot_cpu_median_s": round(statistics.median(a for a, _ in cpu), 3),
        "by_hand_cpu_median_s": round(statistics.median(b for _, b in cpu), 3),
        "cpu_median_ratio": round(statistics.median(a / b for a, b in cpu if b), 2),
        "load_average_median": round(statistics.median(loads), 1) if loads else None,
        "goal": "gatebot merge at most 2x the by-hand landing",
    }


def summary(source: str, pool: list[Merge], rows: list[Replay], wall: float) -> dict[str, object]:
    """One project's part of ``benchmarks/results/replay.json``."""
    def count(outcome: str) -> int:
        return sum(r.outcome == outcome for r in rows)

    return {
        "repository": repository(source),
        "source": Path(source).name,  # never a path of the measuring machine
        "source_head": out(source, "rev-parse", "HEAD"),
        "merges_scanned": len(pool),
        "scanned_by_class": {k: sum(m.expected == k for m in pool)
                             for k in ("clean", "conflict", "evil")},
        "commits_replayed": len(rows),
        "replayed_by_class": {k: sum(r.expected == k for r in rows)
                              for k in ("clean", "conflict", "evil")},
        "matched": count("matched"),
        "escalated_as_expected": count("escalated"),
        "whitespace_resolved": count("whitespace-resolved"),
        "evil_merges_landed_as_automatic": count("evil-as-automatic"),
        "mismatches": [asdict(r) for r in rows if r.outcome == "mismatch"],
        "other_outcomes": [asdict(r) for r in rows
                           if r.outcome in ("whitespace-resolved", "evil-as-automatic")],
        "timing": timing(rows),
        "wall_seconds": round(wall, 1),
        "median_replay_seconds": round(sorted(r.seconds for r in rows)[len(rows) // 2], 2)
        if rows else 0,
        "replays": [asdict(r) for r in rows],
    }


def run_project(source: str, args: argparse.Namespace) -> dict[str, object]:
    """Classify, sample and replay one source's merges; its summary."""
    started = time.perf_counter()
    pool = candidates(source, args.scan)
    chosen = sample(pool, args.count, args.seed)
    print(f"{source}: classified {len(pool)} merges; replaying {len(chosen)}", file=sys.stderr)
    keep = Path(tempfile.mkdtemp(prefix="gatebot-replay-"))
    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as workers:
            rows = list(workers.map(lambda i_m: replay(source, i_m[1], i_m[0] + 1, keep),
                                    enumerate(chosen)))
    finally:
        shutil.rmtree(keep, ignore_errors=True)
    doc = summary(source, pool, rows, time.perf_counter() - started)
    print(table(rows))
    print(json.dumps({k: v for k, v in doc.items() if k not in ("replays", "other_outcomes")},
                     indent=2))
    return doc


def project_name(source: str) -> str:
    """The key of a project in the results: its repository's name (``click``)."""
    return repository(source).rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")


def main() -> int:
    """Parse arguments, replay each source, print the tables and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, action="append",
                        help="a git directory with real merges (repeat for more projects)")
    parser.add_argument("--count", type=int, default=50, help="merges replayed per project")
    parser.add_argument("--scan", type=int, default=0, help="merges to classify (0: all)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--jobs", type=int, default=1,
                        help="replays at once (default 1: nothing of the benchmark's own runs "
                             "beside a timed pair; more replay sooner but load the machine)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    started, load_start = time.perf_counter(), os.getloadavg()
    projects = {project_name(source): run_project(source, args) for source in args.source}
    doc = {
        "benchmark": "real merges replayed through gatebot merge (no checks configured), each "
                     "landing timed beside the same landing by hand",
        "cpu_note": "CPU seconds are each process's own, its git children included (wait4): the "
                    "machine is shared, and its load stretches the wall time but hardly the CPU "
                    "time, the figure to compare across runs",
        "projects": projects,
        "load_average": {"start": [round(x, 1) for x in load_start],
                         "end": [round(x, 1) for x in os.getloadavg()]},
        "cpus": os.cpu_count(),
        "jobs": args.jobs,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "git": out(".", "--version"),
        "python": platform.python_version(),
    }
    print(json.dumps({name: p["timing"] for name, p in projects.items()}, indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 1 if any(p["mismatches"] for p in projects.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
