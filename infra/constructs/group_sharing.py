"""Share watched groups with the accounts their shadow tests run in (model package group policies).

A group the stack creates (`createModelPackageGroups`) carries its policy itself
(`ModelPackageGroupPolicy`). Every other shared group of the stack's account is handled by ONE custom
resource (infra/group_policy/handler.py): it merges our statement into the group's current policy, keeps
the statements it does not own, and removes only ours on delete. One resource whatever the number of
groups, so the template stays bounded.

The statement (infra/group_policy/handler.py, `share_statements`) lets the endpoint accounts' roles under
/registry-autopilot/ describe the group and its versions, which is what CreateModel from a version of
another account needs (SageMaker Developer Guide, "Set up discoverability"; docs/FIDELITY.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import constants
from infra.accounts import share_sid
from infra.checks import acknowledge, acknowledge_wildcard_resources
from infra.constructs import sagemaker_access
from infra.constructs.lambda_function import retention_days
from registry_autopilot.logic.accounts import ACCESS_ROLE_PATH
from registry_autopilot.models.config import AutopilotConfig

HANDLER_DIR = Path(__file__).resolve().parent.parent / "group_policy"
RESOURCE_TYPE = "Custom::ModelPackageGroupPolicies"


class GroupSharing(Construct):
    """One custom resource sharing `shares` (group -> accounts) in the stack's account."""

    @classmethod
    def of(
        cls, scope: Construct, *, config: AutopilotConfig, shares: dict[str, list[str]], key: kms.IKey
    ) -> GroupSharing | None:
        """The sharing of `shares` in the stack of `scope` (the automation stack or a companion), or None
        when there is nothing to write: no share, or groups the stack creates with their policy
        (`createModelPackageGroups`, see `group_policies`)."""
        if not shares or config.create_model_package_groups:
            return None
        return cls(
            scope,
            "GroupSharing",
            stack_name=config.stack_name,
            shares=shares,
            prefix=config.group_name_prefix,
            log_retention=retention_days(config.log_retention_days),
            key=key,
        )

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stack_name: str,
        shares: dict[str, list[str]],
        prefix: str | None,
        log_retention: logs.RetentionDays,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        groups = sagemaker_access.model_package_group_arns(self, sorted(shares), prefix)
        log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, encryption_key=key, removal_policy=RemovalPolicy.DESTROY
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Registry Autopilot: writes its statement into the shared groups' policies",
            inline_policies={
                "GroupPolicies": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=[
                                "sagemaker:DescribeModelPackageGroup",
                                "sagemaker:GetModelPackageGroupPolicy",
                                "sagemaker:PutModelPackageGroupPolicy",
                                "sagemaker:DeleteModelPackageGroupPolicy",
                            ],
                            resources=groups,
                        )
                    ]
                )
            },
        )
        log_group.grant_write(role)
        self.function = lambda_.Function(
            self,
            "Function",
            description="Registry Autopilot: shares model package groups with the endpoint accounts",
            runtime=constants.LAMBDA_RUNTIME,
            architecture=constants.LAMBDA_ARCHITECTURE,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__", "*.pyc", "__init__.py"]),
            timeout=Duration.minutes(15),
            memory_size=128,
            role=role,
            log_group=log_group,
        )
        self.resource = CustomResource(
            self,
            "Policies",
            service_token=self.function.function_arn,
            resource_type=RESOURCE_TYPE,
            properties={
                "Sid": share_sid(stack_name),
                "Partition": stack.partition,
                "Region": stack.region,
                "Owner": stack.account,
                "RolePath": ACCESS_ROLE_PATH,
                "Groups": {group: sorted(accounts) for group, accounts in sorted(shares.items())},
            },
        )
        if prefix is not None:
            acknowledge_wildcard_resources(
                role,
                groups,
                "The shared groups by groupNamePrefix (model-package-group/<prefix>*): one ARN whatever the "
                "number of groups; the custom resource writes only the groups the configuration lists.",
            )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Python 3.13, the runtime every Registry Autopilot function uses (infra/constants.py).",
        )


def group_policies(
    scope: Construct, *, stack_name: str, shares: dict[str, list[str]]
) -> dict[str, dict[str, Any]]:
    """The `ModelPackageGroupPolicy` of each group the stack creates and shares (the same statement the
    custom resource writes into existing groups)."""
    from infra.group_policy.handler import POLICY_VERSION, share_statements

    stack = Stack.of(scope)
    return {
        group: {
            "Version": POLICY_VERSION,
            "Statement": share_statements(
                sid=share_sid(stack_name),
                partition=stack.partition,
                region=stack.region,
                owner=stack.account,
                group=group,
                accounts=accounts,
                role_path=ACCESS_ROLE_PATH,
            ),
        }
        for group, accounts in sorted(shares.items())
    }
