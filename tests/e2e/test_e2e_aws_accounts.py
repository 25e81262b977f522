"""`make e2e-aws` across three accounts (docs/ACCOUNTS.md), end to end on the embedded backend: the
automation account deploys the stack and its companions (`cdk deploy --all`), the world's group is in
the registry account and its production endpoint in the endpoint account, each reached with its own
credentials (scripts/e2e_aws.py `run`, the same sequence as a real run: only the network differs).

AWS behaviour relied on:
- The CDK CLI's bootstrap template (node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml, the
  pinned CLI's): TrustedAccounts is the "List of AWS accounts that are trusted to publish assets and
  deploy stacks to this environment", and its DeploymentActionRole lets them sts:AssumeRole; the cloud
  assembly tells `cdk deploy` to assume that role in each stack's account (`assumeRoleArn`,
  tests/infrastructure/test_accounts.py). The embedded accounts create the role from that template.
- IAM User Guide, "Cross-account policy evaluation logic": "To allow cross-account access, you attach a
  resource-based policy to the resource that you want to share. You must also attach an identity-based
  policy to the identity that acts as the principal in the request." (the registry bucket's policy
  lets the endpoint account's shadow role read the model, as docs/ACCOUNTS.md tells users to).
- CloudFormation API Reference, DeleteStack: "Deleted stacks don't show up in the DescribeStacks
  operation if the deletion has been completed successfully."
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autopilot.e2e.embedded_account import LocalAccount
from autopilot.e2e.world import Accounts, ResourceRecord, world_config, world_name
from autopilot.embedded.bootstrap import bootstrap
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import LOCAL_ACCOUNT, SynthesizedApp, synthesize
from scripts import e2e_aws
from tests.e2e import test_lifecycle
from tests.e2e.backends import AwsBackend, EmbeddedBackend, World

WORLD = "across"
GROUP = world_name(WORLD)
AUTOMATION, REGISTRY, ENDPOINTS = LOCAL_ACCOUNT, "222222222222", "333333333333"
ACROSS = [
    "--account",
    AUTOMATION,
    "--region",
    "us-east-1",
    "--registry-account",
    REGISTRY,
    "--registry-profile",
    "registry",
    "--endpoint-account",
    ENDPOINTS,
    "--endpoint-profile",
    "prod",
]


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize(
        world_config(WORLD, account=AUTOMATION, registry_account=REGISTRY, endpoint_account=ENDPOINTS)
    )


@pytest.fixture(scope="module")
def plan(app: SynthesizedApp) -> e2e_aws.Plan:
    return e2e_aws.plan_for(app.config, WORLD)


@pytest.fixture
def stack(app: SynthesizedApp) -> Iterator[EmbeddedStack]:
    with EmbeddedStack(app) as embedded:
        yield embedded


def bootstrapped(stack: EmbeddedStack, *accounts: str) -> dict[str, LocalAccount]:
    """The accounts, the others bootstrapped with --trust the automation account (docs/ACCOUNTS.md)."""
    for account in accounts:
        bootstrap(stack.backend, account, trust=[AUTOMATION])
    return {AUTOMATION: LocalAccount(stack), **LocalAccount(stack).others()}


def args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    return e2e_aws.parser().parse_args(
        ["--record", str(tmp_path / "resources.json"), "--world-id", WORLD, *extra]
    )


def connect_to(accounts: dict[str, LocalAccount], profiles: dict[str, str | None]) -> e2e_aws.Connect:
    """Each account by the profile named for it; the profile is recorded to check it was the right one."""

    def connect(account_id: str, region: str, profile: str | None) -> LocalAccount:
        profiles[account_id] = profile
        return accounts[account_id]

    return connect


def never(*_: Any) -> Any:
    raise AssertionError("no account may be contacted")


def scenarios_across(names: list[str]) -> e2e_aws.ScenarioRunner:
    def runner(accounts: Accounts, world_file: Path) -> bool:
        world = json.loads(world_file.read_text())
        assert (world["registry_account"], world["endpoint_account"]) == (REGISTRY, ENDPOINTS)
        backend = EmbeddedBackend(accounts.automation.stack, GROUP)  # type: ignore[attr-defined]
        for name in names:
            getattr(test_lifecycle, name)(backend)
        return True

    return runner


def held(account: LocalAccount, world: str = WORLD) -> list[str]:
    """What of the world is left in an account."""
    sagemaker, left = account.client("sagemaker"), []
    left += [
        g["ModelPackageGroupName"]
        for g in sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
    ]
    left += [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]]
    left += [m["ModelName"] for m in sagemaker.list_models()["Models"]]
    left += [
        b["Name"]
        for b in account.client("s3").list_buckets()["Buckets"]
        if b["Name"].startswith(world_name(world))
    ]
    left += [s["StackName"] for s in account.client("cloudformation").describe_stacks()["Stacks"]]
    return [name for name in left if world in name.lower()]


def test_given_other_accounts_when_dry_run_then_the_plan_names_the_account_of_everything_it_creates(
    tmp_path: Path, plan: e2e_aws.Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    code = e2e_aws.run(args(tmp_path, "--dry-run", *ACROSS), environ={}, connect=never, scenarios=never)

    out = capsys.readouterr().out
    assert code == e2e_aws.EXIT_OK
    assert f"CloudFormation stack AutopilotE2e-{WORLD} in account {AUTOMATION} (automation)" in out
    assert (
        f"CloudFormation stack AutopilotE2e-{WORLD}-{REGISTRY} in account {REGISTRY} (companion stack)" in out
    )
    assert (
        f"CloudFormation stack AutopilotE2e-{WORLD}-{ENDPOINTS} in account {ENDPOINTS} (companion stack)"
        in out
    )
    assert f"model package group {GROUP} in account {REGISTRY} (registry)" in out
    assert f"endpoint {GROUP} in account {ENDPOINTS} (endpoint)" in out
    assert "its policy lets the endpoint account's shadow role read the model" in out
    assert "stacks (fixed monthly cost, pro rata)" in out
    assert out == plan.render() + "\ndry run: nothing created\n"


def test_the_plan_across_accounts_adds_the_companions_fixed_cost(
    plan: e2e_aws.Plan, app: SynthesizedApp
) -> None:
    from autopilot.cost.report import companions_fixed_monthly, fixed_monthly

    (_, _, usd) = plan.cost_lines[3]
    companions = companions_fixed_monthly(app)
    # The registry companion's dead-letter alarm and its KMS key; the endpoint companion has neither.
    assert [item for item, _, _ in companions.lines if REGISTRY in item]
    assert not [item for item, _, _ in companions.lines if ENDPOINTS in item]
    assert usd == pytest.approx((fixed_monthly(app).total + companions.total) * 2.0 / (30 * 24), rel=0.02)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--registry-account", REGISTRY],
            "--registry-account / --endpoint-account need --account (the automation account",
        ),
        (
            ["--account", AUTOMATION, "--endpoint-account", "33333"],
            "--endpoint-account '33333': an AWS account",
        ),
        (
            ["--account", AUTOMATION, "--registry-account", AUTOMATION],
            f"--registry-account {AUTOMATION} is the automation account (--account)",
        ),
        (
            ["--account", AUTOMATION, "--registry-profile", "registry"],
            "--registry-profile names a profile for no",
        ),
    ],
)
def test_given_other_accounts_named_wrongly_then_it_refuses_in_one_line_before_synthesizing(
    tmp_path: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = e2e_aws.run(
        args(tmp_path, "--dry-run", *extra), environ={}, connect=never, scenarios=never, planner=never
    )

    assert code == e2e_aws.EXIT_REFUSED
    assert message in capsys.readouterr().err


def test_given_an_other_account_without_a_profile_then_it_refuses_before_contacting_any_account(
    tmp_path: Path, plan: e2e_aws.Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    without_profile = [a for a in ACROSS if a not in ("--endpoint-profile", "prod")]

    code = e2e_aws.run(
        args(tmp_path, "--yes", *without_profile),
        environ={},
        connect=never,
        scenarios=never,
        planner=lambda *_: plan,
    )

    assert code == e2e_aws.EXIT_REFUSED
    assert f"name a profile for account {ENDPOINTS}" in capsys.readouterr().err


def test_given_a_profile_for_another_account_than_named_then_it_refuses_and_creates_nothing(
    tmp_path: Path, stack: EmbeddedStack, plan: e2e_aws.Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = bootstrapped(stack, REGISTRY, ENDPOINTS)
    crossed = {**accounts, REGISTRY: accounts[ENDPOINTS]}  # the registry profile reaches 333333333333

    code = e2e_aws.run(
        args(tmp_path, "--yes", *ACROSS),
        environ={},
        connect=connect_to(crossed, {}),
        scenarios=never,
        planner=lambda *_: plan,
    )

    assert code == e2e_aws.EXIT_REFUSED
    assert f"the credentials are for account {ENDPOINTS} in us-east-1, not the named {REGISTRY}" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "resources.json").exists()


def test_given_an_account_not_bootstrapped_with_trust_then_the_preflight_stops_naming_the_command(
    tmp_path: Path, stack: EmbeddedStack, plan: e2e_aws.Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = bootstrapped(stack, REGISTRY)  # the endpoint account is not

    code = e2e_aws.run(
        args(tmp_path, "--yes", *ACROSS),
        environ={},
        connect=connect_to(accounts, {}),
        scenarios=never,
        planner=lambda *_: plan,
    )

    err = capsys.readouterr().err
    assert code == e2e_aws.EXIT_FAILED
    assert "preflight failed; nothing created" in err
    assert f"Account: {ENDPOINTS}: cdk bootstrap: no CDK deploy role" in err
    assert f"npx cdk bootstrap aws://{ENDPOINTS}/us-east-1 --trust {AUTOMATION}" in err
    assert f"Account: {REGISTRY}: cdk bootstrap" not in err
    assert not (tmp_path / "resources.json").exists()
    assert [held(account) for account in accounts.values()] == [[], [], []]


def test_given_three_accounts_then_the_world_is_deployed_in_each_tested_and_entirely_removed(
    tmp_path: Path, stack: EmbeddedStack, plan: e2e_aws.Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = bootstrapped(stack, REGISTRY, ENDPOINTS)
    used: dict[str, str | None] = {}
    scenarios = [
        "test_given_a_version_whose_report_passes_when_registered_then_it_is_compiled_attached_and_approved",
        "test_given_an_approved_version_then_its_shadow_test_ramps_through_the_plan_to_its_conclusion",
    ]

    code = e2e_aws.run(
        args(tmp_path, "--yes", *ACROSS),
        environ={},
        connect=connect_to(accounts, used),
        planner=lambda *_: plan,
        scenarios=scenarios_across(scenarios),
        wait_endpoint=lambda *_: None,
    )

    captured = capsys.readouterr()
    out = captured.out
    assert code == e2e_aws.EXIT_OK, captured.out[-3000:] + captured.err
    assert used == {AUTOMATION: None, REGISTRY: "registry", ENDPOINTS: "prod"}
    assert "scenarios: passed" in out
    assert f"deleted  stack AutopilotE2e-{WORLD}-{REGISTRY} in account {REGISTRY}" in out
    assert f"deleted  stack AutopilotE2e-{WORLD}-{ENDPOINTS} in account {ENDPOINTS}" in out
    assert f"deleted  stack AutopilotE2e-{WORLD}\n" in out
    assert f"deleted  group {GROUP} in account {REGISTRY}" in out
    assert f"deleted  endpoint {GROUP} in account {ENDPOINTS}" in out
    assert re.search(rf"deleted  kms-key \S+ in account {REGISTRY}", out)  # the companion's retained key
    assert "experiment autopilot-" in out  # the shadow test the stack started, found where it ran
    # The companions are deleted before the automation stack they depend on.
    assert out.index(f"stack AutopilotE2e-{WORLD}-{REGISTRY}") < out.index(f"stack AutopilotE2e-{WORLD}\n")
    assert [held(account) for account in accounts.values()] == [[], [], []]
    assert ResourceRecord.load(tmp_path / "resources.json").resources == []
    writes = {(w["operation"], w["account"]) for w in stack.writes()}
    assert ("CreateInferenceExperiment", ENDPOINTS) in writes
    assert ("CreateCompilationJob", REGISTRY) in writes


def test_given_a_record_across_accounts_when_cleaned_then_each_account_is_reached_by_its_recorded_profile(
    tmp_path: Path, stack: EmbeddedStack, app: SynthesizedApp
) -> None:
    accounts = bootstrapped(stack, REGISTRY, ENDPOINTS)
    record = ResourceRecord(
        tmp_path / "resources.json",
        WORLD,
        AUTOMATION,
        "us-east-1",
        profiles={REGISTRY: "registry", ENDPOINTS: "prod"},
    )
    world = Accounts(accounts[AUTOMATION], {REGISTRY: accounts[REGISTRY], ENDPOINTS: accounts[ENDPOINTS]})
    e2e_aws.create_world(world, record, app.config)  # ... and the run was interrupted here
    assert {r.account for r in ResourceRecord.load(record.path).resources} == {"", REGISTRY, ENDPOINTS}
    used: dict[str, str | None] = {}

    code = e2e_aws.clean(record.path, connect_to(accounts, used), None)

    assert code == e2e_aws.EXIT_OK
    assert used == {AUTOMATION: None, REGISTRY: "registry", ENDPOINTS: "prod"}
    assert [held(account) for account in accounts.values()] == [[], [], []]


def test_given_a_stale_recorded_profile_when_cleaned_with_another_then_that_one_reaches_the_account(
    tmp_path: Path, stack: EmbeddedStack, app: SynthesizedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make e2e-aws-clean E2E_ARGS="--endpoint-profile fresh"`: the flag names the record's endpoint
    account. And a listing that fails in the endpoint account (throttled, expired credentials) does not
    stop the clean-up of what the record holds."""
    accounts = bootstrapped(stack, REGISTRY, ENDPOINTS)
    profiles = {AUTOMATION: "automation", REGISTRY: "registry", ENDPOINTS: "expired"}
    record = ResourceRecord(
        tmp_path / "resources.json",
        WORLD,
        AUTOMATION,
        "us-east-1",
        profiles=profiles,
        registry_account=REGISTRY,
        endpoint_account=ENDPOINTS,
    )
    others = {REGISTRY: accounts[REGISTRY], ENDPOINTS: accounts[ENDPOINTS]}
    e2e_aws.create_world(Accounts(accounts[AUTOMATION], others), record, app.config)
    used: dict[str, str | None] = {}

    def throttled(*_: Any, **__: Any) -> Any:
        raise RuntimeError("ThrottlingException: Rate exceeded")

    monkeypatch.setattr(e2e_aws, "stack_created_resources", throttled)
    code = e2e_aws.run(
        e2e_aws.parser().parse_args(["--clean", "--record", str(record.path), "--endpoint-profile", "fresh"]),
        environ={},
        connect=connect_to(accounts, used),
        scenarios=never,
    )

    assert code == e2e_aws.EXIT_OK
    assert used == {AUTOMATION: "automation", REGISTRY: "registry", ENDPOINTS: "fresh"}
    assert [held(account) for account in accounts.values()] == [[], [], []]


def test_the_aws_backend_reads_the_version_in_the_registry_account_and_the_experiment_in_the_endpoint_one(
    tmp_path: Path, stack: EmbeddedStack, app: SynthesizedApp
) -> None:
    """The AWS backend's calls, through each account's own clients, on the local accounts; only
    EventBridge's delivery is done here by hand (the local backend does not deliver by itself)."""
    from types import SimpleNamespace

    accounts = bootstrapped(stack, REGISTRY, ENDPOINTS)
    record = ResourceRecord(tmp_path / "resources.json", WORLD, AUTOMATION, "us-east-1")
    world = World(
        **e2e_aws.create_world(
            Accounts(accounts[AUTOMATION], dict(list(accounts.items())[1:])), record, app.config
        )
    )
    assert world.config() == app.config

    def target(account: LocalAccount) -> Any:
        return SimpleNamespace(client=account.client, account=account.account_id, region=account.region)

    others = {a: target(accounts[a]) for a in (REGISTRY, ENDPOINTS)}
    aws = AwsBackend(target(accounts[AUTOMATION]), world, poll_seconds=0, others=others)

    arn = aws.register(passing=True)
    assert arn.split(":")[4] == REGISTRY
    stack.send_event(stack.backend.emitted_events[-1])  # EventBridge's delivery, forwarded

    assert aws.compile_executions(arn) == ["SUCCEEDED"]
    version = aws.wait_until("decided", lambda: test_lifecycle.decided(aws, arn), 1)
    assert version["ModelApprovalStatus"] == "Approved"
    assert aws.experiment(arn) is None  # not approved long enough ago for a shadow test yet: none started


def test_given_a_central_registry_with_production_elsewhere_then_the_world_runs_and_is_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The other layout with a path of its own: the group in the automation account, shared with the
    endpoint account by the automation stack's own group-policy custom resource (docs/ACCOUNTS.md,
    "Group policies"), the production endpoint and the shadow test in the endpoint account."""
    central = synthesize(world_config("central", account=AUTOMATION, endpoint_account=ENDPOINTS))
    group = world_name("central")
    with EmbeddedStack(central) as embedded:
        accounts = bootstrapped(embedded, ENDPOINTS)

        def scenarios(accounts: Accounts, world_file: Path) -> bool:
            backend = EmbeddedBackend(embedded, group)
            test_lifecycle.test_given_an_approved_version_then_its_shadow_test_ramps_through_the_plan_to_its_conclusion(
                backend
            )
            return True

        code = e2e_aws.run(
            e2e_aws.parser().parse_args(
                [
                    *("--record", str(tmp_path / "resources.json"), "--world-id", "central", "--yes"),
                    *("--account", AUTOMATION, "--region", "us-east-1"),
                    *("--endpoint-account", ENDPOINTS, "--endpoint-profile", "prod"),
                ]
            ),
            environ={},
            connect=connect_to(accounts, {}),
            scenarios=scenarios,
            wait_endpoint=lambda *_: None,
        )
        writes = {(w["operation"], w["account"]) for w in embedded.writes()}
        left = [held(account, "central") for account in accounts.values()]

    out = capsys.readouterr().out
    assert code == e2e_aws.EXIT_OK, out[-3000:]
    assert ("CreateInferenceExperiment", ENDPOINTS) in writes
    assert ("CreateCompilationJob", AUTOMATION) in writes
    assert f"deleted  group {group}\n" in out  # in the automation account
    assert f"deleted  endpoint {group} in account {ENDPOINTS}" in out
    assert left == [[], []]
