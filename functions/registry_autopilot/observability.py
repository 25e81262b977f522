"""Powertools Logger, Tracer and Metrics, created once per container and shared by every handler.

Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE when the
function sets them, with the project's defaults otherwise.

Custom metrics are emitted through `count` only, with a name from registry_autopilot.custom_metrics
(mypy and tests/unit/functions/test_custom_metrics.py hold every call to it), and only when the count
is not zero: CloudWatch bills a custom metric for the hours it receives data. An invocation with
nothing to count prints no metric line and no "no metrics" warning.

The Tracer is created when the first event arrives, not when a handler module is imported: creating it
loads the X-Ray SDK, which loads botocore, and together they cost more than the rest of a handler's
imports (docs/PERFORMANCE.md). It patches botocore only, before any client exists: every AWS call the
functions make goes through botocore, and patching every library X-Ray knows costs time for nothing.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from registry_autopilot.custom_metrics import CustomMetric

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "registry-autopilot")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "RegistryAutopilot")
TRACED_MODULES = ("botocore",)


class _CountsOnly(AmazonCloudWatchEMFProvider):
    """Flushes only when something was counted (an empty set is the normal case, not a mistake)."""

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        if self.metric_set or raise_on_empty_metrics:
            super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)


logger = Logger(service=SERVICE)
metrics = Metrics(provider=_CountsOnly(service=SERVICE, namespace=NAMESPACE))


def count(metric: CustomMetric, value: int = 1) -> None:
    """Add `value` to the custom metric `metric` of this invocation; zero emits nothing."""
    if value:
        metrics.add_metric(name=CustomMetric(metric).value, unit=MetricUnit.Count, value=value)


Handler = TypeVar("Handler", bound=Callable[..., Any])


@functools.cache
def tracer() -> Tracer:
    """The container's Tracer (botocore patched for X-Ray), created on first use."""
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE, patch_modules=TRACED_MODULES)


def capture_lambda_handler(handler: Handler) -> Handler:
    """`Tracer.capture_lambda_handler`, with the Tracer created by the first invocation."""
    traced: Callable[..., Any] | None = None

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        nonlocal traced
        if traced is None:
            traced = tracer().capture_lambda_handler(handler)
        return traced(event, context)

    return cast(Handler, wrapper)


__all__ = [
    "NAMESPACE",
    "SERVICE",
    "CustomMetric",
    "capture_lambda_handler",
    "count",
    "logger",
    "metrics",
    "tracer",
]
