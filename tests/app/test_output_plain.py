"""The verdict table written without rich is rich's own text, character for character.

``plain_text`` writes the text format when rich would neither colour nor wrap
it (off a terminal), so a landing need not load rich; whenever it answers it
must equal what rich writes, for any verdict and console width.
"""

from __future__ import annotations

import io
import os
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from gatebot.app.output import plain_text, render_text, rich_text
from gatebot.core.verdict import Finding, RuleResult, Verdict

TEXT = st.text(alphabet=string.printable.replace("\x0b", "").replace("\x0c", "") + "—…é→中😀",
               max_size=90)
IDS = st.sampled_from(["board-files", "checks.tests", "function-length", "x" * 45, "a:b",
                       "[b]", "é", "coverage", "gate-files"])
findings = st.lists(st.builds(Finding, TEXT, st.one_of(st.none(), TEXT), st.one_of(
    st.none(), st.integers(0, 9999))), max_size=3) | st.lists(st.just(Finding("m")),
                                                          min_size=50, max_size=53)
rules = st.builds(RuleResult, IDS, st.sampled_from(["pass", "fail", "skip", "error"]), TEXT,
                  findings.map(tuple), st.floats(0, 99999, allow_nan=False))
verdicts = st.builds(Verdict, st.sampled_from(["review", "release"]),
                     st.text(alphabet="0123456789abcdef", min_size=40, max_size=40),
                     st.just("b" * 40), st.lists(rules, max_size=6).map(tuple),
                     st.one_of(st.none(), st.integers(1, 99999)), st.just("ann"))


def through_rich(verdict: Verdict) -> str:
    out = io.StringIO()
    rich_text(verdict, out)
    return out.getvalue()


@settings(max_examples=400, deadline=None)
@given(verdicts, st.sampled_from([None, "20", "45", "80", "132", "0", "wide"]))
def test_the_plain_text_is_richs_whenever_it_answers(verdict: Verdict, columns: str | None
                                                     ) -> None:
    saved = os.environ.pop("COLUMNS", None)
    try:
        if columns is not None:
            os.environ["COLUMNS"] = columns
        plain = plain_text(verdict, io.StringIO())
        expected = through_rich(verdict)
        if plain is not None:
            assert plain == expected
        written = io.StringIO()
        render_text(verdict, written)
        assert written.getvalue() == expected
    finally:
        os.environ.pop("COLUMNS", None)
        if saved is not None:
            os.environ["COLUMNS"] = saved


def test_every_table_width_up_to_and_past_the_console_is_richs() -> None:
    saved = os.environ.pop("COLUMNS", None)
    try:
        for columns in (None, "60", "80"):
            if columns is not None:
                os.environ["COLUMNS"] = columns
            answered = 0
            for size in range(111):
                verdict = Verdict("review", "c" * 40, "b" * 40, (
                    RuleResult("gate-files", "pass", "s" * size),), None, "ann")
                plain = plain_text(verdict, io.StringIO())
                if plain is not None:
                    answered += 1
                    assert plain == through_rich(verdict), (columns, size)
            assert answered == int(columns or 80) - 33  # every table that fits: plain
    finally:
        os.environ.pop("COLUMNS", None)
        if saved is not None:
            os.environ["COLUMNS"] = saved


def test_a_landings_verdict_is_written_without_rich() -> None:
    verdict = Verdict("release", "a" * 40, "b" * 40, (
        RuleResult("board-files", "pass", "no board file touched"),
        RuleResult("conflicts", "pass", "merges cleanly"),
        RuleResult("function-length", "fail", "1 function over 80 lines",
                   (Finding("old spans 87 lines (max 80)", "app/x.py", 4),), 0.05)), 7, "ann")
    plain = plain_text(verdict, io.StringIO())
    assert plain is not None and plain == through_rich(verdict)
    assert "┃ rule            ┃ status ┃" in plain
    assert plain.endswith("function-length:\n  app/x.py:4: old spans 87 lines (max 80)\n"
                          "verdict: fail (task #7)\n")
