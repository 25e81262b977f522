"""Retries in the synthesized workflow run on the simulated clock: a failing SageMaker call is
retried with backoff, then recorded as a failed target, without stalling a local run."""

from __future__ import annotations

from typing import Any

import pytest

from autopilot.embedded.backend._wire import AwsError
from autopilot.embedded.stack import EmbeddedStack


def test_a_create_call_that_keeps_failing_is_retried_then_recorded_as_a_failed_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with EmbeddedStack() as stack:
        backend = stack.backend

        def refuse(body: dict[str, object]) -> None:
            raise AwsError("ThrottlingException", "Rate exceeded", 400)

        monkeypatch.setattr(backend.compilation_jobs, "check_create", refuse)
        arn = backend.seed_model_package("churn-xgboost", framework="XGBOOST", framework_version="1.7")
        started_clock = backend.clock.now()

        routed = stack.send_event(backend.emitted_events[-1])

        (execution,) = routed.executions
        metadata = stack.model_package_state(arn)["CustomerMetadataProperties"]
        creates = [c for c in backend.calls if c.operation == "CreateCompilationJob"]
        assert execution.status == "SUCCEEDED"
        # Each target's create is made once, then retried as often as the synthesized Retry allows
        # (Step Functions Developer Guide, "Handling errors": MaxAttempts counts the retries).
        assert len(creates) == 3 * (
            1 + _create_retries(stack.app.state_machines, "SageMaker.ThrottlingException")
        )
        targets = {key: value for key, value in metadata.items() if key.startswith("autopilot:neo:")}
        assert all(value.startswith("FAILED") for value in targets.values())
        assert len(targets) == 3
        assert (backend.clock.now() - started_clock).total_seconds() >= 5, "backoff is simulated time"


def _create_retries(machines: dict[str, dict[str, Any]], error: str) -> int:
    """MaxAttempts of the Retry rule naming `error` on every CreateCompilationJob task of the
    definition (nested in the Map's item processor); they must agree."""
    found: set[int] = set()

    def walk(states: dict[str, Any]) -> None:
        for state in states.values():
            for nested in (
                state.get("ItemProcessor") or state.get("Iterator") or {},
                *state.get("Branches", []),
            ):
                walk(nested.get("States", {}))
            if str(state.get("Resource", "")).endswith(":sagemaker:createCompilationJob"):
                found.update(
                    int(rule.get("MaxAttempts", 3))
                    for rule in state.get("Retry", [])
                    if error in rule["ErrorEquals"]
                )

    for definition in machines.values():
        walk(definition["States"])
    (retries,) = found
    return retries
