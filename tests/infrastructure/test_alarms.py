"""Every failure someone must see alarms to the notification topic: a message in any dead-letter
queue, a failed/timed-out/aborted compile execution, any error of any of our functions. (The roller's
partial-failure alarm is asserted in test_stack.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infrastructure.synthesis import Synthesized

pytestmark = pytest.mark.slow


def of_type(synthesized: Synthesized, kind: str) -> dict[str, dict[str, Any]]:
    return {i: r for i, r in synthesized.template["Resources"].items() if r["Type"] == kind}


def alarms(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [a["Properties"] for a in of_type(synthesized, "AWS::CloudWatch::Alarm").values()]


def to_the_topic(alarm: dict[str, Any], synthesized: Synthesized) -> bool:
    topics = set(of_type(synthesized, "AWS::SNS::Topic"))
    return bool(alarm.get("AlarmActions")) and {a.get("Ref") for a in alarm["AlarmActions"]} <= topics


def dimension_refs(alarm: dict[str, Any]) -> set[str]:
    refs = set()
    for dimension in alarm.get("Dimensions", []):
        value = dimension["Value"]
        if isinstance(value, dict):
            refs.add(value.get("Ref") or value.get("Fn::GetAtt", [""])[0])
    for query in alarm.get("Metrics", []):
        for dimension in query.get("MetricStat", {}).get("Metric", {}).get("Dimensions", []):
            value = dimension["Value"]
            if isinstance(value, dict):
                refs.add(value.get("Ref") or value.get("Fn::GetAtt", [""])[0])
    return refs


def metric_names(alarm: dict[str, Any]) -> set[str]:
    names = {alarm["MetricName"]} if "MetricName" in alarm else set()
    names |= {q["MetricStat"]["Metric"]["MetricName"] for q in alarm.get("Metrics", []) if "MetricStat" in q}
    return names


def test_every_dead_letter_queue_alarms_to_the_topic_as_soon_as_it_holds_a_message(
    synthesized: Synthesized,
) -> None:
    queues = of_type(synthesized, "AWS::SQS::Queue")

    assert queues
    for logical_id in queues:
        (alarm,) = [a for a in alarms(synthesized) if logical_id in dimension_refs(a)]
        assert metric_names(alarm) == {"ApproximateNumberOfMessagesVisible"}
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert to_the_topic(alarm, synthesized)


def test_every_state_machine_alarms_on_failed_timed_out_and_aborted_executions(
    synthesized: Synthesized,
) -> None:
    machines = of_type(synthesized, "AWS::StepFunctions::StateMachine")

    assert machines
    for logical_id in machines:
        (alarm,) = [a for a in alarms(synthesized) if logical_id in dimension_refs(a)]
        assert metric_names(alarm) == {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}
        assert alarm["Threshold"] == 1
        assert to_the_topic(alarm, synthesized)


def test_every_function_of_ours_alarms_on_errors(synthesized: Synthesized) -> None:
    functions = {
        logical_id
        for logical_id, f in of_type(synthesized, "AWS::Lambda::Function").items()
        if str(f["Properties"].get("Handler", "")).startswith("registry_autopilot.handlers.")
    }

    assert functions
    for logical_id in functions:
        (alarm,) = [
            a for a in alarms(synthesized) if "Errors" in metric_names(a) and logical_id in dimension_refs(a)
        ]
        assert alarm["Threshold"] == 1
        assert to_the_topic(alarm, synthesized)
