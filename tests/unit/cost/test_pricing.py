"""The cost model of `make bench` (autopilot/cost/pricing.py): list prices applied to counted usage."""

from __future__ import annotations

import pytest

from autopilot.cost import pricing


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
    assert lines["Lambda compute"] == pytest.approx(0.125 * 0.2 * pricing.LAMBDA_ARM64_GB_SECOND)


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
