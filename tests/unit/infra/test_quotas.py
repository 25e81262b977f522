"""infra/quotas.py measures a template the way CloudFormation's quotas count it: IAM sizes without
whitespace, each intrinsic function replaced by the longest value it can stand for (an upper bound),
inline policies summed per role, managed policies counted per role."""

from __future__ import annotations

import json
from typing import Any

from infra import quotas


def policy(*resources: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": list(resources)}],
    }


def template(**resources: Any) -> dict[str, Any]:
    return {"Resources": resources}


def by_quota(tpl: dict[str, Any], quota: str) -> dict[str, int]:
    return {m.subject: m.value for m in quotas.measures(tpl, 0) if m.quota.startswith(quota)}


def test_a_joined_arn_is_measured_at_the_longest_partition_region_and_account() -> None:
    parts = [
        "arn:",
        {"Ref": "AWS::Partition"},
        ":s3:",
        {"Ref": "AWS::Region"},
        ":",
        {"Ref": "AWS::AccountId"},
    ]
    arn = {"Fn::Join": ["", [*parts, ":x"]]}

    assert quotas._rendered(arn) == "arn:aws-us-gov:s3:ap-southeast-7:123456789012:x"


def test_whitespace_is_not_counted() -> None:
    document = policy("arn:aws:s3:::b/*")

    assert quotas.compact_length(document) == len(json.dumps(document, separators=(",", ":")))
    assert quotas.compact_length(document) < len(json.dumps(document, indent=2))


def test_a_role_s_inline_policies_are_summed_across_its_policy_resources() -> None:
    one, two = policy("arn:aws:s3:::a/*"), policy("arn:aws:s3:::b/*")
    tpl = template(
        Role={
            "Type": "AWS::IAM::Role",
            "Properties": {"Policies": [{"PolicyName": "p", "PolicyDocument": one}]},
        },
        Extra={"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": two, "Roles": [{"Ref": "Role"}]}},
    )

    assert by_quota(tpl, "IAM role inline policies") == {
        "Role": quotas.compact_length(one) + quotas.compact_length(two)
    }


def test_managed_policies_are_sized_each_and_counted_per_role() -> None:
    tpl = template(
        Role={"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/X"]}},
        **{
            f"Managed{index}": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "PolicyDocument": policy(f"arn:aws:s3:::{index}/*"),
                    "Roles": [{"Ref": "Role"}],
                },
            }
            for index in range(10)
        },
    )

    assert by_quota(tpl, "IAM managed policies attached") == {"Role": 11}
    assert len(by_quota(tpl, "IAM managed policy size")) == 10
    assert quotas.template_problems(tpl, 100) == [
        "IAM managed policies attached to a role: Role is 11 for a quota of 10"
    ]


def test_a_pattern_one_character_over_the_quota_is_refused_and_one_at_it_is_not() -> None:
    def rule(length: int) -> dict[str, Any]:
        filler = "x" * (length - len(json.dumps({"source": [""]}, separators=(",", ":"))))
        return template(
            Rule={"Type": "AWS::Events::Rule", "Properties": {"EventPattern": {"source": [filler]}}}
        )

    assert quotas.template_problems(rule(quotas.EVENT_PATTERN_CHARS), 100) == []
    assert quotas.template_problems(rule(quotas.EVENT_PATTERN_CHARS + 1), 100) == [
        "EventBridge event pattern size (characters): Rule is 2,049 for a quota of 2,048"
    ]


def test_the_template_s_bytes_and_resources_are_held_to_their_quotas() -> None:
    tpl = template(**{f"Queue{index}": {"Type": "AWS::SQS::Queue"} for index in range(501)})

    assert quotas.template_problems(tpl, 1_000_001) == [
        "CloudFormation template body size (bytes): template is 1,000,001 for a quota of 1,000,000",
        "CloudFormation resources per stack: template is 501 for a quota of 500",
    ]
