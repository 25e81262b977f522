"""The custom resource that shares existing model package groups (infra/group_policy/handler.py):
it keeps the statements it does not own, and removes only its own.

PutModelPackageGroupPolicy (SageMaker API Reference): "ResourcePolicy ... Length Constraints: Minimum
length of 1. Maximum length of 20480." A group policy that is only ours is deleted instead of written
empty. No AWS call: a fake stands for the three SageMaker operations.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.group_policy import handler

SID = "RegistryAutopilotShareabc"
PROPERTIES = {
    "Sid": SID,
    "Partition": "aws",
    "Region": "us-east-1",
    "Owner": "222222222222",
    "RolePath": "/registry-autopilot/",
}
FOREIGN = {
    "Sid": "TeamReaders",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::444444444444:root"},
    "Action": "sagemaker:DescribeModelPackageGroup",
    "Resource": "arn:aws:sagemaker:us-east-1:222222222222:model-package-group/churn",
}


class FakeGroups:
    def __init__(self, policies: dict[str, dict[str, Any] | None]) -> None:
        self.policies = dict(policies)
        self.writes: list[str] = []

    def exists(self, group: str) -> bool:
        return group in self.policies

    def policy(self, group: str) -> dict[str, Any] | None:
        return self.policies[group]

    def write(self, group: str, policy: dict[str, Any] | None) -> None:
        if policy is not None:
            handler.policy_text(policy)
        self.policies[group] = policy
        self.writes.append(group)


def ours(group: str, accounts: list[str]) -> list[dict[str, Any]]:
    return handler.share_statements(
        sid=SID,
        partition="aws",
        region="us-east-1",
        owner="222222222222",
        group=group,
        accounts=accounts,
        role_path="/registry-autopilot/",
    )


def test_sharing_a_group_with_a_policy_keeps_the_statements_it_does_not_own() -> None:
    groups = FakeGroups({"churn": {"Version": "2012-10-17", "Statement": [FOREIGN]}})

    handler.apply(groups, PROPERTIES, {"churn": ["333333333333"]}, [])

    assert groups.policies["churn"] == {
        "Version": "2012-10-17",
        "Statement": [FOREIGN, *ours("churn", ["333333333333"])],
    }


def test_sharing_again_with_another_account_replaces_our_statements_instead_of_adding_more() -> None:
    groups = FakeGroups(
        {"churn": {"Version": "2012-10-17", "Statement": [FOREIGN, *ours("churn", ["333333333333"])]}}
    )

    handler.apply(groups, PROPERTIES, {"churn": ["555555555555"]}, [])

    assert groups.policies["churn"]["Statement"] == [FOREIGN, *ours("churn", ["555555555555"])]  # type: ignore[index]


def test_a_group_already_shared_as_configured_is_not_written() -> None:
    groups = FakeGroups(
        {"churn": {"Version": "2012-10-17", "Statement": [FOREIGN, *ours("churn", ["333333333333"])]}}
    )

    handler.apply(groups, PROPERTIES, {"churn": ["333333333333"]}, [])

    assert groups.writes == []


def test_releasing_a_group_removes_only_our_statements_and_deletes_a_policy_left_empty() -> None:
    groups = FakeGroups(
        {
            "churn": {"Version": "2012-10-17", "Statement": [FOREIGN, *ours("churn", ["333333333333"])]},
            "fraud": {"Version": "2012-10-17", "Statement": ours("fraud", ["333333333333"])},
        }
    )

    handler.apply(groups, PROPERTIES, {}, ["churn", "fraud"])

    assert groups.policies == {"churn": {"Version": "2012-10-17", "Statement": [FOREIGN]}, "fraud": None}


def test_a_listed_group_that_does_not_exist_fails_the_deployment_naming_it() -> None:
    groups = FakeGroups({"churn": None})

    with pytest.raises(ValueError, match="not found in this account: fraud"):
        handler.apply(groups, PROPERTIES, {"churn": ["333333333333"], "fraud": ["333333333333"]}, [])
    assert groups.writes == []


def test_a_merged_policy_past_20480_characters_is_refused_before_the_call() -> None:
    big = [{**FOREIGN, "Sid": f"Team{i}"} for i in range(100)]
    groups = FakeGroups({"churn": {"Version": "2012-10-17", "Statement": big}})

    with pytest.raises(ValueError, match="20,480"):
        handler.apply(groups, PROPERTIES, {"churn": ["333333333333"]}, [])


def test_delete_releases_every_group_and_an_update_releases_the_groups_it_drops() -> None:
    create = {
        "RequestType": "Create",
        "ResourceProperties": {**PROPERTIES, "Groups": {"a": ["3"], "b": ["3"]}},
    }
    update = {
        **create,
        "RequestType": "Update",
        "OldResourceProperties": {"Groups": {"a": ["3"], "c": ["3"]}},
    }
    delete = {**create, "RequestType": "Delete"}

    assert handler.plan(create) == ({"a": ["3"], "b": ["3"]}, [])
    assert handler.plan(update) == ({"a": ["3"], "b": ["3"]}, ["c"])
    assert handler.plan(delete) == ({}, ["a", "b"])


def test_any_failure_reaches_cloudformation_as_failed_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(handler, "_respond", lambda event, status, reason: sent.append((status, reason)))
    monkeypatch.setattr(handler, "_Groups", lambda: FakeGroups({}))
    event = {
        "RequestType": "Create",
        "ResourceProperties": {**PROPERTIES, "Groups": {"gone": ["333333333333"]}},
    }

    handler.handler(event, None)

    assert sent == [
        (
            "FAILED",
            "ValueError: model package group(s) not found in this account: gone; create them, "
            "or remove them from the configuration, and deploy again",
        )
    ]


def test_the_response_names_the_resource_and_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    requests: list[Any] = []

    class Opened:
        def __enter__(self) -> Opened:
            return self

        def __exit__(self, *_: object) -> None:
            return None

    monkeypatch.setattr(
        handler.urllib.request, "urlopen", lambda request, timeout: requests.append(request) or Opened()
    )
    event = {
        "ResponseURL": "https://example.com/presigned",
        "StackId": "stack",
        "RequestId": "request",
        "LogicalResourceId": "GroupSharing",
        "ResourceProperties": {"Sid": SID},
    }

    handler._respond(event, "SUCCESS", "done")

    (request,) = requests
    assert request.get_method() == "PUT"
    assert json.loads(request.data) == {
        "Status": "SUCCESS",
        "Reason": "done",
        "PhysicalResourceId": SID,
        "StackId": "stack",
        "RequestId": "request",
        "LogicalResourceId": "GroupSharing",
    }


def test_the_handler_ships_alone_importing_only_the_standard_library_and_the_runtime_s_boto3() -> None:
    """Its asset is this one file (infra/constructs/group_sharing.py). Lambda Developer Guide, "Building
    Lambda functions with Python": "Your code runs in an environment that includes the SDK for Python
    (Boto3)"; nothing else may be imported."""
    import ast
    import sys
    from pathlib import Path

    tree = ast.parse(Path(handler.__file__).read_text())
    roots = {
        (alias.name if isinstance(node, ast.Import) else str(node.module)).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }

    assert roots - set(sys.stdlib_module_names) == {"boto3", "botocore"}
