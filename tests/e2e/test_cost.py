"""`python -m autopilot cost`: the shadow instances' cost comes from the configuration's plan and
instance type, the fixed cost from the template, the per-version cost from a local lifecycle."""

from __future__ import annotations

import pytest

from autopilot.cost import pricing
from autopilot.cost.report import cost_report
from autopilot.embedded.synth import synthesize
from registry_autopilot.custom_metrics import CUSTOM_METRICS

pytestmark = pytest.mark.slow

# AWS's published on-demand list prices, us-east-1, read 2026-12-07 (tests/unit/cost/test_pricing.py names
# each page): https://aws.amazon.com/sagemaker/pricing/ (Real-Time Inference, ml.c5.xlarge, per hour) and
# https://aws.amazon.com/cloudwatch/pricing/ (standard-resolution alarm metric, dashboard, custom metric,
# each per month).
ML_C5_XLARGE_HOURLY = 0.204
ALARM_METRIC_MONTH, DASHBOARD_MONTH, CUSTOM_METRIC_MONTH = 0.10, 3.00, 0.30


def test_given_the_sample_plan_when_costed_then_shadow_hours_follow_the_dwell_times_and_the_schedule() -> (
    None
):
    app = synthesize()
    report = cost_report(app)
    shadow = app.config.groups["churn-xgboost"].shadow
    assert shadow is not None
    dwell = sum(step.min_dwell_minutes for step in shadow.rollout_plan)
    ticks = app.config.roller_schedule_minutes * len(shadow.rollout_plan)

    (row,) = report.shadow
    assert row.planned_hours == (dwell + ticks) / 60
    assert row.longest_hours == shadow.duration_days * 24
    assert row.usd(row.planned_hours) == pytest.approx(
        row.planned_hours * shadow.instance_count * ML_C5_XLARGE_HOURLY
    )
    assert report.per_version.total > 0
    assert "churn-xgboost: 1 x ml.c5.xlarge" in report.render()


def test_the_shipped_plan_costs_the_readmes_3_26_per_approved_version_at_most_14_69() -> None:
    """README, "What it costs": "churn-xgboost: 1 x ml.c5.xlarge ($0.204/h) for the plan's 16.0 h, at most
    72 h (durationDays): $3.26, at most $14.69". cdk.json's plan: dwells of 60 + 120 + 240 + 480 minutes,
    each step moved on at the next 15-minute roller round (+ 4 x 15), so 960 minutes = 16 h; durationDays
    3 = 72 h; one ml.c5.xlarge at its published price."""
    report = cost_report(synthesize())

    (row,) = report.shadow
    assert (row.instance_type, row.instance_count) == ("ml.c5.xlarge", 1)
    assert row.planned_hours == 16.0
    assert row.longest_hours == 72.0
    assert row.usd(row.planned_hours) == pytest.approx(16.0 * ML_C5_XLARGE_HOURLY) == pytest.approx(3.264)
    assert row.usd(row.longest_hours) == pytest.approx(72.0 * ML_C5_XLARGE_HOURLY) == pytest.approx(14.688)
    assert (
        "churn-xgboost: 1 x ml.c5.xlarge ($0.204/h) for the plan's 16.0 h, at most 72 h (durationDays): "
        "$3.26, at most $14.69"
    ) in report.render()


def test_given_an_instance_type_without_a_listed_price_then_the_report_asks_for_one() -> None:
    row = pricing.shadow_plan_cost(
        "g",
        instance_type="ml.p4d.24xlarge",
        instance_count=1,
        dwell_minutes=[60],
        roller_minutes=15,
        duration_days=1,
    )

    assert row.hourly_price is None
    assert row.usd(row.planned_hours) is None


def test_given_the_sample_stack_then_the_fixed_cost_counts_its_alarm_metrics_dashboard_and_key() -> None:
    """CloudWatch User Guide, "Analyzing, optimizing, and reducing CloudWatch costs": "If you create a
    metric alarm that contains a metric math expression, which references multiple metrics, you incur a
    cost for each alarm-metric that's referenced in the metric math expression."
    """
    app = synthesize()
    resources = app.template["Resources"].values()
    alarms = [r["Properties"] for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"]
    math = [a for a in alarms if "Metrics" in a]

    report = cost_report(app)

    items = {item: (quantity, usd) for item, quantity, usd in report.monthly.lines}
    read_by_math = sum(1 for alarm in math for query in alarm["Metrics"] if "MetricStat" in query)
    expected = len(alarms) - len(math) + read_by_math
    assert math, "the sample stack has a math alarm (failed, timed out or aborted executions)"
    assert items["alarm metrics"] == (str(expected), pytest.approx(expected * ALARM_METRIC_MONTH))
    assert items["dashboard"] == ("1", pytest.approx(DASHBOARD_MONTH))
    assert not any("custom metric" in item for item in items), "an idle stack emits no custom metric"


def test_given_the_list_of_custom_metrics_then_the_cost_report_bills_each_a_metric_month_at_most() -> None:
    report = cost_report(synthesize())

    assert report.custom_metrics.lines == [
        (
            "custom metrics (EMF), at most",
            str(len(CUSTOM_METRICS)),
            pytest.approx(len(CUSTOM_METRICS) * CUSTOM_METRIC_MONTH),
        )
    ]
    assert "custom metrics (EMF), at most" in report.render()
    assert report.as_dict()["custom_metrics_monthly_at_most_usd"] == round(
        len(CUSTOM_METRICS) * CUSTOM_METRIC_MONTH, 4
    )
