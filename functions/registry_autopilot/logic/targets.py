"""What a compiled artifact can run on, and which image serves it when Neo does not say.

Instance types must be values of ProductionVariantInstanceType (SageMaker API Reference,
AdditionalInferenceSpecificationDefinition.SupportedRealtimeInferenceInstanceTypes).
Image fallback registries: the Neo inference images published per region (the same table the
SageMaker Python SDK ships as image_uri_config/neo-*.json and xgboost-neo.json).
"""

from __future__ import annotations

from registry_autopilot.models.config import NeoTarget

# Real-time sizes per instance family of the ml_* Neo devices.
_FAMILY_SIZES: dict[str, tuple[str, ...]] = {
    "c4": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge"),
    "c5": ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge"),
    "c6i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "c6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "m4": ("xlarge", "2xlarge", "4xlarge", "10xlarge", "16xlarge"),
    "m5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    "m6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "p2": ("xlarge", "8xlarge", "16xlarge"),
    "p3": ("2xlarge", "8xlarge", "16xlarge"),
    "g4dn": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "g5": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "inf1": ("xlarge", "2xlarge", "6xlarge", "24xlarge"),
    "inf2": ("xlarge", "8xlarge", "24xlarge", "48xlarge"),
    "trn1": ("2xlarge", "32xlarge"),
}
_GPU_FAMILIES = {"p2", "p3", "g4dn", "g5"}

# Account hosting the Neo inference images, per region.
NEO_IMAGE_REGISTRIES: dict[str, str] = {
    "us-east-1": "785573368785",
    "us-east-2": "007439368137",
    "us-west-1": "710691900526",
    "us-west-2": "301217895009",
    "ca-central-1": "464438896020",
    "eu-west-1": "802834080501",
    "eu-west-2": "205493899709",
    "eu-west-3": "254080097072",
    "eu-central-1": "746233611703",
    "eu-north-1": "601324751636",
    "ap-northeast-1": "941853720454",
    "ap-northeast-2": "151534178276",
    "ap-south-1": "763008648453",
    "ap-southeast-1": "324986816169",
    "ap-southeast-2": "355873309152",
    "sa-east-1": "756306329178",
}
# Framework -> (repository, framework versions with a published image).
_NEO_REPOSITORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "PYTORCH": ("sagemaker-inference-pytorch", ("1.4", "1.5", "1.6", "1.7", "1.8", "1.12")),
    "MXNET": ("sagemaker-inference-mxnet", ("1.8",)),
    "TENSORFLOW": ("sagemaker-inference-tensorflow", ("1.15", "2.4", "2.9")),
}


def device_family(target: NeoTarget) -> str | None:
    """`ml_c5` -> `c5`; None for edge devices and platforms."""
    device = target.target_device or ""
    return device[3:] if device.startswith("ml_") else None


def instance_types_for(target: NeoTarget) -> list[str]:
    """Configured instance types, else the device family's sizes; empty for edge targets."""
    if target.instance_types:
        return list(target.instance_types)
    family = device_family(target)
    if family is None:
        return []
    sizes = _FAMILY_SIZES.get(family, ("xlarge",))
    return [f"ml.{family}.{size}" for size in sizes]


def is_gpu_target(target: NeoTarget) -> bool:
    platform = target.target_platform
    return device_family(target) in _GPU_FAMILIES or (
        platform is not None and platform.accelerator == "NVIDIA"
    )


def fallback_image(
    region: str, framework: str | None, framework_version: str | None, target: NeoTarget
) -> str | None:
    """The published Neo serving image for this framework in this region, if there is one."""
    account = NEO_IMAGE_REGISTRIES.get(region)
    if account is None or framework is None:
        return None
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
    framework = framework.upper()
    if framework == "XGBOOST":
        return f"{registry}/xgboost-neo:latest"
    repository = _NEO_REPOSITORIES.get(framework)
    if repository is None or framework_version is None:
        return None
    name, versions = repository
    short = ".".join(framework_version.split(".")[:2])
    if short not in versions:
        return None
    processor = "gpu" if is_gpu_target(target) else "cpu"
    return f"{registry}/{name}:{short}-{processor}-py3"
