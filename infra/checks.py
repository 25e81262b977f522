"""cdk-nag AwsSolutions checks, and helpers that acknowledge a finding with its reason.

cdk-nag 3 is a CDK validation plugin: it runs after synthesis, writes `validation-report.json` to
the cloud assembly and fails `synth` on any unacknowledged finding. Acknowledgements are recorded
with `Validations.of(construct).acknowledge(...)` on the construct that owns the finding (they
cover its children), so each one sits next to the resource it excuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

VALIDATION_REPORT = "validation-report.json"
NAG_PACK = "AwsSolutions"


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    if not reason.strip():
        raise ValueError(f"acknowledging {rule_id} needs a reason")
    # cdk-nag reports its findings under the plugin's name, e.g. `AwsSolutions::AwsSolutions-L1`.
    if rule_id.startswith(f"{NAG_PACK}-"):
        rule_id = f"{NAG_PACK}::{rule_id}"
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def _render(value: Any) -> str:
    """A resolved value in cdk-nag's notation for finding ids (`<AWS::Region>`, `<Id.Arn>`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref":
            return f"<{argument}>"
        if name == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if name == "Fn::Join":
            separator, parts = argument
            return str(separator).join(_render(part) for part in parts)
    raise ValueError(f"cannot name a cdk-nag finding for {value!r}")


def acknowledge_wildcard_resources(construct: IConstruct, resources: Iterable[str], reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for each wildcard resource ARN (one finding per resource)."""
    stack = Stack.of(construct)
    for resource in resources:
        rendered = _render(stack.resolve(resource))
        if "*" in rendered:
            acknowledge(construct, f"AwsSolutions-IAM5[Resource::{rendered}]", reason)
