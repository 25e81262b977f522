"""The roles a companion stack creates in another account (docs/ACCOUNTS.md, "The IAM each side gets").

- The access role (`<stackName>-access`, path /registry-autopilot/): trusted by the automation account
  only, and only for its roles under `/registry-autopilot/<stackName>/` (condition `aws:PrincipalArn`),
  so no other principal of the automation account can assume it, whatever the order the stacks are
  deployed in (the trust names a pattern, not a role that must exist). Its permissions are exactly the
  calls the functions make in this account, as the automation stack grants them for its own account:
  in a registry account what Plan, Attach, the compile workflow and the compile watcher do (read and
  update the watched versions, read the evaluation reports, compile with Neo, pass the Neo role); in an
  endpoint account what ShadowStart and Roller do (the shadow model, the experiment, the production
  endpoint, the metrics, pass the shadow role).
- In a registry account, the Neo role: SageMaker compiles there, with this role, because that account
  reads its own model artifacts; it writes the compiled artifacts into the automation stack's bucket
  (`compiled/*`), whose policy admits it.
- In an endpoint account, the shadow role: the shadow model and the experiment run with it; it reads
  the compiled artifacts from the automation stack's bucket, whose policy admits it.

The automation stack's bucket has a generated name, unknown to a stack in another account. The
companion roles' S3 grants name any bucket of the automation account (`s3:ResourceAccount`); S3 lets a
principal of one account use another account's bucket only when the bucket policy also allows it
(Amazon S3 User Guide, "Bucket owner granting cross-account bucket permissions"), and only the artifacts
bucket's policy names these roles, so the grant reaches that bucket alone.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra import constants
from infra.accounts import AccountPlan, automation_principal_pattern, companion_role_arn
from infra.checks import acknowledge, acknowledge_wildcard_resources
from infra.constructs import model_keys, sagemaker_access
from infra.constructs.artifacts import COMPILED_PREFIX
from infra.constructs.sagemaker_roles import (
    COMPILATION_LOG_GROUP,
    ENDPOINT_LOG_GROUP_PREFIX,
    NO_RESOURCE_LEVEL_REASON,
    _pull_serving_images,
    _put_metrics,
    _s3_object_arns,
    _write_logs,
)
from registry_autopilot.logic.accounts import ACCESS_ROLE_PATH

ACCESS_REASON = (
    "Scoped to this account's watched groups' versions (model-package/<group>/*, or <groupNamePrefix>*), "
    "to resources carrying Registry Autopilot's name prefix (autopilot-*: compilation jobs, models, "
    "experiments), to endpoint configs and production models it only describes, and to S3 objects named "
    "at run time (evaluation reports, model artifacts) in the buckets the configuration or this account "
    "owns."
)
AUTOMATION_BUCKET_REASON = (
    "The automation stack's artifacts bucket has a generated name: the grant names any bucket of the "
    "automation account (s3:ResourceAccount), and only the artifacts bucket's policy admits this role, "
    "on compiled/* only."
)
UNSCOPABLE_REASON = (
    "Actions with no resource type for what they act on (Service Authorization Reference), hence '*': "
    "sagemaker:ListCompilationJobs, sagemaker:ListInferenceExperiments, sagemaker:ListTags (no "
    "inference-experiment resource type), sagemaker:ListModelPackages (compareToApproved), "
    "cloudwatch:GetMetricData, cloudwatch:PutMetricData, ecr:GetAuthorizationToken, and "
    "sagemaker:AddTags only with sagemaker:TaggingAction CreateInferenceExperiment."
)


def _sagemaker_arn(scope: Construct, resource: str, name: str, account: str | None = None) -> str:
    return Stack.of(scope).format_arn(
        service="sagemaker", resource=resource, resource_name=name, account=account
    )


def _objects_anywhere(scope: Construct) -> str:
    return f"arn:{Stack.of(scope).partition}:s3:::*/*"


def _reads_objects(
    scope: Construct, sid: str, locations: list[str] | None, owners: list[str]
) -> iam.PolicyStatement:
    """s3:GetObject on the configured locations, else on any bucket the `owners` accounts own."""
    if locations:
        return iam.PolicyStatement(
            sid=sid, actions=["s3:GetObject"], resources=_s3_object_arns(scope, locations)
        )
    return iam.PolicyStatement(
        sid=sid,
        actions=["s3:GetObject"],
        resources=[_objects_anywhere(scope)],
        conditions={"StringEquals": {"s3:ResourceAccount": owners if len(owners) > 1 else owners[0]}},
    )


def _compiled_objects(scope: Construct) -> str:
    return f"arn:{Stack.of(scope).partition}:s3:::*/{COMPILED_PREFIX}*"


def _in_automation_account(plan: AccountPlan) -> dict[str, dict[str, str]]:
    return {"StringEquals": {"s3:ResourceAccount": str(plan.automation)}}


# --- the access role ---------------------------------------------------------------------------------
def registry_statements(
    scope: Construct, plan: AccountPlan, account: str, neo_role_arn: str
) -> list[iam.PolicyStatement]:
    """What Plan, Attach, the compile workflow and the compile watcher do in a registry account."""
    config = plan.config
    groups = plan.groups_in(account)
    prefix = config.group_name_prefix
    jobs = [_sagemaker_arn(scope, "compilation-job", f"{constants.COMPILATION_JOB_PREFIX}*")]
    statements = [
        iam.PolicyStatement(
            sid="ReadAndDecideVersions",
            actions=["sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"],
            resources=sagemaker_access.model_package_arns(scope, groups, prefix),
        ),
        _reads_objects(scope, "ReadEvaluationReports", config.evaluation_report_locations, [account]),
        iam.PolicyStatement(
            sid="CompileWithNeo",
            actions=[
                "sagemaker:CreateCompilationJob",
                "sagemaker:DescribeCompilationJob",
                "sagemaker:StopCompilationJob",
                # CreateCompilationJob carries Tags: AddTags is among its dependent actions.
                "sagemaker:AddTags",
            ],
            resources=jobs,
        ),
        iam.PolicyStatement(
            sid="ListCompilationJobs", actions=["sagemaker:ListCompilationJobs"], resources=["*"]
        ),
        sagemaker_access.pass_roles_to_sagemaker([neo_role_arn]),
        *model_keys.write_keys(config),
    ]
    if any(config.groups[g].approval.compare_to_approved for g in groups):
        statements.append(
            iam.PolicyStatement(sid="ListVersions", actions=["sagemaker:ListModelPackages"], resources=["*"])
        )
    return statements


def endpoint_statements(
    scope: Construct, plan: AccountPlan, account: str, shadow_role_arn: str
) -> list[iam.PolicyStatement]:
    """What ShadowStart and Roller do in an endpoint account."""
    config = plan.config
    prefix = constants.COMPILATION_JOB_PREFIX
    models = _sagemaker_arn(scope, "model", f"{prefix}*")
    experiments = _sagemaker_arn(scope, "inference-experiment", f"{prefix}*")
    endpoints = [
        _sagemaker_arn(scope, "endpoint", name)
        for name in sagemaker_access.endpoint_names(plan.endpoints_in(account), config.endpoint_name_prefix)
    ]
    statements = [
        iam.PolicyStatement(
            sid="RunShadowTests",
            actions=[
                "sagemaker:CreateInferenceExperiment",
                "sagemaker:DescribeInferenceExperiment",
                "sagemaker:UpdateInferenceExperiment",
                "sagemaker:StopInferenceExperiment",
            ],
            resources=[experiments],
        ),
        iam.PolicyStatement(
            sid="ListShadowTests",
            actions=["sagemaker:ListInferenceExperiments", "sagemaker:ListTags", "cloudwatch:GetMetricData"],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="TagNewShadowTests",
            actions=["sagemaker:AddTags"],
            resources=["*"],
            conditions={"StringEquals": {"sagemaker:TaggingAction": "CreateInferenceExperiment"}},
        ),
        iam.PolicyStatement(
            sid="CreateShadowModels",
            actions=["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:AddTags"],
            resources=[models],
        ),
        iam.PolicyStatement(
            sid="ReadProductionModels",
            actions=["sagemaker:DescribeModel"],
            resources=[_sagemaker_arn(scope, "model", "*")],
        ),
        iam.PolicyStatement(
            sid="ReadProductionEndpoints", actions=["sagemaker:DescribeEndpoint"], resources=endpoints
        ),
        iam.PolicyStatement(
            sid="ReadEndpointConfigs",
            actions=["sagemaker:DescribeEndpointConfig"],
            resources=[_sagemaker_arn(scope, "endpoint-config", "*")],
        ),
        sagemaker_access.pass_roles_to_sagemaker([shadow_role_arn]),
    ]
    # CreateModel from a version of another account's group (ModelPackageName): the caller's own policy
    # must allow reading the version too, beside the group's resource policy (IAM User Guide, "Cross-
    # account policy evaluation logic": both the identity-based and the resource-based policy must allow).
    versions = [
        arn
        for registry in sorted(
            {str(plan.config.registry_account(g)) for g in plan.endpoint_groups_in(account)} - {account}
        )
        for arn in sagemaker_access.model_package_arns(
            scope,
            [g for g in plan.endpoint_groups_in(account) if plan.config.registry_account(g) == registry],
            config.group_name_prefix,
            account=registry,
        )
    ]
    if versions:
        statements.append(
            iam.PolicyStatement(
                sid="ReadSharedVersions", actions=["sagemaker:DescribeModelPackage"], resources=versions
            )
        )
        statements += model_keys.read_keys(config)
    return statements


class AccessRole(Construct):
    """The role the automation stack's functions assume to act in this account."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        plan: AccountPlan,
        account: str,
        neo_role_arn: str | None,
        shadow_role_arn: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        statements: list[iam.PolicyStatement] = []
        if neo_role_arn is not None:
            statements += registry_statements(self, plan, account, neo_role_arn)
        if shadow_role_arn is not None:
            statements += endpoint_statements(self, plan, account, shadow_role_arn)
        trusted = automation_principal_pattern(stack.partition, str(plan.automation), plan.stack_name)
        self.role = iam.Role(
            self,
            "Role",
            role_name=plan.access_role_name(),
            path=ACCESS_ROLE_PATH,
            description=(
                f"Registry Autopilot ({plan.stack_name}): the automation account's functions act in this "
                "account with this role"
            ),
            assumed_by=iam.AccountPrincipal(plan.automation).with_conditions(
                {"ArnLike": {"aws:PrincipalArn": trusted}}
            ),
            inline_policies={"Permissions": iam.PolicyDocument(statements=statements)},
        )
        self.trusted_pattern = trusted
        resources = [r for s in statements for r in s.resources if r != "*"]
        acknowledge_wildcard_resources(self.role, resources, ACCESS_REASON)
        acknowledge(self.role, "AwsSolutions-IAM5[Resource::*]", UNSCOPABLE_REASON)


# --- the roles SageMaker assumes in the other account ------------------------------------------------
def _sagemaker_trust(account: str) -> iam.IPrincipal:
    """SageMaker, on behalf of this account only (SageMaker Developer Guide, "Cross-service confused
    deputy prevention": aws:SourceAccount)."""
    return iam.ServicePrincipal(
        sagemaker_access.SAGEMAKER_SERVICE, conditions={"StringEquals": {"aws:SourceAccount": account}}
    )


def neo_statements(scope: Construct, plan: AccountPlan, account: str) -> list[iam.PolicyStatement]:
    config = plan.config
    return [
        _reads_objects(scope, "ReadModelArtifacts", config.model_artifact_locations, [account]),
        iam.PolicyStatement(
            sid="DescribeWatchedVersions",
            actions=["sagemaker:DescribeModelPackage"],
            resources=sagemaker_access.model_package_arns(
                scope, plan.groups_in(account), config.group_name_prefix
            ),
        ),
        *model_keys.read_keys(config),
        iam.PolicyStatement(
            sid="WriteCompiledModels",
            actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
            resources=[_compiled_objects(scope)],
            conditions=_in_automation_account(plan),
        ),
        iam.PolicyStatement(
            sid="LocateCompiledModels",
            actions=["s3:ListBucket", "s3:GetBucketLocation"],
            resources=[f"arn:{Stack.of(scope).partition}:s3:::*"],
            conditions=_in_automation_account(plan),
        ),
        *_write_logs(scope, [COMPILATION_LOG_GROUP]),
        _put_metrics(),
    ]


def shadow_statements(scope: Construct, plan: AccountPlan, account: str) -> list[iam.PolicyStatement]:
    config = plan.config
    groups = plan.endpoint_groups_in(account)
    registries = sorted({str(config.registry_account(g)) for g in groups})
    endpoints = sagemaker_access.endpoint_names(plan.endpoints_in(account), config.endpoint_name_prefix)
    statements = [
        iam.PolicyStatement(
            sid="ReadCompiledModels",
            actions=["s3:GetObject"],
            resources=[_compiled_objects(scope)],
            conditions=_in_automation_account(plan),
        ),
        _reads_objects(scope, "ReadModelArtifacts", config.model_artifact_locations, registries),
        *_pull_serving_images(scope),
        *_write_logs(scope, [f"{ENDPOINT_LOG_GROUP_PREFIX}{name}" for name in endpoints]),
        _put_metrics(),
    ]
    captures = sorted(
        {
            shadow.data_capture.destination_s3_uri
            for g in groups
            if (shadow := config.groups[g].shadow) is not None and shadow.data_capture is not None
        }
    )
    if captures:
        statements.append(
            iam.PolicyStatement(
                sid="WriteDataCapture",
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=_s3_object_arns(scope, captures),
            )
        )
        keys = sorted(
            {
                shadow.data_capture.kms_key_arn
                for g in groups
                if (shadow := config.groups[g].shadow) is not None
                and shadow.data_capture is not None
                and shadow.data_capture.kms_key_arn
            }
        )
        if keys:
            statements.append(
                iam.PolicyStatement(
                    sid="EncryptDataCapture", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=keys
                )
            )
    return statements


def sagemaker_role(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    account: str,
    description: str,
    statements: list[iam.PolicyStatement],
) -> iam.Role:
    role = iam.Role(
        scope,
        construct_id,
        role_name=name,
        path=ACCESS_ROLE_PATH,
        assumed_by=_sagemaker_trust(account),
        description=description,
        inline_policies={"Permissions": iam.PolicyDocument(statements=statements)},
    )
    automation_bucket = {
        r
        for s in statements
        if s.sid in ("WriteCompiledModels", "LocateCompiledModels", "ReadCompiledModels")
        for r in s.resources
    }
    acknowledge_wildcard_resources(role, sorted(automation_bucket), AUTOMATION_BUCKET_REASON)
    others = [r for s in statements for r in s.resources if r != "*" and r not in automation_bucket]
    acknowledge_wildcard_resources(role, others, ACCESS_REASON)
    acknowledge(role, "AwsSolutions-IAM5[Resource::*]", NO_RESOURCE_LEVEL_REASON)
    return role


def role_arn(scope: Construct, account: str, name: str) -> str:
    return companion_role_arn(Stack.of(scope).partition, account, name)
