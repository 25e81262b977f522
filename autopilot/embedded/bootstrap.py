"""`cdk bootstrap --trust` on the embedded accounts: the deploy role of the pinned CDK CLI's own
bootstrap template (node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml), created in an
account with the trust that template gives it, so that deploying a companion stack from the
automation account is held to the same trust as `cdk deploy --all` is in AWS.

The template's parameter TrustedAccounts is described there as the "List of AWS accounts that are
trusted to publish assets and deploy stacks to this environment"; its DeploymentActionRole lets
those accounts `sts:AssumeRole` (besides the account itself). `cdk deploy` assumes that role in each
target account (DefaultStackSynthesizer.DEFAULT_DEPLOY_ROLE_ARN,
`cdk-${Qualifier}-deploy-role-${AWS::AccountId}-${AWS::Region}`, qualifier `hnb659fds` by default).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.accounts import cdk_deploy_role_name

if TYPE_CHECKING:
    from autopilot.embedded.backend import LocalBackend

BOOTSTRAP_TEMPLATE = (
    Path(__file__).resolve().parents[2] / "node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml"
)
DEPLOY_ROLE = "DeploymentActionRole"  # the bootstrap template's logical id of the deploy role


@cache
def _template() -> dict[str, Any]:
    import yaml  # type: ignore[import-untyped]

    if not BOOTSTRAP_TEMPLATE.exists():
        raise FileNotFoundError(
            f"{BOOTSTRAP_TEMPLATE} is missing: run `make install` (npm ci installs the pinned CDK CLI)"
        )
    loaded: dict[str, Any] = yaml.safe_load(BOOTSTRAP_TEMPLATE.read_text())
    return loaded


class _Evaluator:
    """Ref, Fn::If, Fn::Not, Fn::Equals, Fn::Join and Fn::Sub over the template's parameters (their
    defaults, overridden) and pseudo parameters: enough for the deploy role."""

    NO_VALUE = object()

    def __init__(self, template: dict[str, Any], parameters: dict[str, Any], pseudo: dict[str, str]):
        self.template = template
        self.values: dict[str, Any] = {
            name: spec.get("Default", "") for name, spec in template.get("Parameters", {}).items()
        }
        for name, spec in template.get("Parameters", {}).items():
            if spec.get("Type") == "CommaDelimitedList" and isinstance(self.values[name], str):
                self.values[name] = [v for v in self.values[name].split(",") if v]
        self.values.update(parameters)
        self.values.update(pseudo)

    def condition(self, name: str) -> bool:
        return bool(self.value(self.template["Conditions"][name]))

    def value(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((name, argument),) = node.items()
            if name == "Ref":
                return self.NO_VALUE if argument == "AWS::NoValue" else self.values[argument]
            if name == "Fn::If":
                chosen = argument[1] if self.condition(argument[0]) else argument[2]
                return self.value(chosen)
            if name == "Fn::Not":
                return not self.value(argument[0])
            if name == "Fn::Equals":
                return self.value(argument[0]) == self.value(argument[1])
            if name == "Fn::Join":
                items = self.value(argument[1])
                return str(argument[0]).join(str(i) for i in (items if isinstance(items, list) else [items]))
            if name == "Fn::Sub" and isinstance(argument, str):
                text = argument
                for key, item in self.values.items():
                    if isinstance(item, str):
                        text = text.replace("${" + key + "}", item)
                return text
        if isinstance(node, dict):
            out = {k: self.value(v) for k, v in node.items()}
            return {k: v for k, v in out.items() if v is not self.NO_VALUE}
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not self.NO_VALUE]
        return node


def bootstrap(backend: LocalBackend, account: str, *, trust: Sequence[str] = ()) -> str:
    """`cdk bootstrap aws://ACCOUNT/REGION --trust ...`, as far as deploying needs it: the deploy role
    with the trust policy the pinned template gives it. Returns the role's ARN. Idempotent (a second
    bootstrap with other trust replaces it, as updating the bootstrap stack does)."""
    template = _template()
    evaluator = _Evaluator(
        template,
        {"TrustedAccounts": list(trust)},
        {"AWS::AccountId": account, "AWS::Region": backend.region, "AWS::Partition": "aws"},
    )
    props = evaluator.value(template["Resources"][DEPLOY_ROLE]["Properties"])
    trust_policy = {"Version": "2012-10-17", **props["AssumeRolePolicyDocument"]}
    for statement in trust_policy["Statement"]:  # CloudFormation writes an account as its root ARN
        principal = statement.get("Principal", {}).get("AWS")
        if principal is not None:
            accounts = principal if isinstance(principal, list) else [principal]
            statement["Principal"]["AWS"] = [
                a if str(a).startswith("arn:") else f"arn:aws:iam::{a}:root" for a in accounts
            ]
    iam = backend.client("iam", account=account)
    name = str(props["RoleName"])
    assert name == cdk_deploy_role_name(account, backend.region), name  # the template's own naming
    with backend.unrecorded():
        try:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust_policy))
            return str(iam.get_role(RoleName=name)["Role"]["Arn"])
        except iam.exceptions.NoSuchEntityException:
            created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy))
    return str(created["Role"]["Arn"])
