"""Reliability scenarios on the local stack: many versions, injected faults, duplicated and shuffled
delivery. Shared by the tests (tests/reliability) and `scripts/reliability_report.py`, so the figures in
docs/RELIABILITY.md are the numbers the tests assert.

Everything goes in as EventBridge would deliver it (`EmbeddedStack.send_event`: the synthesized rules'
patterns, the synthesized state machine, the real handlers), and the events our own writes cause are
fed back until nothing changes, as `autopilot.embedded.replay` does. Assertions are on the final state
of every version, so a capability added later (approval, shadow tests) is covered by adding its
expectations to `VersionOutcome`, not by a new driver.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any
from unittest import mock

from autopilot.embedded.backend.faults import ALL_KINDS, FaultKind, FaultPlan, error_for
from autopilot.embedded.stack import EmbeddedStack, Routed
from autopilot.embedded.synth import SynthesizedApp, shipped_config, synthesize
from registry_autopilot.logic import naming
from registry_autopilot.models.config import AutopilotConfig

START = datetime(2025, 11, 24, 9, 0, tzinfo=UTC)
MAX_DELIVERIES = 5_000
MAX_SPECS = 15  # UpdateModelPackage: at most 15 additional inference specifications per version
_AUDIT_NOISE = re.compile(r"arn:aws[a-z-]*:states:\S+|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?")

# Three watched groups, three kinds of version. `demand-tf`'s ml_inf1 target always fails to compile,
# so every version of that group also exercises the recorded-failure path and the notification.
GROUPS: dict[str, dict[str, Any]] = {
    "churn-xgboost": {
        "neoTargets": [
            {"name": "ml-c5", "targetDevice": "ml_c5"},
            {"name": "ml-m5", "targetDevice": "ml_m5"},
            {"name": "graviton", "targetPlatform": {"os": "LINUX", "arch": "ARM64"}},
        ],
    },
    "fraud-pytorch": {
        "neoTargets": [
            {"name": "ml-g4dn", "targetDevice": "ml_g4dn"},
            {"name": "ml-inf2", "targetDevice": "ml_inf2"},
        ],
        "compileInput": {"framework": "PYTORCH", "frameworkVersion": "2.0"},
    },
    "demand-tf": {
        "neoTargets": [
            {"name": "ml-c4", "targetDevice": "ml_c4"},
            {"name": "ml-inf1", "targetDevice": "ml_inf1"},
        ],
    },
}
FRAMEWORKS = {
    "churn-xgboost": ("XGBOOST", "1.7"),
    "fraud-pytorch": ("PYTORCH", "2.0"),
    "demand-tf": ("TENSORFLOW", "2.9"),
}
FAILING_DEVICE = ("ml_inf1", "ClientError: operator Conv3D is not supported on ml_inf1")


def reliability_config() -> AutopilotConfig:
    """cdk.json's settings (roles, limits) with the three groups above watched."""
    raw = shipped_config().model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["groups"] = json.loads(json.dumps(GROUPS))
    return AutopilotConfig.model_validate(raw)


@cache
def reliability_app() -> SynthesizedApp:
    """The stack synthesized for that configuration (kept in .cache/synth/ between runs)."""
    return synthesize(reliability_config())


# -- delivery -------------------------------------------------------------------------------------
@dataclass
class Delivered:
    """Everything that happened while events were delivered until quiet."""

    deliveries: int = 0
    feedback: int = 0  # state changes our own writes caused, delivered in turn
    filtered: int = 0  # matched no rule
    executions: list[tuple[str, Any]] = field(default_factory=list)  # (version ARN, ExecutionResult)
    function_failures: list[str] = field(default_factory=list)  # async targets: retried, then the DLQ
    stopped_early: bool = False

    @property
    def failed_executions(self) -> list[tuple[str, Any]]:
        return [(arn, e) for arn, e in self.executions if e.status != "SUCCEEDED"]


def _arn_of(event: dict[str, Any]) -> str:
    detail = event.get("detail")
    return str(detail.get("ModelPackageArn", "")) if isinstance(detail, dict) else ""


def deliver(
    stack: EmbeddedStack,
    events: list[dict[str, Any]],
    *,
    repeat: int = 1,
    shuffle: bool = False,
    seed: int = 0,
) -> Delivered:
    """Deliver `events` (each `repeat` times, shuffled with `seed` if asked) through the synthesized
    rules, then every event the backend emits because of our writes, until the queue is empty."""
    queue = [event for event in events for _ in range(repeat)]
    if shuffle:
        random.Random(seed).shuffle(queue)
    delivered = Delivered()
    seen = len(stack.backend.emitted_events)
    initial = len(queue)
    while queue and delivered.deliveries < MAX_DELIVERIES:
        event = queue.pop(0)
        routed: Routed = stack.send_event(event)
        delivered.deliveries += 1
        if delivered.deliveries > initial:
            delivered.feedback += 1
        if not routed.matched_rules:
            delivered.filtered += 1
        delivered.executions += [(_arn_of(event), execution) for execution in routed.executions]
        delivered.function_failures += routed.failures
        queue += stack.backend.emitted_events[seen:]
        seen = len(stack.backend.emitted_events)
    delivered.stopped_early = bool(queue)
    return delivered


# -- the fleet of versions ------------------------------------------------------------------------
def group_sizes(versions: int) -> dict[str, int]:
    names = list(GROUPS)
    return {
        name: versions // len(names) + (1 if index < versions % len(names) else 0)
        for index, name in enumerate(names)
    }


def register_versions(stack: EmbeddedStack, versions: int) -> list[dict[str, Any]]:
    """Register `versions` versions across the groups (interleaved); returns their creation events."""
    backend = stack.backend
    backend.compilation_jobs.fail_target(*FAILING_DEVICE)
    remaining = group_sizes(versions)
    events: list[dict[str, Any]] = []
    while any(remaining.values()):
        for group, left in remaining.items():
            if not left:
                continue
            framework, framework_version = FRAMEWORKS[group]
            backend.seed_model_package(group, framework=framework, framework_version=framework_version)
            events.append(backend.emitted_events[-1])
            remaining[group] = left - 1
    backend.clear_records()
    return events


@dataclass(frozen=True)
class VersionState:
    arn: str
    group: str
    approval: str | None
    specs: tuple[str, ...]
    metadata: dict[str, str]

    def recorded(self, target: str) -> str | None:
        return self.metadata.get(naming.metadata_key(target))

    def comparable(self) -> VersionState:
        """The state with what legitimately differs between two deliveries of the same events blanked:
        execution ARNs and timestamps written as audit values (which run, and when, decided)."""
        return VersionState(
            arn=self.arn,
            group=self.group,
            approval=self.approval,
            specs=self.specs,
            metadata={key: _AUDIT_NOISE.sub("<...>", value) for key, value in self.metadata.items()},
        )


def version_states(stack: EmbeddedStack) -> dict[str, VersionState]:
    sagemaker = stack.backend.client("sagemaker")
    states: dict[str, VersionState] = {}
    with stack.backend.unrecorded():
        for group in GROUPS:
            listed = sagemaker.list_model_packages(ModelPackageGroupName=group, MaxResults=100)
            for summary in listed["ModelPackageSummaryList"]:
                described = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
                states[summary["ModelPackageArn"]] = VersionState(
                    arn=summary["ModelPackageArn"],
                    group=group,
                    approval=described.get("ModelApprovalStatus"),
                    specs=tuple(s["Name"] for s in described.get("AdditionalInferenceSpecifications", [])),
                    metadata=dict(described.get("CustomerMetadataProperties") or {}),
                )
    return states


def writes_by_operation(stack: EmbeddedStack) -> Counter[str]:
    return Counter(f"{w.service}:{w.operation}" for w in stack.backend.writes)


# -- outcomes -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VersionOutcome:
    """One version's final state, judged against the configuration."""

    arn: str
    attached: tuple[str, ...]  # targets attached as specs
    recorded: dict[str, str]  # target -> recorded outcome (a failure that names its cause)
    missing: tuple[str, ...]  # targets neither attached nor recorded
    duplicate_specs: tuple[str, ...]
    spec_count: int

    @property
    def complete(self) -> bool:
        return not self.missing and not self.duplicate_specs and self.spec_count <= MAX_SPECS


def judge(state: VersionState, config: AutopilotConfig) -> VersionOutcome:
    targets = [t.name for t in config.groups[state.group].neo_targets]
    counts = Counter(state.specs)
    attached = tuple(t for t in targets if naming.spec_name(t) in counts)
    recorded = {t: v for t in targets if t not in attached and (v := state.recorded(t)) is not None}
    return VersionOutcome(
        arn=state.arn,
        attached=attached,
        recorded=recorded,
        missing=tuple(t for t in targets if t not in attached and t not in recorded),
        duplicate_specs=tuple(sorted(name for name, n in counts.items() if n > 1)),
        spec_count=len(state.specs),
    )


def readable_cause(execution: Any) -> str | None:
    """The error and cause of a failed execution as one line, or None if either is empty."""
    if not execution.error or not execution.cause:
        return None
    cause = str(execution.cause)
    try:
        parsed = json.loads(cause)
        if isinstance(parsed, dict):
            cause = str(parsed.get("errorMessage") or parsed.get("Cause") or cause)
    except ValueError:
        pass
    return f"{execution.error}: {cause}"


# -- bounds derived from the retry configuration ---------------------------------------------------
def sdk_retry_bound(app: SynthesizedApp) -> int:
    """1 + the largest MaxAttempts of any Retry on SageMaker errors in the synthesized state machines:
    the most consecutive failed attempts a Task state can make before its Catch takes over."""
    most = 0

    def walk(states: dict[str, Any]) -> None:
        nonlocal most
        for state in states.values():
            for retrier in state.get("Retry", []):
                if any(str(e).startswith("SageMaker.") for e in retrier.get("ErrorEquals", [])):
                    most = max(most, int(retrier.get("MaxAttempts", 3)))
            for nested in (state.get("ItemProcessor") or state.get("Iterator") or {},):
                if nested.get("States"):
                    walk(nested["States"])

    for definition in app.state_machines.values():
        walk(definition["States"])
    return 1 + most


def longest_failure_runs(plan: FaultPlan, *, retrying_client: bool) -> int:
    """The longest run of consecutive faulted attempts of one call identity, for one kind of client."""
    runs: Counter[tuple[str, str, str]] = Counter()
    longest = 0
    for attempt in plan.attempt_log:
        if attempt.retrying_client != retrying_client:
            continue
        key = (attempt.service, attempt.operation, attempt.identity)
        runs[key] = runs[key] + 1 if attempt.kind is not None else 0
        longest = max(longest, runs[key])
    return longest


# -- the scenarios ----------------------------------------------------------------------------------
@dataclass
class FaultRun:
    versions: int
    groups: int
    share: float
    seed: int
    delivered: Delivered
    redriven: Delivered
    expected: dict[str, VersionOutcome]  # the same fleet without faults
    outcomes: dict[str, VersionOutcome]  # after the faulted run
    after_redrive: dict[str, VersionOutcome]  # after re-delivering the failed executions' events
    plan: FaultPlan
    writes: Counter[str]
    redrive_writes: Counter[str]
    client_attempt_limit: int
    sfn_attempt_bound: int

    # figures -----------------------------------------------------------------------------------
    @property
    def faults_injected(self) -> int:
        return len(self.plan.injected)

    @property
    def attempts(self) -> int:
        return len(self.plan.attempt_log)

    def silent_losses(self) -> list[str]:
        """Versions missing a target with no failed execution that says why: must be empty."""
        explained = {arn for arn, execution in self.delivered.failed_executions if readable_cause(execution)}
        return [arn for arn, o in self.outcomes.items() if o.missing and arn not in explained]

    def recorded_fault_failures(self) -> dict[str, dict[str, str]]:
        """Targets that compile without faults but ended recorded as failed: each names an injected
        fault (its message or HTTP status) in the recorded reason."""
        out: dict[str, dict[str, str]] = {}
        for arn, outcome in self.outcomes.items():
            expected = self.expected[arn]
            extra = {t: v for t, v in outcome.recorded.items() if t in expected.attached}
            if extra:
                out[arn] = extra
        return out

    def table(self) -> list[tuple[str, str]]:
        codes = self.plan.by_code()
        failed = self.delivered.failed_executions
        recorded = sum(len(v) for v in self.recorded_fault_failures().values())
        d = self.delivered
        most_attempts = max((c.attempts for c in self.plan.calls if c.retrying_client), default=0)
        duplicates = sum(len(o.duplicate_specs) for o in self.after_redrive.values())
        over_limit = sum(o.spec_count > MAX_SPECS for o in self.after_redrive.values())
        return [
            ("versions / groups", f"{self.versions} / {self.groups}"),
            ("fault share, seed", f"{self.share:.0%} of attempts, seed {self.seed}"),
            (
                "events delivered (registrations + our writes' state changes)",
                f"{d.deliveries} ({d.deliveries - d.feedback} + {d.feedback})",
            ),
            ("executions (failed, each with a cause)", f"{len(self.delivered.executions)} ({len(failed)})"),
            ("AWS call attempts to SageMaker/S3/SNS/CloudWatch", str(self.attempts)),
            (
                "faults injected",
                f"{self.faults_injected} (" + ", ".join(f"{c} {n}" for c, n in sorted(codes.items())) + ")",
            ),
            (
                "most attempts of one SDK call (limit)",
                f"{most_attempts} ({self.client_attempt_limit})",
            ),
            (
                "longest run of failed attempts in a Task state (limit)",
                f"{longest_failure_runs(self.plan, retrying_client=False)} ({self.sfn_attempt_bound})",
            ),
            (
                "AWS writes",
                f"{sum(self.writes.values())} ("
                + ", ".join(f"{n} {op.split(':')[1]}" for op, n in sorted(self.writes.items()))
                + ")",
            ),
            ("targets recorded as failed because of faults (reason names the fault)", str(recorded)),
            (
                "versions left incomplete by a failed execution, then redriven",
                str(len({a for a, o in self.outcomes.items() if o.missing})),
            ),
            ("writes of the redrive", str(sum(self.redrive_writes.values()))),
            ("async target failures (would go to the DLQ)", str(len(self.delivered.function_failures))),
            (
                "duplicate specs / versions over 15 specs",
                f"{duplicates} / {over_limit}",
            ),
            ("silent losses", str(len(self.silent_losses()))),
        ]


@contextmanager
def _faster_interpreter() -> Iterator[None]:
    """Two costs of moto's interpreter that add nothing to what is tested: it parses the definition
    again for every state machine and execution, and builds a new SDK client for every Task."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as aws_sdk,
    )
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    parse = lru_cache(maxsize=8)(AmazonStateLanguageParser.parse)
    original = aws_sdk.boto_client_for  # type: ignore[attr-defined]
    clients: dict[tuple[str, str], Any] = {}

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if (region, service) not in clients:
            clients[(region, service)] = original(region, service, state_credentials)
        return clients[(region, service)]

    with (
        mock.patch.object(AmazonStateLanguageParser, "parse", staticmethod(parse)),
        mock.patch.object(aws_sdk, "boto_client_for", client_for),
    ):
        yield


@contextmanager
def _fleet(versions: int) -> Iterator[tuple[EmbeddedStack, list[dict[str, Any]]]]:
    with _faster_interpreter(), EmbeddedStack(reliability_app(), start_time=START) as stack:
        yield stack, register_versions(stack, versions)


def run_fault_scenario(
    versions: int = 50,
    share: float = 0.2,
    seed: int = 7,
    kinds: tuple[FaultKind, ...] = ALL_KINDS,
    operations: tuple[str, ...] | None = None,
) -> FaultRun:
    """The fleet once without faults (the expected final state), then again with `share` of the
    SageMaker, S3, SNS and CloudWatch attempts failing; then the versions a failed execution left
    incomplete are redriven with faults off (what an operator does after the alarm)."""
    config = reliability_config()
    from registry_autopilot.adapters.clients import retry_config

    expected = {arn: judge(state, config) for arn, state in baseline(versions).states.items()}

    plan = FaultPlan(
        share=share, kinds=kinds, seed=seed, operations=frozenset(operations) if operations else None
    )
    with _fleet(versions) as (stack, events):
        stack.backend.faults = plan
        delivered = deliver(stack, events)
        stack.backend.faults = None
        outcomes = {arn: judge(state, config) for arn, state in version_states(stack).items()}
        writes = writes_by_operation(stack)
        stack.backend.clear_records()
        incomplete = {arn for arn, outcome in outcomes.items() if outcome.missing}
        redriven = deliver(stack, [event for event in events if _arn_of(event) in incomplete])
        after = {arn: judge(state, config) for arn, state in version_states(stack).items()}
        redrive_writes = writes_by_operation(stack)

    return FaultRun(
        versions=versions,
        groups=len(GROUPS),
        share=share,
        seed=seed,
        delivered=delivered,
        redriven=redriven,
        expected=expected,
        outcomes=outcomes,
        after_redrive=after,
        plan=plan,
        writes=writes,
        redrive_writes=redrive_writes,
        client_attempt_limit=int(retry_config().retries["total_max_attempts"]),
        sfn_attempt_bound=sdk_retry_bound(reliability_app()),
    )


def names_an_injected_fault(reason: str) -> bool:
    """Whether a recorded reason carries an injected fault's message or its HTTP status."""
    texts = set()
    for kind in ALL_KINDS:
        for service in ("sagemaker", "s3"):
            error = error_for(kind, service)
            if error is not None:
                texts |= {error.code, error.message.rstrip("."), f"Status Code: {error.status}"}
    return any(text in reason for text in texts)


@dataclass
class DuplicateRun:
    versions: int
    repeat: int
    seed: int
    once: Delivered
    many: Delivered
    once_states: dict[str, VersionState]
    many_states: dict[str, VersionState]
    once_writes: Counter[str]
    many_writes: Counter[str]

    def differing(self) -> list[str]:
        return [
            arn
            for arn, state in self.once_states.items()
            if arn not in self.many_states or self.many_states[arn].comparable() != state.comparable()
        ]

    def table(self) -> list[tuple[str, str]]:
        return [
            ("versions", str(self.versions)),
            (
                "registration events delivered in order / duplicated and shuffled",
                f"{self.versions} / {self.versions * self.repeat} ({self.repeat}x, seed {self.seed})",
            ),
            (
                "deliveries in all, with feedback (once / duplicated)",
                f"{self.once.deliveries} / {self.many.deliveries}",
            ),
            (
                "AWS writes (once / duplicated)",
                f"{sum(self.once_writes.values())} / {sum(self.many_writes.values())}",
            ),
            ("versions whose final state differs", str(len(self.differing()))),
        ]


@dataclass(frozen=True)
class Baseline:
    delivered: Delivered
    states: dict[str, VersionState]
    writes: Counter[str]


@cache
def baseline(versions: int) -> Baseline:
    """The fleet delivered once, in order, without faults (computed once per process)."""
    with _fleet(versions) as (stack, events):
        delivered = deliver(stack, events)
        return Baseline(delivered, version_states(stack), writes_by_operation(stack))


def run_duplicate_scenario(versions: int = 50, repeat: int = 3, seed: int = 11) -> DuplicateRun:
    """The fleet delivered once in order, then each registration `repeat` times in a shuffled order."""
    once = baseline(versions)
    with _fleet(versions) as (stack, events):
        many = deliver(stack, events, repeat=repeat, shuffle=True, seed=seed)
        many_states, many_writes = version_states(stack), writes_by_operation(stack)
    return DuplicateRun(
        versions, repeat, seed, once.delivered, many, once.states, many_states, once.writes, many_writes
    )
