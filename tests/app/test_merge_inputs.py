"""What a user feeds ``gatebot merge`` and ``gatebot status``: shallow clones, the base
as the branch, control characters in board text. Real repositories, the real CLI."""

from __future__ import annotations

from pathlib import Path

from tests.app.test_merge import advance_main, approved_branch
from tests.repos import TODO, git, make_repo, run_cli, run_process

LONG_BODY = "".join(f"    x{i} = {i}\n" for i in range(100))
LONG_FUNCTION = f'"""Legacy."""\n\n\ndef legacy():\n    """Long."""\n{LONG_BODY}'
SHORT_FUNCTION = '"""Legacy."""\n\n\ndef legacy():\n    """Short."""\n'


def test_merge_in_a_shallow_clone_deepens_to_find_the_merge_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    repo.write("app/legacy.py", LONG_FUNCTION)  # an old debt on main
    repo.commit("legacy code")
    repo.git("push", "-q", "origin", "main")
    repo.git("checkout", "-q", "-b", "task/4-work")
    for n, rel in enumerate(("app/feature.py", "tests/test_f.py", "app/more.py")):
        repo.write(rel, f'"""Part {n}."""\n')
        head = repo.commit(f"feature part {n}", as_="builder-one")
    repo.git("push", "-q", "origin", "task/4-work")
    advance_main(repo, "app/legacy.py", SHORT_FUNCTION)  # main pays the debt meanwhile
    approved = run_cli(repo.path, "review", "--approve", "--as", "rev-a")
    assert approved.exit_code == 0, approved.output
    shallow = tmp_path / "shallow"  # two commits of each branch: not down to the merge base
    git(tmp_path, "clone", "-q", "--depth", "2", "--no-single-branch", f"file://{repo.origin}",
        str(shallow))
    result = run_cli(shallow, "merge", "--task", "4", "--as", "rev-b")
    assert result.exit_code == 0, result.output
    tip = repo.origin_sha()
    assert git(repo.origin, "rev-parse", f"{tip}^2") == head
    assert repo.origin_file("app/legacy.py") == SHORT_FUNCTION.strip()


def test_merge_of_the_base_branch_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    approved_branch(repo)
    before = repo.origin_sha()
    result = run_cli(repo.path, "merge", "--task", "4", "--branch", "main", "--as", "rev-b")
    assert result.exit_code == 2, result.output
    assert "'main' is the base branch" in result.output
    repo.git("push", "-q", "origin", "origin/main:refs/heads/task/4-same")
    same = run_cli(repo.path, "merge", "--task", "4", "--branch", "task/4-same", "--as", "rev-b")
    assert same.exit_code == 2, same.output
    assert "'task/4-same' is at the base tip" in same.output
    assert repo.origin_sha() == before


def test_status_text_escapes_control_characters_in_claims(tmp_path: Path) -> None:
    title = "First \u202etask\x9b31m x\u2028y\x85z"  # bidi override, CSI, line breaks
    repo = make_repo(tmp_path, todo=TODO.replace("### #1 First task", f"### #1 {title}"))
    claimed = run_process(repo.path, "claim", "1", "--as", "agent\u202eA", "--files", "a\u202eb",
                          env={"GATEBOT_CLAIMS__SETTLE": "[0, 0]"})
    assert claimed.returncode == 0, claimed.stderr
    for fmt, slash in (("text", "\\"), ("markdown", "\\\\")):
        result = run_process(repo.path, "status", "--format", fmt, env={"COLUMNS": "400"})
        assert result.returncode == 0, result.stderr
        assert not {"\u202e", "\x9b", "\u2028", "\x85"} & set(result.stdout)
        for shown in ("First \\u202etask\\x9b31m x\\u2028y\\x85z", "agent\\u202eA", "a\\u202eb"):
            assert shown.replace("\\", slash) in result.stdout, (fmt, result.stdout)
