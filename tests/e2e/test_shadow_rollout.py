"""An Approved event through the synthesized rule into the shadow start function, then the synthesized
schedule rule's target, round after round, to a concluded experiment.

Everything the stack wires is read from the synthesized template: the version-approved rule's pattern
and target, the schedule rule's rate and target, the functions' handlers and environment.
Status rules of inference experiments: SageMaker API Reference, UpdateInferenceExperiment
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceExperiment.html) and
StopInferenceExperiment (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopInferenceExperiment.html).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import SynthesizedApp
from registry_autopilot.logic import shadow as logic
from tests.compile_fixtures import load_event

START = datetime(2025, 11, 24, 14, 0, tzinfo=UTC)


def roller_rate_minutes(app: SynthesizedApp) -> int:
    (rule,) = [
        rule
        for rule in app.rules
        if rule.schedule
        and any(app.functions.get(t.logical_id, "").endswith(".roller.handler") for t in rule.targets)
    ]
    assert rule.schedule is not None
    amount, unit = rule.schedule.removeprefix("rate(").removesuffix(")").split()
    assert unit in {"minute", "minutes"}
    return int(amount)


def sampling(stack: EmbeddedStack, name: str) -> int:
    described = stack.backend.client("sagemaker").describe_inference_experiment(Name=name)
    return int(described["ShadowModeConfig"]["ShadowModelVariants"][0]["SamplingPercentage"])


def test_an_approved_version_is_shadow_tested_and_rolled_to_its_conclusion_by_the_schedule(
    synthesized: SynthesizedApp,
) -> None:
    event = load_event("version-approved-by-human.json")
    rate = roller_rate_minutes(synthesized)
    with EmbeddedStack(synthesized, start_time=START) as stack:
        arn = stack.seed_from_event(event)
        assert arn is not None

        routed = stack.send_event(event)

        assert routed.matched_rules == ["RegistryEventsVersionApproved"]
        assert routed.failures == []
        (started,) = routed.function_results
        name = started["experiment"]
        assert started["started"] is True
        stack.backend.clock.advance(rate * 60)
        assert stack.backend.experiments.status(name) == "Running"
        assert sampling(stack, name) == 5

        timeline: list[tuple[timedelta, int, str]] = []
        while stack.backend.experiments.status(name) not in {"Completed", "Cancelled"}:
            assert stack.backend.clock.now() - START < timedelta(days=3), "the plan never concluded"
            (run,) = stack.run_schedule(stack.schedule_rule("roller"))
            assert run.failures == []
            (result,) = run.function_results
            for item in result["experiments"]:
                if item["outcome"] in {"updated", "concluded"}:
                    timeline.append(
                        (stack.backend.clock.now() - START, sampling(stack, name), item["outcome"])
                    )
            stack.backend.clock.advance(rate * 60)

        assert timeline == [
            (timedelta(hours=1), 25, "updated"),
            (timedelta(hours=3), 50, "updated"),
            (timedelta(hours=7), 100, "updated"),
            (timedelta(hours=15), 100, "concluded"),
        ]
        assert stack.backend.experiments.status(name) == "Completed"
        assert stack.backend.experiments.stop_actions(name) == {
            "AllTraffic": "Retain",
            "shadow-v11": "Remove",
        }  # the sample names version 11
        state = stack.model_package_state(arn)
        assert state["CustomerMetadataProperties"][logic.EXPERIMENT_KEY] == name
        assert state["CustomerMetadataProperties"][logic.OUTCOME_KEY].startswith("COMPLETED")


def test_the_state_change_our_own_outcome_write_emits_starts_nothing_new(synthesized: SynthesizedApp) -> None:
    event = load_event("version-approved-by-policy.json")
    with EmbeddedStack(synthesized, start_time=START) as stack:
        stack.seed_from_event(event)
        stack.backend.clear_records()
        stack.send_event(event)
        emitted: list[dict[str, Any]] = list(stack.backend.emitted_events)
        assert emitted, "UpdateModelPackage emits a state change, as in AWS"
        stack.backend.clear_records()

        for change in emitted:
            routed = stack.send_event(change)
            assert routed.matched_rules == ["RegistryEventsVersionApproved"]
            assert [result["started"] for result in routed.function_results] == [False]

        assert [call for call in stack.backend.writes if call.service == "sagemaker"] == []
