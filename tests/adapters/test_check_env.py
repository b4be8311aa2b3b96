"""Checks get an allow-listed environment and write logs without secrets: real nox, real processes.

The tokens are put into this process's environment (the machine running gatebot);
the nox session prints every variable it sees and a file in which its "test code"
found a token, as a branch's tests could.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from gatebot.adapters.check_env import check_environment
from gatebot.adapters.checks import CheckSpec, plan_checks, run_checks

NOXFILE = '''
import os
import sys

import nox

if "GITHUB_TOKEN" in os.environ:  # nox imports the noxfile, the branch's code, to list it
    raise SystemExit("the noxfile saw GITHUB_TOKEN")

SHOW = "import os\\nfor k, v in sorted(os.environ.items()):\\n    print(f'{k}={v}')"


@nox.session(python=False)
def show_env(session):
    session.run(sys.executable, "-c", SHOW)
    session.run(sys.executable, "-c", "print(open('found.txt').read())")
'''

WITHHELD = {
    "GITHUB_TOKEN": "github-token-value-1",
    "GH_TOKEN": "gh-token-value-22",
    "GATEBOT_TOKEN": "gatebot-token-value-333",
    "UV_PUBLISH_TOKEN": "uv-token-value-4444",  # UV_* is allowed, but not a token
    "PIP_PASSWORD": "pip-password-value-5",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value-66",
    "NOT_ALLOWED": "plain-value",
}
GH_SHAPED = "ghp_" + "A1b2C3" * 6
FOUND = (f"the tests found gatebot-token-value-333, {GH_SHAPED} and\n"
         "Authorization: Bearer abc.def.ghi\n")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)")


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in WITHHELD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NPM_TOKEN", "npm-token-value-777")  # allowed by name in the config
    monkeypatch.setenv("PIP_INDEX_URL", "https://ann:index-password-8@pypi.example/simple")
    monkeypatch.setenv("CI", "true")


def shown(log: str) -> dict[str, str]:
    """The ``NAME=value`` lines of a log: what the check saw."""
    return dict(m.groups() for line in log.splitlines() if (m := _ASSIGNMENT.fullmatch(line)))


@pytest.mark.usefixtures("secrets")
def test_a_nox_check_sees_only_allowed_variables_and_its_log_holds_no_secret(
        tmp_path: Path) -> None:
    (tmp_path / "noxfile.py").write_text(NOXFILE)
    (tmp_path / "found.txt").write_text(FOUND)
    logs = tmp_path / "logs"

    specs = plan_checks(tmp_path, nox_wanted=("show_env",), log_dir=logs, env_allow=("NPM_TOKEN",))
    (result,) = run_checks(specs, tmp_path, logs, jobs=1)

    log = (logs / "show_env.log").read_text()
    assert result.status == "pass", log
    seen = shown(log)
    assert {"PATH", "HOME", "CI", "PIP_INDEX_URL", "NPM_TOKEN"} <= set(seen)
    assert not set(WITHHELD) & set(seen)
    assert seen["NPM_TOKEN"] == "[redacted]"  # passed on, as configured, but never logged
    assert seen["PIP_INDEX_URL"] == "https://[redacted]@pypi.example/simple"
    assert "the tests found [redacted], [redacted] and" in log
    assert "Authorization: [redacted]" in log
    for secret in (*WITHHELD.values(), "npm-token-value-777", "index-password-8", GH_SHAPED,
                   "abc.def.ghi"):
        assert secret not in log


@pytest.mark.usefixtures("secrets")
def test_a_command_check_gets_the_same_environment(tmp_path: Path) -> None:
    code = "import os\nfor k, v in sorted(os.environ.items()):\n    print(f'{k}={v}')"
    spec = CheckSpec("env", (sys.executable, "-c", code), 30)

    (result,) = run_checks([spec], tmp_path, tmp_path, jobs=1)

    seen = shown(Path(result.log_path or "").read_text())
    expected = check_environment(os.environ).variables
    assert seen == {k: v for k, v in expected.items() if k != "PIP_INDEX_URL"} | {
        "PIP_INDEX_URL": "https://[redacted]@pypi.example/simple"}
    assert "NPM_TOKEN" not in seen  # only when the configuration names it


@pytest.mark.parametrize(("name", "extra", "kept"), [
    ("PATH", (), True),
    ("LC_ALL", (), True),
    ("PYTHONUNBUFFERED", (), True),
    ("PYTHONPATH", (), False),  # what the checks import is the change's, not the environment's
    ("PYTHONHOME", (), False),
    ("PYTHONOPTIMIZE", (), False),
    ("PYTHONSOMETHINGNEW", (), False),
    ("PYTHONPATH", ("PYTHONPATH",), True),  # unless the base branch's configuration says so
    ("PYTEST_ADDOPTS", (), False),
    ("COVERAGE_RCFILE", (), False),
    ("NOX_DEFAULT_VENV_BACKEND", (), True),
    ("SSL_CERT_FILE", (), True),
    ("GITHUB_TOKEN", (), False),
    ("GATEBOT_TOKEN", (), False),
    ("DISPLAY", (), False),
    ("PIP_TOKEN", (), False),  # PIP_* allows it, its name withholds it
    ("uv_publish_password", ("uv_*",), False),  # any case
    ("NOX_SIGNING_KEY", (), False),
    ("NPM_TOKEN", ("NPM_*",), False),  # a glob never passes a secret-looking name
    ("NPM_TOKEN", ("NPM_TOKEN",), True),  # its exact name does
    ("MY_SETTING", ("MY_*",), True),
])
def test_allow_list(name: str, extra: tuple[str, ...], kept: bool) -> None:
    environment = check_environment({name: "value-123456"}, extra)
    assert (name in environment.variables) is kept
