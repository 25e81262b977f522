"""Retries in the synthesized workflow run on the simulated clock: a failing SageMaker call is
retried with backoff, then recorded as a failed target, without stalling a local run."""

from __future__ import annotations

import time

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
        started_clock, started = backend.clock.now(), time.monotonic()

        routed = stack.send_event(backend.emitted_events[-1])

        elapsed = time.monotonic() - started
        (execution,) = routed.executions
        metadata = stack.model_package_state(arn)["CustomerMetadataProperties"]
        creates = [c for c in backend.calls if c.operation == "CreateCompilationJob"]
        assert execution.status == "SUCCEEDED"
        assert len(creates) > 3, "each target's create call is retried"
        targets = {key: value for key, value in metadata.items() if key.startswith("autopilot:neo:")}
        assert all(value.startswith("FAILED") for value in targets.values())
        assert len(targets) == 3
        assert (backend.clock.now() - started_clock).total_seconds() >= 5, "backoff is simulated time"
        assert elapsed < 30
