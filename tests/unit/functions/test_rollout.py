"""The rollout plan as a pure function, over whole rollouts with a fake clock.

AWS rules encoded here (SageMaker API Reference):
- UpdateInferenceExperiment: only in Created or Running; "If the status of the inference experiment is
  Created, then you can update both the start and end dates. If the status of the inference experiment
  is Running, then you can update only the end date."
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceExperiment.html
- InferenceExperimentSchedule: "The maximum duration that you can set for an inference experiment is
  30 days." https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceExperimentSchedule.html
- StopInferenceExperiment.ModelVariantActions: Promote | Remove | Retain per variant; DesiredState
  Completed | Cancelled. https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopInferenceExperiment.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from registry_autopilot.logic import rollout
from registry_autopilot.models.config import AutopilotConfig, HealthGates, PromotionCapacity, ShadowConfig
from registry_autopilot.models.shadow import ExperimentView, HealthReading, VariantView

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ROUND = 15  # minutes between roller rounds
RUNNING_FIELDS = {"Schedule.EndTime", "ShadowModeConfig", "Description"}
CREATED_FIELDS = {"Schedule.StartTime", "Schedule.EndTime"}


@pytest.fixture
def plan(config: AutopilotConfig) -> ShadowConfig:
    shadow = config.groups["churn-xgboost"].shadow
    assert shadow is not None
    # 5% 60 min -> 25% 120 min -> 50% 240 min -> 100% 480 min; 3 days; shadow removed at the end.
    assert [(s.sampling_percentage, s.min_dwell_minutes) for s in shadow.rollout_plan] == [
        (5, 60),
        (25, 120),
        (50, 240),
        (100, 480),
    ]
    return shadow


def experiment(
    status: str = "Running", *, start: datetime = T0, days: int = 3, **overrides: Any
) -> ExperimentView:
    values: dict[str, Any] = {
        "name": "autopilot-churn-xgboost-v3-0123abcd",
        "arn": "arn:aws:sagemaker:us-east-1:123456789012:inference-experiment/autopilot-churn-v3-0123abcd",
        "status": status,
        "start_time": start,
        "end_time": start + timedelta(days=days),
        "description": "Registry Autopilot shadow test of churn-xgboost v3: step 1/4 at 5%",
        "endpoint_name": "churn-prod",
        "source_variant": "AllTraffic",
        "shadow_variant": "shadow-v3",
        "sampling_percentage": 5,
        "variant_names": ["AllTraffic", "shadow-v3"],
        "variants": [
            VariantView(
                variant_name="AllTraffic",
                model_name="churn-prod-model",
                instance_type="ml.m5.large",
                instance_count=3,
            ),
            VariantView(
                variant_name="shadow-v3",
                model_name="autopilot-churn-xgboost-v3-99",
                instance_type="ml.c5.xlarge",
                instance_count=1,
            ),
        ],
    }
    values.update(overrides)
    return ExperimentView(**values)


@dataclass
class FakeAws:
    """Applies accepted updates to the experiment the way AWS would (no status round-trips)."""

    current: ExperimentView
    timeline: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    stopped: dict[str, Any] | None = None
    promotion: Any = "production"

    def apply(self, decision: rollout.Decision, minute: int) -> None:
        if decision.action == "update":
            assert decision.update is not None
            assert decision.update.fields() <= (
                RUNNING_FIELDS if self.current.status == "Running" else CREATED_FIELDS
            )
            request = rollout.update_request(self.current, decision.update)
            changes: dict[str, Any] = {}
            if "Schedule" in request:
                changes["end_time"] = request["Schedule"].get("EndTime", self.current.end_time)
                changes["start_time"] = request["Schedule"].get("StartTime", self.current.start_time)
            if "ShadowModeConfig" in request:
                changes["sampling_percentage"] = request["ShadowModeConfig"]["ShadowModelVariants"][0][
                    "SamplingPercentage"
                ]
            if "Description" in request:
                changes["description"] = request["Description"]
            self.current = self.current.model_copy(update=changes)
            self.timeline.append((minute, "update", changes))
        elif decision.action == "conclude":
            assert decision.conclusion is not None
            self.stopped = rollout.stop_request(
                self.current,
                decision.conclusion.shadow_action,
                decision.conclusion.desired_state,
                decision.conclusion.reason,
                promotion=self.promotion,
            )
            self.current = self.current.model_copy(update={"status": "Stopping"})
            self.timeline.append((minute, "conclude", {"outcome": decision.conclusion.outcome}))


def run_rounds(
    plan: ShadowConfig,
    aws: FakeAws,
    minutes: int,
    health: Any = None,
) -> FakeAws:
    """A round every ROUND minutes from T0 until `minutes` or the experiment is concluded."""
    for minute in range(0, minutes + 1, ROUND):
        if aws.current.status == "Stopping":
            break
        reading = health(minute) if callable(health) else health
        decision = rollout.decide(plan, aws.current, reading, T0 + timedelta(minutes=minute), ROUND)
        aws.apply(decision, minute)
    return aws


def samplings(aws: FakeAws) -> list[tuple[int, int]]:
    return [
        (minute, c["sampling_percentage"]) for minute, kind, c in aws.timeline if "sampling_percentage" in c
    ]


def test_a_healthy_rollout_ramps_after_each_dwell_and_concludes_with_the_end_action(
    plan: ShadowConfig,
) -> None:
    aws = run_rounds(plan, FakeAws(experiment()), minutes=3 * 24 * 60)

    assert samplings(aws) == [(60, 25), (180, 50), (420, 100)]
    assert aws.timeline[-1] == (900, "conclude", {"outcome": "completed"})
    assert aws.stopped == {
        "Name": aws.current.name,
        "ModelVariantActions": {"AllTraffic": "Retain", "shadow-v3": "Remove"},
        "DesiredState": "Completed",
        "Reason": "Registry Autopilot: rollout plan completed (4 steps)",
    }


def test_a_step_never_ramps_before_its_minimum_dwell(plan: ShadowConfig) -> None:
    decision = rollout.decide(plan, experiment(), None, T0 + timedelta(minutes=59), ROUND)

    assert decision.action == "none"
    assert decision.progress == rollout.Progress(step=0, since=T0)


def test_progress_is_read_back_from_the_description_marker(plan: ShadowConfig) -> None:
    since = T0 + timedelta(minutes=60)
    described = rollout.describe_progress(
        "Registry Autopilot shadow test of churn-xgboost v3", plan, rollout.Progress(1, since)
    )
    current = experiment(description=described, sampling_percentage=25)

    assert rollout.read_progress(current, len(plan.rollout_plan)) == rollout.Progress(step=1, since=since)
    assert rollout.decide(plan, current, None, since + timedelta(minutes=119), ROUND).action == "none"
    ramp = rollout.decide(plan, current, None, since + timedelta(minutes=120), ROUND)
    assert ramp.update is not None
    assert ramp.update.sampling_percentage == 50


def test_a_healthy_rollout_keeps_the_configured_end_time(plan: ShadowConfig) -> None:
    aws = run_rounds(plan, FakeAws(experiment()), minutes=3 * 24 * 60)

    assert all("end_time" not in changes for _, _, changes in aws.timeline)


def test_every_update_of_a_running_experiment_leaves_its_start_time_alone(plan: ShadowConfig) -> None:
    def unhealthy_first_hours(minute: int) -> HealthReading:
        return HealthReading(shadow_invocations=100, shadow_5xx=50 if minute < 240 else 0)

    gated = plan.model_copy(update={"health_gates": HealthGates(max_shadow_5xx_rate=0.05)})
    aws = run_rounds(gated, FakeAws(experiment()), minutes=3 * 24 * 60, health=unhealthy_first_hours)

    assert aws.timeline
    assert all(changes.get("start_time", T0) == T0 for _, _, changes in aws.timeline)


@pytest.mark.parametrize("status", ["Creating", "Updating", "Starting", "Stopping"])
def test_an_experiment_in_transition_is_skipped_this_round(plan: ShadowConfig, status: str) -> None:
    decision = rollout.decide(plan, experiment(status), None, T0 + timedelta(days=1), ROUND)

    assert decision.action == "skip"
    assert decision.update is None


@pytest.mark.parametrize("status", ["Completed", "Cancelled"])
def test_an_ended_experiment_is_not_rolled(plan: ShadowConfig, status: str) -> None:
    assert rollout.decide(plan, experiment(status), None, T0, ROUND).action == "none"


def test_a_created_experiment_waiting_for_its_start_is_left_alone(plan: ShadowConfig) -> None:
    later = T0 + timedelta(hours=1)
    decision = rollout.decide(plan, experiment("Created", start=later), None, T0, ROUND)

    assert decision.action == "none"


def test_a_created_experiment_past_its_start_is_rescheduled_with_start_and_end_only(
    plan: ShadowConfig,
) -> None:
    now = T0 + timedelta(hours=2)
    decision = rollout.decide(plan, experiment("Created"), None, now, ROUND)

    assert decision.action == "update"
    assert decision.update == rollout.Update(start_time=now, end_time=now + timedelta(days=3))
    assert decision.update.fields() <= CREATED_FIELDS
    request = rollout.update_request(experiment("Created"), decision.update)
    assert set(request) == {"Name", "Schedule"}


def test_a_created_experiment_with_a_wrong_end_gets_only_its_end_realigned(plan: ShadowConfig) -> None:
    decision = rollout.decide(plan, experiment("Created", days=5), None, T0, ROUND)

    assert decision.update == rollout.Update(end_time=T0 + timedelta(days=3))


def test_start_time_in_a_running_update_is_refused_before_it_reaches_aws() -> None:
    with pytest.raises(ValueError, match=r"Schedule\.StartTime"):
        rollout.update_request(
            experiment("Running"), rollout.Update(start_time=T0, end_time=T0 + timedelta(days=1))
        )


def test_sampling_or_description_in_a_created_update_is_refused_before_it_reaches_aws() -> None:
    with pytest.raises(ValueError, match="ShadowModeConfig"):
        rollout.update_request(experiment("Created"), rollout.Update(sampling_percentage=25))


def test_a_ramp_sends_sampling_and_description_in_one_running_update(plan: ShadowConfig) -> None:
    decision = rollout.decide(plan, experiment(), None, T0 + timedelta(minutes=60), ROUND)
    assert decision.update is not None

    request = rollout.update_request(experiment(), decision.update)

    assert set(request) == {"Name", "ShadowModeConfig", "Description"}
    assert request["ShadowModeConfig"] == {
        "SourceModelVariantName": "AllTraffic",
        "ShadowModelVariants": [{"ShadowModelVariantName": "shadow-v3", "SamplingPercentage": 25}],
    }
    assert "[autopilot step=1 since=2025-03-03T10:00:00Z]" in request["Description"]
    assert len(request["Description"]) <= 1024


# -- health gates --------------------------------------------------------------------------------------
GATES = HealthGates(max_shadow_5xx_rate=0.05, max_latency_ratio=1.5)


def test_a_breach_steps_back_one_step_and_restarts_its_dwell(plan: ShadowConfig) -> None:
    gated = plan.model_copy(update={"health_gates": GATES})
    at_50 = experiment(
        description=rollout.describe_progress("t", plan, rollout.Progress(2, T0)), sampling_percentage=50
    )
    now = T0 + timedelta(minutes=30)

    decision = rollout.decide(gated, at_50, HealthReading(shadow_invocations=200, shadow_5xx=20), now, ROUND)

    assert decision.action == "update"
    assert decision.progress == rollout.Progress(step=1, since=now)
    assert decision.update is not None
    assert decision.update.sampling_percentage == 25
    assert "shadow 5xx rate 10.00% > 5.00%" in decision.reason


def test_a_slow_shadow_steps_back_on_the_latency_ratio(plan: ShadowConfig) -> None:
    gated = plan.model_copy(update={"health_gates": GATES})
    at_25 = experiment(
        description=rollout.describe_progress("t", plan, rollout.Progress(1, T0)), sampling_percentage=25
    )

    decision = rollout.decide(
        gated,
        at_25,
        HealthReading(shadow_latency=3000, production_latency=1000),
        T0 + timedelta(minutes=15),
        ROUND,
    )

    assert decision.update is not None
    assert decision.update.sampling_percentage == 5
    assert "latency 3.00x > 1.50x" in decision.reason


def test_a_breach_at_the_first_step_holds_it_and_extends_the_end_time(plan: ShadowConfig) -> None:
    gated = plan.model_copy(update={"health_gates": GATES})

    def unhealthy_for_60_hours(minute: int) -> HealthReading:
        return HealthReading(shadow_invocations=100, shadow_5xx=10 if minute < 60 * 60 else 0)

    aws = run_rounds(gated, FakeAws(experiment()), minutes=5 * 24 * 60, health=unhealthy_for_60_hours)

    # Held at 5% until the last unhealthy round, then the whole plan (900 min) from there; the end
    # moved out to fit it.
    held = 60 * 60 - ROUND
    assert samplings(aws) == [(held + 60, 25), (held + 180, 50), (held + 420, 100)]
    assert aws.timeline[-1] == (held + 900, "conclude", {"outcome": "completed"})
    assert aws.current.end_time == T0 + timedelta(minutes=held + 900 + ROUND)
    assert aws.current.end_time > T0 + timedelta(days=3)


def test_a_gate_with_no_shadow_traffic_to_judge_does_not_hold_the_ramp(plan: ShadowConfig) -> None:
    gated = plan.model_copy(update={"health_gates": GATES})

    decision = rollout.decide(gated, experiment(), HealthReading(), T0 + timedelta(minutes=60), ROUND)

    assert decision.update is not None
    assert decision.update.sampling_percentage == 25
    assert decision.health == rollout.HealthVerdict(evaluated=False, breached=False)


# -- the 30-day cap ---------------------------------------------------------------------------------------
def test_the_end_time_never_passes_thirty_days_from_the_start(plan: ShadowConfig) -> None:
    gated = plan.model_copy(update={"health_gates": GATES, "duration_days": 30})
    always_unhealthy = HealthReading(shadow_invocations=100, shadow_5xx=50)

    aws = run_rounds(gated, FakeAws(experiment(days=30)), minutes=31 * 24 * 60, health=always_unhealthy)

    ends = [changes["end_time"] for _, _, changes in aws.timeline if "end_time" in changes]
    assert all(end <= T0 + timedelta(days=30) for end in ends)


def test_a_plan_that_no_longer_fits_in_thirty_days_is_concluded_incomplete_with_the_shadow_removed(
    plan: ShadowConfig,
) -> None:
    gated = plan.model_copy(update={"health_gates": GATES, "end_action": "Promote", "duration_days": 30})
    always_unhealthy = HealthReading(shadow_invocations=100, shadow_5xx=50)

    aws = run_rounds(gated, FakeAws(experiment(days=30)), minutes=31 * 24 * 60, health=always_unhealthy)

    minute, kind, details = aws.timeline[-1]
    assert (kind, details) == ("conclude", {"outcome": "incomplete"})
    # The first round from which 900 minutes of plan plus one round of slack overrun day 30.
    assert minute == 42300
    assert minute + 900 + ROUND > 30 * 1440 >= minute - ROUND + 900 + ROUND
    assert aws.stopped is not None
    assert aws.stopped["ModelVariantActions"] == {"AllTraffic": "Retain", "shadow-v3": "Remove"}
    assert aws.stopped["DesiredState"] == "Cancelled"


@pytest.mark.parametrize("end_action", ["Remove", "Retain"])
def test_the_configured_end_action_is_applied_to_the_shadow_and_production_is_retained(
    plan: ShadowConfig, end_action: str
) -> None:
    aws = run_rounds(
        plan.model_copy(update={"end_action": end_action}), FakeAws(experiment()), minutes=3 * 1440
    )

    assert aws.stopped is not None
    assert aws.stopped["ModelVariantActions"] == {"AllTraffic": "Retain", "shadow-v3": end_action}


# Developer Guide, "Complete a shadow test" > "Promote a shadow variant"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-complete.html): "This removes your current
# production variant from production and replaces it with your shadow variant." ... "Unless you are
# validating the instance type or count or both of the shadow variant, we highly recommend that you retain
# the instance count and type from the production variant when promoting your shadow variant."
# StopInferenceExperiment.DesiredModelVariants: "There is one for each variant that you want to deploy
# after the inference experiment stops. Each ModelVariantConfig describes the infrastructure configuration
# for deploying the corresponding variant." (API_StopInferenceExperiment.html)
def test_given_end_action_promote_when_the_plan_completes_then_the_shadow_replaces_production_at_its_size(
    plan: ShadowConfig,
) -> None:
    aws = run_rounds(
        plan.model_copy(update={"end_action": "Promote"}), FakeAws(experiment()), minutes=3 * 1440
    )

    assert aws.stopped is not None
    assert aws.stopped["ModelVariantActions"] == {"AllTraffic": "Remove", "shadow-v3": "Promote"}
    assert aws.stopped["DesiredState"] == "Completed"
    assert aws.stopped["DesiredModelVariants"] == [
        {
            "ModelName": "autopilot-churn-xgboost-v3-99",
            "VariantName": "shadow-v3",
            "InfrastructureConfig": {
                "InfrastructureType": "RealTimeInference",
                "RealTimeInferenceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 3},
            },
        }
    ]


@pytest.mark.parametrize(
    ("promotion", "capacity"),
    [
        ("shadow", {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1}),
        (
            PromotionCapacity(instance_type="ml.c5.2xlarge", instance_count=4),
            {"InstanceType": "ml.c5.2xlarge", "InstanceCount": 4},
        ),
    ],
)
def test_given_a_configured_promotion_capacity_then_the_promoted_variant_gets_it(
    plan: ShadowConfig, promotion: Any, capacity: dict[str, Any]
) -> None:
    aws = FakeAws(experiment(), promotion=promotion)

    run_rounds(plan.model_copy(update={"end_action": "Promote"}), aws, minutes=3 * 1440)

    assert aws.stopped is not None
    (promoted,) = aws.stopped["DesiredModelVariants"]
    assert promoted["InfrastructureConfig"]["RealTimeInferenceConfig"] == capacity


def test_given_a_promotion_when_the_plan_cannot_finish_then_nothing_is_promoted(plan: ShadowConfig) -> None:
    promoting = plan.model_copy(update={"end_action": "Promote", "duration_days": 30, "health_gates": GATES})

    aws = run_rounds(
        promoting,
        FakeAws(experiment(days=30)),
        minutes=31 * 24 * 60,
        health=HealthReading(shadow_invocations=100, shadow_5xx=50),
    )

    assert aws.stopped is not None
    assert aws.stopped["ModelVariantActions"] == {"AllTraffic": "Retain", "shadow-v3": "Remove"}
    assert "DesiredModelVariants" not in aws.stopped
