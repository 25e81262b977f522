"""`make demo`: Registry Autopilot's lifecycle on the embedded backend, with a simulated clock.

Everything runs through the synthesized artifacts: each event goes through the synthesized
EventBridge rules' patterns into the synthesized compile state machine, whose Lambda tasks run the
real handlers in-process and whose SageMaker tasks hit the local backend. Compilation takes
simulated minutes: Wait states advance the clock instead of sleeping.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from autopilot.local import LocalStack, Routed
from autopilot.synth import synthesize

DEMO_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class Step:
    clock: str
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass
class DemoReport:
    steps: list[Step]
    versions: list[dict[str, Any]]
    writes: list[dict[str, Any]]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "timeline": [{"clock": s.clock, "title": s.title, "details": s.lines} for s in self.steps],
            "versions": self.versions,
            "writes": self.writes,
            "seconds": round(self.seconds, 2),
        }

    def render(self) -> str:
        out = ["Registry Autopilot: local lifecycle demo (embedded backend, simulated clock)", ""]
        for step in self.steps:
            out.append(f"[{step.clock}] {step.title}")
            out += [f"           {line}" for line in step.lines]
        out += ["", "Final state of the model versions:", ""]
        header = ("version", "approval", "attached specs", "recorded failures")
        rows = [
            (
                v["version"],
                v["approval"],
                ", ".join(v["specs"]) or "-",
                ", ".join(f"{k.rsplit(':', 1)[-1]}: {_short(val, 48)}" for k, val in v["failures"].items())
                or "-",
            )
            for v in self.versions
        ]
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, tuple("-" * w for w in widths), *rows]:
            out.append("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
        out += ["", f"{len(self.writes)} AWS writes in all; finished in {self.seconds:.1f} s."]
        return "\n".join(out)


def _short(value: Any, limit: int = 72) -> str:
    text = str(value or "")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(routed: Routed) -> list[str]:
    if not routed.matched_rules:
        return ["no rule matched: the event is not for a watched group or state; nothing ran"]
    lines = [f"matched rule {', '.join(routed.matched_rules)}"]
    for execution in routed.executions:
        output = execution.output or {}
        states = execution.states_entered()
        lines.append(
            f"compile workflow {execution.status.lower()} after {len(states)} states, "
            f"{sum(execution.waits) // 60} simulated minutes of polling"
        )
        if execution.status != "SUCCEEDED":
            lines.append(f"  error: {execution.error}: {execution.cause}")
            continue
        attach = output.get("attach") or {}
        if not output.get("has_work", True):
            lines.append(f"  nothing to do: {output.get('reason') or 'every target already handled'}")
            for skipped in output.get("skipped", []) or []:
                lines.append(f"  skipped  {skipped.get('target')}: {_short(skipped.get('reason'))}")
        for name in attach.get("attached", []) or []:
            lines.append(f"  attached {name}")
        for failure in attach.get("failed", []) or []:
            lines.append(f"  failed   {failure.get('target')}: {_short(failure.get('reason'))}")
        for note in attach.get("not_attached", []) or []:
            lines.append(f"  not attached {note.get('target')}: {_short(note.get('reason'))}")
    return lines


def run_demo() -> DemoReport:
    started = time.monotonic()
    app = synthesize()
    steps: list[Step] = []
    with LocalStack(app, start_time=DEMO_START) as stack:
        backend = stack.backend
        sagemaker = backend.client("sagemaker")

        def now() -> str:
            return backend.clock.now().strftime("%H:%M:%S")

        def deliver(title: str, event: dict[str, Any]) -> Routed:
            writes_before = len(backend.writes)
            step = Step(now(), title)
            routed = stack.send_event(event)
            step.lines += _describe(routed)
            new_writes = Counter(call.operation for call in backend.writes[writes_before:])
            summary = ", ".join(f"{count} {operation}" for operation, count in sorted(new_writes.items()))
            step.lines.append(
                f"AWS writes: {sum(new_writes.values())}" + (f" ({summary})" if summary else "")
            )
            if routed.executions:
                step.lines.append(f"done at {now()}")
            steps.append(step)
            return routed

        # A compile that fails for one target: the Graviton build of the XGBoost model.
        backend.compilation_jobs.fail_target("ml_c6g", "ClientError: operator not supported on ml_c6g")
        backend.compilation_jobs.default_script = ["STARTING", "INPROGRESS", "INPROGRESS", "COMPLETED"]

        churn_arn = backend.seed_model_package(
            "churn-xgboost", framework="XGBOOST", framework_version="1.7", content_types=("text/csv",)
        )
        registration = backend.emitted_events[-1]
        steps.append(Step(now(), f"data scientist registers {churn_arn.split('/', 1)[1]}"))
        deliver(
            "SageMaker sends 'Model Package State Change' (Completed, PendingManualApproval)", registration
        )
        deliver("EventBridge delivers the same event again (at-least-once)", registration)

        own_events = [e for e in backend.emitted_events if e["resources"] == [churn_arn]][1:]
        for event in own_events:
            deliver("our UpdateModelPackage emits its own state change; it comes back", event)

        fraud_arn = backend.seed_model_package("fraud-pytorch")
        steps.append(Step(now(), f"data scientist registers {fraud_arn.split('/', 1)[1]}"))
        deliver(
            "state change for the PyTorch version (InputConfig from the primary container)",
            backend.emitted_events[-1],
        )

        other_arn = backend.seed_model_package("sandbox-experiments")
        steps.append(Step(now(), f"someone registers {other_arn.split('/', 1)[1]} (unwatched group)"))
        deliver("state change from an unwatched group", backend.emitted_events[-1])

        versions = []
        for arn in (churn_arn, fraud_arn):
            described = sagemaker.describe_model_package(ModelPackageName=arn)
            metadata = described.get("CustomerMetadataProperties", {})
            versions.append(
                {
                    "version": arn.split("/", 1)[1],
                    "approval": described.get("ModelApprovalStatus"),
                    "specs": [s["Name"] for s in described.get("AdditionalInferenceSpecifications", [])],
                    "failures": {k: v for k, v in metadata.items() if "FAILED" in v or "failed" in k},
                }
            )
        writes = stack.writes()
    return DemoReport(steps=steps, versions=versions, writes=writes, seconds=time.monotonic() - started)


if __name__ == "__main__":
    print(run_demo().render(), file=sys.stdout)
