"""Connecting to GitHub: credentials, the retry policy, and errors users can act on.

Credentials (docs/github.md in the README's "GitHub mode"): a token (``--token``, else
``GITHUB_TOKEN``) or a GitHub App (``GATEBOT_GITHUB_APP_ID`` and its private key in
``GATEBOT_GITHUB_APP_KEY`` or the file ``GATEBOT_GITHUB_APP_KEY_FILE``; gatebot exchanges them
for an installation token of the repository; with both set, the App is used even when
``GITHUB_TOKEN`` is set too, as in a workflow job that passes both). ``GITHUB_API_URL`` selects GitHub Enterprise
(default ``https://api.github.com``); ``GITHUB_REPOSITORY`` names ``owner/name``.

Retries (``RetryPolicy``): GitHub's primary and secondary rate limits (403 or 429 with
``Retry-After``, or a rate-limit message) are waited out and retried for every method — GitHub
did nothing — as long as the wait is at most ``max_wait`` seconds, and each wait is reported.
Server errors (5xx), dropped connections and timeouts are retried only for reads and for
writes that are idempotent by nature (PUT, PATCH, DELETE): a POST whose answer was lost may
have been applied, and the callers reconcile it by reading back (``adapters.github.writes``).

A secret (token, private key, installation token) never appears in output, logs or exception
text: every error is rebuilt from GitHub's message and passed through ``Secrets.redact``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, Self

import requests
from github import Auth, Github, GithubException, GithubIntegration, GithubRetry
from github.GithubException import BadCredentialsException, RateLimitExceededException
from github.GithubObject import GithubObject
from github.Repository import Repository

from gatebot.errors import EnvironmentProblem, GatebotError, UsageError

DEFAULT_API = "https://api.github.com"
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
Report = Callable[[str], None]


def stderr_report(line: str) -> None:
    """Write one progress line to stderr (rate-limit waits)."""
    print(f"gatebot: {line}", file=sys.stderr, flush=True)


class WaitTooLong(Exception):
    """GitHub asked to wait ``wait`` seconds, more than the configured cap ``cap``."""

    def __init__(self, wait: float, cap: float) -> None:
        """Keep the asked ``wait`` and the ``cap``, in seconds."""
        super().__init__(f"GitHub asked to wait {wait:.0f} s, more than the cap of {cap:.0f} s")
        self.wait = wait
        self.cap = cap


class RetryPolicy(GithubRetry):
    """PyGithub's ``GithubRetry`` with a capped, reported wait and no blind POST retries.

    ``max_wait``: the longest wait in seconds gatebot accepts (longer: ``WaitTooLong``);
    ``report(line)`` hears each wait.
    """

    def __init__(self, *, max_wait: float = 60.0, report: Report = stderr_report,
                 **kwargs: Any) -> None:
        """Build the policy; ``kwargs`` are urllib3 ``Retry`` arguments (``total``, …)."""
        self.max_wait = max_wait
        self.report = report
        kwargs.setdefault("status_forcelist", [*range(500, 600), 429])
        kwargs.setdefault("allowed_methods", IDEMPOTENT)
        kwargs.setdefault("backoff_factor", 0.5)
        kwargs.setdefault("backoff_max", max_wait)
        kwargs.setdefault("max_rate_limit_wait", max_wait)
        kwargs.setdefault("secondary_rate_wait", min(60.0, max_wait))
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> Self:
        """A copy for the next attempt, keeping the cap and the reporter."""
        kw.update(max_wait=self.max_wait, report=self.report)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Rate limits (403, 429) for any method; other statuses for idempotent methods only."""
        if status_code in (403, 429):
            return bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def sleep(self, response: Any = None) -> None:
        """Wait as GitHub asks (``Retry-After``) or by backoff; report it; refuse past the cap."""
        after = self.get_retry_after(response) if response is not None else None
        wait = after if after is not None else self.get_backoff_time()
        if wait > self.max_wait:
            raise WaitTooLong(wait, self.max_wait)
        if wait > 0:
            status = getattr(response, "status", None)
            why = f"GitHub answered {status}" if status else "the request failed"
            self.report(f"{why}; waiting {wait:.0f} s before retrying")
            time.sleep(wait)


@dataclass
class Secrets:
    """The secret strings of a connection; ``redact`` blanks each out of a text."""

    values: set[str] = field(default_factory=set)

    def add(self, secret: str | None) -> None:
        """Remember ``secret`` (and each line of a multi-line key) for redaction."""
        if secret:
            self.values.add(secret)
            self.values.update(line for line in secret.splitlines() if len(line) >= 8)

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by ``***`` (longest first)."""
        for secret in sorted(self.values, key=len, reverse=True):
            text = text.replace(secret, "***")
        return re.sub(r"(?i)(authorization:\s*(?:token|bearer)\s+)\S+", r"\1***", text)


@dataclass(frozen=True)
class Settings:
    """Where and as whom to connect.

    API ``base_url``, ``repository`` ``owner/name``, a ``token`` or an App (``app_id``, ``app_key`` PEM), ``timeout`` and ``max_wait`` in seconds,
    (``app_id`` is kept with a token too: gatebot's App, whose check runs alone are trusted),
    ``retries`` (attempts after the first), ``bot_login`` (whose comments are gatebot's when the
    token cannot ask ``GET /user``, as an installation token cannot).
    """

    repository: str
    base_url: str = DEFAULT_API
    token: str | None = field(default=None, repr=False)
    app_id: str | None = None
    app_key: str | None = field(default=None, repr=False)
    timeout: int = 30
    max_wait: float = 60.0
    retries: int = 4
    bot_login: str | None = None
    throttle: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, token: str | None = None,
                 repository: str | None = None, **overrides: Any) -> Settings:
        """Settings from ``--token``/``repository`` and the environment (module doc).

        Raises ``UsageError`` (exit 2) when no credentials or no repository are given.
        """
        repo = repository or env.get("GITHUB_REPOSITORY", "")
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
            raise UsageError("no GitHub repository to work on",
                             "set GITHUB_REPOSITORY=owner/name (GitHub Actions sets it), or "
                             "give the repository an origin remote on GitHub")
        app_id = env.get("GATEBOT_GITHUB_APP_ID")
        key = env.get("GATEBOT_GITHUB_APP_KEY") or _read_key(env.get("GATEBOT_GITHUB_APP_KEY_FILE"))
        # the App's own key beats the job's GITHUB_TOKEN (a workflow passes both, the key from
        # its environment when there is one); an explicit --token beats both
        secret = token or (None if app_id and key else env.get("GITHUB_TOKEN"))
        if not secret and not (app_id and key):
            raise UsageError("no GitHub credentials",
                             "pass --token, set GITHUB_TOKEN, or set GATEBOT_GITHUB_APP_ID with "
                             "GATEBOT_GITHUB_APP_KEY_FILE (a GitHub App's private key)")
        return cls(repository=repo, base_url=(env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/"),
                   token=secret or None, app_id=app_id or None,
                   app_key=None if secret else key, bot_login=env.get("GATEBOT_GITHUB_BOT_LOGIN"),
                   **overrides)


def _read_key(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the GitHub App key file {path}: {exc.strerror}",
                         "point GATEBOT_GITHUB_APP_KEY_FILE at the app's .pem file") from None


@dataclass
class Connection:
    """An open connection: PyGithub ``gh``, the ``repo`` (lazy), the ``secrets`` and ``report``."""

    gh: Github
    repo: Repository
    settings: Settings
    secrets: Secrets
    report: Report
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Answers that cannot change while one command runs, read once (e.g. the bot's account)."""

    def close(self) -> None:
        """Close the HTTP session."""
        self.gh.close()


def connect(settings: Settings, *, report: Report = stderr_report) -> Connection:
    """Open a connection (no request is made for a token; an App makes two to get one).

    Raises ``EnvironmentProblem`` (exit 2) when GitHub refuses the App's credentials.
    """
    secrets = Secrets()
    secrets.add(settings.token)
    secrets.add(settings.app_key)
    token = settings.token or _installation_token(settings, secrets, report)
    gh = Github(base_url=settings.base_url, auth=Auth.Token(token), timeout=settings.timeout,
                retry=_policy(settings, report), per_page=100,
                seconds_between_requests=0.25 if settings.throttle else 0,
                seconds_between_writes=1.0 if settings.throttle else 0, lazy=True)
    repo = gh.get_repo(settings.repository)
    return Connection(gh, repo, settings, secrets, report)


def _policy(settings: Settings, report: Report) -> RetryPolicy:
    return RetryPolicy(total=settings.retries, max_wait=settings.max_wait, report=report)


def _installation_token(settings: Settings, secrets: Secrets, report: Report) -> str:
    """Exchange the App's id and key for an installation token of the repository."""
    if not (settings.app_id and settings.app_key):
        raise UsageError("no GitHub App id and key", "set GATEBOT_GITHUB_APP_ID and its key")
    owner, name = settings.repository.split("/", 1)
    app = GithubIntegration(auth=Auth.AppAuth(settings.app_id, settings.app_key),
                            base_url=settings.base_url, timeout=settings.timeout,
                            retry=_policy(settings, report))
    try:
        with translated(secrets, "getting the GitHub App's installation token"):
            installation = app.get_repo_installation(owner, name)
            token = app.get_access_token(installation.id).token
    finally:
        app.close()
    secrets.add(token)
    return token


# -- errors ---------------------------------------------------------------------------------
AMBIGUOUS = (requests.ConnectionError, requests.Timeout)


def is_ambiguous(error: BaseException) -> bool:
    """Whether a failed write may have been applied: a 5xx, a dropped or timed-out answer."""
    if isinstance(error, GithubException):
        return error.status >= 500
    return isinstance(error, AMBIGUOUS)


@contextmanager
def translated(secrets: Secrets, doing: str) -> Iterator[None]:
    """Turn what PyGithub and requests raise inside the block into ``GatebotError`` (exit 2).

    ``doing`` says what gatebot was doing ("adding the label claimed to issue #4"). The new
    error's text is built from GitHub's message and redacted; the original is not chained, so
    no traceback or ``repr`` can carry a secret.
    """
    try:
        yield
    except GatebotError:
        raise
    except WaitTooLong as exc:
        _raise(secrets, f"{exc} while {doing}",
               "try again later, or raise the cap (GATEBOT_GITHUB_MAX_WAIT, seconds)")
    except GithubException as exc:
        _raise(secrets, *_github_text(exc, doing))
    except requests.exceptions.RetryError as exc:
        _raise(secrets, f"GitHub kept failing while {doing}: {_retry_text(exc)}",
               "nothing is left half-done: run the command again later; GitHub's status "
               "page says whether it is having problems")
    except requests.RequestException as exc:
        kind = "timed out" if isinstance(exc, requests.Timeout) else "lost the connection"
        _raise(secrets, f"GitHub {kind} while {doing} ({type(exc).__name__})",
               "nothing is left half-done: run the command again; check GITHUB_API_URL and "
               "the network if it keeps happening")


def _retry_text(exc: requests.exceptions.RetryError) -> str:
    """What the last of the retried answers was, from urllib3's ``MaxRetryError`` reason."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    found = re.search(r"too many (\d{3}) error responses", str(reason or ""))
    return (f"GitHub answered {found.group(1)} to every retry" if found
            else "the retries ran out")


def _raise(secrets: Secrets, message: str, hint: str) -> NoReturn:
    raise EnvironmentProblem(secrets.redact(message), secrets.redact(hint)) from None


def _github_text(exc: GithubException, doing: str) -> tuple[str, str]:
    """``(message, hint)`` for a GitHub error answer."""
    data = exc.data if isinstance(exc.data, dict) else {}
    said = str(data.get("message") or "no message")[:300]
    base = f"GitHub answered {exc.status} ({said}) while {doing}"
    if isinstance(exc, BadCredentialsException) or exc.status == 401:
        return base, ("the token is wrong, expired or revoked, or for another host: check "
                      "GITHUB_TOKEN or --token, and GITHUB_API_URL for GitHub Enterprise")
    if isinstance(exc, RateLimitExceededException) or exc.status == 429:
        return base, "GitHub's rate limit: wait until it resets, then run the command again"
    if exc.status == 403:
        return base, ("the token lacks a permission this needs (issues, pull requests, "
                      "checks or statuses: write); grant it in the workflow's permissions")
    if exc.status == 404:
        return base, "check GITHUB_REPOSITORY and that the token can see the repository"
    if exc.status >= 500:
        return base, "GitHub had a problem; nothing is left half-done: run the command again"
    return base, "see GitHub's message above; fix what it names and run the command again"


def env_settings(token: str | None = None, **overrides: Any) -> Settings:
    """``Settings.from_env`` over ``os.environ``.

    ``GATEBOT_GITHUB_MAX_WAIT`` caps waits (seconds); ``GATEBOT_GITHUB_THROTTLE=0`` drops PyGithub's pause between requests (which
    GitHub asks of clients that write; for tests against a local server).
    """
    if os.environ.get("GATEBOT_GITHUB_THROTTLE") == "0":
        overrides.setdefault("throttle", False)
    raw = os.environ.get("GATEBOT_GITHUB_MAX_WAIT")
    if raw:
        try:
            overrides.setdefault("max_wait", float(raw))
        except ValueError:
            raise UsageError(f"GATEBOT_GITHUB_MAX_WAIT={raw!r} is not a number of seconds",
                             "set it to a number, e.g. 60") from None
    return Settings.from_env(os.environ, token=token, **overrides)


def raw(item: GithubObject) -> dict[str, Any]:
    """The object's JSON as listed: reading it never sends a request to complete the object.

    A listed PyGithub object completes itself with a GET when an attribute absent from the
    listing is read (GitHub leaves ``pull_request`` out of a plain issue, for example).
    """
    data: dict[str, Any] = GithubObject.raw_data.fget(item)  # type: ignore[attr-defined]
    return data


def workflow_run_data(conn: Connection, run_id: int) -> Any:
    """The JSON of ``GET /repos/{o}/{r}/actions/runs/{run_id}``; None when there is no such run.

    Read fresh each time (a run in progress finishes). The token needs ``actions: read``.
    Raises ``EnvironmentProblem`` (exit 2) for any other GitHub error (``translated``).
    """
    with translated(conn.secrets, f"reading the workflow run {run_id}"):
        try:
            _headers, data = conn.gh.requester.requestJsonAndCheck(
                "GET", f"{conn.repo.url}/actions/runs/{run_id}")
        except GithubException as exc:
            if exc.status != 404:
                raise
            return None
    return data
