"""The companion stack of one other account (docs/ACCOUNTS.md): only what must live in that account.

Synthesized by the same app from the same configuration as the automation stack, named
`<stackName>-<account>`, for that account and the automation stack's region (cross-region is out of
scope: the forwarding rule targets the automation account's bus in the same region):
- always: the access role the automation stack's functions assume (infra/constructs/account_roles.py);
- in a registry account: the Neo role compilation runs with, the rule forwarding the watched groups'
  state changes to the automation account's bus (its dead-letter queue alarming to this account's
  notification topic, `notificationEmail` subscribed), the groups' policies sharing them with the
  endpoint accounts (and the groups themselves with `createModelPackageGroups`);
- in an endpoint account: the role the shadow models and experiments run with.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack, Tags
from constructs import Construct

from infra import constants
from infra.accounts import AccountPlan, companion_stack_name
from infra.constructs import account_roles
from infra.constructs.account_roles import AccessRole
from infra.constructs.alerting import Alerting
from infra.constructs.event_forwarding import EventForwarding
from infra.constructs.group_sharing import GroupSharing, group_policies
from infra.constructs.model_groups import ModelPackageGroups
from registry_autopilot.models.config import AutopilotConfig


class CompanionStack(Stack):
    def __init__(self, scope: Construct, *, config: AutopilotConfig, account: str, **kwargs: Any) -> None:
        plan = AccountPlan(config)
        name = companion_stack_name(config.stack_name, account)
        kwargs.setdefault("stack_name", name)
        kwargs.setdefault("env", Environment(account=account))
        kwargs.setdefault(
            "description",
            f"Registry Autopilot ({config.stack_name}): what account {account} holds for the automation "
            f"stack in account {config.account}",
        )
        super().__init__(scope, name, **kwargs)
        Tags.of(self).add(constants.OWNER_TAG_KEY, config.stack_name)
        self.config = config
        self.account_id = account
        self.plan = plan
        self.neo_role = None
        self.shadow_role = None
        self.forwarding: EventForwarding | None = None
        self.group_sharing: GroupSharing | None = None
        self.model_package_groups: ModelPackageGroups | None = None

        self.alerting: Alerting | None = None
        if plan.is_registry(account):
            # The forwarding rule's failures must reach a person: this account's key, topic and alarms.
            self.alerting = Alerting(self, "Alerting", notification_email=config.notification_email)
            self.neo_role = account_roles.sagemaker_role(
                self,
                "NeoRole",
                name=plan.neo_role_name(),
                account=account,
                description="Registry Autopilot: SageMaker Neo compiles this account's watched versions",
                statements=account_roles.neo_statements(self, plan, account),
            )
            self.forwarding = EventForwarding(
                self,
                "EventForwarding",
                automation=str(config.account),
                groups=plan.groups_in(account),
                prefix=config.group_name_prefix,
                alerting=self.alerting,
            )
            self._share_groups(plan, account, self.alerting)
        if plan.is_endpoint(account):
            self.shadow_role = account_roles.sagemaker_role(
                self,
                "ShadowRole",
                name=plan.shadow_role_name(),
                account=account,
                description="Registry Autopilot: SageMaker runs shadow models and inference experiments",
                statements=account_roles.shadow_statements(self, plan, account),
            )
        self.access = AccessRole(
            self,
            "Access",
            plan=plan,
            account=account,
            neo_role_arn=account_roles.role_arn(self, account, plan.neo_role_name())
            if self.neo_role
            else None,
            shadow_role_arn=(
                account_roles.role_arn(self, account, plan.shadow_role_name()) if self.shadow_role else None
            ),
        )

    def _share_groups(self, plan: AccountPlan, account: str, alerting: Alerting) -> None:
        config = self.config
        shares = plan.shares(account)
        if config.create_model_package_groups:
            self.model_package_groups = ModelPackageGroups(
                self,
                "ModelPackageGroups",
                config=config,
                groups=plan.groups_in(account),
                policies=group_policies(self, stack_name=config.stack_name, shares=shares),
            )
        self.group_sharing = GroupSharing.of(self, config=config, shares=shares, key=alerting.key)
