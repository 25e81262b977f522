"""`python -m autopilot replay`: events through the synthesized rules until nothing changes.

Each event is delivered the way EventBridge would deliver it (our matcher against the synthesized
rules' patterns, into the synthesized state machine or function). Every event the backend emits
because of our own writes (SageMaker sends a state change for each UpdateModelPackage) is delivered
in turn, until the queue is empty. A loop would show up as a queue that never empties: delivery
stops at a bound and the report says so.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autopilot.local import LocalStack, Routed
from autopilot.synth import shipped_config, synthesize
from registry_autopilot.models.config import AutopilotConfig, GroupConfig, NeoTarget

# More deliveries than any real lifecycle needs; reaching it means events keep causing events.
MAX_DELIVERIES = 1_000
# What `--watch GROUP` configures for a group cdk.json does not list: one cloud target, manual approval.
WATCH_DEFAULT_TARGET = NeoTarget(name="ml-c5", target_device="ml_c5")


@dataclass
class Delivery:
    source: str  # the file it came from, or the write that emitted it
    event_id: str
    outcome: str  # "ran" | "no rule matched" | "rejected" | "failed"
    rules: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass
class ReplayReport:
    deliveries: list[Delivery]
    versions: list[dict[str, Any]]
    experiments: list[dict[str, Any]]
    writes: list[dict[str, Any]]
    stopped_early: bool
    schedule_rounds: int = 0  # scheduled roller rounds run after the events settled

    @property
    def rejected(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.outcome in ("rejected", "failed")]

    def as_dict(self) -> dict[str, Any]:
        return {
            "deliveries": [vars(d) for d in self.deliveries],
            "versions": self.versions,
            "experiments": self.experiments,
            "writes": self.writes,
            "rejected": [vars(d) for d in self.rejected],
            "stopped_early": self.stopped_early,
            "schedule_rounds": self.schedule_rounds,
        }

    def render(self) -> str:
        out = [f"{len(self.deliveries)} deliveries:"]
        for d in self.deliveries:
            rules = f" -> {', '.join(d.rules)}" if d.rules else ""
            detail = f": {d.detail}" if d.detail else ""
            out.append(f"  {d.source} [{d.event_id[:8] or '-'}] {d.outcome}{rules}{detail}")
        if self.stopped_early:
            out.append(f"  stopped after {MAX_DELIVERIES} deliveries: events keep causing events")
        if self.schedule_rounds:
            out.append(
                f"  {self.schedule_rounds} scheduled rounds ran (rounds that wrote nothing are not listed)"
            )
        out.append("")
        out.append("model package versions:")
        for v in self.versions:
            out.append(
                f"  {v['version']}: {v['approval']}; specs: {', '.join(v['specs']) or '-'}; "
                f"metadata: {json.dumps(v['metadata'], sort_keys=True) if v['metadata'] else '-'}"
            )
        if self.experiments:
            out.append("inference experiments:")
            out += [f"  {e['name']}: {e['status']}" for e in self.experiments]
        counts = Counter(f"{w['service']}:{w['operation']}" for w in self.writes)
        out.append(f"AWS writes: {len(self.writes)}")
        out += [f"  {count} x {operation}" for operation, count in sorted(counts.items())]
        out.append(f"rejected or failed: {len(self.rejected)}")
        out += [f"  {d.source}: {d.detail}" for d in self.rejected]
        return "\n".join(out)


def config_watching(groups: list[str]) -> AutopilotConfig:
    """cdk.json's configuration, plus `groups` watched with the default policy."""
    config = shipped_config()
    added = {
        name: GroupConfig(neo_targets=[WATCH_DEFAULT_TARGET]) for name in groups if name not in config.groups
    }
    if not added:
        return config
    raw = config.model_dump(mode="json", by_alias=True)
    raw["groups"].update(
        {name: group.model_dump(mode="json", by_alias=True) for name, group in added.items()}
    )
    return AutopilotConfig.model_validate(raw)


def eventbridge_shape_problem(event: Any) -> str | None:
    """What PutEvents would refuse: an entry needs Source, DetailType and a JSON-object Detail."""
    if not isinstance(event, dict):
        return f"not an EventBridge event: a JSON {type(event).__name__}, not an object"
    for key in ("source", "detail-type"):
        if not isinstance(event.get(key), str) or not event[key]:
            return f"not an EventBridge event: '{key}' is missing or not a string"
    if not isinstance(event.get("detail"), dict):
        return "not an EventBridge event: 'detail' is missing or not a JSON object"
    return None


def _classify(routed: Routed) -> tuple[str, str]:
    if not routed.matched_rules:
        return "no rule matched", ""
    for execution in routed.executions:
        if execution.status != "SUCCEEDED":
            outcome = "rejected" if execution.error == "InvalidInput" else "failed"
            cause = execution.cause or ""
            with contextlib.suppress(ValueError, AttributeError):
                cause = json.loads(cause).get("errorMessage", cause)
            return outcome, f"{execution.error}: {cause}"
    if routed.failures:
        return "failed", "; ".join(routed.failures)
    return "ran", ""


def _versions(stack: LocalStack) -> list[dict[str, Any]]:
    sagemaker = stack.backend.client("sagemaker")
    versions = []
    with stack.backend.unrecorded():
        for group in sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]:
            name = group["ModelPackageGroupName"]
            for summary in sagemaker.list_model_packages(ModelPackageGroupName=name)[
                "ModelPackageSummaryList"
            ]:
                described = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
                versions.append(
                    {
                        "version": f"{name}/{described.get('ModelPackageVersion')}",
                        "approval": described.get("ModelApprovalStatus"),
                        "specs": [s["Name"] for s in described.get("AdditionalInferenceSpecifications", [])],
                        "metadata": described.get("CustomerMetadataProperties", {}),
                    }
                )
    return sorted(versions, key=lambda v: v["version"])


def _experiments(stack: LocalStack) -> list[dict[str, Any]]:
    sagemaker = stack.backend.client("sagemaker")
    with stack.backend.unrecorded():
        listed = sagemaker.list_inference_experiments().get("InferenceExperiments", [])
    return [{"name": e["Name"], "status": e["Status"]} for e in listed]


def replay(
    files: list[Path],
    *,
    repeat: int = 1,
    shuffle: bool = False,
    seed: int = 0,
    watch: list[str] | None = None,
    objects: dict[str, bytes] | None = None,
    schedule_rounds: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayReport:
    """Deliver `files` (and what they cause); `objects` (S3 URI -> body) are put in the local S3
    first; then `schedule_rounds` times, advance the clock by the roller's rate and fire the schedule
    rules, delivering what those rounds cause. `progress(delivered, queued)` after each delivery."""
    loaded = [(path.name, json.loads(path.read_text(encoding="utf-8"))) for path in files]
    queue = [item for item in loaded for _ in range(repeat)]
    if shuffle:
        random.Random(seed).shuffle(queue)
    app = synthesize(config_watching(watch or []))
    deliveries: list[Delivery] = []
    first_event = next((event for _, event in loaded if isinstance(event, dict)), None)
    account = str(first_event.get("account", "")) if first_event else ""
    region = str(first_event.get("region", "")) if first_event else ""
    location = {"account_id": account, "region": region} if account.isdigit() and region else {}
    with LocalStack(app, **location) as stack:  # type: ignore[arg-type]
        stack.keep_history = False  # replay reports outcomes, not the states each execution entered
        for _, event in loaded:
            stack.seed_from_event(event)
        for uri, body in (objects or {}).items():
            stack.stage_object(uri, body)
        stack.backend.clear_records()
        emitted_seen = 0

        def follow_our_writes() -> None:
            nonlocal emitted_seen
            for emitted in stack.backend.emitted_events[emitted_seen:]:
                arn = (emitted.get("resources") or ["?"])[0]
                queue.append((f"state change of {arn.split('/', 1)[-1]} after our write", emitted))
            emitted_seen = len(stack.backend.emitted_events)

        rounds_run = 0
        for round_number in range(schedule_rounds + 1):
            if round_number:
                if not _experiments_in_progress(stack):
                    break  # nothing left to roll: later rounds would change nothing
                stack.backend.clock.advance(app.config.roller_schedule_minutes * 60)
                writes_before = len(stack.backend.writes)
                rounds_run += 1
                for run in stack.run_schedule():
                    if run.failures or len(stack.backend.writes) > writes_before:  # quiet rounds unlisted
                        source = f"schedule round {round_number} at {run.event['time']}"
                        outcome = "failed" if run.failures else "ran"
                        detail = "; ".join(run.failures)
                        deliveries.append(Delivery(source, run.event["id"], outcome, [run.rule], detail))
                follow_our_writes()
            while queue and len(deliveries) < MAX_DELIVERIES:
                source, event = queue.pop(0)
                problem = eventbridge_shape_problem(event)
                if problem:
                    deliveries.append(Delivery(source, "", "rejected", detail=problem))
                    continue
                routed = stack.send_event(event)
                outcome, detail = _classify(routed)
                rules = list(routed.matched_rules)
                deliveries.append(Delivery(source, str(event.get("id", "")), outcome, rules, detail))
                follow_our_writes()
                if progress is not None:
                    progress(len(deliveries), len(queue))
            if queue:
                break
        return ReplayReport(
            deliveries=deliveries,
            versions=_versions(stack),
            experiments=_experiments(stack),
            writes=stack.writes(),
            stopped_early=bool(queue),
            schedule_rounds=rounds_run,
        )


def _experiments_in_progress(stack: LocalStack) -> bool:
    return any(e["status"] not in ("Completed", "Cancelled") for e in _experiments(stack))
