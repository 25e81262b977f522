"""A rate limit in the local backend's fault plan: a token bucket on the simulated clock that answers
ThrottlingException (HTTP 400, "Rate exceeded": every service's Common Errors) to attempts beyond it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.backend.faults import FaultPlan, RateLimit


@pytest.fixture
def backend() -> Iterator[LocalBackend]:
    with LocalBackend() as local:
        yield local


def _update(client: Any, arn: str, value: str) -> None:
    client.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"k": value})


def _limit(backend: LocalBackend, per_second: float, burst: float | None = None) -> FaultPlan:
    plan = FaultPlan(
        share=0.0,
        rate_limits=(RateLimit("sagemaker", "UpdateModelPackage", per_second, burst),),
        clock=backend.clock,
    )
    backend.faults = plan
    return plan


def test_attempts_beyond_the_rate_are_throttled_until_the_clock_refills_the_bucket(
    backend: LocalBackend,
) -> None:
    arn = backend.seed_model_package("rate")
    client = backend.client("sagemaker", config=Config(retries={"total_max_attempts": 1}))
    _limit(backend, per_second=2.0)

    _update(client, arn, "1")
    _update(client, arn, "2")
    with pytest.raises(ClientError) as refused:
        _update(client, arn, "3")
    backend.clock.advance(0.5)
    _update(client, arn, "4")

    assert refused.value.response["Error"]["Code"] == "ThrottlingException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_rate_limit_leaves_other_operations_alone(backend: LocalBackend) -> None:
    arn = backend.seed_model_package("rate")
    client = backend.client("sagemaker", config=Config(retries={"total_max_attempts": 1}))
    plan = _limit(backend, per_second=1.0)

    for _ in range(5):
        client.describe_model_package(ModelPackageName=arn)

    assert plan.injected == []


@pytest.fixture
def seeded_jitter() -> Iterator[None]:
    """botocore's back-off jitter draws from the random module: seeded, the test is repeatable."""
    saved = random.getstate()
    random.seed(3)
    yield
    random.setstate(saved)


@pytest.mark.usefixtures("seeded_jitter")
def test_a_throttled_client_backs_off_on_the_simulated_clock_and_gets_through(
    backend: LocalBackend,
) -> None:
    arn = backend.seed_model_package("rate")
    client = backend.client("sagemaker", config=Config(retries={"mode": "standard", "max_attempts": 5}))
    plan = _limit(backend, per_second=1.0, burst=1)
    started = backend.clock.now()

    _update(client, arn, "1")
    _update(client, arn, "2")  # the bucket is empty: retried after botocore's back-off

    assert [fault.code for fault in plan.injected] == ["ThrottlingException"] * len(plan.injected)
    assert plan.injected, "the second update met the limit"
    assert (backend.clock.now() - started).total_seconds() == pytest.approx(plan.backoff_seconds)


def test_a_rate_limit_needs_the_backends_clock() -> None:
    with pytest.raises(ValueError, match="clock"):
        FaultPlan(share=0.0, rate_limits=(RateLimit("sagemaker", "UpdateModelPackage", 10.0),))
