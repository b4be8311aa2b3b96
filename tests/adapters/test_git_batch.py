"""The git adapter's batched reads answer exactly as one git process per question did."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatebot.adapters.git import Git, is_sha
from gatebot.errors import GitError
from tests.repos import git, make_repo


def test_read_files_reads_many_files_of_many_commits_in_one_answer(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    first = repo.git("rev-parse", "HEAD")
    repo.write("odd name.txt", "spaces\n")
    repo.write("bytes.bin", "")
    (repo.path / "bytes.bin").write_bytes(b"\xff\x00\n\nend")
    second = repo.commit("more files")
    found = Git(repo.path).read_files([
        (second, "odd name.txt"), (first, "odd name.txt"), (second, "bytes.bin"),
        (second, "missing.txt"), ("no-such-ref", "TODO.md"), (first, "TODO.md"),
    ])
    assert found[0] == b"spaces\n"
    assert found[1] is None  # not in the first commit
    assert found[2] == b"\xff\x00\n\nend"  # every byte, newlines inside included
    assert found[3] is None and found[4] is None
    assert found[5] == (repo.path / "TODO.md").read_bytes()


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with pytest.raises(GitError, match="app is a tree, not a file"):
        Git(repo.path).show("HEAD", "app")


def test_a_path_with_a_line_break_is_read_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    repo.write("two\nlines.txt", "x\n")
    head = repo.commit("a name with a line break")
    assert Git(repo.path).read_files([(head, "two\nlines.txt"), (head, "nothing\nhere")]) == [
        b"x\n", None]


def test_fetching_branches_together_still_answers_for_each(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    repo.git("checkout", "-q", "-b", "task/1-a")
    repo.write("a.txt", "a\n")
    head = repo.commit("a")
    repo.git("push", "-q", "origin", "task/1-a")
    main = repo.origin_sha()
    found = Git(repo.path).fetch_branches("origin", ["main", "task/1-a", "gone", "-x"])
    # one branch the remote lacks does not hide the others
    assert found == {"main": main, "task/1-a": head, "gone": None, "-x": None}
    assert git(repo.path, "rev-parse", "refs/remotes/origin/task/1-a") == head


def test_config_answers_as_git_config_get(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    repo.git("config", "--add", "user.name", "first")
    repo.git("config", "--add", "user.name", "last")
    repo.git("config", "Url.https://Example.com/.insteadOf", "x")
    ours = Git(repo.path)
    assert ours.config("user.name") == "last"  # the last value set, as --get says
    assert ours.config("USER.Name") == "last"
    assert ours.config("url.https://Example.com/.insteadof") == "x"
    assert ours.config("url.https://example.com/.insteadof") is None  # subsections keep case
    assert ours.config("user.nothing") is None


def test_a_commit_sha_is_forty_or_sixty_four_lowercase_hex_digits() -> None:
    assert is_sha("a" * 40) and is_sha("0" * 64)
    assert not is_sha("A" * 40) and not is_sha("main") and not is_sha("a" * 39)


def test_one_diff_answers_changed_deleted_and_touched_as_three_did(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    body = "".join(f"line {n} of a file long enough to be found renamed\n" for n in range(30))
    for rel in ("old name.py", "a/b.txt", "a-b.txt", "gone.txt", "retyped", "é.md", "z.txt"):
        repo.write(rel, body.replace("line", rel) if rel != "old name.py" else body)
    base = repo.commit("base files")
    (repo.path / "new").mkdir()
    repo.git("mv", "old name.py", "new/name.py")
    (repo.path / "new" / "name.py").write_text(body + "edited\n", encoding="utf-8")
    repo.git("rm", "-q", "gone.txt")
    (repo.path / "retyped").unlink()
    (repo.path / "retyped").symlink_to("z.txt")
    repo.write("a/b.txt", "changed\n")
    repo.write("a.txt", "added\n")
    repo.write("é.md", body + "more\n")
    head = repo.commit("rename, delete, retype, edit, add")
    # what git says, one process per question (as before)
    touched = [p for p in git(repo.path, "-c", "core.quotepath=off", "diff", "--name-only",
                              "--no-renames", base, head).splitlines()]
    deleted = git(repo.path, "diff", "--name-only", "--diff-filter=D", base, head).splitlines()
    raw = git(repo.path, "-c", "core.quotepath=off", "diff", "--name-status", "-M",
              "--diff-filter=ACMRT", base, head).splitlines()
    ours = Git(repo.path)
    assert ours.touched_files(base, head) == touched
    assert ours.deleted_files(base, head) == deleted == ["gone.txt"]
    assert [(e.status, e.path) for e in ours.changed_entries(base, head)] == [
        (line.split("\t")[0][:1], line.split("\t")[-1]) for line in raw]
    assert ("R", "new/name.py") in [(e.status, e.path) for e in ours.changed_entries(base, head)]
    assert {"old name.py", "new/name.py", "retyped"} <= set(touched)
