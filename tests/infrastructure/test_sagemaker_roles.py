"""The roles SageMaker assumes: owned by the stack by default, least privilege from the configuration;
a role the user brings gets the artifacts bucket's policy and nothing else.

AWS sources:
- SageMaker Developer Guide, "Cross-service confused deputy prevention"
  (https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html): "We
  recommend using the aws:SourceArn and aws:SourceAccount global condition keys ... Use
  aws:SourceAccount if you want to allow any resource in that account to be associated with the
  cross-service use."
- SageMaker API Reference, CreateCompilationJob, `RoleArn`: "During model compilation, Amazon SageMaker
  needs your permission to: Read input data from an S3 bucket; Write model artifacts to an S3 bucket;
  Write logs to Amazon CloudWatch Logs; Publish metrics to Amazon CloudWatch".
- SageMaker API Reference, CreateModel, `ExecutionRoleArn`: "The Amazon Resource Name (ARN) of the IAM
  role that SageMaker can assume to access model artifacts and docker image for deployment on ML compute
  instances". The shadow model is created with the experiment role, so that role reads what it serves.
"""

from __future__ import annotations

from typing import Any

import pytest

from registry_autopilot.models.config import AutopilotConfig
from tests.compile_fixtures import config_dict
from tests.infrastructure.synthesis import Synthesized

BROUGHT_COMPILE = "arn:aws:iam::123456789012:role/TeamNeoCompile"
BROUGHT_EXPERIMENT = "arn:aws:iam::123456789012:role/TeamShadowTests"


def roles_template(**overrides: Any) -> dict[str, Any]:
    """A stack holding only the artifacts bucket and the roles, for a configuration."""
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from infra.constructs.artifacts import CompiledArtifacts
    from infra.constructs.sagemaker_roles import SageMakerRoles

    config = AutopilotConfig.model_validate(config_dict() | overrides)
    stack = Stack(App(), "Roles")
    artifacts = CompiledArtifacts(stack, "CompiledArtifacts")
    SageMakerRoles(stack, "SageMakerRoles", config=config, artifacts=artifacts)
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


def sagemaker_roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
        and any(
            statement["Principal"].get("Service") == "sagemaker.amazonaws.com"
            for statement in resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        )
    }


def role(template: dict[str, Any], name: str) -> dict[str, Any]:
    (properties,) = [p for logical_id, p in sagemaker_roles(template).items() if logical_id.startswith(name)]
    return properties


def statements_by_sid(properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (policy,) = properties["Policies"]
    return {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}


def actions(statement: dict[str, Any]) -> set[str]:
    value = statement["Action"]
    return set(value if isinstance(value, list) else [value])


def text(value: Any) -> str:
    """An ARN with intrinsic references flattened (`<AWS::Region>`, `<Logical.Arn>`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(text(item) for item in value)
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    separator, parts = value["Fn::Join"]
    return str(separator).join(text(part) for part in parts)


@pytest.fixture(scope="module")
def owned() -> dict[str, Any]:
    return roles_template()


def test_given_no_role_arns_when_synthesized_then_both_roles_trust_only_sagemaker_for_this_account(
    owned: dict[str, Any],
) -> None:
    roles = sagemaker_roles(owned)

    assert len(roles) == 2
    for properties in roles.values():
        (statement,) = properties["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_given_the_owned_compile_role_then_it_reads_artifacts_describes_versions_and_writes_compiled_only(
    owned: dict[str, Any],
) -> None:
    statements = statements_by_sid(role(owned, "SageMakerRolesCompileRole"))

    assert {sid: actions(s) for sid, s in statements.items()} == {
        "ReadModelArtifacts": {"s3:GetObject"},
        "DescribeWatchedVersions": {"sagemaker:DescribeModelPackage"},
        "WriteCompiledModels": {"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"},
        "LocateCompiledModels": {"s3:ListBucket", "s3:GetBucketLocation"},
        "CreateLogGroup": {"logs:CreateLogGroup", "logs:DescribeLogStreams"},
        "WriteLogs": {"logs:CreateLogStream", "logs:PutLogEvents"},
        "PutMetrics": {"cloudwatch:PutMetricData"},
    }
    # Without modelArtifactLocations: buckets the stack's account owns, nothing else.
    assert statements["ReadModelArtifacts"]["Condition"] == {
        "StringEquals": {"s3:ResourceAccount": {"Ref": "AWS::AccountId"}}
    }
    assert text(statements["WriteCompiledModels"]["Resource"]).endswith("/compiled/*")
    assert text(statements["WriteLogs"]["Resource"]).endswith(
        "log-group:/aws/sagemaker/CompilationJobs:log-stream:*"
    )
    assert text(statements["DescribeWatchedVersions"]["Resource"]).count("model-package/") == 2


def test_given_the_owned_shadow_test_role_then_it_reads_serves_and_logs_and_calls_no_sagemaker_api(
    owned: dict[str, Any],
) -> None:
    statements = statements_by_sid(role(owned, "SageMakerRolesShadowTestRole"))

    assert {sid: actions(s) for sid, s in statements.items()} == {
        "ReadCompiledModels": {"s3:GetObject"},
        "ReadModelArtifacts": {"s3:GetObject"},
        "PullServingImages": {
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchCheckLayerAvailability",
        },
        "AuthorizeImagePulls": {"ecr:GetAuthorizationToken"},
        "CreateLogGroup": {"logs:CreateLogGroup", "logs:DescribeLogStreams"},
        "WriteLogs": {"logs:CreateLogStream", "logs:PutLogEvents"},
        "PutMetrics": {"cloudwatch:PutMetricData"},
    }
    assert text(statements["ReadCompiledModels"]["Resource"]).endswith("/compiled/*")
    assert "<CompiledArtifactsBucket" in text(statements["ReadCompiledModels"]["Resource"])
    assert text(statements["WriteLogs"]["Resource"]).endswith(
        "log-group:/aws/sagemaker/Endpoints/churn-prod:log-stream:*"
    )


def test_given_artifact_locations_and_data_capture_then_the_owned_roles_are_scoped_to_them() -> None:
    raw = config_dict()
    raw["groups"]["churn-xgboost"]["shadow"]["dataCapture"] = {
        "destinationS3Uri": "s3://capture-bucket/churn",
        "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    }
    template = roles_template(
        groups=raw["groups"], modelArtifactLocations=["s3://models-bucket/registry", "s3://other-models"]
    )
    compile_statements = statements_by_sid(role(template, "SageMakerRolesCompileRole"))
    shadow_statements = statements_by_sid(role(template, "SageMakerRolesShadowTestRole"))

    for statements in (compile_statements, shadow_statements):
        read = statements["ReadModelArtifacts"]
        assert "Condition" not in read
        assert text(read["Resource"]) == (
            "arn:<AWS::Partition>:s3:::models-bucket/registry*,arn:<AWS::Partition>:s3:::other-models/*"
        )
    assert text(shadow_statements["WriteDataCapture"]["Resource"]) == (
        "arn:<AWS::Partition>:s3:::capture-bucket/churn*"
    )
    assert actions(shadow_statements["EncryptDataCapture"]) == {"kms:GenerateDataKey", "kms:Decrypt"}


def bucket_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::S3::BucketPolicy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_given_brought_roles_then_the_stack_creates_none_and_the_bucket_policy_grants_them() -> None:
    template = roles_template(compileRoleArn=BROUGHT_COMPILE, experimentRoleArn=BROUGHT_EXPERIMENT)
    by_principal: dict[str, set[str]] = {}
    for statement in bucket_statements(template):
        principal = statement.get("Principal", {})
        if isinstance(principal, dict) and isinstance(principal.get("AWS"), str):
            by_principal.setdefault(principal["AWS"], set()).update(actions(statement))

    assert sagemaker_roles(template) == {}
    assert {"s3:PutObject", "s3:ListBucket"} <= by_principal[BROUGHT_COMPILE]
    # Issue 12, item 10: the shadow model runs with the experiment role and serves compiled artifacts.
    assert by_principal[BROUGHT_EXPERIMENT] == {"s3:GetObject"}


def test_given_owned_roles_then_the_bucket_policy_names_no_role(owned: dict[str, Any]) -> None:
    for statement in bucket_statements(owned):
        assert statement["Effect"] == "Deny" or "AWS" not in statement.get("Principal", {}), statement


def test_the_shadow_functions_pass_and_receive_the_role_in_use(synthesized: Synthesized) -> None:
    experiment_role = synthesized.template["Outputs"]["ExperimentRoleArn"]["Value"]
    shadow_functions = [
        resource["Properties"]
        for resource in synthesized.template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
        and resource["Properties"]["Handler"].split(".")[-2] in {"shadow_start", "roller"}
    ]

    assert len(shadow_functions) == 2
    for properties in shadow_functions:
        assert properties["Environment"]["Variables"]["EXPERIMENT_ROLE_ARN"] == experiment_role
    assert experiment_role == {"Fn::GetAtt": [experiment_role["Fn::GetAtt"][0], "Arn"]}


def documented_policies() -> list[dict[str, Any]]:
    """The JSON policy documents in docs/CONFIGURATION.md's "Roles" section."""
    import json
    import re

    from tests.compile_fixtures import REPO_ROOT

    section = (REPO_ROOT / "docs" / "CONFIGURATION.md").read_text().split("## Roles", 1)[1]
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, flags=re.DOTALL)]


def test_the_documented_role_policies_are_the_ones_the_stack_grants() -> None:
    raw = config_dict()
    raw["groups"]["churn-xgboost"]["shadow"]["dataCapture"] = {
        "destinationS3Uri": "s3://capture-bucket/churn",
        "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    }
    template = roles_template(groups=raw["groups"])
    trust, compile_policy, shadow_policy = documented_policies()

    (documented_trust,) = trust["Statement"]
    assert documented_trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert set(documented_trust["Condition"]["StringEquals"]) == {"aws:SourceAccount"}
    for name, documented in (
        ("SageMakerRolesCompileRole", compile_policy),
        ("SageMakerRolesShadowTestRole", shadow_policy),
    ):
        granted = {sid: actions(s) for sid, s in statements_by_sid(role(template, name)).items()}
        assert {s["Sid"]: actions(s) for s in documented["Statement"]} == granted
