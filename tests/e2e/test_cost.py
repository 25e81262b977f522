"""`python -m autopilot cost`: the shadow instances' cost comes from the configuration's plan and
instance type, the fixed cost from the template, the per-version cost from a local lifecycle."""

from __future__ import annotations

import pytest

from autopilot import pricing
from autopilot.cost import cost_report
from autopilot.synth import synthesize

pytestmark = pytest.mark.slow


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
        row.planned_hours * shadow.instance_count * pricing.SAGEMAKER_REALTIME_HOURLY[shadow.instance_type]
    )
    alarms = [r for r in app.template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert ("alarms", str(len(alarms)), len(alarms) * pricing.CLOUDWATCH_ALARM_MONTH) in report.monthly.lines
    assert report.per_version.total > 0
    assert "churn-xgboost: 1 x ml.c5.xlarge" in report.render()


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
