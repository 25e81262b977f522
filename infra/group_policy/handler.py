"""CloudFormation custom resource: Registry Autopilot's statements in model package group policies.

One resource per stack shares every listed group it does not create (docs/ACCOUNTS.md, "Group
policies"): for each group it reads the policy (GetModelPackageGroupPolicy), keeps every statement it
does not own, puts its own statement (identified by its Sid) and writes the result back
(PutModelPackageGroupPolicy; "ResourcePolicy ... Maximum length of 20480", SageMaker API Reference). A
group whose policy ends up empty has it deleted (DeleteModelPackageGroupPolicy). On delete, and for the
groups an update drops, only our statement is removed.

This module ships alone (the Lambda runtime's boto3, nothing else); `share_statement` and `merged` are
pure, and infra uses `share_statements` for the groups the stacks create, so both paths write the same
statement.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

# PutModelPackageGroupPolicy ResourcePolicy: "Length Constraints: Minimum length of 1. Maximum length
# of 20480." (SageMaker API Reference).
MAX_POLICY_CHARS = 20_480
POLICY_VERSION = "2012-10-17"
# SageMaker Developer Guide, "Set up discoverability": the model owner's resource policy grants
# "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages", "sagemaker:DescribeModelPackageGroup"
# on the group's ARN and `model-package/<group>/*`.
VERSION_ACTIONS = ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]
GROUP_ACTIONS = ["sagemaker:DescribeModelPackageGroup"]


def share_statements(
    *, sid: str, partition: str, region: str, owner: str, group: str, accounts: list[str], role_path: str
) -> list[dict[str, Any]]:
    """What `accounts` may do with `group` in `owner`'s registry: read the group and its versions,
    only through roles under `role_path` (the roles Registry Autopilot's stacks create there). Two
    statements, so each action names only the resource type it accepts (Service Authorization
    Reference: DescribeModelPackageGroup acts on `model-package-group`, the others on `model-package`);
    both Sids start with `sid`."""
    arn = f"arn:{partition}:sagemaker:{region}:{owner}"
    principals = [f"arn:{partition}:iam::{account}:root" for account in sorted(accounts)]
    roles = [f"arn:{partition}:iam::{account}:role{role_path}*" for account in sorted(accounts)]
    common = {
        "Effect": "Allow",
        "Principal": {"AWS": principals if len(principals) > 1 else principals[0]},
        "Condition": {"ArnLike": {"aws:PrincipalArn": roles if len(roles) > 1 else roles[0]}},
    }
    return [
        {
            "Sid": f"{sid}Versions",
            **common,
            "Action": VERSION_ACTIONS,
            "Resource": f"{arn}:model-package/{group}/*",
        },
        {
            "Sid": f"{sid}Group",
            **common,
            "Action": GROUP_ACTIONS,
            "Resource": f"{arn}:model-package-group/{group}",
        },
    ]


def merged(
    current: dict[str, Any] | None, sid: str, ours: list[dict[str, Any]] | None
) -> dict[str, Any] | None:
    """`current` without our statements (their Sid starts with `sid`), plus `ours` when given; None when
    nothing is left."""
    kept = [
        statement
        for statement in _statements(current)
        if not (isinstance(statement, dict) and str(statement.get("Sid", "")).startswith(sid))
    ]
    kept += ours or []
    if not kept:
        return None
    version = (current or {}).get("Version", POLICY_VERSION)
    return {"Version": version, "Statement": kept}


def _statements(policy: dict[str, Any] | None) -> list[Any]:
    if not policy:
        return []
    statements = policy.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def policy_text(policy: dict[str, Any]) -> str:
    text = json.dumps(policy, separators=(",", ":"))
    if len(text) > MAX_POLICY_CHARS:
        raise ValueError(
            f"the merged policy is {len(text):,} characters, more than PutModelPackageGroupPolicy's "
            f"{MAX_POLICY_CHARS:,}"
        )
    return text


class _Groups:
    """The SageMaker calls, one client (standard retries)."""

    def __init__(self) -> None:
        import boto3
        from botocore.config import Config

        self.client = boto3.client(
            "sagemaker", config=Config(retries={"mode": "adaptive", "max_attempts": 10})
        )

    def exists(self, group: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.describe_model_package_group(ModelPackageGroupName=group)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("ValidationException", "ResourceNotFound"):
                return False
            raise
        return True

    def policy(self, group: str) -> dict[str, Any] | None:
        """The group's policy; None when it has none (GetModelPackageGroupPolicy answers a
        ValidationException for a group without a policy: docs/FIDELITY.md)."""
        from botocore.exceptions import ClientError

        try:
            text = self.client.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ValidationException":
                return None
            raise
        loaded = json.loads(text)
        return loaded if isinstance(loaded, dict) else None

    def write(self, group: str, policy: dict[str, Any] | None) -> None:
        if policy is None:
            self.client.delete_model_package_group_policy(ModelPackageGroupName=group)
        else:
            self.client.put_model_package_group_policy(
                ModelPackageGroupName=group, ResourcePolicy=policy_text(policy)
            )


def apply(groups: Any, properties: dict[str, Any], shared: dict[str, list[str]], dropped: list[str]) -> None:
    """Put our statement in every group of `shared`; take it out of every group in `dropped`."""
    sid = properties["Sid"]
    missing = [group for group in sorted(shared) if not groups.exists(group)]
    if missing:
        raise ValueError(
            f"model package group(s) not found in this account: {', '.join(missing)}; create them, or "
            "remove them from the configuration, and deploy again"
        )
    for group, accounts in sorted(shared.items()):
        ours = share_statements(
            sid=sid,
            partition=properties["Partition"],
            region=properties["Region"],
            owner=properties["Owner"],
            group=group,
            accounts=accounts,
            role_path=properties["RolePath"],
        )
        current = groups.policy(group)
        updated = merged(current, sid, ours)
        if updated != current:
            groups.write(group, updated)
    for group in sorted(dropped):
        if group in shared or not groups.exists(group):
            continue
        current = groups.policy(group)
        if current is not None and merged(current, sid, None) != current:
            groups.write(group, merged(current, sid, None))


def plan(event: dict[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    """(groups to share with their accounts, groups to take our statement out of) for an event."""
    properties = event.get("ResourceProperties", {})
    shared: dict[str, list[str]] = dict(properties.get("Groups", {}))
    old = list(event.get("OldResourceProperties", {}).get("Groups", {}))
    if event["RequestType"] == "Delete":
        return {}, sorted(shared)
    return shared, sorted(set(old) - set(shared))


def _respond(event: dict[str, Any], status: str, reason: str) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:1000],
            "PhysicalResourceId": event.get("PhysicalResourceId") or event["ResourceProperties"]["Sid"],
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=30):
        pass


def handler(event: dict[str, Any], _context: Any) -> None:
    """CloudFormation's custom resource request -> SUCCESS or FAILED with the reason."""
    try:
        shared, dropped = plan(event)
        apply(_Groups(), event["ResourceProperties"], shared, dropped)
    except Exception as exc:  # every failure must reach CloudFormation, or the stack waits an hour
        _respond(event, "FAILED", f"{type(exc).__name__}: {exc}")
        return
    _respond(event, "SUCCESS", f"{len(shared)} group(s) shared, {len(dropped)} released")
