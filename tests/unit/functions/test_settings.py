"""Environment settings are validated at cold start and name what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry_autopilot.settings import SettingsError, load_settings
from tests.compile_fixtures import function_environment, write_config


def test_complete_environment_loads_the_deployed_config(tmp_path: Path) -> None:
    settings = load_settings(function_environment(write_config(tmp_path)))

    assert settings.region == "us-east-1"
    assert "churn-xgboost" in settings.config.groups


def test_missing_topic_is_named(tmp_path: Path) -> None:
    env = function_environment(write_config(tmp_path))
    del env["NOTIFICATION_TOPIC_ARN"]

    with pytest.raises(SettingsError, match="notification_topic_arn"):
        load_settings(env)


def test_unreadable_config_file_is_named(tmp_path: Path) -> None:
    env = function_environment(tmp_path / "missing.json")

    with pytest.raises(SettingsError, match="AUTOPILOT_CONFIG_FILE: cannot read"):
        load_settings(env)


def test_invalid_config_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "autopilot_config.json"
    path.write_text('{"groups": {}, "compileRoleArn": "not-an-arn"}')

    with pytest.raises(SettingsError, match="compileRoleArn"):
        load_settings(function_environment(path))
