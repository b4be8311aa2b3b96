"""Claim records and the pure claim rules (SPEC §8)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gatebot.core.claims import (
    ClaimRecord,
    Fingerprint,
    conflict_reason,
    covers,
    files_overlap,
    flag_key,
    format_seconds,
    format_timestamp,
    globs_overlap,
    heartbeat_age,
    holder_text,
    identity_decision,
    identity_refusal,
    is_dead,
    is_stale,
    overlap_witness,
    parse_timestamp,
    precedes,
)

T0 = datetime(2025, 11, 1, 10, 0, tzinfo=UTC)
SEED_LOCK = """{
  "session_id": "001",
  "session_name": "goldenfocus-claude-001",
  "ai_type": "claude-sonnet-4",
  "platform": "cursor",
  "started_at": "2025-11-01T10:00:00.000Z",
  "status": "active",
  "claimed_files": ["/lib/conversation-engine.ts", "/state/conversation-state.ts"],
  "task": "Build conversation state machine",
  "task_number": "#1",
  "task_section": "READY",
  "estimated_duration_minutes": 180,
  "heartbeat_last": "2025-11-01T12:30:00.000Z",
  "heartbeat_count": 10,
  "progress_percent": 75,
  "notes": "Blocked by: None"
}"""


def record(
    name: str = "goldenfocus-claude-001",
    number: int = 4,
    *,
    files: tuple[str, ...] = (),
    started: datetime = T0,
    beat: datetime | None = None,
    status: str = "active",
    session_id: str = "001",
    fingerprint: Fingerprint | None = None,
) -> ClaimRecord:
    return ClaimRecord.model_validate(
        {
            "session_id": session_id, "session_name": name, "ai_type": "claude",
            "platform": "cli", "started_at": started, "status": status,
            "claimed_files": files, "task": "Build it", "task_number": f"#{number}",
            "task_section": "READY", "estimated_duration_minutes": None,
            "heartbeat_last": beat or started, "heartbeat_count": 0, "progress_percent": 0,
            "notes": "", "fingerprint": fingerprint,
        }
    )


# -- timestamps ---------------------------------------------------------------------------
def test_timestamps_round_trip_in_utc_with_z() -> None:
    assert parse_timestamp("2025-11-01T10:00:00.000Z") == T0
    assert format_timestamp(T0) == "2025-11-01T10:00:00Z"
    precise = T0.replace(microsecond=123456)
    assert format_timestamp(precise) == "2025-11-01T10:00:00.123456Z"
    assert parse_timestamp(format_timestamp(precise)) == precise
    assert format_seconds(precise) == "2025-11-01T10:00:00Z"
    plus_two = datetime(2025, 11, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_timestamp(plus_two) == "2025-11-01T10:00:00Z"
    assert format_timestamp(datetime(2025, 11, 1, 10, 0)) == "2025-11-01T10:00:00Z"


@pytest.mark.parametrize(
    "value", ["2025-11-01T10:00:00", "2025-11-01T10:00:00+02:00Z", "2025-11-01Z", 1700000000,
              datetime(2025, 11, 1)]
)
def test_timestamps_without_utc_z_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match=r"ISO-8601|time zone|Invalid"):
        parse_timestamp(value)


# -- the record ----------------------------------------------------------------------------
def test_the_seeds_lock_file_parses_and_round_trips() -> None:
    parsed = ClaimRecord.model_validate_json(SEED_LOCK)
    assert parsed.number == 1
    assert parsed.key == ("goldenfocus-claude-001", 1)
    assert parsed.started_at == T0
    assert parsed.fingerprint is None
    again = ClaimRecord.model_validate_json(parsed.model_dump_json())
    assert again == parsed
    dumped = json.loads(parsed.model_dump_json())
    assert dumped["started_at"] == "2025-11-01T10:00:00Z"
    assert list(dumped)[:3] == ["session_id", "session_name", "ai_type"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("task_number", 1),
        ("task_number", "4"),
        ("heartbeat_count", "10"),
        ("progress_percent", 101),
        ("progress_percent", -1),
        ("status", "stale"),
        ("started_at", "2025-11-01T10:00:00"),
        ("session_name", "two\nlines"),
        ("unknown_key", 1),
        ("estimated_duration_minutes", -5),
        ("fingerprint", {"host": "h", "pid": 0}),
    ],
)
def test_strict_parsing_refuses_bad_fields(key: str, value: object) -> None:
    data = json.loads(SEED_LOCK)
    data[key] = value
    with pytest.raises(ValidationError):
        ClaimRecord.model_validate_json(json.dumps(data))


def test_every_seed_field_is_required() -> None:
    data = json.loads(SEED_LOCK)
    for key in data:
        partial = {k: v for k, v in data.items() if k != key}
        with pytest.raises(ValidationError):
            ClaimRecord.model_validate_json(json.dumps(partial))


# -- seniority and conflicts -------------------------------------------------------------------
def test_oldest_started_at_wins_then_session_id() -> None:
    old = record("b", started=T0, session_id="zzz")
    new = record("a", started=T0 + timedelta(seconds=1), session_id="aaa")
    assert precedes(old, new)
    assert not precedes(new, old)
    tie_a, tie_b = record("x", session_id="aaa"), record("y", session_id="bbb")
    assert precedes(tie_a, tie_b)
    assert not precedes(tie_b, tie_a)


def test_conflict_on_the_same_task_names_holder_and_time() -> None:
    holder = record("goldenfocus-claude-001", 4)
    mine = record("goldenfocus-codex-002", 4, started=T0 + timedelta(minutes=1))
    expected = "task #4 is claimed by goldenfocus-claude-001 since 2025-11-01T10:00:00Z"
    assert conflict_reason(mine, holder) == expected
    assert holder_text(holder) == expected


def test_conflict_on_overlapping_files_of_another_task() -> None:
    holder = record("a", 3, files=("src/**",))
    mine = record("b", 5, files=("docs/x.md", "src/app/main.py"))
    reason = conflict_reason(mine, holder)
    assert reason == (
        "task #3 is claimed by a since 2025-11-01T10:00:00Z with src/**, which overlaps "
        "src/app/main.py"
    )


@pytest.mark.parametrize(
    "other",
    [
        record("a", 4, status="completed"),  # completed claims no longer hold anything
        record("me", 4),  # a claim never conflicts with itself
        record("a", 5, files=("tests/**",)),  # disjoint files
        record("a", 5),  # no files at all
    ],
)
def test_no_conflict(other: ClaimRecord) -> None:
    assert conflict_reason(record("me", 4, files=("src/**",)), other) is None


# -- glob overlap ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("src/a.py", "src/a.py", True),
        ("/lib/engine.ts", "lib/engine.ts", True),
        ("./lib/engine.ts", "lib/*.ts", True),
        ("src/a.py", "src/b.py", False),
        ("src/**", "src/deep/er/x.py", True),
        ("src/**", "tests/**", False),
        ("src/*.py", "src/a/b.py", False),  # * stays within one segment
        ("src/*.py", "src/*/b.py", False),
        ("src/*/b.py", "src/a/*.py", True),
        ("*.py", "deep/down/x.py", True),  # no slash: any depth
        ("/*.py", "deep/x.py", False),  # leading slash anchors at the root
        ("*.py", "*.ts", False),
        ("lib", "lib/x.ts", True),  # a literal path is also a directory
        ("lib/", "lib/a/b", True),
        ("lib", "lib2/x", False),
        ("README.md", "docs/README.md", False),  # a literal name is the root file
        ("a/**/b", "a/b", True),
        ("a/**/c", "a/b/*", True),
        ("a/[xy].py", "a/z.py", True),  # classes over-approximate: any one character
        ("a/[xy].py", "a/zz.py", False),
        ("a/?", "a/bc", False),
        ("", "anything", True),
        ("**", "x", True),
    ],
)
def test_globs_overlap_table(a: str, b: str, overlap: bool) -> None:
    assert globs_overlap(a, b) is overlap
    assert globs_overlap(b, a) is overlap


_GLOB_PARTS = st.sampled_from(["a", "b", "/", "*", "**", "?", "**/", "ab"])
_GLOBS = st.lists(_GLOB_PARTS, min_size=1, max_size=5).map("".join)
_PATHS = ["/".join(p) for n in range(1, 4) for p in itertools.product(["a", "b", "ab"], repeat=n)]


@settings(max_examples=300, deadline=None)
@given(_GLOBS, _GLOBS)
def test_overlap_is_exact_against_the_matcher(a: str, b: str) -> None:
    """Sound: a path both cover means overlap; honest: a reported overlap has a real witness."""
    witness = overlap_witness(a, b)
    if witness is not None:
        assert covers(a, witness)
        assert covers(b, witness)
    if any(covers(a, p) and covers(b, p) for p in _PATHS):
        assert witness is not None


def test_files_overlap_reports_the_first_pair() -> None:
    assert files_overlap(["docs/**", "src/*.py"], ["src/x.py"]) == ("src/*.py", "src/x.py")
    assert files_overlap(["docs/**"], ["src/x.py"]) is None
    assert files_overlap([], ["src/x.py"]) is None


# -- staleness and identity --------------------------------------------------------------------
def test_stale_only_past_the_threshold_and_only_while_held() -> None:
    claim = record(beat=T0)
    limit = timedelta(minutes=20)
    assert not is_stale(claim, T0 + limit, limit)
    assert is_stale(claim, T0 + limit + timedelta(seconds=1), limit)
    assert not is_stale(record(status="completed"), T0 + timedelta(days=1), limit)
    assert heartbeat_age(claim, T0 - timedelta(minutes=5)) == timedelta(0)


def test_flag_key_changes_with_each_lapse() -> None:
    first = record(beat=T0)
    assert flag_key(first) == flag_key(record(beat=T0))
    assert flag_key(first) != flag_key(record(beat=T0 + timedelta(minutes=1)))
    assert "#4" in flag_key(first)


ME = Fingerprint(host="h", pid=10, process_start=5)
OTHER = Fingerprint(host="h", pid=11, process_start=6)
LIMIT = timedelta(minutes=20)
LATE = T0 + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("fingerprint", "alive", "now", "decision"),
    [
        (ME, True, T0, "same"),
        (OTHER, True, T0, "live"),
        (OTHER, True, LATE, "live"),  # alive wins over a stale heartbeat
        (OTHER, False, T0, "fresh"),
        (OTHER, None, T0, "fresh"),
        (OTHER, False, LATE, "takeover"),
        (None, None, LATE, "takeover"),
    ],
)
def test_identity_decision(
    fingerprint: Fingerprint | None, alive: bool | None, now: datetime, decision: str
) -> None:
    existing = record(fingerprint=fingerprint)
    assert identity_decision(existing, ME, alive, now, LIMIT) == decision


def test_identity_refusals_explain_and_point_to_a_fix() -> None:
    existing = record(fingerprint=OTHER)
    live = identity_refusal(existing, "live", True, timedelta(minutes=1))
    assert live == (
        "session name goldenfocus-claude-001 is in use by a live process (pid 11 on h)",
        "choose another session name with --as NAME, or set the same GATEBOT_SESSION_ID for "
        "every command of one session",
    )
    fresh = identity_refusal(existing, "fresh", False, timedelta(minutes=3))
    assert "has exited" in fresh[0]
    assert "3 min ago" in fresh[0]
    unknown = identity_refusal(record(), "fresh", None, timedelta(minutes=3))
    assert "cannot be checked" in unknown[0]
    assert "no fingerprint" in unknown[0]
    gone = identity_refusal(existing, "takeover", False, timedelta(minutes=25))
    assert "stale (25 min)" in gone[0]
    assert "--force" in gone[1]


KEY_A, KEY_B = "a" * 16, "b" * 16


@pytest.mark.parametrize(
    ("existing", "mine", "decision"),
    [
        (OTHER.model_copy(update={"key": KEY_A}), ME.model_copy(update={"key": KEY_A}), "same"),
        (ME.model_copy(update={"key": KEY_A}), ME.model_copy(update={"key": KEY_B}), "live"),
        (ME, ME.model_copy(update={"key": KEY_A}), "live"),  # a key is not the keyless session
        (ME.model_copy(update={"key": KEY_A}), ME, "live"),
    ],
)
def test_a_session_key_decides_who_the_session_is(
    existing: Fingerprint, mine: Fingerprint, decision: str
) -> None:
    assert identity_decision(record(fingerprint=existing), mine, True, T0, LIMIT) == decision


@pytest.mark.parametrize(
    ("alive", "landed", "now", "dead"),
    [
        (False, False, T0, True),  # killed before its board commit: dead at once
        (False, True, LATE, False),  # landed: a claim, however old (stale is not dead)
        (True, False, LATE, False),  # still settling, however slowly
        (None, False, T0 + LIMIT, False),  # another host: wait for the stale threshold
        (None, False, T0 + LIMIT + timedelta(seconds=1), True),
        (None, True, LATE, False),
    ],
)
def test_a_record_is_dead_only_when_its_board_claim_never_landed_and_its_writer_is_gone(
    alive: bool | None, landed: bool, now: datetime, dead: bool
) -> None:
    assert is_dead(record(beat=T0), writer_alive=alive, landed=landed, now=now,
                   stale_after=LIMIT) is dead
