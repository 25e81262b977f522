"""A burst of writes meets SageMaker's rate limit: the compile workflow retries an Attach step whose
write stayed throttled through the client's retries, later and with jitter, instead of failing the
execution (infra/constructs/compile_workflow.py, THROTTLED_ERRORS; docs/PERFORMANCE.md, "Bursts")."""

from __future__ import annotations

from typing import Any

import pytest

from autopilot.embedded.backend._wire import AwsError
from autopilot.embedded.backend.faults import FaultPlan
from autopilot.embedded.stack import EmbeddedStack

CLIENT_ATTEMPTS = 6  # adapters/clients.py: standard mode, 5 retries


# The failed attempt raised before it recorded a metric, which Powertools warns about at flush.
@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_an_attach_still_throttled_after_the_client_retries_is_retried_by_the_workflow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with EmbeddedStack() as stack:
        backend = stack.backend
        backend.faults = FaultPlan(share=0.0)  # botocore's back-off is recorded, not slept
        update = backend.model_packages.update
        refused: list[dict[str, Any]] = []

        def throttled_at_first(account_id: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
            if len(refused) <= CLIENT_ATTEMPTS:  # one attempt more than a single invocation makes
                refused.append(body)
                raise AwsError("ThrottlingException", "Rate exceeded", 400)
            return update(account_id, region, body)

        monkeypatch.setattr(backend.model_packages, "update", throttled_at_first)
        arn = backend.seed_model_package("churn-xgboost", framework="XGBOOST", framework_version="1.7")
        started = backend.clock.now()

        routed = stack.send_event(backend.emitted_events[-1])

        (execution,) = routed.executions
        state = stack.model_package_state(arn)
        assert execution.status == "SUCCEEDED", execution.cause
        assert len(refused) == CLIENT_ATTEMPTS + 1
        assert len(state["AdditionalInferenceSpecifications"]) == 3
        assert backend.clock.now() > started
