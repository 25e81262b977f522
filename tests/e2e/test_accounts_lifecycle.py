"""The whole lifecycle across three accounts (docs/ACCOUNTS.md): the automation stack in one, the
registry in a second, the production endpoint in a third, each companion stack deployed in its
account on the embedded backend, which holds every call to the account its credentials name and to
the grants the templates make.

AWS behaviour relied on (each enforced by the embedded account; docs/FIDELITY.md, "Accounts"):
- Step Functions API Reference, TaskCredentials: "The ARN of an IAM role that Step Functions assumes
  for the task. The role can allow cross-account access to resources." (the compilation job is
  created in the registry account, as its access role).
- EventBridge User Guide, "Permissions for event buses": "The default event bus in your AWS account
  only allows events from one account. You can grant additional permissions to an event bus by
  attaching a resource-based policy to it." (the registry account's state changes reach the
  automation stack's rules only through its forwarding rule and the automation bus's policy).
- SageMaker Developer Guide, "Cross-account discoverability": "the resource consumer can register or
  deploy a model package from a different account if they have the necessary permissions" (the
  endpoint account creates the shadow model from the version, as the group's policy allows).
- IAM User Guide, aws:PrincipalArn: "Use this key to compare the Amazon Resource Name (ARN) of the
  principal that made the request with the ARN that you specify in the policy." (the access roles
  trust only the automation stack's function roles, by their path).

The second test removes each cross-account grant the four templates make, one at a time, and shows the
lifecycle no longer completes, with the failure naming what is missing.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from autopilot.embedded.synth import SynthesizedApp, read_wiring
from registry_autopilot.logic import shadow as shadow_logic
from tests.e2e.three_accounts import (
    AUTOMATION,
    ENDPOINTS,
    REGISTRY,
    three_account_app,
    three_accounts_of,
)
from tests.grants import Grant, grants, statement_of, without


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return three_account_app()


def test_given_three_accounts_when_a_version_is_registered_then_each_call_runs_in_its_account(
    app: SynthesizedApp,
) -> None:
    assert [account for account, _, _ in app.companions] == [REGISTRY, ENDPOINTS]
    with three_accounts_of(app) as world:
        arn = world.run(hours=30)
        version = world.version(arn)
        experiment = world.experiment(arn)
        writes = world.stack.writes()

    assert world.problems == []
    assert arn.split(":")[4] == REGISTRY
    assert version["ModelApprovalStatus"] == "Approved"
    assert sorted(s["Name"] for s in version["AdditionalInferenceSpecifications"]) == [
        "neo-ml-c5",
        "neo-ml-m5",
    ]
    assert experiment is not None
    assert experiment["Status"] == "Completed"
    assert version["CustomerMetadataProperties"].get(shadow_logic.OUTCOME_KEY)
    where = {(w["operation"], w["account"]) for w in writes}
    assert ("CreateCompilationJob", REGISTRY) in where
    assert ("UpdateModelPackage", REGISTRY) in where
    assert ("CreateModel", ENDPOINTS) in where
    assert ("CreateInferenceExperiment", ENDPOINTS) in where
    assert ("UpdateInferenceExperiment", ENDPOINTS) in where
    assert ("StopInferenceExperiment", ENDPOINTS) in where
    # Nothing of the registry's or the endpoint's is written in the automation account.
    assert not {op for op, account in where if account == AUTOMATION} & {
        "CreateCompilationJob",
        "UpdateModelPackage",
        "CreateModel",
        "CreateInferenceExperiment",
    }


def _crosses_accounts(template: dict[str, Any], own: str, grant: Grant) -> bool:
    """A grant that lets one account act in, or with, another: the access roles' trust and policies,
    event forwarding, group sharing, the bus policy, and any statement naming another account."""
    if grant.kind in {"forward", "group", "bus"} or grant.logical_id.startswith("AccessRole"):
        return True
    text = json.dumps(statement_of(template, grant))
    return any(account in text for account in (AUTOMATION, REGISTRY, ENDPOINTS) if account != own)


def cross_account_grants(app: SynthesizedApp) -> list[tuple[str | None, Grant]]:
    """(companion account, or None for the automation stack; grant) for every cross-account grant."""
    found: list[tuple[str | None, Grant]] = [
        (None, grant) for grant in grants(app.template) if _crosses_accounts(app.template, AUTOMATION, grant)
    ]
    for account, _, template in app.companions:
        found += [
            (account, grant) for grant in grants(template) if _crosses_accounts(template, account, grant)
        ]
    return found


def _without(app: SynthesizedApp, account: str | None, grant: Grant) -> SynthesizedApp:
    if account is None:
        return read_wiring(app.config, without(app.template, grant), app.companions)
    companions = [
        (each, name, without(template, grant) if each == account else template)
        for each, name, template in copy.deepcopy(app.companions)
    ]
    return read_wiring(app.config, copy.deepcopy(app.template), companions)


def _failure_recorded(version: dict[str, Any]) -> str | None:
    """A refusal the functions recorded on the version itself (a target FAILED, a report unreadable)."""
    texts = [
        version.get("ApprovalDescription") or "",
        *version.get("CustomerMetadataProperties", {}).values(),
    ]
    return next((t for t in texts if any(word in t for word in REFUSALS)), None)


# How AWS words a refusal: IAM's "not authorized", the AccessDenied codes, and SageMaker's "Could not
# access model data" when a shadow variant's role may not read its model.
REFUSALS = ("not authorized", "AccessDenied", "Could not access")

# Grants the embedded account cannot show to be needed, each with why (docs/FIDELITY.md, "Accounts").
NOT_OBSERVED: dict[str, str] = {
    "LocateCompiledModels": "Neo's own uploader locates the bucket before writing; the embedded Neo job "
    "writes its one object only",
    "NeoLocatesCompiledModels": "the bucket policy's side of the same grant",
    "ReadModelArtifacts": "the shadow variant serves the compiled artifact for its instance type; the "
    "version's own model data is read only when no compiled one matches",
    "ReadProductionModels": "the world's production model is named under the shadow models' prefix "
    "(autopilot-*), so CreateShadowModels' DescribeModel covers it here; a production model of "
    "another name needs this grant",
}


def _outcome(app: SynthesizedApp, account: str | None, grant: Grant) -> tuple[str, str]:
    """("survived" | "unnamed" | "failed", detail) of the lifecycle with `grant` removed."""
    with three_accounts_of(_without(app, account, grant)) as world:
        arn = world.run(hours=30)
        version = world.version(arn)
    concluded = str(version.get("CustomerMetadataProperties", {}).get(shadow_logic.OUTCOME_KEY, ""))
    completed = (
        concluded.startswith("COMPLETED: rollout plan done")
        and version["ModelApprovalStatus"] == "Approved"
        and len(version.get("AdditionalInferenceSpecifications", [])) == 2
    )
    named = world.problems or ([recorded] if (recorded := _failure_recorded(version)) else [])
    label = f"{account or AUTOMATION}: {grant}"
    if completed and not named:
        return "survived", label
    if not any(word in p for p in named for word in (*REFUSALS, "no rule")):
        return "unnamed", f"{label}: {named[:1]}"
    return "failed", f"{label}: {named[0][:300]}"


def test_given_any_one_cross_account_grant_removed_then_the_lifecycle_fails_naming_it(
    app: SynthesizedApp,
) -> None:
    removed = cross_account_grants(app)
    kinds = {grant.kind for _, grant in removed}
    assert {"trust", "identity", "forward", "group", "bus", "bucket"} <= kinds, kinds
    # Each removal is its own world: two at a time (each process holds its own embedded accounts).
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
        outcomes = list(pool.map(_outcome, [app] * len(removed), *zip(*removed, strict=True)))
    survived = [
        detail
        for (kind, detail), (_, grant) in zip(outcomes, removed, strict=True)
        if kind == "survived" and not any(sid in str(grant) for sid in NOT_OBSERVED)
    ]
    unnamed = [detail for kind, detail in outcomes if kind == "unnamed"]
    observed = {
        sid for sid in NOT_OBSERVED if any(sid in detail for _, detail in outcomes if _ == "survived")
    }
    assert survived == [], f"grants the lifecycle does not need: {survived}"
    assert unnamed == [], f"grants whose removal fails without naming what is missing: {unnamed}"
    assert observed == set(NOT_OBSERVED), (
        f"listed as not observed, yet needed: {set(NOT_OBSERVED) - observed}"
    )
