"""How the local backend intercepts, records and answers calls."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.exceptions
import pytest

from autopilot.embedded.backend import LocalBackend


def test_given_active_backend_when_any_boto3_client_calls_then_the_call_is_recorded(
    local_backend: LocalBackend,
) -> None:
    client = boto3.client("sagemaker")  # region comes from the backend

    client.list_model_package_groups()

    assert local_backend.calls[-1].service == "sagemaker"
    assert local_backend.calls[-1].operation == "ListModelPackageGroups"
    assert local_backend.calls[-1].error_code is None


def test_given_reads_and_writes_when_listing_writes_then_only_successful_writes_remain(
    local_backend: LocalBackend, sagemaker: Any
) -> None:
    sagemaker.create_model_package_group(ModelPackageGroupName="churn")
    sagemaker.list_model_package_groups()
    with pytest.raises(botocore.exceptions.ClientError):
        sagemaker.create_model_package_group(ModelPackageGroupName="bad name!")

    assert [(w.operation, w.params) for w in local_backend.writes] == [
        ("CreateModelPackageGroup", {"ModelPackageGroupName": "churn"})
    ]
    assert local_backend.calls[-1].error_code == "ValidationException"


def test_given_seeded_package_when_seeding_then_setup_calls_are_not_recorded_but_the_event_is(
    local_backend: LocalBackend,
) -> None:
    arn = local_backend.seed_model_package("churn")

    assert local_backend.calls == []
    assert local_backend.emitted_events[-1]["resources"] == [arn]


def test_given_backend_closed_when_leaving_the_block_then_the_layer_is_uninstalled() -> None:
    with LocalBackend() as backend:
        backend.client("sagemaker").list_model_package_groups()
    assert len(backend.calls) == 1
    with LocalBackend() as again:
        again.client("sagemaker").list_model_package_groups()
    assert len(backend.calls) == 1  # the first backend no longer receives anything


def test_given_an_active_backend_when_another_is_entered_then_it_is_refused(
    local_backend: LocalBackend,
) -> None:
    with pytest.raises(RuntimeError), LocalBackend():
        pass


def test_given_clock_when_advanced_then_layer_timestamps_follow_it(
    local_backend: LocalBackend, sagemaker: Any
) -> None:
    arn = local_backend.seed_model_package("churn")
    local_backend.clock.advance(3600)

    sagemaker.update_model_package(ModelPackageArn=arn, ApprovalDescription="later")

    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["LastModifiedTime"] == local_backend.clock.now()
    assert (described["LastModifiedTime"] - described["CreationTime"]).total_seconds() == 3600


def test_given_state_machine_sdk_task_when_executed_then_its_call_goes_through_the_layer(
    local_backend: LocalBackend,
) -> None:
    import json
    import time

    arn = local_backend.seed_model_package("churn")
    sfn = local_backend.client("stepfunctions")
    definition = {
        "StartAt": "Describe",
        "States": {
            "Describe": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:updateModelPackage",
                "Parameters": {"ModelPackageArn": arn, "ApprovalDescription": "from a workflow"},
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(
        name="probe", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]

    execution = sfn.start_execution(stateMachineArn=machine, name="probe-1")["executionArn"]
    for _ in range(100):
        if sfn.describe_execution(executionArn=execution)["status"] != "RUNNING":
            break
        time.sleep(0.02)

    assert ("sagemaker", "UpdateModelPackage") in [(c.service, c.operation) for c in local_backend.writes]
    described = local_backend.client("sagemaker").describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "PendingManualApproval"  # left unchanged, as in AWS
