"""A new team's group without a deploy: with `groupNamePrefix` and `groupDefaults`, a group created
after the stack was deployed, and listed nowhere in the configuration, is compiled, attached and
decided from its first version, by the deployed rules, state machine and functions as synthesized.

The rule matches it by prefix ("Prefix matching", Amazon EventBridge User Guide, "Content filtering
in Amazon EventBridge event patterns": `{"prefix": "..."}` "matches the beginning of a value"), the
roles reach it by `model-package/<prefix>*`, and the functions take its settings from
`groupDefaults` (docs/CONFIGURATION.md, "Many groups").
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import SynthesizedApp, cdk_json_context, synthesize
from registry_autopilot.logic.approval import DECISION_KEY
from registry_autopilot.models.config import AutopilotConfig

TARGETS = [
    {"name": "ml-c5", "targetDevice": "ml_c5"},
    {"name": "ml-m5", "targetDevice": "ml_m5"},
]
APPROVAL = {
    "mode": "auto",
    "requiredTargets": ["ml-c5"],
    "metricChecks": [
        {
            "report": "ModelQuality.Statistics",
            "path": "binary_classification_metrics.auc.value",
            "operator": ">=",
            "threshold": 0.8,
        }
    ],
}


def raw_config(**extra: Any) -> dict[str, Any]:
    sample = cdk_json_context()["autopilot"]
    return {
        **sample,
        "groupNamePrefix": "team-",
        "groups": {"team-churn": {"neoTargets": TARGETS, "approval": APPROVAL}},
        **extra,
    }


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    config = raw_config(groupDefaults={"neoTargets": TARGETS, "approval": APPROVAL})
    return synthesize(AutopilotConfig.model_validate(config))


def register(stack: EmbeddedStack, group: str, auc: float) -> tuple[str, dict[str, Any]]:
    arn = stack.backend.seed_model_package(
        group,
        framework="XGBOOST",
        framework_version="1.7",
        evaluation_report={"binary_classification_metrics": {"auc": {"value": auc}}},
    )
    return arn, stack.backend.emitted_events[-1]


def test_a_group_created_after_deploy_is_compiled_attached_and_decided_with_the_defaults(
    app: SynthesizedApp,
) -> None:
    with EmbeddedStack(app) as stack:
        arn, event = register(stack, "team-fraud-created-later", auc=0.93)

        routed = stack.send_event(event)

        (execution,) = routed.executions
        assert execution.status == "SUCCEEDED", execution.cause
        state = stack.model_package_state(arn)
        assert state["AdditionalInferenceSpecifications"] == ["neo-ml-c5", "neo-ml-m5"]
        assert state["ModelApprovalStatus"] == "Approved"
        assert state["CustomerMetadataProperties"][DECISION_KEY] == "Approved"


def test_the_defaults_decide_by_their_own_policy(app: SynthesizedApp) -> None:
    with EmbeddedStack(app) as stack:
        arn, event = register(stack, "team-search-created-later", auc=0.5)

        (execution,) = stack.send_event(event).executions

        assert execution.status == "SUCCEEDED", execution.cause
        state = stack.model_package_state(arn)
        assert state["AdditionalInferenceSpecifications"] == ["neo-ml-c5", "neo-ml-m5"]
        assert state["ModelApprovalStatus"] == "Rejected"


def test_a_group_without_the_prefix_is_still_not_reached(app: SynthesizedApp) -> None:
    with EmbeddedStack(app) as stack:
        _, event = register(stack, "other-created-later", auc=0.93)

        routed = stack.send_event(event)

        assert routed.matched_rules == []
        assert routed.executions == []


def test_the_defaults_need_the_prefix_and_carry_no_shadow_test() -> None:
    shadow = cdk_json_context()["autopilot"]["groups"]["churn-xgboost"]["shadow"]
    without_prefix = {**raw_config(groupDefaults={"neoTargets": TARGETS}), "groupNamePrefix": None}
    with pytest.raises(
        ValidationError, match="groupDefaults applies to the groups that carry groupNamePrefix"
    ):
        AutopilotConfig.model_validate(without_prefix)
    with pytest.raises(ValidationError, match=r"groupDefaults\.shadow"):
        AutopilotConfig.model_validate(raw_config(groupDefaults={"neoTargets": TARGETS, "shadow": shadow}))


def test_a_configured_group_keeps_its_own_settings_over_the_defaults() -> None:
    config = AutopilotConfig.model_validate(
        raw_config(groupDefaults={"neoTargets": [{"name": "ml-c6g", "targetDevice": "ml_c6g"}]})
    )
    assert [t.name for t in config.group("team-churn").neo_targets] == ["ml-c5", "ml-m5"]  # type: ignore[union-attr]
    assert [t.name for t in config.group("team-new").neo_targets] == ["ml-c6g"]  # type: ignore[union-attr]
    assert config.group("other-new") is None
