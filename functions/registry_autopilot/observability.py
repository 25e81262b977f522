"""Powertools Logger, Tracer and Metrics, created once per container and shared by every handler.

Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE when the
function sets them, with the project's defaults otherwise.

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

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "registry-autopilot")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "RegistryAutopilot")
TRACED_MODULES = ("botocore",)

logger = Logger(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)

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


__all__ = ["NAMESPACE", "SERVICE", "MetricUnit", "capture_lambda_handler", "logger", "metrics", "tracer"]
