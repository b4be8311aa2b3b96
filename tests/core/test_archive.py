"""The archive format of SPEC §4.3: render, append, parse back, durations."""

from __future__ import annotations

import datetime
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatebot.core.archive import (
    EVENTS,
    ArchiveEntry,
    append_entry,
    archive_path,
    format_duration,
    parse_duration,
    parse_entries,
    render_entry,
)
from gatebot.core.board import single_line
from gatebot.core.printable import printable
from gatebot.errors import BoardError

DAY = datetime.date(2025, 11, 1)
SPEC_ENTRY = """\
### ✅ Build conversation state machine
- **Task**: #1
- **Event**: released
- **Session**: goldenfocus-claude-001
- **Started**: 2025-11-01T10:00:00Z
- **Completed**: 2025-11-01T12:30:00Z
- **Duration**: 2h 30min
- **Files**: /lib/conversation-engine.ts, /state/conversation-state.ts
- **Status**: Moved to RELEASED
- **Tests**: ✅ All pass
- **Coverage**: 87%
- **Reviewed by**: goldenfocus-claude-002, goldenfocus-codex-003
- **Merge**: abc1234
"""
RELEASED = ArchiveEntry("Build conversation state machine", 1, "released", {
    "Session": "goldenfocus-claude-001", "Started": "2025-11-01T10:00:00Z",
    "Completed": "2025-11-01T12:30:00Z", "Duration": "2h 30min",
    "Files": "/lib/conversation-engine.ts, /state/conversation-state.ts",
    "Status": "Moved to RELEASED", "Tests": "✅ All pass", "Coverage": "87%",
    "Reviewed by": "goldenfocus-claude-002, goldenfocus-codex-003", "Merge": "abc1234",
})


def test_render_is_the_spec_example_byte_for_byte():
    assert render_entry(RELEASED) == SPEC_ENTRY
    assert parse_entries(SPEC_ENTRY) == [RELEASED]


@pytest.mark.parametrize(("event", "emoji"), [
    ("released", "✅"), ("approved", "✅"), ("rejected", "❌"), ("merge-failed", "❌"),
    ("escalated", "🚨"), ("stale", "⚠️"), ("force-released", "🔓"), ("claimed", "🔒"),
    ("submitted", "📤"),
])
def test_heading_emoji_per_event(event, emoji):
    assert render_entry(ArchiveEntry("T", 4, event)).startswith(f"### {emoji} T\n")


@pytest.mark.parametrize(("args", "message"), [
    (("T", 1, "exploded"), "unknown archive event"),
    (("T", 1, "released", {"Task": "#2"}), "Task and Event"),
    (("T", 1, "released", {"Bad*name": "x"}), "field name"),
])
def test_bad_entries_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        ArchiveEntry(*args)


def test_typed_readers():
    assert RELEASED.time("Started") == datetime.datetime(2025, 11, 1, 10, tzinfo=datetime.UTC)
    assert RELEASED.time("Nope") is None
    assert RELEASED.seconds() == 9000
    assert ArchiveEntry("T", 1, "stale").seconds() is None
    assert RELEASED.field_list("Reviewed by") == ["goldenfocus-claude-002", "goldenfocus-codex-003"]
    naive = ArchiveEntry("T", 1, "stale", {"Started": "2025-11-01T10:00:00.000"})
    assert naive.time("Started") == datetime.datetime(2025, 11, 1, 10, tzinfo=datetime.UTC)


def test_archive_path():
    assert archive_path(DAY) == "coordination/archive/2025-11-01.md"
    assert archive_path(DAY, "logs/archive/") == "logs/archive/2025-11-01.md"


def test_append_to_new_and_existing_files():
    first = append_entry(None, RELEASED, DAY)
    assert first == "# Archive 2025-11-01\n\n" + SPEC_ENTRY
    stale = ArchiveEntry("Twitter automation", 4, "stale", {"Session": "s"})
    second = append_entry(first, stale, DAY)
    assert second == first + "\n" + render_entry(stale)
    assert parse_entries(second) == [RELEASED, stale]
    assert append_entry("", stale, DAY).startswith("# Archive 2025-11-01\n\n### ⚠️")


@pytest.mark.parametrize(("text", "joint"), [
    ("# Archive\r\n\r\nhand note", "# Archive\r\n\r\nhand note\r\n\r\n"),
    ("# Archive\n\nhand note\n", "# Archive\n\nhand note\n\n"),
    ("# Archive\n\n", "# Archive\n\n"),
    ("# Archive\n  ", "# Archive\n  \n"),
])
def test_append_keeps_existing_bytes_and_endings(text, joint):
    entry = ArchiveEntry("T", 2, "claimed")
    out = append_entry(text, entry, DAY)
    eol = "\r\n" if "\r\n" in text else "\n"
    assert out == joint + render_entry(entry).replace("\n", eol)
    assert parse_entries(out) == [entry]


def test_forged_values_stay_in_their_field():
    evil = "x\n### ✅ Forged\n- **Task**: #99\n- **Event**: released"
    entry = ArchiveEntry(evil, 5, "rejected", {"Reason": evil})
    [back] = parse_entries(append_entry(None, entry, DAY))
    assert (back.task, back.title, back.fields["Reason"]) == (5, single_line(evil), single_line(evil))


def test_parse_tolerates_foreign_entries_and_unknown_fields():
    text = ("# Archive\n\n### ✅ Hand-written, seed style\n- **Session**: s\n\n"
            "###  🔒  Claimed \n- **Task**: #7\n- **Event**: claimed\n- **Mood:** good\n"
            "Some prose.\n- **Estimate**: 30min\n\n```\n### ❌ x\n- **Task**: #8\n```\n")
    assert parse_entries(text) == [
        ArchiveEntry("Claimed", 7, "claimed", {"Mood": "good", "Estimate": "30min"}),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("### ✅ T\n- **Task**: seven\n- **Event**: released\n", "archive:2: the Task is 'seven'"),
    ("\n### ✅ T\n- **Task**: #7\n- **Event**: exploded\n", "archive:4: unknown event 'exploded'"),
])
def test_parse_errors_name_the_line(text, message):
    with pytest.raises(BoardError, match=message):
        parse_entries(text)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0min"), (29, "0min"), (45 * 60, "45min"), (9000, "2h 30min"), (7200, "2h"),
    (3 * 86400 + 2 * 3600 + 59, "3d 2h"), (86400, "1d"), (3599.9, "1h"),
])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("bad", [-1, math.inf, math.nan])
def test_format_duration_refuses_nonsense(bad):
    with pytest.raises(ValueError, match="not a duration"):
        format_duration(bad)


@pytest.mark.parametrize("bad", ["", "soon", "2h later", "h"])
def test_parse_duration_refuses_nonsense(bad):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(bad)


@given(st.integers(0, 400 * 86400))
def test_durations_round_trip_to_the_shown_precision(seconds):
    shown = format_duration(seconds)
    assert format_duration(parse_duration(shown)) == shown
    assert abs(parse_duration(shown) - seconds) <= (3600 if "d" in shown else 30)


text_values = st.text(st.characters(codec="utf-8", exclude_characters="*"), max_size=20)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(
    text_values, st.integers(0, 10**6), st.sampled_from(EVENTS),
    st.dictionaries(st.sampled_from(["Session", "Files", "Reason", "Head", "Merge", "Reviewed by"]),
                    text_values, max_size=4)), max_size=4))
def test_render_parse_round_trip(raw):
    # what an archive stores: one line, control characters written as visible escapes
    entries = [ArchiveEntry(printable(single_line(t)), n, e,
                            {k: printable(single_line(v)) for k, v in f.items()})
               for t, n, e, f in raw]
    text = None
    for entry in entries:
        text = append_entry(text, entry, DAY)
    assert parse_entries(text or "") == entries


@pytest.mark.parametrize("title", ["C# parser ##", "#", "ends with #"])
def test_titles_with_hashes_survive_the_archive(title):
    entry = ArchiveEntry(title, 4, "released")
    rendered = render_entry(entry)
    assert rendered.startswith("### ✅ " + title.replace("#", "\\#") + "\n")
    assert parse_entries(rendered)[0].title == title


def test_control_characters_in_an_entry_are_written_as_escapes() -> None:
    entry = ArchiveEntry("Title \x1b[2J\u202e", 3, "claimed", {"Session": "a\x07b"})
    text = append_entry(None, entry, DAY)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "Title \\x1b[2J\\u202e" in text and "a\\x07b" in text
