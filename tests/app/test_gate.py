"""``gatebot gate``: GitHub's real webhook payloads replayed through the real CLI."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.repos import Repo, run_cli, run_process

WEBHOOKS = Path(__file__).resolve().parent.parent / "fixtures" / "github" / "webhooks"
PAYLOADS = sorted(WEBHOOKS.glob("*.json"))
PLANS = {
    "issue_comment.created.0.json": "nothing to do: comment 492700400: the comment holds no "
                                    "command",
    "issues.labeled.9.json": "nothing to do: gatebot does not act on issues being labeled",
    "issues.opened.15.json": "issue #1 becomes a READY task",
    "pull_request.labeled.8.json": "gate 1 on pull request #2 at ec26c3e57ca3 (changes into "
                                   "master; labeled)",
    "pull_request.opened.0.json": "gate 1 on pull request #2 at ec26c3e57ca3 (changes into "
                                  "master; opened)",
    "pull_request.synchronize.22.json": "gate 1 on pull request #2 at ec26c3e57ca3 (changes "
                                        "into master; synchronize)",
    "pull_request_review.submitted.0.json": "nothing to do: review 237895671 on pull request "
                                            "#2 only comments",
}


def actions_env(path: Path, event: str | None = None) -> dict[str, str]:
    """The variables GitHub Actions sets for an event whose payload is ``path``."""
    return {"GITHUB_EVENT_NAME": event or path.name.split(".")[0],
            "GITHUB_EVENT_PATH": str(path), "GITHUB_ACTIONS": "", "GITHUB_REPOSITORY": ""}


def test_every_payload_has_its_expected_plan() -> None:
    assert sorted(PLANS) == [p.name for p in PAYLOADS]


@pytest.mark.parametrize("path", PAYLOADS, ids=[p.name for p in PAYLOADS])
def test_each_real_payload_replays_without_a_crash(repo: Repo, path: Path) -> None:
    result = run_process(repo.path, "gate", env=actions_env(path))
    assert result.stdout.startswith(f"gatebot gate: {PLANS[path.name]}")
    assert "Traceback" not in result.stderr
    if result.stdout.startswith("gatebot gate: nothing to do"):
        assert (result.returncode, result.stderr) == (0, "")
    elif path.name.startswith("issues."):  # the board has task #1 in READY already
        assert (result.returncode, result.stderr) == (
            0, "nothing to write: task #1 is in READY already\n")
    else:  # gate 1 wants the payload's head checked out
        assert result.returncode == 2
        assert "not at pull request #2's head ec26c3e57ca3" in result.stderr
    assert repo.git("status", "--porcelain") == ""


@pytest.mark.parametrize("path", PAYLOADS, ids=[p.name for p in PAYLOADS])
def test_dry_run_prints_the_plan_and_does_nothing(repo: Repo, path: Path) -> None:
    before = repo.git("for-each-ref")
    result = run_cli(repo.path, "gate", "--dry-run", "--event", str(path), "--event-name",
                     path.name.split(".")[0])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"gatebot gate: {PLANS[path.name]}")
    assert result.stderr == "dry run: nothing done\n"
    assert repo.git("for-each-ref") == before


def test_an_unknown_event_is_nothing_to_do(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"ref": "refs/heads/main", "commits": []}', encoding="utf-8")
    result = run_cli(tmp_path, "gate", env=actions_env(event, "push"))
    assert result.exit_code == 0
    assert result.stdout == "gatebot gate: nothing to do: gatebot does not act on push events\n"


def test_schedule_runs_todays_sweep(repo: Repo, tmp_path: Path) -> None:
    event = tmp_path / "schedule.json"
    event.write_text('{"schedule": "*/15 * * * *"}', encoding="utf-8")
    result = run_cli(repo.path, "gate", env=actions_env(event, "schedule"))
    assert result.exit_code == 0, result.output
    assert "gatebot gate: sweep: record newly stale claims" in result.stdout
    assert "no newly stale claims" in result.stderr


def test_a_missing_field_exits_2_naming_it(repo: Repo, tmp_path: Path) -> None:
    data = json.loads((WEBHOOKS / "pull_request.opened.0.json").read_text(encoding="utf-8"))
    del data["pull_request"]["head"]["sha"]
    event = tmp_path / "event.json"
    event.write_text(json.dumps(data), encoding="utf-8")
    result = run_process(repo.path, "gate", env=actions_env(event, "pull_request"))
    assert result.returncode == 2
    assert result.stderr.startswith(
        "gatebot: the pull_request event's payload lacks pull_request.head.sha\n")
    assert result.stdout == ""


def test_a_refused_comment_command_exits_1_saying_why(repo: Repo, tmp_path: Path) -> None:
    data = json.loads((WEBHOOKS / "issue_comment.created.0.json").read_text(encoding="utf-8"))
    data["comment"]["body"] = "/heartbeat 140 nearly"
    event = tmp_path / "event.json"
    event.write_text(json.dumps(data), encoding="utf-8")
    result = run_cli(repo.path, "gate", env=actions_env(event, "issue_comment"))
    assert result.exit_code == 1
    assert "progress 140% is over 100" in result.stderr


@pytest.mark.parametrize(("args", "env", "message"), [
    ((), {}, "GITHUB_EVENT_NAME is not set"),
    ((), {"GITHUB_EVENT_NAME": "schedule"}, "GITHUB_EVENT_PATH is not set"),
    (("--event", "missing.json"), {"GITHUB_EVENT_NAME": "schedule"},
     "cannot read the event payload missing.json"),
    (("--event", "bad.json", "--event-name", "schedule"), {}, "bad.json is not JSON"),
    (("--event", "deep.json", "--event-name", "schedule"), {}, "nested too deeply"),
])
def test_a_missing_or_unreadable_event_exits_2(tmp_path: Path, args: tuple[str, ...],
                                               env: dict[str, str], message: str) -> None:
    (tmp_path / "bad.json").write_bytes(b'{"action": "opened"\xff')
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = run_cli(tmp_path, "gate", *args, env={"GITHUB_EVENT_NAME": "", **env})
    assert result.exit_code == 2
    assert message in result.stderr
    assert "hint:" in result.stderr


# -- mutated payloads: only a plan (exit 0) or a clean usage error (exit 2) -----------------------
def _paths(value: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside ``value`` (dict keys and list indices)."""
    items: list[tuple[Any, Any]] = (list(value.items()) if isinstance(value, dict) else
                                    list(enumerate(value)) if isinstance(value, list) else [])
    return [p for key, child in items for p in [(*prefix, key), *_paths(child, (*prefix, key))]]


_ODD = st.sampled_from([None, 0, -1, 2**70, 1.5, True, "", "x" * 3, [], {}, ["opened"],
                        {"id": 1}, "\x1b[2J", "approved"])


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, object]:
    """A real payload with one to three fields removed or replaced by a value of another type."""
    path = draw(st.sampled_from(PAYLOADS))
    data: object = json.loads(path.read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        where = draw(st.sampled_from(sorted(paths, key=repr)))
        parent: Any = data
        for key in where[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[where[-1]]
        else:
            parent[where[-1]] = draw(_ODD)
    if draw(st.integers(0, 20)) == 0:
        data = draw(_ODD)
    return path.name.split(".")[0], data


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_payloads_give_a_plan_or_a_usage_error_never_a_crash(
        case: tuple[str, object]) -> None:
    event, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "event.json")
        path.write_text(json.dumps(data), encoding="utf-8")
        result = run_cli(Path(tmp), "gate", "--dry-run",
                         env={"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path)})
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stderr.startswith("gatebot: the "), result.stderr
        assert "payload" in result.stderr
        assert "internal error" not in result.stderr
    else:
        assert result.stdout.startswith("gatebot gate: ")


# -- claim commands from comments, recorded by the forge ----------------------------------------
INSTANT = {"GATEBOT_CLAIMS__SETTLE": "[0, 0]"}


def comment_event(tmp: Path, body: str, *, login: str = "alice", issue: int = 1,
                  at: str = "2019-05-15T15:20:21Z") -> dict[str, str]:
    """The real ``issue_comment`` payload with ``body`` by ``login`` on ``issue``, written out."""
    data = json.loads((WEBHOOKS / "issue_comment.created.0.json").read_text(encoding="utf-8"))
    data["comment"].update(body=body, created_at=at)
    data["comment"]["user"].update(login=login, id=abs(hash(login)) % 10**8)
    data["issue"]["number"] = issue
    path = tmp / f"comment-{abs(hash((body, login, at)))}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return {**INSTANT, **actions_env(path, "issue_comment")}


def board_writes(repo: Repo) -> list[str]:
    """The origin's base and claim refs, to show that a replay writes nothing."""
    return repo.git("ls-remote", "origin").splitlines()


def stage_of_task_1(repo: Repo) -> str:
    """The section of the origin's TODO.md that holds task #1."""
    todo = repo.origin_file("TODO.md")
    return todo[:todo.index("### #1 ")].rsplit("\n## ", 1)[1].splitlines()[0]


def test_claim_heartbeat_and_release_from_comments_each_write_once(repo: Repo,
                                                                   tmp_path: Path) -> None:
    steps = [("/claim", "🔨 IN-PROGRESS", "claimed by alice", "alice holds this task already"),
             ("/heartbeat 40 writing tests", "🔨 IN-PROGRESS", "heartbeat #1: 40% task #1",
              "has this heartbeat"),
             ("/release", "🟢 READY", "back in READY", "in READY already")]
    for minute, (body, stage, said, replayed) in enumerate(steps):
        env = {**comment_event(tmp_path, f"Update.\n{body}", at=f"2030-01-01T10:0{minute}:00Z"),
               "GATEBOT_NOW": f"2030-01-01T10:0{minute}:30Z"}
        first = run_cli(repo.path, "gate", env=env)
        assert first.exit_code == 0, first.output
        assert (stage_of_task_1(repo), said in first.stderr) == (stage, True), first.stderr
        before = board_writes(repo)
        again = run_cli(repo.path, "gate", env=env)
        assert (again.exit_code, board_writes(repo)) == (0, before), again.output
        assert replayed in again.stderr


def test_the_claimant_is_the_comments_author_not_a_name_in_the_body(repo: Repo,
                                                                    tmp_path: Path) -> None:
    result = run_cli(repo.path, "gate",
                     env=comment_event(tmp_path, "/claim\nclaiming for @builder-one"))
    assert result.exit_code == 0, result.output
    todo = repo.origin_file("TODO.md")
    assert "**Assignee**: alice" in todo
    assert "builder-one" not in todo.split("## 🔨")[1].split("## 👀")[0]


def test_a_claim_on_a_task_someone_holds_is_refused(repo: Repo, tmp_path: Path) -> None:
    assert run_cli(repo.path, "gate", env=comment_event(tmp_path, "/claim")).exit_code == 0
    before = board_writes(repo)
    result = run_cli(repo.path, "gate", env=comment_event(tmp_path, "/claim", login="bob"))
    assert result.exit_code == 1
    assert "claimed by alice" in result.stderr
    assert board_writes(repo) == before


# -- gate 1 on a pull request's head ------------------------------------------------------------
def pull_request_event(tmp: Path, repo: Repo, branch: str) -> dict[str, str]:
    """The real ``pull_request`` opened payload for ``branch`` of ``repo`` into main, written out."""
    data = json.loads((WEBHOOKS / "pull_request.opened.0.json").read_text(encoding="utf-8"))
    data["pull_request"]["head"].update(ref=branch, sha=repo.git("rev-parse", branch))
    data["pull_request"]["base"]["ref"] = "main"
    path = tmp / f"pr-{branch.replace('/', '-')}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return actions_env(path, "pull_request")


def test_gate_1_judges_the_pull_requests_head(repo: Repo, tmp_path: Path) -> None:
    repo.git("switch", "-q", "-c", "task/1-first")
    repo.write("app/more.py", '"""More."""\n\n\ndef twice(x):\n    """Twice."""\n'
               "    return 2 * x\n")
    repo.write("tests/test_more.py", "from app.more import twice\n\n\ndef test_twice():\n"
               "    assert twice(2) == 4\n")
    repo.commit("Add twice")
    result = run_cli(repo.path, "gate", env=pull_request_event(tmp_path, repo, "task/1-first"))
    assert result.exit_code == 0, result.output
    assert "gate 1 on pull request #2" in result.stdout
    assert "function-length" in result.stdout
    repo.write("app/long.py", '"""Long."""\n' + "x = 1\n" * 950)
    repo.commit("A long file")
    result = run_cli(repo.path, "gate", env=pull_request_event(tmp_path, repo, "task/1-first"))
    assert result.exit_code == 1, result.output
    assert "app/long.py" in result.stdout


def test_gate_1_refuses_a_work_tree_at_another_head(repo: Repo, tmp_path: Path) -> None:
    repo.git("switch", "-q", "-c", "task/1-first")
    repo.write("app/more.py", '"""More."""\n')
    repo.commit("Add")
    env = pull_request_event(tmp_path, repo, "task/1-first")
    repo.git("switch", "-q", "main")
    result = run_cli(repo.path, "gate", env=env)
    assert result.exit_code == 2
    assert "not at pull request #2's head" in result.stderr


def test_an_issue_the_local_board_lacks_is_named(repo: Repo, tmp_path: Path) -> None:
    data = json.loads((WEBHOOKS / "issues.opened.15.json").read_text(encoding="utf-8"))
    data["issue"]["number"] = 9
    event = tmp_path / "issue.json"
    event.write_text(json.dumps(data), encoding="utf-8")
    before = board_writes(repo)
    result = run_cli(repo.path, "gate", env=actions_env(event, "issues"))
    assert result.exit_code == 2
    assert result.stderr.startswith("gatebot: no task #9 in TODO.md\n")
    assert board_writes(repo) == before


def test_inside_github_actions_the_forge_is_github_unless_told(repo: Repo,
                                                               tmp_path: Path) -> None:
    inside = {**comment_event(tmp_path, "/claim"), "GITHUB_ACTIONS": "true",
              "GITHUB_REPOSITORY": "acme/widgets", "GITHUB_TOKEN": ""}
    result = run_cli(repo.path, "gate", env=inside)
    assert result.exit_code == 2  # the github forge, not the board in git: it needs a token
    assert "no GitHub credentials" in result.stderr
    assert stage_of_task_1(repo) == "🟢 READY"
    result = run_cli(repo.path, "gate", "--forge", "local", env=inside)
    assert result.exit_code == 0, result.output
    assert stage_of_task_1(repo) == "🔨 IN-PROGRESS"
