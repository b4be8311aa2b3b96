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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from github import Auth, Github, GithubRetry
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.fakegithub.app import FAULT_KINDS, FakeGitHubApp, Fault, Logged
from tests.fakegithub.gitrepo import BareRepo
from tests.fakegithub.state import Clock, PullRequest, State, User

_TEMPLATES: dict[tuple[str, str], tuple[Path, Path]] = {}
"""Per process: the seeded bare repository and work clone of each ``owner/repo``."""


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request (the fake keeps its own log)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Do not log; ``FakeGitHub.requests`` has every request."""

    def send_response(self, code: int, message: str | None = None) -> None:
        """The status line only: ``Date`` comes from the fake's clock, not the machine's."""
        self.send_response_only(code, message)


class FakeGitHub:
    """A stateful fake GitHub REST server for repository ``owner/repo`` (default acme/widgets).

    Attributes: ``url`` (base URL for PyGithub's ``base_url``), ``state``, ``clock``,
    ``git_dir`` (the bare repository: push to it and the API sees it), ``owner`` and ``bot``
    (accounts), ``requests`` (the log), ``violations`` (responses GitHub's description rejects).
    """

    def __init__(self, tmp: Path, owner: str = "acme", repo: str = "widgets") -> None:
        self.tmp = tmp
        self.git_dir = tmp / "fakegithub" / owner / f"{repo}.git"
        self.work = tmp / "fakegithub" / "work"
        self.state = State(owner, repo, self.git_dir)
        self.owner = self.state.add_user(owner, name=owner.title())
        self.bot = self.state.add_user("gatebot", bot=True)
        self._seed(owner, repo)
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._placeholder, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.port}"
        self.app = FakeGitHubApp(self.state, self.url)
        self._server.app = self.app
        self._clients: list[Github] = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()

    def _seed(self, owner: str, repo: str) -> None:
        """The bare repository with its initial commit on ``main``, and the work clone.

        Made once per process (same accounts, same commit) and copied for each fake: a few
        git processes less per test.
        """
        key = (owner, repo)
        if key not in _TEMPLATES:
            base = Path(tempfile.mkdtemp(prefix="fakegithub-template-"))
            atexit.register(shutil.rmtree, base, True)
            bare, work = base / owner / f"{repo}.git", base / "work"
            bare.parent.mkdir(parents=True)
            self._git(None, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
            self._git(None, "clone", "--quiet", str(bare), str(work))
            self.git_dir, self.work, self.state.git = bare, work, BareRepo(bare)
            self.push_commit("main", {"README.md": "widgets\n"}, "Initial commit", self.owner)
            _TEMPLATES[key] = (bare, work)
        bare, work = _TEMPLATES[key]
        self.git_dir = self.tmp / "fakegithub" / owner / f"{repo}.git"
        self.work = self.tmp / "fakegithub" / "work"
        shutil.copytree(bare, self.git_dir, symlinks=True)
        shutil.copytree(work, self.work, symlinks=True)
        self._git(self.work, "remote", "set-url", "origin", str(self.git_dir))
        self.state.git = BareRepo(self.git_dir)

    @staticmethod
    def _placeholder(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("503 Service Unavailable", [])
        return []

    def stop(self) -> None:
        """Stop serving, end slow answers early, close every client made by ``client``."""
        for client in self._clients:
            client.close()
        self.app.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

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
        ``bot`` (``handlers_apps``).
        """
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
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
                self._git(self.git_dir, "update-ref", pull.head_git_ref, f"refs/heads/{head}")
                self._git(self.git_dir, "update-ref", "-d", f"refs/heads/{head}")
            return issue.number

    def _git(self, cwd: Path | None, *args: str, user: User | None = None) -> str:
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
        if user is not None:
            email = user.email or f"{user.id}+{user.login}@users.noreply.github.com"
            env |= {"GIT_AUTHOR_NAME": user.login, "GIT_AUTHOR_EMAIL": email,
                    "GIT_COMMITTER_NAME": user.login, "GIT_COMMITTER_EMAIL": email}
        return subprocess.run(["git", *args], cwd=cwd, env=env, check=True,
                              capture_output=True, text=True).stdout.strip()

    def push_commit(self, branch: str, files: dict[str, str], message: str, author: User, *,
                    start: str = "main") -> str:
        """Commit ``files`` as ``author`` on ``branch`` (new branches start at ``start``) and
        push it to the bare repository, as a developer's ``git push`` would; the new SHA."""
        work = self.work
        self._git(work, "fetch", "--quiet", "origin")
        exists = self.state.git.ref(f"refs/heads/{branch}") is not None
        origin_start = f"origin/{branch if exists else start}"
        has_start = self.state.git.ref(f"refs/heads/{branch if exists else start}")
        if has_start:
            self._git(work, "checkout", "--quiet", "-B", branch, origin_start)
        else:
            self._git(work, "checkout", "--quiet", "--orphan", branch)
        for rel, text in files.items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text, encoding="utf-8")
            self._git(work, "add", "--", rel)
        self._git(work, "commit", "--quiet", "-m", message, user=author)
        self._git(work, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}")
        return self._git(work, "rev-parse", "HEAD")
