"""``gatebot queue``: the merge queue in landing order, on a real repository with an origin."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.repos import Repo, make_repo, run_cli

FOUR_IN_REVIEW = textwrap.dedent("""\
    # 📋 TODO

    ## 🟢 READY

    ## 🔨 IN-PROGRESS

    ## 👀 REVIEW

    ### #4 Search box
    **Built by**: builder-one
    **Cannot review**: builder-one

    ### #5 Export CSV
    **Built by**: builder-one
    **Cannot review**: builder-one

    ### #6 Hotfix login
    **Built by**: builder-one
    **Cannot review**: builder-one
    **Priority**: critical

    ### #7 Dark mode
    **Built by**: builder-one
    **Cannot review**: builder-one

    ## ✅ RDY FOR PROD

    ## 🚀 RELEASED
    """)


def approve(repo: Repo, task: int, when: str) -> str:
    """Push ``task/N-work`` with one file and approve it at ``when``; return its head SHA."""
    repo.git("checkout", "-q", "-b", f"task/{task}-work", "origin/main")
    repo.write(f"app/f{task}.py", f'"""F{task}."""\n')
    repo.write(f"tests/test_f{task}.py", "x = 1\n")
    head = repo.commit(f"work on #{task}", as_="builder-one")
    repo.git("push", "-q", "origin", f"task/{task}-work")
    result = run_cli(repo.path, "review", "--approve", "--as", "rev-a",
                     env={"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when})
    assert result.exit_code == 0, result.output
    return head


@pytest.fixture
def queued(tmp_path: Path) -> tuple[Repo, dict[int, str]]:
    """#5 approved first, then #4, then the critical #6; #7 pushed again after its approval."""
    repo = make_repo(tmp_path, todo=FOUR_IN_REVIEW)  # no checks configured
    heads = {5: approve(repo, 5, "2030-01-01T10:00:00Z"), 4: approve(repo, 4, "2030-01-01T10:01:00Z"),
             6: approve(repo, 6, "2030-01-01T10:02:00Z"), 7: approve(repo, 7, "2030-01-01T09:00:00Z")}
    repo.write("app/f7.py", '"""F7, changed after the approval."""\n')
    heads[7] = repo.commit("more work on #7", as_="builder-one")
    repo.git("push", "-q", "origin", "task/7-work")
    return repo, heads


def queue_json(repo: Repo, *args: str) -> Any:
    result = run_cli(repo.path, "queue", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_queue_is_critical_first_then_approval_order_each_with_its_head_and_batch(
        queued: tuple[Repo, dict[int, str]]) -> None:
    repo, heads = queued
    before = repo.origin_sha()
    shown = queue_json(repo)
    assert shown["schema"] == "gatebot.queue/1"
    assert shown["base_sha"] == before
    assert [(t["number"], t["batch"], t["head"]) for t in shown["tasks"]] == [
        (6, 1, heads[6]), (5, 2, heads[5]), (4, 2, heads[4])]
    assert shown["tasks"][0]["critical"] is True
    assert shown["tasks"][1]["approved_at"] == "2030-01-01T10:00:00Z"
    assert [(t["number"], t["head"]) for t in shown["not_queued"]] == [(7, heads[7])]
    assert "approve the new head" in shown["not_queued"][0]["reason"]
    assert repo.origin_sha() == before  # read-only: nothing written


def test_batch_size_overrides_the_adaptive_size_and_text_names_each_head(
        queued: tuple[Repo, dict[int, str]]) -> None:
    repo, heads = queued
    assert [t["batch"] for t in queue_json(repo, "--batch-size", "1")["tasks"]] == [1, 2, 3]
    text = run_cli(repo.path, "queue")
    assert text.exit_code == 0, text.output
    assert "3 tasks in 2 batches" in text.output
    assert f"batch 2  #4  {heads[4][:12]}  Search box" in text.output
    assert "#7  Dark mode: approved" in text.output
    refused = run_cli(repo.path, "queue", "--batch-size", "0")
    assert refused.exit_code == 2
    assert "--batch-size" in refused.output


def test_an_empty_queue_says_so(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    result = run_cli(repo.path, "queue")
    assert result.exit_code == 0, result.output
    assert "0 tasks in 0 batches" in result.output
