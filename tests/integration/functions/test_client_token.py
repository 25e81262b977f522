"""A retried attach never sends a changed request under the token of an earlier one.

AWS rules relied on:
- SageMaker API Reference, UpdateModelPackage
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html),
  ClientToken: "A unique token that guarantees that the call to this API is idempotent."
- Amazon EC2 Developer Guide, "Ensuring idempotency in Amazon EC2 API requests"
  (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html): "Idempotency ensures that
  an API request completes no more than one time. With an idempotent request, if the original request
  completes successfully, any subsequent retries complete successfully without performing any further
  actions." The same page: a retry with the same client token and changed parameters is refused.
  SageMaker names no error for that case; the embedded backend answers the one error UpdateModelPackage
  declares, ConflictException (docs/FIDELITY.md, "Where the documentation is silent").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.backend.faults import FaultPlan
from registry_autopilot import clock
from registry_autopilot.adapters.sagemaker import SageMakerRegistry
from tests.compile_fixtures import event_for
from tests.integration.functions.test_approval_handlers import EXECUTION, fixture, seed
from tests.integration.functions.test_compile_handlers import compile_all

FIRST_TRY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def fixed_clock() -> Iterator[list[datetime]]:
    now = [FIRST_TRY]
    clock.use(lambda: now[0])
    yield now
    clock.use(None)


def update_requests(backend: LocalBackend) -> list[dict[str, Any]]:
    """Every UpdateModelPackage request sent, whether it succeeded or not."""
    return [call.params for call in backend.calls if call.operation == "UpdateModelPackage"]


def assert_one_request_per_token(requests: list[dict[str, Any]]) -> None:
    by_token: dict[str, set[str]] = {}
    for request in requests:
        body = json.dumps({k: v for k, v in request.items() if k != "ClientToken"}, sort_keys=True)
        by_token.setdefault(request["ClientToken"], set()).add(body)
    assert all(len(bodies) == 1 for bodies in by_token.values()), by_token


def attach_input(backend: LocalBackend, plan_handler: Any, arn: str) -> dict[str, Any]:
    plan = plan_handler(event_for(arn))
    return {**plan, "results": compile_all(backend, plan), "execution_id": EXECUTION}


def test_given_an_attach_that_failed_when_it_is_retried_later_then_the_changed_request_carries_a_new_token(
    backend: LocalBackend, plan_handler: Any, attach_handler: Any, fixed_clock: list[datetime]
) -> None:
    arn = seed(backend, fixture("churn-xgboost-passing.json"))
    payload = attach_input(backend, plan_handler, arn)
    backend.clear_records()
    # Every attempt of the first run's write fails before SageMaker applies it: the Lambda fails and
    # Step Functions runs the step again, minutes later.
    backend.faults = FaultPlan(
        share=1.0, kinds=("internal",), services=frozenset({"sagemaker"}), operations={"UpdateModelPackage"}
    )
    with pytest.raises(Exception, match="InternalFailure"):
        attach_handler(payload)
    backend.faults = None
    fixed_clock[0] = FIRST_TRY + timedelta(minutes=7)

    attach_handler(payload)

    first, retried = [r for r in update_requests(backend) if "ModelCard" not in r]  # the decision's
    assert first["CustomerMetadataProperties"] != retried["CustomerMetadataProperties"]  # decided-at
    assert first["ClientToken"] != retried["ClientToken"]
    assert_one_request_per_token([first, retried])
    described = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"


def test_given_a_write_whose_response_was_lost_when_the_sdk_resends_it_then_the_same_bytes_apply_once(
    backend: LocalBackend,
    plan_handler: Any,
    attach_handler: Any,
    fixed_clock: list[datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arn = seed(backend, fixture("churn-xgboost-passing.json"))
    payload = attach_input(backend, plan_handler, arn)
    backend.clear_records()
    # The first attempt reaches SageMaker and is applied; its response is lost; the SDK retries.
    backend.faults = FaultPlan(
        share=0.5,
        kinds=("read-timeout",),
        services=frozenset({"sagemaker"}),
        operations={"UpdateModelPackage"},
        seed=_seed_failing_first_attempt_only(arn),
    )
    # The seed is chosen for the decision's write; the card's own write (after it) runs without faults.
    real = SageMakerRegistry.update_model_package

    def decision_only(self: SageMakerRegistry, request: dict[str, Any]) -> None:
        real(self, request)
        if "ModelApprovalStatus" in request and backend.faults is not None:
            injected.extend(backend.faults.injected)
            backend.faults = None

    injected: list[Any] = []
    monkeypatch.setattr(SageMakerRegistry, "update_model_package", decision_only)

    attach_handler(payload)
    attach_handler(payload)  # and the step itself runs again, a retried Lambda invocation

    assert injected, "the first attempt's response was dropped"
    assert_one_request_per_token(update_requests(backend))
    changes = [e for e in backend.emitted_events if e["detail"]["ModelPackageArn"] == arn]
    assert len(changes) == 2  # applied once: one state change for the decision, one for its card
    described = backend.client("sagemaker").describe_model_package(ModelPackageName=arn)
    names = [spec["Name"] for spec in described["AdditionalInferenceSpecifications"]]
    assert names
    assert len(names) == len(set(names))


def _seed_failing_first_attempt_only(arn: str) -> int:
    """A FaultPlan seed under which attempt 1 of this version's UpdateModelPackage fails and attempt 2
    does not (the plan's draw is a pure function of seed, call identity and attempt number)."""
    for candidate in range(500):
        plan = FaultPlan(
            share=0.5,
            kinds=("read-timeout",),
            services=frozenset({"sagemaker"}),
            operations={"UpdateModelPackage"},
            seed=candidate,
        )
        params = {"ModelPackageArn": arn}
        drawn = [plan.draw("sagemaker", "UpdateModelPackage", params) for _ in range(2)]
        if drawn == ["read-timeout", None]:
            return candidate
    raise AssertionError("no seed fails only the first attempt")
