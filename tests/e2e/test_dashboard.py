"""No dashboard widget is silently empty and no custom metric goes unread: the functions' metrics are the
list in registry_autopilot.custom_metrics; every metric the handlers print as EMF in local runs of the
sample events and of a whole lifecycle (the lines CloudWatch turns into metrics) is in it, with the
namespace and dimensions the widgets and alarms read; and every metric in it is read by an alarm or a
dashboard widget. (tests/integration/functions prove each one is emitted in its own case.)

AWS source: CloudWatch User Guide, "Specification: Embedded metric format": "Dimensions ... A
DimensionSet is an array of strings containing the dimension keys that will be applied to all metrics
in the document", and a metric is identified by its namespace, name and dimensions ("Metrics ...
Namespace"): a widget naming another dimension set reads a different, empty metric.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

from autopilot.cost.lifecycle import _metric_definitions, run_lifecycle
from autopilot.embedded.stack import EmbeddedStack, sample_objects
from autopilot.embedded.synth import SynthesizedApp, synthesize
from registry_autopilot.custom_metrics import CUSTOM_METRICS
from tests.compile_fixtures import EVENTS

pytestmark = pytest.mark.slow

NAMESPACE = "RegistryAutopilot"
DIMENSIONS = "service=registry-autopilot"  # Powertools' default dimension, the only one


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize()


@pytest.fixture(scope="module")
def emitted(app: SynthesizedApp) -> set[tuple[str, str, str]]:
    """(namespace, dimensions, metric name) of every metric the handlers printed as EMF."""
    found = set(run_lifecycle(app).metric_definitions)
    events = [(path, json.loads(path.read_text())) for path in sorted(EVENTS.glob("*.json"))]
    events = [(path, event) for path, event in events if isinstance(event, dict) and "detail-type" in event]
    for path, event in events:  # each sample on its own stack, as `python -m autopilot replay FILE`
        with EmbeddedStack(app) as stack:
            stack.seed_from_event(event)
            for uri, fixture in sample_objects(path, event).items():
                stack.stage_object(uri, fixture.read_bytes())
            with contextlib.suppress(Exception):  # the invalid samples are rejected on purpose
                stack.send_event(event)
            found |= _metric_definitions(stack.logs.getvalue())
    return found


def _text(value: Any) -> str:
    """The dashboard body with CloudFormation references replaced by a placeholder."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_text(part) for part in parts)
    return "REF"


def dashboard_metrics(app: SynthesizedApp) -> list[list[Any]]:
    (dashboard,) = [
        r for r in app.template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    body = json.loads(_text(dashboard["Properties"]["DashboardBody"]))
    return [
        metric
        for widget in body["widgets"]
        for metric in widget.get("properties", {}).get("metrics", [])
        if isinstance(metric, list)
    ]


def _ours(metrics: list[list[Any]]) -> list[tuple[str, str, str]]:
    """(namespace, dimensions, name) of the widget metrics in the functions' namespace."""
    found = []
    for metric in metrics:
        if metric[0] != NAMESPACE:
            continue
        namespace, name, *rest = [part for part in metric if not isinstance(part, dict)]
        dimensions = ",".join(f"{key}={value}" for key, value in zip(rest[::2], rest[1::2], strict=True))
        found.append((namespace, dimensions, name))
    return found


def alarm_metrics(app: SynthesizedApp) -> list[tuple[str, str, str]]:
    """(namespace, dimensions, name) of every metric an alarm reads, math expressions included."""
    found = []
    for resource in app.template["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        stats = (
            [props]
            if "MetricName" in props
            else [
                query["MetricStat"]["Metric"] for query in props.get("Metrics", []) if "MetricStat" in query
            ]
        )
        for stat in stats:
            dimensions = ",".join(f"{d['Name']}={_text(d['Value'])}" for d in stat.get("Dimensions", []))
            found.append((_text(stat["Namespace"]), dimensions, _text(stat["MetricName"])))
    return found


def test_every_metric_the_handlers_emit_is_in_the_list_with_the_namespace_and_dimensions_read(
    emitted: set[tuple[str, str, str]],
) -> None:
    assert emitted, "the sample runs should count at least one thing that needs a person"
    assert {name for _, _, name in emitted} <= set(CUSTOM_METRICS)
    assert {(namespace, dimensions) for namespace, dimensions, _ in emitted} == {(NAMESPACE, DIMENSIONS)}


def test_every_widget_metric_of_our_namespace_is_in_the_list_with_the_dimensions_emitted(
    app: SynthesizedApp,
) -> None:
    ours = _ours(dashboard_metrics(app))

    assert ours
    assert {name for _, _, name in ours} <= set(CUSTOM_METRICS)
    assert {dimensions for _, dimensions, _ in ours} == {DIMENSIONS}


def test_every_metric_in_the_list_is_read_by_an_alarm_or_a_dashboard_widget(app: SynthesizedApp) -> None:
    alarms = [metric for metric in alarm_metrics(app) if metric[0] == NAMESPACE]
    read = {name for _, _, name in [*_ours(dashboard_metrics(app)), *alarms]}

    assert {dimensions for _, dimensions, _ in alarms} == {DIMENSIONS}
    assert set(CUSTOM_METRICS) - read == set()


def test_the_dashboard_reads_the_workflow_the_queues_and_every_alarm(app: SynthesizedApp) -> None:
    (dashboard,) = [
        r for r in app.template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    body = json.loads(_text(dashboard["Properties"]["DashboardBody"]))
    namespaces = {metric[0] for metric in dashboard_metrics(app)}
    alarm_widgets = [w for w in body["widgets"] if w["type"] == "alarm"]
    alarms = [r for r in app.template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    queues = [r for r in app.template["Resources"].values() if r["Type"] == "AWS::SQS::Queue"]
    depth = [m for m in dashboard_metrics(app) if m[:2] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible"]]

    assert {"AWS/States", "AWS/SQS", "AWS/Lambda", NAMESPACE} <= namespaces
    assert len(alarm_widgets[0]["properties"]["alarms"]) == len(alarms)
    assert len(depth) == len(queues)
    assert app.outputs["DashboardUrl"].startswith("https://console.aws.amazon.com/cloudwatch/home?region=")
