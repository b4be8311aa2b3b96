"""The vendored GitHub data: the trimmed OpenAPI description and the webhook payloads.

The description is valid OpenAPI, still what ``tools/trim_github_openapi.py`` makes from the
shared copy (when that copy is present), and the webhook payloads the later ``gatebot gate``
tests replay match the webhook schemas of the same description.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from tools.trim_github_openapi import DEFAULT_SOURCE, trim

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "github"
DESCRIPTION = FIXTURES / "api.github.com.trimmed.json"
WEBHOOKS = sorted((FIXTURES / "webhooks").glob("*.json"))


def _description() -> dict:
    return json.loads(DESCRIPTION.read_text(encoding="utf-8"))


def test_the_trimmed_description_is_valid_openapi_with_its_notice() -> None:
    validate(_description())
    assert "MIT License" in (FIXTURES / "LICENSE.octokit-openapi").read_text()
    assert "MIT License" in (FIXTURES / "webhooks" / "LICENSE.octokit-webhooks-examples").read_text()


@pytest.mark.skipif(not DEFAULT_SOURCE.is_file(), reason="GitHub's full description is absent")
def test_the_trimmed_description_is_what_the_tool_makes() -> None:
    full = json.loads(DEFAULT_SOURCE.read_text(encoding="utf-8"))
    assert trim(full) == _description(), "run: python tools/trim_github_openapi.py"


@pytest.mark.parametrize("payload", WEBHOOKS, ids=[p.name for p in WEBHOOKS])
def test_webhook_payload_matches_its_schema(payload: Path) -> None:
    spec = _description()
    event, action = payload.name.split(".")[:2]
    hook = spec["x-webhooks"][f"{event}-{action}".replace("_", "-")]["post"]
    ref = hook["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = {"$ref": "urn:github" + ref}
    registry = Registry().with_resource("urn:github", Resource.opaque(spec))
    body = json.loads(payload.read_text(encoding="utf-8"))
    errors = list(OAS30Validator(schema, registry=registry).iter_errors(body))
    # the examples (7.6.1) predate fields the description (23.0.2) now requires, such as
    # ``performed_via_github_app`` or ``auto_merge`` (only those are
    # forgiven); every field they do have must conform
    assert [e.message for e in errors if e.validator != "required"] == []
    assert (body["action"], body["sender"]["type"]) == (action, "User")
    assert body["repository"]["full_name"] and body["sender"]["id"]
    assert len(WEBHOOKS) == 7
