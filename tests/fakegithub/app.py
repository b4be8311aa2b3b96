"""The fake GitHub's WSGI application: routing, auth, pagination, headers, faults, validation.

Each request: a matching injected fault may answer first (or drop the connection, or delay the
real answer); otherwise the handler runs under the state's lock. Every answer carries GitHub's
``Date`` (from the fake's clock) and ``X-RateLimit-*`` headers, is checked against GitHub's
OpenAPI description (violations are collected, never raised inside the server), and is logged.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tests.fakegithub import (
    handlers_actions,
    handlers_apps,
    handlers_checks,
    handlers_collaborators,
    handlers_issues,
    handlers_pulls,
)
from tests.fakegithub.render import Renderer
from tests.fakegithub.routing import ROUTES, ApiError, Ctx, Page, Reply
from tests.fakegithub.state import State, User
from tests.fakegithub.validate import check_response

assert handlers_actions and handlers_apps and handlers_checks and handlers_issues and \
    handlers_pulls and handlers_collaborators, \
    "imported for their routes"

WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
RATE_LIMIT = 5000
SECONDARY = ("You have exceeded a secondary rate limit. Please wait a few minutes before you "
             "try again. If you reach out to GitHub Support for help, please include the "
             "request ID.")
FAULT_ANSWERS: dict[str, tuple[int, str]] = {
    "401": (401, "Bad credentials"),
    "403-secondary": (403, SECONDARY),
    "409": (409, "Conflict"),
    "422": (422, "Validation Failed"),
    "429": (429, SECONDARY),
    "500": (500, "Server Error"),
    "502": (502, "Server Error"),
}
FAULT_KINDS = (*FAULT_ANSWERS, "drop", "slow", "malformed")


@dataclass
class Fault:
    """Answer the next ``times`` requests matching ``method`` and the ``path`` glob with ``kind``.

    ``kind``: a key of ``FAULT_ANSWERS`` (GitHub's status and message; ``after=True`` applies
    the request first, as when GitHub did the write but the answer was lost), ``drop`` (close
    the connection with no answer), ``slow`` (apply, then answer after ``delay`` seconds) or
    ``malformed`` (apply, then break the body with ``mutate``: a test of the validator).
    A ``slow`` answer goes out early at ``release()`` (a test that waits for its own step,
    not for a clock) or when the fake stops.
    """

    method: str
    path: str
    kind: str
    times: int = 1
    retry_after: int | None = None
    delay: float = 0.0
    after: bool = False
    mutate: Callable[[Any], Any] | None = None
    released: threading.Event = field(default_factory=threading.Event, compare=False,
                                      repr=False)

    def release(self) -> None:
        """Send the ``slow`` answers held now and later at once (safe from any thread)."""
        self.released.set()

    def matches(self, request: Request) -> bool:
        """Whether ``request`` is one this fault still answers."""
        return self.times > 0 and self.method in ("*", request.method) and \
            fnmatch.fnmatchcase(request.path, self.path)


@dataclass(frozen=True)
class Logged:
    """One request as the fake saw it: ``write`` for POST/PATCH/PUT/DELETE."""

    method: str
    path: str
    query: str
    status: int
    write: bool
    login: str | None
    fault: str | None
    body: bytes = b""
    """The request's body as sent (to prove what a write asked for, e.g. no ``force``)."""
    at: float = 0.0
    """When the request arrived, in ``time.monotonic()`` seconds (to prove a client waited)."""


@functools.cache
def route_map() -> Map:
    """Werkzeug's URL map of every handler in ``ROUTES``, built once per process.

    Building it compiles each rule (Python source per rule: about 60 ms for the whole table),
    and matching only reads it, so every fake shares one.
    """
    return Map([Rule(rule, endpoint=handler, methods=list(methods))
                for rule, methods, handler in ROUTES])


class FakeGitHubApp:
    """The WSGI application over ``state`` for clients at ``base_url``."""

    def __init__(self, state: State, base_url: str) -> None:
        self.state = state
        self.render = Renderer(state, base_url)
        self.map = route_map()
        self.faults: list[Fault] = []
        self.log: list[Logged] = []
        self.violations: list[str] = []
        self.used: dict[str, int] = {}
        self.stopping = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.environ["fakegithub.arrived"] = time.monotonic()
        with self.state.lock:
            fault = next((f for f in self.faults if f.matches(request)), None)
            if fault:
                fault.times -= 1
        user = self._user(request)
        if fault and fault.kind == "drop":
            self._record(request, 0, user, fault)
            _drop(environ)
            start_response("500 Dropped", [("Content-Length", "0")])
            return []
        response = self._answer(request, user, fault)
        if fault and fault.kind == "slow" and not self.stopping.is_set():
            fault.released.wait(fault.delay)  # stopping releases every fault
        self._record(request, response.status_code, user, fault)
        return response(environ, start_response)

    def _answer(self, request: Request, user: User | None, fault: Fault | None) -> Response:
        """Run the handler (unless the fault answers first); add headers; validate."""
        if fault and fault.kind in FAULT_ANSWERS and not fault.after:
            return self._finish(request, _fault_response(fault), user, validate=False)
        with self.state.lock, self.state.git.snapshot():
            response = self._dispatch(request, user)
        if fault and fault.kind in FAULT_ANSWERS:
            return self._finish(request, _fault_response(fault), user, validate=False)
        if fault and fault.kind == "malformed" and fault.mutate:
            body = fault.mutate(json.loads(response.get_data()))
            response.set_data(json.dumps(body))
        return self._finish(request, response, user, validate=True)

    def _user(self, request: Request) -> User | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not token:
            return None
        with self.state.lock:
            return self.state.user_by_token(token.strip())

    def _dispatch(self, request: Request, user: User | None) -> Response:
        """Route, authenticate and run the handler; GitHub's error bodies for ``ApiError``."""
        try:
            if request.headers.get("Authorization") and user is None \
                    and not handlers_apps.takes_jwt(request.path):
                raise ApiError(401, "Bad credentials")
            adapter = self.map.bind_to_environ(request.environ)
            try:
                handler, args = adapter.match()
            except (NotFound, MethodNotAllowed):
                raise ApiError(404, "Not Found") from None
            self._check_repo(args)
            body = request.get_json(silent=True) if request.get_data() else {}
            if request.get_data() and body is None:
                raise ApiError(400, "Problems parsing JSON")
            ctx = Ctx(self.state, self.render, user, body, request.args, request)
            request.environ["fakegithub.ratelimit"] = self._rate(user)
            reply = handler(ctx, **args)
        except ApiError as error:
            reply = Reply(error.status, error.body(), error.headers)
        except Exception as crash:
            self.violations.append(f"{request.method} {request.path}: the fake crashed: "
                                   + "".join(traceback.format_exception(crash))[-2000:])
            reply = Reply(500, {"message": "Server Error (the fake crashed)"})
        if isinstance(reply, Page):
            return self._page(request, reply)
        return _json(reply.status, reply.body, reply.headers)

    def _check_repo(self, args: dict[str, Any]) -> None:
        if "owner" in args and (args["owner"].lower(), args["repo"].lower()) != \
                (self.state.owner_login.lower(), self.state.name.lower()):
            raise ApiError(404, "Not Found")

    def _page(self, request: Request, page: Page) -> Response:
        """Slice ``page`` by ``per_page`` (default 30, at most 100) and ``page``; ``Link``."""
        per_page = min(max(int(request.args.get("per_page", 30)), 1), 100)
        number = max(int(request.args.get("page", 1)), 1)
        last = max((len(page.items) + per_page - 1) // per_page, 1)
        items = page.items[(number - 1) * per_page: number * per_page]
        body: Any = items if page.wrap is None else \
            {"total_count": len(page.items), page.wrap: items}
        links = _links(request, number, last)
        return _json(200, body, {"Link": links} if links else {})

    def _rate(self, user: User | None) -> tuple[int, int]:
        """``(remaining, reset epoch)`` of the caller's hourly budget after this request."""
        key = user.login if user else "anonymous"
        self.used[key] = self.used.get(key, 0) + 1
        reset = int(self.state.clock.now().timestamp()) // 3600 * 3600 + 3600
        return max(RATE_LIMIT - self.used[key], 0), reset

    def _finish(self, request: Request, response: Response, user: User | None, *,
                validate: bool) -> Response:
        remaining, reset = request.environ.get("fakegithub.ratelimit") or self._rate(user)
        response.headers.update({
            "Date": format_datetime(self.state.clock.now(), usegmt=True),
            "X-RateLimit-Limit": str(RATE_LIMIT), "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Used": str(RATE_LIMIT - remaining),
            "X-RateLimit-Reset": str(reset), "X-RateLimit-Resource": "core",
            "X-GitHub-Request-Id": f"FAKE:{len(self.log) + 1}",
            "X-GitHub-Media-Type": "github.v3; format=json",
        })
        if validate:
            self._validate(request, response)
        return response

    def _validate(self, request: Request, response: Response) -> None:
        where = f"{request.method} {request.full_path.rstrip('?')} -> {response.status_code}"
        reason = check_response(request, response)
        if reason:
            with self.state.lock:
                self.violations.append(f"{where}: {reason}")

    def _record(self, request: Request, status: int, user: User | None,
                fault: Fault | None) -> None:
        with self.state.lock:
            self.log.append(Logged(request.method, request.path,
                                   request.query_string.decode(), status,
                                   request.method in WRITES, user.login if user else None,
                                   fault.kind if fault else None, request.get_data(),
                                   request.environ.get("fakegithub.arrived", 0.0)))


def _json(status: int, body: Any, headers: dict[str, str]) -> Response:
    if body is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json; charset=utf-8")


def _fault_response(fault: Fault) -> Response:
    """GitHub's answer for an injected fault (``Retry-After`` for rate limits)."""
    status, message = FAULT_ANSWERS[fault.kind]
    docs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" \
        if message == SECONDARY else "https://docs.github.com/rest"
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    if status == 502:
        return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", status=502,
                        headers=headers, content_type="text/html")
    body: dict[str, Any] = {"message": message, "documentation_url": docs, "status": str(status)}
    if status == 422:
        body["errors"] = [{"resource": "Issue", "code": "custom", "message": "injected"}]
    return _json(status, body, headers)


def _links(request: Request, number: int, last: int) -> str:
    """GitHub's ``Link`` header for page ``number`` of ``last`` (empty for a single page)."""
    if last == 1:
        return ""

    def url(page: int) -> str:
        query = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
        return f"{request.base_url}?{urlencode([*query, ('page', str(page))])}"

    rels = []
    if number > 1:
        rels += [f'<{url(number - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
    if number < last:
        rels += [f'<{url(number + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    return ", ".join(rels)


def _drop(environ: dict[str, Any]) -> None:
    """Close the client's connection with no answer (the client sees it reset or closed)."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        sock.shutdown(socket.SHUT_RDWR)

