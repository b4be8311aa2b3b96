"""``gate-files`` in GitHub mode: a maintainer is an approving reviewer with the admin or
maintain role on the repository (GitHub's collaborator permission), never a name in a file.

A change to ``tox.ini`` fails gate 1's ``gate-files`` rule when it is pushed (nobody has
approved it yet); the gate-1 approval of a maintainer then meets it, and gate 2 lands it when
either reviewer is one. The same approvals by people with the write role move nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatebot.adapters.github.identity import maintainers
from gatebot.adapters.github.verdicts import Publication, publish
from gatebot.core.verdict import RuleResult, Verdict
from tests.fakegithub.server import FakeGitHub
from tests.github.gate1_runs import record_runs
from tests.github.helpers import conn, person
from tests.github.test_review_event import BRANCH, REPO, TODO, Pull
from tests.repos import NO_CHECKS, git


@pytest.fixture
def gate_pull(fake_github: FakeGitHub, tmp_path: Path) -> Pull:
    """Task #1 in REVIEW; its pull request changes tox.ini; gate 1 failed on gate-files only."""
    return _pull(fake_github, tmp_path, {"tox.ini": "[tox]\nenv_list = py\n"}, "fail")


def _pull(fake: FakeGitHub, tmp_path: Path, files: dict[str, str], gate_files: str) -> Pull:
    """Task #1 in REVIEW, its pull request adding ``files``, gate 1's ``gate-files`` as given."""
    alice, bob = fake.add_user("alice"), fake.add_user("bob")
    base = fake.push_commit("main", {"TODO.md": TODO, ".gatebot.toml": NO_CHECKS}, "Board",
                            fake.owner)
    task = fake.create_issue("Rate limiter", fake.owner, labels=("status:review",))
    with fake.state.lock:
        fake.state.issues[task].assignees.append(bob.id)
    head = fake.push_commit(BRANCH, files, "The work", alice)
    number = fake.create_pull(BRANCH, alice, body=f"Closes #{task}")
    verdict = Verdict("review", head, base, (
        RuleResult("gate-files", gate_files, f"{', '.join(files)} changed"),
        RuleResult("checks.tests", "pass", "passed")))
    conclusion = "success" if gate_files == "pass" else "failure"
    runs = record_runs(fake, head, conclusion=conclusion)  # the publish job's, with it
    publish(conn(fake, fake.bot), Publication(number, "gate-1", verdict,
                                              f"## gate 1: {gate_files}\n",
                                              pushers=(person(alice),), runs=runs, base="main"),
            person(fake.bot))
    work = tmp_path / "job"
    git(tmp_path, "clone", "-q", str(fake.git_dir), str(work))
    return Pull(fake, work, number, head, tmp_path)


def _user(pull: Pull, login: str, role: str) -> object:
    user = pull.fake.add_user(login)
    with pull.fake.state.lock:
        pull.fake.state.roles[user.id] = role
    return user


def _both_approve(pull: Pull, first: object, second: object) -> tuple[int, str]:
    """``first`` approves (gate 1 passes: RDY FOR PROD), then ``second``: gate 2's answer."""
    code, out = pull.gate(pull.approve(first))  # type: ignore[arg-type]
    assert code == 0, out
    assert pull.labels() == ["status:rdy-for-prod"], out
    return pull.gate(pull.approve(second))  # type: ignore[arg-type]


def test_a_maintainers_approval_meets_gate_files_at_both_gates(gate_pull: Pull) -> None:
    carol, dave = _user(gate_pull, "carol", "maintain"), _user(gate_pull, "dave", "read")
    code, out = _both_approve(gate_pull, carol, dave)
    assert code == 0, out
    assert len(gate_pull.fake.state.dispatches) == 1, out  # staged: gate-files passed


def test_a_writers_approval_does_not_meet_gate_files(gate_pull: Pull) -> None:
    carol = _user(gate_pull, "carol", "write")
    code, out = gate_pull.gate(gate_pull.approve(carol))  # type: ignore[arg-type]
    assert code == 0, out
    assert "gate 1's automated rules have not passed" in out
    assert gate_pull.labels() == ["status:review"]


def test_gate_2_refuses_gate_files_without_a_maintainer(gate_pull: Pull) -> None:
    carol, dave = _user(gate_pull, "carol", "write"), _user(gate_pull, "dave", "triage")
    bot = gate_pull.fake.client(gate_pull.fake.bot).get_repo(REPO)
    bot.get_issue(1).set_labels("status:rdy-for-prod")
    gate_pull.gate(gate_pull.approve(carol))  # type: ignore[arg-type]
    code, out = gate_pull.gate(gate_pull.approve(dave))  # type: ignore[arg-type]
    assert code == 1, out
    assert "rule gate-files" in out and "maintainer" in out
    assert gate_pull.fake.state.dispatches == []


def test_gate_2_refuses_a_root_pip_package(fake_github: FakeGitHub, tmp_path: Path) -> None:
    """The staging workflow runs ``python -m pip install gatebot`` in the staging commit's
    checkout, which imports the branch's root ``pip/`` first: its ``__main__`` could install
    a ``gatebot`` that reports every check passed. A gate 1 that counted ``pytest.py`` but not
    ``pip`` passed gate-files, and two writers' approvals staged it; gate 2 judges again."""
    pull = _pull(fake_github, tmp_path, {"pip/__init__.py": "", "pip/__main__.py": "pass\n",
                                         "app.py": '"""App."""\n',
                                         "tests/test_app.py": "x = 1\n"}, "pass")
    carol, dave = _user(pull, "carol", "write"), _user(pull, "dave", "write")
    code, out = _both_approve(pull, carol, dave)
    assert code == 1, out
    assert "rule gate-files" in out and "pip/__init__.py" in out
    assert pull.fake.state.dispatches == []


def test_maintainers_are_read_from_the_repository_role(fake_github: FakeGitHub) -> None:
    roles = {"ann": "admin", "mo": "maintain", "wes": "write", "tia": "triage", "rita": "read"}
    for login, role in roles.items():
        user = fake_github.add_user(login)
        fake_github.state.roles[user.id] = role
    found = maintainers(conn(fake_github, fake_github.bot), [*roles, "nobody", "ann"])
    assert found == ("ann", "mo")
    assert maintainers(conn(fake_github, fake_github.bot), [fake_github.owner.login]) == ("acme",)


def _gate1_runs(pull: Pull) -> list[tuple[str | None, str]]:
    """gatebot/gate-1 check runs on the head, oldest first: (conclusion, title)."""
    return [(r.conclusion, r.title or "") for r in sorted(
        pull.fake.state.check_runs.values(), key=lambda r: r.id)
        if r.name == "gatebot/gate-1" and r.head_sha == pull.head]


def test_a_maintainers_approval_turns_gate_1s_check_run_green_and_a_dismissal_back(
        gate_pull: Pull) -> None:
    """As policy-bot and kodiak do: the check a branch protection requires turns green when
    the approval the rule needs arrives, once; when that approval is dismissed, red again."""
    carol = _user(gate_pull, "carol", "maintain")
    env = gate_pull.approve(carol)  # type: ignore[arg-type]
    code, out = gate_pull.gate(env)
    assert code == 0, out
    assert _gate1_runs(gate_pull)[-1] == (
        "success", "gatebot/gate-1: pass (gate-files approved by @carol)"), out
    code, out = gate_pull.gate(env)  # the same event again: no second run
    assert code == 0, out
    assert len(_gate1_runs(gate_pull)) == 2
    review = gate_pull.fake.client(gate_pull.fake.owner).get_repo(REPO).get_pull(
        gate_pull.number).get_review(int(json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(
            encoding="utf-8"))["review"]["id"]))
    review.dismiss("not yet")
    code, out = gate_pull.gate(env)
    assert code == 0, out
    assert _gate1_runs(gate_pull)[-1][0] == "failure", out


def test_a_writers_approval_leaves_gate_1s_check_run_red(gate_pull: Pull) -> None:
    carol = _user(gate_pull, "carol", "write")
    code, out = gate_pull.gate(gate_pull.approve(carol))  # type: ignore[arg-type]
    assert code == 0, out
    assert [c for c, _ in _gate1_runs(gate_pull)] == ["failure"]
