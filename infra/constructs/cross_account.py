"""The automation stack's side of a multi-account configuration (docs/ACCOUNTS.md). Nothing of it
exists in a single-account configuration.

- The default bus admits `events:PutEvents` from exactly the registry accounts (one statement listing
  them), and only SageMaker's model package state changes (condition keys `events:source` and
  `events:detail-type`); the rules accept those accounts' events (`account` in their patterns,
  infra/constructs/registry_events.py).
- The artifacts bucket admits, per registry account, its Neo role writing `compiled/*`, and per endpoint
  account, its shadow role reading `compiled/*`: one statement per account, never per group. The
  principal is the account, narrowed to the role by `aws:PrincipalArn`, so the policy is valid before
  the companion stacks (and their roles) exist. The bucket is SSE-S3 (infra/constructs/artifacts.py):
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
        for account in registries:
            neo = companion_role_arn(partition, account, plan.neo_role_name())
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"NeoWritesCompiledModels{account}",
                    principals=[iam.AccountPrincipal(account)],
                    actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
                    resources=[compiled],
                    conditions={"ArnEquals": {"aws:PrincipalArn": neo}},
                )
            )
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"NeoLocatesCompiledModels{account}",
                    principals=[iam.AccountPrincipal(account)],
                    actions=["s3:ListBucket", "s3:GetBucketLocation"],
                    resources=[bucket.bucket_arn],
                    conditions={"ArnEquals": {"aws:PrincipalArn": neo}},
                )
            )
        for account in plan.endpoint_accounts():
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"ShadowModelsReadCompiledModels{account}",
                    principals=[iam.AccountPrincipal(account)],
                    actions=["s3:GetObject"],
                    resources=[compiled],
                    conditions={
                        "ArnEquals": {
                            "aws:PrincipalArn": companion_role_arn(
                                partition, account, plan.shadow_role_name()
                            )
                        }
                    },
                )
            )
