"""The `SageMaker Model Package State Change` event model (SageMaker Developer Guide, "Events that
Amazon SageMaker sends to Amazon EventBridge": model package state change)."""

from __future__ import annotations

import pytest

from registry_autopilot.models.errors import InvalidInput
from registry_autopilot.models.events import parse_state_change
from tests.compile_fixtures import load_event


def test_sample_registration_event_parses() -> None:
    change = parse_state_change(load_event("version-registered.json"))

    assert change.detail.ModelPackageGroupName == "churn-xgboost"
    assert change.detail.ModelPackageVersion == 3


def test_unknown_detail_fields_are_tolerated() -> None:
    event = load_event("version-registered.json")
    event["detail"]["SomeFieldAddedLater"] = {"x": 1}

    assert parse_state_change(event).detail.ModelPackageStatus == "Completed"


def test_missing_required_field_is_named() -> None:
    with pytest.raises(InvalidInput, match=r"detail\.ModelPackageArn: Field required"):
        parse_state_change(load_event("invalid-missing-model-package-arn.json"))


def test_wrong_source_is_named() -> None:
    with pytest.raises(InvalidInput, match=r"^source: "):
        parse_state_change(load_event("invalid-wrong-source.json"))


def test_wrong_typed_version_is_named() -> None:
    event = load_event("version-registered.json")
    event["detail"]["ModelPackageVersion"] = "three"

    with pytest.raises(InvalidInput, match=r"detail\.ModelPackageVersion: "):
        parse_state_change(event)


def test_arn_of_another_group_is_rejected() -> None:
    event = load_event("version-registered.json")
    event["detail"]["ModelPackageGroupName"] = "fraud-pytorch"

    with pytest.raises(InvalidInput, match="names group 'churn-xgboost'"):
        parse_state_change(event)


def test_arn_that_is_not_a_model_package_version_is_rejected() -> None:
    event = load_event("version-registered.json")
    event["detail"]["ModelPackageArn"] = (
        "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn-xgboost"
    )

    with pytest.raises(InvalidInput, match="not a versioned model-package ARN"):
        parse_state_change(event)


def test_other_detail_types_are_rejected() -> None:
    event = load_event("version-registered.json")
    event["detail-type"] = "SageMaker Model State Change"

    with pytest.raises(InvalidInput, match="detail-type"):
        parse_state_change(event)
