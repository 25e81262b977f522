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


def test_given_the_stack_owns_the_experiment_role_when_settings_load_then_its_arn_comes_from_the_environment(
    tmp_path: Path,
) -> None:
    env = function_environment(write_config(tmp_path))
    env["EXPERIMENT_ROLE_ARN"] = "arn:aws:iam::123456789012:role/RegistryAutopilot-ShadowTests"

    settings = load_settings(env)

    assert (
        settings.config.experiment_role_arn == "arn:aws:iam::123456789012:role/RegistryAutopilot-ShadowTests"
    )


def test_given_an_experiment_role_that_is_not_a_role_arn_when_settings_load_then_the_variable_is_named(
    tmp_path: Path,
) -> None:
    env = function_environment(write_config(tmp_path))
    env["EXPERIMENT_ROLE_ARN"] = "arn:aws:iam::123456789012:user/someone"

    with pytest.raises(SettingsError, match="EXPERIMENT_ROLE_ARN"):
        load_settings(env)
