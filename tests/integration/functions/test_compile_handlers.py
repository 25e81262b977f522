"""Plan and Attach handlers on the local backend (moto + the fidelity layer).

UpdateModelPackage leaves fields the request does not name unchanged (SageMaker API Reference:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html); the
local backend behaves the same, so "untouched" is checked against it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from registry_autopilot.logic import naming
from registry_autopilot.models.errors import InvalidInput
from tests.compile_fixtures import event_for, load_event
from tests.emf import counts

ROLE = "arn:aws:iam::123456789012:role/RegistryAutopilotNeoCompile"  # the stack's own role, locally
PASSING_REPORT = {"binary_classification_metrics": {"auc": {"value": 0.93}}}


def seed(backend: LocalBackend) -> str:
    arn = backend.seed_model_package(
        "churn-xgboost",
        framework="XGBOOST",
        framework_version="1.7",
        customer_metadata={"team": "retention"},
        content_types=("text/csv",),
        response_types=("text/csv",),
        # Passes the configured policy (auc >= 0.8), so these attach tests end Approved.
        evaluation_report=PASSING_REPORT,
    )
    with backend.unrecorded():
        backend.client("sagemaker").update_model_package(
            ModelPackageArn=arn, ApprovalDescription="registered by the training pipeline"
        )
    return arn


def compile_all(
    backend: LocalBackend, plan: dict[str, Any], fail: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """What the state machine's Map and the compile watcher do, reduced to the Map's results: one
    outcome per target."""
    sagemaker = backend.client("sagemaker")
    outcomes = []
    for target in plan["targets"]:
        reason = (fail or {}).get(target["target"])
        backend.compilation_jobs.script(target["job_name"], ["FAILED" if reason else "COMPLETED"], reason)
        with backend.unrecorded():
            sagemaker.create_compilation_job(RoleArn=ROLE, **target["request"])
        outcome = {"target": target["target"], "job_name": target["job_name"]}
        if reason:
            outcome |= {"status": "FAILED", "reason": reason}
        else:
            # What the compile watcher reports: the artifact and image DescribeCompilationJob names.
            with backend.unrecorded():
                job = sagemaker.describe_compilation_job(CompilationJobName=target["job_name"])
            outcome |= {"status": "COMPLETED", "artifact": job["ModelArtifacts"]["S3ModelArtifacts"]}
            outcome |= {"image": job["InferenceImage"]} if "InferenceImage" in job else {}
        outcomes.append(outcome)
    return outcomes


def sagemaker_writes(backend: LocalBackend) -> list[str]:
    return [call.operation for call in backend.writes if call.service == "sagemaker"]


def test_plan_reads_the_version_and_lists_every_target(backend: LocalBackend, plan_handler: Any) -> None:
    arn = seed(backend)

    result = plan_handler(event_for(arn))

    assert result["has_work"] is True
    assert [t["target"] for t in result["targets"]] == ["ml-c5", "ml-m5", "graviton"]
    assert sagemaker_writes(backend) == []


def test_invalid_event_names_the_field_and_writes_nothing(backend: LocalBackend, plan_handler: Any) -> None:
    with pytest.raises(InvalidInput, match="ModelPackageArn"):
        plan_handler(load_event("invalid-missing-model-package-arn.json"))

    assert backend.writes == []


def test_unwatched_group_is_skipped_without_reading_it(backend: LocalBackend, plan_handler: Any) -> None:
    result = plan_handler(load_event("version-in-unwatched-group.json"))

    assert result["has_work"] is False
    assert backend.calls == []


def test_attach_adds_one_spec_per_target_and_the_decision_in_the_same_call(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend)
    plan = plan_handler(event_for(arn))

    attach_handler({**plan, "results": compile_all(backend, plan)})

    after = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)
    assert [s["Name"] for s in after["AdditionalInferenceSpecifications"]] == ["neo-ml-c5", "neo-ml-m5"]
    assert after["ModelApprovalStatus"] == "Approved"
    assert after["ApprovalDescription"].startswith("Registry Autopilot auto policy")
    metadata = after["CustomerMetadataProperties"]
    assert metadata["team"] == "retention"  # what we did not name stays as it was
    assert {key for key in metadata if key != "team"} == {
        "autopilot:approval:decided-by",
        "autopilot:approval:decision",
        "autopilot:approval:policy",
        "autopilot:approval:decided-at",
        "autopilot:approval:execution",
        # The TargetPlatform artifact no endpoint serves: recorded with its S3 URI, not attached.
        naming.metadata_key("graviton"),
    }
    assert naming.is_compiled_record(metadata[naming.metadata_key("graviton")])
    # The specs and the decision in one UpdateModelPackage; the model card in its own, after it.
    assert sagemaker_writes(backend) == ["UpdateModelPackage", "UpdateModelPackage"]
    card = [c.params for c in backend.writes if c.service == "sagemaker"][1]
    assert set(card) == {"ModelPackageArn", "ModelCard", "ClientToken"}


def test_attached_spec_carries_the_compiled_artifact_and_neo_image(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend)
    plan = plan_handler(event_for(arn))
    attach_handler({**plan, "results": compile_all(backend, plan)})

    spec = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)[
        "AdditionalInferenceSpecifications"
    ][0]
    container = spec["Containers"][0]
    assert container["Image"].endswith("/xgboost-neo:latest")
    assert container["ModelDataUrl"].startswith(
        "s3://registryautopilot-compiled-artifacts/compiled/churn-xgboost/"
    )
    assert spec["SupportedContentTypes"] == ["text/csv"]


def test_duplicate_attach_changes_nothing(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend)
    plan = plan_handler(event_for(arn))
    request = {**plan, "results": compile_all(backend, plan)}
    attach_handler(request)
    backend.clear_records()

    again = attach_handler(request)

    assert again["updated"] is False
    assert sagemaker_writes(backend) == []


def test_failed_target_is_recorded_notified_and_the_others_attached(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend)
    plan = plan_handler(event_for(arn))
    results = compile_all(backend, plan, fail={"ml-m5": "ClientError: unsupported operator"})

    result = attach_handler({**plan, "results": results})

    described = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)
    assert [s["Name"] for s in described["AdditionalInferenceSpecifications"]] == ["neo-ml-c5"]
    assert described["CustomerMetadataProperties"][naming.metadata_key("ml-m5")].startswith(
        "FAILED: ClientError: unsupported operator"
    )
    assert described["CustomerMetadataProperties"]["team"] == "retention"
    assert result["failed"][0]["target"] == "ml-m5"
    (publish,) = [c.params for c in backend.writes if c.service == "sns"]
    notified = json.loads(publish["Message"])
    assert notified["failed"][0]["target"] == "ml-m5"
    # The message tells a person how to have the target compiled again: the retry verb, which does
    # not rely on an event for a metadata-only update.
    assert notified["retry_command"] == f"python -m autopilot retry {arn} ml-m5 --region us-east-1"


def test_given_a_failed_target_then_attach_counts_it_in_targets_failed(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = seed(backend)
    plan = plan_handler(event_for(arn))
    results = compile_all(backend, plan, fail={"ml-m5": "ClientError: unsupported operator"})

    attach_handler({**plan, "results": results})

    assert counts(capsys.readouterr().out) == {"TargetsFailed": 1}


def test_our_own_update_event_plans_nothing_and_writes_nothing(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend)
    plan = plan_handler(event_for(arn))
    attach_handler({**plan, "results": compile_all(backend, plan, fail={"graviton": "unsupported"})})
    our_event = backend.emitted_events[-1]
    backend.clear_records()

    replanned = plan_handler(our_event)

    assert replanned["has_work"] is False
    assert sagemaker_writes(backend) == []


def test_given_an_invalid_event_then_the_invocation_fails_and_emits_no_custom_metric(
    backend: LocalBackend, plan_handler: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rejected input fails the invocation, which Lambda counts for free (Lambda Developer Guide, "Types
    of metrics for Lambda functions", https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html:
    "Errors - The number of invocations that result in a function error. Function errors include
    exceptions that your code throws and exceptions that the Lambda runtime throws."), and the function's
    `Errors` alarm fires: no custom metric counts it again."""
    with pytest.raises(InvalidInput):
        plan_handler(load_event("invalid-missing-model-package-arn.json"))

    assert counts(capsys.readouterr().out) == {}


def test_invalid_attach_input_names_the_field_and_writes_nothing(
    backend: LocalBackend, attach_handler: Any
) -> None:
    with pytest.raises(InvalidInput, match="results"):
        attach_handler({"model_package_arn": "arn", "group": "churn-xgboost", "version": 1})

    assert backend.writes == []
