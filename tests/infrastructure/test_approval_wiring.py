"""The approval step's wiring in the synthesized template: what the attach-and-decide function may
read, and what the state machine passes it.

- `s3:ResourceAccount` limits S3 requests to buckets owned by the named account (AWS What's New,
  2020-12-21, "New IAM condition keys for Amazon S3"; Amazon S3 User Guide, condition keys).
- `$$.Execution.Id` is the execution's ARN in the Context object (Step Functions Developer Guide,
  https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.synthesis import Synthesized

pytestmark = pytest.mark.slow


def _statements(synthesized: Synthesized) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for resource in synthesized.template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            found += resource["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_evaluation_reports_are_readable_only_in_buckets_of_the_stack_account(
    synthesized: Synthesized,
) -> None:
    reads = [s for s in _statements(synthesized) if s["Action"] == "s3:GetObject" and "Condition" in s]

    (statement,) = reads
    assert statement["Condition"] == {"StringEquals": {"s3:ResourceAccount": {"Ref": "AWS::AccountId"}}}
    assert json.dumps(statement["Resource"]).endswith(':s3:::*/*"]]}')


def test_the_decision_step_gets_the_execution_id_and_the_status_at_the_start(
    synthesized: Synthesized,
) -> None:
    machines = [
        r
        for r in synthesized.template["Resources"].values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    definitions = [json.dumps(m["Properties"]["DefinitionString"]) for m in machines]

    (compile_definition,) = [d for d in definitions if "PlanCompilations" in d]
    assert '\\"execution_id.$\\":\\"$$.Execution.Id\\"' in compile_definition
    assert '\\"approval_status_at_start.$\\":\\"$.approval_status_at_start\\"' in compile_definition
    assert "NothingLeftToCompile" in compile_definition


def test_configured_report_locations_and_compare_to_approved_pass_cdk_nag_with_narrow_grants(
    tmp_path: Any, staged_dependencies: Any
) -> None:
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY
    from tests.infrastructure.synthesis import cdk_json_context, synthesize_app

    context = cdk_json_context()
    autopilot = json.loads(json.dumps(context["autopilot"]))
    autopilot["evaluationReportLocations"] = [
        "s3://churn-models-123456789012/evaluations/",
        "s3://shared-reports",
    ]
    autopilot["groups"]["churn-xgboost"]["approval"]["compareToApproved"] = {
        "metric": {"path": "binary_classification_metrics.auc.value", "operator": ">=", "threshold": 0.8},
        "margin": 0.01,
    }
    context = context | {"autopilot": autopilot, DEPENDENCIES_DIR_CONTEXT_KEY: str(staged_dependencies)}

    synthesized = synthesize_app(tmp_path, context)  # cdk-nag runs: an unacknowledged finding fails here

    statements = _statements(synthesized)
    (reads,) = [s for s in statements if s["Action"] == "s3:GetObject" and "churn-models" in json.dumps(s)]
    rendered = json.dumps(reads["Resource"])
    assert ":s3:::churn-models-123456789012/evaluations/*" in rendered
    assert ":s3:::shared-reports/*" in rendered
    assert "Condition" not in reads
    lists = [s for s in statements if "sagemaker:ListModelPackages" in json.dumps(s["Action"])]
    assert [s["Resource"] for s in lists] == ["*"]  # the action has no resource-level permissions
