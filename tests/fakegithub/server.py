"""The handle a test gets: a running fake GitHub on loopback, its state, helpers and its log.

``FakeGitHub(tmp_path)`` creates a bare repository ``owner/repo`` with one commit on ``main``,
an owner account and a bot account (a GitHub App installation), and serves the REST API on a
free loopback port until ``stop()``. See ``tests/fakegithub/README.md``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from github import Auth, Github, GithubRetry
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.fakegithub.app import FAULT_KINDS, FakeGitHubApp, Fault, Logged
from tests.fakegithub.gitrepo import BareRepo
from tests.fakegithub.state import Clock, PullRequest, State, User

_TEMPLATES: dict[tuple[str, str], Path] = {}
"""Per process: the seeded bare repository of each ``owner/repo``."""
_APP_KEYS: list[Any] = []
"""Per process: the GitHub App private keys made so far (``FakeGitHub.add_app_key``)."""


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request (the fake keeps its own log)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do not log; ``FakeGitHub.requests`` has every request."""

    def send_response(self, code: int, message: str | None = None) -> None:
        """The status line only: ``Date`` comes from the fake's clock, not the machine's."""
        self.send_response_only(code, message)


class _Served:
    """One loopback HTTP server and its thread, lent to one fake at a time.

    Starting a server, and above all stopping one (``shutdown`` waits for the serving loop's
    next poll), cost tens of milliseconds per test; a stopped fake gives its server back to
    the pool and the next fake takes it (same port, its own ``app``). Between fakes the
    server answers 503. ``take`` and ``give_back`` are safe from any thread.
    """

    _idle: ClassVar[list[_Served]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.app: FakeGitHubApp | None = None
        self.server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._dispatch, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       kwargs={"poll_interval": 0.05})
        self.thread.start()
        atexit.register(self.close)

    @classmethod
    def take(cls) -> _Served:
        """An idle server from the pool, or a new one."""
        with cls._lock:
            return cls._idle.pop() if cls._idle else cls()

    def give_back(self) -> None:
        """Detach the fake's app (later requests get 503) and return to the pool."""
        self.app = None
        with self._lock:
            self._idle.append(self)

    def close(self) -> None:
        """Stop serving and close the socket (at interpreter exit)."""
        self.server.shutdown()
        self.server.server_close()

    def _dispatch(self, environ: dict[str, Any],
                  start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self.app
        if app is None:
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return []
        return app(environ, start_response)


class FakeGitHub:
    """A stateful fake GitHub REST server for repository ``owner/repo`` (default acme/widgets).

    Attributes: ``url`` (base URL for PyGithub's ``base_url``), ``state``, ``clock``,
    ``git_dir`` (the bare repository: push to it and the API sees it), ``owner`` and ``bot``
    (accounts), ``requests`` (the log), ``violations`` (responses GitHub's description rejects).
    """

    def __init__(self, tmp: Path, owner: str = "acme", repo: str = "widgets") -> None:
        self.tmp = tmp
        self.git_dir = tmp / "fakegithub" / owner / f"{repo}.git"
        self.state = State(owner, repo, self.git_dir)
        self.owner = self.state.add_user(owner, name=owner.title())
        self.bot = self.state.add_user("gatebot", bot=True)
        self._seed(owner, repo)
        self._served = _Served.take()
        self.url = self._served.url
        self.app = FakeGitHubApp(self.state, self.url)
        self._clients: list[Github] = []
        self._keys_lent = 0
        self._served.app = self.app

    def _seed(self, owner: str, repo: str) -> None:
        """The bare repository with its initial commit on ``main``.

        Made once per process (same accounts, same commit) and copied for each fake: a few
        git processes less per test.
        """
        key = (owner, repo)
        if key not in _TEMPLATES:
            base = Path(tempfile.mkdtemp(prefix="fakegithub-template-"))
            atexit.register(shutil.rmtree, base, True)
            bare = base / owner / f"{repo}.git"
            bare.parent.mkdir(parents=True)
            subprocess.run(["git", "init", "--quiet", "--bare", "--template=",  # no sample hooks
                            "--initial-branch=main", str(bare)],
                           check=True, capture_output=True, env=_git_env())
            subprocess.run(["git", "--git-dir", str(bare), "config", "receive.autogc", "false"],
                           check=True, capture_output=True, env=_git_env())  # no gc per push
            self.git_dir, self.state.git = bare, BareRepo(bare)
            self.push_commit("main", {"README.md": "widgets\n"}, "Initial commit", self.owner)
            _TEMPLATES[key] = bare
        self.git_dir = self.tmp / "fakegithub" / owner / f"{repo}.git"
        shutil.copytree(_TEMPLATES[key], self.git_dir, symlinks=True)
        self.state.git = BareRepo(self.git_dir)

    def stop(self) -> None:
        """Stop serving this fake (its server goes back to the pool for the next fake), end slow
        answers early, close every client made by ``client``."""
        for client in self._clients:
            client.close()
        self.app.stopping.set()
        with self.state.lock:
            for fault in self.app.faults:
                fault.release()
        self._served.give_back()

    @property
    def clock(self) -> Clock:
        """The server's clock (``Date`` header and every timestamp)."""
        return self.state.clock

    @property
    def requests(self) -> list[Logged]:
        """Every request so far, in arrival order."""
        return list(self.app.log)

    @property
    def violations(self) -> list[str]:
        """Each response (or request) that GitHub's OpenAPI description rejects."""
        return list(self.app.violations)

    def take_violations(self) -> list[str]:
        """The violations so far, cleared (for a test that provokes one on purpose)."""
        with self.state.lock:
            found, self.app.violations[:] = list(self.app.violations), []
        return found

    def writes(self) -> list[Logged]:
        """The logged POST/PATCH/PUT/DELETE requests."""
        return [r for r in self.app.log if r.write]

    def reset_log(self) -> None:
        """Forget the request log (to count the requests of one step)."""
        with self.state.lock:
            self.app.log.clear()

    def add_user(self, login: str, *, bot: bool = False, name: str | None = None,
                 email: str | None = None) -> User:
        """A new account (``bot=True``: a GitHub App's ``login[bot]``, ``type`` "Bot")."""
        with self.state.lock:
            return self.state.add_user(login, bot=bot, name=name, email=email)

    def add_app_key(self, bot: User) -> str:
        """Register a new RSA key for the GitHub App of ``bot``; its private key (PEM).

        With it, ``GithubIntegration`` (the App's JWT) gets installation tokens that act as
        ``bot`` (``handlers_apps``). Each call on one fake gives a key of its own; the keys
        (2048 bits, ~70 ms of CPU each to make) are made once per process and lent again to
        the next fakes in the same order.
        """
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

        if self._keys_lent == len(_APP_KEYS):
            _APP_KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        key = _APP_KEYS[self._keys_lent]
        self._keys_lent += 1
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        if bot.app_id is None:
            raise ValueError(f"{bot.login} is no GitHub App's bot")
        with self.state.lock:
            self.state.app_keys[bot.app_id] = public.decode()
        return key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()

    def client(self, user: User, *, retry: int | GithubRetry | None = None, timeout: int = 5,
               per_page: int = 30) -> Github:
        """PyGithub authenticated as ``user`` over real HTTP, throttling off, no retries unless
        ``retry`` is given (closed by ``stop``)."""
        client = Github(base_url=self.url, auth=Auth.Token(user.token), retry=retry,
                        timeout=timeout, per_page=per_page, seconds_between_requests=0,
                        seconds_between_writes=0)
        self._clients.append(client)
        return client

    def inject(self, kind: str, *, method: str = "*", path: str = "*", times: int = 1,
               retry_after: int | None = None, delay: float = 0.0, after: bool = False,
               mutate: Callable[[Any], Any] | None = None) -> Fault:
        """Answer the next ``times`` requests matching ``method`` and the ``path`` glob
        (``/repos/acme/widgets/issues/*``) with fault ``kind`` (see ``app.Fault``).

        Raises:
            ValueError: for an unknown ``kind``.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
        fault = Fault(method.upper(), path, kind, times, retry_after, delay, after, mutate)
        with self.state.lock:
            self.app.faults.append(fault)
        return fault

    def create_issue(self, title: str, by: User, *, body: str | None = None,
                     labels: tuple[str, ...] = ()) -> int:
        """Open an issue directly in the state (no request logged); its number."""
        with self.state.lock:
            issue = self.state.new_issue(title, body, by.id)
            for name in labels:
                label = self.state.label(name) or self.state.add_label(name)
                issue.labels.append(label.name)
                self.state.record(issue, by.id, "labeled", label=label.name)
            return issue.number

    def create_pull(self, head: str, by: User, *, base: str = "main",
                    title: str | None = None, body: str | None = None,
                    fork: bool = False) -> int:
        """Open a pull request of branch ``head`` (already pushed) into ``base``; its number.

        ``fork``: the branch is in ``by``'s fork, as GitHub sees it: it leaves this
        repository's branches, and its tip is kept at ``refs/pull/<N>/head`` only.
        """
        with self.state.lock:
            pull = PullRequest(head=head, base=base, fork=by.login if fork else None)
            issue = self.state.new_issue(title or head, body, by.id, pull=pull)
            if fork:
                pull.head_git_ref = f"refs/pull/{issue.number}/head"
                tip = self.state.git.ref(f"refs/heads/{head}")
                if tip is None or not self.state.git.update_ref(pull.head_git_ref, tip, None):
                    raise ValueError(f"no branch {head!r} to open a fork's pull request from")
                self.state.git.delete_ref(f"refs/heads/{head}")
            return issue.number

    def push_commit(self, branch: str, files: dict[str, str], message: str, author: User, *,
                    start: str = "main") -> str:
        """Commit ``files`` as ``author`` on ``branch`` (new branches start at ``start``; with
        no ``start`` branch either, a root commit) in the bare repository, as a developer's
        ``git push`` would leave it; the new SHA.

        One ``git fast-import`` writes the commit (the parent's tree with ``files`` changed,
        the message cleaned up as ``git commit -m`` does, dated now) and moves the branch,
        instead of a fetch, checkout, commit and push in a work clone.
        """
        if any("\n" in rel or rel.startswith('"') for rel in files):
            raise ValueError(f"file names with a newline or a leading quote: {list(files)}")
        heads = dict(self.state.git.refs("refs/heads/"))
        parent = heads.get(f"refs/heads/{branch}") or heads.get(f"refs/heads/{start}")
        email = author.email or f"{author.id}+{author.login}@users.noreply.github.com"
        who = f"{author.login} <{email}> {int(time.time())} +0000"
        text = _clean_message(message).encode()
        stream = [f"commit refs/heads/{branch}\nmark :1\nauthor {who}\ncommitter {who}\n"
                  f"data {len(text)}\n".encode() + text + b"\n"]
        if parent:
            stream.append(f"from {parent}\n".encode())
        for rel, content in files.items():
            data = content.encode()
            stream.append(f"M 100644 inline {rel}\ndata {len(data)}\n".encode() + data + b"\n")
        marks = self.tmp / "fakegithub" / "marks"
        marks.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "--git-dir", str(self.git_dir), "fast-import", "--quiet",
                        f"--export-marks={marks}"], input=b"".join(stream), check=True,
                       capture_output=True, env=_git_env())
        return marks.read_text(encoding="ascii").split()[1]


def _git_env() -> dict[str, str]:
    """The environment for the fake's own git processes: no system-wide configuration."""
    return {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}


def _clean_message(message: str) -> str:
    """``message`` as ``git commit -m`` stores it: trailing spaces and leading, trailing and
    repeated blank lines removed, one final newline."""
    lines = [line.rstrip() for line in message.splitlines()]
    kept = [line for n, line in enumerate(lines) if line or (n and lines[n - 1])]
    return "\n".join(kept).strip("\n") + "\n"
