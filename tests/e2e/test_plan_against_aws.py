"""`plan` and `invoke --dry-run`: real reads, no write sent. moto stands in for the user's account
(plain moto, without the local fidelity layer: the code under test must not depend on it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from autopilot.account.runner import run_on_aws
from autopilot.cli.main import main
from autopilot.cli.output import EXIT_INVALID, EXIT_OK

EVENTS = Path(__file__).resolve().parents[2] / "events"
REGION = "us-east-1"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sagemaker.create_model_package_group(ModelPackageGroupName="churn-xgboost")
        spec = json.loads((EVENTS / "version-registered.json").read_text())["detail"][
            "InferenceSpecification"
        ]
        for _ in range(3):  # the sample event names version 3
            sagemaker.create_model_package(
                ModelPackageGroupName="churn-xgboost",
                InferenceSpecification=spec,
                ModelApprovalStatus="PendingManualApproval",
            )
        yield sagemaker


def test_plan_reads_the_real_version_and_sends_no_write(account: Any) -> None:
    event = json.loads((EVENTS / "version-registered.json").read_text())

    (run,) = run_on_aws(event, region=REGION)

    assert run.handler == "plan"
    assert "DescribeModelPackage" in {r["operation"] for r in run.reads}
    assert run.writes == []
    assert [line.split(" ", 1)[0] for line in run.then] == [
        "sagemaker:CreateCompilationJob",
        "sagemaker:CreateCompilationJob",
        "sagemaker:CreateCompilationJob",
        "sagemaker:UpdateModelPackage",
    ]
    assert account.list_compilation_jobs()["CompilationJobSummaries"] == []


def test_a_dry_run_of_attach_records_the_update_and_the_version_is_unchanged(account: Any) -> None:
    event = json.loads((EVENTS / "task-inputs" / "attach-input-with-failed-target.json").read_text())
    arn = event["model_package_arn"]
    completed = {r["job_name"] for r in event["results"] if r["status"] == "COMPLETED"}
    for target in event["targets"]:
        if target["job_name"] in completed:  # the account holds the jobs the input reports
            account.create_compilation_job(RoleArn="arn:aws:iam::123456789012:role/Neo", **target["request"])

    (run,) = run_on_aws(event, handler="attach", region=REGION)

    # The attach's one write, then the model card's own (both recorded, not sent).
    assert [w["operation"] for w in run.writes if w["service"] == "sagemaker"] == ["UpdateModelPackage"] * 2
    assert run.writes[0]["params"]["ModelPackageArn"] == arn
    assert "CustomerMetadataProperties" in run.writes[0]["params"]
    assert "AdditionalInferenceSpecifications" not in account.describe_model_package(ModelPackageName=arn)


def test_the_plan_verb_prints_what_it_would_do(account: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", str(EVENTS / "version-registered.json"), "--region", REGION])

    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "dry run" in out
    assert "writes it would make: 0" in out
    assert "sagemaker:CreateCompilationJob" in out


def test_the_plan_verb_says_when_no_rule_matches(account: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", str(EVENTS / "version-in-unwatched-group.json"), "--region", REGION])

    assert code == EXIT_OK
    assert "no rule matches" in capsys.readouterr().out


def test_the_plan_verb_rejects_an_invalid_event_with_status_2(
    account: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["plan", str(EVENTS / "invalid-missing-model-package-arn.json"), "--region", REGION])

    assert code == EXIT_INVALID
    assert "detail.ModelPackageArn: Field required" in capsys.readouterr().err
