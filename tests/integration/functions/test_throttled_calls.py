"""SageMaker calls still throttled after the client's retries come out as one named error, which the
compile workflow retries by name (Lambda error types are the exception's class name: Step Functions
Developer Guide, "Handling errors in Step Functions workflows")."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.backend.faults import FaultPlan
from registry_autopilot.adapters.sagemaker import SageMakerRegistry, SageMakerThrottled


def test_an_update_throttled_on_every_attempt_raises_sagemaker_throttled(backend: LocalBackend) -> None:
    arn = backend.seed_model_package("churn-xgboost")
    plan = FaultPlan(share=1.0, kinds=("throttling",), operations=frozenset({"UpdateModelPackage"}))
    backend.faults = plan

    with pytest.raises(SageMakerThrottled, match=r"UpdateModelPackage.*ThrottlingException"):
        SageMakerRegistry().update_model_package({"ModelPackageArn": arn, "ApprovalDescription": "x"})

    (call,) = plan.calls
    assert call.attempts == call.limit == 6  # the client's own retries came first


def test_a_describe_throttled_on_every_attempt_raises_sagemaker_throttled(backend: LocalBackend) -> None:
    arn = backend.seed_model_package("churn-xgboost")
    backend.faults = FaultPlan(
        share=1.0, kinds=("throttling",), operations=frozenset({"DescribeModelPackage"})
    )

    with pytest.raises(SageMakerThrottled, match="DescribeModelPackage"):
        SageMakerRegistry().describe_model_package(arn)


def test_other_errors_keep_their_own_type(backend: LocalBackend) -> None:
    backend.seed_model_package("churn-xgboost")
    missing = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-xgboost/99"

    with pytest.raises(ClientError) as raised:
        SageMakerRegistry().update_model_package({"ModelPackageArn": missing, "ApprovalDescription": "x"})

    assert not isinstance(raised.value, SageMakerThrottled)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
