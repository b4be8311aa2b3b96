"""``gatebot task list`` and ``gatebot task show``: the real CLI on a repository with an origin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.app.test_merge import approved_branch
from tests.repos import TODO, Repo, make_repo, run_cli

CONFIG = "min_coverage = 0\n[checks]\nnox_sessions = []\nrequired = []\n[claims]\nsettle = [0, 0]\n"
T0 = {"GATEBOT_NOW": "2030-01-01T10:00:00Z"}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    made = make_repo(tmp_path, todo=TODO.replace("### #1 First task",
                                                 "### #1 First | task ## with `markup`"))
    made.write(".gatebot.toml", CONFIG)
    made.commit("config: no settle time")
    made.git("push", "-q", "origin", "main")
    return made


def cli_json(repo: Repo, *args: str, env: dict[str, str] | None = None) -> Any:
    result = run_cli(repo.path, *args, "--format", "json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_gives_every_task_with_its_stage_and_fields(repo: Repo) -> None:
    listed = cli_json(repo, "task", "list")
    assert listed["schema"] == "gatebot.tasks/1"
    assert listed["base"] == "origin/main"
    assert listed["base_sha"] == repo.origin_sha()
    assert [(t["number"], t["stage"]) for t in listed["tasks"]] == [(1, "READY"), (4, "REVIEW")]
    assert listed["tasks"][1]["fields"]["Branch"] == "feature-x"
    assert listed["tasks"][1]["claims"] == []


def test_list_filters_by_stage_and_refuses_an_unknown_one(repo: Repo) -> None:
    listed = cli_json(repo, "task", "list", "--stage", "review")
    assert [t["number"] for t in listed["tasks"]] == [4]
    assert listed["stage"] == "REVIEW"
    assert cli_json(repo, "task", "list", "--stage", "rdy-for-prod")["tasks"] == []
    bad = run_cli(repo.path, "task", "list", "--stage", "DONE")
    assert bad.exit_code == 2
    assert "READY, IN-PROGRESS, REVIEW, RDY FOR PROD, RELEASED" in bad.output


def test_a_claim_shows_its_holder_heartbeat_age_and_stale(repo: Repo) -> None:
    claimed = run_cli(repo.path, "claim", "1", "--as", "ann", env=T0)
    assert claimed.exit_code == 0, claimed.output
    fresh = cli_json(repo, "task", "list", env={"GATEBOT_NOW": "2030-01-01T10:05:00Z"})
    claim = fresh["tasks"][0]["claims"][0]
    assert (claim["session"], claim["heartbeat_age_s"], claim["stale"]) == ("ann", 300, False)
    later = {"GATEBOT_NOW": "2030-01-01T10:30:00Z"}
    assert cli_json(repo, "task", "show", "1", env=later)["claims"][0]["stale"] is True
    shown = run_cli(repo.path, "task", "show", "1", env=later).output
    assert "claims:\n  ann (heartbeat 30 min ago, STALE (30 min))\n" in shown
    listed = run_cli(repo.path, "task", "list", env=later).output
    assert "STALE" in listed and "ann" in listed


def test_show_binds_each_approval_to_its_head_and_says_if_it_still_stands(repo: Repo) -> None:
    head = approved_branch(repo)
    shown = cli_json(repo, "task", "show", "4")
    assert shown["schema"] == "gatebot.task/1"
    assert shown["stage"] == "RDY FOR PROD"
    [approval] = shown["approvals"]
    assert approval["actor"] == "rev-a"
    assert approval["head"] == approval["branch_head"] == head
    assert approval["branch"] == "task/4-work"
    assert approval["commit"] == repo.origin_sha()
    assert approval["stands"] is True
    repo.write("app/feature.py", '"""F, changed after the approval."""\n')
    newer = repo.commit("a push after the approval", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    [voided] = cli_json(repo, "task", "show", "4")["approvals"]
    assert (voided["head"], voided["branch_head"], voided["standing"], voided["stands"]) == (
        head, newer, True, False)
    text = run_cli(repo.path, "task", "show", "4").output
    assert f"voided: the branch is at {newer[:12]} now" in text


def test_history_lists_gatebots_board_commits_for_the_task(repo: Repo) -> None:
    approved_branch(repo)
    rejected = run_cli(repo.path, "review", "--reject", "no tests", "--task", "4", "--as", "rev-a")
    assert rejected.exit_code == 0, rejected.output
    history = cli_json(repo, "task", "show", "4")["history"]
    assert [(h["event"], h["actor"]) for h in history] == [("approved", "rev-a"),
                                                          ("rejected", "rev-a")]
    assert history[-1]["commit"] == repo.origin_sha()
    assert history[0]["at"].endswith("Z")
    [approval] = cli_json(repo, "task", "show", "4")["approvals"]
    assert approval["standing"] is False


def test_markdown_escapes_the_title(repo: Repo) -> None:
    listed = run_cli(repo.path, "task", "list", "--format", "markdown").output
    assert r"| 1 | First \| task \#\# with \`markup\` | READY | - |" in listed
    shown = run_cli(repo.path, "task", "show", "1", "--format", "markdown").output
    assert shown.startswith(r"**\#1 First \| task \#\# with \`markup\`**")


def test_show_of_a_missing_task_is_a_usage_error(repo: Repo) -> None:
    result = run_cli(repo.path, "task", "show", "99")
    assert result.exit_code == 2
    assert "#99" in result.output


def test_history_starts_with_the_add_commit(repo: Repo) -> None:
    added = run_cli(repo.path, "task", "add", "Rate limiter", "--as", "lead", env=T0)
    assert added.exit_code == 0, added.output
    number = added.stdout.split()[0]
    history = cli_json(repo, "task", "show", number)["history"]
    assert [(h["event"], h["actor"]) for h in history] == [("added", "lead")]
    assert history[0]["commit"] == repo.origin_sha()
