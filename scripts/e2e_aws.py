"""`make e2e-aws`: prove the lifecycle in a real account, in a throwaway world, then remove it.

    python scripts/e2e_aws.py --dry-run                       # the plan and its cost; no credentials
    python scripts/e2e_aws.py --account 111122223333 --region eu-west-1 [--profile P] --yes
    python scripts/e2e_aws.py --clean [--record PATH]         # retry the clean-up of a run

Across accounts (docs/ACCOUNTS.md), the automation account is --account, and the world's group and its
production endpoint go where these name them, each reached with its own profile:

    python scripts/e2e_aws.py --account 111111111111 --region eu-west-1 --profile automation \
        --registry-account 222222222222 --registry-profile registry \
        --endpoint-account 333333333333 --endpoint-profile prod --yes

Sequence: plan and cost (autopilot/cost/pricing.py) -> refuse unless the account and region are named
explicitly (flags or AUTOPILOT_E2E_ACCOUNT / AUTOPILOT_E2E_REGION) and the run is confirmed (--yes or
AUTOPILOT_E2E_YES=1) -> read-only `doctor` preflight, stop on FAIL (and, across accounts, on an account
whose CDK deploy role does not trust the automation account) -> the world (bucket with a tiny model
and two evaluation reports, the scratch group, the production endpoint, the stack and its companions),
each resource recorded with its account before it is created -> `doctor` against the deployed world,
stop on FAIL -> the
lifecycle scenarios (`pytest -m aws tests/e2e/test_lifecycle.py`) -> clean-up from the record, even
when a scenario failed. Exit status: 0 all passed and all removed; 1 a scenario or the clean-up
failed (the record keeps what is left: `make e2e-aws-clean`); 2 refused (nothing created).

The model is trained at run time by scripts/train_tiny_model.py when its optional dependency is
installed (requirements-e2e.txt); otherwise the pre-made artifact of autopilot/e2e/world.py is used.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the repository's packages
    sys.path[:0] = [str(ROOT), str(ROOT / "functions")]

try:  # a Python without the project's dependencies (not .venv's): say which command to use
    import boto3  # noqa: F401
    import pydantic  # noqa: F401
except ModuleNotFoundError as missing:
    print(
        f"error: {Path(sys.argv[0]).name} needs the project's dependencies ({missing.name} is not "
        f"installed for {sys.executable}): run `make e2e-aws-plan` / `make e2e-aws E2E_ARGS=...`, "
        "or `.venv/bin/python scripts/e2e_aws.py ...` after `make install`",
        file=sys.stderr,
    )
    sys.exit(2)  # EXIT_REFUSED: nothing created


def argument_problem(account: str | None, region: str | None, instance_type: str) -> str | None:
    """What is wrong with the arguments, checked before anything is synthesized: a 12-digit account, a
    region botocore's endpoint data lists for SageMaker, an instance type SageMaker's API model lists
    (ProductionVariantInstanceType)."""
    import boto3
    import botocore.session

    from registry_autopilot.models.config import is_account_id

    if account is not None and not is_account_id(account):
        return f"--account {account!r}: an AWS account ID is 12 digits, e.g. 111122223333"
    if region is not None:
        session = boto3.session.Session()
        known = {
            name
            for partition in session.get_available_partitions()
            for name in session.get_available_regions("sagemaker", partition_name=partition)
        }
        if region not in known:
            return f"--region {region!r}: not a region SageMaker is offered in (botocore lists {len(known)})"
    model = botocore.session.get_session().get_service_model("sagemaker")
    if instance_type not in model.shape_for("ProductionVariantInstanceType").enum:
        return (
            f"--instance-type {instance_type!r}: not an endpoint instance type SageMaker's API lists "
            "(ProductionVariantInstanceType), e.g. ml.c5.large"
        )
    return None


from autopilot.e2e.world import (  # noqa: E402
    TAG_KEY,
    Account,
    Accounts,
    CleanupReport,
    Plan,
    Resource,
    ResourceRecord,
    as_accounts,
    cleanup,
    evaluation_report,
    make_plan,
    new_world_id,
    premade_model_artifact,
    stack_created_resources,
    world_config,
    world_name,
    world_tags,
)
from infra.accounts import companion_stack_name  # noqa: E402
from registry_autopilot.logic.accounts import partition_of_region, role_arn, shadow_role_name  # noqa: E402
from registry_autopilot.models.config import AutopilotConfig, is_account_id  # noqa: E402

DEFAULT_RECORD = ROOT / "build" / "e2e-aws" / "resources.json"
EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
DRY_RUN_WORLD = "planned"
# SageMaker's first-party algorithm images (sagemaker-xgboost shares sagemaker-scikit-learn's
# registries): the account per region, from the SageMaker Python SDK's image_uri_config. Other regions:
# --image with the sagemaker-xgboost:1.7-1 URI of the region ("Docker Registry Paths", Developer Guide).
XGBOOST_REGISTRIES = {
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-2": "246618743249",
    "eu-west-1": "141502667606",
    "eu-central-1": "492215442770",
}


def xgboost_image(region: str) -> str | None:
    account = XGBOOST_REGISTRIES.get(region)
    return f"{account}.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:1.7-1" if account else None


# What runs the scenarios against a deployed world: (its accounts, world file) -> passed?
ScenarioRunner = Callable[[Accounts, Path], bool]


@dataclass
class AwsAccount:
    """A real account: boto3 clients, `cdk deploy` for the stack, DeleteStack for its removal."""

    target: Any  # autopilot.account.credentials.AwsTarget
    account_id: str
    region: str

    def client(self, service: str) -> Any:
        return self.target.client(service)

    def deploy(self, config: AutopilotConfig) -> dict[str, str]:
        world_id = config.stack_name.removeprefix("AutopilotE2e-")
        env = dict(os.environ, AWS_REGION=self.region, AWS_DEFAULT_REGION=self.region)
        if self.target.profile:
            env["AWS_PROFILE"] = self.target.profile
        # With other accounts, every stack: the automation stack first, then each companion, deployed
        # into its account through that account's CDK deploy role (docs/ACCOUNTS.md, Deploy).
        stacks = ["--all"] if config.other_accounts() else [config.stack_name]
        command = [
            "npx",
            "cdk",
            "deploy",
            *stacks,
            "--require-approval",
            "never",
            "--tags",
            f"{TAG_KEY}={world_id}",
            "-c",
            f"autopilot={json.dumps(config.model_dump(mode='json', by_alias=True))}",
        ]
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        return stack_outputs(self, config.stack_name)

    def delete_stack(self, name: str) -> None:
        cloudformation = self.client("cloudformation")
        cloudformation.delete_stack(StackName=name)
        cloudformation.get_waiter("stack_delete_complete").wait(StackName=name)


def stack_outputs(account: Account, name: str) -> dict[str, str]:
    stack = account.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def model_artifact() -> bytes:
    """The tiny model: trained now when xgboost is installed (requirements-e2e.txt), else pre-made."""
    try:
        from scripts.train_tiny_model import train
    except ImportError:
        return premade_model_artifact()
    return train()


# -- the plan -------------------------------------------------------------------------------------------
def plan_for(config: AutopilotConfig, world_id: str) -> Plan:
    """The plan, priced by the cost verb's code: the stacks' fixed monthly cost from their templates."""
    from autopilot.cost.report import companions_fixed_monthly, fixed_monthly
    from autopilot.embedded.synth import synthesize

    app = synthesize(config)
    return make_plan(
        config,
        world_id,
        stack_monthly_usd=fixed_monthly(app).total,
        companions_monthly_usd=companions_fixed_monthly(app).total,
    )


# -- preflight --------------------------------------------------------------------------------------------
def preflight_blockers(report: Any, config: AutopilotConfig, *, before_world: bool) -> list[str]:
    """The checks that stop the run. Before the world exists, its own group and endpoint, the roles its
    stack owns, and in other accounts everything the companion stacks deploy are expected to be
    missing (the run creates them); every other FAIL stops it, and so does an account whose CDK deploy
    role does not trust the automation account (the run deploys with `cdk deploy --all`)."""
    ((group, settings),) = config.groups.items()
    endpoint = settings.shadow.endpoint_name if settings.shadow else ""
    blockers = []
    for check in report.checks:
        if before_world and check.name == "cdk bootstrap" and check.result != "PASS":
            blockers.append(f"{check.area}: {check.name}: {check.detail}; {check.fix}")
            continue
        if check.result != "FAIL":
            continue
        ours = group in check.area or (endpoint and endpoint in check.area)
        if before_world and ours and "not found" in check.detail:
            continue
        if (
            before_world
            and check.area.startswith("Role:")
            and "none found in the deployed stack" in check.detail
        ):
            continue
        if before_world and check.area.startswith("Account") and check.name != "credentials":
            continue  # the companion stacks' roles, rule and group policy, and the bus policy
        blockers.append(f"{check.area}: {check.name}: {check.detail}")
    return blockers


def doctor(accounts: Accounts, config: AutopilotConfig, *, before_world: bool) -> list[str]:
    from autopilot.account.doctor import ClientFactory, run_doctor

    others: dict[str, ClientFactory] = {a: other.client for a, other in accounts.others.items()}
    automation = accounts.automation
    report = run_doctor(config, automation.client, automation.region, others)
    print(report.render())
    return preflight_blockers(report, config, before_world=before_world)


# -- the world -----------------------------------------------------------------------------------------------
def shadow_role(accounts: Accounts, config: AutopilotConfig, outputs: dict[str, str]) -> str:
    """The role SageMaker runs the world's endpoint models with: the automation stack's experiment
    role, or in another endpoint account its companion's shadow role (docs/ACCOUNTS.md)."""
    endpoint = accounts.endpoint(config)
    if endpoint is accounts.automation:
        return outputs.get("ExperimentRoleArn", "")
    partition = partition_of_region(endpoint.region)
    return role_arn(partition, endpoint.account_id, shadow_role_name(config.stack_name))


def model_read_policy(bucket: str, reader_account: str, reader_role: str, partition: str) -> str:
    """The registry bucket's grant to the endpoint account's shadow role, as docs/ACCOUNTS.md ("What
    you grant yourself") tells users to write it: the account as principal, narrowed to the role by
    aws:PrincipalArn, so the policy is valid before the companion stack creates the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ShadowRoleReadsModel",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{reader_account}:root"},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:{partition}:s3:::{bucket}/model/*",
                    "Condition": {"ArnEquals": {"aws:PrincipalArn": reader_role}},
                }
            ],
        }
    )


def create_world(
    account: Account | Accounts, record: ResourceRecord, config: AutopilotConfig, image: str | None = None
) -> dict[str, Any]:
    """Everything the scenarios need, each resource recorded before it is created, each in its
    account: the bucket and the group in the registry account, the stacks deployed from the
    automation account (`cdk deploy --all` with other accounts), the production endpoint in the
    endpoint account. Returns the world file's content (tests/e2e/backends.py World)."""
    accounts = as_accounts(account)
    automation, registry, endpoint = accounts.automation, accounts.registry(config), accounts.endpoint(config)
    world_id = record.world_id
    name = world_name(world_id)
    tags = world_tags(world_id)
    s3 = registry.client("s3")
    bucket = f"{name}-{registry.account_id}"
    record.add("bucket", bucket, registry.account_id)
    location = (
        {}
        if registry.region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": registry.region}}
    )
    s3.create_bucket(Bucket=bucket, **location)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=model_artifact())
    s3.put_object(Bucket=bucket, Key="reports/passing.json", Body=evaluation_report(0.93))
    s3.put_object(Bucket=bucket, Key="reports/failing.json", Body=evaluation_report(0.61))
    model_data_url = f"s3://{bucket}/model/model.tar.gz"
    image = image or xgboost_image(automation.region)
    if image is None:
        raise ValueError(f"no XGBoost image known for {automation.region}: pass --image")

    record.add("group", name, registry.account_id)
    registry.client("sagemaker").create_model_package_group(ModelPackageGroupName=name, Tags=tags)

    stacks = [(config.stack_name, automation)] + [
        (companion_stack_name(config.stack_name, other), accounts[other]) for other in config.other_accounts()
    ]
    for stack, owner in stacks:
        record.add("stack", stack, owner.account_id)
    try:
        outputs = automation.deploy(config)
    finally:
        # A failed first deploy rolls back but keeps what has DeletionPolicy Retain (its buckets and
        # keys, listed DELETE_SKIPPED): recorded either way, so the clean-up finds them.
        for stack, owner in stacks:
            try:
                record_retained(owner, record, stack)
            except Exception as exc:
                print(f"note: cannot list {stack}'s resources ({exc}): its retained ones are not recorded")

    ((_, settings),) = config.groups.items()
    shadow = settings.shadow
    assert shadow is not None
    role = shadow_role(accounts, config, outputs)
    if endpoint.account_id != registry.account_id:
        partition = partition_of_region(registry.region)
        s3.put_bucket_policy(
            Bucket=bucket, Policy=model_read_policy(bucket, endpoint.account_id, role, partition)
        )
    sagemaker = endpoint.client("sagemaker")
    record.add("model", f"{name}-production", endpoint.account_id)
    sagemaker.create_model(
        ModelName=f"{name}-production",
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": image, "ModelDataUrl": model_data_url},
        Tags=tags,
    )
    record.add("endpoint-config", f"{name}-config", endpoint.account_id)
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": f"{name}-production",
                "InstanceType": shadow.instance_type,
                "InitialInstanceCount": 1,
            }
        ],
        Tags=tags,
    )
    record.add("endpoint", shadow.endpoint_name, endpoint.account_id)
    sagemaker.create_endpoint(
        EndpointName=shadow.endpoint_name, EndpointConfigName=f"{name}-config", Tags=tags
    )
    return {
        "group": name,
        "stack_name": config.stack_name,
        "model_data_url": model_data_url,
        "image": image,
        "passing_report": f"s3://{bucket}/reports/passing.json",
        "failing_report": f"s3://{bucket}/reports/failing.json",
        "state_machine_arn": outputs.get("CompileStateMachineArn", ""),
        "roller_function": roller_function(automation, config.stack_name),
        "automation_account": automation.account_id,
        "registry_account": registry.account_id,
        "endpoint_account": endpoint.account_id,
        "instance_type": shadow.instance_type,
    }


def record_retained(account: Account, record: ResourceRecord, stack: str) -> None:
    """What the stack keeps when it is deleted (README, Tear down): its buckets and its KMS keys. A
    bucket is recorded only when CloudFormation named it after the stack (the name check)."""
    resources = account.client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    for resource in resources:
        kind, physical = resource["ResourceType"], str(resource.get("PhysicalResourceId") or "")
        if not physical:
            continue  # never created
        if kind == "AWS::S3::Bucket" and physical.startswith(stack.lower()):
            record.add("bucket", physical, account.account_id)
        elif kind == "AWS::S3::Bucket":
            print(f"note: bucket {physical} is not named after the stack: not recorded (delete it by hand)")
        elif kind == "AWS::KMS::Key":
            record.add("kms-key", physical, account.account_id, stack=stack)


def roller_function(account: Account, stack: str) -> str:
    """The deployed roller function's name ("" where the stack has no Lambda resources: locally)."""
    resources = account.client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    return next(
        (
            str(r["PhysicalResourceId"])
            for r in resources
            if r["ResourceType"] == "AWS::Lambda::Function" and "Roller" in r["LogicalResourceId"]
        ),
        "",
    )


def wait_for_endpoint(account: Account, name: str, timeout_seconds: float = 1800) -> None:
    sagemaker = account.client("sagemaker")
    deadline = time.monotonic() + timeout_seconds
    while True:
        status = sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"]
        if status == "InService":
            return
        if status == "Failed" or time.monotonic() > deadline:
            raise RuntimeError(f"endpoint {name}: {status}")
        time.sleep(30)


def pytest_runner(accounts: Accounts, world_file: Path) -> bool:
    """The scenarios of tests/e2e/test_lifecycle.py against the world, as `pytest -m aws` runs them."""
    automation = accounts.automation
    env = dict(
        os.environ,
        AUTOPILOT_E2E_WORLD=str(world_file),
        AUTOPILOT_E2E_REGION=automation.region,
        AUTOPILOT_E2E_ACCOUNT=automation.account_id,
    )
    profile = getattr(getattr(automation, "target", None), "profile", None)
    if profile:
        env["AUTOPILOT_E2E_PROFILE"] = profile
    others = {
        account_id: getattr(getattr(other, "target", None), "profile", None) or ""
        for account_id, other in accounts.others.items()
    }
    if others:
        env["AUTOPILOT_E2E_ACCOUNT_PROFILES"] = ",".join(f"{a}={p}" for a, p in sorted(others.items()))
    command = [sys.executable, "-m", "pytest", "-m", "aws", "tests/e2e/test_lifecycle.py", "-q"]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode == 0


def render_cleanup(report: CleanupReport) -> str:
    lines = ["clean-up:"]
    lines += [f"  deleted  {item}" for item in report.deleted]
    lines += [f"  REFUSED  {item}" for item in report.refused]
    lines += [f"  FAILED   {item}" for item in report.failed]
    return "\n".join(lines)


# -- the run ------------------------------------------------------------------------------------------------
Connect = Callable[[str, str, str | None], Account]


def other_accounts(args: argparse.Namespace) -> tuple[dict[str, str | None], str | None]:
    """The other accounts named (account -> its profile), or what is wrong with them."""
    named: dict[str, str | None] = {}
    for role in ("registry", "endpoint"):
        account, profile = getattr(args, f"{role}_account"), getattr(args, f"{role}_profile")
        if account is None:
            if profile is not None:
                return {}, f"--{role}-profile names a profile for no account: add --{role}-account"
            continue
        if not is_account_id(account):
            return {}, f"--{role}-account {account!r}: an AWS account ID is 12 digits, e.g. 222222222222"
        if account == args.account:
            return {}, (
                f"--{role}-account {account} is the automation account (--account): leave it out to "
                "keep the world in one account"
            )
        if account in named and profile is not None and named[account] not in (None, profile):
            return {}, f"account {account} is named with two profiles ({named[account]}, {profile})"
        named[account] = profile or named.get(account)
    return named, None


def connect_all(
    automation_id: str, region: str, profile: str | None, profiles: dict[str, str | None], connect: Connect
) -> tuple[Accounts | None, str | None]:
    """Every account, each with its own credentials, checked to be the account named (or why not)."""
    reached = {automation_id: connect(automation_id, region, profile)}
    for account_id, other_profile in sorted(profiles.items()):
        reached[account_id] = connect(account_id, region, other_profile)
    for account_id, account in reached.items():
        if account.account_id != account_id or account.region != region:
            return None, (
                f"the credentials are for account {account.account_id} in {account.region}, "
                f"not the named {account_id} in {region}"
            )
    others = {a: account for a, account in reached.items() if a != automation_id}
    return Accounts(reached[automation_id], others), None


def arguments_problem(
    args: argparse.Namespace, account_id: str | None, region: str | None
) -> tuple[dict[str, str | None], str | None]:
    """The other accounts named (account -> profile), and what is wrong with the arguments."""
    problem = argument_problem(account_id, region, args.instance_type)
    named, others_problem = other_accounts(args)
    problem = problem or others_problem
    if not problem and named and not account_id:
        problem = (
            "--registry-account / --endpoint-account need --account (the automation account, where "
            "the stack is deployed from)"
        )
    return named, problem


STOPPED_AFTER_PLAN = "stopped after the plan: run again with --yes (or AUTOPILOT_E2E_YES=1) to create it"


def refused_before_contact(
    args: argparse.Namespace,
    environ: dict[str, str] | os._Environ[str],
    *,
    account_id: str | None,
    region: str | None,
    profiles: dict[str, str | None],
    record_path: Path,
) -> str | None:
    """Why a real run stops before contacting any account (None: it goes on)."""
    if not account_id or not region:
        return (
            "name the account and the region explicitly (--account and --region, or "
            "AUTOPILOT_E2E_ACCOUNT and AUTOPILOT_E2E_REGION)"
        )
    unreachable = [a for a, p in profiles.items() if not p]
    if unreachable:
        return (
            f"name a profile for account {', '.join(unreachable)} (--registry-profile / "
            "--endpoint-profile): the world's resources there are created with that account's credentials"
        )
    if args.image is None and xgboost_image(region) is None:
        return f"no XGBoost image known for {region}: pass --image URI"
    if not (args.yes or environ.get("AUTOPILOT_E2E_YES") == "1"):
        return STOPPED_AFTER_PLAN
    if record_path.exists() and ResourceRecord.load(record_path).resources:
        return (
            f"{record_path} lists resources an earlier run left; run `make e2e-aws-clean` first (or "
            "pass another --record)"
        )
    return None


def run(
    args: argparse.Namespace,
    *,
    environ: dict[str, str] | os._Environ[str],
    connect: Connect,
    scenarios: ScenarioRunner,
    wait_endpoint: Callable[[Account, str], None] = wait_for_endpoint,
    planner: Callable[[AutopilotConfig, str], Plan] = plan_for,
) -> int:
    account_id = args.account or environ.get("AUTOPILOT_E2E_ACCOUNT")
    region = args.region or environ.get("AUTOPILOT_E2E_REGION")
    profile = args.profile or environ.get("AUTOPILOT_E2E_PROFILE")
    record_path = Path(args.record)
    if args.clean:
        return clean(record_path, connect, profile, args)
    named, problem = arguments_problem(args, account_id, region)
    if problem:  # before the synthesis: one line, nothing created
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_REFUSED
    # A dry run names a placeholder world (its synthesis is cached); a real run a random one.
    world_id = args.world_id or (DRY_RUN_WORLD if args.dry_run else new_world_id())
    config = world_config(
        world_id,
        account=account_id,
        instance_type=args.instance_type,
        registry_account=args.registry_account,
        endpoint_account=args.endpoint_account,
    )
    plan = planner(config, world_id)
    print(plan.render())
    if args.dry_run:
        print("dry run: nothing created")
        return EXIT_OK
    profiles = {a: named.get(a) for a in config.other_accounts()}
    refusal = refused_before_contact(
        args, environ, account_id=account_id, region=region, profiles=profiles, record_path=record_path
    )
    if refusal == STOPPED_AFTER_PLAN:
        print(refusal)
        return EXIT_REFUSED
    if refusal:
        print(f"refused: {refusal}; nothing created", file=sys.stderr)
        return EXIT_REFUSED
    assert account_id is not None
    assert region is not None
    accounts, mismatch = connect_all(account_id, region, profile, profiles, connect)
    if accounts is None:
        print(f"refused: {mismatch}; nothing created", file=sys.stderr)
        return EXIT_REFUSED
    blockers = doctor(accounts, config, before_world=True)
    if blockers:
        print("preflight failed; nothing created:\n  " + "\n  ".join(blockers), file=sys.stderr)
        return EXIT_FAILED
    record = ResourceRecord(
        record_path,
        world_id,
        account_id,
        region,
        profiles={a: p or "" for a, p in {account_id: profile, **profiles}.items()},
        registry_account=accounts.registry(config).account_id,
        endpoint_account=accounts.endpoint(config).account_id,
    )
    return run_world(accounts, record, config, args.image, scenarios=scenarios, wait_endpoint=wait_endpoint)


def run_world(
    accounts: Accounts,
    record: ResourceRecord,
    config: AutopilotConfig,
    image: str | None,
    *,
    scenarios: ScenarioRunner,
    wait_endpoint: Callable[[Account, str], None],
) -> int:
    """Create the world, check it, run the scenarios, and remove it whatever happened."""
    record.save()
    passed = False
    endpoint = accounts.endpoint(config)
    try:
        world = create_world(accounts, record, config, image)
        world_file = record.path.with_name(f"world-{record.world_id}.json")
        world_file.write_text(json.dumps(world, indent=2))
        ((_, settings),) = config.groups.items()
        assert settings.shadow is not None
        wait_endpoint(endpoint, settings.shadow.endpoint_name)
        blockers = doctor(accounts, config, before_world=False)
        if blockers:
            print("doctor found problems in the deployed world:\n  " + "\n  ".join(blockers), file=sys.stderr)
        else:
            passed = scenarios(accounts, world_file)
    except Exception as exc:
        print(f"the run stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        report = cleanup(accounts, record, discovered=discovered(accounts, endpoint, record.world_id))
        print(render_cleanup(report))
    if not report.ok:
        print(f"some resources are left: `make e2e-aws-clean` retries from {record.path}", file=sys.stderr)
    print("scenarios: " + ("passed" if passed else "FAILED"))
    return EXIT_OK if passed and report.ok else EXIT_FAILED


def discovered(accounts: Accounts, endpoint: Account, world_id: str) -> list[Resource]:
    """The shadow models and experiments the stack made in the endpoint account. A failed listing
    (throttled, expired credentials) is reported and the clean-up goes on with what the record holds:
    the record keeps the rest for `make e2e-aws-clean`."""
    in_account = "" if endpoint is accounts.automation else endpoint.account_id
    try:
        return stack_created_resources(endpoint, world_id, world_name(world_id), in_account=in_account)
    except Exception as exc:
        print(
            f"note: cannot list the stack's shadow models and tests in account {endpoint.account_id} "
            f"({type(exc).__name__}: {exc}); cleaning what the record holds",
            file=sys.stderr,
        )
        return []


def clean(
    record_path: Path, connect: Connect, profile: str | None, args: argparse.Namespace | None = None
) -> int:
    if not record_path.exists():
        print(f"no record at {record_path}: nothing to clean", file=sys.stderr)
        return EXIT_OK
    record = ResourceRecord.load(record_path)
    profiles, problem = clean_profiles(record, args)
    if problem:
        print(f"refused: {problem}; nothing deleted", file=sys.stderr)
        return EXIT_REFUSED
    automation_profile = profile or record.profiles.get(record.account) or None
    try:
        accounts, mismatch = connect_all(record.account, record.region, automation_profile, profiles, connect)
    except Exception as exc:
        print(f"refused: cannot reach the world's accounts ({exc}); nothing deleted", file=sys.stderr)
        return EXIT_REFUSED
    if accounts is None:
        print(f"refused: {mismatch}", file=sys.stderr)
        return EXIT_REFUSED
    endpoint = accounts[record.endpoint_account or None]
    report = cleanup(accounts, record, discovered=discovered(accounts, endpoint, record.world_id))
    print(render_cleanup(report))
    return EXIT_OK if report.ok else EXIT_FAILED


def clean_profiles(
    record: ResourceRecord, args: argparse.Namespace | None
) -> tuple[dict[str, str | None], str | None]:
    """The profile for each other account of the record: the recorded one, unless --registry-profile
    or --endpoint-profile names another for the record's registry or endpoint account."""
    profiles: dict[str, str | None] = {a: record.profiles.get(a) or None for a in record.accounts()}
    for role in ("registry", "endpoint"):
        override = getattr(args, f"{role}_profile", None) if args is not None else None
        if override is None:
            continue
        account = getattr(record, f"{role}_account")
        if not account or account == record.account:
            return (
                {},
                f"--{role}-profile: the record's world has no {role} account apart from {record.account}",
            )
        profiles[account] = override
    return profiles, None


def connect_aws(account_id: str, region: str, profile: str | None) -> Account:
    from autopilot.account.credentials import resolve_aws

    target = resolve_aws(profile, region)
    return AwsAccount(target, str(target.account), target.region)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="e2e_aws", description=__doc__.split("\n\n")[0])
    p.add_argument("--dry-run", action="store_true", help="print the plan and its cost; create nothing")
    p.add_argument("--yes", action="store_true", help="create the world (or AUTOPILOT_E2E_YES=1)")
    p.add_argument("--account", help="the account to run in (or AUTOPILOT_E2E_ACCOUNT); required")
    p.add_argument("--region", help="the region to run in (or AUTOPILOT_E2E_REGION); required")
    p.add_argument("--profile", help="AWS profile (or AUTOPILOT_E2E_PROFILE)")
    p.add_argument(
        "--registry-account",
        help="put the world's group in this other account (its `accountId`; docs/ACCOUNTS.md)",
    )
    p.add_argument("--registry-profile", help="an AWS profile for --registry-account")
    p.add_argument(
        "--endpoint-account",
        help="put the production endpoint in this other account (`shadow.endpointAccountId`)",
    )
    p.add_argument("--endpoint-profile", help="an AWS profile for --endpoint-account")
    p.add_argument("--record", default=str(DEFAULT_RECORD), help="the resource record (default: %(default)s)")
    p.add_argument("--clean", action="store_true", help="delete what the record lists, then stop")
    p.add_argument("--world-id", help="reuse a world id (default: random)")
    p.add_argument("--instance-type", default="ml.c5.large", help="endpoint and shadow instance type")
    p.add_argument("--image", help="the region's sagemaker-xgboost:1.7-1 image URI (default: a table)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from autopilot.errors import InvalidInput

    args = parser().parse_args(argv)
    try:
        return run(args, environ=os.environ, connect=connect_aws, scenarios=pytest_runner)
    except InvalidInput as exc:  # credentials or region the user can fix: one line
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
