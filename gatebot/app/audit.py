"""``gatebot audit``: the maintainers' report from the repository's own history (SPEC §12).

Gather (the base tip's history: ``adapters.history``) → decide (``core.audit``
builds the figures) → render as text (the seed's ``WEEKLY AUDIT`` header
first), Markdown, HTML or the JSON of schema ``gatebot.audit/1``, to stdout or
to ``--output FILE`` (written atomically).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jinja2

from gatebot.adapters.files import write_atomic
from gatebot.adapters.history import BoardPaths, read_history
from gatebot.app.context import Context, open_context
from gatebot.app.output import md_escape
from gatebot.app.transitions import now as clock
from gatebot.core.audit import AuditReport, Durations, Rate, build_report
from gatebot.errors import EXIT_OK, UsageError

CONTEXT_DAYS = 30  # history read before the period, for durations of tasks begun earlier
_RELATIVE = re.compile(r"^(\d+)d$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("gatebot", "templates"),
    autoescape=jinja2.select_autoescape(["html.j2"]),
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["md"] = md_escape


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{flag} {text!r} is neither Nd (e.g. 7d) nor a date (YYYY-MM-DD)",
                         f"pass e.g. {flag} 7d or {flag} 2025-11-01") from exc


def parse_since(text: str, now: datetime) -> datetime:
    """The period's start: ``Nd`` is the last N UTC days including today; a date its midnight.

    ``--since 7d`` on Nov 1 starts Oct 26 00:00 UTC (the seed's ``Oct 26 - Nov 1``).
    Raises ``UsageError`` for anything else, or for 0d.
    """
    match = _RELATIVE.match(text.strip())
    if match:
        days = int(match.group(1))
        if days < 1:
            raise UsageError("--since 0d is an empty period", "pass at least --since 1d")
        return _midnight(now.astimezone(UTC).date() - timedelta(days=days - 1))
    return _midnight(_day(text.strip(), "--since"))


def parse_until(text: str | None, now: datetime) -> datetime:
    """The period's end (exclusive): now; the end of a date's day; ``Nd``: of N days ago."""
    if text is None:
        return now.astimezone(UTC)
    match = _RELATIVE.match(text.strip())
    day = (now.astimezone(UTC).date() - timedelta(days=int(match.group(1))) if match
           else _day(text.strip(), "--until"))
    return _midnight(day + timedelta(days=1))


def gather(ctx: Context, since: datetime, until: datetime) -> AuditReport:
    """Read the base tip's history and build the report for ``[since, until)``.

    With the github forge the label events and reviews GitHub holds are added
    (``gatebot.app.audit_github``); the figures and their JSON are the same.
    """
    board = ctx.config.board
    tip = ctx.forge.tip()
    start = since - timedelta(days=CONTEXT_DAYS)
    history = read_history(ctx.git, tip, ctx.config.base, start,
                           BoardPaths(board.todo, board.current_state, board.archive_dir))
    if ctx.forge.name == "github":
        from gatebot.app.audit_github import with_github  # noqa: PLC0415 - PyGithub only here

        history = with_github(ctx.forge, history, start)
    return build_report(history, since, until)


# -- rendering -----------------------------------------------------------------------------------
def clean(text: object) -> str:
    """User text for a terminal: control characters become spaces, ends stripped."""
    return _CONTROL.sub(" ", str(text)).strip()


_ENV.filters["clean"] = clean


def span(report: AuditReport) -> str:
    """The period as the seed writes it: ``Oct 26 - Nov 1`` (years added when they differ)."""
    first = report.since.astimezone(UTC).date()
    last = (report.until - timedelta(microseconds=1)).astimezone(UTC).date()

    def show(day: date, year: bool) -> str:
        return f"{day:%b} {day.day}" + (f", {day.year}" if year else "")

    years = first.year != last.year
    return f"{show(first, years)} - {show(last, years)}"


def title(report: AuditReport) -> str:
    """``WEEKLY AUDIT (Oct 26 - Nov 1)`` for seven days, else ``AUDIT (…)``."""
    weekly = (report.until - report.since) <= timedelta(days=7) and \
        (report.until - report.since) > timedelta(days=6)
    return f"{'WEEKLY ' if weekly else ''}AUDIT ({span(report)})"


def percent(value: Rate) -> str:
    """``85%`` (one decimal only when needed), or ``n/a``."""
    if value.percent is None:
        return "n/a"
    return f"{value.percent:g}%"


def hours(value: float | None) -> str:
    """``2.3 hours`` to one decimal, or ``n/a``."""
    return "n/a" if value is None else f"{value:.1f} hours"


def stats(value: Durations) -> str:
    """``median 2.1 h, mean 2.3 h, p90 4.0 h, max 5.2 h (12 releases)``."""
    if not value.count:
        return "no releases"
    return (f"median {value.median_h:.1f} h, mean {value.mean_h:.1f} h, p90 {value.p90_h:.1f} h, "
            f"max {value.max_h:.1f} h ({value.count} releases)")


def render_text(report: AuditReport) -> str:
    """The terminal report: the seed's four lines, then every other figure."""
    return _ENV.get_template("audit.txt.j2").render(
        r=report, title=title(report), percent=percent, hours=hours, stats=stats, clean=clean)


def render_markdown(report: AuditReport) -> str:
    """The report as Markdown (for an issue or a PR); user text escaped."""
    return _ENV.get_template("audit.md.j2").render(
        r=report, title=title(report), percent=percent, hours=hours, stats=stats)


def render_json(report: AuditReport) -> str:
    """The ``gatebot.audit/1`` document, indented, with a trailing newline."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def render(report: AuditReport, fmt: str) -> str:
    """The report in ``fmt``: ``text``, ``markdown``, ``html`` or ``json``."""
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "html":
        from gatebot.app import audit_html  # noqa: PLC0415 - only the page needs the charts

        return audit_html.render_html(report, title(report), {
            "percent": percent, "hours": hours, "stats": stats})
    return render_text(report)


def audit_command(cwd: Path, since: str, until: str | None, fmt: str, output: str | None,
                  *, publish_issue: bool = False) -> int:
    """``gatebot audit``: build the report for the period and print or write it.

    ``publish_issue``: also put the Markdown report in the repository's audit issue on
    GitHub, created once and then edited in place (``gatebot.app.audit_github.publish``).
    """
    now = clock()
    start, end = parse_since(since, now), parse_until(until, now)
    if start >= end:
        raise UsageError(f"the period is empty: --since {since} starts at or after --until",
                         "pass a --since earlier than --until")
    ctx = open_context(cwd)
    report = gather(ctx, start, end)
    if publish_issue:
        from gatebot.app.audit_github import publish  # noqa: PLC0415 - PyGithub only here

        done = publish(ctx.root, ctx.forge, title(report), render_markdown(report))
        print(f"audit issue #{done.number} {done.action}: {done.url}", file=sys.stderr)
    text = render(report, fmt)
    if output:
        write_atomic(cwd / output, text)
        print(f"audit written to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK
