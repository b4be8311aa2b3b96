"""The short soak of "Claims that hold under load", and its checker caught on planted faults.

``test_short_soak_holds`` runs four real agent processes over four tasks
(``tests.soak``) and asserts every invariant held. The other tests drive one
task through its whole life by hand (three agents, each call a real gatebot
process), check that the checker finds nothing on that honest history, then
plant one fault at a time straight into a copy of the bare origin — a broken
tree, a duplicated task, a self-reviewed release, a lost board commit, a
missing archive entry, a lying claim record — and assert the checker names it.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests import soak as s
from tests.repos import put_commit

SHORT = s.SoakConfig(agents=4, tasks=4, seed=11, budget_s=900.0, give_up=0.0)
"""No task is given back, so the forced broken and poisoned first builds always meet the gates;
the budget is far above the minute or two a run takes, so that only a stuck run hits it."""


def test_short_soak_holds(tmp_path: Path) -> None:
    """Every invariant held, every task landed, and each gate caught the build meant for it.

    Nothing here is skipped when the run is slow: a run that does not finish fails,
    saying how far it got.
    """
    run = s.run_soak(tmp_path, SHORT)
    assert run.violations == []
    assert run.stops == {"all-released": SHORT.agents}, (
        f"the soak did not finish: agents stopped {run.stops} with {run.released} of "
        f"{SHORT.tasks} tasks released (budget {SHORT.budget_s:.0f} s); a stuck agent or a "
        "machine too loaded to run it")
    assert run.released == SHORT.tasks
    records = [r for r in run.records if "rc" in r]
    assert any(r.get("probe") == "review-own" and r["rc"] == 1 for r in records)
    submitted = {r["argv"][r["argv"].index("--branch") + 1] for r in records
                 if r["op"] == "submit" and r["rc"] == 0}
    modes = {r["mode"] for r in run.records if r["op"] == "build" and r["branch"] in submitted}
    assert {"broken", "poisoned"} <= modes, f"a forced build never met a gate: {modes}"
    rejected = {r.get("why") for r in records if r["op"] == "reject" and r["rc"] == 0}
    assert "gate1" in rejected  # the broken build cannot have landed: gate 1 sent it back
    # the poisoned build's own tree passes: only gate 2's re-test on main can catch it
    assert any(r["op"] == "merge" and "failed after integration" in r["err"] for r in records)
    assert "gate2" in rejected


# -- one honest history, driven by hand -------------------------------------------------
@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> tuple[s.Soak, list[dict]]:
    """Task 1 released (built by agent 0, approved by 1, merged by 2); task 2 READY."""
    root = tmp_path_factory.mktemp("honest")
    cfg = s.SoakConfig(agents=3, tasks=2, first_builds=())
    soak = s.setup(root, cfg)
    builder, reviewer, merger = (s.Agent(s.agent_spec(soak, cfg, i, time.time() + 600))
                                 for i in range(3))

    def task(number: int) -> s.BoardTask:
        return next(t for t in builder.board() if t.number == number)

    builder.build_mode = lambda: "good"  # type: ignore[method-assign]
    builder.claim(task(1))
    builder.work(task(1))
    builder.submit(task(1))  # probes approving its own task too
    reviewer.review(task(1))  # approves, then probes merging what it approved
    merger.merge(task(1))
    assert task(1).stage == "RELEASED"
    return soak, s.read_logs(soak.logs)


def test_the_honest_history_holds(honest: tuple[s.Soak, list[dict]]) -> None:
    soak, records = honest
    assert s.check_all(soak, records) == []
    probes = {r["probe"]: r["rc"] for r in records if r.get("probe")}
    assert probes == {"review-own": 1, "merge-own-approval": 1}


def bare_copy(soak: s.Soak, tmp: Path) -> Path:
    """A copy of the honest origin to plant a fault in."""
    return Path(shutil.copytree(soak.origin, tmp / "origin.git"))


def plant(origin: Path, files: dict[str, str | None], message: str = "planted") -> str:
    """Push one commit straight onto origin's main (no gatebot): write or delete ``files``."""
    work = origin.parent / "planter"
    if not work.exists():
        s.git(origin.parent, "clone", "-q", str(origin), str(work))
    s.git(work, "pull", "-q", "--ff-only", "origin", "main")
    for rel, text in files.items():
        path = work / rel
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    s.git(work, "add", "-A")
    s.git(work, "commit", "-q", "--allow-empty", "-m", message, env=s.identity("planter"))
    s.git(work, "push", "-q", "origin", "HEAD:main")
    return s.git(work, "rev-parse", "HEAD")


def test_a_broken_tree_on_main_is_caught(honest: tuple[s.Soak, list[dict]],
                                         tmp_path: Path) -> None:
    origin = bare_copy(honest[0], tmp_path)
    sha = plant(origin, {"work/bad.txt": "name: bad\nno end line\n"})
    found = s.check_trees(origin)
    assert len(found) == 1
    assert found[0].startswith(sha[:10]) and "work/bad.txt" in found[0]


def test_a_task_held_twice_is_caught(honest: tuple[s.Soak, list[dict]], tmp_path: Path) -> None:
    origin = bare_copy(honest[0], tmp_path)
    todo = s.git(origin, "show", "main:TODO.md") + "\n"
    assert s.check_board_history(origin, 2) == []
    doubled = todo.replace("## IN-PROGRESS\n", "## IN-PROGRESS\n\n### #2 Soak task 2\n"
                           "**Assignee**: goldenfocus-agent-00, goldenfocus-agent-01\n")
    plant(origin, {"TODO.md": doubled})
    found = s.check_board_history(origin, 2)
    assert any("task #2 appears 2 times" in f for f in found), found
    assert any("IN-PROGRESS task #2 has Assignee" in f for f in found), found


def test_a_lost_task_is_caught(honest: tuple[s.Soak, list[dict]], tmp_path: Path) -> None:
    origin = bare_copy(honest[0], tmp_path)
    todo = s.git(origin, "show", "main:TODO.md") + "\n"
    plant(origin, {"TODO.md": todo.replace("### #2 Soak task 2", "Soak task 2")})
    assert any("tasks lost or added: [1]" in f for f in s.check_board_history(origin, 2))


def test_a_self_reviewed_release_is_caught(honest: tuple[s.Soak, list[dict]],
                                           tmp_path: Path) -> None:
    origin = bare_copy(honest[0], tmp_path)
    work = tmp_path / "planter"
    s.git(tmp_path, "clone", "-q", str(origin), str(work))
    s.git(work, "checkout", "-q", "-b", "task/2-sneaky")
    (work / "work/task-2.txt").write_text("name: task-2\nend\n", encoding="utf-8")
    s.git(work, "add", "-A")
    s.git(work, "commit", "-q", "-m", "sneaky", env=s.identity("goldenfocus-agent-01"))
    head = s.git(work, "rev-parse", "HEAD")
    s.git(work, "checkout", "-q", "main")
    trailers = ("Gatebot-Task: #2\nGatebot-Event: released\nGatebot-Head: " + head +
                "\nGatebot-Reviewed-by: goldenfocus-agent-01, goldenfocus-agent-02")
    s.git(work, "merge", "-q", "--no-ff", "-m", f"Merge task #2\n\n{trailers}", head,
          env=s.identity("gatebot"))
    s.git(work, "push", "-q", "origin", "main")
    found = s.check_releases(origin)
    assert any("reviewer goldenfocus-agent-01 built it" in f for f in found), found
    assert any("approved no gate 1" in f for f in found), found
    plant(origin, {}, "Release again\n\nGatebot-Task: #1\nGatebot-Event: released\n"
          "Gatebot-Reviewed-by: goldenfocus-agent-02, Goldenfocus-Agent-02")
    found = s.check_releases(origin)
    assert any("task #1: 2 release commits" in f for f in found), found
    assert any("is not two distinct names" in f for f in found), found


def test_a_lost_board_commit_is_caught(honest: tuple[s.Soak, list[dict]],
                                       tmp_path: Path) -> None:
    soak, records = honest
    origin = bare_copy(soak, tmp_path)
    assert s.check_claims(origin, records) == []
    lost = s.git(origin, "commit-tree", "-p", "main", "-m",
                 "gatebot: claim #2\n\nGatebot-Task: #2\nGatebot-Event: claimed",
                 "main^{tree}", env=s.identity("gatebot"))
    told = {"agent": "goldenfocus-agent-02", "op": "claim", "task": 2, "rc": 0, "t0": 0,
            "t1": 1, "out": "", "err": f"task #2 claimed (board commit {lost[:7]})"}
    found = s.check_claims(origin, [*records, told])
    assert any(f"board commit {lost[:7]}" in f and "not on main" in f for f in found), found
    assert any("0 claimed commits on main but 1 claims reported won" in f for f in found)


def test_two_winners_of_one_claim_are_caught(honest: tuple[s.Soak, list[dict]]) -> None:
    soak, records = honest
    won = next(r for r in records if r["op"] == "claim" and r["rc"] == 0)
    twin = {**won, "agent": "goldenfocus-agent-01"}
    found = s.check_claims(soak.origin, [*records, twin])
    assert any("1 claimed commits on main but 2 claims reported won" in f for f in found)
    assert any("with no return to READY between" in f for f in found), found


def test_a_missing_archive_entry_is_caught(honest: tuple[s.Soak, list[dict]],
                                           tmp_path: Path) -> None:
    origin = bare_copy(honest[0], tmp_path)
    day = s.git(origin, "ls-tree", "-r", "--name-only", "main", "coordination/archive")
    text = s.git(origin, "show", f"main:{day}") + "\n"
    entries = text.split("\n### ")
    kept = "\n### ".join(e for e in entries if "- **Event**: approved" not in e)
    plant(origin, {day: kept})
    found = s.check_claims(origin, honest[1])
    assert found == ["task #1: 1 approved board commits but 0 archive entries"]


def test_an_accepted_probe_or_a_crash_is_caught(honest: tuple[s.Soak, list[dict]]) -> None:
    probe = next(r for r in honest[1] if r.get("probe") == "review-own")
    crash = {**probe, "probe": None, "expect": None, "rc": 3, "err": "internal error"}
    found = s.check_probes([{**probe, "rc": 0}, crash])
    assert len(found) == 2
    assert "review-own on #1 exited 0" in found[0]
    assert "exited 3: internal error" in found[1]


def test_a_claim_record_the_board_disowns_is_caught(tmp_path: Path) -> None:
    soak = s.setup(tmp_path, s.SoakConfig(agents=1, tasks=1))
    lead = soak.clone(s.LEAD)
    claimed = s.gatebot(lead, "claim", "1", "--as", "goldenfocus-agent-00",
                        name="goldenfocus-agent-00")
    assert claimed.returncode == 0, claimed.stderr
    assert s.check_status(lead) == []
    record = json.loads(s.git(lead, "log", "-1", "--format=%b",
                              "refs/gatebot/claims/1/goldenfocus-agent-00"))
    record.update(session_name="goldenfocus-agent-99", writer=None)  # a record written by hand
    put_commit(lead, "refs/gatebot/claims/1/goldenfocus-agent-99",
               f"planted\n\n{json.dumps(record)}\n", push=True)
    found = s.check_status(soak.clone(s.agent_name(0)))  # another clone sees it too
    assert found == ["status shows goldenfocus-agent-99 holding #1, which is IN-PROGRESS on "
                     "the board"], found


def test_parse_board_reads_sections_like_gatebot() -> None:
    text = ("# TODO\n\n## 🟢 Ready\n\n### #3 A\n**Assignee**: None\n\n## 🔨 In Progress\n\n"
            "### #4 B\n**Assignee**: x, y\n**Reviewed by (REVIEW)**: z ✅\n\n## Ready for prod\n\n"
            "### #5 C\n")
    tasks = s.parse_board(text)
    assert [(t.number, t.stage) for t in tasks] == [
        (3, "READY"), (4, "IN-PROGRESS"), (5, "RDY FOR PROD")]
    assert tasks[0].names("Assignee") == []
    assert tasks[1].names("Assignee") == ["x", "y"]
    assert tasks[1].names("Reviewed by (REVIEW)") == ["z"]


def test_the_retry_a_push_escalation_recommends_works(tmp_path: Path) -> None:
    """Found by the soak: 23 of 292 merges by 12 agents escalated as the base kept moving.

    A hook that refuses merge commits stands in for the moving base: both end
    in ``escalate_push``. Once the cause is gone, the escalation's own
    "re-run: gatebot merge --task 1" should land the task.
    """
    cfg = s.SoakConfig(agents=3, tasks=1, first_builds=())
    soak = s.setup(tmp_path, cfg)
    builder, reviewer, merger = (s.Agent(s.agent_spec(soak, cfg, i, time.time() + 600))
                                 for i in range(3))
    builder.build_mode = lambda: "good"  # type: ignore[method-assign]
    task = next(t for t in builder.board() if t.number == 1)
    builder.claim(task)
    builder.work(task)
    builder.submit(task)
    reviewer.review(next(t for t in reviewer.board() if t.number == 1))
    hook = soak.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nwhile read old new ref; do\n  [ $(git rev-list --parents -n1 "
                    "$new | wc -w) -gt 2 ] && { echo 'merges need a maintainer'; exit 1; }\n"
                    "done\nexit 0\n", encoding="utf-8")
    hook.chmod(0o755)
    escalated = merger.call("merge", 1, "merge", "--task", "1", "--as", merger.name)
    assert escalated.returncode == 1
    assert "Release push refused" in escalated.stdout
    retry = escalated.stdout.split("re-run: ", 1)[1].split("\n", 1)[0].split()
    assert retry[:2] == ["gatebot", "merge"]
    hook.unlink()
    done = s.gatebot(merger.path, *retry[1:], "--as", merger.name, name=merger.name)
    assert done.returncode == 0, done.stderr


def test_a_tested_in_tree_that_is_not_its_landings_last_is_caught(
        honest: tuple[s.Soak, list[dict]], tmp_path: Path) -> None:
    """``Gatebot-Tested-in`` on a release landed alone, or naming a tree other than the last
    of its landing's releases: main holds releases no check run tested."""
    origin = bare_copy(honest[0], tmp_path)
    assert s.check_tested_in(origin) == []
    tree = s.git(origin, "rev-parse", "main^{tree}")
    alone = plant(origin, {}, f"landed alone\n\nGatebot-Tested-in: {tree}")
    assert [p[:19] for p in s.check_tested_in(origin)] == [f"releases {alone[:10]}"]
    plant(origin, {}, "a board commit between two landings")
    first = plant(origin, {"work/a.txt": "name: a\nend\n"}, f"x\n\nGatebot-Tested-in: {tree}")
    plant(origin, {"work/b.txt": "name: b\nend\n"}, f"y\n\nGatebot-Tested-in: {tree}")
    found = s.check_tested_in(origin)
    assert len(found) == 2 and found[1].startswith(f"releases {first[:10]}"), found
