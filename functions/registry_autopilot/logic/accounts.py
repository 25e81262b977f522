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
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry_autopilot.models.config import AutopilotConfig

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


# IAM User Guide, "IAM ARNs": arn:partition:... ("aws", "aws-cn" for China, "aws-us-gov" for GovCloud).
PARTITION_PREFIXES = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
)


def partition_of_region(region: str) -> str:
    return next((partition for prefix, partition in PARTITION_PREFIXES if region.startswith(prefix)), "aws")


@dataclass(frozen=True)
class AccountAccess:
    """Which role a call about a resource in `account` is made as: None (the function's own role) in
    the automation account, else that account's access role. `own` None: a single-account
    configuration, where every call is made as the function's own role."""

    own: str | None
    stack_name: str
    partition: str = "aws"

    @classmethod
    def of(cls, config: AutopilotConfig, partition: str) -> AccountAccess:
        """The access of a configuration: `account` alone only guards the deploy (one account, no
        access roles); access roles exist once a group or endpoint names another account."""
        own = config.account if config.named_accounts() else None
        return cls(own=own, stack_name=config.stack_name, partition=partition)

    def role_for(self, account: str | None) -> str | None:
        if not account or self.own is None or account == self.own:
            return None
        return access_role_arn(self.partition, account, self.stack_name)

    def role_for_arn(self, arn: str) -> str | None:
        return self.role_for(account_of(arn))


def foreign_version(configured_account: str | None, arn: str) -> str | None:
    """Why a version is not the configured group's: its ARN names another account than the group's
    (`accountId`, else the automation account). None when it is, or when no account is configured (a
    single-account configuration: IAM keeps every call in the function's own account)."""
    account = account_of(arn)
    if configured_account is None or account == configured_account:
        return None
    return (
        f"the version is in account {account or '(none)'}, but the group is configured in account "
        f"{configured_account}: an event from an account the configuration does not name for this group"
    )


def partition_of_arn(arn: str, default: str = "aws") -> str:
    """The partition field of `arn` (`default` when it is not an ARN)."""
    parts = arn.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "arn" and parts[1] else default


# What a group shares with the accounts of its shadow endpoints (SageMaker Developer Guide, "Set up
# discoverability": the owner runs put-model-package-group-policy with "Action":
# ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages", "sagemaker:DescribeModelPackageGroup"]
# on the group's ARN and `model-package/<group>/*`); "the resource consumer can register or deploy a
# model package from a different account if they have the necessary permissions" ("Accessibility").
GROUP_SHARE_ACTIONS = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:ListModelPackages",
    "sagemaker:DescribeModelPackageGroup",
)
