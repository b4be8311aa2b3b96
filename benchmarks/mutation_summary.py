"""Mutation scores per module of ``gatebot/core``, from mutmut's results.

Run after ``mutmut run`` (``nox -s mutation`` runs both):
``python benchmarks/mutation_summary.py [--mutants mutants] [--baseline]``.

mutmut 3 keeps one ``<module>.py.meta`` JSON file per mutated module under
``mutants/``, mapping each mutant's name to the exit code of the tests that ran
against it. A mutant is *killed* when the tests failed (exit 1 or 3) or ran out
of time; it *survived* when they passed (0) or when no core test runs its
function at all ("no tests", 5 or 33). The score of a module is killed /
(killed + survived + suspicious), in percent; mutants not run yet are left out.

Writes ``benchmarks/results/mutation.json``: per module its counts, score and
the names of its survivors (``mutmut show NAME`` prints the diff). The
``baseline`` key keeps the scores of the run made with ``--baseline`` (the
figures before the tests were written), so every later run shows before and after.
The goal is 95 % on ``protocol.py`` and every module of ``rules/``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "mutation.json"
GOAL_PCT = 95.0
KILLED = {1, 3, 24, -24, 152, 255, 36, 37}  # test failure, pytest internal error, timeout, type check
SURVIVED = {0, 5, 33}  # tests passed, or no core test covers the mutated function
NOT_RUN = {None, 2, 34}  # not checked yet, interrupted, skipped


def goal_module(module: str) -> bool:
    """Whether ``module`` (``gatebot/core/…``) is held to the 95 % goal."""
    return module == "gatebot/core/protocol.py" or module.startswith("gatebot/core/rules/")


def module_scores(meta: Path) -> dict[str, Any]:
    """Counts, score (percent, None when nothing ran) and survivors of one ``.meta`` file."""
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    killed = [name for name, code in codes.items() if code in KILLED]
    survived = sorted(name for name, code in codes.items() if code in SURVIVED)
    suspicious = sorted(name for name, code in codes.items()
                        if code not in KILLED | SURVIVED | NOT_RUN)
    judged = len(killed) + len(survived) + len(suspicious)
    return {
        "mutants": len(codes),
        "judged": judged,
        "killed": len(killed),
        "survived": len(survived),
        "suspicious": len(suspicious),
        "score_pct": round(100 * len(killed) / judged, 1) if judged else None,
        "survivors": survived + suspicious,
    }


def collect(mutants: Path) -> dict[str, dict[str, Any]]:
    """Scores of every module mutmut mutated under ``mutants/``, keyed by repository path."""
    out = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        module = str(meta.relative_to(mutants))[: -len(".meta")]
        out[module] = module_scores(meta)
    return out


def totals(modules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The sums over ``modules`` and the overall score in percent."""
    killed = sum(m["killed"] for m in modules.values())
    judged = sum(m["judged"] for m in modules.values())
    return {"judged": judged, "killed": killed,
            "score_pct": round(100 * killed / judged, 1) if judged else None}


def mutmut_version() -> str:
    """``mutmut`` and its version, as its distribution reports it."""
    try:
        return f"mutmut {version('mutmut')}"
    except PackageNotFoundError:
        return "mutmut (version unknown)"


def main() -> None:
    """Summarise, print a table and write the figures (keeping the recorded baseline)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--baseline", action="store_true",
                        help="record these scores as the baseline (before new tests)")
    args = parser.parse_args()
    modules = collect(args.mutants)
    if not modules:
        raise SystemExit(f"no mutmut results under {args.mutants}/: run `mutmut run` first")
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    scores = {name: m["score_pct"] for name, m in modules.items()}
    baseline = ({"scores_pct": scores, "total": totals(modules)} if args.baseline
                else old.get("baseline", {}))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    doc = {
        "benchmark": "mutation testing of gatebot/core, mutants killed by tests/core alone",
        "tool": mutmut_version(),
        "commit": commit,
        "goal": f">= {GOAL_PCT:g} % on gatebot/core/protocol.py and gatebot/core/rules/*",
        "score": "killed / (killed + survived + suspicious); 'no tests' counts as survived",
        "total": totals(modules),
        "modules": modules,
        "baseline": baseline,
    }
    RESULTS.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    before = baseline.get("scores_pct", {})
    print(f"{'module':44} {'before':>7} {'after':>7} {'judged':>7}  goal")
    for name, m in modules.items():
        mark = ("ok" if (m["score_pct"] or 0) >= GOAL_PCT else "BELOW") if goal_module(name) else ""
        print(f"{name:44} {before.get(name, '-')!s:>7} {m['score_pct']!s:>7} "
              f"{m['judged']:>7}  {mark}")
    print(f"total: {doc['total']}; written to {RESULTS}")


if __name__ == "__main__":
    main()
