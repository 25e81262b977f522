"""iam:SimulatePrincipalPolicy on the local backend (moto has none; ours runs on moto's evaluator).

IAM API Reference, EvaluationResult (https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html):
"EvalDecision: The result of the simulation. Valid Values: allowed | explicitDeny | implicitDeny" and
"even if multiple statements allow the operation on the resource, if only one statement denies that
operation, then the explicit deny overrides any allow. In addition, the deny statement is the only
entry included in the result."
IAM API Reference, SimulatePrincipalPolicy
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html): "CallerArn is
required if you include a ResourcePolicy and the PolicySourceArn is not the ARN for an IAM user" and
"You can specify only the ARN of an IAM user."
EvaluationResult.MissingContextValues: "This list is used when the resource in a simulation is "*",
either explicitly, or when the ResourceArns parameter blank. If you include a list of resources, then
any missing context values are instead included under the ResourceSpecificResults section. To discover
the context keys used by a set of policies, you can call GetContextKeysForCustomPolicy or
GetContextKeysForPrincipalPolicy."
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
MODEL = "arn:aws:s3:::models/churn/model.tar.gz"
SECRET = "arn:aws:s3:::models/secret/model.tar.gz"


@pytest.fixture
def role(local_backend: LocalBackend) -> tuple[Any, str]:
    iam = local_backend.client("iam")
    arn = iam.create_role(RoleName="Neo", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    statements = [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::models/*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::models/secret/*"},
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
        },
    ]
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    iam.put_role_policy(RoleName="Neo", PolicyName="models", PolicyDocument=document)
    return iam, arn


def decisions(iam: Any, arn: str, actions: list[str], resources: list[str], **extra: Any) -> list[str]:
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=actions, ResourceArns=resources, **extra
    )["EvaluationResults"]
    return [result["EvalDecision"] for result in results]


def test_given_an_allow_on_the_prefix_when_simulated_then_the_action_is_allowed(
    role: tuple[Any, str],
) -> None:
    iam, arn = role

    assert decisions(iam, arn, ["s3:GetObject"], [MODEL]) == ["allowed"]


def test_given_an_allow_and_a_deny_when_simulated_then_the_explicit_deny_wins_and_is_the_only_match(
    role: tuple[Any, str],
) -> None:
    iam, arn = role

    result = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:GetObject"], ResourceArns=[SECRET]
    )

    (only,) = result["EvaluationResults"]
    assert only["EvalDecision"] == "explicitDeny"
    assert only["MatchedStatements"] == [{"SourcePolicyId": "models", "SourcePolicyType": "role"}]


def test_given_no_statement_for_the_action_when_simulated_then_it_is_an_implicit_deny(
    role: tuple[Any, str],
) -> None:
    iam, arn = role

    assert decisions(iam, arn, ["s3:DeleteObject"], [MODEL]) == ["implicitDeny"]


def test_each_action_is_evaluated_for_each_resource(role: tuple[Any, str]) -> None:
    iam, arn = role

    found = decisions(iam, arn, ["s3:GetObject", "S3:GETOBJECT"], [MODEL, SECRET])

    assert found == ["allowed", "explicitDeny", "allowed", "explicitDeny"]


def test_given_a_conditional_allow_when_the_context_key_is_missing_then_it_does_not_apply_and_is_listed(
    role: tuple[Any, str],
) -> None:
    iam, arn = role

    (result,) = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:PutObject"], ResourceArns=[MODEL]
    )["EvaluationResults"]
    given = decisions(
        iam,
        arn,
        ["s3:PutObject"],
        [MODEL],
        ContextEntries=[
            {
                "ContextKeyName": "aws:RequestedRegion",
                "ContextKeyValues": ["eu-west-1"],
                "ContextKeyType": "string",
            }
        ],
    )

    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == []
    assert result["ResourceSpecificResults"][0]["MissingContextValues"] == ["aws:RequestedRegion"]
    assert given == ["allowed"]


def test_without_resource_arns_the_missing_context_values_are_on_the_evaluation_result(
    role: tuple[Any, str],
) -> None:
    iam, arn = role

    (result,) = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:PutObject"])[
        "EvaluationResults"
    ]

    assert result["MissingContextValues"] == ["aws:RequestedRegion"]
    assert "ResourceSpecificResults" not in result


def test_get_context_keys_for_principal_policy_lists_the_keys_the_roles_conditions_test(
    role: tuple[Any, str],
) -> None:
    iam, arn = role

    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]

    assert keys == ["aws:RequestedRegion"]


def test_a_role_with_a_resource_policy_and_no_user_caller_is_refused(role: tuple[Any, str]) -> None:
    iam, arn = role

    with pytest.raises(ClientError) as raised:
        iam.simulate_principal_policy(
            PolicySourceArn=arn, ActionNames=["s3:GetObject"], ResourcePolicy=json.dumps({"Statement": []})
        )

    assert raised.value.response["Error"]["Code"] == "InvalidInput"


def test_an_unknown_role_answers_no_such_entity(local_backend: LocalBackend) -> None:
    iam = local_backend.client("iam")

    with pytest.raises(ClientError) as raised:
        iam.simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::123456789012:role/Missing", ActionNames=["s3:GetObject"]
        )

    assert raised.value.response["Error"]["Code"] == "NoSuchEntity"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
