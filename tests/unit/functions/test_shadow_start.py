"""Names, the specification picked, the requests a shadow start sends, and the start decided in one call.

Limits (SageMaker API Reference): CreateModel.ModelName 1-63 chars matching
^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$ (API_CreateModel.html); CreateInferenceExperiment.Name 1-120
chars matching ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}$, Type ShadowMode, ModelVariants 1-2, exactly one
shadow variant (API_CreateInferenceExperiment.html, API_ShadowModeConfig.html); a model made from a
package version names it in ContainerDefinition.ModelPackageName and may pick one of its additional
specifications with InferenceSpecificationName (API_ContainerDefinition.html).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from registry_autopilot.logic import shadow as logic
from registry_autopilot.models.config import AutopilotConfig, DataCapture, HealthGates, ShadowConfig
from registry_autopilot.models.shadow import (
    EndpointVariantView,
    EndpointView,
    ExperimentView,
    ProductionVariant,
    ShadowVersion,
)

MODEL_NAME = re.compile(r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$")
EXPERIMENT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}$")
NOW = datetime(2025, 11, 24, 14, 0, tzinfo=UTC)
ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-xgboost/3"


@pytest.fixture
def shadow(config: AutopilotConfig) -> ShadowConfig:
    found = config.groups["churn-xgboost"].shadow
    assert found is not None
    return found


def version(*specs: tuple[str, list[str]]) -> ShadowVersion:
    return ShadowVersion.model_validate(
        {
            "ModelPackageArn": ARN,
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved",
            "AdditionalInferenceSpecifications": [
                {"Name": name, "SupportedRealtimeInferenceInstanceTypes": types} for name, types in specs
            ],
        }
    )


@pytest.mark.parametrize("group", ["churn-xgboost", "A" * 63, "Mixed-Case-Group"])
def test_names_are_deterministic_prefixed_and_within_aws_limits(group: str) -> None:
    model = logic.model_name(group, 123456, "neo-ml-c5", "ml.c5.xlarge")
    experiment = logic.experiment_name(group, 123456, "churn-prod")

    assert model == logic.model_name(group, 123456, "neo-ml-c5", "ml.c5.xlarge")
    assert experiment == logic.experiment_name(group, 123456, "churn-prod")
    assert model.startswith("autopilot-")
    assert experiment.startswith("autopilot-")
    assert len(model) <= 63
    assert MODEL_NAME.match(model)
    assert len(experiment) <= 120
    assert EXPERIMENT_NAME.match(experiment)


def test_another_version_or_endpoint_gets_another_experiment_name() -> None:
    names = {
        logic.experiment_name("churn-xgboost", 3, "churn-prod"),
        logic.experiment_name("churn-xgboost", 4, "churn-prod"),
        logic.experiment_name("churn-xgboost", 3, "churn-canary"),
    }
    assert len(names) == 3


def test_our_neo_spec_that_lists_the_shadow_instance_type_is_picked() -> None:
    candidate = version(
        ("custom-gpu", ["ml.g4dn.xlarge"]),
        ("other-cpu", ["ml.c5.xlarge"]),
        ("neo-ml-c5", ["ml.c5.large", "ml.c5.xlarge"]),
    )

    assert logic.pick_inference_spec(candidate, "ml.c5.xlarge") == "neo-ml-c5"


def test_another_fitting_spec_is_picked_when_no_neo_spec_fits() -> None:
    assert logic.pick_inference_spec(version(("other-cpu", ["ml.c5.xlarge"])), "ml.c5.xlarge") == "other-cpu"


def test_without_a_fitting_spec_the_primary_specification_serves() -> None:
    assert logic.pick_inference_spec(version(("neo-ml-m5", ["ml.m5.large"])), "ml.c5.xlarge") is None


def test_the_model_names_the_version_and_its_spec() -> None:
    request = logic.create_model_request("autopilot-m", version(), "neo-ml-c5", "arn:aws:iam::1:role/r", [])

    assert request["PrimaryContainer"] == {"ModelPackageName": ARN, "InferenceSpecificationName": "neo-ml-c5"}


def test_the_experiment_request_is_shadow_mode_at_the_first_step_with_a_schedule_and_tags(
    shadow: ShadowConfig,
) -> None:
    production = ProductionVariant(
        variant_name="AllTraffic", model_name="prod-model", instance_type="ml.m5.large", instance_count=2
    )
    tags = logic.owner_tags("RegistryAutopilot", version(), "churn-xgboost", "churn-prod")

    plan = logic.create_experiment_request(
        name="autopilot-x",
        group="churn-xgboost",
        version=3,
        shadow=shadow,
        production=production,
        shadow_model="autopilot-m",
        role_arn="arn:aws:iam::123456789012:role/shadow",
        tags=tags,
        now=NOW,
    )

    request = plan.request
    assert request["Type"] == "ShadowMode"
    assert request["Schedule"] == {"StartTime": NOW, "EndTime": NOW + timedelta(days=3)}
    assert request["ShadowModeConfig"] == {
        "SourceModelVariantName": "AllTraffic",
        "ShadowModelVariants": [{"ShadowModelVariantName": "shadow-v3", "SamplingPercentage": 5}],
    }
    assert [v["VariantName"] for v in request["ModelVariants"]] == ["AllTraffic", "shadow-v3"]
    assert request["ModelVariants"][1]["InfrastructureConfig"] == {
        "InfrastructureType": "RealTimeInference",
        "RealTimeInferenceConfig": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1},
    }
    assert {"Key": "registry-autopilot:owner", "Value": "RegistryAutopilot"} in request["Tags"]
    assert "DataStorageConfig" not in request
    assert "[autopilot step=0 since=2025-11-24T14:00:00Z]" in request["Description"]


def test_data_capture_becomes_the_experiment_data_storage_config(shadow: ShadowConfig) -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    captured = shadow.model_copy(
        update={"data_capture": DataCapture(destination_s3_uri="s3://capture-bucket/churn", kms_key_arn=key)}
    )
    production = ProductionVariant(
        variant_name="AllTraffic", model_name="p", instance_type="ml.m5.large", instance_count=1
    )

    request = logic.create_experiment_request(
        name="autopilot-x", group="g", version=1, shadow=captured, production=production,
        shadow_model="m", role_arn="arn:aws:iam::123456789012:role/r", tags=[], now=NOW,
    ).request  # fmt: skip

    assert request["DataStorageConfig"] == {"Destination": "s3://capture-bucket/churn", "KmsKey": key}


def test_the_shadow_variant_never_takes_the_production_variants_name() -> None:
    assert logic.shadow_variant_name(3, "shadow-v3") != "shadow-v3"


def test_the_outcome_keeps_to_the_metadata_value_pattern(shadow: ShadowConfig) -> None:
    request = logic.outcome_request(
        ARN, "autopilot-x", "COMPLETED", "ramped to 100%; shadow Remove", shadow=shadow
    )

    assert (
        request["CustomerMetadataProperties"][logic.OUTCOME_KEY]
        == "COMPLETED: ramped to 100 percent shadow Remove"
    )
    assert "ModelLifeCycle" not in request


def test_the_documented_health_gate_keys_are_accepted() -> None:
    gates = HealthGates.model_validate({"maxShadow5xxRate": 0.02, "maxLatencyRatio": 1.5})

    assert gates.max_shadow_5xx_rate == 0.02
    assert gates.model_dump(by_alias=True) == {"maxShadow5xxRate": 0.02, "maxLatencyRatio": 1.5}


def test_the_outcome_writes_the_model_lifecycle_when_configured(shadow: ShadowConfig) -> None:
    from registry_autopilot.models.config import ShadowLifecycle

    staged = shadow.model_copy(update={"lifecycle": ShadowLifecycle(stage="Staging")})

    request = logic.outcome_request(
        ARN, "autopilot-x", "COMPLETED", "done", shadow=staged, lifecycle_status="ShadowTestCompleted"
    )

    assert request["ModelLifeCycle"] == {
        "Stage": "Staging",
        "StageStatus": "ShadowTestCompleted",
        "StageDescription": "COMPLETED: done",
    }


# -- eligibility -------------------------------------------------------------------------------------
# Developer Guide, "Shadow tests" > "Exclusions"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions.html): "If your endpoint uses any
# of the following features you cannot use shadow tests on your endpoint, and your request to setup shadow
# tests will lead to validation errors. Serverless inference; Asynchronous inference; Marketplace
# containers; Multiple-containers endpoints; Multi-model endpoints; Endpoints that use Inf1
# (Inferentia-based) instances; Amazon Elastic Inference endpoints."
# "Create a shadow test": "For an endpoint with a shadow variant, there can be a maximum of one production
# variant."
def endpoint(*variants: EndpointVariantView, asynchronous: bool = False) -> EndpointView:
    return EndpointView(
        name="churn-prod", config_name="c", variants=list(variants), asynchronous=asynchronous
    )


def variant(name: str = "AllTraffic", **overrides: object) -> EndpointVariantView:
    values: dict[str, object] = {
        "variant_name": name,
        "model_name": "prod-model",
        "instance_type": "ml.m5.large",
        "instance_count": 2,
    }
    values.update(overrides)
    return EndpointVariantView.model_validate(values)


def test_an_eligible_endpoint_yields_its_only_production_variant_whatever_its_name() -> None:
    found = logic.check_eligibility(endpoint(variant("shadow-v1")), None, version(), None)

    assert found.reasons == ()
    assert found.production == ProductionVariant(
        variant_name="shadow-v1", model_name="prod-model", instance_type="ml.m5.large", instance_count=2
    )


@pytest.mark.parametrize(
    ("shown", "words"),
    [
        (endpoint(variant(serverless=True, instance_type=None)), "serverless"),
        (endpoint(variant(), asynchronous=True), "asynchronous inference"),
        (endpoint(variant(multi_model=True)), "multi-model"),
        (endpoint(variant(container_count=2)), "multi-container"),
        (endpoint(variant(), variant("Canary")), "2 production variants"),
        (endpoint(variant(instance_type="ml.inf1.xlarge")), "Inf1"),
        (endpoint(variant(accelerator_type="ml.eia2.medium")), "Elastic Inference"),
        (endpoint(), "no production variant"),
    ],
)
def test_an_endpoint_aws_excludes_yields_no_production_variant_and_names_why(
    shown: EndpointView, words: str
) -> None:
    found = logic.check_eligibility(shown, None, version(), None)

    assert found.production is None
    assert any(words in reason for reason in found.reasons)


def test_a_configured_production_variant_the_endpoint_lacks_is_named() -> None:
    found = logic.check_eligibility(endpoint(variant()), "Blue", version(), None)

    assert found.reasons == (
        "shadow.productionVariant: endpoint churn-prod has no production variant 'Blue'",
    )


@pytest.mark.parametrize(
    ("containers", "words"),
    [
        ([{"Image": "a"}, {"Image": "b"}], "2 containers (multi-container)"),
        ([{"Image": "a", "ProductId": "prod-xyz"}], "AWS Marketplace model package (ProductId prod-xyz)"),
    ],
)
def test_the_serving_specification_of_the_version_is_checked_too(
    containers: list[dict[str, str]], words: str
) -> None:
    candidate = ShadowVersion.model_validate(
        {
            "ModelPackageArn": ARN,
            "ModelPackageStatus": "Completed",
            "InferenceSpecification": {"Containers": [{"Image": "primary"}]},
            "AdditionalInferenceSpecifications": [
                {
                    "Name": "neo-ml-c5",
                    "Containers": containers,
                    "SupportedRealtimeInferenceInstanceTypes": ["ml.c5.xlarge"],
                }
            ],
        }
    )

    on_neo = logic.check_eligibility(endpoint(variant()), None, candidate, "neo-ml-c5")
    on_primary = logic.check_eligibility(endpoint(variant()), None, candidate, None)

    assert any(words in reason for reason in on_neo.reasons)
    assert on_primary.reasons == ()


def test_a_refusal_already_recorded_for_the_experiment_is_not_written_again(shadow: ShadowConfig) -> None:
    request = logic.outcome_request(
        ARN, "autopilot-x", logic.INELIGIBLE, "SageMaker refused the experiment: request 1", shadow=shadow
    )
    recorded = dict(request["CustomerMetadataProperties"])

    assert logic.already_refused(recorded, "autopilot-x") is True
    assert logic.already_refused(recorded, "autopilot-y") is False
    assert (
        logic.already_refused({**recorded, logic.OUTCOME_KEY: "STARTED: on churn-prod"}, "autopilot-x")
        is False
    )


# -- the start, decided in one call (what the ShadowStart use-case tests check through the handler) ----------
ROLE = "arn:aws:iam::123456789012:role/RegistryAutopilotShadowTests"


def older_experiment(name: str = "autopilot-churn-xgboost-v2-older") -> ExperimentView:
    return ExperimentView(
        name=name,
        arn=f"arn:aws:sagemaker:us-east-1:123456789012:inference-experiment/{name}",
        status="Running",
        start_time=NOW - timedelta(hours=1),
        end_time=NOW + timedelta(days=2),
        endpoint_name="churn-prod",
        source_variant="AllTraffic",
        shadow_variant="shadow-v2",
        sampling_percentage=5,
        tags={logic.GROUP_TAG_KEY: "churn-xgboost", logic.VERSION_TAG_KEY: ARN.replace("/3", "/2")},
    )


def start_evidence(
    shadow: ShadowConfig,
    candidate: ShadowVersion | None = None,
    shown: EndpointView | None = None,
    active: tuple[ExperimentView, ...] = (),
) -> logic.StartEvidence:
    return logic.StartEvidence(
        model_package_arn=ARN,
        group="churn-xgboost",
        version_number=3,
        version=candidate or version(("neo-ml-c5", ["ml.c5.large", "ml.c5.xlarge"])),
        shadow=shadow,
        endpoint=shown or endpoint(variant()),
        active=active,
        owner="RegistryAutopilot",
        role_arn=ROLE,
        now=NOW,
    )


def test_given_an_eligible_endpoint_then_the_start_creates_the_model_and_experiment_and_records_it(
    shadow: ShadowConfig,
) -> None:
    older = older_experiment()

    plan = logic.plan_start(start_evidence(shadow, active=(older,)))

    assert isinstance(plan, logic.StartPlan)
    assert plan.experiment == logic.experiment_name("churn-xgboost", 3, "churn-prod")
    assert plan.supersede == (older,)
    assert plan.inference_specification == "neo-ml-c5"
    assert plan.model == logic.model_name("churn-xgboost", 3, "neo-ml-c5", "ml.c5.xlarge")
    assert plan.create_model["ModelName"] == plan.model
    assert plan.create_model["PrimaryContainer"] == {
        "ModelPackageName": ARN,
        "InferenceSpecificationName": "neo-ml-c5",
    }
    assert plan.create_model["ExecutionRoleArn"] == ROLE
    request = plan.create_experiment
    assert request["Name"] == plan.experiment
    assert request["Schedule"] == {"StartTime": NOW, "EndTime": NOW + timedelta(days=3)}
    assert [v["ModelName"] for v in request["ModelVariants"]] == ["prod-model", plan.model]
    assert request["ModelVariants"][0]["InfrastructureConfig"]["RealTimeInferenceConfig"] == {
        "InstanceType": "ml.m5.large",
        "InstanceCount": 2,
    }
    tags = {tag["Key"]: tag["Value"] for tag in request["Tags"]}
    assert tags[logic.OWNER_TAG_KEY] == "RegistryAutopilot"
    assert tags[logic.VERSION_TAG_KEY] == ARN
    assert plan.create_model["Tags"] == request["Tags"]
    assert plan.started_record["CustomerMetadataProperties"] == {
        logic.EXPERIMENT_KEY: plan.experiment,
        logic.OUTCOME_KEY: "STARTED: shadow test on churn-prod at 5 percent",
    }
    assert plan.result(created=True).model_dump() == {
        "model_package_arn": ARN,
        "started": True,
        "experiment": plan.experiment,
        "model": plan.model,
        "inference_specification": "neo-ml-c5",
        "sampling_percentage": 5,
        "superseded": [older.name],
        "ineligible": [],
        "reason": "started",
    }


def test_given_the_experiment_created_concurrently_then_the_result_says_it_was_already_started(
    shadow: ShadowConfig,
) -> None:
    plan = logic.plan_start(start_evidence(shadow))

    assert isinstance(plan, logic.StartPlan)
    result = plan.result(created=False)
    assert (result.started, result.reason) == (False, "already started (created concurrently)")


def test_given_no_fitting_neo_spec_then_the_primary_specification_serves(shadow: ShadowConfig) -> None:
    plan = logic.plan_start(start_evidence(shadow, candidate=version(("neo-ml-m5", ["ml.m5.large"]))))

    assert isinstance(plan, logic.StartPlan)
    assert plan.inference_specification is None
    assert plan.create_model["PrimaryContainer"] == {"ModelPackageName": ARN}


@pytest.mark.parametrize(
    ("shown", "words"),
    [
        (endpoint(variant(serverless=True, instance_type=None)), "serverless"),
        (endpoint(variant(), variant("Canary")), "2 production variants"),
    ],
)
def test_given_an_endpoint_aws_excludes_then_the_start_is_refused_with_the_record_and_nothing_superseded(
    shadow: ShadowConfig, shown: EndpointView, words: str
) -> None:
    plan = logic.plan_start(start_evidence(shadow, shown=shown, active=(older_experiment(),)))

    assert isinstance(plan, logic.Refusal)
    assert any(words in reason for reason in plan.reasons)
    assert plan.recorded is False
    outcome = plan.record["CustomerMetadataProperties"][logic.OUTCOME_KEY]
    assert outcome.startswith(f"{logic.INELIGIBLE}: ")
    assert plan.subject == "Registry Autopilot: churn-xgboost/3 cannot be shadow-tested"
    assert plan.result.started is False
    assert plan.result.superseded == []  # the experiment under test keeps running
    assert list(plan.reasons) == plan.result.ineligible


def test_given_a_version_aws_excludes_then_the_refusal_names_it(shadow: ShadowConfig) -> None:
    marketplace = ShadowVersion.model_validate(
        {
            "ModelPackageArn": ARN,
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved",
            "InferenceSpecification": {"Containers": [{"Image": "a", "ProductId": "prod-xyz"}]},
        }
    )

    plan = logic.plan_start(start_evidence(shadow, candidate=marketplace))

    assert isinstance(plan, logic.Refusal)
    assert any("Marketplace" in reason for reason in plan.reasons)


def test_given_the_refusal_already_recorded_then_it_is_neither_written_nor_notified_again(
    shadow: ShadowConfig,
) -> None:
    excluded = endpoint(variant(), asynchronous=True)
    first = logic.plan_start(start_evidence(shadow, shown=excluded))
    assert isinstance(first, logic.Refusal)
    recorded = version().model_copy(
        update={"CustomerMetadataProperties": first.record["CustomerMetadataProperties"]}
    )

    again = logic.plan_start(start_evidence(shadow, candidate=recorded, shown=excluded))

    assert isinstance(again, logic.Refusal)
    assert again.recorded is True
    assert again.result == first.result


def test_given_sagemaker_refusing_the_experiment_then_its_reason_is_the_refusal(shadow: ShadowConfig) -> None:
    name = logic.experiment_name("churn-xgboost", 3, "churn-prod")

    refused = logic.refusal(version(), name, shadow, ["SageMaker refused the experiment: Marketplace"])

    assert refused.result.ineligible == ["SageMaker refused the experiment: Marketplace"]
    assert refused.record["CustomerMetadataProperties"][logic.OUTCOME_KEY] == (
        "INELIGIBLE: SageMaker refused the experiment: Marketplace"
    )


def test_the_shadow_variant_is_named_in_one_place_and_never_shadow() -> None:
    """StopInferenceExperiment's ModelVariantActions are keyed by the experiment's variant names: the
    runbook (docs/SHADOW_VARIANT.md) cites this rule, so it must be the code's."""
    from registry_autopilot.logic.shadow import SHADOW_VARIANT_PREFIX, shadow_variant_name

    assert shadow_variant_name(7, "AllTraffic") == f"{SHADOW_VARIANT_PREFIX}7" == "shadow-v7"
    assert shadow_variant_name(7, "shadow-v7") == "shadow-v7-candidate"
    assert "shadow-v<VERSION>" in (Path(__file__).resolve().parents[3] / "docs/SHADOW_VARIANT.md").read_text()
