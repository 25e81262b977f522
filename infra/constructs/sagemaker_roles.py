"""The two roles SageMaker assumes for Registry Autopilot: Neo's compile role and the shadow-test role.

By default the stack owns both. Each is trusted by `sagemaker.amazonaws.com` only, and only for
requests made on behalf of this account (`aws:SourceAccount`; SageMaker Developer Guide,
"Cross-service confused deputy prevention": "We recommend using the aws:SourceArn and
aws:SourceAccount global condition keys ... Use aws:SourceAccount if you want to allow any resource
in that account to be associated with the cross-service use."). Their permissions come from the
configuration:

- compile role (CreateCompilationJob `RoleArn`: "During model compilation, Amazon SageMaker needs
  your permission to: Read input data from an S3 bucket; Write model artifacts to an S3 bucket; Write
  logs to Amazon CloudWatch Logs; Publish metrics to Amazon CloudWatch"): read the watched groups'
  model artifacts (`modelArtifactLocations`, else buckets the account owns), describe the watched
  groups' versions (the job is created from `ModelPackageVersionArn`), write under the compiled
  prefix of the artifacts bucket, its own log group, metrics;
- shadow-test role (CreateInferenceExperiment `RoleArn`: "The ARN of the IAM role that Amazon
  SageMaker can assume to access model artifacts and container images, and manage Amazon SageMaker
  Inference endpoints for model deployment"; it is also the shadow model's `ExecutionRoleArn`): read
  the compiled artifacts and the model artifacts it serves, pull serving images, write the
  endpoints' logs and metrics, write data capture where a group configures it, and nothing else. The
  API reference names "manage ... endpoints" without listing actions; no page we found does, so none
  are granted (docs/FIDELITY.md, "Where the documentation is silent").

`compileRoleArn` / `experimentRoleArn` replace a role with the user's own; the stack then grants
that role what only the stack can grant (the artifacts bucket's policy) and nothing else.
`compile_role_arn` and `experiment_role_arn` are the one place every other construct reads the role
in use from (iam:PassRole grants, the workflow's `RoleArn`, the functions' environment).
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.checks import acknowledge, acknowledge_wildcard_resources
from infra.constructs import model_keys, sagemaker_access
from infra.constructs.artifacts import COMPILED_PREFIX, CompiledArtifacts
from registry_autopilot.models.config import AutopilotConfig

COMPILATION_LOG_GROUP = "/aws/sagemaker/CompilationJobs"
ENDPOINT_LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"

NO_RESOURCE_LEVEL_REASON = (
    "cloudwatch:PutMetricData and ecr:GetAuthorizationToken support no resource-level permissions "
    "(Service Authorization Reference)."
)
ARTIFACTS_REASON = (
    "Model artifacts and data capture live under S3 prefixes whose object keys exist only at run time; "
    "without modelArtifactLocations the read is limited to buckets the stack's account owns "
    "(s3:ResourceAccount). Serving images come from the versions (AWS-owned or your repositories), so "
    "image pulls are limited to the stack's region. Log groups are SageMaker's own names."
)


def _s3_object_arns(scope: Construct, locations: Iterable[str]) -> list[str]:
    """`s3://bucket` -> every object in it; `s3://bucket/prefix` -> the objects under the prefix."""
    partition = Stack.of(scope).partition
    arns = []
    for location in locations:
        path = location.removeprefix("s3://")
        arns.append(f"arn:{partition}:s3:::{path}{'*' if '/' in path else '/*'}")
    return arns


def read_model_artifacts(
    scope: Construct, config: AutopilotConfig, other_owners: Iterable[str] = ()
) -> iam.PolicyStatement:
    """s3:GetObject on `modelArtifactLocations`, or on any bucket the stack's account (or one of
    `other_owners`: registry accounts whose versions this account serves) owns."""
    stack = Stack.of(scope)
    owners = sorted(set(other_owners))
    if config.model_artifact_locations:
        return iam.PolicyStatement(
            sid="ReadModelArtifacts",
            actions=["s3:GetObject"],
            resources=_s3_object_arns(scope, config.model_artifact_locations),
        )
    return iam.PolicyStatement(
        sid="ReadModelArtifacts",
        actions=["s3:GetObject"],
        resources=[f"arn:{stack.partition}:s3:::*/*"],
        conditions={
            "StringEquals": {"s3:ResourceAccount": [stack.account, *owners] if owners else stack.account}
        },
    )


def _log_arns(scope: Construct, names: Iterable[str], suffix: str | None) -> list[str]:
    stack = Stack.of(scope)
    return [
        stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=name if suffix is None else f"{name}:{suffix}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        for name in names
    ]


def _write_logs(scope: Construct, names: Iterable[str]) -> list[iam.PolicyStatement]:
    r"""The log group and its streams. Service Authorization Reference (Amazon CloudWatch Logs): the
    `log-group` resource is `arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}`, the
    one CreateLogGroup and DescribeLogStreams act on, so they are granted on `log-group:NAME` (a log group
    name cannot hold ':', CreateLogGroup: "Pattern: [.\-_/#A-Za-z0-9]+", so `log-group:NAME:*` would never
    match); CreateLogStream and PutLogEvents act on `log-stream`
    (`log-group:${LogGroupName}:log-stream:${LogStreamName}`)."""
    names = list(names)
    return [
        iam.PolicyStatement(
            sid="CreateLogGroup",
            actions=["logs:CreateLogGroup", "logs:DescribeLogStreams"],
            resources=_log_arns(scope, names, None),
        ),
        iam.PolicyStatement(
            sid="WriteLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=_log_arns(scope, names, "log-stream:*"),
        ),
    ]


def _pull_serving_images(scope: Construct) -> list[iam.PolicyStatement]:
    """What a shadow model's role needs to pull its serving image (any repository of the region: the
    images are SageMaker's, Neo's or the user's)."""
    stack = Stack.of(scope)
    return [
        iam.PolicyStatement(
            sid="PullServingImages",
            actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            resources=[f"arn:{stack.partition}:ecr:{stack.region}:*:repository/*"],
        ),
        iam.PolicyStatement(
            sid="AuthorizeImagePulls", actions=["ecr:GetAuthorizationToken"], resources=["*"]
        ),
    ]


def _put_metrics() -> iam.PolicyStatement:
    return iam.PolicyStatement(sid="PutMetrics", actions=["cloudwatch:PutMetricData"], resources=["*"])


def _sagemaker_trust(scope: Construct) -> iam.IPrincipal:
    return iam.ServicePrincipal(
        sagemaker_access.SAGEMAKER_SERVICE,
        conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}},
    )


def compile_role_statements(
    scope: Construct, config: AutopilotConfig, artifacts: CompiledArtifacts
) -> list[iam.PolicyStatement]:
    bucket = artifacts.bucket
    groups = sagemaker_access.local_groups(config)
    versions = (
        [
            iam.PolicyStatement(
                sid="DescribeWatchedVersions",
                actions=["sagemaker:DescribeModelPackage"],
                resources=sagemaker_access.model_package_arns(scope, groups, config.group_name_prefix),
            )
        ]
        if sagemaker_access.watches_locally(config, groups)
        else []
    )
    return [
        read_model_artifacts(scope, config),
        *versions,
        *model_keys.read_keys(config),  # Neo reads the version it compiles (ModelPackageVersionArn)
        iam.PolicyStatement(
            sid="WriteCompiledModels",
            actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
            resources=[bucket.arn_for_objects(f"{COMPILED_PREFIX}*")],
        ),
        iam.PolicyStatement(
            sid="LocateCompiledModels",
            actions=["s3:ListBucket", "s3:GetBucketLocation"],
            resources=[bucket.bucket_arn],
        ),
        *_write_logs(scope, [COMPILATION_LOG_GROUP]),
        _put_metrics(),
    ]


def _endpoint_spellings(config: AutopilotConfig) -> list[str]:
    names = sorted({group.shadow.endpoint_name for group in config.groups.values() if group.shadow})
    # SageMaker puts lower-cased names in endpoint ARNs; a name with capitals is granted both ways.
    # With endpointNamePrefix, `<prefix>*`: one log group pattern whatever the number of endpoints.
    return sagemaker_access.endpoint_names(names, config.endpoint_name_prefix)


def _registries_served_here(config: AutopilotConfig) -> list[str]:
    """Other accounts whose groups' shadow tests run on the automation account's endpoints."""
    return sorted(
        {
            registry
            for group, settings in config.groups.items()
            if settings.shadow is not None
            and (registry := config.registry_account(group)) is not None
            and registry != config.account
            and config.endpoint_account(group) == config.account
        }
    )


def experiment_role_statements(
    scope: Construct, config: AutopilotConfig, artifacts: CompiledArtifacts
) -> list[iam.PolicyStatement]:
    endpoints = _endpoint_spellings(config)
    statements = [
        iam.PolicyStatement(
            sid="ReadCompiledModels",
            actions=["s3:GetObject"],
            resources=[artifacts.bucket.arn_for_objects(f"{COMPILED_PREFIX}*")],
        ),
        read_model_artifacts(scope, config, _registries_served_here(config)),
        *_pull_serving_images(scope),
        *_write_logs(scope, [f"{ENDPOINT_LOG_GROUP_PREFIX}{name}" for name in endpoints]),
        _put_metrics(),
    ]
    captures = [
        group.shadow.data_capture
        for group in config.groups.values()
        if group.shadow is not None and group.shadow.data_capture is not None
    ]
    if captures:
        statements.append(
            iam.PolicyStatement(
                sid="WriteDataCapture",
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=_s3_object_arns(scope, sorted({c.destination_s3_uri for c in captures})),
            )
        )
        keys = sorted({c.kms_key_arn for c in captures if c.kms_key_arn})
        if keys:
            statements.append(
                iam.PolicyStatement(
                    sid="EncryptDataCapture",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=keys,
                )
            )
    return statements


class SageMakerRoles(Construct):
    """The compile role and (when a group configures `shadow`) the shadow-test role in use."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AutopilotConfig, artifacts: CompiledArtifacts
    ) -> None:
        super().__init__(scope, construct_id)
        self.owned_compile_role: iam.Role | None = None
        self.owned_experiment_role: iam.Role | None = None

        if config.compile_role_arn is None:
            self.owned_compile_role = self._owned_role(
                "CompileRole",
                "Registry Autopilot: SageMaker Neo compiles the watched groups' versions with this role",
                compile_role_statements(self, config, artifacts),
            )
            self.compile_role_arn: str = self.owned_compile_role.role_arn
        else:
            self.compile_role_arn = config.compile_role_arn
            self._grant_bucket_to_brought_compile_role(artifacts, config.compile_role_arn)

        shadowed = any(group.shadow is not None for group in config.groups.values())
        self.experiment_role_arn: str | None = None
        if config.experiment_role_arn is not None:
            self.experiment_role_arn = config.experiment_role_arn
            self._grant_bucket_to_brought_experiment_role(artifacts, config.experiment_role_arn)
        elif shadowed:
            self.owned_experiment_role = self._owned_role(
                "ShadowTestRole",
                "Registry Autopilot: SageMaker runs shadow models and inference experiments with this role",
                experiment_role_statements(self, config, artifacts),
            )
            self.experiment_role_arn = self.owned_experiment_role.role_arn

    def _owned_role(
        self, construct_id: str, description: str, statements: list[iam.PolicyStatement]
    ) -> iam.Role:
        role = iam.Role(
            self,
            construct_id,
            assumed_by=_sagemaker_trust(self),
            description=description,
            inline_policies={"Permissions": iam.PolicyDocument(statements=statements)},
        )
        wildcards = [resource for statement in statements for resource in statement.resources]
        acknowledge_wildcard_resources(role, [r for r in wildcards if r != "*"], ARTIFACTS_REASON)
        acknowledge_wildcard_resources(
            role,
            [
                r
                for statement in statements
                if statement.sid == "DescribeWatchedVersions"
                for r in statement.resources
            ],
            sagemaker_access.SCOPED_WILDCARD_REASON,
        )
        if "*" in wildcards:
            acknowledge(role, "AwsSolutions-IAM5[Resource::*]", NO_RESOURCE_LEVEL_REASON)
        return role

    @staticmethod
    def _grant_bucket_to_brought_compile_role(artifacts: CompiledArtifacts, role_arn: str) -> None:
        """A role the stack does not own cannot get an identity-policy grant from it (the import is
        immutable); the bucket policy grants the write, which is enough within one account."""
        principal = iam.ArnPrincipal(role_arn)
        artifacts.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NeoWritesCompiledModels",
                principals=[principal],
                actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
                resources=[artifacts.bucket.arn_for_objects(f"{COMPILED_PREFIX}*")],
            )
        )
        artifacts.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NeoListsCompiledModels",
                principals=[principal],
                actions=["s3:ListBucket", "s3:GetBucketLocation"],
                resources=[artifacts.bucket.bucket_arn],
            )
        )

    @staticmethod
    def _grant_bucket_to_brought_experiment_role(artifacts: CompiledArtifacts, role_arn: str) -> None:
        """The shadow model runs with the experiment role and serves a compiled artifact from the bucket."""
        artifacts.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ShadowModelsReadCompiledModels",
                principals=[iam.ArnPrincipal(role_arn)],
                actions=["s3:GetObject"],
                resources=[artifacts.bucket.arn_for_objects(f"{COMPILED_PREFIX}*")],
            )
        )
