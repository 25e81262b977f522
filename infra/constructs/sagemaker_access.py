"""IAM statements for SageMaker, scoped to the watched groups and to the jobs Registry Autopilot names.

SageMaker puts lower-cased resource names in some ARNs, so a group whose name has capitals is
granted under both spellings; nothing else is widened.

With `groupNamePrefix` the groups are granted by their naming convention (`model-package/<prefix>*`):
one ARN whatever the number of groups. That reaches groups the configuration does not list; the
functions act only on the configured ones (the use cases look each event's group up in the deployed
configuration and skip any other), and `doctor` explains the grant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from infra import constants
from infra.checks import acknowledge_wildcard_resources
from registry_autopilot.models.config import AutopilotConfig

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"


def _spellings(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(spelling for name in sorted(names) for spelling in (name, name.lower())))


def _arn(scope: IConstruct, resource: str, name: str, account: str | None = None) -> str:
    """A SageMaker ARN in the stack's account, or in `account` (a registry or endpoint account)."""
    return Stack.of(scope).format_arn(
        service="sagemaker", resource=resource, resource_name=name, account=account
    )


def model_package_arns(
    scope: IConstruct, groups: Iterable[str], prefix: str | None = None, account: str | None = None
) -> list[str]:
    """Every version of the watched groups: `model-package/<group>/*`, or `model-package/<prefix>*`
    when the groups are watched by their name prefix (in `account`, default the stack's)."""
    if prefix is not None:
        return [_arn(scope, "model-package", f"{spelling}*", account) for spelling in _spellings([prefix])]
    return [_arn(scope, "model-package", f"{group}/*", account) for group in _spellings(groups)]


def model_package_group_arns(
    scope: IConstruct, groups: Iterable[str], prefix: str | None = None, account: str | None = None
) -> list[str]:
    """The groups themselves: `model-package-group/<group>`, or `model-package-group/<prefix>*`."""
    if prefix is not None:
        return [
            _arn(scope, "model-package-group", f"{spelling}*", account) for spelling in _spellings([prefix])
        ]
    return [_arn(scope, "model-package-group", group, account) for group in _spellings(groups)]


def endpoint_names(names: Iterable[str], prefix: str | None = None) -> list[str]:
    """The production endpoints as resource names: each name (both spellings), or `<prefix>*`."""
    if prefix is not None:
        return [f"{spelling}*" for spelling in _spellings([prefix])]
    return _spellings(names)


def compilation_job_arns(scope: IConstruct) -> list[str]:
    return [_arn(scope, "compilation-job", f"{constants.COMPILATION_JOB_PREFIX}*")]


def local_groups(config: AutopilotConfig) -> list[str]:
    """The watched groups in the automation account (all of them in one account): the only ones whose
    versions the stack's own roles act on; another account's versions are reached through its access
    role (docs/ACCOUNTS.md)."""
    return sorted(g for g in config.groups if config.registry_account(g) in (None, config.account))


def watches_locally(config: AutopilotConfig, groups: list[str]) -> bool:
    """Whether the stack's own roles act on versions in the automation account: some of `groups` are
    there, or groups are watched by name prefix (groupDefaults' groups are always there)."""
    return bool(groups) or config.group_name_prefix is not None


def read_model_packages(
    scope: IConstruct, groups: Iterable[str], prefix: str | None = None, account: str | None = None
) -> iam.PolicyStatement:
    """DescribeModelPackage on the watched groups' versions (its only resource type: model-package)."""
    return iam.PolicyStatement(
        actions=["sagemaker:DescribeModelPackage"],
        resources=model_package_arns(scope, groups, prefix, account),
    )


def update_model_packages(
    scope: IConstruct, groups: Iterable[str], prefix: str | None = None
) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        actions=["sagemaker:UpdateModelPackage"], resources=model_package_arns(scope, groups, prefix)
    )


def watch_compilation_jobs(scope: IConstruct) -> list[iam.PolicyStatement]:
    """The compile watcher: list the jobs in flight (ListCompilationJobs has no resource type), read
    each ended job once, stop one still running at its deadline (both on our name prefix)."""
    return [
        iam.PolicyStatement(actions=["sagemaker:ListCompilationJobs"], resources=["*"]),
        iam.PolicyStatement(
            actions=["sagemaker:DescribeCompilationJob", "sagemaker:StopCompilationJob"],
            resources=compilation_job_arns(scope),
        ),
    ]


def compile_job_companions(scope: IConstruct) -> iam.PolicyStatement:
    """What the compile workflow needs beside the actions its SDK tasks name (prefix-scoped):
    `sagemaker:AddTags`, because CreateCompilationJob carries Tags (the Service Authorization
    Reference lists AddTags among CreateCompilationJob's dependent actions)."""
    return iam.PolicyStatement(actions=["sagemaker:AddTags"], resources=compilation_job_arns(scope))


def pass_roles_to_sagemaker(role_arns: Sequence[str]) -> iam.PolicyStatement:
    """`iam:PassRole` on exactly these roles, and only towards SageMaker."""
    return iam.PolicyStatement(
        actions=["iam:PassRole"],
        resources=list(role_arns),
        conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
    )


# Grants on '*' for actions the reference does list resource types for, each with its reason; the
# IAM reference test (tests/infrastructure/test_oracles.py) accepts '*' only for these.
WILDCARD_GRANTS = {
    "sagemaker:ListTags": "lists no inference-experiment resource type: only '*' matches an experiment",
    "sagemaker:ListModelPackages": (
        "names no version in its request; only granted when a group sets compareToApproved"
    ),
    "sagemaker:AddTags": "lists no inference-experiment resource type; limited by sagemaker:TaggingAction",
}
# Of those, the grants only some configurations make.
CONFIGURATION_DEPENDENT_WILDCARDS = {"sagemaker:ListModelPackages"}

SCOPED_WILDCARD_REASON = (
    "Scoped to the watched groups' versions (model-package/<group>/*, or model-package/<groupNamePrefix>* "
    "when groups are watched by name prefix, the functions acting only on configured groups) or to "
    "compilation jobs carrying Registry Autopilot's name prefix: version numbers and job suffixes only "
    "exist at run time."
)


def acknowledge_scoped_wildcards(construct: IConstruct, *statements: iam.PolicyStatement) -> None:
    """Acknowledge AwsSolutions-IAM5 for the group- and prefix-scoped ARNs these statements use."""
    for statement in statements:
        acknowledge_wildcard_resources(construct, statement.resources, SCOPED_WILDCARD_REASON)


def allow(function: lambda_.Function, *statements: iam.PolicyStatement) -> None:
    """Add the statements to the function's role, acknowledging their scoped wildcards there."""
    for statement in statements:
        function.add_to_role_policy(statement)
    if function.role is not None:
        acknowledge_scoped_wildcards(function.role, *statements)
