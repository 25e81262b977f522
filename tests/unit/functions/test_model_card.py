"""The version's model card (pure): schema-valid, agreeing with the decision, a person's content kept.

Oracle: AWS's published model package model card schema, vendored in
docs/schemas/model-package-model-card.schema.json (source: Developer Guide, "View and Update the Details
of a Model Version", https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-details.html
#model-card-schema), run with the `jsonschema` validator, not our own reading.

Rules quoted (SageMaker API Reference, ModelPackageModelCard,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelPackageModelCard.html):
- ModelCardContent: "Length Constraints: Minimum length of 0. Maximum length of 100000." "Pattern: .*"
- ModelCardStatus: "Valid Values: Draft | PendingReview | Approved | Archived"; "Archived: The model card
  is archived. No more updates can be made to the model card content."
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from registry_autopilot.logic import approval, model_card
from registry_autopilot.logic.attach import AttachPlan, CompiledJob
from registry_autopilot.models.approval import CheckResult
from registry_autopilot.models.config import GroupConfig
from registry_autopilot.models.registry import ModelPackage
from registry_autopilot.models.shadow import HealthReading
from registry_autopilot.models.workflow import AttachResult, TargetOutcome
from tests.compile_fixtures import describe_output

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs/schemas/model-package-model-card.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
NOW = datetime(2025, 11, 24, 12, 30, tzinfo=UTC)
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:CompileWorkflow:6a7e8feb"
REPORT = "s3://churn-models-123456789012/churn-xgboost/3/evaluation.json"
ARTIFACT = "s3://autopilot-artifacts/compiled/churn-xgboost/3/ml-c5/model-ml_c5.tar.gz"
PERSON = {
    "model_overview": {"model_creator": "Dana (retention analytics)"},
    "intended_uses": {"intended_uses": "monthly churn scoring", "risk_rating": "Medium"},
    "business_details": {"business_problem": "retain subscribers"},
    "evaluation_details": [
        {"name": "holdout March", "evaluation_observation": "fine on the March holdout"},
    ],
    "additional_information": {"custom_details": {"reviewer": "Sam"}},
}


def group() -> GroupConfig:
    return GroupConfig.model_validate(
        {
            "neoTargets": [
                {"name": "ml-c5", "targetDevice": "ml_c5"},
                {"name": "graviton", "targetPlatform": {"os": "LINUX", "arch": "ARM64"}},
            ],
            "approval": {
                "mode": "auto",
                "requiredTargets": ["ml-c5"],
                "metricChecks": [{"path": "auc", "operator": ">=", "threshold": 0.8}],
            },
        }
    )


def package(card: dict[str, Any] | None = None, status: str = "Draft", **overrides: Any) -> ModelPackage:
    extra: dict[str, Any] = dict(overrides)
    if card is not None:
        extra["ModelCard"] = {"ModelCardContent": json.dumps(card), "ModelCardStatus": status}
    return ModelPackage.from_describe(describe_output(**extra))


def checks(auc: float = 0.91) -> list[CheckResult]:
    passed = auc >= 0.8
    return [
        CheckResult(name="required Neo targets attached (ml-c5)", status="PASS", detail="attached: ml-c5"),
        CheckResult(
            name="auc >= 0.8",
            status="PASS" if passed else "FAIL",
            detail=f"auc = {auc} {'>=' if passed else 'fails >='} 0.8",
            value=auc,
            threshold=0.8,
            operator=">=",
            report_uri=REPORT,
        ),
    ]


def write(pkg: ModelPackage, auc: float = 0.91) -> model_card.CardWrite:
    config = group()
    decided = approval.decision(config, checks(auc), now=NOW, execution_id=EXECUTION)
    spec = {"Name": "neo-ml-c5", "Containers": [{"Image": "img", "ModelDataUrl": ARTIFACT}]}
    plan = AttachPlan(
        request=None,
        result=AttachResult(model_package_arn=pkg.ModelPackageArn, updated=True, attached=["neo-ml-c5"]),
        specs=[spec],
        notes={"autopilot:neo:graviton": "FAILED: ClientError: unsupported operator (job autopilot-g-1)"},
    )
    outcomes = [
        TargetOutcome(target="ml-c5", status="COMPLETED", job_name="autopilot-churn-v3-ml-c5-1a2b"),
        TargetOutcome(target="graviton", status="FAILED", job_name="autopilot-g-1", reason="unsupported"),
    ]
    jobs = {"autopilot-churn-v3-ml-c5-1a2b": CompiledJob("autopilot-churn-v3-ml-c5-1a2b", ARTIFACT)}
    return model_card.attach_card(pkg, config, plan, decided=decided, outcomes=outcomes, jobs=jobs)


def content(card: model_card.CardWrite) -> dict[str, Any]:
    assert card.model_card is not None
    document: dict[str, Any] = json.loads(card.model_card["ModelCardContent"])
    return document


def entry(document: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [
        e for e in document["evaluation_details"] if e.get("metadata", {}).get(model_card.OWNER_KEY) == kind
    ]
    assert len(found) == 1, f"{kind}: {len(found)} entries"
    return found[0]


def test_a_decided_version_gets_a_card_that_follows_aws_schema_and_agrees_with_the_decision() -> None:
    card = write(package())

    document = content(card)
    VALIDATOR.validate(document)
    assert card.model_card is not None
    assert card.model_card["ModelCardStatus"] == "Approved"
    assert re.fullmatch(r".*", card.model_card["ModelCardContent"])  # the API's pattern: one line


def test_the_card_carries_each_check_with_value_threshold_operator_result_and_report() -> None:
    check = entry(content(write(package(), auc=0.71)), "evaluation")["metric_groups"][1]

    metrics = {m["name"]: m for m in check["metric_data"]}
    assert metrics["result"]["value"] == "FAIL"
    assert metrics["value"]["value"] == 0.71
    assert metrics["threshold"]["value"] == 0.8
    assert metrics["operator"]["value"] == ">="
    assert metrics["report"]["notes"] == REPORT


def test_the_card_carries_the_neo_result_of_every_target_and_the_decision_with_its_policy() -> None:
    document = content(write(package(), auc=0.71))

    neo = {
        g["name"]: {m["name"]: m for m in g["metric_data"]} for g in entry(document, "neo")["metric_groups"]
    }
    assert neo["ml-c5"]["status"]["value"] == "ATTACHED"
    assert neo["ml-c5"]["compilation job"]["value"] == "autopilot-churn-v3-ml-c5-1a2b"
    assert neo["ml-c5"]["compiled artifact"]["notes"] == ARTIFACT
    assert neo["ml-c5"]["target"]["value"] == "device ml_c5"
    assert neo["graviton"]["status"]["value"] == "FAILED"
    assert neo["graviton"]["target"]["value"] == "platform LINUX/ARM64"
    decision = entry(document, "decision")["metadata"]
    assert decision["outcome"] == "Rejected"
    assert decision["policy"] == "auto"
    assert decision["policy_digest"] == approval.policy_digest(group())
    assert decision["decided_by"] == "registry-autopilot auto policy"
    assert decision["decided_at"] == "2025-11-24T12:30:00Z"
    assert decision["execution"] == EXECUTION


@pytest.mark.parametrize(
    ("auc", "mode", "card_status"),
    [(0.91, "auto", "Approved"), (0.71, "auto", "Draft"), (0.91, "manual", "PendingReview")],
)
def test_the_card_status_follows_the_documented_table(auc: float, mode: str, card_status: str) -> None:
    config = group().model_copy(update={"approval": group().approval.model_copy(update={"mode": mode})})
    decided = approval.decision(config, checks(auc), now=NOW, execution_id=EXECUTION)

    card = model_card.card_update(package(), {}, decided.fields["ModelApprovalStatus"])

    assert card.model_card is not None
    assert card.model_card["ModelCardStatus"] == card_status


def test_a_persons_card_content_survives_and_a_rerun_replaces_our_entries_instead_of_adding_copies() -> None:
    first = content(write(package(PERSON)))

    second = content(write(package(first), auc=0.71))

    VALIDATOR.validate(second)
    for key in ("model_overview", "intended_uses", "business_details", "additional_information"):
        assert second[key] == PERSON[key]
    assert second["evaluation_details"][0] == PERSON["evaluation_details"][0]
    assert len(second["evaluation_details"]) == 1 + 3  # the person's entry + evaluation, Neo, decision
    assert entry(second, "decision")["metadata"]["outcome"] == "Rejected"


def test_an_archived_card_is_never_written() -> None:
    card = write(package(PERSON, status="Archived"))

    assert card.model_card is None
    assert "Archived" in card.reason


def test_near_the_100000_character_limit_our_entries_are_summarised_and_the_persons_kept_whole() -> None:
    person = dict(PERSON)
    person["evaluation_details"] = [
        {"name": f"person run {index}", "evaluation_observation": "y" * 2000} for index in range(48)
    ]
    assert len(model_card.serialize(person)) < model_card.MAX_CONTENT

    card = write(package(person))

    text = card.model_card["ModelCardContent"] if card.model_card else ""
    assert 0 < len(text) <= model_card.MAX_CONTENT
    assert card.summarised > 0
    document = json.loads(text)
    VALIDATOR.validate(document)
    assert document["evaluation_details"][:48] == person["evaluation_details"]


def test_when_a_persons_content_leaves_no_room_no_card_is_written_and_nothing_of_theirs_is_cut() -> None:
    runs = [{"name": f"r{i}", "evaluation_observation": "z" * 2090} for i in range(46)]
    person: dict[str, Any] = {"evaluation_details": runs, "intended_uses": {"intended_uses": "w" * 1800}}
    assert model_card.MAX_CONTENT - 150 < len(model_card.serialize(person)) <= model_card.MAX_CONTENT

    card = write(package(person))

    assert card.model_card is None
    assert "no room" in card.reason


def test_the_summary_names_the_status_the_decision_and_each_of_our_entries() -> None:
    card = write(package(PERSON), auc=0.71)

    line = model_card.summary(card.model_card)

    assert line.startswith(
        "Draft; decision Rejected by registry-autopilot auto policy at 2025-11-24T12:30:00Z"
    )
    assert "neo: 1/2 Neo targets attached (ml-c5); graviton FAILED" in line
    assert "1 other evaluation entry" in line
    assert model_card.summary(None) == "no model card"


def test_a_concluded_shadow_test_adds_its_outcome_and_health_readings_and_keeps_the_rest() -> None:
    decided = content(write(package(PERSON)))
    readings = HealthReading(
        shadow_invocations=1200, shadow_5xx=3, shadow_latency=5400, production_latency=5100
    )

    card = model_card.shadow_card(
        package(decided, status="Approved", ModelApprovalStatus="Approved"),
        experiment="autopilot-churn-xgboost-v3-01c0ed38",
        outcome="INCOMPLETE",
        reason="health gate breached (shadow 5xx rate 0.0025 > 0.001): stepped back",
        health=readings,
        concluded_at="2025-11-25T01:23:00Z",
    )

    document = content(card)
    VALIDATOR.validate(document)
    shadow = entry(document, "shadow")
    assert shadow["metadata"]["outcome"] == "INCOMPLETE"
    assert "stepped back" in shadow["evaluation_observation"]
    metrics = {m["name"]: m["value"] for m in shadow["metric_groups"][0]["metric_data"]}
    assert metrics["shadow 5xx errors"] == 3
    assert entry(document, "decision") == entry(decided, "decision")
    assert document["intended_uses"] == PERSON["intended_uses"]


# A person's status is kept: the README promises a person's card is kept, and "Draft" while re-reviewing
# is theirs to set. Our last written status is recorded on our entries (metadata.card_status).
def test_our_entries_record_the_status_we_wrote() -> None:
    first = write(package(PERSON, status="Draft"))

    assert first.model_card is not None
    assert first.model_card["ModelCardStatus"] == "Approved"
    assert entry(content(first), "decision")["metadata"][model_card.STATUS_KEY] == "Approved"
    assert not list(VALIDATOR.iter_errors(content(first)))


def test_a_status_a_person_set_after_our_write_is_kept_and_the_content_still_written() -> None:
    ours = content(write(package(PERSON)))  # we wrote Approved ...
    reviewed = package(ours, status="Draft")  # ... then a person set Draft

    again = write(reviewed, auc=0.5)  # a later decision (Rejected -> Draft would be ours)
    shadow = model_card.card_update(
        reviewed, {"shadow": model_card.shadow_entry("x", "COMPLETED", "ok", {}, "t")}, "Approved"
    )

    assert again.model_card is not None
    assert "ModelCardStatus" not in again.model_card
    assert shadow.model_card is not None
    assert "ModelCardStatus" not in shadow.model_card
    assert entry(content(shadow), "decision")["metadata"][model_card.STATUS_KEY] == "Approved"


def test_the_status_we_wrote_is_not_sent_again_when_it_would_not_change() -> None:
    ours = content(write(package(PERSON)))

    again = write(package(ours, status="Approved"))

    assert again.model_card is not None
    assert set(again.model_card) == {"ModelCardContent"}


def test_the_card_write_has_a_two_call_form_content_then_status_each_with_its_own_token() -> None:
    # UpdateModelCard: "You cannot update both model card content and model card status in a single call".
    together, apart = model_card.card_requests(
        "arn:x", {"ModelCardContent": "{}", "ModelCardStatus": "Draft"}
    )
    alone, same = model_card.card_requests("arn:x", {"ModelCardContent": "{}"})

    assert [set(r["ModelCard"]) for r in together] == [{"ModelCardContent", "ModelCardStatus"}]
    assert [set(r["ModelCard"]) for r in apart] == [{"ModelCardContent"}, {"ModelCardStatus"}]
    assert apart[0]["ClientToken"] != apart[1]["ClientToken"]
    assert alone == same


def test_a_card_failure_is_recorded_within_the_metadata_value_limit() -> None:
    request = model_card.card_failure_request("arn:x", "ValidationException: " + "x" * 400)

    value = request["CustomerMetadataProperties"][model_card.CARD_KEY]
    assert value.startswith("FAILED: ValidationException")
    assert len(value) <= 256  # UpdateModelPackage CustomerMetadataProperties: value maximum 256
