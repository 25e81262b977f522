"""A version's model card and registration type behave locally as AWS documents them.

Sources (quoted):
- SageMaker API Reference, ModelPackageModelCard
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelPackageModelCard.html):
  ModelCardContent "Length Constraints: Minimum length of 0. Maximum length of 100000."; "The content
  must follow the schema described in Model Package Model Card Schema."; ModelCardStatus "Valid Values:
  Draft | PendingReview | Approved | Archived"; "Archived: The model card is archived. No more updates can
  be made to the model card content. If you try to update the model card content, you will receive the
  message Model Card is in Archived state."
- DescribeModelPackage returns `ModelCard` (SageMaker API Reference, DescribeModelPackage, Response
  Elements: "ModelCard - The model card associated with the model package.").
- UpdateModelPackage takes `ModelPackageRegistrationType` (Logged | Registered); the documentation is
  silent on which changes are allowed: docs/FIDELITY.md records our reading (Logged -> Registered only).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend

CARD = {"intended_uses": {"intended_uses": "churn scoring for the retention team"}}


@pytest.fixture
def arn(local_backend: LocalBackend) -> str:
    return local_backend.seed_model_package("churn")


def write_card(sagemaker: Any, arn: str, content: Any, status: str = "Draft") -> None:
    text = content if isinstance(content, str) else json.dumps(content)
    sagemaker.update_model_package(
        ModelPackageArn=arn, ModelCard={"ModelCardContent": text, "ModelCardStatus": status}
    )


def refused(sagemaker: Any, arn: str, content: Any, status: str = "Draft") -> str:
    with pytest.raises(ClientError) as caught:
        write_card(sagemaker, arn, content, status)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    return str(caught.value)


def test_given_a_card_written_with_update_when_described_then_it_is_returned_as_written(
    sagemaker: Any, arn: str
) -> None:
    write_card(sagemaker, arn, CARD, "PendingReview")

    card = sagemaker.describe_model_package(ModelPackageName=arn)["ModelCard"]

    assert json.loads(card["ModelCardContent"]) == CARD
    assert card["ModelCardStatus"] == "PendingReview"


def test_given_a_status_outside_the_enum_when_writing_the_card_then_validation_fails(
    sagemaker: Any, arn: str
) -> None:
    assert "enum" in refused(sagemaker, arn, CARD, "Reviewed")


def test_given_content_over_100000_characters_when_writing_the_card_then_validation_fails(
    sagemaker: Any, arn: str
) -> None:
    content = json.dumps({"intended_uses": {"intended_uses": "x" * 2000}}) + " " * 98_100

    assert "100000" in refused(sagemaker, arn, content)


def test_given_content_that_does_not_follow_the_schema_when_writing_the_card_then_validation_fails(
    sagemaker: Any, arn: str
) -> None:
    message = refused(sagemaker, arn, {"model_package_details": {"model_package_arn": arn}})

    assert "schema" in message


def test_given_an_archived_card_when_writing_it_again_then_aws_answers_it_is_archived(
    sagemaker: Any, arn: str
) -> None:
    write_card(sagemaker, arn, CARD, "Archived")

    assert "Model Card is in Archived state" in refused(sagemaker, arn, CARD, "Draft")
    assert (
        sagemaker.describe_model_package(ModelPackageName=arn)["ModelCard"]["ModelCardStatus"] == "Archived"
    )


def test_given_a_logged_version_when_registering_it_then_it_is_registered(
    local_backend: LocalBackend,
) -> None:
    sagemaker = local_backend.client("sagemaker")
    arn = local_backend.seed_model_package("logged-group", registration_type="Logged")

    sagemaker.update_model_package(ModelPackageArn=arn, ModelPackageRegistrationType="Registered")

    assert (
        sagemaker.describe_model_package(ModelPackageName=arn)["ModelPackageRegistrationType"] == "Registered"
    )


def test_given_a_registered_version_when_making_it_logged_then_it_is_refused(
    sagemaker: Any, arn: str
) -> None:
    with pytest.raises(ClientError) as caught:
        sagemaker.update_model_package(ModelPackageArn=arn, ModelPackageRegistrationType="Logged")

    assert caught.value.response["Error"]["Code"] == "ValidationException"
