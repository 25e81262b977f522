"""`python -m autopilot status` after the demo's lifecycle on a stack deployed on the embedded backend.

The lifecycle (autopilot.embedded.demo) registers churn-xgboost/1 (approved, shadow-tested to the end of its
plan) and /2 (rejected), and fraud-pytorch/1 (left for a person); the Graviton target fails on
purpose. Status reads only what the account holds: DescribeModelPackage, DescribeCompilationJob,
the deployed compile state machine's executions (ListExecutions, DescribeExecution) and
DescribeInferenceExperiment.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from autopilot.account.status import GroupStatus, NotFound, VersionStatus, read_status
from autopilot.cli.main import main
from autopilot.embedded.deployed import with_local_account
from autopilot.embedded.stack import EmbeddedStack

V1 = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-xgboost/1"


@pytest.fixture(scope="module")
def after_lifecycle() -> dict[str, Any]:
    def read(stack: EmbeddedStack) -> dict[str, Any]:
        def status(target: str) -> Any:
            return read_status(target, stack.app.config, stack.backend.client, stack.backend.region)

        missing = None
        try:
            status("churn-xgboost/9")
        except NotFound as exc:
            missing = str(exc)
        return {
            "v1": status(V1),
            "v2": status("churn-xgboost/2"),
            "fraud": status("fraud-pytorch/1"),
            "group": status("churn-xgboost"),
            "missing": missing,
        }

    found: dict[str, Any] = with_local_account(read)
    return found


def test_each_neo_target_shows_its_job_and_status_and_a_failed_one_its_reason_and_retry(
    after_lifecycle: dict[str, Any],
) -> None:
    v1: VersionStatus = after_lifecycle["v1"]

    by_target = {t["target"]: t for t in v1.targets}
    assert [t["status"] for t in v1.targets] == ["ATTACHED", "ATTACHED", "FAILED"]
    assert by_target["graviton"]["job"].startswith("autopilot-churn-xgboost-v1-graviton-")
    assert by_target["graviton"]["failure_reason"] == "ClientError: operator not supported on ml_c6g"
    assert by_target["graviton"]["retry"] == f"python -m autopilot retry {V1} graviton"
    assert by_target["ml-c5"]["retry"] is None
    assert v1.specs == ["neo-ml-c5", "neo-ml-m5"]


def test_the_decision_says_who_decided_when_and_why_with_the_audit_keys(
    after_lifecycle: dict[str, Any],
) -> None:
    v1: VersionStatus = after_lifecycle["v1"]
    v2: VersionStatus = after_lifecycle["v2"]

    assert (v1.approval, v1.decided_by) == ("Approved", "registry-autopilot auto policy")
    # The demo's jobs compile for three minutes; the watcher's third round resumes the workflow.
    assert v1.decided_at == "2026-01-05T09:03:00Z"
    assert v1.description.startswith("Registry Autopilot auto policy")
    assert v2.approval == "Rejected"
    assert "FAIL binary_classification_metrics.auc.value" in v2.description
    assert set(v1.audit) >= {
        "autopilot:approval:decided-by",
        "autopilot:approval:execution",
        "autopilot:neo:graviton",
        "autopilot:shadow:outcome",
    }


def test_the_executions_that_handled_the_version_are_listed_with_console_links(
    after_lifecycle: dict[str, Any],
) -> None:
    v1: VersionStatus = after_lifecycle["v1"]

    arns = [e["arn"] for e in v1.executions]
    assert v1.audit["autopilot:approval:execution"] in arns
    assert len(arns) == 2  # the registration and its duplicate delivery
    assert all(
        e["console"].startswith("https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#")
        for e in v1.executions
    )
    assert all(e["status"] == "SUCCEEDED" for e in v1.executions)


def test_the_shadow_test_shows_its_plan_step_sampling_and_outcome(after_lifecycle: dict[str, Any]) -> None:
    v1: VersionStatus = after_lifecycle["v1"]
    v2: VersionStatus = after_lifecycle["v2"]

    assert v1.shadow is not None
    assert (v1.shadow["status"], v1.shadow["step"], v1.shadow["steps"], v1.shadow["sampling"]) == (
        "Completed",
        4,
        4,
        100,
    )
    assert v1.shadow["outcome"].startswith("COMPLETED: rollout plan done")
    assert v2.shadow is None


def test_a_decided_version_shows_its_model_card_summary(after_lifecycle: dict[str, Any]) -> None:
    v1: VersionStatus = after_lifecycle["v1"]

    assert v1.model_card is not None
    assert v1.model_card["ModelCardStatus"] == "Approved"  # agrees with the decision (docs/AUDIT.md)
    rendered = v1.render().split("Model card", 1)[1]
    assert rendered.strip().startswith("Approved; decision Approved by registry-autopilot auto policy")


def test_a_version_without_a_model_card_says_so(after_lifecycle: dict[str, Any]) -> None:
    fraud: VersionStatus = after_lifecycle["fraud"]
    no_card = dataclasses.replace(fraud, model_card=None)

    assert "the version carries no model card" in no_card.render()


def test_a_group_shows_its_recent_versions_newest_first_in_one_table(after_lifecycle: dict[str, Any]) -> None:
    group: GroupStatus = after_lifecycle["group"]

    assert [(v.version, v.approval) for v in group.versions] == [(2, "Rejected"), (1, "Approved")]
    rendered = group.render().splitlines()
    assert rendered[2].split() == [
        "version",
        "approval",
        "decided",
        "by",
        "specs",
        "failed",
        "runs",
        "shadow",
        "card",
    ]
    assert rendered[5].split()[:2] == ["1", "Approved"]


def test_a_version_left_for_a_person_shows_pending(after_lifecycle: dict[str, Any]) -> None:
    fraud: VersionStatus = after_lifecycle["fraud"]

    assert fraud.approval == "PendingManualApproval"
    assert [t["status"] for t in fraud.targets] == ["ATTACHED", "ATTACHED"]


def test_a_version_that_does_not_exist_is_reported_not_raised(after_lifecycle: dict[str, Any]) -> None:
    assert after_lifecycle["missing"] is not None
    assert "churn-xgboost/9" in after_lifecycle["missing"]


def test_status_needs_credentials_and_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    code = main(["status", V1, "--region", "us-east-1"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "no AWS credentials" in captured.err


def test_a_version_with_a_model_card_shows_its_status_and_untouched_targets_show_not_started() -> None:
    """SageMaker API Reference, DescribeModelPackage: the response carries `ModelCard`
    (`ModelCardContent`, `ModelCardStatus`) when the version has one."""
    from autopilot.embedded.deployed import deploy_locally
    from autopilot.embedded.synth import synthesize

    with EmbeddedStack(synthesize()) as stack:
        deploy_locally(stack)
        arn = stack.backend.seed_model_package("fraud-pytorch")
        stack.backend.client("sagemaker").update_model_package(
            ModelPackageArn=arn, ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "PendingReview"}
        )
        found = read_status(arn, stack.app.config, stack.backend.client, stack.backend.region)

    assert isinstance(found, VersionStatus)
    assert found.model_card is not None
    assert found.model_card["ModelCardStatus"] == "PendingReview"
    assert "\n  PendingReview" in found.render()
    assert [(t["target"], t["status"], t["job"]) for t in found.targets] == [
        ("ml-g4dn", "NOT STARTED", ""),
        ("ml-inf2", "NOT STARTED", ""),
    ]
    assert found.executions == []


def test_a_person_who_approved_after_the_policy_left_it_pending_is_not_credited_to_the_policy() -> None:
    from autopilot.embedded.deployed import deploy_locally
    from autopilot.embedded.synth import synthesize

    audit = {
        "autopilot:approval:decided-by": "registry-autopilot manual policy",
        "autopilot:approval:decision": "PendingManualApproval",
        "autopilot:approval:decided-at": "2026-01-05T09:48:00Z",
    }
    with EmbeddedStack(synthesize()) as stack:
        deploy_locally(stack)
        arn = stack.backend.seed_model_package("fraud-pytorch", customer_metadata=audit)
        pending = read_status(arn, stack.app.config, stack.backend.client, stack.backend.region)
        stack.backend.client("sagemaker").update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="Approved by Ana: fine"
        )
        approved = read_status(arn, stack.app.config, stack.backend.client, stack.backend.region)
        described = stack.backend.client("sagemaker").describe_model_package(ModelPackageName=arn)

    assert isinstance(pending, VersionStatus)
    assert isinstance(approved, VersionStatus)
    assert (pending.decided_by, pending.decided_at) == (
        "registry-autopilot manual policy",
        "2026-01-05T09:48:00Z",
    )
    assert approved.approval == "Approved"
    assert approved.decided_by == described["LastModifiedBy"]["UserProfileName"]  # who changed it since
    assert approved.decided_by != "registry-autopilot manual policy"
    assert approved.description == "Approved by Ana: fine"
