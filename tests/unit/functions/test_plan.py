"""Plan: which compilations a version still needs, and the CreateCompilationJob request per target.

Request rules: SageMaker API Reference, CreateCompilationJob
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateCompilationJob.html): exactly one
of InputConfig or ModelPackageVersionArn; OutputConfig with exactly one of TargetDevice or
TargetPlatform; CompilerOptions required for NVIDIA platforms; StoppingCondition.MaxRuntimeInSeconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from registry_autopilot.logic import naming
from registry_autopilot.logic.plan import PlanContext, plan_compilation
from registry_autopilot.models.config import AutopilotConfig
from registry_autopilot.models.registry import ModelPackage
from tests.compile_fixtures import ARTIFACTS_BUCKET, config_dict, describe_output

NOW = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)
FRAUD_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud-pytorch/3"


def plan(config: AutopilotConfig, **overrides: Any) -> Any:
    package = ModelPackage.from_describe(describe_output(**overrides))
    return plan_compilation(package, PlanContext(config=config, artifacts_bucket=ARTIFACTS_BUCKET, now=NOW))


def test_new_version_plans_every_configured_target(config: AutopilotConfig) -> None:
    result = plan(config)

    assert result.has_work
    assert [t.target for t in result.targets] == ["ml-c5", "ml-m5", "graviton"]


def test_requests_compile_from_the_version_by_default(config: AutopilotConfig) -> None:
    request = plan(config).targets[0].request

    assert request["ModelPackageVersionArn"].endswith("model-package/churn-xgboost/3")
    assert "InputConfig" not in request
    assert request["OutputConfig"] == {
        "S3OutputLocation": f"s3://{ARTIFACTS_BUCKET}/compiled/churn-xgboost/3/ml-c5/",
        "TargetDevice": "ml_c5",
    }
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 900}
    assert request["CompilationJobName"] == naming.compilation_job_name(
        "churn-xgboost", 3, config.groups["churn-xgboost"].neo_targets[0]
    )


def test_platform_target_requests_target_platform(config: AutopilotConfig) -> None:
    graviton = plan(config).targets[2]

    assert graviton.request["OutputConfig"]["TargetPlatform"] == {"Os": "LINUX", "Arch": "ARM64"}
    assert "TargetDevice" not in graviton.request["OutputConfig"]


def test_nvidia_platform_carries_compiler_options() -> None:
    raw = config_dict()
    options = '{"gpu-code": "sm_72", "trt-ver": "8.2.1", "cuda-ver": "10.2"}'
    raw["groups"]["churn-xgboost"]["neoTargets"] = [
        {
            "name": "jetson",
            "targetPlatform": {"os": "LINUX", "arch": "ARM64", "accelerator": "NVIDIA"},
            "compilerOptions": options,
        }
    ]
    raw["groups"]["churn-xgboost"]["approval"] = {"mode": "manual"}
    output = plan(AutopilotConfig.model_validate(raw)).targets[0].request["OutputConfig"]

    assert output["TargetPlatform"]["Accelerator"] == "NVIDIA"
    assert output["CompilerOptions"] == options


def test_group_with_compile_input_requests_input_config_from_the_primary_container(
    config: AutopilotConfig,
) -> None:
    target = plan(
        config,
        ModelPackageGroupName="fraud-pytorch",
        ModelPackageArn=FRAUD_ARN,
    ).targets[0]

    assert target.uses_input_config
    assert "ModelPackageVersionArn" not in target.request
    assert target.request["InputConfig"] == {
        "S3Uri": "s3://churn-models-123456789012/churn-xgboost/3/model.tar.gz",
        "Framework": "PYTORCH",
        "FrameworkVersion": "2.0",
        "DataInputConfig": '{"input0": [1, 3, 224, 224]}',
    }


def test_attached_targets_are_not_planned_again(config: AutopilotConfig) -> None:
    result = plan(config, AdditionalInferenceSpecifications=[{"Name": "neo-ml-c5", "Containers": []}])

    assert [t.target for t in result.targets] == ["ml-m5", "graviton"]
    assert result.skipped[0].reason == "already attached as neo-ml-c5"


def test_targets_recorded_as_failed_are_not_retried(config: AutopilotConfig) -> None:
    metadata = {"team": "retention", naming.metadata_key("ml-m5"): "FAILED: unsupported operator"}
    result = plan(config, CustomerMetadataProperties=metadata)

    assert [t.target for t in result.targets] == ["ml-c5", "graviton"]


def test_a_failed_target_a_person_set_to_retry_is_planned_under_a_new_job_name(
    config: AutopilotConfig,
) -> None:
    first = {t.target: t.job_name for t in plan(config).targets}
    retried_at = datetime(2025, 11, 25, 9, 30, tzinfo=UTC)
    metadata = {naming.metadata_key("ml-m5"): "retry"}

    retry = plan(config, CustomerMetadataProperties=metadata, LastModifiedTime=retried_at)
    duplicate = plan(config, CustomerMetadataProperties=metadata, LastModifiedTime=retried_at)
    later = plan(
        config, CustomerMetadataProperties=metadata, LastModifiedTime=datetime(2025, 11, 26, tzinfo=UTC)
    )

    (target,) = [t for t in retry.targets if t.target == "ml-m5"]
    # SageMaker keeps a failed job's name: only a new name compiles again.
    assert target.job_name != first["ml-m5"]
    assert target.request["CompilationJobName"] == target.job_name
    assert naming.NAME_PATTERN.match(target.job_name)
    # Duplicates of the RETRY write's event resume one job; a later retry gets its own.
    assert [t.job_name for t in duplicate.targets] == [t.job_name for t in retry.targets]
    assert {t.job_name for t in later.targets if t.target == "ml-m5"}.isdisjoint({target.job_name})
    # The targets that were not retried keep their names.
    assert {t.target: t.job_name for t in retry.targets if t.target != "ml-m5"} == {
        name: job for name, job in first.items() if name != "ml-m5"
    }


def test_version_with_every_target_done_has_nothing_to_do(config: AutopilotConfig) -> None:
    specs = [{"Name": "neo-ml-c5"}, {"Name": "neo-graviton"}]
    metadata = {naming.metadata_key("ml-m5"): "FAILED: unsupported operator"}
    result = plan(config, AdditionalInferenceSpecifications=specs, CustomerMetadataProperties=metadata)

    assert not result.has_work
    assert result.targets == []


def test_same_version_planned_twice_gets_the_same_job_names(config: AutopilotConfig) -> None:
    assert [t.job_name for t in plan(config).targets] == [t.job_name for t in plan(config).targets]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"ModelPackageRegistrationType": "Logged"}, "Logged"),
        ({"ModelPackageStatus": "InProgress"}, "only Completed"),
        ({"ModelApprovalStatus": "Rejected"}, "Rejected"),
        ({"InferenceSpecification": {"Containers": [{"Image": "i", "IsCheckpoint": True}]}}, "IsCheckpoint"),
        ({"InferenceSpecification": None}, "no InferenceSpecification"),
    ],
)
def test_versions_that_must_not_be_compiled_are_skipped_with_a_reason(
    config: AutopilotConfig, overrides: dict[str, Any], reason: str
) -> None:
    result = plan(config, **overrides)

    assert not result.has_work
    assert reason in (result.reason or "")


XGB_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
XGB = {"Image": XGB_IMAGE, "Framework": "XGBOOST"}
TAR = "s3://churn-models-123456789012/churn-xgboost/3/model.tar.gz"


def containers(*items: dict[str, Any]) -> dict[str, Any]:
    return {"InferenceSpecification": {"Containers": list(items), "SupportedContentTypes": ["text/csv"]}}


def test_an_inference_pipeline_is_skipped_instead_of_compiled_from_its_first_container(
    config: AutopilotConfig,
) -> None:
    """InputConfig.S3Uri (CreateCompilationJob): "This path must point to a single gzip compressed tar
    archive (.tar.gz suffix)": a compilation job compiles one model; a pipeline's other containers
    would be dropped from the one-container specification attach writes."""
    preprocess = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/features:1", "ModelDataUrl": TAR}
    result = plan(config, **containers(preprocess, {**XGB, "ModelDataUrl": TAR}))

    assert not result.has_work
    assert result.targets == []
    assert "inference pipeline of 2 containers" in (result.reason or "")


def test_a_marketplace_version_is_skipped_with_its_product_id(config: AutopilotConfig) -> None:
    """ModelPackageContainerDefinition.ProductId: "The Amazon Web Services Marketplace product ID of
    the model package." Neo is not given a Marketplace seller's model to compile."""
    result = plan(config, **containers({**XGB, "ModelDataUrl": TAR, "ProductId": "prod-abc123"}))

    assert not result.has_work
    assert "AWS Marketplace (ProductId prod-abc123)" in (result.reason or "")


@pytest.mark.parametrize("data_type", ["S3Prefix", "S3Object"])
def test_an_uncompressed_model_data_source_is_skipped(config: AutopilotConfig, data_type: str) -> None:
    """S3ModelDataSource.CompressionType: with None, "S3Uri identifies an object that represents an
    uncompressed ML model" (or a prefix of them); Neo's input "must point to a single gzip compressed
    tar archive (.tar.gz suffix)" (InputConfig.S3Uri)."""
    s3 = {"S3Uri": "s3://models/llm/", "S3DataType": data_type, "CompressionType": "None"}
    source = {"S3DataSource": s3}
    result = plan(config, **containers({**XGB, "ModelDataSource": source}))

    assert not result.has_work
    assert "uncompressed ModelDataSource" in (result.reason or "")
    assert "single gzip-compressed tar archive" in (result.reason or "")


def test_a_gzip_model_data_source_object_is_compiled_like_a_model_data_url() -> None:
    raw = config_dict()
    raw["groups"]["churn-xgboost"]["compileInput"] = {"framework": "XGBOOST"}
    source = {"S3DataSource": {"S3Uri": TAR, "S3DataType": "S3Object", "CompressionType": "Gzip"}}

    result = plan(AutopilotConfig.model_validate(raw), **containers({**XGB, "ModelDataSource": source}))

    assert result.has_work
    assert result.targets[0].request["InputConfig"]["S3Uri"] == TAR


def test_a_container_without_any_model_artifact_is_skipped(config: AutopilotConfig) -> None:
    result = plan(config, **containers(dict(XGB)))

    assert not result.has_work
    assert "no model artifact" in (result.reason or "")


def test_unwatched_group_is_skipped(config: AutopilotConfig) -> None:
    result = plan(config, ModelPackageGroupName="marketing-uplift")

    assert not result.has_work
    assert "not watched" in (result.reason or "")


def test_deadline_is_now_plus_the_compile_timeout(config: AutopilotConfig) -> None:
    assert plan(config).targets[0].deadline == "2025-11-24T14:00:00Z"


def test_plan_records_the_approval_status_at_the_start_of_the_workflow(config: AutopilotConfig) -> None:
    result = plan(config)

    assert result.approval_status_at_start == "PendingManualApproval"
    assert result.needs_decision is True


def test_a_version_with_every_spec_attached_but_no_decision_still_goes_to_the_decision(
    config: AutopilotConfig,
) -> None:
    specs = [{"Name": f"neo-{name}"} for name in ("ml-c5", "ml-m5", "graviton")]

    result = plan(config, AdditionalInferenceSpecifications=specs)

    assert result.has_work is False
    assert result.needs_decision is True
    assert result.reason is not None
    assert "approval policy decides next" in result.reason


@pytest.mark.parametrize(
    ("status", "metadata"),
    [
        ("Approved", {}),
        ("Rejected", {}),
        ("PendingManualApproval", {"autopilot:approval:decided-by": "registry-autopilot manual policy"}),
    ],
)
def test_a_decided_version_fed_back_to_plan_needs_no_decision(
    config: AutopilotConfig, status: str, metadata: dict[str, str]
) -> None:
    specs = [{"Name": f"neo-{name}"} for name in ("ml-c5", "ml-m5", "graviton")]

    result = plan(
        config,
        ModelApprovalStatus=status,
        CustomerMetadataProperties=metadata,
        AdditionalInferenceSpecifications=specs,
    )

    assert result.has_work is False
    assert result.needs_decision is False


def test_each_job_stops_at_its_targets_time_limit_or_else_the_groups() -> None:
    """SageMaker API Reference, StoppingCondition: "For compilation jobs, if the job does not complete
    during this time, a TimeOut error is generated. We recommend starting with 900 seconds and increasing
    as necessary based on your model." """
    raw = config_dict()
    group = raw["groups"]["churn-xgboost"]
    group["compileMaxRuntimeSeconds"] = 1200
    group["neoTargets"][2]["compileMaxRuntimeSeconds"] = 2400

    targets = plan(AutopilotConfig.model_validate(raw)).targets

    assert [t.request["StoppingCondition"]["MaxRuntimeInSeconds"] for t in targets] == [1200, 1200, 2400]


# registerLogged checks first, converts after (issue: a Logged pipeline, Marketplace container or
# uncompressed model was converted to Registered and then skipped). UpdateModelPackage:
# "ModelPackageRegistrationType - The package registration type of the model package input."
def registering(config: AutopilotConfig, **overrides: Any) -> Any:
    from registry_autopilot.logic.plan import plan_with_registration

    raw = config.model_dump(by_alias=True)
    raw["groups"]["churn-xgboost"]["registerLogged"] = True
    opted = AutopilotConfig.model_validate(raw)
    package = ModelPackage.from_describe(describe_output(ModelPackageRegistrationType="Logged", **overrides))
    return plan_with_registration(
        package, PlanContext(config=opted, artifacts_bucket=ARTIFACTS_BUCKET, now=NOW)
    )


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        (
            containers({"Image": "img", "ModelDataUrl": TAR}, {**XGB, "ModelDataUrl": TAR}),
            "inference pipeline",
        ),
        (containers({**XGB, "ModelDataUrl": TAR, "ProductId": "prod-abc123"}), "AWS Marketplace"),
        (
            containers(
                {
                    **XGB,
                    "ModelDataSource": {
                        "S3DataSource": {
                            "S3Uri": "s3://m/",
                            "S3DataType": "S3Prefix",
                            "CompressionType": "None",
                        }
                    },
                }
            ),
            "uncompressed ModelDataSource",
        ),
    ],
)
def test_a_logged_version_neo_cannot_compile_stays_logged_with_the_reason(
    config: AutopilotConfig, spec: dict[str, Any], why: str
) -> None:
    planned = registering(config, **spec)

    assert planned.registration is None
    assert planned.plan.has_work is False
    assert planned.plan.reason.startswith("left Logged")
    assert why in planned.plan.reason


def test_a_logged_version_that_will_be_compiled_is_converted_first(config: AutopilotConfig) -> None:
    planned = registering(config)

    assert planned.registration == {
        "ModelPackageArn": planned.plan.model_package_arn,
        "ModelPackageRegistrationType": "Registered",
    }
    assert [t.target for t in planned.plan.targets] == ["ml-c5", "ml-m5", "graviton"]
