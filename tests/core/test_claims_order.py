"""Seniority between claims and the slashes of claimed globs (SPEC §8): pure, table-driven.

Seniority decides who yields in a conflict: for two different claims exactly one
is older, even when their clocks read the same instant, or both would hold.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gatebot.core.claims import (
    ClaimRecord,
    as_utc,
    covers,
    globs_overlap,
    order_key,
    parse_timestamp,
    precedes,
)

T0 = datetime(2025, 11, 1, 10, 0, tzinfo=UTC)


def claim(name: str, number: int, session_id: str, started: datetime = T0) -> ClaimRecord:
    return ClaimRecord.model_validate({
        "session_id": session_id, "session_name": name, "ai_type": "claude", "platform": "cli",
        "started_at": started, "status": "claiming", "claimed_files": ("src/**",),
        "task": "Build it", "task_number": f"#{number}", "task_section": "READY",
        "estimated_duration_minutes": None, "heartbeat_last": started, "heartbeat_count": 0,
        "progress_percent": 0, "notes": "",
    })


CLAIMS = [
    claim(name, number, session_id, T0 + timedelta(microseconds=us))
    for name, number, session_id, us in itertools.product(
        ("agent-a", "agent-b"), (3, 4), ("001", "002"), (0, 1))
]


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(CLAIMS, 2)))
def test_of_two_different_claims_exactly_one_is_senior(a: ClaimRecord, b: ClaimRecord) -> None:
    assert precedes(a, b) != precedes(b, a)


def test_one_session_claiming_two_tasks_in_the_same_instant_is_ordered_by_task() -> None:
    """Same time, session id and name: the lower task number is the older claim."""
    first, second = claim("agent-a", 3, "001"), claim("agent-a", 4, "001")
    assert precedes(first, second)
    assert not precedes(second, first)
    assert sorted([second, first], key=order_key) == [first, second]


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        (claim("agent-z", 9, "zzz", T0), claim("agent-a", 1, "aaa", T0 + timedelta(seconds=1))),
        (claim("agent-z", 9, "aaa"), claim("agent-a", 1, "bbb")),  # then the session id
        (claim("agent-a", 9, "aaa"), claim("agent-b", 1, "aaa")),  # then the session name
    ],
)
def test_seniority_is_time_then_session_id_then_name(older: ClaimRecord,
                                                     newer: ClaimRecord) -> None:
    assert precedes(older, newer)
    assert not precedes(newer, older)


def test_a_claim_does_not_precede_itself() -> None:
    one = claim("agent-a", 3, "001")
    assert not precedes(one, one)


@pytest.mark.parametrize(
    ("pattern", "path", "covered"),
    [
        ("src/*/", "src/a/b.py", True),  # a trailing / names a directory: all below it
        ("src/*/", "src/a", True),
        ("src/*", "src/a/b.py", False),  # without it, * is one segment
        ("src/", "src/a/b/c.py", True),
        ("/src/a.py", "src/a.py", True),  # a leading / anchors at the root and is dropped
        ("./src/a.py", "src/a.py", True),
        ("././src/a.py", "src/a.py", True),
        ("src/a.py", "/src/a.py", True),
        ("src/a.py", " src/a.py ", True),
        ("/*.py", "x.py", True),
        ("/*.py", "deep/x.py", False),
        ("*.py", "deep/x.py", True),
        ("/", "any/path", True),
        ("  ", "any/path", True),
        ("src//", "src/a/b", True),
        ("lib", "lib", True),
        ("lib", "lib/x", True),
        ("lib", "libx", False),
        ("src/?", "src/ab", False),
        ("src/[ab].py", "src/c.py", True),  # a class is any one character (over-reports)
        ("src/[ab].py", "src//.py", False),
        ("a/**/b", "a/x/y/b", True),
        ("./*.py", "x.py", True),  # "./" anchors at the root too
        ("./*.py", "deep/x.py", False),
        ("X/", "Y/a", False),  # only slashes are stripped, never the name
        ("XML/*.py", "XML/a.py", True),
        ("X.md", "X.md", True),  # a literal name without "/" is the root file
        ("X.md", "docs/X.md", False),
    ],
)
def test_covers_with_slashes(pattern: str, path: str, covered: bool) -> None:
    assert covers(pattern, path) is covered


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("src/*/", "src/a/b.py", True),
        ("src/*", "src/a/b.py", False),
        ("/src/", "src/x/y", True),
        ("src/a/", "src/b/", False),
        ("*/", "x/y/z", True),
        ("docs/", "/docs/", True),
        ("a/**", "ab", False),  # a/** is what lies under a, not a sibling named ab
        ("a/**/", "a/b", True),
    ],
)
def test_overlap_with_slashes(a: str, b: str, overlap: bool) -> None:
    assert globs_overlap(a, b) is overlap
    assert globs_overlap(b, a) is overlap


@pytest.mark.parametrize(
    "moment",
    [datetime(2025, 11, 1, 10, 0), datetime(2025, 11, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
     datetime(2025, 11, 1, 10, 0, tzinfo=UTC)],
)
def test_seniority_compares_utc_times(moment: datetime) -> None:
    """A naive time is UTC already; an aware one is converted: all become the same instant."""
    assert as_utc(moment) == T0
    assert as_utc(moment).tzinfo is UTC


def test_parsed_timestamps_are_utc() -> None:
    assert parse_timestamp("2025-11-01T10:00:00Z").tzinfo is UTC
    aware = datetime(2025, 11, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert parse_timestamp(aware).tzinfo is UTC
    assert parse_timestamp(aware) == T0
