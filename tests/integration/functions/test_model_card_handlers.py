"""The attach-and-decide step writes the version's model card in its own UpdateModelPackage, after the
decision's, so a refused card never takes the decision with it.

Sources: SageMaker API Reference, UpdateModelPackage ("ModelCard - The model card associated with the
model package.") and ModelPackageModelCard ("The content must follow the schema described in Model
Package Model Card Schema"); the local backend validates every card against the vendored schema, so
a card that does not follow it fails this test the way AWS would refuse it. ModelPackageModelCard:
"Archived: The model card is archived. No more updates can be made to the model card content."
SageMaker API Reference, UpdateModelCard: "You cannot update both model card content and model card
status in a single call"; ModelPackageModelCard is silent on it, so the write is tested against both
answers (docs/FIDELITY.md).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from registry_autopilot.adapters.sagemaker import SageMakerRegistry
from registry_autopilot.logic import model_card
from tests.integration.functions.test_approval_handlers import (
    all_updates,
    describe,
    fixture,
    published,
    run_workflow,
    updates,
)

PERSON = {
    "intended_uses": {"intended_uses": "monthly churn scoring", "risk_rating": "Low"},
    "evaluation_details": [{"name": "holdout March", "evaluation_observation": "fine"}],
}


def test_a_decided_version_carries_a_card_agreeing_with_its_status_and_a_persons_content_survives(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = backend.seed_model_package(
        "churn-xgboost",
        framework="XGBOOST",
        framework_version="1.7",
        evaluation_report=fixture("churn-xgboost-passing.json"),
    )
    with backend.unrecorded():
        backend.client("sagemaker").update_model_package(
            ModelPackageArn=arn,
            ModelCard={"ModelCardContent": json.dumps(PERSON), "ModelCardStatus": "Draft"},
        )

    run_workflow(backend, plan_handler, attach_handler, arn)

    writes = all_updates(backend)
    assert len(writes) == 2  # the decision, then the card
    assert {"AdditionalInferenceSpecificationsToAdd", "ModelApprovalStatus"} <= set(writes[0])
    assert "ModelCard" not in writes[0]
    assert set(writes[1]) == {"ModelPackageArn", "ModelCard", "ClientToken"}
    assert "SourceUri" not in writes[0]  # never ours to change (docs/AUDIT.md)
    assert "SourceUri" not in describe(backend, arn)  # a version without one keeps none
    package = describe(backend, arn)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ModelCard"]["ModelCardStatus"] == "Approved"
    content = json.loads(package["ModelCard"]["ModelCardContent"])
    assert content["intended_uses"] == PERSON["intended_uses"]
    assert content["evaluation_details"][0] == PERSON["evaluation_details"][0]
    assert model_card.summary(package["ModelCard"]).startswith("Approved; decision Approved")


def test_a_second_run_of_the_same_step_writes_nothing_more(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = backend.seed_model_package(
        "churn-xgboost",
        framework="XGBOOST",
        framework_version="1.7",
        evaluation_report=fixture("churn-xgboost-failing.json"),
    )
    run_workflow(backend, plan_handler, attach_handler, arn)
    card = describe(backend, arn)["ModelCard"]

    run_workflow(backend, plan_handler, attach_handler, arn)

    assert updates(backend) == []
    assert describe(backend, arn)["ModelCard"] == card
    assert card["ModelCardStatus"] == "Draft"


def seeded(backend: LocalBackend) -> str:
    arn = backend.seed_model_package(
        "churn-xgboost",
        framework="XGBOOST",
        framework_version="1.7",
        evaluation_report=fixture("churn-xgboost-passing.json"),
    )
    with backend.unrecorded():
        backend.client("sagemaker").update_model_package(
            ModelPackageArn=arn,
            ModelCard={"ModelCardContent": json.dumps(PERSON), "ModelCardStatus": "Draft"},
        )
    return arn


def test_a_card_archived_after_our_read_does_not_stop_the_decision_and_is_recorded_and_notified(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = seeded(backend)
    real = SageMakerRegistry.update_model_package

    def person_archives_after_the_decision(self: SageMakerRegistry, request: dict[str, Any]) -> None:
        real(self, request)
        if "ModelApprovalStatus" in request:
            with backend.unrecorded():
                backend.client("sagemaker").update_model_package(
                    ModelPackageArn=arn, ModelCard={"ModelCardStatus": "Archived"}
                )

    monkeypatch.setattr(SageMakerRegistry, "update_model_package", person_archives_after_the_decision)

    run_workflow(backend, plan_handler, attach_handler, arn)

    package = describe(backend, arn)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ModelCard"]["ModelCardStatus"] == "Archived"
    recorded = package["CustomerMetadataProperties"][model_card.CARD_KEY]
    assert recorded.startswith("FAILED: ValidationException")
    assert "Archived" in recorded
    assert any(
        m.get("Subject", "").startswith("Registry Autopilot: model card not written")
        for m in published(backend)
    )


def test_an_account_that_refuses_content_and_status_together_gets_them_in_two_calls(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seeded(backend)
    backend.model_packages.card_content_with_status = False

    run_workflow(backend, plan_handler, attach_handler, arn)

    package = describe(backend, arn)
    cards = [w["ModelCard"] for w in all_updates(backend) if "ModelCard" in w]
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ModelCard"]["ModelCardStatus"] == "Approved"
    assert json.loads(package["ModelCard"]["ModelCardContent"])["intended_uses"] == PERSON["intended_uses"]
    assert [set(card) for card in cards[-2:]] == [{"ModelCardContent"}, {"ModelCardStatus"}]
    assert model_card.CARD_KEY not in package.get("CustomerMetadataProperties", {})


def test_a_status_a_person_set_after_our_decision_is_kept_by_the_next_write(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any
) -> None:
    arn = seeded(backend)
    run_workflow(backend, plan_handler, attach_handler, arn)
    with backend.unrecorded():  # a person re-reviews
        backend.client("sagemaker").update_model_package(
            ModelPackageArn=arn, ModelCard={"ModelCardStatus": "Draft"}
        )
    before = describe(backend, arn)["ModelCard"]
    version = SageMakerRegistry(backend.client("sagemaker")).describe_model_package(arn)

    write = model_card.card_update(
        version, {"shadow": model_card.shadow_entry("x", "COMPLETED", "ok", {}, "t")}, "Approved"
    )

    assert before["ModelCardStatus"] == "Draft"
    assert write.model_card is not None
    assert "ModelCardStatus" not in write.model_card
    assert "a person's, kept" in write.reason
