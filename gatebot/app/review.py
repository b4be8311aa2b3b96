"""``gatebot review``: gate 1 (SPEC §5.1, §5.2) — gather facts, decide, and report.

Facts: the change (merge base..head, or every tracked file with ``--all``),
file metrics, check results and the coverage report. Decision: each rule's pure
``evaluate``. Approval and rejection live in ``gatebot.app.gate1``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gatebot.adapters import checks as checks_adapter
from gatebot.adapters.coverage_report import read_coverage
from gatebot.adapters.metrics import measure_files
from gatebot.app.context import Context
from gatebot.core.facts import Change, CheckResult, CoverageReport
from gatebot.core.rules import board_files, docstrings, file_length, function_length, tests_present
from gatebot.core.rules import checks as checks_rule
from gatebot.core.rules import coverage as coverage_rule
from gatebot.core.rules.globs import match_any
from gatebot.core.verdict import RuleResult
from gatebot.errors import UsageError

STATIC_RULES = (
    "file-length", "function-length", "tests-present", "docstrings", "coverage", "board-files",
)
Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class ReviewOptions:
    """The flags of ``gatebot review`` that shape the verdict (SPEC §7)."""

    base: str
    all_files: bool = False
    only: tuple[str, ...] = ()
    jobs: int | None = None
    critical: bool = False


def gather_change(ctx: Context, base_ref: str, all_files: bool) -> Change:
    """The change under review: files of ``merge-base(base, HEAD)..HEAD`` or all tracked files.

    With a remote the base is fetched first (the board commits land there, and
    a stale local branch would count them as the change's own edits). Raises ``EnvironmentProblem`` when the base or HEAD does not resolve.
    """
    git = ctx.git
    head = git.must_resolve("HEAD")
    remote = ctx.forge.remote
    fetched = git.fetch(remote, base_ref) if remote else None
    base = fetched or git.must_resolve(base_ref)
    merge_base = git.merge_base(base, head) or base
    if all_files:
        return Change(base, head, merge_base, tuple(git.tracked_files(head)), all_files=True)
    return Change(
        base, head, merge_base,
        tuple(git.changed_files(merge_base, head)),
        tuple(git.deleted_files(merge_base, head)),
        changed_lines=git.changed_lines(merge_base, head),
    )


def check_ids(specs: Sequence[checks_adapter.CheckSpec]) -> list[str]:
    """The rule ids ``checks.<name>`` of the planned checks."""
    return [f"checks.{s.name}" for s in specs]


def select_rules(known: Sequence[str], only: Sequence[str], disabled: Sequence[str]) -> list[str]:
    """The rule ids to run: ``known`` minus ``disabled``, narrowed by ``--only``.

    ``--only checks`` selects every ``checks.<name>``. Raises ``UsageError``
    naming an unknown id and listing the known ones.
    """
    chosen = [r for r in known if r not in disabled]
    if not only:
        return chosen
    selected: list[str] = []
    for wanted in only:
        matches = [r for r in chosen if r == wanted or (wanted == "checks" and r.startswith("checks."))]
        if not matches:
            raise _unselectable(wanted, known, disabled, chosen)
        selected += [m for m in matches if m not in selected]
    return selected


def _unselectable(wanted: str, known: Sequence[str], disabled: Sequence[str],
                  chosen: Sequence[str]) -> UsageError:
    """The error for an ``--only`` id that selects nothing, saying why and what to do."""
    checks = [r.removeprefix("checks.") for r in known if r.startswith("checks.")]
    if wanted in disabled or (wanted == "checks" and checks):
        return UsageError(f"--only {wanted}: disabled by disabled_rules in the configuration",
                          "remove it from disabled_rules on the base branch to run it")
    if wanted == "checks" or wanted.startswith("checks."):
        what = "no check is configured" if not checks else (
            f"no check named {wanted.removeprefix('checks.')!r} is configured "
            f"(configured: {', '.join(checks)})")
        return UsageError(
            f"--only {wanted}: {what}",
            "checks are the nox sessions of noxfile.py named by checks.nox_sessions "
            "(tests, lint, typecheck, build), or commands such as "
            '[tool.gatebot.checks] commands = { tests = ["pytest", "-q"] }; '
            "see docs/configuration.md",
        )
    return UsageError(f"--only names an unknown rule: {wanted!r}",
                      "choose from: " + ", ".join(chosen))


def log_dir(ctx: Context, head: str) -> Path:
    """Where this run keeps its check logs: ``<state dir>/logs/<head>-<UTC time>/``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    override = os.environ.get("GATEBOT_LOG_DIR")
    base = Path(override) if override else ctx.state_dir() / "logs"
    path = base / f"{head[:12]}-{stamp}-{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def plan(ctx: Context, head: str) -> tuple[list[checks_adapter.CheckSpec], Path]:
    """The checks to run (configured commands, else nox sessions) and their log directory."""
    cfg = ctx.config.checks
    logs = log_dir(ctx, head)
    commands = {
        name: tuple(cmd.split()) if isinstance(cmd, str) else tuple(cmd)
        for name, cmd in cfg.commands.items()
    }
    specs = checks_adapter.plan_checks(
        ctx.root, nox_wanted=cfg.nox_sessions, commands=commands, timeout_s=cfg.timeout,
        log_dir=logs, nox_args=cfg.nox_args, env_allow=cfg.env_allow,
    )
    return specs, logs


def run_selected_checks(
    ctx: Context, specs: Sequence[checks_adapter.CheckSpec], logs: Path | None,
    jobs: int | None, progress: Progress | None, *, record: Path | None = None,
) -> list[CheckResult]:
    """Run ``specs`` in parallel (``--jobs``, default the number of cores), logs in ``logs``.

    ``record``: where the running checks' process groups are written down (an
    integration slot's record, so a later merge can kill them if this one dies).
    """
    if not specs or logs is None:
        return []
    workers = jobs or ctx.config.checks.jobs or os.cpu_count() or 1
    return checks_adapter.run_checks(list(specs), ctx.root, logs, workers, progress,
                                     record=record)


def fresh_coverage(ctx: Context, since: float | None) -> tuple[CoverageReport | None, str]:
    """The coverage report, if the tests check of this run wrote it (``since``: its start)."""
    path = ctx.root / ctx.config.checks.coverage_report
    report = read_coverage(path)
    if report is not None and since is not None and path.stat().st_mtime < since:
        return None, f"{path} was not rewritten by this run's tests check"
    return report, ""


def _timed(results: dict[str, RuleResult], rule_id: str, fn: Callable[[], RuleResult]) -> None:
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    results[rule_id] = RuleResult(
        result.id, result.status, result.summary, result.findings, elapsed, result.log_path
    )


def static_results(
    ctx: Context, change: Change, selected: Sequence[str], jobs: int | None
) -> dict[str, RuleResult]:
    """The rules decided from the change and file metrics alone (no checks)."""
    cfg = ctx.config
    results: dict[str, RuleResult] = {}
    needs_metrics = {"file-length", "function-length", "docstrings"} & set(selected)
    start = time.perf_counter()
    metrics = measure_files(ctx.root, list(change.files), jobs) if needs_metrics else []
    measured = time.perf_counter() - start
    rules: dict[str, Callable[[], RuleResult]] = {
        "file-length": lambda: file_length.evaluate(metrics, cfg.max_file_lines),
        "function-length": lambda: function_length.evaluate(metrics, cfg.max_function_lines),
        "docstrings": lambda: docstrings.evaluate(
            [m for m in metrics if not match_any(m.path, cfg.tests.patterns)], change
        ),
        "tests-present": lambda: tests_present.evaluate(
            change.files, test_patterns=cfg.tests.patterns,
            source_patterns=cfg.tests.source_patterns,
        ),
        "board-files": lambda: board_files.evaluate(
            change.files, board_paths=(cfg.board.todo, cfg.board.current_state),
            archive_dir=cfg.board.archive_dir, all_files=change.all_files,
        ),
    }
    for rule_id, fn in rules.items():
        if rule_id in selected:
            _timed(results, rule_id, fn)
    for rule_id in needs_metrics:  # measuring is shared: charge it to each metric rule
        old = results[rule_id]
        results[rule_id] = RuleResult(
            old.id, old.status, old.summary, old.findings, old.duration_s + measured
        )
    return results


def evaluate(
    ctx: Context, options: ReviewOptions, progress: Progress | None = None
) -> tuple[Change, list[RuleResult]]:
    """Run gate 1 on HEAD: every selected rule of SPEC §5.1, in SPEC order.

    Returns the change and the rule results (checks first, then static rules,
    then coverage). Raises ``UsageError`` for an unknown ``--only`` id.
    """
    change = gather_change(ctx, options.base, options.all_files)
    # `--only` of static rules needs no check: skip `nox --list` and the log directory
    wants_checks = not options.only or any(
        o == "coverage" or o.startswith("checks") for o in options.only)
    specs, logs = plan(ctx, change.head) if wants_checks else ([], None)
    known = check_ids(specs) + list(STATIC_RULES)
    selected = select_rules(known, options.only, ctx.config.disabled_rules)
    if "coverage" in selected and "checks.tests" in known and "checks.tests" not in selected:
        selected.append("checks.tests")  # the coverage report is the tests check's output
    results = static_results(ctx, change, selected, options.jobs)
    run_specs = [s for s in specs if f"checks.{s.name}" in selected]
    started = time.time()
    check_results = run_selected_checks(ctx, run_specs, logs, options.jobs, progress)
    for rule in checks_rule.evaluate(check_results):
        results[rule.id] = rule
    if "coverage" in selected:
        results["coverage"] = coverage_result(ctx, check_results, started,
                                              critical=options.critical)
    return change, [results[r] for r in known if r in selected and r in results]


def coverage_result(
    ctx: Context, check_results: Sequence[CheckResult], started: float, *, critical: bool
) -> RuleResult:
    """The ``coverage`` rule from the report the tests check wrote (SPEC §5.1, §5.4).

    With a tests check, the report must be rewritten by this run and the check
    must pass (else ``skip``: the failing check already fails the gate). With
    no tests check at all, nothing shows coverage, so a missing report fails.
    """
    tests = next((r for r in check_results if r.name == "tests"), None)
    report, note = fresh_coverage(ctx, started if tests is not None else None)
    return coverage_verdict(ctx, tests, report, note, critical=critical)


def coverage_verdict(
    ctx: Context, tests: CheckResult | None, report: CoverageReport | None, note: str,
    *, critical: bool,
) -> RuleResult:
    """The ``coverage`` rule from the tests check's result and its report (see above)."""
    passed = tests is None or tests.status == "pass"
    cfg = ctx.config
    result = coverage_rule.evaluate(
        report, cfg.min_coverage, critical=critical, critical_min=cfg.critical.min_coverage,
        tests_ran=passed, report_path=cfg.checks.coverage_report,
    )
    if tests is None and report is None and result.status == "fail":
        return RuleResult(result.id, "fail", result.summary + " (no tests check is configured: "
                          "add a nox session `tests` or checks.commands.tests)", result.findings)
    if note:
        return RuleResult(result.id, result.status, f"{result.summary} ({note})",
                          result.findings, result.duration_s)
    return result
