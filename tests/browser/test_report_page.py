"""The audit's HTML page in a real browser: headless Chromium (Debian's) driven by Playwright.

Run by the nox session ``report`` (and so by ``.ci/run``), which sets
``REPORT_REQUIRE_BROWSER=1``: there a missing Chromium fails; elsewhere the test
is skipped. Every request other than the file itself is blocked and recorded.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from benchmarks.bench_audit import build, stamp
from tests.repos import run_process

REQUIRED = os.environ.get("REPORT_REQUIRE_BROWSER") == "1"


def chromium() -> str:
    found = os.environ.get("REPORT_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if not found:
        if REQUIRED:
            pytest.fail("no chromium on PATH: apt-get install -y chromium")
        pytest.skip("no chromium on PATH (the nox session `report` requires it)")
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError:
        if REQUIRED:
            pytest.fail("playwright is not installed: pip install playwright")
        pytest.skip("playwright is not installed (the nox session `report` installs it)")
    return found


def cells(page, table: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


def narrow_page_scrolls_its_tables_not_itself(page) -> None:
    """On a phone-wide page no table pushes the page sideways: each scrolls in its own box."""
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    per_day = page.locator("#table-per-day")
    box = page.evaluate("(t => [t.parentElement.clientWidth, t.scrollWidth])"
                        "(document.querySelector('#table-per-day'))")
    assert box[0] <= 360 and per_day.is_visible(), box  # wider than its box: it scrolls
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_page_renders_offline_with_charts_and_tables_equal_to_the_json(tmp_path: Path) -> None:
    executable = chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    repo = tmp_path / "repo"
    _steps, now = build(repo, 120, days=20)
    env = {"GATEBOT_NOW": stamp(now)}
    run_process(repo, "audit", "--since", "21d", "--format", "html", "--output", "audit.html",
                env=env).check_returncode()
    report = json.loads(run_process(repo, "audit", "--since", "21d", "--format", "json",
                                    env=env).stdout)
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            "file://") else route.abort())
        page.goto((repo / "audit.html").as_uri())
        boxes = [page.locator(f"#chart-{c}").bounding_box() for c in
                 ("per-day", "time-to-release", "funnel", "reviewers")]
        assert all(b and b["width"] > 100 and b["height"] > 50 for b in boxes), boxes
        assert page.locator("svg.chart title").count() >= 4
        assert page.locator("svg.chart > desc").count() == 4
        assert cells(page, "table-per-day") == [
            [d["date"], str(d["landed"]), str(d["escalated"]),
             *(str(d["open"][s]) for s in ("READY", "IN-PROGRESS", "REVIEW", "RDY FOR PROD"))]
            for d in report["daily"]]
        c = report["counts"]
        assert cells(page, "table-funnel") == [
            [k, str(c[v]["value"])] for k, v in (("added", "added"), ("claimed", "claimed"),
                                                ("submitted", "submitted"),
                                                ("approved", "approved"), ("landed", "landed"))]
        assert [row[:3] for row in cells(page, "table-reviewers")] == [
            [r["reviewer"], str(r["gate1"]["value"]), str(r["gate2"]["value"])]
            for r in report["reviewers"]]
        histogram = report["durations"]["claim_to_release"]["histogram"]
        assert [int(row[1]) for row in cells(page, "table-time-to-release")] == [
            b["count"] for b in histogram]
        assert cells(page, "table-slowest-checks") == [
            [c["check"], str(c["runs"]), f"{c['median_s']:.1f}", f"{c['max_s']:.1f}"]
            for c in report["slowest_checks"]] and report["slowest_checks"]
        narrow_page_scrolls_its_tables_not_itself(page)
        light = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page.emulate_media(color_scheme="dark")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != light
        page.emulate_media(color_scheme="light")
        shot = os.environ.get("REPORT_SCREENSHOT")
        if shot:
            page.screenshot(path=shot, full_page=True)
        browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
    assert (repo / "audit.html").stat().st_size < 300_000
