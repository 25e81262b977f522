"""UpdateModelPackage and the events it causes behave as in AWS, not as moto alone does.

- UpdateModelPackage: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html
  (only the named fields change; specs are added to the existing ones; at most 15 in total)
- AdditionalInferenceSpecificationDefinition:
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AdditionalInferenceSpecificationDefinition.html
- Model package state change events:
  https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend


def spec(name: str) -> dict[str, Any]:
    return {"Name": name, "Containers": [{"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz"}]}


@pytest.fixture
def arn(local_backend: LocalBackend, sagemaker: Any) -> str:
    package = local_backend.seed_model_package("churn", customer_metadata={"team": "risk", "stage": "dev"})
    sagemaker.update_model_package(
        ModelPackageArn=package,
        ApprovalDescription="initial",
        AdditionalInferenceSpecificationsToAdd=[spec("neo-ml-c5")],
    )
    return package


def describe(sagemaker: Any, arn: str) -> dict[str, Any]:
    result: dict[str, Any] = sagemaker.describe_model_package(ModelPackageName=arn)
    return result


def test_given_version_when_updating_one_field_then_the_others_are_unchanged(
    sagemaker: Any, arn: str
) -> None:
    sagemaker.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"k": "v"})

    after = describe(sagemaker, arn)
    assert after["ModelApprovalStatus"] == "PendingManualApproval"
    assert after["ApprovalDescription"] == "initial"
    assert [s["Name"] for s in after["AdditionalInferenceSpecifications"]] == ["neo-ml-c5"]


def test_given_metadata_when_adding_keys_then_they_merge_with_existing(sagemaker: Any, arn: str) -> None:
    sagemaker.update_model_package(
        ModelPackageArn=arn, CustomerMetadataProperties={"stage": "prod", "k": "v"}
    )

    assert describe(sagemaker, arn)["CustomerMetadataProperties"] == {
        "team": "risk",
        "stage": "prod",
        "k": "v",
    }


def test_given_metadata_when_only_removing_keys_then_just_those_go(sagemaker: Any, arn: str) -> None:
    sagemaker.update_model_package(
        ModelPackageArn=arn, CustomerMetadataPropertiesToRemove=["stage", "absent"]
    )

    assert describe(sagemaker, arn)["CustomerMetadataProperties"] == {"team": "risk"}


def test_given_specs_when_adding_more_then_they_are_appended(sagemaker: Any, arn: str) -> None:
    sagemaker.update_model_package(
        ModelPackageArn=arn, AdditionalInferenceSpecificationsToAdd=[spec("neo-ml-g4dn")]
    )

    names = [s["Name"] for s in describe(sagemaker, arn)["AdditionalInferenceSpecifications"]]
    assert names == ["neo-ml-c5", "neo-ml-g4dn"]


def test_given_existing_spec_name_when_adding_it_again_then_validation_fails(
    sagemaker: Any, arn: str
) -> None:
    with pytest.raises(ClientError) as caught:
        sagemaker.update_model_package(
            ModelPackageArn=arn, AdditionalInferenceSpecificationsToAdd=[spec("neo-ml-c5")]
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_given_duplicate_names_in_one_request_when_adding_then_validation_fails(
    sagemaker: Any, arn: str
) -> None:
    with pytest.raises(ClientError) as caught:
        sagemaker.update_model_package(
            ModelPackageArn=arn, AdditionalInferenceSpecificationsToAdd=[spec("a"), spec("a")]
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_given_14_specs_when_adding_two_more_then_the_15_total_limit_holds(sagemaker: Any, arn: str) -> None:
    sagemaker.update_model_package(
        ModelPackageArn=arn, AdditionalInferenceSpecificationsToAdd=[spec(f"s{i}") for i in range(13)]
    )
    with pytest.raises(ClientError) as caught:
        sagemaker.update_model_package(
            ModelPackageArn=arn, AdditionalInferenceSpecificationsToAdd=[spec("x"), spec("y")]
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert len(describe(sagemaker, arn)["AdditionalInferenceSpecifications"]) == 14


def test_given_rejected_update_when_it_fails_then_nothing_changes(sagemaker: Any, arn: str) -> None:
    before = describe(sagemaker, arn)
    with pytest.raises(ClientError):
        sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus="Approved",
            AdditionalInferenceSpecificationsToAdd=[spec("neo-ml-c5")],
        )
    assert describe(sagemaker, arn)["ModelApprovalStatus"] == before["ModelApprovalStatus"]


def test_given_life_cycle_when_updating_then_it_is_stored_and_described(sagemaker: Any, arn: str) -> None:
    life_cycle = {"Stage": "Production", "StageStatus": "Approved", "StageDescription": "autopilot"}
    sagemaker.update_model_package(ModelPackageArn=arn, ModelLifeCycle=life_cycle)

    assert describe(sagemaker, arn)["ModelLifeCycle"] == life_cycle


def test_given_client_token_when_the_call_is_retried_then_it_applies_once(
    local_backend: LocalBackend, sagemaker: Any, arn: str
) -> None:
    events_before = len(local_backend.emitted_events)
    for _ in range(2):
        sagemaker.update_model_package(ModelPackageArn=arn, ApprovalDescription="once", ClientToken="token-1")

    assert describe(sagemaker, arn)["ApprovalDescription"] == "once"
    assert len(local_backend.emitted_events) == events_before + 1


def test_given_a_used_client_token_when_the_parameters_differ_then_the_call_is_refused_and_changes_nothing(
    local_backend: LocalBackend, sagemaker: Any, arn: str
) -> None:
    """UpdateModelPackage.ClientToken: "A unique token that guarantees that the call to this API is
    idempotent." Amazon EC2 Developer Guide, "Ensuring idempotency in Amazon EC2 API requests"
    (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html): a retry with the same
    client token and the same parameters completes "without performing any further actions"; with
    changed parameters it is refused. SageMaker names no error for it: ConflictException, the one
    UpdateModelPackage declares (docs/FIDELITY.md, "Where the documentation is silent")."""
    sagemaker.update_model_package(ModelPackageArn=arn, ApprovalDescription="first", ClientToken="token-2")
    events_before = len(local_backend.emitted_events)

    with pytest.raises(ClientError) as refused:
        sagemaker.update_model_package(
            ModelPackageArn=arn, ApprovalDescription="second", ClientToken="token-2"
        )

    assert refused.value.response["Error"]["Code"] == "ConflictException"
    assert "token-2" in refused.value.response["Error"]["Message"]
    assert describe(sagemaker, arn)["ApprovalDescription"] == "first"
    assert len(local_backend.emitted_events) == events_before


def test_given_a_used_client_token_when_a_new_token_carries_the_changed_request_then_it_applies(
    sagemaker: Any, arn: str
) -> None:
    sagemaker.update_model_package(ModelPackageArn=arn, ApprovalDescription="first", ClientToken="token-3")
    sagemaker.update_model_package(ModelPackageArn=arn, ApprovalDescription="second", ClientToken="token-4")

    assert describe(sagemaker, arn)["ApprovalDescription"] == "second"


def test_given_update_when_it_succeeds_then_a_state_change_event_carries_the_new_state(
    local_backend: LocalBackend, sagemaker: Any, arn: str
) -> None:
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    event = local_backend.emitted_events[-1]
    assert event["source"] == "aws.sagemaker"
    assert event["detail-type"] == "SageMaker Model Package State Change"
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert event["resources"] == [arn]
    detail = event["detail"]
    assert detail["ModelPackageArn"] == arn
    assert detail["ModelPackageGroupName"] == "churn"
    assert detail["ModelPackageVersion"] == 1
    assert detail["ModelApprovalStatus"] == "Approved"
    assert detail["ModelPackageStatus"] == "Completed"
    assert detail["AdditionalInferenceSpecifications"][0]["Name"] == "neo-ml-c5"
    assert detail["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].startswith("s3://")
    assert isinstance(detail["LastModifiedTime"], int)


def test_given_new_version_when_created_then_it_defaults_to_pending_and_emits_an_event(
    local_backend: LocalBackend, sagemaker: Any
) -> None:
    sagemaker.create_model_package_group(ModelPackageGroupName="fraud")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName="fraud",
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]

    assert describe(sagemaker, arn)["ModelApprovalStatus"] == "PendingManualApproval"
    assert local_backend.emitted_events[-1]["detail"]["ModelPackageArn"] == arn


def test_given_unknown_arn_when_updating_then_validation_fails(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as caught:
        sagemaker.update_model_package(
            ModelPackageArn="arn:aws:sagemaker:us-east-1:123456789012:model-package/none/1",
            ApprovalDescription="x",
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_describe_returns_the_registration_type_the_version_was_created_with(
    local_backend: LocalBackend,
) -> None:
    # DescribeModelPackage: ModelPackageRegistrationType (Logged | Registered) is part of the output
    # (SageMaker API Reference, CreateModelPackage / DescribeModelPackage); moto drops it.
    sagemaker = local_backend.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName="logged-group")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName="logged-group",
        ModelPackageRegistrationType="Logged",
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]

    described = sagemaker.describe_model_package(ModelPackageName=arn)

    assert described["ModelPackageRegistrationType"] == "Logged"
