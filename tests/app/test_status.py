"""The status board: gathering from real claim refs, and its three renderings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from gatebot.adapters.claim_store import ClaimStore
from gatebot.adapters.git import Git
from gatebot.app.status import (
    SCHEMA,
    StatusBoard,
    format_age,
    gather_status,
    render_json,
    render_markdown,
    render_text,
)
from gatebot.core.claims import ClaimRecord
from tests.repos import plain_repo, put_commit

T0 = datetime(2025, 11, 1, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=25)


def record(name: str, number: int, *, task: str, files: tuple[str, ...], beat: int) -> ClaimRecord:
    return ClaimRecord.model_validate(
        {
            "session_id": "001", "session_name": name, "ai_type": "claude", "platform": "cli",
            "started_at": T0, "status": "active", "claimed_files": files, "task": task,
            "task_number": f"#{number}", "task_section": "READY",
            "estimated_duration_minutes": 120, "heartbeat_last": T0 + timedelta(minutes=beat),
            "heartbeat_count": 2, "progress_percent": 40, "notes": "going",
        }
    )


@pytest.fixture
def board(tmp_path: Path) -> StatusBoard:
    store = ClaimStore(Git(plain_repo(tmp_path / "repo")))
    store.create(record("goldenfocus-claude-001", 1, task="Conversation engine",
                        files=("lib/*.ts",), beat=20))
    store.create(record("goldenfocus-claude-003", 7, task="Twitter automation",
                        files=("/lib/twitter.ts", "docs/x.md"), beat=3))
    put_commit(store.git.root, "refs/gatebot/claims/9/broken", "broken\n\n{")
    return gather_status(
        store,
        clock=lambda: NOW,
        stale_after=timedelta(minutes=20),
        stages={"READY": 3, "IN-PROGRESS": 2, "RDY FOR PROD": 0},
        escalations=[(12, "Merge conflict in lib/engine.ts")],
    )


GOLDEN = """\
# Status board

Generated 2025-11-01T10:25:00Z by gatebot. A claim is STALE after 20 min without a heartbeat.

## Claims

| Task | Title | Session | Files | Heartbeat | Progress | State |
|---|---|---|---|---|---|---|
| #1 | Conversation engine | goldenfocus-claude-001 | lib/\\*.ts | 5 min ago | 40% | 🟢 active |
| #7 | Twitter automation | goldenfocus-claude-003 | /lib/twitter.ts, docs/x.md | 22 min ago | 40% \
| 🟡 STALE (22 min) |

## Tasks by stage

| Stage | Tasks |
|---|---:|
| READY | 3 |
| IN-PROGRESS | 2 |
| RDY FOR PROD | 0 |

## Escalations

- 🚨 #12 Merge conflict in lib/engine.ts

## Problems

- refs/gatebot/claims/9/broken: not a valid claim (Invalid JSON: EOF while parsing an object at \
line 1 column 1); remove it with `gatebot release 9 --force`
"""


def test_markdown_board_matches_the_golden_text(board: StatusBoard) -> None:
    assert render_markdown(board) == GOLDEN


def test_markdown_escapes_user_text_so_it_cannot_forge_structure(tmp_path: Path) -> None:
    store = ClaimStore(Git(plain_repo(tmp_path / "repo")))
    store.create(
        record("evil|name", 1, task="x | y ## Forged heading - [link](http://x) <b>",
               files=("a|b",), beat=0)
    )
    text = render_markdown(gather_status(store, clock=lambda: NOW, escalations=[(2, "#3\n# H")]))
    lines = text.splitlines()
    assert not [line for line in lines if line.startswith("#") and "board" not in line
                and line not in ("## Claims", "## Escalations")]
    (row,) = [line for line in lines if line.startswith("| #1 ")]
    assert row.replace("\\|", "").count("|") == 8  # seven cells: no forged columns
    assert "\\[link\\](http://x) \\<b\\>" in row
    assert "- 🚨 #2 \\#3 \\# H" in lines


def test_empty_board(tmp_path: Path) -> None:
    board = gather_status(ClaimStore(Git(plain_repo(tmp_path / "none"))), clock=lambda: NOW)
    text = render_markdown(board)
    assert "No claims." in text
    assert "## Tasks by stage" not in text
    assert "## Problems" not in text
    assert render_json(board)["claims"] == []


def test_json_board_follows_the_schema(board: StatusBoard) -> None:
    doc = render_json(board)
    assert json.loads(json.dumps(doc)) == doc
    assert doc["schema"] == SCHEMA == "gatebot.status/1"
    assert set(doc) == {
        "schema", "generated_at", "stale_after_s", "claims", "stages", "escalations", "problems"
    }
    assert (doc["generated_at"], doc["stale_after_s"]) == ("2025-11-01T10:25:00Z", 1200)
    fresh, stale = doc["claims"]
    assert stale == {
        "task": 7, "title": "Twitter automation", "session": "goldenfocus-claude-003",
        "status": "active", "files": ["/lib/twitter.ts", "docs/x.md"],
        "started_at": "2025-11-01T10:00:00Z", "heartbeat_last": "2025-11-01T10:03:00Z",
        "heartbeat_age_s": 1320, "heartbeat_count": 2, "progress_percent": 40,
        "notes": "going", "stale": True,
    }
    assert (fresh["task"], fresh["stale"], fresh["heartbeat_age_s"]) == (1, False, 300)
    assert doc["stages"] == {"READY": 3, "IN-PROGRESS": 2, "RDY FOR PROD": 0}
    assert doc["escalations"] == [{"task": 12, "title": "Merge conflict in lib/engine.ts"}]
    (problem,) = doc["problems"]
    assert problem["task"] == 9
    assert problem["path"] == "refs/gatebot/claims/9/broken"
    assert problem["fix"].startswith("remove it with `gatebot release 9 --force`")


def test_text_board_is_a_rich_table_that_never_parses_user_markup(tmp_path: Path) -> None:
    store = ClaimStore(Git(plain_repo(tmp_path / "repo")))
    store.create(record("s[bold]x[/bold]", 3, task="[red]alarm[/red]", files=("a",), beat=0))
    put_commit(store.git.root, "refs/gatebot/claims/4/bad", "bad\n\n[")
    board = gather_status(store, clock=lambda: NOW, stages={"REVIEW": 1}, escalations=[(5, "t")])
    console = Console(record=True, width=400, color_system=None)
    console.print(render_text(board))
    out = console.export_text()
    assert "[red]alarm[/red]" in out
    assert "s[bold]x[/bold]" in out
    assert "STALE (25 min)" in out
    assert "Tasks by stage" in out
    assert "ESCALATED #5 t" in out
    assert "gatebot release 4 --force" in out


@pytest.mark.parametrize(
    ("age", "text"),
    [(timedelta(seconds=59), "<1 min"), (timedelta(minutes=22), "22 min"),
     (timedelta(hours=2, minutes=30), "2h 30min"), (timedelta(hours=1, minutes=5), "1h 05min")],
)
def test_ages_read_like_the_seed(age: timedelta, text: str) -> None:
    assert format_age(age) == text
