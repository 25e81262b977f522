"""The shadow test's conclusion is added to the version's model card, next to what is already there.

Sources: SageMaker API Reference, UpdateModelPackage ("ModelCard - The model card associated with the
model package.") and ModelPackageModelCard (content must follow the Model Package Model Card Schema,
which the local backend checks on every write).
"""

from __future__ import annotations

import json
from typing import Any

from autopilot.embedded.backend import LocalBackend
from registry_autopilot.logic import model_card
from tests.integration.functions.test_shadow_handlers import (  # noqa: F401 (the fixture)
    approved_event,
    approved_version,
    invoke,
    roll_until_quiet,
    stack,
)

PERSON = {"intended_uses": {"intended_uses": "monthly churn scoring"}}


def card(backend: LocalBackend, arn: str) -> dict[str, Any]:
    with backend.unrecorded():
        found: dict[str, Any] = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)[
            "ModelCard"
        ]
    return found


def shadow_entry(content: dict[str, Any]) -> dict[str, Any]:
    return model_card.our_entries(content)["shadow"]


def test_a_completed_plan_is_recorded_on_the_card_and_a_persons_content_kept(stack: LocalBackend) -> None:  # noqa: F811
    arn = approved_version(stack)
    with stack.unrecorded():
        stack.client("sagemaker").update_model_package(
            ModelPackageArn=arn,
            ModelCard={"ModelCardContent": json.dumps(PERSON), "ModelCardStatus": "Approved"},
        )
    name = invoke("shadow_start", approved_event(arn))["experiment"]

    roll_until_quiet(stack, rounds=4 * 20)

    written = card(stack, arn)
    content = json.loads(written["ModelCardContent"])
    assert content["intended_uses"] == PERSON["intended_uses"]
    entry = shadow_entry(content)
    assert entry["metadata"]["experiment"] == name
    assert entry["metadata"]["outcome"] == "COMPLETED"
    assert entry["evaluation_observation"].startswith("COMPLETED: rollout plan done")
    assert written["ModelCardStatus"] == "Approved"
    assert "shadow: COMPLETED: rollout plan done" in model_card.summary(written)


def test_a_superseded_experiment_is_recorded_on_the_older_versions_card(stack: LocalBackend) -> None:  # noqa: F811
    older = approved_version(stack)
    invoke("shadow_start", approved_event(older))
    stack.clock.advance(30 * 60)
    newer = approved_version(stack)

    invoke("shadow_start", approved_event(newer))

    entry = shadow_entry(json.loads(card(stack, older)["ModelCardContent"]))
    assert entry["metadata"]["outcome"] == "SUPERSEDED"
    assert "superseded by churn-xgboost v2" in entry["evaluation_observation"]
