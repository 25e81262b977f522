"""doctor's reading of the cross-account grants (docs/ACCOUNTS.md).

- IAM User Guide, "AWS global condition context keys", aws:PrincipalArn: "Use this key to compare the
  Amazon Resource Name (ARN) of the principal that made the request with the ARN that you specify in
  the policy. For IAM roles, the request context returns the ARN of the role".
- EventBridge User Guide, "Permissions for event buses": "The default event bus in your AWS account
  only allows events from one account. You can grant additional permissions to an event bus by
  attaching a resource-based policy to it." Its example grants another account with
  "Principal": {"AWS":"arn:aws:iam::111112222333:root"}, "Action": "events:PutEvents".
- SageMaker Developer Guide, "Set up discoverability": the group owner attaches a resource policy with
  "Action":["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages",
  "sagemaker:DescribeModelPackageGroup"].
"""

from __future__ import annotations

import json

from autopilot.account.doctor_accounts import bus_admits, group_policy_missing, trust_admits_automation
from registry_autopilot.logic.accounts import GROUP_SHARE_ACTIONS, automation_role_path

AUTOMATION, REGISTRY, ENDPOINTS = "111111111111", "222222222222", "333333333333"
PATH = automation_role_path("RegistryAutopilot")


def trust(principal: object, condition: dict[str, object] | None = None) -> dict[str, object]:
    statement: dict[str, object] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_given_the_companions_trust_then_only_the_automation_function_roles_may_assume() -> None:
    narrowed = trust(
        {"AWS": f"arn:aws:iam::{AUTOMATION}:root"},
        {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{AUTOMATION}:role{PATH}*"}},
    )

    assert trust_admits_automation(narrowed, AUTOMATION, PATH) is None
    # URL-encoded, as GetRole returns it.
    assert trust_admits_automation(json.dumps(narrowed), AUTOMATION, PATH) is None


def test_given_a_trust_of_the_whole_account_then_it_is_too_wide() -> None:
    whole = trust({"AWS": f"arn:aws:iam::{AUTOMATION}:root"})

    assert "without narrowing" in (trust_admits_automation(whole, AUTOMATION, PATH) or "")


def test_given_a_trust_of_another_account_then_the_automation_account_is_not_admitted() -> None:
    other = trust(
        {"AWS": f"arn:aws:iam::{ENDPOINTS}:root"},
        {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ENDPOINTS}:role{PATH}*"}},
    )

    assert "no statement allows" in (trust_admits_automation(other, AUTOMATION, PATH) or "")


def test_given_a_bus_policy_then_only_the_accounts_it_names_are_admitted() -> None:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "registry",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{REGISTRY}:root"},
                    "Action": "events:PutEvents",
                    "Resource": f"arn:aws:events:us-east-1:{AUTOMATION}:event-bus/default",
                }
            ],
        }
    )

    assert bus_admits(policy, REGISTRY)
    assert not bus_admits(policy, ENDPOINTS)
    assert not bus_admits(None, REGISTRY)


def test_given_a_group_policy_then_the_actions_it_does_not_share_are_named() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ENDPOINTS},
                "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
                "Resource": "*",
            }
        ],
    }

    assert group_policy_missing(policy, ENDPOINTS, GROUP_SHARE_ACTIONS) == [
        "sagemaker:DescribeModelPackageGroup"
    ]
    assert group_policy_missing(policy, REGISTRY, GROUP_SHARE_ACTIONS) == list(GROUP_SHARE_ACTIONS)
    assert group_policy_missing(None, ENDPOINTS, GROUP_SHARE_ACTIONS) == list(GROUP_SHARE_ACTIONS)
