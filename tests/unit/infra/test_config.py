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


# Developer Guide, "Shadow tests" > "Exclusions"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions.html): "If your endpoint uses any
# of the following features you cannot use shadow tests on your endpoint, and your request to setup
# shadow tests will lead to validation errors. ... Endpoints that use Inf1 (Inferentia-based) instances;
# Amazon Elastic Inference endpoints."
@pytest.mark.parametrize(
    ("instance_type", "words"), [("ml.inf1.xlarge", "Inf1"), ("ml.eia2.medium", "Elastic Inference")]
)
def test_a_shadow_instance_type_aws_excludes_from_shadow_tests_is_refused_naming_the_key(
    instance_type: str, words: str
) -> None:
    raw = shipped_config()
    raw["groups"]["churn-xgboost"]["shadow"]["instanceType"] = instance_type

    message = error_of(raw)

    assert "autopilot.groups.churn-xgboost.shadow.instanceType: shadow tests exclude" in message
    assert words in message


def test_inf2_is_not_inf1_and_may_be_shadow_tested() -> None:
    raw = shipped_config()
    raw["groups"]["churn-xgboost"]["shadow"]["instanceType"] = "ml.inf2.xlarge"

    config = load_config(raw)

    assert config.groups["churn-xgboost"].shadow is not None


def test_a_custom_promotion_capacity_on_inf1_is_refused_naming_the_key() -> None:
    raw = shipped_config()
    shadow = raw["groups"]["churn-xgboost"]["shadow"]
    del shadow["productionVariant"]
    shadow.update({"endAction": "Promote", "promotionCapacity": {"instanceType": "ml.inf1.2xlarge"}})

    assert "shadow.promotionCapacity.custom.instanceType: shadow tests exclude Inf1" in error_of(raw)


def test_a_custom_promotion_capacity_must_be_a_real_time_instance_type() -> None:
    raw = shipped_config()
    shadow = raw["groups"]["churn-xgboost"]["shadow"]
    del shadow["productionVariant"]
    shadow.update(
        {"endAction": "Promote", "promotionCapacity": {"instanceType": "ml.c5.huge", "instanceCount": 2}}
    )

    assert "shadow.promotionCapacity.instanceType: 'ml.c5.huge' is not a SageMaker real-time" in error_of(raw)


def test_a_promotion_capacity_without_end_action_promote_is_refused() -> None:
    raw = shipped_config()
    raw["groups"]["churn-xgboost"]["shadow"]["promotionCapacity"] = "shadow"

    assert "'promotionCapacity' applies only with endAction 'Promote'" in error_of(raw)


def test_end_action_promote_with_a_named_production_variant_is_refused() -> None:
    # Promoting gives the endpoint the shadow variant, under its own name (DesiredModelVariants.VariantName):
    # a configured production variant name would not be found by the next shadow test.
    raw = shipped_config()
    raw["groups"]["churn-xgboost"]["shadow"]["endAction"] = "Promote"

    assert "'productionVariant' cannot be set with endAction 'Promote'" in error_of(raw)


def test_end_action_promote_defaults_to_the_production_variants_capacity() -> None:
    raw = shipped_config()
    shadow = raw["groups"]["churn-xgboost"]["shadow"]
    del shadow["productionVariant"]
    shadow["endAction"] = "Promote"

    loaded = load_config(raw).groups["churn-xgboost"].shadow

    assert loaded is not None
    assert loaded.promotion_capacity == "production"
    assert loaded.production_variant is None


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


# --- Compile time limit ---------------------------------------------------------------------------------
# SageMaker API Reference, StoppingCondition
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StoppingCondition.html), MaxRuntimeInSeconds:
# "For compilation jobs, if the job does not complete during this time, a TimeOut error is generated. We
# recommend starting with 900 seconds and increasing as necessary based on your model."


def test_the_compile_time_limit_defaults_to_900_seconds_and_a_target_may_override_its_group() -> None:
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"].append(
        {"name": "ml-inf2", "targetDevice": "ml_inf2", "compileMaxRuntimeSeconds": 1800}
    )
    config = load_config(raw)
    group = config.groups["churn"]

    assert [group.max_runtime_seconds(target) for target in group.neo_targets] == [900, 1800]


def test_a_group_time_limit_the_workflow_deadline_cannot_outlive_is_refused_naming_both_keys() -> None:
    raw = minimal_config() | {"compileTimeoutMinutes": 30}
    raw["groups"]["churn"]["compileMaxRuntimeSeconds"] = 3600

    error = error_of(raw)

    assert "autopilot.compileTimeoutMinutes: 30 minutes do not outlive group churn" in error
    assert "groups.churn.compileMaxRuntimeSeconds" in error
    assert "at least 61" in error  # one batch: 3600 s + 60 s for the compile watcher's next round


def test_a_target_time_limit_is_named_when_it_is_the_one_the_deadline_cannot_outlive() -> None:
    raw = minimal_config() | {"compileTimeoutMinutes": 60}
    raw["groups"]["churn"]["neoTargets"].append(
        {"name": "ml-inf2", "targetDevice": "ml_inf2", "compileMaxRuntimeSeconds": 7200}
    )

    assert "groups.churn.neoTargets[1].compileMaxRuntimeSeconds" in error_of(raw)


def test_targets_beyond_the_concurrency_wait_for_the_ones_before_so_the_deadline_covers_every_batch() -> None:
    raw = minimal_config() | {"compileTimeoutMinutes": 31, "compileMaxConcurrency": 1}
    raw["groups"]["churn"]["neoTargets"] = [{"name": f"t{i}", "targetDevice": "ml_c5"} for i in range(2)]

    assert "2 batch(es)" in error_of(raw)  # 2 x (900 s + 60 s) = 32 minutes

    raw["compileMaxConcurrency"] = 2
    assert load_config(raw).compile_timeout_minutes == 31  # one batch: 16 minutes


def test_a_time_limit_outside_one_second_to_one_day_is_refused() -> None:
    raw = minimal_config()
    raw["groups"]["churn"]["compileMaxRuntimeSeconds"] = 0

    assert "autopilot.groups.churn.compileMaxRuntimeSeconds" in error_of(raw)


# --- compileInput per InputConfig's rules ----------------------------------------------------------------
# SageMaker API Reference, InputConfig (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InputConfig.html):
# FrameworkVersion: "This API field is only supported for the MXNet, PyTorch, TensorFlow and TensorFlow Lite
# frameworks." DataInputConfig: "TensorFlow: You must specify the name and shape ..."; "KERAS: You must
# specify ..."; "MXNET/ONNX/DARKNET: You must specify ..."; "XGBOOST: input data name and shape are not
# needed." SageMaker API change log, 2023-09-05: "SageMaker Neo now supports data input shape derivation
# for Pytorch 2.0 and XGBoost compilation job for cloud instance targets. You can skip DataInputConfig field
# during compilation job creation."


def with_compile_input(compile_input: dict[str, Any], device: str = "ml_c5") -> dict[str, Any]:
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"][0]["targetDevice"] = device
    raw["groups"]["churn"]["compileInput"] = compile_input
    return raw


@pytest.mark.parametrize("framework", ["XGBOOST", "ONNX", "KERAS", "DARKNET", "SKLEARN"])
def test_a_framework_version_for_a_framework_that_takes_none_is_refused(framework: str) -> None:
    raw = with_compile_input({"framework": framework, "frameworkVersion": "1.0", "dataInputConfig": "{}"})

    error = error_of(raw)

    assert "autopilot.groups.churn.compileInput: 'frameworkVersion' is accepted only for" in error
    assert framework in error


@pytest.mark.parametrize("framework", ["TENSORFLOW", "KERAS", "MXNET", "ONNX", "DARKNET"])
def test_a_framework_that_needs_its_input_shape_without_data_input_config_is_refused(framework: str) -> None:
    error = error_of(with_compile_input({"framework": framework}))

    assert f"autopilot.groups.churn.compileInput: 'dataInputConfig' is required for {framework}" in error


def test_pytorch_before_2_without_data_input_config_is_refused() -> None:
    error = error_of(with_compile_input({"framework": "PYTORCH", "frameworkVersion": "1.13"}))

    assert "autopilot.groups.churn: compileInput.dataInputConfig is required for PYTORCH" in error


def test_pytorch_2_without_data_input_config_is_refused_for_targets_that_are_not_cloud_instances() -> None:
    error = error_of(with_compile_input({"framework": "PYTORCH", "frameworkVersion": "2.0"}, "jetson_xavier"))

    assert "targets that are not cloud instances (ml-c5)" in error


@pytest.mark.parametrize(
    "compile_input",
    [
        {"framework": "PYTORCH", "frameworkVersion": "2.1"},
        {"framework": "XGBOOST"},
        {"framework": "SKLEARN"},
        {"framework": "TFLITE", "frameworkVersion": "2.4"},
        {"framework": "TENSORFLOW", "frameworkVersion": "2.9", "dataInputConfig": '{"input": [1, 3]}'},
    ],
    ids=["pytorch-2-cloud", "xgboost", "sklearn", "tflite", "tensorflow-with-shape"],
)
def test_a_compile_input_within_the_rules_is_accepted(compile_input: dict[str, Any]) -> None:
    config = load_config(with_compile_input(compile_input))

    assert config.groups["churn"].compile_input is not None


# -- what a Neo target advertises (SupportedRealtimeInferenceInstanceTypes) --------------------------------
# SageMaker API Reference, AdditionalInferenceSpecificationDefinition
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AdditionalInferenceSpecificationDefinition.html):
# SupportedRealtimeInferenceInstanceTypes is a list of ProductionVariantInstanceType (an enum; the SDK's
# model is the copy we check against). Developer Guide, Neo, "Deploy a Model"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/neo-deployment-hosting-services.html): "When you deploy
# a compiled model, you need to use the same instance for the target that you used for compilation."
def with_target(target: dict[str, Any]) -> dict[str, Any]:
    raw = minimal_config()
    raw["groups"]["churn"]["neoTargets"] = [target]
    return raw


def test_a_cpu_target_configured_with_gpu_instance_types_is_rejected_naming_the_key() -> None:
    message = error_of(
        with_target(
            {"name": "ml-c5", "targetDevice": "ml_c5", "instanceTypes": ["ml.c5.xlarge", "ml.p3.2xlarge"]}
        )
    )

    assert "autopilot.groups.churn.neoTargets[0].instanceTypes[1]: 'ml.p3.2xlarge' does not fit" in message
    assert "(ml.c5.*)" in message
    assert "instanceTypes[0]" not in message


def test_instance_types_of_the_targets_own_family_are_accepted() -> None:
    config = load_config(
        with_target({"name": "ml-g4dn", "targetDevice": "ml_g4dn", "instanceTypes": ["ml.g4dn.2xlarge"]})
    )

    assert config.groups["churn"].neo_targets[0].instance_types == ["ml.g4dn.2xlarge"]


@pytest.mark.parametrize(
    "target",
    [
        {"name": "edge", "targetDevice": "jetson_nano", "instanceTypes": ["ml.g4dn.xlarge"]},
        {"name": "eia", "targetDevice": "ml_eia2", "instanceTypes": ["ml.c5.xlarge"]},
        {
            "name": "arm",
            "targetPlatform": {"os": "LINUX", "arch": "ARM64"},
            "instanceTypes": ["ml.c6g.xlarge"],
        },
    ],
)
def test_a_target_no_sagemaker_endpoint_serves_takes_no_instance_types(target: dict[str, Any]) -> None:
    message = error_of(with_target(target))

    assert "autopilot.groups.churn.neoTargets[0].instanceTypes: " in message
    assert "not served by a SageMaker endpoint" in message


def test_every_neo_device_the_sdk_knows_advertises_only_instance_types_the_api_accepts() -> None:
    """ml_eia2 used to derive ml.eia2.xlarge, which UpdateModelPackage rejects (and with it the whole
    version's write, decision included)."""
    import botocore.session

    from registry_autopilot.logic import targets
    from registry_autopilot.models.config import NeoTarget

    model = botocore.session.get_session().get_service_model("sagemaker")
    accepted = set(model.shape_for("ProductionVariantInstanceType").enum)
    for device in model.shape_for("TargetDevice").enum:
        derived = targets.instance_types_for(NeoTarget(name="t", target_device=device))
        assert set(derived) <= accepted, device
        assert all(targets.instance_type_fits(NeoTarget(name="t", target_device=device), t) for t in derived)
    assert targets.instance_types_for(NeoTarget(name="t", target_device="ml_eia2")) == []
    load_config(with_target({"name": "eia", "targetDevice": "ml_eia2"}))  # accepted, advertising nothing
