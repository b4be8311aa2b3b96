"""``gatebot review``: gate 1 (SPEC §5.1, §5.2) — gather facts, decide, and report.

Facts: the change (merge base..head, or every tracked file with ``--all``),
file metrics, check results and the coverage report. Decision: each rule's pure
``evaluate``. Approval and rejection live in ``gatebot.app.gate1``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gatebot import config as config_module
from gatebot.adapters import coverage_report
from gatebot.adapters.git import Git, TreeEntry
from gatebot.app.context import Context
from gatebot.core import scope
from gatebot.core.change import Change
from gatebot.core.rules import (
    board_files,
    docstrings,
    file_length,
    function_length,
    gate_files,
    tests_present,
)
from gatebot.core.rules import checks as checks_rule
from gatebot.core.rules import coverage as coverage_rule
from gatebot.core.rules.globs import IgnoreList, match_any
from gatebot.core.verdict import RuleResult
from gatebot.errors import EnvironmentProblem, UsageError

if TYPE_CHECKING:  # running checks and measuring files are imported when they happen:
    from gatebot.adapters import checks as checks_adapter  # gate 2 without checks needs neither
    from gatebot.core.facts import CheckResult, CoverageReport, FileMetrics, TestReport
    from gatebot.core.rules.gate_files_tests import LostTest

STATIC_RULES = (
    "gate-files", "file-length", "function-length", "tests-present", "docstrings", "coverage", "board-files",
)
Progress = Callable[[str, str], None]


class ReviewOptions(NamedTuple):
    """The flags of ``gatebot review`` that shape the verdict (SPEC §7).

    ``approver`` is the actor of ``--approve`` (None when only looking): the
    ``gate-files`` rule passes a change to the gate files only for a maintainer.
    """

    base: str
    all_files: bool = False
    only: tuple[str, ...] = ()
    jobs: int | None = None
    critical: bool = False
    approver: str | None = None


def gather_change(ctx: Context, base_ref: str, all_files: bool) -> Change:
    """The change under review: files of ``merge-base(base, HEAD)..HEAD`` or all tracked files.

    With a remote the base is fetched first (the board commits land there, and
    a stale local branch would count them as the change's own edits): the configured base
    was, when the context opened; another ``base_ref`` is fetched here. Under
    ``--all`` the scope is every tracked file, but ``touched_paths`` is still
    the change. Raises ``EnvironmentProblem`` when the base or HEAD does not
    resolve, and ``UsageError`` when the base is the branch under review (its
    name or head SHA).
    """
    git = ctx.git
    head = git.must_resolve("HEAD")
    remote = ctx.forge.remote
    if remote and base_ref == ctx.config.base and ctx.opened_tip:
        fetched: str | None = ctx.opened_tip  # opening the context fetched this base just now
    else:
        fetched = git.fetch(remote, base_ref) if remote else None
    base = fetched or git.must_resolve(base_ref)
    if not all_files and (base == head or base_ref == git.current_branch()):
        what = ("is the branch under review" if base_ref == git.current_branch()
                else "resolves to the head SHA of the branch under review")
        raise UsageError(
            f"the base {base_ref!r} {what} (HEAD {head[:12]}): a change compared with itself "
            "has nothing to judge",
            "switch to the task's branch, pass --base (or set GATEBOT_BASE) to the branch it "
            "will land on, or use --all to judge every file",
        )
    merge_base = merge_base_of(ctx, base_ref, base, head)
    if all_files:
        return Change(base, head, merge_base, tuple(git.tracked_files(head)), all_files=True,
                      touched_paths=tuple(git.touched_files(merge_base, head)))
    return change_of(git, base, head, merge_base)


def change_of(git: Git, base: str, head: str, merge_base: str, *, lines: bool = True) -> Change:
    """The change of ``merge_base..head`` (commit SHAs; ``base`` its base tip): files and lines.

    ``lines`` False leaves ``changed_lines`` empty, for callers whose rules
    never read it (only the length and docstring rules do).
    """
    entries = git.changed_entries(merge_base, head)
    return Change(
        base, head, merge_base,
        tuple(e.path for e in entries),
        tuple(git.deleted_files(merge_base, head)),
        changed_lines=git.changed_lines(merge_base, head, entries) if lines else {},
        touched_paths=tuple(git.touched_files(merge_base, head)),
    )


def merge_base_of(ctx: Context, base_ref: str, base: str, head: str) -> str:
    """The merge base SHA of ``base`` and ``head`` (commit SHAs; ``base_ref`` the base's branch).

    A shallow clone is deepened from the remote until its history reaches the
    merge base (``_deepened_merge_base``); unrelated histories give ``base``.
    Raises ``EnvironmentProblem`` when deepening cannot reach it. Gate 1
    (``review``) and gate 2 (``merge``) both find the merge base here.
    """
    found = ctx.git.merge_base(base, head)
    if found:
        return found
    deepened = _deepened_merge_base(ctx, base_ref, base, head)
    return ctx.git.merge_base(base, head) or deepened


def _deepened_merge_base(ctx: Context, base_ref: str, base: str, head: str) -> str:
    """The merge base of a shallow clone, deepened from the remote until it is found.

    Not shallow: the histories are unrelated and the whole base counts (the
    base itself). Raises ``EnvironmentProblem`` when deepening cannot find it.
    """
    git, remote = ctx.git, ctx.forge.remote
    if not git.is_shallow():
        return base
    for depth in (64, 1024, None):
        if remote is None or not git.deepen(remote, base_ref, depth):
            break
        base = git.resolve(f"refs/remotes/{remote}/{base_ref}") or base
        found = git.merge_base(base, head)
        if found:
            return found
    raise EnvironmentProblem(
        f"this clone is shallow and its history does not reach the merge base of "
        f"{base_ref} and HEAD, so the change cannot be told apart from the base",
        "run `git fetch --unshallow` (in CI: fetch-depth: 0), then retry",
    )


def file_entries(ctx: Context, change: Change) -> list[TreeEntry]:
    """The files of ``change`` as entries of its head commit (mode and blob SHA), in order.

    A symlink that leads to a file of the head commit is that file under the
    link's name (``Git.through_link``): what an import through it runs.
    """
    git = ctx.git
    if change.all_files:
        entries = git.tree_entries(change.head)
    else:
        entries = git.changed_entries(change.merge_base, change.head)
    return [git.through_link(change.head, e) if e.mode == "120000" else e for e in entries]


def judged_entries(ctx: Context, change: Change) -> list[TreeEntry]:
    """The files of ``change`` that the length and docstring rules judge, in order.

    Leaves out lock files (``config.DEFAULT_EXCLUDE``), the ``exclude`` setting and
    what the base branch's ``.gitattributes`` marks generated, vendored or
    ``-diff`` (``gatebot.core.scope``); the attributes come from the base tip,
    like the configuration, so a change cannot exempt its own files.
    """
    entries = file_entries(ctx, change)
    ignore = IgnoreList((*config_module.DEFAULT_EXCLUDE, *ctx.config.exclude))
    attributes = ctx.git.attributes(change.base, [e.path for e in entries], scope.ATTRIBUTES)
    return [e for e in entries if not scope.excluded(e.path, attributes.get(e.path, {}), ignore)]


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
            "(tests, lint, typecheck, build), the tox environments of those names or of "
            "checks.tox_aliases in a tox project, or commands such as "
            '[tool.gatebot.checks] commands = { tests = ["pytest", "-q"] }; '
            "see docs/configuration.md",
        )
    return UsageError(f"--only names an unknown rule: {wanted!r}",
                      "choose from: " + ", ".join(chosen))


def log_dir(ctx: Context, head: str) -> Path:
    """Where this run keeps its check logs: ``<state dir>/logs/<head>-<UTC time>/``.

    Only the path: the directory is made when a check runs, so a run without
    checks leaves no empty folder.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    override = os.environ.get("GATEBOT_LOG_DIR")
    base = Path(override) if override else ctx.state_dir() / "logs"
    return base / f"{head[:12]}-{stamp}-{os.getpid()}"


def plan(ctx: Context, head: str) -> tuple[list[checks_adapter.CheckSpec], Path]:
    """The checks to run and their log directory (not created yet).

    Configured commands, else the checks of ``checks.nox_sessions`` and
    ``checks.required`` that the tree's noxfile defines as sessions, or its tox
    configuration as environments (``checks.runner``, ``checks.tox_aliases``).
    A required check missing here is judged by ``missing_checks``.
    """
    cfg = ctx.config.checks
    logs = log_dir(ctx, head)
    if not cfg.commands and not cfg.nox_sessions and not cfg.required:
        return [], logs  # nothing to plan: the checks runner is not even imported
    from gatebot.adapters import checks as checks_adapter  # noqa: PLC0415 - see the imports

    commands = {
        name: tuple(cmd.split()) if isinstance(cmd, str) else tuple(cmd)
        for name, cmd in cfg.commands.items()
    }
    specs = checks_adapter.plan_checks(
        ctx.root, nox_wanted=(*cfg.nox_sessions, *cfg.required), commands=commands,
        timeout_s=cfg.timeout, log_dir=logs, nox_args=cfg.nox_args, env_allow=cfg.env_allow,
        runner=cfg.runner, tox_aliases=cfg.tox_aliases,
    )
    return specs, logs


def missing_checks(ctx: Context, specs: Sequence[checks_adapter.CheckSpec]) -> list[RuleResult]:
    """A failing ``checks.<name>`` per check of ``checks.required`` that ``specs`` lacks.

    In a tox project the finding says how to name the check's tox environment.
    """
    cfg = ctx.config.checks
    planned = [s.name for s in specs]
    if not set(cfg.required) - set(planned):
        return []
    from gatebot.adapters import checks as checks_adapter  # noqa: PLC0415 - see the imports

    tox = checks_adapter.check_runner(ctx.root, cfg.runner) == "tox"
    return checks_rule.missing_required(cfg.required, planned,
                                        tox_aliases=cfg.tox_aliases if tox else None)


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
    from gatebot.adapters import checks as checks_adapter  # noqa: PLC0415 - see the imports

    workers = jobs or ctx.config.checks.jobs or os.cpu_count() or 1
    return checks_adapter.run_checks(list(specs), ctx.root, logs, workers, progress,
                                     record=record)


def report_path(ctx: Context) -> Path:
    """Where the tests check writes coverage.py's JSON report (``checks.coverage_report``)."""
    return ctx.root / ctx.config.checks.coverage_report


def fresh_coverage(
    ctx: Context, before: coverage_report.Fingerprint | None
) -> tuple[CoverageReport | None, str]:
    """The coverage report, if this run wrote it (``before``: its fingerprint before the run).

    A report left from an older run, tracked or not, is ignored with a note.
    """
    path = report_path(ctx)
    if not coverage_report.written_since(path, before):
        note = f"{path} was not written by this run's tests check" if path.exists() else ""
        return None, note
    return coverage_report.read_coverage(path), ""


def gate_files_result(
    git: Git, cfg: config_module.Config, merge_base: str, head: str, approvers: Sequence[str],
    *, verify: Callable[[Sequence[str]], Sequence[str]] | None = None,
) -> RuleResult:
    """``gate-files`` for ``merge_base..head`` (every path, deletions and renames included).

    ``cfg`` is the base branch's configuration (``claims.maintainers``);
    pyproject.toml and setup.cfg count only when their gate tables or
    sections changed (``gate_files.gate_file_changes``); when the checks run nox, the
    repository modules the noxfile imports count too. Every text comes from one ``git
    cat-file`` process, none when nothing needs reading. ``verify(approvers)``, asked only
    when a gate file changed, names the approvers the forge knows as maintainers (on GitHub:
    the admin or maintain role, ``Forge.maintainers``); they count as ``claims.maintainers``.
    A deleted test module and a symlink out of the repository count as gate files too, and
    a test removed from or skipped in a kept test module (``gate_files_tests.lost_tests``).
    """
    touched = git.touched_files(merge_base, head)
    removed = git.deleted_files(merge_base, head)
    modules = _test_modules(git, merge_base, head, touched, removed=removed,
                             patterns=cfg.tests.patterns)
    wanted = [p for p in touched if p in (gate_files.PYPROJECT, gate_files.SETUP_CFG)
              or ("/" in p and p.rsplit("/", 1)[1] in gate_files.NESTED_TEXTS)] + modules
    if cfg.checks.nox_sessions and cfg.checks.runner != "tox":  # the noxfile's imports count
        wanted.append(gate_files.NOXFILE)
    read = git.read_files([(rev, p) for p in wanted for rev in (merge_base, head)]) if wanted \
        else []
    texts = {p: (read[2 * i], read[2 * i + 1]) for i, p in enumerate(wanted)}
    none: gate_files.Texts = (None, None)
    added, importable = _new_root_modules(git, merge_base, head)
    changed = gate_files.gate_file_changes(
        touched, texts.get(gate_files.PYPROJECT, none), texts.get(gate_files.SETUP_CFG, none),
        {p: t for p, t in texts.items() if "/" in p}, texts.get(gate_files.NOXFILE, none),
        modules=gate_files.command_modules(cfg.checks.commands), added=added,
        importable=importable)
    deleted = gate_files.deleted_tests(removed, cfg.tests.patterns, cfg.tests.source_patterns)
    changed = sorted({*changed, *deleted,
                      *gate_files.links_out(_link_targets(git, merge_base, head))})
    lost: list[LostTest] = []
    if modules:
        from gatebot.core.rules import gate_files_tests  # noqa: PLC0415 - see _test_modules

        lost = gate_files_tests.lost_tests({p: texts[p] for p in modules})
    verified = tuple(verify(approvers)) if (changed or lost) and verify is not None else ()
    return gate_files.evaluate(changed, maintainers=(*cfg.claims.maintainers, *verified),
                               approvers=approvers, lost=lost)


def _test_modules(git: Git, merge_base: str, head: str, touched: Sequence[str],
                  *, removed: Sequence[str], patterns: Sequence[str]) -> list[str]:
    """The touched Python test modules whose texts ``lost_tests`` needs; none when none is kept.

    A test can only be lost from a module that exists on both sides (edited, retyped or
    renamed; deleted ones count whole): without one, no text is read at all. With one,
    the added modules are read too (a test may have moved there).
    """
    kept = {c.base_path for c in git.changes(merge_base, head) if c.status in "MRT"}
    if not any(p.endswith(".py") and match_any(p, patterns) for p in kept):
        return []  # the usual landing: gate_files_tests is not even imported
    from gatebot.core.rules import gate_files_tests  # noqa: PLC0415 - see above

    return [p for p in gate_files_tests.python_test_modules(touched, patterns)
            if p not in removed]


def _new_root_modules(git: Git, merge_base: str, head: str) -> tuple[list[str], frozenset[str]]:
    """``added`` and ``importable`` for ``gate_files.shadows`` (one answer of ``git.changes``).

    The root modules the change adds, and, only when there is one, the top-level modules
    Python finds besides the repository: the standard library's and those of the
    distributions installed where gatebot runs, where the checks' tools are (the checks'
    interpreter may have more).
    """
    added = [c.path for c in git.changes(merge_base, head)
             if c.status in "ACR" and gate_files.root_module(c.path)]
    if not added:
        return [], frozenset()
    from importlib.metadata import packages_distributions  # noqa: PLC0415 - ~0.2 s, rarely

    importable = {*sys.stdlib_module_names, *sys.builtin_module_names,
                  *packages_distributions()}
    return added, frozenset(importable)


def _link_targets(git: Git, merge_base: str, head: str) -> dict[str, str]:
    """The symlinks ``merge_base..head`` adds or changes → their target text (one git process)."""
    links = [e for e in git.changed_entries(merge_base, head) if e.mode == "120000"]
    if not links:
        return {}
    texts = git.read_files([(head, e.path) for e in links])
    return {e.path: (t or b"").decode("utf-8", "surrogateescape")
            for e, t in zip(links, texts, strict=True)}


def _timed(results: dict[str, RuleResult], rule_id: str, fn: Callable[[], RuleResult]) -> None:
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    results[rule_id] = RuleResult(
        result.id, result.status, result.summary, result.findings, elapsed, result.log_path
    )


def static_results(
    ctx: Context, change: Change, selected: Sequence[str], options: ReviewOptions
) -> dict[str, RuleResult]:
    """The rules decided from the change and file metrics alone (no checks)."""
    cfg = ctx.config
    results: dict[str, RuleResult] = {}
    needs_metrics = {"file-length", "function-length", "docstrings"} & set(selected)
    start = time.perf_counter()
    entries = judged_entries(ctx, change) if needs_metrics else []
    # read from the head commit's blobs, never through the work tree (links are not followed)
    metrics: list[FileMetrics] = []
    base_lines: dict[str, int] | None = None if change.all_files else {}
    if needs_metrics:
        from gatebot.adapters.metrics import (  # noqa: PLC0415 - see the imports
            base_line_counts,
            measure_blobs,
        )

        metrics = measure_blobs(ctx.root, entries, options.jobs)
        base_lines = None if change.all_files else base_line_counts(
            ctx.root, [e for e, m in zip(entries, metrics, strict=True)
                       if m.lines > cfg.max_file_lines])
    measured = time.perf_counter() - start
    approvers = [options.approver] if options.approver else []
    rules: dict[str, Callable[[], RuleResult]] = {
        "gate-files": lambda: gate_files_result(
            ctx.git, cfg, change.merge_base, change.head, approvers),
        "file-length": lambda: file_length.evaluate(metrics, cfg.max_file_lines, base_lines),
        "function-length": lambda: function_length.evaluate(
            metrics, cfg.max_function_lines, change),
        "docstrings": lambda: docstrings.evaluate(
            [m for m in metrics if not match_any(m.path, cfg.tests.patterns)], change
        ),
        "tests-present": lambda: tests_present.evaluate(
            change.files, test_patterns=cfg.tests.patterns,
            source_patterns=cfg.tests.source_patterns,
        ),
        "board-files": lambda: board_files.evaluate(
            change.touched_paths, board_paths=(cfg.board.todo, cfg.board.current_state),
            archive_dir=cfg.board.archive_dir,
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
    ctx: Context, options: ReviewOptions, progress: Progress | None = None,
    change: Change | None = None,
) -> tuple[Change, list[RuleResult]]:
    """Run gate 1 on HEAD: every selected rule of SPEC §5.1, in SPEC order.

    ``change`` is the one ``gather_change`` already gave, if any. Returns the
    change and the rule results (checks first, then static rules, then
    coverage). Raises ``UsageError`` for an unknown ``--only`` id.
    """
    change = change or gather_change(ctx, options.base, options.all_files)
    # `--only` of static rules needs no check: skip `nox --list` and the log directory
    wants_checks = not options.only or any(
        o == "coverage" or o.startswith("checks") for o in options.only)
    specs, logs = plan(ctx, change.head) if wants_checks else ([], None)
    missing = missing_checks(ctx, specs) if wants_checks else []
    known = check_ids(specs) + [m.id for m in missing] + list(STATIC_RULES)
    selected = select_rules(known, options.only, ctx.config.disabled_rules)
    if "coverage" in selected and "checks.tests" in known and "checks.tests" not in selected:
        selected.append("checks.tests")  # the coverage report is the tests check's output
    results = static_results(ctx, change, selected, options)
    results.update({m.id: m for m in missing})
    run_specs = [s for s in specs if f"checks.{s.name}" in selected]
    results.update(run_and_judge(ctx, run_specs, logs, options, progress,
                                 with_coverage="coverage" in selected))
    return change, [results[r] for r in known if r in selected and r in results]


def run_and_judge(
    ctx: Context, specs: Sequence[checks_adapter.CheckSpec], logs: Path | None,
    options: ReviewOptions, progress: Progress | None, *, with_coverage: bool,
    record: Path | None = None,
) -> dict[str, RuleResult]:
    """Run ``specs`` and judge them (``checks.<name>``, then ``coverage`` when asked).

    The coverage and JUnit reports count only when this run wrote them; one the
    run created where there was none is removed afterwards, so the work tree is
    left as it was found. ``record``: see ``run_selected_checks``.
    """
    path, junit = report_path(ctx), ctx.root / ctx.config.checks.junit_report
    before, junit_before = coverage_report.fingerprint(path), coverage_report.fingerprint(junit)
    try:
        check_results = run_selected_checks(ctx, specs, logs, options.jobs, progress,
                                            record=record)
        tests = fresh_test_report(ctx, junit_before) if check_results else None
        rules = {rule.id: rule for rule in checks_rule.evaluate(check_results, tests)}
        if with_coverage:
            tox = next((s.tox_envs for s in specs if s.name == "tests"), ())
            rules["coverage"] = coverage_result(ctx, check_results, before,
                                                critical=options.critical, tox_envs=tox)
    finally:
        coverage_report.remove_if_new(path, before)
        coverage_report.remove_if_new(junit, junit_before)
    return rules


def fresh_test_report(ctx: Context, before: coverage_report.Fingerprint | None
                      ) -> TestReport | None:
    """The JUnit report (``checks.junit_report``) if this run's checks wrote it, else None.

    ``before``: its fingerprint before the checks ran; an older report is never read.
    """
    from gatebot.adapters import junit_report  # noqa: PLC0415 - junitparser only when tests ran

    rel = ctx.config.checks.junit_report
    if not coverage_report.written_since(ctx.root / rel, before):
        return None
    return junit_report.read_junit(ctx.root, rel)


def coverage_result(
    ctx: Context, check_results: Sequence[CheckResult],
    before: coverage_report.Fingerprint | None, *, critical: bool,
    tox_envs: Sequence[str] = (),
) -> RuleResult:
    """The ``coverage`` rule from the report the tests check wrote (SPEC §5.1, §5.4).

    With a tests check, the report must be written by this run (``before``:
    its fingerprint before the checks ran) and the check must pass (else
    ``skip``: the failing check already fails the gate). With no tests check
    at all nothing shows coverage: any report is ignored and the rule fails.
    ``tox_envs``: the tox environments of the tests check, named in the fix
    when they wrote no report.
    """
    tests = next((r for r in check_results if r.name == "tests"), None)
    report, note = fresh_coverage(ctx, before) if tests is not None else (None, "")
    result = coverage_verdict(ctx, tests, report, note, critical=critical)
    if tox_envs and report is None and result.status == "fail":
        path = ctx.config.checks.coverage_report
        fix = (f"the tests check is tox environment {', '.join(tox_envs)}: run the tests under "
               f"coverage and add `coverage json -o {{tox_root}}/{path}` to its commands")
        return RuleResult(result.id, "fail", f"{result.summary} ({fix})", result.findings,
                          result.duration_s)
    return result


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
