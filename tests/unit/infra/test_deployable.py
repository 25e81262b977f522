"""The sample configuration, or one written for another account, is never synthesized for a real one.

The CDK CLI passes the account it synthesizes for to the app as CDK_DEFAULT_ACCOUNT (AWS CDK v2
Developer Guide, "Environments": the CLI provides CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION "based on
the AWS profile"); with no credentials it is absent, and local runs and tests synthesize the sample.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError, load_config
from infra.deployable import check_deployable

CDK_JSON = Path(__file__).resolve().parents[3] / "cdk.json"
REAL_ACCOUNT = "111122223333"


def sample() -> dict[str, Any]:
    return copy.deepcopy(json.loads(CDK_JSON.read_text())["context"]["autopilot"])


def flag_removed() -> dict[str, Any]:
    raw = sample()
    del raw["sample"]
    return raw


def edited() -> dict[str, Any]:
    """The sample made someone's: the flag removed, the endpoint and the e-mail theirs."""
    raw = flag_removed()
    raw["groups"]["churn-xgboost"]["shadow"]["endpointName"] = "churn-serving"
    raw["notificationEmail"] = "ml-platform@example.com"
    return raw


def test_the_shipped_cdk_json_is_marked_as_the_sample() -> None:
    assert load_config(sample()).sample is True


def test_given_no_account_when_the_sample_is_checked_then_local_runs_and_tests_may_use_it() -> None:
    check_deployable(load_config(sample()), None)


def test_given_a_real_account_when_the_sample_is_checked_then_one_message_names_every_key_to_edit() -> None:
    with pytest.raises(ConfigError) as raised:
        check_deployable(load_config(sample()), REAL_ACCOUNT)

    message = str(raised.value)
    assert f"refusing to synthesize it for account {REAL_ACCOUNT}" in message
    for key in (
        "autopilot.groups: the sample groups (churn-xgboost, fraud-pytorch)",
        "autopilot.groups.churn-xgboost.shadow.endpointName: 'churn-prod'",
        "autopilot.notificationEmail",
        "autopilot.sample: true -> remove it",
    ):
        assert key in message


def test_given_an_edited_configuration_without_the_marker_then_it_synthesizes_for_any_account() -> None:
    check_deployable(load_config(edited()), REAL_ACCOUNT)


def test_given_a_configuration_for_another_account_then_the_account_key_is_named() -> None:
    raw = edited() | {"account": "444455556666"}

    with pytest.raises(ConfigError, match=r"autopilot.account: 444455556666 -> 111122223333"):
        check_deployable(load_config(raw), REAL_ACCOUNT)


def test_given_brought_roles_of_another_account_then_each_role_key_is_named() -> None:
    raw = edited() | {
        "compileRoleArn": "arn:aws:iam::123456789012:role/NeoCompile",
        "experimentRoleArn": f"arn:aws:iam::{REAL_ACCOUNT}:role/ShadowTests",
    }

    with pytest.raises(ConfigError) as raised:
        check_deployable(load_config(raw), REAL_ACCOUNT)

    assert "autopilot.compileRoleArn: a role in account 123456789012" in str(raised.value)
    assert "experimentRoleArn" not in str(raised.value)


def test_given_only_the_sample_flag_removed_then_one_message_names_what_to_change() -> None:
    with pytest.raises(ConfigError) as raised:
        check_deployable(load_config(flag_removed()), REAL_ACCOUNT)

    message = str(raised.value)
    assert message.startswith(
        "cdk.json holds the sample configuration with only `sample: true` removed; refusing to synthesize "
        f"it for account {REAL_ACCOUNT}"
    )
    for key in (
        "autopilot.groups: the sample groups (churn-xgboost, fraud-pytorch)",
        "autopilot.groups.churn-xgboost.shadow.endpointName: 'churn-prod'",
        "autopilot.notificationEmail: unset",
    ):
        assert key in message
    assert "sample: true -> remove it" not in message  # it is already removed


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw.update(notificationEmail="ml-platform@example.com"),
        lambda raw: raw["groups"]["churn-xgboost"]["shadow"].update(endpointName="churn-serving"),
    ],
    ids=["an e-mail set", "the endpoint renamed"],
)
def test_given_the_flag_removed_and_one_sample_value_changed_then_it_is_the_users(change: Any) -> None:
    raw = flag_removed()
    change(raw)

    check_deployable(load_config(raw), REAL_ACCOUNT)
