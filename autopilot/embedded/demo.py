"""`make demo`: Registry Autopilot's whole lifecycle on the embedded backend, with a simulated clock.

Everything runs through the synthesized artifacts: each event goes through the synthesized
EventBridge rules' patterns into the synthesized state machine or function, whose Lambda code is the
real handlers, running in-process; SageMaker calls hit the local backend. Every state-change event
our own writes cause is delivered too, as SageMaker would send it. Compilation takes simulated
minutes and the shadow test simulated days: Wait states and the roller's schedule advance the clock.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from autopilot.embedded.stack import EmbeddedStack, Routed
from autopilot.embedded.synth import synthesize
from registry_autopilot.logic import model_card

DEMO_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
GOOD_REPORT = {"binary_classification_metrics": {"auc": {"value": 0.91}}}
WEAK_REPORT = {"binary_classification_metrics": {"auc": {"value": 0.62}}}
AUDIT_PREFIX = "autopilot:approval:"
NEO_PREFIX = "autopilot:neo:"
# Bound on roller rounds: the shipped plan needs far fewer; reaching it means the roll is stuck.
MAX_ROUNDS = 400


HEADER = "Registry Autopilot: local lifecycle demo (embedded backend, simulated clock)"


@dataclass
class Step:
    clock: str
    title: str
    lines: list[str] = field(default_factory=list)

    def render(self) -> str:
        return "\n".join(
            [f"[{self.clock}] {self.title}", *(f"                 {line}" for line in self.lines)]
        )


@dataclass
class DemoReport:
    steps: list[Step]
    versions: list[dict[str, Any]]
    experiments: list[dict[str, Any]]
    writes: list[dict[str, Any]]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "timeline": [{"clock": s.clock, "title": s.title, "details": s.lines} for s in self.steps],
            "versions": self.versions,
            "experiments": self.experiments,
            "writes": self.writes,
            "seconds": round(self.seconds, 2),
        }

    def render(self, timeline: bool = True) -> str:
        """The report for a terminal; `timeline=False` when the steps were already streamed."""
        out = [HEADER, ""] if timeline else []
        for step in self.steps if timeline else []:
            out.append(step.render())
        out += ["", "Final state of the model versions:", ""]
        out += _table(
            ("version", "approval", "attached specs", "failed targets", "shadow test"),
            [
                (
                    v["version"],
                    v["approval"],
                    ", ".join(v["specs"]) or "-",
                    ", ".join(v["failed_targets"]) or "-",
                    _short(v["shadow"], 48) or "-",
                )
                for v in self.versions
            ],
        )
        out += ["", "Model cards (Studio shows them on each version's page):", ""]
        out += [f"  {v['version']}: {v['model_card']}" for v in self.versions]
        if self.experiments:
            out += ["", "Shadow experiments:", ""]
            out += _table(
                ("experiment", "status", "shadow sampling"),
                [(e["name"], e["status"], f"{e['sampling']}%") for e in self.experiments],
            )
        counts = Counter(w["operation"] for w in self.writes)
        summary = ", ".join(f"{n} {op}" for op, n in sorted(counts.items()))
        out += ["", f"{len(self.writes)} AWS writes in all ({summary}); finished in {self.seconds:.1f} s."]
        return "\n".join(out)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, tuple("-" * w for w in widths), *rows]
    ]


def _short(value: Any, limit: int = 72) -> str:
    text = str(value or "")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_round(changes: dict[str, Any]) -> str:
    """One roller round's request, as a person reads it."""
    parts = []
    shadows = changes.get("ShadowModeConfig", {}).get("ShadowModelVariants", [])
    if shadows:
        parts.append(f"shadow sampling -> {shadows[0].get('SamplingPercentage')}%")
    if "Schedule" in changes:
        end = changes["Schedule"].get("EndTime")
        parts.append(f"end time -> {end}")
    if "ModelVariantActions" in changes:
        actions = ", ".join(
            f"{variant} {action}" for variant, action in changes["ModelVariantActions"].items()
        )
        parts.append(f"plan done, stopped ({actions})")
    return "; ".join(parts) or ", ".join(sorted(changes))


class Demo:
    def __init__(self, stack: EmbeddedStack, on_step: Callable[[Step], None] | None = None) -> None:
        self.stack = stack
        self.backend = stack.backend
        self.sagemaker = stack.backend.client("sagemaker")
        self.steps: list[Step] = []
        self.delivered = 0  # emitted events already delivered
        self._on_step = on_step
        self._streamed = 0  # steps already handed to on_step

    def add(self, step: Step) -> Step:
        """Start a step; the previous one is complete, so it is handed to `on_step` (streaming)."""
        self.flush()
        self.steps.append(step)
        return step

    def flush(self) -> None:
        if self._on_step is not None and len(self.steps) > self._streamed:
            self._on_step(self.steps[-1])
            self._streamed = len(self.steps)

    def now(self) -> str:
        return self.backend.clock.now().strftime("%a %H:%M:%S")

    def note(self, title: str) -> None:
        self.add(Step(self.now(), title))

    def version_state(self, arn: str) -> dict[str, Any]:
        with self.backend.unrecorded():
            described = self.sagemaker.describe_model_package(ModelPackageName=arn)
        return {
            "approval": described.get("ModelApprovalStatus"),
            "specs": [s["Name"] for s in described.get("AdditionalInferenceSpecifications", [])],
            "metadata": described.get("CustomerMetadataProperties", {}),
            "description": described.get("ApprovalDescription"),
            "model_card": described.get("ModelCard"),
        }

    def changes(self, arn: str, before: dict[str, Any]) -> list[str]:
        after = self.version_state(arn)
        lines = [f"attached {name}" for name in after["specs"] if name not in before["specs"]]
        audit = []
        for key, value in after["metadata"].items():
            if before["metadata"].get(key) == value:
                continue
            if key.startswith(AUDIT_PREFIX):
                audit.append(key.removeprefix(AUDIT_PREFIX))
            else:
                lines.append(f"recorded {key} = {_short(value, 60)}")
        if audit:
            lines.append(f"audit trail on the version: {', '.join(audit)}")
        if after["approval"] != before["approval"]:
            lines.append(f"approval: {before['approval']} -> {after['approval']}")
        elif after["description"] != before["description"]:
            lines.append(f"approval left {after['approval']} for a person")
        if after["description"] != before["description"] and after["description"]:
            lines.append(f"  description: {_short(after['description'], 90)}")
        return lines

    def deliver(self, title: str, event: dict[str, Any], follow: bool = True) -> Routed:
        """Deliver one event, report what it changed, then deliver the events our writes caused."""
        arn = str((event.get("resources") or [""])[0])
        before = self.version_state(arn) if ":model-package/" in arn else None
        writes_before = len(self.backend.writes)
        step = self.add(Step(self.now(), title))
        started = self.backend.clock.now()
        routed = self.stack.send_event(event)
        waited = int((self.backend.clock.now() - started).total_seconds()) // 60
        if not routed.matched_rules:
            step.lines.append("no rule matches it: nothing runs")
        for rule in routed.matched_rules:
            step.lines.append(f"rule {rule} matches")
        for execution in routed.executions:
            step.lines.append(
                f"compile workflow {execution.status.lower()}: {len(execution.states_entered())} states"
                + (f", resumed by the compile watcher after {waited} simulated minutes" if waited else "")
            )
            if execution.status != "SUCCEEDED":
                step.lines.append(f"  {execution.error}: {_short(execution.cause, 90)}")
        for result in routed.function_results:
            if isinstance(result, dict) and result.get("experiment"):
                step.lines.append(
                    f"shadow test {result['experiment']} "
                    + (
                        f"started at {result.get('sampling_percentage')}% sampling"
                        if result.get("started")
                        else f"not started: {result.get('reason')}"
                    )
                )
        step.lines += [f"failed: {failure}" for failure in routed.failures]
        if before is not None:
            step.lines += self.changes(arn, before)
        new_writes = Counter(call.operation for call in self.backend.writes[writes_before:])
        summary = ", ".join(f"{count} {operation}" for operation, count in sorted(new_writes.items()))
        step.lines.append(f"AWS writes: {sum(new_writes.values())}" + (f" ({summary})" if summary else ""))
        if follow:
            self.follow()
        return routed

    def follow(self) -> None:
        """Deliver the state changes SageMaker emitted for our writes, until there are none."""
        while self.delivered < len(self.backend.emitted_events):
            event = self.backend.emitted_events[self.delivered]
            self.delivered += 1
            status = event.get("detail", {}).get("ModelApprovalStatus")
            version = str((event.get("resources") or ["?"])[0]).split("/", 1)[-1]
            self.deliver(f"SageMaker reports our update of {version} ({status}); it comes back", event, False)

    def register(self, group: str, **seed: Any) -> str:
        arn = self.backend.seed_model_package(group, **seed)
        self.note(f"a data scientist registers {arn.split('/', 1)[1]}")
        event = self.backend.emitted_events[-1]
        self.delivered = len(self.backend.emitted_events)
        self.deliver("SageMaker sends 'Model Package State Change' (Completed, PendingManualApproval)", event)
        return arn

    def roll(self) -> None:
        """Scheduled roller rounds until no owned experiment is left running."""
        schedule = self.stack.app.config.roller_schedule_minutes
        for _ in range(MAX_ROUNDS):
            self.backend.clock.advance(schedule * 60)
            changed: list[str] = []
            active = False
            for run in self.stack.run_schedule(self.stack.schedule_rule("roller")):
                changed += [f"failed: {failure}" for failure in run.failures]
                for result in run.function_results:
                    for item in result.get("experiments", []):
                        if item.get("status") not in ("Completed", "Cancelled"):
                            active = True
                        if item.get("changes"):
                            changed.append(f"{item['experiment']}: {_describe_round(item['changes'])}")
                        elif item.get("outcome") not in ("waiting", "unchanged", "skipped", "holding"):
                            changed.append(f"{item['outcome']}: {_short(item.get('reason'), 80)}")
            if changed:
                self.add(Step(self.now(), "the roller's scheduled round", changed))
                self.follow()
            if not active:
                return


def run_demo(
    on_step: Callable[[Step], None] | None = None,
    *,
    prepare: Callable[[EmbeddedStack], object] | None = None,
    inspect: Callable[[EmbeddedStack], object] | None = None,
) -> DemoReport:
    """The lifecycle; `on_step` gets each timeline step as soon as it is complete. `prepare` runs on
    the fresh local stack first (e.g. deploy it locally), `inspect` on the account the run leaves."""
    started = time.monotonic()
    app = synthesize()
    with EmbeddedStack(app, start_time=DEMO_START) as stack:
        if prepare is not None:
            prepare(stack)
        demo = Demo(stack, on_step)
        backend = stack.backend
        # The Graviton build fails on purpose; every other compilation takes a few polls.
        backend.compilation_jobs.fail_target("ml_c6g", "ClientError: operator not supported on ml_c6g")
        backend.compilation_jobs.default_script = ["STARTING", "INPROGRESS", "INPROGRESS", "COMPLETED"]
        stack.seed_shadow_endpoint("churn-xgboost")

        xgb = {"framework": "XGBOOST", "framework_version": "1.7", "content_types": ("text/csv",)}
        churn_v1 = demo.register("churn-xgboost", evaluation_report=GOOD_REPORT, **xgb)
        registration = next(e for e in backend.emitted_events if e["resources"] == [churn_v1])
        demo.deliver("EventBridge delivers the same registration again (at-least-once)", registration)
        demo.register("churn-xgboost", evaluation_report=WEAK_REPORT, **xgb)
        demo.register("fraud-pytorch")
        demo.register("sandbox-experiments")
        demo.roll()
        demo.flush()

        versions = []
        with backend.unrecorded():
            for group in ("churn-xgboost", "fraud-pytorch"):
                listed = demo.sagemaker.list_model_packages(ModelPackageGroupName=group)
                for summary in listed["ModelPackageSummaryList"]:
                    arn = summary["ModelPackageArn"]
                    state = demo.version_state(arn)
                    versions.append(
                        {
                            "version": arn.split("/", 1)[1],
                            "approval": state["approval"],
                            "specs": state["specs"],
                            "failed_targets": [
                                key.removeprefix(NEO_PREFIX)
                                for key, value in state["metadata"].items()
                                if key.startswith(NEO_PREFIX) and value.startswith("FAILED")
                            ],
                            "shadow": state["metadata"].get("autopilot:shadow:outcome", ""),
                            "metadata": state["metadata"],
                            "model_card": model_card.summary(state["model_card"]),
                        }
                    )
            experiments = []
            for item in demo.sagemaker.list_inference_experiments().get("InferenceExperiments", []):
                described = demo.sagemaker.describe_inference_experiment(Name=item["Name"])
                shadows = described.get("ShadowModeConfig", {}).get("ShadowModelVariants", [])
                experiments.append(
                    {
                        "name": item["Name"],
                        "status": item["Status"],
                        "sampling": shadows[0]["SamplingPercentage"] if shadows else 0,
                    }
                )
        writes = stack.writes()
        if inspect is not None:
            inspect(stack)
    return DemoReport(
        steps=demo.steps,
        versions=sorted(versions, key=lambda v: v["version"]),
        experiments=experiments,
        writes=writes,
        seconds=time.monotonic() - started,
    )


if __name__ == "__main__":
    print(run_demo().render(), file=sys.stdout)
