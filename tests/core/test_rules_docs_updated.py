"""Rule ``docs-updated`` (gate 2): a public change needs a documentation change too. Pure.

It passes when no public file changed *or* a documentation file did; a task
labelled ``no-docs`` is exempt (``skip``), and with no ``public_paths``
configured there is nothing to guard.
"""

from __future__ import annotations

import pytest

from gatebot.core.rules.docs_updated import evaluate
from gatebot.core.verdict import Finding

PUBLIC = ("src/api/**", "cli.py")
DOCS = ("README*", "docs/**", "**/README*")


@pytest.mark.parametrize(
    ("files", "status", "summary"),
    [
        ([], "pass", "no public interface changed"),
        (["src/internal/x.py", "tests/test_x.py"], "pass", "no public interface changed"),
        (["docs/guide.md"], "pass", "no public interface changed"),
        (["src/api/users.py", "docs/api.md"], "pass", "docs changed: docs/api.md"),
        (["cli.py", "README.md"], "pass", "docs changed: README.md"),
        (["docs/a.md", "src/api/x.py", "pkg/README", "docs/b.md", "docs/c.md"], "pass",
         "docs changed: docs/a.md, pkg/README, docs/b.md"),  # at most three named
        (["src/api/users.py"], "fail", "1 public files changed, no docs"),
        (["src/api/a.py", "cli.py", "src/other.py"], "fail", "2 public files changed, no docs"),
    ],
)
def test_public_changes_need_docs(files: list[str], status: str, summary: str) -> None:
    result = evaluate(files, public_paths=PUBLIC, doc_paths=DOCS)
    assert (result.id, result.status, result.summary) == ("docs-updated", status, summary)
    if status == "pass":
        assert result.findings == ()


def test_a_failure_names_each_public_file_and_where_docs_go() -> None:
    result = evaluate(["src/api/a.py", "cli.py", "src/other.py"], public_paths=PUBLIC,
                      doc_paths=("docs/**", "README*"))
    message = "public interface changed without a documentation change (any of docs/**, README*)"
    assert result.findings == (Finding(message, path="src/api/a.py"),
                               Finding(message, path="cli.py"))


def test_findings_stop_at_ten_but_the_count_is_whole() -> None:
    files = [f"src/api/m{i}.py" for i in range(12)]
    result = evaluate(files, public_paths=PUBLIC, doc_paths=DOCS)
    assert result.summary == "12 public files changed, no docs"
    assert [f.path for f in result.findings] == files[:10]


@pytest.mark.parametrize("files", [["src/api/x.py"], [], ["docs/a.md"]])
def test_no_docs_exempts_the_task(files: list[str]) -> None:
    result = evaluate(files, public_paths=PUBLIC, doc_paths=DOCS, exempt=True)
    assert (result.id, result.status, result.summary, result.findings) == (
        "docs-updated", "skip", "task is marked no-docs", ())


def test_without_exemption_the_rule_judges() -> None:
    assert evaluate(["src/api/x.py"], public_paths=PUBLIC, doc_paths=DOCS,
                    exempt=False).status == "fail"


@pytest.mark.parametrize("files", [["src/api/x.py"], ["anything.txt"], []])
def test_nothing_public_configured_means_nothing_to_guard(files: list[str]) -> None:
    result = evaluate(files, public_paths=(), doc_paths=DOCS)
    assert (result.status, result.summary) == ("pass", "no public interface changed")


def test_no_doc_paths_means_a_public_change_always_fails() -> None:
    result = evaluate(["src/api/x.py", "README.md"], public_paths=PUBLIC, doc_paths=())
    assert result.status == "fail"
