"""Benchmark gate 2's own overhead: ``gatebot merge`` against the same landing done by hand.

Run: ``python benchmarks/bench_merge.py [--files 20000] [--reps 7] [--profile]``.

Builds one large repository (the Python standard library's files copied until
there are ``--files`` of them, committed once) with a bare ``origin`` and no
checks configured, so gatebot's time is everything but the checks: fetching
the base, reading the board and the approvals, the integration worktree, the
release commit with its board edits, and the push (SPEC §5.3).

Each repetition makes two equal task branches off ``origin/main`` (two small
files, by a builder), then advances ``main`` by one commit from another agent,
and times, in alternating order:

- gatebot: ``python -m gatebot merge --task K --as rev-b`` as a real process
  (after an untimed gate-1 approval), and
- by hand, in a clone kept on ``main``: ``git fetch origin``, ``git merge
  --ff-only origin/main``, ``git merge --no-ff origin/BRANCH``, ``git push
  origin main``;

and, for reference, the same landing with plumbing only (``merge-tree
--write-tree``, the board edit on a temporary index, ``commit-tree``, push),
which is what gatebot could cost without checking out an integration worktree.

Prints medians and the ratio gatebot/by-hand (goal: under 2×) and writes
``benchmarks/results/merge.json``. With ``--profile`` (or when the ratio is
over 2×) one more gatebot merge runs under cProfile and the functions with the
most cumulative time are added to the report.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "merge.json"
GATEBOT_TOML = "min_coverage = 0\n[checks]\nnox_sessions = []\nrequired = []\n"
SKIP_DIRS = {"site-packages", "__pycache__", "test", "idlelib", "tkinter", "turtledemo"}


PYCACHE = Path(tempfile.gettempdir()) / "gatebot-bench-merge-pycache"
"""gatebot's compiled modules, as an installed gatebot has them (pip compiles them on install)."""


def env_for(name: str) -> dict[str, str]:
    """A process environment with ``name`` as git author/committer and no user config.

    gatebot's modules are compiled once into ``PYCACHE``: with
    ``PYTHONDONTWRITEBYTECODE`` set, every timed run would compile them afresh.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GATEBOT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({
        "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": f"{name}@example.com",
        "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": f"{name}@example.com",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "NO_COLOR": "1",
        "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(PYCACHE),
    })
    return env


def git(cwd: Path, *args: str, who: str = "builder-one") -> str:
    """Run git as ``who``; return stdout (raises on failure)."""
    return subprocess.run(["git", *args], cwd=cwd, env=env_for(who), check=True,
                          capture_output=True, text=True).stdout.strip()


def stdlib_files() -> list[Path]:
    """Source files of the standard library (no tests, caches or site-packages)."""
    base = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_file() and not SKIP_DIRS & set(rel.parts) and path.suffix != ".pyc" \
                and path.stat().st_size < 512_000:
            found.append(path)
    return found


def populate(work: Path, files: int) -> int:
    """Copy stdlib files into ``copyN/`` directories until there are ``files``; return count."""
    sources = stdlib_files()
    base = Path(sysconfig.get_paths()["stdlib"])
    written = 0
    copy = 0
    while written < files:
        for src in sources[: files - written]:
            target = work / f"copy{copy}" / src.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            written += 1
        copy += 1
    return written


def todo(tasks: int) -> str:
    """A board with tasks #1..#tasks in REVIEW."""
    blocks = "".join(f"### #{k} Bench task {k}\n**Built by**: builder-one\n"
                     f"**Branch**: task/{k}-bench\n\n" for k in range(1, tasks + 1))
    return (f"# 📋 TODO\n\n## 🟢 READY\n\n## 🔨 IN-PROGRESS\n\n## 👀 REVIEW\n\n{blocks}"
            "## ✅ RDY FOR PROD\n\n## 🚀 RELEASED\n")


class Bench:
    """The repositories of one benchmark run under ``tmp``."""

    def __init__(self, tmp: Path, files: int, tasks: int) -> None:
        """Create origin, the seed commit and the three clones (untimed)."""
        self.tmp = tmp
        self.origin = tmp / "origin.git"
        git(tmp, "init", "-q", "--bare", "-b", "main", str(self.origin))
        seed = tmp / "seed"
        git(tmp, "clone", "-q", str(self.origin), str(seed))
        git(seed, "checkout", "-q", "-b", "main")
        self.files = populate(seed, files)
        (seed / "TODO.md").write_text(todo(tasks), encoding="utf-8")
        (seed / ".gatebot.toml").write_text(GATEBOT_TOML, encoding="utf-8")
        git(seed, "add", "-A")
        git(seed, "commit", "-q", "-m", "a large project")
        git(seed, "push", "-q", "origin", "main")
        self.tracked = len(git(seed, "ls-files").splitlines())
        shutil.rmtree(seed)
        self.clones = {}
        for name in ("builder", "other", "reviewer", "hand", "plumbing"):
            path = tmp / name
            git(tmp, "clone", "-q", str(self.origin), str(path))
            self.clones[name] = path

    def branch(self, name: str, tag: str) -> str:
        """Push a branch with two small files off origin/main (by the builder); its head."""
        b = self.clones["builder"]
        git(b, "fetch", "-q", "origin")
        git(b, "checkout", "-q", "-B", name, "origin/main")
        (b / "feature").mkdir(exist_ok=True)
        (b / "feature" / f"{tag}.py").write_text(f'"""Feature {tag}."""\n', encoding="utf-8")
        (b / "feature" / f"test_{tag}.py").write_text("x = 1\n", encoding="utf-8")
        git(b, "add", "-A")
        git(b, "commit", "-q", "-m", f"feature {tag}")
        git(b, "push", "-q", "origin", name)
        return git(b, "rev-parse", "HEAD")

    def advance_main(self, tag: str) -> None:
        """Another agent lands one commit on main (so each landing is a real merge)."""
        o = self.clones["other"]
        git(o, "pull", "-q", "--ff-only", "origin", "main", who="other-agent")
        (o / f"main-{tag}.txt").write_text(tag + "\n", encoding="utf-8")
        git(o, "add", "-A", who="other-agent")
        git(o, "commit", "-q", "-m", f"main moves {tag}", who="other-agent")
        git(o, "push", "-q", "origin", "HEAD:main", who="other-agent")

    def approve(self, branch: str, task: int) -> None:
        """Gate 1 by rev-a on ``branch`` (untimed)."""
        r = self.clones["reviewer"]
        git(r, "fetch", "-q", "origin")
        git(r, "checkout", "-q", "-B", branch, f"origin/{branch}")
        result = gatebot(r, "review", "--approve", "--task", str(task), "--as", "rev-a")
        if result.returncode != 0:
            raise RuntimeError(f"gate 1 refused: {result.stderr}")

    def time_gatebot(self, task: int) -> float:
        """Wall time of ``gatebot merge`` as a process; checks that it landed."""
        started = time.perf_counter()
        result = gatebot(self.clones["reviewer"], "merge", "--task", str(task), "--as", "rev-b")
        elapsed = time.perf_counter() - started
        if result.returncode != 0 or "landed" not in result.stderr:
            raise RuntimeError(f"gatebot merge failed: {result.stdout}{result.stderr}")
        return elapsed

    def time_by_hand(self, branch: str) -> float:
        """Wall time of fetch, catch up, ``merge --no-ff`` and push in a clone on main."""
        h = self.clones["hand"]
        started = time.perf_counter()
        git(h, "fetch", "-q", "origin", who="rev-b")
        git(h, "merge", "-q", "--ff-only", "origin/main", who="rev-b")
        git(h, "merge", "-q", "--no-ff", "-m", f"Merge {branch}", f"origin/{branch}", who="rev-b")
        git(h, "push", "-q", "origin", "HEAD:main", who="rev-b")
        return time.perf_counter() - started

    def time_plumbing(self, branch: str) -> float:
        """Wall time of the same landing with plumbing only, as a worktree-free gatebot could.

        ``git merge-tree --write-tree`` (no checkout), the board edit on a
        temporary index, ``commit-tree`` with both parents, and the push.
        """
        p = self.clones["plumbing"]
        index = str(self.tmp / "plumbing.index")
        started = time.perf_counter()
        git(p, "fetch", "-q", "origin", "main", branch)
        base = git(p, "rev-parse", "origin/main")
        head = git(p, "rev-parse", f"origin/{branch}")
        tree = git(p, "merge-tree", "--write-tree", base, head).splitlines()[0]
        board = git(p, "show", f"{base}:TODO.md") + f"\n- released {branch}\n"
        blob = plumb(p, index, "hash-object", "-w", "--stdin", stdin=board)
        plumb(p, index, "read-tree", tree)
        plumb(p, index, "update-index", "--add", "--cacheinfo", f"100644,{blob},TODO.md")
        new_tree = plumb(p, index, "write-tree")
        commit = plumb(p, index, "commit-tree", new_tree, "-p", base, "-p", head,
                       stdin=f"Merge {branch}\n")
        git(p, "push", "-q", "origin", f"{commit}:refs/heads/main", who="rev-b")
        return time.perf_counter() - started


def plumb(cwd: Path, index: str, *args: str, stdin: str | None = None) -> str:
    """Run git plumbing on a temporary index file; return stdout."""
    return subprocess.run(["git", *args], cwd=cwd, env={**env_for("rev-b"), "GIT_INDEX_FILE": index},
                          input=stdin, check=True, capture_output=True, text=True).stdout.strip()


def gatebot(cwd: Path, *args: str, prefix: tuple[str, ...] = (),
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python [prefix] -m gatebot ARGS`` as its own process."""
    return subprocess.run([sys.executable, *prefix, "-m", "gatebot", *args], cwd=cwd,
                          env={**env_for("rev"), **(extra_env or {})}, capture_output=True,
                          text=True, check=False, timeout=600)


def git_time_by_command(trace: Path) -> list[dict[str, object]]:
    """Wall time of each git command gatebot ran, from a ``GIT_TRACE2_EVENT`` file.

    Only top-level git processes count (a child's time is inside its parent's).
    """
    argv: dict[str, list[str]] = {}
    spent: list[dict[str, object]] = []
    for line in trace.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        sid = record.get("sid", "")
        if "/" in sid:
            continue
        if record["event"] == "start":
            argv[sid] = record["argv"][1:]
        elif record["event"] == "exit" and sid in argv:
            words = [w for w in argv[sid] if w not in ("-c", "core.quotepath=off")]
            spent.append({"git": " ".join(words)[:90], "seconds": round(record["t_abs"], 3)})
    return sorted(spent, key=lambda x: -float(str(x["seconds"])))


def profile(bench: Bench, task: int, top: int = 25) -> dict[str, object]:
    """One more gatebot merge under cProfile and git's trace2: where the time goes.

    Returns the ``top`` functions by cumulative time, every git command with
    its wall time (slowest first), and the total spent waiting for git.
    """
    branch = f"task/{task}-bench"
    bench.branch(branch, f"p{task}")
    bench.advance_main(f"p{task}")
    bench.approve(branch, task)
    stats_path, trace = bench.tmp / "merge.prof", bench.tmp / "trace2.json"
    started = time.perf_counter()
    result = gatebot(bench.clones["reviewer"], "merge", "--task", str(task), "--as", "rev-b",
                     prefix=("-m", "cProfile", "-o", str(stats_path)),
                     extra_env={"GIT_TRACE2_EVENT": str(trace)})
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"profiled merge failed: {result.stderr}")
    buffer = io.StringIO()
    stats = pstats.Stats(str(stats_path), stream=buffer)
    stats.sort_stats("cumulative").print_stats(top)
    commands = git_time_by_command(trace)
    started = time.perf_counter()
    gatebot(bench.clones["reviewer"], "--version")
    return {
        "wall_seconds": round(wall, 3),
        "python_startup_and_version_s": round(time.perf_counter() - started, 3),
        "git_commands": len(commands),
        "git_seconds_total": round(sum(float(str(c["seconds"])) for c in commands), 3),
        "git_by_command": commands,
        "cprofile_top_cumulative": [  # paths relative to the project, not this machine's
            ln.replace(f"{ROOT}/", "") for ln in buffer.getvalue().splitlines() if ln.strip()],
    }


def run(files: int, reps: int, want_profile: bool) -> dict[str, object]:
    """Set up, time ``reps`` alternating repetitions, and return the report."""
    tmp = Path(tempfile.mkdtemp(prefix="gatebot-bench-merge-"))
    try:
        started = time.perf_counter()
        bench = Bench(tmp, files, reps + 2)
        setup_s = time.perf_counter() - started
        warm = bench.branch("warm/hand", "warm")
        bench.time_by_hand("warm/hand")  # warm the page cache and the hand clone
        ours: list[float] = []
        hand: list[float] = []
        plumbing: list[float] = []
        for i in range(reps):
            task = i + 1
            branch = f"task/{task}-bench"
            bench.branch(branch, f"g{i}")
            bench.branch(f"hand/{i}", f"h{i}")
            bench.branch(f"plumbing/{i}", f"q{i}")
            bench.advance_main(f"m{i}")
            bench.approve(branch, task)
            if i % 2 == 0:
                ours.append(bench.time_gatebot(task))
                hand.append(bench.time_by_hand(f"hand/{i}"))
            else:
                hand.append(bench.time_by_hand(f"hand/{i}"))
                ours.append(bench.time_gatebot(task))
            plumbing.append(bench.time_plumbing(f"plumbing/{i}"))
            print(f"rep {i + 1}/{reps}: gatebot {ours[-1]:.2f} s, by hand {hand[-1]:.2f} s, "
                  f"plumbing {plumbing[-1]:.2f} s", file=sys.stderr)
        ratio = statistics.median(ours) / statistics.median(hand)
        report: dict[str, object] = {
            "benchmark": "gatebot merge (no checks) vs git fetch + merge --no-ff + push by hand",
            "files_tracked": bench.tracked,
            "repetitions": reps,
            "setup_seconds": round(setup_s, 1),
            "gatebot_seconds": [round(x, 3) for x in ours],
            "by_hand_seconds": [round(x, 3) for x in hand],
            "gatebot_median_s": round(statistics.median(ours), 3),
            "by_hand_median_s": round(statistics.median(hand), 3),
            "ratio_gatebot_over_by_hand": round(ratio, 2),
            "plumbing_seconds": [round(x, 3) for x in plumbing],
            "plumbing_median_s": round(statistics.median(plumbing), 3),
            "plumbing_note": "the same landing with merge-tree/commit-tree and no checkout: "
                             "what gatebot could cost without the integration worktree",
            "goal": "under 2x",
            "warm_head": warm,
            "cpus": os.cpu_count(), "load_average_end": [round(x, 1) for x in os.getloadavg()],
            "python": platform.python_version(),
            "git": git(tmp, "--version"),
            "platform": platform.platform(),
        }
        if want_profile or ratio > 2:
            report["profile"] = profile(bench, reps + 1)
        return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    """Parse arguments, run the benchmark, print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    report = run(args.files, args.reps, args.profile)
    for key in ("files_tracked", "gatebot_median_s", "by_hand_median_s",
                "ratio_gatebot_over_by_hand", "plumbing_median_s"):
        print(f"{key}: {report[key]}")
    found = report.get("profile")
    if isinstance(found, dict):
        print(json.dumps({k: v for k, v in found.items() if k != "cprofile_top_cumulative"},
                         indent=1))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
