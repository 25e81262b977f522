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
- Shadow-test exclusions and promotion: quoted where they are tested, below.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend
from tests.shadow_endpoints import INELIGIBLE_ENDPOINTS, make_version_ineligible, seed_endpoint

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
        ModelVariantActions={"prod": "Retain", "shadow": "Remove"},
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
        Name="churn-v2", ModelVariantActions={"prod": "Retain", "shadow": "Remove"}
    )

    assert local_backend.experiments.stop_actions("churn-v2") == {"prod": "Retain", "shadow": "Remove"}


# -- exclusions ------------------------------------------------------------------------------------
# Developer Guide, "Shadow tests" > "Exclusions"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions.html): "If your endpoint uses any
# of the following features you cannot use shadow tests on your endpoint, and your request to setup
# shadow tests will lead to validation errors." (the list: tests/shadow_endpoints.py); "Create a shadow
# test": "For an endpoint with a shadow variant, there can be a maximum of one production variant."
def _request_on(
    endpoint_name: str, production_model: str, shadow_model: str = "shadow-model"
) -> dict[str, Any]:
    return {
        **request(),
        "EndpointName": endpoint_name,
        "ModelVariants": [
            {"ModelName": production_model, "VariantName": "AllTraffic", "InfrastructureConfig": INFRA},
            {"ModelName": shadow_model, "VariantName": "shadow", "InfrastructureConfig": INFRA},
        ],
        "ShadowModeConfig": {
            "SourceModelVariantName": "AllTraffic",
            "ShadowModelVariants": [{"ShadowModelVariantName": "shadow", "SamplingPercentage": 5}],
        },
    }


@pytest.mark.parametrize("kind", sorted(INELIGIBLE_ENDPOINTS))
def test_given_an_endpoint_aws_excludes_from_shadow_tests_when_creating_then_validation_fails(
    sagemaker: Any, endpoint: str, kind: str
) -> None:
    production_model = seed_endpoint(sagemaker, f"excluded-{kind}", kind)

    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(**_request_on(f"excluded-{kind}", production_model))

    assert error_code(caught) == "ValidationException"
    assert INELIGIBLE_ENDPOINTS[kind] in caught.value.response["Error"]["Message"]
    assert sagemaker.list_inference_experiments()["InferenceExperiments"] == []


def test_given_an_eligible_seeded_endpoint_when_creating_then_it_is_accepted(
    sagemaker: Any, endpoint: str
) -> None:
    production_model = seed_endpoint(sagemaker, "eligible-prod")

    sagemaker.create_inference_experiment(**_request_on("eligible-prod", production_model))

    assert status(sagemaker) == "Creating"


@pytest.mark.parametrize("kind", ["multi-container", "marketplace"])
def test_given_a_shadow_model_from_an_excluded_version_when_creating_then_validation_fails(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str, kind: str
) -> None:
    arn = local_backend.seed_model_package("churn-xgboost", approval_status="Approved")
    make_version_ineligible(sagemaker, arn, kind)
    sagemaker.create_model(
        ModelName="from-package", ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": arn}
    )
    production_model = seed_endpoint(sagemaker, "eligible-prod")

    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(
            **_request_on("eligible-prod", production_model, "from-package")
        )

    assert error_code(caught) == "ValidationException"


def test_given_a_shadow_variant_on_inf1_when_creating_then_validation_fails(
    sagemaker: Any, endpoint: str
) -> None:
    inf1 = {
        "InfrastructureType": "RealTimeInference",
        "RealTimeInferenceConfig": {"InstanceType": "ml.inf1.xlarge", "InstanceCount": 1},
    }
    body = request()
    body["ModelVariants"][1]["InfrastructureConfig"] = inf1

    with pytest.raises(ClientError) as caught:
        sagemaker.create_inference_experiment(**body)

    assert error_code(caught) == "ValidationException"


# -- stop: promote -----------------------------------------------------------------------------------
# Developer Guide, "Complete a shadow test" > "Promote a shadow variant"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-complete.html): "This removes your current
# production variant from production and replaces it with your shadow variant." ... "Your SageMaker
# Inference endpoint is now using the shadow variant as your production variant, and your production
# variant has been removed from the endpoint."
# API_StopInferenceExperiment.html, DesiredModelVariants: "There is one for each variant that you want to
# deploy after the inference experiment stops." The API reference states no rule on which combinations of
# actions are valid or when DesiredModelVariants is required: the strict reading the backend enforces is
# listed in docs/FIDELITY.md ("Where the documentation is silent").
def _desired(
    model: str = "shadow-model", variant: str = "shadow", instance_type: str = "ml.c5.xlarge", count: int = 3
) -> list[dict[str, Any]]:
    return [
        {
            "ModelName": model,
            "VariantName": variant,
            "InfrastructureConfig": {
                "InfrastructureType": "RealTimeInference",
                "RealTimeInferenceConfig": {"InstanceType": instance_type, "InstanceCount": count},
            },
        }
    ]


def test_given_a_promotion_when_the_stop_ends_then_the_endpoint_serves_the_shadow_model_at_the_desired_size(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request())
    local_backend.experiments.advance("churn-v2", "Running")

    sagemaker.stop_inference_experiment(
        Name="churn-v2",
        ModelVariantActions={"prod": "Remove", "shadow": "Promote"},
        DesiredModelVariants=_desired(),
        DesiredState="Completed",
    )
    before = sagemaker.describe_endpoint(EndpointName="prod")["EndpointConfigName"]
    local_backend.clock.advance(120)

    assert status(sagemaker) == "Completed"
    served = sagemaker.describe_endpoint(EndpointName="prod")
    assert served["EndpointConfigName"] != before
    config = sagemaker.describe_endpoint_config(EndpointConfigName=served["EndpointConfigName"])
    ((variant),) = config["ProductionVariants"]
    assert (
        variant["VariantName"],
        variant["ModelName"],
        variant["InstanceType"],
        variant["InitialInstanceCount"],
    ) == (
        "shadow",
        "shadow-model",
        "ml.c5.xlarge",
        3,
    )


def test_given_a_stop_without_promotion_when_it_completes_then_the_endpoint_is_as_before(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str
) -> None:
    sagemaker.create_inference_experiment(**request())
    local_backend.experiments.advance("churn-v2", "Running")

    sagemaker.stop_inference_experiment(
        Name="churn-v2", ModelVariantActions={"prod": "Retain", "shadow": "Remove"}
    )
    local_backend.clock.advance(120)

    assert sagemaker.describe_endpoint(EndpointName="prod")["EndpointConfigName"] == "prod-config"


@pytest.mark.parametrize(
    ("actions", "extra"),
    [
        pytest.param(
            {"prod": "Retain", "shadow": "Promote"},
            {"DesiredModelVariants": _desired()},
            id="promote-keeping-production",
        ),
        pytest.param({"prod": "Remove", "shadow": "Promote"}, {}, id="promote-without-desired-variants"),
        pytest.param(
            {"prod": "Remove", "shadow": "Promote"},
            {"DesiredModelVariants": _desired(), "DesiredState": "Cancelled"},
            id="promote-when-cancelled",
        ),
        pytest.param({"prod": "Promote", "shadow": "Remove"}, {}, id="promote-the-production-variant"),
        pytest.param({"prod": "Remove", "shadow": "Remove"}, {}, id="remove-production-without-promotion"),
        pytest.param({"prod": "Remove", "shadow": "Retain"}, {}, id="remove-production-keeping-shadow"),
        pytest.param(
            {"prod": "Remove", "shadow": "Promote"},
            {"DesiredModelVariants": _desired(model="other-model")},
            id="desired-variant-with-another-model",
        ),
        pytest.param(
            {"prod": "Remove", "shadow": "Promote"},
            {"DesiredModelVariants": _desired() + _desired(model="prod-model", variant="prod")},
            id="desired-variant-that-is-removed",
        ),
        pytest.param(
            {"prod": "Remove", "shadow": "Promote"},
            {"DesiredModelVariants": _desired(variant="canary")},
            id="desired-variant-not-in-the-experiment",
        ),
    ],
)
def test_given_a_stop_combination_outside_the_documented_promotion_then_validation_fails(
    local_backend: LocalBackend, sagemaker: Any, endpoint: str, actions: dict[str, str], extra: dict[str, Any]
) -> None:
    sagemaker.create_inference_experiment(**request())
    local_backend.experiments.advance("churn-v2", "Running")

    with pytest.raises(ClientError) as caught:
        sagemaker.stop_inference_experiment(Name="churn-v2", ModelVariantActions=actions, **extra)

    assert error_code(caught) == "ValidationException"
    assert status(sagemaker) == "Running"


def test_given_a_model_when_another_is_created_with_its_name_then_sagemaker_refuses_it(
    sagemaker: Any,
) -> None:
    """AWS: a second CreateModel of a name fails with ValidationException 'Cannot create already
    existing model "<arn>"' (seen in practice, aws/sagemaker-python-sdk#4059; the API Reference lists
    no error for it: docs/FIDELITY.md, "Where the documentation is silent"). moto replaces the model."""
    model = {"ModelName": "shadow-model", "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": "img"}}
    sagemaker.create_model(**model)

    with pytest.raises(ClientError) as refused:
        sagemaker.create_model(**{**model, "PrimaryContainer": {"Image": "other"}})

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Cannot create already existing model" in refused.value.response["Error"]["Message"]
    assert sagemaker.describe_model(ModelName="shadow-model")["PrimaryContainer"]["Image"] == "img"
