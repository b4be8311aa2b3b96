"""The fake GitHub server, driven by the real PyGithub over real HTTP.

Each resource round-trips; pagination, label events, review commit ids, the fast-forward-only
ref PATCH, each injected fault as PyGithub sees it, and the validator catching a malformed
answer. Every response in every test here is also checked against GitHub's OpenAPI description
by the ``fake_github`` fixture.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
from github import GithubException, GithubRetry
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)

from tests.fakegithub import FakeGitHub
from tests.fakegithub.state import Comment

REPO = "acme/widgets"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_repository_and_accounts(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice", name="Alice")
    gh = fake_github.client(alice)
    repo = gh.get_repo(REPO)
    assert (repo.full_name, repo.default_branch, repo.owner.login) == (REPO, "main", "acme")
    me = gh.get_user()
    assert (me.login, me.id, me.type) == ("alice", alice.id, "User")
    bot = gh.get_user("gatebot[bot]")
    assert (bot.type, bot.id) == ("Bot", fake_github.bot.id)
    with pytest.raises(UnknownObjectException):
        gh.get_user("nobody")


def test_issue_round_trip_with_assignees(fake_github: FakeGitHub) -> None:
    alice, bob = fake_github.add_user("alice"), fake_github.add_user("bob")
    repo = fake_github.client(alice).get_repo(REPO)
    issue = repo.create_issue("Rate limiter", body="details", labels=["status:ready"],
                              assignees=["bob"])
    assert (issue.number, issue.user.login, issue.state) == (1, "alice", "open")
    assert [a.login for a in issue.assignees] == ["bob"]
    issue.edit(title="Rate limiter v2", state="closed")
    issue.remove_from_assignees("bob")
    issue.add_to_assignees("alice")
    again = repo.get_issue(1)
    assert (again.title, again.state, again.body) == ("Rate limiter v2", "closed", "details")
    assert again.closed_at is not None
    assert [a.login for a in again.assignees] == ["alice"]
    events = [(e.event, e.actor.login) for e in again.get_events()]
    assert events == [("labeled", "alice"), ("assigned", "alice"), ("unassigned", "alice"),
                      ("assigned", "alice")]
    assert [i.number for i in repo.get_issues(state="closed")] == [1]
    assert list(repo.get_issues(state="open")) == []
    assert bob.id in {e.assignee.id for e in again.get_events() if e.assignee}


def test_comments_create_edit_delete(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    fake_github.clock.set(datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC))
    issue = fake_github.client(alice).get_repo(REPO).get_issue(
        fake_github.create_issue("Task", alice))
    first = issue.create_comment("claim")
    second = issue.create_comment("claim too")
    assert second.id > first.id
    assert first.created_at == second.created_at == datetime(2026, 3, 1, 12, tzinfo=UTC)
    fake_github.clock.advance(90)
    first.edit("heartbeat")
    assert first.body == "heartbeat"
    assert (first.updated_at - first.created_at).total_seconds() == 90
    second.delete()
    assert [c.body for c in issue.get_comments()] == ["heartbeat"]
    with pytest.raises(UnknownObjectException):
        issue.get_comment(second.id)


def test_pagination_over_250_comments_follows_link_headers(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    number = fake_github.create_issue("Busy", alice)
    st = fake_github.state
    with st.lock:
        for n in range(250):
            cid, now = st.new_id("comment"), st.clock.now()
            st.comments[cid] = Comment(cid, number, alice.id, f"comment {n}", now, now)
    gh = fake_github.client(alice, per_page=100)
    issue = gh.get_repo(REPO).get_issue(number)
    fake_github.reset_log()
    bodies = [c.body for c in issue.get_comments()]
    assert bodies == [f"comment {n}" for n in range(250)]
    pages = [parse_qs(r.query) for r in fake_github.requests if r.path.endswith("/comments")]
    assert pages == [{"per_page": ["100"]}, {"per_page": ["100"], "page": ["2"]},
                     {"per_page": ["100"], "page": ["3"]}]
    url = f"{fake_github.url}/repos/{REPO}/issues/{number}/comments"
    answer = requests.get(url, params={"per_page": 100, "page": 2}, timeout=5)
    assert answer.links["next"]["url"].endswith("page=3")
    assert answer.links["prev"]["url"].endswith("page=1")
    assert answer.links["last"]["url"].endswith("page=3")
    assert len(answer.json()) == 100


def test_labels_and_their_events(fake_github: FakeGitHub) -> None:
    alice, bob = fake_github.add_user("alice"), fake_github.add_user("bob")
    repo = fake_github.client(alice).get_repo(REPO)
    repo.create_label("status:review", "0e8a16", "in review")
    with pytest.raises(GithubException) as taken:
        repo.create_label("STATUS:review", "000000")
    assert taken.value.status == 422
    issue = repo.get_issue(fake_github.create_issue("Task", alice))
    issue.add_to_labels("status:review", "claimed")
    fake_github.client(bob).get_repo(REPO).get_issue(issue.number).remove_from_labels("claimed")
    assert [lb.name for lb in issue.get_labels()] == ["status:review"]
    with pytest.raises(GithubException) as missing:
        issue.remove_from_labels("claimed")
    assert (missing.value.status, missing.value.data["message"]) == (404, "Label does not exist")
    events = [(e.event, e.label.name, e.actor.login) for e in issue.get_events()]
    assert events == [("labeled", "status:review", "alice"), ("labeled", "claimed", "alice"),
                      ("unlabeled", "claimed", "bob")]
    assert {lb.name for lb in repo.get_labels()} == {"status:review", "claimed"}
    assert repo.get_label("status:review").description == "in review"
    issue.set_labels("stale")
    assert [lb.name for lb in repo.get_issue(issue.number).labels] == ["stale"]
    repo.get_label("stale").delete()
    assert repo.get_issue(issue.number).labels == []


def test_pull_request_agrees_with_git(fake_github: FakeGitHub, tmp_path: Path) -> None:
    alice = fake_github.add_user("alice", email="alice@example.com")
    fake_github.push_commit("task/1-limiter", {"lib.py": "x = 1\n"}, "Add limiter", alice)
    repo = fake_github.client(alice).get_repo(REPO)
    pr = repo.create_pull(title="Limiter", body="Closes #1", head="task/1-limiter", base="main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(fake_github.git_dir), str(clone))
    assert pr.head.sha == git(clone, "rev-parse", "origin/task/1-limiter")
    assert pr.base.sha == git(clone, "rev-parse", "origin/main")
    assert (pr.user.login, pr.merged, pr.head.ref, pr.commits) == ("alice", False,
                                                                   "task/1-limiter", 1)
    pushed = fake_github.push_commit("task/1-limiter", {"lib.py": "x = 2\n"}, "Tune", alice)
    assert repo.get_pull(pr.number).head.sha == pushed
    assert [c.author.login for c in pr.get_commits()] == ["alice", "alice"]
    with pytest.raises(GithubException) as dup:
        repo.create_pull(title="Again", body="", head="task/1-limiter", base="main")
    assert dup.value.status == 422
    git(clone, "fetch", "--quiet")
    git(clone, "checkout", "--quiet", "main")
    git(clone, "-c", "user.name=x", "-c", "user.email=x@example.com", "merge", "--quiet",
        "--no-ff", "-m", "Land", "origin/task/1-limiter")
    git(clone, "push", "--quiet", "origin", "main")
    landed = repo.get_pull(pr.number)
    assert (landed.merged, landed.state, landed.head.sha) == (True, "closed", pushed)
    assert [p.number for p in repo.get_pulls(state="closed")] == [pr.number]


def test_reviews_carry_commit_id(fake_github: FakeGitHub) -> None:
    alice, bob = fake_github.add_user("alice"), fake_github.add_user("bob")
    first = fake_github.push_commit("task/2-x", {"a.py": "a\n"}, "A", alice)
    number = fake_github.create_pull("task/2-x", alice)
    pr = fake_github.client(bob).get_repo(REPO).get_pull(number)
    approval = pr.create_review(body="lgtm", event="APPROVE")
    assert (approval.state, approval.commit_id, approval.user.login) == ("APPROVED", first, "bob")
    second = fake_github.push_commit("task/2-x", {"a.py": "b\n"}, "B", alice)
    pr.create_review(body="needs tests", event="REQUEST_CHANGES")
    pr.create_review(body="a note", event="COMMENT")
    reviews = [(r.state, r.commit_id) for r in pr.get_reviews()]
    assert reviews == [("APPROVED", first), ("CHANGES_REQUESTED", second),
                       ("COMMENTED", second)]
    approval.dismiss("pushed again")
    assert pr.get_review(approval.id).state == "DISMISSED"
    own = fake_github.client(alice).get_repo(REPO).get_pull(number)
    with pytest.raises(GithubException) as refused:
        own.create_review(body="mine", event="APPROVE")
    assert refused.value.status == 422


def test_check_runs_with_annotation_batches(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    sha = fake_github.push_commit("task/3-y", {"b.py": "b\n"}, "B", alice)
    repo = fake_github.client(fake_github.bot).get_repo(REPO)
    notes = [{"path": "b.py", "start_line": n, "end_line": n, "annotation_level": "failure",
              "message": f"finding {n}"} for n in range(1, 121)]
    run = repo.create_check_run("gatebot/gate-1", sha, status="in_progress",
                                output={"title": "Gate 1", "summary": "s",
                                        "annotations": notes[:50]})
    run.edit(output={"title": "Gate 1", "summary": "s", "annotations": notes[50:100]})
    run.edit(conclusion="failure", output={"title": "Gate 1", "summary": "3 failures",
                                           "annotations": notes[100:]})
    with pytest.raises(GithubException) as too_many:
        run.edit(output={"title": "Gate 1", "summary": "s", "annotations": notes[:51]})
    assert too_many.value.status == 422
    got = repo.get_check_run(run.id)
    assert (got.status, got.conclusion, got.output.annotations_count) == (
        "completed", "failure", 120)
    assert [a.message for a in got.get_annotations()] == [n["message"] for n in notes]
    repo.create_check_run("gatebot/gate-1", sha, conclusion="success",
                          output={"title": "Gate 1", "summary": "fixed"})
    runs = repo.get_commit("task/3-y").get_check_runs()
    assert [(r.name, r.conclusion) for r in runs] == [("gatebot/gate-1", "success")]
    assert repo.get_commit(sha).get_check_runs(filter="all").totalCount == 2
    as_user = fake_github.client(alice).get_repo(REPO)
    with pytest.raises(GithubException) as user_token:
        as_user.create_check_run("gatebot/gate-1", sha)
    assert user_token.value.status == 403


def test_statuses_and_combined_status(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    sha = fake_github.push_commit("task/4-z", {"c.py": "c\n"}, "C", alice)
    repo = fake_github.client(alice).get_repo(REPO)
    commit = repo.get_commit(sha)
    assert commit.get_combined_status().state == "pending"
    commit.create_status("failure", description="gate 1 failed", context="gatebot/gate-1")
    commit.create_status("success", context="gatebot/gate-2")
    assert commit.get_combined_status().state == "failure"
    commit.create_status("success", description="gate 1 passed", context="gatebot/gate-1")
    combined = commit.get_combined_status()
    assert (combined.state, combined.total_count, combined.sha) == ("success", 2, sha)
    listed = requests.get(f"{fake_github.url}/repos/{REPO}/commits/{sha}/statuses", timeout=5)
    assert [s["state"] for s in listed.json()] == ["success", "success", "failure"]
    # PyGithub's Commit.get_statuses() calls GET /repos/{o}/{r}/statuses/{sha}, which GitHub's
    # description does not have: the fake answers 404 and reports it
    with pytest.raises(UnknownObjectException):
        list(commit.get_statuses())
    assert ["OperationNotFound" in v for v in fake_github.take_violations()] == [True]


def test_ref_patch_refuses_a_non_fast_forward(fake_github: FakeGitHub) -> None:
    alice = fake_github.add_user("alice")
    base = fake_github.state.git.ref("refs/heads/main")
    ahead = fake_github.push_commit("side", {"d.py": "d\n"}, "D", alice)
    repo = fake_github.client(alice).get_repo(REPO)
    main = repo.get_git_ref("heads/main")
    assert main.object.sha == base
    main.edit(ahead)
    assert fake_github.state.git.ref("refs/heads/main") == ahead
    other = fake_github.push_commit("other", {"e.py": "e\n"}, "E", alice, start="side")
    rewind = repo.get_git_ref("heads/main")
    with pytest.raises(GithubException) as refused:
        rewind.edit(base)
    assert (refused.value.status, refused.value.data["message"]) == (
        422, "Update is not a fast forward")
    assert fake_github.state.git.ref("refs/heads/main") == ahead
    rewind.edit(base, force=True)
    assert fake_github.state.git.ref("refs/heads/main") == base
    created = repo.create_git_ref("refs/heads/release", other)
    assert created.object.sha == other
    assert [r.ref for r in repo.get_git_matching_refs("heads/rel")] == ["refs/heads/release"]
    created.delete()
    assert fake_github.state.git.ref("refs/heads/release") is None


def test_a_push_is_visible_through_the_api(fake_github: FakeGitHub, tmp_path: Path) -> None:
    clone = tmp_path / "dev"
    git(tmp_path, "clone", "--quiet", str(fake_github.git_dir), str(clone))
    (clone / "f.txt").write_text("f\n")
    git(clone, "add", "f.txt")
    git(clone, "-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "-qm", "F")
    git(clone, "push", "--quiet", "origin", "HEAD:refs/heads/feature")
    repo = fake_github.client(fake_github.owner).get_repo(REPO)
    sha = git(clone, "rev-parse", "HEAD")
    assert repo.get_git_ref("heads/feature").object.sha == sha
    commit = repo.get_commit(sha)
    assert commit.commit.author.email == git(clone, "log", "-1", "--format=%ae")
    assert commit.raw_data["author"] == {}  # an email GitHub links to no account


def test_date_and_rate_limit_headers(fake_github: FakeGitHub) -> None:
    fake_github.clock.set(datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC))
    url = f"{fake_github.url}/repos/{REPO}"
    auth = {"Authorization": f"token {fake_github.owner.token}"}
    first = requests.get(url, headers=auth, timeout=5)
    second = requests.get(url, headers=auth, timeout=5)
    assert parsedate_to_datetime(first.headers["Date"]) == datetime(2026, 5, 4, 3, 2, 1,
                                                                   tzinfo=UTC)
    assert int(first.headers["X-RateLimit-Remaining"]) - 1 == \
        int(second.headers["X-RateLimit-Remaining"])
    assert first.headers["X-RateLimit-Limit"] == "5000"
    gh = fake_github.client(fake_github.owner)
    assert gh.get_rate_limit().resources.core.limit == 5000


# --- faults: each as PyGithub sees it when GitHub answers so -------------------------------

ISSUES = f"/repos/{REPO}/issues/*"


def _issue(fake: FakeGitHub, **client_args: object):
    number = fake.create_issue("Task", fake.owner)
    return fake.client(fake.owner, **client_args).get_repo(REPO).get_issue(number)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "exception", "status"), [
    ("401", BadCredentialsException, 401),
    ("403-secondary", RateLimitExceededException, 403),
    ("409", GithubException, 409),
    ("422", GithubException, 422),
    ("429", GithubException, 429),
    ("500", GithubException, 500),
    ("502", GithubException, 502),
])
def test_fault_status_as_pygithub_sees_it(fake_github: FakeGitHub, kind: str,
                                          exception: type[GithubException], status: int) -> None:
    issue = _issue(fake_github)
    fake_github.inject(kind, method="POST", path=f"{ISSUES}/comments", retry_after=0)
    with pytest.raises(exception) as raised:
        issue.create_comment("claim")
    assert raised.value.status == status
    assert list(issue.get_comments()) == []
    assert issue.create_comment("claim").body == "claim"


def test_secondary_rate_limit_is_retried_after_retry_after(fake_github: FakeGitHub) -> None:
    issue = _issue(fake_github, retry=GithubRetry(total=3, backoff_factor=0))
    fake_github.inject("403-secondary", method="POST", path=f"{ISSUES}/comments",
                       retry_after=1)
    issue.create_comment("claim")
    assert [c.body for c in issue.get_comments()] == ["claim"]
    posts = fake_github.writes()
    assert [(r.status, r.fault) for r in posts] == [(403, "403-secondary"), (201, None)]
    assert posts[1].at - posts[0].at >= 1.0  # the client waited Retry-After's second


def test_server_errors_are_retried_for_reads(fake_github: FakeGitHub) -> None:
    issue = _issue(fake_github, retry=GithubRetry(total=3, backoff_factor=0))
    fake_github.inject("502", method="GET", path=f"{ISSUES}/labels", times=2)
    assert list(issue.get_labels()) == []
    assert [r.status for r in fake_github.requests if r.path.endswith("/labels")] == [
        502, 502, 200]


def test_a_lost_answer_after_the_write_leaves_the_write_done(fake_github: FakeGitHub) -> None:
    issue = _issue(fake_github)
    fake_github.inject("502", method="POST", path=f"{ISSUES}/comments", after=True)
    with pytest.raises(GithubException):
        issue.create_comment("claim")
    assert [c.body for c in issue.get_comments()] == ["claim"]


def test_dropped_connection(fake_github: FakeGitHub) -> None:
    issue = _issue(fake_github)
    fake_github.inject("drop", method="POST", path=f"{ISSUES}/comments")
    with pytest.raises(requests.exceptions.ConnectionError):
        issue.create_comment("claim")
    assert list(issue.get_comments()) == []
    retrying = _issue(fake_github, retry=GithubRetry(total=2, backoff_factor=0))
    fake_github.inject("drop", method="GET", path=f"{ISSUES}/labels")
    assert list(retrying.get_labels()) == []


def test_slow_answer_past_the_timeout(fake_github: FakeGitHub) -> None:
    issue = _issue(fake_github, timeout=1)  # PyGithub's shortest: whole seconds
    fake_github.inject("slow", method="POST", path=f"{ISSUES}/comments", delay=10)
    with pytest.raises(requests.exceptions.ReadTimeout):
        issue.create_comment("claim")
    assert [c.body for c in issue.get_comments()] == ["claim"]


def test_malformed_answer_is_caught_by_the_validator(fake_github: FakeGitHub) -> None:
    issue = _issue(fake_github)

    def drop_user(body: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in body.items() if k != "user"}

    fake_github.inject("malformed", method="POST", path=f"{ISSUES}/comments", mutate=drop_user)
    issue.create_comment("claim")
    found = fake_github.take_violations()
    assert len(found) == 1
    assert "POST /repos/acme/widgets/issues/1/comments -> 201" in found[0]
    assert "'user' is a required property" in found[0]


def test_the_same_malformed_answer_twice_is_two_violations(fake_github: FakeGitHub) -> None:
    number = fake_github.create_issue("Task", fake_github.owner)
    repo = fake_github.client(fake_github.owner).get_repo(REPO)
    fake_github.inject("malformed", method="GET", path=f"/repos/{REPO}/issues/{number}",
                       times=2, mutate=lambda body: {k: v for k, v in body.items() if k != "user"})
    assert repo.get_issue(number).raw_data == repo.get_issue(number).raw_data  # equal answers
    found = fake_github.take_violations()
    assert len(found) == 2
    assert all("'user' is a required property" in f for f in found)


def test_an_operation_the_description_lacks_is_a_violation(fake_github: FakeGitHub) -> None:
    answer = requests.get(f"{fake_github.url}/repos/{REPO}/issues/1/timeline", timeout=5)
    assert answer.status_code == 404
    found = fake_github.take_violations()
    assert found
    assert all("PathNotFound" in f for f in found)


def test_unknown_fault_kind_is_refused(fake_github: FakeGitHub) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        fake_github.inject("418")
