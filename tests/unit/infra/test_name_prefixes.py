"""groupNamePrefix and endpointNamePrefix: every configured name must carry its prefix (the rules and the
grants name only the prefix, so a name without it would be configured and never reached)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ConfigError, load_config
from tests.unit.infra.test_config import minimal_config

SHADOW = {
    "endpointName": "prod-churn",
    "instanceType": "ml.c5.xlarge",
    "rolloutPlan": [{"samplingPercentage": 100, "minDwellMinutes": 0}],
}


def prefixed(**keys: Any) -> dict[str, Any]:
    raw = minimal_config()
    raw["groups"] = {"team-churn": {**raw["groups"]["churn"], "shadow": SHADOW}}
    return raw | keys


def error_of(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    return str(caught.value)


def test_groups_and_endpoints_carrying_their_prefixes_are_accepted() -> None:
    config = load_config(prefixed(groupNamePrefix="team-", endpointNamePrefix="prod-"))

    assert config.group_name_prefix == "team-"
    assert config.endpoint_name_prefix == "prod-"


def test_a_group_without_the_group_prefix_is_named() -> None:
    raw = prefixed(groupNamePrefix="team-")
    raw["groups"]["churn"] = raw["groups"]["team-churn"] | {"shadow": None}
    del raw["groups"]["churn"]["shadow"]

    message = error_of(raw)

    assert "group 'churn' does not start with groupNamePrefix 'team-'" in message
    assert "team-churn" not in message


def test_an_endpoint_without_the_endpoint_prefix_is_named_with_its_group() -> None:
    message = error_of(prefixed(endpointNamePrefix="shadow-"))

    assert (
        "groups.team-churn.shadow.endpointName 'prod-churn' does not start with endpointNamePrefix" in message
    )


@pytest.mark.parametrize("prefix", ["", "-team", "team_", "x" * 63])
def test_a_prefix_that_cannot_start_a_sagemaker_name_is_refused(prefix: str) -> None:
    message = error_of(prefixed(groupNamePrefix=prefix))

    assert "autopilot.groupNamePrefix:" in message
    assert "the start of a SageMaker name" in message
