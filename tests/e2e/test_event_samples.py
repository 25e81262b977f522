"""Every sample in events/ goes exactly where events/meta/manifest.json says, through the synthesized
rules' patterns (our EventBridge matcher) and the handler it is meant for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autopilot.embedded.stack import EmbeddedStack, rules_reached
from autopilot.embedded.synth import SynthesizedApp, synthesize
from registry_autopilot.models.errors import InvalidInput

EVENTS = Path(__file__).resolve().parents[2] / "events"
MANIFEST: dict[str, dict[str, Any]] = json.loads((EVENTS / "meta" / "manifest.json").read_text())["events"]


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize()


def test_the_manifest_lists_every_sample_event_and_task_input_and_nothing_else() -> None:
    samples = {path.name for path in EVENTS.glob("*.json")}
    samples |= {f"task-inputs/{path.name}" for path in (EVENTS / "task-inputs").glob("*.json")}
    samples |= {f"retry/{path.name}" for path in (EVENTS / "retry").glob("*.json")}

    assert set(MANIFEST) == samples


def test_the_events_glob_holds_only_eventbridge_events() -> None:
    """`replay events/*.json` delivers what the glob holds: task inputs and the manifest live in
    subfolders, so every top-level file is an event (source, detail-type, detail)."""
    for path in EVENTS.glob("*.json"):
        event = json.loads(path.read_text())
        assert {"source", "detail-type", "detail"} <= set(event), path.name


def test_every_sample_event_has_its_own_event_id_and_its_own_version() -> None:
    """EventBridge gives every event its own id; a sample about a version owns that version, so a
    replay of all samples shows each one's outcome instead of the first one's."""
    events = {path.name: json.loads(path.read_text()) for path in EVENTS.glob("*.json")}
    ids = [event["id"] for event in events.values() if "id" in event]
    arns = [
        event["detail"]["ModelPackageArn"]
        for event in events.values()
        if "ModelPackageArn" in event["detail"]
    ]

    assert len(ids) == len(set(ids)) == len(events)
    assert len(arns) == len(set(arns))


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_a_sample_matches_exactly_the_rules_the_manifest_names(app: SynthesizedApp, name: str) -> None:
    event = json.loads((EVENTS / name).read_text())

    matched = sorted(rule.name for rule in rules_reached(app, event))

    assert matched == sorted(MANIFEST[name]["rules"])


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_a_sample_is_accepted_or_rejected_by_its_handler_as_the_manifest_says(
    app: SynthesizedApp, name: str
) -> None:
    entry = MANIFEST[name]
    event = json.loads((EVENTS / name).read_text())

    with EmbeddedStack(app) as stack:
        stack.seed_from_event(event)
        stack.backend.clear_records()
        function = stack.function_for_handler(entry["handler"])
        if entry["outcome"] == "rejected":
            with pytest.raises(InvalidInput):
                stack.invoke_function(function, event)
            assert stack.backend.writes == []
        else:
            result = stack.invoke_function(function, event)
            if "skipped" in entry:  # nothing to compile, the reason recorded in the result, no write
                assert result["has_work"] is False
                assert entry["skipped"] in result["reason"]
                assert stack.backend.writes == []
            else:
                assert _outcome(result, entry["expected"]) == entry["expected"]
                assert [write.operation for write in stack.backend.writes] == entry["writes"]


def test_every_accepted_sample_names_its_outcome_in_the_manifest() -> None:
    """An accepted sample with no expected outcome would pass on anything its handler returns."""
    for name, entry in MANIFEST.items():
        if entry["outcome"] == "accepted":
            assert "skipped" in entry or ("expected" in entry and "writes" in entry), name


def _outcome(result: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """The keys the manifest names, from a handler's result: targets and failures by target name, the
    approval by its action."""
    summary = dict(result)
    if "targets" in summary:
        summary["targets"] = [target["target"] for target in summary["targets"]]
    if "failed" in summary:
        summary["failed"] = [failure["target"] for failure in summary["failed"]]
    if isinstance(summary.get("approval"), dict):
        summary["approval"] = summary["approval"]["action"]
    return {key: summary.get(key, "<absent>") for key in expected}
