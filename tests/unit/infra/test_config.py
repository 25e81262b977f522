"""The cdk.json configuration: valid shapes load, invalid ones fail naming the key."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError, config_from_context, load_config, merge_context

CDK_JSON = Path(__file__).resolve().parents[3] / "cdk.json"


def shipped_config() -> dict[str, Any]:
    return copy.deepcopy(json.loads(CDK_JSON.read_text())["context"]["autopilot"])


def minimal_config() -> dict[str, Any]:
    return {
        "compileRoleArn": "arn:aws:iam::123456789012:role/NeoCompile",
        "groups": {"churn": {"neoTargets": [{"name": "ml-c5", "targetDevice": "ml_c5"}]}},
    }


def error_of(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    return str(caught.value)


def test_the_shipped_cdk_json_is_a_valid_configuration() -> None:
    config = load_config(shipped_config())

    assert set(config.groups) == {"churn-xgboost", "fraud-pytorch"}


def test_defaults_fill_everything_a_minimal_configuration_leaves_out() -> None:
    config = load_config(minimal_config())

    assert config.stack_name == "RegistryAutopilot"
    assert config.groups["churn"].approval.mode == "manual"
    assert config.create_model_package_groups is False


def test_an_unknown_top_level_key_is_named() -> None:
    raw = minimal_config() | {"compileRole": "x"}

    assert "autopilot.compileRole: unknown key" in error_of(raw)


def test_an_unknown_nested_key_is_named_with_its_full_path() -> None:
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"][0]["device"] = "ml_c5"

    assert "autopilot.groups.churn.neoTargets[0].device: unknown key" in error_of(raw)


@pytest.mark.parametrize(
    "group_name",
    ["bad_name", "-leading-hyphen", "trailing-", "x" * 64, "spaces here", "ünicode"],
)
def test_a_group_name_outside_the_sagemaker_pattern_is_rejected(group_name: str) -> None:
    # CreateModelPackageGroup: ModelPackageGroupName pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$
    raw = minimal_config()
    raw["groups"] = {group_name: raw["groups"]["churn"]}

    message = error_of(raw)

    assert f"autopilot.groups.{group_name}:" in message
    assert "is not a SageMaker name" in message


def test_a_63_character_group_name_is_accepted() -> None:
    raw = minimal_config()
    raw["groups"] = {"a" * 63: raw["groups"]["churn"]}

    assert "a" * 63 in load_config(raw).groups


def test_an_empty_target_list_is_rejected() -> None:
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"] = []

    assert "autopilot.groups.churn.neoTargets: List should have at least 1 item" in error_of(raw)


def test_more_than_fifteen_targets_are_rejected_because_a_version_holds_at_most_fifteen_specs() -> None:
    # UpdateModelPackage: AdditionalInferenceSpecificationsToAdd, 1-15 items; at most 15 per version.
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"] = [
        {"name": f"t{index}", "targetDevice": "ml_c5"} for index in range(16)
    ]

    assert "autopilot.groups.churn.neoTargets: List should have at most 15 items" in error_of(raw)


@pytest.mark.parametrize(
    "role",
    [
        "NeoCompile",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::12345:role/short-account",
        "arn:aws:s3:::bucket",
    ],
)
def test_a_compile_role_that_is_not_an_iam_role_arn_is_rejected(role: str) -> None:
    raw = minimal_config() | {"compileRoleArn": role}

    assert "autopilot.compileRoleArn:" in error_of(raw)
    assert "is not an IAM role ARN" in error_of(raw)


def test_a_target_needs_exactly_one_of_device_or_platform() -> None:
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"] = [
        {"name": "both", "targetDevice": "ml_c5", "targetPlatform": {"os": "LINUX", "arch": "X86_64"}}
    ]

    assert "exactly one of 'targetDevice' or 'targetPlatform'" in error_of(raw)


def test_an_nvidia_platform_without_compiler_options_is_rejected() -> None:
    # CreateCompilationJob / OutputConfig: CompilerOptions are required for NVIDIA accelerators.
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"] = [
        {"name": "jetson", "targetPlatform": {"os": "LINUX", "arch": "ARM64", "accelerator": "NVIDIA"}}
    ]

    assert "'compilerOptions' is required" in error_of(raw)


def test_duplicate_target_names_are_rejected() -> None:
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"] *= 2

    assert "repeated: ml-c5" in error_of(raw)


def test_required_targets_must_name_configured_targets() -> None:
    raw = minimal_config()
    raw["groups"]["churn"]["approval"] = {"mode": "auto", "requiredTargets": ["ml-c5", "ml-g4dn"]}

    assert "unknown targets: ml-g4dn" in error_of(raw)


def test_a_rollout_longer_than_the_experiment_duration_is_rejected() -> None:
    # InferenceExperimentSchedule: an experiment runs at most 30 days.
    raw = shipped_config()
    raw["groups"]["churn-xgboost"]["shadow"]["durationDays"] = 31

    assert "durationDays: Input should be less than or equal to 30" in error_of(raw)


def test_given_no_role_arns_when_the_configuration_loads_then_the_stack_is_left_to_own_both_roles() -> None:
    raw = shipped_config()
    raw.pop("compileRoleArn", None)
    raw.pop("experimentRoleArn", None)

    config = load_config(raw)

    assert (config.compile_role_arn, config.experiment_role_arn) == (None, None)


def test_a_model_artifact_location_that_is_not_an_s3_location_is_named() -> None:
    raw = shipped_config() | {"modelArtifactLocations": ["models-bucket/prefix"]}

    assert "autopilot.modelArtifactLocations[0]:" in error_of(raw)


def test_a_whole_object_override_given_as_json_replaces_cdk_json() -> None:
    override = json.dumps(minimal_config())

    merged = merge_context(shipped_config(), {"autopilot": override})

    assert set(merged["groups"]) == {"churn"}


def test_a_dotted_override_replaces_one_key_and_parses_json_values() -> None:
    merged = merge_context(
        shipped_config(),
        {"autopilot.logRetentionDays": "90", "autopilot.notificationEmail": "ops@example.com"},
    )

    assert merged["logRetentionDays"] == 90
    assert merged["notificationEmail"] == "ops@example.com"


def test_config_from_context_reads_overrides_given_on_the_command_line() -> None:
    context = {"autopilot": shipped_config(), "autopilot.createModelPackageGroups": "true"}

    config = config_from_context(context.get, context)

    assert config.create_model_package_groups is True


def test_a_missing_autopilot_key_says_where_to_put_it() -> None:
    with pytest.raises(ConfigError, match="missing context key 'autopilot'"):
        merge_context(None, {})


def test_a_target_device_neo_does_not_know_is_rejected() -> None:
    # CreateCompilationJob, OutputConfig.TargetDevice: an enum (read from the pinned SDK's model).
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"][0]["targetDevice"] = "ml_c6i"

    message = error_of(raw)

    assert "autopilot.groups.churn.neoTargets[0].targetDevice: 'ml_c6i' is not a SageMaker Neo" in message
    assert "ml_c5" in message


def test_an_instance_type_sagemaker_cannot_host_is_rejected() -> None:
    # AdditionalInferenceSpecificationDefinition.SupportedRealtimeInferenceInstanceTypes:
    # ProductionVariantInstanceType enum (read from the pinned SDK's model).
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"][0]["instanceTypes"] = ["ml.c5.xlarge", "ml.m7g.xlarge"]

    message = error_of(raw)

    assert "autopilot.groups.churn.neoTargets[0].instanceTypes[1]: 'ml.m7g.xlarge' is not" in message
    assert "ml.c5.xlarge' is not" not in message
