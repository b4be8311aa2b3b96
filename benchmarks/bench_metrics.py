"""Benchmark gatebot.adapters.metrics (SPEC §5.1 measurements); a script, not a test.

    python benchmarks/bench_metrics.py [--tree PATH] [--repeat N] [--out FILE]

(a) Measures every ``.py`` file of ``--tree`` (default: this interpreter's standard
    library, without site-packages) with ``measure_files`` and with the ``lizard``
    command on the same file list (once with lizard's defaults, once with as many
    working threads as we use processes), and compares the function-length
    findings (> 80 lines) of the two, classifying each difference.
(b) Commits a copy of those files to a fresh git repository, makes a 10-file change
    on a branch and times the default scope: merge base, changed files and lines
    (``git diff``), ``measure_blobs`` on them (read with ``git cat-file``), and the
    three rules.

Prints a table and writes the figures to ``benchmarks/results/metrics.json``.
Goals: (a) lizard / ours >= 3; (b) < 0.5 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gatebot.adapters.git import Git
from gatebot.adapters.metrics import (
    SpanDifference,
    compare_findings,
    default_jobs,
    measure_blobs,
    measure_files,
)
from gatebot.core.facts import Change, Definition, FileMetrics
from gatebot.core.rules import docstrings, file_length, function_length

MAX_FUNCTION_LINES = 80
MAX_FILE_LINES = 900
LIZARD = str(Path(sys.executable).with_name("lizard"))
RESULTS = Path(__file__).resolve().parent / "results" / "metrics.json"
CAUSES = {
    "does not parse": "Python 2 source: ast rejects the file (function-length fails it with"
    " the syntax error), lizard's tokenizer measures it anyway",
    "lizard ends earlier": "a continuation line (closing bracket of a multi-line annotation,"
    " multi-line string) at or left of the def's indentation ends lizard's function",
    "lizard ends later": "a one-line def (`def f(): pass`, `def f(): r\"\"\"`) has no indented"
    " body, so lizard keeps it open until a later dedent",
    "no lizard function": "lizard loses a function holding a nested one-line def (it reports"
    " only `outer.inner`, spanning to outer's end), or one swallowed by an unclosed def",
    "no ast function": "lizard sees a function where ast has none",
}


def python_files(tree: Path) -> list[str]:
    """Every .py file under ``tree`` (site-packages and __pycache__ left out), sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "__pycache__"))
        rel = Path(dirpath).relative_to(tree)
        found += [(rel / f).as_posix() for f in sorted(filenames) if f.endswith(".py")]
    return found


def cpu_s() -> float:
    """CPU seconds (user + system) used so far by this process and its reaped children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_lizard(tree: Path, paths: list[str], threads: int) -> tuple[float, list[FileMetrics]]:
    """Run the lizard command on ``paths``; its wall time and its functions as FileMetrics."""
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "files.txt"
        listing.write_text("".join(f"{tree / p}\n" for p in paths), encoding="utf-8")
        argv = [LIZARD, "--csv", "-f", str(listing)]
        if threads > 1:
            argv += ["-t", str(threads)]
        start = time.perf_counter()
        out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
        elapsed = time.perf_counter() - start
    functions: dict[str, list[Definition]] = {p: [] for p in paths}
    for row in csv.reader(out.splitlines()):
        path = Path(row[6]).relative_to(tree).as_posix()
        functions[path].append(Definition("function", row[7], int(row[9]), int(row[10])))
    return elapsed, [FileMetrics(p, 0, "python", tuple(functions[p])) for p in paths]


def part_a(tree: Path, paths: list[str], jobs: int) -> dict[str, object]:
    """(a) Measure ``paths`` with gatebot and with the lizard command; compare findings."""
    start, cpu = time.perf_counter(), cpu_s()
    ours = measure_files(tree, paths, jobs=jobs)
    ours_s, ours_cpu = time.perf_counter() - start, cpu_s() - cpu
    cpu = cpu_s()
    lizard_s, lizard = run_lizard(tree, paths, 1)
    lizard_cpu = cpu_s() - cpu
    lizard_threads_s, _ = run_lizard(tree, paths, jobs)
    differences = compare_findings(ours, lizard, MAX_FUNCTION_LINES)
    ours_long, lizard_long = _long(ours), _long(lizard)
    return {
        "files": len(paths),
        "lines": sum(m.lines for m in ours),
        "functions_ast": sum(1 for m in ours for d in m.definitions if d.kind == "function"),
        "files_not_parsing": sum(1 for m in ours if m.error),
        "jobs": jobs,
        "ours_s": round(ours_s, 3),
        "lizard_s": round(lizard_s, 3),
        f"lizard_t{jobs}_s": round(lizard_threads_s, 3),
        "ratio": round(lizard_s / ours_s, 2),
        "ours_cpu_s": round(ours_cpu, 3),
        "lizard_cpu_s": round(lizard_cpu, 3),
        "cpu_ratio": round(lizard_cpu / ours_cpu, 2),
        f"ratio_t{jobs}": round(lizard_threads_s / ours_s, 2),
        "findings_ast": len(ours_long),
        "findings_lizard": len(lizard_long),
        "findings_common": len(ours_long & lizard_long),
        "findings_equal": not differences,
        "differences_by_kind": dict(Counter(d.kind for d in differences)),
        "causes": {kind: CAUSES[kind] for kind in sorted({d.kind for d in differences})},
        "differences": [_difference(d) for d in differences],
    }


def _long(metrics: list[FileMetrics]) -> set[tuple[str, int]]:
    return {
        (m.path, d.line) for m in metrics for d in m.definitions
        if d.kind == "function" and d.span > MAX_FUNCTION_LINES
    }


def _difference(d: SpanDifference) -> dict[str, object]:
    return {"path": d.path, "line": d.line, "ast_end": d.ours, "lizard_end": d.lizard,
            "kind": d.kind}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; return stdout."""
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          check=True).stdout


def build_repo(tree: Path, paths: list[str], repo: Path) -> list[str]:
    """A repository holding ``paths`` of ``tree`` on main, and a 10-file change on a branch."""
    for p in paths:
        (repo / p).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tree / p, repo / p)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com",
        "commit", "-q", "-m", "stdlib copy")
    git(repo, "switch", "-q", "-c", "feature")
    changed = paths[:: max(1, len(paths) // 10)][:10]
    for n, p in enumerate(changed):
        with (repo / p).open("a", encoding="utf-8") as handle:
            body = "".join(f"    x{i} = {i}\n" for i in range(90 if n == 0 else 5))
            handle.write(f"\n\ndef added_{n}():\n{body}")
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com",
        "commit", "-q", "-a", "-m", "change ten files")
    return changed


def default_scope(repo: Path, jobs: int) -> tuple[float, list[str]]:
    """Time merge base + git diff + measure + the three rules; their wall time and summaries."""
    start = time.perf_counter()
    g = Git(repo)
    head = g.must_resolve("HEAD")
    base = g.must_resolve("main")
    merge_base = g.merge_base(base, head) or base
    entries = g.changed_entries(merge_base, head)
    change = Change(base, head, merge_base, tuple(e.path for e in entries),
                    tuple(g.deleted_files(merge_base, head)),
                    changed_lines=g.changed_lines(merge_base, head, entries))
    measured = measure_blobs(repo, entries, jobs=jobs)  # as gate 1: blobs of the head commit
    results = [
        file_length.evaluate(measured, MAX_FILE_LINES),
        function_length.evaluate(measured, MAX_FUNCTION_LINES),
        docstrings.evaluate(measured, change),
    ]
    elapsed = time.perf_counter() - start
    return elapsed, [f"{r.id}: {r.status}, {r.summary}" for r in results]


def part_b(tree: Path, paths: list[str], jobs: int, repeat: int) -> dict[str, object]:
    """(b) Time the default-scope measurement of a 10-file change in a real repository."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        start = time.perf_counter()
        changed = build_repo(tree, paths, repo)
        setup_s = time.perf_counter() - start
        times = []
        for _ in range(repeat):
            elapsed, summaries = default_scope(repo, jobs)
            times.append(elapsed)
    return {
        "repo_files": len(paths), "changed_files": len(changed), "setup_s": round(setup_s, 2),
        "runs": repeat, "first_s": round(times[0], 4), "median_s": round(statistics.median(times), 4),
        "max_s": round(max(times), 4), "goal_s": 0.5, "rules": summaries,
    }


def report(a: dict[str, object], b: dict[str, object]) -> None:
    """Print the figures of (a) and (b) as a short table."""
    jobs = a["jobs"]
    rows = [
        ("(a) files / lines", f"{a['files']} / {a['lines']}"),
        (f"(a) measure_files, {jobs} processes", f"{a['ours_s']:.2f} s"),
        ("(a) lizard (defaults: 1 thread)", f"{a['lizard_s']:.2f} s"),
        (f"(a) lizard -t {jobs}", f"{a[f'lizard_t{jobs}_s']:.2f} s"),
        ("(a) ratio lizard / ours (goal >= 3)", f"{a['ratio']:.2f}x"),
        (f"(a) ratio lizard -t {jobs} / ours", f"{a[f'ratio_t{jobs}']:.2f}x"),
        ("(a) CPU s ours / lizard (ratio)",
         f"{a['ours_cpu_s']:.2f} / {a['lizard_cpu_s']:.2f} ({a['cpu_ratio']:.2f}x)"),
        ("(a) > 80-line functions ast / lizard", f"{a['findings_ast']} / {a['findings_lizard']}"),
        ("(a) findings equal", str(a["findings_equal"])),
        ("(a) differences by kind", json.dumps(a["differences_by_kind"])),
        ("(b) default scope, 10 files: first", f"{b['first_s']:.3f} s"),
        (f"(b) median / max of {b['runs']} (goal < 0.5)", f"{b['median_s']:.3f} / {b['max_s']:.3f} s"),
    ]
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    for d in a["differences"]:  # type: ignore[attr-defined]
        print(f"  {d['path']}:{d['line']} ast end {d['ast_end']}, lizard end "
              f"{d['lizard_end']}: {d['kind']}")
    for kind, cause in a["causes"].items():  # type: ignore[attr-defined]
        print(f"  {kind}: {cause}")
    for line in b["rules"]:  # type: ignore[attr-defined]
        print(f"  {line}")


def main() -> None:
    """Run (a) and (b) and write benchmarks/results/metrics.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    tree = args.tree.resolve()
    paths = python_files(tree)
    load_before = os.getloadavg()
    a = part_a(tree, paths, args.jobs)
    b = part_b(tree, paths, args.jobs, args.repeat)
    report(a, b)
    print(f"load average (1, 5, 15 min) before: {load_before}, after: {os.getloadavg()}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figures = {"tree": str(tree), "python": platform.python_version(),
               "cpus": os.cpu_count(),
               "loadavg_before": load_before, "loadavg_after": os.getloadavg(), "a": a, "b": b}
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
