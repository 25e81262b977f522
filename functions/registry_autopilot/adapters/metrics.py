"""CloudWatch endpoint invocation metrics of a shadow test's two variants (the only module that reads
CloudWatch). Metrics: namespace AWS/SageMaker, dimensions EndpointName + VariantName; Invocations and
Invocation5XXErrors (Sum), ModelLatency (Average, microseconds) (SageMaker Developer Guide, "Amazon
SageMaker AI metrics in Amazon CloudWatch", endpoint invocation metrics)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from registry_autopilot.adapters.clients import client
from registry_autopilot.models.shadow import HealthReading

NAMESPACE = "AWS/SageMaker"


def _query(
    query_id: str, metric: str, stat: str, *, endpoint: str, variant: str, period: int
) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": NAMESPACE,
                "MetricName": metric,
                "Dimensions": [
                    {"Name": "EndpointName", "Value": endpoint},
                    {"Name": "VariantName", "Value": variant},
                ],
            },
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }


class VariantMetrics:
    # `role_arn`: the endpoint's account's access role, when the endpoint is in another account.
    def __init__(self, cloudwatch: Any | None = None, role_arn: str | None = None) -> None:
        self._cloudwatch = cloudwatch
        self._role_arn = role_arn

    @property
    def _client(self) -> Any:
        return self._cloudwatch or client("cloudwatch", self._role_arn)

    def read(
        self, endpoint: str, production: str, shadow: str, now: datetime, window: timedelta
    ) -> HealthReading:
        period = max(60, int(window.total_seconds()) // 60 * 60)
        queries = [
            _query(
                "shadowInvocations", "Invocations", "Sum", endpoint=endpoint, variant=shadow, period=period
            ),
            _query(
                "shadow5xx", "Invocation5XXErrors", "Sum", endpoint=endpoint, variant=shadow, period=period
            ),
            _query(
                "shadowLatency", "ModelLatency", "Average", endpoint=endpoint, variant=shadow, period=period
            ),
            _query(
                "productionLatency",
                "ModelLatency",
                "Average",
                endpoint=endpoint,
                variant=production,
                period=period,
            ),
        ]
        response = self._client.get_metric_data(
            MetricDataQueries=queries, StartTime=now - timedelta(seconds=period), EndTime=now
        )
        values: dict[str, float] = {}
        for result in response.get("MetricDataResults", []):
            points = [float(value) for value in result.get("Values", [])]
            if points:
                values[result["Id"]] = points[0]  # one period: at most one datapoint
        return HealthReading(
            shadow_invocations=values.get("shadowInvocations"),
            shadow_5xx=values.get("shadow5xx"),
            shadow_latency=values.get("shadowLatency"),
            production_latency=values.get("productionLatency"),
        )
