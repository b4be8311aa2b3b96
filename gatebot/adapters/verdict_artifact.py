"""The verdict artifact gatebot-pr.yml uploads, read back as untrusted data by the privileged side.

The unprivileged workflow runs the change's own checks, so everything it uploads may have been
written by the change: the privileged workflow (gatebot-publish.yml) reads it only through this
module, which admits nothing but the documented shapes, with bounded sizes, before anything is
posted. The artifact is a directory holding two files::

    event.json    {"pull_request": 7, "head_sha": "<40 hex>", "exit_code": 1,
                   "action": "synchronize"}
    verdict.json  the gatebot.verdict/1 document of `gatebot review --format json`

gatebot-publish.yml downloads it and names the directory in ``GATEBOT_VERDICT`` for ``gatebot
gate`` on the ``workflow_run`` event. Both SHAs must equal the head SHA that GitHub's own event
names (``workflow_run.head_sha``):
an artifact about another commit is refused. Keys gatebot does not know are dropped, never
posted, and at most ``MAX_FINDINGS`` findings are kept. Errors: ``ArtifactError`` (exit 2) naming the file and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from gatebot.core.verdict import Finding, RuleResult, Verdict
from gatebot.errors import EnvironmentProblem

#: The largest artifact file read, in bytes (a verdict with thousands of findings is ~1 MiB).
MAX_BYTES = 8 * 1024 * 1024

#: The most findings an artifact gets posted (as annotations, 50 per request: 20 requests).
#: The rest are cut, each cut rule's summary saying how many, so a crafted artifact cannot make
#: the privileged job spend thousands of requests of the repository's rate limit.
MAX_FINDINGS = 1000

Sha = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$")]
Text = Annotated[str, StringConstraints(max_length=4000)]


def _relative(path: str) -> str:
    if path.startswith("/") or ".." in path.split("/"):
        raise ValueError("must be a path inside the repository (no leading /, no ..)")
    return path


RelPath = Annotated[str, StringConstraints(min_length=1, max_length=1000),
                    AfterValidator(_relative)]


class ArtifactError(EnvironmentProblem):
    """The verdict artifact is missing, too large or not in the documented shape (exit 2)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


_M = TypeVar("_M", bound=_Model)


class FindingModel(_Model):
    """One finding: a repository-relative path (no ``..``), a 1-based line, a message."""

    path: RelPath | None = None
    line: Annotated[int, Field(ge=1)] | None = None
    message: Text


class RuleModel(_Model):
    """One rule's result, as ``gatebot.verdict/1`` writes it."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")]
    status: Literal["pass", "fail", "skip", "error"]
    summary: Text
    findings: Annotated[list[FindingModel], Field(max_length=5000)] = []
    duration_s: Annotated[float, Field(ge=0)] = 0.0


class VerdictModel(_Model):
    """The ``gatebot.verdict/1`` document (SPEC's verdict JSON), gate 1 only."""

    schema_: Literal["gatebot.verdict/1"] = Field(alias="schema")
    gate: Literal["review"]
    verdict: Literal["pass", "fail", "error"]
    task: Annotated[int, Field(ge=1)] | None = None
    head: Sha
    base: Sha
    actor: Annotated[str, StringConstraints(max_length=200)] | None = None
    rules: Annotated[list[RuleModel], Field(max_length=500)]


class EventModel(_Model):
    """What the workflow knew: the pull request, its head SHA, gatebot's exit code.

    ``action``: the ``pull_request`` event's action (absent in older workflows' artifacts).
    """

    pull_request: Annotated[int, Field(ge=1)]
    head_sha: Sha
    exit_code: Annotated[int, Field(ge=0, le=255)]
    action: Annotated[str, StringConstraints(pattern=r"^[a-z_]{0,40}$")] | None = None


@dataclass(frozen=True)
class VerdictArtifact:
    """A validated artifact: the pull request it is about, gatebot's exit code, the verdict.

    ``action``: the ``pull_request`` action the run says started it (None: not said).
    """

    pull_request: int
    exit_code: int
    verdict: Verdict
    action: str | None = None


def read_verdict_artifact(directory: Path, *, head_sha: str) -> VerdictArtifact:
    """Read and validate the artifact in ``directory`` for the commit ``head_sha``.

    ``head_sha`` must come from GitHub's event (``workflow_run.head_sha``), never from the
    artifact. Raises ``ArtifactError`` when a file is missing or over ``MAX_BYTES``, is not
    the documented JSON, names another commit, or its verdict disagrees with its own rules.
    """
    event = _load(directory / "event.json", EventModel)
    verdict = _load(directory / "verdict.json", VerdictModel)
    for where, sha in (("event.json head_sha", event.head_sha), ("verdict.json head", verdict.head)):
        if sha != head_sha:
            raise ArtifactError(
                f"the verdict artifact is about another commit: {where} is {sha}, "
                f"the workflow run tested {head_sha}",
                "nothing was posted; push again or re-run the gatebot-pr workflow")
    rules = _capped(verdict.rules)
    result = Verdict("review", verdict.head, verdict.base, rules, verdict.task, verdict.actor)
    if result.verdict != verdict.verdict:
        raise ArtifactError(
            f"verdict.json says {verdict.verdict!r} but its rules make {result.verdict!r}",
            "nothing was posted; re-run the gatebot-pr workflow")
    return VerdictArtifact(event.pull_request, event.exit_code, result, event.action or None)


def _capped(models: list[RuleModel]) -> tuple[RuleResult, ...]:
    """The rules with at most ``MAX_FINDINGS`` findings in all, in order; a cut is said."""
    left, rules = MAX_FINDINGS, []
    for rule in models:
        kept = rule.findings[:left]
        left -= len(kept)
        cut = len(rule.findings) - len(kept)
        summary = rule.summary + (f" ({cut} more findings not posted)" if cut else "")
        rules.append(RuleResult(rule.id, rule.status, summary,
                                tuple(Finding(f.message, f.path, f.line) for f in kept),
                                rule.duration_s))
    return tuple(rules)


def _load(path: Path, model: type[_M]) -> _M:
    hint = "nothing was posted; re-run the gatebot-pr workflow, which writes it"
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ArtifactError(f"cannot read the verdict artifact's {path.name}: "
                            f"{exc.strerror or exc}", hint) from exc
    if len(raw) > MAX_BYTES:
        raise ArtifactError(f"the verdict artifact's {path.name} is over {MAX_BYTES} bytes", hint)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(the document)"
        raise ArtifactError(f"the verdict artifact's {path.name} is not valid: {where}: "
                            f"{first['msg']} ({exc.error_count()} problem(s))", hint) from exc
