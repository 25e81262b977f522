"""The operations the lifecycle scenarios need, on two backends: the embedded one (the synthesized
stack on the local backend, simulated time) and a real account (a deployed world, real time).

Waiting is polling with a deadline on both. On the embedded backend nothing sleeps: between two
polls the simulated clock moves one roller period on, the schedule rule fires (as EventBridge fires
it when the rate comes round), and every event SageMaker emitted meanwhile is delivered through the
synthesized rules. In an account EventBridge and the schedule do that by themselves, and a poll waits
real seconds.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from autopilot.account.retry import RetryOutcome, retry_in_embedded_stack, retry_target
from autopilot.e2e.world import DEFAULT_INSTANCE_TYPE, FAILING_AUC, PASSING_AUC
from autopilot.embedded.stack import EmbeddedStack
from registry_autopilot.logic import naming
from registry_autopilot.logic import shadow as shadow_logic
from registry_autopilot.models.config import AutopilotConfig

T = TypeVar("T")

# Registration fields the scenarios give every version (a SageMaker XGBoost container, as Neo needs).
FRAMEWORK, FRAMEWORK_VERSION = "XGBOOST", "1.7"


class WaitTimedOut(AssertionError):
    pass


class Backend(Protocol):
    name: str
    group: str

    def register(self, *, passing: bool) -> str: ...
    def fail_first_compilation(self, arn: str, target: str) -> None: ...
    def wait_until(self, what: str, condition: Callable[[], T | None], timeout_seconds: float) -> T: ...
    def version(self, arn: str) -> dict[str, Any]: ...
    def decide_as_person(self, arn: str, status: str, description: str) -> None: ...
    def deliver_duplicate(self, arn: str) -> None: ...
    def run_roller(self) -> None: ...
    def experiment(self, arn: str) -> dict[str, Any] | None: ...
    def compile_executions(self, arn: str) -> list[str]: ...
    def retry(self, arn: str, target: str) -> RetryOutcome: ...


def _report(passing: bool) -> dict[str, Any]:
    return {"binary_classification_metrics": {"auc": {"value": PASSING_AUC if passing else FAILING_AUC}}}


def _group_and_version(arn: str) -> tuple[str, int]:
    group, version = arn.split(":model-package/", 1)[1].split("/")
    return group, int(version)


@dataclass
class EmbeddedBackend:
    """The synthesized stack on the local backend; time is the backend's simulated clock."""

    stack: EmbeddedStack
    group: str
    name: str = "embedded"
    _delivered: int = 0
    _registered: dict[str, dict[str, Any]] = field(default_factory=dict)  # arn -> its registration event
    _executions: dict[str, list[str]] = field(default_factory=dict)  # arn -> execution statuses

    def __post_init__(self) -> None:
        self.stack.seed_shadow_endpoint(self.group)  # the world's production endpoint
        self._delivered = len(self.stack.backend.emitted_events)

    def _sagemaker(self, where: str) -> Any:
        """SageMaker in the group's registry account or its endpoint account (docs/ACCOUNTS.md)."""
        config = self.stack.app.config
        group = self.group
        account = config.registry_account(group) if where == "registry" else config.endpoint_account(group)
        return self.stack.backend.client("sagemaker", account=account)

    # -- EventBridge, as the account would run it ------------------------------------------------------
    def _pump(self) -> None:
        """Deliver every event SageMaker emitted since the last delivery (our own writes' too)."""
        for _ in range(200):
            events = self.stack.backend.emitted_events
            if self._delivered >= len(events):
                return
            event = events[self._delivered]
            self._delivered += 1
            self._deliver(event)
        raise AssertionError("more than 200 events in a row: the lifecycle does not settle")

    def _deliver(self, event: dict[str, Any]) -> None:
        arn = str(event.get("detail", {}).get("ModelPackageArn", ""))
        routed = self.stack.send_event(event)
        assert routed.failures == [], routed.failures
        self._executions.setdefault(arn, []).extend(e.status for e in routed.executions)

    def _tick(self) -> None:
        """One roller period of simulated time: the schedule fires, then the events are delivered."""
        self.stack.backend.clock.advance(self.stack.app.config.roller_schedule_minutes * 60)
        for run in self.stack.run_schedule(self.stack.schedule_rule("roller")):
            assert run.failures == [], run.failures
        self._pump()

    # -- operations ------------------------------------------------------------------------------------
    def register(self, *, passing: bool) -> str:
        arn = self.stack.backend.seed_model_package(
            self.group,
            framework=FRAMEWORK,
            framework_version=FRAMEWORK_VERSION,
            instance_types=("ml.c5.large", "ml.m5.large"),
            evaluation_report=_report(passing),
            account=self.stack.app.config.registry_account(self.group),
        )
        self._registered[arn] = self.stack.backend.emitted_events[-1]
        return arn

    def fail_first_compilation(self, arn: str, target: str) -> None:
        group, version = _group_and_version(arn)
        settings = self.stack.app.config.groups[group]
        neo = next(t for t in settings.neo_targets if t.name == target)
        job = naming.compilation_job_name(group, version, neo)
        self.stack.backend.compilation_jobs.script(
            job, ["INPROGRESS", "FAILED"], "InternalServerError: try again"
        )

    def wait_until(self, what: str, condition: Callable[[], T | None], timeout_seconds: float) -> T:
        clock = self.stack.backend.clock
        deadline = clock.now().timestamp() + timeout_seconds
        self._pump()
        while True:
            result = condition()
            if result:
                return result
            if clock.now().timestamp() >= deadline:
                raise WaitTimedOut(f"{what}: not within {timeout_seconds:.0f} s (simulated)")
            self._tick()

    def version(self, arn: str) -> dict[str, Any]:
        with self.stack.backend.unrecorded():
            described = self._sagemaker("registry").describe_model_package(ModelPackageName=arn)
        return dict(described)

    def decide_as_person(self, arn: str, status: str, description: str) -> None:
        self._sagemaker("registry").update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus=status, ApprovalDescription=description
        )

    def deliver_duplicate(self, arn: str) -> None:
        self._deliver(self._registered[arn])

    def run_roller(self) -> None:
        for run in self.stack.run_schedule(self.stack.schedule_rule("roller")):
            assert run.failures == [], run.failures
        self._pump()

    def experiment(self, arn: str) -> dict[str, Any] | None:
        name = self.version(arn).get("CustomerMetadataProperties", {}).get(shadow_logic.EXPERIMENT_KEY)
        if not name:
            return None
        with self.stack.backend.unrecorded():
            return dict(self._sagemaker("endpoint").describe_inference_experiment(Name=name))

    def compile_executions(self, arn: str) -> list[str]:
        return list(self._executions.get(arn, []))

    def retry(self, arn: str, target: str) -> RetryOutcome:
        outcome = retry_in_embedded_stack(self.stack, arn, target)
        self._executions.setdefault(arn, []).append(str(outcome.status))
        self._pump()
        return outcome


@dataclass
class World:
    """A world deployed in an account by scripts/e2e_aws.py (its JSON: AUTOPILOT_E2E_WORLD)."""

    group: str
    stack_name: str
    model_data_url: str
    image: str
    passing_report: str
    failing_report: str
    state_machine_arn: str
    roller_function: str
    # Across accounts (docs/ACCOUNTS.md): where the stack, the group and the endpoint are ("": one).
    automation_account: str = ""
    registry_account: str = ""
    endpoint_account: str = ""
    instance_type: str = DEFAULT_INSTANCE_TYPE

    @classmethod
    def load(cls, path: Path) -> World:
        data = json.loads(path.read_text())
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})

    def config(self) -> AutopilotConfig:
        """The configuration the world was deployed with (autopilot/e2e/world.py world_config)."""
        from autopilot.e2e.world import world_config

        automation = self.automation_account or None
        return world_config(
            self.group.removeprefix("autopilot-e2e-"),
            account=automation,
            instance_type=self.instance_type,
            registry_account=self.registry_account if self.registry_account not in ("", automation) else None,
            endpoint_account=self.endpoint_account
            if self.endpoint_account not in ("", self.registry_account or automation)
            else None,
        )


@dataclass
class AwsBackend:
    """A deployed world in a real account: real time, polling with deadlines."""

    target: Any  # autopilot.account.credentials.AwsTarget: the automation account
    world: World
    poll_seconds: float = 15.0
    name: str = "aws"
    others: dict[str, Any] = field(default_factory=dict)  # the other accounts' targets, by account
    _registered: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def group(self) -> str:
        return self.world.group

    def _sagemaker(self, where: str = "registry") -> Any:
        """SageMaker where the group is (`registry`) or where its endpoint is (`endpoint`)."""
        account = self.world.registry_account if where == "registry" else self.world.endpoint_account
        if account in ("", self.world.automation_account, str(self.target.account)):
            return self.target.client("sagemaker")
        if account not in self.others:
            raise RuntimeError(
                f"the world's {where} part is in account {account}: name its profile in "
                f"AUTOPILOT_E2E_ACCOUNT_PROFILES ({account}=PROFILE)"
            )
        return self.others[account].client("sagemaker")

    def register(self, *, passing: bool) -> str:
        report = self.world.passing_report if passing else self.world.failing_report
        arn = str(
            self._sagemaker().create_model_package(
                ModelPackageGroupName=self.group,
                ModelApprovalStatus="PendingManualApproval",
                InferenceSpecification={
                    "Containers": [
                        {
                            "Image": self.world.image,
                            "ModelDataUrl": self.world.model_data_url,
                            "Framework": FRAMEWORK,
                            "FrameworkVersion": FRAMEWORK_VERSION,
                        }
                    ],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                    "SupportedRealtimeInferenceInstanceTypes": ["ml.c5.large", "ml.m5.large"],
                },
                ModelMetrics={
                    "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": report}}
                },
            )["ModelPackageArn"]
        )
        from autopilot.account.retry import execution_input

        described = self.version(arn)
        # A version never modified may not carry LastModifiedTime yet: its creation is the change.
        described.setdefault("LastModifiedTime", described["CreationTime"])
        self._registered[arn] = execution_input(described, arn)
        return arn

    def fail_first_compilation(self, arn: str, target: str) -> None:
        """Neo cannot be told to fail: stop the target's first job once it exists (a stopped job
        ends the target as failed, the way an operator's stop would)."""
        group, version = _group_and_version(arn)
        config = self.world.config()
        neo = next(t for t in config.groups[group].neo_targets if t.name == target)
        job = naming.compilation_job_name(group, version, neo)

        def started() -> bool:
            try:
                self._sagemaker().describe_compilation_job(CompilationJobName=job)
            except Exception:
                return False
            return True

        self.wait_until(f"compilation job {job} exists", started, 600)
        self._sagemaker().stop_compilation_job(CompilationJobName=job)

    def wait_until(self, what: str, condition: Callable[[], T | None], timeout_seconds: float) -> T:
        deadline = time.monotonic() + timeout_seconds
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise WaitTimedOut(f"{what}: not within {timeout_seconds:.0f} s")
            time.sleep(self.poll_seconds)

    def version(self, arn: str) -> dict[str, Any]:
        return dict(self._sagemaker().describe_model_package(ModelPackageName=arn))

    def decide_as_person(self, arn: str, status: str, description: str) -> None:
        self._sagemaker().update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus=status, ApprovalDescription=description
        )

    def deliver_duplicate(self, arn: str) -> None:
        """EventBridge delivers an event to a state machine target as StartExecution with the event
        as input; a second delivery is a second execution with the same input."""
        self.target.client("stepfunctions").start_execution(
            stateMachineArn=self.world.state_machine_arn, input=json.dumps(self._registered[arn])
        )

    def run_roller(self) -> None:
        """One round now, with the "Scheduled Event" the schedule rule sends (the roller parses it)."""
        event = scheduled_event(str(self.target.account), self.target.region)
        response = self.target.client("lambda").invoke(
            FunctionName=self.world.roller_function, Payload=json.dumps(event)
        )
        assert "FunctionError" not in response, response["Payload"].read()

    def experiment(self, arn: str) -> dict[str, Any] | None:
        name = self.version(arn).get("CustomerMetadataProperties", {}).get(shadow_logic.EXPERIMENT_KEY)
        return dict(self._sagemaker("endpoint").describe_inference_experiment(Name=name)) if name else None

    def compile_executions(self, arn: str) -> list[str]:
        sfn = self.target.client("stepfunctions")
        statuses = []
        listed = sfn.list_executions(stateMachineArn=self.world.state_machine_arn, maxResults=100)
        for execution in listed["executions"]:
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            if arn in described.get("input", ""):
                statuses.append(str(described["status"]))
        return statuses

    def retry(self, arn: str, target: str) -> RetryOutcome:
        config = self.world.config()
        return retry_target(
            self._sagemaker(),
            self.target.client("stepfunctions"),
            state_machine_arn=self.world.state_machine_arn,
            arn=arn,
            target=target,
            config=config,
        )


def scheduled_event(account: str, region: str) -> dict[str, Any]:
    """The "Scheduled Event" EventBridge sends a schedule rule's targets, stamped now."""
    import uuid
    from datetime import UTC, datetime

    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": {},
    }


def aws_backend_from_environment() -> AwsBackend:
    """AUTOPILOT_E2E_PROFILE / AUTOPILOT_E2E_REGION name the account; AUTOPILOT_E2E_WORLD the world."""
    from autopilot.account.credentials import account_profiles, resolve_aws

    region = os.environ.get("AUTOPILOT_E2E_REGION")
    world = os.environ.get("AUTOPILOT_E2E_WORLD")
    if not region or not world:
        raise RuntimeError(
            "pytest -m aws needs AUTOPILOT_E2E_REGION (and AUTOPILOT_E2E_PROFILE) and "
            "AUTOPILOT_E2E_WORLD (the world file `make e2e-aws` writes); run `make e2e-aws`"
        )
    target = resolve_aws(os.environ.get("AUTOPILOT_E2E_PROFILE"), region)
    # AUTOPILOT_E2E_ACCOUNT_PROFILES: "ACCOUNT=PROFILE,..." for a world across accounts.
    pairs = [p for p in os.environ.get("AUTOPILOT_E2E_ACCOUNT_PROFILES", "").split(",") if p]
    try:
        profiles = account_profiles(pairs)  # the CLI's own reading of ACCOUNT=PROFILE
    except ValueError as exc:
        raise RuntimeError(f"AUTOPILOT_E2E_ACCOUNT_PROFILES: {exc}") from None
    others = {account: resolve_aws(profile, region) for account, profile in profiles.items()}
    for account, other in others.items():
        if str(other.account) != account:
            raise RuntimeError(
                f"AUTOPILOT_E2E_ACCOUNT_PROFILES: the profile for {account} is for {other.account}"
            )
    return AwsBackend(target, World.load(Path(world)), others=others)
