"""Which account holds what, and what each stack grants across the boundary (docs/ACCOUNTS.md).

Pure: no CDK, no AWS calls. The automation stack and every companion stack read the same plan, so a
grant on one side and the role it names on the other always agree. The role names and paths come
from `registry_autopilot.logic.accounts`, which the functions use to assume the access roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry_autopilot.logic.accounts import (
    ACCESS_ROLE_PATH,
    access_role_name,
    automation_role_path,
    neo_role_name,
    shadow_role_name,
)
from registry_autopilot.models.config import AutopilotConfig

# Sid prefix of the statements Registry Autopilot writes into model package group policies: the
# statements it owns (merged on update, removed on delete), whatever else the policy holds.
GROUP_POLICY_SID_PREFIX = "RegistryAutopilotShare"
# What the statement grants: infra/group_policy/handler.py (share_statement).


def share_sid(stack_name: str) -> str:
    """The Sid of our statement in a group's policy: one per automation stack (two stacks sharing one
    group keep their own statements), letters and digits only."""
    import hashlib

    return f"{GROUP_POLICY_SID_PREFIX}{hashlib.sha256(stack_name.encode()).hexdigest()[:12]}"


def companion_stack_name(stack_name: str, account: str) -> str:
    """`<stackName>-<account>`: CloudFormation stack names are at most 128 characters; the
    configuration's stackName pattern leaves room for the account only up to 115."""
    return f"{stack_name[: 128 - 13]}-{account}"


# The role `cdk deploy` assumes in each target account (DefaultStackSynthesizer.DEFAULT_DEPLOY_ROLE_ARN
# with its DEFAULT_QUALIFIER; app.py keeps the default synthesizer). `cdk bootstrap --trust ACCOUNT`
# lets ACCOUNT assume it, which deploying a companion from the automation account needs.
CDK_QUALIFIER = "hnb659fds"


def cdk_deploy_role_name(account: str, region: str) -> str:
    return f"cdk-{CDK_QUALIFIER}-deploy-role-{account}-{region}"


def role_path_pattern(partition: str, account: str) -> str:
    """Every role our companion stacks create in `account` (the access, Neo and shadow roles)."""
    return f"arn:{partition}:iam::{account}:role{ACCESS_ROLE_PATH}*"


def automation_principal_pattern(partition: str, automation: str, stack_name: str) -> str:
    """The automation stack's function and state machine roles (the access roles' trust names it)."""
    return f"arn:{partition}:iam::{automation}:role{automation_role_path(stack_name)}*"


def companion_role_arn(partition: str, account: str, name: str) -> str:
    return f"arn:{partition}:iam::{account}:role{ACCESS_ROLE_PATH}{name}"


@dataclass(frozen=True)
class AccountPlan:
    """The accounts of one configuration and the groups each one holds or serves."""

    config: AutopilotConfig

    @property
    def automation(self) -> str | None:
        return self.config.account

    @property
    def stack_name(self) -> str:
        return self.config.stack_name

    @property
    def multi_account(self) -> bool:
        return bool(self.config.other_accounts())

    def other_accounts(self) -> list[str]:
        return self.config.other_accounts()

    def registry_accounts(self) -> list[str]:
        """Other accounts holding watched groups (a forwarding rule each; their Neo roles write)."""
        return self.config.registry_accounts()

    def endpoint_accounts(self) -> list[str]:
        """Other accounts holding production endpoints (their shadow roles read compiled artifacts)."""
        return self.config.endpoint_accounts()

    def event_accounts(self) -> list[str]:
        """The `account` values the automation stack's rules accept: every account holding a group."""
        return sorted({a for g in self.config.groups if (a := self.config.registry_account(g))})

    def groups_in(self, account: str | None) -> list[str]:
        """The watched groups whose registry is `account` (None: the automation account)."""
        account = account or self.automation
        return sorted(g for g in self.config.groups if self.config.registry_account(g) == account)

    def shadowed_groups_in(self, account: str | None) -> list[str]:
        return [g for g in self.groups_in(account) if self.config.groups[g].shadow is not None]

    def endpoint_groups_in(self, account: str) -> list[str]:
        """The groups whose production endpoint is in `account`."""
        return sorted(
            g
            for g, c in self.config.groups.items()
            if c.shadow is not None and self.config.endpoint_account(g) == account
        )

    def endpoints_in(self, account: str) -> list[str]:
        names = {self.config.groups[g].shadow.endpoint_name for g in self.endpoint_groups_in(account)}  # type: ignore[union-attr]
        return sorted(names)

    def shares(self, registry: str | None) -> dict[str, list[str]]:
        """Group -> the other accounts its shadow tests run in (the group policy grants them)."""
        registry = registry or self.automation
        shared: dict[str, list[str]] = {}
        for group in self.shadowed_groups_in(registry):
            endpoint = self.config.endpoint_account(group)
            if endpoint is not None and endpoint != registry:
                shared[group] = [endpoint]
        return shared

    def is_registry(self, account: str) -> bool:
        return bool(self.groups_in(account))

    def is_endpoint(self, account: str) -> bool:
        return bool(self.endpoint_groups_in(account))

    # --- the roles both sides name -----------------------------------------------------------------
    def access_role_name(self) -> str:
        return access_role_name(self.stack_name)

    def neo_role_name(self) -> str:
        return neo_role_name(self.stack_name)

    def shadow_role_name(self) -> str:
        return shadow_role_name(self.stack_name)

    def access_role_arns(self, partition: str, accounts: list[str]) -> list[str]:
        return [companion_role_arn(partition, a, self.access_role_name()) for a in accounts]

    def registry_access_accounts(self) -> list[str]:
        """Accounts Attach, Plan, the compile watcher and the compile workflow reach."""
        return self.registry_accounts()

    def shadow_access_accounts(self) -> list[str]:
        """Accounts ShadowStart and Roller reach: the endpoints' and the shadowed groups' registries."""
        shadowed = [g for g, c in self.config.groups.items() if c.shadow is not None]
        registries = {self.config.registry_account(g) for g in shadowed}
        endpoints = {self.config.endpoint_account(g) for g in shadowed}
        return sorted(a for a in registries | endpoints if a is not None and a != self.automation)
