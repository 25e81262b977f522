"""Several AWS accounts in one local backend, and the cross-account rules AWS enforces between them.

Who makes a call. Every request carries its client's access key. A key the backend handed out
(`LocalBackend.client(service, account=...)`, an account's administrator, or STS AssumeRole, a role
session) names its account and principal; any other key (the environment's) is the backend's own
account, with the function role the calling thread runs under, if any. moto keys its backends by
account: the account decided here is the one moto serves the call in (`current_account`).

The rules, each as AWS documents it (tests in tests/integration/embedded/test_accounts.py quote them):
- AssumeRole: IAM User Guide, "Cross-account policy evaluation logic": "In IAM, you can attach a
  resource-based policy to an IAM role to allow principals in other accounts to assume that role. The
  role's resource-based policy is called a role trust policy." The caller's own identity policy must
  allow `sts:AssumeRole` on the role too ("You must also attach an identity-based policy to the
  identity that acts as the principal in the request"). The session then has the role's permissions:
  STS API Reference, AssumeRole: "If you choose not to pass a policy, the temporary security
  credentials that are returned by the operation have the permissions that are defined in the access
  policy of the role that is being assumed."
- A resource in another account: IAM User Guide, "Cross-account policy evaluation logic": "To allow
  cross-account access, you attach a resource-based policy to the resource that you want to share.
  You must also attach an identity-based policy to the identity that acts as the principal in the
  request." The resource policies kept here: model package groups (PutModelPackageGroupPolicy), S3
  buckets (moto's bucket policy), KMS keys (moto's key policy), event buses (moto's PutPermission).
- KMS: Developer Guide, "Key policies in AWS KMS": "Unless the key policy explicitly allows it, you
  cannot use IAM policies to allow access to a KMS key."
- An explicit Deny in any policy wins (IAM User Guide, "Policy evaluation logic").

Conditions are evaluated for the operators the stacks use (String*, Arn*, Bool, with `IfExists` and
the `ForAnyValue:`/`ForAllValues:` set prefixes on single values); a statement testing an operator
this module does not know does not apply (the safe reading: it grants nothing; docs/FIDELITY.md).
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autopilot.embedded.backend._wire import AwsError
from autopilot.embedded.backend.iam import RolePolicy

ADMIN_KEY_PREFIX = "AKIALOCAL"  # + the 12-digit account: that account's administrator
_KNOWN_OPERATORS = {
    "stringequals",
    "stringnotequals",
    "stringequalsignorecase",
    "stringlike",
    "stringnotlike",
    "arnequals",
    "arnlike",
    "arnnotequals",
    "arnnotlike",
    "bool",
    "null",
}


@dataclass(frozen=True)
class Caller:
    """The principal a request runs as, in its account.

    - an account's administrator (`role_arn` None, `template_role` None): any action in its own account;
    - a function of the local stack (`template_role`): its role's statements in the template;
    - a role session from AssumeRole (`role_arn`, not a template role): the role's IAM policies.
    """

    account: str
    role_arn: str | None = None  # the IAM role, with its path: what aws:PrincipalArn names
    session_arn: str | None = None  # arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
    template_role: RolePolicy | None = None
    service: str | None = None  # a service principal acting for a role (sagemaker.amazonaws.com)
    org_id: str | None = None

    @property
    def arn(self) -> str:
        """The principal as AWS names it in an AccessDenied message."""
        if self.session_arn:
            return self.session_arn
        if self.template_role is not None:
            return f"arn:aws:sts::{self.account}:assumed-role/{self.template_role.role}/local"
        if self.role_arn:
            return self.role_arn  # a service acting with the role (Neo, EventBridge, a model)
        return f"arn:aws:iam::{self.account}:root"

    @property
    def principal_arn(self) -> str:
        """aws:PrincipalArn: "For IAM roles, the request context returns the ARN of the role, not the
        ARN of the user that assumed the role" (IAM User Guide, global condition context keys)."""
        return self.role_arn or f"arn:aws:iam::{self.account}:root"

    @property
    def is_admin(self) -> bool:
        return self.role_arn is None and self.template_role is None

    def context(self, region: str, resource_account: str | None = None) -> dict[str, list[str]]:
        values = {
            "aws:principalarn": [self.principal_arn],
            "aws:principalaccount": [self.account],
            "aws:requestedregion": [region],
            "aws:securetransport": ["true"],
        }
        if self.org_id:
            values["aws:principalorgid"] = [self.org_id]
        if resource_account:
            values["aws:resourceaccount"] = [resource_account]
            # S3's own key for the bucket owner (Amazon S3 User Guide, "Condition key examples":
            # s3:ResourceAccount "to restrict ... access to buckets owned by a specific account").
            values["s3:resourceaccount"] = [resource_account]
        return values


def account_of(arn: str) -> str:
    """The account field of an ARN; "" for an S3 bucket or object ARN, which has none."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _document(policy: Any) -> dict[str, Any]:
    if isinstance(policy, bytes):
        policy = policy.decode()
    if isinstance(policy, str):
        parsed: dict[str, Any] = json.loads(policy)
        return parsed
    return dict(policy or {})


def statements(policy: Any) -> list[dict[str, Any]]:
    return [dict(s) for s in _as_list(_document(policy).get("Statement"))]


def _glob(pattern: str, value: str, *, case: bool = True) -> bool:
    # IAM wildcards: * any run, ? one character; nothing else is special.
    escaped = pattern.replace("[", "[[]")
    if not case:
        return fnmatch.fnmatchcase(value.lower(), escaped.lower())
    return fnmatch.fnmatchcase(value, escaped)


def _action_in(statement: Mapping[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(_glob(str(a), action, case=False) for a in _as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(_glob(str(a), action, case=False) for a in _as_list(statement["NotAction"]))
    return False


def _resource_in(statement: Mapping[str, Any], resource: str | None) -> bool:
    if "Resource" in statement:
        return resource is None or any(_glob(str(r), resource) for r in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return resource is not None and not any(
            _glob(str(r), resource) for r in _as_list(statement["NotResource"])
        )
    return True  # a trust policy names no resource: the role itself


def _principal_in(statement: Mapping[str, Any], caller: Caller) -> bool:
    """Whether the statement's Principal names the caller (IAM User Guide, "AWS JSON policy elements:
    Principal": an account ID or `arn:aws:iam::ACCOUNT:root` stands for the account and every principal
    in it whose own policies allow; a role ARN for the role's sessions; an assumed-role session ARN
    for that session; "*" for everyone)."""
    if "NotPrincipal" in statement:
        return not _named(statement["NotPrincipal"], caller)
    return _named(statement.get("Principal"), caller)


def _named(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if caller.service is not None:
        return caller.service in [str(s) for s in _as_list(principal.get("Service"))]
    for value in (str(v) for v in _as_list(principal.get("AWS"))):
        if value == "*" or value in (caller.account, f"arn:aws:iam::{caller.account}:root"):
            return True
        if value in (caller.role_arn, caller.session_arn):
            return True
    return False


def conditions_hold(statement: Mapping[str, Any], context: Mapping[str, list[str]]) -> bool:
    """Whether every condition of the statement holds for `context` (keys lower-cased)."""
    for raw_operator, tests in (statement.get("Condition") or {}).items():
        qualifier, _, bare = str(raw_operator).rpartition(":")
        operator = bare.lower()  # after ForAnyValue:/ForAllValues:
        every = qualifier.lower() == "forallvalues"
        if_exists = operator.endswith("ifexists")
        operator = operator.removesuffix("ifexists")
        if operator not in _KNOWN_OPERATORS:
            return False
        for key, expected in tests.items():
            values = context.get(str(key).lower())
            wanted = [str(w) for w in _as_list(expected)]
            if operator == "null":
                # IAM User Guide, "Condition operator to check existence of condition keys": "Use a
                # Null condition operator to check if a condition key is absent at the time of
                # authorization. In the policy statement, use either true (the key doesn't exist
                # - it is null) or false (the key exists and its value is not null)."
                if (values is None) != (wanted[:1] == ["true"]):
                    return False
                continue
            negated = "not" in operator
            if values is None:
                # IAM User Guide, "Set operators for multivalued context keys": ForAllValues "returns
                # true if ... there are no keys in the request".
                if if_exists or negated or every:
                    continue
                return False
            if operator in ("bool", "stringequalsignorecase"):
                ok = any(v.lower() in [w.lower() for w in wanted] for v in values)
            elif operator in ("stringequals", "stringnotequals", "arnequals", "arnnotequals"):
                ok = (all if every else any)(v in wanted for v in values)
            else:  # *like, and ArnEquals takes wildcards too in practice
                ok = any(_glob(w, v) for v in values for w in wanted)
            if ok == negated:
                return False
    return True


def evaluate_resource_policy(
    policy: Any, caller: Caller, action: str, resource: str | None, context: Mapping[str, list[str]]
) -> str | None:
    """ "Deny", "Allow" or None: what a resource-based policy says about `caller` doing `action`."""
    allowed = False
    for statement in statements(policy) if policy else []:
        if not (
            _principal_in(statement, caller)
            and _action_in(statement, action)
            and _resource_in(statement, resource)
            and conditions_hold(statement, context)
        ):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        allowed = allowed or statement.get("Effect") == "Allow"
    return "Allow" if allowed else None


def identity_decision(
    caller: Caller,
    action: str,
    resource: str | None,
    region: str,
    request_context: Mapping[str, list[str]] | None = None,
) -> str | None:
    """What the caller's own policies say: "Allow", "Deny" or None (no statement allows)."""
    if caller.is_admin:
        return "Allow"
    if caller.template_role is not None:
        return "Allow" if caller.template_role.allows(action, resource) else None
    from autopilot.embedded.backend.iam_simulation import _role_sources

    assert caller.role_arn is not None
    try:
        sources = _role_sources(caller.account, caller.role_arn)
    except AwsError:
        return None  # the role is gone: its sessions can do nothing
    context = caller.context(region, resource_account(resource)) | {
        key.lower(): value for key, value in (request_context or {}).items()
    }
    decision = None
    for source in sources:
        for statement in statements(source.document):
            if not (_action_in(statement, action) and _resource_in(statement, resource)):
                continue
            if "Resource" not in statement and "NotResource" not in statement:
                continue  # an identity statement names its resources
            if not conditions_hold(statement, context):
                continue
            if statement.get("Effect") == "Deny":
                return "Deny"
            decision = "Allow"
    return decision


def denied(
    caller: Caller, action: str, resource: str | None, why: str, *, code: str = "AccessDeniedException"
) -> AwsError:
    """AccessDenied as AWS words it, with the missing grant named (`why`)."""
    target = f" on resource: {resource}" if resource else ""
    return AwsError(code, f"User: {caller.arn} is not authorized to perform: {action}{target} {why}", 403)


def identity_denial(
    caller: Caller,
    action: str,
    resource: str | None,
    region: str,
    request_context: Mapping[str, list[str]] | None = None,
) -> str | None:
    """The reason the caller's own policies refuse `action`, or None when they allow it."""
    decision = identity_decision(caller, action, resource, region, request_context)
    if decision == "Allow":
        return None
    who = caller.role_arn or (caller.template_role.role if caller.template_role else caller.arn)
    if decision == "Deny":
        return f"with an explicit deny in an identity-based policy of {who} in account {caller.account}"
    return f"because no identity-based policy of {who} in account {caller.account} allows the {action} action"


def resource_denial(  # noqa: PLR0917 - the five facts of one decision
    caller: Caller,
    action: str,
    resource: str,
    policy: Any,
    what: str,
    owner: str,
    region: str,
    extra_context: Mapping[str, str] | None = None,
) -> str | None:
    """The reason a resource in account `owner` refuses the caller, or None when it may go ahead.
    `extra_context`: the request's own condition keys (an event's `events:source`, say).

    Same account: the identity policy or the resource policy may allow (an explicit deny in either
    wins). Another account: both must allow ("Cross-account policy evaluation logic")."""
    context = caller.context(region, owner)
    for key, value in (extra_context or {}).items():
        context[key.lower()] = [value]
    decision = evaluate_resource_policy(policy, caller, action, resource, context)
    if decision == "Deny":
        return f"with an explicit deny in the {what} in account {owner}"
    if caller.account == owner:
        if decision == "Allow":
            return None
        return identity_denial(caller, action, resource, region)
    if decision != "Allow":
        return (
            f"because no resource-based policy allows the {action} action: the {what} in account "
            f"{owner} does not allow it for {caller.principal_arn}"
        )
    return None


@dataclass
class Accounts:
    """The principals behind access keys and the resource policies the backend keeps itself."""

    home: str
    sessions: dict[str, Caller] = field(default_factory=dict)  # access key -> principal
    # (account, region, group name) -> the group's resource policy (moto keeps none).
    group_policies: dict[tuple[str, str, str], str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def admin_key(self, account: str) -> str:
        key = f"{ADMIN_KEY_PREFIX}{account}"
        with self.lock:
            self.sessions.setdefault(key, Caller(account=account))
        return key

    def add_session(self, access_key: str, caller: Caller) -> None:
        with self.lock:
            self.sessions[access_key] = caller

    def caller_for(self, access_key: str | None, function_role: RolePolicy | None) -> Caller:
        if access_key and access_key in self.sessions:
            return self.sessions[access_key]
        role_arn = function_role.arn or None if function_role is not None else None
        return Caller(account=self.home, template_role=function_role, role_arn=role_arn)

    def known(self) -> list[str]:
        with self.lock:
            found = {self.home} | {c.account for c in self.sessions.values()}
        return sorted(found)


def trust_denial(
    trust_policy: Any, caller: Caller, role_arn: str, region: str, extra: Mapping[str, Any]
) -> str | None:
    """Why the role's trust policy does not let `caller` assume it (None when it does). `extra`: the
    request's context keys (sts:ExternalId from AssumeRole's ExternalId)."""
    context = caller.context(region, account_of(role_arn))
    for key, value in extra.items():
        context[key.lower()] = [str(value)]
    decision = evaluate_resource_policy(trust_policy, caller, "sts:AssumeRole", None, context)
    name = role_arn.split(":role/", 1)[-1]
    if decision == "Allow":
        return None
    if decision == "Deny":
        return f"with an explicit deny in the trust policy of role {name} in account {account_of(role_arn)}"
    return (
        f"because no statement of the trust policy of role {name} in account {account_of(role_arn)} "
        f"allows sts:AssumeRole for {caller.principal_arn}"
    )


# -- what a request names ----------------------------------------------------------------------------
def resource_arn(
    service: str, operation: str, params: Mapping[str, Any], *, region: str, account: str
) -> str | None:
    """The ARN of the resource a request acts on, as its authorization names it (None: action-level).
    Names are the caller's account's; an ARN names its own account."""
    from autopilot.embedded.backend.iam import request_arn

    if service == "sts" and operation == "AssumeRole":
        return str(params.get("RoleArn"))
    if service == "s3" and isinstance(params.get("Bucket"), str):
        key = params.get("Key")
        return f"arn:aws:s3:::{params['Bucket']}" + (f"/{key}" if isinstance(key, str) else "")
    if service == "kms" and str(params.get("KeyId", "")).startswith("arn:"):
        return str(params["KeyId"])
    if service == "sagemaker":
        group = params.get("ModelPackageGroupName")
        if isinstance(group, str) and group.startswith("arn:"):
            return group
    return request_arn(service, operation, params, region=region, account=account)


def referenced_packages(operation: str, params: Mapping[str, Any]) -> list[str]:
    """Model package version ARNs a CreateModel or CreateCompilationJob reads (not its target)."""
    found: list[str] = []
    if operation == "CreateModel":
        containers = [params.get("PrimaryContainer") or {}, *(params.get("Containers") or [])]
        found = [
            str(c["ModelPackageName"])
            for c in containers
            if isinstance(c, dict) and c.get("ModelPackageName")
        ]
    elif operation == "CreateCompilationJob" and params.get("ModelPackageVersionArn"):
        found = [str(params["ModelPackageVersionArn"])]
    return [arn for arn in found if arn.startswith("arn:")]


def group_of(arn: str) -> str:
    """The group of a version ARN (`model-package/GROUP/N`) or a group ARN (`model-package-group/GROUP`)."""
    resource = arn.split(":", 5)[-1]
    return resource.split("/")[1] if "/" in resource else resource


# -- resource policies moto keeps ----------------------------------------------------------------------
def resource_account(resource: str | None) -> str | None:
    """The account that owns `resource`: its ARN's account field, or, for an S3 bucket or object (whose
    ARN has none), the account the bucket was created in."""
    if not resource:
        return None
    if resource.startswith(("arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::")):
        return bucket_owner(resource.split(":::", 1)[1].split("/", 1)[0])
    return account_of(resource) or None


def bucket_owner(bucket: str) -> str | None:
    from moto.s3.models import s3_backends

    found = s3_backends.bucket_accounts.get(bucket)
    return found[1] if found else None


def _bucket(bucket: str) -> Any:
    from moto.s3.models import s3_backends

    found = s3_backends.bucket_accounts.get(bucket)
    if found is None:
        return None
    partition, owner = found
    return s3_backends[owner][partition].buckets.get(bucket)


def bucket_policy(bucket: str) -> Any:
    found = _bucket(bucket)
    return getattr(found, "policy", None) or None


def bucket_key(bucket: str) -> str | None:
    """The customer managed key a bucket's default encryption names (SSE-KMS), if any."""
    found = _bucket(bucket)
    encryption = getattr(found, "encryption", None) or {}
    for rule in _as_list(encryption.get("Rule")):
        default = (rule or {}).get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse") and default.get("KMSMasterKeyID"):
            return str(default["KMSMasterKeyID"])
    return None


@dataclass(frozen=True)
class KmsKey:
    id: str
    arn: str
    policy: Any


def kms_key(account: str, region: str, key: str) -> KmsKey | None:
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    try:
        ident = backend.any_id_to_key_id(key)
    except Exception:  # an unknown alias is an unknown key
        return None
    found = backend.keys.get(ident)
    if found is None:
        return None
    return KmsKey(found.id, found.arn, found.policy)
