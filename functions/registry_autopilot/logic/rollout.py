"""The rollout plan as a pure function: (plan, clock, current experiment, health) -> desired state.

Progress through the plan lives in the experiment itself, in a marker at the end of its description
(`[autopilot step=2 since=2024-05-01T13:00:00Z]`): the description is one of the fields
UpdateInferenceExperiment may change while the experiment runs, so the roller needs no database and
any round (or a second roller running at the same time) reads the same state. An experiment
without a marker is at step 0 since its start.

Rules applied (SageMaker API Reference):
- UpdateInferenceExperiment only when the status is Created or Running
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceExperiment.html).
- Schedule: "If the status of the inference experiment is Created, then you can update both the start
  and end dates. If the status of the inference experiment is Running, then you can update only the
  end date." (same page); Created therefore gets StartTime/EndTime only, Running never StartTime.
- A schedule lasts at most 30 days (API_InferenceExperimentSchedule.html), so EndTime never passes
  StartTime + 30 days; a plan that no longer fits (holds, step-backs) is concluded as incomplete.
- ShadowModelVariantConfig.SamplingPercentage is an integer 0-100 (API_ShadowModelVariantConfig.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from registry_autopilot.models.config import (
    MAX_EXPERIMENT_DAYS,
    HealthGates,
    PromotionCapacity,
    ShadowConfig,
)
from registry_autopilot.models.shadow import (
    STOP_REASON_PREFIX,
    TERMINAL_STATUSES,
    ExperimentView,
    HealthReading,
)

MAX_DURATION = timedelta(days=MAX_EXPERIMENT_DAYS)
MAX_DESCRIPTION = 1024  # InferenceExperimentDescription: 0-1024 chars
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_MARKER = re.compile(r"\[autopilot step=(?P<step>\d+) since=(?P<since>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\]")
# Fields each status lets UpdateInferenceExperiment change (see the module docstring).
UPDATABLE_FIELDS: dict[str, frozenset[str]] = {
    "Created": frozenset({"Schedule.StartTime", "Schedule.EndTime"}),
    "Running": frozenset({"Schedule.EndTime", "ShadowModeConfig", "Description"}),
}
# Statuses in which a round changes nothing and tries again next time.
TRANSITIONAL_STATUSES = frozenset({"Creating", "Updating", "Starting", "Stopping"})
# Updates smaller than this are not worth a call (and the status change it causes).
END_TIME_TOLERANCE = timedelta(minutes=1)


@dataclass(frozen=True)
class Progress:
    step: int
    since: datetime


@dataclass(frozen=True)
class HealthVerdict:
    evaluated: bool
    breached: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Update:
    """An UpdateInferenceExperiment the experiment's status allows; None fields are not sent."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    sampling_percentage: int | None = None
    description: str | None = None

    def fields(self) -> frozenset[str]:
        names = set()
        if self.start_time is not None:
            names.add("Schedule.StartTime")
        if self.end_time is not None:
            names.add("Schedule.EndTime")
        if self.sampling_percentage is not None:
            names.add("ShadowModeConfig")
        if self.description is not None:
            names.add("Description")
        return frozenset(names)


Outcome = Literal["completed", "incomplete"]


@dataclass(frozen=True)
class Conclusion:
    """A StopInferenceExperiment: the shadow variant gets `shadow_action`; the production variant is
    retained, or removed when the shadow is promoted in its place (see `stop_request`)."""

    outcome: Outcome
    desired_state: Literal["Completed", "Cancelled"]
    shadow_action: Literal["Promote", "Remove", "Retain"]
    reason: str


Action = Literal["skip", "none", "update", "conclude"]


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    update: Update | None = None
    conclusion: Conclusion | None = None
    progress: Progress | None = None
    health: HealthVerdict | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# -- progress marker --------------------------------------------------------------------------------
def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def read_progress(experiment: ExperimentView, plan_length: int) -> Progress:
    found = _MARKER.search(experiment.description)
    if found is None:
        return Progress(step=0, since=experiment.start_time)
    since = datetime.strptime(found["since"], TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    return Progress(step=min(int(found["step"]), plan_length - 1), since=since)


def describe_progress(title: str, plan: ShadowConfig, progress: Progress, note: str | None = None) -> str:
    """The experiment's description: a human line plus the machine-readable marker."""
    step = plan.rollout_plan[progress.step]
    marker = f"[autopilot step={progress.step} since={_timestamp(progress.since)}]"
    text = f"{title}: step {progress.step + 1}/{len(plan.rollout_plan)} at {step.sampling_percentage}%"
    if note:
        text += f" ({note})"
    room = MAX_DESCRIPTION - len(marker) - 1
    return f"{text[:room]} {marker}"


def title_of(description: str) -> str:
    """The description's human title (the text before the first ':' or the marker)."""
    head = _MARKER.sub("", description).strip()
    return head.split(":", 1)[0].strip() or "Registry Autopilot shadow test"


# -- health gates ----------------------------------------------------------------------------------
def evaluate_health(gates: HealthGates | None, reading: HealthReading | None) -> HealthVerdict:
    """Breached when the shadow's 5xx rate or its latency relative to production is over the gate.
    A gate with no datapoints to judge (no shadow invocations yet) is not breached."""
    if gates is None or reading is None:
        return HealthVerdict(evaluated=False, breached=False)
    reasons: list[str] = []
    evaluated = False
    if gates.max_shadow_5xx_rate is not None and reading.shadow_invocations:
        evaluated = True
        rate = (reading.shadow_5xx or 0.0) / reading.shadow_invocations
        if rate > gates.max_shadow_5xx_rate:
            reasons.append(f"shadow 5xx rate {rate:.2%} > {gates.max_shadow_5xx_rate:.2%}")
    if (
        gates.max_latency_ratio is not None
        and reading.shadow_latency is not None
        and reading.production_latency
    ):
        evaluated = True
        ratio = reading.shadow_latency / reading.production_latency
        if ratio > gates.max_latency_ratio:
            reasons.append(f"shadow/production latency {ratio:.2f}x > {gates.max_latency_ratio:.2f}x")
    return HealthVerdict(evaluated=evaluated, breached=bool(reasons), reasons=tuple(reasons))


# -- the plan --------------------------------------------------------------------------------------
def _dwell(plan: ShadowConfig, step: int) -> timedelta:
    return timedelta(minutes=plan.rollout_plan[step].min_dwell_minutes)


def remaining_time(plan: ShadowConfig, progress: Progress, now: datetime) -> timedelta:
    """Time the plan still needs from `now`: the rest of this step's dwell plus every later step."""
    current = max(progress.since + _dwell(plan, progress.step) - now, timedelta(0))
    later = sum(
        (_dwell(plan, step) for step in range(progress.step + 1, len(plan.rollout_plan))), timedelta(0)
    )
    return current + later


def _decide_created(
    plan: ShadowConfig, experiment: ExperimentView, now: datetime, margin: timedelta
) -> Decision:
    start = experiment.start_time
    if start < now - margin:
        # Still Created well after its start time: start again from now (Created may move StartTime).
        start = now
    end = start + timedelta(days=plan.duration_days)
    if start == experiment.start_time and abs(end - experiment.end_time) < END_TIME_TOLERANCE:
        return Decision(action="none", reason="created; waiting for its scheduled start")
    update = Update(
        start_time=start if start != experiment.start_time else None,
        end_time=end,
    )
    if update.start_time is not None:
        # Created: both dates may change; send both so the pair is checked together.
        return Decision(action="update", reason="start time passed while Created: rescheduled", update=update)
    return Decision(action="update", reason="schedule realigned with the configured duration", update=update)


def _decide_running(
    plan: ShadowConfig,
    experiment: ExperimentView,
    health: HealthReading | None,
    now: datetime,
    margin: timedelta,
) -> Decision:
    steps = plan.rollout_plan
    last = len(steps) - 1
    current = read_progress(experiment, len(steps))
    verdict = evaluate_health(plan.health_gates, health)
    progress = current
    reason: str
    if verdict.breached:
        if current.step > 0:
            progress = Progress(step=current.step - 1, since=now)
            reason = f"health gate breached ({'; '.join(verdict.reasons)}): stepped back"
        else:
            progress = Progress(step=0, since=now)
            reason = f"health gate breached ({'; '.join(verdict.reasons)}): holding the first step"
    elif now >= current.since + _dwell(plan, current.step):
        if current.step == last:
            return Decision(
                action="conclude",
                reason=f"rollout plan done: {len(steps)} steps, last at {steps[last].sampling_percentage}%",
                conclusion=Conclusion(
                    outcome="completed",
                    desired_state="Completed",
                    shadow_action=plan.end_action,
                    reason=f"{STOP_REASON_PREFIX}rollout plan completed ({len(steps)} steps)",
                ),
                progress=current,
                health=verdict,
            )
        progress = Progress(step=current.step + 1, since=now)
        reason = (
            f"dwell of step {current.step + 1} done: ramped to {steps[progress.step].sampling_percentage}%"
        )
    else:
        reason = f"dwelling at step {current.step + 1} ({steps[current.step].sampling_percentage}%)"

    cap = experiment.start_time + MAX_DURATION
    needed_end = now + remaining_time(plan, progress, now) + margin
    if needed_end > cap:
        return Decision(
            action="conclude",
            reason=f"{reason}; the rest of the plan no longer fits in AWS's {MAX_EXPERIMENT_DAYS}-day limit",
            conclusion=Conclusion(
                outcome="incomplete",
                desired_state="Cancelled",
                shadow_action="Remove",
                reason=f"{STOP_REASON_PREFIX}rollout plan cannot finish within 30 days",
            ),
            progress=progress,
            health=verdict,
        )
    desired_end = min(cap, max(experiment.start_time + timedelta(days=plan.duration_days), needed_end))

    end_time = desired_end if abs(desired_end - experiment.end_time) >= END_TIME_TOLERANCE else None
    sampling = steps[progress.step].sampling_percentage
    sampling_change = sampling if sampling != experiment.sampling_percentage else None
    description = None
    if progress != current or sampling_change is not None:
        note = "; ".join(verdict.reasons) if verdict.breached else None
        description = describe_progress(title_of(experiment.description), plan, progress, note)
    update = Update(end_time=end_time, sampling_percentage=sampling_change, description=description)
    if not update.fields():
        return Decision(action="none", reason=reason, progress=progress, health=verdict)
    if end_time is not None and progress == current and sampling_change is None:
        reason = f"{reason}; end time moved to {_timestamp(desired_end)}"
    return Decision(action="update", reason=reason, update=update, progress=progress, health=verdict)


def decide(
    plan: ShadowConfig,
    experiment: ExperimentView,
    health: HealthReading | None,
    now: datetime,
    round_minutes: int,
) -> Decision:
    """The desired state of one owned experiment, restricted to what its status allows.

    `round_minutes` is the roller's period: the end time keeps one round of slack so the roller,
    not the schedule, concludes the experiment with the plan's variant actions.
    """
    margin = timedelta(minutes=round_minutes)
    if experiment.status in TRANSITIONAL_STATUSES:
        return Decision(action="skip", reason=f"{experiment.status}: no update allowed; next round")
    if experiment.status in TERMINAL_STATUSES:
        return Decision(action="none", reason=f"{experiment.status}: nothing left to roll")
    if experiment.status == "Created":
        decision = _decide_created(plan, experiment, now, margin)
    else:
        decision = _decide_running(plan, experiment, health, now, margin)
    if decision.update is not None:
        check_update_allowed(experiment.status, decision.update)
    return decision


def check_update_allowed(status: str, update: Update) -> None:
    """Raise if the update names a field the status does not allow (a bug, never sent to AWS)."""
    allowed = UPDATABLE_FIELDS.get(status, frozenset())
    extra = update.fields() - allowed
    if extra:
        raise ValueError(f"UpdateInferenceExperiment in {status} may not change {', '.join(sorted(extra))}")


# -- requests --------------------------------------------------------------------------------------
def update_request(experiment: ExperimentView, update: Update) -> dict[str, Any]:
    check_update_allowed(experiment.status, update)
    request: dict[str, Any] = {"Name": experiment.name}
    schedule: dict[str, datetime] = {}
    if update.start_time is not None:
        schedule["StartTime"] = update.start_time
    if update.end_time is not None:
        schedule["EndTime"] = update.end_time
    if schedule:
        request["Schedule"] = schedule
    if update.sampling_percentage is not None:
        request["ShadowModeConfig"] = {
            "SourceModelVariantName": experiment.source_variant,
            "ShadowModelVariants": [
                {
                    "ShadowModelVariantName": experiment.shadow_variant,
                    "SamplingPercentage": update.sampling_percentage,
                }
            ],
        }
    if update.description is not None:
        request["Description"] = update.description
    return request


def stop_request(
    experiment: ExperimentView,
    shadow_action: str,
    desired_state: str,
    reason: str,
    promotion: Literal["production", "shadow"] | PromotionCapacity = "production",
) -> dict[str, Any]:
    """StopInferenceExperiment: an action for every variant (ModelVariantActions is required).

    Remove / Retain of the shadow variant: the production variant is retained and keeps serving.
    Promote: the shadow variant replaces the production variant (Developer Guide, "Complete a shadow
    test" > "Promote a shadow variant": "This removes your current production variant from production
    and replaces it with your shadow variant."), so the production variant is `Remove`d and
    DesiredModelVariants gives the promoted variant its capacity ("There is one for each variant that
    you want to deploy after the inference experiment stops", API_StopInferenceExperiment.html): by
    default the production variant's instance type and count, which the guide recommends ("we highly
    recommend that you retain the instance count and type from the production variant when promoting
    your shadow variant"); `promotion` may keep the shadow's or set a custom one.
    """
    actions = dict.fromkeys(experiment.variant_names or [experiment.source_variant], "Retain")
    actions[experiment.source_variant] = "Retain"
    actions[experiment.shadow_variant] = shadow_action
    request: dict[str, Any] = {"Name": experiment.name}
    if shadow_action == "Promote":
        actions[experiment.source_variant] = "Remove"
        request["DesiredModelVariants"] = [promoted_variant(experiment, promotion)]
    request.update({"ModelVariantActions": actions, "DesiredState": desired_state, "Reason": reason[:1024]})
    return request


def promoted_variant(
    experiment: ExperimentView, promotion: Literal["production", "shadow"] | PromotionCapacity
) -> dict[str, Any]:
    """The shadow variant's ModelVariantConfig with the capacity it is promoted with."""
    shadow = experiment.variant(experiment.shadow_variant)
    if shadow is None:
        raise ValueError(f"{experiment.name}: the experiment does not describe its shadow variant")
    if isinstance(promotion, PromotionCapacity):
        instance_type, count = promotion.instance_type, promotion.instance_count
    else:
        source = shadow if promotion == "shadow" else experiment.variant(experiment.source_variant)
        if source is None or source.instance_type is None or source.instance_count is None:
            raise ValueError(f"{experiment.name}: no {promotion} capacity to promote the shadow variant with")
        instance_type, count = source.instance_type, source.instance_count
    return {
        "ModelName": shadow.model_name,
        "VariantName": shadow.variant_name,
        "InfrastructureConfig": {
            "InfrastructureType": "RealTimeInference",
            "RealTimeInferenceConfig": {"InstanceType": instance_type, "InstanceCount": count},
        },
    }
