"""`doctor`'s checks of the accounts a multi-account configuration names (docs/ACCOUNTS.md).

In the automation account: the default event bus admits the registry accounts' forwarded events (its
resource policy). In each other account, read with credentials for that account (`--account-profile
ACCOUNT=PROFILE`): the access role exists and trusts exactly the automation stack's function roles; a
registry account forwards its groups' state changes to the automation bus and shares each group with
the endpoint accounts of its shadow test (the group's resource policy), and holds the role Neo compiles
with; an endpoint account holds the role its shadow tests run with. A missing piece FAILs and names the
stack to deploy in which account. Whether `cdk deploy --all` from the automation account can deploy
there (the account's CDK deploy role trusts the automation account: `cdk bootstrap --trust`) is a
WARN: a companion deployed another way does not need it.

AWS behaviour relied on (cited in tests/e2e/test_doctor_accounts.py): a role is assumed across
accounts only when its trust policy names the caller ("the role trust policy ... must specify the
principal"); PutEvents to another account's bus needs that bus's resource policy; another account may
use a model package group only as the group's resource policy grants (PutModelPackageGroupPolicy).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from infra.accounts import cdk_deploy_role_name, companion_stack_name
from registry_autopilot.logic import accounts

if TYPE_CHECKING:
    from registry_autopilot.models.config import AutopilotConfig

ClientFactory = Callable[[str], Any]


class Doctor(Protocol):
    """What these checks use of `autopilot.account.doctor.Doctor` (its report and its clients)."""

    @property
    def config(self) -> AutopilotConfig: ...

    @property
    def region(self) -> str: ...

    @property
    def partition(self) -> str: ...

    def client(self, service: str) -> Any: ...

    def add(self, area: str, name: str, result: Any, detail: str, fix: str = "") -> None: ...

    def safely(self, area: str, check: Callable[..., None], *args: Any) -> None: ...


EVENT_SOURCE = "aws.sagemaker"
EVENT_DETAIL_TYPE = "SageMaker Model Package State Change"


class ResourceChecks(Protocol):
    """doctor's checks of a group and an endpoint, run with another account's clients."""

    checks: list[Any]

    def safely(self, area: str, check: Callable[..., None], *args: Any) -> None: ...

    def group_found(self, group: str) -> None: ...

    def endpoint_check(self, group: str, shadow: Any) -> None: ...


def companion_stack(config: AutopilotConfig, account: str) -> str:
    """The companion stack of `account` (infra: one per other account, `<stackName>-<account>`)."""
    return companion_stack_name(config.stack_name, account)


def bootstrap_command(account: str, region: str, automation: str, partition: str = "aws") -> str:
    """docs/ACCOUNTS.md, Deploy: run with that account's credentials."""
    return (
        f"npx cdk bootstrap aws://{account}/{region} --trust {automation} --cloudformation-execution-"
        f"policies arn:{partition}:iam::aws:policy/AdministratorAccess (with account {account}'s "
        "credentials; docs/ACCOUNTS.md, Deploy)"
    )


def deploy_fix(config: AutopilotConfig, account: str) -> str:
    stack = companion_stack(config, account)
    return (
        f"deploy the companion stack {stack} in account {account} (`cdk deploy {stack}` with the "
        f"automation account's credentials, once {account} is bootstrapped with --trust {config.account}; "
        "docs/ACCOUNTS.md)"
    )


def as_list(value: Any) -> list[Any]:
    """A policy element that may be one value or a list, as a list."""
    return value if isinstance(value, list) else [value]


def policy_document(value: Any) -> dict[str, Any]:
    """A policy as a dict: as given, or parsed from the URL-encoded JSON IAM's Get* calls return."""
    if isinstance(value, dict):
        return value
    from urllib.parse import unquote

    parsed: dict[str, Any] = json.loads(unquote(str(value)))
    return parsed


def _principal_accounts(statement: dict[str, Any]) -> set[str]:
    """The accounts an Allow statement's Principal names (an account ID or its root ARN)."""
    principal = statement.get("Principal")
    if principal == "*":
        return {"*"}
    aws = as_list(principal.get("AWS", [])) if isinstance(principal, dict) else []
    found = set()
    for item in map(str, aws):
        if item == "*":
            found.add("*")
        elif item.isdigit():
            found.add(item)
        elif item.startswith("arn:"):
            found.add(accounts.account_of(item))
    return found


def _allows(statement: dict[str, Any], action: str) -> bool:
    actions = [str(a).lower() for a in as_list(statement.get("Action", []))]
    return statement.get("Effect") == "Allow" and any(fnmatch.fnmatchcase(action.lower(), a) for a in actions)


def trust_admits_automation(trust_policy: Any, automation: str, path: str) -> str | None:
    """Why the trust policy does not admit the automation stack's function roles to sts:AssumeRole
    (None: it does). It must name the automation account, and narrow it to the roles under `path`
    (ArnLike/ArnEquals aws:PrincipalArn), or name those roles themselves."""
    for statement in as_list(policy_document(trust_policy).get("Statement", [])):
        if not _allows(statement, "sts:AssumeRole"):
            continue
        principals = as_list((statement.get("Principal") or {}).get("AWS", []))
        role_prefix = f":iam::{automation}:role{path}"
        if any(role_prefix in str(p) for p in principals):
            return None
        if automation not in _principal_accounts(statement):
            continue
        condition = statement.get("Condition") or {}
        narrowed = [
            str(value)
            for operator in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
            for value in as_list((condition.get(operator) or {}).get("aws:PrincipalArn", []))
        ]
        if any(role_prefix in value for value in narrowed):
            return None
        return f"it trusts account {automation} without narrowing it to the roles under {path}"
    return f"no statement allows sts:AssumeRole to the automation account {automation}'s function roles"


def bus_admits(policy: Any, account: str) -> bool:
    """The event bus policy allows events:PutEvents from `account` (unconditionally, or by PrincipalOrgID)."""
    if not policy:
        return False
    for statement in as_list(policy_document(policy).get("Statement", [])):
        if _allows(statement, "events:PutEvents") and (
            account in _principal_accounts(statement) or "*" in _principal_accounts(statement)
        ):
            return True
    return False


def group_policy_missing(policy: Any, account: str, actions: Iterable[str]) -> list[str]:
    """The actions of `actions` the group's resource policy does not allow to `account`."""
    statements = as_list(policy_document(policy).get("Statement", [])) if policy else []
    granted = [s for s in statements if account in _principal_accounts(s) or "*" in _principal_accounts(s)]
    return [action for action in actions if not any(_allows(s, action) for s in granted)]


@dataclass
class AccountsDoctor:
    """The multi-account checks, adding to `doctor`'s report."""

    doctor: Doctor
    others: dict[str, ClientFactory]  # account -> its clients (only those the caller gave credentials for)
    checks_in: Callable[[ClientFactory], ResourceChecks]  # doctor's own checks, in another account

    @property
    def config(self) -> AutopilotConfig:
        return self.doctor.config

    def run(self) -> None:
        config = self.config
        if not config.other_accounts():
            return
        self.doctor.safely("Accounts", self.automation_bus)
        for account in config.other_accounts():
            area = f"Account: {account}"
            client = self.others.get(account)
            if client is None:
                self.doctor.add(
                    area,
                    "checked",
                    "WARN",
                    "not checked: doctor has no credentials for this account",
                    f"run doctor with --account-profile {account}=PROFILE (a profile for that account)",
                )
                continue
            self.doctor.safely(area, self.account_checks, account, client)

    def automation_bus(self) -> None:
        described = self.doctor.client("events").describe_event_bus(Name="default")
        policy = described.get("Policy")
        for account in self.config.registry_accounts():
            admitted = bus_admits(policy, account)
            self.doctor.add(
                "Accounts",
                f"event bus admits {account}",
                "PASS" if admitted else "FAIL",
                f"the default event bus's policy {'allows' if admitted else 'does not allow'} "
                f"events:PutEvents from registry account {account}",
                f"deploy the automation stack {self.config.stack_name} (it writes the bus policy)",
            )

    def account_checks(self, account: str, client: ClientFactory) -> None:
        area = f"Account: {account}"
        config = self.config
        automation = str(config.account)
        caller = str(client("sts").get_caller_identity()["Account"])
        if caller != account:
            self.doctor.add(
                area,
                "credentials",
                "FAIL",
                f"the profile given for {account} is for account {caller}",
                f"pass --account-profile {account}=PROFILE with a profile of account {account}",
            )
            return
        fix = deploy_fix(config, account)
        self.doctor.safely(area, self.bootstrap_trust, area, account, client)
        self.role(area, client, accounts.access_role_name(config.stack_name), fix, automation=automation)
        if account in config.registry_accounts():
            self.role(area, client, accounts.neo_role_name(config.stack_name), fix)
            self.forwarding_rule(area, client, fix)
            self.group_policies(area, account, client, fix)
        if account in config.endpoint_accounts():
            self.role(area, client, accounts.shadow_role_name(config.stack_name), fix)
        self.resources_in(account, client)

    def resources_in(self, account: str, client: ClientFactory) -> None:
        """The groups and production endpoints the configuration places in `account`, read there with
        doctor's own checks (their areas name the account)."""
        config = self.config
        local = self.checks_in(client)
        for group, settings in sorted(config.groups.items()):
            if config.registry_account(group) == account:
                local.safely(f"Group: {group}", local.group_found, group)
            if settings.shadow is not None and config.endpoint_account(group) == account:
                endpoint = f"Endpoint: {settings.shadow.endpoint_name} ({group})"
                local.safely(endpoint, local.endpoint_check, group, settings.shadow)
        for check in local.checks:
            self.doctor.add(f"{check.area} in {account}", check.name, check.result, check.detail, check.fix)

    def bootstrap_trust(self, area: str, account: str, client: ClientFactory) -> None:
        """The account's CDK deploy role trusts the automation account (`cdk bootstrap --trust`): the
        bootstrap template's TrustedAccounts are the "List of AWS accounts that are trusted to publish
        assets and deploy stacks to this environment", and its deploy role lets them sts:AssumeRole."""
        automation, region = str(self.config.account), self.doctor.region
        name = cdk_deploy_role_name(account, region)
        fix = bootstrap_command(account, region, automation, self.doctor.partition)
        try:
            role = client("iam").get_role(RoleName=name)["Role"]
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code not in {"NoSuchEntity", "NoSuchEntityException"}:
                detail = f"cannot read the CDK deploy role {name} ({code or type(exc).__name__})"
                allow = "allow iam:GetRole on it to check it; "
                self.doctor.add(area, "cdk bootstrap", "WARN", detail, allow + fix)
                return
            detail = f"no CDK deploy role {name}: the account is not bootstrapped for the CDK"
            detail += "; `cdk deploy --all` cannot deploy here"
            self.doctor.add(area, "cdk bootstrap", "WARN", detail, fix)
            return
        statements = as_list(policy_document(role.get("AssumeRolePolicyDocument", {})).get("Statement", []))
        trusted = any(
            _allows(s, "sts:AssumeRole") and automation in _principal_accounts(s) for s in statements
        )
        self.doctor.add(
            area,
            "cdk bootstrap",
            "PASS" if trusted else "WARN",
            f"{name} trusts the automation account {automation}: `cdk deploy --all` deploys here"
            if trusted
            else f"{name} does not trust the automation account {automation}: `cdk deploy --all` "
            "from it cannot deploy here",
            "" if trusted else fix,
        )

    def role(
        self, area: str, client: ClientFactory, name: str, fix: str, automation: str | None = None
    ) -> None:
        try:
            role = client("iam").get_role(RoleName=name)["Role"]
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            missing = code in {"NoSuchEntity", "NoSuchEntityException"}
            self.doctor.add(
                area,
                f"role {name}",
                "FAIL" if missing else "WARN",
                "does not exist" if missing else f"cannot read it ({code})",
                fix if missing else "allow the caller iam:GetRole to check it",
            )
            return
        self.doctor.add(area, f"role {name}", "PASS", str(role["Arn"]))
        if automation is None:
            return
        path = accounts.automation_role_path(self.config.stack_name)
        why = trust_admits_automation(role.get("AssumeRolePolicyDocument", {}), automation, path)
        self.doctor.add(
            area,
            f"role {name} trust",
            "PASS" if why is None else "FAIL",
            f"only the automation stack's function roles ({automation}, {path}*) may assume it"
            if why is None
            else why,
            fix,
        )

    def forwarding_rule(self, area: str, client: ClientFactory, fix: str) -> None:
        """A rule on the account's default bus that sends model package state changes to the automation
        account's default bus."""
        events = client("events")
        bus = (
            f"arn:{self.doctor.partition}:events:{self.doctor.region}:{self.config.account}:event-bus/default"
        )
        forwarding = []
        for page in events.get_paginator("list_rules").paginate(EventBusName="default"):
            for rule in page.get("Rules", []):
                pattern = json.loads(rule.get("EventPattern") or "{}")
                if EVENT_SOURCE not in as_list(pattern.get("source", [])):
                    continue
                targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName="default")["Targets"]
                if any(t.get("Arn") == bus for t in targets) and rule.get("State") == "ENABLED":
                    forwarding.append(str(rule["Name"]))
        self.doctor.add(
            area,
            "forwarding rule",
            "PASS" if forwarding else "FAIL",
            f"{', '.join(forwarding)} sends its groups' state changes to {bus}"
            if forwarding
            else f"no enabled rule sends {EVENT_SOURCE} state changes to {bus}",
            fix,
        )

    def group_policies(self, area: str, account: str, client: ClientFactory, fix: str) -> None:
        """Each of the account's groups whose shadow endpoint is in another account shares its versions
        with that account."""
        sagemaker = client("sagemaker")
        for group, settings in sorted(self.config.groups.items()):
            if self.config.registry_account(group) != account or settings.shadow is None:
                continue
            endpoint_account = self.config.endpoint_account(group)
            if endpoint_account in (None, account):
                continue
            try:
                policy = sagemaker.get_model_package_group_policy(ModelPackageGroupName=group)[
                    "ResourcePolicy"
                ]
            except Exception as exc:
                code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
                self.doctor.add(area, f"group {group} policy", "FAIL", f"no resource policy ({code})", fix)
                continue
            missing = group_policy_missing(policy, str(endpoint_account), accounts.GROUP_SHARE_ACTIONS)
            self.doctor.add(
                area,
                f"group {group} policy",
                "FAIL" if missing else "PASS",
                f"does not allow endpoint account {endpoint_account}: {', '.join(missing)}"
                if missing
                else f"shares the versions with endpoint account {endpoint_account}",
                fix,
            )
