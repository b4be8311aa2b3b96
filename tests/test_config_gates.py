"""Gate settings come from the base branch alone when an approval or a landing is judged."""

from __future__ import annotations

import pytest

from gatebot import config
from gatebot.errors import ConfigError


def test_which_variables_set_gate_settings() -> None:
    """Every key is a gate setting but where and how fast gatebot works."""
    environ = {
        "GATEBOT_CHECKS__COMMANDS": '{"tests": ["true"]}',
        "GATEBOT_CHECKS__COMMANDS__LINT": "true",
        "GATEBOT_CHECKS": '{"timeout": 5, "env_allow": ["PYTEST_ADDOPTS"]}',
        "GATEBOT_MIN_COVERAGE": "0",
        "GATEBOT_CLAIMS__MAINTAINERS": '["me"]',
        "GATEBOT_CHECKS__TIMEOUT": "60", "GATEBOT_CHECKS__JOBS": "2",
        "GATEBOT_CLAIMS__SETTLE": "[0, 0]", "GATEBOT_BASE": "main", "GATEBOT_FORGE": "local",
        "GATEBOT_MERGE": '{"retries": 1}', "GATEBOT_ACTOR": "me", "GATEBOT_NO_SUCH": "1",
    }
    assert config.gate_env(environ) == {
        "GATEBOT_CHECKS": ["checks.env_allow"],
        "GATEBOT_CHECKS__COMMANDS": ["checks.commands"],
        "GATEBOT_CHECKS__COMMANDS__LINT": ["checks.commands.lint"],
        "GATEBOT_CLAIMS__MAINTAINERS": ["claims.maintainers"],
        "GATEBOT_MIN_COVERAGE": ["min_coverage"],
    }


def test_a_gate_setting_in_the_environment_is_refused_naming_it() -> None:
    """Exit 2 (ConfigError) naming the variable, the setting and how to fix it."""
    with pytest.raises(ConfigError, match=r"GATEBOT_EXCLUDE sets exclude: gate settings, "
                       r"and a landing is judged") as caught:
        config.refuse_gate_env({"GATEBOT_EXCLUDE": '["app/"]', "GATEBOT_CHECKS__JOBS": "1"},
                               "a landing")
    assert "unset GATEBOT_EXCLUDE" in str(caught.value.hint)
    config.refuse_gate_env({"GATEBOT_CHECKS__TIMEOUT": "9"}, "a landing")  # harmless: no error


def test_every_overridable_key_is_a_setting() -> None:
    """A renamed key cannot leave a stale name behind in the list."""
    names = {"GATEBOT_" + d.replace(".", "__").upper() for d in config.OVERRIDABLE_AT_GATES}
    environ = dict.fromkeys(names, "1")
    assert config.unknown_env(environ) == []
    assert config.gate_env(environ) == {}


def test_tox_options_in_the_environment_are_gate_settings() -> None:
    """tox reads ``TOX_<OPTION>`` as ``--option``: ``TOX_OVERRIDE`` swaps a tox check's commands."""
    environ = {"TOX_OVERRIDE": "testenv.commands=python -c pass", "TOX_CONFIG_FILE": "/tmp/x",
               "TOX_WORK_DIR": "/tmp/w", "TOX_ENV_NAME": "py", "TOXENV": "py"}
    assert config.gate_env(environ) == {"TOX_CONFIG_FILE": ["tox's --config-file"],
                                        "TOX_OVERRIDE": ["tox's --override"]}
    with pytest.raises(ConfigError, match=r"TOX_OVERRIDE sets tox's --override"):
        config.refuse_gate_env({"TOX_OVERRIDE": "x"}, "an approval")
