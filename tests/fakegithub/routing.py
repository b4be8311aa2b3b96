"""What a fake GitHub handler sees and returns, and the route table the handlers fill.

A handler is ``def handler(ctx: Ctx, **path_args) -> Reply | Page``; it raises ``ApiError``
for GitHub's error answers. Handlers run one at a time under the state's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from tests.fakegithub.render import Json, Renderer
from tests.fakegithub.state import State, User

DOCS = "https://docs.github.com/rest"


class ApiError(Exception):
    """A GitHub error answer: ``status`` with ``{"message", "documentation_url"[, "errors"]}``."""

    def __init__(self, status: int, message: str, *, errors: list[Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> Json:
        """The JSON body GitHub sends with this error."""
        data: Json = {"message": self.message, "documentation_url": DOCS, "status": str(self.status)}
        if self.errors is not None:
            data["errors"] = self.errors
        return data


def not_found() -> ApiError:
    """GitHub's 404 for an object that does not exist (or that the caller may not see)."""
    return ApiError(404, "Not Found")


def invalid(resource: str, field_name: str, code: str = "invalid",
            message: str = "Validation Failed") -> ApiError:
    """GitHub's 422 "Validation Failed" naming the offending resource field."""
    return ApiError(422, message, errors=[{"resource": resource, "field": field_name,
                                           "code": code}])


@dataclass
class Reply:
    """A handler's answer: status, JSON body (``None``: no body) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Page:
    """A list answer the server paginates (``per_page``/``page``, ``Link`` header).

    ``wrap`` names the list inside ``{"total_count": N, wrap: [...]}`` (check runs).
    """

    items: list[Json]
    wrap: str | None = None


@dataclass
class Ctx:
    """One request as a handler sees it: the state, its renderer, the caller and the input."""

    state: State
    render: Renderer
    user: User | None
    body: Json
    args: MultiDict[str, str]
    request: Request

    def caller(self) -> User:
        """The authenticated account (raises 401 when the request carried no token)."""
        if self.user is None:
            raise ApiError(401, "Requires authentication")
        return self.user


Handler = Callable[..., "Reply | Page"]
ROUTES: list[tuple[str, tuple[str, ...], Handler]] = []


def route(rule: str, *methods: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` for a werkzeug ``rule`` (``/repos/<owner>/<repo>/...``)."""
    def register(handler: Handler) -> Handler:
        ROUTES.append((rule, methods, handler))
        return handler
    return register


R = "/repos/<owner>/<repo>"
