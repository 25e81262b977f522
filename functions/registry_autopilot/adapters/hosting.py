"""SageMaker hosting reads and writes for shadow tests: the endpoint's production variant, models made
from a model package version, and the version itself (the only module that calls these operations)."""

from __future__ import annotations

from typing import Any

from registry_autopilot.adapters.clients import client
from registry_autopilot.adapters.experiments import error_code
from registry_autopilot.models.errors import ModelPackageNotFound
from registry_autopilot.models.shadow import ProductionVariant, ShadowVersion


class EndpointNotReady(LookupError):
    """The configured endpoint or its production variant cannot host a shadow test (a configuration
    or deployment problem: the invocation fails, is retried, then lands in the dead-letter queue)."""


class Hosting:
    def __init__(self, sagemaker: Any | None = None) -> None:
        self._sagemaker = sagemaker

    @property
    def _client(self) -> Any:
        return self._sagemaker or client("sagemaker")

    def describe_version(self, arn: str) -> ShadowVersion:
        try:
            response = self._client.describe_model_package(ModelPackageName=arn)
        except Exception as exc:
            if error_code(exc) in {"ValidationException", "ResourceNotFound"} and "exist" in str(exc):
                raise ModelPackageNotFound(f"model package {arn} does not exist") from exc
            raise
        return ShadowVersion.model_validate(response)

    def production_variant(self, endpoint: str, variant: str) -> ProductionVariant:
        """The variant's model and capacity, from the endpoint's current endpoint config."""
        try:
            described = self._client.describe_endpoint(EndpointName=endpoint)
        except Exception as exc:
            if error_code(exc) == "ValidationException":
                raise EndpointNotReady(f"shadow.endpointName: endpoint {endpoint!r} not found") from exc
            raise
        config = self._client.describe_endpoint_config(EndpointConfigName=described["EndpointConfigName"])
        for item in config.get("ProductionVariants", []):
            if item.get("VariantName") == variant:
                if not item.get("InstanceType"):
                    raise EndpointNotReady(
                        f"shadow.productionVariant: {endpoint}/{variant} is serverless; shadow tests "
                        "need a real-time instance variant"
                    )
                return ProductionVariant(
                    variant_name=variant,
                    model_name=item["ModelName"],
                    instance_type=item["InstanceType"],
                    instance_count=int(item.get("InitialInstanceCount") or 1),
                )
        raise EndpointNotReady(f"shadow.productionVariant: endpoint {endpoint!r} has no variant {variant!r}")

    def model_exists(self, name: str) -> bool:
        try:
            self._client.describe_model(ModelName=name)
        except Exception as exc:
            # DescribeModel answers ValidationException "Could not find model" for a missing model.
            if error_code(exc) == "ValidationException" and "find model" in str(exc):
                return False
            raise
        return True

    def create_model(self, request: dict[str, Any]) -> None:
        self._client.create_model(**request)
