"""The attach-and-decide step writes the version's model card in its one UpdateModelPackage.

Sources: SageMaker API Reference, UpdateModelPackage ("ModelCard - The model card associated with the
model package.") and ModelPackageModelCard ("The content must follow the schema described in Model
Package Model Card Schema"); the local backend validates every card against the vendored schema, so
a card that does not follow it fails this test the way AWS would refuse it.
"""

from __future__ import annotations

import json
from typing import Any

from autopilot.embedded.backend import LocalBackend
from registry_autopilot.logic import model_card
from tests.integration.functions.test_approval_handlers import describe, fixture, run_workflow, updates

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

    writes = updates(backend)
    assert len(writes) == 1
    assert {"AdditionalInferenceSpecificationsToAdd", "ModelApprovalStatus", "ModelCard"} <= set(writes[0])
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
