"""Check the fake's responses against GitHub's OpenAPI description (openapi-core).

The description is the vendored trimmed copy ``tests/fixtures/github/api.github.com.trimmed.json``
(made by ``tools/trim_github_openapi.py``). openapi-core finds the operation by method and path,
the response by status, and checks body, content type and documented headers with OpenAPI 3.0's
rules (``nullable``, ``anyOf``, formats).

One documented gap: GitHub's description omits many error statuses that GitHub does send (a 404
on ``GET .../issues/{n}/events``, a 422 on ``PATCH .../check-runs/{id}``). An error response
(4xx/5xx) whose status the operation does not document is still checked: its body must be
GitHub's ``basic-error`` (or ``validation-error`` for 422). A 2xx or 3xx status the operation
does not document is a violation.
"""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.datatypes import PathOperationServer
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_core.validation.schemas.validators import SchemaValidator
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator
from werkzeug.wrappers import Request, Response

DESCRIPTION = Path(__file__).resolve().parent.parent / "fixtures" / "github" / \
    "api.github.com.trimmed.json"


@functools.cache
def description() -> dict[str, Any]:
    """The vendored description as a dict (servers made relative: any host and port match)."""
    spec = json.loads(DESCRIPTION.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": "/"}]
    _null_in_nullable_enums(spec)
    return spec


def _null_in_nullable_enums(node: Any) -> None:
    """Add ``None`` to each ``enum`` of a ``nullable: true`` schema, in place.

    GitHub's description marks fields such as a check run's ``conclusion`` or an issue's
    ``state_reason`` ``nullable`` with an ``enum`` of strings, and GitHub sends ``null`` for
    them; OpenAPI 3.0.3 reads such an enum strictly (null must be listed). The description's
    intent is taken: null is allowed (OAI/OpenAPI-Specification issue 1900).
    """
    if isinstance(node, list):
        for item in node:
            _null_in_nullable_enums(item)
    elif isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("enum"), list) \
                and None not in node["enum"]:
            node["enum"].append(None)
        for value in node.values():
            _null_in_nullable_enums(value)


class _CompiledOnce(SchemaValidatorsFactory):
    """openapi-core's schema validators for responses (OpenAPI 3.0, read context), each
    compiled once and kept.

    openapi-core builds a new jsonschema validator (and copies the format checker) for every
    schema of every response it checks; the validator holds no state between calls, so one
    per schema serves every response.
    """

    def __init__(self) -> None:
        super().__init__(OAS30ReadValidator)
        self._made: dict[tuple[object, ...], SchemaValidator] = {}

    def create(self, spec: SchemaPath, schema: SchemaPath, *args: Any,
               **kwargs: Any) -> SchemaValidator:
        """The kept validator of ``schema`` under these options, made at its first use."""
        key = (id(spec), tuple(schema.parts), *map(id, args),
               *sorted((k, id(v)) for k, v in kwargs.items()))
        if key not in self._made:
            self._made[key] = super().create(spec, schema, *args, **kwargs)
        return self._made[key]


class _FoundOnce(APICallPathFinder):
    """openapi-core's operation finder, each ``(method, URL)`` looked up once (the
    description does not change during a run)."""

    _found: ClassVar[dict[tuple[int, str, str], PathOperationServer | Exception]] = {}

    def find(self, method: str, name: str) -> PathOperationServer:
        """The operation for ``method`` and ``name``, or the error openapi-core raised."""
        key = (id(self.spec), method, name)
        if key not in self._found:
            try:
                self._found[key] = super().find(method, name)
            except Exception as exc:  # PathNotFound, OperationNotFound, ServerNotFound
                self._found[key] = exc
        found = self._found[key]
        if isinstance(found, Exception):
            raise found.with_traceback(None)
        return found


@functools.cache
def openapi() -> OpenAPI:
    """The openapi-core object over ``description()`` (built once per test session), with
    compiled schema validators and found operations kept.

    The description itself is checked once by ``tests/github/test_openapi_fixture.py``, not on
    every load.
    """
    return OpenAPI.from_dict(description(), config=Config(
        spec_validator_cls=None, schema_validators_factory=_CompiledOnce(),
        path_finder_cls=_FoundOnce))


def _error_schema(status: int) -> Any:
    """GitHub's error body schema for ``status`` (``validation-error`` for 422)."""
    name = "validation-error" if status == 422 else "basic-error"
    return description()["components"]["schemas"][name]


def _first_line(exc: BaseException) -> str:
    """A readable one-paragraph reason from an openapi-core error and its schema errors."""
    causes = getattr(exc.__cause__, "schema_errors", None) or []
    reasons = [getattr(e, "message", str(e)) + " at " + "/".join(map(str, e.absolute_path))
               for e in causes]
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300] + \
        ("; " + "; ".join(reasons[:5]) if reasons else "")


_SLASHY = (
    re.compile(r"^(/repos/[^/]+/[^/]+/git/(?:ref|refs|matching-refs)/)(.+)()$"),
    re.compile(r"^(/repos/[^/]+/[^/]+/commits/)(.+?)(/check-runs|/status|/statuses)?$"),
    re.compile(r"^(/repos/[^/]+/[^/]+/(?:issues/\d+/)?labels/)(.+)()$"),
)


def _as_described(request: Request) -> Request:
    """``request`` with a slash-holding path parameter percent-encoded, as the description's
    one-segment templates (``/git/ref/{ref}`` for ``heads/main``) need to match it.

    GitHub takes the slashes raw, and so does PyGithub; openapi-core's path templates do not.
    """
    for pattern in _SLASHY:
        match = pattern.match(request.path)
        if match and "/" in match.group(2):
            data = request.get_data()
            environ = dict(request.environ, **{"wsgi.input": io.BytesIO(data),
                                               "CONTENT_LENGTH": str(len(data))})
            environ["PATH_INFO"] = match.group(1) + quote(match.group(2), safe="") + \
                (match.group(3) or "")
            return Request(environ)
    return request


def check_response(request: Request, response: Response) -> str | None:
    """Why ``response`` to ``request`` does not match the description, or None when it does.

    The verdict is a function of the operation (method and path), the status, the content
    type, the headers the description documents for that path, and the body; an answer equal
    in all of them to one checked before (a repository, an empty list, the same issue read
    twice) gets that verdict again, violations included, without checking it again.
    """
    documented = _documented_headers(request.method, request.path)
    key = (request.method, request.path, response.status_code,
           response.headers.get("Content-Type"),
           tuple(response.headers.get(name) for name in documented), response.get_data())
    if key not in _CHECKED:
        _CHECKED[key] = _check(request, response)
    return _CHECKED[key]


_CHECKED: dict[tuple[object, ...], str | None] = {}
"""Per process: ``check_response``'s verdict for each distinct answer."""


@functools.cache
def _header_patterns() -> tuple[tuple[str, re.Pattern[str], frozenset[str]], ...]:
    """``(METHOD, path pattern, lower-case header names its responses document)`` of every
    operation; a path parameter matches anything, slashes included (a superset is safe)."""
    spec = description()
    found = []
    for template, operations in spec["paths"].items():
        pattern = re.compile(re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(template)) + "$")
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            names = {name.lower() for answer in operation["responses"].values()
                     for name in _resolved(spec, answer).get("headers", {})}
            found.append((method.upper(), pattern, frozenset(names)))
    return tuple(found)


def _resolved(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node``, or what its local ``$ref`` (``#/components/...``) points at."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    for part in ref.removeprefix("#/").split("/"):
        spec = spec[part]
    return spec


@functools.cache
def _documented_headers(method: str, path: str) -> tuple[str, ...]:
    """The headers (lower case, sorted) documented for any operation ``method path`` may be."""
    names: set[str] = set()
    for verb, pattern, documented in _header_patterns():
        if verb == method and pattern.match(path):
            names |= documented
    return tuple(sorted(names))


def _check(request: Request, response: Response) -> str | None:
    """``check_response`` without the kept verdicts."""
    try:
        openapi().validate_response(WerkzeugOpenAPIRequest(_as_described(request)),
                                    WerkzeugOpenAPIResponse(response))
    except ResponseNotFound as exc:
        if response.status_code < 400:
            return _first_line(exc)
        return _check_error_body(response)
    except Exception as exc:
        return _first_line(exc)
    return None


def _check_error_body(response: Response) -> str | None:
    """An undocumented error status: its body must still be GitHub's error shape."""
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return f"a {response.status_code} body that is not JSON"
    errors = list(OAS30Validator(_error_schema(response.status_code)).iter_errors(body))
    if errors:
        return f"{response.status_code} error body: " + "; ".join(e.message for e in errors[:5])
    return None
