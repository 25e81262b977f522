"""Versions in flight: many versions registered within one minute across many groups, each compiled
for 3 Neo targets, on the embedded account with every execution running at once
(`EmbeddedStack.run_in_flight`). `make bench` runs it at the issue's size (1,000 versions, 300 groups);
tests/e2e/test_versions_in_flight.py at a smaller one.

The groups are watched by prefix (`groupNamePrefix`), each with the sample's auto approval policy (an
AUC of at least 0.8) and 3 targets. Every version carries an evaluation report with an AUC of 0.9, so
the policy approves it once its required target is attached. Compilation jobs take `compile_seconds`;
the account's quota on concurrent compilation jobs is `quota` (None: none), so a burst above it waits.
Approval events are not delivered onward (no shadow tests here: the groups have no `shadow`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from autopilot.cost import pricing
from autopilot.embedded.stack import EmbeddedStack, InFlight
from autopilot.embedded.synth import SynthesizedApp, cdk_json_context, synthesize
from registry_autopilot.logic.approval import DECISION_KEY
from registry_autopilot.models.config import AutopilotConfig

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PREFIX = "team-"
TARGETS = [
    {"name": "ml-c5", "targetDevice": "ml_c5"},
    {"name": "ml-m5", "targetDevice": "ml_m5"},
    {"name": "graviton", "targetDevice": "ml_c6g", "instanceTypes": ["ml.c6g.xlarge"]},
]
REPORT = {"binary_classification_metrics": {"auc": {"value": 0.9}}}
REGISTERED_WITHIN_SECONDS = 60


def group_name(index: int) -> str:
    return f"{PREFIX}{index:03d}"


def organisation(groups: int) -> AutopilotConfig:
    sample = cdk_json_context()["autopilot"]
    approval = sample["groups"]["churn-xgboost"]["approval"]
    raw: dict[str, Any] = {
        **sample,
        "groupNamePrefix": PREFIX,
        "groups": {
            group_name(index): {"neoTargets": TARGETS, "approval": approval} for index in range(groups)
        },
    }
    return AutopilotConfig.model_validate(raw)


@dataclass(frozen=True)
class VersionsInFlight:
    versions: int
    groups: int
    quota: int | None
    compile_seconds: int
    outcome: InFlight
    states: dict[str, dict[str, Any]]  # version ARN -> DescribeModelPackage at the end
    refused_for_quota: int
    jobs_created: int

    @property
    def failed_executions(self) -> list[str]:
        return [arn for arn, end in self.outcome.executions.items() if end["status"] != "SUCCEEDED"]

    def undecided(self) -> list[str]:
        return [
            arn
            for arn, state in self.states.items()
            if DECISION_KEY not in (state.get("CustomerMetadataProperties") or {})
        ]

    def unattached(self) -> list[str]:
        """Versions without the two specs their cloud targets compile to."""
        return [
            arn
            for arn, state in self.states.items()
            if sorted(s["Name"] for s in state.get("AdditionalInferenceSpecifications", []))
            != ["neo-graviton", "neo-ml-c5", "neo-ml-m5"]
        ]

    def approvals(self) -> Counter[str]:
        return Counter(str(state.get("ModelApprovalStatus")) for state in self.states.values())

    @property
    def decided_after(self) -> timedelta:
        """From the first registration until the last version was decided (the run's end)."""
        return self.outcome.ended - self.outcome.started

    def round_sagemaker_calls(self) -> list[tuple[int, int]]:
        """(waits answered, SageMaker calls) of each watcher round."""
        return [
            (r.answered, sum(1 for c in r.calls if c.service == "sagemaker")) for r in self.outcome.rounds
        ]

    def busiest_round_seconds(self) -> float:
        """The busiest round's calls one after another at the cost model's round trip."""
        return max((len(r.calls) for r in self.outcome.rounds), default=0) * pricing.AWS_CALL_SECONDS


def run_versions_in_flight(
    versions: int,
    groups: int,
    *,
    quota: int | None,
    compile_seconds: int = 300,
    app: SynthesizedApp | None = None,
) -> VersionsInFlight:
    app = app or synthesize(organisation(groups))
    spacing = REGISTERED_WITHIN_SECONDS / versions
    registered: list[str] = []
    with EmbeddedStack(app, start_time=START) as stack:
        stack.keep_history = False
        backend = stack.backend
        backend.compilation_jobs.concurrent_quota = quota
        backend.compilation_jobs.compile_seconds = compile_seconds

        def register(index: int) -> dict[str, Any]:
            arn = backend.seed_model_package(
                group_name(index % groups),
                framework="XGBOOST",
                framework_version="1.7",
                evaluation_report=REPORT,
            )
            registered.append(arn)
            return backend.emitted_events[-1]

        deliveries = [
            (START + timedelta(seconds=index * spacing), _later(register, index)) for index in range(versions)
        ]
        outcome = stack.run_in_flight(deliveries)
        with backend.unrecorded():
            sagemaker = backend.client("sagemaker")
            states = {arn: sagemaker.describe_model_package(ModelPackageName=arn) for arn in registered}
        created = sum(
            1 for c in backend.calls if c.operation == "CreateCompilationJob" and c.error_code is None
        )
        return VersionsInFlight(
            versions=versions,
            groups=groups,
            quota=quota,
            compile_seconds=compile_seconds,
            outcome=outcome,
            states=states,
            refused_for_quota=backend.compilation_jobs.refused_for_quota,
            jobs_created=created,
        )


def _later(register: Any, index: int) -> Any:
    return lambda: register(index)


def minimum_drain(versions: int, quota: int | None, compile_seconds: int) -> timedelta:
    """The least time the jobs can take under the quota: batches of `quota` jobs, each compile rounded
    up to the watcher's minute (a lower bound for the run's end)."""
    jobs = versions * len(TARGETS)
    batches = 1 if quota is None else math.ceil(jobs / quota)
    return timedelta(seconds=batches * compile_seconds)
