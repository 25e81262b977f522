"""Seeded endpoints and versions for each case AWS excludes from shadow tests.

Developer Guide, "Shadow tests" > "Exclusions"
(https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions.html): "If your endpoint uses any
of the following features you cannot use shadow tests on your endpoint, and your request to setup shadow
tests will lead to validation errors. Serverless inference; Asynchronous inference; Marketplace
containers; Multiple-containers endpoints; Multi-model endpoints; Endpoints that use Inf1
(Inferentia-based) instances; Amazon Elastic Inference endpoints."
"Create a shadow test" (https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-create.html): "For an
endpoint with a shadow variant, there can be a maximum of one production variant."
"""

from __future__ import annotations

from typing import Any

ROLE = "arn:aws:iam::123456789012:role/RegistryAutopilotShadowTests"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
DATA = "s3://autopilot-local-123456789012/churn/production.tar.gz"

# kind -> (what the endpoint shows, words the refusal names)
INELIGIBLE_ENDPOINTS: dict[str, str] = {
    "serverless": "serverless",
    "asynchronous": "asynchronous",
    "multi-model": "multi-model",
    "multi-container": "multi-container",
    "two-production-variants": "2 production variants",
    "inf1": "Inf1",
    "elastic-inference": "Elastic Inference",
}


def _variant(name: str, model: str, **extra: Any) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 2,
        **extra,
    }


def seed_endpoint(sagemaker: Any, endpoint: str, kind: str = "eligible", variant: str = "AllTraffic") -> str:
    """Create `endpoint` (its production model and endpoint config) as `kind`; returns the model name."""
    model = f"{endpoint}-model"
    container: dict[str, Any] = {"Image": IMAGE, "ModelDataUrl": DATA}
    model_request: dict[str, Any] = {
        "ModelName": model,
        "ExecutionRoleArn": ROLE,
        "PrimaryContainer": container,
    }
    config: dict[str, Any] = {"EndpointConfigName": f"{endpoint}-config"}
    variants = [_variant(variant, model)]
    if kind == "serverless":
        variants = [
            {
                "VariantName": variant,
                "ModelName": model,
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
            }
        ]
    elif kind == "asynchronous":
        config["AsyncInferenceConfig"] = {
            "OutputConfig": {"S3OutputPath": "s3://autopilot-local-123456789012/async/"}
        }
    elif kind == "multi-model":
        model_request["PrimaryContainer"] = {
            **container,
            "Mode": "MultiModel",
            "ModelDataUrl": "s3://b/models/",
        }
    elif kind == "multi-container":
        del model_request["PrimaryContainer"]
        model_request["Containers"] = [
            {**container, "ContainerHostname": "preprocess"},
            {**container, "ContainerHostname": "predict"},
        ]
    elif kind == "two-production-variants":
        variants.append(_variant("Canary", model, InitialVariantWeight=0.1))
    elif kind == "inf1":
        variants = [_variant(variant, model, InstanceType="ml.inf1.xlarge")]
    elif kind == "elastic-inference":
        variants = [_variant(variant, model, AcceleratorType="ml.eia2.medium")]
    elif kind != "eligible":
        raise ValueError(f"unknown endpoint kind {kind!r}")
    sagemaker.create_model(**model_request)
    sagemaker.create_endpoint_config(**config, ProductionVariants=variants)
    sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=config["EndpointConfigName"])
    return model


def make_version_ineligible(sagemaker: Any, arn: str, kind: str) -> None:
    """Give the version's primary specification two containers, or a Marketplace ProductId."""
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    spec = described["InferenceSpecification"]
    (container,) = spec["Containers"]
    if kind == "multi-container":
        containers = [container, {**container, "ContainerHostname": "postprocess"}]
    elif kind == "marketplace":
        containers = [{**container, "ProductId": "prod-abcdefghijklm"}]
    else:
        raise ValueError(f"unknown version kind {kind!r}")
    sagemaker.update_model_package(
        ModelPackageArn=arn, InferenceSpecification={**spec, "Containers": containers}
    )
