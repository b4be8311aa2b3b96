"""The environment a check runs in: an allow-list of variables, secrets kept out and redacted.

A check runs the branch's own test code, so it must not see the tokens of the
machine that runs gatebot (``GITHUB_TOKEN``, ``GH_TOKEN``, ``GATEBOT_TOKEN``…).
Only the variables named by ``DEFAULT_ALLOW`` and ``checks.env_allow`` (names or
``fnmatch`` globs, case-sensitive) are passed on. A variable whose name looks
secret (``SECRET_NAMES``, any case) is withheld even when a glob allows it; only
its exact name in ``checks.env_allow`` lets it through. The values of all
secret-named variables are redacted from the logs.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gatebot.core.safe_text import Redactor

PYTHON_ALLOW = (
    "PYTHONUNBUFFERED", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONCOERCECLOCALE",
    "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "PYTHONFAULTHANDLER", "PYTHONTRACEMALLOC",
    "PYTHONDEVMODE", "PYTHON_COLORS",
)
"""The ``PYTHON*`` variables a check gets: how Python encodes and shows its output, whether it
writes bytecode, the hash seed, diagnostics. Never those that change what runs (the
environment of whoever runs gatebot must not decide what a gate's checks are):
``PYTHONPATH`` (a ``pytest.py`` on it replaces pytest under ``python -m pytest``),
``PYTHONHOME``, ``PYTHONSTARTUP``, ``PYTHONINSPECT``, ``PYTHONOPTIMIZE`` (drops ``assert``),
``PYTHONUSERBASE``, ``PYTHONPYCACHEPREFIX`` (bytecode from elsewhere), ``PYTHONWARNINGS``,
``PYTHONBREAKPOINT`` … nor any Python adds later. ``PYTEST_*`` (``PYTEST_ADDOPTS="--co"``
passes with no test run, ``PYTEST_PLUGINS``) and ``COVERAGE_*`` (``COVERAGE_RCFILE``) are
not allowed either. A project that needs one lists it in ``checks.env_allow`` on the base
branch, a reviewed gate setting."""
DEFAULT_ALLOW = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TMPDIR", "TEMP", "TMP",
    "LANG", "LANGUAGE", "LC_*", "TZ", *PYTHON_ALLOW, "VIRTUAL_ENV", "NOX_*", "TOX_*", "CI",
    "PIP_*", "UV_*", "PYENV_*", "SSL_CERT_*", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO", "NODE_EXTRA_CA_CERTS", "XDG_*",
    "LD_LIBRARY_PATH", "SOURCE_DATE_EPOCH", "NO_COLOR", "FORCE_COLOR",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
)
"""What nox, tox, pip, uv, virtualenv and test runners need: paths, locale, indexes, certificates.

Where things are, never what the checks run (``PYTHON_ALLOW``). ``TOX_*`` options are passed
on for ``gatebot review`` but refused at approvals and landings (``config.TOX_AT_GATES``)."""
SECRET_NAMES = ("*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*CREDENTIAL*", "*_KEY")
"""Names (matched upper-cased) withheld unless ``checks.env_allow`` lists them exactly."""
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class CheckEnvironment:
    """The variables a check gets, and the redactor for its log.

    ``variables``: name → value, the whole environment of the check process.
    ``redactor``: replaces the values of secret-named variables (passed on or
    not) and the known secret shapes (``gatebot.core.safe_text``).
    """

    variables: Mapping[str, str]
    redactor: Redactor


def looks_secret(name: str) -> bool:
    """Whether a variable's name matches ``SECRET_NAMES`` (case-insensitive)."""
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_NAMES)


def _allowed(name: str, globs: tuple[str, ...], exact: frozenset[str]) -> bool:
    if name in exact:
        return True
    if looks_secret(name):
        return False
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in globs)


def check_environment(environ: Mapping[str, str], extra: Iterable[str] = ()) -> CheckEnvironment:
    """The allow-listed part of ``environ`` for a check, with ``extra`` names/globs allowed too.

    ``extra`` is ``checks.env_allow``: an entry without ``* ? [`` is an exact
    name and is passed on even when it looks secret; a glob never passes a
    secret-looking name. Pure apart from reading its arguments.
    """
    wanted = (*DEFAULT_ALLOW, *extra)
    exact = frozenset(p for p in extra if not _GLOB_CHARS & set(p))
    kept = {k: v for k, v in environ.items() if _allowed(k, wanted, exact)}
    secrets = [v for k, v in environ.items() if looks_secret(k)]
    return CheckEnvironment(MappingProxyType(kept), Redactor(secrets))
