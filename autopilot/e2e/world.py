"""The throwaway world `make e2e-aws` creates in an account, what it costs, and how it is removed.

Everything here is account-agnostic: an `Account` is either a real one (boto3 + `cdk deploy`,
scripts/e2e_aws.py) or the embedded backend with the stack deployed locally (`LocalAccount`), so the
deploy-create-run-clean sequence the tests run is the one a real run takes; only the network differs.

Safety rules (each enforced before the call it guards):
- every resource the world creates is written to the resource record *before* it is created, so a
  crash leaves a record that `make e2e-aws-clean` can finish from;
- a delete goes ahead only when the resource's name starts with the world's prefix
  (`autopilot-e2e-<id>`) and, for types that carry tags, its tags include `autopilot-e2e: <id>`;
  anything else is refused and reported, never deleted.
"""

from __future__ import annotations

import gzip
import io
import json
import secrets
import tarfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from autopilot.cost import pricing
from autopilot.errors import InvalidInput
from infra.accounts import companion_stack_name
from registry_autopilot.logic.shadow import GROUP_TAG_KEY
from registry_autopilot.models.config import AutopilotConfig

PREFIX = "autopilot-e2e-"
TAG_KEY = "autopilot-e2e"
# The cheapest real-time instance type in the price table that Neo compiles for (ml_c5) and that a
# shadow test accepts (not Inf1, not Elastic Inference: Developer Guide, "Shadow tests", Exclusions).
DEFAULT_INSTANCE_TYPE = "ml.c5.large"
# The plan's dwell times, shrunk to minutes for the run; the roller runs every minute.
RUN_PLAN = ((5, 2), (50, 2), (100, 2))
ROLLER_MINUTES = 1
# How long a run keeps the production endpoint up (deploy, six scenarios one after the other, each
# with its Neo compilations, the shadow test's endpoint updates, clean-up): an estimate, not measured.
RUN_HOURS = 2.0
PASSING_AUC, FAILING_AUC = 0.93, 0.61
# Versions the scenarios register, and the compilation jobs they cause (one per target per version
# the workflow compiles, plus the retry's).
SCENARIO_VERSIONS = 6  # one per scenario in tests/e2e/test_lifecycle.py
NEO_TARGETS = ({"name": "ml-c5", "targetDevice": "ml_c5"}, {"name": "ml-m5", "targetDevice": "ml_m5"})
# Assumption: SageMaker's pricing page lists no separate charge for a Neo compilation job (check it).
NEO_COMPILATION_JOB_USD = 0.0
XGBOOST_IMAGE_ACCOUNT = "683313688378"  # SageMaker's XGBoost image registry in us-east-1


def new_world_id() -> str:
    return secrets.token_hex(3)


def world_name(world_id: str) -> str:
    return f"{PREFIX}{world_id}"


def world_config(
    world_id: str,
    *,
    account: str | None = None,
    instance_type: str = DEFAULT_INSTANCE_TYPE,
    registry_account: str | None = None,
    endpoint_account: str | None = None,
) -> AutopilotConfig:
    """The stack configuration of a world: its own stack name and group, the two cheapest cloud
    targets, an auto policy on the report's AUC, and a shadow plan that ends in minutes. With
    `registry_account` / `endpoint_account`, the group and its endpoint are in those accounts and
    `account` is the automation stack's (docs/ACCOUNTS.md)."""
    name = world_name(world_id)
    raw: dict[str, Any] = {
        "stackName": f"AutopilotE2e-{world_id}",
        "account": account,
        "reserveConcurrency": False,
        "logRetentionDays": 1,
        "rollerScheduleMinutes": ROLLER_MINUTES,
        "compileTimeoutMinutes": 60,
        "groups": {
            name: {
                "neoTargets": list(NEO_TARGETS),
                "approval": {
                    "mode": "auto",
                    "requiredTargets": ["ml-c5"],
                    "metricChecks": [
                        {
                            "report": "ModelQuality.Statistics",
                            "path": "binary_classification_metrics.auc.value",
                            "operator": ">=",
                            "threshold": 0.8,
                        }
                    ],
                },
                "shadow": {
                    "endpointName": name,
                    "instanceType": instance_type,
                    "instanceCount": 1,
                    "rolloutPlan": [{"samplingPercentage": p, "minDwellMinutes": m} for p, m in RUN_PLAN],
                    "durationDays": 1,
                    "endAction": "Remove",
                },
            }
        },
    }
    group = raw["groups"][name]
    if registry_account is not None:
        group["accountId"] = registry_account
    if endpoint_account is not None:
        group["shadow"]["endpointAccountId"] = endpoint_account
    return AutopilotConfig.model_validate(raw)


# -- the plan and its cost -----------------------------------------------------------------------------
@dataclass
class Plan:
    world_id: str
    stack_name: str
    group: str
    endpoint: str
    instance_type: str
    creates: list[str]
    cost_lines: list[tuple[str, str, float | None]]  # the run's lines, then an abandoned run's extra
    endpoint_daily_usd: float | None = None
    across: bool = False  # the world spans accounts (companion stacks)

    @property
    def total(self) -> float | None:
        """A run that ends with its clean-up (the last line, an abandoned run's extra, left out)."""
        return _sum([usd for _, _, usd in self.cost_lines[:-1]])

    def render(self) -> str:
        lines = [f"e2e world {self.world_id}: will create"]
        lines += [f"  - {item}" for item in self.creates]
        lines.append(
            "and removes it all at the end, even when a scenario fails (with the stacks' retained "
            "buckets; their KMS keys are scheduled for deletion, 7 days)."
            if self.across
            else "and removes it all at the end, even when a scenario fails (with the stack's retained "
            "buckets; its KMS key is scheduled for deletion, 7 days)."
        )
        lines.append(
            "Estimated cost of one run (autopilot/cost/pricing.py, us-east-1 on-demand list prices):"
        )
        for item, quantity, usd in self.cost_lines[:-1]:
            money = "unknown price" if usd is None else f"${usd:.2f}"
            lines.append(f"  {item:<44} {quantity:>14}  {money}")
        total = "unknown" if self.total is None else f"${self.total:.2f}"
        lines.append(f"  {'total, cleaned up at the end':<44} {'':>14}  {total}")
        item, quantity, usd = self.cost_lines[-1]
        lines.append("If a run is interrupted and not cleaned up (`make e2e-aws-clean`), it keeps costing:")
        lines.append(f"  {item:<44} {quantity:>14}  {'unknown' if usd is None else f'${usd:.2f}'}")
        if self.endpoint_daily_usd is not None:
            lines.append(
                f"  {'the endpoint, until deleted':<44} {'per day':>14}  ${self.endpoint_daily_usd:.2f}"
            )
        return "\n".join(lines)


def _sum(amounts: list[float | None]) -> float | None:
    return None if any(a is None for a in amounts) else sum(a for a in amounts if a is not None)


def make_plan(
    config: AutopilotConfig,
    world_id: str,
    *,
    stack_monthly_usd: float,
    companions_monthly_usd: float = 0.0,
) -> Plan:
    """What a run creates and costs: the production endpoint for the run, the shadow variant for the
    plan (at most durationDays if a run is abandoned before its clean-up), the compilation jobs, and
    the stacks' fixed monthly cost for the hours they exist (`stack_monthly_usd`, the cost verb's;
    `companions_monthly_usd`, the companion stacks' of a world across accounts). Across accounts,
    each line names the account it is created in."""
    ((group, settings),) = config.groups.items()
    shadow = settings.shadow
    assert shadow is not None
    hourly = pricing.SAGEMAKER_REALTIME_HOURLY.get(shadow.instance_type)
    shadow_cost = pricing.shadow_config_cost(group, shadow, roller_minutes=config.roller_schedule_minutes)
    jobs = SCENARIO_VERSIONS * len(settings.neo_targets) + 1
    endpoint_usd = None if hourly is None else hourly * RUN_HOURS
    month_hours = pricing.SECONDS_PER_MONTH / 3600
    registry, endpoints = config.registry_account(group), config.endpoint_account(group)
    across = bool(config.other_accounts())

    def where(account: str | None, role: str) -> str:
        return f" in account {account} ({role})" if across else ""

    companions = [
        f"CloudFormation stack {companion_stack_name(config.stack_name, other)}"
        + where(other, "companion stack")
        for other in config.other_accounts()
    ]
    shared_model = "; its policy lets the endpoint account's shadow role read the model"
    stack_item = "stacks (fixed monthly cost, pro rata)" if across else "stack (fixed monthly cost, pro rata)"
    return Plan(
        world_id=world_id,
        stack_name=config.stack_name,
        group=group,
        endpoint=shadow.endpoint_name,
        instance_type=shadow.instance_type,
        endpoint_daily_usd=None if hourly is None else hourly * 24,
        across=across,
        creates=[
            f"CloudFormation stack {config.stack_name}{where(config.account, 'automation')} "
            "(the Registry Autopilot stack, this configuration)",
            *companions,
            f"S3 bucket {group}-<account>{where(registry, 'registry')} (the tiny model, its evaluation "
            "reports)" + (shared_model if registry != endpoints else ""),
            f"model package group {group}{where(registry, 'registry')}, {SCENARIO_VERSIONS} versions "
            "(evaluation reports that pass, fail)",
            f"SageMaker model, endpoint config and endpoint {shadow.endpoint_name}"
            f"{where(endpoints, 'endpoint')} (1 x {shadow.instance_type}, production variant)",
            f"{jobs} Neo compilation jobs{where(registry, 'registry')} "
            f"({', '.join(t.name for t in settings.neo_targets)})",
            f"shadow test(s) by the stack{where(endpoints, 'endpoint')} "
            f"({shadow.instance_count} x {shadow.instance_type})",
        ],
        cost_lines=[
            (
                f"endpoint {shadow.instance_type} (production)",
                f"{RUN_HOURS:.1f} h",
                endpoint_usd,
            ),
            (
                f"shadow variant {shadow.instance_type}",
                f"{shadow_cost.planned_hours:.2f} h",
                shadow_cost.usd(shadow_cost.planned_hours),
            ),
            ("Neo compilation jobs", f"{jobs}", jobs * NEO_COMPILATION_JOB_USD),
            (
                stack_item,
                f"{RUN_HOURS:.1f} h",
                (stack_monthly_usd + companions_monthly_usd) * RUN_HOURS / month_hours,
            ),
            (
                "the shadow variant, until durationDays",
                f"{shadow_cost.longest_hours:.0f} h",
                shadow_cost.usd(shadow_cost.longest_hours),
            ),
        ],
    )


# -- the tiny model --------------------------------------------------------------------------------------
TINY_MODEL = Path(__file__).with_name("tiny_xgboost_model.json")


def premade_model_artifact() -> bytes:
    """A model.tar.gz holding `xgboost-model`: the tiny two-tree model in XGBoost's JSON model format,
    as XGBoost 1.7.6's `Booster.save_model` wrote it (autopilot/e2e/tiny_xgboost_model.json), the
    version the sagemaker-xgboost:1.7-1 image serves. XGBoost 1.7 loads it
    (tests/e2e/test_tiny_model_loads.py). Not a `dump_model` text dump: that format "cannot be loaded
    back to XGBoost" (XGBoost Python API, Booster.dump_model). A real run trains its model with
    scripts/train_tiny_model.py (requirements-e2e.txt, installed by `make e2e-aws`)."""
    model = TINY_MODEL.read_bytes()
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size, info.mtime = len(model), 0
        tar.addfile(info, io.BytesIO(model))
    return buffer.getvalue()


def evaluation_report(auc: float) -> bytes:
    return json.dumps({"binary_classification_metrics": {"auc": {"value": auc}}}).encode()


# -- the resource record --------------------------------------------------------------------------------
@dataclass
class Resource:
    kind: str  # stack | bucket | group | version | model | endpoint-config | endpoint | experiment | ...
    name: str
    account: str = ""  # the account holding it ("": the record's own, the automation account)
    stack: str = ""  # the world's stack that listed it (a retained KMS key), when it has no name


@dataclass
class ResourceRecord:
    """Everything a world created, written before each creation (so a crash leaves a true record)."""

    path: Path
    world_id: str
    account: str
    region: str
    resources: list[Resource] = field(default_factory=list)
    # Every account of the world and the profile it was reached with ("": the default credentials),
    # which `--clean` reuses; where the group and the endpoint are ("": the automation account).
    profiles: dict[str, str] = field(default_factory=dict)
    registry_account: str = ""
    endpoint_account: str = ""

    def add(self, kind: str, name: str, account: str = "", *, stack: str = "") -> None:
        resource = Resource(kind, name, "" if account == self.account else account, stack)
        if resource not in self.resources:
            self.resources.append(resource)
            self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {
            "world_id": self.world_id,
            "account": self.account,
            "region": self.region,
            "resources": [
                {k: v for k, v in asdict(r).items() if k in ("kind", "name") or v} for r in self.resources
            ],
        }
        if self.profiles:
            data["profiles"] = self.profiles
        for key in ("registry_account", "endpoint_account"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        self.path.write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, path: Path) -> ResourceRecord:
        """The record at `path`; InvalidInput (one line) for a file `make e2e-aws` did not write."""
        try:
            data = json.loads(path.read_text())
            return cls(
                path,
                data["world_id"],
                data["account"],
                data["region"],
                [Resource(**r) for r in data["resources"]],
                dict(data.get("profiles", {})),
                str(data.get("registry_account", "")),
                str(data.get("endpoint_account", "")),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput(
                f"{path} is not a resource record `make e2e-aws` writes ({type(exc).__name__}: {exc})"
            ) from None

    def accounts(self) -> list[str]:
        """The other accounts of the world (holding something of it, or named by its record)."""
        named = {self.registry_account, self.endpoint_account} | set(self.profiles)
        return sorted(({r.account for r in self.resources if r.account} | named) - {"", self.account})


# -- the account ---------------------------------------------------------------------------------------------
class Account(Protocol):
    account_id: str
    region: str

    def client(self, service: str) -> Any: ...

    def deploy(self, config: AutopilotConfig) -> dict[str, str]:
        """Deploy the stack for `config`; returns its outputs."""
        ...

    def delete_stack(self, name: str) -> None: ...


@dataclass
class Accounts:
    """The accounts a world spans: the automation account, where the stack is deployed from, and each
    other account its configuration names (docs/ACCOUNTS.md), reached with their own credentials."""

    automation: Account
    others: dict[str, Account] = field(default_factory=dict)

    def __getitem__(self, account_id: str | None) -> Account:
        if not account_id or account_id == self.automation.account_id:
            return self.automation
        if account_id not in self.others:
            raise KeyError(f"no credentials for account {account_id}")
        return self.others[account_id]

    def registry(self, config: AutopilotConfig) -> Account:
        """Where the world's group is (its `accountId`)."""
        ((group, _),) = config.groups.items()
        return self[config.registry_account(group)]

    def endpoint(self, config: AutopilotConfig) -> Account:
        """Where the world's production endpoint is (`shadow.endpointAccountId`)."""
        ((group, _),) = config.groups.items()
        return self[config.endpoint_account(group)]


def as_accounts(account: Account | Accounts) -> Accounts:
    return account if isinstance(account, Accounts) else Accounts(account)


class RefusedDelete(Exception):
    """A resource the world did not create (wrong prefix or missing tag): never deleted."""


def _tags(account: Account, resource: Resource) -> dict[str, str] | None:
    """The resource's tags, or None for a type whose tags this module does not read."""
    sagemaker = account.client("sagemaker")
    arns = {
        "model": "model",
        "endpoint-config": "endpoint-config",
        "endpoint": "endpoint",
        "group": "model-package-group",
        "experiment": "inference-experiment",
    }
    if resource.kind in arns:
        arn = f"arn:aws:sagemaker:{account.region}:{account.account_id}:{arns[resource.kind]}/{resource.name}"
        tags = sagemaker.list_tags(ResourceArn=arn).get("Tags", [])
        return {t["Key"]: t["Value"] for t in tags}
    if resource.kind == "bucket":
        try:
            tags = account.client("s3").get_bucket_tagging(Bucket=resource.name).get("TagSet", [])
        except Exception as exc:
            if _not_found(exc):
                raise  # gone: the clean-up counts it done
            tags = []  # NoSuchTagSet: an untagged bucket
        return {t["Key"]: t["Value"] for t in tags}
    if resource.kind == "kms-key":
        tags = account.client("kms").list_resource_tags(KeyId=resource.name).get("Tags", [])
        return {t["TagKey"]: t["TagValue"] for t in tags}
    if resource.kind == "stack":
        stacks = account.client("cloudformation").describe_stacks(StackName=resource.name)["Stacks"]
        return {t["Key"]: t["Value"] for t in stacks[0].get("Tags", [])}
    return None


def check_owned(account: Account, resource: Resource, world_id: str) -> None:
    """Raise RefusedDelete unless the name carries the world's prefix and (where the type has tags)
    the world's tag."""
    name = resource.name
    if resource.kind == "version":
        name = resource.name.split(":model-package/", 1)[-1]
    stack = f"AutopilotE2e-{world_id}"
    prefixes = (world_name(world_id), stack, stack.lower(), f"autopilot-{world_name(world_id)}")
    if resource.kind == "kms-key":
        pass  # a key has no name: its tag, or the world's stack that listed it (below), says it is ours
    elif not any(name.startswith(p) for p in prefixes) and not (
        resource.kind in {"model", "experiment", "compilation-job"} and world_id in name
    ):
        raise RefusedDelete(
            f"{resource.kind} {resource.name}: its name does not start with {PREFIX}{world_id}"
        )
    tags = _tags(account, resource)
    if tags is None or tags.get(TAG_KEY) == world_id:
        return
    # A retained key the world's own stack listed (DescribeStackResources, recorded with the stack's
    # name): CloudFormation's stack tags may not reach it ("The propagation of stack-level tags to
    # resources ... varies by resource type", CloudFormation resource tagging; docs/FIDELITY.md).
    if resource.kind == "kms-key" and resource.stack.startswith(stack):
        return
    # Shadow models and experiments are the stack's own, made at run time: tagged with their group.
    if resource.kind in {"model", "experiment"} and tags.get(GROUP_TAG_KEY) == world_name(world_id):
        return
    raise RefusedDelete(f"{resource.kind} {resource.name}: not tagged {TAG_KEY}={world_id}")


@dataclass
class CleanupReport:
    deleted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused and not self.failed


def _not_found(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    message = str(exc)
    if code == "KMSInvalidStateException" and "pending deletion" in message:
        return True  # scheduled by an earlier clean-up
    return code in {"ResourceNotFound", "NoSuchBucket", "404", "NotFoundException"} or (
        code in {"ValidationException", "ValidationError"}
        and ("does not exist" in message or "Could not find" in message)
    )


def _delete(account: Account, resource: Resource) -> None:
    sagemaker = account.client("sagemaker")
    kind, name = resource.kind, resource.name
    if kind == "experiment":
        described = _experiment_settled(sagemaker, name)
        if described["Status"] in EXPERIMENT_STOPPABLE:
            actions = {v["VariantName"]: "Remove" for v in described["ModelVariants"]}
            actions[described["ShadowModeConfig"]["SourceModelVariantName"]] = "Retain"
            sagemaker.stop_inference_experiment(Name=name, ModelVariantActions=actions)
    elif kind == "endpoint":
        _settled(sagemaker, name)
        sagemaker.delete_endpoint(EndpointName=name)
        _endpoint_gone(sagemaker, name)
    elif kind == "endpoint-config":
        sagemaker.delete_endpoint_config(EndpointConfigName=name)
    elif kind == "model":
        sagemaker.delete_model(ModelName=name)
    elif kind == "version":
        sagemaker.delete_model_package(ModelPackageName=name)
    elif kind == "group":
        for summary in sagemaker.list_model_packages(ModelPackageGroupName=name)["ModelPackageSummaryList"]:
            sagemaker.delete_model_package(ModelPackageName=summary["ModelPackageArn"])
        sagemaker.delete_model_package_group(ModelPackageGroupName=name)
    elif kind == "bucket":
        _delete_bucket(account.client("s3"), name)
    elif kind == "kms-key":
        # KMS deletes a key only after a waiting period (7 to 30 days); 7 is the shortest.
        account.client("kms").schedule_key_deletion(KeyId=name, PendingWindowInDays=7)
    elif kind == "stack":
        account.delete_stack(name)
    elif kind == "compilation-job":
        pass  # finished jobs are records without cost; their artifacts go with the stack's bucket
    else:
        raise RefusedDelete(f"{kind} {name}: unknown kind")


ENDPOINT_BUSY = {"Creating", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
# InferenceExperiment Status (botocore's model): Creating | Created | Updating | Running | Starting |
# Stopping | Completed | Cancelled. A stop is accepted once it is created; Creating is waited for.
EXPERIMENT_STOPPABLE = {"Created", "Running", "Starting", "Updating"}
EXPERIMENT_BUSY = {"Creating"}
BUCKET_ATTEMPTS = 4  # access-log objects can arrive after the bucket was emptied


class StillBusy(Exception):
    """A resource that did not reach the state the next step needs before the deadline: kept in the
    record (and what depends on it kept too), for the next clean-up."""


def _wait(check: Callable[[], bool], what: str, timeout_seconds: float, poll_seconds: float) -> None:
    import time

    deadline = time.monotonic() + timeout_seconds
    while not check():
        if time.monotonic() > deadline:
            raise StillBusy(what)
        time.sleep(poll_seconds)


EXPERIMENT_WAIT_SECONDS, EXPERIMENT_POLL_SECONDS = 900.0, 15.0


def _experiment_settled(
    sagemaker: Any, name: str, timeout_seconds: float | None = None, poll_seconds: float | None = None
) -> dict[str, Any]:
    """The experiment once it is out of Creating (a stop is refused before then)."""
    found: dict[str, Any] = {}

    def settled() -> bool:
        found.update(sagemaker.describe_inference_experiment(Name=name))
        return found["Status"] not in EXPERIMENT_BUSY

    _wait(
        settled,
        f"experiment {name} still Creating",
        EXPERIMENT_WAIT_SECONDS if timeout_seconds is None else timeout_seconds,
        EXPERIMENT_POLL_SECONDS if poll_seconds is None else poll_seconds,
    )
    return found


def _endpoint_gone(
    sagemaker: Any, name: str, timeout_seconds: float = 1800, poll_seconds: float = 20
) -> None:
    """DeleteEndpoint is asynchronous: wait until DescribeEndpoint no longer finds it, because
    SageMaker needs the endpoint's execution role until then ("Do not delete or revoke the permissions
    for your ExecutionRoleArn, otherwise SageMaker cannot delete these resources", DeleteEndpoint)."""

    def gone() -> bool:
        try:
            sagemaker.describe_endpoint(EndpointName=name)
        except Exception as exc:
            if _not_found(exc):
                return True
            raise
        return False

    _wait(gone, f"endpoint {name} still Deleting", timeout_seconds, poll_seconds)


def _delete_bucket(s3: Any, name: str) -> None:
    """Every object version and delete marker (paginated), then the bucket; emptied again when late
    objects (server access logs) make DeleteBucket answer BucketNotEmpty."""
    for attempt in range(BUCKET_ATTEMPTS):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                s3.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
        try:
            s3.delete_bucket(Bucket=name)
            return
        except Exception as exc:
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            if code != "BucketNotEmpty" or attempt == BUCKET_ATTEMPTS - 1:
                raise


def _settled(sagemaker: Any, endpoint: str, timeout_seconds: float = 1800, poll_seconds: float = 20) -> None:
    """Wait (polling, with a deadline) until the endpoint is not in the middle of a change: a
    concluded shadow test updates the endpoint to remove its shadow variant."""
    import time

    deadline = time.monotonic() + timeout_seconds
    while sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] in ENDPOINT_BUSY:
        if time.monotonic() > deadline:
            return  # DeleteEndpoint answers why; the record keeps the endpoint for the next clean-up
        time.sleep(poll_seconds)


# Dependents first: experiments before endpoints, endpoints before their configs and models.
DELETE_ORDER = (
    "experiment",
    "endpoint",
    "endpoint-config",
    "model",
    "compilation-job",
    "version",
    "group",
    "stack",
    "bucket",
    "kms-key",
)


def _stack_order(resource: Resource) -> int:
    """The companions before the automation stack they depend on (docs/ACCOUNTS.md, Deleting)."""
    return 0 if resource.account else 1


def cleanup(
    account: Account | Accounts, record: ResourceRecord, *, discovered: Iterable[Resource] = ()
) -> CleanupReport:
    """Delete everything in the record (and `discovered`: what the stack created for the world, found
    by the world's names), each in its own account and only after `check_owned`; a resource already
    gone counts as deleted. The record keeps what could not be deleted, so a second run retries only
    that. A resource in an account there are no credentials for is kept and reported."""
    accounts = as_accounts(account)
    report = CleanupReport()
    for extra in discovered:
        if extra not in record.resources:
            record.resources.append(extra)
    remaining: list[Resource] = []
    for kind in DELETE_ORDER:
        of_kind = [r for r in record.resources if r.kind == kind]
        for resource in sorted(of_kind, key=_stack_order) if kind == "stack" else of_kind:
            where = f" in account {resource.account}" if resource.account else ""
            label = f"{resource.kind} {resource.name}{where}"
            held = [r.name for r in remaining if r.kind == "endpoint"]
            if kind == "stack" and held:
                # A stack owns the endpoint's execution role (the automation stack's, or the endpoint
                # account's companion's shadow role): kept until the endpoint is gone.
                report.failed.append(f"{label}: kept until endpoint {', '.join(held)} is gone")
                remaining.append(resource)
                continue
            try:
                owner = accounts[resource.account]
            except KeyError as exc:
                report.failed.append(f"{label}: {exc.args[0]} (pass its profile)")
                remaining.append(resource)
                continue
            try:
                check_owned(owner, resource, record.world_id)
                _delete(owner, resource)
                report.deleted.append(label)
            except RefusedDelete as exc:
                report.refused.append(str(exc))
                remaining.append(resource)
            except Exception as exc:
                if _not_found(exc):
                    report.deleted.append(f"{label} (already gone)")
                else:
                    report.failed.append(f"{label}: {type(exc).__name__}: {exc}")
                    remaining.append(resource)
    unknown = [r for r in record.resources if r.kind not in DELETE_ORDER]
    report.refused += [f"{r.kind} {r.name}: unknown kind" for r in unknown]
    record.resources = remaining + unknown
    record.save()
    return report


def stack_created_resources(
    account: Account, world_id: str, group: str, *, in_account: str = ""
) -> list[Resource]:
    """What the stack made for the world's versions (shadow models and experiments), by name, in the
    endpoint account `account` (`in_account`: its id as the record writes it, "" for the automation
    account)."""
    sagemaker = account.client("sagemaker")
    experiments = sagemaker.get_paginator("list_inference_experiments").paginate(NameContains=group)
    found = [
        Resource("experiment", e["Name"], in_account)
        for page in experiments
        for e in page.get("InferenceExperiments", [])
        if group in e["Name"]
    ]
    models = sagemaker.get_paginator("list_models").paginate(NameContains=world_id)
    found += [
        Resource("model", m["ModelName"], in_account)
        for page in models
        for m in page.get("Models", [])
        if m["ModelName"].startswith(f"autopilot-{group}") or m["ModelName"].startswith(group)
    ]
    return found


@contextmanager
def recorded(record: ResourceRecord, kind: str, name: str) -> Iterator[None]:
    """Record `name` first, then create it inside the block."""
    record.add(kind, name)
    yield


Tagger = Callable[[str], list[dict[str, str]]]


def world_tags(world_id: str) -> list[dict[str, str]]:
    return [{"Key": TAG_KEY, "Value": world_id}]
