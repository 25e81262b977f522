"""One model version's whole lifecycle on the embedded stack, counted: the usage the `cost` verb
prices, and items 3 and 4 of `make bench` (bench/ builds on this module; it imports nothing of bench/).

register -> compile every target -> attach and decide -> shadow start -> roll to the end: every event
goes through the synthesized rules into the synthesized state machine or function, and the events our
writes cause are delivered in turn. Every AWS call is attributed to the function that made it (or to
the state machine's SDK tasks), and each handler's event and the answers it got are kept, so
`bench.coldstart` can replay exactly these invocations with no moto in the measured process.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from autopilot.cost import pricing
from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.stepfunctions import ExecutionResult
from autopilot.embedded.synth import SynthesizedApp, synthesize
from registry_autopilot.models.config import ApprovalPolicy, AutopilotConfig, GroupConfig

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HANDLERS = ("plan", "attach", "compile_watcher", "shadow_start", "roller")
# Scheduled functions: a round that finds nothing to do runs anyway (the fixed monthly cost); a
# version's rounds count only their work beyond that idle round.
SCHEDULED = ("compile_watcher", "roller")
HANDLER_PACKAGE = "registry_autopilot.handlers"
# Bound on roller rounds: the shipped plan needs about 60.
MAX_ROUNDS = 400
COMPILE_MINUTES = 10
# How a streamed response member (S3 GetObject's Body) is kept for the probe, which streams it again.
STREAM_KEY = "__stream__"
READ_PREFIXES = ("Describe", "List", "Get", "Search", "Head")  # as the local backend tells reads


@dataclass
class StubbedCall:
    """One AWS call a handler made, and the answer, as botocore's Stubber replays it."""

    service: str
    operation: str  # e.g. DescribeModelPackage
    method: str  # the client method, e.g. describe_model_package
    response: dict[str, Any] | None
    error: tuple[str, str, int] | None  # (code, message, HTTP status)


@dataclass
class Invocation:
    """One handler invocation during the lifecycle: its input and every AWS call it made."""

    handler: str  # module name under registry_autopilot.handlers
    function: str  # the function's logical id
    event: Any
    calls: list[StubbedCall] = field(default_factory=list)

    def stub_data(self) -> dict[str, Any]:
        """Plain data for the probe process (which must not import this module)."""
        return {
            "function": self.function,
            "event": self.event,
            "calls": [
                {"service": c.service, "method": c.method, "response": c.response, "error": c.error}
                for c in self.calls
            ],
        }


@dataclass
class Lifecycle:
    """Everything one version's lifecycle did on the local stack."""

    group: str
    targets: int
    compile_minutes: int
    calls: list[tuple[str, str, str, bool]]  # (stage, service, operation, is_write)
    invocations: list[Invocation]
    executions: list[ExecutionResult]
    rounds_to_conclude: int  # scheduled roller rounds until the experiment was concluded
    rounds_looking: int  # rounds in which the roller looked at the experiment at all
    final_approval: str
    service_events: int  # SageMaker state changes delivered (the registration, then our writes')
    function_log_bytes: int
    metric_definitions: set[tuple[str, str, str]]  # (namespace, dimensions, metric name)

    def count(self, operation: str, stage: str | None = None) -> int:
        return sum(1 for s, _, op, _ in self.calls if op == operation and (stage is None or s == stage))

    def by_stage(self) -> dict[str, Counter[str]]:
        stages: dict[str, Counter[str]] = {}
        for stage, _, operation, _ in self.calls:
            stages.setdefault(stage, Counter())[operation] += 1
        return stages

    @property
    def writes(self) -> Counter[str]:
        return Counter(op for _, _, op, is_write in self.calls if is_write)

    @property
    def reads(self) -> Counter[str]:
        return Counter(op for _, _, op, is_write in self.calls if not is_write)

    def invocations_of(self, handler: str) -> list[Invocation]:
        return [i for i in self.invocations if i.handler == handler]

    def transitions(self) -> int:
        return sum(len(e.states_entered()) for e in self.executions)

    def branch_transitions(self, outer: set[str]) -> int:
        """Transitions inside the per-target branches (the Map's iterations)."""
        return sum(1 for e in self.executions for name in e.states_entered() if name not in outer)

    def history_bytes(self) -> int:
        """What the state machine's log ingests: every history event (level ALL) without its execution
        data (`includeExecutionData` false: "When set to false, data is excluded", Step Functions API
        Reference, LoggingConfiguration)."""
        events = [event for e in self.executions for event in (e.history or [])]
        return sum(len(json.dumps(_without_data(event), default=str)) for event in events)

    def usage(self, invocations: list[pricing.Invocation]) -> pricing.VersionUsage:
        """What this lifecycle bills per version, with `invocations` priced as the caller measured them."""
        requests = sum(invocation.requests for invocation in invocations)
        return pricing.VersionUsage(
            invocations=invocations,
            transitions=self.transitions(),
            service_events=self.service_events,
            log_bytes=self.function_log_bytes + pricing.PLATFORM_LOG_BYTES * requests + self.history_bytes(),
            traces=len(self.executions) + len(self.invocations_of("shadow_start")),
            publishes=self.count("Publish"),
            s3_gets=self.count("GetObject"),
            # The compile waits written; the watcher's listing is in its idle round (fixed cost).
            s3_puts_and_lists=self.count("PutObject"),
        )


# History event fields that hold execution data (inputs, outputs, task parameters and results).
_EXECUTION_DATA = {"input", "output", "parameters", "result", "inputDetails", "outputDetails"}


def _without_data(event: Any) -> Any:
    if isinstance(event, dict):
        return {k: _without_data(v) for k, v in event.items() if k not in _EXECUTION_DATA}
    return event


class _Recorder:
    """Attributes every AWS call to the function that made it (or to the state machine's SDK tasks)
    and keeps each handler's event and answers, while a EmbeddedStack runs."""

    def __init__(self, stack: EmbeddedStack) -> None:
        self.stack = stack
        self.invocations: list[Invocation] = []
        self._current = threading.local()
        self._patches = contextlib.ExitStack()

    def __enter__(self) -> _Recorder:
        import boto3  # type: ignore[import-untyped, unused-ignore]

        real_client = boto3.client
        invoke = self.stack.invoke_function

        def client(*args: Any, **kwargs: Any) -> Any:
            created = real_client(*args, **kwargs)
            service = args[0] if args else kwargs["service_name"]
            created.meta.events.register("after-call", self._after_call(service))
            return created

        def invoke_function(logical_id: str, event: Any) -> Any:
            handler = self.stack.app.functions[logical_id].rsplit(".", 2)[-2]
            self._current.invocation = Invocation(handler, logical_id, copy.deepcopy(event))
            self.invocations.append(self._current.invocation)
            try:
                return invoke(logical_id, event)
            finally:
                self._current.invocation = None

        self._patches.enter_context(mock.patch.object(boto3, "client", client))
        self._patches.enter_context(mock.patch.object(self.stack, "invoke_function", invoke_function))
        return self

    def __exit__(self, *exc: object) -> None:
        self._patches.close()

    def _after_call(self, service: str) -> Callable[..., None]:
        from botocore import xform_name  # type: ignore[import-untyped, unused-ignore]
        from botocore.response import StreamingBody  # type: ignore[import-untyped, unused-ignore]

        def record(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
            invocation: Invocation | None = getattr(self._current, "invocation", None)
            if invocation is None:
                return  # the state machine's own SDK tasks, or set-up
            answer: dict[str, Any] = {}
            for key, value in parsed.items():
                if isinstance(value, StreamingBody):
                    # Read once, handed on to the caller as a fresh stream, kept as bytes for the probe.
                    data = value.read()
                    parsed[key] = StreamingBody(io.BytesIO(data), len(data))
                    answer[key] = {STREAM_KEY: data}
                elif key != "ResponseMetadata":
                    answer[key] = copy.deepcopy(value)
            error = None
            if http_response.status_code >= 300:
                details = parsed.get("Error") or {}
                error = (str(details.get("Code")), str(details.get("Message")), http_response.status_code)
            invocation.calls.append(
                StubbedCall(service, model.name, xform_name(model.name), None if error else answer, error)
            )

        return record


def outer_states(app: SynthesizedApp) -> set[str]:
    """Names of the compile workflow's top-level states (the rest run once per target)."""
    (definition,) = app.state_machines.values()
    return set(definition["States"])


def passing_report(policy: ApprovalPolicy) -> dict[str, Any]:
    """An evaluation report on which every ModelQuality.Statistics check of `policy` passes."""
    report: dict[str, Any] = {}
    for check in policy.metric_checks:
        if check.report != "ModelQuality.Statistics":
            continue
        value = check.threshold + (1.0 if check.operator in (">=", ">") else -1.0) * max(
            0.05, abs(check.threshold) * 0.1
        )
        node = report
        *parents, leaf = check.path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return report


def shadow_group(config: AutopilotConfig) -> tuple[str, GroupConfig]:
    """The lifecycle's group: the first configured group with a shadow test."""
    for name, group in config.groups.items():
        if group.shadow is not None:
            return name, group
    raise ValueError("the lifecycle benchmark needs a group with 'shadow' in cdk.json")


def run_lifecycle(app: SynthesizedApp | None = None, *, roll: bool = True) -> Lifecycle:
    """One version, register -> compile every target (COMPILE_MINUTES each) -> attach and decide ->
    shadow start -> roll to the end: every event delivered through the synthesized rules, the events our
    writes cause delivered in turn, the roller's schedule fired until it no longer looks at the
    experiment. `roll=False` stops after the shadow test started."""
    app = app or synthesize()
    group, group_config = shadow_group(app.config)
    executions: list[ExecutionResult] = []
    delivered = 0
    with EmbeddedStack(app, start_time=START) as stack, _Recorder(stack) as recorder:
        backend = stack.backend
        backend.compilation_jobs.compile_seconds = COMPILE_MINUTES * 60
        stack.seed_shadow_endpoint(group)
        arn = backend.seed_model_package(group, evaluation_report=passing_report(group_config.approval))
        registration = backend.emitted_events[-1]
        backend.clear_records()

        def settle(events: list[dict[str, Any]]) -> None:
            nonlocal delivered
            queue = list(events)
            seen = len(backend.emitted_events)
            while queue:
                routed = stack.send_event(queue.pop(0))
                delivered += 1
                executions.extend(routed.executions)
                if routed.failures or any(e.status != "SUCCEEDED" for e in routed.executions):
                    raise RuntimeError(f"the lifecycle failed: {routed.failures or routed.executions}")
                queue += backend.emitted_events[seen:]
                seen = len(backend.emitted_events)

        settle([registration])
        approval = _approval_status(backend, arn)
        if approval != "Approved":
            raise RuntimeError(f"the lifecycle needs an approved version; the policy left it {approval}")
        concluded = looking = rounds = 0
        while roll:
            if rounds == MAX_ROUNDS:
                raise RuntimeError(f"the shadow test was still rolled after {MAX_ROUNDS} rounds")
            backend.clock.advance(app.config.roller_schedule_minutes * 60)
            seen = len(backend.emitted_events)
            runs = stack.run_schedule(stack.schedule_rule("roller"))
            rounds += 1
            if any(run.failures for run in runs):
                raise RuntimeError(f"a roller round failed: {[run.failures for run in runs]}")
            items = [
                item for run in runs for result in run.function_results for item in result["experiments"]
            ]
            if not items and concluded:
                break  # the roller no longer looks at it
            looking += bool(items)
            if not concluded and any(item["outcome"] == "concluded" for item in items):
                concluded = rounds
            settle(backend.emitted_events[seen:])
        calls = _attribute(backend, recorder.invocations)
        logs = stack.logs.getvalue()
    return Lifecycle(
        group=group,
        targets=len(group_config.neo_targets),
        compile_minutes=COMPILE_MINUTES,
        calls=calls,
        invocations=recorder.invocations,
        executions=executions,
        rounds_to_conclude=concluded,
        rounds_looking=looking,
        final_approval=approval,
        service_events=delivered,
        function_log_bytes=len(logs.encode()),
        metric_definitions=_metric_definitions(logs),
    )


def _approval_status(backend: LocalBackend, arn: str) -> str:
    with backend.unrecorded():
        described = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)
    return str(described.get("ModelApprovalStatus"))


def _attribute(backend: LocalBackend, invocations: list[Invocation]) -> list[tuple[str, str, str, bool]]:
    """Every recorded call with the function that made it; what no function made, the state machine's
    SDK tasks did."""
    remaining = Counter((call.service, call.operation) for i in invocations for call in i.calls)
    calls: list[tuple[str, str, str, bool]] = []
    for recorded in backend.calls:
        key = (recorded.service, recorded.operation)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            calls.append(("state machine", recorded.service, recorded.operation, recorded.is_write))
    for invocation in invocations:
        for call in invocation.calls:
            is_write = not call.operation.startswith(READ_PREFIXES)
            calls.append((invocation.handler, call.service, call.operation, is_write))
    return calls


def _metric_definitions(logs: str) -> set[tuple[str, str, str]]:
    """The distinct CloudWatch metrics the functions' EMF lines define (each is a metric-month)."""
    found: set[tuple[str, str, str]] = set()
    for line in logs.splitlines():
        if '"_aws"' not in line:
            continue
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            for directive in record["_aws"]["CloudWatchMetrics"]:
                for dimensions in directive["Dimensions"]:
                    values = ",".join(f"{d}={record.get(d)}" for d in dimensions)
                    for metric in directive["Metrics"]:
                        found.add((directive["Namespace"], values, metric["Name"]))
    return found


def handler_module(handler: str) -> str:
    return f"{HANDLER_PACKAGE}.{handler}"


def function_of(app: SynthesizedApp, handler: str) -> str:
    """The logical id of the function that runs `handler`."""
    return next(
        logical for logical, path in app.functions.items() if path == f"{handler_module(handler)}.handler"
    )


def representative(lifecycle: Lifecycle, handler: str) -> Invocation:
    """The invocation that takes the handler's main path: the one that made the most calls (for the
    roller, a round that changed the experiment); the earliest of those."""
    invocations = lifecycle.invocations_of(handler)
    return max(invocations, key=lambda i: (len(i.calls), -invocations.index(i)))


@dataclass(frozen=True)
class AttachLag:
    compile_seconds: int
    seconds: float  # from the end of compilation to the Attach step, on the simulated clock


# Compile times the lag is taken over: from a minute to the group's shortest job limit, in steps of
# 37 s, so the ends fall at every offset from the watcher's minute (a whole number of minutes would
# always end just before a round and show no lag at all).
LAG_STEP_SECONDS = 37


def compile_to_attach_lags(
    app: SynthesizedApp | None = None, seconds: tuple[int, ...] | None = None
) -> list[AttachLag]:
    """For each compile time: one version registered and run through the synthesized compile workflow,
    its jobs ending that many seconds after their creation (by default every LAG_STEP_SECONDS from 60 s
    up to the targets' shortest MaxRuntimeInSeconds; a longer job fails with TimeOut instead), the
    compile watcher running each simulated minute while the branches wait. The lag is the time from the
    end of the last job to the Attach step, read from the one simulated clock."""
    app = app or synthesize()
    group, group_config = shadow_group(app.config)
    attach = function_of(app, "attach")
    if seconds is None:
        shortest = min(group_config.max_runtime_seconds(target) for target in group_config.neo_targets)
        seconds = tuple(range(60, shortest + 1, LAG_STEP_SECONDS))
    lags: list[AttachLag] = []
    with EmbeddedStack(app, start_time=START) as stack:
        backend = stack.backend
        attached_at: list[datetime] = []
        original = stack.invoke_function

        def invoke_function(logical_id: str, event: Any) -> Any:
            if logical_id == attach:
                attached_at.append(backend.clock.now())
            return original(logical_id, event)

        with mock.patch.object(stack, "invoke_function", invoke_function):
            for duration in seconds:
                backend.compilation_jobs.compile_seconds = duration
                with backend.unrecorded():
                    backend.seed_model_package(group, evaluation_report=passing_report(group_config.approval))
                registration = backend.emitted_events[-1]
                jobs = [target.job_name for target in _plan_targets(stack, registration)]
                attached_at.clear()
                routed = stack.send_event(registration)
                if [e.status for e in routed.executions] != ["SUCCEEDED"] or len(attached_at) != 1:
                    raise RuntimeError(f"the {duration}-second compile did not reach Attach: {routed}")
                ended = max(backend.compilation_jobs.created_at(job) for job in jobs) + timedelta(
                    seconds=duration
                )
                lags.append(AttachLag(duration, (attached_at[0] - ended).total_seconds()))
    return lags


def _plan_targets(stack: EmbeddedStack, registration: dict[str, Any]) -> list[Any]:
    """The targets Plan lists for the registered version (Plan only reads)."""
    from registry_autopilot.models.workflow import PlanResult

    with stack.backend.unrecorded():
        result = stack.invoke_function(function_of(stack.app, "plan"), registration)
    return list(PlanResult.model_validate(result).targets)
