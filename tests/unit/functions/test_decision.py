"""The attach-and-decide step's whole decision (pure): one call from the evidence to the one write.

These cover, without a backend, what the Attach use-case tests cover through the handler
(tests/integration/functions: test_approval_handlers, test_compile_handlers, test_model_card_handlers,
test_client_token).

AWS rules relied on (SageMaker API Reference):
- UpdateModelPackage (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html):
  fields absent from the request stay unchanged; AdditionalInferenceSpecificationsToAdd,
  ModelApprovalStatus, ApprovalDescription (<= 1024), CustomerMetadataProperties,
  CustomerMetadataPropertiesToRemove, ModelLifeCycle and ModelCard can all be set in one call;
  ClientToken "guarantees that the call to this API is idempotent".
- ModelPackageModelCard (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelPackageModelCard.html):
  ModelCardStatus Draft | PendingReview | Approved | Archived.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from registry_autopilot.logic import approval, audit, naming
from registry_autopilot.logic.decision import (
    AttachDecision,
    AttachEvidence,
    EvidenceToRead,
    decide,
    evidence_to_read,
)
from registry_autopilot.models.approval import ApprovedBaseline, ReportRead
from registry_autopilot.models.config import GroupConfig
from registry_autopilot.models.registry import ModelPackage
from registry_autopilot.models.workflow import AttachInput, TargetOutcome
from tests.compile_fixtures import ACCOUNT, REGION, describe_output

NOW = datetime(2025, 11, 24, 12, 30, tzinfo=UTC)
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:CompileWorkflow:6a7e8feb-b491-4cf7"
BUCKET = "registryautopilot-compiled-artifacts"
GROUP = "churn-xgboost"
VERSION = 3
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/{VERSION}"
REPORT_URI = f"s3://churn-models-{ACCOUNT}/{GROUP}/{VERSION}/evaluation.json"
IMAGE = "785573368785.dkr.ecr.us-east-1.amazonaws.com/xgboost-neo:latest"
AUC = "binary_classification_metrics.auc.value"
PENDING = "PendingManualApproval"
PERSON_CARD = {
    "intended_uses": {"intended_uses": "monthly churn scoring", "risk_rating": "Low"},
    "evaluation_details": [{"name": "holdout March", "evaluation_observation": "fine"}],
}


def group(**policy: Any) -> GroupConfig:
    """The churn group's targets: two cloud devices and a platform no endpoint serves."""
    approval_policy = {
        "mode": "auto",
        "requiredTargets": ["ml-c5"],
        "metricChecks": [{"path": AUC, "operator": ">=", "threshold": 0.8}],
        **policy,
    }
    return GroupConfig.model_validate(
        {
            "neoTargets": [
                {"name": "ml-c5", "targetDevice": "ml_c5"},
                {"name": "ml-m5", "targetDevice": "ml_m5"},
                {"name": "graviton", "targetPlatform": {"os": "LINUX", "arch": "ARM64"}},
            ],
            "approval": approval_policy,
        }
    )


def package(**overrides: Any) -> ModelPackage:
    metrics = {"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": REPORT_URI}}}
    return ModelPackage.from_describe(describe_output(GROUP, VERSION, ModelMetrics=metrics, **overrides))


def completed(target: str) -> TargetOutcome:
    artifact = naming.compiled_location(BUCKET, GROUP, VERSION, target) + f"model-{target}.tar.gz"
    return TargetOutcome(
        target=target, job_name=f"autopilot-job-{target}", status="COMPLETED", artifact=artifact, image=IMAGE
    )


def failed(target: str, reason: str) -> TargetOutcome:
    return TargetOutcome(target=target, job_name=f"autopilot-job-{target}", status="FAILED", reason=reason)


ALL_COMPILED = [completed("ml-c5"), completed("ml-m5"), completed("graviton")]


def report(auc: Any) -> dict[str, ReportRead]:
    document = {"binary_classification_metrics": {"auc": {"value": auc}}}
    return {REPORT_URI: ReportRead(uri=REPORT_URI, document=document)}


def evidence(
    *,
    version: ModelPackage | None = None,
    config: GroupConfig | None = None,
    results: list[TargetOutcome] | None = None,
    reports: dict[str, ReportRead] | None = None,
    baseline: ApprovedBaseline | None = None,
    status_at_start: str | None = PENDING,
    execution_id: str | None = EXECUTION,
    now: datetime = NOW,
) -> AttachEvidence:
    request = AttachInput.model_validate(
        {
            "model_package_arn": ARN,
            "group": GROUP,
            "version": VERSION,
            "results": [item.model_dump() for item in (ALL_COMPILED if results is None else results)],
            "approval_status_at_start": status_at_start,
            "execution_id": execution_id,
        }
    )
    return AttachEvidence(
        request=request,
        group=config or group(),
        package=version or package(),
        reports=report(0.9312) if reports is None else reports,
        baseline=baseline,
        artifacts_bucket=BUCKET,
        region=REGION,
        now=now,
    )


def applied(version: ModelPackage, request: dict[str, Any] | None) -> ModelPackage:
    """The version after UpdateModelPackage: named fields set, the rest unchanged (API Reference)."""
    described = version.model_dump(mode="json", exclude_none=True)
    if request is None:
        return version
    for spec in request.get("AdditionalInferenceSpecificationsToAdd", []):
        described.setdefault("AdditionalInferenceSpecifications", []).append(spec)
    for field in ("ModelApprovalStatus", "ApprovalDescription", "ModelCard"):
        if field in request:
            described[field] = request[field]
    metadata = {
        **described.get("CustomerMetadataProperties", {}),
        **request.get("CustomerMetadataProperties", {}),
    }
    for key in request.get("CustomerMetadataPropertiesToRemove", []):
        metadata.pop(key, None)
    described["CustomerMetadataProperties"] = metadata
    return ModelPackage.model_validate(described)


def written(decision: AttachDecision) -> dict[str, Any]:
    assert decision.request is not None
    return decision.request


# -- what to read -----------------------------------------------------------------------------------------
def test_given_a_version_due_for_a_decision_then_its_reports_and_the_baseline_report_are_read() -> None:
    auc = {"path": AUC, "operator": ">=", "threshold": 0.8}
    config = group(compareToApproved={"metric": auc, "margin": 0.01})

    wanted = evidence_to_read(package(), config, evidence().request)

    assert wanted == EvidenceToRead(
        due=True, report_uris=(REPORT_URI,), baseline_report="ModelQuality.Statistics"
    )


def test_given_a_version_already_decided_then_nothing_is_read() -> None:
    decided = package(
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={approval.DECIDED_BY_KEY: "x", approval.DECISION_KEY: "Approved"},
    )

    assert evidence_to_read(decided, group(), evidence().request) == EvidenceToRead(due=False)


# -- good -> Approved, bad -> Rejected, in the one request that attaches ----------------------------------
def test_given_a_passing_report_then_the_specs_and_the_approval_travel_in_one_request() -> None:
    decision = decide(evidence())

    request = written(decision)
    assert decision.status == "Approved"
    assert decision.description == (
        f"Registry Autopilot auto policy {approval.policy_digest(group())}. Approved: 2/2 checks passed. "
        "Checks: PASS required Neo targets attached (ml-c5): attached: ml-c5; "
        f"PASS {AUC} >= 0.8: {AUC} = 0.9312 >= 0.8"
    )
    assert [spec["Name"] for spec in request["AdditionalInferenceSpecificationsToAdd"]] == [
        "neo-ml-c5",
        "neo-ml-m5",
    ]
    assert request["ModelApprovalStatus"] == "Approved"
    assert request["ApprovalDescription"] == decision.description
    metadata = request["CustomerMetadataProperties"]
    assert metadata[approval.EXECUTION_KEY] == EXECUTION
    assert set(decision.audit) <= set(metadata)
    # The platform artifact no endpoint serves is recorded with its URI, not attached.
    assert naming.is_compiled_record(metadata[naming.metadata_key("graviton")])
    assert "team" not in metadata  # a team's own keys are not named, so they stay as they are
    assert decision.result.updated is True
    assert decision.result.approval == decision.outcome
    assert decision.outcome.status == "Approved"
    assert (decision.review, decision.problem) == (None, None)


def test_given_a_failing_report_then_the_version_is_rejected_naming_the_failing_check() -> None:
    decision = decide(evidence(reports=report(0.7134)))

    assert decision.status == "Rejected"
    assert decision.description is not None
    assert f"FAIL {AUC} >= 0.8: {AUC} = 0.7134 fails >= 0.8" in decision.description
    assert written(decision)["ModelApprovalStatus"] == "Rejected"
    assert decision.review is None


# -- manual -> pending, with the review notification --------------------------------------------------------
def test_given_a_manual_policy_then_the_version_stays_pending_and_a_person_is_sent_the_commands() -> None:
    decision = decide(evidence(config=group(mode="manual")))

    assert decision.status == PENDING
    assert decision.description is not None
    assert "Pending a person's review (manual policy)" in decision.description
    assert decision.outcome.notified is True
    assert decision.review is not None
    assert decision.review.subject == f"Registry Autopilot: {GROUP} v{VERSION} waits for approval"
    assert (
        f"aws sagemaker update-model-package --region {REGION} --model-package-arn {ARN} "
        '--model-approval-status Approved --approval-description "Approved by <name>: <reason>"'
    ) in decision.review.text
    assert "--model-approval-status Rejected" in decision.review.text
    assert "PASS required Neo targets attached" in decision.review.text


# -- a person's decision meanwhile is left as they set it --------------------------------------------------
def test_given_a_person_approved_while_the_workflow_ran_then_it_is_recorded_and_not_overruled() -> None:
    approved = package(ModelApprovalStatus="Approved", ApprovalDescription="approved by Ana after review")

    decision = decide(evidence(version=approved, reports=report(0.7134)))  # the policy would reject it

    request = written(decision)
    assert (decision.status, decision.description, decision.lifecycle) == (None, None, None)
    assert not {"ModelApprovalStatus", "ApprovalDescription", "ModelLifeCycle"} & set(request)
    assert decision.audit[approval.DECIDED_BY_KEY] == "a person outside Registry Autopilot"
    assert "changed from PendingManualApproval to Approved" in decision.audit[approval.NOTE_KEY]
    assert decision.outcome.action == "human-changed"
    # The compiled specs are still attached: they are not a decision.
    assert len(request["AdditionalInferenceSpecificationsToAdd"]) == 2
    assert decision.review is None


# -- unusable evaluation data: a clear outcome, never an exception ------------------------------------------
@pytest.mark.parametrize(
    ("read", "reason"),
    [
        (
            ReportRead(uri=REPORT_URI, error=f"{REPORT_URI}: the object does not exist (NoSuchKey)"),
            "NoSuchKey",
        ),
        (
            ReportRead(uri=REPORT_URI, document={"binary_classification_metrics": {}}),
            "absent from the report",
        ),
        (report(float("nan"))[REPORT_URI], "is nan, not a finite number"),
        (report("0.93")[REPORT_URI], 'a string ("0.93"), not a number'),
    ],
)
def test_given_unusable_evaluation_data_then_the_version_is_left_pending_with_the_reason(
    read: ReportRead, reason: str
) -> None:
    decision = decide(evidence(reports={REPORT_URI: read}))

    assert decision.status == PENDING
    assert decision.description is not None
    assert reason in decision.description
    assert "Pending a person's review (evaluation data unusable)" in decision.description
    assert decision.outcome.notified is True
    assert decision.review is not None


def test_given_unusable_data_and_a_policy_that_rejects_it_then_it_is_rejected_with_its_lifecycle() -> None:
    config = group(
        onUnusableReport="reject",
        lifecycle={"stage": "Evaluation", "approvedStatus": "Passed", "rejectedStatus": "Failed"},
    )

    decision = decide(evidence(config=config, reports={REPORT_URI: ReportRead(uri=REPORT_URI, document={})}))

    assert decision.status == "Rejected"
    assert decision.description is not None
    assert "evaluation data unusable (onUnusableReport: reject)" in decision.description
    assert decision.lifecycle is not None
    assert (decision.lifecycle["Stage"], decision.lifecycle["StageStatus"]) == ("Evaluation", "Failed")
    assert written(decision)["ModelLifeCycle"] == decision.lifecycle


# -- compared with the group's approved version --------------------------------------------------------------
def test_given_a_version_worse_than_the_approved_one_beyond_the_margin_then_it_is_rejected() -> None:
    auc = {"path": AUC, "operator": ">=", "threshold": 0.8}
    config = group(compareToApproved={"metric": auc, "margin": 0.01})
    baseline_uri = f"s3://churn-models-{ACCOUNT}/{GROUP}/1/evaluation.json"
    baseline = ApprovedBaseline(
        arn=ARN.replace(f"/{VERSION}", "/1"),
        version=1,
        report=ReportRead(
            uri=baseline_uri, document={"binary_classification_metrics": {"auc": {"value": 0.96}}}
        ),
    )

    decision = decide(evidence(config=config, baseline=baseline))  # 0.9312 passes 0.8, not 0.96 - 0.01

    assert decision.status == "Rejected"
    assert decision.description is not None
    assert "0.9312 vs approved v1 0.96: fails >= 0.95" in decision.description


# -- loops end by themselves -------------------------------------------------------------------------------
def test_given_every_spec_already_attached_then_the_version_is_still_decided_in_one_request() -> None:
    first = decide(evidence(execution_id=None))
    reopened = applied(package(), first.request).model_copy(
        update={"ModelApprovalStatus": PENDING, "CustomerMetadataProperties": {"team": "retention"}}
    )

    decision = decide(evidence(version=reopened, results=[]))

    request = written(decision)
    assert "AdditionalInferenceSpecificationsToAdd" not in request
    assert decision.specs == ()
    assert decision.status == "Approved"


def test_given_the_version_our_decision_left_then_nothing_is_decided_or_written() -> None:
    first = decide(evidence(reports=report(0.7134)))

    decision = decide(evidence(version=applied(package(), first.request), results=[], execution_id="another"))

    assert decision.request is None
    assert decision.card is None
    assert decision.outcome.action == "skipped"
    assert decision.outcome.reason.startswith("already decided: Rejected by registry-autopilot auto policy")
    assert decision.result.updated is False


def test_given_a_retried_step_of_the_same_execution_then_nothing_more_is_written() -> None:
    first = decide(evidence())

    assert first.request is not None
    written_card = {"ModelCard": first.card_requests[0][0]["ModelCard"]} if first.card_requests[0] else {}
    again = decide(evidence(version=applied(package(), {**first.request, **written_card})))

    assert again.request is None
    assert again.outcome.action == "skipped"
    assert "this execution already wrote its decision" in again.outcome.reason
    assert (again.review, again.problem) == (None, None)


def test_given_reports_not_read_because_no_decision_was_due_then_the_specs_are_attached_undecided() -> None:
    decision = decide(replace(evidence(), reports=None))

    assert decision.status is None
    assert decision.outcome.action == "skipped"
    assert [spec["Name"] for spec in decision.specs] == ["neo-ml-c5", "neo-ml-m5"]
    assert not set(approval.AUDIT_KEYS) & set(written(decision)["CustomerMetadataProperties"])


# -- targets that did not make it ---------------------------------------------------------------------------
def test_given_a_failed_target_then_it_is_recorded_and_notified_and_the_others_attached() -> None:
    results = [
        completed("ml-c5"),
        failed("ml-m5", "ClientError: unsupported operator"),
        completed("graviton"),
    ]

    decision = decide(evidence(results=results))

    request = written(decision)
    assert [spec["Name"] for spec in request["AdditionalInferenceSpecificationsToAdd"]] == ["neo-ml-c5"]
    assert decision.records[naming.metadata_key("ml-m5")].startswith(
        "FAILED: ClientError: unsupported operator"
    )
    assert request["CustomerMetadataProperties"][naming.metadata_key("ml-m5")].startswith("FAILED")
    assert decision.problem is not None
    assert decision.problem.subject == f"Registry Autopilot: Neo targets not attached to {GROUP} v{VERSION}"
    assert decision.problem.message["failed"][0]["target"] == "ml-m5"
    assert decision.problem.message["retry_command"] == (
        f"python -m autopilot retry {ARN} ml-m5 --region {REGION}"
    )
    assert decision.status == "Approved"  # ml-m5 is not a required target


def test_given_an_answered_retry_then_its_record_is_removed_and_a_history_line_written() -> None:
    asked = package(CustomerMetadataProperties={"team": "retention", naming.metadata_key("ml-m5"): "RETRY"})

    decision = decide(evidence(version=asked))

    assert decision.remove == (naming.metadata_key("ml-m5"),)
    assert written(decision)["CustomerMetadataPropertiesToRemove"] == [naming.metadata_key("ml-m5")]
    assert "neo ml-m5 RETRY done" in decision.records[audit.HISTORY_KEY]


# -- the model card ------------------------------------------------------------------------------------------
def test_given_a_persons_card_then_ours_is_added_agreeing_with_the_status_and_theirs_survives() -> None:
    with_card = package(ModelCard={"ModelCardContent": json.dumps(PERSON_CARD), "ModelCardStatus": "Draft"})

    decision = decide(evidence(version=with_card))

    assert decision.card is not None
    assert decision.card.model_card is not None
    assert "ModelCard" not in written(decision)  # the decision's request never carries the card
    together, apart = decision.card_requests
    assert [r["ModelCard"] for r in together] == [decision.card.model_card]
    assert [set(r["ModelCard"]) for r in apart] == [{"ModelCardContent"}, {"ModelCardStatus"}]
    assert decision.card.model_card["ModelCardStatus"] == "Approved"
    content = json.loads(decision.card.model_card["ModelCardContent"])
    assert content["intended_uses"] == PERSON_CARD["intended_uses"]
    assert content["evaluation_details"][0] == PERSON_CARD["evaluation_details"][0]


def test_given_a_second_run_on_the_version_as_written_then_nothing_more_is_written() -> None:
    first = decide(evidence(reports=report(0.7134)))

    assert first.request is not None
    written_card = {"ModelCard": first.card_requests[0][0]["ModelCard"]} if first.card_requests[0] else {}
    again = decide(evidence(version=applied(package(), {**first.request, **written_card})))

    assert first.card is not None
    assert first.card.model_card is not None
    assert first.card.model_card["ModelCardStatus"] == "Draft"  # Rejected maps to Draft
    assert again.request is None
    assert again.result.updated is False


# -- one token, one request ---------------------------------------------------------------------------------
def test_given_the_same_evidence_then_the_request_and_its_token_are_identical() -> None:
    assert decide(evidence()).request == decide(evidence()).request


def test_given_a_retry_decided_later_then_the_changed_request_carries_another_token() -> None:
    first = written(decide(evidence()))
    later = written(decide(evidence(now=NOW + timedelta(minutes=7))))

    assert first["CustomerMetadataProperties"] != later["CustomerMetadataProperties"]  # decided-at
    assert first["ClientToken"] != later["ClientToken"]
