"""The generic validator enforces the constraints in botocore's service model, as AWS does.

Constraints come from the SageMaker API Reference:
- UpdateModelPackage: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html
- AdditionalInferenceSpecificationDefinition (Name: 1-63, pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$):
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AdditionalInferenceSpecificationDefinition.html
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend


def spec(name: str) -> dict[str, Any]:
    return {"Name": name, "Containers": [{"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz"}]}


@pytest.fixture
def package_arn(local_backend: LocalBackend) -> str:
    return local_backend.seed_model_package("churn")


def update_error(sagemaker: Any, arn: str, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        sagemaker.update_model_package(ModelPackageArn=arn, **params)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    error: dict[str, Any] = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    return error


def test_given_64_char_spec_name_when_updating_then_length_constraint_is_reported(
    sagemaker: Any, package_arn: str
) -> None:
    error = update_error(sagemaker, package_arn, AdditionalInferenceSpecificationsToAdd=[spec("a" * 64)])
    assert (
        "at 'additionalInferenceSpecificationsToAdd.1.member.name' failed to satisfy constraint: "
        "Member must have length less than or equal to 63"
    ) in error["Message"]


def test_given_invalid_spec_name_when_updating_then_pattern_constraint_is_reported(
    sagemaker: Any, package_arn: str
) -> None:
    error = update_error(sagemaker, package_arn, AdditionalInferenceSpecificationsToAdd=[spec("neo_ml_c5")])
    assert error["Message"].startswith("1 validation error detected: Value 'neo_ml_c5' at ")
    assert (
        "Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}" in error["Message"]
    )


def test_given_approval_description_over_1024_when_updating_then_it_is_rejected(
    sagemaker: Any, package_arn: str
) -> None:
    error = update_error(sagemaker, package_arn, ApprovalDescription="x" * 1025)
    assert "at 'approvalDescription'" in error["Message"]
    assert "Member must have length less than or equal to 1024" in error["Message"]


def test_given_16_specs_in_one_request_when_updating_then_list_maximum_is_reported(
    sagemaker: Any, package_arn: str
) -> None:
    specs = [spec(f"neo-{i}") for i in range(16)]
    error = update_error(sagemaker, package_arn, AdditionalInferenceSpecificationsToAdd=specs)
    assert "at 'additionalInferenceSpecificationsToAdd'" in error["Message"]
    assert "Member must have length less than or equal to 15" in error["Message"]


def test_given_metadata_value_over_256_when_updating_then_map_value_constraint_is_reported(
    sagemaker: Any, package_arn: str
) -> None:
    error = update_error(sagemaker, package_arn, CustomerMetadataProperties={"k": "v" * 257})
    assert "at 'customerMetadataProperties'" in error["Message"]
    assert (
        "Map value must satisfy constraint: [Member must have length less than or equal to 256]"
        in (error["Message"])
    )


def test_given_unknown_enum_value_when_updating_then_enum_set_is_reported(
    sagemaker: Any, package_arn: str
) -> None:
    error = update_error(sagemaker, package_arn, ModelApprovalStatus="Maybe")
    assert (
        "Value 'Maybe' at 'modelApprovalStatus' failed to satisfy constraint: Member must satisfy enum value "
        "set: [Approved, Rejected, PendingManualApproval]"
    ) in error["Message"]


def test_given_an_elastic_inference_type_as_a_realtime_instance_type_when_updating_then_the_write_fails(
    sagemaker: Any, package_arn: str
) -> None:
    """AdditionalInferenceSpecificationDefinition.SupportedRealtimeInferenceInstanceTypes: "A list of
    the instance types that are used to generate inferences in real-time", each a
    ProductionVariantInstanceType (an enum without ml.eia*); the whole request fails, so a decision
    sent in the same UpdateModelPackage is lost with it."""
    bad = {**spec("neo-ml-eia2"), "SupportedRealtimeInferenceInstanceTypes": ["ml.eia2.xlarge"]}

    error = update_error(
        sagemaker, package_arn, AdditionalInferenceSpecificationsToAdd=[bad], ModelApprovalStatus="Approved"
    )

    assert (
        "Value 'ml.eia2.xlarge' at "
        "'additionalInferenceSpecificationsToAdd.1.member.supportedRealtimeInferenceInstanceTypes.1.member' "
        "failed to satisfy constraint: Member must satisfy enum value set"
    ) in error["Message"]
    described = sagemaker.describe_model_package(ModelPackageName=package_arn)
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert "AdditionalInferenceSpecifications" not in described


def test_given_two_violations_when_updating_then_both_are_counted(sagemaker: Any, package_arn: str) -> None:
    error = update_error(sagemaker, package_arn, ModelApprovalStatus="Maybe", ApprovalDescription="x" * 1025)
    assert error["Message"].startswith("2 validation errors detected: ")


def test_given_other_service_when_constraint_is_violated_then_it_is_validated_too(
    local_backend: LocalBackend,
) -> None:
    # Step Functions StartExecution: name is 1-80 characters (AWS Step Functions API Reference).
    sfn = local_backend.client("stepfunctions")
    with pytest.raises(ClientError) as caught:
        sfn.start_execution(
            stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:x", name="n" * 81
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "at 'name'" in caught.value.response["Error"]["Message"]


def test_given_validation_off_when_request_breaks_a_maximum_then_it_reaches_moto() -> None:
    with LocalBackend(validate_requests=False) as backend:
        arn = backend.seed_model_package("churn")
        sagemaker = backend.client("sagemaker")

        sagemaker.update_model_package(ModelPackageArn=arn, ApprovalDescription="x" * 1025)

        stored = sagemaker.describe_model_package(ModelPackageName=arn)
    # Nothing refused it: the over-long description (AWS's maximum is 1024) was stored as sent.
    assert stored["ApprovalDescription"] == "x" * 1025


def test_given_a_metadata_value_with_a_character_aws_refuses_when_updating_then_the_write_fails(
    sagemaker: Any, package_arn: str
) -> None:
    # UpdateModelPackage, CustomerMetadataProperties: "Value Length Constraints: Minimum length of 1.
    # Maximum length of 256. Value Pattern: ([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)${1,256}" (SageMaker API Reference).
    error = update_error(sagemaker, package_arn, CustomerMetadataProperties={"autopilot:note": "bad!value#"})
    assert error["Message"].startswith("1 validation error detected: Value '{autopilot:note=bad!value#}' at ")
    assert "customerMetadataProperties" in error["Message"]
    assert "Member must satisfy regular expression pattern" in error["Message"]
    described = sagemaker.describe_model_package(ModelPackageName=package_arn)
    assert "autopilot:note" not in described.get("CustomerMetadataProperties", {})
