"""Attach-and-decide on the local backend, with evaluation reports in (moto) S3.

AWS rules relied on (SageMaker API Reference):
- UpdateModelPackage (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html):
  fields absent from the request stay unchanged; ModelApprovalStatus, ApprovalDescription (<= 1024),
  CustomerMetadataProperties, ModelLifeCycle and AdditionalInferenceSpecificationsToAdd can all be
  set in one call, which is how one write per version carries attach and decision together.
- ModelMetrics.ModelQuality.Statistics.S3Uri names the evaluation report
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelMetrics.html,
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_MetricsSource.html).
- S3 GetObject errors NoSuchKey / AccessDenied
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped, unused-ignore]

from autopilot.embedded.backend import LocalBackend
from registry_autopilot.adapters.reports import EvaluationReports, ReportTemporarilyUnavailable
from registry_autopilot.logic import approval
from registry_autopilot.models.config import AutopilotConfig
from registry_autopilot.settings import reset_settings
from tests.compile_fixtures import EVENTS, config_dict, event_for, write_config
from tests.emf import counts
from tests.integration.functions.test_compile_handlers import compile_all

REPORTS = EVENTS / "reports"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:CompileWorkflow:e2e-approval"


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REPORTS / name).read_text())
    return document


def seed(backend: LocalBackend, report: dict[str, Any] | None, group: str = "churn-xgboost") -> str:
    return backend.seed_model_package(
        group,
        framework="XGBOOST" if group == "churn-xgboost" else "PYTORCH",
        framework_version="1.7" if group == "churn-xgboost" else "2.0",
        customer_metadata={"team": "retention"},
        evaluation_report=report,
    )


def report_uri(backend: LocalBackend, arn: str) -> str:
    described = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)
    uri: str = described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    return uri


def put_report(backend: LocalBackend, uri: str, body: bytes | None) -> None:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    with backend.unrecorded():
        s3 = backend.client("s3")
        if body is None:
            s3.delete_object(Bucket=bucket, Key=key)
        else:
            s3.put_object(Bucket=bucket, Key=key, Body=body)


def run_workflow(backend: LocalBackend, plan_handler: Any, attach_handler: Any, arn: str) -> dict[str, Any]:
    """Plan, compile every target, then attach and decide (what the state machine does)."""
    plan = plan_handler(event_for(arn))
    results = compile_all(backend, plan)
    backend.clear_records()
    outcome: dict[str, Any] = attach_handler({**plan, "results": results, "execution_id": EXECUTION})
    return outcome


def describe(backend: LocalBackend, arn: str) -> dict[str, Any]:
    with backend.unrecorded():
        result: dict[str, Any] = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)
    return result


def all_updates(backend: LocalBackend) -> list[dict[str, Any]]:
    return [c.params for c in backend.writes if c.operation == "UpdateModelPackage"]


def card_only(request: dict[str, Any]) -> bool:
    """The model card's own write, sent after the decision's (logic/model_card.py)."""
    return set(request) - {"ModelPackageArn", "ClientToken"} == {"ModelCard"}


def updates(backend: LocalBackend) -> list[dict[str, Any]]:
    """The UpdateModelPackage writes other than the card's own (the decision is one of them)."""
    return [request for request in all_updates(backend) if not card_only(request)]


def published(backend: LocalBackend) -> list[dict[str, Any]]:
    return [c.params for c in backend.writes if c.service == "sns" and c.operation == "Publish"]


def use_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **approval_policy: Any) -> None:
    raw = config_dict()
    raw["groups"]["churn-xgboost"]["approval"] = approval_policy
    (tmp_path / "custom").mkdir(exist_ok=True)
    path = write_config(tmp_path / "custom", AutopilotConfig.model_validate(raw))
    monkeypatch.setenv("AUTOPILOT_CONFIG_FILE", str(path))
    reset_settings()


# -- done when: good -> Approved, bad -> Rejected naming the check ------------------------------------
def test_a_good_report_ends_approved_with_a_readable_description_in_one_write(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend, fixture("churn-xgboost-passing.json"))

    result = run_workflow(backend, plan_handler, attach_handler, arn)

    package = describe(backend, arn)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ApprovalDescription"] == (
        f"Registry Autopilot auto policy {result['approval']['policy_digest']}. Approved: 2/2 checks passed. "
        "Checks: PASS required Neo targets attached (ml-c5): attached: ml-c5; "
        "PASS binary_classification_metrics.auc.value >= 0.8: "
        "binary_classification_metrics.auc.value = 0.9312 >= 0.8"
    )
    assert [s["Name"] for s in package["AdditionalInferenceSpecifications"]] == ["neo-ml-c5", "neo-ml-m5"]
    assert package["CustomerMetadataProperties"][approval.EXECUTION_KEY] == EXECUTION
    # Writes per version: attach and decision travel in exactly one UpdateModelPackage call.
    (update,) = updates(backend)
    assert "AdditionalInferenceSpecificationsToAdd" in update
    assert update["ModelApprovalStatus"] == "Approved"
    assert published(backend) == []


def test_a_failing_report_ends_rejected_naming_the_failing_check(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend, fixture("churn-xgboost-failing.json"))

    result = run_workflow(backend, plan_handler, attach_handler, arn)

    package = describe(backend, arn)
    assert package["ModelApprovalStatus"] == "Rejected"
    assert (
        "FAIL binary_classification_metrics.auc.value >= 0.8: "
        "binary_classification_metrics.auc.value = 0.7134 fails >= 0.8"
    ) in package["ApprovalDescription"]
    assert result["approval"]["status"] == "Rejected"
    assert len(updates(backend)) == 1


# -- done when: manual -> pending, summary attached, notification published ----------------------------
def test_a_manual_group_stays_pending_with_the_summary_and_a_notification_with_the_commands(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend, fixture("churn-xgboost-passing.json"), group="fraud-pytorch")

    result = run_workflow(backend, plan_handler, attach_handler, arn)

    package = describe(backend, arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ApprovalDescription"].startswith("Registry Autopilot manual policy")
    assert "Pending a person's review (manual policy)" in package["ApprovalDescription"]
    assert result["approval"]["notified"] is True
    (message,) = published(backend)
    assert message["Subject"] == "Registry Autopilot: fraud-pytorch v1 waits for approval"
    assert (
        f"aws sagemaker update-model-package --region us-east-1 --model-package-arn {arn} "
        '--model-approval-status Approved --approval-description "Approved by <name>: <reason>"'
    ) in message["Message"]
    assert "--model-approval-status Rejected" in message["Message"]
    assert "PASS required Neo targets attached" in message["Message"]
    assert len(updates(backend)) == 1


# Custom metrics (registry_autopilot.custom_metrics): only what needs a person is counted, so a version
# the policy approves emits none and one left for review counts once.
def test_given_a_version_left_for_a_person_then_the_workflow_counts_it_in_versions_left_for_review(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = seed(backend, fixture("churn-xgboost-passing.json"), group="fraud-pytorch")

    run_workflow(backend, plan_handler, attach_handler, arn)

    assert counts(capsys.readouterr().out) == {"VersionsLeftForReview": 1}


def test_given_a_version_the_policy_approves_then_the_workflow_emits_no_custom_metric(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = seed(backend, fixture("churn-xgboost-passing.json"))

    result = run_workflow(backend, plan_handler, attach_handler, arn)

    assert result["approval"]["status"] == "Approved"
    assert counts(capsys.readouterr().out) == {}


def test_the_review_notification_is_delivered_to_the_topic_in_moto(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    from moto.sns.models import sns_backends

    arn = seed(backend, None, group="fraud-pytorch")

    run_workflow(backend, plan_handler, attach_handler, arn)

    topics = sns_backends[backend.account_id][backend.region].topics
    sent = [message for topic in topics.values() for message in topic.sent_notifications]
    # moto keeps (message id, message, subject, attributes, group id) per published notification.
    assert any("waits for a person's approval" in message for _, message, *_ in sent)


# -- done when: a person's decision meanwhile is left as they set it ------------------------------------
def test_a_version_a_person_approved_mid_workflow_is_left_as_they_set_it(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend, fixture("churn-xgboost-failing.json"))  # the policy would reject it
    plan = plan_handler(event_for(arn))
    results = compile_all(backend, plan)
    with backend.unrecorded():  # a person approves while the compilations run
        backend.client("sagemaker").update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus="Approved",
            ApprovalDescription="approved by Ana after review",
        )
    backend.clear_records()

    result = attach_handler({**plan, "results": results, "execution_id": EXECUTION})

    package = describe(backend, arn)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ApprovalDescription"] == "approved by Ana after review"
    assert "ModelLifeCycle" not in package
    metadata = package["CustomerMetadataProperties"]
    assert metadata[approval.DECIDED_BY_KEY] == "a person outside Registry Autopilot"
    assert "changed from PendingManualApproval to Approved" in metadata[approval.NOTE_KEY]
    assert result["approval"]["action"] == "human-changed"
    (update,) = updates(backend)
    assert not {"ModelApprovalStatus", "ApprovalDescription", "ModelLifeCycle"} & set(update)
    # The compiled specs are still attached: they are not a decision, and the approved version can
    # serve them (documented in README "Approval policy").
    assert len(package["AdditionalInferenceSpecifications"]) == 2  # the platform target is recorded


# -- bad evaluation data: a clear outcome, never an exception ------------------------------------------------
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (None, "the object does not exist (NoSuchKey)"),
        ((REPORTS / "churn-xgboost-truncated.json").read_bytes(), "is not JSON"),
        (b"\xff\xfe not text", "is not UTF-8 text"),
        (json.dumps(fixture("churn-xgboost-missing-metric.json")).encode(), "auc is absent from the report"),
        (b'{"binary_classification_metrics": {"auc": {"value": NaN}}}', "is nan, not a finite number"),
        (b'{"binary_classification_metrics": {"auc": {"value": Infinity}}}', "is inf, not a finite number"),
        (b'{"binary_classification_metrics": {"auc": {"value": "0.93"}}}', 'a string ("0.93"), not a number'),
    ],
)
def test_unusable_evaluation_data_leaves_the_version_pending_with_the_reason(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any, body: bytes | None, reason: str
) -> None:
    arn = seed(backend, {})
    put_report(backend, report_uri(backend, arn), body)

    result = run_workflow(backend, plan_handler, attach_handler, arn)

    package = describe(backend, arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert reason in package["ApprovalDescription"]
    assert "Pending a person's review (evaluation data unusable)" in package["ApprovalDescription"]
    assert result["approval"]["notified"] is True
    assert len(updates(backend)) == 1


def test_unusable_evaluation_data_rejects_when_the_policy_says_so(
    backend: LocalBackend,
    plan_handler: Any,
    attach_handler: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_config(
        tmp_path,
        monkeypatch,
        mode="auto",
        onUnusableReport="reject",
        metricChecks=[
            {"path": "binary_classification_metrics.auc.value", "operator": ">=", "threshold": 0.8}
        ],
        lifecycle={"stage": "Evaluation", "approvedStatus": "Passed", "rejectedStatus": "Failed"},
    )
    arn = seed(backend, fixture("churn-xgboost-missing-metric.json"))

    run_workflow(backend, plan_handler, attach_handler, arn)

    package = describe(backend, arn)
    assert package["ModelApprovalStatus"] == "Rejected"
    assert "evaluation data unusable (onUnusableReport: reject)" in package["ApprovalDescription"]
    assert package["ModelLifeCycle"]["Stage"] == "Evaluation"
    assert package["ModelLifeCycle"]["StageStatus"] == "Failed"


def test_access_denied_is_an_unusable_report_and_throttling_is_retryable() -> None:
    import boto3  # type: ignore[import-untyped, unused-ignore]

    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    reports = EvaluationReports(s3=s3)
    uri = "s3://churn-models-123456789012/churn-xgboost/3/evaluation.json"
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403)
        stub.add_client_error("get_object", service_error_code="SlowDown", http_status_code=503)

        denied = reports.read(uri)
        with pytest.raises(ReportTemporarilyUnavailable, match="SlowDown"):
            reports.read(uri)

    assert denied.document is None
    assert denied.error is not None
    assert "access denied" in denied.error
    assert "(AccessDenied)" in denied.error


# -- compare to the group's approved version --------------------------------------------------------------
def test_a_version_worse_than_the_approved_one_beyond_the_margin_is_rejected(
    backend: LocalBackend,
    plan_handler: Any,
    attach_handler: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auc = {"path": "binary_classification_metrics.auc.value", "operator": ">=", "threshold": 0.8}
    use_config(tmp_path, monkeypatch, mode="auto", compareToApproved={"metric": auc, "margin": 0.01})
    approved = {"binary_classification_metrics": {"auc": {"value": 0.96}}}
    seed(backend, approved)
    with backend.unrecorded():
        backend.client("sagemaker").update_model_package(
            ModelPackageArn=f"arn:aws:sagemaker:us-east-1:{backend.account_id}:model-package/churn-xgboost/1",
            ModelApprovalStatus="Approved",
        )
    backend.clock.advance(60)
    arn = seed(backend, fixture("churn-xgboost-passing.json"))  # 0.9312: passes 0.8, but < 0.96 - 0.01

    run_workflow(backend, plan_handler, attach_handler, arn)

    package = describe(backend, arn)
    assert package["ModelApprovalStatus"] == "Rejected"
    assert "0.9312 vs approved v1 0.96: fails >= 0.95" in package["ApprovalDescription"]


# -- loops end by themselves ------------------------------------------------------------------------------
def test_a_version_with_every_spec_attached_is_still_decided_in_one_write(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend, fixture("churn-xgboost-passing.json"))
    plan = plan_handler(event_for(arn))
    results = compile_all(backend, plan)
    with backend.unrecorded():  # attached by an earlier release, before the policy existed
        attach_handler({**plan, "results": results})
        backend.client("sagemaker").update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus="PendingManualApproval",
            CustomerMetadataPropertiesToRemove=list(approval.AUDIT_KEYS),
        )
    backend.clear_records()

    replanned = plan_handler(event_for(arn))
    attach_handler({**replanned, "results": [], "execution_id": EXECUTION})

    assert replanned["has_work"] is False
    assert replanned["needs_decision"] is True
    (update,) = updates(backend)
    assert "AdditionalInferenceSpecificationsToAdd" not in update
    assert describe(backend, arn)["ModelApprovalStatus"] == "Approved"


@pytest.mark.parametrize("report", ["churn-xgboost-passing.json", "churn-xgboost-failing.json"])
def test_the_event_our_decision_causes_plans_nothing_and_writes_nothing(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any, report: str
) -> None:
    arn = seed(backend, fixture(report))
    run_workflow(backend, plan_handler, attach_handler, arn)
    our_event = backend.emitted_events[-1]
    backend.clear_records()

    replanned = plan_handler(our_event)
    attach_handler({**replanned, "results": [], "execution_id": "another-execution"})

    assert our_event["detail"]["ModelApprovalStatus"] in {"Approved", "Rejected"}
    assert replanned["has_work"] is False
    assert replanned["needs_decision"] is False
    assert backend.writes == []


def test_a_retried_attach_in_the_same_execution_writes_nothing_more(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seed(backend, fixture("churn-xgboost-passing.json"))
    plan = plan_handler(event_for(arn))
    request = {**plan, "results": compile_all(backend, plan), "execution_id": EXECUTION}
    attach_handler(request)
    backend.clear_records()

    again = attach_handler(request)

    assert again["approval"]["action"] == "skipped"
    assert "this execution already wrote its decision" in again["approval"]["reason"]
    assert backend.writes == []
