"""Every cross-account grant a template makes, and the same template without any one of them.

So a test can show that each grant is needed: deploy the templates with one grant removed
(`without(template, grant)`) and see the lifecycle fail with a message naming it. A grant is one
statement of a policy the template deploys:

| kind | where |
| --- | --- |
| `trust` | a role's `AssumeRolePolicyDocument` |
| `identity` | a role's inline `Policies`, an `AWS::IAM::Policy` or `AWS::IAM::ManagedPolicy` |
| `bucket` | an `AWS::S3::BucketPolicy` |
| `key` | an `AWS::KMS::Key`'s `KeyPolicy` |
| `group` | a group's `ModelPackageGroupPolicy`; a custom resource's `PutModelPackageGroupPolicy` |
| `bus` | an `AWS::Events::EventBusPolicy` (one statement per resource) |
| `forward` | a rule target naming another account's event bus |
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Grant:
    logical_id: str
    kind: str
    path: tuple[Any, ...]  # from the resource's Properties to the statement (or target); () = whole resource
    summary: str
    text: str = ""  # the statement (or target, or resource) as JSON

    def names_account(self, account: str) -> bool:
        """Whether the grant names `account` (a principal, a condition, a target bus): with the
        template's own account, the cross-account grants of a layout are the ones naming another."""
        return account in self.text

    def __str__(self) -> str:
        return f"{self.kind} {self.logical_id}{''.join(f'[{p}]' for p in self.path)}: {self.summary}"


def _summary(statement: Any) -> str:
    if not isinstance(statement, dict):
        return str(statement)[:120]
    parts = [str(statement.get("Sid") or ""), json.dumps(statement.get("Action"))]
    if "Principal" in statement:
        parts.append(f"for {json.dumps(statement['Principal'])}")
    return " ".join(p for p in parts if p)[:160]


def _statements(document: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if not isinstance(document, dict):
        return
    found = document.get("Statement")
    if isinstance(found, list):
        for index, statement in enumerate(found):
            yield (*path, "Statement", index), statement
    elif isinstance(found, dict):
        yield (*path, "Statement"), found


def _sdk_policy(props: dict[str, Any]) -> dict[str, Any] | None:
    create = props.get("Create")
    call = json.loads(create) if isinstance(create, str) else create
    if not isinstance(call, dict) or str(call.get("action", "")).lower() != "putmodelpackagegrouppolicy":
        return None
    return call


def grants(template: dict[str, Any]) -> list[Grant]:
    """Every grant of `template`, in template order."""
    found: list[Grant] = []
    for logical_id, resource in template.get("Resources", {}).items():
        kind, props = resource.get("Type"), resource.get("Properties", {})
        documents: list[tuple[str, tuple[Any, ...], Any]] = []
        if kind == "AWS::IAM::Role":
            documents.append(("trust", ("AssumeRolePolicyDocument",), props.get("AssumeRolePolicyDocument")))
            for index, policy in enumerate(props.get("Policies", [])):
                documents.append(
                    ("identity", ("Policies", index, "PolicyDocument"), policy.get("PolicyDocument"))
                )
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(("identity", ("PolicyDocument",), props.get("PolicyDocument")))
        elif kind == "AWS::S3::BucketPolicy":
            documents.append(("bucket", ("PolicyDocument",), props.get("PolicyDocument")))
        elif kind == "AWS::KMS::Key":
            documents.append(("key", ("KeyPolicy",), props.get("KeyPolicy")))
        elif kind == "AWS::SageMaker::ModelPackageGroup" and props.get("ModelPackageGroupPolicy"):
            documents.append(("group", ("ModelPackageGroupPolicy",), props["ModelPackageGroupPolicy"]))
        elif kind == "AWS::Events::EventBusPolicy":
            found.append(
                Grant(logical_id, "bus", (), _summary(props.get("Statement") or props), json.dumps(props))
            )
        elif kind == "AWS::Events::Rule":
            for index, target in enumerate(props.get("Targets", [])):
                arn = json.dumps(target.get("Arn"))
                if "event-bus" in arn:
                    found.append(
                        Grant(logical_id, "forward", ("Targets", index), f"target {arn}", json.dumps(target))
                    )
        elif kind == "Custom::ModelPackageGroupPolicies":
            # infra/group_policy: each group shared with each endpoint account is one grant.
            for group, accounts in (props.get("Groups") or {}).items():
                for index, account in enumerate(accounts):
                    summary = f"{group} shared with {account}"
                    found.append(Grant(logical_id, "group", ("Groups", group, index), summary, summary))
        elif str(kind).startswith("Custom::") and _sdk_policy(props) is not None:
            policy = (_sdk_policy(props) or {}).get("parameters", {}).get("ResourcePolicy")
            document = json.loads(policy) if isinstance(policy, str) else policy
            statements = list(_statements(document, ()))
            if statements:
                for path, statement in statements:
                    found.append(
                        Grant(
                            logical_id, "group", ("Create", *path), _summary(statement), json.dumps(statement)
                        )
                    )
            else:
                found.append(Grant(logical_id, "group", (), "PutModelPackageGroupPolicy", json.dumps(props)))
        for grant_kind, path, document in documents:
            for statement_path, statement in _statements(document, path):
                found.append(
                    Grant(logical_id, grant_kind, statement_path, _summary(statement), json.dumps(statement))
                )
    return found


def without(template: dict[str, Any], grant: Grant) -> dict[str, Any]:
    """A copy of `template` without `grant` (a statement left with no sibling leaves an empty list)."""
    changed = copy.deepcopy(template)
    resources = changed["Resources"]
    if not grant.path:
        del resources[grant.logical_id]
        return changed
    props = resources[grant.logical_id]["Properties"]
    if grant.path[0] == "Create":
        call = _sdk_policy(props) or {}
        policy = call["parameters"]["ResourcePolicy"]
        document = json.loads(policy) if isinstance(policy, str) else policy
        _remove(document, grant.path[1:])
        call["parameters"]["ResourcePolicy"] = json.dumps(document) if isinstance(policy, str) else document
        props["Create"] = json.dumps(call) if isinstance(props["Create"], str) else call
        return changed
    if grant.path[0] == "ModelPackageGroupPolicy" and isinstance(props["ModelPackageGroupPolicy"], str):
        document = json.loads(props["ModelPackageGroupPolicy"])
        _remove(document, grant.path[1:])
        props["ModelPackageGroupPolicy"] = json.dumps(document)
        return changed
    _remove(props, grant.path)
    _drop_empty_policies(resources, grant.logical_id)
    return changed


def _drop_empty_policies(resources: dict[str, Any], logical_id: str) -> None:
    """IAM refuses a policy without statements (MalformedPolicyDocument): a policy whose last
    statement was removed is removed with it, as a user removing that grant would."""
    resource = resources[logical_id]
    props = resource.get("Properties", {})
    if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        if not (props.get("PolicyDocument") or {}).get("Statement"):
            del resources[logical_id]
    elif resource["Type"] == "AWS::IAM::Role":
        props["Policies"] = [p for p in props.get("Policies", []) if p["PolicyDocument"].get("Statement")]
    elif resource["Type"] == "Custom::ModelPackageGroupPolicies":
        props["Groups"] = {group: accounts for group, accounts in props.get("Groups", {}).items() if accounts}


def statement_of(template: dict[str, Any], grant: Grant) -> Any:
    """The statement (or rule target, or group entry) a grant names, as the template holds it."""
    node: Any = template["Resources"][grant.logical_id]
    if not grant.path:
        return node
    node = node["Properties"]
    for step in grant.path:
        if isinstance(node, str):
            node = json.loads(node)
        node = node[step]
    return node


def _remove(container: Any, path: tuple[Any, ...]) -> None:
    for step in path[:-1]:
        container = container[step]
    last = path[-1]
    if isinstance(container, list):
        del container[last]
    elif last == "Statement":
        container[last] = []
    else:
        del container[last]
