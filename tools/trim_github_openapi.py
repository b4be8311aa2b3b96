"""Vendor a trimmed copy of GitHub's OpenAPI description for the fake GitHub server's tests.

Reads GitHub's published description (``api.github.com.json`` of the npm package
``@octokit/openapi``, MIT) and writes ``tests/fixtures/github/api.github.com.trimmed.json``
holding only the operations in ``OPERATIONS`` (the ones ``tests/fakegithub`` serves), the
webhooks in ``WEBHOOKS`` (the events whose payloads are vendored beside it), and every component
they reference, transitively. Examples are dropped (they are documentation, not shape); every
schema, parameter, header and response is kept exactly as published.

Usage::

    python tools/trim_github_openapi.py [SOURCE] [--out PATH]

SOURCE defaults to ``shared/github/api.github.com.json`` beside the repository (or beside
its worktree's parent). The licence
notice ``LICENSE.octokit-openapi`` next to SOURCE is copied next to the output. Exits 2 naming
the operation or webhook when the description lacks one of them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p / "shared" / "github" / "api.github.com.json" for p in (ROOT.parent, ROOT.parent.parent)]
DEFAULT_SOURCE = next((p for p in SOURCES if p.is_file()), SOURCES[0])
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "github" / "api.github.com.trimmed.json"
LICENSE = "LICENSE.octokit-openapi"

R = "/repos/{owner}/{repo}"
OPERATIONS: dict[str, tuple[str, ...]] = {
    "/rate_limit": ("get",),
    "/user": ("get",),
    "/users/{username}": ("get",),
    "/search/users": ("get",),
    R: ("get",),
    f"{R}/issues": ("get", "post"),
    f"{R}/issues/{{issue_number}}": ("get", "patch"),
    f"{R}/issues/comments/{{comment_id}}": ("get", "patch", "delete"),
    f"{R}/issues/events/{{event_id}}": ("get",),
    f"{R}/issues/{{issue_number}}/comments": ("get", "post"),
    f"{R}/issues/{{issue_number}}/events": ("get",),
    f"{R}/issues/{{issue_number}}/assignees": ("post", "delete"),
    f"{R}/issues/{{issue_number}}/labels": ("get", "post", "put", "delete"),
    f"{R}/issues/{{issue_number}}/labels/{{name}}": ("delete",),
    f"{R}/labels": ("get", "post"),
    f"{R}/labels/{{name}}": ("get", "patch", "delete"),
    f"{R}/pulls": ("get", "post"),
    f"{R}/pulls/{{pull_number}}": ("get", "patch"),
    f"{R}/pulls/{{pull_number}}/commits": ("get",),
    f"{R}/pulls/{{pull_number}}/reviews": ("get", "post"),
    f"{R}/pulls/{{pull_number}}/reviews/{{review_id}}": ("get",),
    f"{R}/pulls/{{pull_number}}/reviews/{{review_id}}/dismissals": ("put",),
    f"{R}/collaborators/{{username}}/permission": ("get",),
    f"{R}/check-runs": ("post",),
    f"{R}/check-runs/{{check_run_id}}": ("get", "patch"),
    f"{R}/check-runs/{{check_run_id}}/annotations": ("get",),
    f"{R}/commits/{{ref}}": ("get",),
    f"{R}/commits/{{ref}}/check-runs": ("get",),
    f"{R}/commits/{{ref}}/status": ("get",),
    f"{R}/commits/{{ref}}/statuses": ("get",),
    f"{R}/statuses/{{sha}}": ("post",),
    f"{R}/git/ref/{{ref}}": ("get",),
    f"{R}/git/matching-refs/{{ref}}": ("get",),
    f"{R}/git/refs": ("post",),
    f"{R}/git/refs/{{ref}}": ("patch", "delete"),
    f"{R}/actions/workflows/{{workflow_id}}/dispatches": ("post",),
    f"{R}/actions/workflows/{{workflow_id}}/runs": ("get",),
    f"{R}/actions/runs/{{run_id}}": ("get",),
    f"{R}/installation": ("get",),
    "/app/installations/{installation_id}/access_tokens": ("post",),
}
WEBHOOKS = (
    "issue-comment-created", "issues-labeled", "issues-opened", "pull-request-labeled",
    "pull-request-opened", "pull-request-synchronize", "pull-request-review-submitted",
)
_DROPPED = ("examples", "example")


def _strip(node: Any, *, in_properties: bool = False) -> Any:
    """``node`` without examples; keys of a ``properties`` map are names, never dropped."""
    if isinstance(node, list):
        return [_strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _strip(value, in_properties=(key == "properties" and not in_properties))
        for key, value in node.items()
        if in_properties or key not in _DROPPED
    }


def _refs(node: Any) -> set[str]:
    """Every local ``$ref`` target (``#/components/...``) under ``node``."""
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
    for value in node.values():
        found |= _refs(value)
    return found


def _components(spec: dict[str, Any], roots: Any) -> dict[str, dict[str, Any]]:
    """The components reachable from ``roots``, as ``{section: {name: object}}``."""
    wanted: dict[str, dict[str, Any]] = {}
    todo = sorted(_refs(roots))
    while todo:
        ref = todo.pop()
        _, _, section, name = ref.split("/", 3)
        if name in wanted.get(section, {}):
            continue
        target = _strip(spec["components"][section][name])
        wanted.setdefault(section, {})[name] = target
        todo.extend(sorted(_refs(target)))
    return {section: dict(sorted(items.items())) for section, items in sorted(wanted.items())}


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    """The trimmed description: ``OPERATIONS``, ``WEBHOOKS`` and what they reference.

    Raises:
        KeyError: naming the path, method or webhook that ``spec`` lacks.

    """
    paths: dict[str, Any] = {}
    for path, methods in OPERATIONS.items():
        item = spec["paths"][path]
        kept = {m: _strip(item[m]) for m in methods}
        if "parameters" in item:
            kept["parameters"] = _strip(item["parameters"])
        paths[path] = kept
    hooks = {name: _strip(spec["x-webhooks"][name]) for name in WEBHOOKS}
    info = dict(spec["info"])
    info["description"] = (
        "A trimmed copy of GitHub's REST API description (operations served by the fake "
        "GitHub server in tests/fakegithub), made by tools/trim_github_openapi.py. "
        "MIT licence: see LICENSE.octokit-openapi."
    )
    return {
        "openapi": spec["openapi"], "info": info, "servers": spec["servers"],
        "paths": paths, "x-webhooks": hooks, "components": _components(spec, [paths, hooks]),
    }


def main(argv: list[str] | None = None) -> int:
    """Write the trimmed description and its licence; 0 on success, 2 on a missing source."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"trim_github_openapi: {args.source} not found; pass the path of "
              "api.github.com.json from @octokit/openapi", file=sys.stderr)
        return 2
    try:
        trimmed = trim(json.loads(args.source.read_text(encoding="utf-8")))
    except KeyError as missing:
        print(f"trim_github_openapi: the description lacks {missing}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(trimmed, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    notice = args.source.parent / LICENSE
    if notice.is_file():
        shutil.copyfile(notice, args.out.parent / LICENSE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
