"""Quotas CloudFormation enforces at deploy time and `cdk synth` does not, checked on the template.

`app.py` runs `template_problems` on the synthesized template and refuses it with one line per broken
quota; `tests/infrastructure/test_quotas.py` synthesizes 500 groups and asserts every quota with the
documentation quoted. Where a page says "1 MB" without saying 10^6 or 2^20 bytes, the smaller reading
is taken (docs/FIDELITY.md).

Sizes are measured on the template as CloudFormation receives it, with intrinsic functions replaced by
the longest value they can stand for (`_rendered`), and IAM sizes without whitespace ("IAM doesn't
count white space when calculating the size of a policy", IAM User Guide, IAM and AWS STS quotas).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.config import ConfigError

# EventBridge quotas: "Event pattern size | 2,048 | Adjustable | Maximum event pattern size, in characters."
EVENT_PATTERN_CHARS = 2_048
# IAM and AWS STS quotas: "Role policy size cannot exceed 10,240 characters" (all inline policies of a
# role together), "Managed policy size cannot exceed 6,144 characters", "Managed policies attached to an
# IAM role: 10" (default; adjustable to 20).
ROLE_INLINE_POLICY_CHARS = 10_240
MANAGED_POLICY_CHARS = 6_144
MANAGED_POLICIES_PER_ROLE = 10
# CloudFormation quotas: "Template body size in an Amazon S3 object: 1 MB"; "Resources: Maximum number
# of resources that you can declare in your CloudFormation template: 500".
TEMPLATE_BYTES = 1_000_000
RESOURCES = 500
# Step Functions service quotas: "Maximum size of state machine definition: 1 MB (hard quota)".
STATE_MACHINE_DEFINITION_BYTES = 1_000_000
# The resource policies a multi-account configuration writes (docs/ACCOUNTS.md):
# Amazon S3 User Guide, "Bucket policies and user policies": "Bucket policies are limited to 20 KB in size."
BUCKET_POLICY_BYTES = 20_000
# EventBridge quotas: "Event bus policy size | 10,240 | Adjustable | Maximum policy size, in characters. This
# policy size increases each time you grant access to another account." (ours is one statement of it).
EVENT_BUS_POLICY_CHARS = 10_240
# SageMaker API Reference, PutModelPackageGroupPolicy: "ResourcePolicy ... Maximum length of 20480."
MODEL_PACKAGE_GROUP_POLICY_CHARS = 20_480

# The longest value each pseudo parameter can take (partitions: aws-us-gov; regions: 14 characters).
_PSEUDO = {
    "AWS::Partition": "aws-us-gov",
    "AWS::Region": "ap-southeast-7",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com.cn",
    "AWS::StackName": "S" * 128,
    "AWS::StackId": "arn:aws-us-gov:cloudformation:ap-southeast-7:123456789012:stack/"
    + "S" * 128
    + "/"
    + "0" * 36,
}
# A resource's Ref (a name, a URL) and GetAtt (an ARN) stand for at most this many characters here: IAM
# role and Lambda names are <= 64, bucket names <= 63, SQS queue URLs and ARNs well under 256.
_REF_CHARS = 128
_GETATT_CHARS = 256


def _rendered(value: Any) -> Any:
    """The value with every intrinsic function replaced by a string at least as long as its result."""
    if isinstance(value, list):
        return [_rendered(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref":
            return _PSEUDO.get(argument, "r" * _REF_CHARS)
        if name == "Fn::GetAtt":
            return "g" * _GETATT_CHARS
        if name == "Fn::Join":
            separator, parts = argument
            return separator.join(str(_rendered(part)) for part in parts)
        if name == "Fn::Sub":
            text = argument if isinstance(argument, str) else argument[0]
            return re.sub(r"\$\{[^}]+\}", "s" * _GETATT_CHARS, text)
        if name.startswith("Fn::"):
            return "f" * _GETATT_CHARS
    return {key: _rendered(item) for key, item in value.items()}


def compact_length(value: Any) -> int:
    """Characters of the rendered JSON with no whitespace between tokens."""
    return len(json.dumps(_rendered(value), separators=(",", ":")))


@dataclass(frozen=True)
class Measure:
    quota: str  # the quota's name, as AWS's quota page words it
    subject: str  # the template's logical id (or "template")
    value: int
    limit: int

    @property
    def line(self) -> str:
        return f"{self.quota}: {self.subject} is {self.value:,} for a quota of {self.limit:,}"


def _role_of(reference: Any) -> str | None:
    return reference.get("Ref") if isinstance(reference, dict) else None


def measures(template: dict[str, Any], template_bytes: int) -> Iterator[Measure]:
    """Every quota-bound quantity of the template, one Measure each."""
    resources: dict[str, Any] = template.get("Resources", {})
    yield Measure("CloudFormation template body size (bytes)", "template", template_bytes, TEMPLATE_BYTES)
    yield Measure("CloudFormation resources per stack", "template", len(resources), RESOURCES)
    inline: dict[str, int] = defaultdict(int)
    attached: dict[str, int] = defaultdict(int)
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        properties = resource.get("Properties", {})
        if kind == "AWS::Events::Rule" and "EventPattern" in properties:
            yield Measure(
                "EventBridge event pattern size (characters)",
                logical_id,
                compact_length(properties["EventPattern"]),
                EVENT_PATTERN_CHARS,
            )
        elif kind == "AWS::IAM::Role":
            inline[logical_id] += sum(
                compact_length(p["PolicyDocument"]) for p in properties.get("Policies", [])
            )
            attached[logical_id] += len(properties.get("ManagedPolicyArns", []))
        elif kind == "AWS::IAM::Policy":  # an inline policy (PutRolePolicy) on each role it names
            size = compact_length(properties["PolicyDocument"])
            for role in filter(None, map(_role_of, properties.get("Roles", []))):
                inline[role] += size
        elif kind == "AWS::IAM::ManagedPolicy":
            yield Measure(
                "IAM managed policy size (characters)",
                logical_id,
                compact_length(properties["PolicyDocument"]),
                MANAGED_POLICY_CHARS,
            )
            for role in filter(None, map(_role_of, properties.get("Roles", []))):
                attached[role] += 1
        elif kind == "AWS::S3::BucketPolicy":
            yield Measure(
                "S3 bucket policy size (bytes)",
                logical_id,
                compact_length(properties["PolicyDocument"]),
                BUCKET_POLICY_BYTES,
            )
        elif kind == "AWS::Events::EventBusPolicy" and "Statement" in properties:
            yield Measure(
                "EventBridge event bus policy size (characters)",
                logical_id,
                compact_length(properties["Statement"]),
                EVENT_BUS_POLICY_CHARS,
            )
        elif kind == "AWS::SageMaker::ModelPackageGroup" and "ModelPackageGroupPolicy" in properties:
            yield Measure(
                "SageMaker model package group policy size (characters)",
                logical_id,
                compact_length(properties["ModelPackageGroupPolicy"]),
                MODEL_PACKAGE_GROUP_POLICY_CHARS,
            )
        elif kind == "AWS::StepFunctions::StateMachine":
            definition = properties.get("DefinitionString", properties.get("Definition", ""))
            rendered = _rendered(definition)
            text = rendered if isinstance(rendered, str) else json.dumps(rendered)
            yield Measure(
                "Step Functions state machine definition size (bytes)",
                logical_id,
                len(text.encode()),
                STATE_MACHINE_DEFINITION_BYTES,
            )
    for role in sorted(set(inline) | set(attached)):
        yield Measure(
            "IAM role inline policies size (characters)", role, inline[role], ROLE_INLINE_POLICY_CHARS
        )
        yield Measure(
            "IAM managed policies attached to a role", role, attached[role], MANAGED_POLICIES_PER_ROLE
        )


def template_problems(template: dict[str, Any], template_bytes: int) -> list[str]:
    """One line per quota the template breaks (empty: it fits every one)."""
    return [measure.line for measure in measures(template, template_bytes) if measure.value > measure.limit]


def check_template_file(path: Path) -> None:
    """Raise ConfigError with one line per broken quota for the template `cdk synth` wrote."""
    raw = path.read_bytes()
    problems = template_problems(json.loads(raw), len(raw))
    if problems:
        raise ConfigError(
            "refusing this configuration: its template breaks AWS quotas that CloudFormation enforces "
            f"at deploy time ({path.name}; watch many groups by groupNamePrefix and endpointNamePrefix, "
            "docs/CONFIGURATION.md):\n" + "\n".join(f"  {problem}" for problem in problems)
        )
