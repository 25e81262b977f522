"""Public list prices and what one model version costs Registry Autopilot at them.

Prices are AWS's on-demand list prices in us-east-1, in USD, without free tiers, each from the pricing
page named beside it (as published when this was written; check the page before relying on one).
SageMaker itself is not priced here: API calls to it have no charge, and its compute (Neo compilation
jobs, the shadow variant's instances) is the same whoever drives it.

The assumptions are named constants too: what a measurement on this machine cannot show (the round
trip of an AWS call from Lambda, the platform's own log lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry_autopilot.custom_metrics import CUSTOM_METRICS
from registry_autopilot.models.config import ShadowConfig

# https://aws.amazon.com/lambda/pricing/ (Arm price, first 7.5 billion GB-seconds a month)
LAMBDA_ARM64_GB_SECOND = 0.0000133334
# https://aws.amazon.com/lambda/pricing/ ($0.20 per 1 million requests)
LAMBDA_REQUEST = 0.20 / 1_000_000
# https://aws.amazon.com/step-functions/pricing/ (Standard workflows: $0.025 per 1,000 state transitions)
STEP_FUNCTIONS_STANDARD_TRANSITION = 0.025 / 1_000
# https://aws.amazon.com/eventbridge/pricing/ (events AWS services send to the default bus: no charge)
EVENTBRIDGE_AWS_SERVICE_EVENT = 0.0
# https://aws.amazon.com/eventbridge/pricing/ (scheduled rules on the default bus: no charge)
EVENTBRIDGE_SCHEDULED_INVOCATION = 0.0
# https://aws.amazon.com/cloudwatch/pricing/ (custom metrics, first 10,000: $0.30 per metric per month).
# CloudWatch User Guide, "Analyzing, optimizing, and reducing CloudWatch costs": "All custom metrics are
# prorated by the hour. They're metered only when they're sent to CloudWatch." A metric-month is the
# most a metric costs; the functions emit one only in hours it counts something (custom_metrics.py).
CLOUDWATCH_METRIC_MONTH = 0.30
# https://aws.amazon.com/cloudwatch/pricing/ (logs ingested, standard class; vended logs such as Step
# Functions' start at the same $0.50 per GB)
CLOUDWATCH_LOGS_INGESTED_GB = 0.50
# https://aws.amazon.com/cloudwatch/pricing/ (standard resolution alarm: $0.10 per alarm metric per month).
# CloudWatch User Guide, "Analyzing, optimizing, and reducing CloudWatch costs": "If you create a metric
# alarm that contains a metric math expression, which references multiple metrics, you incur a cost for
# each alarm-metric that's referenced in the metric math expression."
CLOUDWATCH_ALARM_MONTH = 0.10
# https://aws.amazon.com/cloudwatch/pricing/ (dashboards: $3.00 per dashboard per month)
CLOUDWATCH_DASHBOARD_MONTH = 3.00
# https://aws.amazon.com/xray/pricing/ ($5.00 per 1 million traces recorded)
XRAY_TRACE_RECORDED = 5.00 / 1_000_000
# https://aws.amazon.com/sns/pricing/ (standard topics: $0.50 per 1 million publishes)
SNS_PUBLISH = 0.50 / 1_000_000
# https://aws.amazon.com/s3/pricing/ (S3 Standard GET: $0.0004 per 1,000 requests)
S3_GET = 0.0004 / 1_000
# https://aws.amazon.com/s3/pricing/ (S3 Standard PUT, COPY, POST, LIST: $0.005 per 1,000 requests;
# DELETE is free)
S3_PUT_OR_LIST = 0.005 / 1_000
# https://aws.amazon.com/kms/pricing/ (customer managed key: $1 per month)
KMS_KEY_MONTH = 1.00

# Lambda Developer Guide, "Configure Lambda function memory": at 1,769 MB a function has the equivalent
# of one vCPU, and CPU grows in proportion to memory. Below it, CPU-bound time stretches by 1,769/memory
# (taking this machine's core as one vCPU); waiting on AWS does not.
LAMBDA_ONE_VCPU_MB = 1_769
# Assumption: one AWS API call's round trip from Lambda in the same region.
AWS_CALL_SECONDS = 0.1
# Assumption: the START, END and REPORT lines Lambda writes to the function's log for each invocation.
PLATFORM_LOG_BYTES = 300
SECONDS_PER_MONTH = 30 * 24 * 3600


@dataclass(frozen=True)
class Invocation:
    """One Lambda invocation, as the cost model sees it."""

    function: str
    memory_mb: int
    calls: int  # AWS API calls it made
    cpu_seconds: float  # measured CPU-bound time (handler, SDK), on this machine
    init_seconds: float = 0.0  # a cold start's import (Lambda bills the INIT phase since August 2025)
    requests: int = 1  # 0: extra work inside an invocation counted elsewhere (a roller round)

    def billed_seconds(self) -> float:
        stretch = max(1.0, LAMBDA_ONE_VCPU_MB / self.memory_mb)
        # The INIT phase is left unstretched: Lambda is widely observed to give it more CPU than the
        # memory setting gives the invocation (not documented, so this may understate it).
        return self.init_seconds + self.cpu_seconds * stretch + self.calls * AWS_CALL_SECONDS

    def gb_seconds(self) -> float:
        return self.memory_mb / 1024 * self.billed_seconds()


@dataclass
class VersionUsage:
    """What one version's lifecycle used, counted on the local stack."""

    invocations: list[Invocation]
    transitions: int
    service_events: int  # SageMaker state changes delivered by EventBridge
    log_bytes: int  # functions' own lines, the platform's lines and the state machine's log
    traces: int
    publishes: int
    s3_gets: int
    s3_puts_and_lists: int = 0  # the compile waits written, and lists beyond the watcher's idle one


@dataclass
class Cost:
    lines: list[tuple[str, str, float]] = field(default_factory=list)  # (item, quantity, USD)

    @property
    def total(self) -> float:
        return sum(usd for _, _, usd in self.lines)


def version_cost(usage: VersionUsage) -> Cost:
    gb_seconds = sum(i.gb_seconds() for i in usage.invocations)
    requests = sum(i.requests for i in usage.invocations)
    log_gb = usage.log_bytes / 1e9
    return Cost(
        [
            ("Lambda compute", f"{gb_seconds:.3f} GB-s", gb_seconds * LAMBDA_ARM64_GB_SECOND),
            ("Lambda requests", f"{requests}", requests * LAMBDA_REQUEST),
            (
                "Step Functions transitions",
                f"{usage.transitions}",
                usage.transitions * STEP_FUNCTIONS_STANDARD_TRANSITION,
            ),
            (
                "EventBridge (SageMaker events)",
                f"{usage.service_events}",
                usage.service_events * EVENTBRIDGE_AWS_SERVICE_EVENT,
            ),
            (
                "CloudWatch Logs ingestion",
                f"{usage.log_bytes / 1024:.0f} KB",
                log_gb * CLOUDWATCH_LOGS_INGESTED_GB,
            ),
            ("X-Ray traces", f"{usage.traces}", usage.traces * XRAY_TRACE_RECORDED),
            ("SNS publishes", f"{usage.publishes}", usage.publishes * SNS_PUBLISH),
            ("S3 GET (evaluation report, compile waits)", f"{usage.s3_gets}", usage.s3_gets * S3_GET),
            (
                "S3 PUT and LIST (compile waits)",
                f"{usage.s3_puts_and_lists}",
                usage.s3_puts_and_lists * S3_PUT_OR_LIST,
            ),
        ]
    )


def monthly_fixed_cost(
    *,
    idle_rounds: Iterable[Invocation],
    alarm_metrics: int,
    dashboards: int,
    kms_keys: int = 1,
    idle_watcher_rounds: Iterable[Invocation] = (),
) -> Cost:
    """What the stack costs a month with no version at all: the roller's and the compile watcher's
    scheduled rounds (Lambda, the platform's log lines, the watcher's one S3 LIST each), the alarms
    (per alarm-metric), the dashboard, the KMS key. No custom metric: an idle round counts nothing, and
    CloudWatch bills a custom metric only for the hours it receives data (see custom_metrics_cost)."""
    rounds = list(idle_rounds)
    watcher = list(idle_watcher_rounds)
    scheduled = len(rounds) + len(watcher)

    def lambda_usd(invocations: list[Invocation]) -> float:
        gb_seconds = sum(i.gb_seconds() for i in invocations)
        return gb_seconds * LAMBDA_ARM64_GB_SECOND + len(invocations) * LAMBDA_REQUEST

    lines = [("roller rounds (Lambda)", f"{len(rounds)}", lambda_usd(rounds))]
    if watcher:
        lines += [
            ("compile watcher rounds (Lambda)", f"{len(watcher)}", lambda_usd(watcher)),
            ("compile watcher rounds (S3 LIST)", f"{len(watcher)}", len(watcher) * S3_PUT_OR_LIST),
        ]
    lines += [
        (
            "scheduled rounds' log lines",
            f"{scheduled * PLATFORM_LOG_BYTES / 1e6:.1f} MB",
            scheduled * PLATFORM_LOG_BYTES / 1e9 * CLOUDWATCH_LOGS_INGESTED_GB,
        ),
        ("schedules (EventBridge)", f"{scheduled}", scheduled * EVENTBRIDGE_SCHEDULED_INVOCATION),
        ("alarm metrics", f"{alarm_metrics}", alarm_metrics * CLOUDWATCH_ALARM_MONTH),
        ("dashboard", f"{dashboards}", dashboards * CLOUDWATCH_DASHBOARD_MONTH),
        ("KMS key", f"{kms_keys}", kms_keys * KMS_KEY_MONTH),
    ]
    return Cost(lines)


def alarm_metrics(template: Mapping[str, Any]) -> int:
    """The alarm-metrics a template's alarms are billed for: one per metric an alarm reads, each metric
    of a math expression counted (the expression itself is not a metric)."""
    count = 0
    for resource in template.get("Resources", {}).values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            properties = resource["Properties"]
            queries = properties.get("Metrics", [])
            count += 1 if "MetricName" in properties else sum("MetricStat" in q for q in queries)
    return count


def stack_fixed_cost(
    template: Mapping[str, Any],
    idle_rounds: Iterable[Invocation],
    idle_watcher_rounds: Iterable[Invocation] = (),
) -> Cost:
    """`monthly_fixed_cost` of a synthesized template: its alarms, dashboards and KMS keys."""
    types = [resource["Type"] for resource in template.get("Resources", {}).values()]
    return monthly_fixed_cost(
        idle_rounds=idle_rounds,
        idle_watcher_rounds=idle_watcher_rounds,
        alarm_metrics=alarm_metrics(template),
        dashboards=types.count("AWS::CloudWatch::Dashboard"),
        kms_keys=types.count("AWS::KMS::Key"),
    )


def custom_metrics_cost(metrics: int = len(CUSTOM_METRICS)) -> Cost:
    """The most the functions' custom metrics cost a month: a metric-month each, which a metric reaches
    only if it counts something in every hour of the month (registry_autopilot/custom_metrics.py)."""
    return Cost([("custom metrics (EMF), at most", f"{metrics}", metrics * CLOUDWATCH_METRIC_MONTH)])


# https://aws.amazon.com/sagemaker/pricing/ (Real-Time Inference, on-demand, us-east-1, per instance-hour).
# The shadow variant's instances run from the experiment's start to its conclusion, billed like any
# endpoint instance. Types not listed here: `python -m autopilot cost --hourly-price USD`.
SAGEMAKER_REALTIME_HOURLY = {
    "ml.t2.medium": 0.056,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.c5.large": 0.102,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.g4dn.xlarge": 0.7364,
}


@dataclass(frozen=True)
class ShadowPlanCost:
    """The shadow variant's instance cost for one approved version, from its group's plan."""

    group: str
    instance_type: str
    instance_count: int
    planned_hours: float  # the plan's dwell times, each step moved on at the next roller round
    longest_hours: float  # durationDays: the experiment's scheduled end, holds and step-backs included
    hourly_price: float | None

    def usd(self, hours: float) -> float | None:
        return None if self.hourly_price is None else hours * self.instance_count * self.hourly_price


def shadow_plan_cost(
    group: str,
    *,
    instance_type: str,
    instance_count: int,
    dwell_minutes: Iterable[int],
    roller_minutes: int,
    duration_days: int,
    hourly_price: float | None = None,
) -> ShadowPlanCost:
    dwells = list(dwell_minutes)
    # Each step ends at the first roller round after its dwell: up to one schedule period later.
    planned = sum(dwells) + roller_minutes * len(dwells)
    longest = duration_days * 24 * 60
    return ShadowPlanCost(
        group=group,
        instance_type=instance_type,
        instance_count=instance_count,
        planned_hours=min(planned, longest) / 60,
        longest_hours=longest / 60,
        hourly_price=hourly_price
        if hourly_price is not None
        else SAGEMAKER_REALTIME_HOURLY.get(instance_type),
    )


def shadow_config_cost(
    group: str, shadow: ShadowConfig, *, roller_minutes: int, hourly_price: float | None = None
) -> ShadowPlanCost:
    """`shadow_plan_cost` of a group's `shadow` configuration (its instances, plan and duration)."""
    return shadow_plan_cost(
        group,
        instance_type=shadow.instance_type,
        instance_count=shadow.instance_count,
        dwell_minutes=[step.min_dwell_minutes for step in shadow.rollout_plan],
        roller_minutes=roller_minutes,
        duration_days=shadow.duration_days,
        hourly_price=hourly_price,
    )
