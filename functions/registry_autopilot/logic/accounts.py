"""Where each call goes, and the names both sides of an account boundary agree on (docs/ACCOUNTS.md).

The automation stack and the companion stack of every other account are synthesized from one
configuration, so the roles they name in each other's policies are computed here, not looked up:
- each other account holds an access role, `<stackName>-access` (cut to IAM's 64 characters with a
  digest), under ACCESS_ROLE_PATH; only the automation stack's function roles may assume it;
- the automation stack's function roles that call into other accounts live under
  `automation_role_path(stackName)`, and the access roles' trust names that path;
- a registry account's companion holds the role Neo compiles with (`<stackName>-neo`), an endpoint
  account's the role its shadow models and experiments run with (`<stackName>-shadow`).
"""

from __future__ import annotations

import hashlib

# IAM RoleName: at most 64 characters ([\w+=,.@-]+).
MAX_ROLE_NAME = 64
ACCESS_ROLE_PATH = "/registry-autopilot/"


def automation_role_path(stack_name: str) -> str:
    """The IAM path of the automation stack's function roles (the access roles' trust names it)."""
    return f"/registry-autopilot/{stack_name}/"


def _role_name(stack_name: str, suffix: str) -> str:
    name = f"{stack_name}-{suffix}"
    if len(name) <= MAX_ROLE_NAME:
        return name
    digest = hashlib.sha256(stack_name.encode()).hexdigest()[:8]
    room = MAX_ROLE_NAME - len(suffix) - len(digest) - 2
    return f"{stack_name[:room].rstrip('-')}-{digest}-{suffix}"


def access_role_name(stack_name: str) -> str:
    return _role_name(stack_name, "access")


def neo_role_name(stack_name: str) -> str:
    return _role_name(stack_name, "neo")


def shadow_role_name(stack_name: str) -> str:
    return _role_name(stack_name, "shadow")


def role_arn(partition: str, account: str, name: str, path: str = ACCESS_ROLE_PATH) -> str:
    return f"arn:{partition}:iam::{account}:role{path}{name}"


def access_role_arn(partition: str, account: str, stack_name: str) -> str:
    """The role the functions assume to act in `account`."""
    return role_arn(partition, account, access_role_name(stack_name))


def account_of(arn: str) -> str:
    """The account field of an ARN (`arn:partition:service:region:account:resource`)."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""
