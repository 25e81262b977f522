"""Shadow start and roller handlers on the local backend: a version approved, its experiment started on
the production endpoint, then rolled round after round to its conclusion.

AWS behaviour the local backend enforces, and where it is documented (SageMaker API Reference):
- CreateInferenceExperiment (ResourceInUse for a name in use; schedule at most 30 days):
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceExperiment.html
- UpdateInferenceExperiment (only Created or Running; Running may change only the end date):
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceExperiment.html
- StopInferenceExperiment (ModelVariantActions per variant; DesiredState Completed | Cancelled):
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopInferenceExperiment.html
- CreateModel from a model package: ContainerDefinition.ModelPackageName and
  InferenceSpecificationName: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ContainerDefinition.html
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.stepfunctions import LocalLambdaContext
from registry_autopilot import clock
from registry_autopilot.logic import shadow as logic
from registry_autopilot.models.config import AutopilotConfig
from tests.compile_fixtures import event_for
from tests.emf import counts
from tests.shadow_endpoints import INELIGIBLE_ENDPOINTS, make_version_ineligible, seed_endpoint

ROLE = "arn:aws:iam::123456789012:role/RegistryAutopilotShadowTests"
ENDPOINT = "churn-prod"


@pytest.fixture
def stack(backend: LocalBackend) -> Iterator[LocalBackend]:
    """The backend with its clock driving the functions, and the production endpoint in place."""
    clock.use(backend.clock.now)
    sagemaker = backend.client("sagemaker")
    with backend.unrecorded():
        sagemaker.create_model(
            ModelName="churn-prod-model",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={
                "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
            },
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName="churn-prod-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "churn-prod-model",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 2,
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="churn-prod-config")
    yield backend
    clock.use(None)


@pytest.fixture
def t0(stack: LocalBackend) -> datetime:
    """When the test starts, on the backend's clock."""
    return stack.clock.now()


def invoke(module: str, event: dict[str, Any]) -> dict[str, Any]:
    import importlib

    loaded = importlib.import_module(f"registry_autopilot.handlers.{module}")
    context = LocalLambdaContext(
        function_name=module, invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{module}"
    )
    result: dict[str, Any] = loaded.handler(event, context)
    return result


def approved_version(backend: LocalBackend, *, with_neo_spec: bool = True) -> str:
    with backend.unrecorded():
        arn = backend.seed_model_package("churn-xgboost", approval_status="Approved", framework="XGBOOST")
        if with_neo_spec:
            backend.client("sagemaker").update_model_package(
                ModelPackageArn=arn,
                AdditionalInferenceSpecificationsToAdd=[
                    {
                        "Name": "neo-ml-c5",
                        "Containers": [
                            {
                                "Image": "785573368785.dkr.ecr.us-east-1.amazonaws.com/xgboost-neo:latest",
                                "ModelDataUrl": "s3://bucket/churn/ml-c5/model.tar.gz",
                            }
                        ],
                        "SupportedRealtimeInferenceInstanceTypes": ["ml.c5.large", "ml.c5.xlarge"],
                    }
                ],
            )
    return arn


def approved_event(arn: str) -> dict[str, Any]:
    return event_for(arn, "version-approved-by-human.json")


def tick() -> dict[str, Any]:
    from tests.compile_fixtures import load_event

    event = load_event("scheduled-roller-tick.json")
    event["time"] = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def roll_until_quiet(backend: LocalBackend, rounds: int, minutes: int = 15) -> list[dict[str, Any]]:
    seen = []
    for _ in range(rounds):
        backend.clock.advance(minutes * 60)
        for item in invoke("roller", tick())["experiments"]:
            if item["outcome"] not in {"unchanged", "skipped"}:
                seen.append({"at": backend.clock.now(), **item})
    return seen


def sagemaker_writes(backend: LocalBackend) -> list[str]:
    return [call.operation for call in backend.writes if call.service == "sagemaker"]


def test_an_approved_version_starts_an_owned_shadow_experiment_on_the_endpoint(
    stack: LocalBackend, t0: datetime
) -> None:
    arn = approved_version(stack)

    result = invoke("shadow_start", approved_event(arn))

    assert result["started"] is True
    assert result["inference_specification"] == "neo-ml-c5"
    sagemaker = stack.client("sagemaker")
    described = sagemaker.describe_inference_experiment(Name=result["experiment"])
    assert described["Type"] == "ShadowMode"
    assert described["EndpointMetadata"]["EndpointName"] == ENDPOINT
    assert described["ShadowModeConfig"] == {
        "SourceModelVariantName": "AllTraffic",
        "ShadowModelVariants": [{"ShadowModelVariantName": "shadow-v1", "SamplingPercentage": 5}],
    }
    assert described["Schedule"] == {"StartTime": t0, "EndTime": t0 + timedelta(days=3)}
    production, shadow = described["ModelVariants"]
    assert production["ModelName"] == "churn-prod-model"
    assert production["InfrastructureConfig"]["RealTimeInferenceConfig"] == {
        "InstanceType": "ml.m5.large",
        "InstanceCount": 2,
    }
    assert shadow["InfrastructureConfig"]["RealTimeInferenceConfig"] == {
        "InstanceType": "ml.c5.xlarge",
        "InstanceCount": 1,
    }
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=described["Arn"])["Tags"]}
    assert tags[logic.OWNER_TAG_KEY] == "RegistryAutopilot"
    assert tags[logic.VERSION_TAG_KEY] == arn
    model = sagemaker.describe_model(ModelName=result["model"])
    assert model["PrimaryContainer"]["ModelPackageName"] == arn
    assert model["PrimaryContainer"]["InferenceSpecificationName"] == "neo-ml-c5"


def test_a_version_without_a_fitting_neo_spec_is_served_from_its_primary_specification(
    stack: LocalBackend,
) -> None:
    arn = approved_version(stack, with_neo_spec=False)

    result = invoke("shadow_start", approved_event(arn))

    assert result["started"] is True
    assert result["inference_specification"] is None
    model = stack.client("sagemaker").describe_model(ModelName=result["model"])
    assert "InferenceSpecificationName" not in model["PrimaryContainer"]


def test_a_duplicate_approved_event_starts_nothing_more(stack: LocalBackend) -> None:
    arn = approved_version(stack)
    invoke("shadow_start", approved_event(arn))
    stack.clear_records()

    again = invoke("shadow_start", approved_event(arn))

    assert again["started"] is False
    assert again["reason"].startswith("already started")
    assert sagemaker_writes(stack) == []


def test_given_the_shadow_model_made_by_an_earlier_attempt_when_the_start_runs_again_then_it_starts_with_it(
    stack: LocalBackend,
) -> None:
    """The start creates the shadow model without describing it first and takes "already exists" as
    done: a start that failed after CreateModel (before CreateInferenceExperiment) is retried by
    Lambda and must go on, not fail on its own model. AWS refuses a second CreateModel of a name with
    ValidationException 'Cannot create already existing model "<arn>"' (seen in practice:
    aws/sagemaker-python-sdk#4059, astronomer/astronomer-providers#1055; the API Reference lists no
    error for it, docs/FIDELITY.md "Where the documentation is silent"), and the backend does too."""
    arn = approved_version(stack)
    model = logic.model_name("churn-xgboost", 1, "neo-ml-c5", "ml.c5.xlarge")
    with stack.unrecorded():
        stack.client("sagemaker").create_model(
            ModelName=model,
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"ModelPackageName": arn, "InferenceSpecificationName": "neo-ml-c5"},
        )
    stack.clear_records()

    again = invoke("shadow_start", approved_event(arn))

    assert again["started"] is True
    assert again["model"] == model
    creates = [call for call in stack.calls if call.operation == "CreateModel"]
    assert [call.error_code for call in creates] == ["ValidationException"]
    assert [call.params["ModelName"] for call in stack.calls if call.operation == "DescribeModel"] == [
        "churn-prod-model"
    ]


def test_a_version_no_longer_approved_is_not_shadow_tested(stack: LocalBackend) -> None:
    arn = approved_version(stack)
    with stack.unrecorded():
        stack.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    stack.clear_records()

    result = invoke("shadow_start", approved_event(arn))

    assert result == {**result, "started": False, "reason": "the version is Rejected now"}
    assert sagemaker_writes(stack) == []


def test_a_newer_approval_concludes_the_older_experiment_as_superseded_and_starts_its_own(
    stack: LocalBackend,
) -> None:
    older_arn = approved_version(stack)
    older = invoke("shadow_start", approved_event(older_arn))["experiment"]
    stack.clock.advance(30 * 60)
    newer_arn = approved_version(stack)

    newer = invoke("shadow_start", approved_event(newer_arn))

    assert newer["started"] is True
    assert newer["superseded"] == [older]
    assert stack.experiments.stop_actions(older) == {"AllTraffic": "Retain", "shadow-v1": "Remove"}
    stack.clock.advance(120)
    assert stack.experiments.status(older) == "Cancelled"
    metadata = stack.client("sagemaker").describe_model_package(ModelPackageName=older_arn)[
        "CustomerMetadataProperties"
    ]
    assert metadata[logic.OUTCOME_KEY] == "SUPERSEDED: superseded by churn-xgboost v2"


def test_an_older_approval_never_replaces_a_newer_version_under_test(stack: LocalBackend) -> None:
    first = approved_version(stack)
    second = approved_version(stack)
    invoke("shadow_start", approved_event(second))

    result = invoke("shadow_start", approved_event(first))

    assert result["started"] is False
    assert result["reason"].startswith("a newer version is being shadow-tested")


def test_scheduled_rounds_ramp_the_experiment_along_the_plan_and_conclude_it(
    stack: LocalBackend, t0: datetime
) -> None:
    arn = approved_version(stack)
    name = invoke("shadow_start", approved_event(arn))["experiment"]

    seen = roll_until_quiet(stack, rounds=4 * 20)

    sampling = [
        (item["at"] - t0, item["changes"]["ShadowModeConfig"]["ShadowModelVariants"][0]["SamplingPercentage"])
        for item in seen
        if "ShadowModeConfig" in item["changes"]
    ]
    assert sampling == [(timedelta(hours=1), 25), (timedelta(hours=3), 50), (timedelta(hours=7), 100)]
    (conclusion,) = [item for item in seen if item["outcome"] == "concluded"]
    assert conclusion["at"] - t0 == timedelta(hours=15)
    assert stack.experiments.status(name) == "Completed"
    assert stack.experiments.stop_actions(name) == {"AllTraffic": "Retain", "shadow-v1": "Remove"}
    metadata = stack.client("sagemaker").describe_model_package(ModelPackageName=arn)[
        "CustomerMetadataProperties"
    ]
    assert metadata[logic.OUTCOME_KEY].startswith("COMPLETED: rollout plan done")


def test_every_update_the_roller_sends_is_one_the_status_allowed(stack: LocalBackend) -> None:
    arn = approved_version(stack)
    invoke("shadow_start", approved_event(arn))
    stack.clear_records()

    roll_until_quiet(stack, rounds=4 * 20)

    updates = [call for call in stack.calls if call.operation == "UpdateInferenceExperiment"]
    assert updates
    assert all(call.error_code is None for call in updates)  # the backend refuses what AWS refuses
    assert all("StartTime" not in call.params.get("Schedule", {}) for call in updates)


def test_an_experiment_changing_status_under_the_roller_is_retried_next_round(stack: LocalBackend) -> None:
    arn = approved_version(stack)
    name = invoke("shadow_start", approved_event(arn))["experiment"]
    stack.clock.advance(60 * 60)
    stack.experiments.advance(name, "Updating")

    (item,) = invoke("roller", tick())["experiments"]

    assert item["outcome"] == "skipped"
    stack.clock.advance(60)
    (item,) = invoke("roller", tick())["experiments"]
    assert item["outcome"] == "updated"


def test_an_experiment_not_owned_by_registry_autopilot_is_never_touched(stack: LocalBackend) -> None:
    arn = approved_version(stack)
    name = invoke("shadow_start", approved_event(arn))["experiment"]
    described = stack.client("sagemaker").describe_inference_experiment(Name=name)
    with stack.unrecorded():
        stack.client("sagemaker").delete_tags(ResourceArn=described["Arn"], TagKeys=[logic.OWNER_TAG_KEY])
    stack.clear_records()

    seen = roll_until_quiet(stack, rounds=8)

    assert seen == []
    assert sagemaker_writes(stack) == []


def test_one_failing_experiment_does_not_stop_the_others_and_the_round_reports_it(
    stack: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry_autopilot.adapters.experiments import InferenceExperiments

    first = invoke("shadow_start", approved_event(approved_version(stack)))["experiment"]
    # A second owned experiment, on another endpoint (one endpoint holds one experiment of ours).
    sagemaker = stack.client("sagemaker")
    second_request = sagemaker.describe_inference_experiment(Name=first)
    with stack.unrecorded():
        sagemaker.create_endpoint(EndpointName="churn-canary", EndpointConfigName="churn-prod-config")
        tags = sagemaker.list_tags(ResourceArn=second_request["Arn"])["Tags"]
        sagemaker.create_inference_experiment(
            Name="autopilot-churn-xgboost-canary",
            Type="ShadowMode",
            RoleArn=ROLE,
            EndpointName="churn-canary",
            ModelVariants=[
                {k: v for k, v in m.items() if k != "Status"} for m in second_request["ModelVariants"]
            ],
            ShadowModeConfig=second_request["ShadowModeConfig"],
            Tags=tags,
        )
    original = InferenceExperiments.update

    def flaky(self: InferenceExperiments, request: dict[str, Any]) -> None:
        if request["Name"] == first:
            raise RuntimeError("throttled beyond retries")
        original(self, request)

    monkeypatch.setattr(InferenceExperiments, "update", flaky)
    stack.clock.advance(60 * 60)
    stack.clear_records()

    result = invoke("roller", tick())

    outcomes = {item["experiment"]: item["outcome"] for item in result["experiments"]}
    assert outcomes == {first: "failed", "autopilot-churn-xgboost-canary": "updated"}
    assert result["failures"] == 1
    assert [call.operation for call in stack.writes if call.service == "sns"] == ["Publish"]


def test_given_a_round_with_no_experiment_then_the_roller_emits_no_custom_metric(
    stack: LocalBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    result = invoke("roller", tick())

    assert result["experiments"] == []
    assert counts(capsys.readouterr().out) == {}


def test_given_a_version_started_and_rolled_then_no_custom_metric_is_emitted(
    stack: LocalBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke("shadow_start", approved_event(approved_version(stack)))

    seen = roll_until_quiet(stack, rounds=8, minutes=60)

    assert {item["outcome"] for item in seen} >= {"updated"}
    assert counts(capsys.readouterr().out) == {}


def test_given_the_roller_failing_on_an_experiment_then_it_counts_it_in_roller_experiment_failures(
    stack: LocalBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from registry_autopilot.adapters.experiments import InferenceExperiments

    invoke("shadow_start", approved_event(approved_version(stack)))

    def failing(self: InferenceExperiments, request: dict[str, Any]) -> None:
        raise RuntimeError("throttled beyond retries")

    monkeypatch.setattr(InferenceExperiments, "update", failing)
    stack.clock.advance(60 * 60)
    capsys.readouterr()

    assert invoke("roller", tick())["failures"] == 1
    assert counts(capsys.readouterr().out) == {"RollerExperimentFailures": 1}


def test_a_shadow_failing_its_health_gate_holds_the_ramp_from_cloudwatch_metrics(
    stack: LocalBackend, tmp_path: Path
) -> None:
    from registry_autopilot.settings import reset_settings
    from tests.compile_fixtures import config_dict, write_config

    raw = config_dict()
    raw["groups"]["churn-xgboost"]["shadow"]["healthGates"] = {"maxShadow5xxRate": 0.05, "maxLatencyRatio": 2}
    write_config(tmp_path, AutopilotConfig.model_validate(raw))
    reset_settings()
    name = invoke("shadow_start", approved_event(approved_version(stack)))["experiment"]
    stack.clock.advance(60 * 60)
    # CloudWatch: the shadow variant answered 40 of its 200 invocations with a 5xx.
    cloudwatch = stack.client("cloudwatch")
    for variant, invocations, errors in (("shadow-v1", 200, 40), ("AllTraffic", 4000, 0)):
        cloudwatch.put_metric_data(
            Namespace="AWS/SageMaker",
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [
                        {"Name": "EndpointName", "Value": ENDPOINT},
                        {"Name": "VariantName", "Value": variant},
                    ],
                    "Timestamp": stack.clock.now() - timedelta(minutes=5),
                    "Value": value,
                }
                for metric, value in (("Invocations", invocations), ("Invocation5XXErrors", errors))
            ],
        )

    (item,) = invoke("roller", tick())["experiments"]

    assert item["outcome"] == "updated"
    assert "shadow 5xx rate 20.00% > 5.00%" in item["reason"]
    assert "holding the first step" in item["reason"]
    assert "ShadowModeConfig" not in item["changes"]  # still at 5%
    assert (
        stack.client("sagemaker")
        .describe_inference_experiment(Name=name)["Description"]
        .endswith(f"since={stack.clock.now():%Y-%m-%dT%H:%M:%SZ}]")
    )


# -- eligibility -------------------------------------------------------------------------------------
# Developer Guide, "Shadow tests" > "Exclusions"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions.html): "If your endpoint uses any
# of the following features you cannot use shadow tests on your endpoint, and your request to setup
# shadow tests will lead to validation errors." The list and the one-production-variant rule
# ("Create a shadow test") are quoted in tests/shadow_endpoints.py, which seeds one endpoint per case.
@pytest.fixture
def clocked(backend: LocalBackend) -> Iterator[LocalBackend]:
    clock.use(backend.clock.now)
    yield backend
    clock.use(None)


def outcome_of(backend: LocalBackend, arn: str) -> str:
    metadata = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)[
        "CustomerMetadataProperties"
    ]
    return str(metadata[logic.OUTCOME_KEY])


def published(backend: LocalBackend) -> list[dict[str, Any]]:
    return [call.params for call in backend.writes if call.service == "sns" and call.operation == "Publish"]


@pytest.mark.parametrize("kind", sorted(INELIGIBLE_ENDPOINTS))
def test_given_an_excluded_endpoint_when_a_version_is_approved_then_the_refusal_is_recorded_and_notified_once(
    clocked: LocalBackend, kind: str
) -> None:
    with clocked.unrecorded():
        seed_endpoint(clocked.client("sagemaker"), ENDPOINT, kind)
    arn = approved_version(clocked)
    clocked.clear_records()

    result = invoke("shadow_start", approved_event(arn))

    assert result["started"] is False
    assert any(INELIGIBLE_ENDPOINTS[kind] in reason for reason in result["ineligible"])
    assert outcome_of(clocked, arn).startswith("INELIGIBLE: ")
    assert sagemaker_writes(clocked) == ["UpdateModelPackage"]  # no model, no experiment, no stop
    (message,) = published(clocked)
    assert "cannot be shadow-tested" in message["Subject"]
    # The record's own state-change event comes back: nothing more is written or sent.
    clocked.clear_records()
    again = invoke("shadow_start", approved_event(arn))
    assert again["ineligible"] == result["ineligible"]
    assert clocked.writes == []


def test_given_an_excluded_endpoint_then_the_refusal_is_counted_once_in_shadow_tests_ineligible(
    clocked: LocalBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    kind = sorted(INELIGIBLE_ENDPOINTS)[0]
    with clocked.unrecorded():
        seed_endpoint(clocked.client("sagemaker"), ENDPOINT, kind)
    arn = approved_version(clocked)

    invoke("shadow_start", approved_event(arn))
    first = counts(capsys.readouterr().out)
    invoke("shadow_start", approved_event(arn))  # the record's own event: already refused

    assert first == {"ShadowTestsIneligible": 1}
    assert counts(capsys.readouterr().out) == {}


@pytest.mark.parametrize(
    ("kind", "words"), [("multi-container", "2 containers"), ("marketplace", "Marketplace")]
)
def test_given_a_version_aws_excludes_when_approved_then_the_refusal_names_it(
    stack: LocalBackend, kind: str, words: str
) -> None:
    arn = approved_version(stack, with_neo_spec=False)
    with stack.unrecorded():
        make_version_ineligible(stack.client("sagemaker"), arn, kind)

    result = invoke("shadow_start", approved_event(arn))

    assert result["started"] is False
    assert any(words in reason for reason in result["ineligible"])
    assert stack.experiments.names() == []


def test_given_an_ineligible_version_then_the_experiment_under_test_keeps_running(
    stack: LocalBackend,
) -> None:
    older = invoke("shadow_start", approved_event(approved_version(stack)))["experiment"]
    newer_arn = approved_version(stack, with_neo_spec=False)
    with stack.unrecorded():
        make_version_ineligible(stack.client("sagemaker"), newer_arn, "marketplace")

    result = invoke("shadow_start", approved_event(newer_arn))

    assert result["started"] is False
    assert result["superseded"] == []
    assert stack.experiments.stop_actions(older) is None


def test_given_an_exclusion_only_sagemaker_sees_when_starting_then_its_refusal_is_recorded_not_retried(
    clocked: LocalBackend,
) -> None:
    """The production model is made from a Marketplace model package: the start cannot see that (it
    does not read foreign packages), CreateInferenceExperiment refuses it with ValidationException."""
    sagemaker = clocked.client("sagemaker")
    with clocked.unrecorded():
        product = clocked.seed_model_package("vendor-model", approval_status="Approved")
        make_version_ineligible(sagemaker, product, "marketplace")
        sagemaker.create_model(
            ModelName="churn-prod-model",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"ModelPackageName": product},
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName="churn-prod-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "churn-prod-model",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="churn-prod-config")
    arn = approved_version(clocked)

    result = invoke("shadow_start", approved_event(arn))

    assert result["started"] is False
    (reason,) = result["ineligible"]
    assert reason.startswith("SageMaker refused the experiment: ")
    assert "Marketplace" in reason
    assert outcome_of(clocked, arn).startswith("INELIGIBLE: SageMaker refused the experiment")


# -- promote -----------------------------------------------------------------------------------------
# Developer Guide, "Complete a shadow test" > "Promote a shadow variant"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-complete.html): "This removes your current
# production variant from production and replaces it with your shadow variant." ... "we highly recommend
# that you retain the instance count and type from the production variant when promoting your shadow
# variant." StopInferenceExperiment.DesiredModelVariants (API_StopInferenceExperiment.html): "There is one
# for each variant that you want to deploy after the inference experiment stops."
def promoting(tmp_path: Path, **shadow: Any) -> None:
    from registry_autopilot.settings import reset_settings
    from tests.compile_fixtures import config_dict, write_config

    raw = config_dict()
    section = raw["groups"]["churn-xgboost"]["shadow"]
    section.pop("productionVariant", None)
    section.update({"endAction": "Promote", **shadow})
    write_config(tmp_path, AutopilotConfig.model_validate(raw))
    reset_settings()


def served(backend: LocalBackend) -> list[tuple[str, str, str, int]]:
    sagemaker = backend.client("sagemaker")
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
    )
    return [
        (v["VariantName"], v["ModelName"], v["InstanceType"], v["InitialInstanceCount"])
        for v in config["ProductionVariants"]
    ]


def test_given_end_action_promote_when_the_plan_completes_then_the_shadow_model_serves_at_production_size(
    stack: LocalBackend, tmp_path: Path
) -> None:
    promoting(tmp_path)
    started = invoke("shadow_start", approved_event(approved_version(stack)))

    seen = roll_until_quiet(stack, rounds=4 * 20)

    (conclusion,) = [item for item in seen if item["outcome"] == "concluded"]
    assert conclusion["changes"]["ModelVariantActions"] == {"AllTraffic": "Remove", "shadow-v1": "Promote"}
    assert served(stack) == [("shadow-v1", started["model"], "ml.m5.large", 2)]
    calls = [call for call in stack.calls if call.operation == "StopInferenceExperiment"]
    assert [call.error_code for call in calls] == [None]


def test_given_a_promoted_endpoint_when_the_next_version_is_approved_then_it_is_tested_against_the_promoted(
    stack: LocalBackend, tmp_path: Path
) -> None:
    promoting(tmp_path, promotionCapacity={"instanceType": "ml.c5.2xlarge", "instanceCount": 3})
    first = invoke("shadow_start", approved_event(approved_version(stack)))
    roll_until_quiet(stack, rounds=4 * 20)
    assert served(stack) == [("shadow-v1", first["model"], "ml.c5.2xlarge", 3)]

    second = invoke("shadow_start", approved_event(approved_version(stack)))

    assert second["started"] is True
    described = stack.client("sagemaker").describe_inference_experiment(Name=second["experiment"])
    assert described["ShadowModeConfig"]["SourceModelVariantName"] == "shadow-v1"
    assert described["ModelVariants"][0]["ModelName"] == first["model"]
