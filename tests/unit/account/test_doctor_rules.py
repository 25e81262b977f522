"""The pure rules doctor applies to what it reads: trust policies, bucket-policy grants, image ARNs.

IAM User Guide, "Policy evaluation for requests within a single account"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html):
"An explicit deny in any of the policies overrides the allow." and "If either the identity-based
policy or the resource-based policy within the same account allows the request and the other
doesn't, the request is still allowed." A bucket policy grants a role by naming it in `Principal.AWS`.
ECR: a repository's ARN is `arn:aws:ecr:<region>:<account>:repository/<name>` (Service Authorization
Reference, Amazon ECR, resource type `repository`), and an image URI is
`<account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag>`.
"""

from __future__ import annotations

import json

import pytest

from autopilot.account.doctor import _ecr_repository_arn, bucket_policy_grant, trusts_sagemaker

ROLE = "arn:aws:iam::111122223333:role/Neo"
OBJECT = "arn:aws:s3:::artifacts/compiled/churn/1/ml-c5/model.tar.gz"


def policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_a_trust_policy_for_sagemaker_is_recognized_in_either_form() -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": ["sagemaker.amazonaws.com"]},
        "Action": "sts:AssumeRole",
    }

    assert trusts_sagemaker({"Statement": [statement]})
    assert trusts_sagemaker(json.dumps({"Statement": statement}))  # a single statement, as a string


def test_a_trust_policy_for_another_service_or_a_deny_is_not_trust() -> None:
    lambda_only = {
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    denied = {
        "Effect": "Deny",
        "Principal": {"Service": "sagemaker.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }

    assert not trusts_sagemaker({"Statement": [lambda_only]})
    assert not trusts_sagemaker({"Statement": [denied]})


def test_a_bucket_policy_naming_the_role_grants_the_action_on_the_prefix() -> None:
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": ROLE},
        "Action": ["s3:PutObject"],
        "Resource": "arn:aws:s3:::artifacts/compiled/*",
    }

    assert bucket_policy_grant(policy(grant), ROLE, "s3:PutObject", OBJECT) == "allowed"
    assert bucket_policy_grant(policy(grant), ROLE, "s3:DeleteObject", OBJECT) is None
    assert (
        bucket_policy_grant(policy(grant), "arn:aws:iam::111122223333:role/Other", "s3:PutObject", OBJECT)
        is None
    )


def test_an_unconditional_deny_in_the_bucket_policy_wins() -> None:
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": ROLE},
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::artifacts/*",
    }
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::artifacts/compiled/*",
    }

    assert bucket_policy_grant(policy(grant, deny), ROLE, "s3:PutObject", OBJECT) == "explicitDeny"


def test_a_deny_on_insecure_transport_does_not_count_against_the_grant() -> None:
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": ROLE},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::artifacts/*",
    }
    tls = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::artifacts/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }

    assert bucket_policy_grant(policy(tls, grant), ROLE, "s3:PutObject", OBJECT) == "allowed"


@pytest.mark.parametrize(
    ("image", "arn"),
    [
        (
            "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.0.1-cpu-py310",
            "arn:aws:ecr:eu-west-1:763104351884:repository/pytorch-inference",
        ),
        (
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/team/model@sha256:abc",
            "arn:aws:ecr:us-east-1:111122223333:repository/team/model",
        ),
        ("docker.io/library/nginx:latest", None),
    ],
)
def test_an_image_uri_names_its_ecr_repository(image: str, arn: str | None) -> None:
    assert _ecr_repository_arn(image) == arn
