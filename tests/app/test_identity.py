"""One person, one gate (SPEC §3): an actor is an identity, matched whole and Unicode-folded.

Black-box: every gatebot command here is a real ``python -m gatebot`` process in
a clone of a bare origin, as an adversarial builder or reviewer would run it.
"""

from __future__ import annotations

from tests.repos import Repo, git, run_process


def push_task_branch(repo: Repo, *, builder: str = "builder-one") -> str:
    """Push ``task/4-work`` with a small change built by ``builder``; return its head SHA."""
    repo.git("checkout", "-q", "-b", "task/4-work", "origin/main")
    repo.write("app/feature.py", '"""F."""\n')
    repo.write("tests/test_f.py", "x = 1\n")
    head = repo.commit("feature work", as_=builder)
    repo.git("push", "-q", "origin", "task/4-work")
    return head


def trailers(repo: Repo, rev: str = "main") -> str:
    """The message of ``rev`` on origin."""
    return git(repo.origin, "log", "-1", "--format=%B", rev)


def test_gate1_reviewer_cannot_land_under_their_git_email(repo: Repo) -> None:
    """The issue's scenario: approve ``--as rev1``, then ``merge`` with no ``--as`` as rev1@x.org."""
    repo.git("config", "user.email", "rev1@x.org")
    head = push_task_branch(repo)
    approved = run_process(repo.path, "review", "--approve", "--as", "rev1")
    assert approved.returncode == 0, approved.stderr
    message = trailers(repo)
    assert "Gatebot-Actor: rev1\n" in message
    assert "Gatebot-Actor-Git: <rev1@x.org>" in message
    before = repo.origin_sha()
    merged = run_process(repo.path, "merge", "--task", "4")
    assert merged.returncode == 1, merged.stdout + merged.stderr
    assert "rev1@x.org may not review" in merged.stderr
    assert "approved gate 1 (rev1 (git <rev1@x.org>))" in merged.stderr
    assert repo.origin_sha() == before
    # someone else, in their own clone with their own git identity, lands it
    other = repo.path.parent / "rev2-clone"
    git(repo.path.parent, "clone", "-q", str(repo.origin), str(other))
    git(other, "config", "user.name", "Rev Two")
    git(other, "config", "user.email", "rev2@y.org")
    landed = run_process(other, "merge", "--task", "4")
    assert landed.returncode == 0, landed.stdout + landed.stderr
    message = trailers(repo)
    assert git(repo.origin, "rev-parse", "main^2") == head
    assert "Gatebot-Reviewed-by: rev1, rev2@y.org" in message
    assert "Gatebot-Actor-Git: Rev Two <rev2@y.org>" in message
    assert "Gatebot-Reviewer-Git: <rev1@x.org>" in message


def test_full_width_names_are_the_same_person(repo: Repo) -> None:
    """``ｂｕｉｌｄｅｒ－ｏｎｅ`` is ``builder-one`` (NFKC casefold), at both gates."""
    push_task_branch(repo)
    before = repo.origin_sha()
    builder = run_process(repo.path, "review", "--approve", "--as", "ＢＵＩＬＤＥＲ－ｏｎｅ")
    assert builder.returncode == 1, builder.stderr
    assert "builder of this change" in builder.stderr
    assert "author of" in builder.stderr
    assert repo.origin_sha() == before
    approved = run_process(repo.path, "review", "--approve", "--as", "rev1")
    assert approved.returncode == 0, approved.stderr
    after_approval = repo.origin_sha()
    again = run_process(repo.path, "merge", "--task", "4", "--as", "ＲＥＶ１")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "approved gate 1" in again.stderr
    assert repo.origin_sha() == after_approval
