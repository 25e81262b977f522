"""doctor across the three accounts of the example (docs/ACCOUNTS.md): with a profile for each other
account it checks their access roles and trust, the registry account's forwarding rule and group
policy, the Neo and shadow roles, and the automation bus's policy; each missing piece FAILs naming the
companion stack to deploy in which account.

AWS behaviour relied on: EventBridge User Guide, "Permissions for event buses": "The default event bus
in your AWS account only allows events from one account. You can grant additional permissions to an
event bus by attaching a resource-based policy to it."; SageMaker Developer Guide, "Set up
discoverability": the group's resource policy grants "sagemaker:DescribeModelPackage",
"sagemaker:ListModelPackages", "sagemaker:DescribeModelPackageGroup". The CDK CLI's bootstrap template
(node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml, the pinned CLI's): its parameter
TrustedAccounts is the "List of AWS accounts that are trusted to publish assets and deploy stacks to
this environment", and its DeploymentActionRole lets them sts:AssumeRole.
"""

from __future__ import annotations

import functools

import pytest

from autopilot.account.doctor import ClientFactory, DoctorReport, run_doctor
from autopilot.embedded.bootstrap import bootstrap
from autopilot.embedded.synth import SynthesizedApp, read_wiring
from tests.e2e.three_accounts import ENDPOINTS, REGISTRY, three_account_app, three_accounts_of
from tests.grants import grants, without


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return three_account_app()


def doctor(
    app: SynthesizedApp, *, profiles: tuple[str, ...] = (REGISTRY, ENDPOINTS), bootstrapped: bool = True
) -> DoctorReport:
    with three_accounts_of(app, bootstrapped=bootstrapped) as world:
        backend = world.stack.backend
        others: dict[str, ClientFactory] = {
            account: functools.partial(backend.client, account=account) for account in profiles
        }
        return run_doctor(app.config, backend.client, backend.region, others)


def checks(report: DoctorReport, area_prefix: str) -> dict[str, tuple[str, str]]:
    return {c.name: (c.result, c.fix) for c in report.checks if c.area.startswith(area_prefix)}


def test_given_every_stack_deployed_then_each_account_passes(app: SynthesizedApp) -> None:
    report = doctor(app)

    assert checks(report, "Accounts")[f"event bus admits {REGISTRY}"][0] == "PASS"
    registry = checks(report, f"Account: {REGISTRY}")
    assert {name: result for name, (result, _) in registry.items()} == {
        "cdk bootstrap": "PASS",
        "role AutopilotE2e-accounts-access": "PASS",
        "role AutopilotE2e-accounts-access trust": "PASS",
        "role AutopilotE2e-accounts-neo": "PASS",
        "forwarding rule": "PASS",
        "group autopilot-e2e-accounts policy": "PASS",
    }
    # The group and the endpoint are read in their own accounts, not looked for in the automation one.
    assert checks(report, f"Group: autopilot-e2e-accounts in {REGISTRY}")["exists"][0] == "PASS"
    endpoint = checks(report, f"Endpoint: autopilot-e2e-accounts (autopilot-e2e-accounts) in {ENDPOINTS}")
    assert endpoint["status"][0] == "PASS"
    assert not [
        c for c in report.checks if c.area.startswith(("Group: ", "Endpoint: ")) and " in " not in c.area
    ]
    assert report.exit_code == 0
    endpoints = checks(report, f"Account: {ENDPOINTS}")
    assert {name: result for name, (result, _) in endpoints.items()} == {
        "cdk bootstrap": "PASS",
        "role AutopilotE2e-accounts-access": "PASS",
        "role AutopilotE2e-accounts-access trust": "PASS",
        "role AutopilotE2e-accounts-shadow": "PASS",
    }


def test_given_accounts_not_bootstrapped_then_doctor_warns_with_the_bootstrap_command(
    app: SynthesizedApp,
) -> None:
    report = doctor(app, bootstrapped=False)

    for account in (REGISTRY, ENDPOINTS):
        result, fix = checks(report, f"Account: {account}")["cdk bootstrap"]
        assert result == "WARN"
        assert fix.startswith(f"npx cdk bootstrap aws://{account}/us-east-1 --trust {app.config.account} ")
    details = [c.detail for c in report.checks if c.name == "cdk bootstrap"]
    assert all("is not bootstrapped for the CDK" in d for d in details)


def test_given_an_account_bootstrapped_without_trust_then_doctor_warns_that_deploy_all_cannot_reach_it(
    app: SynthesizedApp,
) -> None:
    with three_accounts_of(app) as world:
        backend = world.stack.backend
        bootstrap(backend, REGISTRY, trust=[])  # bootstrapped again, without --trust
        others: dict[str, ClientFactory] = {REGISTRY: functools.partial(backend.client, account=REGISTRY)}
        report = run_doctor(app.config, backend.client, backend.region, others)

    (check,) = [c for c in report.checks if c.area == f"Account: {REGISTRY}" and c.name == "cdk bootstrap"]
    assert check.result == "WARN"
    assert f"does not trust the automation account {app.config.account}" in check.detail


@pytest.mark.parametrize(
    ("kind", "check"),
    [("forward", "forwarding rule"), ("group", "group autopilot-e2e-accounts policy")],
)
def test_given_a_registry_grant_missing_then_doctor_fails_it_naming_the_stack_to_deploy(
    app: SynthesizedApp,
    kind: str,
    check: str,
) -> None:
    account, name, template = app.companions[0]
    (grant,) = [g for g in grants(template) if g.kind == kind]
    companions = [(account, name, without(template, grant)), *app.companions[1:]]

    report = doctor(read_wiring(app.config, app.template, companions))

    result, fix = checks(report, f"Account: {REGISTRY}")[check]
    assert result == "FAIL"
    assert f"deploy the companion stack {name} in account {REGISTRY}" in fix
    assert report.exit_code == 1


def test_given_no_profile_for_an_account_then_it_is_reported_unchecked(app: SynthesizedApp) -> None:
    report = doctor(app, profiles=(REGISTRY,))

    result, fix = checks(report, f"Account: {ENDPOINTS}")["checked"]
    assert result == "WARN"
    assert f"--account-profile {ENDPOINTS}=PROFILE" in fix
