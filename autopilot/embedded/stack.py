"""Run the deployed functions and workflows locally, wired as the synthesized stack wires them.

`EmbeddedStack` (the synthesized stack, running in-process on the embedded backend) starts the
backend, creates the resources the functions' environment references (the notification topic, the
artifacts bucket), gives each function the environment the template gives it, and routes events
through the synthesized rules' patterns into the synthesized state machine or function.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from autopilot.embedded.backend import LocalBackend, RecordedCall
from autopilot.embedded.backend.iam import RolePolicy
from autopilot.embedded.eventpattern import matches
from autopilot.embedded.quiet import function_output_to
from autopilot.embedded.stepfunctions import ExecutionResult, LocalLambdaContext, execute, function_name_of
from autopilot.embedded.synth import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    EventRule,
    SynthesizedApp,
    local_bucket_name,
    local_role_arn,
    role_arn_reference,
    synthesize,
)
from autopilot.errors import InvalidInput
from infra.config import WATCHER_ROUND_SECONDS

HANDLER_PACKAGE = "registry_autopilot.handlers"
FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"  # the functions' asset
HANDLERS_DIR = FUNCTIONS_DIR / "registry_autopilot" / "handlers"

# Fields of a state-change event's detail that CreateModelPackage accepts as they are.
_SEEDED_FIELDS = (
    "InferenceSpecification",
    "AdditionalInferenceSpecifications",
    "ModelApprovalStatus",
    "ModelMetrics",
    "CustomerMetadataProperties",
    "ModelPackageDescription",
    "ModelPackageRegistrationType",
    "ModelLifeCycle",
)


# SageMaker operations that cannot see an endpoint, its configuration or a model.
_BLIND_TO_ENDPOINTS = ("ModelPackage", "CompilationJob", "ModelCard")


def _may_see_endpoints(service: str, operation: str) -> bool:
    if service != "sagemaker" or any(part in operation for part in _BLIND_TO_ENDPOINTS):
        return False
    # An experiment exists only once CreateInferenceExperiment made it, which needed the endpoint: the
    # other experiment calls (a replay's closing list, the roller's reads) find it made or nothing.
    return "InferenceExperiment" not in operation or operation == "CreateInferenceExperiment"


def available_handlers(app: SynthesizedApp | None = None) -> list[str]:
    """The handlers the stack deploys as functions (not every module in the handlers package)."""
    handlers = (app or synthesize()).functions.values()
    prefix = f"{HANDLER_PACKAGE}."
    return sorted({h.removeprefix(prefix).split(".")[0] for h in handlers if h.startswith(prefix)})


class UnseedableEvent(InvalidInput):
    """The event describes a model package version AWS would not hold (the embedded backend refuses
    to create it as SageMaker would): the message names the field."""


_VALIDATION_ITEM = re.compile(
    r"Value '(?P<value>.*?)' at '(?P<at>[^']+)' failed to satisfy constraint: (?P<rule>[^;]*)"
)


def _field_problems(message: str) -> str:
    """A ValidationException's items as `detail.Field: rule (value ...)`, values shortened: the
    event's fields are named as the event spells them (SageMaker's messages use camelCase)."""
    problems = []
    for item in _VALIDATION_ITEM.finditer(message):
        parts = [p for p in item["at"].split(".") if p != "member"]
        field_path = ".".join(p if p.isdigit() else p[:1].upper() + p[1:] for p in parts)
        value = item["value"] if len(item["value"]) <= 40 else item["value"][:37] + "..."
        problems.append(f"detail.{field_path}: {item['rule'].strip()} (value {value!r})")
    return "; ".join(problems) or message


def _write_summary(call: RecordedCall) -> dict[str, Any]:
    """One write as replay and invoke report it: what, with which parameters, in which account and as
    which principal (an assumed role's session in another account, a function's role)."""
    return {
        "service": call.service,
        "operation": call.operation,
        "params": call.params,
        "account": call.account,
        "principal": call.principal,
    }


@dataclass
class Routed:
    """What happened to one event: the rules it matched and what each target did."""

    event_id: str
    matched_rules: list[str] = field(default_factory=list)
    executions: list[ExecutionResult] = field(default_factory=list)
    # Function targets that raised: EventBridge would retry them, then park the event in the DLQ.
    failures: list[str] = field(default_factory=list)
    # Function targets that refused the event as invalid (the handler's InvalidInput): no write made.
    rejections: list[str] = field(default_factory=list)
    # What each function target that succeeded returned, in the order the targets ran.
    function_results: list[Any] = field(default_factory=list)
    # An event from another account: the forwarding rules of that account that carried it here.
    forwarded_by: list[str] = field(default_factory=list)
    # Why an event from another account did not reach the automation stack's bus (the missing grant).
    undelivered: list[str] = field(default_factory=list)


@dataclass
class WatcherRound:
    """One compile watcher round of a run with many executions: when, its calls (the round's own,
    not those of the branches it resumed), and how many waits it answered."""

    at: datetime
    calls: list[RecordedCall]
    answered: int
    failures: list[str]


@dataclass
class InFlight:
    """A run of many executions at once (`EmbeddedStack.run_in_flight`)."""

    executions: dict[str, dict[str, Any]]  # execution ARN -> DescribeExecution at its end
    rounds: list[WatcherRound]
    started: datetime
    ended: datetime


@dataclass
class ScheduledRun:
    """One schedule rule fired: the event its targets got, what each returned, and what failed."""

    rule: str
    event: dict[str, Any]
    function_results: list[Any] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class EmbeddedStack:
    """The synthesized stack, running on the local backend."""

    def __init__(
        self,
        app: SynthesizedApp | None = None,
        *,
        account_id: str = LOCAL_ACCOUNT,
        region: str = LOCAL_REGION,
        start_time: datetime | None = None,
    ) -> None:
        from autopilot.embedded.quiet import share_service_models

        share_service_models()  # many sessions, one parse of each service model
        self.app = app or synthesize()
        self.backend = LocalBackend(region=region, account_id=account_id, start_time=start_time)
        self._stack = contextlib.ExitStack()
        self._resources: dict[str, str] = {}  # logical id -> local physical name/ARN
        self._config_file: Path | None = None
        self.logs = io.StringIO()  # what the functions logged (Powertools writes JSON to stdout)
        self._executions = 0
        self._scheduled = 0
        # Whether executions keep their history (the demo and tests read it; replay does not).
        self.keep_history = True
        self._seeded_endpoints: set[str] = set()  # production endpoints created for shadow tests
        self._expected_endpoints: set[str] = set()  # groups whose endpoint is created when first needed
        self._state_machines: dict[str, str] = {}  # local state machine name -> ARN on this backend
        # Each function's clients, kept between its invocations as a warm Lambda container keeps them.
        self._containers: dict[str, dict[str, Any]] = {}
        # Versions created only so that a sample's version number exists (no event names them).
        self.filler_versions: set[str] = set()
        self.watcher_failures: list[str] = []  # compile watcher rounds that failed (the Errors alarm)
        # Accounts holding a companion stack (account -> stack name): their events come through their
        # forwarding rules (`autopilot.embedded.deployed.deploy_accounts`).
        self.companion_accounts: dict[str, str] = {}
        self._invoking = threading.RLock()

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> EmbeddedStack:
        from registry_autopilot import clock

        self._stack.enter_context(self.backend)
        # The functions read the time from the backend's simulated clock while the stack runs.
        clock.use(self.backend.clock.now)
        self._stack.callback(clock.use, None)
        tmp = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="autopilot-local-")))
        self._config_file = tmp / "autopilot_config.json"
        self._config_file.write_text(self.app.config.model_dump_json(by_alias=True))
        from autopilot.embedded import stepfunctions

        stepfunctions.TASK_CREDENTIALS.append(self.task_client)
        self._stack.callback(stepfunctions.TASK_CREDENTIALS.remove, self.task_client)
        return self

    def __exit__(self, *exc: object) -> None:
        from registry_autopilot.adapters import clients

        self._stack.close()
        self._containers.clear()
        clients._clients = {}  # no client of this stack's mock outlives it

    # -- resources the functions reference ---------------------------------------------------------
    def _physical(self, logical_id: str) -> str:
        if logical_id in self._resources:
            return self._resources[logical_id]
        kind = self.app.template["Resources"][logical_id]["Type"]
        with self.backend.unrecorded():
            if kind == "AWS::SNS::Topic":
                # Its ARN is known before it exists; it is created before the first SNS call (a
                # function that never publishes does not pay for SNS).
                from moto.utilities.utils import get_partition

                region = self.backend.region
                value = f"arn:{get_partition(region)}:sns:{region}:{self.backend.account_id}:{logical_id}"
                self.backend.prepare_before(
                    lambda service, _operation: service == "sns",
                    lambda: self.backend.client("sns").create_topic(Name=logical_id),
                )
            elif kind == "AWS::S3::Bucket":
                value = local_bucket_name(logical_id)
                self.backend.prepare_before(
                    lambda service, _operation: service == "s3", lambda: self._create_bucket(value)
                )
            else:
                value = logical_id
        self._resources[logical_id] = value
        return value

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The function's environment as the template sets it, with references resolved locally."""
        properties = self.app.template["Resources"][logical_id]["Properties"]
        variables: dict[str, Any] = properties.get("Environment", {}).get("Variables", {})
        env: dict[str, str] = {}
        for key, value in variables.items():
            if isinstance(value, dict) and "Ref" in value:
                env[key] = self._physical(value["Ref"])
            elif (role := role_arn_reference(self.app.template, value)) is not None:
                env[key] = local_role_arn(role)
            elif isinstance(value, dict):
                raise ValueError(f"{logical_id}: cannot resolve {key}={value} locally")
            else:
                env[key] = str(value)
        env["AUTOPILOT_CONFIG_FILE"] = str(self._config_file)  # /var/task/... in Lambda
        env["AWS_REGION"] = self.backend.region
        env["POWERTOOLS_TRACE_DISABLED"] = "true"  # no X-Ray daemon locally
        # Set by the Lambda runtime in every function. The X-Ray SDK reads it when the first Tracer is
        # created: in Lambda it samples locally; anywhere else it creates two X-Ray clients for
        # centralized sampling, a tenth of a second that the deployed function never spends.
        env["LAMBDA_TASK_ROOT"] = str(FUNCTIONS_DIR)  # /var/task in Lambda: the function's code
        return env

    # -- running functions ---------------------------------------------------------------------
    def function_for_handler(self, name: str) -> str:
        wanted = f"{HANDLER_PACKAGE}.{name}.handler"
        for logical_id, handler in self.app.functions.items():
            if handler == wanted:
                return logical_id
        raise KeyError(f"no function in the stack runs {wanted}")

    def invoke_function(self, logical_id: str, event: Any) -> Any:
        """Run a function's handler in-process with its deployed environment."""
        # One function at a time: each runs with its own environment in this one process (a scheduled
        # function runs from the runner's thread while an execution's Lambda task may start on another).
        with self._invoking:
            return self._invoke_function(logical_id, event)

    def _invoke_function(self, logical_id: str, event: Any) -> Any:
        from registry_autopilot.adapters import clients
        from registry_autopilot.settings import reset_settings

        handler_path = self.app.functions[logical_id]
        module_name, attribute = handler_path.rsplit(".", maxsplit=1)
        saved = dict(os.environ)
        os.environ.update(self.function_environment(logical_id))
        # The function's calls are held to its role's statements in the template, as AWS would.
        self.backend.principal = self.function_role(logical_id)
        try:
            reset_settings()
            clients._clients = self._containers.setdefault(logical_id, {})
            with function_output_to(self.logs):
                module = importlib.import_module(module_name)
                context = LocalLambdaContext(
                    function_name=logical_id, invoked_function_arn=self.app.function_arn(logical_id)
                )
                return getattr(module, attribute)(event, context)
        finally:
            self.backend.principal = None
            os.environ.clear()
            os.environ.update(saved)

    def function_role(self, logical_id: str) -> RolePolicy:
        """The IAM role the function runs with, as the template grants it."""
        role = self.app.template["Resources"][logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        return RolePolicy.from_template(
            self.app.template, role, region=self.backend.region, account=self.backend.account_id
        )

    def task_client(self, region: str, service: str, role_arn: str) -> Any:
        """The client of a state machine task with `Credentials`: the state machine's role (from the
        template) assumes `role_arn`, whose trust policy must allow it (a cross-account task)."""
        from autopilot.embedded.backend.accounts import Caller

        role = self.state_machine_role()
        caller = Caller(account=self.backend.account_id, template_role=role, role_arn=role.arn)
        sts = self.backend.session_client("sts", caller, region_name=region)
        credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="stepfunctions-task")["Credentials"]
        return self.backend.client(
            service,
            region_name=region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    def state_machine_role(self) -> RolePolicy:
        """The role of the stack's (compile) state machine, as the template grants it."""
        resources = self.app.template["Resources"]
        machine = next(iter(self.app.state_machines))
        role = resources[machine]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        return RolePolicy.from_template(
            self.app.template, role, region=self.backend.region, account=self.backend.account_id
        )

    def route_lambda(self, function_arn: str, event: Any) -> Any:
        """A state machine's Lambda task, run as the function its ARN names."""
        return self.invoke_function(function_name_of(function_arn), event)

    # -- events through the synthesized rules -------------------------------------------------------
    def send_event(self, event: dict[str, Any]) -> Routed:
        """Deliver one event the way EventBridge would: every rule whose pattern matches runs its
        targets (state machines start an execution; functions are invoked)."""
        routed = Routed(event_id=str(event.get("id", "")))
        source = str(event.get("account", ""))
        from_another = bool(self.companion_accounts) and source not in ("", self.backend.account_id)
        if from_another and not self._forwarded(event, routed):
            return routed
        for rule in rules_reached(self.app, event):
            routed.matched_rules.append(rule.name)
            for target in rule.targets:
                if target.kind == "state-machine":
                    self._executions += 1
                    # Only the runner's own StartExecution goes unrecorded (it stands in for
                    # EventBridge); the execution's tasks run on other threads and are recorded.
                    with self.backend.unrecorded():
                        result = execute(
                            self.app.state_machines[target.logical_id],
                            event,
                            invoke=self.route_lambda,
                            name=f"local-{self._executions:04d}",
                            region=self.backend.region,
                            on_wait=self.backend.clock.advance,
                            keep_history=self.keep_history,
                            machines=self._state_machines,
                            on_token_wait=self.compile_watch_round,
                        )
                    routed.executions.append(result)
                elif target.kind == "function":
                    from registry_autopilot.models.errors import InvalidInput as RejectedEvent

                    try:
                        routed.function_results.append(self.invoke_function(target.logical_id, event))
                    except RejectedEvent as exc:
                        routed.rejections.append(f"{target.logical_id}: InvalidInput: {exc}")
                    except Exception as exc:  # an async invoke's failure goes to the DLQ, not the sender
                        routed.failures.append(f"{target.logical_id}: {type(exc).__name__}: {exc}")
        return routed

    def _forwarded(self, event: dict[str, Any], routed: Routed) -> bool:
        """Whether an event emitted on another account's default bus reaches this stack's bus: a rule
        of that account must match it and target this account's bus, whose resource policy must
        admit PutEvents from that account (EventBridge User Guide, "Permissions for event buses":
        "The default event bus in your AWS account only allows events from one account. You can grant
        additional permissions to an event bus by attaching a resource-based policy to it.")."""
        from autopilot.embedded.eventbridge import forwarding_denial, forwarding_rules

        source = str(event["account"])
        bus = f"arn:aws:events:{self.backend.region}:{self.backend.account_id}:event-bus/default"
        rules = forwarding_rules(self.backend, source, event, bus)
        if not rules:
            routed.undelivered.append(
                f"no rule on the default event bus of account {source} matches the event and targets {bus}"
            )
            return False
        for rule, role_arn in rules:
            reason = forwarding_denial(self.backend, source, bus, role_arn, event)
            if reason is None:
                routed.forwarded_by.append(f"{source}:{rule}")
                return True
            routed.undelivered.append(f"rule {rule} of account {source}: {reason}")
        return False

    # -- schedules ------------------------------------------------------------------------------
    def scheduled_event(self, rule: EventRule) -> dict[str, Any]:
        """The "Scheduled Event" EventBridge sends a schedule rule's targets, at the backend's time."""
        self._scheduled += 1
        return {
            "version": "0",
            "id": f"00000000-0000-4000-8000-{self._scheduled:012d}",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.backend.account_id,
            "time": self.backend.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.backend.region,
            "resources": [f"arn:aws:events:{self.backend.region}:{self.backend.account_id}:rule/{rule.name}"],
            "detail": {},
        }

    def run_schedule(self, rule_name: str | None = None) -> list[ScheduledRun]:
        """Fire every schedule rule (or the one named `rule_name`, logical id without CDK's hash) once,
        at the backend's current time, as EventBridge does when the rate comes round."""
        runs: list[ScheduledRun] = []
        for rule in self.app.rules:
            if not rule.schedule or (rule_name is not None and rule.name != rule_name):
                continue
            event = self.scheduled_event(rule)
            run = ScheduledRun(rule=rule.name, event=event)
            for target in rule.targets:
                if target.kind != "function":
                    continue
                try:
                    run.function_results.append(self.invoke_function(target.logical_id, event))
                except Exception as exc:  # as for events: retried by Lambda, then the DLQ
                    run.failures.append(f"{target.logical_id}: {type(exc).__name__}: {exc}")
            runs.append(run)
        return runs

    def compile_watch_round(self) -> float:
        """A minute passes and the compile watcher's schedule fires, as it does while a compile
        workflow waits for its jobs. What the round could not do is kept in `watcher_failures`."""
        self.backend.clock.advance(WATCHER_ROUND_SECONDS)
        with self.backend.recorded():  # the runner waits inside `unrecorded`; the watcher's calls count
            runs = self.run_schedule(self.schedule_rule("compile_watcher"))
        for run in runs:
            self.watcher_failures.extend(run.failures)
        return float(WATCHER_ROUND_SECONDS)

    def run_in_flight(
        self,
        deliveries: list[tuple[datetime, dict[str, Any] | Callable[[], dict[str, Any]]]],
        *,
        timeout_seconds: float = 3600.0,
    ) -> InFlight:
        """Deliver each event at its time (a callable makes it then, e.g. by registering a version) and
        let every execution it starts run at once, as they do in
        AWS: branches wait for their callbacks, Wait states and retry intervals sleep on the simulated
        clock, and the clock moves (to the next sleeper due, or the compile watcher's next round, each
        minute) only when every execution and branch waits. Returns each execution's end and the
        watcher's rounds. `timeout_seconds` is real time, a guard against a run that never ends."""
        import time as real_time

        from autopilot.embedded.stepfunctions import TokenWaits, local_execution, state_machine_arn

        clock = self.backend.clock
        tokens = TokenWaits(simulated=True, clock=clock)
        sfn = self.backend.client("stepfunctions")
        started: list[str] = []
        rounds: list[WatcherRound] = []
        began = clock.now()
        next_round = began + timedelta(seconds=WATCHER_ROUND_SECONDS)
        guard = real_time.monotonic() + timeout_seconds
        with local_execution(self.route_lambda, None, tokens):
            for at, event in sorted(deliveries, key=lambda item: item[0]):
                if at > clock.now():
                    self._move_clock(tokens, at)
                delivered = event() if callable(event) else event
                for rule in rules_reached(self.app, delivered):
                    for target in rule.targets:
                        if target.kind != "state-machine":
                            continue
                        definition = self.app.state_machines[target.logical_id]
                        self._executions += 1
                        with self.backend.unrecorded():  # StartExecution stands in for EventBridge
                            machine = state_machine_arn(sfn, definition, self._state_machines)
                            started.append(
                                sfn.start_execution(
                                    stateMachineArn=machine,
                                    name=f"local-{self._executions:04d}",
                                    input=json.dumps(delivered),
                                )["executionArn"]
                            )
            while tokens.executions_alive > 0:
                if real_time.monotonic() > guard:
                    raise TimeoutError(f"{tokens.executions_alive} executions still running")
                if not tokens.waiting():
                    real_time.sleep(0.002)
                    continue
                due = tokens.next_due()
                if due is not None and due < next_round:
                    self._move_clock(tokens, due)
                    continue
                self._move_clock(tokens, next_round)
                rounds.append(self._in_flight_round())
                next_round += timedelta(seconds=WATCHER_ROUND_SECONDS)
            with self.backend.unrecorded():
                ends = {arn: sfn.describe_execution(executionArn=arn) for arn in started}
        return InFlight(executions=ends, rounds=rounds, started=began, ended=clock.now())

    def _move_clock(self, tokens: Any, when: datetime) -> None:
        elapsed = (when - self.backend.clock.now()).total_seconds()
        self.backend.clock.set(when)
        tokens.elapse(elapsed)
        tokens.release()

    def _in_flight_round(self) -> WatcherRound:
        at = self.backend.clock.now()
        first = len(self.backend.calls)
        with self.backend.recorded():
            (run,) = self.run_schedule(self.schedule_rule("compile_watcher"))
        me = threading.get_ident()
        calls = [call for call in self.backend.calls[first:] if call.thread == me]
        answered = sum(1 for call in calls if call.operation == "SendTaskSuccess")
        self.watcher_failures.extend(run.failures)
        return WatcherRound(at=at, calls=calls, answered=answered, failures=run.failures)

    def schedule_rule(self, handler: str) -> str:
        """The schedule rule whose target runs `handler` (e.g. `roller`, `compile_watcher`)."""
        wanted = f"{HANDLER_PACKAGE}.{handler}.handler"
        for rule in self.app.rules:
            if rule.schedule and any(self.app.functions.get(t.logical_id) == wanted for t in rule.targets):
                return rule.name
        raise KeyError(f"no schedule rule in the stack runs {wanted}")

    # -- seeding -----------------------------------------------------------------------------------
    def seed_from_event(self, event: Any) -> str | None:
        """Create the model package group and version a state-change event (or a task input with
        `model_package_arn`) names, so a handler finds what the event talks about. A version SageMaker
        would refuse to create (the backend validates as AWS does) raises UnseedableEvent naming the
        field, before anything is delivered."""
        from botocore.exceptions import ClientError, ParamValidationError

        try:
            return self._seed_from_event(event)
        except ClientError as exc:
            message = _field_problems(str(exc.response.get("Error", {}).get("Message", exc)))
            raise UnseedableEvent(f"the version it describes cannot exist in SageMaker: {message}") from None
        except ParamValidationError as exc:
            raise UnseedableEvent(f"the version it describes cannot exist in SageMaker: {exc}") from None

    def _seed_from_event(self, event: Any) -> str | None:
        if not isinstance(event, dict):
            return None
        detail = event.get("detail") if isinstance(event.get("detail"), dict) else None
        arn = detail.get("ModelPackageArn") if detail else event.get("model_package_arn")
        if not isinstance(arn, str) or "/" not in arn:
            return None
        try:
            group, version_text = arn.split(":model-package/", 1)[1].split("/", 1)
            version = int(version_text)
        except (IndexError, ValueError):
            return None
        self.expect_shadow_endpoint(group)  # the production endpoint the group's shadow tests run against
        # The version is in the account its ARN names (a registry account's, in a multi-account layout).
        owner = arn.split(":")[4] if arn.count(":") >= 5 and arn.split(":")[4] else self.backend.account_id
        sagemaker = self.backend.client("sagemaker", account=owner)
        request: dict[str, Any] = {key: detail[key] for key in _SEEDED_FIELDS if detail and key in detail}
        with self.backend.unrecorded():
            groups = sagemaker.list_model_package_groups(NameContains=group)["ModelPackageGroupSummaryList"]
            if group not in {g["ModelPackageGroupName"] for g in groups}:
                sagemaker.create_model_package_group(ModelPackageGroupName=group)
            existing = sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
            for _ in range(len(existing) + 1, version):
                # earlier versions, so the numbers line up
                self.filler_versions.add(self.backend.seed_model_package(group, account=owner))
            if len(existing) < version:
                if (
                    "InferenceSpecification" not in request
                    and request.get("ModelPackageRegistrationType") != "Logged"
                ):
                    return self.backend.seed_model_package(group, account=owner)
                request.setdefault("ModelApprovalStatus", "PendingManualApproval")
                return str(
                    sagemaker.create_model_package(ModelPackageGroupName=group, **request)["ModelPackageArn"]
                )
        return arn

    def expect_shadow_endpoint(self, group: str) -> None:
        """The group's production endpoint (`seed_shadow_endpoint`) exists from the first SageMaker call
        that could see it: any call but those on model packages, compilation jobs, model cards and
        existing experiments. A run that makes none (a plan, an attach, a compile watcher round) does
        not create it."""
        if group in self._expected_endpoints:
            return
        self._expected_endpoints.add(group)
        self.backend.prepare_before(_may_see_endpoints, lambda: self.seed_shadow_endpoint(group))

    def seed_shadow_endpoint(self, group: str) -> str | None:
        """Create the production endpoint a group's shadow tests run against (a model, an endpoint
        config with the configured production variant, the endpoint), unless it exists."""
        group_config = self.app.config.groups.get(group)
        shadow = group_config.shadow if group_config else None
        if shadow is None:
            return None
        # In the group's endpoint account (shadow.endpointAccountId, else the group's account).
        account = self.app.config.endpoint_account(group) or self.backend.account_id
        sagemaker = self.backend.client("sagemaker", account=account)
        name = shadow.endpoint_name
        with self.backend.unrecorded():
            if name in self._seeded_endpoints:
                return name
            self._seeded_endpoints.add(name)
            try:
                sagemaker.describe_endpoint(EndpointName=name)
                return name  # made by someone else (a test's own endpoint, say): theirs to keep
            except sagemaker.exceptions.ClientError:
                pass
            model = f"{name}-production"
            image = f"683313688378.dkr.ecr.{self.backend.region}.amazonaws.com/sagemaker-xgboost:1.7-1"
            sagemaker.create_model(
                ModelName=model,
                ExecutionRoleArn=self.app.experiment_role_arn or self.app.compile_role_arn,
                PrimaryContainer={
                    "Image": image,
                    "ModelDataUrl": f"s3://autopilot-local-{account}/{group}/production.tar.gz",
                },
            )
            sagemaker.create_endpoint_config(
                EndpointConfigName=f"{name}-config",
                ProductionVariants=[
                    {
                        "VariantName": shadow.production_variant or "AllTraffic",
                        "ModelName": model,
                        "InstanceType": shadow.instance_type,
                        "InitialInstanceCount": 1,
                    }
                ],
            )
            sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
        return name

    def stage_object(self, uri: str, body: bytes) -> None:
        """Put `body` at `uri` (s3://bucket/key) in the local S3, creating the bucket if needed, as
        the data scientist's evaluation report would be in their account."""
        location = s3_object(uri)
        if location is None:
            raise ValueError(f"{uri!r} is not an S3 object URI (s3://bucket/key)")
        bucket, key = location
        s3 = self.backend.client("s3")
        with self.backend.unrecorded():
            if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
                self._create_bucket(bucket)
            s3.put_object(Bucket=bucket, Key=key, Body=body)

    def _create_bucket(self, name: str) -> None:
        location = {}
        if self.backend.region != "us-east-1":  # S3 refuses an explicit us-east-1
            location = {"CreateBucketConfiguration": {"LocationConstraint": self.backend.region}}
        with self.backend.unrecorded():
            self.backend.client("s3").create_bucket(Bucket=name, **location)

    def model_package_state(self, arn: str) -> dict[str, Any]:
        owner = arn.split(":")[4] if arn.count(":") >= 5 and arn.split(":")[4] else self.backend.account_id
        with self.backend.unrecorded():
            described = self.backend.client("sagemaker", account=owner).describe_model_package(
                ModelPackageName=arn
            )
        return {
            "ModelPackageArn": arn,
            "ModelApprovalStatus": described.get("ModelApprovalStatus"),
            "ApprovalDescription": described.get("ApprovalDescription"),
            "AdditionalInferenceSpecifications": [
                spec["Name"] for spec in described.get("AdditionalInferenceSpecifications", [])
            ],
            "CustomerMetadataProperties": described.get("CustomerMetadataProperties", {}),
        }

    def writes(self) -> list[dict[str, Any]]:
        return [_write_summary(call) for call in self.backend.writes]


@dataclass
class InvokeOutcome:
    handler: str
    result: Any
    writes: list[dict[str, Any]]
    state: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {"handler": self.handler, "result": self.result, "writes": self.writes, "state": self.state}

    def render(self) -> str:
        lines = [f"handler: {self.handler}", "result:"]
        lines += ["  " + line for line in json.dumps(self.result, indent=2, default=str).splitlines()]
        lines.append(f"AWS writes: {len(self.writes)}")
        accounts = {write.get("account") for write in self.writes}
        for write in self.writes:
            target = _write_target(write["params"])
            where = f"  (account {write.get('account')})" if len(accounts) > 1 else ""
            lines.append(f"  {write['service']}:{write['operation']}  {target}{where}")
        if self.state:
            lines.append("model package after the call:")
            for key, value in self.state.items():
                lines.append(f"  {key}: {json.dumps(value, default=str)}")
        return "\n".join(lines)


def rules_reached(app: SynthesizedApp, event: dict[str, Any]) -> list[EventRule]:
    """The synthesized rules EventBridge would run for `event`: pattern rules whose pattern matches,
    and the schedule rule a "Scheduled Event" names as its sender."""
    return [
        rule
        for rule in app.rules
        if (_scheduled_by(rule, event) if rule.schedule else matches(rule.pattern, event))
    ]


def _scheduled_by(rule: EventRule, event: dict[str, Any]) -> bool:
    """Whether `event` is the "Scheduled Event" `rule` sends: source aws.events and the rule's ARN in
    `resources` (its deployed name starts with the stack name and carries the logical id)."""
    if event.get("source") != "aws.events" or event.get("detail-type") != "Scheduled Event":
        return False
    resources = event.get("resources")
    if not isinstance(resources, list):
        return False
    names = [r.split(":rule/", 1)[1] for r in resources if isinstance(r, str) and ":rule/" in r]
    return any(rule.name in name for name in names)


def _write_target(params: dict[str, Any]) -> str:
    for key in ("ModelPackageName", "ModelPackageArn", "CompilationJobName", "TopicArn", "Name"):
        if key in params:
            return str(params[key])
    return ""


def _event_location(event: Any) -> tuple[str, str]:
    """The account and region the event comes from, so the local backend answers as that account."""
    from registry_autopilot.models.config import is_account_id

    if isinstance(event, dict):
        account, region = event.get("account"), event.get("region")
        if is_account_id(account) and isinstance(region, str):
            return account, region
    return LOCAL_ACCOUNT, LOCAL_REGION


@contextlib.contextmanager
def embedded_stack(event: Any = None) -> Iterator[EmbeddedStack]:
    account, region = _event_location(event)
    with EmbeddedStack(account_id=account, region=region) as stack:
        yield stack


def invoke_handler(
    name: str, event: Any, objects: dict[str, bytes] | None = None, *, source: str = "the event"
) -> InvokeOutcome:
    """`python -m autopilot invoke`: one handler, one event, on a fresh local backend with `objects`
    (S3 URI -> body) in its S3. `source` names the event in errors (its file)."""
    with embedded_stack(event) as stack:
        logical_id = stack.function_for_handler(name)
        try:
            arn = stack.seed_from_event(event)
        except UnseedableEvent as exc:
            raise UnseedableEvent(f"{source}: {exc}") from None
        for uri, body in (objects or {}).items():
            stack.stage_object(uri, body)
        stack.backend.clear_records()
        result = stack.invoke_function(logical_id, event)
        state = stack.model_package_state(arn) if arn else None
        return InvokeOutcome(handler=name, result=result, writes=stack.writes(), state=state)


def s3_object(uri: str) -> tuple[str, str] | None:
    """(bucket, key) of an `s3://bucket/key` URI; None for anything else."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return (bucket, key) if uri.startswith("s3://") and bucket and key else None


SAMPLES_MANIFEST = Path("meta") / "manifest.json"  # relative to the samples folder (events/)


def _manifest_entry(event_file: Path) -> tuple[Path, dict[str, Any]] | None:
    folder = event_file.resolve().parent
    root = next((d for d in (folder, folder.parent) if (d / SAMPLES_MANIFEST).is_file()), None)
    if root is None:
        return None
    try:
        key = event_file.resolve().relative_to(root).as_posix()
        manifest = json.loads((root / SAMPLES_MANIFEST).read_text(encoding="utf-8"))
        entry = manifest.get("events", {}).get(key, {})
    except (OSError, ValueError, AttributeError):
        return None
    return (root, entry) if isinstance(entry, dict) else None


def sample_failures(event_file: Path, event: Any) -> dict[str, str]:
    """Neo target name -> FailureReason for a sample whose manifest entry names `failTargets`: the
    embedded account fails those targets' first compilation (`autopilot.embedded.replay`)."""
    found = _manifest_entry(event_file)
    failures = found[1].get("failTargets") if found else None
    if not isinstance(failures, dict) or not isinstance(event, dict):
        return {}
    return {str(name): str(reason) for name, reason in failures.items()}


def sample_objects(event_file: Path, event: Any) -> dict[str, Path]:
    """The S3 objects a sample event needs, from the samples' manifest (`events/meta/manifest.json`,
    keyed by the path relative to `events/`): its evaluation report fixture (`report`, relative to
    `events/`), at the URI the event's ModelMetrics names. Empty for other files."""
    folder = event_file.resolve().parent
    root = next((d for d in (folder, folder.parent) if (d / SAMPLES_MANIFEST).is_file()), None)
    if root is None or not isinstance(event, dict):
        return {}
    key = event_file.resolve().relative_to(root).as_posix()
    try:
        manifest = json.loads((root / SAMPLES_MANIFEST).read_text(encoding="utf-8"))
        entry = manifest.get("events", {}).get(key, {})
    except (OSError, ValueError, AttributeError):
        return {}
    report = entry.get("report") if isinstance(entry, dict) else None
    detail = event.get("detail")
    if not isinstance(report, str) or not isinstance(detail, dict):
        return {}
    try:
        uri = detail["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    except (KeyError, TypeError):
        return {}
    return {uri: root / report} if isinstance(uri, str) else {}
