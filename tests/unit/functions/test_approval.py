"""The approval policy (pure): checks, decision, description, audit keys, the one combined request.

AWS rules encoded here (SageMaker API Reference):
- UpdateModelPackage (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html):
  ModelApprovalStatus Approved | Rejected | PendingManualApproval; ApprovalDescription 0-1024 chars,
  pattern `.*` (no line breaks); CustomerMetadataProperties 1-50 entries, keys <= 128, values <= 256
  of [\\p{L}\\p{Z}\\p{N}_.:/=+-@]; ClientToken 1-36 of [a-zA-Z0-9-]+; fields not named stay unchanged.
- ModelLifeCycle (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelLifeCycle.html):
  Stage and StageStatus required, 1-63 of [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}; StageDescription
  `.{0,1024}`.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from registry_autopilot.logic import approval, naming
from registry_autopilot.logic.attach import update_request
from registry_autopilot.models.approval import ApprovedBaseline, CheckResult, ReportRead
from registry_autopilot.models.config import AutopilotConfig, GroupConfig
from registry_autopilot.models.registry import ModelPackage
from tests.compile_fixtures import describe_output

NOW = datetime(2025, 11, 24, 12, 30, tzinfo=UTC)
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:CompileWorkflow:6a7e8feb-b491-4cf7"
REPORT_URI = "s3://churn-models-123456789012/churn-xgboost/3/evaluation.json"
METADATA_CHARS = re.compile(r"^[\w\s.:/=+\-@]*$")
LIFECYCLE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
AUC = "binary_classification_metrics.auc.value"


def group(**approval_policy: Any) -> GroupConfig:
    return GroupConfig.model_validate(
        {
            "neoTargets": [
                {"name": "ml-c5", "targetDevice": "ml_c5"},
                {"name": "ml-m5", "targetDevice": "ml_m5"},
            ],
            "approval": approval_policy,
        }
    )


def auc_check(operator: str = ">=", threshold: float = 0.8) -> dict[str, Any]:
    return {"path": AUC, "operator": operator, "threshold": threshold}


def package(**overrides: Any) -> ModelPackage:
    metrics = {"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": REPORT_URI}}}
    return ModelPackage.from_describe(describe_output(ModelMetrics=metrics, **overrides))


def report(auc: Any) -> dict[str, ReportRead]:
    return {
        REPORT_URI: ReportRead(
            uri=REPORT_URI, document={"binary_classification_metrics": {"auc": {"value": auc}}}
        )
    }


ATTACHED = {"neo-ml-c5", "neo-ml-m5"}


# -- reading a value ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("document", "path", "expected"),
    [
        ({"a": {"b": 0.5}}, "a.b", 0.5),
        ({"a": {"b": 3}}, "a.b", 3.0),
        ({"a": [{"b": 1}, {"b": 2}]}, "a.1.b", 2.0),
        ({"a": {"b": 0.5}}, "a.c", "a.c is absent from the report"),
        ({"a": {"b": 0.5}}, "x.b", "x is absent from the report"),
        ({"a": {"b": "0.9"}}, "a.b", 'a.b is a string ("0.9"), not a number'),
        ({"a": {"b": None}}, "a.b", "a.b is null (null), not a number"),
        ({"a": {"b": True}}, "a.b", "a.b is a boolean (true), not a number"),
        ({"a": {"b": {"value": 1}}}, "a.b", "a.b is an object (dict), not a number"),
        ({"a": {"b": math.nan}}, "a.b", "a.b is nan, not a finite number"),
        ({"a": {"b": math.inf}}, "a.b", "a.b is inf, not a finite number"),
        ({"a": {"b": -math.inf}}, "a.b", "a.b is -inf, not a finite number"),
        ([1, 2], "a", "a is absent from the report"),
    ],
)
def test_a_value_is_read_as_a_finite_number_or_the_reason_it_cannot_be(
    document: Any, path: str, expected: float | str
) -> None:
    assert approval.lookup(document, path) == expected


# -- one metric check ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("operator", "threshold", "value", "status"),
    [
        (">=", 0.8, 0.8, "PASS"),  # boundary: equal passes an inclusive bound
        (">=", 0.8, 0.7999999, "FAIL"),
        (">", 0.8, 0.8, "FAIL"),  # boundary: equal fails a strict bound
        (">", 0.8, 0.8000001, "PASS"),
        ("<=", 0.05, 0.05, "PASS"),
        ("<=", 0.05, 0.0500001, "FAIL"),
        ("<", 0.05, 0.05, "FAIL"),
        ("<", 0.05, 0.0, "PASS"),
        (">=", -1.0, -1.0, "PASS"),
        (">=", 0.8, math.nan, "UNUSABLE"),  # NaN compares false with everything: never a pass
        ("<=", 0.05, math.inf, "UNUSABLE"),
        ("<=", 0.05, "0.01", "UNUSABLE"),
        ("<=", 0.05, None, "UNUSABLE"),
        ("<=", 0.05, [0.01], "UNUSABLE"),
    ],
)
def test_a_metric_check_compares_the_value_with_its_threshold(
    operator: str, threshold: float, value: Any, status: str
) -> None:
    check = group(metricChecks=[auc_check(operator, threshold)]).approval.metric_checks[0]

    result = approval.metric_check(package(), check, report(value))

    assert result.status == status
    if status != "UNUSABLE":
        assert f"{AUC} = " in result.detail
        assert f"{threshold:.6g}" in result.detail


@pytest.mark.parametrize(
    ("read", "reason"),
    [
        (
            ReportRead(
                uri=REPORT_URI, error=f"{REPORT_URI} cannot be read: the object does not exist (NoSuchKey)"
            ),
            "NoSuchKey",
        ),
        (
            ReportRead(uri=REPORT_URI, error=f"{REPORT_URI} cannot be read: access denied (AccessDenied)"),
            "AccessDenied",
        ),
        (
            ReportRead(uri=REPORT_URI, error=f"{REPORT_URI} is not JSON (Expecting value at line 1)"),
            "not JSON",
        ),
    ],
)
def test_an_unreadable_report_makes_the_check_unusable_with_the_reason(read: ReportRead, reason: str) -> None:
    check = group(metricChecks=[auc_check()]).approval.metric_checks[0]

    result = approval.metric_check(package(), check, {REPORT_URI: read})

    assert result.status == "UNUSABLE"
    assert reason in result.detail


def test_a_version_without_the_configured_report_makes_the_check_unusable() -> None:
    check = group(metricChecks=[auc_check()]).approval.metric_checks[0]

    result = approval.metric_check(ModelPackage.from_describe(describe_output()), check, {})

    assert result == CheckResult(
        name=f"{AUC} >= 0.8",
        status="UNUSABLE",
        detail="the version has no ModelMetrics.ModelQuality.Statistics report",
        threshold=0.8,
        operator=">=",
    )


# -- required targets -------------------------------------------------------------------------------------
def test_a_required_target_that_failed_to_compile_fails_the_check_with_its_recorded_reason() -> None:
    failed = package(
        CustomerMetadataProperties={naming.metadata_key("ml-m5"): "FAILED: unsupported operator"}
    )

    result = approval.targets_check(failed, group(), {"neo-ml-c5"})

    assert result.status == "FAIL"
    assert result.detail == "not attached: ml-m5 (FAILED: unsupported operator)"


def test_only_the_listed_required_targets_are_needed() -> None:
    result = approval.targets_check(package(), group(requiredTargets=["ml-c5"]), {"neo-ml-c5"})

    assert result.status == "PASS"


# -- the decision per mode ---------------------------------------------------------------------------
P = CheckResult(name="p", status="PASS", detail="")
F = CheckResult(name="f", status="FAIL", detail="")
U = CheckResult(name="u", status="UNUSABLE", detail="")


@pytest.mark.parametrize(
    ("mode", "on_unusable", "checks", "status"),
    [
        ("auto", "leave-pending", [P, P], "Approved"),
        ("auto", "leave-pending", [P, F], "Rejected"),
        ("auto", "leave-pending", [P, U], "PendingManualApproval"),
        ("auto", "reject", [P, U], "Rejected"),
        ("auto", "leave-pending", [F, U], "Rejected"),
        ("reject-only", "leave-pending", [P, P], "PendingManualApproval"),
        ("reject-only", "leave-pending", [P, F], "Rejected"),
        ("reject-only", "leave-pending", [U], "PendingManualApproval"),
        ("reject-only", "reject", [U], "Rejected"),
        ("manual", "leave-pending", [P, P], "PendingManualApproval"),
        ("manual", "reject", [F, U], "PendingManualApproval"),  # manual never decides
    ],
)
def test_each_mode_decides_as_documented(
    mode: str, on_unusable: str, checks: list[CheckResult], status: str
) -> None:
    policy = group(mode=mode, onUnusableReport=on_unusable).approval

    assert approval.decide(policy, checks) == status


# -- the whole evaluation -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("auc", "status", "named"),
    [
        (0.93, "Approved", "PASS binary_classification_metrics.auc.value >= 0.8"),
        (0.71, "Rejected", "FAIL binary_classification_metrics.auc.value >= 0.8"),
        (math.nan, "PendingManualApproval", "UNUSABLE binary_classification_metrics.auc.value >= 0.8"),
    ],
)
def test_an_auto_policy_writes_the_status_and_a_description_naming_each_check(
    auc: float, status: str, named: str
) -> None:
    policy_group = group(mode="auto", metricChecks=[auc_check()])
    checks = approval.evaluate(package(), policy_group, ATTACHED, report(auc))

    decided = approval.decision(policy_group, checks, now=NOW, execution_id=EXECUTION)

    description = decided.fields["ApprovalDescription"]
    assert decided.fields["ModelApprovalStatus"] == status
    assert named in description
    assert "PASS required Neo targets attached (ml-c5, ml-m5)" in description
    assert len(description) <= 1024
    assert "\n" not in description


def test_the_description_puts_failures_first_and_stays_within_1024_characters() -> None:
    paths = [f"metrics.metric_{index:02d}_with_a_rather_long_descriptive_name.value" for index in range(20)]
    checks = [{"path": path, "operator": "<=", "threshold": 0.5} for path in paths]
    document: dict[str, Any] = {"metrics": {path.split(".")[1]: {"value": 0.1} for path in paths}}
    document["metrics"][paths[-1].split(".")[1]]["value"] = 0.9  # the last one fails
    policy_group = group(mode="auto", metricChecks=checks)
    reads = {REPORT_URI: ReportRead(uri=REPORT_URI, document=document)}

    decided = approval.decision(
        policy_group,
        approval.evaluate(package(), policy_group, ATTACHED, reads),
        now=NOW,
        execution_id=EXECUTION,
    )

    description = decided.fields["ApprovalDescription"]
    assert len(description) <= 1024
    assert description.split("Checks: ")[1].startswith(
        f"FAIL {paths[-1]} <= 0.5: {paths[-1]} = 0.9 fails <= 0.5"
    )
    assert "passing not shown" in description


def test_lifecycle_is_written_with_a_decision_and_not_when_left_pending() -> None:
    lifecycle = {"stage": "Evaluation", "approvedStatus": "Passed", "rejectedStatus": "Failed"}
    policy_group = group(mode="auto", metricChecks=[auc_check()], lifecycle=lifecycle)

    approved = approval.decision(
        policy_group,
        approval.evaluate(package(), policy_group, ATTACHED, report(0.9)),
        now=NOW,
        execution_id=None,
    )
    pending = approval.decision(
        policy_group,
        approval.evaluate(package(), policy_group, ATTACHED, report("x")),
        now=NOW,
        execution_id=None,
    )

    stage = approved.fields["ModelLifeCycle"]
    assert stage["Stage"] == "Evaluation"
    assert stage["StageStatus"] == "Passed"
    assert LIFECYCLE_NAME.match(stage["Stage"])
    assert LIFECYCLE_NAME.match(stage["StageStatus"])
    assert len(stage["StageDescription"]) <= 1024
    assert "\n" not in stage["StageDescription"]
    assert "ModelLifeCycle" not in pending.fields


def test_audit_keys_name_who_which_policy_when_and_which_execution_within_metadata_limits() -> None:
    policy_group = group(mode="manual")

    decided = approval.decision(policy_group, [P], now=NOW, execution_id=EXECUTION)

    assert decided.metadata == {
        "autopilot:approval:decided-by": "registry-autopilot manual policy",
        "autopilot:approval:decision": "PendingManualApproval",
        "autopilot:approval:policy": approval.policy_digest(policy_group),
        "autopilot:approval:decided-at": "2025-11-24T12:30:00Z",
        "autopilot:approval:execution": EXECUTION,
    }
    for key, value in decided.metadata.items():
        assert len(key) <= 128
        assert len(value) <= 256
        assert METADATA_CHARS.match(key)
        assert METADATA_CHARS.match(value)
    assert decided.notify is True


def test_the_policy_digest_changes_with_the_policy_and_only_then() -> None:
    first = approval.policy_digest(group(mode="auto", metricChecks=[auc_check()]))

    assert first == approval.policy_digest(group(mode="auto", metricChecks=[auc_check()]))
    assert first != approval.policy_digest(group(mode="auto", metricChecks=[auc_check(threshold=0.81)]))


# The shipped configuration's policy, as cdk.json gives it.
SHIPPED = AutopilotConfig.model_validate(
    json.loads((Path(__file__).resolve().parents[3] / "cdk.json").read_text(encoding="utf-8"))["context"][
        "autopilot"
    ]
)


def test_the_shipped_policys_digest_is_pinned_and_changes_only_with_the_policy() -> None:
    """The digest is the policy's identity on every version it decides (`autopilot:approval:policy`, the
    ApprovalDescription's "auto policy <digest>", the model card) and in the README's demo output. A
    version decided before an upgrade and one decided after it under the same policy must carry the
    same digest, or a person reading them would believe the policy changed. So this value changes only
    when cdk.json's churn-xgboost policy or its targets change; a change in how the digest is computed
    (a new policy field with a default, an alias, the serialisation) must leave it as it is."""
    churn = SHIPPED.groups["churn-xgboost"]

    assert approval.policy_digest(churn) == "53319e2ad3f7"


def test_the_policy_digest_is_the_same_whether_defaults_are_written_out_or_left_out() -> None:
    shipped = json.loads((Path(__file__).resolve().parents[3] / "cdk.json").read_text(encoding="utf-8"))
    churn = shipped["context"]["autopilot"]["groups"]["churn-xgboost"]
    explicit = {**churn, "approval": {**churn["approval"], "onUnusableReport": "leave-pending"}}

    assert approval.policy_digest(GroupConfig.model_validate(explicit)) == "53319e2ad3f7"
    assert approval.policy_digest(
        GroupConfig.model_validate({**churn, "neoTargets": churn["neoTargets"][:2]})
    ) != ("53319e2ad3f7")


# -- compare to the approved version ------------------------------------------------------------------------
def _baseline(auc: Any) -> ApprovedBaseline:
    uri = "s3://churn-models-123456789012/churn-xgboost/2/evaluation.json"
    return ApprovedBaseline(
        arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-xgboost/2",
        version=2,
        report=ReportRead(uri=uri, document={"binary_classification_metrics": {"auc": {"value": auc}}}),
    )


@pytest.mark.parametrize(
    ("operator", "candidate", "approved", "margin", "status"),
    [
        (">=", 0.90, 0.91, 0.01, "PASS"),  # worse by exactly the margin
        (">=", 0.89, 0.91, 0.01, "FAIL"),
        (">=", 0.95, 0.91, 0.0, "PASS"),
        ("<=", 0.031, 0.030, 0.001, "PASS"),  # lower is better (an error metric)
        ("<=", 0.032, 0.030, 0.001, "FAIL"),
        (">=", 0.95, math.nan, 0.0, "UNUSABLE"),
    ],
)
def test_compare_to_approved_fails_only_beyond_the_margin(
    operator: str, candidate: float, approved: float, margin: float, status: str
) -> None:
    policy = group(
        compareToApproved={"metric": auc_check(operator, 0.0 if operator == ">=" else 1.0), "margin": margin}
    ).approval

    result = approval.compare_check(package(), policy, report(candidate), _baseline(approved))

    assert result is not None
    assert result.status == status
    if status != "UNUSABLE":
        assert "approved v2" in result.detail


def test_compare_to_approved_passes_when_the_group_has_no_approved_version() -> None:
    policy = group(compareToApproved={"metric": auc_check(), "margin": 0.01}).approval

    result = approval.compare_check(package(), policy, report(0.9), None)

    assert result is not None
    assert result.status == "PASS"
    assert "no approved version" in result.detail


# -- whether to decide ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("at_start", "now_status", "metadata", "decide", "human"),
    [
        ("PendingManualApproval", "PendingManualApproval", {}, True, False),
        ("PendingManualApproval", "Approved", {}, False, True),  # a person approved meanwhile
        ("PendingManualApproval", "Rejected", {}, False, True),
        ("Approved", "Approved", {}, False, False),  # not ours to decide
        (None, "PendingManualApproval", {}, True, False),  # direct invocation: "as now"
        ("PendingManualApproval", "PendingManualApproval", {approval.DECIDED_BY_KEY: "x"}, False, False),
        (
            "PendingManualApproval",
            "Approved",
            {approval.DECIDED_BY_KEY: "x", approval.EXECUTION_KEY: EXECUTION},
            False,
            False,  # our own earlier write in this execution, not a person
        ),
    ],
)
def test_the_gate_decides_only_a_version_still_pending_and_undecided(
    at_start: str | None, now_status: str, metadata: dict[str, str], decide: bool, human: bool
) -> None:
    current = package(ModelApprovalStatus=now_status, CustomerMetadataProperties=metadata)

    result = approval.gate(current, at_start, EXECUTION)

    assert (result.decide, result.human_changed) == (decide, human)


def test_a_human_change_is_recorded_without_status_description_or_lifecycle() -> None:
    current = package(ModelApprovalStatus="Approved")
    reason = approval.gate(current, "PendingManualApproval", EXECUTION).reason

    recorded = approval.human_change(current, group(mode="auto"), reason, now=NOW, execution_id=EXECUTION)

    assert recorded.fields == {}
    assert recorded.metadata[approval.DECIDED_BY_KEY] == "a person outside Registry Autopilot"
    assert recorded.metadata[approval.DECISION_KEY] == "Approved"
    assert "changed from PendingManualApproval to Approved" in recorded.metadata[approval.NOTE_KEY]
    assert recorded.outcome.action == "human-changed"


# -- one request for attach and decision ---------------------------------------------------------------------
SPEC = {"Name": "neo-ml-c5", "Containers": [{"Image": "image", "ModelDataUrl": "s3://b/k.tar.gz"}]}


def _one_request(decided: approval.Decision) -> dict[str, Any] | None:
    return update_request(package(), [SPEC], {}, fields=decided.fields, first_metadata=decided.metadata)


def test_specs_and_decision_travel_in_one_request() -> None:
    request = _one_request(approval.decision(group(mode="auto"), [P], now=NOW, execution_id=EXECUTION))

    assert request is not None
    assert set(request) == {
        "ModelPackageArn",
        "AdditionalInferenceSpecificationsToAdd",
        "ModelApprovalStatus",
        "ApprovalDescription",
        "CustomerMetadataProperties",
        "ClientToken",
    }
    assert re.fullmatch(r"[a-zA-Z0-9-]{1,36}", request["ClientToken"])


def test_given_the_same_decision_at_the_same_time_when_rebuilt_then_token_and_request_are_identical() -> None:
    """UpdateModelPackage.ClientToken "guarantees that the call to this API is idempotent": a retry
    that resends the request must resend it byte for byte under the same token."""
    policy_group = group(mode="auto")
    first = _one_request(approval.decision(policy_group, [P], now=NOW, execution_id=EXECUTION))
    again = _one_request(approval.decision(policy_group, [P], now=NOW, execution_id=EXECUTION))

    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)


def test_given_a_retry_decided_later_when_the_request_differs_then_it_carries_another_token() -> None:
    """Amazon EC2 Developer Guide, "Ensuring idempotency in Amazon EC2 API requests": the same client
    token with changed parameters is refused, so a changed request (a later decided-at) needs a new
    token; the gate re-reads the version first, so the retry never decides twice."""
    policy_group = group(mode="auto")
    first = _one_request(approval.decision(policy_group, [P], now=NOW, execution_id=EXECUTION))
    later = _one_request(
        approval.decision(policy_group, [P], now=NOW.replace(minute=45), execution_id=EXECUTION)
    )

    assert first is not None
    assert later is not None
    assert first["CustomerMetadataProperties"] != later["CustomerMetadataProperties"]
    assert first["ClientToken"] != later["ClientToken"]


def test_audit_keys_come_first_when_the_50_entry_metadata_limit_bites() -> None:
    full = package(CustomerMetadataProperties={f"team-key-{index}": "x" for index in range(46)})
    decided = approval.decision(group(mode="auto"), [P], now=NOW, execution_id=EXECUTION)

    request = update_request(
        full,
        [],
        {naming.metadata_key("ml-m5"): "FAILED: x"},
        fields=decided.fields,
        first_metadata=decided.metadata,
    )

    assert request is not None
    assert set(request["CustomerMetadataProperties"]) == set(decided.metadata) - {approval.EXECUTION_KEY}


# -- the manual path's notification -----------------------------------------------------------------------
def test_the_review_message_carries_the_checks_and_the_exact_commands() -> None:
    current = package()
    decided = approval.decision(group(mode="manual"), [F, P], now=NOW, execution_id=EXECUTION)

    subject, text = approval.review_message(current, "churn-xgboost", decided.outcome, "us-east-1")

    assert subject == "Registry Autopilot: churn-xgboost v3 waits for approval"
    assert "  FAIL f:" in text
    assert "  PASS p:" in text
    assert (
        "aws sagemaker update-model-package --region us-east-1 --model-package-arn "
        f"{current.ModelPackageArn} --model-approval-status Approved "
        '--approval-description "Approved by <name>: <reason>"'
    ) in text
    assert "--model-approval-status Rejected" in text
