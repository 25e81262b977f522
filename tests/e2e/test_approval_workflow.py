"""From the registration event through the synthesized rule and state machine to the decision.

The compile state machine ends with one step that attaches the compiled targets and writes the
approval decision in the same UpdateModelPackage call (SageMaker API Reference, UpdateModelPackage:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html). The execution id
comes from the Context object (`$$.Execution.Id`; Step Functions Developer Guide, "Accessing execution
data from the Context object": https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
SageMaker emits a "SageMaker Model Package State Change" event for our own update
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html); the
registration rule matches PendingManualApproval only, so an Approved or Rejected write cannot start
the workflow again.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.stepfunctions import execute, handler_router
from autopilot.embedded.synth import SynthesizedApp
from registry_autopilot.logic import approval, naming
from tests.compile_fixtures import event_for
from tests.e2e.compile_watch import watch_rounds

EVENTS = Path(__file__).resolve().parents[2] / "events"
MANIFEST: dict[str, dict[str, Any]] = json.loads((EVENTS / "meta" / "manifest.json").read_text())["events"]
APPROVAL_SAMPLES = sorted(name for name, entry in MANIFEST.items() if "decision" in entry)
REGISTERED_RULE = "RegistryEventsVersionRegistered"
_names = itertools.count()


def stage_report(stack: EmbeddedStack, event: dict[str, Any], fixture: str) -> None:
    """Put the sample's evaluation report where its ModelMetrics points."""
    uri = event["detail"]["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    stack.stage_object(uri, (EVENTS / fixture).read_bytes())


def version_writes(backend: LocalBackend, arn: str) -> list[dict[str, Any]]:
    return [
        call.params
        for call in backend.writes
        if call.operation == "UpdateModelPackage" and call.params.get("ModelPackageArn") == arn
    ]


@pytest.mark.parametrize("name", APPROVAL_SAMPLES)
def test_each_approval_sample_ends_with_its_decision_in_one_write_per_version(name: str) -> None:
    entry = MANIFEST[name]
    event = json.loads((EVENTS / name).read_text())
    with EmbeddedStack() as stack:
        arn = stack.seed_from_event(event)
        assert arn is not None
        stage_report(stack, event, entry["report"])
        stack.backend.clear_records()

        routed = stack.send_event(event)

        (execution,) = routed.executions
        assert execution.status == "SUCCEEDED", execution.cause
        state = stack.model_package_state(arn)
        assert state["ModelApprovalStatus"] == entry["decision"]
        assert len(state["AdditionalInferenceSpecifications"]) == 3
        writes = version_writes(stack.backend, arn)
        # attach + decision: one write; the model card after it, in its own (so a refused card never
        # takes the decision with it).
        assert [("ModelCard" in w, "ModelApprovalStatus" in w) for w in writes] == [
            (False, True),
            (True, False),
        ]
        # The audit keys name the execution that decided (passed in from $$.Execution.Id).
        recorded = state["CustomerMetadataProperties"][approval.EXECUTION_KEY]
        assert recorded.startswith("arn:aws:states:")
        assert recorded.endswith(":local-0001")


def test_the_rejected_sample_names_the_failing_check() -> None:
    event = json.loads((EVENTS / "version-registered-report-fails.json").read_text())
    with EmbeddedStack() as stack:
        arn = stack.seed_from_event(event)
        assert arn is not None
        stage_report(stack, event, MANIFEST["version-registered-report-fails.json"]["report"])

        stack.send_event(event)

        description = stack.model_package_state(arn)["ApprovalDescription"]
        assert "FAIL binary_classification_metrics.auc.value >= 0.8" in description
        assert "= 0.7134 fails >= 0.8" in description


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("version-registered-report-passes.json", "Approved"),
        ("version-registered-report-fails.json", "Rejected"),
    ],
)
def test_the_event_our_decision_causes_does_not_start_the_compile_workflow_again(
    name: str, status: str
) -> None:
    event = json.loads((EVENTS / name).read_text())
    with EmbeddedStack() as stack:
        arn = stack.seed_from_event(event)
        assert arn is not None
        stage_report(stack, event, MANIFEST[name]["report"])
        stack.send_event(event)
        ours = stack.backend.emitted_events[-1]
        stack.backend.clear_records()

        routed = stack.send_event(ours)

        assert ours["detail"]["ModelApprovalStatus"] == status
        assert REGISTERED_RULE not in routed.matched_rules
        assert routed.executions == []
        # Only the shadow start (approved versions) may write on the version again, and only its
        # own record: no spec, no approval field, no decision audit key.
        for write in version_writes(stack.backend, arn):
            assert set(write) == {"ModelPackageArn", "CustomerMetadataProperties"}
            assert all(key.startswith("autopilot:shadow:") for key in write["CustomerMetadataProperties"])


# -- the synthesized state machine, driven directly ------------------------------------------------------
def compile_machine(app: SynthesizedApp) -> dict[str, Any]:
    (definition,) = [d for d in app.state_machines.values() if "PlanCompilations" in d["States"]]
    return definition


def seed(backend: LocalBackend, auc: float | None) -> str:
    report = {"binary_classification_metrics": {"auc": {"value": auc}}} if auc is not None else None
    return backend.seed_model_package(
        "churn-xgboost", framework="XGBOOST", framework_version="1.7", evaluation_report=report
    )


@pytest.mark.parametrize("status", ["Approved", "Rejected"])
def test_a_decided_version_fed_straight_to_the_workflow_ends_with_no_writes(
    synthesized: SynthesizedApp, backend: LocalBackend, status: str
) -> None:
    arn = seed(backend, 0.93 if status == "Approved" else 0.5)
    execute(
        compile_machine(synthesized),
        event_for(arn),
        invoke=handler_router(synthesized.functions),
        name="first",
        on_wait=backend.clock.advance,
        on_token_wait=watch_rounds(synthesized, backend),
    )
    assert (
        backend.client("sagemaker").describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]
        == status
    )
    ours = backend.emitted_events[-1]
    backend.clear_records()

    result = execute(
        compile_machine(synthesized), ours, invoke=handler_router(synthesized.functions), name="again"
    )

    assert result.status == "SUCCEEDED"
    assert result.states_entered() == ["PlanCompilations", "AnythingToCompile", "NothingToCompile"]
    assert [c for c in backend.writes if c.service == "sagemaker"] == []


def test_a_person_approving_during_compilation_is_left_as_they_set_it(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    arn = seed(backend, 0.5)  # the policy would reject it
    sagemaker = backend.client("sagemaker")
    approved_by_person = False

    watch = watch_rounds(synthesized, backend)

    def person_approves_while_jobs_run() -> float:
        nonlocal approved_by_person
        if not approved_by_person:
            approved_by_person = True
            with backend.unrecorded():
                sagemaker.update_model_package(
                    ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="approved by Ana"
                )
        return watch()

    result = execute(
        compile_machine(synthesized),
        event_for(arn),
        invoke=handler_router(synthesized.functions),
        name=f"human-{next(_names)}",
        on_token_wait=person_approves_while_jobs_run,
    )

    assert result.status == "SUCCEEDED", result.cause
    package = sagemaker.describe_model_package(ModelPackageName=arn)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ApprovalDescription"] == "approved by Ana"
    assert (
        package["CustomerMetadataProperties"][approval.DECIDED_BY_KEY]
        == "a person outside Registry Autopilot"
    )
    assert result.output["attach"]["approval"]["action"] == "human-changed"


def test_a_version_with_nothing_left_to_compile_goes_straight_to_the_decision(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    arn = seed(backend, 0.93)
    sagemaker = backend.client("sagemaker")
    with backend.unrecorded():  # specs attached before the policy existed (an earlier release)
        sagemaker.update_model_package(
            ModelPackageArn=arn,
            AdditionalInferenceSpecificationsToAdd=[
                {
                    "Name": f"neo-{target}",
                    "Containers": [
                        {"Image": "785573368785.dkr.ecr.us-east-1.amazonaws.com/xgboost-neo:latest"}
                    ],
                }
                for target in ("ml-c5", "ml-m5", "graviton")
            ],
        )
    backend.clear_records()

    result = execute(
        compile_machine(synthesized),
        event_for(arn),
        invoke=handler_router(synthesized.functions),
        name=f"decide-only-{next(_names)}",
    )

    assert result.status == "SUCCEEDED", result.cause
    assert result.states_entered() == [
        "PlanCompilations",
        "AnythingToCompile",
        "NothingLeftToCompile",
        "AttachCompiled",
    ]
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    update, card = [c.params for c in backend.writes if c.operation == "UpdateModelPackage"]
    assert "AdditionalInferenceSpecificationsToAdd" not in update
    assert set(card) == {"ModelPackageArn", "ModelCard", "ClientToken"}


def test_a_retried_required_target_lets_the_policy_decide_again_when_a_person_asks_for_it(
    synthesized: SynthesizedApp, backend: LocalBackend
) -> None:
    """The README's retry: RETRY the failed target and re-open the decision (set the version pending).
    The answered RETRY and the superseded decision leave the trail in one history line (docs/AUDIT.md)."""
    arn = seed(backend, 0.93)  # a good report: only the missing required target rejects it
    sagemaker = backend.client("sagemaker")
    ml_c5 = next(t for t in synthesized.config.groups["churn-xgboost"].neo_targets if t.name == "ml-c5")
    first_job = naming.compilation_job_name("churn-xgboost", int(arn.rsplit("/", 1)[1]), ml_c5)
    backend.compilation_jobs.script(first_job, ["FAILED"], "InternalServerError: capacity")

    def run_workflow(event: dict[str, Any]) -> Any:
        return execute(
            compile_machine(synthesized),
            event,
            invoke=handler_router(synthesized.functions),
            name=f"retry-{next(_names)}",
            on_wait=backend.clock.advance,
            on_token_wait=watch_rounds(synthesized, backend),
        )

    run_workflow(event_for(arn))
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Rejected"

    sagemaker.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={naming.metadata_key("ml-c5"): "RETRY"},
    )
    result = run_workflow(backend.emitted_events[-1])

    assert result.status == "SUCCEEDED", result.cause
    package = sagemaker.describe_model_package(ModelPackageName=arn)
    assert "neo-ml-c5" in [s["Name"] for s in package["AdditionalInferenceSpecifications"]]
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ApprovalDescription"].startswith("Registry Autopilot auto policy")
    metadata = package["CustomerMetadataProperties"]
    assert naming.metadata_key("ml-c5") not in metadata
    assert metadata[approval.DECISION_KEY] == "Approved"
    assert "decided again: Approved" in metadata["autopilot:history"]
    assert "Rejected by registry-autopilot auto policy re-opened" in metadata["autopilot:history"]
    assert package["ModelCard"]["ModelCardStatus"] == "Approved"
