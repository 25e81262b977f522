"""Inference experiments (shadow tests), which moto lacks, follow the documented status rules.

- CreateInferenceExperiment (no schedule: starts now, runs 7 days; errors ResourceInUse,
  ResourceLimitExceeded): https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceExperiment.html
- InferenceExperimentSchedule (at most 30 days):
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceExperimentSchedule.html
- DescribeInferenceExperiment (statuses):
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceExperiment.html
- UpdateInferenceExperiment (only Created or Running; Created may change start and end, Running only end):
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceExperiment.html
- StopInferenceExperiment (ModelVariantActions Promote|Remove|Retain; DesiredState Completed|Cancelled):
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopInferenceExperiment.html
- ShadowModeConfig (exactly one shadow variant, SamplingPercentage 0-100):
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ShadowModeConfig.html
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.backend import LocalBackend

ROLE = "arn:aws:iam::123456789012:role/shadow"
INFRA = {
    "InfrastructureType": "RealTimeInference",
    "RealTimeInferenceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
}


@pytest.fixture
def endpoint(sagemaker: Any) -> str:
    for model in ("prod-model", "shadow-model", "other-model"):
        sagemaker.create_model(
            ModelName=model,
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz"},
        )
    sagemaker.create_endpoint_config(
        EndpointConfigName="prod-config",
        ProductionVariants=[
            {
                "VariantName": "prod",
                "ModelName": "prod-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName="prod", EndpointConfigName="prod-config")
    return "prod"


def request(name: str = "churn-v2", sampling: int = 5, **extra: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "ShadowMode",
        "RoleArn": ROLE,
        "EndpointName": "prod",
        "ModelVariants": [
            {"ModelName": "prod-model", "VariantName": "prod", "InfrastructureConfig": INFRA},
            {"ModelName": "shadow-model", "VariantName": "shadow", "InfrastructureConfig": INFRA},
        ],
        "ShadowModeConfig": {
            "SourceModelVariantName": "prod",
            "ShadowModelVariants": [{"ShadowModelVariantName": "shadow", "SamplingPercentage": sampling}],
        },
        **extra,
    }


def status(sagemaker: Any, name: str = "churn-v2") -> str:
    return str(sagemaker.describe_inference_experiment(Name=name)["Status"])


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def test_given_no_schedule_when_created_then_it_starts_now_and_runs_seven_days(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request())

    described = sagemaker.describe_inference_experiment(Name="churn-v2")
    assert described["Status"] == "Creating"
    assert described["Schedule"]["StartTime"] == local_backend.clock.now()
    assert described["Schedule"]["EndTime"] - described["Schedule"]["StartTime"] == timedelta(days=7)
    assert described["EndpointMetadata"]["EndpointName"] == "prod"


def test_given_time_passes_when_described_then_status_follows_the_clock(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    start = local_backend.clock.now() + timedelta(hours=1)
    sagemaker.create_inference_experiment(
        **request(Schedule={"StartTime": start, "EndTime": start + timedelta(days=2)})
    )

    seen = [status(sagemaker)]
    for seconds in (120, 3600, 2 * 86400):
        local_backend.clock.advance(seconds)
        seen.append(status(sagemaker))

    assert seen == ["Creating", "Created", "Running", "Completed"]
    assert sagemaker.describe_inference_experiment(Name="churn-v2")["CompletionTime"] == start + timedelta(
        days=2
    )


def test_given_existing_name_when_creating_again_then_resource_in_use(sagemaker: Any, endpoint: str) -> None:
    sagemaker.create_inference_experiment(**request())
    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(**request())
    assert error_code(caught) == "ResourceInUse"


def test_given_account_limit_when_creating_past_it_then_resource_limit_exceeded(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    local_backend.experiments.max_active = 1
    sagemaker.create_inference_experiment(**request("first"))
    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(**request("second"))
    assert error_code(caught) == "ResourceLimitExceeded"


def test_given_schedule_over_30_days_when_creating_then_validation_fails(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    start = local_backend.clock.now()
    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(
            **request(Schedule={"StartTime": start, "EndTime": start + timedelta(days=31)})
        )
    assert error_code(caught) == "ValidationException"


def test_given_sampling_over_100_when_creating_then_validation_fails(sagemaker: Any, endpoint: str) -> None:
    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(**request(sampling=101))
    assert error_code(caught) == "ValidationException"
    assert "Member must have value less than or equal to 100" in caught.value.response["Error"]["Message"]


def test_given_two_shadow_variants_when_creating_then_validation_fails(sagemaker: Any, endpoint: str) -> None:
    bad = request()
    bad["ShadowModeConfig"]["ShadowModelVariants"].append(
        {"ShadowModelVariantName": "prod", "SamplingPercentage": 5}
    )
    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(**bad)
    assert error_code(caught) == "ValidationException"


def test_given_shadow_variant_not_in_model_variants_when_creating_then_validation_fails(
    sagemaker: Any, endpoint: str
) -> None:
    bad = request()
    bad["ShadowModeConfig"]["ShadowModelVariants"][0]["ShadowModelVariantName"] = "ghost"
    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(**bad)
    assert error_code(caught) == "ValidationException"


def test_given_creating_experiment_when_updated_then_conflict(sagemaker: Any, endpoint: str) -> None:
    sagemaker.create_inference_experiment(**request())
    with pytest.raises(ClientError) as caught:
        sagemaker.update_inference_experiment(Name="churn-v2", Description="too early")
    assert error_code(caught) == "ConflictException"


def test_given_running_experiment_when_sampling_and_end_change_then_update_applies_then_resumes(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request())
    local_backend.experiments.advance("churn-v2", "Running")
    end = local_backend.clock.now() + timedelta(days=3)

    sagemaker.update_inference_experiment(
        Name="churn-v2",
        Schedule={"EndTime": end},
        ShadowModeConfig={
            "SourceModelVariantName": "prod",
            "ShadowModelVariants": [{"ShadowModelVariantName": "shadow", "SamplingPercentage": 25}],
        },
    )

    assert status(sagemaker) == "Updating"
    local_backend.clock.advance(60)
    described = sagemaker.describe_inference_experiment(Name="churn-v2")
    assert described["Status"] == "Running"
    assert described["Schedule"]["EndTime"] == end
    assert described["ShadowModeConfig"]["ShadowModelVariants"][0]["SamplingPercentage"] == 25


def test_given_running_experiment_when_start_time_changes_then_validation_fails(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request())
    local_backend.experiments.advance("churn-v2", "Running")
    with pytest.raises(ClientError) as caught:
        sagemaker.update_inference_experiment(
            Name="churn-v2", Schedule={"StartTime": local_backend.clock.now() + timedelta(hours=1)}
        )
    assert error_code(caught) == "ValidationException"


def test_given_created_experiment_when_start_time_changes_then_it_applies(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    start = local_backend.clock.now() + timedelta(days=1)
    sagemaker.create_inference_experiment(
        **request(Schedule={"StartTime": start, "EndTime": start + timedelta(days=1)})
    )
    local_backend.experiments.advance("churn-v2", "Created")

    later = start + timedelta(hours=2)
    sagemaker.update_inference_experiment(
        Name="churn-v2", Schedule={"StartTime": later, "EndTime": later + timedelta(days=1)}
    )

    assert sagemaker.describe_inference_experiment(Name="churn-v2")["Schedule"]["StartTime"] == later


def test_given_variant_when_swapping_its_model_then_validation_fails(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request())
    local_backend.experiments.advance("churn-v2", "Running")
    with pytest.raises(ClientError) as caught:
        sagemaker.update_inference_experiment(
            Name="churn-v2",
            ModelVariants=[
                {"ModelName": "other-model", "VariantName": "shadow", "InfrastructureConfig": INFRA}
            ],
        )
    assert error_code(caught) == "ValidationException"


def test_given_running_experiment_when_stopped_then_it_ends_in_the_desired_state(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request())
    local_backend.experiments.advance("churn-v2", "Running")

    sagemaker.stop_inference_experiment(
        Name="churn-v2",
        ModelVariantActions={"prod": "Remove", "shadow": "Promote"},
        DesiredState="Cancelled",
        Reason="rollback",
    )

    assert status(sagemaker) == "Stopping"
    local_backend.clock.advance(120)
    described = sagemaker.describe_inference_experiment(Name="churn-v2")
    assert described["Status"] == "Cancelled"
    assert described["StatusReason"] == "rollback"
    assert "CompletionTime" in described


def test_given_stop_without_an_action_for_every_variant_then_validation_fails(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request())
    local_backend.experiments.advance("churn-v2", "Running")
    with pytest.raises(ClientError) as caught:
        sagemaker.stop_inference_experiment(Name="churn-v2", ModelVariantActions={"shadow": "Promote"})
    assert error_code(caught) == "ValidationException"


def test_given_completed_experiment_when_stopped_then_conflict(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request())
    local_backend.experiments.advance("churn-v2", "Completed")
    with pytest.raises(ClientError) as caught:
        sagemaker.stop_inference_experiment(
            Name="churn-v2", ModelVariantActions={"prod": "Retain", "shadow": "Remove"}
        )
    assert error_code(caught) == "ConflictException"


def test_given_created_experiment_when_started_then_it_runs(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    start = local_backend.clock.now() + timedelta(days=1)
    sagemaker.create_inference_experiment(
        **request(Schedule={"StartTime": start, "EndTime": start + timedelta(days=1)})
    )
    local_backend.experiments.advance("churn-v2", "Created")

    sagemaker.start_inference_experiment(Name="churn-v2")

    assert status(sagemaker) == "Running"


def test_given_unknown_experiment_when_described_then_resource_not_found(sagemaker: Any) -> None:
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.describe_inference_experiment(Name="missing")


def test_given_experiments_when_listed_with_a_status_filter_then_only_matching_ones_return(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request("a"))
    sagemaker.create_inference_experiment(**request("b"))
    local_backend.experiments.advance("b", "Running")

    listed = sagemaker.list_inference_experiments(StatusEquals="Running")["InferenceExperiments"]

    assert [e["Name"] for e in listed] == ["b"]


def test_given_experiment_when_tagged_then_tags_are_listed(sagemaker: Any, endpoint: str) -> None:
    arn = sagemaker.create_inference_experiment(
        **request(Tags=[{"Key": "owner", "Value": "registry-autopilot"}])
    )["InferenceExperimentArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "group", "Value": "churn"}])

    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}

    assert tags == {"owner": "registry-autopilot", "group": "churn"}


def test_given_missing_endpoint_when_creating_then_validation_fails(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(**request())
    assert error_code(caught) == "ValidationException"


def test_given_a_source_variant_the_endpoint_does_not_serve_when_creating_then_validation_fails(
    sagemaker: Any, endpoint: str
) -> None:
    bad = request()
    bad["ModelVariants"][0]["VariantName"] = "canary"
    bad["ShadowModeConfig"]["SourceModelVariantName"] = "canary"
    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(**bad)
    assert error_code(caught) == "ValidationException"


def test_given_a_stopped_experiment_then_its_variant_actions_are_kept_for_inspection(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request())
    local_backend.experiments.advance("churn-v2", "Running")
    assert local_backend.experiments.stop_actions("churn-v2") is None

    sagemaker.stop_inference_experiment(
        Name="churn-v2", ModelVariantActions={"prod": "Retain", "shadow": "Promote"}
    )

    assert local_backend.experiments.stop_actions("churn-v2") == {"prod": "Retain", "shadow": "Promote"}
