"""Powertools Logger, Tracer and Metrics, created once per container and shared by every handler.

Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE when the
function sets them, with the project's defaults otherwise.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "registry-autopilot")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "RegistryAutopilot")

logger = Logger(service=SERVICE)
# Tracer patches botocore once here, so every client the adapters create later is traced.
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)

__all__ = ["NAMESPACE", "SERVICE", "MetricUnit", "logger", "metrics", "tracer"]
