"""`iam:SimulatePrincipalPolicy` for the local backend (moto has none), on moto's own policy evaluator.

moto raises NotImplementedError for the operation. It does carry the statement matcher its
access-control mode uses (`moto.iam.access_control.IAMPolicyStatement`: Action/NotAction and Resource
wildcards); this module feeds it the role's policies from moto's IAM backend and applies the
evaluation logic around it the way the IAM documentation states it.

Rules (IAM API Reference, SimulatePrincipalPolicy and EvaluationResult,
https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html,
https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html):
- "If you specify a user, group, or role, the simulation includes all policies that are associated
  with that entity": the role's inline and attached managed policies, plus `PolicyInputList`.
- "Each operation is evaluated for each resource": one EvaluationResult per (action, resource);
  ResourceArns defaults to `*`.
- EvalDecision "Valid Values: allowed | explicitDeny | implicitDeny"; "even if multiple statements
  allow the operation on the resource, if only one statement denies that operation, then the explicit
  deny overrides any allow. In addition, the deny statement is the only entry included in the result."
- "CallerArn is required if you include a ResourcePolicy and the PolicySourceArn is not the ARN for
  an IAM user" and CallerArn can only be an IAM user: a role's simulation with a ResourcePolicy and no
  user caller is refused (InvalidInput), as IAM refuses it.
- An unknown PolicySourceArn answers NoSuchEntity (404).
- EvaluationResult.MissingContextValues: "This list is used when the resource in a simulation is
  "*", either explicitly, or when the ResourceArns parameter blank. If you include a list of
  resources, then any missing context values are instead included under the ResourceSpecificResults
  section." The answer follows that placement.
- GetContextKeysForPrincipalPolicy: "Gets a list of all of the context keys referenced in all the IAM
  policies that are attached to the specified IAM entity", the keys `Condition` elements test
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetContextKeysForPrincipalPolicy.html).

Where moto's matcher is looser than IAM, the safe reading is applied here (docs/FIDELITY.md):
action names are compared case-insensitively (IAM: "action names are not case sensitive"); a
statement with a Condition applies only when every key it tests is given in ContextEntries and moto
can evaluate its operator (StringEquals); otherwise the statement does not apply and the keys are
listed in MissingContextValues. Permissions boundaries, SCPs and session policies are not simulated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from autopilot.embedded.backend._wire import AwsError

DECISIONS = ("allowed", "explicitDeny", "implicitDeny")
_SUPPORTED_CONDITIONS = {"StringEquals"}


@dataclass(frozen=True)
class _Source:
    """One policy document in the simulation and where it came from (MatchedStatements)."""

    source_id: str
    source_type: str  # IAM's PolicySourceType: role | aws-managed | user | none ...
    document: dict[str, Any]


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def _lower_actions(statement: dict[str, Any]) -> dict[str, Any]:
    copied = {k: v for k, v in statement.items() if k not in ("Condition", "Principal", "NotPrincipal")}
    for key in ("Action", "NotAction"):
        if key in copied:
            value = copied[key]
            copied[key] = [v.lower() for v in value] if isinstance(value, list) else str(value).lower()
    return copied


def _conditions_hold(statement: dict[str, Any], context: dict[str, list[str]], missing: set[str]) -> bool:
    conditions = statement.get("Condition") or {}
    holds = True
    for operator, tests in conditions.items():
        for key, expected in tests.items():
            values = context.get(key.lower())
            if values is None:
                missing.add(key)
                holds = False
                continue
            if operator not in _SUPPORTED_CONDITIONS:
                holds = False  # not evaluated: the statement does not apply (the safe reading)
                continue
            wanted = expected if isinstance(expected, list) else [expected]
            if not any(value in wanted for value in values):
                holds = False
    return holds


def _covers(element: Any, value: str) -> bool:
    """Whether an Action/Resource element (a pattern or a list of them) covers `value`."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    probe = IAMPolicyStatement({"Effect": "Allow", "Action": "*", "Resource": element})
    return bool(probe.is_action_permitted("probe", value) == PermissionResult.PERMITTED)


def _effect(statement: dict[str, Any], action: str, resource: str) -> str | None:
    """ "Allow"/"Deny" when the statement covers action on resource (conditions aside), else None."""
    lowered = _lower_actions(statement)
    if "Action" in lowered:
        action_in = _covers(lowered["Action"], action.lower())
    elif "NotAction" in lowered:
        action_in = not _covers(lowered["NotAction"], action.lower())
    else:
        return None
    if "Resource" in statement:
        resource_in = _covers(statement["Resource"], resource)
    elif "NotResource" in statement:
        resource_in = not _covers(statement["NotResource"], resource)
    else:
        return None  # an identity statement names its resources; a trust policy is not one
    return str(statement.get("Effect")) if action_in and resource_in else None


def _matched(source: _Source, statement: dict[str, Any]) -> dict[str, Any]:
    return {"SourcePolicyId": source.source_id, "SourcePolicyType": source.source_type}


def evaluate(
    sources: list[_Source], action: str, resource: str, context: dict[str, list[str]], *, listed: bool = False
) -> dict[str, Any]:
    """One EvaluationResult: an explicit deny wins, then any allow, else an implicit deny."""
    missing: set[str] = set()
    allows: list[dict[str, Any]] = []
    denies: list[dict[str, Any]] = []
    for source in sources:
        for statement in _statements(source.document):
            effect = _effect(statement, action, resource)
            if effect is None or not _conditions_hold(statement, context, missing):
                continue
            (denies if effect == "Deny" else allows).append(_matched(source, statement))
    decision = "explicitDeny" if denies else "allowed" if allows else "implicitDeny"
    matched = denies if denies else allows
    if not listed:
        return {
            "EvalActionName": action,
            "EvalResourceName": resource,
            "EvalDecision": decision,
            "MatchedStatements": matched,
            "MissingContextValues": sorted(missing),
        }
    # ResourceArns named: the missing keys go under ResourceSpecificResults (EvaluationResult).
    return {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": decision,
        "MatchedStatements": matched,
        "MissingContextValues": [],
        "ResourceSpecificResults": [
            {
                "EvalResourceName": resource,
                "EvalResourceDecision": decision,
                "MatchedStatements": matched,
                "MissingContextValues": sorted(missing),
            }
        ],
    }


def missing_context_values(result: dict[str, Any]) -> list[str]:
    """Every key an EvaluationResult lists as missing, wherever IAM placed it."""
    found = set(result.get("MissingContextValues") or [])
    for specific in result.get("ResourceSpecificResults") or []:
        found |= set(specific.get("MissingContextValues") or [])
    return sorted(found)


def get_context_keys_for_principal_policy(account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """The condition keys the role's policies (and PolicyInputList) test, each once."""
    sources = _role_sources(account_id, params["PolicySourceArn"])
    documents = [source.document for source in sources]
    documents += [_document(d) for d in params.get("PolicyInputList") or []]
    keys: dict[str, str] = {}
    for document in documents:
        for statement in _statements(document):
            for tests in (statement.get("Condition") or {}).values():
                for key in tests:
                    keys.setdefault(str(key).lower(), str(key))
    return {"ContextKeyNames": sorted(keys.values())}


def _role_sources(account_id: str, role_arn: str) -> list[_Source]:
    from moto.iam.access_control import IAMPolicy
    from moto.iam.models import iam_backends

    if ":role/" not in role_arn:
        raise AwsError("InvalidInput", "The local backend simulates roles' policies only.")
    partition = role_arn.split(":", 2)[1]
    name = role_arn.rsplit("/", 1)[-1]
    backend = iam_backends[account_id][partition]
    role = next((r for r in backend.get_roles() if r.name == name), None)
    if role is None or role.arn != role_arn:
        raise AwsError("NoSuchEntity", f"Role {name} cannot be found.", 404)
    sources = [
        _Source(policy_name, "role", _document(document)) for policy_name, document in role.policies.items()
    ]
    for policy in role.managed_policies.values():
        kind = "aws-managed" if ":aws:policy/" in policy.arn else "user-managed"
        sources.append(_Source(policy.arn, kind, IAMPolicy(policy)._policy_json))
    return sources


def _document(document: Any) -> dict[str, Any]:
    if isinstance(document, dict):
        return document
    parsed: dict[str, Any] = json.loads(document)
    return parsed


def simulate_principal_policy(account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """The SimulatePrincipalPolicy response for `params` (the caller's API parameters)."""
    if params.get("ResourcePolicy") and ":user/" not in str(params.get("CallerArn", "")):
        raise AwsError(
            "InvalidInput",
            "CallerArn (an IAM user) is required when ResourcePolicy is given and PolicySourceArn is "
            "not a user.",
        )
    sources = _role_sources(account_id, params["PolicySourceArn"])
    for index, document in enumerate(params.get("PolicyInputList") or []):
        sources.append(_Source(f"PolicyInputList.{index + 1}", "none", _document(document)))
    context = {
        str(entry["ContextKeyName"]).lower(): [str(v) for v in entry.get("ContextKeyValues", [])]
        for entry in params.get("ContextEntries") or []
    }
    resources = params.get("ResourceArns") or ["*"]
    listed = resources != ["*"]
    results = [
        evaluate(sources, action, resource, context, listed=listed)
        for action in params["ActionNames"]
        for resource in resources
    ]
    return {"EvaluationResults": results, "IsTruncated": False}
