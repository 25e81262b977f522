"""The automation stack's side of a multi-account configuration (docs/ACCOUNTS.md). Nothing of it
exists in a single-account configuration.

- The default bus admits `events:PutEvents` from exactly the registry accounts (one statement listing
  them), and only SageMaker's model package state changes (condition keys `events:source` and
  `events:detail-type`); the rules accept those accounts' events (`account` in their patterns,
  infra/constructs/registry_events.py).
- The artifacts bucket admits the registry accounts' Neo roles writing `compiled/*` and the endpoint
  accounts' shadow roles reading it: one statement per kind of role, listing the accounts (never the
  groups), so the policy grows by two ARNs per account. The principals are the accounts, narrowed to
  exactly those roles by `aws:PrincipalArn`, so the policy is valid before the companion stacks (and
  their roles) exist. The bucket is SSE-S3 (infra/constructs/artifacts.py):
  there is no key policy to extend.
- The functions that call into other accounts may assume exactly the access roles of the accounts they
  need (Attach, Plan, the compile watcher and the compile workflow: the registry accounts; ShadowStart
  and Roller: the shadow tests' endpoint and registry accounts). Their roles live under
  `/registry-autopilot/<stackName>/`, the path the access roles trust.
- The automation account's own groups whose shadow tests run elsewhere are shared like a registry
  account's (infra/constructs/group_sharing.py).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import constants
from infra.accounts import AccountPlan, companion_role_arn
from infra.constructs.artifacts import COMPILED_PREFIX

BUS_POLICY_STATEMENT_ID = "RegistryAutopilotRegistryAccounts"


def assume_access_roles(function_role: iam.IRole | None, plan: AccountPlan, accounts: list[str]) -> None:
    """sts:AssumeRole on exactly the access roles of `accounts` (none: no statement)."""
    if function_role is None or not accounts:
        return
    partition = Stack.of(function_role).partition
    function_role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="AssumeAccessRoles",
            actions=["sts:AssumeRole"],
            resources=plan.access_role_arns(partition, accounts),
        )
    )


def assume_for(function: lambda_.Function, plan: AccountPlan, accounts: list[str]) -> None:
    assume_access_roles(function.role, plan, accounts)


class CrossAccount(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, plan: AccountPlan, bucket: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        partition = stack.partition
        registries = plan.registry_accounts()
        self.bus_policy: events.CfnEventBusPolicy | None = None
        if registries:
            # The L1 resource: the L2 EventBusPolicy cannot render a PolicyStatement from Python.
            self.bus_policy = events.CfnEventBusPolicy(
                self,
                "RegistryAccountsMayForward",
                statement_id=BUS_POLICY_STATEMENT_ID,
                event_bus_name="default",
                statement={
                    "Sid": BUS_POLICY_STATEMENT_ID,
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:{partition}:iam::{account}:root" for account in registries]},
                    "Action": "events:PutEvents",
                    "Resource": f"arn:{partition}:events:{stack.region}:{stack.account}:event-bus/default",
                    # As the EventBridge User Guide's example policy for another account's events
                    # writes it: a PutEvents request may carry several entries.
                    "Condition": {
                        "ForAllValues:StringEquals": {
                            "events:source": constants.EVENT_SOURCE,
                            "events:detail-type": constants.EVENT_DETAIL_TYPE,
                        }
                    },
                },
            )
        compiled = bucket.arn_for_objects(f"{COMPILED_PREFIX}*")
        neo_roles = [companion_role_arn(partition, a, plan.neo_role_name()) for a in registries]
        shadow_accounts = plan.endpoint_accounts()
        shadow_roles = [companion_role_arn(partition, a, plan.shadow_role_name()) for a in shadow_accounts]
        if registries:
            bucket.add_to_resource_policy(
                _from_roles(
                    "NeoWritesCompiledModels",
                    registries,
                    neo_roles,
                    ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
                    compiled,
                )
            )
            bucket.add_to_resource_policy(
                _from_roles(
                    "NeoLocatesCompiledModels",
                    registries,
                    neo_roles,
                    ["s3:ListBucket", "s3:GetBucketLocation"],
                    bucket.bucket_arn,
                )
            )
        if shadow_accounts:
            bucket.add_to_resource_policy(
                _from_roles(
                    "ShadowModelsReadCompiledModels",
                    shadow_accounts,
                    shadow_roles,
                    ["s3:GetObject"],
                    compiled,
                )
            )


def _from_roles(
    sid: str, accounts: list[str], roles: list[str], actions: list[str], resource: str
) -> iam.PolicyStatement:
    """One statement for one kind of role whatever the number of accounts: the principals are the
    accounts, narrowed to exactly our roles there by `aws:PrincipalArn` (a role ARN as principal would make
    the policy invalid until the role exists; the condition names it before it does)."""
    return iam.PolicyStatement(
        sid=sid,
        principals=[iam.AccountPrincipal(account) for account in accounts],
        actions=actions,
        resources=[resource],
        conditions={"ArnEquals": {"aws:PrincipalArn": roles if len(roles) > 1 else roles[0]}},
    )
