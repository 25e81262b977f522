"""The cost model of `make bench` (autopilot/cost/pricing.py): list prices applied to counted usage.

Expected dollars are written from AWS's published on-demand list prices (PUBLISHED below, each with its
page), never read back from the table the code uses: a wrong price in that table fails here.
"""

from __future__ import annotations

import pytest

from autopilot.cost import pricing

# AWS's on-demand list prices, us-east-1 (US East, N. Virginia), USD, free tiers left out, as published
# on each service's pricing page when read on 2026-12-07. Where a page draws its rate table in the browser
# (Lambda, SageMaker), the figure is the table's row for the region named.
PUBLISHED: dict[str, tuple[float, str]] = {
    # https://aws.amazon.com/lambda/pricing/: Arm, "First 7.5 Billion GB-sec / month" $0.0000133334 per GB-s
    "LAMBDA_ARM64_GB_SECOND": (0.0000133334, "Lambda duration, Arm"),
    # https://aws.amazon.com/lambda/pricing/: requests, $0.20 per 1M requests
    "LAMBDA_REQUEST": (0.20 / 1_000_000, "Lambda requests"),
    # https://aws.amazon.com/step-functions/pricing/: State transitions pricing table, "US East (N. Virginia)
    # $0.0250" per 1,000 state transitions (Standard workflows)
    "STEP_FUNCTIONS_STANDARD_TRANSITION": (0.025 / 1_000, "Step Functions standard transition"),
    # https://aws.amazon.com/cloudwatch/pricing/: alarms, standard resolution, $0.10 per alarm metric-month
    "CLOUDWATCH_ALARM_MONTH": (0.10, "CloudWatch alarm metric-month"),
    # https://aws.amazon.com/cloudwatch/pricing/: dashboards, $3.00 per dashboard per month
    "CLOUDWATCH_DASHBOARD_MONTH": (3.00, "CloudWatch dashboard-month"),
    # https://aws.amazon.com/cloudwatch/pricing/: metrics, first 10,000 metrics $0.30 per metric per month
    "CLOUDWATCH_METRIC_MONTH": (0.30, "CloudWatch custom metric-month"),
    # https://aws.amazon.com/cloudwatch/pricing/: logs, collect (data ingestion), standard, $0.50 per GB
    "CLOUDWATCH_LOGS_INGESTED_GB": (0.50, "CloudWatch Logs ingestion"),
    # https://aws.amazon.com/kms/pricing/: "Each AWS KMS key that you create in AWS KMS costs $1/month"
    "KMS_KEY_MONTH": (1.00, "KMS key-month"),
    # https://aws.amazon.com/s3/pricing/: S3 Standard, GET, SELECT and all other requests, $0.0004 per 1,000
    "S3_GET": (0.0004 / 1_000, "S3 GET"),
    # https://aws.amazon.com/s3/pricing/: S3 Standard, PUT, COPY, POST, LIST requests, $0.005 per 1,000
    "S3_PUT_OR_LIST": (0.005 / 1_000, "S3 PUT or LIST"),
}
# https://aws.amazon.com/sagemaker/pricing/: On-Demand Pricing, Real-Time Inference, US East (N. Virginia),
# price per instance-hour.
PUBLISHED_SAGEMAKER_REALTIME_HOURLY = {"ml.c5.large": 0.102, "ml.c5.xlarge": 0.204, "ml.m5.large": 0.115}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_a_price_is_the_published_list_price(name: str) -> None:
    published, what = PUBLISHED[name]

    assert getattr(pricing, name) == pytest.approx(published, rel=1e-9), f"{what}: AWS lists ${published:g}"


@pytest.mark.parametrize("instance_type", sorted(PUBLISHED_SAGEMAKER_REALTIME_HOURLY))
def test_a_shadow_instance_price_is_the_published_real_time_inference_price(instance_type: str) -> None:
    published = PUBLISHED_SAGEMAKER_REALTIME_HOURLY[instance_type]

    assert pricing.SAGEMAKER_REALTIME_HOURLY[instance_type] == pytest.approx(published, rel=1e-9)


def test_cpu_bound_time_stretches_below_one_vcpu_and_waiting_on_aws_does_not() -> None:
    # Lambda Developer Guide, "Configure Lambda function memory": 1,769 MB is one vCPU.
    small = pricing.Invocation("f", memory_mb=128, calls=2, cpu_seconds=0.01)
    large = pricing.Invocation("f", memory_mb=1769, calls=2, cpu_seconds=0.01)

    assert small.billed_seconds() == pytest.approx(0.01 * 1769 / 128 + 2 * pricing.AWS_CALL_SECONDS)
    assert large.billed_seconds() == pytest.approx(0.01 + 2 * pricing.AWS_CALL_SECONDS)


def test_a_cold_start_bills_its_import() -> None:
    warm = pricing.Invocation("f", memory_mb=1024, calls=0, cpu_seconds=0.0)
    cold = pricing.Invocation("f", memory_mb=1024, calls=0, cpu_seconds=0.0, init_seconds=0.5)

    assert cold.gb_seconds() - warm.gb_seconds() == pytest.approx(0.5)


def test_a_version_costs_its_transitions_at_the_standard_workflow_price() -> None:
    usage = pricing.VersionUsage(
        invocations=[], transitions=40, service_events=3, log_bytes=0, traces=0, publishes=0, s3_gets=0
    )

    cost = pricing.version_cost(usage)

    assert cost.total == pytest.approx(40 * 0.025 / 1000)  # $0.025 per 1,000 state transitions


def test_extra_work_inside_a_round_bills_time_but_no_request() -> None:
    extra = pricing.Invocation("Roller", memory_mb=128, calls=2, cpu_seconds=0.0, requests=0)
    usage = pricing.VersionUsage(
        invocations=[extra], transitions=0, service_events=0, log_bytes=0, traces=0, publishes=0, s3_gets=0
    )

    lines = {item: usd for item, _, usd in pricing.version_cost(usage).lines}

    assert lines["Lambda requests"] == 0
    # 128 MB for two calls of 0.1 s each, at the published Arm price per GB-s.
    assert lines["Lambda compute"] == pytest.approx(0.125 * 0.2 * 0.0000133334)


def test_a_math_alarm_bills_each_metric_it_reads_and_a_plain_alarm_one() -> None:
    # CloudWatch User Guide, "Analyzing, optimizing, and reducing CloudWatch costs": "If you create a
    # metric alarm that contains a metric math expression, which references multiple metrics, you incur a
    # cost for each alarm-metric that's referenced in the metric math expression."
    plain = {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "Errors"}}
    math = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "Metrics": [
                {"Id": "expr", "Expression": "a + b"},
                {"Id": "a", "MetricStat": {"Metric": {"MetricName": "ExecutionsFailed"}}},
                {"Id": "b", "MetricStat": {"Metric": {"MetricName": "ExecutionsTimedOut"}}},
            ]
        },
    }
    template = {"Resources": {"A": plain, "B": math, "C": {"Type": "AWS::SQS::Queue", "Properties": {}}}}

    assert pricing.alarm_metrics(template) == 3


def test_the_fixed_cost_holds_no_custom_metric_and_their_ceiling_follows_the_list() -> None:
    from registry_autopilot.custom_metrics import CUSTOM_METRICS

    fixed = pricing.monthly_fixed_cost(idle_rounds=[], alarm_metrics=2, dashboards=1, kms_keys=1)
    ceiling = pricing.custom_metrics_cost()

    assert fixed.total == pytest.approx(2 * 0.10 + 3.00 + 1.00)
    assert not any("custom metric" in item for item, _, _ in fixed.lines)
    assert ceiling.total == pytest.approx(len(CUSTOM_METRICS) * 0.30)
