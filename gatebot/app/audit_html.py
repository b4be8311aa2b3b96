"""The audit as one self-contained HTML page (SPEC §12): inline CSS, charts as inline SVG.

No charting library: the charts are plain bars whose geometry is computed here
and written through the jinja2 template ``audit.html.j2`` (autoescaped), so the
page needs no script, no font and no network, and costs no import beyond
jinja2, which gatebot already uses. Every chart has a ``<title>``, a
``<desc>`` and a table beside it holding the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jinja2

from gatebot.core.audit import AuditReport, Bucket

WIDTH, HEIGHT, PAD = 640, 220, 36
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("gatebot", "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)


@dataclass(frozen=True)
class Rect:
    """One bar: its box in SVG units, its series (a CSS class) and its tooltip."""

    x: float
    y: float
    w: float
    h: float
    series: str
    tip: str


@dataclass(frozen=True)
class Chart:
    """An SVG chart: ``title``/``desc`` for assistive technology, bars, axis labels."""

    id: str
    title: str
    desc: str
    width: int
    height: int
    rects: tuple[Rect, ...]
    labels: tuple[tuple[float, float, str, str], ...]  # x, y, text, anchor
    top: int


def _scale(values: Sequence[int]) -> int:
    """A round axis maximum ≥ every value (at least 1)."""
    peak = max([1, *values])
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if peak <= step * 4:
            return -(-peak // step) * step
    return peak


def columns(id_: str, title: str, desc: str, names: Sequence[str],
            series: Sequence[tuple[str, Sequence[int]]], *, classes: str = "s0 s1") -> Chart:
    """Grouped vertical bars: one group per name, one bar per series (CSS ``classes``)."""
    top = _scale([v for _, values in series for v in values])
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    slot = inner_w / max(len(names), 1)
    bar = max(slot * 0.8 / max(len(series), 1), 0.5)
    rects = []
    for i, name in enumerate(names):
        for k, (label, values) in enumerate(series):
            h = inner_h * values[i] / top
            rects.append(Rect(round(PAD + i * slot + slot * 0.1 + k * bar, 2),
                              round(HEIGHT - PAD - h, 2), round(bar, 2), round(h, 2),
                              classes.split()[k], f"{name}: {values[i]} {label}"))
    every = max(len(names) // 8, 1)
    labels: list[tuple[float, float, str, str]] = [
        (round(PAD + (i + 0.5) * slot, 2), HEIGHT - PAD + 14.0, name, "middle")
              for i, name in enumerate(names) if i % every == 0]
    labels += [(PAD - 4.0, HEIGHT - PAD - inner_h * f, str(round(top * f)), "end")
               for f in (0, 0.5, 1)]
    return Chart(id_, title, desc, WIDTH, HEIGHT, tuple(rects), tuple(labels), top)


def rows(id_: str, title: str, desc: str, names: Sequence[str],
         series: Sequence[tuple[str, Sequence[int]]], *, classes: str = "s2 s3") -> Chart:
    """Horizontal stacked bars: one row per name, the series end to end (CSS ``classes``)."""
    top = _scale([sum(values[i] for _, values in series) for i in range(len(names))])
    left, line = 150, 26
    height = max(len(names), 1) * line + 2 * PAD
    inner_w = WIDTH - left - PAD
    rects: list[Rect] = []
    labels: list[tuple[float, float, str, str]] = []
    for i, name in enumerate(names):
        x = float(left)
        for k, (label, values) in enumerate(series):
            w = inner_w * values[i] / top
            rects.append(Rect(round(x, 2), PAD + i * line, round(w, 2), line - 6,
                              classes.split()[k], f"{name}: {values[i]} {label}"))
            x += w
        total = sum(values[i] for _, values in series)
        labels.append((left - 6.0, PAD + i * line + line / 2, name[:24], "end"))
        labels.append((round(x + 4, 2), PAD + i * line + line / 2, str(total), "start"))
    return Chart(id_, title, desc, WIDTH, height, tuple(rects), tuple(labels), top)


def bucket_name(bucket: Bucket) -> str:
    """``0–1 h``, ``168 h+``."""
    low = f"{bucket.low_h:g}"
    return f"{low} h+" if bucket.high_h is None else f"{low}–{bucket.high_h:g} h"


def charts(report: AuditReport) -> list[Chart]:
    """The four charts: per day, time to release, the stage funnel, reviewer load."""
    days = [d.date.isoformat() for d in report.daily]
    c = report.counts
    claim = report.durations.claim_to_release.histogram
    review = report.durations.review_to_release.histogram
    people = [r.reviewer for r in report.reviewers]
    return [
        columns("per-day", "Landed and escalated per day",
                f"{c.landed.value} landed and {report.escalated.total.value} escalations "
                f"over {len(days)} days", [d[5:] for d in days],
                [("landed", [d.landed for d in report.daily]),
                 ("escalated", [d.escalated for d in report.daily])]),
        columns("time-to-release", "Time to release",
                "Releases by hours from claim and from REVIEW to release",
                [bucket_name(b) for b in claim],
                [("from claim", [b.count for b in claim]),
                 ("from REVIEW", [b.count for b in review])], classes="s2 s3"),
        rows("funnel", "Stage funnel", "Tasks added, claimed, submitted, approved and landed",
             ["added", "claimed", "submitted", "approved", "landed"],
             [("tasks", [c.added.value, c.claimed.value, c.submitted.value, c.approved.value,
                         c.landed.value])]),
        rows("reviewers", "Reviewer load", "Approvals per reviewer at gate 1 and gate 2",
             people, [("at gate 1", [r.gate1.value for r in report.reviewers]),
                      ("at gate 2", [r.gate2.value for r in report.reviewers])]),
    ]


def render_html(report: AuditReport, title: str, helpers: dict[str, object]) -> str:
    """The whole page: header figures, each chart beside its table, the other tables."""
    return _ENV.get_template("audit.html.j2").render(
        r=report, title=title, charts={c.id: c for c in charts(report)},
        bucket_name=bucket_name, **helpers)
