"""The IAM role a local function runs with, enforced on its calls the way AWS would.

Identity-based policies allow only what they list: a call whose action is not granted on the
request's resource is refused with AccessDenied ("By default, all requests are implicitly denied",
IAM User Guide, "Policy evaluation logic"). The role's statements come from the synthesized template,
so a grant the stack forgot, or one scoped to a resource the call does not name, fails locally too.

Simplifications: only Allow statements of the role's own policies count (no Deny, conditions or
permission boundaries, none of which the stack uses on function roles); the request's resource ARN is
worked out for the SageMaker parameters Registry Autopilot sends (version, endpoint, endpoint config,
model, compilation job, inference experiment, tagged resource). For other calls, and for grants on
the stack's own resources (topic, queues, log groups, whose local names differ), the check is on the
action alone.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# botocore service name -> IAM service prefix, where they differ.
_PREFIX = {"monitoring": "cloudwatch", "stepfunctions": "states"}
_DENIAL_CODE = {
    "s3": "AccessDenied",
    "sns": "AuthorizationError",
    "cloudwatch": "AccessDenied",
    "sts": "AccessDenied",
}
# SageMaker request parameter -> the resource type its value names.
_SAGEMAKER_RESOURCE = {
    "EndpointName": "endpoint",
    "EndpointConfigName": "endpoint-config",
    "ModelName": "model",
    "CompilationJobName": "compilation-job",
}
_EXPERIMENT_OPERATIONS = {
    "CreateInferenceExperiment",
    "DescribeInferenceExperiment",
    "UpdateInferenceExperiment",
    "StopInferenceExperiment",
}
_ANY = "*"
# Operations authorized by an action of another name. ListObjectsV2: "You must have permission to
# perform the s3:ListBucket action" (Amazon S3 API Reference, ListObjectsV2, Permissions).
OPERATION_ACTIONS = {("s3", "ListObjectsV2"): "ListBucket", ("s3", "ListObjects"): "ListBucket"}


def _resolve(value: Any, region: str, account: str) -> str:
    """A granted resource with the template's intrinsics resolved locally; a reference to one of the
    stack's own resources becomes `*` (its local name differs from the deployed one)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Fn::Join":
            separator, parts = argument
            return str(separator).join(_resolve(part, region, account) for part in parts)
        if name == "Ref":
            pseudo = {"AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": account}
            return pseudo.get(str(argument), _ANY)
        if name == "Fn::GetAtt":
            return _ANY
    raise ValueError(f"cannot resolve the granted resource {value!r} locally")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class RolePolicy:
    """The Allow statements of one role: (action glob, resource globs), all lower-cased actions."""

    role: str
    grants: tuple[tuple[str, tuple[str, ...]], ...]
    arn: str = ""  # the role's ARN, its IAM path included (what aws:PrincipalArn names)

    @classmethod
    def from_template(
        cls, template: Mapping[str, Any], role_logical_id: str, *, region: str, account: str
    ) -> RolePolicy:
        grants: list[tuple[str, tuple[str, ...]]] = []
        for resource in template["Resources"].values():
            properties = resource.get("Properties", {})
            documents = []
            if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_logical_id} in properties.get(
                "Roles", []
            ):
                documents.append(properties["PolicyDocument"])
            for document in documents:
                for statement in _as_list(document["Statement"]):
                    if statement.get("Effect") != "Allow" or "Action" not in statement:
                        continue
                    arns = tuple(_resolve(r, region, account) for r in _as_list(statement["Resource"]))
                    grants += [(str(action).lower(), arns) for action in _as_list(statement["Action"])]
        props = template["Resources"].get(role_logical_id, {}).get("Properties", {})
        path = props.get("Path") if isinstance(props.get("Path"), str) else "/"
        name = props.get("RoleName") if isinstance(props.get("RoleName"), str) else role_logical_id[:64]
        arn = f"arn:aws:iam::{account}:role{path}{name}"
        return cls(role=role_logical_id, grants=tuple(grants), arn=arn)

    def allows(self, action: str, resource_arn: str | None) -> bool:
        wanted = action.lower()
        for granted, resources in self.grants:
            if not fnmatch.fnmatchcase(wanted, granted):
                continue
            if resource_arn is None or any(
                r == _ANY or fnmatch.fnmatchcase(resource_arn, r) for r in resources
            ):
                return True
        return False

    def denial(
        self, service: str, operation: str, params: Mapping[str, Any], *, region: str, account: str
    ) -> tuple[str, str] | None:
        """(error code, message) when the role may not make this call; None when it may."""
        prefix = _PREFIX.get(service, service)
        action = f"{prefix}:{OPERATION_ACTIONS.get((service, operation), operation)}"
        arn = request_arn(service, operation, params, region=region, account=account)
        if self.allows(action, arn):
            return None
        target = f" on resource: {arn}" if arn else ""
        message = (
            f"User: arn:aws:sts::{account}:assumed-role/{self.role}/local is not authorized to perform: "
            f"{action}{target} because no identity-based policy allows the {action} action"
        )
        return _DENIAL_CODE.get(prefix, "AccessDeniedException"), message


def request_arn(
    service: str, operation: str, params: Mapping[str, Any], *, region: str, account: str
) -> str | None:
    """The ARN of the resource a SageMaker request (or an AssumeRole) acts on (None where the check
    is action-level)."""
    if service == "sts" and operation == "AssumeRole" and isinstance(params.get("RoleArn"), str):
        return str(params["RoleArn"])
    if service != "sagemaker":
        return None
    base = f"arn:aws:sagemaker:{region}:{account}"
    if operation in _EXPERIMENT_OPERATIONS and "Name" in params:
        return f"{base}:inference-experiment/{params['Name']}"
    if "ResourceArn" in params:
        return str(params["ResourceArn"])
    name = params.get("ModelPackageName") or params.get("ModelPackageArn")
    if isinstance(name, str):
        return name if name.startswith("arn:") else None
    for key, kind in _SAGEMAKER_RESOURCE.items():
        if isinstance(params.get(key), str):
            return f"{base}:{kind}/{params[key]}"
    return None
