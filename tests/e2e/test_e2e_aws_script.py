"""`make e2e-aws` end to end on the embedded backend: the "account" is the local backend with the stack
deployed locally (autopilot/e2e/embedded_account.py LocalAccount), and the sequence is the script's own
(scripts/e2e_aws.py `run`): plan and cost, refusals, doctor preflight, the world, the scenarios, the
clean-up from the resource record. Only the network differs from a real run.

CloudFormation API Reference, DeleteStack
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html): "Deletes a
specified stack. Once the call completes successfully, stack deletion starts. Deleted stacks don't
show up in the DescribeStacks operation if the deletion has been completed successfully."
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autopilot.e2e.embedded_account import LocalAccount
from autopilot.e2e.world import Resource, ResourceRecord, cleanup, world_config, world_name
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import SynthesizedApp, synthesize
from scripts import e2e_aws
from tests.e2e import test_lifecycle
from tests.e2e.backends import EmbeddedBackend, World, scheduled_event

WORLD = "embedded"  # the world id test_lifecycle.py synthesizes too: one synthesis for both
GROUP = world_name(WORLD)


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize(world_config(WORLD))


@pytest.fixture(scope="module")
def plan(app: SynthesizedApp) -> e2e_aws.Plan:
    """The world's plan, priced before any local account starts (the cost verb runs its own)."""
    return e2e_aws.plan_for(app.config, WORLD)


@pytest.fixture
def account(app: SynthesizedApp, plan: e2e_aws.Plan) -> Iterator[LocalAccount]:
    with EmbeddedStack(app) as stack:
        yield LocalAccount(stack)


def args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    return e2e_aws.parser().parse_args(
        ["--record", str(tmp_path / "resources.json"), "--world-id", WORLD, *extra]
    )


def named(account: LocalAccount) -> list[str]:
    return ["--account", account.account_id, "--region", account.region]


def lifecycle_on_local_account(scenarios: list[str]) -> e2e_aws.ScenarioRunner:
    """Run scenarios of test_lifecycle.py on the deployed local world (the embedded backend's runner)."""

    def runner(accounts: Any, world_file: Path) -> bool:
        assert world_file.exists()
        world = EmbeddedBackend(accounts.automation.stack, GROUP)
        for name in scenarios:
            getattr(test_lifecycle, name)(world)
        return True

    return runner


def never_connect(*_: Any) -> Any:
    raise AssertionError("no account may be contacted")


def nothing_left(account: LocalAccount, app: SynthesizedApp) -> None:
    sagemaker = account.client("sagemaker")
    groups = sagemaker.list_model_package_groups(NameContains=GROUP)["ModelPackageGroupSummaryList"]
    assert groups == []
    assert sagemaker.list_endpoints(NameContains=GROUP)["Endpoints"] == []
    assert sagemaker.list_models(NameContains=GROUP)["Models"] == []
    assert all(not b["Name"].startswith(GROUP) for b in account.client("s3").list_buckets()["Buckets"])
    stacks = account.client("cloudformation").describe_stacks()["Stacks"]
    assert app.config.stack_name not in [s["StackName"] for s in stacks]


def test_given_no_credentials_when_dry_run_then_the_plan_and_its_cost_are_printed_and_nothing_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = e2e_aws.run(
        args(tmp_path, "--dry-run"), environ={}, connect=never_connect, scenarios=never_connect
    )

    out = capsys.readouterr().out
    assert code == e2e_aws.EXIT_OK
    assert "endpoint ml.c5.large (production)" in out
    assert "Neo compilation jobs" in out
    assert "total, cleaned up at the end" in out
    assert "dry run: nothing created" in out
    assert not (tmp_path / "resources.json").exists()


def test_given_the_shadow_estimate_then_it_is_the_world_plans_hours_at_the_published_price(
    plan: e2e_aws.Plan,
) -> None:
    (item, hours, usd) = plan.cost_lines[1]

    assert item == "shadow variant ml.c5.large"
    assert hours == "0.15 h"  # three 2-minute steps, each ended by the next 1-minute round: 9 minutes
    # One ml.c5.large for 0.15 h at AWS's on-demand list price for Real-Time Inference in us-east-1,
    # $0.102 per hour (https://aws.amazon.com/sagemaker/pricing/, read 2026-12-07): $0.0153.
    assert usd == pytest.approx(0.15 * 0.102) == pytest.approx(0.0153)


def test_given_no_named_account_when_run_with_yes_then_it_refuses_before_contacting_any_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = e2e_aws.run(
        args(tmp_path, "--yes"), environ={"AWS_PROFILE": "x"}, connect=never_connect, scenarios=never_connect
    )

    assert code == e2e_aws.EXIT_REFUSED
    assert "name the account and the region explicitly" in capsys.readouterr().err


def test_given_a_named_account_without_yes_then_it_stops_after_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = {"AUTOPILOT_E2E_ACCOUNT": "111122223333", "AUTOPILOT_E2E_REGION": "eu-west-1"}

    code = e2e_aws.run(args(tmp_path), environ=environ, connect=never_connect, scenarios=never_connect)

    out = capsys.readouterr().out
    assert code == e2e_aws.EXIT_REFUSED
    assert "Estimated cost of one run" in out
    assert "run again with --yes" in out


def test_given_credentials_for_another_account_then_it_refuses_and_creates_nothing(
    tmp_path: Path, account: LocalAccount, plan: e2e_aws.Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    code = e2e_aws.run(
        args(tmp_path, "--yes", "--account", "111122223333", "--region", account.region),
        environ={},
        connect=lambda *_: account,
        planner=lambda *_: plan,
        scenarios=never_connect,
    )

    assert code == e2e_aws.EXIT_REFUSED
    assert "not the named 111122223333" in capsys.readouterr().err
    assert not (tmp_path / "resources.json").exists()


def test_given_a_named_account_and_yes_then_the_world_is_deployed_tested_and_entirely_removed(
    tmp_path: Path,
    account: LocalAccount,
    app: SynthesizedApp,
    plan: e2e_aws.Plan,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenarios = [
        "test_given_a_version_whose_report_passes_when_registered_then_it_is_compiled_attached_and_approved",
        "test_given_an_approved_version_then_its_shadow_test_ramps_through_the_plan_to_its_conclusion",
    ]

    code = e2e_aws.run(
        args(tmp_path, "--yes", *named(account)),
        environ={},
        connect=lambda *_: account,
        planner=lambda *_: plan,
        scenarios=lifecycle_on_local_account(scenarios),
        wait_endpoint=lambda *_: None,
    )

    captured = capsys.readouterr()
    out = captured.out
    assert code == e2e_aws.EXIT_OK, captured.out[-3000:] + captured.err
    assert "scenarios: passed" in out
    assert f"deleted  stack {app.config.stack_name}" in out
    assert f"deleted  endpoint {GROUP}" in out
    assert "experiment autopilot-" in out  # the shadow test the stack started is found and removed
    nothing_left(account, app)
    assert ResourceRecord.load(tmp_path / "resources.json").resources == []


def test_given_a_failing_scenario_then_the_world_is_removed_all_the_same_and_the_run_fails(
    tmp_path: Path,
    account: LocalAccount,
    app: SynthesizedApp,
    plan: e2e_aws.Plan,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def failing(account: Any, world_file: Path) -> bool:
        raise AssertionError("a scenario failed")

    code = e2e_aws.run(
        args(tmp_path, "--yes", *named(account)),
        environ={},
        connect=lambda *_: account,
        planner=lambda *_: plan,
        scenarios=failing,
        wait_endpoint=lambda *_: None,
    )

    captured = capsys.readouterr()
    assert code == e2e_aws.EXIT_FAILED
    assert "the run stopped: AssertionError: a scenario failed" in captured.err
    assert "scenarios: FAILED" in captured.out
    nothing_left(account, app)


def test_given_a_record_left_by_an_interrupted_run_when_cleaned_then_what_it_lists_is_removed(
    tmp_path: Path, account: LocalAccount, app: SynthesizedApp
) -> None:
    record = ResourceRecord(tmp_path / "resources.json", WORLD, account.account_id, account.region)
    world = e2e_aws.create_world(account, record, app.config)  # ... and the run was interrupted here
    assert World(**world).group == GROUP  # the world file is what `pytest -m aws` reads

    code = e2e_aws.clean(tmp_path / "resources.json", lambda *_: account, None)

    assert code == e2e_aws.EXIT_OK
    nothing_left(account, app)


def test_given_an_untagged_resource_with_the_worlds_prefix_then_cleanup_refuses_to_delete_it(
    tmp_path: Path, account: LocalAccount
) -> None:
    sagemaker = account.client("sagemaker")
    intruder = f"{GROUP}-not-ours"
    sagemaker.create_model_package_group(ModelPackageGroupName=intruder)  # no autopilot-e2e tag
    sagemaker.create_model_package_group(ModelPackageGroupName="churn-xgboost")
    record = ResourceRecord(tmp_path / "resources.json", WORLD, account.account_id, account.region)
    record.add("group", intruder)
    record.add("group", "churn-xgboost")

    report = cleanup(account, record)

    assert not report.ok
    assert report.refused == [
        f"group {intruder}: not tagged autopilot-e2e={WORLD}",
        f"group churn-xgboost: its name does not start with autopilot-e2e-{WORLD}",
    ]
    names = {
        g["ModelPackageGroupName"]
        for g in sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
    }
    assert {intruder, "churn-xgboost"} <= names  # both still there
    assert ResourceRecord.load(record.path).resources == [
        Resource("group", intruder),
        Resource("group", "churn-xgboost"),
    ]


def test_given_a_group_that_still_holds_a_version_then_deleting_it_is_refused_until_the_version_is_gone(
    account: LocalAccount,
) -> None:
    """DeleteModelPackageGroup names one error, ConflictException; the safe reading of the silence on
    non-empty groups (docs/FIDELITY.md) refuses them, so the clean-up deletes versions first."""
    from botocore.exceptions import ClientError

    sagemaker = account.client("sagemaker")
    arn = account.stack.backend.seed_model_package(GROUP, framework="XGBOOST", framework_version="1.7")

    with pytest.raises(ClientError) as refused:
        sagemaker.delete_model_package_group(ModelPackageGroupName=GROUP)
    sagemaker.delete_model_package(ModelPackageName=arn)
    sagemaker.delete_model_package_group(ModelPackageGroupName=GROUP)

    assert refused.value.response["Error"]["Code"] == "ConflictException"
    assert sagemaker.list_model_package_groups(NameContains=GROUP)["ModelPackageGroupSummaryList"] == []


def test_the_roller_round_the_aws_backend_starts_is_an_event_the_roller_accepts() -> None:
    from registry_autopilot.models.shadow import ScheduledEvent

    parsed = ScheduledEvent.model_validate(scheduled_event("111122223333", "eu-west-1"))

    assert parsed.detail_type == "Scheduled Event"


def test_given_a_region_without_a_known_serving_image_then_it_refuses_unless_one_is_passed(
    tmp_path: Path, plan: e2e_aws.Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    named_elsewhere = ["--yes", "--account", "111122223333", "--region", "ap-east-1"]

    code = e2e_aws.run(
        args(tmp_path, *named_elsewhere),
        environ={},
        connect=never_connect,
        scenarios=never_connect,
        planner=lambda *_: plan,
    )

    assert code == e2e_aws.EXIT_REFUSED
    assert "no XGBoost image known for ap-east-1: pass --image" in capsys.readouterr().err


def test_the_readme_shows_the_plan_the_dry_run_prints(plan: e2e_aws.Plan) -> None:
    """docs/AWS_ACCOUNT.md, "Prove it in your account", pastes `make e2e-aws-plan` (world id "planned")."""
    readme = (Path(__file__).resolve().parents[2] / "docs" / "AWS_ACCOUNT.md").read_text()
    pasted = readme.split("```text\ne2e world planned", 1)[1].split("```", 1)[0]

    printed = plan.render().replace(WORLD, e2e_aws.DRY_RUN_WORLD)

    assert "e2e world planned" + pasted == printed + "\ndry run: nothing created\n"


def test_given_a_record_an_earlier_run_left_then_a_new_run_refuses_instead_of_overwriting_it(
    tmp_path: Path, plan: e2e_aws.Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    left = ResourceRecord(tmp_path / "resources.json", "abc123", "111122223333", "us-east-1")
    left.add("endpoint", "autopilot-e2e-abc123")

    code = e2e_aws.run(
        args(tmp_path, "--yes", "--account", "111122223333", "--region", "us-east-1"),
        environ={},
        connect=never_connect,
        scenarios=never_connect,
        planner=lambda *_: plan,
    )

    assert code == e2e_aws.EXIT_REFUSED
    assert "run `make e2e-aws-clean` first" in capsys.readouterr().err
    assert ResourceRecord.load(left.path).resources == [Resource("endpoint", "autopilot-e2e-abc123")]


def test_the_aws_backends_calls_work_against_the_deployed_world_on_the_local_account(
    tmp_path: Path, account: LocalAccount, app: SynthesizedApp
) -> None:
    """The AWS backend's registration and reads, through the same clients, on the local account;
    only EventBridge's delivery is done here by hand (the local backend does not deliver by itself)."""
    from types import SimpleNamespace

    from tests.e2e.backends import AwsBackend

    record = ResourceRecord(tmp_path / "resources.json", WORLD, account.account_id, account.region)
    world = World(**e2e_aws.create_world(account, record, app.config))
    target = SimpleNamespace(client=account.client, account=account.account_id, region=account.region)
    aws = AwsBackend(target, world, poll_seconds=0)

    arn = aws.register(passing=True)
    account.stack.send_event(account.stack.backend.emitted_events[-1])  # EventBridge's delivery

    assert aws.compile_executions(arn) == ["SUCCEEDED"]
    version = aws.wait_until("decided", lambda: decided(aws, arn), 1)
    assert version["ModelApprovalStatus"] == "Approved"
    assert sorted(s["Name"] for s in version["AdditionalInferenceSpecifications"]) == [
        "neo-ml-c5",
        "neo-ml-m5",
    ]


def decided(world: Any, arn: str) -> dict[str, Any] | None:
    return test_lifecycle.decided(world, arn)


def test_given_a_file_that_is_not_a_record_when_cleaned_then_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_record = tmp_path / "resources.json"
    not_a_record.write_text("# notes, not a record\n")

    code = e2e_aws.main(["--clean", "--record", str(not_a_record)])

    err = capsys.readouterr().err
    assert code == e2e_aws.EXIT_REFUSED
    assert err.startswith(f"error: {not_a_record} is not a resource record `make e2e-aws` writes")
    assert err.count("\n") == 1
