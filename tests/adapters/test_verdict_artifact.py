"""The verdict artifact: written by gatebot-pr.yml's own script, read back as untrusted data.

The artifact is made for real: the "Gate 1" step of the rendered workflow runs in a CI-like
clone (detached at the head SHA, the base only as a remote-tracking ref, no credentials) with
the real gatebot on PATH. Then every tampering the change's code could do is refused.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gatebot.adapters.verdict_artifact import (
    MAX_BYTES,
    MAX_FINDINGS,
    ArtifactError,
    read_verdict_artifact,
)
from gatebot.core import workflows
from tests.repos import GIT_ENV, git, make_repo

PR_SCRIPT = next(
    step["run"]
    for step in YAML(typ="safe", pure=True).load(io.StringIO(workflows.render(
        "gatebot-pr.yml", workflows.WorkflowOptions())))["jobs"]["gate-1"]["steps"]
    if step.get("name") == "Gate 1")


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The artifact directory of a real run of the workflow's script, and the head SHA."""
    tmp = tmp_path_factory.mktemp("artifact")
    repo = make_repo(tmp)
    repo.git("switch", "-q", "-c", "task/1-x")
    repo.write("app/extra.py", '"""Extra."""\n\n\ndef f():\n    """F."""\n    return 1\n')
    repo.write("tests/test_extra.py", "from app.extra import f\n\n\ndef test_f():\n"
               "    assert f() == 1\n")
    head = repo.commit("extra")
    repo.git("push", "-q", "origin", "task/1-x")
    ci = tmp / "ci"
    git(tmp, "clone", "-q", "--no-checkout", str(repo.origin), str(ci))
    git(ci, "checkout", "-q", "--detach", head)
    runner_temp = tmp / "runner"
    runner_temp.mkdir()
    env = {**os.environ, **GIT_ENV, "RUNNER_TEMP": str(runner_temp), "BASE_REF": "main",
           "PR_NUMBER": "7", "HEAD_SHA": head, "NO_COLOR": "1",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", PR_SCRIPT], cwd=ci, env=env, check=False,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return runner_temp / "gatebot-verdict", head


def copy(artifact: tuple[Path, str], tmp_path: Path) -> tuple[Path, dict[str, Any],
                                                               dict[str, Any]]:
    source, _ = artifact
    target = tmp_path / "artifact"
    target.mkdir()
    event = json.loads((source / "event.json").read_text())
    verdict = json.loads((source / "verdict.json").read_text())
    return target, event, verdict


def write(target: Path, event: dict[str, Any], verdict: dict[str, Any]) -> None:
    (target / "event.json").write_text(json.dumps(event))
    (target / "verdict.json").write_text(json.dumps(verdict))


def test_the_workflows_own_artifact_reads_back(artifact: tuple[Path, str]) -> None:
    directory, head = artifact
    read = read_verdict_artifact(directory, head_sha=head)
    assert read.pull_request == 7
    assert read.exit_code == 0
    assert read.verdict.head == head
    assert read.verdict.verdict == "pass"
    assert {rule.id for rule in read.verdict.rules} >= {"file-length", "function-length"}


def test_an_artifact_about_another_commit_is_refused(artifact: tuple[Path, str]) -> None:
    directory, _ = artifact
    with pytest.raises(ArtifactError, match="about another commit"):
        read_verdict_artifact(directory, head_sha="f" * 40)


@pytest.mark.parametrize(("where", "change", "message"), [
    ("verdict", {"verdict": "pass", "rules": [{"id": "checks.tests", "status": "fail",
                                                "summary": "2 failed"}]}, "its rules make"),
    ("verdict", {"gate": "release"}, "gate"),
    ("verdict", {"schema": "gatebot.verdict/2"}, "schema"),
    ("verdict", {"head": "$(touch pwned)"}, "head"),
    ("verdict", {"rules": [{"id": "x", "status": "fail", "summary": "s",
                            "findings": [{"path": "../../etc/passwd", "line": 1,
                                          "message": "m"}]}]}, "path"),
    ("verdict", {"rules": [{"id": "Rule; rm -rf /", "status": "pass", "summary": ""}]}, "id"),
    ("verdict", {"rules": [{"id": "x", "status": "pass", "summary": "s" * 5000}]}, "summary"),
    ("event", {"pull_request": "7; rm -rf /"}, "pull_request"),
    ("event", {"pull_request": 0}, "pull_request"),
])
def test_a_tampered_artifact_is_refused(artifact: tuple[Path, str], tmp_path: Path, where: str,
                                        change: dict[str, Any], message: str) -> None:
    target, event, verdict = copy(artifact, tmp_path)
    (verdict if where == "verdict" else event).update(change)
    write(target, event, verdict)
    with pytest.raises(ArtifactError, match=message):
        read_verdict_artifact(target, head_sha=artifact[1])


def test_unknown_keys_are_dropped_not_posted(artifact: tuple[Path, str], tmp_path: Path) -> None:
    target, event, verdict = copy(artifact, tmp_path)
    verdict["rules"][0]["markdown"] = "<img src=x onerror=alert(1)>"
    verdict["extra"] = {"anything": 1}
    write(target, event, verdict)
    read = read_verdict_artifact(target, head_sha=artifact[1])
    assert "onerror" not in repr(read)


def test_missing_oversized_and_broken_files_are_refused(artifact: tuple[Path, str],
                                                        tmp_path: Path) -> None:
    target, event, _ = copy(artifact, tmp_path)
    (target / "event.json").write_text(json.dumps(event))
    with pytest.raises(ArtifactError, match=r"cannot read the verdict artifact's verdict\.json"):
        read_verdict_artifact(target, head_sha=artifact[1])
    (target / "verdict.json").write_text(" " * (MAX_BYTES + 1))
    with pytest.raises(ArtifactError, match="over"):
        read_verdict_artifact(target, head_sha=artifact[1])
    (target / "verdict.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="not valid"):
        read_verdict_artifact(target, head_sha=artifact[1])


def test_a_flood_of_findings_is_cut_to_what_is_posted(artifact: tuple[Path, str],
                                                      tmp_path: Path) -> None:
    """A crafted artifact cannot make the privileged job post thousands of annotations."""
    target, event, verdict = copy(artifact, tmp_path)
    flood = [{"path": "a.py", "line": n, "message": "x"} for n in range(1, 4001)]
    verdict["rules"] = [{"id": f"r{k}", "status": "fail", "summary": "s", "findings": flood}
                        for k in range(3)]
    verdict["verdict"] = "fail"
    write(target, event, verdict)
    read = read_verdict_artifact(target, head_sha=artifact[1])
    assert sum(len(r.findings) for r in read.verdict.rules) == MAX_FINDINGS
    assert [r.summary for r in read.verdict.rules] == [
        "s (3000 more findings not posted)", "s (4000 more findings not posted)",
        "s (4000 more findings not posted)"]
    assert read.verdict.verdict == "fail"
