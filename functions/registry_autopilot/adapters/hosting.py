"""SageMaker hosting reads and writes for shadow tests: the endpoint's production variant, models made
from a model package version, and the version itself (the only module that calls these operations)."""

from __future__ import annotations

from typing import Any

from registry_autopilot.adapters.clients import client, error_code
from registry_autopilot.models.errors import ModelPackageNotFound
from registry_autopilot.models.shadow import EndpointVariantView, EndpointView, ShadowVersion


class EndpointNotReady(LookupError):
    """The configured endpoint does not exist (yet): the invocation fails, is retried, then lands in
    the dead-letter queue. An endpoint that exists but cannot take a shadow test is not an error here:
    `logic.shadow.check_eligibility` decides that, and the start records it on the version."""


class Hosting:
    # `role_arn`: the endpoint's account's access role, when the endpoint is in another account.
    def __init__(self, sagemaker: Any | None = None, role_arn: str | None = None) -> None:
        self._sagemaker = sagemaker
        self._role_arn = role_arn

    @property
    def _client(self) -> Any:
        return self._sagemaker or client("sagemaker", self._role_arn)

    def describe_version(self, arn: str) -> ShadowVersion:
        try:
            response = self._client.describe_model_package(ModelPackageName=arn)
        except Exception as exc:
            if error_code(exc) in {"ValidationException", "ResourceNotFound"} and "exist" in str(exc):
                raise ModelPackageNotFound(f"model package {arn} does not exist") from exc
            raise
        return ShadowVersion.model_validate(response)

    def endpoint(self, endpoint: str) -> EndpointView:
        """The endpoint's current config: its production variants, their capacity and what their
        models' containers show (DescribeEndpoint, DescribeEndpointConfig, DescribeModel)."""
        try:
            described = self._client.describe_endpoint(EndpointName=endpoint)
        except Exception as exc:
            if error_code(exc) == "ValidationException":
                raise EndpointNotReady(f"shadow.endpointName: endpoint {endpoint!r} not found") from exc
            raise
        config_name = described["EndpointConfigName"]
        config = self._client.describe_endpoint_config(EndpointConfigName=config_name)
        variants = []
        for item in config.get("ProductionVariants", []):
            containers = self._containers(item["ModelName"])
            variants.append(
                EndpointVariantView(
                    variant_name=item["VariantName"],
                    model_name=item["ModelName"],
                    instance_type=item.get("InstanceType"),
                    instance_count=int(item.get("InitialInstanceCount") or 1),
                    accelerator_type=item.get("AcceleratorType"),
                    serverless=bool(item.get("ServerlessConfig")),
                    container_count=max(len(containers), 1),
                    multi_model=any(container.get("Mode") == "MultiModel" for container in containers),
                )
            )
        return EndpointView(
            name=endpoint,
            config_name=config_name,
            variants=variants,
            asynchronous=bool(config.get("AsyncInferenceConfig")),
        )

    def _containers(self, model: str) -> list[dict[str, Any]]:
        """The model's containers (DescribeModel: Containers, else PrimaryContainer); none when the
        model no longer exists (CreateInferenceExperiment then refuses the experiment itself)."""
        try:
            response = self._client.describe_model(ModelName=model)
        except Exception as exc:
            if _missing_model(exc):
                return []
            raise
        containers: list[dict[str, Any]] = response.get("Containers") or []
        if not containers and response.get("PrimaryContainer"):
            containers = [response["PrimaryContainer"]]
        return containers

    def create_model(self, request: dict[str, Any]) -> bool:
        """CreateModel; False when a model of that name exists already (a retried or duplicate start
        made it: the name is derived from the version, the spec and the instance type). One call
        instead of a describe first; AWS answers a second CreateModel of a name with
        ValidationException 'Cannot create already existing model "<arn>"'."""
        try:
            self._client.create_model(**request)
        except Exception as exc:
            if error_code(exc) == "ValidationException" and "already existing model" in str(exc):
                return False
            raise
        return True


def _missing_model(exc: Exception) -> bool:
    # DescribeModel answers ValidationException "Could not find model" for a missing model.
    return error_code(exc) == "ValidationException" and "find model" in str(exc)
