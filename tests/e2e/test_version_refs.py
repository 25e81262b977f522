"""`plan`, `status`, `retry` and `invoke --dry-run/--aws` take a model package version (its ARN, or
GROUP/VERSION) instead of an exported event, and with no region configured use the ARN's.

AWS behaviour relied on (SageMaker Developer Guide, "Events that Amazon SageMaker AI sends to Amazon
EventBridge", https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
"Amazon EventBridge monitors status change events in Amazon SageMaker AI." The model package state
change example there is an event with source `aws.sagemaker`, detail-type `SageMaker Model Package
State Change`, the version's ARN in `resources` and the version's description as `detail`
(ModelPackageGroupName, ModelPackageVersion, ModelPackageArn, ModelPackageStatus,
ModelApprovalStatus, InferenceSpecification, CreationTime and LastModifiedTime in epoch
milliseconds, ...). moto stands in for the account, in eu-west-1 while nothing configures a region.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from autopilot.account.versions import parse_version_ref, state_change_event
from autopilot.cli.main import main
from autopilot.cli.output import EXIT_INVALID, EXIT_OK
from autopilot.embedded.eventpattern import matches
from autopilot.embedded.synth import synthesize

EVENTS = Path(__file__).resolve().parents[2] / "events"
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn-xgboost/3"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """Keys in the environment, no region anywhere; the account holds churn-xgboost/1..3 in eu-west-1."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "config").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sagemaker.create_model_package_group(ModelPackageGroupName="churn-xgboost")
        spec = json.loads((EVENTS / "version-registered.json").read_text())["detail"][
            "InferenceSpecification"
        ]
        for _ in range(3):
            sagemaker.create_model_package(
                ModelPackageGroupName="churn-xgboost",
                InferenceSpecification=spec,
                ModelApprovalStatus="PendingManualApproval",
            )
        yield sagemaker


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_arn_and_group_slash_version_name_a_version_and_a_file_path_does_not() -> None:
    ref = parse_version_ref(ARN)
    assert ref is not None
    assert (ref.group, ref.version, ref.region, ref.account) == (
        "churn-xgboost",
        3,
        REGION,
        ACCOUNT,
    )
    assert parse_version_ref("churn-xgboost/10") is not None
    assert parse_version_ref("events/version-registered.json") is None
    assert parse_version_ref("churn-xgboost/0") is None


def test_the_event_built_from_the_version_has_the_documented_shape_and_reaches_the_compile_rule(
    account: Any,
) -> None:
    described = account.describe_model_package(ModelPackageName=ARN)

    event = state_change_event(described, ARN)

    assert (event["source"], event["detail-type"]) == (
        "aws.sagemaker",
        "SageMaker Model Package State Change",
    )
    assert (event["region"], event["account"], event["resources"]) == (REGION, ACCOUNT, [ARN])
    detail = event["detail"]
    assert detail["ModelPackageArn"] == ARN
    assert (detail["ModelPackageGroupName"], detail["ModelPackageVersion"]) == ("churn-xgboost", 3)
    assert isinstance(detail["LastModifiedTime"], int)
    assert isinstance(detail["CreationTime"], int)
    assert "ResponseMetadata" not in detail
    json.dumps(event)  # no datetime left
    compile_rules = [r for r in synthesize().rules if not r.schedule and matches(r.pattern, event)]
    assert compile_rules, "the registered version's event reaches no rule"


def test_plan_takes_a_version_arn_and_reads_its_region_from_it(
    account: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, ["plan", ARN, "--json"])

    assert code == EXIT_OK, err
    (run,) = json.loads(out)["runs"]
    assert run["handler"] == "plan"
    assert run["writes"] == []
    assert account.list_compilation_jobs()["CompilationJobSummaries"] == []


def test_plan_takes_group_slash_version_in_the_configured_region(
    account: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", REGION)

    code, out, err = _run(capsys, ["plan", "churn-xgboost/3"])

    assert code == EXIT_OK, err
    assert "CreateCompilationJob" in out


def test_invoke_dry_run_takes_a_version_arn(account: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, ["invoke", "plan", ARN, "--dry-run", "--json"])

    assert code == EXIT_OK, err
    assert json.loads(out)["runs"][0]["writes"] == []


def test_invoke_without_an_account_refuses_a_version_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, ["invoke", "plan", ARN])

    assert (code, out) == (EXIT_INVALID, "")
    assert err.count("\n") == 1
    assert "--dry-run" in err
    assert "Traceback" not in err


def test_status_of_an_arn_in_another_region_needs_no_configured_region(
    account: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, ["status", ARN])

    assert code == EXIT_OK, err
    assert out.startswith(f"churn-xgboost/3  {ARN}")
    assert "no AWS region" not in err


def test_a_configured_region_other_than_the_arns_is_refused_with_the_fix(
    account: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")

    code, out, err = _run(capsys, ["status", ARN])

    assert (code, out) == (EXIT_INVALID, "")
    expected = (
        f"the version is in {REGION} (its ARN) but the region resolved is us-east-1: pass --region {REGION}"
    )
    assert err == f"error: {expected}\n"


def test_a_version_the_account_does_not_hold_is_one_line(
    account: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, ["plan", ARN.replace("/3", "/9")])

    assert (code, out) == (EXIT_INVALID, "")
    assert "no such model package version" in err
    assert err.count("\n") == 1


def test_retry_takes_a_version_arn_and_reads_its_region_from_it(
    account: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, ["retry", ARN, "graviton"])

    # The region came from the ARN: the verb got as far as the account, where no stack is deployed.
    assert (code, out) == (EXIT_INVALID, "")
    assert "no AWS region" not in err
    assert f"region {REGION}" in err
    assert "cdk deploy" in err
